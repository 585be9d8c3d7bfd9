//! The transcript: what a run prints, in one of three formats.
//!
//! The runtime hands every event to [`Transcript::record`] in the one order it happened in;
//! this module only renders. It never reorders, buffers whole runs or looks at a clock.

use std::fmt::Write as _;
use std::io::{self, Write};

/// How a run is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Only the messages the scenario says, exactly as a program would print them.
    Plain,
    /// A timeline: the virtual time and the task of every event, then statistics.
    Text,
    /// One JSON object per event, with its virtual time in nanoseconds.
    Jsonl,
    /// Nothing at all (for benchmarks).
    #[value(skip)]
    Silent,
}

/// Something that happened in a run.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Virtual nanoseconds since the start of the run.
    pub time: u64,
    /// The label of the task it happened to.
    pub task: &'a str,
    pub kind: EventKind<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum EventKind<'a> {
    Start {
        by: &'a str,
    },
    Say {
        text: &'a str,
    },
    Sleep {
        duration: u64,
    },
    /// `blocked`: how long the put waited for space in a full queue.
    Put {
        queue: &'a str,
        item: &'a str,
        blocked: u64,
    },
    Get {
        queue: &'a str,
        item: &'a str,
        waited: u64,
    },
    Done {
        queue: &'a str,
    },
    Join {
        queue: &'a str,
    },
    TimedOut {
        after: u64,
    },
    Cancel {
        target: &'a str,
    },
    /// `blocked`: how long the task waited for a free permit.
    Acquire {
        semaphore: &'a str,
        blocked: u64,
    },
    Release {
        semaphore: &'a str,
    },
    Set {
        event: &'a str,
    },
    Clear {
        event: &'a str,
    },
    EventWaited {
        event: &'a str,
    },
    Barrier {
        barrier: &'a str,
    },
    /// `blocked`: how long the task waited for a token.
    Throttle {
        limit: &'a str,
        blocked: u64,
    },
    Busy {
        duration: u64,
    },
    ToThread {
        duration: u64,
    },
    Fail {
        message: &'a str,
    },
    Retry {
        attempt: u64,
        delay: u64,
    },
    RaceWon {
        winner: &'a str,
    },
    Gathered {
        completed: u64,
        failed: u64,
        cancelled: u64,
    },
    End {
        outcome: Outcome,
    },
}

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Cancelled,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
        }
    }
}

/// What a finished run adds up to, printed after the timeline.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Virtual nanoseconds at the end of the run.
    pub end: u64,
    pub events: u64,
    pub queues: Vec<QueueStats>,
    pub semaphores: Vec<SemaphoreStats>,
    /// Per task name, in declaration order (`main` first): how many replicas ended how.
    pub tasks: Vec<TaskStats>,
    /// Why the run failed, if it did.
    pub failure: Option<Failure>,
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Every task waits and no timer is pending.
    Deadlock,
    /// The virtual clock passed the scenario's `time-limit`.
    TimeLimit,
    /// A task ran too many steps without waiting, or too many events happened at one instant.
    Livelock,
    /// The run had more events than the scenario's `max-events`.
    EventBudget,
    /// The run started too many tasks, or a queue grew too long.
    Limit,
    /// `main` failed.
    MainFailed,
}

#[derive(Debug, Clone, Default)]
pub struct QueueStats {
    pub name: String,
    pub puts: u64,
    pub gets: u64,
    pub left: u64,
    pub max_len: u64,
    pub total_wait: u128,
    pub max_wait: u64,
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

/// Renders events to an output as they happen.
pub struct Transcript {
    format: Format,
    out: Box<dyn Write + Send>,
    label_width: usize,
    line: String,
    /// The first write error; later writes are skipped.
    error: Option<io::Error>,
}

impl Transcript {
    pub fn new(format: Format, out: Box<dyn Write + Send>, label_width: usize) -> Self {
        Transcript { format, out, label_width, line: String::with_capacity(128), error: None }
    }

    /// The first lines of a timeline, before any event.
    pub fn header(&mut self, description: Option<&str>, seed: u64) {
        if self.format != Format::Text {
            return;
        }
        self.line.clear();
        if let Some(d) = description {
            let _ = writeln!(self.line, "# {d}");
        }
        let _ = writeln!(self.line, "# seed {seed}");
        let _ = writeln!(self.line, "{:>14}  {:<w$}  event", "time (s)", "task", w = self.label_width);
        self.flush_line();
    }

