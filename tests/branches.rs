//! Branches: `choose` picks a block by chance, with the weights' frequencies; `when` picks one by
//! the run's state at the moment the step runs.

mod common;

use common::run;
use scenario::Format;

/// 20 000 draws of a 9:1 choice land within four standard deviations of 18 000:2 000, counted
/// as items put on one queue or the other; the same seed draws the same again.
#[test]
fn choose_takes_each_branch_as_often_as_its_weight_says() {
    let source = r#"
        seed = 11
        [queues.often]
        [queues.rarely]
        [tasks.t]
        steps = [{ repeat = 20000, steps = [{ choose = [
            { weight = 9, steps = [{ put = "often" }] },
            { weight = 1, steps = [{ put = "rarely" }] },
        ] }] }]
    "#;
    let (summary, _) = run(source, Format::Silent);
    let (often, rarely) = (summary.queues[0].puts, summary.queues[1].puts);
    assert_eq!(often + rarely, 20_000);
    // Binomial(20 000, 0.1): sd = sqrt(20 000 * 0.1 * 0.9) = 42.4.
    assert!((rarely as i64 - 2_000).abs() < 170, "{rarely} of 20 000 took the weight-1 branch");
    let (again, _) = run(source, Format::Silent);
    assert_eq!(again.queues[1].puts, rarely);
    // Weights are relative: 0.9 and 0.1 are 9 and 1.
    let (tenths, _) =
        run(&source.replace("weight = 9", "weight = 0.9").replace("weight = 1,", "weight = 0.1,"), Format::Silent);
    assert_eq!(tenths.queues[1].puts, rarely);
}

/// `when` looks at the state when the step runs: a queue's length, a semaphore's free permits
/// and permits in use, an event's flag; `else` runs otherwise.
#[test]
fn when_looks_at_the_state_of_the_run() {
    let source = r#"
        [queues.q]
        [semaphores.db]
        permits = 2
        [events.go]
        [main]
        steps = [
          { put = "q" }, { put = "q" },
          { when = "queue.q.length >= 2", steps = [{ say = "two waiting" }], else = [{ say = "fewer" }] },
          { get = "q" },
          { when = "queue.q.length >= 2", steps = [{ say = "two waiting" }], else = [{ say = "fewer" }] },
          { when = "queue.q.length == 1", steps = [{ say = "one" }] },
          { acquire = "db" },
          { when = "semaphore.db.free == 1", steps = [{ say = "one free" }] },
          { when = "semaphore.db.in-use > 1", steps = [{ say = "both in use" }], else = [{ say = "one in use" }] },
          { when = "event.go", steps = [{ say = "go" }], else = [{ say = "not yet" }] },
          { set = "go" },
          { when = "event.go", steps = [{ say = "go" }], else = [{ say = "not yet" }] },
          { when = "not event.go", steps = [{ say = "wrong" }] },
          { when = "queue.q.length != 1", steps = [{ say = "wrong" }] },
          { when = "queue.q.length < 1", steps = [{ say = "wrong" }] },
          { when = "queue.q.length <= 0", steps = [{ say = "wrong" }] },
          { when = "queue.q.length > 0", steps = [{ say = "some" }] },
        ]
    "#;
    let (_, text) = run(source, Format::Plain);
    assert_eq!(text, "two waiting\nfewer\none\none free\none in use\nnot yet\ngo\nsome\n");
}

/// A branch's steps are steps like any others: they wait, fail and are cancelled as usual, and
/// `choose` draws from the task's own stream (two replicas choose independently).
#[test]
fn branches_nest_and_draw_per_replica() {
    let source = r#"
        seed = 2
        [tasks.t]
        count = 40
        steps = [
          { choose = [
              { weight = 1, steps = [{ sleep = "1s" }, { say = "{task} slow" }] },
              { weight = 1, steps = [{ say = "{task} fast" }] },
          ] },
        ]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(summary.failure, None);
    let slow = text.lines().filter(|l| l.ends_with("slow")).count();
    let fast = text.lines().filter(|l| l.ends_with("fast")).count();
    assert_eq!(slow + fast, 40);
    assert!(slow > 5 && fast > 5, "{slow} slow, {fast} fast");
    // Every fast one prints before any slow one: those sleep first.
    let first_slow = text.lines().position(|l| l.ends_with("slow")).unwrap();
    assert_eq!(first_slow, fast);
    assert_eq!(summary.end, 1_000_000_000);
}

