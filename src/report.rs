//! The JSON summary of a run (`run --summary FILE`): what the statistics add up to, in a stable
//! shape generated from these types (serde for the JSON, schemars for its schema in
//! `schema/summary.schema.json`), never by pushing strings.
//!
//! Times are whole nanoseconds of virtual time (`_ns`), exact; means are the only fractions.
//! Lists keep the file's declaration order, so the same run gives the same bytes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::FailureKind;
use crate::seeds::{Across, SeedRun};
use crate::sink::{Durations, Summary};
use crate::threshold::{Threshold, Verdict};

/// The version of this shape; it changes only when a field changes meaning or goes away.
pub const VERSION: u32 = 2;

/// A run's summary, or the summary across many seeds.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// The version of this shape (see `VERSION`).
    pub version: u32,
    /// The scenario file, as given on the command line.
    pub scenario: String,
    /// The `--set PATH=VALUE` overrides the run had, in order.
    pub set: Vec<String>,
    /// The seed of the run; with `--seeds`, the first.
    pub seed: u64,
    /// How many runs the statistics pool: 1, or one per seed with `--seeds`.
    pub runs: u64,
    /// With `--seeds`: the seeds whose run failed, in order.
    pub failed_seeds: Vec<u64>,
    /// `"completed"`, `"failed"` (a task failure or a limit) or `"deadlock"`.
    pub outcome: String,
    /// Why the run failed, when it did.
    pub failure: Option<String>,
    /// When the run ended, in virtual nanoseconds (over many seeds, the latest).
    pub makespan_ns: u64,
    pub events: u64,
    /// When the statistics start (`warm-up`), in virtual nanoseconds; over many seeds, the
    /// latest.
    pub window_start_ns: u64,
    /// How long the statistics cover, in virtual nanoseconds: from `window_start_ns` to the
    /// end, summed over the runs. Time averages (lengths, utilisations) are over it.
    pub window_ns: u128,
    pub queues: Vec<QueueReport>,
    /// Semaphores in declaration order; the thread pool last, as `thread-pool`.
    pub semaphores: Vec<SemaphoreReport>,
    /// Tasks in declaration order, `main` first.
    pub tasks: Vec<TaskReport>,
    /// Counters in declaration order: the value at the end (over many seeds, the sum over the
    /// runs), the lowest and highest, and how many `add` steps changed it.
    #[serde(default)]
    pub counters: Vec<crate::sink::CounterStats>,
    /// Containers in declaration order: the level at the end (over many seeds, the sum over
    /// the runs), lowest, highest, the integral for the mean, and what was taken and filled.
    #[serde(default)]
    pub containers: Vec<crate::sink::ContainerStats>,
    /// With `--seeds`: every metric's mean over the seeds that completed, with its 95%
    /// interval, in the order of the metrics' names in README.
    pub across_seeds: Option<Vec<MeanOverSeeds>>,
    /// The file's thresholds, in its order, each with the value it was checked against.
    pub thresholds: Vec<ThresholdReport>,
    /// With `--shard`: which part of the seeds this is, and what `scenario merge` needs to
    /// rebuild the whole summary from the parts. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// One part of a run over many seeds, for `scenario merge`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Shard {
    /// This part's number, from 1, and how many parts there are.
    pub index: u64,
    pub count: u64,
    /// How many seeds all the parts together run.
    pub total_seeds: u64,
    /// The statistics of this part's seeds, whole (histograms as buckets).
    pub pool: Summary,
    /// What each of this part's seeds left, in seed order.
    pub seeds: Vec<SeedRun>,
}

/// The mean of a metric over seeds, and the half-width of its 95% interval (Student's t;
/// `null` with fewer than two seeds). Nanoseconds for a time.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct MeanOverSeeds {
    pub metric: String,
    pub mean: f64,
    pub interval: Option<f64>,
}

/// A distribution of durations, in nanoseconds.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
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

