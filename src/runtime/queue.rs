//! Queues (`[queues.NAME]`): FIFO, bounded or not, with asyncio's `task_done` and `join`.
//!
//! Which item leaves next is the queue's [`Discipline`]: the oldest (`fifo`, the default), the
//! newest (`lifo`), or the lowest priority and, among equal ones, the oldest (`priority`), as
//! asyncio's `Queue`, `LifoQueue` and `PriorityQueue`. Which *task* gets the next item is the
//! queue's [`Fairness`]:
//!
//! - **asyncio** (the default), as `asyncio.Queue` does it: a put wakes the first waiting
//!   getter, but the item is anyone's until that getter runs; a task that asks first (at the same
//!   instant, before the woken getter runs) takes it, and the woken getter finds the queue empty
//!   and waits again, at the back. Putters likewise.
//! - **strict**: the woken getter is *granted* the front item: it is reserved for that task, and
//!   nobody who comes later can take it first. A place freed in a full queue is reserved for the
//!   first waiting putter, and a new putter waits behind the waiting ones.
//!
//! Either way a waiter that gives up after it was woken hands on what it was woken for.
//!
//! A capacity of 0 is a rendezvous: a put goes through only to a getter that is waiting for it,
//! and a getter that starts waiting makes room for one waiting putter.
//!
//! An open arrival that finds the queue full waits in the line of putters on its own, without a
//! task (`offer`): its source keeps its schedule, and the arrival enters as soon as the line
//! reaches it and there is room.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};

use smol_str::SmolStr;

use super::line::Line;
use super::tasks::TaskId;
use crate::event::ItemText;
use crate::plan::{Discipline, Fairness};

/// An item in a queue: its text, when it entered the queue, and its priority (used only by a
/// priority queue; lowest first).
#[derive(Debug)]
pub struct Item {
    pub text: ItemValue,
    pub put_at: u64,
    pub priority: u64,
    /// The call it is the request of (`call`), or 0.
    pub call: u64,
}

/// An item's text as the queue keeps it: a `SmolStr`, inline up to 23 bytes as most items are
/// (a word, a name), so that an item put and got costs no allocation; or, for a put's default
/// item `{n}`, the number, written out only by a sink that shows it (a plain run never does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemValue {
    Text(SmolStr),
    Number(u64),
}

impl ItemValue {
    /// The item as an event carries it.
    pub fn as_item_text(&self) -> ItemText<'_> {
        match self {
            ItemValue::Text(text) => ItemText::Text(text),
            ItemValue::Number(n) => ItemText::Number(*n),
        }
    }

    /// The item as text, a number written into `digits`.
    pub fn as_str<'a>(&'a self, digits: &'a mut itoa::Buffer) -> &'a str {
        match self {
            ItemValue::Text(text) => text,
            ItemValue::Number(n) => digits.format(*n),
        }
    }

    /// Its length as text, in bytes.
    pub fn len(&self) -> usize {
        match self {
            ItemValue::Text(text) => text.len(),
            ItemValue::Number(n) => n.checked_ilog10().map_or(1, |d| d as usize + 1),
        }
    }
}

impl std::fmt::Display for ItemValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_item_text().fmt(f)
    }
}

#[cfg(test)]
impl PartialEq<&str> for ItemValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_item_text() == ItemText::Text(other)
    }
}

impl From<&str> for ItemValue {
    fn from(text: &str) -> Self {
        ItemValue::Text(text.into())
    }
}

/// The items of a queue, kept for its discipline.
enum Items {
    Fifo(VecDeque<Item>),
    Lifo(Vec<Item>),
    /// By (priority, order put), lowest first; and the length of the last item put.
    Priority {
        heap: BinaryHeap<Reverse<Ranked>>,
        puts: u64,
        last_len: usize,
    },
}

/// An item of a priority queue, ordered by its priority and then by when it was put.
struct Ranked {
    rank: (u64, u64),
    item: Item,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank.cmp(&other.rank)
    }
}

