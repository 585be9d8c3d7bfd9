//! `[arrivals]` with `start`: a fresh task instance per arrival, as a server runs a handler per
//! request and SimPy a process per customer.

mod common;

use common::{run, scenario};
use scenario::{Format, GraphFormat};

const PER_REQUEST: &str = r#"
    seed = 7
    [arrivals.requests]
    every = { exponential = "1s" }
    start = "request"
    total = TOTAL
    [tasks.request]
    steps = [{ sleep = { exponential = "3s" } }, { say = "{task} {i} slept {sleep}" }]
    [main]
    steps = [{ start = "requests" }, { wait = "requests" }, { wait = "request" }]
"#;

fn per_request(total: u64) -> String {
    PER_REQUEST.replace("TOTAL", &total.to_string())
}

#[test]
fn each_arrival_is_an_instance_with_its_own_label_and_number() {
    let (summary, text) = run(&per_request(5), Format::Text);
    for n in 0..5 {
        assert!(text.contains(&format!("request#{n}  started by requests\n")), "{text}");
        assert!(text.contains(&format!("request#{n}  say: request#{n} {n} slept ")), "{text}");
    }
    assert!(!text.contains("request#5"));
    // One statistics row for the task, counting every instance.
    let row = summary.tasks.iter().find(|t| t.name == "request").unwrap();
    assert_eq!((row.started, row.completed, row.lifetimes.count), (5, 5, 5));
    // The timeline's column is as wide as the widest label, `request#4`.
    assert!(text.contains("\n      0.000000  requests   started by main\n"), "{text}");
}

/// Each instance draws from a stream of its own: the instances' draws differ, and the first
/// ones draw the same whatever the total (the source's own gaps are one stream too).
#[test]
fn each_instance_draws_from_its_own_stream() {
    let says = |total: u64| -> Vec<String> {
        let (_, text) = run(&per_request(total), Format::Plain);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let (five, fifty) = (says(5), says(50));
    let slept: Vec<&str> = five.iter().map(|l| l.rsplit(' ').next().unwrap()).collect();
    let mut distinct = slept.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "{slept:?}");
    for line in &five {
        assert!(fifty.contains(line), "{line} changed when more requests arrive");
    }
}

/// Instances are freed when they end: `max-tasks` counts tasks alive at once, so 10 000
/// arrivals of short requests run under a limit of 50.
#[test]
fn ended_instances_make_room() {
    let source = per_request(10_000).replace("seed = 7", "seed = 7\nmax-tasks = 50").replace("3s", "100ms");
    let (summary, _) = run(&source, Format::Silent);
    assert_eq!(summary.failure, None);
    let row = summary.tasks.iter().find(|t| t.name == "request").unwrap();
    assert_eq!(row.completed, 10_000);
    // Slow requests pile up past the limit: a clear failure, not memory without end.
    let source = per_request(10_000).replace("seed = 7", "seed = 7\nmax-tasks = 50").replace("3s", "1h");
    let (summary, _) = run(&source, Format::Silent);
    let failure = summary.failure.expect("the limit");
    assert!(failure.message.contains("50 tasks alive at once"), "{}", failure.message);
}

#[test]
fn the_graph_shows_a_task_per_arrival() {
    let mermaid = scenario(&per_request(5)).graph(GraphFormat::Mermaid);
    assert!(mermaid.contains("task_2[/\"requests\"/]"), "{mermaid}");
    assert!(mermaid.contains("task_1[\"request ×arrivals\"]"), "{mermaid}");
    assert!(mermaid.contains("task_2 -->|\"starts one per arrival\"| task_1"), "{mermaid}");
}

/// Without `[main]`, every task runs, except that a task started per arrival is its source's
/// to start; the run waits for its instances too.
#[test]
fn without_main_the_instances_are_the_sources_to_start() {
    let source = per_request(4);
    let source = &source[..source.find("[main]").unwrap()];
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(summary.failure, None);
    assert_eq!(text.lines().count(), 4, "{text}");
    for n in 0..4 {
        assert!(text.contains(&format!("request#{n} {n} slept ")), "{text}");
    }
}

