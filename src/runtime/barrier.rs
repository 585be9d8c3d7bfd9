//! Barriers (`[barriers.NAME]`): tasks wait until `parties` of them have arrived.
//!
//! **Grant rule.** The last party to arrive grants passage to the others and goes on at once;
//! the barrier then starts over. A party that gives up before the barrier fills simply leaves.

use super::tasks::TaskId;

pub struct Barrier {
    parties: u64,
    arrived: Vec<TaskId>,
}

impl Barrier {
    pub fn new(parties: u64) -> Self {
        Barrier { parties, arrived: Vec::new() }
    }

    /// Arrives; returns the parties granted passage when this one is the last, `None` to wait.
    pub fn arrive(&mut self, task: TaskId) -> Option<Vec<TaskId>> {
        if self.arrived.len() as u64 + 1 < self.parties {
            self.arrived.push(task);
            return None;
        }
        Some(std::mem::take(&mut self.arrived))
    }

    pub fn abandon(&mut self, task: TaskId, granted: bool) {
        if !granted {
            self.arrived.retain(|&t| t != task);
        }
    }

    /// `(arrived, parties)`, for the deadlock report.
    pub fn progress(&self) -> (usize, u64) {
        (self.arrived.len(), self.parties)
    }
}
