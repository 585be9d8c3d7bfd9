//! Many-seeds benchmark: 1000 seeds of an M/M/4 model of 10^4 customers each, run with
//! `--jobs 1` and with every core. Reports seeds per second, events per second, the speed-up
//! and the process's peak memory. Run with `cargo bench --bench seeds`; README.md quotes it.
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

#[path = "common/mod.rs"]
mod common;
use common::peak_rss_kib;

use std::time::Instant;

use scenario::cli::Console;

const SEEDS: u64 = 1000;
const CUSTOMERS: u64 = 10_000;

fn source() -> String {
    format!(
        r#"
description = "M/M/4: Poisson arrivals 1 s apart, four exponential servers of mean 3.2 s (rho 0.8)"
seed = 1
time-limit = "1000d"

[queues.line]

[arrivals.customers]
every = {{ exponential = "1s" }}
put = "line"
total = {CUSTOMERS}

[tasks.server]
count = 4
steps = [{{ repeat = "forever", steps = [{{ get = "line" }}, {{ sleep = {{ exponential = "3200ms" }} }}, {{ done = "line" }}] }}]

[main]
steps = [{{ start = ["server", "customers"] }}, {{ wait = "customers" }}, {{ join = "line" }}, {{ cancel = "server" }}]
"#
    )
}

/// Runs the command line in-process; returns the report and the seconds it took.
fn run(args: &[&str]) -> (String, f64) {
    let out = scenario::sink::Memory::default();
    let mut err = Vec::new();
    let argv = std::iter::once("scenario").chain(args.iter().copied());
    let start = Instant::now();
    let code = scenario::cli::run(argv, Console { stdout: Box::new(out.clone()), stderr: &mut err });
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    (out.take_string(), seconds)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("scenario-bench-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let file = dir.join("mm4.toml");
    std::fs::write(&file, source()).expect("the scenario file");
    let file = file.to_str().expect("a UTF-8 path");
    let seeds = format!("1..={SEEDS}");
    // Events per run, from one run's statistics.
    let (one, _) = run(&["run", "--format", "plain", "--summary", "-", file]);
    let events: u64 = serde_json::from_str::<serde_json::Value>(&one).expect("the summary")["events"]
        .as_u64()
        .expect("an event count");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("scenario: M/M/4, {CUSTOMERS} customers a run (about {events} events), {SEEDS} seeds");
    let mut reports = Vec::new();
    let mut times = Vec::new();
    for jobs in [1, cores] {
        let (report, seconds) = run(&["run", "--seeds", &seeds, "--jobs", &jobs.to_string(), file]);
        println!(
            "--jobs {jobs}: {SEEDS} seeds in {seconds:.2} s = {:.1} seeds/s, {:.2} M events/s",
            SEEDS as f64 / seconds,
            (SEEDS * events) as f64 / seconds / 1e6
        );
        reports.push(report);
        times.push(seconds);
    }
    assert_eq!(reports[0], reports[1], "the report must not depend on --jobs");
    println!("speed-up with {cores} jobs: {:.2}x", times[0] / times[1]);
    if let Some(kib) = peak_rss_kib() {
        println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
