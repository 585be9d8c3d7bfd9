//! `run --trace`: the Chrome trace-event format, as Perfetto and chrome://tracing read it.

use std::collections::HashMap;

mod common;

use scenario::sink::{Memory, Sink, Trace};
use scenario::{Format, Scenario};
use serde_json::Value;

fn trace(scenario: &Scenario) -> String {
    let memory = Memory::default();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(Trace::new(Box::new(memory.clone())))];
    scenario.run_with(sinks, false);
    memory.take_string()
}

/// Checks what the viewers need: JSON with a `traceEvents` array; on each track, every begin
/// matched by a later end; complete slices of no negative length; each flow's start with its end.
fn check(name: &str, text: &str) -> usize {
    let json: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
    let events = json["traceEvents"].as_array().unwrap_or_else(|| panic!("{name}: no traceEvents"));
    let mut open: HashMap<u64, Vec<f64>> = HashMap::new();
    let mut flows: HashMap<String, (u32, u32)> = HashMap::new();
    let mut scopes: HashMap<String, Option<f64>> = HashMap::new();
    for e in events {
        let (ph, tid, ts) = (e["ph"].as_str().unwrap(), e["tid"].as_u64().unwrap(), e["ts"].as_f64().unwrap());
        assert!(ts >= 0.0, "{name}: {e}");
        match ph {
            "B" => open.entry(tid).or_default().push(ts),
            "E" => {
                let began = open.get_mut(&tid).and_then(Vec::pop);
                let began = began.unwrap_or_else(|| panic!("{name}: an end with no begin on track {tid}: {e}"));
                assert!(ts >= began, "{name}: ends before it begins: {e}");
            }
            "X" => assert!(e["dur"].as_f64().unwrap() >= 0.0, "{name}: {e}"),
            "s" => flows.entry(e["id"].as_str().unwrap().to_owned()).or_default().0 += 1,
            "f" => flows.entry(e["id"].as_str().unwrap().to_owned()).or_default().1 += 1,
            // Timeout scopes: async slices, each id begun once and ended once, later.
            "b" => assert!(scopes.insert(e["id"].as_str().unwrap().to_owned(), Some(ts)).is_none(), "{name}: {e}"),
            "e" => {
                let began = scopes.get_mut(e["id"].as_str().unwrap()).and_then(Option::take);
                let began = began.unwrap_or_else(|| panic!("{name}: a scope's end with no begin: {e}"));
                assert!(ts >= began && e["cat"] == "timeout", "{name}: {e}");
            }
            "i" | "C" | "M" => {}
            other => panic!("{name}: phase {other}"),
        }
    }
    assert!(open.values().all(Vec::is_empty), "{name}: slices left open");
    assert!(scopes.values().all(Option::is_none), "{name}: timeout scopes left open");
    // Every item got was put; an item still in a queue at the end has no get.
    assert!(flows.values().all(|&(s, f)| s == 1 && f <= 1), "{name}: {flows:?}");
    events.len()
}

#[test]
fn every_scenario_traces_to_well_formed_json() {
    for path in common::examples() {
        let scenario = Scenario::load(&path).unwrap();
        let text = trace(&scenario);
        assert!(check(&path.display().to_string(), &text) > 10);
        assert_eq!(trace(&scenario), text, "{}: the same bytes twice", path.display());
    }
}

#[test]
fn a_small_scenarios_trace() {
    let source = r#"
        [queues.q]
        [semaphores.s]
        permits = 1
        [tasks.producer]
        steps = [{ sleep = "1s" }, { put = "q", item = "x" }, { say = "put x" }]
        [tasks.consumer]
        steps = [{ get = "q" }, { hold = "s", steps = [{ sleep = "500ms" }] }]
    "#;
    let text = trace(&Scenario::from_source("small.toml", source).unwrap().format(Format::Plain));
    check("small", &text);
    insta::assert_snapshot!("trace_small", text);
}

#[test]
fn a_cancelled_sleep_ends_when_it_was_cancelled() {
    let source = r#"
        [tasks.sleeper]
        steps = [{ sleep = "10s" }]
        [main]
        steps = [{ start = "sleeper" }, { sleep = "2s" }, { cancel = "sleeper" }]
    "#;
    let text = trace(&Scenario::from_source("c.toml", source).unwrap());
    check("cancelled", &text);
    let json: Value = serde_json::from_str(&text).unwrap();
    let ends: Vec<f64> = json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "E" && e["tid"] == 1)
        .map(|e| e["ts"].as_f64().unwrap())
        .collect();
    assert_eq!(ends, [2_000_000.0], "the sleeper's 10 s sleep ends at 2 s, in microseconds");
}

