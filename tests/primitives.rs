//! Coordination primitives: exact makespans, deadlocks that name what is blocked, and resources
//! that are never leaked when a task is cancelled, times out or fails.

mod common;

use common::run;
use scenario::{FailureKind, Format, Summary};

const SEC: u64 = 1_000_000_000;

fn ok(source: &str) -> Summary {
    let (summary, _) = run(source, Format::Silent);
    assert_eq!(summary.failure, None, "{source}");
    summary
}

fn plain(source: &str) -> String {
    run(source, Format::Plain).1
}

fn deadlock(source: &str) -> String {
    let failure = run(source, Format::Silent).0.failure.expect("the run must deadlock");
    assert_eq!(failure.kind, FailureKind::Deadlock, "{}", failure.message);
    failure.message
}

// ----- exact makespans -----

#[test]
fn n_tasks_behind_k_permits_holding_h_take_ceil_n_over_k_times_h() {
    for (n, k, h) in [(10u64, 5u64, 1u64), (10, 3, 2), (1, 1, 7), (7, 7, 3), (8, 1, 1), (100, 7, 5)] {
        let s = ok(&format!(
            r#"
            [semaphores.s]
            permits = {k}
            [tasks.t]
            count = {n}
            steps = [{{ hold = "s", steps = [{{ sleep = "{h}s" }}] }}]
            "#
        ));
        assert_eq!(s.end, n.div_ceil(k) * h * SEC, "n={n} k={k} h={h}");
        assert_eq!(s.semaphores[0].free_at_end, k);
        assert_eq!(s.semaphores[0].acquisitions, n);
    }
}

#[test]
fn items_through_a_bounded_queue_take_p_plus_q_plus_n_minus_1_times_the_slower() {
    for (n, p, q, c) in
        [(6u64, 1u64, 3u64, 2u64), (6, 3, 1, 2), (10, 2, 2, 1), (1, 5, 4, 1), (20, 1, 4, 5), (20, 4, 1, 3)]
    {
        let s = ok(&format!(
            r#"
            [queues.b]
            capacity = {c}
            [tasks.producer]
            steps = [{{ repeat = {n}, steps = [{{ sleep = "{p}s" }}, {{ put = "b" }}] }}]
            [tasks.consumer]
            steps = [{{ repeat = {n}, steps = [{{ get = "b" }}, {{ sleep = "{q}s" }}, {{ done = "b" }}] }}]
            "#
        ));
        assert_eq!(s.end, (p + q + (n - 1) * p.max(q)) * SEC, "n={n} p={p} q={q} c={c}");
        assert!(s.queues[0].max_len <= c);
    }
}

#[test]
fn a_token_bucket_lets_a_burst_through_then_one_per_interval() {
    for (n, rate, burst) in [(8u64, 2u64, 3u64), (5, 1, 1), (10, 4, 10), (12, 10, 2)] {
        let s = ok(&format!(
            r#"
            [rate-limits.api]
            rate = {rate}
            burst = {burst}
            [tasks.client]
            count = {n}
            steps = [{{ throttle = "api" }}]
            "#
        ));
        let interval = SEC / rate;
        assert_eq!(s.end, n.saturating_sub(burst) * interval, "n={n} rate={rate} burst={burst}");
    }
}

#[test]
fn a_barrier_releases_everyone_when_the_last_party_arrives() {
    let out = plain(
        r#"
        [barriers.b]
        parties = 3
        [tasks.t]
        count = 6
        steps = [{ sleep = { sequence = ["1s"] } }, { barrier = "b" }, { say = "{i} through at {elapsed}" }]
        "#,
    );
    // Six parties, three at a time: both rounds pass at t = 1 s, as soon as each is full.
    assert_eq!(out.lines().count(), 6);
    assert!(out.lines().all(|l| l.ends_with("at 1")), "{out}");
}

// ----- deadlocks name what each task waits on -----

