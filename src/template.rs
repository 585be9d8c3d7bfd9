//! Message templates: `"Producer {i} sleeping for {sleep} seconds."`.
//!
//! A template is parsed once, at compile time, into literal text and placeholders, so that an
//! unknown placeholder is a diagnostic and rendering a message at run time is a walk over parts.

use std::fmt::Write as _;

use crate::seconds::{push_seconds, push_u64};

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
    /// How long that item waited in its queue, or the task waited for its last permit (until
    /// it got it or gave up), in seconds: whichever came last.
    Waited,
    /// The virtual time since the run started, in seconds.
    Elapsed,
    /// The amount of the task's last `take` or `fill`.
    Amount,
}

impl Var {
    pub const ALL: [(&'static str, Var); 10] = [
        ("task", Var::Task),
        ("name", Var::Name),
        ("i", Var::I),
        ("count", Var::Count),
        ("n", Var::N),
        ("sleep", Var::Sleep),
        ("item", Var::Item),
        ("waited", Var::Waited),
        ("elapsed", Var::Elapsed),
        ("amount", Var::Amount),
    ];

    fn is_duration(self) -> bool {
        matches!(self, Var::Sleep | Var::Waited | Var::Elapsed)
    }

    fn is_text(self) -> bool {
        matches!(self, Var::Task | Var::Name | Var::Item)
    }
}

/// A placeholder's format, a subset of Python's format-spec mini-language:
/// `[[fill]align][sign][0][width][.precision][type]`, align one of `<`, `>`, `^`, `=`, sign `+`
/// or a space, type `d` (whole numbers), `f` (fixed point) or `s` (text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec {
    fill: char,
    align: Option<char>,
    sign: Option<char>,
    zero: bool,
    width: usize,
    /// Decimals for a number, the most characters for text.
    precision: Option<u8>,
    /// `d`, `f` or `s`; `None` when not given.
    kind: Option<char>,
}

impl Spec {
    const PLAIN: Spec = Spec { fill: ' ', align: None, sign: None, zero: false, width: 0, precision: None, kind: None };
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    /// A placeholder and its format.
    Var(Var, Spec),
    /// A whole number found by name: `{counter.NAME}`, `{container.NAME}` (its level) or a
    /// task's own name (`{fuel}`), by its index once the compiler has resolved the name (where
    /// in the template text the name is, for its diagnostics).
    Number {
        source: Source,
        name: String,
        at: std::ops::Range<usize>,
        index: usize,
        spec: Spec,
    },
    /// A parameter, rendered when the template was parsed.
    Param {
        name: String,
        text: String,
    },
}

/// Where a named whole number of a template comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Counter,
    /// A container's level.
    Level,
    /// The items in a queue now (`{queue.NAME.length}`).
    QueueLength,
    /// A task's own name, given its value by `let`.
    Local,
}

/// A parsed message template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    /// Whether it is `{n}` alone ([`Template::is_n`]), found once when parsed: a put asks on
    /// the interpreter's hot path, several times an item.
    n_alone: bool,
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
    /// Every counter's value now.
    pub counters: &'a [i64],
    /// A container's level now, by index.
    pub levels: &'a dyn Fn(usize) -> u64,
    /// A queue's length now, by index.
    pub queue_lengths: &'a dyn Fn(usize) -> u64,
    /// The task's own names' values.
    pub locals: &'a [i64],
    /// The amount of the task's last `take` or `fill`.
    pub amount: u64,
}

