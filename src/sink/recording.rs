//! What `scenario report` draws of one run, kept in bounded memory whatever the run's length:
//!
//! - the timeline: per task replica, the spans it slept, worked, waited and held a permit
//!   (the slices of `run --trace`, kept instead of written), inside a window of virtual time,
//!   for at most [`MAX_TRACKS`] replicas and [`MAX_SPANS`] spans: when the spans are that
//!   many, the timeline stops at that instant (`cut`), what is open then ending there, and the
//!   page says where;
//! - levels over the whole window: each queue's length and each semaphore's permits in use,
//!   every change while there are at most [`MAX_POINTS`], and beyond that each level's lowest,
//!   highest and last value per interval of time, the intervals doubling as the run goes on,
//!   so that a long run still draws its peaks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Sink, Summary};
use crate::event::{Event, EventKind, Mark, MarkKind, Model};

/// The most task replicas the timeline shows; later ones are counted, not drawn.
pub const MAX_TRACKS: usize = 40;
/// The most spans the timeline keeps; the timeline stops where the next one would begin.
pub const MAX_SPANS: usize = 4_000;
/// The most points a level keeps before it keeps ranges per interval instead.
pub const MAX_POINTS: usize = 4_000;

/// What a span of a task's timeline was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Sleep,
    /// `busy`: work that holds the event loop.
    Busy,
    /// `to-thread`: blocking work on a thread.
    Thread,
    /// Waiting for an item, room in a queue, a permit or a token.
    Wait,
    /// Holding a permit of a semaphore (drawn behind what the task does meanwhile).
    Hold,
    /// Inside a timeout scope (drawn as a line under the row).
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub kind: SpanKind,
}

/// One task replica's row of the timeline.
#[derive(Debug, Clone, Default)]
pub struct Track {
    pub label: String,
    pub spans: Vec<Span>,
}

/// A level over time: `(time, lowest, highest, last)` per point, in time order. While
/// `width` is 0 every point is one instant (the level's changes at it); otherwise each point
/// covers `[time, time + width)`.
#[derive(Debug, Clone, Default)]
pub struct Level {
    pub name: String,
    pub points: Vec<(u64, u64, u64, u64)>,
    pub width: u64,
    value: u64,
}

impl Level {
    fn new(name: String) -> Self {
        Level { name, points: vec![(0, 0, 0, 0)], width: 0, value: 0 }
    }

    fn set(&mut self, time: u64, value: u64) {
        self.value = value;
        let bucket = |t: u64, width: u64| if width == 0 { t } else { t - t % width };
        if let Some(p) = self.points.last_mut() {
            if bucket(time, self.width) == p.0 {
                p.1 = p.1.min(value);
                p.2 = p.2.max(value);
                p.3 = value;
                return;
            }
        }
        self.points.push((bucket(time, self.width), value, value, value));
        if self.points.len() > MAX_POINTS {
            // Coarser intervals: wide enough that the points so far fit in half the room.
            let span = time.max(1);
            let mut width = self.width.max(1);
            while span / width >= (MAX_POINTS / 2) as u64 {
                width = width.saturating_mul(2);
            }
            self.width = width;
            let mut merged: Vec<(u64, u64, u64, u64)> = Vec::with_capacity(MAX_POINTS / 2 + 1);
            for &(t, lo, hi, last) in &self.points {
                let t = bucket(t, width);
                match merged.last_mut() {
                    Some(m) if m.0 == t => {
                        m.1 = m.1.min(lo);
                        m.2 = m.2.max(hi);
                        m.3 = last;
                    }
                    _ => merged.push((t, lo, hi, last)),
                }
            }
            self.points = merged;
        }
    }
}

/// What a run left for the report's pictures.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// The window asked for, in virtual nanoseconds, both ends included.
    pub from: u64,
    pub until: u64,
    /// When the run ended.
    pub end: u64,
    pub tracks: Vec<Track>,
    /// Task replicas seen in the window and not drawn ([`MAX_TRACKS`]).
    pub hidden_tracks: usize,
    /// When the timeline stopped because it had [`MAX_SPANS`] spans.
    pub cut: Option<u64>,
    pub spans: usize,
    pub queues: Vec<Level>,
    /// Semaphores, with their permits, the thread pool last.
    pub semaphores: Vec<(Level, u64)>,
}

/// A task's state while the run goes on.
#[derive(Default)]
struct Open {
    /// Its row, if it is drawn.
    row: Option<usize>,
    /// Whether it was seen inside the window (and given a row, or counted as hidden).
    seen: bool,
    /// When it last did something: a get that completes later waited since then.
    last: u64,
    /// A sleep, busy or thread span: its start, due end and kind.
    wait: Option<(u64, u64, SpanKind)>,
    /// Permits held: semaphore and since when, innermost last.
    holds: Vec<(usize, u64)>,
    /// Timeout scopes entered, since when, innermost last.
    scopes: Vec<u64>,
}

