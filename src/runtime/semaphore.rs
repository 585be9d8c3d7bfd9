//! Semaphores (`[semaphores.NAME]`, and the bounded thread pool): FIFO permits, or (with
//! `discipline = "priority"`, SimPy's `PriorityResource`) by priority.
//!
//! **Grant rule.** A permit that comes back goes to the first waiter (the one of the lowest
//! priority, first come first served among equals), which holds it from then on; it is free only
//! when nobody waits. A task arriving while others wait queues behind them even if a permit is
//! free, so that nobody is overtaken.

use std::collections::{BTreeMap, HashMap};

use super::line::Line;
use super::tasks::TaskId;

pub struct Semaphore {
    available: u64,
    /// How many permits it started with.
    permits: u64,
    waiters: Waiters,
}

/// Who waits for a permit, in the order they get one.
enum Waiters {
    Fifo(Line),
    /// By (priority, order of asking); and each waiter's place, to leave the line.
    Ranked {
        line: BTreeMap<(u64, u64), TaskId>,
        places: HashMap<TaskId, (u64, u64)>,
        asked: u64,
    },
}

impl Waiters {
    fn is_empty(&self) -> bool {
        match self {
            Waiters::Fifo(line) => line.is_empty(),
            Waiters::Ranked { line, .. } => line.is_empty(),
        }
    }

    fn push(&mut self, task: TaskId, priority: u64) {
        match self {
            Waiters::Fifo(line) => line.push(task),
            Waiters::Ranked { line, places, asked } => {
                line.insert((priority, *asked), task);
                places.insert(task, (priority, *asked));
                *asked += 1;
            }
        }
    }

    fn pop(&mut self) -> Option<TaskId> {
        match self {
            Waiters::Fifo(line) => line.pop(),
            Waiters::Ranked { line, places, .. } => {
                let (_, task) = line.pop_first()?;
                places.remove(&task);
                Some(task)
            }
        }
    }

    fn leave(&mut self, task: TaskId) {
        match self {
            Waiters::Fifo(line) => line.leave(task),
            Waiters::Ranked { line, places, .. } => {
                if let Some(place) = places.remove(&task) {
                    line.remove(&place);
                }
            }
        }
    }
}

impl Semaphore {
    pub fn new(permits: u64, priority: bool) -> Self {
        let waiters = if priority {
            Waiters::Ranked { line: BTreeMap::new(), places: HashMap::new(), asked: 0 }
        } else {
            Waiters::Fifo(Line::default())
        };
        Semaphore { available: permits, permits, waiters }
    }

    /// Permits free now.
    pub fn free(&self) -> u64 {
        self.available
    }

    /// Permits in use now (never below none, though asyncio lets a task release more often
    /// than permits were taken).
    pub fn in_use(&self) -> u64 {
        self.permits.saturating_sub(self.available)
    }

    /// Whether as many permits are free as it started with.
    pub fn all_free(&self) -> bool {
        self.available >= self.permits
    }

    /// Takes a permit without waiting, if one is free and nobody waits.
    pub fn try_acquire(&mut self) -> bool {
        let free = self.available > 0 && self.waiters.is_empty();
        if free {
            self.available -= 1;
        }
        free
    }

    /// `task` waits for a permit; `priority` counts only on a priority semaphore.
    pub fn wait(&mut self, task: TaskId, priority: u64) {
        self.waiters.push(task, priority);
    }

    /// A permit comes back: returns the waiter granted it, or it becomes free.
    pub fn release(&mut self) -> Option<TaskId> {
        let next = self.waiters.pop();
        if next.is_none() {
            self.available += 1;
        }
        next
    }

    /// A waiter gives up; a permit granted to it goes to the next waiter, returned.
    pub fn abandon(&mut self, task: TaskId, granted: bool) -> Option<TaskId> {
        if granted {
            self.release()
        } else {
            self.waiters.leave(task);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_go_to_waiters_in_order() {
        let mut s = Semaphore::new(1, false);
        assert!(s.try_acquire());
        s.wait(1, 0);
        s.wait(2, 0);
        assert_eq!(s.release(), Some(1));
        assert!(!s.try_acquire(), "task 2 waits first");
        assert_eq!(s.abandon(1, true), Some(2));
        assert_eq!(s.release(), None);
        assert!(s.try_acquire());
    }

    #[test]
    fn a_priority_semaphore_serves_the_lowest_priority_then_the_first_to_ask() {
        let mut s = Semaphore::new(1, true);
        assert!(s.try_acquire());
        for (task, priority) in [(1, 5), (2, 1), (3, 5), (4, 0), (5, 1)] {
            s.wait(task, priority);
        }
        s.abandon(5, false);
        let order: Vec<TaskId> = std::iter::from_fn(|| s.release()).collect();
        assert_eq!(order, [4, 2, 1, 3]);
        assert!(s.try_acquire(), "the last release freed the permit");
    }
}