#[test]
fn run_writes_the_trace_beside_the_transcript() {
    let dir = std::env::temp_dir().join(format!("scenario-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--format", "plain", "--trace", file.to_str().unwrap(), "scenarios/async_queue.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("async_queue.py executed in"));
    let whole = std::fs::read_to_string(&file).unwrap();
    check("async_queue", &whole);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--format", "plain", "--trace", file.to_str().unwrap(), "--trace-until", "3s"])
        .arg("scenarios/async_queue.toml")
        .output()
        .unwrap();
    assert!(out.status.success());
    let cut = std::fs::read_to_string(&file).unwrap();
    assert!(cut.len() < whole.len(), "the window cuts the trace");
    serde_json::from_str::<Value>(&cut).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_window_keeps_what_happens_inside_it_and_stays_well_formed() {
    let scenario = Scenario::load("scenarios/mmc.toml").unwrap();
    let whole = trace(&scenario);
    let memory = Memory::default();
    let (from, until) = (10_000_000_000, 20_000_000_000);
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(Trace::new(Box::new(memory.clone())).window(from, until))];
    scenario.run_with(sinks, false);
    let cut = memory.take_string();
    assert!(cut.len() < whole.len() / 2, "{} of {} bytes", cut.len(), whole.len());
    let json: Value = serde_json::from_str(&cut).unwrap();
    let mut open: HashMap<u64, u32> = HashMap::new();
    for e in json["traceEvents"].as_array().unwrap() {
        let (ph, ts) = (e["ph"].as_str().unwrap(), e["ts"].as_f64().unwrap());
        match ph {
            "M" => {}
            // A slice that ended inside the window may have begun before it.
            "X" => assert!(ts + e["dur"].as_f64().unwrap() >= 10e6 && ts <= 20e6, "{e}"),
            _ => assert!((10e6..=20e6).contains(&ts), "outside the window: {e}"),
        }
        let tid = e["tid"].as_u64().unwrap();
        match ph {
            "B" => *open.entry(tid).or_default() += 1,
            "E" => {
                let n = open.get_mut(&tid).unwrap_or_else(|| panic!("an end with no begin: {e}"));
                *n -= 1;
            }
            _ => {}
        }
    }
    assert!(open.values().all(|&n| n == 0), "{open:?}");
}

/// Timeout scopes are async slices from entering to leaving: one that fires ends at its
/// deadline, one whose body finishes ends then, nested ones end innermost first, a cancelled
/// task's scope ends at its cancellation, and a permit taken inside a scope may outlive it.
#[test]
fn timeout_scopes_are_slices() {
    let source = r#"
        [semaphores.s]
        permits = 1
        [tasks.victim]
        steps = [{ timeout = "100s", steps = [{ sleep = "50s" }] }]
        [main]
        steps = [
          { start = "victim" },
          { timeout = "10s", steps = [
              { timeout = "3s", steps = [{ sleep = "5s" }], on-timeout = [{ say = "inner" }] },
              { acquire = "s" },
          ] },
          { sleep = "1s" },
          { release = "s" },
          { cancel = "victim" },
        ]
    "#;
    let text = trace(&Scenario::from_source("t.toml", source).unwrap());
    check("scopes", &text);
    let json: Value = serde_json::from_str(&text).unwrap();
    let scopes: Vec<(String, u64, String, f64)> = json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cat"] == "timeout")
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap().to_owned();
            (field("ph"), e["tid"].as_u64().unwrap(), field("name"), e["ts"].as_f64().unwrap() / 1e6)
        })
        .collect();
    // Track 1 is the victim (its start is the first event), 2 is main.
    let expected = [
        ("b", 2, "timeout 10 s", 0.0),
        ("b", 2, "timeout 3 s", 0.0),
        ("b", 1, "timeout 100 s", 0.0),
        ("e", 2, "timeout 3 s", 3.0),
        ("e", 2, "timeout 10 s", 3.0),
        ("e", 1, "timeout 100 s", 4.0),
    ];
    let expected: Vec<(String, u64, String, f64)> =
        expected.iter().map(|&(p, t, n, s)| (p.to_owned(), t, n.to_owned(), s)).collect();
    assert_eq!(scopes, expected);
    // The hold began inside the 10 s scope and ends after it, at the release.
    let hold_end = json["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == "E" && e["tid"] == 2).count();
    assert_eq!(hold_end, 3, "the inner sleep, the hold and main's last sleep end on main's track");
}
