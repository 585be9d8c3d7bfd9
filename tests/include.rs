//! `include`: other files' tables added to a scenario's, read as if written there, with
//! diagnostics that point into the included file, and no file outside the including file's
//! folder unless it says so.

use std::path::Path;

use scenario::{Error, Format, Scenario};

const SERVICE: &str = r#"# a shared service
[distributions]
service = { uniform = ["1s", "3s"], step = "500ms" }

[queues.requests]

[tasks.web]
count = 2
steps = [{ repeat = "forever", steps = [{ get = "requests" }, { sleep = "service" }, { done = "requests" }] }]
"#;

const CLIENTS: &str = r#"
[arrivals.clients]
every = "1s"
put = "requests"
total = 6

[main]
steps = [{ start = ["web", "clients"] }, { wait = "clients" }, { join = "requests" }, { cancel = "web" }]
"#;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn errors(path: &Path) -> String {
    match Scenario::load(path) {
        Err(e @ Error::Invalid(_)) => e.to_string(),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("{} compiled", path.display()),
    }
}

/// An included file's tables run exactly as if they were written in the including file, and
/// `--set` reaches them.
#[test]
fn included_tables_run_as_if_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "parts/service.toml", SERVICE);
    write(dir.path(), "main.toml", &format!("include = [\"parts/service.toml\"]\n{CLIENTS}"));
    write(dir.path(), "inline.toml", &format!("{CLIENTS}\n{SERVICE}"));
    let run = |name: &str, sets: &[String]| {
        Scenario::load_with(dir.path().join(name), sets).unwrap().format(Format::Jsonl).run().transcript
    };
    let included = run("main.toml", &[]);
    assert!(included.contains("\"event\":\"get\""), "{included}");
    assert_eq!(included, run("inline.toml", &[]));
    let one = ["tasks.web.count=1".to_owned()];
    assert_eq!(run("main.toml", &one), run("inline.toml", &one));
    assert_ne!(run("main.toml", &one), included);
}

/// A mistake in an included file is reported in that file, at its line.
#[test]
fn diagnostics_point_into_the_included_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "parts/service.toml", &SERVICE.replace("count = 2", "count = -2").replace("uniform", "unifrom"));
    write(dir.path(), "main.toml", &format!("include = [\"parts/service.toml\"]\n{CLIENTS}"));
    let shown = errors(&dir.path().join("main.toml"));
    let file = dir.path().join("parts/service.toml").display().to_string();
    assert!(shown.contains(&format!("--> {file}:3:13")), "{shown}");
    assert!(shown.contains("unknown key `unifrom`"), "{shown}");
}

/// Files outside the folder are refused unless asked for; missing, repeated and nested
/// includes, and a value at an included file's top, are errors.
#[test]
fn include_mistakes_are_diagnosed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "shared.toml", SERVICE);
    write(dir.path(), "nested.toml", &format!("include = [\"shared.toml\"]\n{SERVICE}"));
    write(dir.path(), "loose.toml", &format!("seed = 4\n{SERVICE}"));
    write(dir.path(), "sub/outside.toml", &format!("include = [\"../shared.toml\"]\n{CLIENTS}"));
    let shown = errors(&dir.path().join("sub/outside.toml"));
    assert!(shown.contains("`../shared.toml` is outside this file's folder"), "{shown}");
    write(
        dir.path(),
        "sub/allowed.toml",
        &format!("include = [\"../shared.toml\"]\ninclude-outside = true\n{CLIENTS}"),
    );
    assert!(Scenario::load(dir.path().join("sub/allowed.toml")).is_ok());
    write(dir.path(), "many.toml", &format!("include = [\"nope.toml\", \"shared.toml\", \"shared.toml\"]\n{CLIENTS}"));
    let shown = errors(&dir.path().join("many.toml"));
    assert!(shown.contains("cannot read `nope.toml`"), "{shown}");
    assert!(shown.contains("`shared.toml` is included twice"), "{shown}");
    write(dir.path(), "deep.toml", &format!("include = [\"nested.toml\"]\n{CLIENTS}"));
    assert!(errors(&dir.path().join("deep.toml")).contains("includes do not nest"));
    write(dir.path(), "values.toml", &format!("include = [\"loose.toml\"]\n{CLIENTS}"));
    let shown = errors(&dir.path().join("values.toml"));
    assert!(shown.contains("an included file holds tables only, and `seed` is a value"), "{shown}");
    assert!(shown.contains("loose.toml:1:1"), "{shown}");
    write(dir.path(), "twice.toml", &format!("include = [\"shared.toml\"]\n{CLIENTS}\n[queues.requests]\n"));
    // A name declared in the file and in an included one: reported at one, naming the other's place.
    let shown = errors(&dir.path().join("twice.toml"));
    let (shared, twice) = (dir.path().join("shared.toml"), dir.path().join("twice.toml"));
    let (shared, twice) = (shared.display(), twice.display());
    assert!(shown.contains(&format!("`requests` is declared twice (first declared at {twice}:11:9)")), "{shown}");
    assert!(shown.contains(&format!("--> {shared}:5:9")), "{shown}");
}

/// A warning inside an included file is shown there, counted, and denied by
/// `check --deny-warnings` like one in the including file.
#[test]
fn warnings_in_an_included_file_count_and_can_be_denied() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "parts/service.toml", &format!("{SERVICE}\n[queues.spare]\n"));
    write(dir.path(), "main.toml", &format!("include = [\"parts/service.toml\"]\n{CLIENTS}"));
    let main = dir.path().join("main.toml");
    let scenario = Scenario::load(&main).unwrap();
    assert!(scenario.warnings().is_empty());
    let included: Vec<_> = scenario.included_warnings().map(|(file, d)| (file.to_owned(), d.kind)).collect();
    let part = dir.path().join("parts/service.toml").display().to_string();
    assert_eq!(included, [(part.clone(), scenario::DiagnosticKind::Unused)]);
    assert_eq!(scenario.warning_count(), 1);
    assert!(scenario.render_warnings().contains(&format!("--> {part}:11:")), "{}", scenario.render_warnings());

    let check = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario")).args(args).arg(&main).output().unwrap();
        (out.status.code().unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, shown) = check(&["check"]);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("(1 warning)"), "{shown}");
    let (code, shown) = check(&["check", "--deny-warnings"]);
    assert_eq!(code, 3, "{shown}");
    assert!(shown.contains("warnings are denied"), "{shown}");
}
