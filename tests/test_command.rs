//! `scenario test`: snapshot tests of a project's scenario files, with insta's file format and
//! update rules. Each test runs the binary in a scratch project, with the environment it sets.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scenario-test-cmd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::copy("scenarios/countasync.toml", dir.join("scenarios/countasync.toml")).unwrap();
    dir
}

/// Runs `scenario ARGS` in `dir` with `env`, and no CI variables of the machine running the tests.
fn scenario(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario"));
    command.current_dir(dir).args(args).env_remove("CI").env_remove("INSTA_UPDATE").env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap())
}

#[test]
fn a_missing_snapshot_fails_and_is_written_for_review_except_on_ci() {
    let dir = project("missing");
    let (code, out) = scenario(&dir, &["test"], &[("CI", "true")]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("nothing written"), "{out}");
    assert!(!dir.join("scenarios/snapshots").exists());

    let (code, out) = scenario(&dir, &["test"], &[]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("test result: FAILED. 0 passed; 1 failed"), "{out}");
    let pending = std::fs::read_to_string(dir.join("scenarios/snapshots/countasync.snap.new")).unwrap();
    assert!(pending.starts_with("---\nsource: \"scenarios/countasync.toml\"\n"), "{pending}");
    assert!(pending.contains("countasync.py executed in 1.00 seconds."), "{pending}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn accepted_snapshots_pass_and_a_change_fails_with_a_diff() {
    let dir = project("change");
    let (code, out) = scenario(&dir, &["test", "--accept"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(dir.join("scenarios/snapshots/countasync.snap").exists());
    let (code, out) = scenario(&dir, &["test"], &[("CI", "true")]);
    assert_eq!((code, out.contains("test result: ok. 1 passed; 0 failed")), (0, true), "{out}");

    let file = dir.join("scenarios/countasync.toml");
    let source = std::fs::read_to_string(&file).unwrap().replace("sleep = \"1s\"", "sleep = \"2s\"");
    std::fs::write(&file, source).unwrap();
    let (code, out) = scenario(&dir, &["test", "--junit", "report.xml"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("-      1.000000  main      say: countasync.py executed in 1.00 seconds."), "{out}");
    assert!(out.contains("+      2.000000  main      say: countasync.py executed in 2.00 seconds."), "{out}");
    assert!(out.contains("::error file=scenarios/countasync.toml,line=1,col=1,title=scenario test::"), "{out}");
    assert!(dir.join("scenarios/snapshots/countasync.snap.new").exists());
    let junit = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    assert!(junit.contains("<testcase name=\"scenarios/countasync.toml\""), "{junit}");
    assert!(junit.contains("failures=\"1\""), "{junit}");

    // INSTA_UPDATE=always accepts, as insta does.
    let (code, _) = scenario(&dir, &["test"], &[("INSTA_UPDATE", "always")]);
    assert_eq!(code, 0);
    assert!(!dir.join("scenarios/snapshots/countasync.snap.new").exists());
    let (code, _) = scenario(&dir, &["test"], &[("CI", "true")]);
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_invalid_scenario_fails_its_test_with_an_annotation_at_its_line() {
    let dir = project("invalid");
    std::fs::write(dir.join("scenarios/broken.toml"), "[queues.q]\n[tasks.t]\nsteps = [{ get = \"qq\" }]\n").unwrap();
    let (code, out) = scenario(&dir, &["test", "--accept"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("test scenarios/broken.toml ... FAILED (invalid)"), "{out}");
    assert!(
        out.contains("::error file=scenarios/broken.toml,line=3,col=18,title=scenario test::unknown queue `qq`"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn this_repositorys_scenarios_pass_against_the_snapshots_cargo_test_keeps() {
    let (code, out) =
        scenario(Path::new("."), &["test", "scenarios", "--snapshots", "tests/snapshots"], &[("CI", "true")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("34 passed; 0 failed"), "{out}");
}

#[test]
fn check_takes_folders_and_can_deny_warnings() {
    let (code, out) = scenario(Path::new("."), &["check", "scenarios"], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("ok: ").count(), 34, "{out}");
    let (code, out) =
        scenario(Path::new("."), &["check", "--deny-warnings", "tests/warnings/queue_never_used.toml"], &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("warnings are denied"), "{out}");
}

#[test]
fn a_file_can_ask_for_several_seeds_and_a_format() {
    let dir = project("seeds");
    let file = dir.join("scenarios/countasync.toml");
    let source = std::fs::read_to_string(&file).unwrap() + "\n[test]\nseeds = [3, 4]\nformat = \"plain\"\n";
    std::fs::write(&file, source).unwrap();
    let (code, out) = scenario(&dir, &["test", "--accept"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("test scenarios/countasync.toml (seed 3) ... accepted"), "{out}");
    let snap = std::fs::read_to_string(dir.join("scenarios/snapshots/countasync.seed-4.snap")).unwrap();
    assert!(snap.ends_with("---\nOne\nOne\nOne\nTwo\nTwo\nTwo\ncountasync.py executed in 1.00 seconds.\n"), "{snap}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_starts_a_project_that_checks_runs_and_tests_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("scenario-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (code, out) = scenario(&dir, &["init"], &[]);
    assert_eq!(code, 0, "{out}");
    for file in ["scenarios/hello.toml", "schema/scenario.schema.json", ".taplo.toml"] {
        assert!(dir.join(file).exists(), "{file}: {out}");
    }
    assert_eq!(std::fs::read_to_string(dir.join("schema/scenario.schema.json")).unwrap(), scenario::json_schema());
    let (code, out) = scenario(&dir, &["check", "--deny-warnings", "scenarios"], &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = scenario(&dir, &["test", "--accept"], &[]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(dir.join("scenarios/hello.toml"), "# mine\n[tasks.t]\nsteps = [{ sleep = \"1s\" }]\n").unwrap();
    let (code, out) = scenario(&dir, &["init"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("kept:"), "{out}");
    assert!(std::fs::read_to_string(dir.join("scenarios/hello.toml")).unwrap().starts_with("# mine"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out) = scenario(Path::new("."), &["completions", shell], &[]);
        assert_eq!(code, 0, "{shell}");
        assert!(out.contains("scenario"), "{shell}: {out}");
        assert!(out.contains("deny-warnings"), "{shell}: the subcommands' options are there");
    }
}

#[test]
fn diagnostics_are_coloured_only_when_asked_or_on_a_terminal() {
    let file = "tests/invalid/unknown_queue.toml";
    let (_, plain) = scenario(Path::new("."), &["check", file], &[]);
    assert!(!plain.contains('\x1b'), "not a terminal: no colour");
    let (_, never) = scenario(Path::new("."), &["check", "--color", "never", file], &[]);
    assert_eq!(never, plain);
    let (code, coloured) = scenario(Path::new("."), &["check", "--color", "always", file], &[]);
    assert_eq!(code, 3);
    assert!(coloured.contains("\x1b[1;31merror\x1b[0m"), "{coloured}");
    // Without the escapes, the text is the plain text.
    let stripped: String = coloured
        .split('\x1b')
        .enumerate()
        .map(|(k, part)| if k == 0 { part } else { &part[part.find('m').unwrap() + 1..] })
        .collect();
    assert_eq!(stripped, plain);
}

/// Runs `scenario ARGS` in `dir` with `input` on standard input.
fn scenario_with_input(dir: &Path, args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scenario"))
        .current_dir(dir)
        .args(args)
        .env_remove("CI")
        .env_remove("INSTA_UPDATE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap())
}

#[test]
fn review_shows_each_pending_snapshot_and_accepts_rejects_or_skips_it() {
    let dir = project("review");
    std::fs::copy("scenarios/event.toml", dir.join("scenarios/event.toml")).unwrap();
    assert_eq!(scenario(&dir, &["test"], &[]).0, 6);
    let snapshots = dir.join("scenarios/snapshots");
    let countasync_new = std::fs::read_to_string(snapshots.join("countasync.snap.new")).unwrap();

    // An unknown answer is asked again; the end of the input skips what is left.
    let (code, out) = scenario_with_input(&dir, &["review"], "what\na\n");
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("reviewing [1/2] scenarios/snapshots/countasync.snap\na new snapshot:\n"), "{out}");
    assert!(out.contains("+      1.000000  main      say: countasync.py executed in 1.00 seconds."), "{out}");
    assert!(out.contains("`what`? answer a, r or s"), "{out}");
    assert!(out.contains("reviewing [2/2] scenarios/snapshots/event.snap"), "{out}");
    assert!(out.contains("review: 1 accepted, 0 rejected, 1 skipped"), "{out}");
    assert_eq!(std::fs::read_to_string(snapshots.join("countasync.snap")).unwrap(), countasync_new);
    assert!(!snapshots.join("countasync.snap.new").exists());
    assert!(snapshots.join("event.snap.new").exists());

    let (code, out) = scenario_with_input(&dir, &["review"], "r\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("review: 0 accepted, 1 rejected, 0 skipped"), "{out}");
    assert!(!snapshots.join("event.snap.new").exists() && !snapshots.join("event.snap").exists());

    // A change shows as a diff against the stored snapshot; accepting it makes the test pass.
    let file = dir.join("scenarios/countasync.toml");
    let source = std::fs::read_to_string(&file).unwrap().replace("sleep = \"1s\"", "sleep = \"2s\"");
    std::fs::write(&file, source).unwrap();
    assert_eq!(scenario(&dir, &["test", "scenarios/countasync.toml"], &[]).0, 6);
    let (code, out) = scenario_with_input(&dir, &["review"], "a\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("-      1.000000  main      say: countasync.py executed in 1.00 seconds."), "{out}");
    assert!(out.contains("+      2.000000  main      say: countasync.py executed in 2.00 seconds."), "{out}");
    let (code, out) = scenario(&dir, &["test", "scenarios/countasync.toml"], &[("CI", "true")]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = scenario_with_input(&dir, &["review"], "");
    assert_eq!((code, out.trim()), (0, "no snapshots to review"));

    // `test --review` reviews what the run wrote; accepting every change makes it pass.
    let source = std::fs::read_to_string(&file).unwrap().replace("sleep = \"2s\"", "sleep = \"3s\"");
    std::fs::write(&file, source).unwrap();
    // Naming a file reviews that file's snapshots only.
    assert_eq!(scenario(&dir, &["test", "scenarios/event.toml"], &[]).0, 6);
    let (code, out) = scenario_with_input(&dir, &["test", "--review", "scenarios/countasync.toml"], "s\n");
    assert_eq!(code, 6, "{out}");
    assert!(!out.contains("event.snap"), "{out}");
    assert!(out.contains("test result: FAILED. 0 passed; 1 failed"), "{out}");
    assert!(out.contains("review: 0 accepted, 0 rejected, 1 skipped"), "{out}");
    let (code, out) = scenario_with_input(&dir, &["test", "--review", "scenarios/countasync.toml"], "a\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("+      3.000000  main      say: countasync.py executed in 3.00 seconds."), "{out}");
    let (code, out) = scenario_with_input(&dir, &["test", "--review", "scenarios/countasync.toml"], "");
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("review:"), "nothing to review when every test passes: {out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// insta's own tool accepts what `scenario test` writes, and `scenario test` reads what it keeps
/// (it rewrites the header). Runs when `cargo insta` is installed; says so when it skips.
#[test]
fn cargo_insta_accepts_and_rejects_our_snapshots_when_installed() {
    let installed = Command::new("cargo").args(["insta", "--version"]).output().is_ok_and(|o| o.status.success());
    if !installed {
        // Straight to the process's stderr, past the test harness's capture, so it is seen.
        let message = "SKIPPED: cargo-insta is not installed (`cargo install cargo-insta --locked`)";
        let _ = writeln!(std::io::stderr(), "{message}");
        return;
    }
    let dir = project("cargo-insta");
    // cargo-insta wants a Cargo project around the snapshots.
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
        .unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let insta = |verb: &str| {
        let out = Command::new("cargo")
            .current_dir(&dir)
            .args(["insta", verb, "--workspace-root", "."])
            .env_remove("CI")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let snapshots = dir.join("scenarios/snapshots");
    assert_eq!(scenario(&dir, &["test"], &[]).0, 6);
    insta("reject");
    assert!(!snapshots.join("countasync.snap.new").exists() && !snapshots.join("countasync.snap").exists());
    assert_eq!(scenario(&dir, &["test"], &[]).0, 6);
    insta("accept");
    assert!(!snapshots.join("countasync.snap.new").exists());
    let (code, out) = scenario(&dir, &["test"], &[("CI", "true")]);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn man_prints_a_page_for_scenario_and_for_each_command() {
    let dir = project("man");
    let (code, page) = scenario(&dir, &["man"], &[]);
    assert_eq!(code, 0, "{page}");
    assert!(page.contains(".TH scenario 1"), "{page}");
    for command in ["run", "check", "test", "review", "graph", "merge", "init", "schema", "completions"] {
        assert!(page.contains(&format!("scenario\\-{command}(1)")), "{command} is not listed:\n{page}");
        let (code, sub) = scenario(&dir, &["man", command], &[]);
        assert_eq!(code, 0, "{sub}");
        assert!(sub.contains(&format!(".TH scenario-{command} 1")), "{sub}");
    }
    let (_, test) = scenario(&dir, &["man", "test"], &[]);
    assert!(test.contains("\\-\\-accept") && test.contains("\\-\\-junit"), "{test}");
    let (code, out) = scenario(&dir, &["man", "nope"], &[]);
    assert_eq!(code, 2);
    assert!(out.contains("no command `nope`; the commands are run, check, test"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_crossed_threshold_fails_the_test_with_an_annotation_at_its_line() {
    let dir = project("threshold");
    let file = dir.join("scenarios/countasync.toml");
    let source = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{source}\n[thresholds]\n\"run.makespan\" = \"< 1s\"\n")).unwrap();
    let line = source.lines().count() + 3;
    let (code, out) = scenario(&dir, &["test", "--accept"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("test scenarios/countasync.toml ... FAILED (threshold crossed)"), "{out}");
    assert!(out.contains("error: threshold crossed: run.makespan = 1 s, not < 1 s"), "{out}");
    let annotation =
        format!("::error file=scenarios/countasync.toml,line={line},col=1,title=scenario test::threshold crossed");
    assert!(out.contains(&annotation), "{out}");
    // Not even --accept keeps a snapshot of a run that crossed a threshold.
    assert!(!dir.join("scenarios/snapshots").exists());

    std::fs::write(&file, format!("{source}\n[thresholds]\n\"run.makespan\" = \"<= 1s\"\n")).unwrap();
    let (code, out) = scenario(&dir, &["test", "--accept"], &[]);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
