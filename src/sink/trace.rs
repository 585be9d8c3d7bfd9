//! `run --trace FILE`: the run in the Chrome trace-event format, which Perfetto's UI
//! (ui.perfetto.dev) and chrome://tracing open. Virtual time is the axis.
//!
//! - One track (thread) per task replica, named by its label and ordered as replicas were first
//!   seen (a replica started again after it ended is a new track), grouped by declared task: each task is a process (`main` first, then in the file's
//!   order), and the counters are in a process of their own, first, named by the scenario.
//! - A slice for every wait: a sleep, blocking work, a hold of a permit (begin and end events on
//!   the task's track), and each wait for an item, a place, a permit or a token (a complete
//!   event over the time it waited).
//! - A slice for every timeout scope (a `timeout` block or step), from entering it to leaving
//!   it, as an async slice (`b`/`e`) of the task's track: a permit held inside a scope may be
//!   released after it, which slices of one track, nested, could not show.
//! - An instant for every `say`, and one for each other step that records an event.
//! - Counter tracks: each queue's length and each semaphore's permits in use.
//! - Flow arrows from each put to the get that took the item (queues are first in, first out).
//!
//! Written as the run goes, never held in memory: about 150 bytes an event (10^6 M/M/4
//! customers, 5·10^6 events, make 770 MB). A window (`--trace-from`, `--trace-until`) keeps only
//! what happens inside it: a slice begun inside it ends in it (at its end at the latest), and one
//! begun before it is left out. Bytes are the same for the same file and seed, as every output is.

use std::collections::HashMap;
use std::io::{self, Write};

use super::{Lines, Sink, Summary, push_json_str};
use crate::event::{Event, EventKind, Mark, MarkKind, Model};
use crate::seconds::push_u64;

/// Renders the run as Chrome trace events.
pub struct Trace {
    lines: Lines,
    /// Per task label: its track, and how many of its slices are open (begun, not ended).
    tracks: HashMap<String, Track>,
    /// The next track number.
    next: u64,
    /// Per queue: items put and got so far, for the flow arrows.
    puts: Vec<u64>,
    gets: Vec<u64>,
    lengths: Vec<u64>,
    in_use: Vec<u64>,
    /// Whether an event was written (for the commas between them).
    any: bool,
    /// The virtual times kept, both ends included.
    from: u64,
    until: u64,
    /// Whether the event being rendered is inside the window.
    inside: bool,
    /// Ends of slices shown, closed by an event outside the window (whose own output is left
    /// out).
    ends: String,
    /// The number of the next timeout scope (each scope's async slice has its own id).
    scopes: u64,
    /// Per track number: its process, the declared task's number plus 2 (1 is the counters').
    pids: Vec<u64>,
    /// Per declared task: whether its process was named.
    named: Vec<bool>,
}

#[derive(Default)]
struct Track {
    tid: u64,
    /// Whether its name was written.
    named: bool,
    /// When the task last did something (its last event, or the end of its last wait): a get
    /// that completes later waited since then.
    last: u64,
    /// The open slices, innermost last: a wait (closed by the task's next event) or a hold
    /// (closed by its release).
    open: Vec<Open>,
    /// The timeout scopes the task is in, innermost last: their number, length, and whether
    /// their beginning was written.
    scopes: Vec<(u64, u64, bool)>,
}

/// An open slice, and whether its beginning was written (it began inside the window).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    /// A sleep or blocking work, due to end at this time: it ends then, or earlier when the task
    /// next does anything (it was cancelled, or gave up waiting for its thread).
    Wait(u64, bool),
    /// A hold of a semaphore's permit: ends at its release.
    Hold(usize, bool),
}

