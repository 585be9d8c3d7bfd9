//! The front door for Rust: load a scenario, choose a seed, run it, read what it printed and
//! what it adds up to.
//!
//! ```
//! use scenario::{Format, Scenario};
//!
//! let source = r#"
//!     [tasks.hello]
//!     steps = [{ sleep = "1s" }, { say = "hello at {elapsed}s" }]
//! "#;
//! let run = Scenario::from_source("hello.toml", source)?.format(Format::Plain).run();
//! assert_eq!(run.transcript, "hello at 1s\n");
//! assert_eq!(run.summary.end, 1_000_000_000);
//! # Ok::<(), scenario::Error>(())
//! ```
//!
//! A scenario kept as a regression test in a Rust crate is one insta snapshot (here inline; in
//! a `#[test]`, `insta::assert_snapshot!(run.transcript)` keeps it in a `.snap` file):
//!
//! ```
//! use scenario::{Format, Scenario};
//!
//! let run = Scenario::load("scenarios/countasync.toml")?.format(Format::Plain).run();
//! assert!(run.failure().is_none());
//! insta::assert_snapshot!(run.transcript, @r"
//! One
//! One
//! One
//! Two
//! Two
//! Two
//! countasync.py executed in 1.00 seconds.
//! ");
//! # Ok::<(), scenario::Error>(())
//! ```

use std::fmt;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::compile;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::event::Failure;
use crate::plan::{Limits, Plan};
use crate::sink::{Format, Memory, Sink, Sinks, Summary};

/// A scenario file that compiled, ready to run any number of times.
#[derive(Debug, Clone)]
pub struct Scenario {
    name: String,
    source: String,
    /// Included files (name, text) and the warnings inside them.
    included: Vec<(String, String)>,
    included_warnings: Vec<(usize, Diagnostic)>,
    /// The `--set PATH=VALUE` overrides applied to the file, in order.
    sets: Vec<String>,
    plan: Arc<Plan>,
    warnings: Vec<Diagnostic>,
    seed: u64,
    format: Format,
    limits: Limits,
}

/// What one run printed and what it adds up to.
#[derive(Debug, Clone)]
pub struct Run {
    /// Everything the run printed in the chosen [`Format`].
    pub transcript: String,
    /// Statistics and how the run ended.
    pub summary: Summary,
}

impl Run {
    /// Why the run failed, if it did.
    pub fn failure(&self) -> Option<&Failure> {
        self.summary.failure.as_ref()
    }
}

impl Scenario {
    /// The compiled plan.
    #[cfg(test)]
    pub(crate) fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Reads and compiles a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, Error> {
        Scenario::load_with(path, &[])
    }

