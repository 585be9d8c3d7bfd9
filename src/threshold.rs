//! Thresholds: conditions on a run's statistics that a run must meet, declared as
//! `[thresholds]` (`"queue.line.wait.p99" = "< 2s"`), in the manner of k6.
//!
//! A metric names a statistic of the summary: `run.FIELD`, `queue.NAME.FIELD`,
//! `semaphore.NAME.FIELD` or `task.NAME.FIELD`. Names are checked when the file is compiled,
//! so a crossed threshold is the only way one can fail at run time.

use std::fmt::Write as _;

use crate::seconds::push_duration;
use crate::sink::Summary;

/// A semaphore's name as metrics and the summary spell it: the thread pool is `thread-pool`.
pub fn metric_name(semaphore: &str) -> String {
    semaphore.replace(' ', "-")
}

/// What a metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number of things.
    Count,
    /// A duration, in nanoseconds.
    Time,
    /// A fraction or an average (a utilisation, a mean length).
    Number,
}

/// The fields of each kind of metric, and their units.
pub const RUN_FIELDS: &[(&str, Unit)] = &[("makespan", Unit::Time), ("events", Unit::Count), ("window", Unit::Time)];
pub const QUEUE_FIELDS: &[(&str, Unit)] = &[
    ("puts", Unit::Count),
    ("gets", Unit::Count),
    ("left", Unit::Count),
    ("longest", Unit::Count),
    ("length.mean", Unit::Number),
    ("dropped", Unit::Count),
    ("blocked-puts", Unit::Count),
    ("wait.mean", Unit::Time),
    ("wait.p50", Unit::Time),
    ("wait.p90", Unit::Time),
    ("wait.p99", Unit::Time),
    ("wait.p999", Unit::Time),
    ("wait.max", Unit::Time),
    ("system.mean", Unit::Time),
    ("system.p50", Unit::Time),
    ("system.p90", Unit::Time),
    ("system.p99", Unit::Time),
    ("system.p999", Unit::Time),
    ("system.max", Unit::Time),
    ("put-wait.max", Unit::Time),
    ("replies", Unit::Count),
    ("late-replies", Unit::Count),
    ("response.mean", Unit::Time),
    ("response.p50", Unit::Time),
    ("response.p90", Unit::Time),
    ("response.p99", Unit::Time),
    ("response.p999", Unit::Time),
    ("response.max", Unit::Time),
];
pub const SEMAPHORE_FIELDS: &[(&str, Unit)] = &[
    ("acquisitions", Unit::Count),
    ("waited", Unit::Count),
    ("utilisation", Unit::Number),
    ("wait.mean", Unit::Time),
    ("wait.p50", Unit::Time),
    ("wait.p90", Unit::Time),
    ("wait.p99", Unit::Time),
    ("wait.p999", Unit::Time),
    ("wait.max", Unit::Time),
    ("abandoned", Unit::Count),
    ("preempted", Unit::Count),
];
pub const COUNTER_FIELDS: &[(&str, Unit)] =
    &[("value", Unit::Number), ("min", Unit::Number), ("max", Unit::Number), ("adds", Unit::Count)];
pub const CONTAINER_FIELDS: &[(&str, Unit)] = &[
    ("level", Unit::Number),
    ("min", Unit::Number),
    ("max", Unit::Number),
    ("mean", Unit::Number),
    ("takes", Unit::Count),
    ("fills", Unit::Count),
    ("taken", Unit::Count),
    ("filled", Unit::Count),
    ("waited", Unit::Count),
];

/// The names metrics can be about, per kind, as metrics spell them.
#[derive(Debug, Default)]
pub struct MetricNames {
    pub queues: Vec<String>,
    pub semaphores: Vec<String>,
    pub tasks: Vec<String>,
    pub counters: Vec<String>,
    pub containers: Vec<String>,
}

