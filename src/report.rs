//! The JSON summary of a run (`run --summary FILE`): what the statistics add up to, in a stable
//! shape generated from these types (serde for the JSON, schemars for its schema in
//! `schema/summary.schema.json`), never by pushing strings.
//!
//! Times are whole nanoseconds of virtual time (`_ns`), exact; means are the only fractions.
//! Lists keep the file's declaration order, so the same run gives the same bytes.

use schemars::JsonSchema;
use serde::Serialize;

use crate::event::FailureKind;
use crate::sink::Summary;
use crate::threshold::{Threshold, Verdict};

/// The version of this shape; it changes only when a field changes meaning or goes away.
pub const VERSION: u32 = 1;

/// A run's summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    /// The version of this shape (see `VERSION`).
    pub version: u32,
    /// The scenario file, as given on the command line.
    pub scenario: String,
    /// The seed of the run; with `--seeds`, the first.
    pub seed: u64,
    /// How many runs the statistics pool: 1, or one per seed with `--seeds`.
    pub runs: u64,
    /// With `--seeds`: the seeds whose run failed, in order.
    pub failed_seeds: Vec<u64>,
    /// With `--seeds`: means over the seeds that completed, with 95% intervals.
    pub across_seeds: Option<AcrossSeeds>,
    /// `"completed"`, `"failed"` (a task failure or a limit) or `"deadlock"`.
    pub outcome: &'static str,
    /// Why the run failed, when it did.
    pub failure: Option<String>,
    /// When the run ended, in virtual nanoseconds.
    pub makespan_ns: u64,
    pub events: u64,
    pub queues: Vec<QueueReport>,
    /// Semaphores in declaration order; the thread pool last, as `thread-pool`.
    pub semaphores: Vec<SemaphoreReport>,
    /// Tasks in declaration order, `main` first.
    pub tasks: Vec<TaskReport>,
    /// The file's thresholds, in its order, each with the value it was checked against.
    pub thresholds: Vec<ThresholdReport>,
}

/// The mean of a statistic over seeds, and the half-width of its 95% interval (Student's t;
/// `null` with fewer than two seeds).
#[derive(Debug, Serialize, JsonSchema)]
pub struct MeanOverSeeds {
    pub mean: f64,
    pub interval: Option<f64>,
}

/// Means over the seeds that completed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AcrossSeeds {
    pub makespan_ns: Option<MeanOverSeeds>,
    /// Per queue, in order: the mean over seeds of each seed's mean wait, in nanoseconds.
    pub queue_wait_mean_ns: Vec<Option<MeanOverSeeds>>,
}

