//! `scenario test`: snapshot tests of scenario files, for a project's own CI, with no Rust.
//!
//! Each scenario file found runs with its own seed, and its timeline is compared with a stored
//! snapshot in insta's file format (`snapshots/NAME.snap` beside the file, or in the folder
//! `--snapshots` names), so that `cargo insta review` and `cargo insta accept` work on them. What
//! is written follows insta's rules: `INSTA_UPDATE=always` (or `--accept`) writes the snapshot
//! itself, `new` writes `NAME.snap.new` beside it, `no` writes nothing, and `auto` (the default)
//! is `new` except on CI (the `CI` variable set), where nothing is written. A missing snapshot
//! fails the test unless it is accepted.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::scenario::{Error, Scenario};

/// How `scenario test` is run.
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Where snapshots are; by default `snapshots/` beside each scenario file.
    pub snapshots: Option<PathBuf>,
    pub accept: bool,
    pub jobs: usize,
    pub junit: Option<PathBuf>,
    pub color: bool,
}

/// What the environment says about writing snapshots and reporting.
pub struct Environment {
    /// `INSTA_UPDATE`, if set.
    pub insta_update: Option<String>,
    /// Whether the `CI` variable is set.
    pub ci: bool,
    /// Whether this runs under GitHub Actions: failures are also printed as annotations.
    pub github: bool,
}

impl Environment {
    pub fn from_process() -> Self {
        let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        Environment {
            insta_update: std::env::var("INSTA_UPDATE").ok(),
            ci: set("CI"),
            github: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        }
    }

    /// What to write when a snapshot is missing or differs.
    fn update(&self, accept: bool) -> Update {
        if accept {
            return Update::Accept;
        }
        match self.insta_update.as_deref() {
            Some("always") => Update::Accept,
            Some("new") => Update::New,
            Some("no") => Update::Nothing,
            _ if self.ci => Update::Nothing,
            _ => Update::New,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Update {
    /// Write the snapshot itself.
    Accept,
    /// Write `NAME.snap.new` for review.
    New,
    Nothing,
}

/// How one scenario file fared.
enum Verdict {
    Passed,
    Accepted,
    /// No snapshot yet; `written` says where the new one went, if anywhere.
    Missing {
        written: Option<PathBuf>,
    },
    Changed {
        diff: String,
        written: Option<PathBuf>,
    },
    Invalid {
        rendered: String,
        first: Option<(usize, usize, String)>,
    },
    /// The run crossed a threshold of the file's; its snapshot is not compared.
    Crossed {
        rendered: String,
        first: Option<(usize, usize, String)>,
    },
    /// The run failed (a deadlock, a limit); its snapshot is not compared.
    RunFailed {
        message: String,
    },
    Io {
        message: String,
    },
}

impl Verdict {
    fn passed(&self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Accepted)
    }

    fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "ok",
            Verdict::Accepted => "accepted",
            Verdict::Missing { .. } => "FAILED (no snapshot)",
            Verdict::Changed { .. } => "FAILED (changed)",
            Verdict::Invalid { .. } => "FAILED (invalid)",
            Verdict::Crossed { .. } => "FAILED (threshold crossed)",
            Verdict::RunFailed { .. } => "FAILED (run failed)",
            Verdict::Io { .. } => "FAILED (cannot read or write)",
        }
    }

    /// A one-line reason, for annotations and JUnit.
    fn message(&self, snapshot: &Path) -> String {
        match self {
            Verdict::Passed | Verdict::Accepted => String::new(),
            Verdict::Missing { .. } => format!("no snapshot at {}", snapshot.display()),
            Verdict::Changed { .. } => format!("the transcript differs from {}", snapshot.display()),
            Verdict::Invalid { first, .. } | Verdict::Crossed { first, .. } => {
                first.as_ref().map_or_else(|| "the scenario has errors".to_owned(), |(_, _, m)| m.clone())
            }
            Verdict::RunFailed { message } | Verdict::Io { message } => message.clone(),
        }
    }
}

