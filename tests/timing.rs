//! The virtual clock: exact sub-millisecond times, the same-instant rule, limits, deadlocks.

mod common;

use common::run;
use scenario::Format;

#[test]
fn sub_millisecond_sleeps_keep_their_exact_values_and_order() {
    // tokio's paused clock would round all of these up to 1 ms and fire them in poll order.
    let (summary, out) = run(
        r#"
        [tasks.a]
        steps = [{ sleep = "250us" }, { say = "a at {elapsed}" }]
        [tasks.b]
        steps = [{ sleep = "20us" }, { say = "b at {elapsed}" }]
        [tasks.c]
        steps = [{ sleep = "1us" }, { say = "c at {elapsed}" }, { sleep = "999ns" }, { say = "c at {elapsed}" }]
        [tasks.d]
        steps = [{ sleep = "1ms 1ns" }, { say = "d at {elapsed}" }]
        "#,
        Format::Plain,
    );
    assert_eq!(summary.end, 1_000_001);
    assert_eq!(out, "c at 0.000001\nc at 0.000001999\nb at 0.00002\na at 0.00025\nd at 0.001000001\n");
}

#[test]
fn timers_due_at_one_instant_fire_in_registration_order() {
    // b registers its 2 s timer first (at t = 0); a registers its 1 s + 1 s timer at t = 1.
    let (_, out) = run(
        r#"
        [tasks.a]
        steps = [{ sleep = "1s" }, { sleep = "1s" }, { say = "a" }]
        [tasks.b]
        steps = [{ sleep = "2s" }, { say = "b" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "b\na\n");
}

#[test]
fn a_deadline_registered_before_the_work_wins_the_tie() {
    let source = r#"
        [tasks.work]
        steps = [{ sleep = "1s" }, { say = "work finished" }]
        [main]
        steps = [{ timeout = "1s", steps = [{ gather = "work" }], on-timeout = [{ say = "timed out" }] }]
    "#;
    assert_eq!(run(source, Format::Plain).1, "timed out\n");
    // One nanosecond more and the work wins.
    let later = source.replace("timeout = \"1s\"", "timeout = \"1s 1ns\"");
    assert_eq!(run(&later, Format::Plain).1, "work finished\n");
}

#[test]
fn a_timeout_that_does_not_expire_changes_nothing() {
    let (summary, out) = run(
        r#"
        [main]
        steps = [
          { timeout = "5s", steps = [{ sleep = "1s" }], on-timeout = [{ say = "no" }], finally = [{ say = "finally at {elapsed}" }] },
          { sleep = "10s" },
          { say = "end at {elapsed}" },
        ]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "finally at 1\nend at 11\n");
    assert_eq!(summary.end, 11_000_000_000);
}

#[test]
fn nested_timeouts_unwind_to_the_scope_that_expired() {
    let (_, out) = run(
        r#"
        [main]
        steps = [
          { timeout = "2s", steps = [
              { timeout = "10s", steps = [{ sleep = "1h" }], on-timeout = [{ say = "inner" }], finally = [{ say = "inner finally" }] },
            ], on-timeout = [{ say = "outer timed out at {elapsed}" }] },
        ]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "inner finally\nouter timed out at 2\n");
}

#[test]
fn the_time_limit_stops_a_run_and_says_so() {
    let (summary, out) = run(
        r#"
        time-limit = "1m"
        [main]
        steps = [{ repeat = "forever", steps = [{ sleep = "7s" }, { say = "tick {elapsed}" }] }]
        "#,
        Format::Plain,
    );
    assert_eq!(out.lines().count(), 8); // 7 s .. 56 s
    let failure = summary.failure.expect("the run must fail").message;
    assert!(failure.contains("virtual-time limit of 1m"), "{failure}");
    assert_eq!(summary.end, 60_000_000_000);
}

#[test]
fn a_deadlock_ends_the_run_and_names_the_blocked_tasks() {
    let (summary, _) = run(
        r#"
        [queues.jobs]
        [tasks.worker]
        count = 2
        steps = [{ get = "jobs" }]
        "#,
        Format::Text,
    );
    let failure = summary.failure.expect("the run must fail").message;
    assert!(failure.starts_with("deadlock"), "{failure}");
    assert!(failure.contains("worker[0] waits to get from queue `jobs`"), "{failure}");
    assert!(failure.contains("worker[1] waits to get from queue `jobs`"), "{failure}");
    assert!(failure.contains("main waits for task `worker[0]` to end"), "{failure}");
}

#[test]
fn a_loop_that_never_waits_is_stopped() {
    let (summary, _) = run(r#"main.steps = [{ repeat = "forever", steps = [] }]"#, Format::Silent);
    let failure = summary.failure.expect("the run must fail").message;
    assert!(failure.contains("task `main` ran 10000000 steps without waiting"), "{failure}");
}

#[test]
fn a_bounded_queue_makes_the_producer_wait() {
    // Producer at 1 s/item, consumer at 3 s/item, capacity 1, 4 items:
    // the makespan is p + q + (N - 1) * max(p, q) = 1 + 3 + 3 * 3 = 13 s.
    let (summary, _) = run(
        r#"
        [queues.q]
        capacity = 1
        [tasks.producer]
        steps = [{ repeat = 4, steps = [{ sleep = "1s" }, { put = "q" }] }]
        [tasks.consumer]
        steps = [{ repeat = 4, steps = [{ get = "q" }, { sleep = "3s" }, { done = "q" }] }]
        "#,
        Format::Silent,
    );
    assert_eq!(summary.failure, None);
    assert_eq!(summary.end, 13_000_000_000);
}

#[test]
fn cancelling_a_task_that_has_not_run_yet_skips_all_its_steps() {
    let (_, out) = run(
        r#"
        [tasks.t]
        steps = [{ say = "never" }]
        [main]
        steps = [{ start = "t" }, { cancel = "t" }, { say = "done" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "done\n");
}

#[test]
fn tasks_left_running_when_main_returns_are_cancelled() {
    let (summary, out) = run(
        r#"
        [tasks.background]
        steps = [{ repeat = "forever", steps = [{ sleep = "1s" }, { say = "tick" }] }]
        [main]
        steps = [{ start = "background" }, { sleep = "2500ms" }, { say = "main done" }]
        "#,
        Format::Plain,
    );
    assert_eq!(out, "tick\ntick\nmain done\n");
    assert_eq!(summary.failure, None);
    assert_eq!(summary.tasks[1].cancelled, 1);
}

#[test]
fn tasks_that_wake_each_other_forever_at_one_instant_are_stopped() {
    let (summary, _) = run(
        r#"
        max-events-per-instant = 1000
        main.steps = [{ repeat = "forever", steps = [{ sleep = "0s" }] }]
        "#,
        Format::Silent,
    );
    let failure = summary.failure.expect("the run must fail");
    assert_eq!(failure.kind, scenario::FailureKind::Livelock);
    assert!(
        failure
            .message
            .starts_with("1000 events happened at virtual time 0 s without time passing; the last was by `main`"),
        "{}",
        failure.message
    );
}

#[test]
fn the_event_budget_stops_a_run_and_says_so() {
    let (summary, _) = run(
        r#"
        max-events = 1000
        main.steps = [{ repeat = "forever", steps = [{ sleep = "1s" }] }]
        "#,
        Format::Silent,
    );
    let failure = summary.failure.expect("the run must fail");
    assert_eq!(failure.kind, scenario::FailureKind::EventBudget);
    assert!(failure.message.contains("budget of 1000 events; raise `max-events`"), "{}", failure.message);
    assert_eq!(summary.events, 1001);
}

#[test]
fn a_loop_of_steps_that_complete_without_waiting_is_stopped() {
    // Cancelling a task that was never started completes at once and records nothing: the
    // loop must still count as one that never waits.
    let scenario = common::scenario(
        r#"
        [tasks.t]
        steps = [{ say = "never" }]
        [main]
        steps = [{ repeat = "forever", steps = [{ cancel = "t" }] }]
        "#,
    );
    let limits = scenario::Limits { max_steps_without_waiting: 10_000, ..scenario.current_limits() };
    let summary = scenario.limits(limits).format(Format::Silent).run().summary;
    let failure = summary.failure.expect("the run must fail");
    assert_eq!(failure.kind, scenario::FailureKind::Livelock, "{}", failure.message);
}