    /// Reads and compiles a scenario file with `--set` overrides (see
    /// [`Scenario::from_source_with`]).
    pub fn load_with(path: impl AsRef<Path>, sets: &[String]) -> Result<Scenario, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|error| Error::Io { path: name.clone(), error })?;
        Scenario::read_in(name, file, sets, folder_of(path))
    }

    /// Reads and compiles a scenario from a stream (standard input, for instance); `name` is
    /// how diagnostics refer to it. At most [`crate::MAX_SOURCE_BYTES`] are read.
    pub fn read(name: impl Into<String>, input: impl Read) -> Result<Scenario, Error> {
        Scenario::read_with(name, input, &[])
    }

    /// Like [`Scenario::read`], with `--set` overrides.
    pub fn read_with(name: impl Into<String>, input: impl Read, sets: &[String]) -> Result<Scenario, Error> {
        Scenario::read_in(name, input, sets, Path::new("."))
    }

    /// Like [`Scenario::read_with`], with includes read from `dir`.
    fn read_in(name: impl Into<String>, input: impl Read, sets: &[String], dir: &Path) -> Result<Scenario, Error> {
        let name = name.into();
        let source = match read_source(input).map_err(|error| Error::Io { path: name.clone(), error })? {
            Ok(source) => source,
            Err(Unreadable::TooLarge(bytes)) => {
                return Err(Error::Invalid(Invalid {
                    name,
                    source: String::new(),
                    diagnostics: vec![compile::too_large(bytes)],
                    overrides: Vec::new(),
                    included: Vec::new(),
                }));
            }
            Err(Unreadable::NotUtf8(e)) => {
                // TOML is UTF-8: point at the first byte that is not.
                let at = e.utf8_error().valid_up_to();
                let source = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let diagnostic = Diagnostic::error(DiagnosticKind::Syntax, at..at + 1, "this is not UTF-8")
                    .with_help("a scenario file is TOML, which is UTF-8 text; save it as UTF-8");
                return Err(Error::Invalid(Invalid {
                    name,
                    source,
                    diagnostics: vec![diagnostic],
                    overrides: Vec::new(),
                    included: Vec::new(),
                }));
            }
        };
        Scenario::from_source_in(name, source, sets, dir)
    }

    /// Compiles a scenario from its text; `name` is how diagnostics refer to the file.
    pub fn from_source(name: impl Into<String>, source: impl Into<String>) -> Result<Scenario, Error> {
        Scenario::from_source_with(name, source, &[])
    }

    /// Compiles a scenario from its text with `sets` applied: each `PATH=VALUE` replaces the
    /// value at `PATH` (or adds it to a table the file writes out), as `run --set` does. The
    /// result is checked like the file itself; a mistake in an override is a diagnostic
    /// against the override's own text.
    pub fn from_source_with(
        name: impl Into<String>,
        source: impl Into<String>,
        sets: &[String],
    ) -> Result<Scenario, Error> {
        Scenario::from_source_in(name, source, sets, Path::new("."))
    }

    /// Like [`Scenario::from_source_with`], with `include`d files read from `dir`.
    pub fn from_source_in(
        name: impl Into<String>,
        source: impl Into<String>,
        sets: &[String],
        dir: &Path,
    ) -> Result<Scenario, Error> {
        use crate::overrides::{Origin, Override, apply};
        let (name, source) = (name.into(), source.into());
        let invalid = |diagnostics, overrides, included| {
            Error::Invalid(Invalid { name: name.clone(), source: source.clone(), diagnostics, overrides, included })
        };
        let mut parsed = Vec::new();
        let mut bad = Vec::new();
        for text in sets {
            match Override::parse(text) {
                Ok(o) => parsed.push(o),
                Err(message) => {
                    let d = Diagnostic::error(DiagnosticKind::Syntax, 0..text.len(), message);
                    bad.push((text.clone(), d));
                }
            }
        }
        if !bad.is_empty() {
            return Err(invalid(Vec::new(), bad, Vec::new()));
        }
        // Included files first, so that an override can reach their tables too.
        let assembled = crate::include::assemble(&source, dir);
        let patched = match apply(&assembled.source, &parsed) {
            Ok(patched) => patched,
            Err(problems) => {
                return Err(invalid(
                    Vec::new(),
                    problems.into_iter().map(|(k, d)| (parsed[k].text.clone(), d)).collect(),
                    Vec::new(),
                ));
            }
        };
        // Where a place the compiler points at is: in an override, or in the assembled text and
        // from there in the file as written (`None`) or an included file.
        let locate = |span: &Range<usize>| match patched.origin(span, &parsed) {
            Origin::Override(k, span) => Err((k, span)),
            Origin::File(span) => Ok(assembled.origin(&span)),
        };
        // Every diagnostic back where it belongs: in the file, an override or an included file.
        // Problems with the includes themselves are already placed.
        let split = |diagnostics: Vec<Diagnostic>| {
            let mut in_file = Vec::new();
            let mut in_overrides = Vec::new();
            let mut in_included = Vec::new();
            for (file, d) in &assembled.diagnostics {
                match file {
                    Some(k) => in_included.push((*k, d.clone())),
                    None => in_file.push(d.clone()),
                }
            }
            for mut d in diagnostics {
                let home = locate(&d.span);
                // A label in another file than the diagnostic's (a name declared in the file
                // and again in an included one) is told in the message, with its place.
                let mut elsewhere = Vec::new();
                d.labels.retain_mut(|l| match (locate(&l.span), &home) {
                    (Ok((file, span)), Ok((home, _))) if file == *home => {
                        l.span = span;
                        true
                    }
                    (Ok((file, span)), _) => {
                        let (name, text) = match file {
                            None => (name.as_str(), source.as_str()),
                            Some(k) => (assembled.files[k].name.as_str(), assembled.files[k].source.as_str()),
                        };
                        let (line, col) = crate::diagnostic::line_col(text, span.start);
                        let what = l.message.strip_suffix(" here").unwrap_or(&l.message);
                        elsewhere.push(format!(" ({what} at {name}:{line}:{col})"));
                        false
                    }
                    _ => false,
                });
                d.message.extend(elsewhere);
                match home {
                    Ok((None, span)) => {
                        d.span = span;
                        in_file.push(d);
                    }
                    Ok((Some(k), span)) => {
                        d.span = span;
                        in_included.push((k, d));
                    }
                    Err((k, span)) => {
                        d.span = span;
                        in_overrides.push((parsed[k].text.clone(), d));
                    }
                }
            }
            (in_file, in_overrides, in_included)
        };
        let included: Vec<(String, String)> =
            assembled.files.iter().map(|f| (f.name.clone(), f.source.clone())).collect();
        let by_file = |in_included: Vec<(usize, Diagnostic)>| {
            let mut out: Vec<(String, String, Vec<Diagnostic>)> =
                included.iter().map(|(n, s)| (n.clone(), s.clone(), Vec::new())).collect();
            for (k, d) in in_included {
                out[k].2.push(d);
            }
            out.retain(|(_, _, ds)| !ds.is_empty());
            out
        };
        let include_errors = assembled.diagnostics.iter().any(|(_, d)| d.severity == Severity::Error);
        let compiled = if include_errors { Err(Vec::new()) } else { compile::load(&patched.source) };
        match compiled {
            Ok((mut plan, warnings)) => {
                let (mut warnings, in_overrides, in_included) = split(warnings);
                // A warning about an override's value is shown at the top of the file, naming it.
                warnings.extend(in_overrides.into_iter().map(|(text, mut d)| {
                    d.message = format!("in `--set {text}`: {}", d.message);
                    d.span = 0..0;
                    d
                }));
                for t in &mut plan.thresholds {
                    t.span = match locate(&t.span) {
                        Ok((None, span)) => span,
                        _ => 0..0,
                    };
                }
                Ok(Scenario {
                    seed: plan.seed,
                    limits: plan.limits,
                    plan: Arc::new(plan),
                    warnings,
                    included_warnings: in_included,
                    included: included.clone(),
                    name,
                    source,
                    sets: sets.to_vec(),
                    format: Format::Text,
                })
            }
            Err(diagnostics) => {
                let (in_file, in_overrides, in_included) = split(diagnostics);
                Err(invalid(in_file, in_overrides, by_file(in_included)))
            }
        }
    }

    /// The statistics of a run that had no events: every queue, semaphore and task, by name.
    pub(crate) fn empty_summary(&self) -> Summary {
        let mut statistics = crate::sink::Statistics::default();
        statistics.begin(&self.plan.model(), self.seed);
        statistics.into_summary(crate::event::RunEnd::default())
    }

    /// The model as a graph (`scenario graph`): Mermaid or Graphviz DOT.
    pub fn graph(&self, format: crate::graph::GraphFormat) -> String {
        crate::graph::render(&self.plan, format)
    }

    /// `scenario report`'s HTML page of one run with the current seed: the model, a timeline,
    /// levels, waits and every metric, self-contained. `command` is shown as how it was made.
    pub fn html_report(&self, command: &str) -> String {
        crate::page::one_run(self, &self.name, command)
    }

    /// The `--set` overrides applied to the file.
    pub fn sets(&self) -> &[String] {
        &self.sets
    }

    /// Runs with `seed` instead of the file's.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Prints the transcript in `format` (default: the text timeline).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Holds runs to `limits` instead of the file's.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The seed a run will use.
    pub fn current_seed(&self) -> u64 {
        self.seed
    }

    /// The limits a run will be held to.
    pub fn current_limits(&self) -> Limits {
        self.limits
    }

    /// What `[test]` asks `scenario test` for: the seeds (the file's own if it names none) and
    /// the format of the snapshots.
    pub fn test_settings(&self) -> (Vec<u64>, Format) {
        let seeds = if self.plan.test_seeds.is_empty() { vec![self.plan.seed] } else { self.plan.test_seeds.clone() };
        (seeds, self.plan.test_format)
    }

    /// Whether `[test]` names its seeds (then each has a snapshot of its own).
    pub fn tests_several_seeds(&self) -> bool {
        !self.plan.test_seeds.is_empty()
    }

    /// The file's `[thresholds]`, in declaration order.
    pub fn thresholds(&self) -> &[crate::threshold::Threshold] {
        &self.plan.thresholds
    }

    /// Checks every threshold against a run's summary (which must have statistics: run with
    /// `statistics` set, as [`Scenario::run`] does).
    pub fn check_thresholds(&self, summary: &Summary) -> Vec<crate::threshold::Verdict> {
        crate::threshold::check_all(&self.plan.thresholds, summary)
    }

    /// The thresholds that did not hold, rendered as errors at their lines in the file.
    pub fn render_crossed(&self, verdicts: &[crate::threshold::Verdict]) -> String {
        let crossed: Vec<Diagnostic> = verdicts
            .iter()
            .filter(|v| !v.held)
            .map(|v| {
                Diagnostic::error(
                    DiagnosticKind::ThresholdCrossed,
                    v.span.clone(),
                    format!("threshold crossed: {}", v.message),
                )
            })
            .collect();
        Diagnostic::render_all(&crossed, &self.name, &self.source)
    }

    /// The 1-based line and column of a byte offset in the file, for annotations.
    pub(crate) fn line_col(&self, at: usize) -> (usize, usize) {
        Diagnostic::error(DiagnosticKind::ThresholdCrossed, at..at, "").location(&self.source)
    }

    /// The scenario's `description`.
    pub fn description(&self) -> Option<&str> {
        self.plan.description.as_deref()
    }

    /// Warnings about likely mistakes in the file itself; the scenario runs all the same. Those
    /// in included files are [`Scenario::included_warnings`].
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Warnings about likely mistakes in included files, each with the name of its file.
    pub fn included_warnings(&self) -> impl Iterator<Item = (&str, &Diagnostic)> {
        self.included_warnings.iter().map(|(k, d)| (self.included[*k].0.as_str(), d))
    }

    /// How many warnings there are, in the file and in the files it includes.
    pub fn warning_count(&self) -> usize {
        self.warnings.len() + self.included_warnings.len()
    }

    /// The warnings rendered as a compiler renders them, against the file's text (and those in
    /// included files against theirs).
    pub fn render_warnings(&self) -> String {
        let mut out = Diagnostic::render_all(&self.warnings, &self.name, &self.source);
        for (k, d) in &self.included_warnings {
            let (name, source) = &self.included[*k];
            out.push_str(&d.render(name, source));
            out.push('\n');
        }
        out
    }

    /// Runs the scenario and returns its transcript and summary.
    pub fn run(&self) -> Run {
        let memory = Memory::default();
        let sink = self.format.sink_limited(Box::new(memory.clone()), self.limits.max_output_bytes);
        let sinks: Vec<Box<dyn Sink>> = sink.into_iter().collect();
        let summary = self.run_with(sinks, true);
        Run { transcript: memory.take_string(), summary }
    }

    /// Runs the scenario, handing its events to `sinks` (the chosen format is not used), and
    /// returns its summary, with statistics when `statistics` is set or a sink needs them. Writing
    /// errors are the sinks' own: see [`Sink::end`].
    pub fn run_with(&self, sinks: Vec<Box<dyn Sink>>, statistics: bool) -> Summary {
        self.run_into(sinks, statistics).0
    }

    /// Like [`Scenario::run_with`], also returning the first error a sink had writing.
    pub(crate) fn run_into(&self, sinks: Vec<Box<dyn Sink>>, statistics: bool) -> (Summary, io::Result<()>) {
        crate::runtime::run(self.plan.clone(), self.seed, self.limits, Sinks::new(sinks, statistics))
    }
}

