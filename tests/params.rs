//! `[params]`: named values stated once. A string value that is exactly a parameter's name
//! stands for its value, wherever a value goes; whole numbers also go into expressions and
//! messages; `--set NAME=VALUE` changes one.

mod common;

use common::{errors, run};
use scenario::{Format, Scenario};

const POOL: &str = r#"
    [params]
    workers = 3
    jobs = 7
    gap = "250ms"
    service = { uniform = ["1s", "2s"], step = "1s" }
    capacity = 2
    [queues.q]
    capacity = "capacity"
    [tasks.client]
    steps = [{ repeat = "jobs", steps = [{ sleep = "gap" }, { put = "q" }] }]
    [tasks.worker]
    count = "workers"
    steps = [{ repeat = "forever", steps = [{ get = "q" }, { sleep = "service" }, { done = "q" }] }]
    [main]
    steps = [
      { start = "worker" }, { gather = "client" }, { join = "q" },
      { say = "{jobs} jobs, {workers:>3} workers, {jobs:.1f}, twice {workers} is {twice}" },
      { say = "jobs" },
      { cancel = "worker" },
    ]
"#;

/// Each parameter lands where its name is written: a count, a capacity, a duration, a
/// distribution table, an expression and a message; a message's literal text stays text.
#[test]
fn parameters_stand_for_their_values() {
    let source = POOL
        .replace("{ start = \"worker\" },", "{ let = \"twice\", value = \"2 * workers\" }, { start = \"worker\" },");
    let (summary, text) = run(&source, Format::Plain);
    assert_eq!(text, "7 jobs,   3 workers, 7.0, twice 3 is 6\njobs\n");
    assert_eq!(summary.tasks.iter().find(|t| t.name == "worker").unwrap().started, 3);
    assert_eq!(summary.queues[0].puts, 7);
    // The same file written out by hand runs the same, draw for draw.
    let by_hand = source
        .replace("count = \"workers\"", "count = 3")
        .replace("repeat = \"jobs\"", "repeat = 7")
        .replace("sleep = \"gap\"", "sleep = \"250ms\"")
        .replace("sleep = \"service\"", "sleep = { uniform = [\"1s\", \"2s\"], step = \"1s\" }")
        .replace("capacity = \"capacity\"", "capacity = 2");
    let (again, _) = run(&by_hand, Format::Plain);
    assert_eq!(again.end, summary.end);
    assert_eq!(again.queues[0].waits.mean(), summary.queues[0].waits.mean());
}

/// `--set NAME=VALUE` changes a parameter by its name alone (or as `params.NAME`), and a
/// misspelt one is refused with the name it meant.
#[test]
fn set_changes_a_parameter_by_name() {
    let source = POOL.replace("twice {workers} is {twice}", "end");
    let with = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
        Scenario::from_source_with("pool.toml", source.as_str(), &sets)
    };
    let run = |s: Scenario| s.format(Format::Plain).run().transcript;
    assert!(run(with(&["workers=5"]).unwrap()).starts_with("7 jobs,   5 workers"));
    assert!(run(with(&["params.jobs=2"]).unwrap()).starts_with("2 jobs,   3 workers"));
    let Err(e) = with(&["wrkers=5"]) else { panic!("a misspelt parameter was accepted") };
    let shown = e.to_string();
    assert!(shown.contains("`wrkers` is not a parameter of the file"), "{shown}");
    assert!(shown.contains("did you mean `workers`?"), "{shown}");
}

/// Mistakes: a parameter named as a declaration, one never used (a warning), a parameter that
/// is not a whole number in an expression.
#[test]
fn parameter_mistakes_are_diagnosed() {
    let shown = errors("[params]\nq = 1\n[queues.q]\n[main]\nsteps = [{ put = \"q\" }]\n");
    assert!(shown.contains("parameter `q` has the name of a declaration"), "{shown}");
    let shown = errors("[params]\nrate = 0.5\n[main]\nsteps = [{ repeat = \"rate + 1\", steps = [] }]\n");
    assert!(shown.contains("parameter `rate` is not a whole number"), "{shown}");
    let s = Scenario::from_source("t.toml", "[params]\nspare = 1\n[main]\nsteps = [{ say = \"hi\" }]\n").unwrap();
    assert!(s.render_warnings().contains("parameter `spare` is never used"), "{}", s.render_warnings());
}

/// A small file cannot expand into a huge one: parameters stand for at most 100 000 values in
/// all, and the reference past that is an error of its own.
#[test]
fn parameters_cannot_expand_a_file_without_bound() {
    let items = vec!["\"1s\""; 200].join(", ");
    let mut source = format!("[params]\nbig = [{items}]\n[distributions]\n");
    for k in 0..600 {
        source.push_str(&format!("d{k} = {{ sequence = \"big\" }}\n"));
    }
    source.push_str("[main]\nsteps = [{ sleep = \"d0\" }]\n");
    let shown = errors(&source);
    assert!(shown.contains("parameters stand for more than 100000 values in all"), "{shown}");
    // 497 references of 201 values each fit in 100 000; the 498th (`d497`, line 501) is the
    // first past the budget.
    let at = shown.lines().skip_while(|l| !l.contains("stand for more")).nth(1).unwrap();
    assert!(at.ends_with("test.toml:501:21"), "{at}");
}
