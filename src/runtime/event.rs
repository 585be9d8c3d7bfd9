//! Events (`[events.NAME]`): level-triggered flags, like `asyncio.Event`.
//!
//! **Grant rule.** Setting an event grants passage to every task waiting for it at that moment;
//! clearing it afterwards does not take the passage back.

use super::line::Line;
use super::tasks::TaskId;

pub struct EventFlag {
    set: bool,
    waiters: Line,
}

impl EventFlag {
    pub fn new(set: bool) -> Self {
        EventFlag { set, waiters: Line::default() }
    }

    pub fn is_set(&self) -> bool {
        self.set
    }

    /// Sets the flag; returns the waiters granted passage.
    pub fn set(&mut self) -> Vec<TaskId> {
        self.set = true;
        self.waiters.take_all()
    }

    pub fn clear(&mut self) {
        self.set = false;
    }

    /// Whether the flag is set; if not, `task` waits for it.
    pub fn check(&mut self, task: TaskId) -> bool {
        if !self.set {
            self.waiters.push(task);
        }
        self.set
    }

    /// A waiter gives up; passage already granted is simply not used.
    pub fn abandon(&mut self, task: TaskId, granted: bool) {
        if !granted {
            self.waiters.leave(task);
        }
    }
}
