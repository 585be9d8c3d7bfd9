//! Diagnostics: a problem in a scenario file, located by a byte span, rendered the way a compiler
//! renders it (`file:line:col`, the source line, a caret under the span, and an optional help).

use std::fmt::Write as _;
use std::ops::Range;

/// How serious a diagnostic is. Errors stop a file from running; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Byte range in the source; an empty range points between two characters.
    pub span: Range<usize>,
    /// Lowercase, no trailing period, names in backticks.
    pub message: String,
    /// A suggestion that tells the user how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, span, message: message.into(), help: None }
    }

    pub fn warning(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, span, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
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
    pub fn render(&self, path: &str, source: &str) -> String {
        let start = char_boundary(source, self.span.start);
        let end = char_boundary(source, self.span.end.max(start));
        let (line_no, line_start) = line_of(source, start);
        let line_end = source[line_start..].find('\n').map_or(source.len(), |i| line_start + i);
        let line = source[line_start..line_end].trim_end_matches('\r');
        let col = source[line_start..start].chars().count() + 1;
        // A span that runs past its first line is underlined to the end of that line.
        let underline_end = end.min(line_start + line.len()).max(start);
        let width = source[start..underline_end].chars().count().max(1);
        let gutter = line_no.to_string().len();
        let pad = " ".repeat(gutter);
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };

        let mut out = String::new();
        let _ = writeln!(out, "{kind}: {}", self.message);
        let _ = writeln!(out, "{pad}--> {path}:{line_no}:{col}");
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line_no} | {}", line.replace('\t', " "));
        let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width));
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}

/// `offset`, clamped to `source` and moved back to the start of the character it falls in.
fn char_boundary(source: &str, offset: usize) -> usize {
    let mut at = offset.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Returns the 1-based line number of `offset` and the byte offset where that line starts.
fn line_of(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line_no, line_start)
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit (optimal
/// string alignment), so `sya` is one edit from `say`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j - 1] + cost).min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let src = "a = 1\nqueue = \"jobz\"\n";
        let d = Diagnostic::error(14..20, "unknown queue `jobz`").with_help("did you mean `jobs`?");
        assert_eq!(
            d.render("x.toml", src),
            "error: unknown queue `jobz`\n --> x.toml:2:9\n  |\n2 | queue = \"jobz\"\n  |         ^^^^^^\n  = help: did you mean `jobs`?\n"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("jobz", ["jobs", "tasks"]), Some("jobs"));
        assert_eq!(did_you_mean("xyz", ["jobs", "tasks"]), None);
        assert_eq!(did_you_mean("sya", ["sleep", "say", "steps"]), Some("say"));
    }
}
