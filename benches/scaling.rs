//! Per-operation costs as counts grow tenfold: each pattern that once cost the square of its
//! count runs at N and 10 N, and the cost per operation is printed for both. Flat columns mean
//! the engine costs what it touches. Run with `cargo bench --bench scaling`.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

use std::time::Instant;

use scenario::Scenario;

/// A pattern: its name, and its scenario for a count.
type Pattern = (&'static str, fn(u64) -> String);

fn patterns() -> Vec<Pattern> {
    vec![
        ("start and wait in a loop", |n| {
            format!(
                "[tasks.t]\nsteps = [{{ sleep = \"1ms\" }}]\n[main]\nsteps = [{{ repeat = {n}, steps = [{{ start = \"t\" }}, {{ wait = \"t\" }}] }}]\n"
            )
        }),
        ("getters timing out on one queue", |n| {
            format!(
                "max-tasks = 10000000\n[queues.q]\n[tasks.getter]\ncount = {n}\nsteps = [{{ timeout = {{ uniform = [\"1s\", \"2s\"] }}, steps = [{{ get = \"q\" }}] }}]\n"
            )
        }),
        ("timeouts given up in a loop", |n| {
            format!(
                "max-events = 1000000000\n[main]\nsteps = [{{ repeat = {n}, steps = [{{ timeout = \"1h\", steps = [{{ sleep = \"1ms\" }}] }}] }}]\n"
            )
        }),
        ("waiters on a semaphore timing out", |n| {
            format!(
                "max-tasks = 10000000\n[semaphores.s]\npermits = 0\n[tasks.w]\ncount = {n}\nsteps = [{{ timeout = {{ uniform = [\"1s\", \"2s\"] }}, steps = [{{ acquire = \"s\" }}] }}]\n"
            )
        }),
        ("replicas each waiting for a group", |n| {
            format!(
                "max-tasks = 10000000\n[tasks.worker]\ncount = {n}\nsteps = [{{ sleep = \"1s\" }}]\n[tasks.waiter]\ncount = {n}\nsteps = [{{ wait = \"worker\" }}]\n[main]\nsteps = [{{ start = [\"worker\", \"waiter\"] }}, {{ wait = \"waiter\" }}]\n"
            )
        }),
    ]
}

fn main() {
    let n = 20_000;
    println!("{:<36} {:>14} {:>14}", "pattern", format!("ns/op at {n}"), format!("ns/op at {}", 10 * n));
    for (name, source) in patterns() {
        let cost = |count: u64| {
            let scenario = Scenario::from_source("scaling.toml", source(count)).expect("the pattern compiles");
            let start = Instant::now();
            let summary = scenario.run_with(Vec::new(), false);
            assert_eq!(summary.failure, None, "{name}");
            start.elapsed().as_nanos() as f64 / count as f64
        };
        println!("{name:<36} {:>14.0} {:>14.0}", cost(n), cost(10 * n));
    }

    // Checking a file costs its size: a file of unused queues, and one of unknown keys (every
    // one an error), near the 4 MiB limit and a tenth of it.
    let files: [Pattern; 2] = [
        ("check: unused queues", |n| {
            (0..n).map(|k| format!("[queues.q{k}]\n")).collect::<String>() + "[tasks.t]\nsteps = [{ sleep = \"1s\" }]\n"
        }),
        ("check: unknown keys", |n| {
            (0..n).map(|k| format!("k{k} = 1\n")).collect::<String>() + "[tasks.t]\nsteps = [{ sleep = \"1s\" }]\n"
        }),
    ];
    let n = 25_000;
    println!("{:<36} {:>14} {:>14}", "file", format!("ms at {n}"), format!("ms at {}", 10 * n));
    for (name, source) in files {
        let cost = |count: u64| {
            let text = source(count);
            assert!(text.len() <= scenario::MAX_SOURCE_BYTES, "{name}: {} bytes", text.len());
            let start = Instant::now();
            let result = Scenario::from_source("big.toml", text);
            let rendered = match result {
                Ok(s) => s.render_warnings(),
                Err(e) => e.to_string(),
            };
            assert!(!rendered.is_empty());
            start.elapsed().as_secs_f64() * 1e3
        };
        println!("{name:<36} {:>14.0} {:>14.0}", cost(n), cost(10 * n));
    }
}
