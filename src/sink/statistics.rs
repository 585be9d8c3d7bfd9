//! Statistics: what a run adds up to, counted from its events alone.
//!
//! Every statistic covers a window of the run: from its start, or from the end of the
//! warm-up (`warm-up` in the file) to its end. An item counts when it was put inside the
//! window, a task when it started inside it, an acquisition when it was asked for inside it;
//! time averages (a queue's length, a semaphore's utilisation) integrate over the window.

use std::borrow::Cow;
use std::collections::VecDeque;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Sink;
use crate::event::{Event, EventKind, Failure, Model, Outcome, RunEnd, WarmUp};

/// What a finished run adds up to. It serialises whole (histograms as their buckets), so
/// that pools from separate machines can be merged exactly.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Virtual nanoseconds at the end of the run.
    pub end: u64,
    pub events: u64,
    /// Virtual nanoseconds at which the statistics start: 0, or the end of the warm-up.
    pub window_start: u64,
    /// How long the statistics cover, in virtual nanoseconds: `end - window_start` for one
    /// run, the sum over runs for a pool of them. Time averages divide by it.
    pub window: u128,
    /// Per queue, in declaration order. Empty when the run collected no statistics.
    pub queues: Vec<QueueStats>,
    /// Per semaphore (the thread pool last), in declaration order.
    pub semaphores: Vec<SemaphoreStats>,
    /// Per task name, in declaration order (`main` first): how many replicas ended how.
    pub tasks: Vec<TaskStats>,
    /// Per counter, in declaration order. Counters are state, not a window's count: their
    /// figures cover the whole run, warm-up included.
    #[serde(default)]
    pub counters: Vec<CounterStats>,
    /// Per container, in declaration order. Like counters, state over the whole run, warm-up
    /// included.
    #[serde(default)]
    pub containers: Vec<ContainerStats>,
    /// Why the run failed, if it did.
    pub failure: Option<Failure>,
}

impl Summary {
    /// A summary with how the run ended and no statistics.
    pub fn without_statistics(run: RunEnd) -> Self {
        Summary {
            end: run.end,
            events: run.events,
            window: u128::from(run.end),
            failure: run.failure,
            ..Summary::default()
        }
    }

    /// Adds `s`'s items to these: counts, totals and windows added, maxima taken, histograms
    /// merged (exactly). `end` is the largest, `events` the total. Every step gives the same
    /// result in any order, so pools of runs can be merged however the runs were shared out.
    pub fn merge(&mut self, s: &Summary) {
        let pooled = self;
        pooled.end = pooled.end.max(s.end);
        pooled.events += s.events;
        pooled.window += s.window;
        pooled.window_start = pooled.window_start.max(s.window_start);
        for (p, q) in pooled.queues.iter_mut().zip(&s.queues) {
            p.puts += q.puts;
            p.gets += q.gets;
            p.left += q.left;
            p.max_len = p.max_len.max(q.max_len);
            p.waits.merge(&q.waits);
            p.system.merge(&q.system);
            p.replies += q.replies;
            p.responses.merge(&q.responses);
            p.late_replies += q.late_replies;
            p.length_area += q.length_area;
            p.dropped += q.dropped;
            p.blocked_puts += q.blocked_puts;
            p.max_put_wait = p.max_put_wait.max(q.max_put_wait);
        }
        for (p, q) in pooled.semaphores.iter_mut().zip(&s.semaphores) {
            p.acquisitions += q.acquisitions;
            p.waited += q.waited;
            p.waits.merge(&q.waits);
            p.busy_area += q.busy_area;
            p.abandoned += q.abandoned;
            p.preempted += q.preempted;
        }
        for (p, q) in pooled.counters.iter_mut().zip(&s.counters) {
            // Pooled over runs: the values at the end summed, the extremes kept.
            p.value = p.value.saturating_add(q.value);
            p.min = p.min.min(q.min);
            p.max = p.max.max(q.max);
            p.adds += q.adds;
        }
        for (p, q) in pooled.containers.iter_mut().zip(&s.containers) {
            // Pooled over runs as counters are: levels at the end summed, extremes kept; the
            // mean is over the runs' time together.
            p.level = p.level.saturating_add(q.level);
            p.min = p.min.min(q.min);
            p.max = p.max.max(q.max);
            p.level_area += q.level_area;
            p.time += q.time;
            p.takes += q.takes;
            p.fills += q.fills;
            p.taken = p.taken.saturating_add(q.taken);
            p.filled = p.filled.saturating_add(q.filled);
            p.waited += q.waited;
        }
        for (p, q) in pooled.tasks.iter_mut().zip(&s.tasks) {
            p.started += q.started;
            p.completed += q.completed;
            p.cancelled += q.cancelled;
            p.failed += q.failed;
            p.retries += q.retries;
            p.timeouts += q.timeouts;
            p.puts += q.puts;
            p.dropped += q.dropped;
            p.lifetimes.merge(&q.lifetimes);
        }
    }
}

