//! `[thresholds]`: conditions on a run's statistics. A crossed one fails `run` (exit code 7)
//! and `scenario test`; a metric or condition that cannot be is an error at `check`.

use std::process::Command;

/// Runs the binary on `source` (written to a scratch file); returns the exit code and stderr.
fn run(name: &str, source: &str, args: &[&str]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("scenario-thresholds-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s.toml"), source).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).current_dir(&dir).args(args).arg("s.toml").output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Items put at 0, 1, 2, ... 99 ms and got all at 1 s: they wait 1000, 999, ... 901 ms.
const WAITS: &str = r#"
[queues.q]
[tasks.p]
steps = [{ repeat = 100, steps = [{ put = "q", item = "x" }, { sleep = "1ms" }] }]
[tasks.c]
steps = [{ sleep = "1s" }, { repeat = 100, steps = [{ get = "q" }] }]
"#;

#[test]
fn thresholds_that_hold_pass_and_a_crossed_one_fails_the_run_with_its_value_and_bound() {
    let holds = format!(
        "{WAITS}[thresholds]\n\"queue.q.wait.max\" = \"== 1s\"\n\"queue.q.gets\" = \"== 100\"\n\"task.c.failed\" = \"== 0\"\n\"run.makespan\" = \"< 2s\"\n"
    );
    let (code, err) = run("holds", &holds, &["run", "--format", "plain"]);
    assert_eq!((code, err.as_str()), (0, ""));

    let crossed = format!("{WAITS}[thresholds]\n\"queue.q.gets\" = \"== 100\"\n\"queue.q.wait.mean\" = \"< 900ms\"\n");
    let (code, err) = run("crossed", &crossed, &["run", "--format", "plain"]);
    assert_eq!(code, 7, "{err}");
    // The mean of 901..1000 ms is 950.5 ms.
    assert!(
        err.contains("error: threshold crossed: queue.q.wait.mean = 0.9505 s, not < 0.9 s\n --> s.toml:9:1\n"),
        "{err}"
    );
    assert!(err.ends_with("error: 1 of 2 thresholds crossed\n"), "{err}");
    // Whatever the format: the statistics are gathered for the thresholds alone.
    for format in ["text", "jsonl"] {
        assert_eq!(run("format", &crossed, &["run", "--format", format]).0, 7);
    }
}

#[test]
fn percentiles_are_the_exact_order_statistic_to_within_a_tenth_of_a_percent_above() {
    // 100 waits of 901..=1000 ms: the p-quantile is the ceil(p * 100)-th smallest.
    for (name, exact_ms) in [("p50", 950u64), ("p90", 990), ("p99", 999), ("p999", 1000)] {
        let exact = exact_ms * 1_000_000;
        let within = exact + exact / 1000;
        let at_most = format!("{WAITS}[thresholds]\n\"queue.q.wait.{name}\" = \"<= {within}ns\"\n");
        let (code, err) = run(name, &at_most, &["run", "--format", "plain"]);
        assert_eq!(code, 0, "{name}: {err}");
        let at_least = format!("{WAITS}[thresholds]\n\"queue.q.wait.{name}\" = \">= {exact}ns\"\n");
        let (code, err) = run(name, &at_least, &["run", "--format", "plain"]);
        assert_eq!(code, 0, "{name}: {err}");
        // And a bound just under the exact value is crossed.
        let under = format!("{WAITS}[thresholds]\n\"queue.q.wait.{name}\" = \"< {}ns\"\n", exact - 1);
        assert_eq!(run(name, &under, &["run", "--format", "plain"]).0, 7, "{name}");
    }
}

#[test]
fn unknown_metrics_and_bad_conditions_are_errors_at_check() {
    let source = format!(
        "{WAITS}[thresholds]\n\"queue.qq.wait.p99\" = \"< 2s\"\n\"queue.q.wait.p98\" = \"< 2s\"\n\"queue.q.puts\" = \"about 3\"\n\"queue.q.gets\" = \"< 2.5\"\n\"task.c.lifetime.max\" = \"< 2 parsecs\"\n\"thread.x\" = \"< 1\"\n\"queue.q.length.mean\" = \"< lots\"\n"
    );
    let (code, err) = run("check", &source, &["check"]);
    assert_eq!(code, 3, "{err}");
    for expected in [
        "error: unknown metric `queue.qq.wait.p99`\n --> s.toml:8:1",
        "= help: did you mean `queue.q.wait.p99`?",
        "error: unknown metric `queue.q.wait.p98`\n --> s.toml:9:1",
        "error: `about 3` is not a condition\n  --> s.toml:10:18",
        "error: `queue.q.gets` is a count, and `2.5` is not a whole number",
        "error: invalid duration `2 parsecs`",
        "error: unknown metric `thread.x`",
        "error: `queue.q.length.mean` is a number, and `lots` is not one",
        "error: `s.toml` has 7 errors",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn tasks_semaphores_and_the_thread_pool_have_metrics() {
    let source = r#"
thread-pool = 1
[semaphores.db]
permits = 1
[tasks.w]
count = 2
steps = [{ hold = "db", steps = [{ sleep = "1s" }] }, { to-thread = "2s" }]
[thresholds]
"task.w.completed" = "== 2"
"task.main.completed" = "== 1"
"task.w.lifetime.max" = "== 5s"
"semaphore.db.waited" = "== 1"
"semaphore.db.wait.max" = "== 1s"
"semaphore.thread-pool.acquisitions" = "== 2"
"semaphore.thread-pool.wait.max" = "== 1s"
"semaphore.db.utilisation" = "== 0.4"
"semaphore.thread-pool.utilisation" = "== 0.8"
"semaphore.db.wait.mean" = "== 0.5s"
"task.w.retries" = "== 0"
"run.window" = "== 5s"
"#;
    let (code, err) = run("subjects", source, &["run", "--format", "plain"]);
    assert_eq!((code, err.as_str()), (0, ""));
}
