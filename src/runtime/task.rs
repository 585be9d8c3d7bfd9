//! The interpreter: one tokio task per scenario task replica, walking its compiled steps.
//!
//! Every point where a task can wait is a [`Suspend`] future, and every one of them follows the
//! same rule, polled under the world lock: first a pending interrupt (cancellation, then an
//! expired timeout), then the operation's own completion. An operation that had already been
//! granted something when the interrupt wins gives it back (a reserved item or place goes to the
//! next task waiting for one), so nothing is lost or taken twice.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::Shared;
use super::world::{Item, TaskId, TimerId, Unwind, Waiting, World};
use crate::plan::{Count, GatherPolicy, Step, TaskPlan};
use crate::rng::Rng;
use crate::template::{Template, Values};
use crate::transcript::{EventKind, FailureKind, Outcome};

/// Runs task `id` to its end and records how it ended.
pub async fn run(shared: Arc<Shared>, id: TaskId) {
    let plan = shared.plan.clone();
    let (decl, replica, label) = {
        let w = shared.lock();
        let t = &w.tasks[id];
        (t.decl, t.replica, t.label.clone())
    };
    let task: &TaskPlan = decl.map_or(&plan.main, |d| &plan.tasks[d]);
    let mut ctx = Ctx {
        rng: Rng::for_task(shared.seed, &task.name, replica),
        cursors: vec![0; plan.sequence_slots],
        me: Me { label, name: task.name.clone(), i: replica, count: task.count },
        vars: Vars::default(),
        msg: String::new(),
        steps: 0,
        shared,
        id,
    };
    let started = !ctx.shared.lock().cancelled_before_start(id);
    let result = if started { exec(&mut ctx, &task.steps).await } else { Err(Unwind::Cancelled) };
    let (outcome, failure) = match result {
        Ok(()) => (Outcome::Completed, None),
        Err(Unwind::Cancelled) => (Outcome::Cancelled, None),
        Err(Unwind::Failed(why)) => (Outcome::Failed, Some(why)),
        Err(Unwind::Stopped) => return,
        Err(Unwind::Timeout(_)) => unreachable!("a timeout unwinds only to its own scope"),
    };
    ctx.shared.lock().end_task(id, outcome, failure);
}

/// Who the task is: fixed for its life.
struct Me {
    label: String,
    name: String,
    i: u64,
    count: u64,
}

/// What the task last did, for templates.
#[derive(Default)]
struct Vars {
    sleep: u64,
    item: Option<String>,
    waited: u64,
    n: u64,
}

struct Ctx {
    shared: Arc<Shared>,
    id: TaskId,
    me: Me,
    rng: Rng,
    cursors: Vec<usize>,
    vars: Vars,
    /// Reused buffer for rendered messages.
    msg: String,
    /// Steps run since the task last waited.
    steps: u64,
}

type Exec<'a> = Pin<Box<dyn Future<Output = Result<(), Unwind>> + Send + 'a>>;

fn exec<'a>(ctx: &'a mut Ctx, steps: &'a [Step]) -> Exec<'a> {
    Box::pin(async move {
        for step in steps {
            exec_step(ctx, step).await?;
        }
        Ok(())
    })
}

/// Renders `t` into `msg` with the task's values at virtual time `now`.
fn render(msg: &mut String, me: &Me, vars: &Vars, now: u64, t: &Template) {
    msg.clear();
    t.render(
        msg,
        &Values {
            task: &me.label,
            name: &me.name,
            i: me.i,
            count: me.count,
            n: vars.n,
            sleep_ns: vars.sleep,
            item: vars.item.as_deref(),
            waited_ns: vars.waited,
            elapsed_ns: now,
        },
    );
}

fn say(w: &mut World, ctx_msg: &mut String, me: &Me, vars: &Vars, id: TaskId, t: &Template) {
    render(ctx_msg, me, vars, w.now, t);
    w.record(id, EventKind::Say { text: ctx_msg });
}

impl Ctx {
    /// Counts a step and checks that the run still goes on.
    fn step(&mut self) -> Result<(), Unwind> {
        self.steps += 1;
        let limit = self.shared.plan.max_steps_without_waiting;
        if self.steps > limit {
            let mut w = self.shared.lock();
            w.fail(
                FailureKind::Livelock,
                format!(
                    "task `{}` ran {limit} steps without waiting: a loop that never sleeps or waits never lets virtual time pass",
                    self.me.label
                ),
            );
            return Err(Unwind::Stopped);
        }
        Ok(())
    }

