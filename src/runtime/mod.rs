//! The runtime: runs a [`Plan`] on a tokio current-thread runtime, on a virtual clock, and hands
//! what happens to the run's sinks as typed events. It renders nothing itself.
//!
//! # Time
//! The clock belongs to the engine, not to tokio. Timers live in a heap keyed by
//! `(deadline, registration order)` (`clock.rs`). The tasks run on a tokio `LocalSet`, whose
//! queue is first in, first out, and one more task there, the *ticker*, moves time: each time
//! it is polled it puts itself at the back of the queue, and when it comes round with no task
//! polled since its last turn, the queue held nothing else, so no task can run. Then it moves
//! the clock to the earliest deadline and wakes every task whose timer is due at that instant,
//! in registration order. Woken tasks run in the order they were woken, and tasks they wake
//! join the back of the queue. So:
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

use std::cell::{RefCell, RefMut};
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

use crate::event::TaskIndex;
use crate::plan::{Limits, Plan};
use crate::sink::{Sinks, Summary};
use world::{RunState, Unwind, World};

/// What every task of a run shares: the plan, the seed and the world.
///
/// Every task of a run is on one thread (a `LocalSet`), so the world is a `RefCell`: borrowed
/// once per step and never across an `await` (a borrow that outlived its step would make the
/// next one panic, which the tests would show).
struct Shared {
    plan: Arc<Plan>,
    seed: u64,
    limits: Limits,
    world: RefCell<World>,
}

impl Shared {
    fn lock(&self) -> RefMut<'_, World> {
        self.world.borrow_mut()
    }

    /// The world, if the run is still going on.
    fn lock_running(&self) -> Result<RefMut<'_, World>, Unwind> {
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
    let shared = Rc::new(Shared { plan, seed, limits, world: RefCell::new(world) });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime without drivers always builds");
    let tasks = tokio::task::LocalSet::new();
    tasks.block_on(&runtime, async {
        let main = shared.lock().create_task(MAIN_DECL, 0, 0, "main".to_owned(), None).expect("main is the first task");
        tokio::task::spawn_local(task::run(shared.clone(), main));
        tokio::task::spawn_local(ticker(shared.clone()));
        poll_fn(|cx| {
            let mut w = shared.lock();
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
    drop(tasks);
    drop(runtime);

    let shared = Rc::try_unwrap(shared).unwrap_or_else(|_| panic!("a task outlived its runtime"));
    shared.world.into_inner().finish()
}

/// Moves time when no task can run (see Time, above): the one task that is always in the
/// queue. It also starts `after` once every other task has ended. It ends with the run.
async fn ticker(shared: Rc<Shared>) {
    let mut seen = u64::MAX;
    poll_fn(|cx| {
        let mut w = shared.lock();
        if w.state != RunState::Running {
            return Poll::Ready(());
        }
        if std::mem::take(&mut w.after_due) {
            let index = shared.plan.after_index();
            if let Some(after) = w.create_task(index, 0, 0, "after".to_owned(), None) {
                tokio::task::spawn_local(task::run(shared.clone(), after));
            }
        } else if w.polls == seen {
            w.advance();
        }
        seen = w.polls;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}
