//! `--set PATH=VALUE`: values of a scenario file replaced (or added) from the command line,
//! before the file is read, so that an override is typed and checked exactly like the file.
//!
//! An override edits the file's text: the value at `PATH` is replaced by `VALUE`, or a key
//! missing from a table the file writes out is added to it. The compiler then reads the edited
//! text, and every diagnostic is mapped back: one inside an edit points at the override on the
//! command line (`--set:1:20`), any other at its place in the file as written.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, DiagnosticKind, did_you_mean};

/// One `--set PATH=VALUE`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The argument as given: `tasks.server.count=8`.
    pub text: String,
    /// The path's keys: `["tasks", "server", "count"]`; a number indexes an array.
    path: Vec<String>,
    /// Where the value starts in `text`.
    value_at: usize,
    /// The value as TOML: as written when it is TOML (`8`, `"2s"`, `{ exponential = "2s" }`,
    /// `[1, 2]`, `true`), else as a string (`2s` becomes `"2s"`).
    toml: String,
}

impl Override {
    /// Parses `PATH=VALUE`. The path's keys are separated by dots; a key holding a dot or a
    /// space is quoted, as in TOML (`tasks."my.task".count=2`).
    pub fn parse(text: &str) -> Result<Override, String> {
        let Some((path_text, value)) = text.split_once('=') else {
            return Err(format!("`{text}` is not PATH=VALUE (as in `tasks.server.count=8`)"));
        };
        let path =
            split_path(path_text.trim()).ok_or_else(|| format!("`{}` is not a path of keys", path_text.trim()))?;
        if value.contains(['\n', '\r']) {
            return Err(format!("the value of `{}` is on more than one line; write it on one", path_text.trim()));
        }
        let trimmed = value.trim();
        let toml = if is_toml_value(trimmed) { trimmed.to_owned() } else { toml_string(trimmed) };
        let value_at = text.len() - value.trim_start().len();
        Ok(Override { text: text.to_owned(), path, value_at, toml })
    }

    /// The path as written, dotted.
    pub fn path(&self) -> String {
        self.path.join(".")
    }
}

/// Whether `text` is a TOML value on its own.
fn is_toml_value(text: &str) -> bool {
    !text.is_empty() && DeTable::parse(&format!("v = {text}")).is_ok()
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits a dotted path into keys; quoted keys may hold dots.
fn split_path(text: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let (key, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')?;
            (quoted[..end].to_owned(), &quoted[end + 1..])
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let key = rest[..end].trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return None;
            }
            (key.to_owned(), &rest[end..])
        };
        keys.push(key);
        let after = after.trim_start();
        if after.is_empty() {
            return Some(keys);
        }
        rest = after.strip_prefix('.')?;
    }
}

/// A key as TOML writes it: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// One edit of the file's text.
#[derive(Debug, Clone)]
struct Edit {
    /// The bytes of the original text it replaces (empty for an insertion).
    old: Range<usize>,
    /// What it puts there.
    new: String,
    /// Where the override's value is inside `new`.
    value_in_new: usize,
    /// Which override made it.
    by: usize,
}

/// A file's text with overrides applied, and how to map places in it back.
#[derive(Debug, Clone, Default)]
pub struct Patched {
    pub source: String,
    /// The edits, in the order of the text, with where each landed in `source`.
    edits: Vec<(Edit, Range<usize>)>,
}

/// Where a place in the edited text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file as written.
    File(Range<usize>),
    /// The override with this index, at this range of its text.
    Override(usize, Range<usize>),
}