    pub fn record(&mut self, ev: &Event<'_>) {
        self.line.clear();
        match self.format {
            Format::Silent => return,
            Format::Plain => match ev.kind {
                EventKind::Say { text } => {
                    self.line.push_str(text);
                    self.line.push('\n');
                }
                _ => return,
            },
            Format::Text => self.text(ev),
            Format::Jsonl => self.json(ev),
        }
        self.flush_line();
    }

    /// Statistics after the last event; returns the first write error, if any.
    pub fn finish(mut self, summary: &Summary) -> io::Result<()> {
        self.line.clear();
        match self.format {
            Format::Text => self.text_summary(summary),
            Format::Jsonl => self.json_summary(summary),
            Format::Plain | Format::Silent => {}
        }
        self.flush_line();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }

    fn flush_line(&mut self) {
        if self.error.is_none() && !self.line.is_empty() {
            if let Err(e) = self.out.write_all(self.line.as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    fn text(&mut self, ev: &Event<'_>) {
        let l = &mut self.line;
        // Right-align the time in 14 columns without formatting it twice.
        let start = l.len();
        push_time(l, ev.time);
        let width = l.len() - start;
        if width < 14 {
            l.insert_str(start, &"              "[..14 - width]);
        }
        let _ = write!(l, "  {:<w$}  ", ev.task, w = self.label_width);
        match ev.kind {
            EventKind::Start { by } => {
                let _ = write!(l, "started by {by}");
            }
            EventKind::Say { text } => {
                let _ = write!(l, "say: {text}");
            }
            EventKind::Sleep { duration } => {
                l.push_str("sleep ");
                push_duration(l, duration);
                l.push_str(" (until ");
                push_time(l, ev.time.saturating_add(duration));
                l.push(')');
            }
            EventKind::Put { queue, item, blocked } => {
                let _ = write!(l, "put {item} on {queue}");
                push_blocked(l, blocked, "for space");
            }
            EventKind::Get { queue, item, waited } => {
                let _ = write!(l, "got {item} from {queue}, queued ");
                push_duration(l, waited);
            }
            EventKind::Done { queue } => {
                let _ = write!(l, "done with an item of {queue}");
            }
            EventKind::Join { queue } => {
                let _ = write!(l, "joined {queue}: every item is done");
            }
            EventKind::TimedOut { after } => {
                l.push_str("timed out after ");
                push_duration(l, after);
            }
            EventKind::Cancel { target } => {
                let _ = write!(l, "cancel {target}");
            }
            EventKind::Acquire { semaphore, blocked } => {
                let _ = write!(l, "acquired {semaphore}");
                push_blocked(l, blocked, "for a permit");
            }
            EventKind::Release { semaphore } => {
                let _ = write!(l, "released {semaphore}");
            }
            EventKind::Set { event } => {
                let _ = write!(l, "set {event}");
            }
            EventKind::Clear { event } => {
                let _ = write!(l, "cleared {event}");
            }
            EventKind::EventWaited { event } => {
                let _ = write!(l, "saw {event} set");
            }
            EventKind::Barrier { barrier } => {
                let _ = write!(l, "passed barrier {barrier}");
            }
            EventKind::Throttle { limit, blocked } => {
                let _ = write!(l, "took a token from {limit}");
                push_blocked(l, blocked, "for it");
            }
            EventKind::Busy { duration } => {
                l.push_str("busy on the event loop for ");
                push_duration(l, duration);
                l.push_str(" (every task waits)");
            }
            EventKind::ToThread { duration } => {
                l.push_str("to a thread for ");
                push_duration(l, duration);
            }
            EventKind::Fail { message } => {
                let _ = write!(l, "failed: {message}");
            }
            EventKind::Retry { attempt, delay } => {
                let _ = write!(l, "attempt {attempt} after ");
                push_duration(l, delay);
            }
            EventKind::RaceWon { winner } => {
                let _ = write!(l, "race won by {winner}");
            }
            EventKind::Gathered { completed, failed, cancelled } => {
                let _ = write!(l, "gathered: {completed} completed, {failed} failed, {cancelled} cancelled");
            }
            EventKind::End { outcome } => l.push_str(outcome.as_str()),
        }
        l.push('\n');
    }

    fn json(&mut self, ev: &Event<'_>) {
        let l = &mut self.line;
        let _ = write!(l, "{{\"time_ns\":{},\"task\":", ev.time);
        push_json_str(l, ev.task);
        let field = |l: &mut String, key: &str, value: &str| {
            let _ = write!(l, ",\"{key}\":");
            push_json_str(l, value);
        };
        match ev.kind {
            EventKind::Start { by } => {
                l.push_str(",\"event\":\"start\"");
                field(l, "by", by);
            }
            EventKind::Say { text } => {
                l.push_str(",\"event\":\"say\"");
                field(l, "text", text);
            }
            EventKind::Sleep { duration } => {
                let _ = write!(l, ",\"event\":\"sleep\",\"duration_ns\":{duration}");
            }
            EventKind::Put { queue, item, blocked } => {
                l.push_str(",\"event\":\"put\"");
                field(l, "queue", queue);
                field(l, "item", item);
                let _ = write!(l, ",\"blocked_ns\":{blocked}");
            }
            EventKind::Get { queue, item, waited } => {
                l.push_str(",\"event\":\"get\"");
                field(l, "queue", queue);
                field(l, "item", item);
                let _ = write!(l, ",\"waited_ns\":{waited}");
            }
            EventKind::Done { queue } => {
                l.push_str(",\"event\":\"done\"");
                field(l, "queue", queue);
            }
            EventKind::Join { queue } => {
                l.push_str(",\"event\":\"join\"");
                field(l, "queue", queue);
            }
            EventKind::TimedOut { after } => {
                let _ = write!(l, ",\"event\":\"timeout\",\"after_ns\":{after}");
            }
            EventKind::Cancel { target } => {
                l.push_str(",\"event\":\"cancel\"");
                field(l, "target", target);
            }
            EventKind::Acquire { semaphore, blocked } => {
                l.push_str(",\"event\":\"acquire\"");
                field(l, "semaphore", semaphore);
                let _ = write!(l, ",\"blocked_ns\":{blocked}");
            }
            EventKind::Release { semaphore } => {
                l.push_str(",\"event\":\"release\"");
                field(l, "semaphore", semaphore);
            }
            EventKind::Set { event } => {
                l.push_str(",\"event\":\"set\"");
                field(l, "name", event);
            }
            EventKind::Clear { event } => {
                l.push_str(",\"event\":\"clear\"");
                field(l, "name", event);
            }
            EventKind::EventWaited { event } => {
                l.push_str(",\"event\":\"wait-event\"");
                field(l, "name", event);
            }
            EventKind::Barrier { barrier } => {
                l.push_str(",\"event\":\"barrier\"");
                field(l, "barrier", barrier);
            }
            EventKind::Throttle { limit, blocked } => {
                l.push_str(",\"event\":\"throttle\"");
                field(l, "limit", limit);
                let _ = write!(l, ",\"blocked_ns\":{blocked}");
            }
            EventKind::Busy { duration } => {
                let _ = write!(l, ",\"event\":\"busy\",\"duration_ns\":{duration}");
            }
            EventKind::ToThread { duration } => {
                let _ = write!(l, ",\"event\":\"to-thread\",\"duration_ns\":{duration}");
            }
            EventKind::Fail { message } => {
                l.push_str(",\"event\":\"fail\"");
                field(l, "message", message);
            }
            EventKind::Retry { attempt, delay } => {
                let _ = write!(l, ",\"event\":\"retry\",\"attempt\":{attempt},\"delay_ns\":{delay}");
            }
            EventKind::RaceWon { winner } => {
                l.push_str(",\"event\":\"race-won\"");
                field(l, "winner", winner);
            }
            EventKind::Gathered { completed, failed, cancelled } => {
                let _ = write!(
                    l,
                    ",\"event\":\"gathered\",\"completed\":{completed},\"failed\":{failed},\"cancelled\":{cancelled}"
                );
            }
            EventKind::End { outcome } => {
                let _ = write!(l, ",\"event\":\"end\",\"outcome\":\"{}\"", outcome.as_str());
            }
        }
        l.push_str("}\n");
    }

    fn text_summary(&mut self, s: &Summary) {
        let l = &mut self.line;
        l.push_str("---\n");
        match &s.failure {
            None => l.push_str("run completed at "),
            Some(_) => l.push_str("run FAILED at "),
        }
        push_time(l, s.end);
        let _ = writeln!(l, " s after {} events", s.events);
        if let Some(f) = &s.failure {
            let _ = writeln!(l, "failure: {}", f.message);
        }
        for q in &s.queues {
            let _ =
                write!(l, "queue {}: {} put, {} got, {} left, longest {}", q.name, q.puts, q.gets, q.left, q.max_len);
            if q.gets > 0 {
                l.push_str(", queued mean ");
                crate::template::push_seconds(l, (q.total_wait / u128::from(q.gets)) as u64, Some(6));
                l.push_str(" s, max ");
                crate::template::push_seconds(l, q.max_wait, Some(6));
                l.push_str(" s");
            }
            l.push('\n');
        }
        for sem in &s.semaphores {
            let _ = write!(
                l,
                "semaphore {}: {} acquired, {} had to wait, longest wait ",
                sem.name, sem.acquisitions, sem.waited
            );
            crate::template::push_seconds(l, sem.max_wait, Some(6));
            let _ = writeln!(l, " s, {} of {} permits free at the end", sem.free_at_end, sem.permits);
        }
        for t in &s.tasks {
            let _ = write!(l, "task {}: {} started", t.name, t.started);
            if t.completed > 0 {
                let _ = write!(l, ", {} completed", t.completed);
            }
            if t.cancelled > 0 {
                let _ = write!(l, ", {} cancelled", t.cancelled);
            }
            if t.failed > 0 {
                let _ = write!(l, ", {} failed", t.failed);
            }
            let ended = t.completed + t.cancelled + t.failed;
            if ended > 0 {
                l.push_str("; ran mean ");
                crate::template::push_seconds(l, (t.total_lifetime / u128::from(ended)) as u64, Some(6));
                l.push_str(" s, max ");
                crate::template::push_seconds(l, t.max_lifetime, Some(6));
                l.push_str(" s");
            }
            l.push('\n');
        }
    }

    fn json_summary(&mut self, s: &Summary) {
        let l = &mut self.line;
        let _ = write!(
            l,
            "{{\"time_ns\":{},\"event\":\"run-end\",\"events\":{},\"ok\":{}",
            s.end,
            s.events,
            s.failure.is_none()
        );
        if let Some(f) = &s.failure {
            l.push_str(",\"failure\":");
            push_json_str(l, &f.message);
        }
        l.push_str(",\"queues\":[");
        for (k, q) in s.queues.iter().enumerate() {
            l.push_str(if k == 0 { "{\"name\":" } else { ",{\"name\":" });
            push_json_str(l, &q.name);
            let _ = write!(
                l,
                ",\"puts\":{},\"gets\":{},\"left\":{},\"max_len\":{},\"max_wait_ns\":{}}}",
                q.puts, q.gets, q.left, q.max_len, q.max_wait
            );
        }
        l.push_str("],\"semaphores\":[");
        for (k, sem) in s.semaphores.iter().enumerate() {
            l.push_str(if k == 0 { "{\"name\":" } else { ",{\"name\":" });
            push_json_str(l, &sem.name);
            let _ = write!(
                l,
                ",\"permits\":{},\"free_at_end\":{},\"acquisitions\":{},\"waited\":{},\"max_wait_ns\":{}}}",
                sem.permits, sem.free_at_end, sem.acquisitions, sem.waited, sem.max_wait
            );
        }
        l.push_str("],\"tasks\":[");
        for (k, t) in s.tasks.iter().enumerate() {
            l.push_str(if k == 0 { "{\"name\":" } else { ",{\"name\":" });
            push_json_str(l, &t.name);
            let _ = write!(
                l,
                ",\"started\":{},\"completed\":{},\"cancelled\":{},\"failed\":{},\"mean_lifetime_ns\":{},\"max_lifetime_ns\":{}}}",
                t.started,
                t.completed,
                t.cancelled,
                t.failed,
                t.total_lifetime.checked_div(u128::from(t.completed + t.cancelled + t.failed)).unwrap_or(0),
                t.max_lifetime
            );
        }
        l.push_str("]}\n");
    }
}

/// ` after 2 s waiting for space`, when the task had to wait at all.
fn push_blocked(out: &mut String, blocked: u64, what: &str) {
    if blocked > 0 {
        out.push_str(" after ");
        push_duration(out, blocked);
        let _ = write!(out, " waiting {what}");
    }
}

/// Virtual time in seconds: six decimals, or nine when the time is not a whole microsecond.
pub fn push_time(out: &mut String, ns: u64) {
    let (secs, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    let _ = if frac % 1000 == 0 { write!(out, "{secs}.{:06}", frac / 1000) } else { write!(out, "{secs}.{frac:09}") };
}

/// A duration in exact seconds, as templates print it: `5 s`, `0.25 s`, `0.006736714 s`.
pub fn push_duration(out: &mut String, ns: u64) {
    crate::template::push_seconds(out, ns, None);
    out.push_str(" s");
}

/// A duration the way the scenario file writes it: `5s`, `250ms`, `1m 30s`.
pub fn push_humantime(out: &mut String, ns: u64) {
    let _ = write!(out, "{}", humantime::format_duration(std::time::Duration::from_nanos(ns)));
}

fn push_json_str(out: &mut String, s: &str) {
    // serde_json's string escaping is the reference; it cannot fail on a `str`.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}
