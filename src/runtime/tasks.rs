//! The task table: every task replica of a run, how to wake it, and what it was granted.

use std::ops::{Index, IndexMut};
use std::sync::Arc;
use std::task::Waker;

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
}

/// What an interrupt of a waiting task cancels with it.
#[derive(Debug, Clone, Default)]
pub enum CancelWith {
    #[default]
    Nothing,
    /// These tasks (the ones a `gather` started).
    Tasks(Vec<TaskId>),
    /// Every running replica of these declared tasks (a `wait` or a `cancel`).
    Decls(Vec<usize>),
}

/// A timeout scope the task is inside: its deadline's timer, and whether the timeout has been
/// delivered to the task already.
pub struct Scope {
    pub timer: TimerId,
    pub delivered: bool,
}

pub struct TaskState {
    pub label: String,
    /// The declared task this is a replica of.
    pub decl: TaskIndex,
    pub replica: u64,
    /// How many times this replica was started before this start.
    pub generation: u64,
    /// When it was started.
    pub started_at: u64,
    waker: Option<Waker>,
    pub cancel_requested: bool,
    pub scopes: Vec<Scope>,
    pub done: bool,
    /// How it ended, once done.
    pub outcome: Option<Outcome>,
    /// How many tasks of the run had ended before this one, once done.
    pub end_order: u64,
    /// Why it failed, if it did.
    pub failure: Option<Arc<str>>,
    /// Tasks to wake when this one ends.
    pub waiters: Vec<TaskId>,
    /// How many tasks this one watched have failed: lets a fail-fast gather notice at once.
    pub child_failures: u64,
    /// Semaphores this task holds a permit of, once per permit.
    pub held: Vec<usize>,
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
}

impl TaskState {
    pub fn new(label: String, decl: TaskIndex, replica: u64, generation: u64, started_at: u64) -> Self {
        TaskState {
            label,
            decl,
            replica,
            generation,
            started_at,
            waker: None,
            cancel_requested: false,
            scopes: Vec::new(),
            done: false,
            outcome: None,
            end_order: 0,
            failure: None,
            waiters: Vec::new(),
            child_failures: 0,
            held: Vec::new(),
            cancel_with: CancelWith::Nothing,
            running_slot: 0,
            granted: false,
            waiting: None,
            waiting_since: 0,
            withdrawn: false,
        }
    }
}

/// Every task of a run, by id, in the order they were created.
#[derive(Default)]
pub struct Tasks(Vec<TaskState>);

impl Tasks {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn push(&mut self, task: TaskState) -> TaskId {
        self.0.push(task);
        self.0.len() - 1
    }

    pub fn iter(&self) -> impl Iterator<Item = &TaskState> {
        self.0.iter()
    }

    pub fn wake(&self, task: TaskId) {
        if let Some(w) = &self.0[task].waker {
            w.wake_by_ref();
        }
    }

    /// Hands a waiting task what it waits for, and wakes it to take it.
    pub fn grant(&mut self, task: TaskId) {
        self.0[task].granted = true;
        self.wake(task);
    }

    /// Whether something was granted to this waiting task; it is the task's from now on.
    pub fn take_grant(&mut self, task: TaskId) -> bool {
        std::mem::take(&mut self.0[task].granted)
    }

    /// Whether something was granted to this task that it has not taken yet.
    pub fn granted(&self, task: TaskId) -> bool {
        self.0[task].granted
    }

    /// Remembers how to wake a task that is about to return `Pending`.
    pub fn park(&mut self, task: TaskId, waker: &Waker, waiting: Waiting) {
        let t = &mut self.0[task];
        match &t.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => t.waker = Some(waker.clone()),
        }
        t.waiting = Some(waiting);
    }
}

impl Index<TaskId> for Tasks {
    type Output = TaskState;
    fn index(&self, id: TaskId) -> &TaskState {
        &self.0[id]
    }
}

impl IndexMut<TaskId> for Tasks {
    fn index_mut(&mut self, id: TaskId) -> &mut TaskState {
        &mut self.0[id]
    }
}