    fn suspend<O: Op>(&mut self, op: O) -> Suspend<'_, O> {
        Suspend { shared: &self.shared, steps: &mut self.steps, id: self.id, op, done: false, shielded: false }
    }
}

async fn exec_step(ctx: &mut Ctx, step: &Step) -> Result<(), Unwind> {
    ctx.step()?;
    let id = ctx.id;
    match step {
        Step::Say(t) => {
            let mut w = ctx.shared.lock_running()?;
            say(&mut w, &mut ctx.msg, &ctx.me, &ctx.vars, id, t);
        }
        Step::Sleep { duration, say: announce } => {
            let d = duration.sample(&mut ctx.rng, &mut ctx.cursors);
            ctx.vars.sleep = d;
            let timer = {
                let mut w = ctx.shared.lock_running()?;
                if let Some(t) = announce {
                    say(&mut w, &mut ctx.msg, &ctx.me, &ctx.vars, id, t);
                }
                w.record(id, EventKind::Sleep { duration: d });
                let at = w.now.saturating_add(d);
                w.add_timer(id, at)
            };
            ctx.suspend(SleepOp { timer: Some(timer) }).await?;
        }
        Step::Put { queue, item, say: announce } => {
            // The rendered item stays in `ctx.msg` until the put is recorded: nothing renders
            // while the task waits for space.
            let (waiting, start) = {
                let mut w = ctx.shared.lock_running()?;
                let start = w.now;
                render(&mut ctx.msg, &ctx.me, &ctx.vars, start, item);
                let waiting = w.try_put(*queue, Item { text: ctx.msg.clone(), put_at: start }).err();
                if waiting.is_some() {
                    w.wait_put(*queue, id);
                }
                (waiting, start)
            };
            if let Some(item) = waiting {
                ctx.suspend(PutOp { queue: *queue }).await?;
                ctx.shared.lock_running()?.put_reserved(*queue, item);
            }
            let mut w = ctx.shared.lock_running()?;
            let name = &ctx.shared.plan.queues[*queue].name;
            let blocked = w.now - start;
            w.record(id, EventKind::Put { queue: name, item: &ctx.msg, blocked });
            if let Some(t) = announce {
                say(&mut w, &mut ctx.msg, &ctx.me, &ctx.vars, id, t);
            }
        }
        Step::Get { queue, say: announce } => {
            let ready = {
                let mut w = ctx.shared.lock_running()?;
                let item = w.try_get(*queue);
                if item.is_none() {
                    w.wait_get(*queue, id);
                }
                item
            };
            let item = match ready {
                Some(item) => item,
                None => ctx.suspend(GetOp { queue: *queue }).await?,
            };
            let mut w = ctx.shared.lock_running()?;
            let waited = w.got(*queue, &item);
            let name = &ctx.shared.plan.queues[*queue].name;
            w.record(id, EventKind::Get { queue: name, item: &item.text, waited });
            ctx.vars.item = Some(item.text);
            ctx.vars.waited = waited;
            if let Some(t) = announce {
                say(&mut w, &mut ctx.msg, &ctx.me, &ctx.vars, id, t);
            }
        }
        Step::Done { queue } => {
            let mut w = ctx.shared.lock_running()?;
            if let Err(why) = w.done(*queue) {
                return Err(fail(&mut w, id, why));
            }
            w.record(id, EventKind::Done { queue: &ctx.shared.plan.queues[*queue].name });
        }
        Step::Join { queue } => {
            let ready = {
                let mut w = ctx.shared.lock_running()?;
                let ready = w.all_done(*queue);
                if !ready {
                    w.wait_join(*queue, id);
                }
                ready
            };
            if !ready {
                ctx.suspend(JoinOp { queue: *queue }).await?;
            }
            let mut w = ctx.shared.lock_running()?;
            w.record(id, EventKind::Join { queue: &ctx.shared.plan.queues[*queue].name });
        }
        Step::Repeat { times, body } => {
            let n = match times {
                Count::Forever => u64::MAX,
                Count::Expr(e) => match e.eval(ctx.me.i as i64, ctx.me.count as i64) {
                    Some(n) if n >= 0 => n as u64,
                    _ => {
                        let mut w = ctx.shared.lock_running()?;
                        return Err(fail(&mut w, id, "a repeat count is negative or overflows".into()));
                    }
                },
                Count::Drawn(d) => d.sample(&mut ctx.rng, &mut ctx.cursors),
            };
            let outer = ctx.vars.n;
            let mut result = Ok(());
            for k in 0..n {
                ctx.vars.n = k;
                result = ctx.step().and(exec(ctx, body).await);
                if result.is_err() {
                    break;
                }
            }
            ctx.vars.n = outer;
            result?;
        }
        Step::Start { tasks } => {
            start(ctx, tasks)?;
        }
        Step::Gather { tasks, policy } => {
            let children = start(ctx, tasks)?;
            let fail_fast = *policy == GatherPolicy::FailFast;
            match wait_for(ctx, children.clone(), fail_fast).await {
                Ok(()) if fail_fast => {}
                Ok(()) => {
                    let mut w = ctx.shared.lock_running()?;
                    let count = |o| children.iter().filter(|&&c| w.tasks[c].outcome == Some(o)).count() as u64;
                    let (completed, failed, cancelled) =
                        (count(Outcome::Completed), count(Outcome::Failed), count(Outcome::Cancelled));
                    w.record(id, EventKind::Gathered { completed, failed, cancelled });
                }
                Err(unwind) => {
                    // Like asyncio's gather when cancelled, and a task group when a task fails:
                    // the other tasks are cancelled, and the gather ends once they all have.
                    if unwind != Unwind::Stopped {
                        cancel_and_drain(ctx, &children).await?;
                    }
                    return Err(unwind);
                }
            }
        }
        Step::Race { tasks } => {
            let racers = start(ctx, tasks)?;
            {
                let mut w = ctx.shared.lock_running()?;
                for &t in &racers {
                    w.watch(t, id);
                }
            }
            let won = ctx.suspend(RaceOp { racers: racers.clone() }).await;
            let won = match won {
                Ok(won) => won,
                Err(unwind) => {
                    if unwind != Unwind::Stopped {
                        cancel_and_drain(ctx, &racers).await?;
                    }
                    return Err(unwind);
                }
            };
            cancel_and_drain(ctx, &racers).await?;
            let mut w = ctx.shared.lock_running()?;
            match won {
                Some(winner) => {
                    let label = w.tasks[winner].label.clone();
                    w.record(id, EventKind::RaceWon { winner: &label });
                }
                None => return Err(fail(&mut w, id, "every task in the race failed or was cancelled".into())),
            }
        }
        Step::Wait { tasks } => {
            let ids = instances(ctx, tasks);
            wait_for(ctx, ids.clone(), false).await?;
            // Like awaiting a task in asyncio: its failure becomes the waiter's.
            let mut w = ctx.shared.lock_running()?;
            if let Some(&failed) = ids.iter().find(|&&t| w.tasks[t].outcome == Some(Outcome::Failed)) {
                let why = format!(
                    "task `{}` failed: {}",
                    w.tasks[failed].label,
                    w.tasks[failed].failure.as_deref().unwrap_or("")
                );
                return Err(fail(&mut w, id, why));
            }
        }
        Step::Cancel { tasks } => {
            let ids = instances(ctx, tasks);
            {
                let mut w = ctx.shared.lock_running()?;
                for &t in &ids {
                    w.request_cancel(id, t);
                }
            }
            wait_for(ctx, ids, false).await?;
        }
        Step::Timeout { after, body, on_timeout, finally } => {
            let after = after.sample(&mut ctx.rng, &mut ctx.cursors);
            let scope = {
                let mut w = ctx.shared.lock_running()?;
                let at = w.now.saturating_add(after);
                w.push_scope(id, at)
            };
            let result = exec(ctx, body).await;
            ctx.shared.lock().pop_scope(id, scope);
            let result = match result {
                Err(Unwind::Timeout(t)) if t == scope => {
                    ctx.shared.lock_running()?.record(id, EventKind::TimedOut { after });
                    exec(ctx, on_timeout).await
                }
                other => other,
            };
            if result != Err(Unwind::Stopped) {
                exec(ctx, finally).await?;
            }
            result?;
        }
        Step::Try { body, on_error, finally } => {
            let result = exec(ctx, body).await;
            let result = match (result, on_error) {
                (Err(Unwind::Failed(_)), Some(on_error)) => exec(ctx, on_error).await,
                (other, _) => other,
            };
            if result != Err(Unwind::Stopped) {
                exec(ctx, finally).await?;
            }
            result?;
        }
        Step::Acquire { semaphore } => acquire(ctx, *semaphore).await?,
        Step::Release { semaphore } => release(ctx, *semaphore)?,
        Step::Hold { semaphore, body } => {
            acquire(ctx, *semaphore).await?;
            let result = exec(ctx, body).await;
            if result != Err(Unwind::Stopped) {
                release(ctx, *semaphore)?;
            }
            result?;
        }
        Step::Set { event } => {
            let mut w = ctx.shared.lock_running()?;
            w.set_event(*event);
            w.record(id, EventKind::Set { event: &ctx.shared.plan.events[*event].name });
        }
        Step::Clear { event } => {
            let mut w = ctx.shared.lock_running()?;
            w.clear_event(*event);
            w.record(id, EventKind::Clear { event: &ctx.shared.plan.events[*event].name });
        }
        Step::WaitEvent { event } => {
            let set = ctx.shared.lock_running()?.check_event(*event, id);
            if !set {
                ctx.suspend(Granted { waiting: Waiting::Event(*event) }).await?;
            }
            let mut w = ctx.shared.lock_running()?;
            w.record(id, EventKind::EventWaited { event: &ctx.shared.plan.events[*event].name });
        }
        Step::Barrier { barrier } => {
            let last = ctx.shared.lock_running()?.arrive(*barrier, id);
            if !last {
                ctx.suspend(Granted { waiting: Waiting::Barrier(*barrier) }).await?;
            }
            let mut w = ctx.shared.lock_running()?;
            w.record(id, EventKind::Barrier { barrier: &ctx.shared.plan.barriers[*barrier].name });
        }
        Step::Throttle { limit } => {
            let (start, timer, reservation) = {
                let mut w = ctx.shared.lock_running()?;
                let (at, reservation) = w.reserve_token(*limit);
                let timer = (at > w.now).then(|| w.add_timer(id, at));
                (w.now, timer, reservation)
            };
            if timer.is_some() {
                let wait = ctx.suspend(SleepOp { timer }).await;
                if let Err(unwind) = wait {
                    ctx.shared.lock().unreserve_token(*limit, reservation);
                    return Err(unwind);
                }
            }
            let mut w = ctx.shared.lock_running()?;
            let blocked = w.now - start;
            w.record(id, EventKind::Throttle { limit: &ctx.shared.plan.rate_limits[*limit].name, blocked });
        }
        Step::Busy { duration } => {
            let d = duration.sample(&mut ctx.rng, &mut ctx.cursors);
            let mut w = ctx.shared.lock_running()?;
            w.record(id, EventKind::Busy { duration: d });
            w.busy(d);
        }
        Step::ToThread { duration } => {
            let d = duration.sample(&mut ctx.rng, &mut ctx.cursors);
            let pool = ctx.shared.plan.thread_pool;
            if let Some(pool) = pool {
                acquire(ctx, pool).await?;
            }
            let timer = {
                let mut w = ctx.shared.lock_running()?;
                w.record(id, EventKind::ToThread { duration: d });
                let at = w.now.saturating_add(d);
                w.add_timer(id, at)
            };
            let result = ctx.suspend(SleepOp { timer: Some(timer) }).await;
            if let Some(pool) = pool.filter(|_| result != Err(Unwind::Stopped)) {
                release(ctx, pool)?;
            }
            result?;
        }
        Step::Fail { message, probability } => {
            // Certain outcomes draw nothing, so adding `fail` with probability 0 or 1 does not
            // shift the task's later draws.
            let fails = match *probability {
                p if p >= 1.0 => true,
                p if p <= 0.0 => false,
                p => ctx.rng.unit() < p,
            };
            if fails {
                let mut w = ctx.shared.lock_running()?;
                render(&mut ctx.msg, &ctx.me, &ctx.vars, w.now, message);
                let why = ctx.msg.clone();
                return Err(fail(&mut w, id, why));
            }
        }
        Step::Retry { retries, body, backoff, jitter } => {
            let mut attempt = 0;
            loop {
                match exec(ctx, body).await {
                    Err(Unwind::Failed(_)) if attempt < *retries => {
                        let base = backoff.as_ref().map_or(0, |b| b.sample(&mut ctx.rng, &mut ctx.cursors));
                        let factor = 1u64.checked_shl(attempt.min(63) as u32).unwrap_or(u64::MAX);
                        let mut delay = base.saturating_mul(factor).min(crate::dist::MAX_VALUE);
                        if *jitter {
                            delay = (delay as f64 * ctx.rng.unit()) as u64;
                        }
                        attempt += 1;
                        let timer = {
                            let mut w = ctx.shared.lock_running()?;
                            w.record(id, EventKind::Retry { attempt: attempt + 1, delay });
                            let at = w.now.saturating_add(delay);
                            w.add_timer(id, at)
                        };
                        ctx.suspend(SleepOp { timer: Some(timer) }).await?;
                    }
                    other => break other?,
                }
            }
        }
    }
    Ok(())
}

