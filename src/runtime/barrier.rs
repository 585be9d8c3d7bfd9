//! Barriers (`[barriers.NAME]`): tasks wait until `parties` of them have arrived, as
//! `asyncio.Barrier` does it.
//!
//! **Grant rule.** The last party to arrive grants passage to the others and goes on at once.
//! The barrier then *drains*: parties that arrive before every released party has gone on wait
//! apart, and form the next round, in the order they arrived, once the last released party has
//! gone. A party that gives up before the barrier fills simply leaves.

use std::collections::VecDeque;

use super::tasks::TaskId;

pub struct Barrier {
    parties: u64,
    arrived: Vec<TaskId>,
    /// Released parties that have not gone on yet; while there are any, the barrier drains.
    draining: Vec<TaskId>,
    /// Parties that arrived while the barrier drained, in order.
    blocked: VecDeque<TaskId>,
}

impl Barrier {
    pub fn new(parties: u64) -> Self {
        Barrier { parties, arrived: Vec::new(), draining: Vec::new(), blocked: VecDeque::new() }
    }

    /// Arrives; returns the parties granted passage when this one is the last, `None` to wait.
    pub fn arrive(&mut self, task: TaskId) -> Option<Vec<TaskId>> {
        if !self.draining.is_empty() {
            self.blocked.push_back(task);
            return None;
        }
        if self.arrived.len() as u64 + 1 < self.parties {
            self.arrived.push(task);
            return None;
        }
        let released = std::mem::take(&mut self.arrived);
        self.draining.clone_from(&released);
        Some(released)
    }

    /// A party that was granted passage goes on (or gives up). Once the last released party has,
    /// the parties that arrived meanwhile form the next round: returns those granted passage now,
    /// each round's last party first.
    pub fn gone(&mut self, task: TaskId) -> Vec<TaskId> {
        let Some(at) = self.draining.iter().position(|&t| t == task) else { return Vec::new() };
        self.draining.swap_remove(at);
        let mut granted = Vec::new();
        while self.draining.is_empty() {
            let Some(next) = self.blocked.pop_front() else { break };
            if let Some(released) = self.arrive(next) {
                granted.push(next);
                granted.extend(released);
            }
        }
        granted
    }

    /// A waiting party gives up; returns who is granted passage because of it.
    pub fn abandon(&mut self, task: TaskId, granted: bool) -> Vec<TaskId> {
        if granted {
            return self.gone(task);
        }
        self.arrived.retain(|&t| t != task);
        self.blocked.retain(|&t| t != task);
        Vec::new()
    }

    /// `(arrived, parties)`, for the deadlock report.
    pub fn progress(&self) -> (usize, u64) {
        (self.arrived.len(), self.parties)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_that_arrive_while_the_barrier_drains_form_the_next_round_once_it_has() {
        let mut b = Barrier::new(2);
        assert_eq!(b.arrive(0), None);
        assert_eq!(b.arrive(1), Some(vec![0]), "1 is the last: 0 is released");
        assert_eq!(b.arrive(2), None, "the barrier drains until 0 has gone on");
        assert_eq!(b.arrive(3), None);
        assert_eq!(b.gone(0), vec![3, 2], "the next round: its last party first");
        assert_eq!(b.gone(2), Vec::<TaskId>::new());
    }
}
