//! Sinks: what listens to a run. The runtime hands every event to a [`Sinks`] dispatcher, in the
//! one order the events happened; each sink renders or counts them and never looks back at the
//! runtime. A run's outputs are whichever sinks it was given: a timeline on standard output and a
//! summary in a file are two sinks of one run, and a sink nobody asked for costs nothing.
//!
//! - [`Timeline`]: the text timeline and its statistics (`--format text`).
//! - [`Plain`]: only what the scenario says (`--format plain`).
//! - [`Jsonl`]: one JSON object per event (`--format jsonl`).
//! - [`Recorder`]: the timeline and levels that `scenario report` draws.
//! - [`Statistics`]: counts, means and maxima per queue, semaphore and task, which become the
//!   run's [`Summary`].

mod jsonl;
mod plain;
mod recording;
mod statistics;
mod text;
mod timeline;
mod trace;

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

pub use jsonl::Jsonl;
pub use plain::Plain;
pub use recording::{Level, MAX_POINTS, MAX_SPANS, MAX_TRACKS, Recorder, Recording, Span, SpanKind, Track};
pub use statistics::{
    ContainerStats, CounterStats, Durations, QueueStats, SemaphoreStats, Statistics, Summary, TaskStats,
};
pub use timeline::Timeline;
pub use trace::Trace;

use crate::event::{Event, EventKind, Mark, Model, RunEnd};
use text::Text;

/// How a run is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Only the messages the scenario says, exactly as a program would print them.
    Plain,
    /// A timeline: the virtual time and the task of every event, then statistics.
    Text,
    /// One JSON object per event, with its virtual time in nanoseconds.
    Jsonl,
    /// Nothing at all (for benchmarks and for runs read only through their summary).
    #[value(skip)]
    Silent,
}

impl Format {
    /// The sink that prints this format to `out`; `None` for [`Format::Silent`].
    pub fn sink(self, out: Box<dyn Write + Send>) -> Option<Box<dyn Sink>> {
        self.sink_limited(out, u64::MAX)
    }

    /// Like [`Format::sink`], stopping the run once `max_bytes` have been written.
    pub fn sink_limited(self, out: Box<dyn Write + Send>, max_bytes: u64) -> Option<Box<dyn Sink>> {
        let lines = Lines::new(out, max_bytes);
        match self {
            Format::Plain => Some(Box::new(Plain { lines })),
            Format::Text => Some(Box::new(Timeline::with(lines))),
            Format::Jsonl => Some(Box::new(Jsonl::with(lines))),
            Format::Silent => None,
        }
    }
}

/// Something that listens to a run.
pub trait Sink: Send {
    /// Called once, before the first event.
    fn begin(&mut self, _model: &Model, _seed: u64) {}