/// A distribution of durations in nanoseconds: the exact count, sum and maximum, every value
/// while there are at most [`Durations::EXACT`] of them (so that small runs have exact
/// percentiles), and beyond that an HDR histogram (three significant digits, constant memory,
/// merges exactly) for percentiles: the values move into it when they become too many.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "DurationsState", from = "DurationsState")]
pub struct Durations {
    pub count: u64,
    pub total: u128,
    pub max: u64,
    /// Every value while `count <= EXACT`, `None` beyond; in the order recorded during a run,
    /// sorted once it ends (see [`Durations::seal`]).
    exact: Option<Vec<u64>>,
    /// Whether `exact` is sorted.
    sorted: bool,
    histogram: hdrhistogram::Histogram<u64>,
    /// Values recorded beyond `exact` that the histogram has not taken yet: it takes them
    /// [`Durations::BATCH`] at a time, and when sealed. Each value lands on a counter of its
    /// own in a table of a few hundred kilobytes, usually missing the cache; in a batch the
    /// misses overlap, one value at a time each is a stall (`perf annotate`: 80% of the
    /// recording's time on that one load, 7% of a run that keeps statistics).
    pending: Vec<u64>,
}

impl Default for Durations {
    fn default() -> Self {
        // Three significant digits always fit, and the histogram grows to any value.
        #[allow(clippy::expect_used, reason = "3 significant digits is always a valid precision")]
        let histogram = hdrhistogram::Histogram::new(3).expect("3 significant digits are valid");
        Durations { count: 0, total: 0, max: 0, exact: Some(Vec::new()), sorted: true, histogram, pending: Vec::new() }
    }
}

impl Durations {
    /// Up to this many values, percentiles are exact order statistics.
    pub const EXACT: u64 = 10_000;

    /// How many values the histogram takes at a time (see `pending`).
    const BATCH: usize = 256;

    pub fn record(&mut self, ns: u64) {
        self.count += 1;
        self.total += u128::from(ns);
        self.max = self.max.max(ns);
        match &mut self.exact {
            None => {
                self.pending.push(ns);
                if self.pending.len() >= Self::BATCH {
                    self.take_pending();
                }
            }
            Some(exact) if self.count <= Self::EXACT => {
                self.sorted &= exact.last().is_none_or(|&last| last <= ns);
                exact.push(ns);
            }
            Some(_) => {
                self.spill();
                self.pending.reserve_exact(Self::BATCH);
                self.pending.push(ns);
            }
        }
    }

    /// Moves the values kept exactly into the histogram, for good: there are too many.
    fn spill(&mut self) {
        put_each(&mut self.histogram, self.exact.take().unwrap_or_default());
    }

    /// Records the pending values in the histogram.
    fn take_pending(&mut self) {
        put_each(&mut self.histogram, self.pending.drain(..));
    }

