//! Containers (SimPy's `Container`): takes and fills wait in line, first come, first served,
//! until the amount is there or fits; and the task's own names (`let`) that amounts, sleeps and
//! messages use.

mod common;

use common::run;
use scenario::Format;

/// A large take at the head of the line holds up a small one behind it, as SimPy's does; a
/// fill serves them in order, and each line says the level right after its own move.
#[test]
fn takes_wait_in_line_and_a_fill_serves_them_in_order() {
    let source = r#"
        [containers.tank]
        capacity = 100
        initial = 10
        [tasks.big]
        steps = [{ take = "tank", amount = 50, say = "big got {amount} after {waited} s" }]
        [tasks.small]
        steps = [{ sleep = "1s" }, { take = "tank", amount = 1, say = "small got {amount} after {waited} s" }]
        [tasks.truck]
        steps = [{ sleep = "5s" }, { fill = "tank", say = "filled {amount}" }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "filled 90\nbig got 50 after 5 s\nsmall got 1 after 4 s\n");
    let (_, timeline) = run(source, Format::Text);
    let moves: Vec<&str> = timeline.lines().filter(|l| l.contains(" tank") && !l.starts_with("container")).collect();
    assert_eq!(moves.len(), 3, "{timeline}");
    let said = |line: &str, who: &str, what: &str| line.split_whitespace().nth(1) == Some(who) && line.ends_with(what);
    assert!(said(moves[0], "truck", "filled tank with 90, now 100"), "{}", moves[0]);
    assert!(said(moves[1], "big", "took 50 from tank, now 50 (waited 5 s)"), "{}", moves[1]);
    assert!(said(moves[2], "small", "took 1 from tank, now 49 (waited 4 s)"), "{}", moves[2]);
    let tank = &summary.containers[0];
    assert_eq!((tank.level, tank.min, tank.max), (49, 10, 100));
    assert_eq!((tank.takes, tank.taken, tank.fills, tank.filled, tank.waited), (2, 51, 1, 90, 2));
    // 10 for 5 s, then 49 for no time: the mean over the run's 5 s is 10.
    assert!((tank.mean() - 10.0).abs() < 1e-12, "{}", tank.mean());
}

/// A fill waits for room, and a take makes it; a fill without an amount tops the container up.
#[test]
fn fills_wait_for_room() {
    let source = r#"
        [containers.c]
        capacity = 10
        initial = 8
        [tasks.filler]
        steps = [{ fill = "c", amount = 5, say = "put 5 in after {waited} s, now {container.c}" }, { fill = "c", say = "topped up with {amount}" }]
        [tasks.taker]
        steps = [{ sleep = "2s" }, { take = "c", amount = 6 }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "put 5 in after 2 s, now 7\ntopped up with 3\n");
    assert_eq!(summary.containers[0].level, 10);
}

/// A take that gives up (a timeout) leaves the line, and the one behind it goes on; the level
/// is as if it had never asked.
#[test]
fn a_take_that_gives_up_leaves_the_line() {
    let source = r#"
        [containers.c]
        initial = 3
        [tasks.greedy]
        steps = [{ timeout = "2s", steps = [{ take = "c", amount = 10 }], on-timeout = [{ say = "gave up" }] }]
        [tasks.modest]
        steps = [{ sleep = "1s" }, { take = "c", amount = 2, say = "got 2 at {elapsed} s" }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "gave up\ngot 2 at 2 s\n");
    assert_eq!(summary.containers[0].level, 1);
    assert_eq!(summary.containers[0].takes, 1);
}

