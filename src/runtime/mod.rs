//! The runtime: runs a [`Plan`] on a tokio current-thread runtime, on a virtual clock.
//!
//! # Time
//! The clock belongs to the engine, not to tokio. Timers live in a heap keyed by
//! `(deadline, registration order)` inside [`world::World`]. tokio's `on_thread_park` hook runs
//! when the runtime has no task to run and is about to park; there the engine moves the clock to
//! the earliest deadline and wakes every task whose timer is due at that instant, in
//! registration order. Woken tasks run in the order they were woken (tokio's current-thread
//! queue is FIFO), and tasks they wake join the back of the queue. So:
//!
//! **Same-instant rule:** events at one instant happen in the order their timers were
//! registered, then in the order tasks were woken; time moves only when no task can run.
//!
//! This is asyncio's rule too, and it is why a timeout registered before the work it guards
//! wins a tie with it. tokio's own timers are not used: its paused clock rounds deadlines up to
//! whole milliseconds and fires deadlines inside one millisecond in poll order.
//!
//! # Chance
//! Each task replica draws from its own stream (see [`crate::rng`]).

pub mod task;
pub mod world;

use std::future::poll_fn;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use crate::plan::Plan;
use crate::transcript::{Summary, Transcript};
use world::{RunState, Unwind, World};

/// What every task of a run shares: the plan, the seed and the world behind its lock.
///
/// The lock is never contended (one thread) and never held across an `await`; it is a
/// `Mutex` only because tokio's park hook and spawned tasks must be `Send`.
pub struct Shared {
    pub plan: Arc<Plan>,
    pub seed: u64,
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

/// Runs `plan` with `seed`, writing events to `transcript` as they happen.
///
/// Returns the run's statistics (with `failure` set when the run failed) and the first error
/// writing the transcript, if any.
pub fn run(plan: Arc<Plan>, seed: u64, mut transcript: Transcript) -> (Summary, io::Result<()>) {
    transcript.header(plan.description.as_deref(), seed);
    let world = World::new(&plan, transcript);
    let shared = Arc::new(Shared { plan, seed, world: Mutex::new(world) });

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
        let main = shared.lock().create_task(None, 0, "main".to_owned(), None).expect("main is the first task");
        tokio::task::spawn(task::run(shared.clone(), main));
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
    drop(runtime);

    let shared = Arc::try_unwrap(shared).unwrap_or_else(|_| panic!("a task outlived its runtime"));
    let world = shared.world.into_inner().expect("the world lock is poisoned: a task panicked, which is a bug");
    let summary = world.summary();
    let written = world.into_transcript().finish(&summary);
    (summary, written)
}

/// Runs `plan` and returns its transcript as a string, for tests and embedding.
pub fn run_to_string(plan: Arc<Plan>, seed: u64, format: crate::transcript::Format) -> (Summary, String) {
    let buffer = SharedBuffer::default();
    let transcript = Transcript::new(format, Box::new(buffer.clone()), plan.label_width);
    let (summary, written) = run(plan, seed, transcript);
    written.expect("writing to memory cannot fail");
    let bytes = std::mem::take(&mut *buffer.0.lock().expect("buffer lock"));
    (summary, String::from_utf8(bytes).expect("the transcript is UTF-8"))
}

/// An in-memory output that can be handed to a transcript and read afterwards.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
