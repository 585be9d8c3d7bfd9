//! The runtime: runs a [`Plan`] on a tokio current-thread runtime, on a virtual clock, and hands
//! what happens to the run's sinks as typed events. It renders nothing itself.
//!
//! # Time
//! The clock belongs to the engine, not to tokio. Timers live in a heap keyed by
//! `(deadline, registration order)` (`clock.rs`). tokio's `on_thread_park` hook runs when the
//! runtime has no task to run and is about to park; there the engine moves the clock to the
//! earliest deadline and wakes every task whose timer is due at that instant, in registration
//! order. Woken tasks run in the order they were woken (tokio's current-thread queue is FIFO),
//! and tasks they wake join the back of the queue. So:
//!
//! **Same-instant rule:** events at one instant happen in the order their timers were
//! registered, then in the order tasks were woken; time moves only when no task can run.
//!
//! This is asyncio's rule too, and it is why a timeout registered before the work it guards
//! wins a tie with it. tokio's own timers are not used: its paused clock rounds deadlines up to
//! whole milliseconds and fires deadlines inside one millisecond in poll order.
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
mod event;
mod line;
mod queue;
mod rate_limit;
mod semaphore;
mod suspend;
mod task;
mod tasks;
mod world;

use std::future::poll_fn;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use crate::event::TaskIndex;
use crate::plan::{Limits, Plan};
use crate::sink::{Sinks, Summary};
use world::{RunState, Unwind, World};

/// What every task of a run shares: the plan, the seed and the world behind its lock.
///
/// The lock is never contended (one thread) and never held across an `await`; it is a
/// `Mutex` only because tokio's park hook and spawned tasks must be `Send`.
struct Shared {
    plan: Arc<Plan>,
    seed: u64,
    limits: Limits,
    world: Mutex<World>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().expect("the world lock is poisoned: a task panicked, which is a bug")
    }

    /// The world, if the run is still going on.
    fn lock_running(&self) -> Result<MutexGuard<'_, World>, Unwind> {
        let w = self.lock();
        if w.state == RunState::Running { Ok(w) } else { Err(Unwind::Stopped) }
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
    let shared = Arc::new(Shared { plan, seed, limits, world: Mutex::new(world) });

    // The hook holds a weak reference: the world keeps tasks' wakers, which keep the runtime's
    // handle, which keeps this hook; a strong one would make a cycle.
    let hook = Arc::downgrade(&shared);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .on_thread_park(move || {
            if let Some(shared) = hook.upgrade() {
                shared.lock().advance();
            }
        })
        .build()
        .expect("a current-thread runtime without drivers always builds");

    runtime.block_on(async {
        let main = shared.lock().create_task(MAIN_DECL, 0, 0, "main".to_owned(), None).expect("main is the first task");
        tokio::task::spawn(task::run(shared.clone(), main));
        poll_fn(|cx| {
            let mut w = shared.lock();
            if std::mem::take(&mut w.after_due) {
                let index = shared.plan.after_index();
                if let Some(after) = w.create_task(index, 0, 0, "after".to_owned(), None) {
                    tokio::task::spawn(task::run(shared.clone(), after));
                }
            }
            if w.state == RunState::Running {
                w.set_supervisor(cx.waker());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
    });
    // Dropping the runtime drops the tasks still suspended (after a failure); their
    // suspension points unregister themselves from the world.
    drop(runtime);

    let shared = Arc::try_unwrap(shared).unwrap_or_else(|_| panic!("a task outlived its runtime"));
    let world = shared.world.into_inner().expect("the world lock is poisoned: a task panicked, which is a bug");
    world.finish()
}
