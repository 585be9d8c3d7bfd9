//! The runtime: runs a [`Plan`] on a tokio current-thread runtime, on a virtual clock, and hands
//! what happens to the run's sinks as typed events. It renders nothing itself.
//!
//! # Time
//! The clock belongs to the engine, not to tokio. Timers live in a heap keyed by
//! `(deadline, registration order)` (`clock.rs`). Each task replica is a future, and the run
//! polls them itself, from one run queue that is first in, first out (`tasks.rs`), inside a
//! tokio current-thread runtime: a task is polled when it is created and each time it is
//! woken, and a wake puts it at the back of the queue (once: a task in the queue already stays
//! where it is). When the queue is empty, no task can run: the run moves the clock to the
//! earliest deadline and wakes every task whose timer is due at that instant, in registration
//! order. Woken tasks run in the order they were woken, and tasks they wake join the back of
//! the queue. So:
//!
//! **Same-instant rule:** events at one instant happen in the order their timers were
//! registered, then in the order tasks were woken; time moves only when no task can run.
//!
//! This is asyncio's rule too, and it is why a timeout registered before the work it guards
//! wins a tie with it. tokio's own timers are not used: its paused clock rounds deadlines up to
//! whole milliseconds and fires deadlines inside one millisecond in poll order.
//!
//! # Why the run polls its tasks itself
//! A tokio task per replica costs a 512-byte task cell (aligned to 128 bytes, holding the
//! future), reference-counted wakers and the scheduler's atomic state changes on every wait;
//! and knowing that no task can run needed one more task going round the queue. The run's own
//! queue needs a boxed future and a byte of state per task, a wake is a push, and an empty
//! queue says that time may move. The order is the one tokio's `LocalSet` gave: the transcripts
//! did not change by a byte.
//!
//! # Layout
//! - `world.rs`: the state of a run behind its lock; routes between the parts below.
//! - `clock.rs`, `tasks.rs`: the timers and the task table.
//! - `queue.rs`, `semaphore.rs`, `event.rs`, `barrier.rs`, `rate_limit.rs`: one primitive each,
//!   owning its state, its waiters and its grant rule.
//! - `task.rs`: the interpreter; `suspend.rs`: the one place a task waits.
//!
//! # Chance
//! Each task replica draws from its own stream (see [`crate::rng`]).

mod barrier;
mod clock;
mod container;
mod event;
mod line;
mod queue;
mod rate_limit;
mod semaphore;
mod suspend;
mod task;
mod tasks;
mod world;

use std::cell::{Cell, RefCell, RefMut};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Waker};

use crate::event::TaskIndex;
use crate::plan::{Limits, Plan};
use crate::sink::{Sinks, Summary};
use tasks::TaskId;
use world::{RunState, Unwind, World};

/// A task replica's future: `task::run`.
type TaskFuture = Pin<Box<dyn Future<Output = ()>>>;

/// What every task of a run shares: the plan, the seed, the world and the tasks' futures.
///
/// Every task of a run is on one thread, so the world is a `RefCell`: borrowed once per step
/// and never across an `await` (a borrow that outlived its step would make the next one panic,
/// which the tests would show).
struct Shared {
    plan: Arc<Plan>,
    seed: u64,
    limits: Limits,
    world: RefCell<World>,
    /// Each task's future, by task id: `None` while it is polled and once it has ended.
    futures: RefCell<Vec<Option<TaskFuture>>>,
    /// Steps run by every task so far (wrapping), under a wall-clock limit, which is checked every
    /// [`WALL_CHECK_EVERY`] of them, as well as every so many events, since a loop of steps
    /// that record nothing (cancelling a task that is not running) may run for hours between
    /// events.
    steps: Cell<u64>,
}

/// How many steps, and how many events, pass between two checks of the wall-clock limit (a
/// power of two).
const WALL_CHECK_EVERY: u64 = 1 << 16;