impl MetricNames {
    /// The names in a summary.
    pub fn of(s: &Summary) -> MetricNames {
        MetricNames {
            queues: s.queues.iter().map(|q| q.name.clone()).collect(),
            semaphores: s.semaphores.iter().map(|m| metric_name(&m.name)).collect(),
            tasks: s.tasks.iter().map(|t| t.name.clone()).collect(),
            counters: s.counters.iter().map(|c| c.name.clone()).collect(),
            containers: s.containers.iter().map(|c| c.name.clone()).collect(),
        }
    }
}
pub const TASK_FIELDS: &[(&str, Unit)] = &[
    ("started", Unit::Count),
    ("completed", Unit::Count),
    ("cancelled", Unit::Count),
    ("failed", Unit::Count),
    ("retries", Unit::Count),
    ("timeouts", Unit::Count),
    ("puts", Unit::Count),
    ("dropped", Unit::Count),
    ("offered-rate", Unit::Number),
    ("lifetime.mean", Unit::Time),
    ("lifetime.p50", Unit::Time),
    ("lifetime.p90", Unit::Time),
    ("lifetime.p99", Unit::Time),
    ("lifetime.p999", Unit::Time),
    ("lifetime.max", Unit::Time),
];

/// A statistic of a run's summary, by name: `queue.line.wait.p99`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub subject: Subject,
    pub field: &'static str,
    pub unit: Unit,
}

impl Metric {
    /// Resolves a metric's name against the names in a summary, or `None` if it names no
    /// statistic of it.
    pub fn resolve(text: &str, names: &MetricNames) -> Option<Metric> {
        let (kind, rest) = text.split_once('.')?;
        let find = |names: &[String], fields: &'static [(&'static str, Unit)]| {
            let (name, field) = rest.split_once('.')?;
            let k = names.iter().position(|n| n == name)?;
            let &(field, unit) = fields.iter().find(|(f, _)| *f == field)?;
            Some((k, field, unit))
        };
        let (subject, field, unit) = match kind {
            "run" => RUN_FIELDS.iter().find(|(f, _)| *f == rest).map(|&(f, u)| (Subject::Run, f, u)),
            "queue" => find(&names.queues, QUEUE_FIELDS).map(|(k, f, u)| (Subject::Queue(k), f, u)),
            "semaphore" => find(&names.semaphores, SEMAPHORE_FIELDS).map(|(k, f, u)| (Subject::Semaphore(k), f, u)),
            "task" => find(&names.tasks, TASK_FIELDS).map(|(k, f, u)| (Subject::Task(k), f, u)),
            "counter" => find(&names.counters, COUNTER_FIELDS).map(|(k, f, u)| (Subject::Counter(k), f, u)),
            "container" => find(&names.containers, CONTAINER_FIELDS).map(|(k, f, u)| (Subject::Container(k), f, u)),
            _ => None,
        }?;
        Some(Metric { name: text.to_owned(), subject, field, unit })
    }

    /// Every metric of a summary, in a fixed order: the run's, then each queue's, semaphore's
    /// and task's in declaration order.
    pub fn all(s: &Summary) -> Vec<Metric> {
        let mut out = Vec::new();
        let mut add = |subject: Subject, prefix: String, fields: &'static [(&'static str, Unit)]| {
            for &(field, unit) in fields {
                out.push(Metric { name: format!("{prefix}{field}"), subject, field, unit });
            }
        };
        add(Subject::Run, "run.".into(), RUN_FIELDS);
        for (k, q) in s.queues.iter().enumerate() {
            add(Subject::Queue(k), format!("queue.{}.", q.name), QUEUE_FIELDS);
        }
        for (k, m) in s.semaphores.iter().enumerate() {
            add(Subject::Semaphore(k), format!("semaphore.{}.", metric_name(&m.name)), SEMAPHORE_FIELDS);
        }
        for (k, t) in s.tasks.iter().enumerate() {
            add(Subject::Task(k), format!("task.{}.", t.name), TASK_FIELDS);
        }
        for (k, c) in s.counters.iter().enumerate() {
            add(Subject::Counter(k), format!("counter.{}.", c.name), COUNTER_FIELDS);
        }
        for (k, c) in s.containers.iter().enumerate() {
            add(Subject::Container(k), format!("container.{}.", c.name), CONTAINER_FIELDS);
        }
        out
    }

    /// The metric's value in `s`: nanoseconds, a count or a number. `None` when the run
    /// collected no statistics for it (a failed run, or no items at all for a mean or
    /// percentile).
    pub fn value(&self, s: &Summary) -> Option<f64> {
        value_of(self.subject, self.field, s)
    }

    /// Writes `v` in the metric's unit: `1.5 s`, `12`, `0.667`.
    pub fn push_value(&self, out: &mut String, v: f64) {
        push_in(self.unit, out, v);
    }
}