/// The folder a file is in, `.` for a bare file name: where its includes (or a file written
/// beside it) go.
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Why a scenario's text could not be read as one.
pub(crate) enum Unreadable {
    /// It is larger than [`compile::MAX_SOURCE_BYTES`]: this many bytes were read (at most one
    /// past the limit).
    TooLarge(u64),
    NotUtf8(std::string::FromUtf8Error),
}

/// Reads a scenario's text (or an included file's). One byte past the limit is read, so that a
/// larger file, or an endless stream, is refused without being read whole.
pub(crate) fn read_source(input: impl Read) -> io::Result<Result<String, Unreadable>> {
    let mut bytes = Vec::new();
    input.take(compile::MAX_SOURCE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(if bytes.len() > compile::MAX_SOURCE_BYTES {
        Err(Unreadable::TooLarge(bytes.len() as u64))
    } else {
        String::from_utf8(bytes).map_err(Unreadable::NotUtf8)
    })
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    Io { path: String, error: io::Error },
    /// The file has errors.
    Invalid(Invalid),
}

/// A scenario file with errors: every diagnostic found, and the text they point into.
#[derive(Debug)]
pub struct Invalid {
    pub name: String,
    pub source: String,
    /// Errors and warnings in the file, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Errors and warnings in `--set` overrides: each override's text, and a diagnostic
    /// against it.
    pub overrides: Vec<(String, Diagnostic)>,
    /// Errors and warnings in included files: each file's name, text and diagnostics.
    pub included: Vec<(String, String, Vec<Diagnostic>)>,
}

impl Invalid {
    /// How many of the diagnostics are errors.
    pub fn errors(&self) -> usize {
        let in_overrides = self.overrides.iter().map(|(_, d)| d);
        let in_included = self.included.iter().flat_map(|(_, _, ds)| ds);
        self.diagnostics.iter().chain(in_overrides).chain(in_included).filter(|d| d.severity == Severity::Error).count()
    }

    /// Every diagnostic rendered as a compiler renders it: the file's against the file, an
    /// override's against its `--set` text.
    pub fn render(&self) -> String {
        let mut out = Diagnostic::render_all(&self.diagnostics, &self.name, &self.source);
        for (name, source, diagnostics) in &self.included {
            out.push_str(&Diagnostic::render_all(diagnostics, name, source));
        }
        for (text, d) in &self.overrides {
            out.push_str(&d.render("--set", text));
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, error } => write!(f, "cannot read `{path}`: {error}"),
            Error::Invalid(invalid) => {
                f.write_str(&invalid.render())?;
                let errors = invalid.errors();
                let s = if errors == 1 { "" } else { "s" };
                write!(f, "error: `{}` has {errors} error{s}", invalid.name)
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { error, .. } => Some(error),
            Error::Invalid(_) => None,
        }
    }
}
