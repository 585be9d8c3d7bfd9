//! The differential suite: each `tests/asyncio/NAME.py` is a small asyncio program and
//! `NAME.toml` its scenario twin; both must print the same bytes. The Python side runs on a
//! virtual clock (`tests/asyncio/vloop.py`), so the suite takes no real time.
//!
//! It needs Python: `SCENARIO_PYTHON`, or `python3` on the `PATH`. The reference is asyncio in
//! CPython 3.12 and later; a program whose first line is `# requires: 3.11` behaves the same on
//! 3.11 and runs there too. Programs the installed Python is too old for, or every program when
//! there is no Python, are skipped, and the test says so on standard error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use scenario::{Format, Scenario};

const DIR: &str = "tests/asyncio";

fn python() -> Option<(String, (u32, u32))> {
    let exe = std::env::var("SCENARIO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&exe).args(["-c", "import sys; print(sys.version_info[0], sys.version_info[1])"]).output();
    let out = out.ok().filter(|o| o.status.success())?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut parts = text.split_whitespace().map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => Some((exe, (major, minor))),
        _ => None,
    }
}

/// The Python version a program needs: `# requires: 3.11` on its first line, else 3.12.
fn requires(program: &Path) -> (u32, u32) {
    let text = std::fs::read_to_string(program).unwrap();
    let first = text.lines().next().unwrap_or_default();
    first
        .strip_prefix("# requires: ")
        .and_then(|v| v.trim().split_once('.'))
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .unwrap_or((3, 12))
}

fn programs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py") && p.file_stem().is_some_and(|s| s != "vloop"))
        .collect();
    files.sort();
    files
}

/// Says something on the test's standard error even when the harness captures output.
fn tell(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

#[test]
fn every_program_has_its_scenario_twin_and_every_twin_compiles() {
    let programs = programs();
    assert!(programs.len() >= 20, "only {} programs", programs.len());
    for program in &programs {
        let twin = program.with_extension("toml");
        let scenario = Scenario::load(&twin).unwrap_or_else(|e| panic!("{}: {e}", twin.display()));
        assert!(scenario.warnings().is_empty(), "{}:\n{}", twin.display(), scenario.render_warnings());
    }
    let twins = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"));
    for twin in twins {
        assert!(twin.with_extension("py").exists(), "{} has no program", twin.display());
    }
}

#[test]
fn each_scenario_prints_what_its_asyncio_program_prints() {
    let Some((python, version)) = python() else {
        tell("SKIPPED asyncio differential tests: no Python found (set SCENARIO_PYTHON or install python3)");
        return;
    };
    let (mut ran, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for program in programs() {
        let name = program.file_stem().unwrap().to_string_lossy().into_owned();
        if version < requires(&program) {
            skipped.push(name);
            continue;
        }
        let out = Command::new(&python).arg(Path::new(DIR).join("vloop.py")).arg(&program).output().unwrap();
        assert!(out.status.success(), "{name}.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let expected = String::from_utf8(out.stdout).unwrap();
        let got = Scenario::load(program.with_extension("toml")).unwrap().format(Format::Plain).run().transcript;
        if got != expected {
            failures.push(format!("{name}:\n--- asyncio\n{expected}--- scenario\n{got}"));
        }
        ran += 1;
    }
    let (major, minor) = version;
    tell(&format!("asyncio differential tests: {ran} ran against Python {major}.{minor}"));
    if !skipped.is_empty() {
        tell(&format!("SKIPPED (they need a newer Python than {major}.{minor}): {}", skipped.join(", ")));
    }
    assert!(failures.is_empty(), "{} of {ran} differ:\n{}", failures.len(), failures.join("\n"));
}
