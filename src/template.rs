//! Message templates: `"Producer {i} sleeping for {sleep} seconds."`.
//!
//! A template is parsed once, at compile time, into literal text and placeholders, so that an
//! unknown placeholder is a diagnostic and rendering a message at run time is a walk over parts.

use std::fmt::Write as _;

use crate::seconds::push_seconds;

/// A value a template can mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// The task's label: `consumer[3]`, or `main`.
    Task,
    /// The task's name as declared: `consumer`.
    Name,
    /// The replica index, from 0.
    I,
    /// How many replicas the task has.
    Count,
    /// The iteration of the innermost `repeat`, from 0.
    N,
    /// The last sleep drawn by this task, in seconds.
    Sleep,
    /// The last item this task got from a queue.
    Item,
    /// How long that item waited in its queue, in seconds.
    Waited,
    /// The virtual time since the run started, in seconds.
    Elapsed,
}

impl Var {
    pub const ALL: [(&'static str, Var); 9] = [
        ("task", Var::Task),
        ("name", Var::Name),
        ("i", Var::I),
        ("count", Var::Count),
        ("n", Var::N),
        ("sleep", Var::Sleep),
        ("item", Var::Item),
        ("waited", Var::Waited),
        ("elapsed", Var::Elapsed),
    ];

    fn is_duration(self) -> bool {
        matches!(self, Var::Sleep | Var::Waited | Var::Elapsed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    /// A placeholder and, for durations, the number of decimals to print.
    Var(Var, Option<u8>),
}

/// A parsed message template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// A template that does not parse: the byte range within the template text, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub range: std::ops::Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// The values a template is rendered with.
pub struct Values<'a> {
    pub task: &'a str,
    pub name: &'a str,
    pub i: u64,
    pub count: u64,
    pub n: u64,
    pub sleep_ns: u64,
    pub item: Option<&'a str>,
    pub waited_ns: u64,
    pub elapsed_ns: u64,
}

impl Template {
    /// Parses `{name}` and `{name:.N}` placeholders; `{{` and `}}` stand for braces.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((at, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|&(_, c)| c) == Some('{') => {
                    rest.next();
                    lit.push('{');
                }
                '}' if rest.peek().map(|&(_, c)| c) == Some('}') => {
                    rest.next();
                    lit.push('}');
                }
                '}' => {
                    return Err(TemplateError {
                        range: at..at + 1,
                        message: "unmatched `}` in message".into(),
                        help: Some("write `}}` for a literal brace".into()),
                    });
                }
                '{' => {
                    let Some(close) = text[at..].find('}').map(|i| at + i) else {
                        return Err(TemplateError {
                            range: at..text.len(),
                            message: "unclosed `{` in message".into(),
                            help: Some("write `{{` for a literal brace".into()),
                        });
                    };
                    let inner = &text[at + 1..close];
                    parts.extend((!lit.is_empty()).then(|| Part::Lit(std::mem::take(&mut lit))));
                    parts.push(parse_placeholder(inner, at..close + 1)?);
                    while rest.peek().is_some_and(|&(i, _)| i <= close) {
                        rest.next();
                    }
                }
                c => lit.push(c),
            }
        }
        parts.extend((!lit.is_empty()).then_some(Part::Lit(lit)));
        Ok(Template { parts })
    }

    /// Appends the rendered message to `out`.
    pub fn render(&self, out: &mut String, values: &Values<'_>) {
        for part in &self.parts {
            match *part {
                Part::Lit(ref s) => out.push_str(s),
                Part::Var(var, decimals) => match var {
                    Var::Task => out.push_str(values.task),
                    Var::Name => out.push_str(values.name),
                    Var::I => push_int(out, values.i),
                    Var::Count => push_int(out, values.count),
                    Var::N => push_int(out, values.n),
                    Var::Item => out.push_str(values.item.unwrap_or("none")),
                    Var::Sleep => push_template_seconds(out, values.sleep_ns, decimals),
                    Var::Waited => push_template_seconds(out, values.waited_ns, decimals),
                    Var::Elapsed => push_template_seconds(out, values.elapsed_ns, decimals),
                },
            }
        }
    }
}