/// Writes `v` in `unit`.
fn push_in(unit: Unit, out: &mut String, v: f64) {
    match unit {
        Unit::Count => {
            let _ = write!(out, "{v}");
        }
        Unit::Time => push_duration(out, v.round() as u64),
        Unit::Number => {
            let _ = write!(out, "{}", (v * 1e6).round() / 1e6);
        }
    }
}

/// The quantile a `pNN` field asks for.
fn quantile_of(field: &str) -> Option<f64> {
    match field.rsplit('.').next()? {
        "p50" => Some(0.5),
        "p90" => Some(0.9),
        "p99" => Some(0.99),
        "p999" => Some(0.999),
        _ => None,
    }
}

/// A field of a distribution (`mean`, `max` or a percentile).
fn of_durations(d: &crate::sink::Durations, field: &str) -> Option<f64> {
    match field.rsplit('.').next()? {
        "mean" => d.mean(),
        "max" => (d.count > 0).then_some(d.max as f64),
        _ => d.quantile(quantile_of(field)?).map(|v| v as f64),
    }
}

fn value_of(subject: Subject, field: &str, s: &Summary) -> Option<f64> {
    let n = |v: u64| Some(v as f64);
    match subject {
        Subject::Run => match field {
            "makespan" => n(s.end),
            "window" => Some(s.window as f64),
            _ => n(s.events),
        },
        Subject::Queue(k) => {
            let q = s.queues.get(k)?;
            match field {
                "puts" => n(q.puts),
                "gets" => n(q.gets),
                "left" => n(q.left),
                "longest" => n(q.max_len),
                "length.mean" => q.mean_length(s.window),
                "dropped" => n(q.dropped),
                "blocked-puts" => n(q.blocked_puts),
                "put-wait.max" => n(q.max_put_wait),
                "replies" => n(q.replies),
                "late-replies" => n(q.late_replies),
                f if f.starts_with("wait.") => of_durations(&q.waits, f),
                f if f.starts_with("response.") => of_durations(&q.responses, f),
                f => of_durations(&q.system, f),
            }
        }
        Subject::Semaphore(k) => {
            let m = s.semaphores.get(k)?;
            match field {
                "acquisitions" => n(m.acquisitions),
                "waited" => n(m.waited),
                "utilisation" => m.utilisation(s.window),
                "abandoned" => n(m.abandoned),
                "preempted" => n(m.preempted),
                f => of_durations(&m.waits, f),
            }
        }
        Subject::Counter(k) => {
            let c = s.counters.get(k)?;
            match field {
                "value" => Some(c.value as f64),
                "min" => Some(c.min as f64),
                "max" => Some(c.max as f64),
                _ => n(c.adds),
            }
        }
        Subject::Container(k) => {
            let c = s.containers.get(k)?;
            match field {
                "level" => n(c.level),
                "min" => n(c.min),
                "max" => n(c.max),
                "mean" => Some(c.mean()),
                "takes" => n(c.takes),
                "fills" => n(c.fills),
                "taken" => n(c.taken),
                "filled" => n(c.filled),
                _ => n(c.waited),
            }
        }
        Subject::Task(k) => {
            let t = s.tasks.get(k)?;
            match field {
                "started" => n(t.started),
                "completed" => n(t.completed),
                "cancelled" => n(t.cancelled),
                "failed" => n(t.failed),
                "retries" => n(t.retries),
                "timeouts" => n(t.timeouts),
                "puts" => n(t.puts),
                "dropped" => n(t.dropped),
                "offered-rate" => t.offered_rate(s.window),
                f => of_durations(&t.lifetimes, f),
            }
        }
    }
}

