//! `--format jsonl`: one JSON object per event, with its virtual time in nanoseconds, and a
//! `run-end` object with the statistics.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{LineStart, Lines, Sink, Summary, TaskColumns, Text, push_json_str};
use crate::event::{Event, EventKind, ItemText, Model};

/// Renders every event as a line of JSON.
pub struct Jsonl {
    pub(super) lines: Lines,
    /// How each line at the current instant begins.
    time: LineStart,
    /// Each task's label as a JSON string.
    tasks: TaskColumns,
    /// Each queue's name as a JSON string, quoted at the first event (a sink serves one run, so
    /// one model): most lines name a queue.
    queues: Vec<Text>,
}

impl Jsonl {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Jsonl::with(Lines::new(out, u64::MAX))
    }

    pub(super) fn with(lines: Lines) -> Self {
        Jsonl { lines, time: LineStart::new(), tasks: TaskColumns::new(), queues: Vec::new() }
    }
}

impl Sink for Jsonl {
    fn stopped(&self) -> Option<&io::Error> {
        self.lines.error.as_ref()
    }

    fn event(&mut self, m: &Model, ev: &Event<'_>) {
        if self.queues.len() != m.queues.len() {
            self.queues = m
                .queues
                .iter()
                .map(|q| {
                    let mut s = Text::default();
                    push_json_str(&mut s, q);
                    s
                })
                .collect();
        }
        let (l, queues) = (&mut self.lines.line, &self.queues);
        l.push_bytes(self.time.at(ev.time, |s, time| {
            s.push_str("{\"time_ns\":");
            s.push_u64(time);
            s.push_str(",\"task\":");
        }));
        l.push_bytes(self.tasks.of(ev.id, ev.task, push_json_str));
        let field = |l: &mut Text, key: &str, value: &str| {
            l.push_str(",\"");
            l.push_str(key);
            l.push_str("\":");
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
                l.push_str(",\"event\":\"sleep\",\"duration_ns\":");
                l.push_u64(duration);
            }
            EventKind::Put { queue, item, blocked } => {
                l.push_str(",\"event\":\"put\",\"queue\":");
                l.push_bytes(queues[queue].as_bytes());
                l.push_str(",\"item\":");
                push_json_item(l, item);
                l.push_str(",\"blocked_ns\":");
                l.push_u64(blocked);
            }
            EventKind::Sent { queue, item, delay } => {
                l.push_str(",\"event\":\"sent\",\"queue\":");
                l.push_bytes(queues[queue].as_bytes());
                l.push_str(",\"item\":");
                push_json_item(l, item);
                l.push_str(",\"delay_ns\":");
                l.push_u64(delay);
            }
            EventKind::Answered { queue, reply, response } => {
                l.push_str(",\"event\":\"answered\",\"queue\":");
                l.push_bytes(queues[queue].as_bytes());
                l.push_str(",\"reply\":");
                push_json_str(l, reply);
                l.push_str(",\"response_ns\":");
                l.push_u64(response);
            }
            EventKind::Reply { queue, late } => {
                l.push_str(",\"event\":\"reply\",\"queue\":");
                l.push_bytes(queues[queue].as_bytes());
                if late {
                    l.push_str(",\"late\":true");
                }
            }
            EventKind::Get { queue, item, waited } => {
                l.push_str(",\"event\":\"get\",\"queue\":");
                l.push_bytes(queues[queue].as_bytes());
                l.push_str(",\"item\":");
                push_json_item(l, item);
                l.push_str(",\"waited_ns\":");
                l.push_u64(waited);
            }
            EventKind::Dropped { queue, item } => {
                l.push_str(",\"event\":\"dropped\"");
                field(l, "queue", &m.queues[queue]);
                l.push_str(",\"item\":");
                push_json_item(l, item);
            }
            EventKind::Done { queue } => {
                l.push_str(",\"event\":\"done\",\"queue\":");
                l.push_bytes(queues[queue].as_bytes());
            }
            EventKind::Join { queue } => {
                l.push_str(",\"event\":\"join\"");
                field(l, "queue", &m.queues[queue]);
            }
            EventKind::TimedOut { after } => {
                l.push_str(",\"event\":\"timeout\",\"after_ns\":");
                l.push_u64(after);
            }
            EventKind::Cancel { target } => {
                l.push_str(",\"event\":\"cancel\"");
                field(l, "target", target);
            }
            EventKind::Interrupt { target, ignored } => {
                l.push_str(",\"event\":\"interrupt\"");
                field(l, "target", target);
                if ignored {
                    l.push_str(",\"ignored\":true");
                }
            }
            EventKind::Preempted { semaphore } => {
                l.push_str(",\"event\":\"preempted\"");
                field(l, "semaphore", &m.semaphores[semaphore].name);
            }
            EventKind::Acquire { semaphore, blocked } => {
                l.push_str(",\"event\":\"acquire\"");
                field(l, "semaphore", &m.semaphores[semaphore].name);
                l.push_str(",\"blocked_ns\":");
                l.push_u64(blocked);
            }
            EventKind::Release { semaphore } => {
                l.push_str(",\"event\":\"release\"");
                field(l, "semaphore", &m.semaphores[semaphore].name);
            }
            EventKind::Set { event } => {
                l.push_str(",\"event\":\"set\"");
                field(l, "name", &m.events[event]);
            }
            EventKind::Clear { event } => {
                l.push_str(",\"event\":\"clear\"");
                field(l, "name", &m.events[event]);
            }
            EventKind::EventWaited { event } => {
                l.push_str(",\"event\":\"wait-event\"");
                field(l, "name", &m.events[event]);
            }
            EventKind::Barrier { barrier } => {
                l.push_str(",\"event\":\"barrier\"");
                field(l, "barrier", &m.barriers[barrier]);
            }
            EventKind::Throttle { limit, blocked } => {
                l.push_str(",\"event\":\"throttle\"");
                field(l, "limit", &m.rate_limits[limit]);
                l.push_str(",\"blocked_ns\":");
                l.push_u64(blocked);
            }
            EventKind::Level { container, take, amount, level, waited } => {
                l.push_str(if take { ",\"event\":\"take\"" } else { ",\"event\":\"fill\"" });
                field(l, "container", &m.containers[container as usize].name);
                let _ = write!(l, ",\"amount\":{amount},\"level\":{level},\"waited_ns\":{waited}");
            }
            EventKind::Add { counter, by, value } => {
                l.push_str(",\"event\":\"add\"");
                field(l, "counter", &m.counters[counter]);
                let _ = write!(l, ",\"by\":{by},\"value\":{value}");
            }
            EventKind::Busy { duration } => {
                l.push_str(",\"event\":\"busy\",\"duration_ns\":");
                l.push_u64(duration);
            }
            EventKind::ToThread { duration } => {
                l.push_str(",\"event\":\"to-thread\",\"duration_ns\":");
                l.push_u64(duration);
            }
            EventKind::ThreadAbandoned { semaphore, until } => {
                l.push_str(",\"event\":\"thread-abandoned\"");
                field(l, "semaphore", &m.semaphores[semaphore].name);
                l.push_str(",\"until_ns\":");
                l.push_u64(until);
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
            EventKind::End { outcome, .. } => {
                l.push_str(",\"event\":\"end\",\"outcome\":\"");
                l.push_str(outcome.as_str());
                l.push('"');
            }
        }
        l.push_str("}\n");
        self.lines.flush_line();
    }

