//! Queues (`[queues.NAME]`): FIFO, bounded or not, with asyncio's `task_done` and `join`.
//!
//! **Grant rule.** When an item arrives and tasks wait to get, the first of them is granted the
//! front item: it is reserved for that task, and nobody who comes later can take it first.
//! Likewise a place freed in a full queue is reserved for the first waiting putter. A waiter that
//! gives up hands its reservation to the next one.

use std::collections::VecDeque;

use super::tasks::TaskId;

/// An item in a queue: its text and when it entered the queue.
#[derive(Debug)]
pub struct Item {
    pub text: String,
    pub put_at: u64,
}

pub struct Queue {
    capacity: Option<usize>,
    items: VecDeque<Item>,
    getters: VecDeque<TaskId>,
    putters: VecDeque<TaskId>,
    /// Items at the front reserved for woken getters that have not yet taken them.
    reserved_items: usize,
    /// Free places reserved for woken putters that have not yet put.
    reserved_places: usize,
    unfinished: u64,
    joiners: Vec<TaskId>,
}

impl Queue {
    pub fn new(capacity: Option<usize>) -> Self {
        Queue {
            capacity,
            items: VecDeque::new(),
            getters: VecDeque::new(),
            putters: VecDeque::new(),
            reserved_items: 0,
            reserved_places: 0,
            unfinished: 0,
            joiners: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Puts without waiting and returns the getter granted the item, if one waits; gives the
    /// item back when the queue is full or earlier putters wait.
    pub fn try_put(&mut self, item: Item) -> Result<Option<TaskId>, Item> {
        let full = self.capacity.is_some_and(|c| self.items.len() + self.reserved_places >= c);
        if full || !self.putters.is_empty() {
            return Err(item);
        }
        Ok(self.accept(item))
    }

    /// Puts into the place reserved for a putter that was granted one.
    pub fn put_reserved(&mut self, item: Item) -> Option<TaskId> {
        self.reserved_places -= 1;
        self.accept(item)
    }

    fn accept(&mut self, item: Item) -> Option<TaskId> {
        self.unfinished += 1;
        self.items.push_back(item);
        self.grant_getter()
    }

    fn grant_getter(&mut self) -> Option<TaskId> {
        if self.items.len() <= self.reserved_items {
            return None;
        }
        let getter = self.getters.pop_front()?;
        self.reserved_items += 1;
        Some(getter)
    }

    fn grant_putter(&mut self) -> Option<TaskId> {
        let putter = self.putters.pop_front()?;
        self.reserved_places += 1;
        Some(putter)
    }

    /// Gets without waiting, if an item nobody else has been promised is there; also returns
    /// the putter granted the place it frees.
    pub fn try_get(&mut self) -> Option<(Item, Option<TaskId>)> {
        if self.items.len() <= self.reserved_items {
            return None;
        }
        let item = self.items.pop_front()?;
        Some((item, self.grant_putter()))
    }

    /// Takes the front item, reserved for a getter that was granted it; also returns the putter
    /// granted the place it frees.
    pub fn get_reserved(&mut self) -> (Item, Option<TaskId>) {
        self.reserved_items -= 1;
        let item = self.items.pop_front().expect("a reserved item is in the queue");
        (item, self.grant_putter())
    }

    pub fn wait_get(&mut self, task: TaskId) {
        self.getters.push_back(task);
    }

    pub fn wait_put(&mut self, task: TaskId) {
        self.putters.push_back(task);
    }

    /// A waiting getter gives up: an item reserved for it goes to the next getter, returned.
    pub fn abandon_get(&mut self, task: TaskId, granted: bool) -> Option<TaskId> {
        if granted {
            self.reserved_items -= 1;
            self.grant_getter()
        } else {
            self.getters.retain(|&t| t != task);
            None
        }
    }

    /// A waiting putter gives up: a place reserved for it goes to the next putter, returned.
    pub fn abandon_put(&mut self, task: TaskId, granted: bool) -> Option<TaskId> {
        if granted {
            self.reserved_places -= 1;
            self.grant_putter()
        } else {
            self.putters.retain(|&t| t != task);
            None
        }
    }

    /// Marks one item done and returns the joiners to wake when none is left unfinished;
    /// `Err` when no item is unfinished, as asyncio's `task_done` raises.
    pub fn done(&mut self) -> Result<Vec<TaskId>, ()> {
        if self.unfinished == 0 {
            return Err(());
        }
        self.unfinished -= 1;
        Ok(if self.unfinished == 0 { std::mem::take(&mut self.joiners) } else { Vec::new() })
    }

    pub fn all_done(&self) -> bool {
        self.unfinished == 0
    }

    pub fn wait_join(&mut self, task: TaskId) {
        self.joiners.push(task);
    }

    pub fn abandon_join(&mut self, task: TaskId) {
        self.joiners.retain(|&t| t != task);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> Item {
        Item { text: text.into(), put_at: 0 }
    }

    #[test]
    fn a_waiting_getter_is_granted_the_item_and_nobody_takes_it_first() {
        let mut q = Queue::new(None);
        q.wait_get(7);
        assert_eq!(q.try_put(item("a")).ok(), Some(Some(7)));
        assert!(q.try_get().is_none(), "the item is reserved for task 7");
        assert_eq!(q.get_reserved().0.text, "a");
    }

    #[test]
    fn a_full_queue_grants_the_freed_place_to_the_first_putter() {
        let mut q = Queue::new(Some(1));
        assert!(q.try_put(item("a")).is_ok());
        let b = q.try_put(item("b")).expect_err("the queue is full");
        q.wait_put(3);
        let (got, putter) = q.try_get().expect("an item is there");
        assert_eq!((got.text.as_str(), putter), ("a", Some(3)));
        assert!(q.try_put(item("c")).is_err(), "the place is reserved for task 3");
        assert_eq!(q.put_reserved(b), None);
    }

    #[test]
    fn a_getter_that_gives_up_hands_its_item_to_the_next() {
        let mut q = Queue::new(None);
        q.wait_get(1);
        q.wait_get(2);
        assert_eq!(q.try_put(item("a")).ok(), Some(Some(1)));
        assert_eq!(q.abandon_get(1, true), Some(2));
    }
}