/// What a metric is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Run,
    /// A queue, semaphore or task, by its index in the summary.
    Queue(usize),
    Semaphore(usize),
    Task(usize),
    Counter(usize),
    Container(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub const ALL: [(&'static str, Op); 6] =
        [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)];

    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Op::Lt => value < bound,
            Op::Le => value <= bound,
            Op::Gt => value > bound,
            Op::Ge => value >= bound,
            Op::Eq => value == bound,
            Op::Ne => value != bound,
        }
    }

    fn text(self) -> &'static str {
        Op::ALL.iter().find(|(_, op)| *op == self).map_or("?", |(t, _)| t)
    }
}

/// The prefix of a threshold that, over many seeds, every seed must meet on its own.
pub const EVERY_SEED: &str = "every-seed.";

/// One compiled threshold.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// The metric as written, for messages.
    pub metric: String,
    /// Written `every-seed.METRIC`: over many seeds, checked on each seed's run rather than on
    /// the pooled runs. On a single run, the same as without the prefix.
    pub every_seed: bool,
    pub subject: Subject,
    pub field: &'static str,
    pub unit: Unit,
    pub op: Op,
    /// Nanoseconds for a time, the count or number otherwise.
    pub bound: f64,
    /// Where the metric's key is in the file, for messages and annotations.
    pub span: std::ops::Range<usize>,
}

/// How a threshold fared in one run.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub held: bool,
    /// `queue.line.wait.p99 = 2.31 s, not < 2 s`, or `... = 1.2 s, < 2 s` when it held.
    pub message: String,
    /// The metric's value it was checked against (`None`: nothing to measure, or, for an
    /// `every-seed.` threshold over many seeds, no one value).
    pub value: Option<f64>,
    /// Where the threshold is declared in the file.
    pub span: std::ops::Range<usize>,
}

impl Threshold {
    /// The metric's value in `summary` (see [`Metric::value`]).
    pub fn value(&self, s: &Summary) -> Option<f64> {
        value_of(self.subject, self.field, s)
    }

    /// Checks the threshold against a run's summary. A metric with no value (a mean of nothing)
    /// does not hold: a threshold is a promise about something that happened.
    pub fn check(&self, summary: &Summary) -> Verdict {
        let value = self.value(summary);
        let held = value.is_some_and(|v| self.op.holds(v, self.bound));
        let mut message = format!("{} = ", self.metric);
        match value {
            None => message.push_str("nothing (no items)"),
            Some(v) => self.push_value(&mut message, v),
        }
        let _ = write!(message, "{} {} ", if held { "," } else { ", not" }, self.op.text());
        self.push_value(&mut message, self.bound);
        Verdict { held, message, value, span: self.span.clone() }
    }

    /// The condition as the summary writes it: `< 2 s`, `== 0`.
    pub fn condition(&self) -> String {
        let mut out = format!("{} ", self.op.text());
        self.push_value(&mut out, self.bound);
        out
    }

    fn push_value(&self, out: &mut String, v: f64) {
        push_in(self.unit, out, v);
    }
}

/// Checks every threshold; the verdicts in declaration order.
pub fn check_all(thresholds: &[Threshold], summary: &Summary) -> Vec<Verdict> {
    thresholds.iter().map(|t| t.check(summary)).collect()
}

