//! The engine against the practical limit: a hand-written discrete-event simulation of the same
//! model (a binary heap of (time, sequence) events and a FIFO line, nothing else), written here
//! for the comparison. Two models, 10^6 items each:
//! - M/M/4: Poisson arrivals at 3 a second, four servers of mean 1 s (utilisation 0.75); the
//!   engine and the reference must agree with Erlang C's mean wait;
//! - the seed's `async_queue` model, scaled: 5 producers that sleep a whole number of seconds
//!   from 1 to 5 between items, and 10 consumers that sleep from 1 to 9 (busier than the seed's
//!   1 to 5, so that items do wait: utilisation 0.83); the engine and the reference must agree
//!   on the mean wait.
//!
//! It prints items per second for each, the ratio, the engine's cost with each output format
//! relative to plain, and each model's peak memory (the process's peak, started again before
//! the model where Linux allows it). Beside the formats it runs a sink that
//! renders nothing and only copies one constant line per event, as long as the text timeline's
//! average line, into a buffer written to `io::sink()`: what handing every event to a sink and
//! writing a transcript of that size costs before a single field is formatted, the floor under
//! the text and JSONL ratios.
//!
//! Run with `cargo bench --bench reference`; README.md quotes the figures. CPU time is wall
//! time here: each run is single-threaded and nothing else runs in the process.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

#[path = "common/mod.rs"]
mod common;
use common::{peak_rss_kib, reset_peak_rss};

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rand_core::RngCore;
use scenario::event::{Event, Model};
use scenario::sink::Sink;
use scenario::{Format, Scenario, Summary};

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

/// The reference: an M/M/c queue as a textbook event-list simulation, its exponential draws
/// taking the logarithm with `ln`. Returns the mean wait in seconds.
fn reference(customers: u64, seed: u64, ln: fn(f64) -> f64) -> f64 {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Arrival,
        Departure,
    }
    let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed) | 1);
    let mut exp = |mean: f64| {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        -mean * ln(1.0 - u)
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

const PRODUCERS: u64 = 5;
const CONSUMERS: u64 = 10;
const PER_PRODUCER: u64 = 200_000;

/// `async_queue.toml` without its messages, each producer putting `PER_PRODUCER` items.
fn async_queue_source() -> String {
    format!(
        r#"
seed = 1
time-limit = "100000d"
max-events = 1000000000

[distributions]
randint = {{ uniform = ["1s", "5s"], step = "1s" }}
slow = {{ uniform = ["1s", "9s"], step = "1s" }}

[queues.q]

[tasks.producer]
count = {PRODUCERS}
steps = [{{ sleep = "randint" }}, {{ repeat = {PER_PRODUCER}, steps = [{{ put = "q" }}, {{ sleep = "randint" }}] }}]

[tasks.consumer]
count = {CONSUMERS}
steps = [{{ sleep = "slow" }}, {{ repeat = "forever", steps = [{{ get = "q" }}, {{ sleep = "slow" }}, {{ done = "q" }}] }}]

[main]
steps = [{{ start = "producer" }}, {{ start = "consumer" }}, {{ wait = "producer" }}, {{ join = "q" }}, {{ cancel = "consumer" }}]
"#
    )
}

/// The reference for the producer/consumer model: producers and consumers as events in one heap,
/// consumers waiting for items in a FIFO line of their own. Returns the mean wait in seconds.
fn reference_async_queue(seed: u64) -> f64 {
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
    enum Who {
        Producer(u64),
        Consumer(u64),
    }
    let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed) | 1);
    // Seconds from 1 to `top`, whole.
    let mut randint = |top: u64| 1_000_000_000 * (1 + rng.next_u64() % top);
    let mut events: BinaryHeap<Reverse<(u64, u64, Who)>> = BinaryHeap::new();
    let mut seq = 0;
    let mut schedule = |events: &mut BinaryHeap<Reverse<(u64, u64, Who)>>, at: u64, who: Who| {
        seq += 1;
        events.push(Reverse((at, seq, who)));
    };
    for p in 0..PRODUCERS {
        schedule(&mut events, randint(5), Who::Producer(p));
    }
    for c in 0..CONSUMERS {
        schedule(&mut events, randint(9), Who::Consumer(c));
    }
    let mut items: VecDeque<u64> = VecDeque::new();
    let mut idle: VecDeque<u64> = VecDeque::new();
    let mut put = vec![0u64; PRODUCERS as usize];
    let (mut got, mut total_wait) = (0u64, 0u128);
    while let Some(Reverse((now, _, who))) = events.pop() {
        match who {
            Who::Producer(p) => {
                put[p as usize] += 1;
                match idle.pop_front() {
                    // A waiting consumer takes the item at once, and sleeps.
                    Some(c) => {
                        got += 1;
                        schedule(&mut events, now + randint(9), Who::Consumer(c));
                    }
                    None => items.push_back(now),
                }
                if put[p as usize] < PER_PRODUCER {
                    schedule(&mut events, now + randint(5), Who::Producer(p));
                }
            }
            // A consumer done sleeping gets the next item, or waits for one.
            Who::Consumer(c) => match items.pop_front() {
                Some(at) => {
                    got += 1;
                    total_wait += u128::from(now - at);
                    schedule(&mut events, now + randint(9), Who::Consumer(c));
                }
                None => idle.push_back(c),
            },
        }
        if got == PRODUCERS * PER_PRODUCER && items.is_empty() {
            break;
        }
    }
    assert_eq!(got, PRODUCERS * PER_PRODUCER);
    total_wait as f64 / got as f64 / 1e9
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

