//! Many seeds: `run --seeds 1..100` runs a scenario once per seed, on several threads (each run
//! on its own current_thread runtime, as always), and reports across them: for each statistic
//! the mean over seeds with a 95% confidence interval, and the pooled distribution of every
//! item of every seed. The runs are gathered in seed order, so the report is the same bytes
//! whatever the number of jobs.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::scenario::Scenario;
use crate::seconds::push_duration;
use crate::sink::Summary;
use crate::threshold::Metric;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Parses `A..B` (B excluded, as Rust ranges), `A..=B`, or a comma-separated list.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    const MAX: u64 = 10_000_000;
    let number =
        |s: &str| s.trim().parse::<u64>().map_err(|_| format!("`{}` is not a seed (a whole number)", s.trim()));
    let seeds: Vec<u64> = if let Some((a, b)) = text.split_once("..=") {
        let (a, b) = (number(a)?, number(b)?);
        if b < a || b - a >= MAX {
            return Err(format!("`{text}` must go up, and hold at most {MAX} seeds"));
        }
        (a..=b).collect()
    } else if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (number(a)?, number(b)?);
        if b <= a || b - a > MAX {
            return Err(format!("`{text}` must go up, and hold at most {MAX} seeds (`..` leaves out its end)"));
        }
        (a..b).collect()
    } else {
        text.split(',').map(number).collect::<Result<_, _>>()?
    };
    if seeds.is_empty() {
        return Err("no seeds".into());
    }
    Ok(seeds)
}

/// What the report needs of one seed's run, kept per seed: a few numbers, not its histograms.
/// Written into a shard's summary, so that `scenario merge` can rebuild the whole report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SeedRun {
    pub seed: u64,
    /// When the run ended, in virtual nanoseconds.
    pub end: u64,
    pub failure: Option<crate::event::Failure>,
    /// The value of every metric ([`Metric::all`], in its order) in this seed's run.
    pub values: Vec<Option<f64>>,
    /// The `every-seed.` thresholds this run crossed: their index and message.
    pub crossed: Vec<(usize, String)>,
}

impl SeedRun {
    /// What the report keeps of `seed`'s run: `metrics` is every metric of the scenario, in
    /// [`Metric::all`]'s order (made once for all seeds).
    fn of(seed: u64, s: &Summary, scenario: &Scenario, metrics: &[Metric]) -> Self {
        let crossed = scenario
            .thresholds()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.every_seed && s.failure.is_none())
            .map(|(k, t)| (k, t.check(s)))
            .filter(|(_, v)| !v.held)
            .map(|(k, v)| (k, v.message))
            .collect();
        SeedRun {
            seed,
            end: s.end,
            failure: s.failure.clone(),
            values: metrics.iter().map(|m| m.value(s)).collect(),
            crossed,
        }
    }
}

/// A scenario run over many seeds: each seed's run, in seed order, and the pool of them all.
#[derive(Debug, Clone, Default)]
pub struct Across {
    pub runs: Vec<SeedRun>,
    pub pooled: Summary,
}

impl Across {
    /// Every metric, in the order of each run's `values`.
    pub fn metrics(&self) -> Vec<Metric> {
        Metric::all(&self.pooled)
    }

    /// The mean over the seeds that completed of metric number `k`, with the half-width of its
    /// 95% interval; `None` when no such seed has a value for it.
    pub fn mean_of(&self, k: usize) -> Option<(f64, Option<f64>)> {
        let values: Vec<f64> = self
            .runs
            .iter()
            .filter(|r| r.failure.is_none())
            .filter_map(|r| r.values.get(k).copied().flatten())
            .collect();
        (!values.is_empty()).then(|| mean_interval(&values))
    }

    /// Adds the next part of the same seeds' runs (a shard): its runs after these, its pool
    /// into this one.
    pub fn extend(&mut self, other: Across) {
        if self.runs.is_empty() && self.pooled.queues.is_empty() && self.pooled.tasks.is_empty() {
            *self = other;
            return;
        }
        self.runs.extend(other.runs);
        self.pooled.merge(&other.pooled);
    }

