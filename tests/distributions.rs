//! Each task replica draws from its own stream: adding tasks or replicas leaves the others'
//! draws alone. (Golden values and the samplers' statistics are unit tests in `src/dist/`.)

/// The sleeps each task drew, from a JSONL transcript: (task, duration) in order.
fn sleeps(source: &str, seed: u64) -> Vec<(String, u64)> {
    let run =
        scenario::Scenario::from_source("test.toml", source).unwrap().seed(seed).format(scenario::Format::Jsonl).run();
    run.transcript
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "sleep")
        .map(|e| (e["task"].as_str().unwrap().to_owned(), e["duration_ns"].as_u64().unwrap()))
        .collect()
}

#[test]
fn adding_a_task_or_a_replica_does_not_change_what_the_others_draw() {
    let base = r#"
        [tasks.a]
        count = 2
        steps = [{ repeat = 5, steps = [{ sleep = { exponential = "1s" } }] }]
        [tasks.b]
        steps = [{ repeat = 5, steps = [{ sleep = { uniform = ["0s", "3s"] } }] }]
    "#;
    let more = base.replace("count = 2", "count = 3").to_owned()
        + r#"
        [tasks.c]
        steps = [{ repeat = 5, steps = [{ sleep = { exponential = "2s" } }] }]
    "#;
    for seed in [0, 1, 42] {
        let of = |draws: &[(String, u64)], task: &str| -> Vec<u64> {
            draws.iter().filter(|(t, _)| t == task).map(|(_, d)| *d).collect()
        };
        let (before, after) = (sleeps(base, seed), sleeps(&more, seed));
        for task in ["a[0]", "a[1]", "b"] {
            assert_eq!(of(&before, task), of(&after, task), "seed {seed}: {task} drew differently");
            assert_eq!(of(&before, task).len(), 5);
        }
        assert_eq!(of(&after, "c").len(), 5);
    }
}

#[test]
fn a_task_started_again_draws_afresh() {
    // A one-replica task gathered five times: five independent latencies, not one five times.
    let source = r#"
        [tasks.request]
        steps = [{ sleep = { exponential = "100ms" } }]
        [main]
        steps = [{ repeat = 5, steps = [{ gather = "request" }] }]
    "#;
    let draws: Vec<u64> = sleeps(source, 7).into_iter().map(|(_, d)| d).collect();
    assert_eq!(draws.len(), 5);
    let mut distinct = draws.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "restarts replayed their draws: {draws:?}");
    // The first start draws what a single start always drew.
    let once = r#"
        [tasks.request]
        steps = [{ sleep = { exponential = "100ms" } }]
    "#;
    assert_eq!(sleeps(once, 7)[0].1, draws[0]);
}

#[test]
fn starting_a_task_again_does_not_change_what_others_draw() {
    let base = r#"
        [tasks.a]
        steps = [{ repeat = 3, steps = [{ sleep = { exponential = "1s" } }] }]
        [tasks.b]
        steps = [{ sleep = { exponential = "1s" } }]
        [main]
        steps = [{ gather = ["a", "b"] }]
    "#;
    let more =
        base.replace(r#"steps = [{ gather = ["a", "b"] }]"#, r#"steps = [{ gather = ["a", "b"] }, { gather = "b" }]"#);
    let of = |draws: &[(String, u64)], task: &str| -> Vec<u64> {
        draws.iter().filter(|(t, _)| t == task).map(|(_, d)| *d).collect()
    };
    let (before, after) = (sleeps(base, 1), sleeps(&more, 1));
    assert_eq!(of(&before, "a"), of(&after, "a"));
    assert_eq!(of(&before, "b")[0], of(&after, "b")[0]);
    assert_eq!(of(&after, "b").len(), 2);
}
