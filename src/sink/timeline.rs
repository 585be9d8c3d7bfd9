//! `--format text`: a timeline with the virtual time and task of every event, then statistics.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{LineStart, Lines, Sink, Summary, TaskColumns, Text};
use crate::event::{Event, EventKind, ItemText, Model};
use crate::seconds::{push_seconds, push_spaces, push_time};

/// Renders each event as a line of the timeline, as it happens.
pub struct Timeline {
    pub(super) lines: Lines,
    /// The first column at the current instant.
    time: LineStart,
    /// The second: the label, padded.
    labels: TaskColumns,
    /// The times a sleep said it would last until, as written: most become the time column
    /// of a later instant (the sleep's end), which then need not be rendered again.
    untils: Untils,
}

/// Times as the timeline writes them, in 64 slots by a hash of the time; a slot's text is
/// empty until it holds one.
struct Untils(Vec<(u64, Text)>);

impl Untils {
    fn new() -> Self {
        Untils(std::iter::repeat_with(|| (u64::MAX, Text::default())).take(64).collect())
    }

    fn slot(&mut self, time: u64) -> &mut (u64, Text) {
        &mut self.0[(time.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize]
    }

    /// `time` as [`push_time`] writes it, kept for [`Untils::push_padded`].
    fn push(&mut self, out: &mut Text, time: u64) {
        let slot = self.slot(time);
        if slot.0 != time || slot.1.is_empty() {
            slot.0 = time;
            slot.1.clear();
            slot.1.push_time_padded(time, 0);
        }
        out.push_bytes(slot.1.as_bytes());
    }

    /// `time` right-aligned in `width` columns, from its slot when it has one.
    fn push_padded(&mut self, out: &mut Text, time: u64, width: usize) {
        let slot = self.slot(time);
        if slot.0 == time && !slot.1.is_empty() {
            push_spaces(out, width.saturating_sub(slot.1.len()));
            out.push_bytes(slot.1.as_bytes());
        } else {
            out.push_time_padded(time, width);
        }
    }
}

impl Timeline {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Timeline::with(Lines::new(out, u64::MAX))
    }

    pub(super) fn with(lines: Lines) -> Self {
        Timeline { lines, time: LineStart::new(), labels: TaskColumns::new(), untils: Untils::new() }
    }
}

impl Sink for Timeline {
    fn stopped(&self) -> Option<&io::Error> {
        self.lines.error.as_ref()
    }

    fn begin(&mut self, m: &Model, seed: u64) {
        let l = &mut self.lines.line;
        if let Some(d) = &m.description {
            l.push_str("# ");
            push_escaped(l, d);
            l.push('\n');
        }
        let _ = writeln!(l, "# seed {seed}");
        let _ = writeln!(l, "{:>14}  {:<w$}  event", "time (s)", "task", w = m.label_width);
        self.lines.flush_line();
    }

