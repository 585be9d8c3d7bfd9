//! Diagnostics: a problem in a scenario file, located by a byte span, rendered the way a compiler
//! renders it (`file:line:col`, the source line, a caret under the span, and an optional help).

use std::fmt::Write as _;

use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// How serious a diagnostic is. Errors stop a file from running; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of problem a diagnostic reports, so that tools and tests can tell problems apart
/// without reading messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    // Reading the file.
    /// The file is not valid TOML.
    Syntax,
    /// A key the format does not have: a typo, or a key under the wrong table.
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type, such as a number where a duration is expected.
    WrongType,
    /// An included file that cannot be read, is outside the including file's folder, or holds
    /// more than tables.
    Include,
    /// Tables or arrays nested too deeply.
    TooDeep,
    /// The file is larger than scenario files may be.
    TooLarge,
    // Names.
    /// A name declared twice in one namespace.
    Duplicate,
    /// A name that is not a usable identifier.
    InvalidName,
    /// A reference to a name nothing declares.
    UnknownName(Namespace),
    // Steps.
    /// A step with no kind key.
    NoStepKind,
    /// A step with more than one kind key.
    TwoStepKinds,
    /// A modifier on a kind of step it does not go with.
    MisplacedKey,
    /// A step that runs a block has none.
    MissingBlock,
    /// The file declares nothing to run.
    NothingToRun,
    // Values.
    /// A number outside what the key allows (a count, a capacity, a probability...).
    OutOfRange,
    /// A duration that does not parse, has no unit, or is negative.
    InvalidDuration,
    /// A distribution table that is not a valid distribution.
    InvalidDistribution,
    /// A message template that does not parse.
    InvalidTemplate,
    /// A count expression that does not parse or evaluates out of range.
    InvalidExpression,
    /// A value that is none of those the key accepts, such as an unknown `policy`.
    InvalidValue,
    /// A threshold on a metric the file does not have.
    UnknownMetric,
    // Running.
    /// A run's statistic crossed one of the file's thresholds.
    ThresholdCrossed,
    // Warnings: likely mistakes in a scenario that still runs.
    /// A declaration nothing uses.
    Unused,
    /// A queue only put on or only got from, or an event waited for that nothing sets.
    OneSided,
    /// A task or arrivals source nothing starts.
    NeverStarted,
    /// A wait longer than the run's time limit.
    PastTimeLimit,
    /// A task awaited that repeats forever and is never cancelled.
    RunsForever,
    /// A task started with `start` and started again by `gather` or `race`.
    StartedTwice,
    /// A rate that is rounded to the nanosecond.
    Rounded,
}

/// The namespaces a name can be declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Queue,
    Semaphore,
    Event,
    Barrier,
    RateLimit,
    /// Tasks and arrivals sources share one namespace.
    Task,
    Distribution,
    Counter,
    Container,
}

impl Namespace {
    pub const ALL: [Namespace; 9] = [
        Namespace::Queue,
        Namespace::Semaphore,
        Namespace::Event,
        Namespace::Barrier,
        Namespace::RateLimit,
        Namespace::Task,
        Namespace::Distribution,
        Namespace::Counter,
        Namespace::Container,
    ];

    /// What one entry is called in messages: `queue`, `rate limit`.
    pub fn what(self) -> &'static str {
        match self {
            Namespace::Queue => "queue",
            Namespace::Semaphore => "semaphore",
            Namespace::Event => "event",
            Namespace::Barrier => "barrier",
            Namespace::RateLimit => "rate limit",
            Namespace::Task => "task",
            Namespace::Distribution => "distribution",
            Namespace::Counter => "counter",
            Namespace::Container => "container",
        }
    }

    /// The table entries are declared under: `queues`, `rate-limits`.
    pub fn table(self) -> &'static str {
        match self {
            Namespace::Queue => "queues",
            Namespace::Semaphore => "semaphores",
            Namespace::Event => "events",
            Namespace::Barrier => "barriers",
            Namespace::RateLimit => "rate-limits",
            Namespace::Task => "tasks",
            Namespace::Distribution => "distributions",
            Namespace::Counter => "counters",
            Namespace::Container => "containers",
        }
    }
}

