//! `run --summary FILE`: a run's statistics as JSON, in the shape `schema/summary.schema.json`
//! commits to, the same bytes for the same run, and agreeing with the text statistics.

mod common;

use std::process::Command;

use serde_json::Value;

const SCHEMA_PATH: &str = "schema/summary.schema.json";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scenario-summary-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_committed_summary_schema_is_current() {
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap();
    assert!(
        committed == scenario::summary_json_schema(),
        "{SCHEMA_PATH} is stale: regenerate it with `cargo run -- schema --summary -o {SCHEMA_PATH}`"
    );
}

#[test]
fn every_scenario_writes_a_summary_the_schema_accepts_and_the_same_bytes_twice() {
    let schema: Value = serde_json::from_str(&scenario::summary_json_schema()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let dir = scratch("all");
    for file in &common::examples() {
        let file = file.to_str().unwrap();
        let (a, b) = (dir.join("a.json"), dir.join("b.json"));
        for out in [&a, &b] {
            let (code, _, err) = run(&["run", "--format", "plain", "--summary", out.to_str().unwrap(), file]);
            assert_eq!(code, 0, "{file}: {err}");
        }
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap(), "{file}: two runs, two summaries");
        let json: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
        assert_eq!(json["outcome"], "completed", "{file}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_summary_agrees_with_the_text_statistics() {
    // mm1.toml's text statistics: `queue line: 50 put, 50 got, 0 left, longest 3, queued mean
    // 0.219414 s, max 1.526138 s`, and the run's end.
    let (code, text, _) = run(&["run", "scenarios/mm1.toml"]);
    assert_eq!(code, 0);
    let (code, out, _) = run(&["run", "--format", "plain", "--summary", "-", "scenarios/mm1.toml"]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    let queue = &json["queues"][0];
    let wait = &queue["wait_ns"];
    let line = text.lines().find(|l| l.starts_with("queue line:")).unwrap();
    let expected = format!(
        "queue line: {} put, {} got, {} left, longest {}, queued mean {:.6} s, max {:.6} s",
        queue["puts"],
        queue["gets"],
        queue["left"],
        queue["longest"],
        wait["mean"].as_f64().unwrap() / 1e9,
        wait["max"].as_f64().unwrap() / 1e9
    );
    assert_eq!(line, expected);
    let end = text.lines().find(|l| l.starts_with("run completed at")).unwrap();
    let ns = json["makespan_ns"].as_u64().unwrap();
    assert!(end.starts_with(&format!("run completed at {}.{:09} s", ns / 1_000_000_000, ns % 1_000_000_000)), "{end}");
    // Percentiles are ordered and bounded by the maximum.
    let p: Vec<u64> = ["p50", "p90", "p99", "p999", "max"].iter().map(|k| wait[*k].as_u64().unwrap()).collect();
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
}

#[test]
fn a_failed_run_still_writes_its_summary_with_the_reason() {
    let dir = scratch("deadlock");
    let file = dir.join("d.toml");
    std::fs::write(&file, "[queues.q]\n[tasks.t]\nsteps = [{ get = \"q\" }]\n").unwrap();
    let summary = dir.join("s.json");
    let (code, _, _) =
        run(&["run", "--format", "plain", "--summary", summary.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(code, 5);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(json["outcome"], "deadlock");
    assert!(json["failure"].as_str().unwrap().starts_with("deadlock: every task is waiting"), "{json}");
    assert_eq!(json["queues"][0]["wait_ns"]["mean"], Value::Null);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thresholds_are_in_the_summary_with_their_values() {
    let dir = scratch("thresholds");
    let file = dir.join("t.toml");
    let mm1 = std::fs::read_to_string("scenarios/mm1.toml").unwrap();
    std::fs::write(
        &file,
        format!("{mm1}\n[thresholds]\n\"queue.line.gets\" = \"== 50\"\n\"run.makespan\" = \"< 1s\"\n"),
    )
    .unwrap();
    let (code, out, _) = run(&["run", "--format", "plain", "--summary", "-", file.to_str().unwrap()]);
    assert_eq!(code, 7);
    let json: Value = serde_json::from_str(&out).unwrap();
    let t = &json["thresholds"];
    assert_eq!((t[0]["metric"].as_str(), t[0]["condition"].as_str()), (Some("queue.line.gets"), Some("== 50")));
    assert_eq!((t[0]["value"].as_f64(), t[0]["held"].as_bool()), (Some(50.0), Some(true)));
    assert_eq!((t[1]["condition"].as_str(), t[1]["held"].as_bool()), (Some("< 1 s"), Some(false)));
    assert_eq!(t[1]["value"].as_f64(), json["makespan_ns"].as_f64());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn many_seeds_write_one_pooled_summary_with_means_over_seeds() {
    let schema: Value = serde_json::from_str(&scenario::summary_json_schema()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let dir = scratch("seeds");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for (out, jobs) in [(&a, "1"), (&b, "2")] {
        let args =
            ["run", "--seeds", "1..=10", "--jobs", jobs, "--summary", out.to_str().unwrap(), "scenarios/mm1.toml"];
        let (code, text, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        assert!(text.starts_with("10 runs of scenarios/mm1.toml"), "{text}");
    }
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(text, std::fs::read_to_string(&b).unwrap(), "the summary must not depend on --jobs");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert!(validator.iter_errors(&json).next().is_none(), "{json}");
    assert_eq!((json["runs"].as_u64(), json["seed"].as_u64()), (Some(10), Some(1)));
    assert_eq!(json["queues"][0]["gets"].as_u64(), Some(500), "10 seeds of 50 customers, pooled");
    let across = json["across_seeds"].as_array().unwrap();
    let metric = |name: &str| across.iter().find(|m| m["metric"] == name).unwrap_or_else(|| panic!("{name}"));
    assert!(metric("run.makespan")["interval"].as_f64().unwrap() > 0.0, "{across:?}");
    assert!(metric("queue.line.wait.mean")["mean"].as_f64().unwrap() > 0.0, "{across:?}");
    assert!(metric("queue.line.length.mean")["mean"].as_f64().unwrap() > 0.0, "{across:?}");
    let (wait, system) =
        (metric("queue.line.wait.mean")["mean"].as_f64(), metric("queue.line.system.mean")["mean"].as_f64());
    assert!(system.unwrap() > wait.unwrap(), "time in system is the wait and the service: {across:?}");
    // A single run says so.
    let (_, one, _) = run(&["run", "-o", "/dev/null", "--summary", "-", "scenarios/countasync.toml"]);
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!((one["runs"].as_u64(), &one["across_seeds"]), (Some(1), &Value::Null));

    // Failing seeds are listed, and the summary says the run failed.
    let file = dir.join("flaky.toml");
    std::fs::write(&file, "[main]\nsteps = [{ sleep = \"1s\" }, { fail = \"boom\", probability = 0.3 }]\n").unwrap();
    let (code, _, _) = run(&["run", "--seeds", "1..=20", "--summary", a.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(code, 4);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    let failed = json["failed_seeds"].as_array().unwrap();
    assert!(!failed.is_empty() && failed.len() < 20, "{json}");
    assert_eq!(json["outcome"], "failed");
    assert!(json["failure"].as_str().unwrap().starts_with(&format!("seed {}: ", failed[0])), "{json}");
    std::fs::remove_dir_all(&dir).unwrap();
}
