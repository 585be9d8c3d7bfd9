//! The one place a task waits: [`Suspend`], polled under the world lock, and the operations it
//! waits on.
//!
//! Every poll follows the same rule: first whether the run has stopped, then a pending interrupt
//! (cancellation, then an expired timeout), then the operation's own completion. An operation
//! that had already been granted something when an interrupt wins gives it back (a reserved item
//! or place goes to the next task waiting for one), so nothing is lost or taken twice.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::clock::TimerId;
use super::queue::Item;
use super::task::Ctx;
use super::tasks::{TaskId, Waiting};
use super::world::{RunState, Unwind, World};
use crate::event::Outcome;

/// An operation a task waits on, polled under the world lock.
pub trait Op {
    type Output;
    /// `Some` once the operation is complete.
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<Self::Output>;
    /// The task stops waiting before completion: undo whatever the wait registered or was granted.
    fn abandon(&mut self, w: &mut World, id: TaskId);
    fn waiting(&self) -> Waiting;
}

/// A suspension point: see the module documentation for the order of checks.
pub struct Suspend<'a, O: Op> {
    /// The waiting task's context: its world, its id, and its count of steps since it last
    /// waited, which is reset only if it really waits, so that an operation that completes at
    /// once cannot hide an endless loop. One reference rather than three: a live task's future
    /// holds the `Suspend` it waits in.
    pub ctx: &'a mut Ctx,
    pub op: O,
    pub done: bool,
    /// Interrupts stay pending instead of being delivered here.
    pub shielded: bool,
}

impl<O: Op + Unpin> Future for Suspend<'_, O> {
    type Output = Result<O::Output, Unwind>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let id = this.ctx.id;
        let mut w = this.ctx.shared.lock();
        let interrupt = if w.state != RunState::Running {
            Some(Unwind::Stopped)
        } else if this.shielded {
            None
        } else {
            w.interrupt(id)
        };
        if let Some(unwind) = interrupt {
            this.op.abandon(&mut w, id);
            this.done = true;
            return Poll::Ready(Err(unwind));
        }
        match this.op.poll_op(&mut w, id) {
            Some(out) => {
                this.done = true;
                Poll::Ready(Ok(out))
            }
            None => {
                // `steps` is 0 from the first time this wait parks on: the wait began then.
                let began = this.ctx.steps != 0;
                w.park(id, this.op.waiting(), began);
                drop(w);
                this.ctx.steps = 0;
                Poll::Pending
            }
        }
    }
}

impl<O: Op> Drop for Suspend<'_, O> {
    fn drop(&mut self) {
        if !self.done {
            let mut w = self.ctx.shared.lock();
            self.op.abandon(&mut w, self.ctx.id);
        }
    }
}

/// Waits for a timer: a sleep, blocking work handed to a thread, a backoff, a token.
pub struct SleepOp {
    pub timer: Option<TimerId>,
}

impl Op for SleepOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, _: TaskId) -> Option<()> {
        let timer = self.timer?;
        w.clock.fired(timer).then(|| {
            w.clock.release(timer);
            self.timer = None;
        })
    }
    fn abandon(&mut self, w: &mut World, _: TaskId) {
        if let Some(timer) = self.timer.take() {
            w.clock.release(timer);
        }
    }
    fn waiting(&self) -> Waiting {
        Waiting::Sleep
    }
}

pub struct GetOp {
    pub queue: usize,
}

impl Op for GetOp {
    type Output = Item;
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<Item> {
        w.take_item(self.queue, id)
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_get(self.queue, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Get(self.queue)
    }
}

/// Waits to put `item`; the item goes into the queue when the operation completes.
pub struct PutOp {
    pub queue: usize,
    pub item: Option<Item>,
}

impl Op for PutOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.put_woken(self.queue, id, &mut self.item).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_put(self.queue, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Put(self.queue)
    }
}

pub struct JoinOp {
    pub queue: usize,
}

impl Op for JoinOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.joined(self.queue, id).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_join(self.queue, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Join(self.queue)
    }
}

/// Waits for tasks to end. Tasks usually end in order, so a cursor keeps the check cheap.
pub struct WaitOp {
    tasks: Rc<Vec<TaskId>>,
    next: usize,
    fail_fast: bool,
    /// The waiter's `child_failures` when it last looked.
    seen_failures: u32,
}

impl WaitOp {
    pub fn new(tasks: Rc<Vec<TaskId>>, fail_fast: bool, seen_failures: u32) -> Self {
        WaitOp { tasks, next: 0, fail_fast, seen_failures }
    }
}

