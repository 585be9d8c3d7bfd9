//! Interrupts (SimPy's `Process.interrupt`) and preemption (SimPy's `PreemptiveResource`): a
//! task interrupted where it waits runs its `on-interrupt` steps and goes on; one that does not
//! handle it fails; a request of a lower priority takes a holder's permit and interrupts it.

mod common;

use common::{errors, run};
use scenario::Format;

/// An interrupted sleep runs its handler, then sleeps what was left: a 10 s part interrupted
/// at 3 s and repaired in 5 s is done at 15 s.
#[test]
fn an_interrupted_sleep_is_handled_and_resumed() {
    let source = r#"
        [tasks.machine]
        steps = [
          { sleep = "10s", on-interrupt = [{ say = "broken at {elapsed} s" }, { sleep = "5s" }, { say = "repaired" }] },
          { say = "part done at {elapsed} s" },
        ]
        [tasks.breaker]
        steps = [{ sleep = "3s" }, { interrupt = "machine" }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "broken at 3 s\nrepaired\npart done at 15 s\n");
    assert_eq!(summary.failure, None);
    let (_, timeline) = run(source, Format::Text);
    assert!(timeline.contains("breaker  interrupt machine\n"), "{timeline}");
    assert!(timeline.contains("machine  sleep 7 s (until 15.000000)\n"), "{timeline}");
}

/// `try` with `on-interrupt` handles an interrupt anywhere in its block and goes on after it;
/// an interrupt nothing handles fails the task, saying who interrupted it.
#[test]
fn try_handles_an_interrupt_and_an_unhandled_one_fails_the_task() {
    let source = r#"
        [events.never]
        [tasks.waiter]
        steps = [
          { try = [{ wait-event = "never" }, { say = "not here" }], on-interrupt = [{ say = "interrupted at {elapsed} s" }] },
          { say = "went on" },
          { sleep = "10s" },
        ]
        [main]
        steps = [{ start = "waiter" }, { sleep = "1s" }, { interrupt = "waiter" }, { sleep = "1s" }, { interrupt = "waiter" }, { wait = "waiter" }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "interrupted at 1 s\nwent on\n");
    let failure = summary.failure.expect("main fails with the waiter");
    assert!(failure.message.contains("interrupted by main, and nothing handled it"), "{}", failure.message);
    assert_eq!(summary.tasks[1].failed, 1);
}

/// An interrupt that comes while the task runs its `on-interrupt` steps is ignored, and the
/// timeline says so; `replica` picks one replica (an expression over the interrupter's `i`).
#[test]
fn interrupts_during_a_handler_are_ignored_and_replica_picks_one() {
    let source = r#"
        [tasks.machine]
        count = 3
        steps = [{ sleep = "10s", on-interrupt = [{ say = "machine {i} broken at {elapsed} s" }, { sleep = "5s" }] }]
        [tasks.breaker]
        count = 3
        steps = [
          { sleep = "1s" }, { interrupt = "machine", replica = "2 - i" },
          { sleep = "1s" }, { interrupt = "machine", replica = "2 - i" },
        ]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(summary.failure, None);
    // breaker[0] interrupts machine[2] first.
    assert_eq!(text, "machine 2 broken at 1 s\nmachine 1 broken at 1 s\nmachine 0 broken at 1 s\n");
    let (_, timeline) = run(source, Format::Text);
    assert_eq!(timeline.matches("(ignored: it is handling an interrupt)").count(), 3, "{timeline}");
    assert!(timeline.contains("breaker[0]  interrupt machine[2]\n"), "{timeline}");
}

/// A request of a lower priority takes a holder's permit at once; the holder is interrupted,
/// takes a permit again in its handler and finishes; its `hold` gives back only the permit it
/// holds (a bounded semaphore would fail a second release). Equal priorities never preempt.
#[test]
fn preemption_takes_the_permit_and_interrupts_the_holder() {
    let source = r#"
        [semaphores.server]
        permits = 1
        bounded = true
        discipline = "priority"
        preemptive = true
        [tasks.low]
        steps = [{ hold = "server", priority = 5, steps = [
            { sleep = "10s", on-interrupt = [{ say = "low preempted at {elapsed} s" }, { acquire = "server", priority = 5 }, { say = "low back at {elapsed} s" }] },
        ] }, { say = "low done at {elapsed} s" }]
        [tasks.high]
        steps = [{ sleep = "2s" }, { hold = "server", priority = 1, steps = [{ sleep = "3s" }] }, { say = "high done at {elapsed} s" }]
        [tasks.same]
        steps = [{ sleep = "1s" }, { hold = "server", priority = 5, steps = [{ sleep = "1s" }] }, { say = "same done at {elapsed} s" }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(summary.failure, None, "{text}");
    // low holds 0-2 s, is preempted by high (2-5 s); `same` asked at 1 s with low's priority and
    // did not preempt: it is ahead of low's second request, so it goes at 5 s; low resumes at
    // 6 s with 8 s left, done at 14 s.
    assert_eq!(text, "low preempted at 2 s\nhigh done at 5 s\nsame done at 6 s\nlow back at 6 s\nlow done at 14 s\n");
    assert_eq!(summary.semaphores[0].preempted, 1);
    assert_eq!(summary.semaphores[0].free_at_end, 1);
    let (_, timeline) = run(source, Format::Text);
    assert!(timeline.contains("low   preempted: lost server\n"), "{timeline}");
}

/// A preemptive semaphore must serve by priority; `on-interrupt` and `replica` only go with
/// the steps they are for.
#[test]
fn mistakes_are_diagnosed() {
    let shown = errors("[semaphores.s]\npermits = 1\npreemptive = true\n[main]\nsteps = [{ acquire = \"s\" }]\n");
    assert!(shown.contains("a preemptive semaphore serves by priority"), "{shown}");
    let shown = errors("[main]\nsteps = [{ say = \"x\", on-interrupt = [] }, { sleep = \"1s\", replica = 1 }]\n");
    assert!(shown.contains("`on-interrupt` does not go with `say`"), "{shown}");
    assert!(shown.contains("`replica` does not go with `sleep`"), "{shown}");
}