/// How many rounds [`fastest`] makes.
const ROUNDS: usize = 5;

/// A named run to time.
type Run<'a> = (String, Box<dyn FnMut() + 'a>);

/// Makes every run once a round, for [`ROUNDS`] rounds, and returns each one's fastest time in
/// seconds. Interleaved, so that a slow spell of a noisy machine slows every run a little rather
/// than the few that happened to fall in it, which would skew their ratios.
fn fastest(runs: &mut [Run<'_>]) -> Vec<f64> {
    let mut best = vec![f64::INFINITY; runs.len()];
    for _ in 0..ROUNDS {
        for ((_, run), best) in runs.iter_mut().zip(&mut best) {
            let start = Instant::now();
            run();
            *best = best.min(start.elapsed().as_secs_f64());
        }
    }
    best
}

/// A sink that formats nothing: for every event it copies one constant line into a 64 KiB
/// buffer, written to `io::sink()` when full, as the transcript sinks do.
struct ConstantLines {
    line: Vec<u8>,
    buffer: Vec<u8>,
}

impl ConstantLines {
    /// Lines of `len` bytes (at least one), the last a newline.
    fn new(len: usize) -> Self {
        let mut line = vec![b'x'; len.saturating_sub(1)];
        line.push(b'\n');
        ConstantLines { line, buffer: Vec::with_capacity(1 << 17) }
    }
}

impl Sink for ConstantLines {
    fn event(&mut self, _: &Model, _: &Event<'_>) {
        self.buffer.extend_from_slice(&self.line);
        if self.buffer.len() >= 1 << 16 {
            io::Write::write_all(&mut io::sink(), &self.buffer).expect("io::sink takes everything");
            self.buffer.clear();
        }
    }

    fn end(&mut self, _: &Model, _: &Summary) -> io::Result<()> {
        io::Write::write_all(&mut io::sink(), &self.buffer)
    }
}

/// Counts the bytes and the lines written through it (clones share the counts).
#[derive(Clone, Default)]
struct Counter(Arc<(AtomicU64, AtomicU64)>);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        self.0.1.fetch_add(buf.iter().filter(|&&b| b == b'\n').count() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bytes a line of the text timeline of `scenario` has on average, from a run of it.
fn text_line_bytes(scenario: &Scenario) -> usize {
    let counter = Counter::default();
    let sinks = Format::Text.sink(Box::new(counter.clone())).into_iter().collect();
    scenario.run_with(sinks, true);
    let (bytes, lines) = (counter.0.0.load(Ordering::Relaxed), counter.0.1.load(Ordering::Relaxed));
    bytes.div_ceil(lines.max(1)) as usize
}

/// The engine's runs of `scenario`: plain output as `scenario run --format plain` makes it
/// (no statistics: it prints none), then plain output, each format and [`ConstantLines`] of
/// `line_bytes`, all collecting statistics as the text and JSONL formats must (they print
/// them). Each checks that the run went through whole; those with statistics check that all
/// `items` were served, leave the queue's mean wait in `wait` and the number of events in
/// `events`, which the run without statistics must match.
fn engine_runs<'a>(
    scenario: &'a Scenario,
    items: u64,
    line_bytes: usize,
    wait: &'a Cell<f64>,
    events: &'a Cell<u64>,
) -> Vec<Run<'a>> {
    let floor = format!("{line_bytes}-byte constant lines, nothing formatted (the floor)");
    let sinks = [
        (Some(Format::Plain), false, "plain output, as `scenario run --format plain` (no statistics)".to_string()),
        (Some(Format::Plain), true, "plain output with statistics".to_string()),
        (Some(Format::Text), true, "text output".to_string()),
        (Some(Format::Jsonl), true, "jsonl output".to_string()),
        (None, true, floor),
    ];
    let mut runs: Vec<Run<'a>> = Vec::new();
    for (format, statistics, name) in sinks {
        let run = move || {
            let sinks = match format {
                Some(format) => format.sink(Box::new(io::sink())).into_iter().collect(),
                None => vec![Box::new(ConstantLines::new(line_bytes)) as Box<dyn Sink>],
            };
            let summary = scenario.run_with(sinks, statistics);
            assert_eq!(summary.failure, None);
            if statistics {
                assert_eq!(summary.queues[0].gets, items);
                wait.set(summary.queues[0].waits.mean().expect("items waited") / 1e9);
                events.set(summary.events);
            } else {
                assert!(events.get() == 0 || summary.events == events.get(), "the runs made other events");
            }
        };
        runs.push((name, Box::new(run)));
    }
    runs
}