/// A take that can never be served is a deadlock whose report says what it waits for; one
/// above the capacity fails the task at once.
#[test]
fn a_take_that_cannot_be_served_is_reported() {
    let (summary, _) = run(
        r#"
        [containers.c]
        capacity = 10
        initial = 3
        [main]
        steps = [{ take = "c", amount = 5 }]
    "#,
        Format::Silent,
    );
    let failure = summary.failure.expect("a deadlock");
    assert!(failure.message.contains("main waits to take 5 from container `c` (level 3)"), "{}", failure.message);
    let (summary, _) = run(
        r#"
        [containers.c]
        capacity = 10
        [main]
        steps = [{ let = "need", value = 11 }, { take = "c", amount = "need" }]
    "#,
        Format::Silent,
    );
    let failure = summary.failure.expect("a failed main");
    assert!(failure.message.contains("cannot take 11: container `c` holds at most 10"), "{}", failure.message);
}

/// `let` gives a task names of its own: drawn once, used in amounts, sleeps (`N * duration`),
/// expressions with counters and levels, and messages with Python's formats; each replica
/// has its own.
#[test]
fn let_names_values_that_amounts_sleeps_and_messages_use() {
    let source = r#"
        [containers.c]
        capacity = 1000
        initial = 500
        [counters.k]
        initial = 7
        [tasks.t]
        count = 3
        steps = [
          { let = "x", value = "10 * (i + 1)" },
          { let = "y", value = "x + counter.k - container.c.level" },
          { sleep = "x * 100ms" },
          { take = "c", amount = "x" },
          { say = "{task}: x={x} y={y} y={y:+05} x={x:.1f} at {elapsed}" },
          { let = "x", value = { uniform = [1, 3] } },
          { when = "container.c.level < 450", steps = [{ say = "{task}: low, {container.c} left" }] },
        ]
    "#;
    let (_, text) = run(source, Format::Plain);
    assert_eq!(
        text,
        "t[0]: x=10 y=-483 y=-0483 x=10.0 at 1\n\
         t[1]: x=20 y=-473 y=-0473 x=20.0 at 2\n\
         t[2]: x=30 y=-463 y=-0463 x=30.0 at 3\n\
         t[2]: low, 440 left\n"
    );
    // Draws come from the task's stream: the same seed, the same values.
    let draws = r#"
        seed = 5
        [main]
        steps = [{ repeat = 200, steps = [{ let = "d", value = { uniform = [1, 3] } }, { say = "{d}" }] }]
    "#;
    let (_, a) = run(draws, Format::Plain);
    let (_, b) = run(draws, Format::Plain);
    assert_eq!(a, b);
    for v in ["1", "2", "3"] {
        let n = a.lines().filter(|l| *l == v).count();
        assert!((40..=95).contains(&n), "{v} drawn {n} times of 200");
    }
    assert_eq!(a.lines().count(), 200);
}

/// Thresholds and the JSONL transcript see containers.
#[test]
fn thresholds_and_jsonl_see_containers() {
    let source = r#"
        [containers.c]
        capacity = 10
        initial = 4
        [main]
        steps = [{ take = "c", amount = 3 }, { fill = "c", amount = 2 }]
        [thresholds]
        "container.c.level" = "== 3"
        "container.c.min" = ">= 1"
        "container.c.taken" = "== 3"
        "container.c.fills" = "== 1"
    "#;
    let scenario = common::scenario(source);
    let (summary, jsonl) = run(source, Format::Jsonl);
    assert_eq!(summary.failure, None);
    assert!(scenario.check_thresholds(&summary).iter().all(|v| v.held));
    assert!(jsonl.contains(r#""event":"take","container":"c","amount":3,"level":1,"waited_ns":0"#), "{jsonl}");
    assert!(jsonl.contains(r#""event":"fill","container":"c","amount":2,"level":3,"waited_ns":0"#), "{jsonl}");
    let strict = common::scenario(&source.replace(r#""container.c.level" = "== 3""#, r#""container.c.mean" = "> 3""#));
    let verdicts = strict.check_thresholds(&summary);
    assert!(!verdicts[0].held, "the level was 1 then 3 at one instant: a run of no time has mean 3");
    assert_eq!(verdicts[0].message, "container.c.mean = 3, not > 3");
}
