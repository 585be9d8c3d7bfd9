//! Valid but adversarial files: huge counts, deep nesting, extreme distribution parameters, long
//! names and self-doubling templates, generated at random. Every run must end within its
//! budgets, under a memory cap this test enforces (a child process with a 2 GiB address space)
//! and a real-time cap (`--wall-limit 20s`, which the run must honour; `timeout 120` ends it if
//! it does not, and the test fails), with a documented exit code: never a crash, never a cap.
//!
//! CI runs a fixed set of cases (`PROPTEST_RNG_SEED`, `PROPTEST_CASES` explore further).

use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"0s\"".to_owned()),
        Just("\"1ns\"".to_owned()),
        Just("\"1s\"".to_owned()),
        Just("\"1h\"".to_owned()),
        Just("\"290years\"".to_owned()),
        Just("{ exponential = \"1ns\" }".to_owned()),
        Just("{ normal = \"1ns\", std-dev = \"290years\" }".to_owned()),
        Just("{ log-normal = \"1ms\", sigma = 60.0 }".to_owned()),
        Just("{ uniform = [\"0s\", \"290years\"] }".to_owned()),
        Just("{ choice = [\"1ns\", \"1h\"], weights = [1e300, 1e-300] }".to_owned()),
        Just("{ sequence = [\"0s\", \"0s\", \"1ns\"] }".to_owned()),
    ]
}

fn count() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("3".to_owned()),
        Just("1000".to_owned()),
        Just("1000000".to_owned()),
        Just("\"forever\"".to_owned()),
        Just("\"count * count * 1000 + i\"".to_owned()),
        Just("{ uniform = [0, 1000000] }".to_owned()),
    ]
}

/// One step, nesting blocks up to `depth` deep.
fn step(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        duration().prop_map(|d| format!("{{ sleep = {d} }}")),
        Just("{ say = \"{task} {item}{item}{item}{item} {elapsed:.9}\" }".to_owned()),
        Just("{ put = \"q\", item = \"{item}{item}x\" }".to_owned()),
        Just("{ get = \"q\" }".to_owned()),
        Just("{ done = \"q\" }".to_owned()),
        Just("{ hold = \"s\", steps = [{ sleep = \"1ns\" }] }".to_owned()),
        Just("{ release = \"s\" }".to_owned()),
        Just("{ start = \"w\" }".to_owned()),
        Just("{ cancel = \"w\" }".to_owned()),
        Just("{ wait = \"w\" }".to_owned()),
        Just("{ gather = \"w\", policy = \"gather\" }".to_owned()),
        Just("{ race = \"w\", policy = \"first-completed\" }".to_owned()),
        Just("{ set = \"e\" }".to_owned()),
        Just("{ wait-event = \"e\" }".to_owned()),
        Just("{ barrier = \"b\" }".to_owned()),
        Just("{ throttle = \"r\" }".to_owned()),
        duration().prop_map(|d| format!("{{ to-thread = {d} }}")),
        duration().prop_map(|d| format!("{{ busy = {d} }}")),
        Just("{ fail = \"boom\", probability = 0.5 }".to_owned()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let inner = proptest::collection::vec(step(depth - 1), 1..3).prop_map(|s| s.join(", "));
    prop_oneof![
        3 => leaf,
        1 => (count(), inner.clone()).prop_map(|(c, s)| format!("{{ repeat = {c}, steps = [{s}] }}")),
        1 => (duration(), inner.clone()).prop_map(|(d, s)| format!("{{ timeout = {d}, steps = [{s}], on-timeout = [{s}] }}")),
        1 => inner.clone().prop_map(|s| format!("{{ try = [{s}], on-error = [{s}], on-cancel = [{s}], finally = [{s}] }}")),
        1 => inner.prop_map(|s| format!("{{ retry = 1000000, backoff = \"1ns\", backoff-factor = 1000000, jitter = true, steps = [{s}] }}")),
    ]
    .boxed()
}

fn scenario() -> impl Strategy<Value = String> {
    let name = prop_oneof![Just("w".to_owned()), Just(format!("w{}", "x".repeat(200)))];
    (
        proptest::collection::vec(step(4), 1..6),
        proptest::collection::vec(step(3), 1..4),
        count(),
        prop_oneof![Just("1"), Just("1000000"), Just("0")],
        prop_oneof![Just(None), Just(Some(0)), Just(Some(1)), Just(Some(1_000_000))],
        name,
    )
        .prop_map(|(main, worker, replicas, permits, capacity, long)| {
            let replicas = if replicas.starts_with(['"', '{']) { "1000".to_owned() } else { replicas };
            let capacity = capacity.map_or(String::new(), |c| format!("capacity = {c}\n"));
            format!(
                "max-events = 300000\nmax-output = 10000000\n\
                 [queues.q]\n{capacity}fairness = \"asyncio\"\n\
                 [semaphores.s]\npermits = {permits}\n\
                 [events.e]\n[barriers.b]\nparties = 3\n[rate-limits.r]\nrate = 1000000000\nburst = 1000000\n\
                 [arrivals.a]\nevery = \"1ns\"\nput = \"q\"\non-full = \"drop\"\n\
                 [tasks.w]\ncount = {replicas}\nsteps = [{}]\n\
                 [tasks.{long}]\nsteps = [{{ sleep = \"1ns\" }}]\n\
                 [main]\nsteps = [{{ start = [\"a\", \"{long}\"] }}, {}]\n",
                worker.join(", "),
                main.join(", ")
            )
        })
}

#[cfg(unix)]
#[test]
fn adversarial_files_end_within_budgets_and_memory() {
    let binary = env!("CARGO_BIN_EXE_scenario");
    let dir = std::env::temp_dir().join(format!("scenario-adversarial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("case.toml");
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48);
    let rng = match std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse::<u64>().ok()) {
        Some(seed) => TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed)),
        None => TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(7)),
    };
    // Shrinking is bounded in time: a case that outlives its caps takes two minutes a try.
    let config = Config { cases, failure_persistence: None, max_shrink_time: 120_000, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&scenario(), |source| {
        std::fs::write(&file, &source).unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -v 2097152 && exec timeout 120 "$0" run --format jsonl --wall-limit 20s "$1" > /dev/null"#)
            .arg(binary)
            .arg(&file)
            .output()
            .unwrap();
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr);
        prop_assert!(
            matches!(code, Some(0 | 3 | 4 | 5)),
            "exit {code:?} (a crash, a cap, or 124: it ran a minute and a half past its wall limit) for:\n{source}\n{}",
            &stderr[stderr.len().saturating_sub(2000)..]
        );
        prop_assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
        Ok(())
    });
    std::fs::remove_dir_all(&dir).unwrap();
    result.unwrap();
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}