/// What `run` found.
pub struct Outcome {
    /// Every test passed (and the JUnit report, if asked for, was written).
    pub passed: bool,
    /// How many tests failed.
    pub failed: usize,
    /// How many of those failed only on their snapshot, and wrote a `.snap.new` for review.
    pub written: usize,
}

impl Outcome {
    fn stopped() -> Self {
        Outcome { passed: false, failed: 0, written: 0 }
    }
}

/// What `review` did.
pub struct Reviewed {
    pub accepted: usize,
    pub rejected: usize,
    pub skipped: usize,
}

/// Runs the snapshot tests.
pub fn run(
    options: &Options,
    env: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<Outcome> {
    let paths = if options.paths.is_empty() { vec![PathBuf::from("scenarios")] } else { options.paths.clone() };
    let mut files = Vec::new();
    for path in &paths {
        if let Err(e) = find(path, &mut files) {
            writeln!(stderr, "error: cannot read `{}`: {e}", path.display())?;
            return Ok(Outcome::stopped());
        }
    }
    crate::include::drop_parts(&mut files);
    let update = env.update(options.accept);

    // Run the files on `jobs` threads; report in file order, whatever finished first.
    let jobs = options.jobs.max(1).min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Vec<Case>>> = files.iter().map(|_| std::sync::Mutex::new(Vec::new())).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(file) = files.get(k) else { break };
                    let cases = test_file(file, options.snapshots.as_deref(), update, options.color);
                    *results[k].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = cases;
                }
            });
        }
    });
    let (mut cases, mut verdicts, mut sources) = (Vec::new(), Vec::new(), Vec::new());
    for (file, result) in files.iter().zip(results) {
        for case in result.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            cases.push((case.label, case.snapshot));
            verdicts.push(case.verdict);
            sources.push(file.clone());
        }
    }

    writeln!(stdout, "running {} scenario snapshot tests", cases.len())?;
    for ((file, _), verdict) in cases.iter().zip(&verdicts) {
        writeln!(stdout, "test {} ... {}", file.display(), verdict.word())?;
    }
    let failed: Vec<usize> = (0..cases.len()).filter(|&k| !verdicts[k].passed()).collect();
    for &k in &failed {
        let ((file, snapshot), verdict) = (&cases[k], &verdicts[k]);
        writeln!(stdout, "\n---- {} ----", file.display())?;
        match verdict {
            Verdict::Missing { written } => {
                writeln!(stdout, "no snapshot at {}", snapshot.display())?;
                written_note(stdout, written.as_deref(), update)?;
            }
            Verdict::Changed { diff, written } => {
                writeln!(stdout, "the transcript differs from {}:", snapshot.display())?;
                write!(stdout, "{diff}")?;
                written_note(stdout, written.as_deref(), update)?;
            }
            Verdict::Invalid { rendered, .. } | Verdict::Crossed { rendered, .. } => write!(stdout, "{rendered}")?,
            Verdict::RunFailed { message } => writeln!(stdout, "the run failed: {message}")?,
            Verdict::Io { message } => writeln!(stdout, "{message}")?,
            Verdict::Passed | Verdict::Accepted => {}
        }
        if env.github {
            let (line, col) = match verdict {
                Verdict::Invalid { first: Some((line, col, _)), .. }
                | Verdict::Crossed { first: Some((line, col, _)), .. } => (*line, *col),
                _ => (1, 1),
            };
            let message = annotation_escape(&verdict.message(snapshot));
            let file = sources[k].display();
            writeln!(stdout, "::error file={file},line={line},col={col},title=scenario test::{message}")?;
        }
    }
    let passed = cases.len() - failed.len();
    let result = if failed.is_empty() { "ok" } else { "FAILED" };
    writeln!(stdout, "\ntest result: {result}. {passed} passed; {} failed", failed.len())?;
    if let Some(junit) = &options.junit {
        let xml = junit_report(&cases, &verdicts);
        if let Err(e) = std::fs::write(junit, xml) {
            writeln!(stderr, "error: cannot write `{}`: {e}", junit.display())?;
            return Ok(Outcome::stopped());
        }
    }
    let written = failed
        .iter()
        .filter(|&&k| {
            matches!(&verdicts[k], Verdict::Missing { written: Some(_) } | Verdict::Changed { written: Some(_), .. })
        })
        .count();
    Ok(Outcome { passed: failed.is_empty(), failed: failed.len(), written })
}