impl Template {
    /// Parses `{name}` and `{name:.N}` placeholders; `{{` and `}}` stand for braces.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        Template::parse_with(text, &[], &[])
    }

    /// Parses a template that may also name `locals`, a task's own names, and `params`, whole
    /// numbers fixed for the run (rendered once, here).
    pub fn parse_with(text: &str, locals: &[String], params: &[(&str, i64)]) -> Result<Template, TemplateError> {
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
                    parts.push(parse_placeholder(inner, at..close + 1, locals, params)?);
                    while rest.peek().is_some_and(|&(i, _)| i <= close) {
                        rest.next();
                    }
                }
                c => lit.push(c),
            }
        }
        parts.extend((!lit.is_empty()).then_some(Part::Lit(lit)));
        let n_alone = matches!(parts[..], [Part::Var(Var::N, spec)] if spec == Spec::PLAIN);
        Ok(Template { parts, n_alone })
    }

    /// Whether the template prints parameter `name`.
    pub fn uses_param(&self, name: &str) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Param { name: n, .. } if n == name))
    }

    /// The counters and containers the template names, with where each name is in its text,
    /// to resolve.
    pub fn names_mut(&mut self) -> impl Iterator<Item = (Source, &str, std::ops::Range<usize>, &mut usize)> {
        self.parts.iter_mut().filter_map(|p| match p {
            Part::Number {
                source: source @ (Source::Counter | Source::Level | Source::QueueLength),
                name,
                at,
                index,
                ..
            } => Some((*source, name.as_str(), at.clone(), index)),
            _ => None,
        })
    }

    /// Whether the template is `{n}` alone, the default item of a put: rendered without the
    /// values a template may read.
    pub fn is_n(&self) -> bool {
        self.n_alone
    }

    /// Appends `n` as `{n}` renders it.
    pub fn push_n(out: &mut String, n: u64) {
        push_int(out, n);
    }

    /// Appends the rendered message to `out`.
    pub fn render(&self, out: &mut String, values: &Values<'_>) {
        for part in &self.parts {
            match *part {
                Part::Lit(ref s) | Part::Param { text: ref s, .. } => out.push_str(s),
                Part::Number { source, index, spec, .. } => {
                    let value = match source {
                        Source::Counter => values.counters.get(index).copied().unwrap_or(0),
                        Source::Local => values.locals.get(index).copied().unwrap_or(0),
                        Source::Level => i64::try_from((values.levels)(index)).unwrap_or(i64::MAX),
                        Source::QueueLength => i64::try_from((values.queue_lengths)(index)).unwrap_or(i64::MAX),
                    };
                    push_whole(out, value, spec);
                }
                Part::Var(var, spec) if spec == Spec::PLAIN => push_value(out, var, values, None),
                Part::Var(var, spec) => {
                    let mut value = String::new();
                    match (var, spec.kind) {
                        // `{i:.2f}`: a whole number as a float, as Python formats an int.
                        (Var::I | Var::Count | Var::N | Var::Amount, Some('f')) => {
                            let v = match var {
                                Var::I => values.i,
                                Var::Count => values.count,
                                Var::Amount => values.amount,
                                _ => values.n,
                            };
                            let _ = write!(value, "{:.*}", usize::from(spec.precision.unwrap_or(6)), v as f64);
                        }
                        _ if var.is_duration() => {
                            let precision = spec.precision.or((spec.kind == Some('f')).then_some(6));
                            push_value(&mut value, var, values, precision);
                        }
                        _ => push_value(&mut value, var, values, None),
                    }
                    if var.is_text() {
                        if let Some((at, _)) = spec.precision.and_then(|p| value.char_indices().nth(usize::from(p))) {
                            value.truncate(at);
                        }
                    }
                    pad(out, &value, spec, !var.is_text(), false);
                }
            }
        }
    }
}

/// Appends a whole number with its format: `{fuel:.1f}` as Python formats a float of an int.
fn push_whole(out: &mut String, value: i64, spec: Spec) {
    if spec.kind == Some('f') {
        let precision = usize::from(spec.precision.unwrap_or(6));
        let text = format!("{:.*}", precision, value.unsigned_abs() as f64);
        pad(out, &text, spec, true, value < 0);
    } else {
        let mut digits = itoa::Buffer::new();
        let text = digits.format(value.unsigned_abs());
        pad(out, text, spec, true, value < 0);
    }
}