    /// The verdict of each threshold: pooled ones on the pool, `every-seed.` ones held when no
    /// seed crossed them.
    pub fn verdicts(&self, thresholds: &[crate::threshold::Threshold]) -> Vec<crate::threshold::Verdict> {
        thresholds
            .iter()
            .enumerate()
            .map(|(k, t)| {
                if t.every_seed {
                    let crossed: Vec<String> = self
                        .runs
                        .iter()
                        .filter(|r| r.crossed.iter().any(|(i, _)| *i == k))
                        .map(|r| r.seed.to_string())
                        .collect();
                    let held = crossed.is_empty();
                    let message = if held {
                        format!("{}: every seed held", t.metric)
                    } else {
                        format!("{}: crossed on seeds {}", t.metric, crossed.join(", "))
                    };
                    crate::threshold::Verdict { held, message, value: None, span: t.span.clone() }
                } else {
                    t.check(&self.pooled)
                }
            })
            .collect()
    }
}

/// Runs `scenario` once per seed on `jobs` threads. Returns each seed's run, in seed order,
/// and the pooled summary of all of them. Each thread folds its runs into a pool of its own as
/// they end, and the pools are merged at the end: every part of pooling is a sum, a maximum or
/// a histogram's counts added, which give the same result in any order, so memory stays at a
/// summary per thread and the result does not depend on `jobs`.
///
/// With `progress`, a bar on standard error shows seeds done, the rate and the time left (real
/// time, for the person waiting; nothing in a run reads it).
pub fn run_all(scenario: &Scenario, seeds: &[u64], jobs: usize, progress: bool) -> Across {
    let jobs = jobs.clamp(1, seeds.len().max(1));
    let bar = if progress {
        let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {per_sec}, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        indicatif::ProgressBar::new(seeds.len() as u64).with_style(style)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let metrics = &Metric::all(&scenario.empty_summary());
    let done = &AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<SeedRun>> = seeds.iter().map(|_| Mutex::new(SeedRun::default())).collect();
    let pools: Vec<Option<Summary>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let scenario = scenario.clone();
                let (next, results) = (&next, &results);
                scope.spawn(move || {
                    let mut pool: Option<Summary> = None;
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&seed) = seeds.get(k) else { break };
                        let summary = scenario.clone().seed(seed).run_with(Vec::new(), true);
                        *results[k].lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                            SeedRun::of(seed, &summary, &scenario, metrics);
                        done.fetch_add(1, Ordering::Relaxed);
                        fold(&mut pool, summary);
                    }
                    pool
                })
            })
            .collect();
        // The bar is drawn from this thread only: the command line holds standard error's lock
        // here, and a worker drawing would wait for it forever.
        if progress {
            while !workers.iter().all(std::thread::ScopedJoinHandle::is_finished) {
                bar.set_position(done.load(Ordering::Relaxed) as u64);
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        // A worker that panicked is a bug; its seeds then show as default (empty) runs.
        workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
    });
    bar.finish_and_clear();
    let mut pooled: Option<Summary> = None;
    for pool in pools.into_iter().flatten() {
        fold(&mut pooled, pool);
    }
    let mut pooled = pooled.unwrap_or_default();
    pooled.failure = None;
    let runs = results.into_iter().map(|r| r.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)).collect();
    Across { runs, pooled }
}

/// Adds a summary to a pool, the first becoming the pool.
fn fold(pool: &mut Option<Summary>, summary: Summary) {
    match pool {
        None => *pool = Some(summary),
        Some(p) => p.merge(&summary),
    }
}

/// The mean of `values` and the half-width of its 95% confidence interval (Student's t; none
/// for fewer than two values).
pub fn mean_interval(values: &[f64]) -> (f64, Option<f64>) {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 {
        return (mean, None);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, Some(t_975(n - 1) * (var / n as f64).sqrt()))
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (two-sided 95%), from the
/// standard table; 1.96 (the normal's) beyond it.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        31..=40 => 2.021,
        41..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
    }
}

