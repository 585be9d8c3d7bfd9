//! `scenario graph`: the model as Mermaid or DOT, every kind of node and edge, the same bytes
//! every time.

mod common;

use scenario::{GraphFormat, Scenario};

fn graph(source: &str, format: GraphFormat) -> String {
    Scenario::from_source("g.toml", source).unwrap().graph(format)
}

#[test]
fn the_async_queue_model_as_mermaid_and_dot() {
    let source = std::fs::read_to_string("scenarios/async_queue.toml").unwrap();
    insta::assert_snapshot!("async_queue_mermaid", graph(&source, GraphFormat::Mermaid));
    let source = std::fs::read_to_string("scenarios/mmc.toml").unwrap();
    insta::assert_snapshot!("mmc_dot", graph(&source, GraphFormat::Dot));
}

#[test]
fn every_primitive_is_a_node_and_every_use_an_edge() {
    let source = r#"
        thread-pool = 2
        [queues.jobs]
        capacity = 4
        [semaphores.db]
        permits = 3
        [events.go]
        [barriers.meet]
        parties = 2
        [rate-limits.api]
        rate = 5
        [arrivals.clients]
        every = "1s"
        put = "jobs"
        total = 3
        on-full = "drop"
        [tasks.worker]
        count = 2
        steps = [
          { wait-event = "go" },
          { barrier = "meet" },
          { repeat = "forever", steps = [
              { get = "jobs" },
              { throttle = "api" },
              { hold = "db", steps = [{ to-thread = "1s" }] },
              { done = "jobs" },
          ] },
        ]
        [main]
        steps = [{ start = ["worker", "clients"] }, { set = "go" }, { wait = "clients" }, { join = "jobs" }, { cancel = "worker" }]
    "#;
    let mermaid = graph(source, GraphFormat::Mermaid);
    for line in [
        "task_1[\"worker ×2\"]",
        "task_2[/\"clients\"/]",
        "queue_0[(\"jobs (capacity 4)\")]",
        "semaphore_0{{\"db: 3 permits\"}}",
        "semaphore_1{{\"thread pool: 2 permits\"}}",
        "event_0>\"go\"]",
        "barrier_0[[\"meet: 2 parties\"]]",
        "limit_0((\"api\"))",
        "task_2 -->|\"arrives (or is dropped)\"| queue_0",
        "queue_0 -->|\"gets\"| task_1",
        "event_0 -->|\"wakes\"| task_1",
        "task_1 -->|\"meets at\"| barrier_0",
        "limit_0 -->|\"throttles\"| task_1",
        "task_1 -->|\"holds\"| semaphore_0",
        "task_1 -->|\"runs on\"| semaphore_1",
        "task_0 -->|\"sets\"| event_0",
        "task_0 -->|\"cancels\"| task_1",
    ] {
        assert!(mermaid.contains(line), "missing {line:?} in:\n{mermaid}");
    }
    // Each edge once, however often the step runs or is written.
    assert_eq!(mermaid.matches("-->|\"gets\"|").count(), 1);
    assert_eq!(graph(source, GraphFormat::Mermaid), mermaid);
    let dot = graph(source, GraphFormat::Dot);
    assert!(dot.starts_with("digraph scenario {\n") && dot.ends_with("}\n"), "{dot}");
    assert!(dot.contains("semaphore_0 [label=\"db: 3 permits\", shape=hexagon];"), "{dot}");
    assert!(dot.contains("task_1 -> semaphore_1 [label=\"runs on\"];"), "{dot}");
}

#[test]
fn the_command_prints_it_and_takes_overrides() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["graph", "--format", "dot", "--set", "tasks.server.count=7", "scenarios/mmc.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("label=\"server ×7\""));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["graph", "tests/invalid/bad_duration_unit.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn graphviz_reads_every_scenarios_dot() {
    use std::io::Write as _;
    if std::process::Command::new("dot").arg("-V").output().is_err() {
        let _ = writeln!(std::io::stderr(), "SKIPPED: Graphviz's `dot` is not installed (apt-get install graphviz)");
        return;
    }
    for path in common::examples() {
        let text = Scenario::load(&path).unwrap().graph(GraphFormat::Dot);
        let mut dot = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        dot.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = dot.wait_with_output().unwrap();
        assert!(out.status.success(), "{}: {}\n{text}", path.display(), String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"), "{}", path.display());
    }
}