/// Records a failure of task `id` and returns the unwind that carries it.
fn fail(w: &mut World, id: TaskId, why: String) -> Unwind {
    w.record(id, EventKind::Fail { message: &why });
    Unwind::Failed(why.into())
}

async fn acquire(ctx: &mut Ctx, semaphore: usize) -> Result<(), Unwind> {
    let id = ctx.id;
    let (ready, start) = {
        let mut w = ctx.shared.lock_running()?;
        let ready = w.try_acquire(semaphore, id);
        if !ready {
            w.wait_acquire(semaphore, id);
        }
        (ready, w.now)
    };
    if !ready {
        ctx.suspend(AcquireOp { semaphore }).await?;
    }
    let mut w = ctx.shared.lock_running()?;
    let blocked = w.now - start;
    w.acquired(semaphore, blocked);
    w.record(id, EventKind::Acquire { semaphore: &ctx.shared.plan.semaphores[semaphore].name, blocked });
    Ok(())
}

fn release(ctx: &mut Ctx, semaphore: usize) -> Result<(), Unwind> {
    let mut w = ctx.shared.lock_running()?;
    let name = &ctx.shared.plan.semaphores[semaphore].name;
    if !w.release(semaphore, ctx.id) {
        return Err(fail(&mut w, ctx.id, format!("released semaphore `{name}` without holding it")));
    }
    w.record(ctx.id, EventKind::Release { semaphore: name });
    Ok(())
}

