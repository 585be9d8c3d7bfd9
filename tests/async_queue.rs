//! `async_queue.toml` must be a legal run of the seed's producer/consumer model for any seed.
//! Each run is read back from its JSONL transcript and checked against the model's rules.

mod common;

use scenario::Format;
use serde_json::Value;

const SEC: u64 = 1_000_000_000;

fn events(seed: u64) -> Vec<Value> {
    let run = common::file("scenarios/async_queue.toml").seed(seed).format(Format::Jsonl).run();
    assert_eq!(run.summary.failure, None);
    run.transcript.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn s<'a>(e: &'a Value, key: &str) -> &'a str {
    e[key].as_str().unwrap_or_default()
}

fn n(e: &Value, key: &str) -> u64 {
    e[key].as_u64().unwrap()
}

#[test]
fn every_seed_gives_a_legal_run_of_the_model() {
    for seed in 0..200 {
        check(seed, &events(seed));
    }
}

fn check(seed: u64, events: &[Value]) {
    let ctx = format!("seed {seed}");
    let mut puts: Vec<(u64, String, String)> = Vec::new(); // (time, producer, item)
    let mut gets: Vec<(u64, String, String, u64)> = Vec::new(); // (time, consumer, item, waited)
    let mut last_producer_end = 0;
    let mut last_done = 0;

    for (k, e) in events.iter().enumerate() {
        let (time, task) = (e["time_ns"].as_u64().unwrap(), s(e, "task"));
        match s(e, "event") {
            "sleep" => {
                let d = n(e, "duration_ns");
                assert!(d % SEC == 0 && (1..=5).contains(&(d / SEC)), "{ctx}: sleep of {d} ns");
                // Every sleep is announced just before it starts, by the task that sleeps.
                let before = &events[k - 1];
                assert_eq!(s(before, "task"), task, "{ctx}: announcement by another task");
                let role = if task.starts_with("producer") { "Producer" } else { "Consumer" };
                let index = &task[task.find('[').unwrap() + 1..task.len() - 1];
                assert_eq!(s(before, "text"), format!("{role} {index} sleeping for {} seconds.", d / SEC), "{ctx}");
            }
            "put" => puts.push((time, task.to_owned(), s(e, "item").to_owned())),
            "get" => {
                gets.push((time, task.to_owned(), s(e, "item").to_owned(), n(e, "waited_ns")));
                // "Got item" is said at once, then the consumer announces its next sleep.
                let said = &events[k + 1];
                assert_eq!(s(said, "task"), task, "{ctx}");
                assert_eq!(
                    s(said, "text"),
                    format!("Got item {} in {} seconds.", s(e, "item"), n(e, "waited_ns") / SEC),
                    "{ctx}"
                );
                assert_eq!(s(&events[k + 3], "event"), "sleep", "{ctx}: {task} does not sleep after its get");
            }
            "done" => last_done = time,
            "end" if task.starts_with("producer") => {
                assert_eq!(s(e, "outcome"), "completed", "{ctx}");
                last_producer_end = last_producer_end.max(time);
            }
            "end" if task.starts_with("consumer") => assert_eq!(s(e, "outcome"), "cancelled", "{ctx}"),
            _ => {}
        }
    }

    // Producer N puts N+1 items numbered 0..N, in order.
    for p in 0..5 {
        let label = format!("producer[{p}]");
        let items: Vec<&str> = puts.iter().filter(|(_, t, _)| *t == label).map(|(_, _, i)| i.as_str()).collect();
        let expected: Vec<String> = (0..=p).map(|k| k.to_string()).collect();
        assert_eq!(items, expected, "{ctx}: items of {label}");
    }
    // One queue, first in first out: the k-th get takes the k-th item put, and waited is
    // exactly the time between the two.
    assert_eq!(gets.len(), puts.len(), "{ctx}");
    for ((put_at, _, put_item), (got_at, consumer, got_item, waited)) in puts.iter().zip(&gets) {
        assert_eq!(put_item, got_item, "{ctx}: {consumer} broke FIFO order");
        assert_eq!(got_at - put_at, *waited, "{ctx}");
    }
    // The makespan is the later of the last producer's end and the last item marked done.
    let makespan = last_producer_end.max(last_done);
    let end = events.last().unwrap();
    assert_eq!(s(end, "event"), "run-end");
    assert_eq!(n(end, "time_ns"), makespan, "{ctx}");
    let last_say = events.iter().rev().find(|e| s(e, "event") == "say").unwrap();
    // Python's f"{elapsed:.2f}" of the float of the seconds.
    let secs = format!("{:.2}", makespan as f64 / 1e9);
    assert_eq!(s(last_say, "text"), format!("async_queue.py executed in {secs} seconds."), "{ctx}");
}

#[test]
fn plain_output_reads_like_the_seed() {
    let plain = common::file("scenarios/async_queue.toml").seed(1).format(Format::Plain).run().transcript;
    let lines: Vec<&str> = plain.lines().collect();
    // The first 15 lines are every producer's, then every consumer's, first sleep, in order.
    for (k, line) in lines[..15].iter().enumerate() {
        let want =
            if k < 5 { format!("Producer {k} sleeping for ") } else { format!("Consumer {} sleeping for ", k - 5) };
        assert!(line.starts_with(&want), "line {k}: {line}");
    }
    // 15 items, each got once; 2 + N announcements per producer N.
    assert_eq!(lines.iter().filter(|l| l.starts_with("Got item")).count(), 15);
    assert_eq!(lines.iter().filter(|l| l.starts_with("Producer")).count(), (0..5).map(|n| n + 2).sum::<usize>());
    assert!(lines.last().unwrap().starts_with("async_queue.py executed in "));
}