impl Patched {
    /// Where `span` of the edited text came from.
    pub fn origin(&self, span: &Range<usize>, overrides: &[Override]) -> Origin {
        let mut shift: isize = 0;
        for (edit, landed) in &self.edits {
            if span.start >= landed.start && span.start < landed.end.max(landed.start + 1) {
                let o = &overrides[edit.by];
                let value = landed.start + edit.value_in_new;
                // Inside the value: the same place in the argument; elsewhere in the edit (the
                // key written for an insertion): the whole argument.
                let start = span.start.checked_sub(value).map(|d| o.value_at + d);
                return match start {
                    Some(start) if start < o.text.len() => {
                        let end = (start + span.len()).min(o.text.len()).max(start);
                        Origin::Override(edit.by, start..end)
                    }
                    _ => Origin::Override(edit.by, 0..o.text.len()),
                };
            }
            if span.start >= landed.end {
                shift += landed.len() as isize - edit.old.len() as isize;
            }
        }
        let start = (span.start as isize - shift).max(0) as usize;
        let end = (span.end as isize - shift).max(start as isize) as usize;
        Origin::File(start..end)
    }
}

/// Applies `overrides` to `source`, in order; a later override of the same path wins. Returns
/// the edited text, or a diagnostic for each override whose path is not in the file, against
/// the override's own text.
pub fn apply(source: &str, overrides: &[Override]) -> Result<Patched, Vec<(usize, Diagnostic)>> {
    if overrides.is_empty() {
        return Ok(Patched { source: source.to_owned(), edits: Vec::new() });
    }
    // A file that does not parse gets its own diagnostics from the compiler, unedited.
    let Ok(document) = DeTable::parse(source) else {
        return Ok(Patched { source: source.to_owned(), edits: Vec::new() });
    };
    let root = document.get_ref();
    let mut edits: Vec<Edit> = Vec::new();
    let mut problems = Vec::new();
    for (by, o) in overrides.iter().enumerate() {
        match edit_for(source, root, o, by) {
            Ok(edit) => {
                // The same place set twice: the later one wins.
                edits.retain(|e| e.old != edit.old || (e.old.is_empty() && e.new != edit.new));
                edits.push(edit);
            }
            Err(d) => problems.push((by, d)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    edits.sort_by_key(|e| (e.old.start, e.by));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    let mut landed = Vec::new();
    for edit in edits {
        if edit.old.start < at {
            // Overlapping edits (a table replaced and a key inside it): the later override
            // was applied to text the earlier replaced; keep the one given last.
            continue;
        }
        out.push_str(&source[at..edit.old.start]);
        let start = out.len();
        out.push_str(&edit.new);
        at = edit.old.end;
        landed.push((edit, start..out.len()));
    }
    out.push_str(&source[at..]);
    Ok(Patched { source: out, edits: landed })
}

/// The edit one override makes.
fn edit_for(source: &str, root: &DeTable<'_>, o: &Override, by: usize) -> Result<Edit, Diagnostic> {
    let path_span = 0..o.text.find('=').unwrap_or(o.text.len());
    let error = |message: String| Diagnostic::error(DiagnosticKind::UnknownKey, path_span.clone(), message);
    // `--set workers=8` for `params.workers`, when the file has that parameter.
    let params: Vec<String> = match root.get("params").map(toml::Spanned::get_ref) {
        Some(DeValue::Table(t)) => t.keys().map(|k| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    };
    let path = match o.path.as_slice() {
        [key] if !crate::format::TOP_LEVEL_KEYS.contains(&key.as_str()) && params.contains(key) => {
            vec!["params".to_owned(), key.clone()]
        }
        [key] if !crate::format::TOP_LEVEL_KEYS.contains(&key.as_str()) => {
            if let Some(p) = did_you_mean(key, params.iter().map(String::as_str)) {
                return Err(
                    error(format!("`{key}` is not a parameter of the file")).with_help(format!("did you mean `{p}`?"))
                );
            }
            o.path.clone()
        }
        _ => o.path.clone(),
    };
    let mut current: Option<&toml::Spanned<DeValue<'_>>> = None;
    for (i, key) in path.iter().enumerate() {
        let walked = path[..i].join(".");
        let last = i + 1 == path.len();
        let (table, table_span) = match current.map(|v| (v.get_ref(), v.span())) {
            None => (root, None),
            Some((DeValue::Table(t), span)) => (t, Some(span)),
            Some((DeValue::Array(items), _)) => {
                let Ok(k) = key.parse::<usize>() else {
                    return Err(error(format!("`{walked}` is an array: index it with a number, as in `{walked}.0`")));
                };
                let Some(item) = items.get(k) else {
                    return Err(error(format!(
                        "`{walked}` has {} items, counted from 0; there is no {k}",
                        items.len()
                    )));
                };
                current = Some(item);
                continue;
            }
            Some(_) => return Err(error(format!("`{walked}` is a value, not a table: it has no `{key}`"))),
        };
        match table.get(key.as_str()) {
            Some(value) => current = Some(value),
            // A table the file does not have, at the top (`thresholds`, `distributions`): add it
            // with a dotted key at the top of the file.
            None if i == 0 && !last && crate::format::TOP_LEVEL_KEYS.contains(&key.as_str()) => {
                return insertion(source, None, &path, 0, o, by).ok_or_else(|| error(String::new()));
            }
            None if last => {
                // A key missing from a table: add it, if the file writes the table out.
                return insertion(source, table_span, &path, i, o, by).ok_or_else(|| {
                    error(format!("`{}` is not in the file, and `--set` cannot add it there", o.path())).with_help(
                        format!(
                            "write `[{walked}]` in the file as a table of its own; then `--set` can add keys to it"
                        ),
                    )
                });
            }
            None => {
                let here: Vec<&str> = table.keys().map(|k| k.get_ref().as_ref()).collect();
                let message = if walked.is_empty() {
                    format!("the file has no `{key}`")
                } else {
                    format!("`{walked}` has no `{key}`")
                };
                let mut d = error(message);
                if let Some(m) = did_you_mean(key, here.iter().copied()) {
                    let fixed = if walked.is_empty() { m.to_owned() } else { format!("{walked}.{m}") };
                    d = d.with_help(format!("did you mean `{fixed}`?"));
                } else if !here.is_empty() {
                    let keys: Vec<String> = here.iter().map(|k| format!("`{k}`")).collect();
                    d = d.with_help(format!("it has {}", keys.join(", ")));
                }
                return Err(d);
            }
        }
    }
    let target = current.map_or(0..0, toml::Spanned::span);
    Ok(Edit { old: target, new: o.toml.clone(), value_in_new: 0, by })
}

/// Adds `key = value` for an override whose key `path[from]` is missing (the keys after it
/// written dotted): into an inline table before its `}`, into the top of the file, or after the
/// header of a table the file writes out (`[tasks.server]`). `None` when the table has no
/// place to write it.
fn insertion(
    source: &str,
    table: Option<Range<usize>>,
    path: &[String],
    from: usize,
    o: &Override,
    by: usize,
) -> Option<Edit> {
    let key = path[from..].iter().map(|k| toml_key(k)).collect::<Vec<_>>().join(".");
    let Some(span) = table else {
        // The top level: first line of the file, before any table header.
        let new = format!("{key} = {}\n", o.toml);
        return Some(Edit { old: 0..0, value_in_new: key.len() + 3, new, by });
    };
    let text = source.get(span.clone())?;
    if text.starts_with('{') && text.ends_with('}') {
        let inner = text[1..text.len() - 1].trim();
        let (prefix, at) = (if inner.is_empty() { " " } else { ", " }, span.end - 1);
        let new = format!("{prefix}{key} = {}", o.toml);
        let before = source[..at].trim_end().len();
        return Some(Edit { old: before..before, value_in_new: prefix.len() + key.len() + 3, new, by });
    }
    // A standard table: find its header line.
    let parents = &path[..from];
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim();
        let header = trimmed.strip_prefix('[').filter(|t| !t.starts_with('['));
        if let Some(inner) = header.and_then(|h| h.split(']').next()) {
            if split_path(inner).as_deref() == Some(parents) {
                let end = offset + line.trim_end_matches(['\n', '\r']).len();
                let new = format!("\n{key} = {}", o.toml);
                return Some(Edit { old: end..end, value_in_new: 1 + key.len() + 3, new, by });
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(source: &str, args: &[&str]) -> Result<String, String> {
        let overrides: Vec<Override> = args.iter().map(|a| Override::parse(a).unwrap()).collect();
        apply(source, &overrides)
            .map(|p| p.source)
            .map_err(|e| e.iter().map(|(k, d)| d.render("--set", &overrides[*k].text)).collect())
    }

    const FILE: &str = "seed = 1\n[queues.line]\n[tasks.server]\ncount = 3\nsteps = [{ sleep = \"1s\" }]\n";

    #[test]
    fn values_are_replaced_in_place() {
        let out = set(FILE, &["tasks.server.count=8", "seed=7"]).unwrap();
        assert_eq!(out, FILE.replace("count = 3", "count = 8").replace("seed = 1", "seed = 7"));
        let out = set(FILE, &["tasks.server.steps.0.sleep=2s"]).unwrap();
        assert!(out.contains("steps = [{ sleep = \"2s\" }]"), "{out}");
    }

    #[test]
    fn missing_keys_are_added_to_tables_the_file_writes() {
        let out = set(FILE, &["queues.line.capacity=2"]).unwrap();
        assert!(out.contains("[queues.line]\ncapacity = 2\n"), "{out}");
        let out = set(FILE, &["time-limit=1h"]).unwrap();
        assert!(out.starts_with("time-limit = \"1h\"\nseed = 1"), "{out}");
        let out = set(FILE, &["thresholds.\"queue.line.wait.p99\"=< 2s"]).unwrap();
        assert!(out.starts_with("thresholds.\"queue.line.wait.p99\" = \"< 2s\"\nseed = 1"), "{out}");
        let out = set(FILE, &["tasks.server.steps.0.say=hi"]).unwrap();
        assert!(out.contains("{ sleep = \"1s\", say = \"hi\" }"), "{out}");
    }

    #[test]
    fn unknown_paths_are_diagnostics_with_suggestions() {
        let err = set(FILE, &["tasks.sever.count=2"]).unwrap_err();
        assert!(err.contains("`tasks` has no `sever`") && err.contains("did you mean `tasks.server`?"), "{err}");
        assert!(err.contains("--> --set:1:1"), "{err}");
        let err = set(FILE, &["seed.x=2"]).unwrap_err();
        assert!(err.contains("`seed` is a value, not a table"), "{err}");
    }

    #[test]
    fn places_map_back_to_the_file_or_the_override() {
        let overrides = vec![Override::parse("time-limit=1x").unwrap()];
        let p = apply(FILE, &overrides).unwrap();
        let value = p.source.find("\"1x\"").unwrap();
        assert_eq!(p.origin(&(value..value + 4), &overrides), Origin::Override(0, 11..13));
        let count = p.source.find("count").unwrap();
        assert_eq!(
            p.origin(&(count..count + 5), &overrides),
            Origin::File(FILE.find("count").unwrap()..FILE.find("count").unwrap() + 5)
        );
    }

    #[test]
    fn paths_and_values_parse() {
        assert!(Override::parse("no-equals").is_err());
        assert!(Override::parse("a..b=1").is_err());
        let o = Override::parse("tasks.\"my.task\".count = 2").unwrap();
        assert_eq!((o.path(), o.toml.as_str()), ("tasks.my.task.count".to_owned(), "2"));
        assert_eq!(Override::parse("d={ exponential = \"2s\" }").unwrap().toml, "{ exponential = \"2s\" }");
        assert_eq!(Override::parse("t=2s").unwrap().toml, "\"2s\"");
    }
}
