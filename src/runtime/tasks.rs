//! The task table: every task replica of a run, what it was granted, and the run queue: the
//! tasks ready to be polled, first in, first out.

use std::collections::VecDeque;
use std::ops::{Index, IndexMut};
use std::rc::Rc;

use smol_str::SmolStr;
use thin_vec::ThinVec;

use super::clock::TimerId;
use crate::event::{Outcome, TaskIndex};

pub type TaskId = usize;

/// The task id of `main`, always the first task created.
pub const MAIN: TaskId = 0;

/// What a blocked task is waiting for, for the deadlock report.
#[derive(Debug, Clone, Copy)]
pub enum Waiting {
    Sleep,
    Get(usize),
    Put(usize),
    Join(usize),
    Task(TaskId),
    /// Every running replica of a declared task (an index into `Plan::tasks`) to end.
    Decl(usize),
    Acquire(usize),
    Event(usize),
    Barrier(usize),
    /// A condition on a counter to hold.
    Counter(usize),
    /// A container's level, to take or to fill.
    Container(usize),
    /// The reply to a call.
    Reply(u64),
}

/// The tasks to wake when a task ends. Usually none or one (the task that started it and waits
/// for it), held without an allocation: a `gather` of a million tasks would otherwise allocate a
/// list for each of them.
#[derive(Debug, Default)]
pub enum Waiters {
    #[default]
    None,
    One(TaskId),
    Many(ThinVec<TaskId>),
}

impl Waiters {
    pub fn push(&mut self, task: TaskId) {
        *self = match std::mem::take(self) {
            Waiters::None => Waiters::One(task),
            Waiters::One(first) => Waiters::Many(thin_vec::thin_vec![first, task]),
            Waiters::Many(mut tasks) => {
                tasks.push(task);
                Waiters::Many(tasks)
            }
        };
    }

    /// The tasks, in the order they were pushed.
    pub fn into_tasks(self) -> impl Iterator<Item = TaskId> {
        let (one, many) = match self {
            Waiters::None => (None, ThinVec::new()),
            Waiters::One(task) => (Some(task), ThinVec::new()),
            Waiters::Many(tasks) => (None, tasks),
        };
        one.into_iter().chain(many)
    }
}

/// What an interrupt of a waiting task cancels with it.
#[derive(Debug, Clone, Default)]
pub enum CancelWith {
    #[default]
    Nothing,
    /// These tasks (the ones a `gather` started: its list, shared).
    Tasks(Rc<Vec<TaskId>>),
    /// Every running replica of these declared tasks (a `wait` or a `cancel`).
    Decls(ThinVec<usize>),
}

/// A timeout scope the task is inside: its deadline's timer, and whether the timeout has been
/// delivered to the task already.
pub struct Scope {
    pub timer: TimerId,
    pub delivered: bool,
}

/// Where a task is in the run queue's eyes (see `runtime`'s Time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sched {
    /// Waiting in a `Suspend`, not in the run queue: a wake puts it there.
    Idle,
    /// In the run queue; a wake changes nothing.
    Queued,
    /// Being polled; `woken`: woken meanwhile, so it goes back into the queue if it waits.
    Running { woken: bool },
    /// Its future has ended, or has not been spawned yet: a wake changes nothing.
    Ended,
}

/// A task replica. Every live task has one, so it is kept small: the lists that are usually
/// empty are `ThinVec`s (a pointer, and nothing allocated while empty), not `Vec`s (three words).
pub struct TaskState {
    pub label: SmolStr,
    /// The declared task this is a replica of.
    pub decl: TaskIndex,
    pub replica: u64,
    /// When it was started.
    pub started_at: u64,
    sched: Sched,
    pub cancel_requested: bool,
    /// An interrupt is waiting to reach the task (what it says is in `World::interrupts`, so
    /// that every task does not carry room for it).
    pub interrupt: bool,
    /// Whether it is in an `until` scope (`World::until_scopes`).
    pub watching: bool,
    /// How many `on-interrupt` blocks it is running: interrupts are ignored meanwhile. (At most
    /// as many as a file nests blocks, which the TOML parser bounds.)
    pub handling: u16,
    pub scopes: ThinVec<Scope>,
    pub done: bool,
    /// How it ended, once done.
    pub outcome: Option<Outcome>,
    /// Tasks to wake when this one ends.
    pub waiters: Waiters,
    /// How many tasks this one watched have failed, wrapping: a fail-fast gather notices at once
    /// that it changed. (A `u32`, with the fields above, keeps the record at 168 bytes.)
    pub child_failures: u32,
    /// Semaphores this task holds a permit of, once per permit.
    pub held: ThinVec<usize>,
    /// Tasks to cancel when an interrupt reaches this task while it waits for them, as asyncio
    /// cancels the task an interrupted `await task` waits on.
    pub cancel_with: CancelWith,
    /// Where this task is in its declaration's list of running replicas.
    pub running_slot: usize,
    /// While waiting: the resource waited for (an item, a place, a permit, passage) has been
    /// granted to it, and is its own once it runs.
    granted: bool,
    pub waiting: Option<Waiting>,
    /// When the task began its current (or last) wait.
    pub waiting_since: u64,
    /// An interrupt took the task out of the line of its current wait already.
    pub withdrawn: bool,
    /// The order tasks were created in: reports and `main`'s final cancellations follow it.
    pub seq: u64,
    /// With `collects_ends`, the tasks it watches that have ended, in the order they ended.
    pub inbox: ThinVec<TaskId>,
    pub collects_ends: bool,
    /// How many `gather` or `race` steps still look at this task: its slot is kept until none.
    pub observed: u32,
    /// Thread-pool permits its abandoned thread work still holds: the slot is kept until then.
    pub releases: u32,
}