impl Trace {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Trace {
            lines: Lines::new(out, u64::MAX),
            tracks: HashMap::new(),
            next: 1,
            puts: Vec::new(),
            gets: Vec::new(),
            lengths: Vec::new(),
            in_use: Vec::new(),
            any: false,
            from: 0,
            until: u64::MAX,
            inside: true,
            ends: String::new(),
            scopes: 0,
            pids: vec![1],
            named: Vec::new(),
        }
    }

    /// Keeps only what happens from `from` to `until` (virtual nanoseconds, both included).
    pub fn window(mut self, from: u64, until: u64) -> Self {
        (self.from, self.until) = (from, until);
        self
    }

    /// Starts an event object: `{"ph":"X","pid":P,"tid":T,"ts":US`, on track `tid` of its
    /// task's process (`tid` 0: the counters' process).
    fn start(&mut self, phase: &str, tid: u64, ns: u64) {
        let pid = self.pids.get(tid as usize).copied().unwrap_or(1);
        let l = &mut self.lines.line;
        l.push_str(if self.any { ",\n{\"ph\":\"" } else { "\n{\"ph\":\"" });
        self.any = true;
        l.push_str(phase);
        l.push_str("\",\"pid\":");
        push_u64(l, pid, 1);
        l.push_str(",\"tid\":");
        push_u64(l, tid, 1);
        l.push_str(",\"ts\":");
        push_us(l, ns);
    }

    /// Ends an event object with its name (and the rest of its fields, already written).
    fn name(&mut self, name: &str) {
        let l = &mut self.lines.line;
        l.push_str(",\"name\":");
        push_json_str(l, name);
        l.push('}');
    }

    /// The track of a task label, announcing it (its name, and its task's process the first
    /// time that is seen) the first time it is inside the window.
    fn track(&mut self, m: &Model, label: &str, decl: usize, time: u64) -> u64 {
        let tid = match self.tracks.get_mut(label) {
            Some(t) if t.named || !self.inside => return t.tid,
            Some(t) => {
                t.named = true;
                t.tid
            }
            None => {
                let tid = self.next;
                self.next += 1;
                self.pids.push(decl as u64 + 2);
                let named = self.inside;
                self.tracks
                    .insert(label.to_owned(), Track { tid, named, last: time, open: Vec::new(), scopes: Vec::new() });
                if !named {
                    return tid;
                }
                tid
            }
        };
        if self.named.len() <= decl {
            self.named.resize(decl + 1, false);
        }
        if !self.named[decl] {
            self.named[decl] = true;
            self.start("M", tid, time);
            let l = &mut self.lines.line;
            l.push_str(",\"args\":{\"name\":");
            push_json_str(l, m.tasks.get(decl).map_or(label, String::as_str));
            l.push('}');
            self.name("process_name");
            self.start("M", tid, time);
            let l = &mut self.lines.line;
            l.push_str(",\"args\":{\"sort_index\":");
            push_u64(l, decl as u64 + 2, 1);
            l.push('}');
            self.name("process_sort_index");
        }
        self.start("M", tid, time);
        let l = &mut self.lines.line;
        l.push_str(",\"args\":{\"name\":");
        push_json_str(l, label);
        l.push('}');
        self.name("thread_name");
        self.start("M", tid, time);
        let l = &mut self.lines.line;
        l.push_str(",\"args\":{\"sort_index\":");
        push_u64(l, tid, 1);
        l.push('}');
        self.name("thread_sort_index");
        tid
    }

    /// Ends the open wait of a task (a sleep, blocking work), if it has one: it has just done
    /// something else.
    fn end_wait(&mut self, label: &str, tid: u64, time: u64) {
        let Some(t) = self.tracks.get_mut(label) else { return };
        if let Some(&Open::Wait(until, shown)) = t.open.last() {
            t.open.pop();
            t.last = time.min(until);
            self.close(tid, time, Open::Wait(until, shown));
        }
    }

    /// Ends an open slice at `time`, or a wait at its due time if that is earlier, and at the
    /// end of the window at the latest; nothing if its beginning was left out.
    fn close(&mut self, tid: u64, time: u64, open: Open) {
        let (at, shown) = match open {
            Open::Wait(until, shown) => (time.min(until), shown),
            Open::Hold(_, shown) => (time, shown),
        };
        if !shown {
            return;
        }
        if self.inside {
            self.start("E", tid, at.min(self.until));
            self.lines.line.push('}');
        } else {
            // Written after this event's own output is left out.
            let mut end = String::from(",\n{\"ph\":\"E\",\"pid\":");
            push_u64(&mut end, self.pids.get(tid as usize).copied().unwrap_or(1), 1);
            end.push_str(",\"tid\":");
            push_u64(&mut end, tid, 1);
            end.push_str(",\"ts\":");
            push_us(&mut end, at.min(self.until));
            end.push('}');
            self.ends.push_str(&end);
        }
    }

    fn begin(&mut self, label: &str, tid: u64, time: u64, open: Open, name: &str) {
        if let Some(t) = self.tracks.get_mut(label) {
            t.open.push(open);
        }
        self.start("B", tid, time);
        self.name(name);
    }

    /// A complete slice that ended now and lasted `dur` ns.
    fn complete(&mut self, tid: u64, time: u64, dur: u64, name: &str) {
        self.start("X", tid, time - dur);
        self.lines.line.push_str(",\"dur\":");
        push_us(&mut self.lines.line, dur);
        self.name(name);
    }

    fn instant(&mut self, tid: u64, time: u64, name: &str) {
        self.start("i", tid, time);
        self.lines.line.push_str(",\"s\":\"t\"");
        self.name(name);
    }

    fn counter(&mut self, time: u64, name: &str, key: &str, value: u64) {
        self.start("C", 0, time);
        let l = &mut self.lines.line;
        l.push_str(",\"args\":{");
        push_json_str(l, key);
        l.push(':');
        push_u64(l, value, 1);
        l.push('}');
        self.name(name);
    }

    /// One end of a timeout scope's async slice (`b` or `e`, both with its name).
    fn scope(&mut self, phase: &str, tid: u64, time: u64, id: u64, after: u64) {
        self.start(phase, tid, time);
        let l = &mut self.lines.line;
        l.push_str(",\"cat\":\"timeout\",\"id\":\"");
        push_u64(l, id, 1);
        l.push('"');
        let mut name = String::from("timeout ");
        crate::seconds::push_duration(&mut name, after);
        self.name(&name);
    }

    /// A counter track's value, which may be negative.
    fn counter_signed(&mut self, time: u64, name: &str, key: &str, value: i64) {
        self.start("C", 0, time);
        let l = &mut self.lines.line;
        l.push_str(",\"args\":{");
        push_json_str(l, key);
        l.push(':');
        let mut digits = itoa::Buffer::new();
        l.push_str(digits.format(value));
        l.push('}');
        self.name(name);
    }

    /// One end of a flow arrow from a put to its get.
    fn flow(&mut self, phase: &str, tid: u64, time: u64, queue: usize, k: u64) {
        self.start(phase, tid, time);
        let l = &mut self.lines.line;
        l.push_str(",\"cat\":\"item\",\"id\":\"");
        push_u64(l, queue as u64, 1);
        l.push('.');
        push_u64(l, k, 1);
        l.push('"');
        if phase == "f" {
            l.push_str(",\"bp\":\"e\"");
        }
        self.name("item");
    }
}

