//! `run --seeds` and `--runs`: one run per seed, reported across them, the same bytes whatever
//! the number of jobs; failing seeds named with the command that replays them.

use std::process::Command;

fn scenario(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_report_is_the_same_bytes_whatever_the_number_of_jobs() {
    let (code, one, err) = scenario(&["run", "--seeds", "1..=40", "--jobs", "1", "scenarios/mmc.toml"]);
    assert_eq!(code, 0, "{err}");
    for jobs in ["2", "8"] {
        let (code, many, _) = scenario(&["run", "--seeds", "1..=40", "--jobs", jobs, "scenarios/mmc.toml"]);
        assert_eq!((code, &many), (0, &one), "--jobs {jobs}");
    }
    assert!(one.starts_with("40 runs of scenarios/mmc.toml: 40 completed, 0 failed\n"), "{one}");
    // --runs N counts up from the file's seed (mmc.toml's is 1).
    let (_, runs, _) = scenario(&["run", "--runs", "40", "--jobs", "2", "scenarios/mmc.toml"]);
    assert_eq!(runs, one);
}

/// Runs `scenarios/NAME.toml` with 2000 customers a run (instead of 50) over 40 seeds, and
/// `sets`; returns the report's `queue line:` line and a reader of the number after a label in
/// it.
fn long_runs(name: &str, sets: &[&str]) -> (String, impl Fn(&str, &str) -> f64) {
    let file = format!("scenarios/{name}.toml");
    let mut args = vec!["run", "--seeds", "1..=40", "--set", "arrivals.customers.total=2000"];
    for s in sets {
        args.extend(["--set", s]);
    }
    args.push(&file);
    let (code, out, err) = scenario(&args);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("queue line:")).unwrap().to_owned();
    let number = |line: &str, after: &str| -> f64 {
        let rest = &line[line.find(after).unwrap() + after.len()..];
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    (line, number)
}

#[test]
fn the_mm1_mean_wait_and_p99_over_seeds_agree_with_the_theory() {
    // mm1.toml: rho = 0.5, Wq = 0.5 s. Its 50 customers start from an empty line, which
    // biases a short run's mean low (400 seeds of 50 give 0.465 ± 0.032 s); 2000 customers a
    // run make the start negligible. 40 seeds; the interval must hold 0.5 s.
    let (line, number) = long_runs("mm1", &[]);
    let number = |after: &str| number(&line, after);
    let (mean, half) = (number("wait mean "), number(" ± "));
    assert!((mean - half..=mean + half).contains(&0.5), "{line}");
    assert!(half < 0.05, "{line}");
    assert!(line.contains("80000 got"), "{line}");
    // And the pooled p99 against its closed form: P(Wq > t) = rho e^-(mu - lambda) t, so
    // p99 = ln(rho / 0.01) / (mu - lambda) = ln 50 s = 3.912 s.
    let p99 = number("p99 ");
    assert!((p99 / 50f64.ln() - 1.0).abs() < 0.03, "p99 {p99} s against {} s: {line}", 50f64.ln());
}

#[test]
fn the_md1_mean_wait_over_seeds_agrees_with_pollaczek_khinchine() {
    // mm1.toml with a constant service of 500 ms: M/D/1 at rho = 0.5. Pollaczek-Khinchine:
    // Wq = rho / (2 mu (1 - rho)) = 0.5 / (2 * 2 * 0.5) = 0.25 s, half the M/M/1 wait.
    let (line, number) = long_runs("mm1", &["tasks.server.steps.0.steps.1.sleep=500ms"]);
    let (mean, half) = (number(&line, "wait mean "), number(&line, " ± "));
    assert!((mean - half..=mean + half).contains(&0.25), "{line}");
    assert!(half < 0.03, "{line}");
}

#[test]
fn littles_law_holds_on_the_summarys_own_figures() {
    // Mean length = arrival rate x mean wait, the rate being the items per unit of the window.
    let (code, json, err) = scenario(&[
        "run",
        "--seeds",
        "1..=20",
        "--summary",
        "-",
        "--set",
        "arrivals.customers.total=500",
        "scenarios/mmc.toml",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&json[json.find("\n{").unwrap()..]).unwrap();
    let line = &json["queues"][0];
    let window = json["window_ns"].as_f64().unwrap();
    let rate = line["gets"].as_f64().unwrap() / window;
    let (length, wait) = (line["length_mean"].as_f64().unwrap(), line["wait_ns"]["mean"].as_f64().unwrap());
    assert!((length / (rate * wait) - 1.0).abs() < 1e-9, "L = {length}, lambda W = {}", rate * wait);
    assert!(length > 0.1, "{length}");
}

#[test]
fn failing_seeds_are_listed_with_the_command_that_replays_them() {
    let dir = std::env::temp_dir().join(format!("scenario-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("flaky.toml");
    std::fs::write(&file, "[main]\nsteps = [{ sleep = \"1s\" }, { fail = \"boom\", probability = 0.3 }]\n").unwrap();
    let file = file.to_str().unwrap();
    let (code, out, _) = scenario(&["run", "--seeds", "1..=20", file]);
    assert_eq!(code, 4, "{out}");
    let failed: Vec<&str> = out.lines().filter(|l| l.starts_with("seed ")).collect();
    assert!(!failed.is_empty() && failed.len() < 20, "{out}");
    assert!(
        out.contains(&format!("20 runs of {file}: {} completed, {} failed", 20 - failed.len(), failed.len())),
        "{out}"
    );
    // Each replay command fails as reported, and a seed not listed completes.
    for line in out.lines().filter_map(|l| l.strip_prefix("  replay: scenario ")) {
        let args: Vec<&str> = line.split(' ').collect();
        let (code, _, err) = scenario(&args);
        assert_eq!(code, 4, "{line}: {err}");
        assert!(err.contains("boom"), "{err}");
    }
    let listed: Vec<u64> = failed.iter().map(|l| l.split(' ').nth(1).unwrap().parse().unwrap()).collect();
    let fine = (1..=20).find(|s| !listed.contains(s)).unwrap().to_string();
    assert_eq!(scenario(&["run", "--seed", &fine, file]).0, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thresholds_apply_to_the_pooled_runs() {
    let dir = std::env::temp_dir().join(format!("scenario-seeds-th-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.toml");
    let mm1 = std::fs::read_to_string("scenarios/mm1.toml").unwrap();
    std::fs::write(
        &file,
        format!("{mm1}\n[thresholds]\n\"queue.line.gets\" = \"== 1000\"\n\"queue.line.wait.p99\" = \"< 1s\"\n"),
    )
    .unwrap();
    let (code, _, err) = scenario(&["run", "--seeds", "1..=20", file.to_str().unwrap()]);
    assert_eq!(code, 7, "{err}");
    // 20 seeds of 50 customers: the count threshold holds on the pooled 1000 gets.
    assert!(!err.contains("queue.line.gets"), "{err}");
    assert!(err.contains("threshold crossed: queue.line.wait.p99 = "), "{err}");
    assert!(err.ends_with("error: 1 of 2 thresholds crossed over 20 seeds\n"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_seeds_are_usage_errors() {
    for seeds in ["5..2", "1..1", "x", "1..=99999999999"] {
        let (code, _, err) = scenario(&["run", "--seeds", seeds, "scenarios/mm1.toml"]);
        assert_eq!(code, 2, "{seeds}: {err}");
        assert!(err.starts_with("error: --seeds: "), "{err}");
    }
    let (code, _, _) = scenario(&["run", "--seeds", "1..3", "--seed", "4", "scenarios/mm1.toml"]);
    assert_eq!(code, 2);
}

#[test]
fn every_seed_thresholds_are_checked_on_each_run_and_name_the_seeds_that_cross() {
    let dir = std::env::temp_dir().join(format!("scenario-seeds-every-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.toml");
    let mm1 = std::fs::read_to_string("scenarios/mm1.toml").unwrap();
    // Each run has 50 customers, so 50 gets a seed, 1000 pooled: the pooled form of `== 50`
    // would cross, the every-seed form holds. A p99 under 3 s holds pooled for some seeds only.
    std::fs::write(
        &file,
        format!("{mm1}\n[thresholds]\n\"every-seed.queue.line.gets\" = \"== 50\"\n\"every-seed.queue.line.wait.max\" = \"< 3s\"\n"),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (code, out, err) = scenario(&["run", "--seeds", "1..=20", file]);
    assert_eq!(code, 7, "{out}{err}");
    assert!(!out.contains("queue.line.gets"), "{out}");
    let crossing: Vec<u64> = out
        .lines()
        .filter(|l| l.contains("crossed a threshold: every-seed.queue.line.wait.max = "))
        .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(!crossing.is_empty() && crossing.len() < 20, "{out}");
    let listed = crossing.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    assert!(
        err.contains(&format!("threshold crossed: every-seed.queue.line.wait.max: crossed on seeds {listed}")),
        "{err}"
    );
    // The replay of a crossing seed crosses it alone; a seed not listed holds.
    let seed = crossing[0].to_string();
    let (code, _, err) = scenario(&["run", "--seed", &seed, "--format", "plain", file]);
    assert_eq!(code, 7, "{err}");
    let fine = (1..=20u64).find(|s| !crossing.contains(s)).unwrap().to_string();
    assert_eq!(scenario(&["run", "--seed", &fine, "--format", "plain", file]).0, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On a terminal, a progress bar is drawn on standard error and cleared before the report; a
/// bar drawn from the worker threads once deadlocked on standard error's lock. Needs Python's
/// `pty` module to give the command a terminal; says so when it skips.
#[test]
fn on_a_terminal_a_progress_bar_is_drawn_and_the_run_ends() {
    use std::io::Write as _;
    const DRIVER: &str = r#"
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, deadline = b"", time.time() + 60
while time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(f"exit {os.waitstatus_to_exitcode(status)}\n")
sys.stdout.write(out.decode("utf-8", "replace"))
"#;
    let python = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !python {
        let _ = writeln!(std::io::stderr(), "SKIPPED: no python3 to give the command a terminal");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_scenario");
    let out = Command::new("python3")
        .args(["-c", DRIVER, bin, "run", "--seeds", "1..=300", "--jobs", "2", "scenarios/mmc.toml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("exit 0\n"), "{text}");
    assert!(text.contains("/300 seeds, "), "no progress bar: {text}");
    assert!(text.contains("\x1b[2K300 runs of scenarios/mmc.toml: 300 completed, 0 failed"), "{text}");
}

#[test]
fn the_mm3_mean_wait_over_seeds_agrees_with_erlang_c() {
    // mmc.toml: lambda = 1/s, mu = 0.5/s, c = 3, so a = 2 and Erlang C gives P(wait) = 4/9 and
    // Wq = P(wait) / (c mu - lambda) = 8/9 s. 40 seeds of 2000 customers each.
    let (line, number) = long_runs("mmc", &[]);
    let number = |after: &str| number(&line, after);
    let (mean, half) = (number("wait mean "), number(" ± "));
    assert!((mean - half..=mean + half).contains(&(8.0 / 9.0)), "{line}");
    assert!(half < 0.1, "{line}");
}