impl TaskState {
    pub fn new(label: SmolStr, decl: TaskIndex, replica: u64, started_at: u64) -> Self {
        TaskState {
            label,
            decl,
            replica,
            started_at,
            sched: Sched::Ended,
            cancel_requested: false,
            interrupt: false,
            watching: false,
            handling: 0,
            scopes: ThinVec::new(),
            done: false,
            outcome: None,
            waiters: Waiters::None,
            child_failures: 0,
            held: ThinVec::new(),
            cancel_with: CancelWith::Nothing,
            running_slot: 0,
            granted: false,
            waiting: None,
            waiting_since: 0,
            withdrawn: false,
            seq: 0,
            inbox: ThinVec::new(),
            collects_ends: false,
            observed: 0,
            releases: 0,
        }
    }
}

/// Every task of a run that is running, or has ended and is still looked at, by id. The slot
/// of a task that has ended and that nothing looks at any more is reused, so memory follows the
/// tasks that are live, not every task ever started.
#[derive(Default)]
pub struct Tasks {
    slots: Vec<TaskState>,
    free: Vec<TaskId>,
    /// The tasks ready to be polled, in the order they became ready.
    ready: VecDeque<TaskId>,
}

impl Tasks {
    pub fn push(&mut self, task: TaskState) -> TaskId {
        match self.free.pop() {
            Some(id) => {
                self.slots[id] = task;
                id
            }
            None => {
                self.slots.push(task);
                self.slots.len() - 1
            }
        }
    }

    /// The tasks that have not ended, in the order they were created.
    pub fn live_in_order(&self) -> Vec<TaskId> {
        let mut live: Vec<TaskId> = (0..self.slots.len()).filter(|&id| !self.slots[id].done).collect();
        live.sort_unstable_by_key(|&id| self.slots[id].seq);
        live
    }

    /// Frees the slot of a task that has ended and that nothing refers to any more.
    pub fn free(&mut self, id: TaskId) {
        let mut empty = TaskState::new(SmolStr::default(), 0, 0, 0);
        empty.done = true;
        self.slots[id] = empty;
        self.free.push(id);
    }

    /// Makes a waiting task ready to run: at the back of the run queue, once, as a waker of a
    /// single-threaded executor would. A task that has ended is not woken.
    pub fn wake(&mut self, task: TaskId) {
        let sched = &mut self.slots[task].sched;
        match *sched {
            Sched::Idle => {
                *sched = Sched::Queued;
                self.ready.push_back(task);
            }
            Sched::Running { .. } => *sched = Sched::Running { woken: true },
            Sched::Queued | Sched::Ended => {}
        }
    }

    /// A task just created: it runs once the tasks ready before it have.
    pub fn schedule(&mut self, task: TaskId) {
        self.slots[task].sched = Sched::Queued;
        self.ready.push_back(task);
    }

    /// The next task to poll, taken off the run queue.
    pub fn next_ready(&mut self) -> Option<TaskId> {
        let task = self.ready.pop_front()?;
        self.slots[task].sched = Sched::Running { woken: false };
        Some(task)
    }

    /// A polled task returned: `ended`, or waiting (back in the queue if it was woken meanwhile).
    pub fn polled(&mut self, task: TaskId, ended: bool) {
        let sched = &mut self.slots[task].sched;
        *sched = match *sched {
            _ if ended => Sched::Ended,
            Sched::Running { woken: true } => {
                self.ready.push_back(task);
                Sched::Queued
            }
            _ => Sched::Idle,
        };
    }

    /// Hands a waiting task what it waits for, and wakes it to take it.
    pub fn grant(&mut self, task: TaskId) {
        self.slots[task].granted = true;
        self.wake(task);
    }

    /// Whether something was granted to this waiting task; it is the task's from now on.
    pub fn take_grant(&mut self, task: TaskId) -> bool {
        std::mem::take(&mut self.slots[task].granted)
    }

    /// Whether something was granted to this task that it has not taken yet.
    pub fn granted(&self, task: TaskId) -> bool {
        self.slots[task].granted
    }

    /// Remembers what a task about to return `Pending` waits for.
    pub fn park(&mut self, task: TaskId, waiting: Waiting) {
        self.slots[task].waiting = Some(waiting);
    }
}

impl Index<TaskId> for Tasks {
    type Output = TaskState;
    fn index(&self, id: TaskId) -> &TaskState {
        &self.slots[id]
    }
}

impl IndexMut<TaskId> for Tasks {
    fn index_mut(&mut self, id: TaskId) -> &mut TaskState {
        &mut self.slots[id]
    }
}