    /// Called for every event, in the order they happened.
    fn event(&mut self, model: &Model, event: &Event<'_>);

    /// Called for every [`Mark`] (a timeout scope's beginning and end), in order with the
    /// events. Most sinks draw nothing of them.
    fn mark(&mut self, _model: &Model, _mark: &Mark<'_>) {}

    /// Called once, after the last event; returns the first error writing the sink's output.
    /// `summary` holds statistics when the run collected them (see [`Sink::needs_statistics`]).
    fn end(&mut self, _model: &Model, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }

    /// Whether [`Sink::end`] needs the statistics in its summary.
    fn needs_statistics(&self) -> bool {
        false
    }

    /// Why the sink can take no more events, if it cannot: its output was closed or failed, or
    /// reached its size limit. The run stops then.
    fn stopped(&self) -> Option<&io::Error> {
        None
    }

    /// Whether the sink does anything with events other than [`EventKind::Say`]. One that does
    /// not (`--format plain`) is handed only those: most events of a run are not messages, and
    /// the calls an event for a sink that ignores them (two virtual calls, when that was
    /// measured) were about 3 % of a plain run (`perf`).
    fn takes_only_says(&self) -> bool {
        false
    }

    /// [`Sink::event`], then whether the sink [`stopped`](Sink::stopped): what the dispatcher
    /// calls, so that a sink costs one virtual call an event rather than two (inside this one,
    /// both calls are to the sink's own methods, and inlined). Not meant to be overridden.
    #[inline]
    fn event_then_stopped(&mut self, model: &Model, event: &Event<'_>) -> bool {
        self.event(model, event);
        self.stopped().is_some()
    }
}

/// Hands each event to every sink of a run, and the statistics to those that need them.
pub struct Sinks {
    statistics: Option<Statistics>,
    sinks: Vec<Box<dyn Sink>>,
    /// Per sink: whether it takes only `say` events ([`Sink::takes_only_says`]).
    only_says: Vec<bool>,
    /// Whether some sink takes every event.
    every: bool,
    /// Whether there is a sink at all.
    any: bool,
}

impl Sinks {
    /// Dispatches to `sinks`; statistics are collected when `statistics` is set or a sink needs them.
    pub fn new(sinks: Vec<Box<dyn Sink>>, statistics: bool) -> Self {
        let statistics = statistics || sinks.iter().any(|s| s.needs_statistics());
        let only_says: Vec<bool> = sinks.iter().map(|s| s.takes_only_says()).collect();
        let (every, any) = (only_says.iter().any(|&o| !o), !sinks.is_empty());
        Sinks { statistics: statistics.then(Statistics::default), sinks, only_says, every, any }
    }

    pub fn begin(&mut self, model: &Model, seed: u64) {
        if let Some(s) = &mut self.statistics {
            s.begin(model, seed);
        }
        for sink in &mut self.sinks {
            sink.begin(model, seed);
        }
    }

    /// Whether an event of this kind goes to a sink or to the statistics: when no sink takes
    /// every event (`--format plain` takes only says), a `sleep` is handed to nobody.
    /// Inlined where the event is made, so that the kind is known there and this is a test
    /// of a flag or two.
    #[inline(always)]
    pub fn want(&self, kind: &EventKind<'_>) -> bool {
        self.every
            || (self.statistics.is_some() && Statistics::takes(kind))
            || (self.any && matches!(kind, EventKind::Say { .. }))
    }

    /// Hands `event` to every sink; returns whether the run must stop, a sink taking no more
    /// ([`Sinks::why_stopped`] says why). A call: the runtime, inlining its `record` everywhere
    /// an event is made, builds the event in place and calls this.
    #[inline(never)]
    pub fn event(&mut self, model: &Model, event: &Event<'_>) -> bool {
        if let Some(s) = &mut self.statistics {
            s.event(model, event);
        }
        let say = matches!(event.kind, EventKind::Say { .. });
        let mut stopped = false;
        for (sink, &only_says) in self.sinks.iter_mut().zip(&self.only_says) {
            if say || !only_says {
                stopped |= sink.event_then_stopped(model, event);
            }
        }
        stopped
    }

    /// Why the last sink that can take no more events stopped.
    pub fn why_stopped(&self) -> Option<String> {
        self.sinks.iter().rev().find_map(|s| s.stopped()).map(ToString::to_string)
    }

    /// Hands `mark` to every sink.
    pub fn mark(&mut self, model: &Model, mark: &Mark<'_>) {
        for sink in &mut self.sinks {
            sink.mark(model, mark);
        }
    }

    /// Ends every sink. Returns the run's summary and the first error any sink had writing.
    pub fn end(mut self, model: &Model, run: RunEnd) -> (Summary, io::Result<()>) {
        let summary = match self.statistics.take() {
            Some(s) => s.into_summary(run),
            None => Summary::without_statistics(run),
        };
        let mut written = Ok(());
        for sink in &mut self.sinks {
            let result = sink.end(model, &summary);
            if written.is_ok() {
                written = result;
            }
        }
        (summary, written)
    }
}

/// An output in memory, for sinks whose output is read after the run: clones share the bytes.
#[derive(Debug, Clone, Default)]
pub struct Memory(Arc<Mutex<Vec<u8>>>);

impl Memory {
    /// Takes what was written so far, as text; sinks write only UTF-8.
    pub fn take_string(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

impl Write for Memory {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How every line at one instant begins (the timeline's time column; JSONL's
/// `{"time_ns":…,"task":`), rendered once an instant: events come several an instant.
struct LineStart {
    time: u64,
    text: Text,
}

impl LineStart {
    fn new() -> Self {
        LineStart { time: u64::MAX, text: Text::default() }
    }

    /// How a line at `time` begins: `render` writes it when the instant is new.
    #[inline]
    fn at(&mut self, time: u64, render: impl FnOnce(&mut Text, u64)) -> &[u8] {
        if self.time != time {
            self.time = time;
            self.text.clear();
            render(&mut self.text, time);
        }
        self.text.as_bytes()
    }
}

/// How a task's lines show its label (the timeline's padded label column; JSONL's quoted
/// label), rendered once for the task rather than once a line.
///
/// Kept by task id in a fixed number of slots, so that a run with a million tasks costs no more
/// memory than one with four: a slot holds the label it was rendered from and is rendered again
/// when the task in it has another label (ids are reused, and slots shared). Checking the label
/// costs a comparison of a few words ([`text::same`]); rendering the column cost a dozen appends.
struct TaskColumns {
    slots: Vec<TaskColumn>,
}

#[derive(Default)]
struct TaskColumn {
    label: String,
    /// Empty until rendered: a rendered column is never empty.
    text: Text,
}

impl TaskColumns {
    /// Slots: task ids wrap around them.
    const SLOTS: usize = 256;

    fn new() -> Self {
        TaskColumns { slots: std::iter::repeat_with(TaskColumn::default).take(Self::SLOTS).collect() }
    }

    /// The column of the task with this `id` and `label`: `render` writes it from the label,
    /// non-empty, when the slot does not hold it yet.
    #[inline]
    fn of(&mut self, id: usize, label: &str, render: impl FnOnce(&mut Text, &str)) -> &[u8] {
        let slot = &mut self.slots[id % Self::SLOTS];
        if slot.text.is_empty() || !text::same(slot.label.as_bytes(), label.as_bytes()) {
            slot.label.clear();
            slot.label.push_str(label);
            slot.text.clear();
            render(&mut slot.text, label);
        }
        slot.text.as_bytes()
    }
}

/// How many bytes of whole lines [`Lines`] gathers before it writes them.
const LINES_BUFFER: usize = 1 << 16;

/// An output buffer in front of an output that keeps the first write error and skips later
/// writes, so that a sink can render without checking every write.
///
/// A sink renders each line at the end of `line`, after the lines already taken and not yet
/// written, and calls [`Lines::flush_line`]: the lines are written to `out` about 64 KiB at a
/// time. Rendering straight into the buffer that is written saves copying each line into the
/// output's own buffer (the timeline writes several million lines a second).
struct Lines {
    out: Box<dyn Write + Send>,
    /// Whole lines not yet written, then the line being rendered.
    line: Text,
    /// Where the line being rendered begins in `line`.
    start: usize,
    error: Option<io::Error>,
    written: u64,
    max_bytes: u64,
}

impl Lines {
    fn new(out: Box<dyn Write + Send>, max_bytes: u64) -> Self {
        Lines { out, line: Text::with_capacity(LINES_BUFFER + 256), start: 0, error: None, written: 0, max_bytes }
    }

    /// Takes the line rendered at the end of `line`: it is written with the lines before it,
    /// once they fill the buffer. A line past the size limit is dropped, and stops the sink.
    #[inline]
    fn flush_line(&mut self) {
        let written = self.written + (self.line.len() - self.start) as u64;
        if self.error.is_some() || written > self.max_bytes || self.line.len() >= LINES_BUFFER {
            self.flush_line_slowly();
        } else {
            self.written = written;
            self.start = self.line.len();
        }
    }

    /// [`Lines::flush_line`] when the line is not simply kept: after an error, past the size
    /// limit, or with the buffer full.
    #[cold]
    #[inline(never)]
    fn flush_line_slowly(&mut self) {
        if self.error.is_some() {
            self.line.truncate(self.start);
            return;
        }
        self.written += (self.line.len() - self.start) as u64;
        if self.written > self.max_bytes {
            self.line.truncate(self.start);
            self.write_buffered();
            let limit = self.max_bytes;
            let message = format!(
                "the transcript reached its limit of {limit} bytes; raise `max-output` if the run should print more"
            );
            self.error.get_or_insert(io::Error::new(io::ErrorKind::FileTooLarge, message));
            return;
        }
        self.start = self.line.len();
        if self.start >= LINES_BUFFER {
            self.write_buffered();
        }
    }

    /// Writes the lines taken so far, unless an earlier write failed.
    fn write_buffered(&mut self) {
        if self.error.is_none() && self.start > 0 {
            if let Err(e) = self.out.write_all(&self.line.as_bytes()[..self.start]) {
                self.error = Some(e);
            }
        }
        self.line.remove_front(self.start);
        self.start = 0;
    }

    /// Writes the last line and flushes; returns the first error.
    fn finish(&mut self) -> io::Result<()> {
        self.flush_line();
        self.write_buffered();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }
}

impl Drop for Lines {
    /// A sink dropped before its end (a run abandoned part-way) still writes the lines it took,
    /// as the output's own buffer would have.
    fn drop(&mut self) {
        self.write_buffered();
    }
}

/// Whether `s` has a byte below `below`, or a byte equal to `a` or to `b` (`below` at most
/// 0x80). Eight bytes at a time, with the classic tests for a zero byte and a byte less than n
/// in a word: a label or an item is checked on every line of a transcript.
fn has_byte(s: &[u8], below: u8, a: u8, b: u8) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let less = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS != 0;
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let mut eight = [0; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        if less(x, below) || less(x ^ (ONES * u64::from(a)), 1) || less(x ^ (ONES * u64::from(b)), 1) {
            return true;
        }
    }
    words.remainder().iter().any(|&c| c < below || c == a || c == b)
}

/// Appends `s` as a JSON string.
fn push_json_str(out: &mut Text, s: &str) {
    // Most strings need no escape: written as they are, with no allocation.
    if !has_byte(s.as_bytes(), 0x20, b'"', b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // serde_json's string escaping is the reference; it cannot fail on a `str`.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

#[cfg(test)]
mod json_tests {
    use super::push_json_str;

    /// The word-at-a-time test against the byte-at-a-time one, for every byte value at every
    /// place of strings longer and shorter than a word.
    #[test]
    fn has_byte_finds_what_a_byte_loop_finds() {
        use super::has_byte;
        for len in [1, 7, 8, 9, 16, 17, 23] {
            for at in 0..len {
                for c in 0..=0xffu8 {
                    for fill in [b'a', 0x80, 0xc3, 0xff] {
                        let mut s = vec![fill; len];
                        s[at] = c;
                        for (below, a, b) in [(0x20, b'"', b'\\'), (0x20, 0x7f, 0xc2), (0x80, 0, 0)] {
                            let want = s.iter().any(|&x| x < below || x == a || x == b);
                            assert_eq!(has_byte(&s, below, a, b), want, "{s:?} below {below:#x}, {a:#x}, {b:#x}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn strings_are_what_serde_json_writes() {
        for s in
            ["", "plain", "ünïcödé ☃", "quote \" here", "back\\slash", "tab\there", "nl\n", "del\u{7f}", "\u{1b}[31m"]
        {
            let mut out = super::Text::default();
            push_json_str(&mut out, s);
            assert_eq!(out.as_bytes(), serde_json::to_string(s).unwrap().as_bytes(), "{s:?}");
        }
    }
}

#[cfg(test)]
mod lines_tests {
    use super::{LINES_BUFFER, Lines, Memory};
    use std::io;

    fn line(n: usize) -> String {
        format!("line {n:06} {}\n", "x".repeat(n % 50))
    }

    /// Lines gathered past the buffer's size, then the rest at the end, come out whole and in
    /// order.
    #[test]
    fn every_line_is_written_once_in_order() {
        let memory = Memory::default();
        let mut lines = Lines::new(Box::new(memory.clone()), u64::MAX);
        let mut want = String::new();
        for n in 0..20_000 {
            lines.line.push_str(&line(n));
            want.push_str(&line(n));
            lines.flush_line();
            assert!(lines.line.len() < LINES_BUFFER + 100, "the buffer is written once it is full");
        }
        lines.finish().expect("memory takes every write");
        assert!(want.len() > 4 * LINES_BUFFER);
        assert_eq!(memory.take_string(), want);
    }

    /// At the size limit, the lines before it are written, the line that crosses it and every
    /// later one are not, and the sink stops with the limit's error.
    #[test]
    fn the_size_limit_keeps_the_lines_before_it() {
        let memory = Memory::default();
        let limit = 100_000;
        let mut lines = Lines::new(Box::new(memory.clone()), limit);
        let mut want = String::new();
        for n in 0..10_000 {
            lines.line.push_str(&line(n));
            if want.len() + line(n).len() <= limit as usize && lines.error.is_none() {
                want.push_str(&line(n));
            }
            lines.flush_line();
        }
        let error = lines.finish().expect_err("the limit was reached");
        assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
        let got = memory.take_string();
        assert_eq!(got, want);
        assert!(got.len() > limit as usize - 100, "only the crossing line is missing: {}", got.len());
    }

    /// A sink dropped before its end still writes the lines it took, but not a line it was
    /// rendering.
    #[test]
    fn a_dropped_sink_writes_the_lines_it_took() {
        let memory = Memory::default();
        let mut lines = Lines::new(Box::new(memory.clone()), u64::MAX);
        lines.line.push_str("one\n");
        lines.flush_line();
        lines.line.push_str("half a li");
        drop(lines);
        assert_eq!(memory.take_string(), "one\n");
    }
}

#[cfg(test)]
mod task_columns_tests {
    use super::TaskColumns;

    /// A column is rendered again whenever its slot's task has another label: an id reused by
    /// a later task, or another id sharing the slot.
    #[test]
    fn a_column_follows_the_label_in_its_slot() {
        let mut columns = TaskColumns::new();
        let render = |s: &mut super::Text, label: &str| {
            s.push('<');
            s.push_str(label);
            s.push('>');
        };
        assert_eq!(columns.of(3, "a", render), b"<a>");
        assert_eq!(columns.of(3, "a", |_, _| unreachable!("kept")), b"<a>");
        assert_eq!(columns.of(3, "b", render), b"<b>");
        assert_eq!(columns.of(3 + TaskColumns::SLOTS, "c", render), b"<c>");
        assert_eq!(columns.of(3, "b", render), b"<b>");
        assert_eq!(columns.of(4, "", render), b"<>");
        assert_eq!(columns.of(4, "", |_, _| unreachable!("kept")), b"<>");
    }
}