/// Cancels `tasks` and waits until they have all ended, letting no interrupt in meanwhile.
async fn cancel_and_drain(ctx: &mut Ctx, tasks: &[TaskId]) -> Result<(), Unwind> {
    {
        let mut w = ctx.shared.lock_running()?;
        for &t in tasks {
            w.request_cancel(ctx.id, t);
        }
    }
    let mut drain = ctx.suspend(WaitOp::new(tasks.to_vec(), false, 0));
    drain.shielded = true;
    drain.await?.ok();
    Ok(())
}

/// Starts every replica of `tasks`, in order; they run once this task waits. Stops short when
/// the run reaches its task limit (the run has failed then).
fn start(ctx: &mut Ctx, tasks: &[usize]) -> Result<Vec<TaskId>, Unwind> {
    let plan = &ctx.shared.plan;
    let mut ids = Vec::new();
    {
        let mut w = ctx.shared.lock_running()?;
        for &t in tasks {
            for replica in 0..plan.tasks[t].count {
                match w.create_task(Some(t), replica, plan.tasks[t].label(replica), Some(ctx.id)) {
                    Some(id) => ids.push(id),
                    None => break,
                }
            }
        }
    }
    for &child in &ids {
        tokio::task::spawn(run(ctx.shared.clone(), child));
    }
    Ok(ids)
}