/// A distribution of durations, in nanoseconds.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Distribution {
    pub count: u64,
    /// `null` when `count` is 0, as are the percentiles.
    pub mean: Option<f64>,
    /// Percentiles are the top of their HDR histogram bucket: at most 0.1% above the exact
    /// order statistic, never below it, never above `max`.
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
    pub p999: Option<u64>,
    pub max: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QueueReport {
    pub name: String,
    pub puts: u64,
    pub gets: u64,
    /// Items still in the queue when the run ended.
    pub left: u64,
    /// The largest length the queue reached.
    pub longest: u64,
    /// Open arrivals lost because the queue was full.
    pub dropped: u64,
    /// Puts that waited for room, and the longest such wait.
    pub blocked_puts: u64,
    pub put_wait_max_ns: u64,
    /// How long items waited between put and get.
    pub wait_ns: Distribution,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SemaphoreReport {
    pub name: String,
    pub permits: u64,
    pub acquisitions: u64,
    /// Acquisitions that had to wait, and the longest wait.
    pub waited: u64,
    pub wait_max_ns: u64,
    /// Thread pool: runs whose task stopped waiting while the work kept its thread.
    pub abandoned: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskReport {
    pub name: String,
    pub started: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub failed: u64,
    /// Start to end, over the replicas that ended.
    pub lifetime_mean_ns: Option<f64>,
    pub lifetime_max_ns: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ThresholdReport {
    pub metric: String,
    /// `"< 2s"`, as normalised: the comparison, a space, and the bound in seconds or a count.
    pub condition: String,
    /// The metric's value (nanoseconds for a time), `null` when there was nothing to measure,
    /// and for an `every-seed.` threshold over many seeds.
    pub value: Option<f64>,
    pub held: bool,
}

impl Report {
    /// The report of a run: its summary (with statistics), and its thresholds' verdicts.
    pub fn new(scenario: &str, seed: u64, summary: &Summary, thresholds: &[Threshold], verdicts: &[Verdict]) -> Self {
        let (outcome, failure) = match &summary.failure {
            None => ("completed", None),
            Some(f) if f.kind == FailureKind::Deadlock => ("deadlock", Some(f.message.clone())),
            Some(f) => ("failed", Some(f.message.clone())),
        };
        let mean = |total: u128, n: u64| (n > 0).then(|| total as f64 / n as f64);
        Report {
            version: VERSION,
            scenario: scenario.to_owned(),
            seed,
            runs: 1,
            failed_seeds: Vec::new(),
            across_seeds: None,
            outcome,
            failure,
            makespan_ns: summary.end,
            events: summary.events,
            queues: summary
                .queues
                .iter()
                .map(|q| QueueReport {
                    name: q.name.clone(),
                    puts: q.puts,
                    gets: q.gets,
                    left: q.left,
                    longest: q.max_len,
                    dropped: q.dropped,
                    blocked_puts: q.blocked_puts,
                    put_wait_max_ns: q.max_put_wait,
                    wait_ns: Distribution {
                        count: q.gets,
                        mean: mean(q.total_wait, q.gets),
                        p50: q.wait_quantile(0.5),
                        p90: q.wait_quantile(0.9),
                        p99: q.wait_quantile(0.99),
                        p999: q.wait_quantile(0.999),
                        max: (q.gets > 0).then_some(q.max_wait),
                    },
                })
                .collect(),
            semaphores: summary
                .semaphores
                .iter()
                .map(|s| SemaphoreReport {
                    name: crate::threshold::metric_name(&s.name),
                    permits: s.permits,
                    acquisitions: s.acquisitions,
                    waited: s.waited,
                    wait_max_ns: s.max_wait,
                    abandoned: s.abandoned,
                })
                .collect(),
            tasks: summary
                .tasks
                .iter()
                .map(|t| TaskReport {
                    name: t.name.clone(),
                    started: t.started,
                    completed: t.completed,
                    cancelled: t.cancelled,
                    failed: t.failed,
                    lifetime_mean_ns: mean(t.total_lifetime, t.completed + t.cancelled + t.failed),
                    lifetime_max_ns: t.max_lifetime,
                })
                .collect(),
            thresholds: thresholds
                .iter()
                .zip(verdicts)
                .map(|(t, v)| ThresholdReport {
                    metric: t.metric.clone(),
                    condition: t.condition(),
                    value: v.value,
                    held: v.held,
                })
                .collect(),
        }
    }

    /// The report of many seeds: the pooled summary, and what each seed's run left.
    pub(crate) fn across(
        scenario: &str,
        seeds: &[u64],
        runs: &[crate::seeds::SeedRun],
        pooled: &Summary,
        thresholds: &[Threshold],
        verdicts: &[Verdict],
    ) -> Self {
        let mut report = Report::new(scenario, seeds.first().copied().unwrap_or(0), pooled, thresholds, verdicts);
        report.runs = seeds.len() as u64;
        report.failed_seeds = seeds.iter().zip(runs).filter(|(_, r)| r.failure.is_some()).map(|(s, _)| *s).collect();
        if let Some((seed, run)) = seeds.iter().zip(runs).find(|(_, r)| r.failure.is_some()) {
            let f = run.failure.as_ref();
            report.outcome = if f.is_some_and(|f| f.kind == FailureKind::Deadlock) { "deadlock" } else { "failed" };
            report.failure = f.map(|f| format!("seed {seed}: {}", f.message));
        }
        let ok: Vec<&crate::seeds::SeedRun> = runs.iter().filter(|r| r.failure.is_none()).collect();
        let over = |values: Vec<f64>| {
            (!values.is_empty()).then(|| {
                let (mean, interval) = crate::seeds::mean_interval(&values);
                MeanOverSeeds { mean, interval }
            })
        };
        report.across_seeds = Some(AcrossSeeds {
            makespan_ns: over(ok.iter().map(|r| r.end as f64).collect()),
            queue_wait_mean_ns: (0..pooled.queues.len())
                .map(|k| over(ok.iter().filter_map(|r| r.queue_means.get(k).copied().flatten()).collect()))
                .collect(),
        });
        report
    }

    /// The report as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of numbers and strings cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}