    fn event(&mut self, m: &Model, ev: &Event<'_>) {
        let l = &mut self.lines.line;
        let untils = &mut self.untils;
        l.push_bytes(self.time.at(ev.time, |s, time| untils.push_padded(s, time, 14)));
        l.push_bytes(self.labels.of(ev.id, ev.task, |s, task| {
            // The label left-aligned in its column, padded by characters as `{:<w$}` pads.
            s.push_str("  ");
            s.push_str(task);
            push_spaces(s, m.label_width.saturating_sub(task.chars().count()) + 2);
        }));
        match ev.kind {
            EventKind::Start { by } => {
                l.push_str("started by ");
                l.push_str(by);
            }
            EventKind::Say { text } => {
                l.push_str("say: ");
                push_escaped(l, text);
            }
            EventKind::Sleep { duration } => {
                l.push_str("sleep ");
                l.push_duration(duration);
                l.push_str(" (until ");
                self.untils.push(l, ev.time.saturating_add(duration));
                l.push(')');
            }
            EventKind::Put { queue, item, blocked } => {
                l.push_str("put ");
                push_item(l, item);
                l.push_str(" on ");
                l.push_str(&m.queues[queue]);
                push_blocked(l, blocked, "for space");
            }
            EventKind::Sent { queue, item, delay } => {
                l.push_str("sent ");
                push_item(l, item);
                l.push_str(" to ");
                l.push_str(&m.queues[queue]);
                l.push_str(", there in ");
                l.push_duration(delay);
            }
            EventKind::Answered { queue, reply, response } => {
                l.push_str("got the reply ");
                push_escaped(l, reply);
                l.push_str(" from ");
                l.push_str(&m.queues[queue]);
                l.push_str(" after ");
                l.push_duration(response);
            }
            EventKind::Reply { queue, late } => {
                l.push_str("replied to a request from ");
                l.push_str(&m.queues[queue]);
                if late {
                    l.push_str(" (late: the caller gave up)");
                }
            }
            EventKind::Get { queue, item, waited } => {
                l.push_str("got ");
                push_item(l, item);
                l.push_str(" from ");
                l.push_str(&m.queues[queue]);
                l.push_str(", queued ");
                l.push_duration(waited);
            }
            EventKind::Dropped { queue, item } => {
                l.push_str("dropped ");
                push_item(l, item);
                let _ = write!(l, ": {} is full", m.queues[queue]);
            }
            EventKind::Done { queue } => {
                l.push_str("done with an item of ");
                l.push_str(&m.queues[queue]);
            }
            EventKind::Join { queue } => {
                let _ = write!(l, "joined {}: every item is done", m.queues[queue]);
            }
            EventKind::TimedOut { after } => {
                l.push_str("timed out after ");
                l.push_duration(after);
            }
            EventKind::Cancel { target } => {
                let _ = write!(l, "cancel {target}");
            }
            EventKind::Interrupt { target, ignored } => {
                let _ = write!(l, "interrupt {target}");
                if ignored {
                    l.push_str(" (ignored: it is handling an interrupt)");
                }
            }
            EventKind::Preempted { semaphore } => {
                let _ = write!(l, "preempted: lost {}", m.semaphores[semaphore].name);
            }
            EventKind::Acquire { semaphore, blocked } => {
                l.push_str("acquired ");
                l.push_str(&m.semaphores[semaphore].name);
                push_blocked(l, blocked, "for a permit");
            }
            EventKind::Release { semaphore } => {
                l.push_str("released ");
                l.push_str(&m.semaphores[semaphore].name);
            }
            EventKind::Set { event } => {
                let _ = write!(l, "set {}", m.events[event]);
            }
            EventKind::Clear { event } => {
                let _ = write!(l, "cleared {}", m.events[event]);
            }
            EventKind::EventWaited { event } => {
                let _ = write!(l, "saw {} set", m.events[event]);
            }
            EventKind::Barrier { barrier } => {
                let _ = write!(l, "passed barrier {}", m.barriers[barrier]);
            }
            EventKind::Throttle { limit, blocked } => {
                let _ = write!(l, "took a token from {}", m.rate_limits[limit]);
                push_blocked(l, blocked, "for it");
            }
            EventKind::Busy { duration } => {
                l.push_str("busy on the event loop for ");
                l.push_duration(duration);
                l.push_str(" (every task waits)");
            }
            EventKind::ToThread { duration } => {
                l.push_str("to a thread for ");
                l.push_duration(duration);
            }
            EventKind::ThreadAbandoned { semaphore, until } => {
                let _ = write!(
                    l,
                    "stopped waiting for its thread work, which holds {} until ",
                    m.semaphores[semaphore].name
                );
                l.push_time_padded(until, 0);
            }
            EventKind::Fail { message } => {
                l.push_str("failed: ");
                push_escaped(l, message);
            }
            EventKind::Retry { attempt, delay } => {
                let _ = write!(l, "attempt {attempt} after ");
                l.push_duration(delay);
            }
            EventKind::RaceWon { winner } => {
                let _ = write!(l, "race won by {winner}");
            }
            EventKind::Gathered { completed, failed, cancelled } => {
                let _ = write!(l, "gathered: {completed} completed, {failed} failed, {cancelled} cancelled");
            }
            EventKind::Add { counter, by, value } => {
                let _ = write!(l, "added {by} to {}, now {value}", m.counters[counter]);
            }
            EventKind::Level { container, take, amount, level, waited } => {
                let name = &m.containers[container as usize].name;
                let _ = if take {
                    write!(l, "took {amount} from {name}, now {level}")
                } else {
                    write!(l, "filled {name} with {amount}, now {level}")
                };
                if waited > 0 {
                    l.push_str(" (waited ");
                    l.push_duration(waited);
                    l.push(')');
                }
            }
            EventKind::End { outcome, .. } => l.push_str(outcome.as_str()),
        }
        l.push('\n');
        self.lines.flush_line();
    }