/// Microseconds, the format's unit, from nanoseconds: exact, with three decimals when needed.
fn push_us(out: &mut impl crate::seconds::Push, ns: u64) {
    push_u64(out, ns / 1000, 1);
    if ns % 1000 != 0 {
        out.push('.');
        push_u64(out, ns % 1000, 3);
    }
}

impl Sink for Trace {
    fn stopped(&self) -> Option<&io::Error> {
        self.lines.error.as_ref()
    }

    fn begin(&mut self, m: &Model, seed: u64) {
        self.puts = vec![0; m.queues.len()];
        self.gets = vec![0; m.queues.len()];
        self.lengths = vec![0; m.queues.len()];
        self.in_use = vec![0; m.semaphores.len()];
        self.lines.line.push_str("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"clock\":\"virtual\",\"seed\":");
        push_u64(&mut self.lines.line, seed, 1);
        self.lines.line.push_str("},\"traceEvents\":[");
        self.start("M", 0, 0);
        let l = &mut self.lines.line;
        l.push_str(",\"args\":{\"name\":");
        push_json_str(l, m.description.as_deref().unwrap_or("scenario"));
        l.push('}');
        self.name("process_name");
        self.start("M", 0, 0);
        self.lines.line.push_str(",\"args\":{\"sort_index\":1}");
        self.name("process_sort_index");
        self.lines.flush_line();
    }