#[test]
fn deadlocks_name_every_blocked_task_and_its_resource() {
    let cases = [
        ("[queues.q]\n[tasks.t]\nsteps = [{ get = \"q\" }]", "t waits to get from queue `q`"),
        (
            "[queues.q]\ncapacity = 1\n[tasks.t]\nsteps = [{ put = \"q\" }, { put = \"q\" }]",
            "t waits to put on full queue `q`",
        ),
        ("[queues.q]\n[tasks.t]\nsteps = [{ put = \"q\" }, { join = \"q\" }]", "t waits to join queue `q`"),
        (
            "[semaphores.s]\npermits = 1\n[tasks.t]\nsteps = [{ acquire = \"s\" }, { acquire = \"s\" }]",
            "t waits to acquire semaphore `s`",
        ),
        ("[events.e]\n[tasks.t]\nsteps = [{ wait-event = \"e\" }]", "t waits for event `e` to be set"),
        (
            "[barriers.b]\nparties = 3\n[tasks.t]\ncount = 2\nsteps = [{ barrier = \"b\" }]",
            "waits at barrier `b` (2 of 3 arrived)",
        ),
        (
            "[queues.q]\n[tasks.t]\nsteps = [{ get = \"q\" }]\n[main]\nsteps = [{ gather = \"t\" }]",
            "main waits for task `t` to end",
        ),
    ];
    for (source, expected) in cases {
        let message = deadlock(source);
        assert!(message.contains(expected), "{source}\n---\n{message}");
    }
}

// ----- nothing leaks -----

