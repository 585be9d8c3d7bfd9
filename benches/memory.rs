//! Memory benchmark: what a live task costs, and that a task that has ended costs nothing.
//!
//! 1. 10^7 tasks started and awaited one after another (at most one alive at a time): the
//!    process's peak memory must stay what it takes anyway.
//! 2. 10^6 live tasks, each sleeping, all gathered by `main`: peak memory over 10^6 is the cost
//!    of a live task (its future, its record, its timer, its place in the run queue).
//!
//! The first runs first, since peak memory (VmHWM) only grows. Run with
//! `cargo bench --bench memory`; README.md quotes the figures.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

#[path = "common/mod.rs"]
mod common;
use common::peak_rss_kib;

use std::io;
use std::time::Instant;

use scenario::{Format, Scenario};

const ONE_AFTER_ANOTHER: u64 = 10_000_000;
const LIVE: u64 = 1_000_000;

/// Runs `source` with plain output to nowhere; returns its events and the seconds it took.
fn run(name: &str, source: &str) -> (u64, f64) {
    let scenario = Scenario::from_source(name, source).expect("the benchmark scenario compiles");
    let sinks = Format::Plain.sink(Box::new(io::sink())).into_iter().collect();
    let start = Instant::now();
    let summary = scenario.run_with(sinks, false);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(summary.failure, None, "{name}");
    (summary.events, secs)
}

fn peak_mib() -> String {
    match peak_rss_kib() {
        Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
        None => "not available on this platform".to_owned(),
    }
}

fn main() {
    let before = peak_mib();
    let source = format!(
        "max-tasks = 10\n[tasks.t]\nsteps = [{{ sleep = \"1ms\" }}]\n\
         [main]\nsteps = [{{ repeat = {ONE_AFTER_ANOTHER}, steps = [{{ start = \"t\" }}, {{ wait = \"t\" }}] }}]\n"
    );
    let (events, secs) = run("one_after_another.toml", &source);
    println!("peak memory before the runs (VmHWM): {before}");
    println!(
        "{ONE_AFTER_ANOTHER} tasks one after another: {events} events in {secs:.2} s = {:.2} M events/s; peak memory {}",
        events as f64 / secs / 1e6,
        peak_mib()
    );

    let source =
        format!("[tasks.t]\ncount = {LIVE}\nsteps = [{{ sleep = \"1s\" }}]\n[main]\nsteps = [{{ gather = \"t\" }}]\n");
    let (events, secs) = run("live.toml", &source);
    println!("{LIVE} live sleeping tasks: {events} events in {secs:.2} s; peak memory {}", peak_mib());
    if let Some(kib) = peak_rss_kib() {
        println!("  = {:.0} bytes a live task, with what the process takes anyway", kib as f64 * 1024.0 / LIVE as f64);
    }
}
