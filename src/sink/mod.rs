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

use crate::event::{Event, Mark, Model, RunEnd};

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
            Format::Text => Some(Box::new(Timeline { lines, time: (u64::MAX, String::new()) })),
            Format::Jsonl => Some(Box::new(Jsonl { lines })),
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
}

/// Hands each event to every sink of a run, and the statistics to those that need them.
pub struct Sinks {
    statistics: Option<Statistics>,
    sinks: Vec<Box<dyn Sink>>,
}

impl Sinks {
    /// Dispatches to `sinks`; statistics are collected when `statistics` is set or a sink needs them.
    pub fn new(sinks: Vec<Box<dyn Sink>>, statistics: bool) -> Self {
        let statistics = statistics || sinks.iter().any(|s| s.needs_statistics());
        Sinks { statistics: statistics.then(Statistics::default), sinks }
    }

    pub fn begin(&mut self, model: &Model, seed: u64) {
        if let Some(s) = &mut self.statistics {
            s.begin(model, seed);
        }
        for sink in &mut self.sinks {
            sink.begin(model, seed);
        }
    }

    /// Hands `event` to every sink; returns why the run must stop, if a sink can take no more.
    #[inline]
    pub fn event(&mut self, model: &Model, event: &Event<'_>) -> Option<String> {
        if let Some(s) = &mut self.statistics {
            s.event(model, event);
        }
        let mut stop = None;
        for sink in &mut self.sinks {
            sink.event(model, event);
            if let Some(e) = sink.stopped() {
                stop = Some(e.to_string());
            }
        }
        stop
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

/// A line buffer in front of an output that keeps the first write error and skips later writes,
/// so that a sink can render without checking every write.
struct Lines {
    out: Box<dyn Write + Send>,
    line: String,
    error: Option<io::Error>,
    written: u64,
    max_bytes: u64,
}

impl Lines {
    fn new(out: Box<dyn Write + Send>, max_bytes: u64) -> Self {
        Lines { out, line: String::with_capacity(128), error: None, written: 0, max_bytes }
    }

    /// Writes what was rendered into `line`, and empties it.
    fn flush_line(&mut self) {
        if self.error.is_none() && !self.line.is_empty() {
            self.written += self.line.len() as u64;
            if self.written > self.max_bytes {
                let limit = self.max_bytes;
                let message = format!(
                    "the transcript reached its limit of {limit} bytes; raise `max-output` if the run should print more"
                );
                self.error = Some(io::Error::new(io::ErrorKind::FileTooLarge, message));
            } else if let Err(e) = self.out.write_all(self.line.as_bytes()) {
                self.error = Some(e);
            }
        }
        self.line.clear();
    }

    /// Writes the last line and flushes; returns the first error.
    fn finish(&mut self) -> io::Result<()> {
        self.flush_line();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }
}

/// Appends `s` as a JSON string.
fn push_json_str(out: &mut String, s: &str) {
    // Most strings need no escape: written as they are, with no allocation.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
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

    #[test]
    fn strings_are_what_serde_json_writes() {
        for s in
            ["", "plain", "ünïcödé ☃", "quote \" here", "back\\slash", "tab\there", "nl\n", "del\u{7f}", "\u{1b}[31m"]
        {
            let mut out = String::new();
            push_json_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }
}
