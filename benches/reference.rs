//! The engine against the practical limit: a hand-written discrete-event simulation of the same
//! model (a binary heap of (time, sequence) events and a FIFO line, nothing else), written here
//! for the comparison. Both run an M/M/4 queue (Poisson arrivals at 3 a second, four servers of
//! mean 1 s: utilisation 0.75) for 10^6 customers; the benchmark checks that they agree on the
//! mean wait (and with Erlang C), and prints customers per second for each, the ratio, the
//! engine's cost with each output format relative to plain, and the process's peak memory.
//!
//! Run with `cargo bench --bench reference`; README.md quotes the figures. CPU time is wall
//! time here: each run is single-threaded and nothing else runs in the process.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::time::Instant;

use rand_core::RngCore;
use scenario::{Format, Scenario};

const CUSTOMERS: u64 = 1_000_000;
const SERVERS: usize = 4;
/// The mean time between arrivals (3 a second) and the mean service time, in nanoseconds.
const ARRIVAL_NS: u64 = 333_333_333;
const SERVICE_NS: u64 = 1_000_000_000;
const LAMBDA: f64 = 1e9 / ARRIVAL_NS as f64;
const SERVICE: f64 = SERVICE_NS as f64 / 1e9;

fn source() -> String {
    format!(
        r#"
seed = 1
time-limit = "100000d"
max-events = 1000000000

[queues.line]

[arrivals.customers]
every = {{ exponential = "{ARRIVAL_NS}ns" }}
put = "line"
total = {CUSTOMERS}

[tasks.server]
count = {SERVERS}
steps = [{{ repeat = "forever", steps = [{{ get = "line" }}, {{ sleep = {{ exponential = "{SERVICE_NS}ns" }} }}, {{ done = "line" }}] }}]

[main]
steps = [{{ start = ["server", "customers"] }}, {{ wait = "customers" }}, {{ join = "line" }}, {{ cancel = "server" }}]
"#
    )
}

/// The reference: an M/M/c queue as a textbook event-list simulation. Returns the mean wait in
/// seconds.
fn reference(customers: u64, seed: u64) -> f64 {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Arrival,
        Departure,
    }
    let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed) | 1);
    let mut exp = |mean: f64| {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        -mean * (1.0 - u).ln()
    };
    // Events ordered by (time, sequence): ties go in the order they were scheduled.
    let mut events: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let ns = |s: f64| (s * 1e9) as u64;
    let mut seq = 0;
    let mut line: VecDeque<u64> = VecDeque::new();
    let (mut free, mut arrived, mut served, mut total_wait) = (SERVERS, 0u64, 0u64, 0u128);
    events.push(Reverse((ns(exp(1.0 / LAMBDA)), seq, Kind::Arrival)));
    while let Some(Reverse((now, _, kind))) = events.pop() {
        match kind {
            Kind::Arrival => {
                arrived += 1;
                line.push_back(now);
                if arrived < customers {
                    seq += 1;
                    events.push(Reverse((now + ns(exp(1.0 / LAMBDA)), seq, Kind::Arrival)));
                }
            }
            Kind::Departure => free += 1,
        }
        while free > 0 {
            let Some(at) = line.pop_front() else { break };
            free -= 1;
            served += 1;
            total_wait += u128::from(now - at);
            seq += 1;
            events.push(Reverse((now + ns(exp(SERVICE)), seq, Kind::Departure)));
        }
    }
    assert_eq!(served, customers);
    total_wait as f64 / served as f64 / 1e9
}

/// Erlang C's mean wait for M/M/c.
fn erlang_c_wait() -> f64 {
    let (c, a) = (SERVERS as f64, LAMBDA * SERVICE);
    let rho = a / c;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..SERVERS {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c / (1.0 - rho);
    let p_wait = last / (sum + last);
    p_wait * SERVICE / (c - a)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The best of three runs of `f`, in seconds, and its last result.
fn best_of_three<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..3 {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(out);
    }
    (best, last.expect("three runs"))
}

fn main() {
    let scenario = Scenario::from_source("mm4.toml", source()).expect("the benchmark scenario compiles");
    println!(
        "M/M/{SERVERS}, lambda = {LAMBDA:.3}/s, mean service {SERVICE} s, {CUSTOMERS} customers; best of 3 runs each"
    );

    let (reference_secs, reference_wait) = best_of_three(|| reference(CUSTOMERS, 1));
    let mut costs = Vec::new();
    let mut engine_wait = 0.0;
    for (name, format) in [("plain", Format::Plain), ("text", Format::Text), ("jsonl", Format::Jsonl)] {
        let (secs, summary) = best_of_three(|| {
            let sinks = format.sink(Box::new(io::sink())).into_iter().collect();
            scenario.run_with(sinks, true)
        });
        assert_eq!(summary.failure, None);
        assert_eq!(summary.queues[0].gets, CUSTOMERS);
        engine_wait = summary.queues[0].waits.mean().expect("customers waited") / 1e9;
        costs.push((name, secs));
    }
    let theory = erlang_c_wait();
    println!("mean wait: engine {engine_wait:.4} s, reference {reference_wait:.4} s, Erlang C {theory:.4} s");
    for (name, wait) in [("engine", engine_wait), ("reference", reference_wait)] {
        assert!((wait / theory - 1.0).abs() < 0.05, "the {name}'s mean wait {wait} s is not Erlang C's {theory} s");
    }
    let plain = costs[0].1;
    let rate = |secs: f64| CUSTOMERS as f64 / secs / 1e6;
    println!("reference simulation: {reference_secs:.3} s = {:.2} M customers/s", rate(reference_secs));
    println!("engine, plain output: {plain:.3} s = {:.2} M customers/s", rate(plain));
    println!("engine / reference: {:.1}x the time", plain / reference_secs);
    for (name, secs) in &costs[1..] {
        println!("engine, {name} output: {secs:.3} s = {:.2}x plain", secs / plain);
    }
    match peak_rss_kib() {
        Some(kib) => println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory: not available on this platform"),
    }
}