    /// The HDR histogram of every value recorded beyond those kept exactly: itself once the
    /// pending values are taken (as they are when sealed, and a summary's durations are), a
    /// copy that takes them before. Empty while every value is kept exactly.
    pub fn histogram(&self) -> Cow<'_, hdrhistogram::Histogram<u64>> {
        if self.pending.is_empty() {
            return Cow::Borrowed(&self.histogram);
        }
        let mut histogram = self.histogram.clone();
        put_each(&mut histogram, self.pending.iter().copied());
        Cow::Owned(histogram)
    }

    pub fn merge(&mut self, other: &Durations) {
        // Kept exactly when the two together are few enough (then both were kept exactly), so
        // the result does not depend on the order of merging.
        match (&mut self.exact, &other.exact) {
            (Some(mine), Some(theirs)) if self.count + other.count <= Self::EXACT => {
                mine.extend_from_slice(theirs);
                self.sorted = false;
                self.seal();
            }
            _ => {
                self.spill();
                self.take_pending();
                // Histograms that grow as needed always take another's values.
                let _ = self.histogram.add(&other.histogram);
                put_each(&mut self.histogram, other.exact.iter().flatten().chain(&other.pending).copied());
            }
        }
        self.count += other.count;
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Sorts the values kept exactly, so that percentiles are read without sorting: done when
    /// a run ends and after every merge.
    pub fn seal(&mut self) {
        self.take_pending();
        if let (Some(exact), false) = (&mut self.exact, self.sorted) {
            exact.sort_unstable();
        }
        self.sorted = true;
    }

    /// The mean, when anything was recorded.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total as f64 / self.count as f64)
    }

    /// The mean in whole nanoseconds (rounded down), for the text statistics.
    pub fn mean_ns(&self) -> Option<u64> {
        (self.count > 0).then(|| (self.total / u128::from(self.count)) as u64)
    }

    /// The duration that `quantile` of the values are at most, or `None` when nothing was
    /// recorded: the smallest value with at least that share of the values at or below it
    /// (the nearest-rank order statistic). Exact up to [`Durations::EXACT`] values; beyond, the
    /// top of the histogram's bucket, so it may be above the exact value by up to 0.1% (never
    /// below it, and never above the maximum): a threshold `< X` that holds on it holds on the
    /// exact value too.
    pub fn quantile(&self, quantile: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        match &self.exact {
            Some(values) if !values.is_empty() => {
                let at = |sorted: &[u64]| {
                    let rank =
                        ((quantile.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
                    sorted[rank - 1]
                };
                if self.sorted {
                    Some(at(values))
                } else {
                    let mut sorted = values.clone();
                    sorted.sort_unstable();
                    Some(at(&sorted))
                }
            }
            _ => Some(self.histogram().value_at_quantile(quantile).min(self.max)),
        }
    }

    /// How many values fall in each of `bins` equal intervals from 0 to `top` ns (the last
    /// interval includes `top`; larger values count in it too): exact while the values are
    /// kept exactly, and from the histogram's buckets (by their highest value) beyond.
    pub fn bins(&self, bins: usize, top: u64) -> Vec<u64> {
        let mut counts = vec![0; bins.max(1)];
        let last = counts.len() - 1;
        let bin = |v: u64| {
            if top == 0 {
                0
            } else {
                ((u128::from(v) * (last as u128 + 1)) / u128::from(top)).min(last as u128) as usize
            }
        };
        match &self.exact {
            Some(values) => values.iter().for_each(|&v| counts[bin(v)] += 1),
            None => self.buckets().into_iter().for_each(|(v, n)| counts[bin(v.min(self.max))] += n),
        }
        counts
    }

    /// The histogram's buckets as (value, count) pairs, lowest first: enough to rebuild the
    /// histogram exactly with [`Durations::from_parts`]. Empty while the values are kept
    /// exactly.
    pub fn buckets(&self) -> Vec<(u64, u64)> {
        self.histogram().iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect()
    }

    /// Durations from their exact figures, their values if kept, and their histogram's buckets.
    pub fn from_parts(count: u64, total: u128, max: u64, exact: Option<Vec<u64>>, buckets: &[(u64, u64)]) -> Self {
        let mut d = Durations { count, total, max, exact, sorted: false, ..Durations::default() };
        d.seal();
        for &(value, n) in buckets {
            put(&mut d.histogram, value, n);
        }
        d
    }
}

/// Records `n` of a value in a histogram, which grows to take it; only a value beyond what any
/// histogram can track (over about 2^62 ns, 146 years) is kept at the largest one instead.
fn put(histogram: &mut hdrhistogram::Histogram<u64>, value: u64, n: u64) {
    if histogram.record_n(value, n).is_err() {
        let _ = histogram.record_n(histogram.high(), n);
    }
}

/// [`put`]s each value once.
fn put_each(histogram: &mut hdrhistogram::Histogram<u64>, values: impl IntoIterator<Item = u64>) {
    for value in values {
        put(histogram, value, 1);
    }
}

/// [`Durations`] as JSON: the exact figures and the histogram's buckets, as
/// `[value, count]` pairs (the bucket's highest value), lowest first.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Durations")]
struct DurationsState {
    count: u64,
    total: u128,
    max: u64,
    /// Every value, while there are few enough to keep.
    exact: Option<Vec<u64>>,
    buckets: Vec<(u64, u64)>,
}

impl From<Durations> for DurationsState {
    fn from(d: Durations) -> Self {
        let buckets = d.buckets();
        DurationsState { count: d.count, total: d.total, max: d.max, exact: d.exact, buckets }
    }
}

impl From<DurationsState> for Durations {
    fn from(d: DurationsState) -> Self {
        Durations::from_parts(d.count, d.total, d.max, d.exact, &d.buckets)
    }
}

impl JsonSchema for Durations {
    fn schema_name() -> Cow<'static, str> {
        DurationsState::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        DurationsState::json_schema(generator)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct QueueStats {
    pub name: String,
    pub puts: u64,
    /// Gets of items put inside the window.
    pub gets: u64,
    /// Items still in the queue at the end.
    pub left: u64,
    pub max_len: u64,
    /// How long items waited between put and get.
    pub waits: Durations,
    /// How long items were in the system, from put to the `done` of the task that got them.
    pub system: Durations,
    /// The queue's length integrated over the window, in item-nanoseconds.
    pub length_area: u128,
    /// Open arrivals lost because the queue was full.
    pub dropped: u64,
    /// Puts that had to wait for room, and the longest such wait.
    pub blocked_puts: u64,
    pub max_put_wait: u64,
    /// Calls answered (their callers got the reply), and how long each took from the call.
    #[serde(default)]
    pub replies: u64,
    #[serde(default)]
    pub responses: Durations,
    /// Replies to callers that had given up: work done for nobody.
    #[serde(default)]
    pub late_replies: u64,
}

impl QueueStats {
    /// The time-averaged length over a window of `window` ns.
    pub fn mean_length(&self, window: u128) -> Option<f64> {
        (window > 0).then(|| self.length_area as f64 / window as f64)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct SemaphoreStats {
    pub name: String,
    pub permits: u64,
    /// Permits free when the run ended: equal to `permits` unless a task still holds one.
    pub free_at_end: u64,
    pub acquisitions: u64,
    /// How many acquisitions had to wait for a permit.
    pub waited: u64,
    /// How long each acquisition waited for its permit (0 when one was free).
    pub waits: Durations,
    /// Permits in use integrated over the window, in permit-nanoseconds.
    pub busy_area: u128,
    /// Thread pool: runs whose task stopped waiting while the work kept its thread.
    pub abandoned: u64,
    /// Permits taken from their holders by requests of a lower priority.
    #[serde(default)]
    pub preempted: u64,
}

impl SemaphoreStats {
    /// Permits in use over permits, time-averaged over a window of `window` ns.
    pub fn utilisation(&self, window: u128) -> Option<f64> {
        (window > 0 && self.permits > 0).then(|| self.busy_area as f64 / (window as f64 * self.permits as f64))
    }
}

/// A counter over a run: its value at the end, the lowest and highest it was, and how many
/// `add` steps changed it. Over many runs pooled, `value` is the sum of the runs' values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct CounterStats {
    pub name: String,
    pub value: i64,
    pub min: i64,
    pub max: i64,
    pub adds: u64,
}

/// A container over a run: its level at the end, lowest and highest, the integral of its level
/// over time (for the mean), and what was taken and filled, in how many steps, of which how
/// many had to wait. Over many runs pooled, `level` is the sum of the runs' levels.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ContainerStats {
    pub name: String,
    /// `None`: no limit.
    pub capacity: Option<u64>,
    pub level: u64,
    pub min: u64,
    pub max: u64,
    /// The level times nanoseconds, summed over the run.
    pub level_area: u128,
    /// The nanoseconds `level_area` covers.
    pub time: u64,
    pub takes: u64,
    pub fills: u64,
    /// The amounts taken and filled, summed.
    pub taken: u64,
    pub filled: u64,
    /// Takes and fills that waited for their amount or their room.
    pub waited: u64,
}

impl ContainerStats {
    /// The level's mean over time; the level at the end for a run that took no time.
    pub fn mean(&self) -> f64 {
        if self.time == 0 { self.level as f64 } else { self.level_area as f64 / self.time as f64 }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TaskStats {
    pub name: String,
    pub started: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub failed: u64,
    /// `retry` attempts after the first.
    pub retries: u64,
    /// Timeouts that fired in the task (each `timeout` block or step that ran out of time).
    pub timeouts: u64,
    /// Items the task put, and (an `[arrivals]` source) items lost because the queue was full:
    /// for a source, the offered load is their sum.
    pub puts: u64,
    pub dropped: u64,
    /// Whether the task is an `[arrivals]` source.
    pub source: bool,
    /// The lifetimes (start to end) of the replicas that ended.
    pub lifetimes: Durations,
}

impl TaskStats {
    /// An arrivals source's offered items per second of the window: admitted and dropped.
    pub fn offered_rate(&self, window: u128) -> Option<f64> {
        (self.source && window > 0).then(|| (self.puts + self.dropped) as f64 * 1e9 / window as f64)
    }
}

/// Adds to `area` a level's `value` held from its last change (`since`) to `now`, inside the
/// window that opened at `start`, and moves its last change to `now`: a time integral, for a
/// queue's length or the permits in use.
fn integrate(area: &mut u128, value: u64, since: &mut u64, now: u64, start: Option<u64>) {
    if let Some(start) = start {
        let from = (*since).max(start);
        if now > from {
            *area += u128::from(value) * u128::from(now - from);
        }
    }
    *since = now;
}

/// Counts a run's events into per-queue, per-semaphore and per-task statistics.
#[derive(Debug, Default)]
pub struct Statistics {
    counters: Vec<CounterStats>,
    containers: Vec<ContainerStats>,
    /// Per container: since when its level has been what it is.
    level_since: Vec<u64>,
    queues: Vec<QueueStats>,
    semaphores: Vec<SemaphoreStats>,
    tasks: Vec<TaskStats>,
    warm_up: WarmUp,
    /// When the window opened: `None` while the run warms up.
    start: Option<u64>,
    /// Items put so far on any queue, for a warm-up counted in items.
    puts_seen: u64,
    /// Per queue, when its length (`QueueStats::left`) last changed.
    length_since: Vec<u64>,
    /// Per semaphore, the permits in use and when that last changed.
    in_use: Vec<(u64, u64)>,
    /// Whether anything marks the queue's items done: only then are get times kept for it.
    done_queues: Vec<bool>,
    /// Per running task (by [`Event::id`]), per queue: when the items it got and has not yet
    /// marked done were put, oldest first. Cleared when the task ends.
    got: Vec<Vec<VecDeque<u64>>>,
}

impl Statistics {
    /// The summary of the run, with these statistics.
    pub fn into_summary(mut self, run: RunEnd) -> Summary {
        let start = self.start.unwrap_or(run.end).min(run.end);
        for q in &mut self.queues {
            q.waits.seal();
            q.system.seal();
            q.responses.seal();
        }
        for s in &mut self.semaphores {
            s.waits.seal();
        }
        for t in &mut self.tasks {
            t.lifetimes.seal();
        }
        for (q, since) in self.queues.iter_mut().zip(&mut self.length_since) {
            integrate(&mut q.length_area, q.left, since, run.end, Some(start));
        }
        for (s, (value, since)) in self.semaphores.iter_mut().zip(&mut self.in_use) {
            integrate(&mut s.busy_area, *value, since, run.end, Some(start));
        }
        for (c, since) in self.containers.iter_mut().zip(&mut self.level_since) {
            integrate(&mut c.level_area, c.level, since, run.end, Some(0));
            c.time = run.end;
        }
        Summary {
            end: run.end,
            events: run.events,
            window_start: start,
            window: u128::from(run.end - start),
            queues: self.queues,
            semaphores: self.semaphores,
            tasks: self.tasks,
            counters: self.counters,
            containers: self.containers,
            failure: run.failure,
        }
    }

    /// Whether events of this kind count in the statistics: [`Sink::event`] does nothing with
    /// the others, so they need not be handed to it (see [`super::Sinks::want`]). Every kind
    /// is named, so that a new one must be placed.
    #[inline(always)]
    pub fn takes(kind: &EventKind<'_>) -> bool {
        match kind {
            EventKind::Start { .. }
            | EventKind::Put { .. }
            | EventKind::Get { .. }
            | EventKind::Dropped { .. }
            | EventKind::Done { .. }
            | EventKind::TimedOut { .. }
            | EventKind::Acquire { .. }
            | EventKind::Release { .. }
            | EventKind::ThreadAbandoned { .. }
            | EventKind::Retry { .. }
            | EventKind::Level { .. }
            | EventKind::Answered { .. }
            | EventKind::Reply { .. }
            | EventKind::Preempted { .. }
            | EventKind::Add { .. }
            | EventKind::End { .. } => true,
            EventKind::Say { .. }
            | EventKind::Sleep { .. }
            | EventKind::Join { .. }
            | EventKind::Cancel { .. }
            | EventKind::Set { .. }
            | EventKind::Clear { .. }
            | EventKind::EventWaited { .. }
            | EventKind::Barrier { .. }
            | EventKind::Throttle { .. }
            | EventKind::Busy { .. }
            | EventKind::ToThread { .. }
            | EventKind::Fail { .. }
            | EventKind::RaceWon { .. }
            | EventKind::Gathered { .. }
            | EventKind::Sent { .. }
            | EventKind::Interrupt { .. } => false,
        }
    }

    /// Whether something that happened at `time` is inside the window.
    fn counts(&self, time: u64) -> bool {
        self.start.is_some_and(|s| time >= s)
    }
}

impl Sink for Statistics {
    fn begin(&mut self, m: &Model, _: u64) {
        self.queues = m.queues.iter().map(|name| QueueStats { name: name.clone(), ..QueueStats::default() }).collect();
        self.semaphores = m
            .semaphores
            .iter()
            .map(|s| SemaphoreStats {
                name: s.name.clone(),
                permits: s.permits,
                free_at_end: s.permits,
                ..SemaphoreStats::default()
            })
            .collect();
        self.tasks = m
            .tasks
            .iter()
            .zip(m.sources.iter().copied().chain(std::iter::repeat(false)))
            .map(|(name, source)| TaskStats { name: name.clone(), source, ..TaskStats::default() })
            .collect();
        self.counters = m
            .counters
            .iter()
            .zip(&m.counter_initials)
            .map(|(name, &v)| CounterStats { name: name.clone(), value: v, min: v, max: v, adds: 0 })
            .collect();
        self.containers = m
            .containers
            .iter()
            .map(|c| ContainerStats {
                name: c.name.clone(),
                capacity: (c.capacity != u64::MAX).then_some(c.capacity),
                level: c.initial,
                min: c.initial,
                max: c.initial,
                ..ContainerStats::default()
            })
            .collect();
        self.level_since = vec![0; m.containers.len()];
        self.length_since = vec![0; m.queues.len()];
        self.in_use = vec![(0, 0); m.semaphores.len()];
        self.done_queues.clone_from(&m.done_queues);
        self.warm_up = m.warm_up;
        self.start = match m.warm_up {
            WarmUp::Time(t) => Some(t),
            WarmUp::Items(_) => None,
        };
        // `main` is started by the run itself, not by a task.
        if self.counts(0) {
            self.tasks[0].started = 1;
        }
    }

    fn event(&mut self, _: &Model, ev: &Event<'_>) {
        let now = ev.time;
        match ev.kind {
            EventKind::Start { .. } if self.counts(now) => self.tasks[ev.decl].started += 1,
            EventKind::Put { queue, blocked, .. } => {
                if let WarmUp::Items(n) = self.warm_up {
                    self.puts_seen += 1;
                    // The first `n` items warm the run up; the window opens with the next.
                    if self.start.is_none() && self.puts_seen > n {
                        self.start = Some(now);
                    }
                }
                let counts = self.counts(now);
                let q = &mut self.queues[queue];
                integrate(&mut q.length_area, q.left, &mut self.length_since[queue], now, self.start);
                q.left += 1;
                if counts {
                    self.tasks[ev.decl].puts += 1;
                    q.puts += 1;
                    q.blocked_puts += u64::from(blocked > 0);
                    q.max_put_wait = q.max_put_wait.max(blocked);
                    q.max_len = q.max_len.max(q.left);
                }
            }
            EventKind::Answered { queue, response, .. } if self.counts(now - response) => {
                let q = &mut self.queues[queue];
                q.replies += 1;
                q.responses.record(response);
            }
            EventKind::Reply { queue, late: true } if self.counts(now) => self.queues[queue].late_replies += 1,
            EventKind::Get { queue, waited, .. } => {
                let put_at = now - waited;
                let counts = self.counts(put_at);
                let q = &mut self.queues[queue];
                integrate(&mut q.length_area, q.left, &mut self.length_since[queue], now, self.start);
                q.left -= 1;
                if counts {
                    q.gets += 1;
                    q.waits.record(waited);
                }
                if self.done_queues[queue] {
                    if self.got.len() <= ev.id {
                        self.got.resize_with(ev.id + 1, Vec::new);
                    }
                    let lines = &mut self.got[ev.id];
                    if lines.is_empty() {
                        lines.resize_with(self.queues.len(), VecDeque::new);
                    }
                    lines[queue].push_back(put_at);
                }
            }
            EventKind::Done { queue } => {
                let put_at = self.got.get_mut(ev.id).and_then(|lines| lines.get_mut(queue)?.pop_front());
                if let Some(put_at) = put_at.filter(|&t| self.counts(t)) {
                    self.queues[queue].system.record(now - put_at);
                }
            }
            EventKind::Dropped { queue, .. } if self.counts(now) => {
                self.queues[queue].dropped += 1;
                self.tasks[ev.decl].dropped += 1;
            }
            EventKind::Acquire { semaphore, blocked } => {
                let counts = self.counts(now - blocked);
                let s = &mut self.semaphores[semaphore];
                let (in_use, since) = &mut self.in_use[semaphore];
                integrate(&mut s.busy_area, *in_use, since, now, self.start);
                *in_use += 1;
                s.free_at_end -= 1;
                if counts {
                    s.acquisitions += 1;
                    s.waited += u64::from(blocked > 0);
                    s.waits.record(blocked);
                }
            }
            EventKind::Release { semaphore } | EventKind::Preempted { semaphore } => {
                let preempted = matches!(ev.kind, EventKind::Preempted { .. }) && self.counts(now);
                let s = &mut self.semaphores[semaphore];
                s.preempted += u64::from(preempted);
                let (in_use, since) = &mut self.in_use[semaphore];
                integrate(&mut s.busy_area, *in_use, since, now, self.start);
                // asyncio lets any task release, even more often than permits were acquired
                // (a semaphore used as a signal): permits in use never go below none.
                *in_use = in_use.saturating_sub(1);
                s.free_at_end += 1;
            }
            EventKind::ThreadAbandoned { semaphore, .. } if self.counts(now) => {
                self.semaphores[semaphore].abandoned += 1;
            }
            EventKind::Level { container, take, amount, waited, .. } => {
                // The level is followed by the amounts, so that it is right after each event
                // whatever order tasks served at one instant record theirs in.
                let c = &mut self.containers[container as usize];
                integrate(&mut c.level_area, c.level, &mut self.level_since[container as usize], now, Some(0));
                let level = if take { c.level.saturating_sub(amount) } else { c.level.saturating_add(amount) };
                c.level = level;
                c.min = c.min.min(level);
                c.max = c.max.max(level);
                if take {
                    c.takes += 1;
                    c.taken = c.taken.saturating_add(amount);
                } else {
                    c.fills += 1;
                    c.filled = c.filled.saturating_add(amount);
                }
                c.waited += u64::from(waited > 0);
            }
            EventKind::Add { counter, value, .. } => {
                let c = &mut self.counters[counter];
                c.value = value;
                c.min = c.min.min(value);
                c.max = c.max.max(value);
                c.adds += 1;
            }
            EventKind::Retry { .. } if self.counts(now) => self.tasks[ev.decl].retries += 1,
            EventKind::TimedOut { .. } if self.counts(now) => self.tasks[ev.decl].timeouts += 1,
            EventKind::End { outcome, lifetime } => {
                // Its number may go to another task: what it got is done with.
                if let Some(lines) = self.got.get_mut(ev.id) {
                    lines.iter_mut().for_each(VecDeque::clear);
                }
                if !self.counts(now - lifetime) {
                    return;
                }
                let t = &mut self.tasks[ev.decl];
                match outcome {
                    Outcome::Completed => t.completed += 1,
                    Outcome::Cancelled => t.cancelled += 1,
                    Outcome::Failed => t.failed += 1,
                }
                t.lifetimes.record(lifetime);
            }
            _ => {}
        }
    }
}