/// Every replica of `tasks` started so far.
fn instances(ctx: &Ctx, tasks: &[usize]) -> Vec<TaskId> {
    let w = ctx.shared.lock();
    tasks.iter().flat_map(|&t| w.instances[t].iter().copied()).collect()
}

/// Waits until every task in `ids` has ended. With `fail_fast`, a failure of one of them ends
/// the wait at once with that task's failure.
async fn wait_for(ctx: &mut Ctx, ids: Vec<TaskId>, fail_fast: bool) -> Result<(), Unwind> {
    let seen = {
        let mut w = ctx.shared.lock_running()?;
        for &t in &ids {
            w.watch(t, ctx.id);
        }
        w.tasks[ctx.id].child_failures
    };
    match ctx.suspend(WaitOp::new(ids, fail_fast, seen)).await? {
        Ok(()) => Ok(()),
        Err(failed) => {
            let mut w = ctx.shared.lock_running()?;
            let why = format!(
                "task `{}` failed: {}",
                w.tasks[failed].label,
                w.tasks[failed].failure.as_deref().unwrap_or("")
            );
            Err(fail(&mut w, ctx.id, why))
        }
    }
}

/// An operation a task waits on, polled under the world lock.
trait Op {
    type Output;
    /// `Some` once the operation is complete.
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<Self::Output>;
    /// The task stops waiting before completion: undo whatever the wait registered or was granted.
    fn abandon(&mut self, w: &mut World, id: TaskId);
    fn waiting(&self) -> Waiting;
}