    fn end(&mut self, _: &Model, s: &Summary) -> io::Result<()> {
        let l = &mut self.lines.line;
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
                ",\"puts\":{},\"gets\":{},\"left\":{},\"max_len\":{},\"max_wait_ns\":{},\"dropped\":{},\"blocked_puts\":{},\"max_put_wait_ns\":{}",
                q.puts, q.gets, q.left, q.max_len, q.waits.max, q.dropped, q.blocked_puts, q.max_put_wait
            );
            push_distribution(l, "wait", &q.waits);
            push_distribution(l, "system", &q.system);
            if let Some(length) = q.mean_length(s.window) {
                let _ = write!(l, ",\"mean_len\":{}", (length * 1e6).round() / 1e6);
            }
            l.push('}');
        }
        l.push_str("],\"semaphores\":[");
        for (k, sem) in s.semaphores.iter().enumerate() {
            l.push_str(if k == 0 { "{\"name\":" } else { ",{\"name\":" });
            push_json_str(l, &sem.name);
            let _ = write!(
                l,
                ",\"permits\":{},\"free_at_end\":{},\"acquisitions\":{},\"waited\":{},\"max_wait_ns\":{},\"abandoned\":{}",
                sem.permits, sem.free_at_end, sem.acquisitions, sem.waited, sem.waits.max, sem.abandoned
            );
            push_distribution(l, "wait", &sem.waits);
            if let Some(utilisation) = sem.utilisation(s.window) {
                let _ = write!(l, ",\"utilisation\":{}", (utilisation * 1e6).round() / 1e6);
            }
            l.push('}');
        }
        l.push_str("],\"tasks\":[");
        for (k, t) in s.tasks.iter().enumerate() {
            l.push_str(if k == 0 { "{\"name\":" } else { ",{\"name\":" });
            push_json_str(l, &t.name);
            let _ = write!(
                l,
                ",\"started\":{},\"completed\":{},\"cancelled\":{},\"failed\":{},\"retries\":{},\"timeouts\":{},\"puts\":{},\"dropped\":{},\"mean_lifetime_ns\":{},\"max_lifetime_ns\":{}}}",
                t.started,
                t.completed,
                t.cancelled,
                t.failed,
                t.retries,
                t.timeouts,
                t.puts,
                t.dropped,
                t.lifetimes.mean_ns().unwrap_or(0),
                t.lifetimes.max
            );
        }
        l.push_str("]}\n");
        self.lines.finish()
    }

    fn needs_statistics(&self) -> bool {
        true
    }
}

/// Appends an item as a JSON string: its text, or its number in quotes.
fn push_json_item(out: &mut Text, item: ItemText<'_>) {
    match item {
        ItemText::Text(text) => push_json_str(out, text),
        ItemText::Number(n) => {
            out.push('"');
            out.push_u64(n);
            out.push('"');
        }
    }
}

/// `,"mean_wait_ns":…,"p50_wait_ns":…,"p90_wait_ns":…,"p99_wait_ns":…`, when anything was
/// recorded. Means in whole nanoseconds, rounded down.
fn push_distribution(out: &mut Text, name: &str, d: &crate::sink::Durations) {
    if let Some(mean) = d.mean_ns() {
        let _ = write!(out, ",\"mean_{name}_ns\":{mean}");
        for (p, quantile) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            let _ = write!(out, ",\"{p}_{name}_ns\":{}", d.quantile(quantile).unwrap_or(0));
        }
    }
}