impl Op for WaitOp {
    /// `Err(task)`: with `fail_fast`, that task failed.
    type Output = Result<(), TaskId>;
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<Result<(), TaskId>> {
        if self.fail_fast && w.tasks[id].child_failures != self.seen_failures {
            self.seen_failures = w.tasks[id].child_failures;
            if let Some(&failed) = self.tasks.iter().find(|&&t| w.tasks[t].outcome == Some(Outcome::Failed)) {
                return Some(Err(failed));
            }
        }
        while self.next < self.tasks.len() && w.tasks[self.tasks[self.next]].done {
            self.next += 1;
        }
        (self.next == self.tasks.len()).then_some(Ok(()))
    }
    fn abandon(&mut self, _: &mut World, _: TaskId) {
        // Stale entries in the tasks' waiter lists only cause a spurious wake-up.
    }
    fn waiting(&self) -> Waiting {
        // Only asked while some task in the list has not ended, so `next` is in range.
        Waiting::Task(self.tasks[self.next])
    }
}

/// Waits until no replica of some declared tasks is running.
pub struct WaitDeclsOp {
    pub decls: Vec<usize>,
}

impl Op for WaitDeclsOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.none_running(&self.decls, id).then_some(())
    }
    fn abandon(&mut self, _: &mut World, _: TaskId) {
        // A stale entry in a waiter list only causes a spurious wake-up.
    }
    fn waiting(&self) -> Waiting {
        Waiting::Decl(self.decls[0])
    }
}

/// Waits until a race is decided: the first racer to complete (`first_completed`: to end),
/// or `None` when all ended without completing.
///
/// The racers' ends reach the race through the racing task's inbox, in the order they happened,
/// so a poll costs what ended since the last one, not the whole field.
pub struct RaceOp {
    pub racers: Vec<TaskId>,
    pub first_completed: bool,
    /// Racers that have not ended yet.
    pub running: usize,
}

impl Op for RaceOp {
    type Output = Option<TaskId>;
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<Option<TaskId>> {
        for ended in std::mem::take(&mut w.tasks[id].inbox) {
            self.running -= 1;
            let counts = match w.tasks[ended].outcome {
                Some(Outcome::Completed) => true,
                Some(_) => self.first_completed,
                None => false,
            };
            if counts {
                return Some(Some(ended));
            }
        }
        (self.running == 0).then_some(None)
    }
    fn abandon(&mut self, _: &mut World, _: TaskId) {}
    fn waiting(&self) -> Waiting {
        self.racers.first().map_or(Waiting::Sleep, |&t| Waiting::Task(t))
    }
}

pub struct AcquireOp {
    pub semaphore: usize,
    pub priority: u64,
}

impl Op for AcquireOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.take_permit(self.semaphore, id, self.priority).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_acquire(self.semaphore, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Acquire(self.semaphore)
    }
}

/// Waits until a condition on a counter holds, looking again each time the counter changes.
pub struct UntilOp {
    pub counter: usize,
    pub condition: crate::plan::Condition,
}

impl Op for UntilOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.until_or_wait(self.counter, &self.condition, id).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.leave_counter(self.counter, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Counter(self.counter)
    }
}

/// Waits for the reply to a call.
pub struct ReplyOp {
    pub call: u64,
}

impl Op for ReplyOp {
    type Output = String;
    fn poll_op(&mut self, w: &mut World, _: TaskId) -> Option<String> {
        w.take_reply(self.call)
    }
    fn abandon(&mut self, w: &mut World, _: TaskId) {
        w.abandon_call(self.call);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Reply(self.call)
    }
}

/// Waits in a container's line to take or fill; the amount moved.
pub struct ContainerOp {
    pub container: usize,
}

impl Op for ContainerOp {
    type Output = (u64, u64);
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<(u64, u64)> {
        w.container_granted(self.container, id)
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_container(self.container, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Container(self.container)
    }
}

/// Waits to be granted passage by an event being set or a barrier filling up.
pub struct Granted {
    pub waiting: Waiting,
}

impl Op for Granted {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        if !w.tasks.take_grant(id) {
            return None;
        }
        if let Waiting::Barrier(b) = self.waiting {
            w.pass_barrier(b, id);
        }
        Some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        match self.waiting {
            Waiting::Event(e) => w.abandon_event(e, id),
            Waiting::Barrier(b) => w.abandon_barrier(b, id),
            other => unreachable!("Granted waits on events and barriers, not {other:?}"),
        }
    }
    fn waiting(&self) -> Waiting {
        self.waiting
    }
}
