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
    line.total_wait as f64 / line.gets as f64 / 1e9
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