/// A suspension point: see the module documentation for the order of checks.
struct Suspend<'a, O: Op> {
    shared: &'a Shared,
    /// The task's count of steps since it last waited: reset only if it really waits, so an
    /// operation that completes at once cannot hide an endless loop.
    steps: &'a mut u64,
    id: TaskId,
    op: O,
    done: bool,
    /// Interrupts stay pending instead of being delivered here.
    shielded: bool,
}

impl<O: Op + Unpin> Future for Suspend<'_, O> {
    type Output = Result<O::Output, Unwind>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut w = this.shared.lock();
        let interrupt = if w.state != super::world::RunState::Running {
            Some(Unwind::Stopped)
        } else if this.shielded {
            None
        } else {
            w.interrupt(this.id)
        };
        if let Some(unwind) = interrupt {
            this.op.abandon(&mut w, this.id);
            this.done = true;
            return Poll::Ready(Err(unwind));
        }
        match this.op.poll_op(&mut w, this.id) {
            Some(out) => {
                this.done = true;
                Poll::Ready(Ok(out))
            }
            None => {
                w.park(this.id, cx.waker(), this.op.waiting());
                *this.steps = 0;
                Poll::Pending
            }
        }
    }
}

impl<O: Op> Drop for Suspend<'_, O> {
    fn drop(&mut self) {
        if !self.done {
            let mut w = self.shared.lock();
            self.op.abandon(&mut w, self.id);
        }
    }
}

struct SleepOp {
    timer: Option<TimerId>,
}

impl Op for SleepOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, _: TaskId) -> Option<()> {
        let timer = self.timer?;
        w.timer_fired(timer).then(|| {
            w.release_timer(timer);
            self.timer = None;
        })
    }
    fn abandon(&mut self, w: &mut World, _: TaskId) {
        if let Some(timer) = self.timer.take() {
            w.release_timer(timer);
        }
    }
    fn waiting(&self) -> Waiting {
        Waiting::Sleep
    }
}

struct GetOp {
    queue: usize,
}

impl Op for GetOp {
    type Output = Item;
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<Item> {
        w.take_grant(id).then(|| w.get_reserved(self.queue))
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_get(self.queue, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Get(self.queue)
    }
}

struct PutOp {
    queue: usize,
}

impl Op for PutOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.take_grant(id).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_put(self.queue, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Put(self.queue)
    }
}

struct JoinOp {
    queue: usize,
}

impl Op for JoinOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, _: TaskId) -> Option<()> {
        w.all_done(self.queue).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_join(self.queue, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Join(self.queue)
    }
}

/// Waits for tasks to end. Tasks usually end in order, so a cursor keeps the check cheap.
struct WaitOp {
    tasks: Vec<TaskId>,
    next: usize,
    fail_fast: bool,
    /// The waiter's `child_failures` when it last looked.
    seen_failures: u64,
}

impl WaitOp {
    fn new(tasks: Vec<TaskId>, fail_fast: bool, seen_failures: u64) -> Self {
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

/// Waits for the first racer to complete; `None` when all ended without completing.
struct RaceOp {
    racers: Vec<TaskId>,
}

impl Op for RaceOp {
    type Output = Option<TaskId>;
    fn poll_op(&mut self, w: &mut World, _: TaskId) -> Option<Option<TaskId>> {
        if let Some(&winner) = self.racers.iter().find(|&&t| w.tasks[t].outcome == Some(Outcome::Completed)) {
            return Some(Some(winner));
        }
        self.racers.iter().all(|&t| w.tasks[t].done).then_some(None)
    }
    fn abandon(&mut self, _: &mut World, _: TaskId) {}
    fn waiting(&self) -> Waiting {
        Waiting::Task(self.racers[0])
    }
}

struct AcquireOp {
    semaphore: usize,
}

impl Op for AcquireOp {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.take_permit(self.semaphore, id).then_some(())
    }
    fn abandon(&mut self, w: &mut World, id: TaskId) {
        w.abandon_acquire(self.semaphore, id);
    }
    fn waiting(&self) -> Waiting {
        Waiting::Acquire(self.semaphore)
    }
}

/// Waits to be granted passage by an event being set or a barrier filling up.
struct Granted {
    waiting: Waiting,
}

impl Op for Granted {
    type Output = ();
    fn poll_op(&mut self, w: &mut World, id: TaskId) -> Option<()> {
        w.take_grant(id).then_some(())
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
