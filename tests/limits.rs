//! Absurd inputs are rejected with a clear error, or bounded by documented limits, before they
//! can exhaust time or memory.

mod common;

use common::run;
use scenario::{FailureKind, Format, Limits};

fn failure(source: &str) -> scenario::Failure {
    run(source, Format::Silent).0.failure.expect("the run must fail")
}

#[test]
fn a_repeat_count_that_multiplies_into_billions_of_steps_meets_the_event_budget() {
    let f = failure(
        r#"
        max-events = 10000
        main.steps = [{ repeat = 1000000, steps = [{ repeat = 1000000, steps = [{ sleep = "1ns" }] }] }]
        "#,
    );
    assert_eq!(f.kind, FailureKind::EventBudget, "{}", f.message);
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let limits = common::scenario(r#"main.steps = [{ say = "hi" }]"#).current_limits();
    assert_eq!(limits, Limits::default());
    assert_eq!(limits.max_events, 100_000_000);
    assert_eq!(limits.max_tasks, 1_000_000);
    assert_eq!(limits.time_limit, 24 * 3600 * 1_000_000_000);
}

#[test]
fn a_task_started_in_a_loop_meets_the_task_limit() {
    let f = failure(
        r#"
        max-tasks = 100
        [tasks.t]
        steps = [{ sleep = "1h" }]
        [main]
        steps = [{ repeat = "forever", steps = [{ start = "t" }, { sleep = "1s" }] }]
        "#,
    );
    assert_eq!(f.kind, FailureKind::Limit);
    assert!(f.message.starts_with("the run has 100 tasks alive at once, its limit"), "{}", f.message);
}

#[test]
fn an_unbounded_queue_that_only_grows_meets_the_queue_limit() {
    let f = failure(
        r#"
        main.steps = [{ repeat = "forever", steps = [{ put = "q" }] }]
        [queues.q]
        "#,
    );
    assert_eq!(f.kind, FailureKind::Limit);
    assert!(f.message.contains("queue `q` holds more than 1000000 items"), "{}", f.message);
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_parsing() {
    let huge = format!("main.steps = [{{ say = \"{}\" }}]\n", "x".repeat(scenario::MAX_SOURCE_BYTES));
    let errors = common::errors(&huge);
    assert!(errors.contains("scenario files are limited to 4194304 bytes"), "{errors}");
    // A stream is read only one byte past the limit, however long it is.
    let Err(scenario::Error::Invalid(invalid)) = scenario::Scenario::read("<stdin>", std::io::repeat(b'#')) else {
        panic!("an endless stream loaded")
    };
    assert!(invalid.diagnostics[0].message.contains("more than 4194304 bytes"), "{:?}", invalid.diagnostics);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 5000;
    let source = format!(
        "main.steps = [{}{{ say = \"deep\" }}{}]\n",
        "{ repeat = 1, steps = [".repeat(depth),
        "] }".repeat(depth)
    );
    let errors = common::errors(&source);
    assert!(errors.contains("tables and arrays are nested too deeply here"), "{errors}");
}

#[test]
fn a_template_as_large_as_the_file_allows_is_rendered_but_bounded_by_the_budget() {
    let big = "y".repeat(1 << 20);
    let (summary, out) = run(
        &format!("max-events = 5\nmain.steps = [{{ repeat = \"forever\", steps = [{{ say = \"{big}\" }}] }}]\n"),
        Format::Plain,
    );
    assert_eq!(summary.failure.map(|f| f.kind), Some(FailureKind::EventBudget));
    assert_eq!(out.len(), 6 * ((1 << 20) + 1));
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_at_its_first_bad_byte() {
    let path = std::env::temp_dir().join(format!("scenario-latin1-{}.toml", std::process::id()));
    std::fs::write(&path, b"seed = 1\n# caf\xe9\n").unwrap();
    let result = scenario::Scenario::load(&path);
    std::fs::remove_file(&path).unwrap();
    let Err(scenario::Error::Invalid(invalid)) = result else { panic!("a Latin-1 file loaded") };
    let rendered = invalid.diagnostics[0].render("x.toml", &invalid.source);
    assert!(rendered.starts_with("error: this is not UTF-8\n --> x.toml:2:6\n"), "{rendered}");
}

#[test]
fn a_task_as_large_as_the_task_limit_runs_because_main_does_not_count() {
    // With `max-tasks = 3`, three replicas run; a fourth task is one too many.
    let (summary, _) = run("max-tasks = 3\n[tasks.w]\ncount = 3\nsteps = [{ sleep = \"1s\" }]\n", Format::Silent);
    assert_eq!(summary.failure, None);
    let f = failure("max-tasks = 3\n[tasks.w]\ncount = 4\nsteps = [{ sleep = \"1s\" }]\n");
    assert_eq!(f.kind, FailureKind::Limit, "{}", f.message);
}