/// Appends a value, durations with `decimals` when given.
fn push_value(out: &mut String, var: Var, values: &Values<'_>, decimals: Option<u8>) {
    match var {
        Var::Task => out.push_str(values.task),
        Var::Name => out.push_str(values.name),
        Var::I => push_int(out, values.i),
        Var::Count => push_int(out, values.count),
        Var::N => push_int(out, values.n),
        Var::Amount => push_int(out, values.amount),
        Var::Item => out.push_str(values.item.unwrap_or("none")),
        Var::Sleep => push_template_seconds(out, values.sleep_ns, decimals),
        Var::Waited => push_template_seconds(out, values.waited_ns, decimals),
        Var::Elapsed => push_template_seconds(out, values.elapsed_ns, decimals),
    }
}

/// Appends `value` (digits without a sign, for a number) with the spec's sign or a minus when
/// `negative`, fill and alignment, as Python pads: numbers to the right and text to the left by
/// default, `=` (and the `0` flag) between the sign and the digits.
fn pad(out: &mut String, value: &str, spec: Spec, number: bool, negative: bool) {
    let sign = if negative {
        Some('-')
    } else if number {
        spec.sign.filter(|&s| s == '+' || s == ' ')
    } else {
        None
    };
    let len = value.chars().count() + usize::from(sign.is_some());
    let fill_n = spec.width.saturating_sub(len);
    let (fill, align) = match (spec.align, spec.zero && number) {
        (Some(a), _) => (spec.fill, a),
        (None, true) => ('0', '='),
        (None, false) => (' ', if number { '>' } else { '<' }),
    };
    let fills = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(fill, n));
    match align {
        '<' => {
            out.extend(sign);
            out.push_str(value);
            fills(out, fill_n);
        }
        '^' => {
            fills(out, fill_n / 2);
            out.extend(sign);
            out.push_str(value);
            fills(out, fill_n - fill_n / 2);
        }
        '=' => {
            out.extend(sign);
            fills(out, fill_n);
            out.push_str(value);
        }
        _ => {
            fills(out, fill_n);
            out.extend(sign);
            out.push_str(value);
        }
    }
}

/// Reads a format spec for `var` (see [`Spec`]); `Err` says what is wrong.
fn parse_spec(var: Var, name: &str, spec: &str) -> Result<Spec, String> {
    let mut out = Spec::PLAIN;
    let chars: Vec<char> = spec.chars().collect();
    let mut k = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        (out.fill, out.align, k) = (chars[0], Some(chars[1]), 2);
    } else if chars.first().copied().is_some_and(is_align) {
        (out.align, k) = (Some(chars[0]), 1);
    }
    if let Some(&c @ ('+' | '-' | ' ')) = chars.get(k) {
        out.sign = Some(c);
        k += 1;
    }
    if chars.get(k) == Some(&'0') {
        out.zero = true;
        k += 1;
    }
    let digits = |k: &mut usize| {
        let start = *k;
        while chars.get(*k).is_some_and(char::is_ascii_digit) {
            *k += 1;
        }
        chars[start..*k].iter().collect::<String>()
    };
    let width = digits(&mut k);
    if !width.is_empty() {
        out.width = width.parse().ok().filter(|&w| w <= 1000).ok_or("a width is at most 1000")?;
    }
    if chars.get(k) == Some(&'.') {
        k += 1;
        let precision = digits(&mut k);
        out.precision = Some(precision.parse().ok().filter(|&p| p <= 9).ok_or("a precision is from 0 to 9 digits")?);
    }
    if let Some(&c) = chars.get(k) {
        out.kind = Some(c);
        k += 1;
    }
    if k < chars.len() || out.kind.is_some_and(|c| !matches!(c, 'd' | 'f' | 's')) {
        return Err(format!("unknown format `{spec}` in `{{{name}:{spec}}}`"));
    }
    let text = var.is_text();
    let whole = !text && !var.is_duration();
    match out.kind {
        Some('s') if !text => return Err(format!("`{{{name}}}` is a number: `s` is for text")),
        Some('d' | 'f') if text => return Err(format!("`{{{name}}}` is text: `{spec}` is for numbers")),
        Some('d') if !whole => return Err(format!("`{{{name}}}` is in seconds: use `f`, not `d`")),
        _ => {}
    }
    if whole && out.precision.is_some() && out.kind != Some('f') {
        return Err(format!("`{{{name}}}` is a whole number and takes no decimals"));
    }
    if text && (out.sign.is_some() || out.zero || out.align == Some('=')) {
        return Err(format!("`{{{name}}}` is text: a sign, `0` or `=` are for numbers"));
    }
    Ok(out)
}