impl Shared {
    fn lock(&self) -> RefMut<'_, World> {
        self.world.borrow_mut()
    }

    /// The world, if the run is still going on.
    fn lock_running(&self) -> Result<RefMut<'_, World>, Unwind> {
        let w = self.lock();
        if w.state == RunState::Running { Ok(w) } else { Err(Unwind::Stopped) }
    }

    /// Makes task `id` (just created) run: its future joins the back of the run queue.
    fn spawn(this: &Rc<Shared>, id: TaskId, generation: u64) {
        let future = Box::pin(task::run(this.clone(), id, generation));
        let mut futures = this.futures.borrow_mut();
        if futures.len() <= id {
            futures.resize_with(id + 1, || None);
        }
        futures[id] = Some(future);
        this.lock().tasks.schedule(id);
    }

    /// Polls the tasks in the order they become ready, and moves time when none is, until the
    /// run stops (see Time, above). Starts `after` once every other task has ended.
    fn drive(this: &Rc<Shared>) {
        // A task is woken through the run queue (`World`'s grants), never through its waker.
        let mut cx = Context::from_waker(Waker::noop());
        // The task polled last, and whether it ended: told to the task table with the next
        // borrow of the world, which picks the next task.
        let mut last: Option<(TaskId, bool)> = None;
        loop {
            let id = {
                let mut w = this.lock();
                if let Some((id, ended)) = last.take() {
                    w.tasks.polled(id, ended);
                }
                if w.state != RunState::Running {
                    return;
                }
                match w.tasks.next_ready() {
                    Some(id) => id,
                    None if std::mem::take(&mut w.after_due) => {
                        let index = this.plan.after_index();
                        if let Some(after) = w.create_task(index, 0, "after".into(), None) {
                            drop(w);
                            Shared::spawn(this, after, 0);
                        }
                        continue;
                    }
                    None => {
                        w.advance();
                        continue;
                    }
                }
            };
            let mut future = this.futures.borrow_mut()[id].take().expect("a task in the run queue has its future");
            let ended = future.as_mut().poll(&mut cx).is_ready();
            if !ended {
                this.futures.borrow_mut()[id] = Some(future);
            }
            last = Some((id, ended));
        }
    }
}

/// The task index of `main` in the run's [`crate::event::Model`].
const MAIN_DECL: TaskIndex = 0;

/// Runs `plan` with `seed` within `limits`, handing every event to `sinks` as it happens.
///
/// Returns the run's summary (with `failure` set when the run failed) and the first error a sink
/// had writing its output, if any.
pub fn run(plan: Arc<Plan>, seed: u64, limits: Limits, mut sinks: Sinks) -> (Summary, io::Result<()>) {
    let model = plan.model();
    sinks.begin(&model, seed);
    let world = World::new(&plan, limits, model, sinks);
    let shared = Rc::new(Shared {
        plan,
        seed,
        limits,
        world: RefCell::new(world),
        futures: RefCell::default(),
        steps: Cell::new(0),
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime without drivers always builds");
    runtime.block_on(async {
        let main = shared.lock().create_task(MAIN_DECL, 0, "main".into(), None).expect("main is the first task");
        Shared::spawn(&shared, main, 0);
        Shared::drive(&shared);
    });
    // The tasks still suspended (after a failure) are dropped; their suspension points
    // unregister themselves from the world.
    let futures = std::mem::take(&mut *shared.futures.borrow_mut());
    drop(futures);
    drop(runtime);

    let shared = Rc::try_unwrap(shared).unwrap_or_else(|_| panic!("a task outlived its runtime"));
    shared.world.into_inner().finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every live task holds its future (boxed once), so its size is memory per task (README's
    /// million live tasks). Raise the bound only knowingly: 240 bytes since the top level boxes
    /// the less common steps' future and holds one iterator over its steps, the context lost its
    /// boxed slices and its message buffer for thin and boxed ones, and a wait holds one
    /// reference to the context rather than three to parts of it.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_sleeping_task_s_future_stays_small() {
        let source = "[tasks.t]\ncount = 2\nsteps = [{ sleep = \"1s\" }]\n[main]\nsteps = [{ gather = \"t\" }]\n";
        let scenario = crate::Scenario::from_source("t.toml", source).expect("compiles");
        let plan = scenario.plan().clone();
        let model = plan.model();
        let limits = Limits::default();
        let world = World::new(&plan, limits, model, Sinks::new(Vec::new(), false));
        let shared = Rc::new(Shared {
            plan,
            seed: 1,
            limits,
            world: RefCell::new(world),
            futures: RefCell::default(),
            steps: Cell::new(0),
        });
        let main = shared.lock().create_task(MAIN_DECL, 0, "main".into(), None).expect("main starts");
        let future = task::run(shared.clone(), main, 0);
        let size = size_of_val(&future);
        assert!(size <= 240, "a task's future is {size} bytes");
    }
}