const RAMP: &str = r#"
    seed = SEED
    [queues.line]
    [arrivals.users]
    rate = 1
    stages = [
      { target = 20, duration = "10s" },
      { target = 20, duration = "10s" },
      { target = 0, duration = "0s" },
      { target = 0, duration = "5s" },
    ]
    put = "line"
    [tasks.server]
    count = 50
    steps = [{ repeat = "forever", steps = [{ get = "line" }] }]
    [main]
    steps = [{ start = ["server", "users"] }, { wait = "users" }, { cancel = "server" }]
"#;

/// A changing rate: a ramp from 1 to 20 a second over 10 s (105 expected), 20 a second for
/// 10 s (200), then nothing for 5 s. Regular arrivals are exactly the expected count; Poisson
/// ones, over 40 seeds, average it within four standard errors; the source ends with its last
/// stage.
#[test]
fn stages_change_the_rate_of_arrivals() {
    let arrivals = |source: &str| {
        let (summary, _) = run(source, Format::Silent);
        assert_eq!(summary.failure, None);
        assert_eq!(summary.end, 25_000_000_000, "the source lasts to the end of its last stage");
        summary.queues[0].puts
    };
    let regular = RAMP.replace("SEED", "1").replace("put = \"line\"", "put = \"line\"\nprocess = \"regular\"");
    assert_eq!(arrivals(&regular), 305);
    // The same load per minute.
    let per_minute = regular.replace("rate = 1\n", "rate = 60\nper = \"1m\"\n").replace("target = 20", "target = 1200");
    assert_eq!(arrivals(&per_minute), 305);
    let counts: Vec<f64> = (1..=40).map(|seed| arrivals(&RAMP.replace("SEED", &seed.to_string())) as f64).collect();
    let mean = counts.iter().sum::<f64>() / 40.0;
    // Poisson: the variance is the mean, so the standard error of 40 runs is sqrt(305 / 40).
    assert!((mean - 305.0).abs() < 4.0 * (305.0f64 / 40.0).sqrt(), "{mean} arrivals on average");
    // The ramp's first 10 s hold about a third of them: the rate does change.
    let (_, text) = run(&RAMP.replace("SEED", "3"), Format::Text);
    let early = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() > 2 && w[1] == "users" && w[2] == "put")
        .filter(|w| w[0].parse::<f64>().unwrap() < 10.0)
        .count();
    assert!((70..=140).contains(&early), "{early} of the arrivals in the first 10 s, 105 expected");
}

/// `initial` arrivals come at once when the source starts, numbered first and counted in
/// `total`; the gaps start after them. Queue items and tasks alike, and with a `rate`.
#[test]
fn initial_arrivals_come_at_once_and_count_in_the_total() {
    let items = r#"
        [queues.q]
        [arrivals.a]
        initial = 3
        every = "2s"
        put = "q"
        item = "item {n}"
        total = 5
        [tasks.c]
        steps = [{ repeat = 5, steps = [{ get = "q", say = "{item} at {elapsed} s" }] }]
    "#;
    let (summary, text) = run(items, Format::Plain);
    assert_eq!(text, "item 0 at 0 s\nitem 1 at 0 s\nitem 2 at 0 s\nitem 3 at 2 s\nitem 4 at 4 s\n");
    assert_eq!(summary.queues[0].puts, 5);
    let tasks = r#"
        [arrivals.a]
        initial = 2
        rate = 1
        process = "regular"
        start = "t"
        total = 4
        [tasks.t]
        steps = [{ say = "t {i} at {elapsed} s" }]
    "#;
    let (_, text) = run(tasks, Format::Plain);
    assert_eq!(text, "t 0 at 0 s\nt 1 at 0 s\nt 2 at 1 s\nt 3 at 2 s\n");
    let shown = common::errors(&items.replace("initial = 3", "initial = 6"));
    assert!(shown.contains("`initial` (arrivals at once, counted in `total`) of 6 is above the limit of 5"), "{shown}");
}