impl Distribution {
    fn of(d: &Durations) -> Self {
        Distribution {
            count: d.count,
            mean: d.mean(),
            p50: d.quantile(0.5),
            p90: d.quantile(0.9),
            p99: d.quantile(0.99),
            p999: d.quantile(0.999),
            max: (d.count > 0).then_some(d.max),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct QueueReport {
    pub name: String,
    pub puts: u64,
    pub gets: u64,
    /// Items still in the queue when the run ended.
    pub left: u64,
    /// The largest length the queue reached.
    pub longest: u64,
    /// The length averaged over the statistics window (`null` for an empty window).
    pub length_mean: Option<f64>,
    /// Open arrivals lost because the queue was full.
    pub dropped: u64,
    /// Puts that waited for room, and the longest such wait.
    pub blocked_puts: u64,
    pub put_wait_max_ns: u64,
    /// How long items waited between put and get.
    pub wait_ns: Distribution,
    /// How long items were in the system: from put to the `done` of the task that got them
    /// (count 0 when nothing marks the queue's items done).
    pub system_ns: Distribution,
    /// Calls answered, replies to callers that had given up, and how long answered calls took.
    #[serde(default)]
    pub replies: u64,
    #[serde(default)]
    pub late_replies: u64,
    #[serde(default)]
    pub response_ns: Distribution,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SemaphoreReport {
    pub name: String,
    pub permits: u64,
    pub acquisitions: u64,
    /// Acquisitions that had to wait.
    pub waited: u64,
    /// Permits in use over permits, averaged over the statistics window.
    pub utilisation: Option<f64>,
    /// How long each acquisition waited for its permit (0 when one was free).
    pub wait_ns: Distribution,
    /// Thread pool: runs whose task stopped waiting while the work kept its thread.
    pub abandoned: u64,
    /// Preemptive semaphores: permits taken from their holders by requests of a lower priority.
    #[serde(default)]
    pub preempted: u64,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct TaskReport {
    pub name: String,
    pub started: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub failed: u64,
    /// `retry` attempts after the first.
    pub retries: u64,
    /// Timeouts that fired in the task.
    pub timeouts: u64,
    /// Items the task put, and (an `[arrivals]` source) items lost because the queue was full.
    pub puts: u64,
    pub dropped: u64,
    /// An `[arrivals]` source's offered items (put and dropped) per second of the window;
    /// `null` for other tasks.
    pub offered_rate: Option<f64>,
    /// Start to end, over the replicas that ended.
    pub lifetime_ns: Distribution,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
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
        Report {
            version: VERSION,
            scenario: scenario.to_owned(),
            set: Vec::new(),
            seed,
            runs: 1,
            failed_seeds: Vec::new(),
            outcome: outcome.to_owned(),
            failure,
            makespan_ns: summary.end,
            events: summary.events,
            window_start_ns: summary.window_start,
            window_ns: summary.window,
            queues: summary
                .queues
                .iter()
                .map(|q| QueueReport {
                    name: q.name.clone(),
                    puts: q.puts,
                    gets: q.gets,
                    left: q.left,
                    longest: q.max_len,
                    length_mean: q.mean_length(summary.window),
                    dropped: q.dropped,
                    blocked_puts: q.blocked_puts,
                    put_wait_max_ns: q.max_put_wait,
                    wait_ns: Distribution::of(&q.waits),
                    system_ns: Distribution::of(&q.system),
                    replies: q.replies,
                    late_replies: q.late_replies,
                    response_ns: Distribution::of(&q.responses),
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
                    utilisation: s.utilisation(summary.window),
                    wait_ns: Distribution::of(&s.waits),
                    abandoned: s.abandoned,
                    preempted: s.preempted,
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
                    retries: t.retries,
                    timeouts: t.timeouts,
                    puts: t.puts,
                    dropped: t.dropped,
                    offered_rate: t.offered_rate(summary.window),
                    lifetime_ns: Distribution::of(&t.lifetimes),
                })
                .collect(),
            counters: summary.counters.clone(),
            containers: summary.containers.clone(),
            across_seeds: None,
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
            shard: None,
        }
    }

    /// The report of many seeds: the pooled summary, and what each seed's run left.
    pub(crate) fn across(scenario: &str, across: &Across, thresholds: &[Threshold], verdicts: &[Verdict]) -> Self {
        let runs = &across.runs;
        let first = runs.first().map_or(0, |r| r.seed);
        let mut report = Report::new(scenario, first, &across.pooled, thresholds, verdicts);
        report.runs = runs.len() as u64;
        report.failed_seeds = runs.iter().filter(|r| r.failure.is_some()).map(|r| r.seed).collect();
        if let Some(run) = runs.iter().find(|r| r.failure.is_some()) {
            let f = run.failure.as_ref();
            report.outcome =
                if f.is_some_and(|f| f.kind == FailureKind::Deadlock) { "deadlock" } else { "failed" }.to_owned();
            report.failure = f.map(|f| format!("seed {}: {}", run.seed, f.message));
        }
        report.across_seeds = Some(
            across
                .metrics()
                .into_iter()
                .enumerate()
                .filter_map(|(k, m)| {
                    across.mean_of(k).map(|(mean, interval)| MeanOverSeeds { metric: m.name, mean, interval })
                })
                .collect(),
        );
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
