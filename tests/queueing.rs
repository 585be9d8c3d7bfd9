//! Queueing models against theory. `mm1.toml` and `mmc.toml` are run with many customers over
//! independent replications (different seeds); the theoretical mean wait in the queue must lie
//! inside the 99% confidence interval of the replication means.
#![expect(clippy::print_stderr, reason = "the measured intervals are shown with --nocapture")]

mod common;

use scenario::Format;

const REPLICATIONS: u64 = 20;
/// Student's t quantile for a two-sided 99% interval with 19 degrees of freedom.
const T_99_19: f64 = 2.861;

/// The mean queue wait, in seconds, of one replication of `file` with `customers` arrivals.
fn mean_wait(file: &str, customers: u64, seed: u64) -> f64 {
    let source = std::fs::read_to_string(file).unwrap().replace("total = 50", &format!("total = {customers}"));
    let summary = common::scenario(&source).seed(seed).format(Format::Silent).run().summary;
    assert_eq!(summary.failure, None);
    let line = &summary.queues[0];
    assert_eq!(line.gets, customers);
    line.waits.mean().unwrap_or(0.0) / 1e9
}

/// The 99% confidence interval of the mean wait over the replications.
fn interval(file: &str, customers: u64) -> (f64, f64) {
    let means: Vec<f64> = (0..REPLICATIONS).map(|seed| mean_wait(file, customers, seed)).collect();
    let n = means.len() as f64;
    let mean = means.iter().sum::<f64>() / n;
    let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = T_99_19 * (var / n).sqrt();
    (mean - half, mean + half)
}

#[test]
fn mm1_mean_wait_matches_rho_over_mu_minus_lambda() {
    let (lambda, mu) = (1.0, 2.0);
    let wq = (lambda / mu) / (mu - lambda);
    let (low, high) = interval("scenarios/mm1.toml", 5_000);
    eprintln!("M/M/1: Wq = {wq:.4} s, 99% interval of the replication means [{low:.4}, {high:.4}]");
    assert!(low <= wq && wq <= high, "Wq = {wq} outside [{low}, {high}]");
    // The interval must be tight enough to mean something.
    assert!(high - low < 0.1 * wq, "[{low}, {high}] is too wide");
}

#[test]
fn mmc_mean_wait_matches_erlang_c() {
    let (lambda, mu, c) = (1.0f64, 0.5f64, 3u32);
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let factorial = |k: u32| (1..=k).map(f64::from).product::<f64>();
    let top = a.powi(c as i32) / factorial(c) / (1.0 - rho);
    let erlang_c = top / ((0..c).map(|k| a.powi(k as i32) / factorial(k)).sum::<f64>() + top);
    let wq = erlang_c / (f64::from(c) * mu - lambda);
    let (low, high) = interval("scenarios/mmc.toml", 20_000);
    eprintln!("M/M/3: Wq = {wq:.4} s, 99% interval of the replication means [{low:.4}, {high:.4}]");
    assert!(low <= wq && wq <= high, "Wq = {wq} outside [{low}, {high}]");
    assert!(high - low < 0.15 * wq, "[{low}, {high}] is too wide");
}

/// The fraction of arrivals lost in one replication of a loss model: `source` with `{n}`
/// arrivals.
fn loss(source: &str, arrivals: u64, seed: u64) -> f64 {
    let source = source.replace("{n}", &arrivals.to_string());
    let summary = common::scenario(&source).seed(seed).format(Format::Silent).run().summary;
    assert_eq!(summary.failure, None);
    let line = &summary.queues[0];
    assert_eq!(line.puts + line.dropped, arrivals);
    line.dropped as f64 / arrivals as f64
}