    fn event(&mut self, m: &Model, ev: &Event<'_>) {
        let (label, time) = (ev.task, ev.time);
        self.inside = self.from <= time && time <= self.until;
        let mark = (self.lines.line.len(), self.any);
        let tid = self.track(m, label, ev.decl, time);
        self.end_wait(label, tid, time);
        let mut text = String::new();
        match ev.kind {
            EventKind::Sleep { duration } => {
                text.push_str("sleep ");
                crate::seconds::push_duration(&mut text, duration);
                self.begin(label, tid, time, Open::Wait(time.saturating_add(duration), self.inside), &text);
            }
            EventKind::Busy { duration } | EventKind::ToThread { duration } => {
                let what = if matches!(ev.kind, EventKind::Busy { .. }) { "busy " } else { "to thread " };
                text.push_str(what);
                crate::seconds::push_duration(&mut text, duration);
                self.begin(label, tid, time, Open::Wait(time.saturating_add(duration), self.inside), &text);
            }
            EventKind::Say { text: said } => self.instant(tid, time, said),
            EventKind::Put { queue, blocked, .. } => {
                let q = &m.queues[queue];
                if blocked > 0 {
                    self.complete(tid, time, blocked, &format!("waits for space on {q}"));
                }
                self.flow("s", tid, time, queue, self.puts[queue]);
                self.puts[queue] += 1;
                self.lengths[queue] += 1;
                self.counter(time, &format!("queue {q}"), "length", self.lengths[queue]);
            }
            EventKind::Sent { queue, .. } => self.instant(tid, time, &format!("sent to {}", m.queues[queue])),
            EventKind::Answered { queue, response, .. } => {
                self.complete(tid, time, response, &format!("waits for a reply from {}", m.queues[queue]));
            }
            EventKind::Reply { queue, late } => {
                let q = &m.queues[queue];
                self.instant(tid, time, &if late { format!("late reply on {q}") } else { format!("replied on {q}") });
            }
            EventKind::Get { queue, .. } => {
                let q = &m.queues[queue];
                // The item's own time in the queue is the flow arrow; the getter waited since it
                // last did anything.
                let since = self.tracks.get(label).map_or(time, |t| t.last);
                if since < time {
                    self.complete(tid, time, time - since, &format!("waits to get from {q}"));
                }
                self.flow("f", tid, time, queue, self.gets[queue]);
                self.gets[queue] += 1;
                self.lengths[queue] = self.lengths[queue].saturating_sub(1);
                self.counter(time, &format!("queue {q}"), "length", self.lengths[queue]);
            }
            EventKind::Acquire { semaphore, blocked } => {
                let s = &m.semaphores[semaphore].name;
                if blocked > 0 {
                    self.complete(tid, time, blocked, &format!("waits for {s}"));
                }
                self.begin(label, tid, time, Open::Hold(semaphore, self.inside), &format!("holds {s}"));
                self.in_use[semaphore] += 1;
                self.counter(time, &format!("semaphore {s}"), "in use", self.in_use[semaphore]);
            }
            EventKind::Release { semaphore } | EventKind::Preempted { semaphore } => {
                let s = &m.semaphores[semaphore].name;
                if matches!(ev.kind, EventKind::Preempted { .. }) {
                    self.instant(tid, time, &format!("preempted from {s}"));
                }
                // A hold ends on its own track: close it, and anything still open inside it.
                let open = self.tracks.get_mut(label).map(|t| &mut t.open);
                let holds = |o: &Open| matches!(o, Open::Hold(held, _) if *held == semaphore);
                if let Some(open) = open.filter(|o| o.iter().any(holds)) {
                    let mut ended = Vec::new();
                    while let Some(o) = open.pop() {
                        ended.push(o);
                        if holds(&o) {
                            break;
                        }
                    }
                    for o in ended {
                        self.close(tid, time, o);
                    }
                } else {
                    self.instant(tid, time, &format!("releases {s}"));
                }
                self.in_use[semaphore] = self.in_use[semaphore].saturating_sub(1);
                self.counter(time, &format!("semaphore {s}"), "in use", self.in_use[semaphore]);
            }
            EventKind::Throttle { limit, blocked } if blocked > 0 => {
                self.complete(tid, time, blocked, &format!("waits for a token of {}", m.rate_limits[limit]));
            }
            EventKind::End { outcome, .. } => {
                // Whatever is still open on the track ends with the task.
                let open = self.tracks.get_mut(label).map(|t| std::mem::take(&mut t.open)).unwrap_or_default();
                for o in open.into_iter().rev() {
                    self.close(tid, time, o);
                }
                self.instant(tid, time, outcome.as_str());
                // Its track is done with: memory stays flat however many tasks a run starts
                // (one per arrival, say). A label started again gets a track of its own.
                self.tracks.remove(label);
            }
            EventKind::Start { by } => self.instant(tid, time, &format!("started by {by}")),
            EventKind::Level { container, take, amount, level, waited } => {
                let name = &m.containers[container as usize].name;
                if waited > 0 {
                    let what = if take { "waits to take from" } else { "waits for room in" };
                    self.complete(tid, time, waited, &format!("{what} {name}"));
                }
                let what =
                    if take { format!("took {amount} from {name}") } else { format!("filled {name} with {amount}") };
                self.instant(tid, time, &what);
                self.counter_signed(
                    time,
                    &format!("container {name}"),
                    "level",
                    i64::try_from(level).unwrap_or(i64::MAX),
                );
            }
            EventKind::Add { counter, by, value } => {
                let name = &m.counters[counter];
                self.instant(tid, time, &format!("added {by} to {name}"));
                self.counter_signed(time, &format!("counter {name}"), "value", value);
            }
            EventKind::Dropped { queue, .. } => {
                self.instant(tid, time, &format!("dropped: {} is full", m.queues[queue]));
            }
            EventKind::Done { queue } => self.instant(tid, time, &format!("done with an item of {}", m.queues[queue])),
            EventKind::Join { queue } => self.instant(tid, time, &format!("joined {}", m.queues[queue])),
            EventKind::TimedOut { .. } => self.instant(tid, time, "timed out"),
            EventKind::Cancel { target } => self.instant(tid, time, &format!("cancel {target}")),
            EventKind::Interrupt { target, ignored } => {
                let what =
                    if ignored { format!("interrupt {target} (ignored)") } else { format!("interrupt {target}") };
                self.instant(tid, time, &what);
            }
            EventKind::Set { event } => self.instant(tid, time, &format!("set {}", m.events[event])),
            EventKind::Clear { event } => self.instant(tid, time, &format!("clear {}", m.events[event])),
            EventKind::EventWaited { event } => self.instant(tid, time, &format!("{} is set", m.events[event])),
            EventKind::Barrier { barrier } => self.instant(tid, time, &format!("passed {}", m.barriers[barrier])),
            EventKind::Fail { message } => self.instant(tid, time, &format!("failed: {message}")),
            EventKind::Retry { attempt, .. } => self.instant(tid, time, &format!("attempt {attempt}")),
            EventKind::RaceWon { winner } => self.instant(tid, time, &format!("race won by {winner}")),
            EventKind::Gathered { .. } => self.instant(tid, time, "gathered"),
            EventKind::ThreadAbandoned { .. } => self.instant(tid, time, "thread work abandoned"),
            EventKind::Throttle { .. } => {}
        }
        if let Some(t) = self.tracks.get_mut(label) {
            t.last = time;
        }
        if !self.inside {
            // Outside the window: only the ends of slices shown are kept.
            self.lines.line.truncate(mark.0);
            self.any = mark.1;
            if !self.ends.is_empty() {
                let ends = std::mem::take(&mut self.ends);
                let ends = if self.any { &ends[..] } else { &ends[1..] };
                self.lines.line.push_str(ends);
                self.any = true;
            }
        }
        self.lines.flush_line();
    }