/// Prints a model's figures: `secs` are the times of [`engine_runs`]'s runs, in its order.
fn report(reference_secs: f64, names: &[Run<'_>], secs: &[f64], items: u64) {
    let (plain, with_statistics) = (secs[0], secs[1]);
    let rate = |secs: f64| items as f64 / secs / 1e6;
    println!("  reference simulation: {reference_secs:.3} s = {:.2} M items/s", rate(reference_secs));
    println!("  engine, {}: {plain:.3} s = {:.2} M items/s", names[0].0, rate(plain));
    println!("  engine / reference: {:.1}x the time", plain / reference_secs);
    println!(
        "  engine, {}: {with_statistics:.3} s = {:.2} M items/s = {:.1}x the reference",
        names[1].0,
        rate(with_statistics),
        with_statistics / reference_secs
    );
    // The formats against plain output that collects the same statistics (what formatting
    // costs), and against plain output as the command line makes it.
    for ((name, _), secs) in names.iter().zip(secs).skip(2) {
        println!(
            "  engine, {name}: {secs:.3} s = {:.2}x plain with statistics, {:.2}x plain",
            secs / with_statistics,
            secs / plain
        );
    }
}

/// Prints the peak memory since [`reset_peak_rss`] (or of the whole process, if it failed).
fn print_peak(reset: bool) {
    let what = if reset { "this model's runs" } else { "the process so far" };
    match peak_rss_kib() {
        Some(kib) => println!("  peak memory of {what} (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("  peak memory: not available on this platform"),
    }
}

fn main() {
    let reset = reset_peak_rss();
    let scenario = Scenario::from_source("mm4.toml", source()).expect("the benchmark scenario compiles");
    println!(
        "M/M/{SERVERS}, lambda = {LAMBDA:.3}/s, mean service {SERVICE} s, {CUSTOMERS} customers; the fastest of {ROUNDS} interleaved rounds"
    );
    let (reference_wait, engine_wait, events) = (Cell::new(0.0), Cell::new(0.0), Cell::new(0));
    let mut runs: Vec<Run<'_>> = vec![
        ("reference".into(), Box::new(|| reference_wait.set(reference(CUSTOMERS, 1, f64::ln)))),
        // The engine takes its logarithms with `libm` (a port of musl's), not the platform's,
        // so that a seed draws the same values on every machine; the reference with the same
        // function shows how much of the ratio that choice is.
        (
            "portable reference".into(),
            Box::new(|| {
                std::hint::black_box(reference(CUSTOMERS, 1, libm::log));
            }),
        ),
    ];
    let engine = engine_runs(&scenario, CUSTOMERS, text_line_bytes(&scenario), &engine_wait, &events);
    runs.extend(engine);
    let secs = fastest(&mut runs);
    let (reference_secs, portable_secs) = (secs[0], secs[1]);
    let (reference_wait, engine_wait) = (reference_wait.get(), engine_wait.get());
    let theory = erlang_c_wait();
    println!("  mean wait: engine {engine_wait:.4} s, reference {reference_wait:.4} s, Erlang C {theory:.4} s");
    for (name, wait) in [("engine", engine_wait), ("reference", reference_wait)] {
        assert!((wait / theory - 1.0).abs() < 0.05, "the {name}'s mean wait {wait} s is not Erlang C's {theory} s");
    }
    report(reference_secs, &runs[2..], &secs[2..], CUSTOMERS);
    println!(
        "  reference with the engine's portable logarithm (libm::log, not f64::ln): {portable_secs:.3} s; engine / that: {:.1}x the time",
        secs[2] / portable_secs
    );
    print_peak(reset);

    let reset = reset_peak_rss();
    let items = PRODUCERS * PER_PRODUCER;
    let scenario =
        Scenario::from_source("async_queue.toml", async_queue_source()).expect("the benchmark scenario compiles");
    println!(
        "async_queue: {PRODUCERS} producers sleeping 1 to 5 s, {CONSUMERS} consumers 1 to 9 s, {items} items; the fastest of {ROUNDS} interleaved rounds"
    );
    let (reference_wait, engine_wait, events) = (Cell::new(0.0), Cell::new(0.0), Cell::new(0));
    let mut runs: Vec<Run<'_>> = vec![("reference".into(), Box::new(|| reference_wait.set(reference_async_queue(1))))];
    runs.extend(engine_runs(&scenario, items, text_line_bytes(&scenario), &engine_wait, &events));
    let secs = fastest(&mut runs);
    let (reference_secs, reference_wait, engine_wait) = (secs[0], reference_wait.get(), engine_wait.get());
    println!("  mean wait: engine {engine_wait:.4} s, reference {reference_wait:.4} s");
    assert!(
        (engine_wait / reference_wait - 1.0).abs() < 0.05,
        "the engine's mean wait {engine_wait} s is not the reference's {reference_wait} s"
    );
    report(reference_secs, &runs[1..], &secs[1..], items);
    print_peak(reset);
}