fn written_note(out: &mut dyn Write, written: Option<&Path>, update: Update) -> io::Result<()> {
    match (written, update) {
        (Some(path), _) => {
            writeln!(out, "wrote {} for review: `scenario review` shows it and keeps it if you accept", path.display())
        }
        (None, Update::Nothing) => writeln!(out, "nothing written (CI, or INSTA_UPDATE=no)"),
        (None, _) => Ok(()),
    }
}

/// Every scenario file under `path` (or `path` itself), sorted. Folders named `snapshots` and
/// hidden files and folders are skipped.
fn find(path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') || name == "snapshots" {
            continue;
        }
        if entry.is_dir() {
            find(&entry, out)?;
        } else if entry.extension().is_some_and(|e| e == "toml") {
            out.push(entry);
        }
    }
    Ok(())
}

/// Every scenario file under the paths, for `scenario check DIR`.
pub fn scenario_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    find(path, &mut out)?;
    crate::include::drop_parts(&mut out);
    Ok(out)
}

/// One snapshot test: a file, or one seed of a file that `[test]` gives several.
struct Case {
    /// What the report calls it: the file, and the seed when there are several.
    label: PathBuf,
    snapshot: PathBuf,
    verdict: Verdict,
}

/// `NAME.snap`, or `NAME.seed-N.snap` when the file is tested with several seeds.
fn snapshot_path(file: &Path, folder: Option<&Path>, seed: Option<u64>) -> PathBuf {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let folder = match folder {
        Some(folder) => folder.to_path_buf(),
        None => file.parent().unwrap_or(Path::new(".")).join("snapshots"),
    };
    match seed {
        Some(seed) => folder.join(format!("{stem}.seed-{seed}.snap")),
        None => folder.join(format!("{stem}.snap")),
    }
}

/// Tests one file: once with its seed, or once per seed its `[test]` names.
fn test_file(file: &Path, folder: Option<&Path>, update: Update, color: bool) -> Vec<Case> {
    let scenario = match Scenario::load(file) {
        Ok(scenario) => scenario,
        Err(e) => {
            let verdict = match &e {
                Error::Invalid(invalid) => {
                    let first = invalid.diagnostics.first().map(|d| {
                        let (line, col) = d.location(&invalid.source);
                        (line, col, d.message.clone())
                    });
                    Verdict::Invalid { rendered: format!("{e}\n"), first }
                }
                _ => Verdict::Io { message: e.to_string() },
            };
            return vec![Case { label: file.to_path_buf(), snapshot: snapshot_path(file, folder, None), verdict }];
        }
    };
    let (seeds, format) = scenario.test_settings();
    let several = scenario.tests_several_seeds();
    seeds
        .into_iter()
        .map(|seed| {
            let snapshot = snapshot_path(file, folder, several.then_some(seed));
            let label =
                if several { PathBuf::from(format!("{} (seed {seed})", file.display())) } else { file.to_path_buf() };
            let verdict = test_one(file, &scenario.clone().seed(seed).format(format), &snapshot, update, color);
            Case { label, snapshot, verdict }
        })
        .collect()
}