/// Records a run for the report (see the module's docs). Its [`Recording`] is in the handle
/// [`Recorder::new`] returns once the run has ended.
pub struct Recorder {
    rec: Recording,
    open: HashMap<String, Open>,
    lengths: Vec<u64>,
    in_use: Vec<u64>,
    /// The time of the event being recorded.
    now: u64,
    out: Arc<Mutex<Option<Recording>>>,
}

impl Recorder {
    /// A recorder keeping the timeline from `from` to `until` (virtual nanoseconds), and the
    /// handle its recording is left in.
    pub fn new(from: u64, until: u64) -> (Self, Arc<Mutex<Option<Recording>>>) {
        let out = Arc::new(Mutex::new(None));
        let rec = Recording { from, until, ..Recording::default() };
        (Recorder { rec, open: HashMap::new(), lengths: Vec::new(), in_use: Vec::new(), now: 0, out: out.clone() }, out)
    }

    /// Adds a span to a row, clipped to the window; stops the timeline when it is full.
    fn span(&mut self, row: Option<usize>, start: u64, end: u64, kind: SpanKind) {
        let Some(row) = row else { return };
        if self.rec.cut.is_some() {
            return;
        }
        if self.rec.spans >= MAX_SPANS {
            self.cut();
            return;
        }
        self.push(row, start, end, kind);
    }

    fn push(&mut self, row: usize, start: u64, end: u64, kind: SpanKind) {
        let until = self.rec.cut.unwrap_or(self.rec.until);
        let (start, end) = (start.max(self.rec.from), end.min(until));
        if end < start || (end == start && kind != SpanKind::Wait) {
            return;
        }
        self.rec.spans += 1;
        self.rec.tracks[row].spans.push(Span { start, end, kind });
    }

    /// The timeline is full: it ends now, with what is open on each row ending here too.
    fn cut(&mut self) {
        self.rec.cut = Some(self.now);
        self.close_rows(self.now);
    }

    /// Ends what is open on each drawn row at `at` (the timeline is full, or the run is over),
    /// beyond the limit on spans: a few a row.
    fn close_rows(&mut self, at: u64) {
        // Each row has one task, so a row's spans come in the same order whatever the map's.
        type Open = (usize, Option<(u64, u64, SpanKind)>, Vec<(usize, u64)>);
        let mut open: Vec<Open> = self
            .open
            .values_mut()
            .filter_map(|o| Some((o.row?, o.wait.take(), std::mem::take(&mut o.holds))))
            .collect();
        open.sort_unstable_by_key(|(row, ..)| *row);
        for (row, wait, holds) in open {
            if let Some((start, due, kind)) = wait {
                self.push(row, start, due.min(at), kind);
            }
            for (_, since) in holds {
                self.push(row, since, at, SpanKind::Hold);
            }
        }
    }

    /// Notes a task doing something at `now`: the first time, its state; the first time inside
    /// the window, its row (or a count of the rows not drawn).
    fn enter(&mut self, label: &str, now: u64) {
        if !self.open.contains_key(label) {
            self.open.insert(label.to_owned(), Open { last: now, ..Open::default() });
        }
        let inside = self.rec.from <= now && now <= self.rec.until;
        if let Some(o) = self.open.get_mut(label).filter(|o| inside && !o.seen) {
            o.seen = true;
            if self.rec.tracks.len() < MAX_TRACKS {
                self.rec.tracks.push(Track { label: label.to_owned(), spans: Vec::new() });
                o.row = Some(self.rec.tracks.len() - 1);
            } else {
                self.rec.hidden_tracks += 1;
            }
        }
    }

    /// Ends a task's sleep, busy or thread span, now or at its due time if that is earlier.
    fn end_wait(&mut self, label: &str, now: u64) {
        let Some(o) = self.open.get_mut(label) else { return };
        if let Some((start, due, kind)) = o.wait.take() {
            let (row, end) = (o.row, now.min(due));
            o.last = end;
            self.span(row, start, end, kind);
        }
    }

    fn level_change(&mut self, time: u64, queue: Option<usize>, semaphore: Option<usize>, up: bool) {
        let step = |v: &mut u64| if up { *v += 1 } else { *v = v.saturating_sub(1) };
        if let Some(q) = queue {
            step(&mut self.lengths[q]);
            self.rec.queues[q].set(time, self.lengths[q]);
        }
        if let Some(s) = semaphore {
            step(&mut self.in_use[s]);
            self.rec.semaphores[s].0.set(time, self.in_use[s]);
        }
    }
}