    fn end(&mut self, _: &Model, s: &Summary) -> io::Result<()> {
        let l = &mut self.lines.line;
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
        if s.window_start > 0 {
            l.push_str("statistics from ");
            push_time(l, s.window_start);
            l.push_str(" s (after the warm-up)\n");
        }
        for q in &s.queues {
            let _ =
                write!(l, "queue {}: {} put, {} got, {} left, longest {}", q.name, q.puts, q.gets, q.left, q.max_len);
            if q.dropped > 0 {
                let _ = write!(l, ", {} dropped", q.dropped);
            }
            if q.blocked_puts > 0 {
                let _ = write!(l, ", {} puts waited (longest ", q.blocked_puts);
                push_seconds(l, q.max_put_wait, Some(6));
                l.push_str(" s)");
            }
            if let Some(mean) = q.waits.mean_ns() {
                l.push_str(", queued mean ");
                push_seconds(l, mean, Some(6));
                l.push_str(" s, max ");
                push_seconds(l, q.waits.max, Some(6));
                l.push_str(" s");
            }
            l.push('\n');
            if q.puts > 0 {
                l.push_str("  ");
                if let Some(length) = q.mean_length(s.window) {
                    let _ = write!(l, "mean length {length:.3}");
                }
                if q.waits.count > 0 {
                    l.push_str("; queued");
                    push_percentiles(l, &q.waits);
                }
                push_mean_percentiles_max(l, "; in system", &q.system);
                l.push('\n');
            }
            if q.replies > 0 || q.late_replies > 0 {
                let _ = write!(l, "  {} calls answered, {} late replies", q.replies, q.late_replies);
                push_mean_percentiles_max(l, "; response", &q.responses);
                l.push('\n');
            }
        }
        for sem in &s.semaphores {
            let _ = write!(
                l,
                "semaphore {}: {} acquired, {} had to wait, longest wait ",
                sem.name, sem.acquisitions, sem.waited
            );
            push_seconds(l, sem.waits.max, Some(6));
            let _ = write!(l, " s, {} of {} permits free at the end", sem.free_at_end, sem.permits);
            if sem.abandoned > 0 {
                let _ = write!(l, ", {} abandoned runs kept their thread to the end", sem.abandoned);
            }
            if sem.preempted > 0 {
                let _ = write!(l, ", {} preempted", sem.preempted);
            }
            l.push('\n');
            if let Some(utilisation) = sem.utilisation(s.window).filter(|_| sem.acquisitions > 0) {
                let _ = write!(l, "  utilisation {utilisation:.3}; wait mean ");
                push_seconds(l, sem.waits.mean_ns().unwrap_or(0), Some(6));
                l.push_str(" s,");
                push_percentiles(l, &sem.waits);
                l.push('\n');
            }
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
            if t.retries > 0 {
                let _ = write!(l, ", {} retries", t.retries);
            }
            if t.timeouts > 0 {
                let _ = write!(l, ", {} timed out", t.timeouts);
            }
            if let Some(rate) = t.offered_rate(s.window) {
                let _ = write!(l, "; offered {} ({rate:.3} a second), {} dropped", t.puts + t.dropped, t.dropped);
            }
            if let Some(mean) = t.lifetimes.mean_ns() {
                l.push_str("; ran mean ");
                push_seconds(l, mean, Some(6));
                l.push_str(" s, max ");
                push_seconds(l, t.lifetimes.max, Some(6));
                l.push_str(" s");
            }
            l.push('\n');
        }
        for c in &s.containers {
            let _ = write!(l, "container {}: {} at the end", c.name, c.level);
            if let Some(capacity) = c.capacity {
                let _ = write!(l, " of {capacity}");
            }
            let _ = writeln!(
                l,
                ", lowest {}, highest {}, mean {:.2}; {} taken in {} takes, {} filled in {} fills, {} waited",
                c.min,
                c.max,
                c.mean(),
                c.taken,
                c.takes,
                c.filled,
                c.fills,
                c.waited
            );
        }
        for c in &s.counters {
            let _ = writeln!(
                l,
                "counter {}: {} at the end, lowest {}, highest {}; {} adds",
                c.name, c.value, c.min, c.max, c.adds
            );
        }
        self.lines.finish()
    }

