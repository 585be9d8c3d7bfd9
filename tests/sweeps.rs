//! `--set`, `--sweep`, `--shard` and `scenario merge`: one question asked of many
//! configurations, and a run split over machines put back together byte for byte.

use std::path::PathBuf;
use std::process::Command;

fn scenario_in(dir: Option<&PathBuf>, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario"));
    command.args(args).env_remove("JOB_COMPLETION_INDEX").env_remove("SLURM_ARRAY_TASK_ID");
    command.envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command.output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn scenario(args: &[&str]) -> (i32, String, String) {
    scenario_in(None, &[], args)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scenario-sweeps-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn set_overrides_a_value_and_is_checked_like_the_file() {
    let (code, three, _) = scenario(&["run", "--format", "plain", "--summary", "-", "scenarios/mmc.toml"]);
    assert_eq!(code, 0);
    let (code, eight, err) = scenario(&[
        "run",
        "--format",
        "plain",
        "--summary",
        "-",
        "--set",
        "tasks.server.count=8",
        "scenarios/mmc.toml",
    ]);
    assert_eq!(code, 0, "{err}");
    let started = |json: &str| -> u64 {
        let json: serde_json::Value = serde_json::from_str(json).unwrap();
        assert!(json["set"].is_array());
        json["tasks"].as_array().unwrap().iter().find(|t| t["name"] == "server").unwrap()["started"].as_u64().unwrap()
    };
    assert_eq!((started(&three), started(&eight)), (3, 8));

    // Mistakes point at the override, by line and column of its own text.
    for (set, expected) in [
        ("tasks.server.count=x", "error: invalid type: string \"x\", expected a whole number\n --> --set:1:20\n"),
        ("tasks.sever.count=2", "= help: did you mean `tasks.server`?"),
        ("tasks.server.count=-1", "error: a task's `count` cannot be negative\n --> --set:1:20"),
        ("tasks.server.cont=2", "unknown key `cont`"),
        ("queues.line", "is not PATH=VALUE"),
    ] {
        let (code, _, err) = scenario(&["run", "--set", set, "scenarios/mmc.toml"]);
        assert_eq!(code, 3, "{set}: {err}");
        assert!(err.contains(expected), "{set}: expected {expected:?} in:\n{err}");
    }
    // `check` takes overrides too.
    assert_eq!(scenario(&["check", "--set", "tasks.server.count=8", "scenarios/mmc.toml"]).0, 0);
    let (code, _, err) = scenario(&["check", "--set", "tasks.server.count=x", "scenarios/mmc.toml"]);
    assert!(code == 3 && err.contains("--> --set:1:20"), "{err}");
    // A mistake in the file still points into the file, at its own line, after an override
    // that added a line above it.
    let dir = scratch("set");
    std::fs::write(dir.join("s.toml"), "[tasks.a]\nsteps = [{ sleep = \"1x\" }]\n").unwrap();
    let (code, _, err) = scenario_in(Some(&dir), &[], &["check", "s.toml"]);
    assert_eq!(code, 3);
    assert!(err.contains("s.toml:2:20"), "{err}");
    let (code, _, err) = scenario_in(Some(&dir), &[], &["run", "--set", "time-limit=1h", "s.toml"]);
    assert_eq!(code, 3);
    assert!(err.contains("s.toml:2:20"), "{err}");
    // And a table the file lacks can be added, thresholds included.
    let (code, _, err) = scenario(&[
        "run",
        "--format",
        "plain",
        "--set",
        r#"thresholds."queue.line.wait.max"=< 1ms"#,
        "scenarios/mmc.toml",
    ]);
    assert_eq!(code, 7, "{err}");
    assert!(err.contains("threshold crossed: queue.line.wait.max"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_prints_a_row_per_point_over_the_same_seeds() {
    let args = [
        "run",
        "--seeds",
        "1..=10",
        "--sweep",
        "tasks.server.count=1,2,3",
        "--metric",
        "queue.line.wait.mean",
        "--metric",
        "task.customers.lifetime.mean",
        "--summary",
        "-",
        "scenarios/mmc.toml",
    ];
    let (code, out, err) = scenario(&args);
    assert_eq!(code, 0, "{err}");
    let (table, json) = out.split_at(out.find("\n{").unwrap() + 1);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "sweep of scenarios/mmc.toml over tasks.server.count: 3 points, 10 seeds each (mean over seeds ± 95% interval)"
    );
    assert!(lines[1].starts_with("tasks.server.count  failed  queue.line.wait.mean"), "{table}");
    assert_eq!(lines.len(), 5, "{table}");
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    let mean = |p: &serde_json::Value, metric: &str| {
        let across = p["report"]["across_seeds"].as_array().unwrap();
        across.iter().find(|m| m["metric"] == metric).unwrap()["mean"].as_f64().unwrap()
    };
    // More servers, shorter waits.
    let waits: Vec<f64> = points.iter().map(|p| mean(p, "queue.line.wait.mean")).collect();
    assert!(waits[0] > waits[1] && waits[1] > waits[2], "{waits:?}");
    // Common random numbers: the arrivals draw the same times at every point, so the source
    // of customers lives exactly as long whatever the number of servers.
    let arrivals: Vec<f64> = points.iter().map(|p| mean(p, "task.customers.lifetime.mean")).collect();
    assert!(arrivals.iter().all(|a| *a == arrivals[0]), "{arrivals:?}");
    // The schema describes it.
    let schema: serde_json::Value = serde_json::from_str(&scenario::summary_json_schema()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    assert!(validator.iter_errors(&json).next().is_none());
}

#[test]
fn a_sweep_as_csv_has_a_header_and_a_row_per_combination() {
    let (code, out, err) = scenario(&[
        "run",
        "--runs",
        "3",
        "--sweep",
        "tasks.server.count=2..=3",
        "--sweep",
        r#"arrivals.customers.every={ exponential = "1s" },{ exponential = "2s" }"#,
        "--table",
        "csv",
        "scenarios/mmc.toml",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "tasks.server.count,arrivals.customers.every,seeds,failed,run.makespan,run.makespan ±,queue.line.wait.mean,queue.line.wait.mean ±"
    );
    assert_eq!(lines.len(), 5);
    assert!(lines[1].starts_with("2,\"{ exponential = \"\"1s\"\" }\",3,0,"), "{}", lines[1]);
    assert!(lines[4].starts_with("3,\"{ exponential = \"\"2s\"\" }\",3,0,"), "{}", lines[4]);
}

#[test]
fn thresholds_in_a_sweep_name_the_points_that_crossed() {
    let (code, out, err) = scenario(&[
        "run",
        "--runs",
        "5",
        "--sweep",
        "tasks.server.count=1,4",
        "--set",
        r#"thresholds."queue.line.wait.mean"=< 2s"#,
        "scenarios/mmc.toml",
    ]);
    assert_eq!(code, 7, "{out}{err}");
    assert!(
        out.contains("tasks.server.count=1: threshold crossed (pooled over 5 seeds): queue.line.wait.mean = "),
        "{out}"
    );
    assert!(!out.contains("tasks.server.count=4: threshold"), "{out}");
    assert!(err.contains("error: thresholds crossed at 1 of 2 points"), "{err}");
}

#[test]
fn sweeps_too_large_and_bad_values_are_usage_errors() {
    for (sweep, expected) in [
        (vec!["a=1..=10000", "b=1..=10000"], "more than 10000 points"),
        (vec!["a=5..1"], "must go up"),
        (vec!["a"], "is not PATH=VALUES"),
    ] {
        let mut args = vec!["run"];
        for s in &sweep {
            args.extend(["--sweep", s]);
        }
        args.push("scenarios/mmc.toml");
        let (code, _, err) = scenario(&args);
        assert_eq!(code, 2, "{sweep:?}: {err}");
        assert!(err.starts_with("error: --sweep: ") && err.contains(expected), "{sweep:?}: {err}");
    }
    // A bad value at one point is a diagnostic naming the override, before anything runs.
    let (code, out, err) = scenario(&["run", "--sweep", "tasks.server.count=2,x", "scenarios/mmc.toml"]);
    assert_eq!((code, out.as_str()), (3, ""), "{err}");
    assert!(err.contains("--> --set:1:20"), "{err}");
}

#[test]
fn merging_any_split_of_the_seeds_gives_the_bytes_of_the_whole() {
    let dir = scratch("merge");
    let mm1 = std::fs::read_to_string("scenarios/mmc.toml").unwrap();
    std::fs::write(dir.join("m.toml"), mm1).unwrap();
    let run = |args: &[&str]| scenario_in(Some(&dir), &[], args);
    let (code, whole, err) = run(&["run", "--seeds", "1..=25", "--summary", "whole.json", "m.toml"]);
    assert_eq!(code, 0, "{err}");
    let whole_json = std::fs::read_to_string(dir.join("whole.json")).unwrap();
    for n in [1u64, 2, 3, 7, 30] {
        let mut files = Vec::new();
        for k in (1..=n).rev() {
            let file = format!("s{k}-{n}.json");
            let shard = format!("{k}/{n}");
            let (code, text, err) =
                run(&["run", "--seeds", "1..=25", "--shard", &shard, "--jobs", "1", "--summary", &file, "m.toml"]);
            assert_eq!(code, 0, "{err}");
            assert!(text.starts_with(&format!("shard {k} of {n}: ")), "{text}");
            files.push(file);
        }
        let mut args = vec!["merge", "--summary", "merged.json"];
        args.extend(files.iter().map(String::as_str));
        let (code, merged, err) = run(&args);
        assert_eq!(code, 0, "{n} shards: {err}");
        assert_eq!(merged, whole, "{n} shards");
        assert_eq!(std::fs::read_to_string(dir.join("merged.json")).unwrap(), whole_json, "{n} shards");
    }
    // The shard's number from a scheduler's environment.
    for env in
        [[("JOB_COMPLETION_INDEX", "1"), ("", "")], [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1")]]
    {
        let env: Vec<(&str, &str)> = env.into_iter().filter(|(k, _)| !k.is_empty()).collect();
        let (code, text, err) = scenario_in(
            Some(&dir),
            &env,
            &["run", "--seeds", "1..=25", "--shard", "3", "--summary", "e.json", "m.toml"],
        );
        assert_eq!(code, 0, "{err}");
        assert!(text.starts_with("shard 2 of 3: "), "{env:?}: {text}");
    }
    // Mistakes: a shard missing, given twice, or from another run.
    let (code, _, err) = run(&["merge", "s1-3.json", "s2-3.json"]);
    assert_eq!((code, err.as_str()), (2, "error: shard 3 of 3 is missing\n"));
    let (code, _, err) = run(&["merge", "s1-3.json", "s1-3.json", "s2-3.json"]);
    assert_eq!((code, err.as_str()), (2, "error: `s1-3.json` is shard 1 again\n"));
    let (code, _, err) = run(&["merge", "s1-2.json", "s2-3.json"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["merge", "whole.json"]);
    assert!(code == 2 && err.contains("is not a shard's summary"), "{err}");
    let (code, _, err) = run(&["run", "--seeds", "1..=5", "--shard", "2/4", "m.toml"]);
    assert!(code == 2 && err.contains("--summary"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_merge_fails_as_the_whole_run_fails_and_shards_leave_the_verdict_to_it() {
    let dir = scratch("merge-fail");
    std::fs::write(
        dir.join("f.toml"),
        "[main]\nsteps = [{ sleep = \"1s\" }, { fail = \"boom\", probability = 0.3 }]\n[thresholds]\n\"every-seed.run.makespan\" = \"< 2s\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| scenario_in(Some(&dir), &[], args);
    let (code, whole, err) = run(&["run", "--seeds", "1..=20", "--summary", "whole.json", "f.toml"]);
    assert_eq!(code, 4, "some seeds fail: {err}");
    assert!(whole.contains("replay: scenario run f.toml --seed "), "{whole}");
    for k in ["1/2", "2/2"] {
        let file = format!("s{}.json", &k[..1]);
        let (code, _, err) = run(&["run", "--seeds", "1..=20", "--shard", k, "--summary", &file, "f.toml"]);
        assert_eq!(code, 0, "a shard leaves the verdict to the merge: {err}");
    }
    let (code, merged, _) = run(&["merge", "s1.json", "s2.json", "--summary", "merged.json"]);
    assert_eq!((code, merged), (4, whole));
    assert_eq!(
        std::fs::read_to_string(dir.join("merged.json")).unwrap(),
        std::fs::read_to_string(dir.join("whole.json")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merging_a_split_sweep_gives_the_bytes_of_the_whole() {
    let dir = scratch("merge-sweep");
    std::fs::write(dir.join("m.toml"), std::fs::read_to_string("scenarios/mmc.toml").unwrap()).unwrap();
    let run = |args: &[&str]| scenario_in(Some(&dir), &[], args);
    let common =
        ["run", "--seeds", "1..=9", "--sweep", "tasks.server.count=2,3", "--set", "arrivals.customers.total=20"];
    let mut whole = common.to_vec();
    whole.extend(["--summary", "whole.json", "m.toml"]);
    let (code, whole_text, err) = run(&whole);
    assert_eq!(code, 0, "{err}");
    for k in ["1/2", "2/2"] {
        let mut args = common.to_vec();
        let file = format!("s{}.json", &k[..1]);
        args.extend(["--shard", k, "--summary", &file, "m.toml"]);
        assert_eq!(run(&args).0, 0);
    }
    let (code, merged, err) = run(&["merge", "s2.json", "s1.json", "--summary", "merged.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(merged, whole_text);
    assert_eq!(
        std::fs::read_to_string(dir.join("merged.json")).unwrap(),
        std::fs::read_to_string(dir.join("whole.json")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
