//! Message templates: `"Producer {i} sleeping for {sleep} seconds."`.
//!
//! A template is parsed once, at compile time, into literal text and placeholders, so that an
//! unknown placeholder is a diagnostic and rendering a message at run time is a walk over parts.

use std::fmt::Write as _;

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
                    Var::Sleep => push_seconds(out, values.sleep_ns, decimals),
                    Var::Waited => push_seconds(out, values.waited_ns, decimals),
                    Var::Elapsed => push_seconds(out, values.elapsed_ns, decimals),
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
            let digits = spec.strip_prefix('.').and_then(|d| d.parse::<u8>().ok()).filter(|&d| d <= 9);
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

fn push_int(out: &mut String, v: u64) {
    let _ = write!(out, "{v}");
}

/// Seconds, exactly: the shortest decimal that is the value (`5`, `0.25`, `0.00002`), or with
/// `decimals` digits, rounded half to even (`{elapsed:.2}` prints `21.00`).
pub fn push_seconds(out: &mut String, ns: u64, decimals: Option<u8>) {
    const NS: u64 = 1_000_000_000;
    match decimals {
        None => {
            let (secs, mut frac) = (ns / NS, ns % NS);
            let _ = write!(out, "{secs}");
            if frac != 0 {
                // Nine digits, then drop the trailing zeros: no allocation on this hot path.
                let mut width = 9;
                while frac % 10 == 0 {
                    frac /= 10;
                    width -= 1;
                }
                let _ = write!(out, ".{frac:0width$}");
            }
        }
        Some(d) => {
            let unit = 10u64.pow(9 - u32::from(d));
            let (q, r) = (ns / unit, ns % unit);
            let half = unit / 2;
            let q = if r > half || (r == half && unit > 1 && q % 2 == 1) { q + 1 } else { q };
            let scale = 10u64.pow(u32::from(d));
            let _ = write!(out, "{}", q / scale);
            if d > 0 {
                let _ = write!(out, ".{:0width$}", q % scale, width = usize::from(d));
            }
        }
    }
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
    fn seconds_are_exact_and_rounded_half_to_even() {
        let cases = [
            (0, None, "0"),
            (1_500_000_000, None, "1.5"),
            (20_000, None, "0.00002"),
            (1, None, "0.000000001"),
            (1_005_000_000, Some(2), "1.00"),
            (1_015_000_000, Some(2), "1.02"),
            (1_015_000_001, Some(2), "1.02"),
            (999_999_999, Some(2), "1.00"),
            (2_500_000_000, Some(0), "2"),
            (3_500_000_000, Some(0), "4"),
            (1, Some(9), "0.000000001"),
        ];
        for (ns, d, want) in cases {
            let mut s = String::new();
            push_seconds(&mut s, ns, d);
            assert_eq!(s, want, "{ns} ns with {d:?} decimals");
        }
    }

    #[test]
    fn unknown_placeholder_is_an_error_with_a_suggestion() {
        let e = Template::parse("slept {slep} s").unwrap_err();
        assert_eq!(e.range, 6..12);
        assert_eq!(e.message, "unknown placeholder `{slep}`");
        assert_eq!(e.help.as_deref(), Some("did you mean `{sleep}`?"));
    }

    #[test]
    fn braces_must_balance() {
        assert!(Template::parse("a { b").is_err());
        assert!(Template::parse("a } b").is_err());
        assert!(Template::parse("{i:.2}").is_err());
        assert!(Template::parse("{sleep:x}").is_err());
    }
}
