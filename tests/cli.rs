//! The command line: commands, formats and documented exit codes. Commands run in-process
//! through `scenario::cli::run`, as the binary runs them; one test checks the binary itself.

use std::process::Command;

use scenario::cli::Console;
use scenario::sink::Memory;

/// Runs `scenario ARGS...` in-process: exit code, standard output, standard error.
fn scenario(args: &[&str]) -> (i32, String, String) {
    let out = Memory::default();
    let mut err = Vec::new();
    let argv = std::iter::once("scenario").chain(args.iter().copied());
    let code = scenario::cli::run(argv, Console { stdout: Box::new(out.clone()), stderr: &mut err });
    (code, out.take_string(), String::from_utf8(err).unwrap())
}

/// Runs the built binary.
fn binary(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_binary_is_the_same_command_line() {
    for args in [
        &["run", "scenarios/semaphore.toml"][..],
        &["run", "--format", "jsonl", "scenarios/errors.toml"],
        &["check", "tests/invalid/several_errors.toml"],
        &["run", "--format", "yaml", "scenarios/countasync.toml"],
        &["--version"],
    ] {
        assert_eq!(binary(args), scenario(args), "scenario {}", args.join(" "));
    }
}

#[test]
fn run_prints_plain_output() {
    let (code, out, _) = scenario(&["run", "--format", "plain", "scenarios/countasync.toml"]);
    assert_eq!(code, 0);
    assert_eq!(out, "One\nOne\nOne\nTwo\nTwo\nTwo\ncountasync.py executed in 1.00 seconds.\n");
}

#[test]
fn the_default_format_is_the_timeline() {
    let (code, out, _) = scenario(&["run", "scenarios/countasync.toml"]);
    assert_eq!(code, 0);
    assert!(out.contains("    0.000000  count[0]  say: One\n"), "{out}");
    assert!(out.contains("run completed at 1.000000 s"), "{out}");
}

#[test]
fn jsonl_is_one_object_per_line() {
    let (code, out, _) = scenario(&["run", "--format", "jsonl", "scenarios/countasync.toml"]);
    assert_eq!(code, 0);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["time_ns"].is_u64(), "{line}");
    }
    assert!(out.lines().next().unwrap().starts_with(r#"{"time_ns":0,"task":"count[0]","event":"start","by":"main"}"#));
}

#[test]
fn seed_flag_overrides_the_file() {
    let a = scenario(&["run", "--format", "plain", "scenarios/async_queue.toml"]).1;
    let b = scenario(&["run", "--format", "plain", "--seed", "1", "scenarios/async_queue.toml"]).1;
    let c = scenario(&["run", "--format", "plain", "--seed", "2", "scenarios/async_queue.toml"]).1;
    assert_eq!(a, b, "the file's seed is 1");
    assert_ne!(a, c);
}

#[test]
fn an_invalid_scenario_exits_3_with_located_errors() {
    let (code, out, err) = scenario(&["run", "tests/invalid/unknown_queue.toml"]);
    assert_eq!(code, 3);
    assert_eq!(out, "");
    assert!(err.contains("--> tests/invalid/unknown_queue.toml:5:11"), "{err}");
}

/// Runs `source` from a temporary file.
fn run_source(name: &str, source: &str) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("scenario-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, source).unwrap();
    let result = scenario(&["run", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    result
}

#[test]
fn a_failed_run_exits_4() {
    let (code, _, err) = run_source("fails", "main.steps = [{ fail = \"boom\" }]\n");
    assert_eq!(code, 4);
    assert!(err.contains("error: run failed: task `main` failed: boom"), "{err}");
}

#[test]
fn a_deadlock_exits_5_and_names_the_blocked_tasks() {
    let (code, out, err) = run_source("deadlock", "[queues.q]\n[tasks.t]\nsteps = [{ get = \"q\" }]\n");
    assert_eq!(code, 5);
    assert!(err.contains("error: run failed: deadlock"), "{err}");
    assert!(err.contains("t waits to get from queue `q`"), "{err}");
    // The timeline says so too.
    assert!(out.contains("run FAILED at 0.000000 s"), "{out}");
    assert!(out.contains("  t waits to get from queue `q`"), "{out}");
}

#[test]
fn a_missing_file_exits_1_and_bad_usage_exits_2() {
    assert_eq!(scenario(&["run", "no/such/file.toml"]).0, 1);
    assert_eq!(scenario(&["run", "--format", "yaml", "scenarios/countasync.toml"]).0, 2);
    assert_eq!(scenario(&["frobnicate"]).0, 2);
}

#[test]
fn check_takes_several_files_and_reports_each() {
    let (code, _, err) = scenario(&[
        "check",
        "scenarios/countasync.toml",
        "tests/invalid/unknown_task.toml",
        "tests/invalid/unknown_queue.toml",
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("ok: scenarios/countasync.toml"), "{err}");
    assert!(err.contains("unknown task `wroker`"), "{err}");
    assert!(err.contains("unknown queue `jobz`"), "{err}");
}

#[test]
fn output_files_appear_whole_or_not_at_all() {
    let dir = std::env::temp_dir().join(format!("scenario-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let transcript = dir.join("countasync.txt");
    let (code, out, _) =
        scenario(&["run", "--format", "plain", "-o", transcript.to_str().unwrap(), "scenarios/countasync.toml"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&transcript).unwrap(), plain_countasync());

    let schema = dir.join("schema.json");
    assert_eq!(scenario(&["schema", "-o", schema.to_str().unwrap()]).0, 0);
    assert_eq!(std::fs::read_to_string(&schema).unwrap(), scenario::json_schema());

    // Into a folder that does not exist: an I/O error, and no file, whole or partial.
    let missing = dir.join("no-such-folder").join("out.txt");
    assert_eq!(scenario(&["run", "-o", missing.to_str().unwrap(), "scenarios/countasync.toml"]).0, 1);
    assert!(!missing.exists());
    // Nothing temporary is left behind.
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["countasync.txt", "schema.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn plain_countasync() -> String {
    "One\nOne\nOne\nTwo\nTwo\nTwo\ncountasync.py executed in 1.00 seconds.\n".to_owned()
}

#[test]
fn schema_prints_the_committed_schema() {
    let (code, out, _) = scenario(&["schema"]);
    assert_eq!(code, 0);
    assert_eq!(out, std::fs::read_to_string("schema/scenario.schema.json").unwrap());
}

/// A fresh, empty folder for a test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scenario-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn output_refuses_the_input_and_writes_through_links_and_devices_without_replacing_them() {
    let dir = scratch("output-safety");
    let input = dir.join("s.toml");
    std::fs::copy("scenarios/countasync.toml", &input).unwrap();
    let input = input.to_str().unwrap();
    let (code, _, err) = scenario(&["run", "-o", input, input]);
    assert_eq!(code, 1);
    assert!(err.contains("that is the scenario file itself"), "{err}");
    assert_eq!(std::fs::read_to_string(input).unwrap(), std::fs::read_to_string("scenarios/countasync.toml").unwrap());

    // A link stays a link; the file it names gets the transcript and keeps its permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let real = dir.join("real.txt");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(scenario(&["run", "--format", "plain", "-o", link.to_str().unwrap(), input]).0, 0);
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), plain_countasync());
        assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
        // A device is written to, not replaced: the transcript, the summary, the schema.
        assert_eq!(scenario(&["run", "-o", "/dev/null", input]).0, 0);
        let (code, _, err) = scenario(&["run", "--summary", "/dev/null", input]);
        assert_eq!((code, err.as_str()), (0, ""));
        let (code, _, err) = scenario(&["schema", "-o", "/dev/null"]);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device_like());
    }
    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
trait CharDeviceLike {
    fn is_char_device_like(&self) -> bool;
}

#[cfg(unix)]
impl CharDeviceLike for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_char_device()
    }
}

#[cfg(unix)]
#[test]
fn a_terminated_run_leaves_no_temporary_file_and_exits_128_plus_the_signal() {
    let dir = scratch("signal");
    let source = dir.join("long.toml");
    std::fs::write(
        &source,
        "[main]\nsteps = [{ repeat = 100000000, steps = [{ say = \"line {n}\" }, { sleep = \"1ms\" }] }]\n",
    )
    .unwrap();
    let out = dir.join("out.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--format", "plain", "-o", out.to_str().unwrap(), source.to_str().unwrap()])
        .spawn()
        .unwrap();
    // Wait until the run writes its temporary file, then stop it as a CI runner would.
    let temporary =
        || std::fs::read_dir(&dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"));
    for _ in 0..200 {
        if temporary() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(temporary(), "the run never started writing");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
    assert!(!temporary(), "the temporary file was left behind");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_can_come_from_standard_input() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--format", "plain", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let source = std::fs::read("scenarios/countasync.toml").unwrap();
    child.stdin.take().unwrap().write_all(&source).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), plain_countasync());
}