/// The text report across seeds.
pub fn report(file: &str, sets: &[String], across: &Across) -> String {
    let mut out = String::new();
    let runs = &across.runs;
    let pooled = &across.pooled;
    let failed: Vec<&SeedRun> = runs.iter().filter(|s| s.failure.is_some()).collect();
    let _ = writeln!(
        out,
        "{} runs of {file}: {} completed, {} failed",
        runs.len(),
        runs.len() - failed.len(),
        failed.len()
    );
    let metrics = across.metrics();
    // A mean over seeds, with its 95% interval when there are two or more.
    let mean = |out: &mut String, label: &str, name: &str| {
        let Some(k) = metrics.iter().position(|m| m.name == name) else { return false };
        let Some((mean, half)) = across.mean_of(k) else { return false };
        let _ = write!(out, "{label}mean ");
        metrics[k].push_value(out, mean);
        if let Some(h) = half {
            out.push_str(" ± ");
            metrics[k].push_value(out, h);
        }
        true
    };
    if mean(&mut out, "makespan: ", "run.makespan") {
        out.push_str(" (± is the 95% interval of the mean over seeds)\n");
    }
    let pooled_percentiles = |out: &mut String, d: &crate::sink::Durations| {
        if let Some(p50) = d.quantile(0.5) {
            out.push_str("; pooled p50 ");
            push_duration(out, p50);
            for (name, quantile) in [("p90", 0.9), ("p99", 0.99)] {
                let _ = write!(out, ", {name} ");
                push_duration(out, d.quantile(quantile).unwrap_or(0));
            }
            out.push_str(", max ");
            push_duration(out, d.max);
        }
    };
    for q in &pooled.queues {
        let prefix = format!("queue.{}.", q.name);
        let _ = write!(out, "queue {}: {} got; wait", q.name, q.gets);
        mean(&mut out, " ", &format!("{prefix}wait.mean"));
        pooled_percentiles(&mut out, &q.waits);
        out.push('\n');
        mean(&mut out, "  length ", &format!("{prefix}length.mean"));
        if q.system.count > 0 {
            out.push_str("; in system");
            mean(&mut out, " ", &format!("{prefix}system.mean"));
            pooled_percentiles(&mut out, &q.system);
        }
        out.push('\n');
    }
    for m in &pooled.semaphores {
        let prefix = format!("semaphore.{}.", crate::threshold::metric_name(&m.name));
        let _ = write!(out, "semaphore {}: {} acquired, {} waited;", m.name, m.acquisitions, m.waited);
        mean(&mut out, " utilisation ", &format!("{prefix}utilisation"));
        mean(&mut out, "; wait ", &format!("{prefix}wait.mean"));
        pooled_percentiles(&mut out, &m.waits);
        out.push('\n');
    }
    for t in &pooled.tasks {
        let _ = write!(
            out,
            "task {}: {} started, {} completed, {} cancelled, {} failed",
            t.name, t.started, t.completed, t.cancelled, t.failed
        );
        if t.retries > 0 {
            let _ = write!(out, ", {} retries", t.retries);
        }
        if t.timeouts > 0 {
            let _ = write!(out, ", {} timed out", t.timeouts);
        }
        if t.source {
            let _ = write!(out, "; offered {}, {} dropped;", t.puts + t.dropped, t.dropped);
            mean(&mut out, " rate ", &format!("task.{}.offered-rate", t.name));
            out.push_str(" a second");
        }
        out.push('\n');
    }
    for s in failed {
        let message = s.failure.as_ref().map_or("", |f| f.message.lines().next().unwrap_or(""));
        let _ =
            writeln!(out, "seed {} failed: {message}\n  replay: {}", s.seed, crate::many::replay(file, sets, s.seed));
    }
    for s in runs.iter().filter(|s| !s.crossed.is_empty()) {
        for (_, message) in &s.crossed {
            let _ = writeln!(out, "seed {} crossed a threshold: {message}", s.seed);
        }
        let _ = writeln!(out, "  replay: {}", crate::many::replay(file, sets, s.seed));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_ranges_or_lists() {
        assert_eq!(parse_seeds("1..4"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_seeds("1..=3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_seeds("7, 3,5"), Ok(vec![7, 3, 5]));
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("1..1").is_err());
        assert!(parse_seeds("a..3").is_err());
        assert!(parse_seeds("0..=18446744073709551615").is_err());
    }

    #[test]
    fn the_interval_uses_students_t() {
        let (mean, half) = mean_interval(&[1.0, 2.0, 3.0]);
        assert_eq!(mean, 2.0);
        // s = 1, n = 3: 4.303 / sqrt(3).
        assert!((half.unwrap() - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(mean_interval(&[5.0]), (5.0, None));
    }
}