fn parse_placeholder(
    inner: &str,
    range: std::ops::Range<usize>,
    locals: &[String],
    params: &[(&str, i64)],
) -> Result<Part, TemplateError> {
    let (name, spec) = match inner.split_once(':') {
        Some((name, spec)) => (name.trim(), Some(spec.trim())),
        None => (inner.trim(), None),
    };
    // A whole number known by name: formatted as `{i}` is.
    let whole_spec = |spec: Option<&str>| match spec {
        None => Ok(Spec::PLAIN),
        Some(spec) => parse_spec(Var::N, name, spec).map_err(|message| TemplateError {
            range: range.clone(),
            message,
            help: None,
        }),
    };
    if let Some(&(_, value)) = params.iter().find(|(p, _)| *p == name) {
        let spec = whole_spec(spec)?;
        let mut text = String::new();
        push_whole(&mut text, value, spec);
        return Ok(Part::Param { name: name.to_owned(), text });
    }
    let queue = name.strip_prefix("queue.").and_then(|q| q.strip_suffix(".length"));
    let named = [("counter.", Source::Counter), ("container.", Source::Level)]
        .into_iter()
        .find_map(|(prefix, source)| Some((name.strip_prefix(prefix)?, source)))
        .or_else(|| queue.map(|q| (q, Source::QueueLength)))
        .or_else(|| locals.iter().any(|l| l == name).then_some((name, Source::Local)));
    if let Some((counter, source)) = named {
        // The compiler resolves the name.
        let spec = whole_spec(spec)?;
        let at = range.start + 1 + inner.find(counter).unwrap_or(0);
        let index =
            if source == Source::Local { locals.iter().position(|l| l == name).unwrap_or(0) } else { usize::MAX };
        return Ok(Part::Number { source, name: counter.to_owned(), at: at..at + counter.len(), index, spec });
    }
    let Some(&(_, var)) = Var::ALL.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = Var::ALL.iter().map(|(n, _)| *n).collect();
        let known =
            names.iter().copied().chain(locals.iter().map(String::as_str)).chain(params.iter().map(|(p, _)| *p));
        let help = match crate::diagnostic::did_you_mean(name, known) {
            Some(s) => format!("did you mean `{{{s}}}`?"),
            None => format!(
                "placeholders are {}",
                names.iter().map(|n| format!("`{{{n}}}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(TemplateError { range, message: format!("unknown placeholder `{{{name}}}`"), help: Some(help) });
    };
    let spec = match spec {
        None => Spec::PLAIN,
        Some(spec) => parse_spec(var, name, spec).map_err(|message| TemplateError {
            range,
            message,
            help: Some(
                "a format is Python's: `{i:>3}`, `{n:03}`, `{elapsed:.2f}`, `{task:<12}`, `{waited:8.3f}`".into(),
            ),
        })?,
    };
    Ok(Part::Var(var, spec))
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
    // What `{v}` writes, without the formatting machinery: an arrival's item is its number,
    // rendered once per arrival.
    push_u64(out, v, 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, v: &Values<'_>) -> String {
        let mut s = String::new();
        Template::parse(t).unwrap().render(&mut s, v);
        s
    }

    #[test]
    fn n_alone_is_recognised_and_renders_as_the_template_would() {
        for (t, alone) in [("{n}", true), ("{n:>3}", false), ("x{n}", false), ("{i}", false), ("{n}{n}", false)] {
            assert_eq!(Template::parse(t).unwrap().is_n(), alone, "{t}");
        }
        for n in [0, 7, 10, 12_345, u64::MAX] {
            let mut fast = String::new();
            Template::push_n(&mut fast, n);
            assert_eq!(fast, render("{n}", &Values { n, ..values() }));
        }
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
            counters: &[],
            levels: &|_| 0,
            queue_lengths: &|_| 0,
            locals: &[],
            amount: 0,
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

    /// Every expected string here is what Python 3.11 printed for `format(value, spec)` with
    /// the same values (seconds as their `float`).
    #[test]
    fn format_specs_print_as_python_does() {
        let cases = [
            ("{i:>3}", "  2"),
            ("{i:03}", "002"),
            ("{n:<4}", "17  "),
            ("{n:^6}", "  17  "),
            ("{n:*^7}", "**17***"),
            ("{n:+}", "+17"),
            ("{n:+05}", "+0017"),
            ("{n:=+6}", "+   17"),
            ("{n: 4}", "  17"),
            ("{i:d}", "2"),
            ("{count:5d}", "    5"),
            ("{n:.2f}", "17.00"),
            ("{n:08.3f}", "0017.000"),
            ("{elapsed:.2f}", "21.00"),
            ("{elapsed:8.2f}", "   21.00"),
            ("{elapsed:08.2f}", "00021.00"),
            ("{elapsed:<9.1f}", "21.0     "),
            ("{elapsed:+.3f}", "+21.005"),
            ("{sleep:f}", "3.000000"),
            ("{waited:.5f}", "0.00025"),
            ("{elapsed:_>10.2f}", "_____21.00"),
            ("{task:<14}", "producer[2]   "),
            ("{task:>14}", "   producer[2]"),
            ("{task:^15}", "  producer[2]  "),
            ("{task:.4}", "prod"),
            ("{item:s}", "job-7"),
            ("{item:-^9s}", "--job-7--"),
            ("{name:10.3}", "pro       "),
        ];
        let v = Values { n: 17, item: Some("job-7"), ..values() };
        for (t, want) in cases {
            assert_eq!(render(t, &v), want, "{t}");
        }
        for bad in ["{task:05}", "{item:+}", "{i:.2}", "{sleep:d}", "{i:s}", "{task:d}", "{n:1001}", "{n:>3x}", "{n:,}"]
        {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    /// Counters print as Python prints an int, negative ones too (what Python 3.11 printed).
    #[test]
    fn counters_print_as_python_prints_ints() {
        let cases = [
            ("{counter.c}", "-7"),
            ("{counter.c:4}", "  -7"),
            ("{counter.c:04}", "-007"),
            ("{counter.c:+}", "-7"),
            ("{counter.c:<4}|", "-7  |"),
            ("{counter.d:+04}", "+012"),
        ];
        for (t, want) in cases {
            let mut template = Template::parse(t).unwrap();
            for (_, name, _, index) in template.names_mut() {
                *index = usize::from(name == "d");
            }
            let mut s = String::new();
            template.render(&mut s, &Values { counters: &[-7, 12], ..values() });
            assert_eq!(s, want, "{t}");
        }
        assert!(Template::parse("{counter.c:.2}").is_err());
    }

    #[test]
    fn braces_must_balance() {
        assert!(Template::parse("a { b").is_err());
        assert!(Template::parse("a } b").is_err());
        assert!(Template::parse("{i:.2}").is_err());
        assert!(Template::parse("{sleep:x}").is_err());
    }
}