impl Sink for Recorder {
    fn begin(&mut self, m: &Model, _: u64) {
        self.rec.queues = m.queues.iter().map(|q| Level::new(q.clone())).collect();
        self.rec.semaphores = m.semaphores.iter().map(|s| (Level::new(s.name.clone()), s.permits)).collect();
        self.lengths = vec![0; m.queues.len()];
        self.in_use = vec![0; m.semaphores.len()];
    }

    fn event(&mut self, _: &Model, ev: &Event<'_>) {
        let (label, now) = (ev.task, ev.time);
        self.now = now;
        self.enter(label, now);
        self.end_wait(label, now);
        let Some(o) = self.open.get_mut(label) else { return };
        let (row, last) = (o.row, o.last);
        o.last = now;
        match ev.kind {
            EventKind::Sleep { duration } => o.wait = Some((now, now.saturating_add(duration), SpanKind::Sleep)),
            EventKind::Busy { duration } => o.wait = Some((now, now.saturating_add(duration), SpanKind::Busy)),
            EventKind::ToThread { duration } => o.wait = Some((now, now.saturating_add(duration), SpanKind::Thread)),
            EventKind::Put { queue, blocked, .. } => {
                if blocked > 0 {
                    self.span(row, now - blocked, now, SpanKind::Wait);
                }
                self.level_change(now, Some(queue), None, true);
            }
            EventKind::Get { queue, .. } => {
                if last < now {
                    self.span(row, last, now, SpanKind::Wait);
                }
                self.level_change(now, Some(queue), None, false);
            }
            EventKind::Acquire { semaphore, blocked } => {
                o.holds.push((semaphore, now));
                if blocked > 0 {
                    self.span(row, now - blocked, now, SpanKind::Wait);
                }
                self.level_change(now, None, Some(semaphore), true);
            }
            EventKind::Release { semaphore } | EventKind::Preempted { semaphore } => {
                if let Some(k) = o.holds.iter().rposition(|&(s, _)| s == semaphore) {
                    let (_, since) = o.holds.remove(k);
                    self.span(row, since, now, SpanKind::Hold);
                }
                self.level_change(now, None, Some(semaphore), false);
            }
            EventKind::Throttle { blocked, .. } if blocked > 0 => self.span(row, now - blocked, now, SpanKind::Wait),
            EventKind::Answered { response, .. } if response > 0 => self.span(row, now - response, now, SpanKind::Wait),
            EventKind::Level { waited, .. } if waited > 0 => {
                self.span(row, now - waited, now, SpanKind::Wait);
            }
            EventKind::End { .. } => {
                o.wait = None;
                let holds = std::mem::take(&mut o.holds);
                for (_, since) in holds {
                    self.span(row, since, now, SpanKind::Hold);
                }
                // A task not drawn is forgotten when it ends, so that memory stays flat however
                // many tasks a run starts (one per arrival, say); drawn ones keep their row.
                if row.is_none() {
                    self.open.remove(label);
                }
            }
            _ => {}
        }
    }

    fn mark(&mut self, _: &Model, mark: &Mark<'_>) {
        self.now = mark.time;
        self.enter(mark.task, mark.time);
        let Some(o) = self.open.get_mut(mark.task) else { return };
        match mark.kind {
            MarkKind::TimeoutBegin { .. } => o.scopes.push(mark.time),
            MarkKind::TimeoutEnd => {
                let (row, since) = (o.row, o.scopes.pop());
                if let Some(since) = since {
                    self.span(row, since, mark.time, SpanKind::Timeout);
                }
            }
        }
    }

    fn end(&mut self, _: &Model, s: &Summary) -> std::io::Result<()> {
        // What is still open when the run stops ends with it.
        if self.rec.cut.is_none() {
            self.close_rows(s.end);
        }
        self.rec.end = s.end;
        for level in self.rec.queues.iter_mut().chain(self.rec.semaphores.iter_mut().map(|(l, _)| l)) {
            let value = level.value;
            level.set(s.end, value);
        }
        *self.out.lock().unwrap_or_else(PoisonError::into_inner) = Some(std::mem::take(&mut self.rec));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_keeps_every_change_then_ranges() {
        let mut level = Level::new("q".into());
        level.set(5, 1);
        level.set(5, 0);
        level.set(7, 2);
        assert_eq!(level.points, vec![(0, 0, 0, 0), (5, 0, 1, 0), (7, 2, 2, 2)]);
        // Many more changes than points: ranges per interval, every peak kept.
        let mut level = Level::new("q".into());
        for t in 1..=100_000u64 {
            level.set(t * 10, if t == 77_777 { 50 } else { t % 3 });
        }
        assert!(level.points.len() <= MAX_POINTS, "{}", level.points.len());
        assert!(level.width > 0);
        assert_eq!(level.points.iter().map(|p| p.2).max(), Some(50));
        assert_eq!(level.points.last().map(|p| p.3), Some(100_000 % 3));
        assert!(level.points.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
