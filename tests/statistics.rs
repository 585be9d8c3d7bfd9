//! What the statistics measure, on runs whose figures can be worked out by hand: waits, time
//! in system, time-averaged length and utilisation, and what a warm-up leaves out.

use scenario::{Format, Scenario, Summary};

/// Ten items put one a second (at 0, 1, ..., 9 s); one consumer takes 2 s over each, so item
/// k is got at 2k s (it waited k s) and done at 2k + 2 s (k + 2 s in the system).
fn backlog(warm_up: &str) -> Summary {
    let source = format!(
        r#"
        {warm_up}
        [queues.q]
        [tasks.producer]
        steps = [{{ repeat = 10, steps = [{{ put = "q" }}, {{ sleep = "1s" }}] }}]
        [tasks.consumer]
        steps = [{{ repeat = "forever", steps = [{{ get = "q" }}, {{ sleep = "2s" }}, {{ done = "q" }}] }}]
        [main]
        steps = [{{ start = ["producer", "consumer"] }}, {{ wait = "producer" }}, {{ join = "q" }}, {{ cancel = "consumer" }}]
        "#
    );
    let run = Scenario::from_source("backlog.toml", source).unwrap().format(Format::Plain).run();
    assert!(run.failure().is_none());
    run.summary
}

const S: u64 = 1_000_000_000;

#[test]
fn waits_time_in_system_and_length_add_up() {
    let s = backlog("");
    let q = &s.queues[0];
    assert_eq!((s.end, s.window_start, s.window), (20 * S, 0, u128::from(20 * S)));
    assert_eq!((q.puts, q.gets, q.waits.count), (10, 10, 10));
    // Waits 0..=9 s, time in system 2..=11 s.
    assert_eq!(q.waits.total, u128::from(45 * S));
    assert_eq!(q.system.total, u128::from(65 * S));
    assert_eq!((q.waits.quantile(0.5), q.waits.quantile(0.9), q.waits.max), (Some(4 * S), Some(8 * S), 9 * S));
    // Little's law holds exactly on a path that starts and ends empty: the area under the
    // length is the sum of the waits.
    assert_eq!(q.length_area, q.waits.total);
    assert_eq!(q.mean_length(s.window), Some(45.0 / 20.0));
    // The consumer was busy 20 s of 20: its lifetime is the whole run.
    assert_eq!(s.tasks[2].lifetimes.max, 20 * S);
}

#[test]
fn a_warm_up_in_time_leaves_out_what_came_before() {
    let s = backlog(r#"warm-up = "5s""#);
    let q = &s.queues[0];
    assert_eq!((s.window_start, s.window), (5 * S, u128::from(15 * S)));
    // Items 5..=9 were put inside the window: waits 5..=9 s, 7..=11 s in the system.
    assert_eq!((q.puts, q.gets), (5, 5));
    assert_eq!((q.waits.mean(), q.system.mean()), (Some(7.0 * S as f64), Some(9.0 * S as f64)));
    // The length integrates from 5 s: items 3 (until 6 s) and 4 (until 8 s) still count there.
    assert_eq!(q.length_area, u128::from((35 + 1 + 3) * S));
    // Tasks started before the window are left out.
    assert_eq!((s.tasks[0].started, s.tasks[1].started), (0, 0));
}

#[test]
fn a_warm_up_in_items_starts_with_the_next_item() {
    let s = backlog("warm-up = 3");
    let q = &s.queues[0];
    // The fourth item, put at 3 s, opens the window.
    assert_eq!((s.window_start, q.puts, q.gets), (3 * S, 7, 7));
    assert_eq!(q.waits.total, u128::from((3..=9).sum::<u64>() * S));
}

#[test]
fn a_warm_up_past_the_end_leaves_nothing() {
    let s = backlog(r#"warm-up = "1h""#);
    assert_eq!((s.window_start, s.window, s.queues[0].puts), (s.end, 0, 0));
    assert_eq!(s.queues[0].mean_length(s.window), None);
}

#[test]
fn utilisation_is_permits_in_use_over_time() {
    // Two permits; three tasks each hold one for 1 s: two at once, then one alone.
    let source = r#"
        [semaphores.db]
        permits = 2
        [tasks.user]
        count = 3
        steps = [{ hold = "db", steps = [{ sleep = "1s" }] }]
    "#;
    let s = Scenario::from_source("db.toml", source).unwrap().format(Format::Plain).run().summary;
    let db = &s.semaphores[0];
    assert_eq!(s.end, 2 * S);
    assert_eq!(db.busy_area, u128::from(3 * S));
    assert_eq!(db.utilisation(s.window), Some(0.75));
    assert_eq!((db.waits.count, db.waits.max, db.waits.mean()), (3, S, Some(S as f64 / 3.0)));
}

#[test]
fn negative_warm_ups_and_fractions_are_refused() {
    for (text, message) in [("warm-up = -1", "negative"), ("warm-up = 1.5", "a duration or a whole number")] {
        let err = Scenario::from_source("w.toml", format!("{text}\n[main]\nsteps = []\n")).unwrap_err().to_string();
        assert!(err.contains(message) && err.contains("w.toml:1:11"), "{err}");
    }
}

#[test]
fn an_arrivals_source_counts_what_it_offered_and_what_was_dropped() {
    // One a second into a queue of one that nobody reads: the first gets in, four are lost.
    let source = r#"
        [queues.q]
        capacity = 1
        [arrivals.clients]
        every = "1s"
        put = "q"
        total = 5
        on-full = "drop"
    "#;
    let s = Scenario::from_source("a.toml", source).unwrap().format(Format::Plain).run().summary;
    let clients = s.tasks.iter().find(|t| t.name == "clients").unwrap();
    assert_eq!((clients.source, clients.puts, clients.dropped), (true, 1, 4));
    assert_eq!(s.end, 5 * S);
    assert_eq!(clients.offered_rate(s.window), Some(1.0));
    assert_eq!(s.tasks[0].offered_rate(s.window), None, "main is not a source");
    assert_eq!(s.queues[0].dropped, 4);
}

#[test]
fn distributions_merge_exactly_however_they_are_split() {
    use scenario::sink::Durations;
    // Values from a simple generator, past the 10 000 kept exactly.
    let values: Vec<u64> = (0..25_000u64).map(|k| (k * 7919 % 10_007) * 1_000_003).collect();
    let mut whole = Durations::default();
    values.iter().for_each(|&v| whole.record(v));
    for cut in [1, 4_000, 9_999, 10_000, 12_345, 24_999] {
        let (mut a, mut b) = (Durations::default(), Durations::default());
        values[..cut].iter().for_each(|&v| a.record(v));
        values[cut..].iter().for_each(|&v| b.record(v));
        b.merge(&a);
        assert_eq!((b.count, b.total, b.max), (whole.count, whole.total, whole.max), "cut at {cut}");
        assert_eq!(b.buckets(), whole.buckets(), "cut at {cut}");
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(b.quantile(q), whole.quantile(q), "cut at {cut}, quantile {q}");
        }
    }
    // Up to 10 000 values the percentiles are the exact nearest-rank order statistics.
    let mut few = Durations::default();
    (1..=1000u64).rev().for_each(|v| few.record(v));
    few.seal();
    assert_eq!((few.quantile(0.5), few.quantile(0.99), few.quantile(1.0)), (Some(500), Some(990), Some(1000)));
}
