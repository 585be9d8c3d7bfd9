//! Semaphores (`[semaphores.NAME]`, and the bounded thread pool): FIFO permits.
//!
//! **Grant rule.** A permit that comes back goes to the first waiter, which holds it from then
//! on; it is free only when nobody waits. A task arriving while others wait queues behind them
//! even if a permit is free, so that nobody is overtaken.

use super::line::Line;
use super::tasks::TaskId;

pub struct Semaphore {
    available: u64,
    /// How many permits it started with.
    permits: u64,
    waiters: Line,
}

impl Semaphore {
    pub fn new(permits: u64) -> Self {
        Semaphore { available: permits, permits, waiters: Line::default() }
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

    pub fn wait(&mut self, task: TaskId) {
        self.waiters.push(task);
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
        let mut s = Semaphore::new(1);
        assert!(s.try_acquire());
        s.wait(1);
        s.wait(2);
        assert_eq!(s.release(), Some(1));
        assert!(!s.try_acquire(), "task 2 waits first");
        assert_eq!(s.abandon(1, true), Some(2));
        assert_eq!(s.release(), None);
        assert!(s.try_acquire());
    }
}