    fn mark(&mut self, m: &Model, mark: &Mark<'_>) {
        let (label, time) = (mark.task, mark.time);
        self.inside = self.from <= time && time <= self.until;
        let tid = self.track(m, label, mark.decl, time);
        match mark.kind {
            MarkKind::TimeoutBegin { after } => {
                let id = self.scopes;
                self.scopes += 1;
                let shown = self.inside;
                if shown {
                    self.scope("b", tid, time, id, after);
                }
                if let Some(t) = self.tracks.get_mut(label) {
                    t.scopes.push((id, after, shown));
                }
            }
            MarkKind::TimeoutEnd => {
                let scope = self.tracks.get_mut(label).and_then(|t| t.scopes.pop());
                if let Some((id, after, true)) = scope {
                    self.scope("e", tid, time.min(self.until), id, after);
                }
            }
        }
        self.lines.flush_line();
    }

    fn end(&mut self, _: &Model, s: &Summary) -> io::Result<()> {
        // Slices still open when the run stopped end with it, track by track in track order.
        type Rest = (u64, Vec<Open>, Vec<(u64, u64, bool)>);
        let mut open: Vec<Rest> = self
            .tracks
            .values_mut()
            .map(|t| (t.tid, std::mem::take(&mut t.open), std::mem::take(&mut t.scopes)))
            .collect();
        open.sort_unstable_by_key(|(tid, ..)| *tid);
        self.inside = true;
        for (tid, slices, scopes) in open {
            for o in slices.into_iter().rev() {
                self.close(tid, s.end, o);
            }
            for (id, after, shown) in scopes.into_iter().rev() {
                if shown {
                    self.scope("e", tid, s.end.min(self.until), id, after);
                }
            }
        }
        self.lines.line.push_str("\n]}\n");
        self.lines.finish()
    }
}