/// The 99% confidence interval of the loss fraction over the replications.
fn loss_interval(source: &str, arrivals: u64) -> (f64, f64) {
    let fractions: Vec<f64> = (0..REPLICATIONS).map(|seed| loss(source, arrivals, seed)).collect();
    let n = fractions.len() as f64;
    let mean = fractions.iter().sum::<f64>() / n;
    let var = fractions.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = T_99_19 * (var / n).sqrt();
    (mean - half, mean + half)
}

#[test]
fn mm1k_blocking_matches_its_closed_form() {
    // M/M/1/3: one server, two places to wait, lambda = 1, mu = 1.25. An arrival that finds the
    // system full is lost: P_K = (1 - rho) rho^K / (1 - rho^(K + 1)).
    let source = r#"
        [queues.line]
        capacity = 2
        [arrivals.customers]
        every = { exponential = "1s" }
        put = "line"
        total = {n}
        on-full = "drop"
        [tasks.server]
        steps = [{ repeat = "forever", steps = [{ get = "line" }, { sleep = { exponential = "800ms" } }, { done = "line" }] }]
        [main]
        steps = [{ start = ["server", "customers"] }, { wait = "customers" }, { join = "line" }, { cancel = "server" }]
    "#;
    let (rho, k) = (0.8f64, 3);
    let p = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    let (low, high) = loss_interval(source, 20_000);
    eprintln!("M/M/1/3: P_K = {p:.4}, 99% interval of the replication means [{low:.4}, {high:.4}]");
    assert!(low <= p && p <= high, "P_K = {p} outside [{low}, {high}]");
    assert!(high - low < 0.1 * p, "[{low}, {high}] is too wide");
}

#[test]
fn mmcc_loss_matches_erlang_b() {
    // M/M/3/3: three servers and no place to wait (a rendezvous queue), lambda = 2, mu = 1.
    let source = r#"
        [queues.line]
        capacity = 0
        [arrivals.calls]
        every = { exponential = "500ms" }
        put = "line"
        total = {n}
        on-full = "drop"
        [tasks.server]
        count = 3
        steps = [{ repeat = "forever", steps = [{ get = "line" }, { sleep = { exponential = "1s" } }, { done = "line" }] }]
        [main]
        steps = [{ start = ["server", "calls"] }, { wait = "calls" }, { join = "line" }, { cancel = "server" }]
    "#;
    let (a, c) = (2.0f64, 3u32);
    let factorial = |k: u32| (1..=k).map(f64::from).product::<f64>();
    let erlang_b = a.powi(c as i32) / factorial(c) / (0..=c).map(|k| a.powi(k as i32) / factorial(k)).sum::<f64>();
    let (low, high) = loss_interval(source, 100_000);
    eprintln!("M/M/3/3: Erlang B = {erlang_b:.4}, 99% interval of the replication means [{low:.4}, {high:.4}]");
    assert!(low <= erlang_b && erlang_b <= high, "B = {erlang_b} outside [{low}, {high}]");
    assert!(high - low < 0.1 * erlang_b, "[{low}, {high}] is too wide");
}

#[test]
fn a_waiting_arrival_keeps_the_source_on_its_schedule() {
    // Arrivals every second onto a queue of one place that nobody serves until 10 s: the source
    // does not stall behind the full queue, and each arrival's wait for room is counted.
    let source = r#"
        [queues.line]
        capacity = 1
        [arrivals.customers]
        every = "1s"
        put = "line"
        total = 5
        [tasks.server]
        steps = [{ sleep = "10s" }, { repeat = 5, steps = [{ get = "line" }, { done = "line" }] }]
        [main]
        steps = [{ start = ["server", "customers"] }, { wait = "customers" }, { say = "all arrived at {elapsed}" }, { join = "line" }]
    "#;
    let run = common::scenario(source).format(Format::Plain).run();
    assert_eq!(run.transcript, "all arrived at 5\n");
    let line = &run.summary.queues[0];
    assert_eq!((line.puts, line.blocked_puts, line.max_put_wait), (5, 4, 8_000_000_000));
}