#[test]
fn a_cancelled_hold_gives_back_its_permit_and_a_bare_acquire_keeps_it() {
    // `holder` is cancelled while it sleeps. Inside `hold` (asyncio's `async with sem:`) the
    // permit comes back, so `next` takes it at once; after a bare `acquire` it stays taken, as
    // in asyncio, and `next` waits for ever.
    let source = |holder: &str| {
        format!(
            r#"
            [semaphores.s]
            permits = 1
            [tasks.holder]
            steps = [{holder}]
            [tasks.next]
            steps = [{{ acquire = "s" }}, {{ say = "next acquired at {{elapsed}}" }}, {{ release = "s" }}]
            [main]
            steps = [{{ start = "holder" }}, {{ sleep = "1s" }}, {{ start = "next" }}, {{ sleep = "1s" }}, {{ cancel = "holder" }}, {{ wait = "next" }}]
            "#
        )
    };
    let (s, out) = run(&source(r#"{ hold = "s", steps = [{ sleep = "1h" }] }"#), Format::Plain);
    assert_eq!(out, "next acquired at 2\n");
    assert_eq!(s.semaphores[0].free_at_end, 1);
    let blocked = deadlock(&source(r#"{ acquire = "s" }, { sleep = "1h" }"#));
    assert!(blocked.contains("next waits to acquire semaphore `s`"), "{blocked}");
}

#[test]
fn hold_releases_its_permit_when_its_block_times_out_or_fails() {
    let s = ok(r#"
        [semaphores.s]
        permits = 2
        [main]
        steps = [
          { timeout = "1s", steps = [{ hold = "s", steps = [{ sleep = "1h" }] }] },
          { try = [{ hold = "s", steps = [{ fail = "boom" }] }], on-error = [] },
          { acquire = "s" }, { acquire = "s" }, { release = "s" }, { release = "s" },
        ]
    "#);
    assert_eq!(s.semaphores[0].free_at_end, 2);
    assert_eq!(s.semaphores[0].acquisitions, 4);
}

#[test]
fn a_permit_granted_to_a_waiter_that_is_cancelled_passes_to_the_next() {
    // a holds the permit; b and c wait. When a releases, the permit is granted to b, but b is
    // cancelled at the same instant before it runs: c must get the permit.
    let out = plain(
        r#"
        [semaphores.s]
        permits = 1
        [tasks.a]
        steps = [{ hold = "s", steps = [{ sleep = "1s" }] }]
        [tasks.b]
        steps = [{ acquire = "s" }, { say = "b acquired" }]
        [tasks.c]
        steps = [{ acquire = "s" }, { say = "c acquired at {elapsed}" }, { release = "s" }]
        [main]
        steps = [{ start = ["a", "b", "c"] }, { sleep = "1s" }, { cancel = "b" }, { wait = ["a", "c"] }]
        "#,
    );
    assert_eq!(out, "c acquired at 1\n");
}

#[test]
fn an_item_reserved_for_a_cancelled_getter_goes_to_the_next_getter() {
    let (s, out) = run(
        r#"
        [queues.q]
        [tasks.g1]
        steps = [{ get = "q", say = "g1 got {item}" }]
        [tasks.g2]
        steps = [{ get = "q", say = "g2 got {item}" }]
        [main]
        steps = [{ start = ["g1", "g2"] }, { sleep = "1s" }, { put = "q", item = "x" }, { cancel = "g1" }, { wait = "g2" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "g2 got x\n");
    assert_eq!((s.queues[0].puts, s.queues[0].gets, s.queues[0].left), (1, 1, 0));
}

#[test]
fn a_place_reserved_for_a_cancelled_putter_goes_to_the_next_putter() {
    let (s, out) = run(
        r#"
        [queues.q]
        capacity = 1
        [tasks.p1]
        steps = [{ put = "q", item = "p1" }]
        [tasks.p2]
        steps = [{ put = "q", item = "p2" }]
        [main]
        steps = [
          { put = "q", item = "first" },
          { start = ["p1", "p2"] }, { sleep = "1s" },
          { get = "q" }, { cancel = "p1" }, { wait = "p2" },
          { get = "q", say = "then {item}" },
        ]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "then p2\n");
    assert_eq!(s.queues[0].left, 0);
}

#[test]
fn waiters_that_give_up_leave_events_and_barriers_consistent() {
    // A waiter on an event times out; setting the event later must not wake or count it.
    // A barrier party times out; the barrier then still needs all its parties.
    let out = plain(
        r#"
        [events.e]
        [barriers.b]
        parties = 2
        [tasks.late]
        steps = [{ sleep = "5s" }, { barrier = "b" }, { say = "late through at {elapsed}" }]
        [main]
        steps = [
          { timeout = "1s", steps = [{ wait-event = "e" }], on-timeout = [{ say = "gave up on e" }] },
          { set = "e" }, { wait-event = "e" }, { say = "e is set" },
          { timeout = "1s", steps = [{ barrier = "b" }], on-timeout = [{ say = "gave up on b" }] },
          { start = "late" }, { sleep = "10s" }, { barrier = "b" }, { say = "main through at {elapsed}" }, { wait = "late" },
        ]
        "#,
    );
    assert_eq!(out, "gave up on e\ne is set\ngave up on b\nmain through at 12\nlate through at 12\n");
}

#[test]
fn a_cancelled_throttle_gives_its_token_back() {
    let out = plain(
        r#"
        [rate-limits.r]
        rate = 1
        [main]
        steps = [
          { throttle = "r" },
          { timeout = "100ms", steps = [{ throttle = "r" }], on-timeout = [{ say = "gave up" }] },
          { throttle = "r" }, { say = "second token at {elapsed}" },
        ]
        "#,
    );
    assert_eq!(out, "gave up\nsecond token at 1\n");
}

#[test]
fn releasing_a_bounded_semaphore_not_held_fails_the_task() {
    let source = "main.steps = [{ release = \"s\" }]\n[semaphores.s]\npermits = 1\nbounded = true";
    let failure = run(source, Format::Silent).0.failure.unwrap();
    assert_eq!(failure.kind, FailureKind::MainFailed);
    assert!(
        failure.message.contains("released bounded semaphore `s` more times than it was acquired"),
        "{}",
        failure.message
    );
}

#[test]
fn a_semaphore_with_no_permits_is_a_signal_any_task_may_release() {
    // As asyncio.Semaphore(0): the waiter goes on when another task releases.
    let (s, out) = run(
        r#"
        [semaphores.ready]
        permits = 0
        [tasks.waiter]
        steps = [{ acquire = "ready" }, { say = "go at {elapsed}" }]
        [tasks.signaller]
        steps = [{ sleep = "2s" }, { release = "ready" }, { release = "ready" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "go at 2\n");
    // One permit went to the waiter, which keeps it when it ends (as in asyncio), and the second
    // release added one.
    assert_eq!((s.semaphores[0].acquisitions, s.semaphores[0].free_at_end), (1, 1));
}

#[test]
fn a_task_with_no_replicas_starts_nothing_and_gathering_it_returns_at_once() {
    let out = plain(
        r#"
        [tasks.worker]
        count = 0
        steps = [{ say = "never" }]
        [main]
        steps = [{ gather = "worker" }, { say = "gathered none at {elapsed}" }]
        "#,
    );
    assert_eq!(out, "gathered none at 0\n");
}

// ----- cancellation -----

#[test]
fn a_cancelled_task_runs_its_finally_steps_and_the_canceller_waits_for_them() {
    let out = plain(
        r#"
        [tasks.worker]
        steps = [{ try = [{ sleep = "1h" }], finally = [{ sleep = "2s" }, { say = "worker cleaned up at {elapsed}" }] }]
        [main]
        steps = [{ start = "worker" }, { sleep = "1s" }, { cancel = "worker" }, { say = "main goes on at {elapsed}" }]
        "#,
    );
    assert_eq!(out, "worker cleaned up at 3\nmain goes on at 3\n");
}

// ----- failures -----

#[test]
fn retry_backs_off_exponentially() {
    // Three failures, backoff 100 ms doubling: attempts at 0, 0.1, 0.3, 0.7 s.
    let out = plain(
        r#"
        [main]
        steps = [{ retry = 3, backoff = "100ms", steps = [{ say = "attempt at {elapsed}" }, { fail = "no" }] }]
        "#,
    );
    assert_eq!(out, "attempt at 0\nattempt at 0.1\nattempt at 0.3\nattempt at 0.7\n");
}

#[test]
fn a_backoff_factor_of_one_keeps_the_wait_constant_and_three_triples_it() {
    let attempts = |factor: &str| {
        plain(&format!(
            r#"
            [main]
            steps = [{{ try = [{{ retry = 3, backoff = "100ms", backoff-factor = {factor}, steps = [{{ say = "{{elapsed}}" }}, {{ fail = "no" }}] }}], on-error = [] }}]
            "#
        ))
    };
    assert_eq!(attempts("1"), "0\n0.1\n0.2\n0.3\n");
    assert_eq!(attempts("3"), "0\n0.1\n0.4\n1.3\n");
}

#[test]
fn jitter_draws_each_backoff_below_its_cap() {
    let (s, out) = run(
        r#"
        seed = 3
        [main]
        steps = [{ try = [{ retry = 5, backoff = "1s", jitter = true, steps = [{ say = "{elapsed}" }, { fail = "no" }] }], on-error = [] }]
        "#,
        Format::Plain,
    );
    let times: Vec<f64> = out.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(times.len(), 6);
    for (k, pair) in times.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        assert!(gap >= 0.0 && gap < f64::from(1 << k), "gap {k} is {gap}");
    }
    assert!(s.end < 31 * SEC);
}

#[test]
fn a_fail_fast_gather_cancels_the_others_and_fails() {
    let (s, out) = run(
        r#"
        [tasks.a]
        steps = [{ sleep = "1s" }, { fail = "a broke" }]
        [tasks.b]
        steps = [{ try = [{ sleep = "10s" }, { say = "b finished" }], finally = [{ say = "b cleaned up at {elapsed}" }] }]
        [main]
        steps = [{ try = [{ gather = ["a", "b"] }], on-error = [{ say = "caught at {elapsed}" }] }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "b cleaned up at 1\ncaught at 1\n");
    assert_eq!((s.tasks[1].failed, s.tasks[2].cancelled), (1, 1));
}

#[test]
fn a_collecting_gather_waits_for_every_task_and_goes_on() {
    let (s, out) = run(
        r#"
        [tasks.a]
        steps = [{ sleep = "1s" }, { fail = "a broke" }]
        [tasks.b]
        steps = [{ sleep = "10s" }, { say = "b finished" }]
        [main]
        steps = [{ gather = ["a", "b"], policy = "collect" }, { say = "main at {elapsed}" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "b finished\nmain at 10\n");
    assert_eq!(s.failure, None);
}

#[test]
fn waiting_for_a_failed_task_fails_the_waiter_and_main_fails_the_run() {
    let failure = run(
        r#"
        [tasks.a]
        steps = [{ fail = "a broke" }]
        [main]
        steps = [{ start = "a" }, { wait = "a" }, { say = "never" }]
        "#,
        Format::Silent,
    )
    .0
    .failure
    .unwrap();
    assert_eq!(failure.kind, FailureKind::MainFailed);
    assert_eq!(failure.message, "task `main` failed: task `a` failed: a broke");
}

#[test]
fn try_without_on_error_runs_finally_and_fails_on() {
    let (s, out) = run(
        r#"main.steps = [{ try = [{ fail = "x" }], finally = [{ say = "finally" }] }, { say = "never" }]"#,
        Format::Plain,
    );
    assert_eq!(out, "finally\n");
    assert_eq!(s.failure.unwrap().kind, FailureKind::MainFailed);
}

#[test]
fn fail_with_a_probability_fails_about_that_often() {
    let s = ok(r#"
        seed = 11
        [tasks.t]
        count = 2000
        steps = [{ fail = "unlucky", probability = 0.25 }]
        [main]
        steps = [{ gather = "t", policy = "collect" }]
    "#);
    let failed = s.tasks[1].failed as f64 / 2000.0;
    assert!((failed - 0.25).abs() < 0.03, "{failed}");
}

// ----- race and blocking work -----

#[test]
fn the_first_racer_to_complete_wins_and_the_rest_are_cancelled() {
    let (s, out) = run(
        r#"
        [tasks.slow]
        steps = [{ sleep = "2s" }, { say = "slow answered" }]
        [tasks.fast]
        steps = [{ sleep = "1s" }, { say = "fast answered" }]
        [tasks.broken]
        steps = [{ fail = "broken" }]
        [main]
        steps = [{ race = ["broken", "slow", "fast"] }, { say = "main at {elapsed}" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "fast answered\nmain at 1\n");
    assert_eq!(s.tasks.iter().map(|t| t.cancelled).sum::<u64>(), 1);
}

#[test]
fn a_race_nobody_wins_fails() {
    let failure = run("[tasks.a]\nsteps = [{ fail = \"no\" }]\n[main]\nsteps = [{ race = \"a\" }]", Format::Silent)
        .0
        .failure
        .unwrap();
    assert!(failure.message.contains("every task in the race failed or was cancelled"), "{}", failure.message);
}

#[test]
fn busy_work_on_the_loop_delays_every_other_task() {
    let out = plain(
        r#"
        [tasks.sleeper]
        steps = [{ sleep = "1s" }, { say = "sleeper woke at {elapsed}" }]
        [tasks.hog]
        steps = [{ sleep = "500ms" }, { busy = "2s" }, { say = "hog done at {elapsed}" }]
        "#,
    );
    assert_eq!(out, "hog done at 2.5\nsleeper woke at 2.5\n");
}

#[test]
fn to_thread_work_lets_other_tasks_run() {
    let out = plain(
        r#"
        [tasks.sleeper]
        steps = [{ sleep = "1s" }, { say = "sleeper woke at {elapsed}" }]
        [tasks.worker]
        steps = [{ sleep = "500ms" }, { to-thread = "2s" }, { say = "worker done at {elapsed}" }]
        "#,
    );
    assert_eq!(out, "sleeper woke at 1\nworker done at 2.5\n");
}

#[test]
fn a_timeout_bounds_a_get_a_put_an_acquire_and_a_wait() {
    let (s, out) = run(
        r#"
        [queues.empty]
        [queues.full]
        capacity = 1
        [semaphores.taken]
        permits = 1
        [tasks.forever]
        steps = [{ sleep = "1h" }]
        [main]
        steps = [
          { put = "full", item = "first" },
          { acquire = "taken" },
          { start = "forever" },
          { timeout = "1s", steps = [{ get = "empty" }], on-timeout = [{ say = "get gave up at {elapsed}" }] },
          { timeout = "1s", steps = [{ put = "full" }], on-timeout = [{ say = "put gave up at {elapsed}" }] },
          { timeout = "1s", steps = [{ hold = "taken", steps = [] }], on-timeout = [{ say = "acquire gave up at {elapsed}" }] },
          { timeout = "1s", steps = [{ wait = "forever" }], on-timeout = [{ say = "wait gave up at {elapsed}" }] },
          { get = "full", say = "the queue still holds {item}" },
          { release = "taken" },
          { cancel = "forever" },
        ]
        "#,
        Format::Plain,
    );
    assert_eq!(
        out,
        "get gave up at 1\nput gave up at 2\nacquire gave up at 3\nwait gave up at 4\nthe queue still holds first\n"
    );
    assert_eq!((s.queues[1].puts, s.queues[1].gets), (1, 1));
    assert_eq!(s.semaphores[0].free_at_end, 1);
}

#[test]
fn a_thread_pool_bounds_how_much_to_thread_work_runs_at_once() {
    let source = |pool: &str| {
        format!(
            r#"
            {pool}
            [tasks.worker]
            count = 6
            steps = [{{ to-thread = "1s" }}]
            "#
        )
    };
    assert_eq!(ok(&source("")).end, SEC, "unbounded: all six at once");
    let bounded = ok(&source("thread-pool = 2"));
    assert_eq!(bounded.end, 3 * SEC, "two at a time");
    let pool = &bounded.semaphores[0];
    assert_eq!((pool.name.as_str(), pool.acquisitions, pool.waited, pool.free_at_end), ("thread pool", 6, 4, 2));
}

// ----- who gets an item a put wakes a getter for -----

/// `early` waits from 0 s; at 1 s the producer puts `x`, waking it, and `late` (whose timer fired
/// at 1 s after the producer's) asks for an item before `early` runs.
fn handoff(fairness: &str) -> String {
    plain(&format!(
        r#"
        [queues.q]
        fairness = "{fairness}"
        [tasks.early]
        steps = [{{ get = "q", say = "early got {{item}} at {{elapsed}}" }}]
        [tasks.producer]
        steps = [{{ sleep = "1s" }}, {{ put = "q", item = "x" }}, {{ sleep = "1s" }}, {{ put = "q", item = "y" }}]
        [tasks.late]
        steps = [{{ sleep = "1s" }}, {{ get = "q", say = "late got {{item}} at {{elapsed}}" }}]
        [main]
        steps = [{{ start = ["early", "producer", "late"] }}, {{ wait = ["early", "producer", "late"] }}]
        "#
    ))
}

#[test]
fn asyncio_fairness_lets_whoever_asks_first_take_a_fresh_item() {
    // As asyncio.Queue: the woken getter finds the queue empty and waits for the next item.
    assert_eq!(handoff("asyncio"), "late got x at 1\nearly got y at 2\n");
}

#[test]
fn strict_fairness_reserves_the_item_for_the_woken_getter() {
    assert_eq!(handoff("strict"), "early got x at 1\nlate got y at 2\n");
}

#[test]
fn a_rendezvous_queue_drops_nothing_and_holds_nothing() {
    // Capacity 0: each put waits for a getter, so the producer runs at the consumer's pace.
    let s = ok(r#"
        [queues.q]
        capacity = 0
        [tasks.producer]
        steps = [{ repeat = 3, steps = [{ put = "q" }] }, { say = "all handed over at {elapsed}" }]
        [tasks.consumer]
        steps = [{ repeat = 3, steps = [{ sleep = "1s" }, { get = "q" }] }]
        "#);
    assert_eq!((s.queues[0].puts, s.queues[0].gets, s.queues[0].max_len), (3, 3, 1));
    assert_eq!(s.end, 3 * SEC);
}

// ----- interrupts, ties and awaiting tasks (asyncio 3.12's rules) -----

#[test]
fn a_timeout_around_waiting_for_a_task_cancels_the_task_even_at_a_tie() {
    // The worker's 1 s timer was registered before the deadline, so it fires first; but the
    // deadline cancels the awaited worker before the worker runs again, as asyncio does when
    // `await task` is cancelled: the worker never says "done".
    let out = plain(
        r#"
        [tasks.worker]
        steps = [{ sleep = "1s" }, { say = "worker done" }]
        [main]
        steps = [
          { start = "worker" },
          { sleep = "0s" },
          { timeout = "1s", steps = [{ wait = "worker" }], on-timeout = [{ say = "timed out" }] },
        ]
        "#,
    );
    assert_eq!(out, "timed out\n");
}

#[test]
fn a_shielded_wait_leaves_the_task_running() {
    let out = plain(
        r#"
        [tasks.worker]
        steps = [{ sleep = "2s" }, { say = "worker done at {elapsed}" }]
        [main]
        steps = [
          { start = "worker" },
          { timeout = "500ms", steps = [{ wait = "worker", shield = true }], on-timeout = [{ say = "timed out" }] },
          { wait = "worker" },
        ]
        "#,
    );
    assert_eq!(out, "timed out\nworker done at 2\n");
}

#[test]
fn cancelling_a_waiter_cancels_what_it_awaits_and_waits_for_its_cleanup() {
    let out = plain(
        r#"
        [tasks.worker]
        steps = [{ try = [{ sleep = "10s" }], finally = [{ sleep = "1s" }, { say = "worker cleaned up at {elapsed}" }] }]
        [tasks.waiter]
        steps = [{ try = [{ wait = "worker" }], finally = [{ say = "waiter unwinds at {elapsed}" }] }]
        [main]
        steps = [{ start = ["worker", "waiter"] }, { sleep = "2s" }, { cancel = "waiter" }, { say = "main goes on at {elapsed}" }]
        "#,
    );
    assert_eq!(out, "worker cleaned up at 3\nwaiter unwinds at 3\nmain goes on at 3\n");
}

#[test]
fn a_deadline_reaches_a_waiting_getter_before_a_put_at_the_same_instant() {
    // The producer's timer fires first, but the deadline's interrupt takes `main` out of the
    // line of getters at once (asyncio cancels the getter's future), so the item goes to the
    // other consumer, which was waiting behind it.
    let out = plain(
        r#"
        [queues.q]
        [tasks.other]
        steps = [{ sleep = "1ms" }, { get = "q", say = "other got {item} at {elapsed}" }]
        [tasks.producer]
        steps = [{ sleep = "1s" }, { put = "q", item = "x" }]
        [main]
        steps = [
          { start = ["producer", "other"] },
          { timeout = "1s", steps = [{ get = "q", say = "main got {item}" }], on-timeout = [{ say = "main timed out" }] },
          { wait = ["producer", "other"] },
        ]
        "#,
    );
    assert_eq!(out, "main timed out\nother got x at 1\n");
}

#[test]
fn on_cancel_runs_when_the_block_is_cancelled_or_times_out_and_the_cancellation_goes_on() {
    let out = plain(
        r#"
        [tasks.worker]
        steps = [{ try = [{ sleep = "1s" }, { say = "worker done" }], on-cancel = [{ say = "worker cancelled" }] }, { say = "never" }]
        [main]
        steps = [
          { start = "worker" },
          { sleep = "0s" },
          { timeout = "1s", steps = [{ wait = "worker" }], on-timeout = [{ say = "timed out" }] },
          { timeout = "1s", steps = [{ try = [{ sleep = "2s" }], on-cancel = [{ say = "main's block cancelled" }] }] },
          { say = "main goes on at {elapsed}" },
        ]
        "#,
    );
    assert_eq!(out, "worker cancelled\ntimed out\nmain's block cancelled\nmain goes on at 2\n");
}

// ----- gather and race policies, after their asyncio originals -----

fn gather_with(policy: &str) -> String {
    // Call i sleeps i + 1 seconds, then fails; the first failure is at 1 s.
    let calls: String = (0..3)
        .map(|i| {
            format!(
                r#"
                [tasks.call{i}]
                steps = [
                  {{ try = [{{ sleep = "{}s" }}], on-cancel = [{{ say = "call {i} cancelled at {{elapsed}}" }}] }},
                  {{ fail = "call {i} failed" }},
                ]
                "#,
                i + 1
            )
        })
        .collect();
    plain(&format!(
        r#"{calls}
        [main]
        steps = [
          {{ try = [{{ gather = ["call0", "call1", "call2"], policy = "{policy}" }}], on-error = [{{ say = "gather failed at {{elapsed}}" }}] }},
          {{ say = "main goes on at {{elapsed}}" }},
          {{ sleep = "5s" }},
        ]
        "#
    ))
}

#[test]
fn task_group_cancels_the_others_at_the_first_failure() {
    assert_eq!(
        gather_with("task-group"),
        "call 1 cancelled at 1\ncall 2 cancelled at 1\ngather failed at 1\nmain goes on at 1\n"
    );
    assert_eq!(gather_with("fail-fast"), gather_with("task-group"), "the old name still works");
}

#[test]
fn asyncio_gather_fails_at_the_first_failure_and_the_others_go_on() {
    // Calls 1 and 2 are not cancelled: they fail later, unawaited.
    assert_eq!(gather_with("gather"), "gather failed at 1\nmain goes on at 1\n");
}

#[test]
fn return_exceptions_waits_for_every_task() {
    assert_eq!(gather_with("return-exceptions"), "main goes on at 3\n");
    assert_eq!(gather_with("collect"), gather_with("return-exceptions"), "the old name still works");
}

fn race_with(policy: &str) -> (Option<String>, String) {
    // The fast racer fails at 1 s; the slow one completes at 2 s.
    let (s, out) = run(
        &format!(
            r#"
            [tasks.fast]
            steps = [{{ sleep = "1s" }}, {{ fail = "fast broke" }}]
            [tasks.slow]
            steps = [{{ sleep = "2s" }}, {{ say = "slow answered at {{elapsed}}" }}]
            [main]
            steps = [{{ race = ["fast", "slow"], policy = "{policy}" }}, {{ say = "race over at {{elapsed}}" }}]
            "#
        ),
        Format::Plain,
    );
    (s.failure.map(|f| f.message), out)
}

#[test]
fn first_success_waits_past_a_failed_racer() {
    assert_eq!(race_with("first-success"), (None, "slow answered at 2\nrace over at 2\n".to_owned()));
}

#[test]
fn first_completed_is_decided_by_the_first_racer_to_end_failed_or_not() {
    let (failure, out) = race_with("first-completed");
    assert_eq!(out, "");
    assert_eq!(failure.as_deref(), Some("task `main` failed: task `fast` failed: fast broke"));
}

#[test]
fn thread_work_given_up_on_keeps_its_thread_until_it_ends() {
    // As asyncio: a timeout cancels the awaiting task, but the thread runs the work to its end,
    // so with one thread the next piece of work starts at 2 s, not at 0.5 s.
    let (s, out) = run(
        r#"
        thread-pool = 1
        [main]
        steps = [
          { timeout = "500ms", steps = [{ to-thread = "2s" }], on-timeout = [{ say = "gave up at {elapsed}" }] },
          { to-thread = "1s" },
          { say = "second work done at {elapsed}" },
        ]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "gave up at 0.5\nsecond work done at 3\n");
    let pool = &s.semaphores[0];
    assert_eq!((pool.acquisitions, pool.abandoned, pool.free_at_end), (2, 1, 1));
    assert_eq!(pool.waits.max, 1_500_000_000, "the second work waited from 0.5 s to 2 s for the thread");
}

#[test]
fn after_runs_once_every_task_has_ended_as_code_after_asyncio_run() {
    // The background task is cancelled when main returns at 1 s; its cleanup takes 0.5 s; only
    // then does `after` run, as a print after `asyncio.run(main())` would.
    let (s, out) = run(
        r#"
        [tasks.background]
        steps = [{ try = [{ sleep = "1h" }], finally = [{ sleep = "500ms" }, { say = "background cleaned up" }] }]
        [main]
        steps = [{ start = "background" }, { sleep = "1s" }, { say = "main returns" }]
        [after]
        steps = [{ say = "program ends at {elapsed:.2}" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "main returns\nbackground cleaned up\nprogram ends at 1.50\n");
    assert_eq!(s.tasks.last().map(|t| (t.name.as_str(), t.completed)), Some(("after", 1)));
}

#[test]
fn after_is_skipped_when_main_fails_and_its_own_failure_fails_the_run() {
    let (s, out) = run("main.steps = [{ fail = \"boom\" }]\nafter.steps = [{ say = \"never\" }]\n", Format::Plain);
    assert_eq!((out.as_str(), s.failure.map(|f| f.kind)), ("", Some(FailureKind::MainFailed)));
    let failure =
        run("main.steps = [{ say = \"hi\" }]\nafter.steps = [{ fail = \"late\" }]\n", Format::Plain).0.failure;
    assert_eq!(failure.map(|f| f.message).as_deref(), Some("`after` failed: late"));
}

#[test]
fn a_joiner_released_by_the_last_done_goes_on_even_if_an_item_is_put_before_it_runs() {
    // asyncio's join waits on an event that the last task_done sets: a put right after (at the
    // same instant, before the joiner runs) clears it, but the joiner has been released.
    let out = plain(
        r#"
        [queues.q]
        [tasks.worker]
        steps = [{ get = "q" }, { sleep = "1s" }, { done = "q" }, { put = "q", item = "late" }]
        [main]
        steps = [{ put = "q", item = "first" }, { start = "worker" }, { join = "q" }, { say = "joined at {elapsed}" }]
        "#,
    );
    assert_eq!(out, "joined at 1\n");
}