#[cfg(unix)]
#[test]
fn a_closed_standard_error_never_makes_it_panic() {
    // Diagnostics and a failed run, with nowhere to write them: the exit codes still say it.
    for (args, code) in [
        (&["check", "tests/invalid/several_errors.toml"][..], 3),
        (&["run", "tests/hostile/item_that_doubles.toml"], 4),
    ] {
        let status = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 2>&- >/dev/null"#)
            .arg(env!("CARGO_BIN_EXE_scenario"))
            .args(args)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "scenario {}", args.join(" "));
    }
}

#[test]
fn a_reader_that_goes_away_stops_the_run_at_once() {
    use std::io::Read as _;
    // Printing a line every virtual millisecond for 10^9 ms would take hours of real time; the
    // wall limit turns a regression into a failure (exit 4) instead of a hang.
    let dir = scratch("head");
    let source = dir.join("long.toml");
    std::fs::write(&source, "max-events = 4000000000\n[main]\nsteps = [{ repeat = 1000000000, steps = [{ say = \"line {n}\" }, { sleep = \"1ms\" }] }]\n")
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--format", "plain", "--wall-limit", "60s", source.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 7];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"line 0\n");
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_wall_limit_stops_a_run_that_takes_too_long_in_real_time() {
    let (code, _, err) = scenario(&[
        "run",
        "--format",
        "plain",
        "--wall-limit",
        "1ms",
        "tests/hostile/timeouts_given_up_in_a_loop.toml",
    ]);
    assert_eq!(code, 4);
    assert!(err.contains("wall-clock limit"), "{err}");
}

/// The wall-clock limit holds between events too: a million steps that record nothing come
/// between two events of this file, and the limit is checked every so many steps as well as
/// every so many events. (Without the step check, the run ends at its event budget instead,
/// after 8 million steps.)
#[test]
fn the_wall_limit_stops_steps_that_record_no_event() {
    let file = "tests/hostile/steps_that_record_nothing.toml";
    let (code, _, err) = scenario(&["run", "--format", "plain", "--wall-limit", "1ms", file]);
    assert_eq!(code, 4);
    assert!(err.contains("wall-clock limit"), "{err}");
}

/// `--help` ends with examples and the exit codes; the `run` and `check` examples work as shown
/// (FILE being `mmc.toml`),
/// and the exit codes are README's.
#[test]
fn help_shows_examples_that_work_and_readmes_exit_codes() {
    let (code, help, _) = binary(&["--help"]);
    assert_eq!(code, 0);
    let examples = help.split("Examples:\n").nth(1).and_then(|s| s.split("\n\n").next()).expect("examples");
    let mut ran = 0;
    for line in examples.lines() {
        let command = line.trim().split("   ").next().unwrap().trim();
        let args: Vec<&str> =
            command.split_whitespace().skip(1).map(|a| if a == "FILE" { "scenarios/mmc.toml" } else { a }).collect();
        // A shard writes its summary where it is run; `merge` needs the shards.
        if matches!(args[0], "run" | "check") && !args.contains(&"--shard") {
            let (code, out, err) = binary(&args);
            assert_eq!(code, 0, "`{command}` failed:\n{out}{err}");
            ran += 1;
        }
    }
    assert_eq!(ran, 6, "{examples}");
    let readme = std::fs::read_to_string("README.md").unwrap();
    let codes = help.split("Exit codes:\n").nth(1).expect("exit codes");
    // A line that starts with a number names an exit code; others continue the one above.
    let numbered: Vec<&str> = codes
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    for code in &numbered {
        assert!(readme.contains(&format!("\n| {code} | ")), "README's table lacks exit code {code}");
    }
    assert_eq!(numbered, ["0", "1", "2", "3", "4", "5", "6", "7"], "{codes}");
}

/// Plain output is handed only the says; the size limit still stops the run at the say that
/// crosses it, with the lines before it written whole.
#[test]
fn plain_output_stops_at_its_size_limit() {
    let (code, out, err) = scenario(&["run", "--format", "plain", "tests/hostile/output_that_never_ends.toml"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("the transcript reached its limit of 100000 bytes"), "{err}");
    assert_eq!(out, "spam\n".repeat(100_000 / 5));
}
