//! A line of waiting tasks, first come first served, that a task can leave in O(1).
//!
//! Leaving marks the task's place as empty instead of searching the line for it: the place is
//! skipped when it reaches the front, and the line is rebuilt when most of it is empty. So a
//! hundred thousand getters that time out one by one cost what they touch, not the square of
//! their number.

use std::collections::{HashMap, VecDeque};

use super::tasks::TaskId;

#[derive(Default)]
pub struct Line {
    places: VecDeque<TaskId>,
    /// Places left empty, per task: skipped when they reach the front. Only looked up, never
    /// iterated, so its order cannot reach any output.
    left: HashMap<TaskId, usize>,
    empty: usize,
}

impl Line {
    pub fn push(&mut self, task: TaskId) {
        self.places.push_back(task);
    }

    /// The first task still in line, taken out of it.
    pub fn pop(&mut self) -> Option<TaskId> {
        while let Some(task) = self.places.pop_front() {
            match self.left.get_mut(&task) {
                Some(n) => {
                    *n -= 1;
                    if *n == 0 {
                        self.left.remove(&task);
                    }
                    self.empty -= 1;
                }
                None => return Some(task),
            }
        }
        None
    }

    /// Everyone still in line, in order, taken out of it.
    pub fn take_all(&mut self) -> Vec<TaskId> {
        std::iter::from_fn(|| self.pop()).collect()
    }

    /// `task` leaves the line (it is in it).
    pub fn leave(&mut self, task: TaskId) {
        *self.left.entry(task).or_default() += 1;
        self.empty += 1;
        if self.empty > 1024 && self.empty * 2 > self.places.len() {
            self.compact();
        }
    }

    /// How many tasks are in line.
    pub fn len(&self) -> usize {
        self.places.len() - self.empty
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the empty places. The oldest places of a task are the empty ones: a task leaves
    /// before it can join again.
    fn compact(&mut self) {
        let left = &mut self.left;
        self.places.retain(|task| match left.get_mut(task) {
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    left.remove(task);
                }
                false
            }
            None => true,
        });
        self.empty = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_leave_in_constant_time_and_keep_their_order() {
        let mut line = Line::default();
        for t in 0..5 {
            line.push(t);
        }
        line.leave(1);
        line.leave(3);
        line.push(1);
        assert_eq!(line.len(), 4);
        let order: Vec<TaskId> = std::iter::from_fn(|| line.pop()).collect();
        assert_eq!(order, [0, 2, 4, 1]);
    }

    #[test]
    fn a_line_most_of_which_has_left_is_rebuilt() {
        let mut line = Line::default();
        for t in 0..100_000 {
            line.push(t);
        }
        for t in 0..99_000 {
            line.leave(t);
        }
        assert!(line.places.len() < 60_000, "{}", line.places.len());
        assert_eq!(line.pop(), Some(99_000));
        assert_eq!(line.len(), 999);
    }
}