/// Mean waits per class of a priority queue, from its get events: a sink of the test's own.
struct WaitsByItem(std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, (u64, u128)>>>);

impl scenario::sink::Sink for WaitsByItem {
    fn event(&mut self, _: &scenario::event::Model, ev: &scenario::event::Event<'_>) {
        if let scenario::event::EventKind::Get { item, waited, .. } = ev.kind {
            let mut by = self.0.lock().unwrap();
            let e = by.entry(item.to_string()).or_default();
            e.0 += 1;
            e.1 += u128::from(waited);
        }
    }
}

/// M/M/1 with two classes and non-preemptive priority (`discipline = "priority"`): Cobham's
/// formula, W_k = W0 / ((1 - s_{k-1})(1 - s_k)) with W0 = lambda E[S^2] / 2 and s_k the load of
/// classes 1..k. Urgent customers (0.3/s) and normal ones (0.4/s), exponential service of mean
/// 1 s: W0 = 0.7 s, so urgent ones wait 1 s and normal ones 3.33 s on average, where a FIFO
/// queue would make both wait rho / (mu - lambda) = 2.33 s.
#[test]
fn priority_classes_wait_as_cobhams_formula_says() {
    let source = r#"
        seed = 4
        max-events = 100000000
        time-limit = "100d"
        [queues.line]
        discipline = "priority"
        [arrivals.urgent]
        every = { exponential = "3333333333ns" }
        put = "line"
        item = "urgent"
        priority = 0
        total = 60000
        [arrivals.normal]
        every = { exponential = "2500ms" }
        put = "line"
        item = "normal"
        priority = 1
        total = 80000
        [tasks.server]
        steps = [{ repeat = "forever", steps = [{ get = "line" }, { sleep = { exponential = "1s" } }, { done = "line" }] }]
        [main]
        steps = [{ start = ["server", "urgent", "normal"] }, { wait = ["urgent", "normal"] }, { join = "line" }, { cancel = "server" }]
    "#;
    let mean_waits = |source: &str| {
        let by = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
        let summary = common::scenario(source).run_with(vec![Box::new(WaitsByItem(by.clone()))], false);
        assert_eq!(summary.failure, None);
        let by = by.lock().unwrap();
        let mean = |k: &str| by[k].1 as f64 / by[k].0 as f64 / 1e9;
        (mean("urgent"), mean("normal"))
    };
    let (urgent, normal) = mean_waits(source);
    assert!((urgent - 1.0).abs() < 0.06, "urgent customers wait {urgent} s, Cobham says 1 s");
    assert!((normal - 10.0 / 3.0).abs() < 0.25, "normal customers wait {normal} s, Cobham says 3.33 s");
    // The same customers in a FIFO queue wait alike: M/M/1's 2.33 s for both.
    let fifo = source.replace("discipline = \"priority\"", "").replace("priority = 0", "").replace("priority = 1", "");
    let (urgent, normal) = mean_waits(&fifo);
    for w in [urgent, normal] {
        assert!((w - 7.0 / 3.0).abs() < 0.2, "FIFO: {w} s, M/M/1 says 2.33 s");
    }
}