fn parse_placeholder(inner: &str, range: std::ops::Range<usize>) -> Result<Part, TemplateError> {
    let (name, spec) = match inner.split_once(':') {
        Some((name, spec)) => (name.trim(), Some(spec.trim())),
        None => (inner.trim(), None),
    };
    let Some(&(_, var)) = Var::ALL.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = Var::ALL.iter().map(|(n, _)| *n).collect();
        let help = match crate::diagnostic::did_you_mean(name, names.iter().copied()) {
            Some(s) => format!("did you mean `{{{s}}}`?"),
            None => format!(
                "placeholders are {}",
                names.iter().map(|n| format!("`{{{n}}}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(TemplateError { range, message: format!("unknown placeholder `{{{name}}}`"), help: Some(help) });
    };
    let decimals = match spec {
        None => None,
        Some(spec) => {
            // `.2`, or Python's `.2f` and `0.2f` (a zero flag without a width changes nothing).
            let digits = spec
                .strip_prefix("0.")
                .or_else(|| spec.strip_prefix('.'))
                .map(|d| d.strip_suffix('f').unwrap_or(d))
                .filter(|d| !d.is_empty() && d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<u8>().ok())
                .filter(|&d| d <= 9);
            match digits {
                Some(d) if var.is_duration() => Some(d),
                Some(_) => {
                    return Err(TemplateError {
                        range,
                        message: format!("`{{{name}}}` is a whole number and takes no decimals"),
                        help: None,
                    });
                }
                None => {
                    return Err(TemplateError {
                        range,
                        message: format!("unknown format `{spec}` in `{{{inner}}}`"),
                        help: Some("write `{NAME:.2}` for two decimals (0 to 9)".into()),
                    });
                }
            }
        }
    };
    Ok(Part::Var(var, decimals))
}

/// Seconds as a template prints them: exactly (`0.25`), or with `decimals` digits the way
/// Python's `f"{seconds:.2f}"` prints the `float` of the seconds. Python rounds that binary
/// value, not the decimal one, so 2.675 s prints `2.67`; Rust's formatting of an `f64` with a
/// precision rounds the same exact value half to even, which is Python's rule.
fn push_template_seconds(out: &mut String, ns: u64, decimals: Option<u8>) {
    match decimals {
        None => push_seconds(out, ns, None),
        Some(d) => {
            let _ = write!(out, "{:.*}", usize::from(d), ns as f64 / 1e9);
        }
    }
}

fn push_int(out: &mut String, v: u64) {
    let _ = write!(out, "{v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, v: &Values<'_>) -> String {
        let mut s = String::new();
        Template::parse(t).unwrap().render(&mut s, v);
        s
    }

    fn values() -> Values<'static> {
        Values {
            task: "producer[2]",
            name: "producer",
            i: 2,
            count: 5,
            n: 1,
            sleep_ns: 3_000_000_000,
            item: Some("7"),
            waited_ns: 250_000,
            elapsed_ns: 21_005_000_000,
        }
    }

    #[test]
    fn renders_every_placeholder() {
        let s = render("{task} {name} {i}/{count} n={n} {sleep} {item} {waited} {elapsed:.2} {{x}}", &values());
        assert_eq!(s, "producer[2] producer 2/5 n=1 3 7 0.00025 21.00 {x}");
    }

    #[test]
    fn unknown_placeholder_is_an_error_with_a_suggestion() {
        let e = Template::parse("slept {slep} s").unwrap_err();
        assert_eq!(e.range, 6..12);
        assert_eq!(e.message, "unknown placeholder `{slep}`");
        assert_eq!(e.help.as_deref(), Some("did you mean `{sleep}`?"));
    }

    #[test]
    fn decimals_round_the_float_of_the_seconds_as_python_does() {
        // Python: f"{0.005:.2f}" == "0.01", f"{0.015:.2f}" == "0.01", f"{1.015:.2f}" == "1.01",
        // f"{2.675:.2f}" == "2.67", f"{0.125:.2f}" == "0.12", f"{2.5:.0f}" == "2".
        let cases = [
            (5_000_000, 2, "0.01"),
            (15_000_000, 2, "0.01"),
            (1_015_000_000, 2, "1.01"),
            (2_675_000_000, 2, "2.67"),
            (125_000_000, 2, "0.12"),
            (2_500_000_000, 0, "2"),
            (21_005_000_000, 2, "21.00"),
            (1_000_000_000, 2, "1.00"),
        ];
        for (ns, d, want) in cases {
            let mut s = String::new();
            push_template_seconds(&mut s, ns, Some(d));
            assert_eq!(s, want, "{ns} ns with {d} decimals");
        }
    }

    #[test]
    fn python_style_specs_are_read_and_nonsense_is_refused() {
        for ok in ["{elapsed:.2}", "{elapsed:.2f}", "{elapsed:0.2f}", "{sleep:.0}"] {
            assert!(Template::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["{elapsed:.+2}", "{elapsed:.-1}", "{elapsed:.}", "{elapsed:.2x}", "{elapsed:. 2}", "{elapsed:.10}"]
        {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn braces_must_balance() {
        assert!(Template::parse("a { b").is_err());
        assert!(Template::parse("a } b").is_err());
        assert!(Template::parse("{i:.2}").is_err());
        assert!(Template::parse("{sleep:x}").is_err());
    }
}