/// A secondary place a diagnostic points at, with what it is: "first declared here".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Range<usize>,
    pub message: String,
}

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: DiagnosticKind,
    /// Byte range in the source; an empty range points between two characters.
    pub span: Range<usize>,
    /// Lowercase, no trailing period, names in backticks.
    pub message: String,
    /// A suggestion that tells the user how to fix it.
    pub help: Option<String>,
    /// Other places that explain this one.
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn error(kind: DiagnosticKind, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, kind, span, message: message.into(), help: None, labels: Vec::new() }
    }

    pub fn warning(kind: DiagnosticKind, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, kind, span, message: message.into(), help: None, labels: Vec::new() }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, span: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    /// Renders the diagnostic against the file it was found in:
    ///
    /// ```text
    /// error: unknown queue `jobz`
    ///   --> scenarios/x.toml:12:14
    ///    |
    /// 12 |   { get = "jobz" },
    ///    |           ^^^^^^
    ///    = help: did you mean `jobs`?
    /// ```
    ///
    /// Each label follows as a snippet of its own, introduced by `:::`.
    pub fn render(&self, path: &str, source: &str) -> String {
        self.render_in(path, &Source::new(source))
    }

    /// Renders every diagnostic against one file, reading the file's lines once.
    pub fn render_all<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>, path: &str, source: &str) -> String {
        let source = Source::new(source);
        diagnostics.into_iter().map(|d| d.render_in(path, &source) + "\n").collect()
    }

    fn render_in(&self, path: &str, source: &Source<'_>) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let primary = source.snippet(&self.span);
        let gutter = self
            .labels
            .iter()
            .map(|l| source.snippet(&l.span).line_no)
            .chain([primary.line_no])
            .max()
            .unwrap_or(1)
            .to_string()
            .len();
        let pad = " ".repeat(gutter);

        let mut out = String::new();
        let _ = writeln!(out, "{kind}: {}", printable(&self.message));
        let _ = writeln!(out, "{pad}--> {path}:{}:{}", primary.line_no, primary.col);
        primary.write(&mut out, gutter, '^', "");
        for label in &self.labels {
            let snippet = source.snippet(&label.span);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{pad}::: {path}:{}:{}", snippet.line_no, snippet.col);
            snippet.write(&mut out, gutter, '-', &label.message);
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {}", printable(help));
        }
        out
    }
}

/// Text from a file, safe to print to a terminal: control characters (an escape sequence, a
/// carriage return) become `\u{..}` escapes, so a file cannot steer the terminal that shows
/// its diagnostics.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.into();
    }
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { format!("\\u{{{:x}}}", u32::from(c)) } else { c.to_string() })
        .collect::<String>()
        .into()
}

/// The most characters of a source line a diagnostic shows.
const MAX_SHOWN: usize = 120;

/// The source line a span starts on, and where on it the span is.
struct Snippet<'a> {
    line_no: usize,
    col: usize,
    line: &'a str,
    /// How many characters to underline.
    width: usize,
}

/// A file's text and where each of its lines starts, found once for all its diagnostics.
struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Source { text, line_starts }
    }

    fn snippet(&self, span: &Range<usize>) -> Snippet<'a> {
        let source = self.text;
        let start = char_boundary(source, span.start);
        let end = char_boundary(source, span.end.max(start));
        let line = self.line_starts.partition_point(|&s| s <= start).max(1);
        let (line_no, line_start) = (line, self.line_starts[line - 1]);
        let line_end = source[line_start..].find('\n').map_or(source.len(), |i| line_start + i);
        let line = source[line_start..line_end].trim_end_matches('\r');
        let col = source[line_start..start].chars().count() + 1;
        // A span that runs past its first line is underlined to the end of that line.
        let underline_end = end.min(line_start + line.len()).max(start);
        let width = source[start..underline_end].chars().count().max(1);
        Snippet { line_no, col, line, width }
    }
}