fn test_one(file: &Path, scenario: &Scenario, snapshot: &Path, update: Update, color: bool) -> Verdict {
    let description = scenario.description().map(str::to_owned);
    let run = scenario.run();
    if let Some(failure) = run.failure() {
        return Verdict::RunFailed { message: failure.message.clone() };
    }
    let verdicts = scenario.check_thresholds(&run.summary);
    if let Some(crossed) = verdicts.iter().find(|v| !v.held) {
        let (line, col) = scenario.line_col(crossed.span.start);
        let first = Some((line, col, format!("threshold crossed: {}", crossed.message)));
        return Verdict::Crossed { rendered: scenario.render_crossed(&verdicts), first };
    }
    let transcript = run.transcript;
    let stored = match std::fs::read_to_string(snapshot) {
        Ok(text) => Some(body(&text).to_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Verdict::Io { message: format!("cannot read `{}`: {e}", snapshot.display()) },
    };
    if stored.as_deref().is_some_and(|s| s.trim_end_matches('\n') == transcript.trim_end_matches('\n')) {
        return Verdict::Passed;
    }
    let contents = snapshot_file(file, description.as_deref(), &transcript);
    let write = |path: &Path| -> Result<PathBuf, Verdict> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Verdict::Io { message: format!("cannot create `{}`: {e}", dir.display()) })?;
        }
        std::fs::write(path, &contents)
            .map(|()| path.to_path_buf())
            .map_err(|e| Verdict::Io { message: format!("cannot write `{}`: {e}", path.display()) })
    };
    let pending = PathBuf::from(format!("{}.new", snapshot.display()));
    let written = match update {
        Update::Accept => {
            return match write(snapshot) {
                Ok(_) => {
                    let _ = std::fs::remove_file(&pending);
                    Verdict::Accepted
                }
                Err(v) => v,
            };
        }
        Update::New => match write(&pending) {
            Ok(path) => Some(path),
            Err(v) => return v,
        },
        Update::Nothing => None,
    };
    match stored {
        None => Verdict::Missing { written },
        Some(stored) => Verdict::Changed { diff: diff(&stored, &transcript, color), written },
    }
}

/// A snapshot's contents: what follows the header between its two `---` lines.
fn body(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else { return text };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => text,
    }
}

