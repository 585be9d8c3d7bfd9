//! `until`: a block that runs until an event is set, whichever comes first (SimPy's
//! `req | event`): what the block waits for is left cleanly, and `on-set` runs.

mod common;

use common::{errors, run};
use scenario::Format;

/// Waiters in line for a permit leave it when the event is set; a permit granted at that
/// instant goes to the next in line; a block already past its wait when the event is set is
/// left too (so wrap only the wait); an event set already skips the block.
#[test]
fn until_leaves_the_wait_when_the_event_is_set() {
    let source = r#"
        [events.closed]
        [semaphores.desk]
        permits = 1
        [tasks.customer]
        count = 3
        steps = [
          { try = [
              { until = "closed", steps = [{ acquire = "desk" }], on-set = [{ say = "{i} left at {elapsed}" }, { fail = "closed" }] },
              { say = "{i} served at {elapsed}" },
              { sleep = "2s" },
              { release = "desk" },
          ], on-error = [] },
        ]
        [tasks.late]
        steps = [{ sleep = "5s" }, { until = "closed", steps = [{ say = "never" }], on-set = [{ say = "late: closed already" }] }]
        [tasks.closer]
        steps = [{ sleep = "3s" }, { set = "closed" }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(summary.failure, None);
    assert_eq!(text, "0 served at 0\n1 served at 2\n2 left at 3\nlate: closed already\n");
    // Nobody holds the desk at the end: customer 1 released it.
    assert_eq!(summary.semaphores[0].free_at_end, 1);
    let (_, timeline) = run(source, Format::Text);
    assert!(timeline.contains("customer[2]  saw closed set\n"), "{timeline}");
}

/// An `until` whose block ends first leaves nothing behind: setting the event later does not
/// reach the task.
#[test]
fn a_finished_until_is_forgotten() {
    let source = r#"
        [events.e]
        [tasks.t]
        steps = [{ until = "e", steps = [{ sleep = "1s" }], on-set = [{ say = "wrong" }] }, { sleep = "5s" }, { say = "done" }]
        [tasks.setter]
        steps = [{ sleep = "2s" }, { set = "e" }]
    "#;
    let (_, text) = run(source, Format::Plain);
    assert_eq!(text, "done\n");
    let shown = errors("[main]\nsteps = [{ until = \"nope\", steps = [] }, { say = \"x\", on-set = [] }]\n");
    assert!(shown.contains("unknown event `nope`"), "{shown}");
    assert!(shown.contains("`on-set` does not go with `say`"), "{shown}");
}
