//! `include = ["shared/services.toml"]`: other files' tables added to a scenario's, so that a
//! service or a set of distributions is written once and used by several scenarios.
//!
//! An included file holds tables only (`[distributions]`, `[tasks.NAME]`, …). Its text is
//! appended to the including file's, so that it is read, typed and checked exactly as if it had
//! been written there; every diagnostic inside it is mapped back to the included file, by
//! where its text starts. A path is relative to the including file's folder and may not leave
//! that folder's tree unless the file says `include-outside = true`. Includes do not nest.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::scenario::Unreadable;

/// An included file: its name as written (joined to the including file's folder), its text,
/// and where that text starts in the assembled source.
#[derive(Debug, Clone)]
pub struct Included {
    pub name: String,
    pub source: String,
    pub start: usize,
}

/// A scenario's text with its includes appended.
#[derive(Debug, Default)]
pub struct Assembled {
    pub source: String,
    /// The including file's length: what lies past it is an included file's.
    pub main_len: usize,
    pub files: Vec<Included>,
    /// Problems with the includes themselves: in the including file (`None`) or an included
    /// one (its index).
    pub diagnostics: Vec<(Option<usize>, Diagnostic)>,
}

impl Assembled {
    /// Which file a place in the assembled source is in (`None`: the including file), and the
    /// place there.
    pub fn origin(&self, span: &Range<usize>) -> (Option<usize>, Range<usize>) {
        match self.files.iter().rposition(|f| span.start >= f.start) {
            Some(k) if span.start >= self.main_len => {
                let f = &self.files[k];
                let len = f.source.len();
                let start = (span.start - f.start).min(len);
                let end = (span.end.saturating_sub(f.start)).clamp(start, len);
                (Some(k), start..end)
            }
            _ => (None, span.start.min(self.main_len)..span.end.min(self.main_len)),
        }
    }
}

/// Appends the files `main` includes, read from `dir` (the including file's folder).
pub fn assemble(main: &str, dir: &Path) -> Assembled {
    let mut out = Assembled { source: main.to_owned(), main_len: main.len(), ..Assembled::default() };
    // A file that does not parse gets its own diagnostics from the compiler.
    let Ok(document) = DeTable::parse(main) else { return out };
    let root = document.get_ref();
    let Some(list) = root.get("include") else { return out };
    let outside = matches!(root.get("include-outside").map(toml::Spanned::get_ref), Some(DeValue::Boolean(true)));
    let entries: Vec<(String, Range<usize>)> = match list.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::String(s) => Some((s.to_string(), item.span())),
                _ => {
                    let d = Diagnostic::error(DiagnosticKind::WrongType, item.span(), "an include is a file's path");
                    out.diagnostics.push((None, d.with_help("write `include = [\"shared.toml\"]`")));
                    None
                }
            })
            .collect(),
        _ => {
            let d = Diagnostic::error(DiagnosticKind::WrongType, list.span(), "`include` is a list of files' paths")
                .with_help("write `include = [\"shared.toml\"]`");
            out.diagnostics.push((None, d));
            return out;
        }
    };
    let home = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut seen: Vec<PathBuf> = Vec::new();
    for (path, span) in entries {
        let problem = |message: String, help: &str| {
            (None, Diagnostic::error(DiagnosticKind::Include, span.clone(), message).with_help(help))
        };
        let file = dir.join(&path);
        let real = match std::fs::canonicalize(&file) {
            Ok(real) => real,
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "there is no such file".to_owned()
                } else {
                    e.to_string()
                };
                out.diagnostics.push(problem(
                    format!("cannot read `{path}`: {why}"),
                    "a path is relative to the folder of the file that includes it",
                ));
                continue;
            }
        };
        if !outside && !real.starts_with(&home) {
            out.diagnostics.push(problem(
                format!("`{path}` is outside this file's folder"),
                "include files from this folder or below, or set `include-outside = true` to allow it",
            ));
            continue;
        }
        if seen.contains(&real) {
            out.diagnostics.push(problem(format!("`{path}` is included twice"), "include each file once"));
            continue;
        }
        seen.push(real.clone());
        let text = match read(&real) {
            Ok(text) => text,
            Err(message) => {
                out.diagnostics
                    .push(problem(format!("cannot include `{path}`: {message}"), "include a scenario file's tables"));
                continue;
            }
        };
        if out.source.len() + text.len() > crate::compile::MAX_SOURCE_BYTES {
            out.diagnostics.push(problem(
                format!("with `{path}`, the scenario is more than {} bytes", crate::compile::MAX_SOURCE_BYTES),
                "include smaller files",
            ));
            continue;
        }
        let index = out.files.len();
        let name = if dir == Path::new(".") { path.clone() } else { file.display().to_string() };
        // Only tables: a key at its top would belong to the including file's last table.
        let mut tables_only = true;
        if let Ok(included) = DeTable::parse(&text) {
            for (key, value) in included.get_ref() {
                let key_name = key.get_ref().to_string();
                let d = if key_name == "include" || key_name == "include-outside" {
                    Diagnostic::error(DiagnosticKind::Include, key.span(), "includes do not nest")
                        .with_help("include every file from the scenario itself")
                } else if !value.get_ref().is_table() {
                    Diagnostic::error(
                        DiagnosticKind::Include,
                        key.span(),
                        format!("an included file holds tables only, and `{key_name}` is a value"),
                    )
                    .with_help("set it in the scenario that includes this file, or put it under a `[table]`")
                } else {
                    continue;
                };
                tables_only = false;
                out.diagnostics.push((Some(index), d));
            }
        }
        if !out.source.ends_with('\n') {
            out.source.push('\n');
        }
        let start = out.source.len();
        if tables_only {
            out.source.push_str(&text);
        }
        out.files.push(Included { name, source: text, start });
    }
    out
}

/// Leaves out of `files` those another of them includes: parts of scenarios, not scenarios
/// (`scenario check DIR` and `scenario test DIR` find them in the same folders).
pub fn drop_parts(files: &mut Vec<PathBuf>) {
    let mut parts = Vec::new();
    for file in files.iter() {
        let Ok(text) = read(file) else { continue };
        let Ok(document) = DeTable::parse(&text) else { continue };
        let Some(DeValue::Array(items)) = document.get_ref().get("include").map(toml::Spanned::get_ref) else {
            continue;
        };
        let dir = crate::scenario::folder_of(file);
        for item in items {
            if let DeValue::String(s) = item.get_ref() {
                parts.extend(std::fs::canonicalize(dir.join(s.as_ref())));
            }
        }
    }
    files.retain(|f| std::fs::canonicalize(f).map_or(true, |f| !parts.contains(&f)));
}

/// An included file's text: UTF-8, and no larger than a scenario may be.
fn read(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    match crate::scenario::read_source(file).map_err(|e| e.to_string())? {
        Ok(text) => Ok(text),
        Err(Unreadable::TooLarge(_)) => Err(format!("it is more than {} bytes", crate::compile::MAX_SOURCE_BYTES)),
        Err(Unreadable::NotUtf8(_)) => Err("it is not UTF-8 text".to_owned()),
    }
}