/// A snapshot file in insta's format.
fn snapshot_file(file: &Path, description: Option<&str>, transcript: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = String::from("---\n");
    let _ = writeln!(out, "source: {}", quote(&file.display().to_string()));
    if let Some(d) = description {
        let _ = writeln!(out, "description: {}", quote(d));
    }
    out.push_str("---\n");
    out.push_str(transcript);
    if !transcript.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// A line diff of the stored snapshot against the new transcript, coloured on a terminal.
fn diff(old: &str, new: &str, color: bool) -> String {
    let text = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for hunk in text.unified_diff().context_radius(2).header("snapshot", "this run").iter_hunks() {
        for line in hunk.to_string().lines() {
            let paint = match line.chars().next() {
                Some('-') if color => "\x1b[31m",
                Some('+') if color => "\x1b[32m",
                Some('@') if color => "\x1b[36m",
                _ => "",
            };
            let reset = if paint.is_empty() { "" } else { "\x1b[0m" };
            let _ = writeln!(out, "{paint}{line}{reset}");
        }
    }
    out
}

/// GitHub's workflow commands take `%`, CR and LF escaped.
fn annotation_escape(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn junit_report(cases: &[(PathBuf, PathBuf)], verdicts: &[Verdict]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("scenario test");
    for ((file, snapshot), verdict) in cases.iter().zip(verdicts) {
        let status = if verdict.passed() {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(verdict.message(snapshot));
            if let Verdict::Changed { diff, .. } = verdict {
                status.set_description(diff.clone());
            }
            if let Verdict::Invalid { rendered, .. } | Verdict::Crossed { rendered, .. } = verdict {
                status.set_description(rendered.clone());
            }
            status
        };
        let mut case = TestCase::new(file.display().to_string(), status);
        case.set_classname("scenario");
        suite.add_test_case(case);
    }
    let mut report = Report::new("scenario");
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}

impl Diagnostic {
    /// The 1-based line and column of the diagnostic in `source`, for annotations.
    pub fn location(&self, source: &str) -> (usize, usize) {
        crate::diagnostic::line_col(source, self.span.start)
    }
}

/// Every `.snap.new` file under `path`, sorted; for a scenario file, its own pending snapshots.
fn pending(path: &Path, folder: Option<&Path>, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if path.is_file() {
        let snap = snapshot_path(path, folder, None);
        let stem = snap.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(dir) = snap.parent().filter(|d| d.is_dir()) else { return Ok(()) };
        let mut own: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        own.retain(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name == format!("{stem}.snap.new")
                || name
                    .strip_prefix(&format!("{stem}.seed-"))
                    .and_then(|r| r.strip_suffix(".snap.new"))
                    .is_some_and(|seed| !seed.is_empty() && seed.bytes().all(|b| b.is_ascii_digit()))
        });
        own.sort();
        out.extend(own);
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if entry.is_dir() {
            pending(&entry, folder, out)?;
        } else if name.ends_with(".snap.new") {
            out.push(entry);
        }
    }
    Ok(())
}

/// `scenario review`: each pending `.snap.new` under the paths (and the snapshot folder) is
/// shown as a diff against its `.snap`, and the answer read from `input` decides it: `a` keeps
/// it as the snapshot, `r` deletes it, `s` (or the end of the input) leaves it for later.
pub fn review(
    paths: &[PathBuf],
    snapshots: Option<&Path>,
    color: bool,
    input: &mut dyn io::BufRead,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<Option<Reviewed>> {
    let mut roots = if paths.is_empty() { vec![PathBuf::from("scenarios")] } else { paths.to_vec() };
    // A folder of snapshots given on its own is reviewed whole, unless files were named.
    if !roots.iter().any(|r| r.is_file()) {
        roots.extend(snapshots.map(Path::to_path_buf));
    }
    let mut files = Vec::new();
    for root in &roots {
        if let Err(e) = pending(root, snapshots, &mut files) {
            writeln!(stderr, "error: cannot read `{}`: {e}", root.display())?;
            return Ok(None);
        }
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        writeln!(stdout, "no snapshots to review")?;
        return Ok(Some(Reviewed { accepted: 0, rejected: 0, skipped: 0 }));
    }
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    let mut end = false;
    for (k, new) in files.iter().enumerate() {
        let snap = new.with_extension("");
        let new_text = std::fs::read_to_string(new)?;
        let old_text = std::fs::read_to_string(&snap).ok();
        writeln!(stdout, "\nreviewing [{}/{}] {}", k + 1, files.len(), snap.display())?;
        match &old_text {
            Some(old) => write!(stdout, "{}", diff(body(old), body(&new_text), color))?,
            None => {
                writeln!(stdout, "a new snapshot:")?;
                write!(stdout, "{}", diff("", body(&new_text), color))?;
            }
        }
        let answer = loop {
            if end {
                break 's';
            }
            write!(stdout, "a accept, r reject, s skip > ")?;
            stdout.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                writeln!(stdout)?;
                end = true;
                break 's';
            }
            match line.trim() {
                "a" | "accept" => break 'a',
                "r" | "reject" => break 'r',
                "s" | "skip" => break 's',
                other => writeln!(stdout, "`{other}`? answer a, r or s")?,
            }
        };
        match answer {
            'a' => {
                std::fs::rename(new, &snap)?;
                writeln!(stdout, "accepted: {}", snap.display())?;
                accepted += 1;
            }
            'r' => {
                std::fs::remove_file(new)?;
                writeln!(stdout, "rejected: {} removed", new.display())?;
                rejected += 1;
            }
            _ => {
                writeln!(stdout, "skipped: {} kept for later", new.display())?;
                skipped += 1;
            }
        }
    }
    writeln!(stdout, "\nreview: {accepted} accepted, {rejected} rejected, {skipped} skipped")?;
    Ok(Some(Reviewed { accepted, rejected, skipped }))
}