/// The same two classes as tasks that hold a priority semaphore of one permit (SimPy's
/// `PriorityResource`), a task per customer: each task lives its wait plus its service, so the
/// mean lifetimes are Cobham's waits plus 1 s: 2 s for urgent customers and 4.33 s for the
/// others.
#[test]
fn a_priority_semaphore_serves_classes_as_cobhams_formula_says() {
    let source = r#"
        seed = 9
        max-events = 100000000
        time-limit = "100d"
        [semaphores.server]
        permits = 1
        discipline = "priority"
        [arrivals.urgent-arrivals]
        every = { exponential = "3333333333ns" }
        start = "urgent"
        total = 60000
        [arrivals.normal-arrivals]
        every = { exponential = "2500ms" }
        start = "normal"
        total = 80000
        [tasks.urgent]
        steps = [{ hold = "server", priority = 0, steps = [{ sleep = { exponential = "1s" } }] }]
        [tasks.normal]
        steps = [{ hold = "server", priority = 1, steps = [{ sleep = { exponential = "1s" } }] }]
    "#;
    let lifetime = |summary: &scenario::Summary, name: &str| {
        let t = summary.tasks.iter().find(|t| t.name == name).unwrap();
        t.lifetimes.mean().unwrap() / 1e9
    };
    let (summary, _) = common::run(source, Format::Silent);
    assert_eq!(summary.failure, None);
    let (urgent, normal) = (lifetime(&summary, "urgent"), lifetime(&summary, "normal"));
    assert!((urgent - 2.0).abs() < 0.06, "urgent customers take {urgent} s, Cobham says 2 s");
    assert!((normal - (1.0 + 10.0 / 3.0)).abs() < 0.25, "normal customers take {normal} s, Cobham says 4.33 s");
    // A FIFO semaphore serves both alike: M/M/1's 2.33 s wait, 3.33 s in all.
    let fifo =
        source.replace("discipline = \"priority\"", "").replace(", priority = 0", "").replace(", priority = 1", "");
    let (summary, _) = common::run(&fifo, Format::Silent);
    for name in ["urgent", "normal"] {
        let t = lifetime(&summary, name);
        assert!((t - 10.0 / 3.0).abs() < 0.2, "FIFO: {name} {t} s, M/M/1 says 3.33 s");
    }
}

/// Preemptive-resume priority (SimPy's `PreemptiveResource`): urgent customers take the server
/// from normal ones, who wait for it again and then finish the service they had left. For
/// M/M/1 with urgent at 0.3/s, normal at 0.4/s and service at 1/s, urgent customers see the
/// server as if normal ones did not exist, 1 / (1 - 0.3) = 1.429 s; normal ones take
/// 1 / (1 - σ1) + R / ((1 - σ1)(1 - σ)) with R = 0.7 s: 4.762 s.
#[test]
fn preemptive_resume_priority_serves_classes_as_theory_says() {
    let source = r#"
        seed = 5
        time-limit = "100d"
        [semaphores.server]
        permits = 1
        discipline = "priority"
        preemptive = true
        [arrivals.urgent-arrivals]
        every = { exponential = "3333333333ns" }
        start = "urgent"
        total = 60000
        [arrivals.normal-arrivals]
        every = { exponential = "2500ms" }
        start = "normal"
        total = 80000
        [tasks.urgent]
        steps = [{ hold = "server", priority = 0, steps = [{ sleep = { exponential = "1s" } }] }]
        [tasks.normal]
        steps = [{ hold = "server", priority = 1, steps = [
            { sleep = { exponential = "1s" }, on-interrupt = [{ acquire = "server", priority = 1 }] },
        ] }]
    "#;
    let lifetime = |summary: &scenario::Summary, name: &str| {
        let t = summary.tasks.iter().find(|t| t.name == name).unwrap();
        (t.completed, t.lifetimes.mean().unwrap() / 1e9)
    };
    let (summary, _) = common::run(source, Format::Silent);
    assert_eq!(summary.failure, None);
    let ((urgent_n, urgent), (normal_n, normal)) = (lifetime(&summary, "urgent"), lifetime(&summary, "normal"));
    assert_eq!((urgent_n, normal_n), (60000, 80000), "every customer is served in the end");
    assert!((urgent - 1.0 / 0.7).abs() < 0.04, "urgent customers take {urgent} s, theory says 1.429 s");
    assert!(
        (normal - (1.0 / 0.7 + 0.7 / (0.7 * 0.3))).abs() < 0.3,
        "normal customers take {normal} s, theory says 4.762 s"
    );
    let preempted = summary.semaphores[0].preempted;
    assert!(preempted > 10_000, "{preempted} preemptions");
}
