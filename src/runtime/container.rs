//! Containers (`[containers.NAME]`): a level between 0 and a capacity, as SimPy's `Container`.
//!
//! **Grant rule.** Takes and fills each keep a line, first come, first served, as SimPy's
//! do: the first take in line is served as soon as the level holds its amount, and the takes
//! behind it wait for it even when their smaller amounts would be there (no overtaking, so a
//! large take is never starved). Fills likewise, for room. Each take that is served may make
//! room for the first fill, and each fill may serve the first take, so serving goes back and
//! forth until neither head can go. A served waiter has its amount moved at once and is
//! granted; if it gives up before it runs (an interrupt at the same instant), the amount goes
//! back and the lines are served again. A waiter that leaves its line may unblock the one
//! behind it, so leaving serves the lines too.

use std::collections::VecDeque;

use super::tasks::TaskId;

pub struct Container {
    level: u64,
    capacity: u64,
    /// Waiting takes: who, and how much.
    takers: VecDeque<(TaskId, u64)>,
    /// Waiting fills: who, and how much (`None`: up to the capacity).
    fillers: VecDeque<(TaskId, Option<u64>)>,
    /// Served waiters that have not run yet: who, how much, whether it was a take, and the
    /// level right after it.
    granted: Vec<(TaskId, u64, bool, u64)>,
}

impl Container {
    pub fn new(capacity: u64, initial: u64) -> Self {
        Container {
            level: initial.min(capacity),
            capacity,
            takers: VecDeque::new(),
            fillers: VecDeque::new(),
            granted: Vec::new(),
        }
    }

    pub fn level(&self) -> u64 {
        self.level
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Takes `amount` now if no take waits ahead and the level holds it; `false` to wait.
    pub fn try_take(&mut self, amount: u64) -> bool {
        let now = self.takers.is_empty() && self.level >= amount;
        if now {
            self.level -= amount;
        }
        now
    }

    /// Fills `amount` (`None`: up to the capacity) now if no fill waits ahead and it fits;
    /// returns how much went in, or `None` to wait.
    pub fn try_fill(&mut self, amount: Option<u64>) -> Option<u64> {
        let amount = amount.unwrap_or(self.capacity - self.level);
        let now = self.fillers.is_empty() && self.capacity - self.level >= amount;
        now.then(|| {
            self.level += amount;
            amount
        })
    }

    pub fn wait_take(&mut self, task: TaskId, amount: u64) {
        self.takers.push_back((task, amount));
    }

    pub fn wait_fill(&mut self, task: TaskId, amount: Option<u64>) {
        self.fillers.push_back((task, amount));
    }

    /// Serves the heads of both lines while they can go; returns the tasks granted, in order.
    pub fn serve(&mut self) -> Vec<TaskId> {
        let mut served = Vec::new();
        loop {
            let mut moved = false;
            while let Some(&(task, amount)) = self.takers.front().filter(|&&(_, a)| a <= self.level) {
                self.takers.pop_front();
                self.level -= amount;
                self.granted.push((task, amount, true, self.level));
                served.push(task);
                moved = true;
            }
            while let Some(&(task, amount)) = self.fillers.front() {
                let amount = amount.unwrap_or(self.capacity - self.level);
                if self.capacity - self.level < amount {
                    break;
                }
                self.fillers.pop_front();
                self.level += amount;
                self.granted.push((task, amount, false, self.level));
                served.push(task);
                moved = true;
            }
            // A fill that moved nothing in (up to the capacity, already full) changes nothing.
            if !moved || self.takers.front().is_none_or(|&(_, a)| a > self.level) {
                return served;
            }
        }
    }

    /// The amount moved for a served waiter, which now goes on with it, and the level right
    /// after it was moved.
    pub fn take_grant(&mut self, task: TaskId) -> (u64, u64) {
        match self.granted.iter().position(|&(t, _, _, _)| t == task) {
            Some(at) => {
                let (_, amount, _, level) = self.granted.swap_remove(at);
                (amount, level)
            }
            None => (0, self.level),
        }
    }

    /// A waiter gives up: it leaves its line, or, if it was served, its amount goes back. The
    /// caller serves the lines again.
    pub fn abandon(&mut self, task: TaskId, granted: bool) {
        if granted {
            if let Some(at) = self.granted.iter().position(|&(t, _, _, _)| t == task) {
                let (_, amount, took, _) = self.granted.swap_remove(at);
                if took {
                    self.level += amount;
                } else {
                    self.level -= amount;
                }
            }
        } else {
            self.takers.retain(|&(t, _)| t != task);
            self.fillers.retain(|&(t, _)| t != task);
        }
    }

    /// How much a waiting task waits to take (or, negative, to fill), for the deadlock report.
    pub fn waiting_for(&self, task: TaskId) -> Option<(bool, Option<u64>)> {
        if let Some(&(_, a)) = self.takers.iter().find(|&&(t, _)| t == task) {
            return Some((true, Some(a)));
        }
        self.fillers.iter().find(|&&(t, _)| t == task).map(|&(_, a)| (false, a))
    }
}

#[cfg(test)]
mod tests {
    use super::Container;

    #[test]
    fn takes_wait_in_line_and_fills_serve_them_in_order() {
        let mut c = Container::new(100, 10);
        assert!(c.try_take(4));
        assert_eq!(c.level(), 6);
        // The first take waits for 50; a take of 1 behind it waits too, though 1 is there.
        assert!(!c.try_take(50));
        c.wait_take(1, 50);
        assert!(!c.try_take(1));
        c.wait_take(2, 1);
        assert_eq!(c.serve(), Vec::<usize>::new());
        // Filling up serves both, in order.
        assert_eq!(c.try_fill(None), Some(94));
        assert_eq!(c.serve(), vec![1, 2]);
        assert_eq!(c.level(), 49);
        assert_eq!((c.take_grant(1), c.take_grant(2)), ((50, 50), (1, 49)));
    }

    #[test]
    fn a_take_makes_room_for_a_waiting_fill_and_a_given_up_grant_goes_back() {
        let mut c = Container::new(10, 10);
        assert_eq!(c.try_fill(Some(5)), None);
        c.wait_fill(7, Some(5));
        assert!(c.try_take(5));
        assert_eq!(c.serve(), vec![7]);
        assert_eq!(c.level(), 10);
        c.abandon(7, true);
        assert_eq!(c.level(), 5);
        // Leaving the line lets the next one go.
        c.wait_take(8, 9);
        c.wait_take(9, 2);
        assert_eq!(c.serve(), Vec::<usize>::new());
        c.abandon(8, false);
        assert_eq!(c.serve(), vec![9]);
        assert_eq!(c.level(), 3);
    }
}
