//! Statistics: what a run adds up to, counted from its events alone.

use super::Sink;
use crate::event::{Event, EventKind, Failure, Model, Outcome, RunEnd};

/// What a finished run adds up to.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Virtual nanoseconds at the end of the run.
    pub end: u64,
    pub events: u64,
    /// Per queue, in declaration order. Empty when the run collected no statistics.
    pub queues: Vec<QueueStats>,
    /// Per semaphore (the thread pool last), in declaration order.
    pub semaphores: Vec<SemaphoreStats>,
    /// Per task name, in declaration order (`main` first): how many replicas ended how.
    pub tasks: Vec<TaskStats>,
    /// Why the run failed, if it did.
    pub failure: Option<Failure>,
}

impl Summary {
    /// A summary with how the run ended and no statistics.
    pub fn without_statistics(run: RunEnd) -> Self {
        Summary { end: run.end, events: run.events, failure: run.failure, ..Summary::default() }
    }

    /// Adds `s`'s items to these: counts and totals added, maxima taken, histograms merged
    /// (exactly). `end` is the largest, `events` the total. Every step gives the same result in
    /// any order, so pools of runs can be merged however the runs were shared out.
    pub fn merge(&mut self, s: &Summary) {
        let pooled = self;
        pooled.end = pooled.end.max(s.end);
        pooled.events += s.events;
        for (p, q) in pooled.queues.iter_mut().zip(&s.queues) {
            p.puts += q.puts;
            p.gets += q.gets;
            p.left += q.left;
            p.max_len = p.max_len.max(q.max_len);
            p.total_wait += q.total_wait;
            p.max_wait = p.max_wait.max(q.max_wait);
            // Histograms that grow as needed always take another's values.
            let _ = p.waits.0.add(&q.waits.0);
            p.dropped += q.dropped;
            p.blocked_puts += q.blocked_puts;
            p.max_put_wait = p.max_put_wait.max(q.max_put_wait);
        }
        for (p, q) in pooled.semaphores.iter_mut().zip(&s.semaphores) {
            p.acquisitions += q.acquisitions;
            p.waited += q.waited;
            p.max_wait = p.max_wait.max(q.max_wait);
            p.abandoned += q.abandoned;
        }
        for (p, q) in pooled.tasks.iter_mut().zip(&s.tasks) {
            p.started += q.started;
            p.completed += q.completed;
            p.cancelled += q.cancelled;
            p.failed += q.failed;
            p.total_lifetime += q.total_lifetime;
            p.max_lifetime = p.max_lifetime.max(q.max_lifetime);
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueueStats {
    pub name: String,
    pub puts: u64,
    pub gets: u64,
    /// Items still in the queue at the end.
    pub left: u64,
    pub max_len: u64,
    /// Sum and maximum of how long items waited between put and get.
    pub total_wait: u128,
    pub max_wait: u64,
    /// Every wait, in an HDR histogram (three significant digits), for percentiles.
    pub waits: Waits,
    /// Open arrivals lost because the queue was full.
    pub dropped: u64,
    /// Puts that had to wait for room, and the longest such wait.
    pub blocked_puts: u64,
    pub max_put_wait: u64,
}

impl QueueStats {
    /// The wait that `quantile` of the items waited at most, in nanoseconds, or `None` when
    /// nothing was got. It is the top of the histogram's bucket, so it may be above the exact
    /// value by up to 0.1% (never below it, and never above the longest wait): a threshold
    /// `< X` that holds on it holds on the exact value too.
    pub fn wait_quantile(&self, quantile: f64) -> Option<u64> {
        (!self.waits.0.is_empty()).then(|| self.waits.0.value_at_quantile(quantile).min(self.max_wait))
    }
}

/// Waits between put and get, in nanoseconds: an HDR histogram, which keeps three significant
/// digits in constant memory, and merges exactly.
#[derive(Debug, Clone)]
pub struct Waits(pub hdrhistogram::Histogram<u64>);

impl Default for Waits {
    fn default() -> Self {
        // Three significant digits always fit, and the histogram grows to any value.
        #[allow(clippy::expect_used, reason = "3 significant digits is always a valid precision")]
        Waits(hdrhistogram::Histogram::new(3).expect("3 significant digits are valid"))
    }
}

#[derive(Debug, Clone, Default)]
pub struct SemaphoreStats {
    pub name: String,
    pub permits: u64,
    /// Permits free when the run ended: equal to `permits` unless a task still holds one.
    pub free_at_end: u64,
    pub acquisitions: u64,
    /// How many acquisitions had to wait for a permit.
    pub waited: u64,
    pub max_wait: u64,
    /// Thread pool: runs whose task stopped waiting while the work kept its thread.
    pub abandoned: u64,
}

#[derive(Debug, Clone, Default)]
pub struct TaskStats {
    pub name: String,
    pub started: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub failed: u64,
    /// Sum and maximum of the lifetimes (start to end) of the replicas that ended.
    pub total_lifetime: u128,
    pub max_lifetime: u64,
}

/// Counts a run's events into per-queue, per-semaphore and per-task statistics.
#[derive(Debug, Default)]
pub struct Statistics {
    queues: Vec<QueueStats>,
    semaphores: Vec<SemaphoreStats>,
    tasks: Vec<TaskStats>,
}

impl Statistics {
    /// The summary of the run, with these statistics.
    pub fn into_summary(self, run: RunEnd) -> Summary {
        Summary {
            end: run.end,
            events: run.events,
            queues: self.queues,
            semaphores: self.semaphores,
            tasks: self.tasks,
            failure: run.failure,
        }
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
        self.tasks = m.tasks.iter().map(|name| TaskStats { name: name.clone(), ..TaskStats::default() }).collect();
        // `main` is started by the run itself, not by a task.
        self.tasks[0].started = 1;
    }

    fn event(&mut self, _: &Model, ev: &Event<'_>) {
        match ev.kind {
            EventKind::Start { .. } => self.tasks[ev.decl].started += 1,
            EventKind::Put { queue, blocked, .. } => {
                let q = &mut self.queues[queue];
                q.puts += 1;
                q.blocked_puts += u64::from(blocked > 0);
                q.max_put_wait = q.max_put_wait.max(blocked);
                q.left += 1;
                q.max_len = q.max_len.max(q.left);
            }
            EventKind::Get { queue, waited, .. } => {
                let q = &mut self.queues[queue];
                q.gets += 1;
                q.left -= 1;
                q.total_wait += u128::from(waited);
                q.max_wait = q.max_wait.max(waited);
                // The histogram grows to take the value; only a value beyond what any histogram
                // can track (over about 2^62 ns, 146 years) is kept at the largest one instead.
                if q.waits.0.record(waited).is_err() {
                    q.waits.0.saturating_record(waited);
                }
            }
            EventKind::Dropped { queue, .. } => self.queues[queue].dropped += 1,
            EventKind::Acquire { semaphore, blocked } => {
                let s = &mut self.semaphores[semaphore];
                s.acquisitions += 1;
                s.waited += u64::from(blocked > 0);
                s.max_wait = s.max_wait.max(blocked);
                s.free_at_end -= 1;
            }
            EventKind::Release { semaphore } => self.semaphores[semaphore].free_at_end += 1,
            EventKind::ThreadAbandoned { semaphore, .. } => self.semaphores[semaphore].abandoned += 1,
            EventKind::End { outcome, lifetime } => {
                let t = &mut self.tasks[ev.decl];
                match outcome {
                    Outcome::Completed => t.completed += 1,
                    Outcome::Cancelled => t.cancelled += 1,
                    Outcome::Failed => t.failed += 1,
                }
                t.total_lifetime += u128::from(lifetime);
                t.max_lifetime = t.max_lifetime.max(lifetime);
            }
            _ => {}
        }
    }
}