impl Items {
    fn new(discipline: Discipline) -> Self {
        match discipline {
            Discipline::Fifo => Items::Fifo(VecDeque::new()),
            Discipline::Lifo => Items::Lifo(Vec::new()),
            Discipline::Priority => Items::Priority { heap: BinaryHeap::new(), puts: 0, last_len: 0 },
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn len(&self) -> usize {
        match self {
            Items::Fifo(items) => items.len(),
            Items::Lifo(items) => items.len(),
            Items::Priority { heap, .. } => heap.len(),
        }
    }

    fn push(&mut self, item: Item) {
        match self {
            Items::Fifo(items) => items.push_back(item),
            Items::Lifo(items) => items.push(item),
            Items::Priority { heap, puts, last_len } => {
                *last_len = item.text.len();
                heap.push(Reverse(Ranked { rank: (item.priority, *puts), item }));
                *puts += 1;
            }
        }
    }

    fn pop(&mut self) -> Option<Item> {
        match self {
            Items::Fifo(items) => items.pop_front(),
            Items::Lifo(items) => items.pop(),
            Items::Priority { heap, .. } => heap.pop().map(|Reverse(r)| r.item),
        }
    }

    /// The length as text of the last item put, while it is in the queue.
    fn last_len(&self) -> usize {
        match self {
            Items::Fifo(items) => items.back().map_or(0, |i| i.text.len()),
            Items::Lifo(items) => items.last().map_or(0, |i| i.text.len()),
            Items::Priority { last_len, .. } => *last_len,
        }
    }
}

/// Someone waiting to put: a task, or an arrival waiting on its own.
#[derive(Debug)]
enum Putter {
    Task(TaskId),
    Arrival { item: Item, by: TaskId },
}

/// A putter woken by a freed place.
#[derive(Debug)]
pub enum Woken {
    /// A task, to be woken (strict: the place is reserved for it).
    Task(TaskId),
    /// An arrival that has entered the queue now; `getter` is the getter it wakes.
    Entered { item_text: ItemValue, put_at: u64, by: TaskId, getter: Option<TaskId> },
}

pub struct Queue {
    capacity: Option<usize>,
    fairness: Fairness,
    items: Items,
    getters: Line,
    putters: VecDeque<Putter>,
    /// Putters that left the line, skipped when they reach its front (see `line.rs`). Only
    /// looked up, never iterated.
    putters_left: HashMap<TaskId, usize>,
    putters_gone: usize,
    /// Strict: items at the front reserved for woken getters that have not yet taken them.
    reserved_items: usize,
    /// Strict: free places reserved for woken putters that have not yet put.
    reserved_places: usize,
    unfinished: u64,
    joiners: Line,
}

impl Queue {
    pub fn new(capacity: Option<usize>, fairness: Fairness, discipline: Discipline) -> Self {
        Queue {
            capacity,
            fairness,
            items: Items::new(discipline),
            getters: Line::default(),
            putters: VecDeque::new(),
            putters_left: HashMap::new(),
            putters_gone: 0,
            reserved_items: 0,
            reserved_places: 0,
            unfinished: 0,
            joiners: Line::default(),
        }
    }

    fn pop(&mut self) -> Option<Item> {
        self.items.pop()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The length as text of the last item put.
    pub fn back_len(&self) -> usize {
        self.items.last_len()
    }

    fn strict(&self) -> bool {
        self.fairness == Fairness::Strict
    }

    /// Whether a put must wait. A rendezvous queue has room for each waiting getter.
    fn full(&self) -> bool {
        let room = match self.capacity {
            None => return false,
            Some(0) => self.getters.len(),
            Some(c) => c,
        };
        self.items.len() + self.reserved_places >= room
    }

    /// Puts without waiting and returns the getter to wake (strict: granted the item); gives the
    /// item back when the queue is full (strict: or earlier putters wait).
    pub fn try_put(&mut self, item: Item) -> Result<Option<TaskId>, Item> {
        if self.put_would_wait() {
            return Err(item);
        }
        Ok(self.accept(item))
    }

    /// Whether [`Queue::try_put`] would give the item back now.
    pub fn put_would_wait(&self) -> bool {
        self.full() || (self.strict() && self.putters.len() > self.putters_gone)
    }

    /// A woken putter tries again. Strict: it puts into the place reserved for it. asyncio: it
    /// puts if there is room, or waits again at the back (`Err`). Returns the getter to wake.
    pub fn put_woken(&mut self, task: TaskId, item: Item) -> Result<Option<TaskId>, Item> {
        if self.strict() {
            self.reserved_places -= 1;
            return Ok(self.accept(item));
        }
        if self.full() {
            self.putters.push_back(Putter::Task(task));
            return Err(item);
        }
        Ok(self.accept(item))
    }

    fn accept(&mut self, item: Item) -> Option<TaskId> {
        self.unfinished += 1;
        self.items.push(item);
        self.wake_getter()
    }

    /// The getter to wake now that an item is there. Strict: only for an item nobody has been
    /// promised, and the item is reserved for it.
    fn wake_getter(&mut self) -> Option<TaskId> {
        if self.strict() && self.items.len() <= self.reserved_items {
            return None;
        }
        let getter = self.getters.pop()?;
        if self.strict() {
            self.reserved_items += 1;
        }
        Some(getter)
    }

    /// The putter to wake now that there is room. Strict: the place is reserved for it. An
    /// arrival waiting on its own enters at once, at `now`. Inlined for the common case, no
    /// putter waiting: an out-of-line call returned its `None` through memory, and the caller
    /// read it back with wider loads than had written it, waiting for the store to land.
    #[inline(always)]
    fn wake_putter(&mut self, now: u64) -> Option<Woken> {
        if self.putters.is_empty() {
            return None;
        }
        self.wake_waiting_putter(now)
    }

    /// [`Queue::wake_putter`] when some putter is waiting.
    fn wake_waiting_putter(&mut self, now: u64) -> Option<Woken> {
        let putter = loop {
            match self.putters.pop_front()? {
                Putter::Task(task) if self.putters_left.contains_key(&task) => self.forget_putter(task),
                putter => break putter,
            }
        };
        match putter {
            Putter::Task(task) => {
                if self.strict() {
                    self.reserved_places += 1;
                }
                Some(Woken::Task(task))
            }
            Putter::Arrival { item, by } => {
                let (item_text, put_at) = (item.text.clone(), item.put_at);
                let getter =
                    self.accept(Item { text: item.text, put_at: now, priority: item.priority, call: item.call });
                Some(Woken::Entered { item_text, put_at, by, getter })
            }
        }
    }

    /// An arrival waits in the line of putters on its own; `item.put_at` is when it arrived.
    pub fn wait_arrival(&mut self, item: Item, by: TaskId) {
        self.putters.push_back(Putter::Arrival { item, by });
    }

    /// Gets without waiting, if an item is there (strict: one nobody has been promised); also
    /// returns the putter woken by the freed place.
    pub fn try_get(&mut self, now: u64) -> Option<(Item, Option<Woken>)> {
        if self.items.len() <= self.reserved_items {
            return None;
        }
        let item = self.pop()?;
        Some((item, self.wake_putter(now)))
    }

    /// A woken getter tries again. Strict: it takes the item reserved for it. asyncio: it takes
    /// the front item if there is one, or waits again at the back (no item). Also returns the
    /// putter to wake.
    pub fn get_woken(&mut self, task: TaskId, now: u64) -> (Option<Item>, Option<Woken>) {
        if self.strict() {
            self.reserved_items -= 1;
            let item = self.pop().expect("a reserved item is in the queue");
            return (Some(item), self.wake_putter(now));
        }
        match self.pop() {
            Some(item) => (Some(item), self.wake_putter(now)),
            None => (None, self.wait_get(task, now)),
        }
    }

    /// Registers a getter; returns the putter woken when a rendezvous queue now has room.
    pub fn wait_get(&mut self, task: TaskId, now: u64) -> Option<Woken> {
        self.getters.push(task);
        if self.capacity == Some(0) && !self.full() { self.wake_putter(now) } else { None }
    }

    pub fn wait_put(&mut self, task: TaskId) {
        self.putters.push_back(Putter::Task(task));
    }

    /// A waiting getter gives up. If it had been woken, what it was woken for goes to the next
    /// getter, returned; otherwise it leaves the line.
    pub fn abandon_get(&mut self, task: TaskId, woken: bool) -> Option<TaskId> {
        if woken {
            if self.strict() {
                self.reserved_items -= 1;
            } else if self.items.is_empty() {
                return None;
            }
            self.wake_getter()
        } else {
            self.getters.leave(task);
            None
        }
    }

    /// A waiting putter gives up; if it had been woken, the room goes to the next putter, returned.
    pub fn abandon_put(&mut self, task: TaskId, woken: bool, now: u64) -> Option<Woken> {
        if woken {
            if self.strict() {
                self.reserved_places -= 1;
            } else if self.full() {
                return None;
            }
            self.wake_putter(now)
        } else {
            *self.putters_left.entry(task).or_default() += 1;
            self.putters_gone += 1;
            if self.putters_gone > 1024 && self.putters_gone * 2 > self.putters.len() {
                // Drop the places left empty; a task's oldest places are the empty ones.
                let mut putters = std::mem::take(&mut self.putters);
                putters.retain(|p| match p {
                    Putter::Task(t) if self.putters_left.contains_key(t) => {
                        self.forget_putter(*t);
                        false
                    }
                    _ => true,
                });
                self.putters = putters;
            }
            None
        }
    }

    /// One empty place of `task` in the line of putters is gone.
    fn forget_putter(&mut self, task: TaskId) {
        if let Some(n) = self.putters_left.get_mut(&task) {
            *n -= 1;
            if *n == 0 {
                self.putters_left.remove(&task);
            }
            self.putters_gone -= 1;
        }
    }

    /// Marks one item done and returns the joiners to wake when none is left unfinished;
    /// `Err` when no item is unfinished, as asyncio's `task_done` raises.
    pub fn done(&mut self) -> Result<Vec<TaskId>, ()> {
        if self.unfinished == 0 {
            return Err(());
        }
        self.unfinished -= 1;
        Ok(if self.unfinished == 0 { self.joiners.take_all() } else { Vec::new() })
    }

    pub fn all_done(&self) -> bool {
        self.unfinished == 0
    }

    pub fn wait_join(&mut self, task: TaskId) {
        self.joiners.push(task);
    }

    pub fn abandon_join(&mut self, task: TaskId) {
        self.joiners.leave(task);
    }
}

#[cfg(test)]
mod tests;