    fn needs_statistics(&self) -> bool {
        true
    }
}

/// Appends text from the scenario so that it stays on its line and cannot steer the terminal: a
/// newline or another control character is written as an escape (`\n`, `\u{1b}`), so that a
/// message can never forge a line of the timeline. JSONL keeps the text exact.
fn push_escaped(out: &mut Text, text: &str) {
    // Control characters are bytes below 0x20, 0x7f, or (U+0080 to U+009F) begin with 0xc2:
    // text with none of those bytes is written as it is, without decoding it.
    if !super::has_byte(text.as_bytes(), 0x20, 0x7f, 0xc2) || !text.chars().any(char::is_control) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Appends an item: its text as [`push_escaped`] writes it, or its number.
#[inline(always)]
fn push_item(out: &mut Text, item: ItemText<'_>) {
    match item {
        ItemText::Text(text) => push_escaped(out, text),
        ItemText::Number(n) => out.push_u64(n),
    }
}

/// `; in system mean 1.000000 s, p50 …, max 3.000000 s`: a distribution's mean, percentiles and
/// maximum after `what`, when it has values.
fn push_mean_percentiles_max(l: &mut Text, what: &str, d: &crate::sink::Durations) {
    if let Some(mean) = d.mean_ns() {
        l.push_str(what);
        l.push_str(" mean ");
        push_seconds(l, mean, Some(6));
        l.push_str(" s,");
        push_percentiles(l, d);
        l.push_str(", max ");
        push_seconds(l, d.max, Some(6));
        l.push_str(" s");
    }
}

/// ` p50 0.1 s, p90 0.5 s, p99 1.2 s`: the percentiles of a distribution.
fn push_percentiles(out: &mut Text, d: &crate::sink::Durations) {
    for (k, (name, quantile)) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].into_iter().enumerate() {
        out.push_str(if k == 0 { " " } else { ", " });
        let _ = write!(out, "{name} ");
        push_seconds(out, d.quantile(quantile).unwrap_or(0), Some(6));
        out.push_str(" s");
    }
}

/// ` after 2 s waiting for space`, when the task had to wait at all.
fn push_blocked(out: &mut Text, blocked: u64, what: &str) {
    if blocked > 0 {
        out.push_str(" after ");
        out.push_duration(blocked);
        let _ = write!(out, " waiting {what}");
    }
}

#[cfg(test)]
mod tests {
    use super::{Text, Untils};
    use crate::seconds::{push_time, push_time_padded};

    /// A time column written from a kept "until" is the column written afresh, whichever times
    /// share a slot, including the largest time (the slots' initial one).
    #[test]
    fn a_kept_time_is_written_as_a_fresh_one() {
        let mut untils = Untils::new();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut times = vec![u64::MAX, 0, 1, 1000, 1_500_000_000, 999_999_999_999];
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            times.push(x % 100_000_000_000_000);
        }
        for (k, &time) in times.iter().enumerate() {
            let (mut kept, mut fresh) = (Text::default(), String::new());
            // Half the times were written as an "until" before they are a column.
            if k % 2 == 0 {
                untils.push(&mut kept, time);
                push_time(&mut fresh, time);
                assert_eq!(kept.as_bytes(), fresh.as_bytes());
                kept.clear();
                fresh.clear();
            }
            untils.push_padded(&mut kept, time, 14);
            push_time_padded(&mut fresh, time, 14);
            assert_eq!(kept.as_bytes(), fresh.as_bytes(), "{time}");
        }
    }
}