/// Splits a condition into its comparison and bound: `"< 2s"` → (`<`, `"2s"`).
pub fn split_condition(text: &str) -> Option<(Op, &str)> {
    let text = text.trim_start();
    Op::ALL.iter().find_map(|(sym, op)| text.strip_prefix(sym).map(|rest| (*op, rest.trim())))
}

/// The metric `text` most likely meant, part by part: the kind, then the name among those of
/// that kind, then the field. One pass over the names, as for any unknown name, however many
/// metrics the declarations make possible.
pub fn suggest(text: &str, names: &MetricNames) -> Option<String> {
    use crate::diagnostic::did_you_mean;
    const KINDS: [&str; 6] = ["run", "queue", "semaphore", "task", "counter", "container"];
    let (kind, rest) = text.split_once('.')?;
    let kind = if KINDS.contains(&kind) { kind } else { did_you_mean(kind, KINDS)? };
    let field_of = |field: &str, fields: &[(&'static str, Unit)]| -> Option<&'static str> {
        let names = fields.iter().map(|(f, _)| *f);
        fields.iter().map(|(f, _)| *f).find(|f| *f == field).or_else(|| did_you_mean(field, names))
    };
    if kind == "run" {
        return field_of(rest, RUN_FIELDS).map(|f| format!("run.{f}"));
    }
    let (names, fields) = match kind {
        "queue" => (&names.queues, QUEUE_FIELDS),
        "semaphore" => (&names.semaphores, SEMAPHORE_FIELDS),
        "counter" => (&names.counters, COUNTER_FIELDS),
        "container" => (&names.containers, CONTAINER_FIELDS),
        _ => (&names.tasks, TASK_FIELDS),
    };
    let (name, field) = rest.split_once('.')?;
    let name = match names.iter().find(|n| *n == name) {
        Some(n) => n.as_str(),
        None => did_you_mean(name, names.iter().map(String::as_str))?,
    };
    field_of(field, fields).map(|f| format!("{kind}.{name}.{f}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_split_on_the_longest_operator() {
        assert_eq!(split_condition("<= 2s"), Some((Op::Le, "2s")));
        assert_eq!(split_condition("<2s"), Some((Op::Lt, "2s")));
        assert_eq!(split_condition(" == 0"), Some((Op::Eq, "0")));
        assert_eq!(split_condition("!= 1"), Some((Op::Ne, "1")));
        assert_eq!(split_condition("~ 1"), None);
    }

    #[test]
    fn suggestions_fix_each_part() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let all = MetricNames {
            queues: names(&["line", "jobs"]),
            semaphores: names(&["db"]),
            tasks: names(&["main", "server"]),
            ..MetricNames::default()
        };
        let suggest = |text| suggest(text, &all);
        assert_eq!(suggest("queue.lin.wait.p99").as_deref(), Some("queue.line.wait.p99"));
        assert_eq!(suggest("queue.line.wait.p98").as_deref(), Some("queue.line.wait.p90"));
        assert_eq!(suggest("queues.jobs.puts").as_deref(), Some("queue.jobs.puts"));
        assert_eq!(suggest("task.server.faild").as_deref(), Some("task.server.failed"));
        assert_eq!(suggest("run.makespn").as_deref(), Some("run.makespan"));
        assert_eq!(suggest("semaphore.db.wait").as_deref(), None);
        assert_eq!(suggest("thread.x"), None);
    }

    #[test]
    fn a_mean_of_nothing_does_not_hold() {
        let t = Threshold {
            metric: "queue.q.wait.mean".into(),
            every_seed: false,
            subject: Subject::Queue(0),
            field: "wait.mean",
            unit: Unit::Time,
            op: Op::Lt,
            bound: 1e9,
            span: 0..1,
        };
        let summary = Summary {
            queues: vec![crate::sink::QueueStats { name: "q".into(), ..Default::default() }],
            ..Summary::default()
        };
        let v = t.check(&summary);
        assert!(!v.held);
        assert_eq!(v.message, "queue.q.wait.mean = nothing (no items), not < 1 s");
    }
}