/// Counters: `add` (1, or `by`, negative too) changes them, `when` reads them, the timeline
/// and JSONL show each change, and thresholds check their value at the end, lowest, highest
/// and number of adds.
#[test]
fn counters_count_and_branches_read_them() {
    let source = r#"
        [counters.hits]
        [counters.budget]
        initial = 2
        [main]
        steps = [
          { repeat = 5, steps = [{ add = "hits" }] },
          { add = "budget", by = -3 },
          { when = "counter.hits == 5", steps = [{ say = "five hits" }] },
          { when = "counter.budget < 0", steps = [{ say = "over budget" }], else = [{ say = "within budget" }] },
          { when = "counter.budget >= -1", steps = [{ say = "at least -1" }] },
        ]
        [thresholds]
        "counter.hits.value" = "== 5"
        "counter.hits.adds" = "== 5"
        "counter.budget.min" = "<= -1"
        "counter.budget.max" = "== 2"
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "five hits\nover budget\nat least -1\n");
    let budget = &summary.counters[1];
    assert_eq!((budget.name.as_str(), budget.value, budget.min, budget.max, budget.adds), ("budget", -1, -1, 2, 1));
    let scenario = common::scenario(source);
    assert!(scenario.check_thresholds(&summary).iter().all(|v| v.held));
    let (_, timeline) = run(source, Format::Text);
    assert!(timeline.contains("main  added -3 to budget, now -1\n"), "{timeline}");
    assert!(timeline.contains("counter hits: 5 at the end, lowest 0, highest 5; 5 adds\n"), "{timeline}");
    let (_, jsonl) = run(source, Format::Jsonl);
    assert!(jsonl.contains(r#""event":"add","counter":"budget","by":-3,"value":-1"#), "{jsonl}");
}

/// `wait-until` waits for a condition on a counter, looking again at each change; a timeout
/// withdraws it cleanly; one that can never hold is a deadlock that names the counter.
#[test]
fn wait_until_waits_for_a_counter() {
    let source = r#"
        [counters.done]
        [tasks.worker]
        count = 5
        steps = [{ repeat = "i + 1", steps = [{ sleep = "1s" }] }, { add = "done" }]
        [main]
        steps = [
          { start = "worker" },
          { timeout = "1500ms", steps = [{ wait-until = "counter.done >= 3" }], on-timeout = [{ say = "not yet at {elapsed} s: {counter.done}" }] },
          { wait-until = "counter.done >= 3" },
          { say = "three done at {elapsed} s" },
          { wait-until = "counter.done == 5" },
          { say = "all done at {elapsed} s" },
        ]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(summary.failure, None, "{text}");
    assert_eq!(text, "not yet at 1.5 s: 1\nthree done at 3 s\nall done at 5 s\n");
    let stuck = r#"
        [counters.done]
        [main]
        steps = [{ wait-until = "counter.done > 0" }]
    "#;
    let (summary, _) = run(stuck, Format::Silent);
    let failure = summary.failure.expect("a deadlock");
    assert!(failure.message.contains("waits for counter `done` (now 0)"), "{}", failure.message);
}

/// A condition may compare expressions: a task's own names, parameters, counters, levels and
/// `waited` (nanoseconds; durations such as `2s` are nanoseconds too). A state condition may
/// compare with a whole-number parameter.
#[test]
fn conditions_compare_expressions_and_how_long_an_item_waited() {
    let source = r#"
        [params]
        limit = 30
        [counters.c]
        initial = 5
        [queues.q]
        [tasks.t]
        steps = [
          { let = "fuel", value = 42 },
          { when = "fuel > limit", steps = [{ say = "over" }], else = [{ say = "under" }] },
          { when = "fuel * 2 - counter.c >= 79", steps = [{ say = "sum" }] },
          { when = "counter.c < limit", steps = [{ say = "state with a parameter" }] },
          { put = "q" }, { get = "q" },
          { when = "waited > 0s", steps = [{ say = "late" }], else = [{ say = "on time" }] },
        ]
        [tasks.u]
        steps = [{ put = "q" }]
        [tasks.v]
        steps = [{ sleep = "2s" }, { get = "q" }, { when = "waited >= 2s", steps = [{ say = "v waited {waited} s" }] }]
    "#;
    let (_, text) = run(source, Format::Plain);
    assert_eq!(text, "over\nsum\nstate with a parameter\non time\nv waited 2 s\n");
    let shown = common::errors("[main]\nsteps = [{ when = \"fule > 3\", steps = [] }]\n");
    assert!(shown.contains("cannot read the condition `fule > 3`: unknown name `fule`"), "{shown}");
}

/// `set-counter` sets a counter to a value, an expression or a draw; the change shows as any
/// other, by the difference.
#[test]
fn set_counter_sets_a_value() {
    let source = r#"
        [counters.c]
        initial = 7
        [main]
        steps = [
          { set-counter = "c", value = 0 }, { say = "{counter.c}" },
          { set-counter = "c", value = "counter.c + 5" }, { say = "{counter.c}" },
          { set-counter = "c", value = -2 }, { say = "{counter.c}" },
        ]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "0\n5\n-2\n");
    let c = &summary.counters[0];
    assert_eq!((c.value, c.min, c.max, c.adds), (-2, -2, 7, 3));
    let shown = common::errors("[counters.c]\n[main]\nsteps = [{ set-counter = \"c\" }, { add = \"c\" }]\n");
    assert!(shown.contains("`set-counter` needs a `value`"), "{shown}");
}

/// Messages print a queue's length now, `{queue.NAME.length}`, with Python's formats; an
/// unknown queue there is a diagnostic on its name.
#[test]
fn messages_print_queue_lengths() {
    let source = r#"
        [queues.jobs]
        [main]
        steps = [{ put = "jobs" }, { put = "jobs" }, { say = "{queue.jobs.length:>3} waiting" }, { get = "jobs" }, { say = "{queue.jobs.length} waiting" }]
    "#;
    let (_, text) = run(source, Format::Plain);
    assert_eq!(text, "  2 waiting\n1 waiting\n");
    let shown = common::errors(
        "[queues.jobs]\n[main]\nsteps = [{ say = \"{queue.jbos.length}\" }, { put = \"jobs\" }, { get = \"jobs\" }]\n",
    );
    assert!(shown.contains("unknown queue `jbos`"), "{shown}");
}
