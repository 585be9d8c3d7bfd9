//! Throughput benchmark: a producer/consumer scenario with 10^6 items, run in virtual time.
//!
//! Reports simulated events per second (wall clock, best of three runs) and the process's peak
//! memory. Run with `cargo bench --bench throughput`; README.md quotes the figures.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

#[path = "common/mod.rs"]
mod common;
use common::peak_rss_kib;

use std::io;
use std::time::Instant;

use scenario::{Format, Scenario};

const ITEMS_PER_PRODUCER: u64 = 100_000;
const PRODUCERS: u64 = 10;

fn scenario_source() -> String {
    format!(
        r#"
seed = 1
time-limit = "1000d"

[queues.jobs]
capacity = 1000

[tasks.producer]
count = {PRODUCERS}
steps = [{{ repeat = {ITEMS_PER_PRODUCER}, steps = [{{ sleep = {{ exponential = "10ms" }} }}, {{ put = "jobs" }}] }}]

[tasks.consumer]
count = 10
steps = [{{ repeat = "forever", steps = [{{ get = "jobs" }}, {{ sleep = {{ exponential = "9ms" }} }}, {{ done = "jobs" }}] }}]

[main]
steps = [{{ start = "consumer" }}, {{ gather = "producer" }}, {{ join = "jobs" }}, {{ cancel = "consumer" }}]
"#
    )
}

fn main() {
    let source = scenario_source();
    let scenario = Scenario::from_source("throughput.toml", source).expect("the benchmark scenario compiles");
    println!("scenario: {PRODUCERS} producers x {ITEMS_PER_PRODUCER} items, 10 consumers, queue capacity 1000");
    for (name, format) in [("engine only (no output)", Format::Silent), ("with text timeline to a sink", Format::Text)]
    {
        let mut best = f64::INFINITY;
        let mut events = 0;
        for _ in 0..3 {
            // Statistics are always collected, as the timeline needs them.
            let sinks = format.sink(Box::new(io::sink())).into_iter().collect();
            let start = Instant::now();
            let summary = scenario.run_with(sinks, true);
            let secs = start.elapsed().as_secs_f64();
            assert_eq!(summary.failure, None);
            assert_eq!(summary.queues[0].gets, PRODUCERS * ITEMS_PER_PRODUCER);
            events = summary.events;
            best = best.min(secs);
        }
        println!("{name}: {events} events in {best:.3} s = {:.2} M events/s", events as f64 / best / 1e6);
    }
    match peak_rss_kib() {
        Some(kib) => println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory: not available on this platform"),
    }
}
