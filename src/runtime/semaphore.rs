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
    /// A preemptive semaphore's holders, by (priority, order taken, task); `None` when it is
    /// not preemptive. A permit whose task ended holding it is held by `ORPHAN`.
    holders: Option<Vec<(u64, u64, TaskId)>>,
    /// How many permits have been taken, for the order of holders.
    taken: u64,
}

/// The holder of a permit whose task ended holding it.
pub const ORPHAN: TaskId = TaskId::MAX;

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
    pub fn new(permits: u64, priority: bool, preemptive: bool) -> Self {
        let waiters = if priority {
            Waiters::Ranked { line: BTreeMap::new(), places: HashMap::new(), asked: 0 }
        } else {
            Waiters::Fifo(Line::default())
        };
        Semaphore { available: permits, permits, waiters, holders: preemptive.then(Vec::new), taken: 0 }
    }

    /// A task holds a permit from now on (kept only for preemption).
    pub fn held_by(&mut self, task: TaskId, priority: u64) {
        if let Some(holders) = &mut self.holders {
            holders.push((priority, self.taken, task));
            self.taken += 1;
        }
    }

    /// A task gives back a permit it held, or (not a holder: any task may release) one whose
    /// holder ended.
    pub fn not_held_by(&mut self, task: TaskId, was_holder: bool) {
        let who = if was_holder { task } else { ORPHAN };
        if let Some(holders) = &mut self.holders {
            if let Some(k) = holders.iter().position(|h| h.2 == who) {
                holders.swap_remove(k);
            }
        }
    }

    /// A holder ended holding its permit.
    pub fn orphan(&mut self, task: TaskId) {
        if let Some(h) = self.holders.iter_mut().flatten().find(|h| h.2 == task) {
            h.2 = ORPHAN;
        }
    }

    /// On a preemptive semaphore, the holder to lose its permit to a request of `priority`: the
    /// one of the highest priority above it, the latest to take it among equals, as SimPy's. It
    /// holds nothing from now on.
    pub fn preempt(&mut self, priority: u64) -> Option<TaskId> {
        let holders = self.holders.as_mut()?;
        let at = (0..holders.len()).max_by_key(|&k| holders[k])?;
        (holders[at].0 > priority).then(|| holders.swap_remove(at).2)
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
        let mut s = Semaphore::new(1, false, false);
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
        let mut s = Semaphore::new(1, true, false);
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