impl Snippet<'_> {
    /// Writes the line and its underline (`^^^` or `---`, then `note`). A line longer than
    /// [`MAX_SHOWN`] characters is shown as a window around the span, with `…` where it is cut.
    fn write(&self, out: &mut String, gutter: usize, mark: char, note: &str) {
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad} |");
        // One character for one: a control character shows as `�`, so the caret stays aligned.
        let chars: Vec<char> = self
            .line
            .chars()
            .map(|c| {
                if c == '\t' {
                    ' '
                } else if c.is_control() {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        let (mut col, mut width) = (self.col - 1, self.width);
        let mut shown: String = chars.iter().collect();
        if chars.len() > MAX_SHOWN {
            let from = col.saturating_sub(MAX_SHOWN / 4).min(chars.len() - MAX_SHOWN);
            let to = from + MAX_SHOWN;
            shown = chars[from..to].iter().collect();
            if from > 0 {
                shown.insert(0, '…');
                col = col - from + 1;
            } else {
                col -= from;
            }
            if to < chars.len() {
                shown.push('…');
            }
            width = width.min(MAX_SHOWN - (col.min(MAX_SHOWN)));
        }
        // An empty line leaves no space after the bar: no trailing blank in the output.
        let sep = if shown.is_empty() { "" } else { " " };
        let _ = writeln!(out, "{:>gutter$} |{sep}{shown}", self.line_no);
        // Columns on a terminal, not characters: a wide character (`日`) takes two.
        let shown: Vec<char> = shown.chars().collect();
        let columns = |cs: &[char]| cs.iter().map(|&c| UnicodeWidthChar::width(c).unwrap_or(0)).sum::<usize>();
        let lead = columns(&shown[..col.min(shown.len())]);
        let under = columns(&shown[col.min(shown.len())..(col + width).min(shown.len())]).max(1);
        let marks: String = std::iter::repeat_n(mark, under).collect();
        let note = if note.is_empty() { String::new() } else { format!(" {note}") };
        let _ = writeln!(out, "{pad} | {}{marks}{note}", " ".repeat(lead));
    }
}

/// Colours rendered diagnostics for a terminal: the severity, the location, the carets and the
/// help. The plain text stays the reference (snapshots and files never get colour).
pub fn colorize(rendered: &str) -> String {
    const RED: &str = "\x1b[1;31m";
    const YELLOW: &str = "\x1b[1;33m";
    const BLUE: &str = "\x1b[1;34m";
    const CYAN: &str = "\x1b[36m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(rendered.len() + 64);
    let mut accent = RED;
    for line in rendered.split_inclusive('\n') {
        let (text, end) = line.strip_suffix('\n').map_or((line, ""), |t| (t, "\n"));
        if let Some(rest) = text.strip_prefix("error:") {
            accent = RED;
            let _ = write!(out, "{RED}error{RESET}\x1b[1m:{rest}{RESET}");
        } else if let Some(rest) = text.strip_prefix("warning:") {
            accent = YELLOW;
            let _ = write!(out, "{YELLOW}warning{RESET}\x1b[1m:{rest}{RESET}");
        } else if let Some((gutter, rest)) = text.split_once(" | ") {
            let marks = !rest.trim().is_empty() && rest.trim().chars().all(|c| c == '^' || c == '-' || c == ' ');
            let underline = rest.trim_start().starts_with(['^', '-']) && rest.contains(['^', '-']) && marks;
            if underline || (rest.trim_start().starts_with(['^', '-']) && gutter.trim().is_empty()) {
                let _ = write!(out, "{BLUE}{gutter} |{RESET} {accent}{rest}{RESET}");
            } else {
                let _ = write!(out, "{BLUE}{gutter} |{RESET} {rest}");
            }
        } else if text.trim_start().starts_with("-->")
            || text.trim_start().starts_with(":::")
            || text.trim_end().ends_with(" |")
        {
            let _ = write!(out, "{BLUE}{text}{RESET}");
        } else if let Some((pad, help)) = text.split_once("= help:") {
            let _ = write!(out, "{pad}{CYAN}= help:{RESET}{help}");
        } else {
            out.push_str(text);
        }
        out.push_str(end);
    }
    out
}

/// `offset`, clamped to `source` and moved back to the start of the character it falls in.
fn char_boundary(source: &str, offset: usize) -> usize {
    let mut at = offset.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Names longer than this get no suggestion: nobody mistypes a 65-character name, and the work
/// of comparing names grows with the square of their length.
const MAX_SUGGESTED_NAME: usize = 64;

/// The 1-based line and column of byte `at` in `source` (columns in characters; an `at` inside
/// a character or past the end counts from the character or end before it).
pub(crate) fn line_col(source: &str, at: usize) -> (usize, usize) {
    let before = &source[..char_boundary(source, at)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.chars().count();
    if len > MAX_SUGGESTED_NAME {
        return None;
    }
    let limit = (len / 3).max(1);
    let name: Vec<char> = name.chars().collect();
    candidates
        .into_iter()
        // A length difference is a lower bound of the distance: skip the hopeless at once.
        .filter(|c| c.len() <= 4 * MAX_SUGGESTED_NAME && c.chars().count().abs_diff(len) <= limit)
        .map(|c| (edit_distance(&name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit (optimal
/// string alignment), so `sya` is one edit from `say`. Three rows of the table, not all of it.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (last[j - 1] + cost).min(last[j] + 1).min(row[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        std::mem::swap(&mut before, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    last[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let src = "a = 1\nqueue = \"jobz\"\n";
        let d = Diagnostic::error(DiagnosticKind::UnknownName(Namespace::Queue), 14..20, "unknown queue `jobz`")
            .with_help("did you mean `jobs`?");
        assert_eq!(
            d.render("x.toml", src),
            "error: unknown queue `jobz`\n --> x.toml:2:9\n  |\n2 | queue = \"jobz\"\n  |         ^^^^^^\n  = help: did you mean `jobs`?\n"
        );
    }

    #[test]
    fn labels_point_at_other_places() {
        let src = "[tasks.a]\nsteps = []\n[arrivals.a]\n";
        let d = Diagnostic::error(DiagnosticKind::Duplicate, 31..32, "task `a` is declared twice")
            .with_label(7..8, "first declared here");
        assert_eq!(
            d.render("x.toml", src),
            "error: task `a` is declared twice\n --> x.toml:3:11\n  |\n3 | [arrivals.a]\n  |           ^\n  |\n ::: x.toml:1:8\n  |\n1 | [tasks.a]\n  |        - first declared here\n"
        );
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_span() {
        let src = format!("x = \"{}BAD{}\"\n", "a".repeat(500), "b".repeat(500));
        let at = src.find("BAD").unwrap();
        let d = Diagnostic::error(DiagnosticKind::Syntax, at..at + 3, "bad");
        let rendered = d.render("x.toml", &src);
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines[1].ends_with("x.toml:1:506"), "{rendered}");
        assert!(lines[3].chars().count() < 140, "{rendered}");
        let caret = lines[4].chars().position(|c| c == '^').unwrap();
        let under: String = lines[3].chars().skip(caret).take(3).collect();
        assert_eq!(under, "BAD", "{rendered}");
    }

    #[test]
    fn carets_line_up_under_wide_characters() {
        let src = "say = \"日本語\" + oops\n";
        let at = src.find("oops").unwrap();
        let d = Diagnostic::error(DiagnosticKind::Syntax, at..at + 4, "bad");
        let rendered = d.render("x.toml", src);
        let lines: Vec<&str> = rendered.lines().collect();
        // `日本語` takes six columns on a terminal: the carets sit three columns further right.
        assert_eq!(lines[4], "  |                  ^^^^", "{rendered}");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("jobz", ["jobs", "tasks"]), Some("jobs"));
        assert_eq!(did_you_mean("xyz", ["jobs", "tasks"]), None);
        assert_eq!(did_you_mean("sya", ["sleep", "say", "steps"]), Some("say"));
        assert_eq!(did_you_mean("consumre", ["consumer", "producer"]), Some("consumer"));
        assert_eq!(did_you_mean(&"x".repeat(30_000), ["x"]), None, "a huge name costs nothing");
    }
}
