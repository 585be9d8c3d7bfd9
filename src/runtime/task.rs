//! The interpreter: one future per scenario task replica, walking its compiled steps.
//!
//! A step is [`begin`]: counted, and run if it never waits (or its timer set, if it is a plain
//! sleep), so that a block's loop runs the common steps without a future of their own; then
//! [`exec_waiting`], one match over the other kinds of step. Arms that are more than a call into
//! the world have a function of their own below it, in the order of the match. Every wait goes
//! through [`Suspend`] (see `suspend.rs`).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use smol_str::SmolStr;
use thin_vec::ThinVec;

use super::clock::TimerId;
use super::queue::{Item, ItemValue};
use super::suspend::{AcquireOp, GetOp, Granted, JoinOp, Op, PutOp, RaceOp, SleepOp, Suspend, WaitDeclsOp, WaitOp};
use super::tasks::{CancelWith, TaskId, Waiting};
use super::world::{Unwind, World};
use super::{Shared, WALL_CHECK_EVERY};
use crate::dist::Dist;
use crate::event::{EventKind, FailureKind, ItemText, Outcome};
use crate::plan::{Count, GatherPolicy, RacePolicy, Schedule, Step, TaskPlan};
use crate::rng::Rng;
use crate::template::{Template, Values};

/// The longest text a `SmolStr` holds inline (`SmolStr::new_inline` takes no more).
const INLINE: usize = 23;

/// The longest message or item a task may make: as large as a scenario file may be.
pub const MAX_MESSAGE_BYTES: usize = crate::compile::MAX_SOURCE_BYTES;

/// Runs task `id`, started for the `generation`th time before (which its random stream
/// depends on), to its end and records how it ended.
///
/// Every live task holds this future, so it holds only what the task needs while it runs: the
/// context is made before the future, which takes it and the plan its steps are in.
pub fn run(shared: Rc<Shared>, id: TaskId, generation: u64) -> impl Future<Output = ()> {
    let plan = shared.plan.clone();
    let (decl, replica) = {
        let w = shared.lock();
        let t = &w.tasks[id];
        (t.decl, t.replica)
    };
    let task: &TaskPlan = plan.task(decl);
    let mut ctx = Ctx {
        rng: Rng::for_start(shared.seed, &task.name, replica, generation),
        cursors: std::iter::repeat_n(0, plan.sequence_slots).collect(),
        text: Text {
            me: Me {
                i: u32::try_from(replica).expect("a replica's index is below its task's count"),
                count: u32::try_from(task.count).expect("a task's count is at most MAX_REPLICAS"),
                decl: u32::try_from(decl).expect("a file declares fewer than 2^32 tasks"),
            },
            vars: Vars::default(),
            call_queue: 0,
            locals: std::iter::repeat_n(0, task.locals).collect(),
            msg: Msg::default(),
        },
        steps: 0,
        shared,
        id,
    };
    // An `async` block, not an `async fn` taking the context: an `async fn`'s future keeps its
    // arguments twice.
    // The block reads the task's id and declaration from the context, rather than keeping
    // copies of its own.
    async move {
        let started = !ctx.shared.lock().cancelled_before_start(ctx.id);
        // The task's own steps are not boxed: the task's future is boxed once, when it is spawned.
        let steps = plan.task(ctx.text.me.decl as usize).steps.iter();
        let result = if started { exec_top(&mut ctx, steps).await } else { Err(Unwind::Cancelled) };
        let (outcome, failure) = match result {
            Ok(()) => (Outcome::Completed, None),
            Err(Unwind::Cancelled) => (Outcome::Cancelled, None),
            Err(Unwind::Failed(why)) => (Outcome::Failed, Some(why)),
            Err(Unwind::Interrupted(why)) => {
                // An interrupt nothing handled: the task fails with it, as an uncaught
                // `simpy.Interrupt` ends a SimPy process.
                let Ok(mut w) = ctx.shared.lock_running() else { return };
                let why: Arc<str> = format!("{why}, and nothing handled it").into();
                w.record(ctx.id, EventKind::Fail { message: &why });
                drop(w);
                (Outcome::Failed, Some(why))
            }
            Err(Unwind::Stopped) => return,
            Err(Unwind::Timeout(_) | Unwind::EventSet(_)) => unreachable!("a scope's unwind stops at its scope"),
        };
        ctx.shared.lock().end_task(ctx.id, outcome, failure);
    }
}

/// Who the task is: fixed for its life. Its label and its declared task's name are the
/// world's, read when a message is rendered, so that a task does not carry copies of them.
struct Me {
    /// The replica's index, below `count`.
    i: u32,
    /// The declared task's `count` (at most `MAX_REPLICAS`) and its index (at most the number
    /// of tasks a file declares): `u32`s, which leave room for [`Text::call_queue`] in the
    /// context's word.
    count: u32,
    decl: u32,
}

/// What the task last did, for templates.
#[derive(Default)]
struct Vars {
    sleep: u64,
    /// The item itself, taken from the queue: no allocation for a number or for a text of up to
    /// 23 bytes.
    item: Option<ItemValue>,
    waited: u64,
    n: u64,
    /// The amount of the last `take` or `fill`.
    amount: u64,
    /// The number of the last call this task got as a request and has not replied to (0: none),
    /// from the queue [`Text::call_queue`]. Not an `Option`, which would take 8 more bytes in
    /// every task.
    call: u64,
}

/// A task's buffer for the messages and items it renders: boxed, and only once the task renders
/// one, as many tasks never do and every live task's future holds it (8 bytes rather than 24).
#[derive(Default)]
#[expect(clippy::box_collection, reason = "a boxed String is one word where a String is three, in every live task")]
struct Msg(Option<Box<String>>);

impl Msg {
    /// The buffer, made on first use.
    fn buf(&mut self) -> &mut String {
        self.0.get_or_insert_with(Box::default)
    }

    /// What was rendered last.
    fn as_str(&self) -> &str {
        self.0.as_deref().map_or("", String::as_str)
    }
}

/// What a task's messages are rendered from, apart from the world, so that a message can be
/// rendered while the world is locked through [`Ctx::shared`].
struct Text {
    me: Me,
    vars: Vars,
    /// The queue of `vars.call`: here rather than in `Vars`, a `u32` beside `Me`'s three.
    call_queue: u32,
    /// The values of the task's own names (`let`), by slot.
    locals: ThinVec<i64>,
    /// The buffer messages are rendered into, reused.
    msg: Msg,
}

impl Text {
    /// Renders `t` into `msg` with task `id`'s values at the world's time. A message longer
    /// than [`MAX_MESSAGE_BYTES`] (an item that doubles itself in a loop) stops the run instead.
    fn render(&mut self, w: &mut World, id: TaskId, t: &Template) {
        let buf = self.msg.buf();
        buf.clear();
        if t.is_n() {
            // `{n}` alone, without building the values.
            Template::push_n(buf, self.vars.n);
            return;
        }
        let now = w.now();
        let (me, vars) = (&self.me, &self.vars);
        let (label, name) = w.names(id);
        let mut digits = itoa::Buffer::new();
        let values = Values {
            task: label,
            name,
            i: u64::from(me.i),
            count: u64::from(me.count),
            n: vars.n,
            sleep_ns: vars.sleep,
            item: vars.item.as_ref().map(|item| item.as_str(&mut digits)),
            waited_ns: vars.waited,
            elapsed_ns: now,
            counters: w.counters(),
            levels: &|c| w.container(c).0,
            queue_lengths: &|q| w.queue_length(q),
            locals: &self.locals,
            amount: vars.amount,
        };
        t.render(buf, &values);
        if buf.len() > MAX_MESSAGE_BYTES {
            let message = format!(
                "task `{}` made a message of {} bytes, more than the {MAX_MESSAGE_BYTES} a message or item may have",
                w.tasks[id].label,
                buf.len()
            );
            self.msg = Msg::default();
            w.fail(FailureKind::Limit, message);
        }
    }

    /// Renders the item template `t` of a put into `msg`, unless it is `{n}` alone: that item
    /// is the number, kept as one (see [`ItemValue`]).
    fn render_item(&mut self, w: &mut World, id: TaskId, t: &Template) {
        if !t.is_n() {
            self.render(w, id, t);
        }
    }

    /// The item [`Text::render_item`] rendered from `t`, as its event carries it.
    fn rendered_item(&self, t: &Template) -> ItemText<'_> {
        if t.is_n() { ItemText::Number(self.vars.n) } else { ItemText::Text(self.msg.as_str()) }
    }

    /// The item [`Text::render_item`] rendered from `t`, put at `put_at`.
    fn item(&self, t: &Template, put_at: u64, priority: u64, call: u64) -> Item {
        let text = if t.is_n() {
            ItemValue::Number(self.vars.n)
        } else {
            let text = self.msg.as_str();
            // Made inline directly when short, rather than by `SmolStr::new`, which tries its
            // other forms first.
            ItemValue::Text(if text.len() <= INLINE { SmolStr::new_inline(text) } else { SmolStr::new(text) })
        };
        Item { text, put_at, priority, call }
    }

    /// Renders `t` and records it as said by task `id`.
    fn say(&mut self, w: &mut World, id: TaskId, t: &Template) {
        self.render(w, id, t);
        w.record(id, EventKind::Say { text: self.msg.as_str() });
    }
}

pub(super) struct Ctx {
    pub(super) shared: Rc<Shared>,
    pub(super) id: TaskId,
    text: Text,
    rng: Rng,
    cursors: ThinVec<usize>,
    /// Steps run since the task last waited.
    pub(super) steps: u64,
}

type Exec<'a> = Pin<Box<dyn Future<Output = Result<(), Unwind>> + 'a>>;

/// Runs a nested block: boxed, since a step may hold blocks of steps.
fn exec<'a>(ctx: &'a mut Ctx, steps: &'a [Step]) -> Exec<'a> {
    Box::pin(exec_unboxed(ctx, steps))
}

/// Runs a block's steps, returning (`?`) from the enclosing `async` block at the first that
/// does not complete: the loop of `exec_unboxed` and of each pass of `repeat_body`. A macro,
/// not a function: a function's future, made per block or per pass, is one more level to pass
/// through each time the task resumes.
macro_rules! run_block {
    // A task's top level (`exec_top`) boxes the less common steps' future (`exec_waiting`'s,
    // the largest): every live task holds its top level, and a top-level step runs once, where
    // a `repeat`'s or a nested block's may run again and again.
    ($ctx:ident, $steps:ident, top) => {
        run_block!($ctx, $steps, |ctx, step| Box::pin(exec_waiting(ctx, step)))
    };
    ($ctx:ident, $steps:ident) => {
        run_block!($ctx, $steps, |ctx, step| exec_waiting(ctx, step))
    };
    // `$steps` is an iterator over the block's steps, advanced in place: a `for` loop would
    // move it into a second one, and the future would hold both.
    ($ctx:ident, $steps:ident, |$c:ident, $s:ident| $waiting:expr) => {
        while let Some(step) = $steps.next() {
            // Bound first: a `match` on `begin(..)?` keeps the `?`'s temporary across the
            // awaits in its arms, 40 bytes in every live task's future.
            let begun = begin($ctx, step)?;
            match begun {
                Begun::Done => {}
                Begun::Sleep(timer) => $ctx.suspend(SleepOp { timer: Some(timer) }).await?,
                Begun::Get(queue) => {
                    let item = $ctx.suspend(GetOp { queue }).await?;
                    got($ctx, queue, item, step.get_say())?;
                }
                Begun::Repeat(n) => {
                    let outer = $ctx.text.vars.n;
                    let result = repeat_body($ctx, step.repeat_body(), n).await;
                    $ctx.text.vars.n = outer;
                    result?;
                }
                Begun::Wait => {
                    let ($c, $s) = (&mut *$ctx, step);
                    $waiting.await?
                }
            }
        }
    };
}

// `exec_unboxed` returns an `async` block rather than being an `async fn`: an `async fn`'s
// future keeps its arguments twice (rust-lang/rust#62958), and every live task holds one.
#[expect(clippy::manual_async_fn, reason = "an `async fn` future keeps its arguments twice (rust-lang/rust#62958)")]
fn exec_unboxed<'a>(ctx: &'a mut Ctx, steps: &'a [Step]) -> impl Future<Output = Result<(), Unwind>> + 'a {
    async move {
        let mut steps = steps.iter();
        run_block!(ctx, steps);
        Ok(())
    }
}

/// A task's own steps, the top level of its future: [`exec_unboxed`] with the less common
/// steps' future boxed (see `run_block!`).
#[expect(clippy::manual_async_fn, reason = "an `async fn` future keeps its arguments twice (rust-lang/rust#62958)")]
fn exec_top<'a>(
    ctx: &'a mut Ctx,
    mut steps: std::slice::Iter<'a, Step>,
) -> impl Future<Output = Result<(), Unwind>> + 'a {
    async move {
        run_block!(ctx, steps, top);
        Ok(())
    }
}

impl Ctx {
    /// Counts a step and checks that the run still goes on.
    #[inline]
    fn step(&mut self) -> Result<(), Unwind> {
        self.steps += 1;
        if self.steps > self.shared.limits.max_steps_without_waiting {
            return Err(self.endless());
        }
        // Counted only under a wall-clock limit: a run without one pays a branch, not a count.
        if self.shared.limits.wall_limit.is_some() {
            let all = self.shared.steps.get().wrapping_add(1);
            self.shared.steps.set(all);
            if all % WALL_CHECK_EVERY == 0 {
                return self.check_wall_limit();
            }
        }
        Ok(())
    }

    /// Every [`WALL_CHECK_EVERY`] steps of the run: stops it if it is past its wall-clock limit.
    #[cold]
    fn check_wall_limit(&mut self) -> Result<(), Unwind> {
        if self.shared.lock().check_wall_limit() { Err(Unwind::Stopped) } else { Ok(()) }
    }

    /// A task ran its limit of steps without waiting: the run fails.
    #[cold]
    fn endless(&mut self) -> Unwind {
        let limit = self.shared.limits.max_steps_without_waiting;
        {
            let mut w = self.shared.lock();
            let message = format!(
                "task `{}` ran {limit} steps without waiting: a loop that never sleeps or waits never lets virtual time pass",
                w.tasks[self.id].label
            );
            w.fail(FailureKind::Livelock, message);
        }
        Unwind::Stopped
    }

    fn suspend<O: Op>(&mut self, op: O) -> Suspend<'_, O> {
        Suspend { ctx: self, op, done: false, shielded: false }
    }

    fn sample(&mut self, d: &Dist) -> u64 {
        d.sample(&mut self.rng, &mut self.cursors)
    }

    /// A wait of `d` ns, to await at once; `record` records what the wait is, at its start.
    /// Not an `async fn`, whose future would hold `record` for the whole wait: every sleeping
    /// task holds the future it returns.
    #[inline(always)]
    fn sleep(&mut self, d: u64, record: impl FnOnce(&mut World, &mut Text)) -> Result<Suspend<'_, SleepOp>, Unwind> {
        let timer = self.start_sleep(d, record)?;
        Ok(self.suspend(SleepOp { timer: Some(timer) }))
    }

    /// Sets the timer of a wait of `d` ns, after `record` has recorded what the wait is.
    #[inline(always)]
    fn start_sleep(&mut self, d: u64, record: impl FnOnce(&mut World, &mut Text)) -> Result<TimerId, Unwind> {
        let mut w = self.shared.lock_running()?;
        record(&mut w, &mut self.text);
        let at = w.now().saturating_add(d);
        Ok(w.add_timer(self.id, at))
    }
}

/// How far [`begin`] took a step.
enum Begun {
    /// The step is done: it did not have to wait.
    Done,
    /// The step is a sleep, begun: its timer is set and its event recorded.
    Sleep(TimerId),
    /// The step is a get that found no item: the task is in the line of getters of this queue.
    /// (No more than a number, so that a task's future stays small.)
    Get(usize),
    /// The step is a `repeat` of this many passes (its count worked out): the block's loop runs
    /// it ([`repeat_body`]) without passing through [`exec_waiting`] each time the task resumes.
    Repeat(u64),
    /// The step may wait: [`exec_waiting`] runs it.
    Wait,
}

/// Counts a step, and runs it if it does not have to wait, or begins it if it is a plain sleep
/// or a get: the common steps, which a block's loop runs without making a future for the step.
/// A put that finds room is run here; one that must wait is left to [`exec_waiting`] (asking
/// whether it must wait has no effect).
///
/// Inlined into each block's loop: its result (24 bytes) would come back through memory, and
/// the caller's wide load of the `Begun` in it waited for the callee's narrower stores to land
/// (no store-to-load forwarding), a stall on every step.
#[inline(always)]
fn begin(ctx: &mut Ctx, step: &Step) -> Result<Begun, Unwind> {
    ctx.step()?;
    let id = ctx.id;
    match step {
        Step::Get { queue, say } => {
            let ready = ctx.shared.lock_running()?.get_or_wait(*queue, id);
            match ready {
                Some(item) => got(ctx, *queue, item, say.as_ref())?,
                None => return Ok(Begun::Get(*queue)),
            }
        }
        Step::Repeat { times, .. } => {
            return Ok(Begun::Repeat(count_of(ctx, times, "a repeat count")?.unwrap_or(u64::MAX)));
        }
        Step::Put { queue, item, priority, say, delay: None } => {
            // Asked before the priority is worked out, which may draw: `exec_waiting` works it
            // out once, as before any wait.
            if ctx.shared.lock_running()?.put_would_wait(*queue) {
                return Ok(Begun::Wait);
            }
            let priority = priority_of(ctx, priority.as_ref())?;
            let (waiting, start) = offer(ctx, *queue, item, priority, 0)?;
            assert!(waiting.is_none(), "a queue with room took the item");
            put_done(ctx, *queue, item, start, say.as_ref())?;
        }
        Step::Sleep { duration, times, say, on_interrupt: None } => {
            let d = match times {
                None => ctx.sample(duration),
                Some(times) => sleep_duration(ctx, duration, Some(times))?,
            };
            ctx.text.vars.sleep = d;
            let timer = ctx.start_sleep(d, |w, text| {
                if let Some(t) = say {
                    text.say(w, id, t);
                }
                w.record(id, EventKind::Sleep { duration: d });
            })?;
            return Ok(Begun::Sleep(timer));
        }
        Step::Gap { duration, skip } => {
            if ctx.text.vars.n >= *skip {
                let d = ctx.sample(duration);
                ctx.text.vars.sleep = d;
                let timer = ctx.start_sleep(d, |w, _| w.record(id, EventKind::Sleep { duration: d }))?;
                return Ok(Begun::Sleep(timer));
            }
        }
        Step::Say(t) => ctx.text.say(&mut *ctx.shared.lock_running()?, id, t),
        Step::Arrive { queue, item, drop, priority } => {
            let mut w = ctx.shared.lock_running()?;
            let now = w.now();
            ctx.text.render_item(&mut w, ctx.id, item);
            w.arrive_at(*queue, id, ctx.text.item(item, now, *priority, 0), ctx.text.rendered_item(item), *drop);
        }
        Step::Add { counter, by } => ctx.shared.lock_running()?.add(id, *counter, *by),
        Step::Let { local, value } => ctx.text.locals[*local] = value_of(ctx, value, "a `let` value")?,
        Step::Done { queue } => {
            let mut w = ctx.shared.lock_running()?;
            if let Err(why) = w.done(*queue) {
                return Err(fail(&mut w, id, why));
            }
            w.record(id, EventKind::Done { queue: *queue });
        }
        Step::Set { event } => {
            let mut w = ctx.shared.lock_running()?;
            w.set_event(*event);
            w.record(id, EventKind::Set { event: *event });
        }
        Step::Clear { event } => {
            let mut w = ctx.shared.lock_running()?;
            w.clear_event(*event);
            w.record(id, EventKind::Clear { event: *event });
        }
        _ => return Ok(Begun::Wait),
    }
    Ok(Begun::Done)
}

/// Runs a step that [`begin`] counted and left: one match over the other kinds of step.
#[expect(clippy::manual_async_fn, reason = "an `async fn` future keeps its arguments twice (rust-lang/rust#62958)")]
fn exec_waiting<'a>(ctx: &'a mut Ctx, step: &'a Step) -> impl Future<Output = Result<(), Unwind>> + 'a {
    async move {
        let id = ctx.id;
        match step {
            Step::Sleep { duration, times, say, on_interrupt: Some(handler) } => {
                let d = sleep_duration(ctx, duration, times.as_deref())?;
                Box::pin(resumable_sleep(ctx, d, say.as_ref(), handler)).await?;
            }
            Step::Until { event, body, on_set } => Box::pin(until(ctx, *event, body, on_set)).await?,
            Step::Interrupt { tasks, replica } => {
                let replica = match replica {
                    Some(r) => Some(count_of(ctx, r, "a replica index")?.unwrap_or(u64::MAX)),
                    None => None,
                };
                let mut w = ctx.shared.lock_running()?;
                for t in w.running_of(tasks) {
                    if replica.is_none_or(|r| w.tasks[t].replica == r) {
                        w.request_interrupt(id, t);
                    }
                }
            }
            Step::Put { queue, item, priority, say, delay: None } => {
                let priority = priority_of(ctx, priority.as_ref())?;
                put(ctx, *queue, item, priority, say.as_ref()).await?;
            }
            Step::Put { queue, item, priority, say, delay: Some(delay) } => {
                let priority = priority_of(ctx, priority.as_ref())?;
                let delay = ctx.sample(delay);
                let mut w = ctx.shared.lock_running()?;
                ctx.text.render_item(&mut w, ctx.id, item);
                let now = w.now();
                w.record(id, EventKind::Sent { queue: *queue, item: ctx.text.rendered_item(item), delay });
                w.send_later(*queue, id, ctx.text.item(item, now, priority, 0), delay);
                if let Some(t) = say {
                    ctx.text.say(&mut w, id, t);
                }
            }
            Step::Call { queue, item, say } => Box::pin(call(ctx, *queue, item, say.as_ref())).await?,
            Step::Reply { queue, item, say } => {
                let (q, call) = (ctx.text.call_queue, ctx.text.vars.call);
                if call == 0 || q as usize != *queue {
                    let mut w = ctx.shared.lock_running()?;
                    let name = &ctx.shared.plan.queues[*queue].name;
                    let why = format!(
                        "there is no request from `{name}` to reply to: `reply` answers the last `call` got from the queue"
                    );
                    return Err(fail(&mut w, id, why));
                }
                let mut w = ctx.shared.lock_running()?;
                let text = match item {
                    Some(t) => {
                        ctx.text.render(&mut w, ctx.id, t);
                        ctx.text.msg.as_str().to_owned()
                    }
                    None => ctx.text.vars.item.as_ref().map_or_else(String::new, ToString::to_string),
                };
                let late = !w.reply(call, text);
                ctx.text.vars.call = 0;
                w.record(id, EventKind::Reply { queue: *queue, late });
                if let Some(t) = say {
                    ctx.text.say(&mut w, id, t);
                }
            }
            Step::Spawn { task } => spawn(ctx, *task)?,
            Step::SetCounter { counter, value } => {
                let v = value_of(ctx, value, "a counter's value")?;
                let mut w = ctx.shared.lock_running()?;
                // A change like any other: by the difference, to the value.
                let by = v.saturating_sub(w.counters()[*counter]);
                w.add(id, *counter, by);
            }
            Step::Take { container, amount, say } => {
                let amount = count_of(ctx, amount, "an amount")?.unwrap_or(u64::MAX);
                Box::pin(container_step(ctx, *container, Some(amount), true, say.as_ref())).await?;
            }
            Step::Fill { container, amount, say } => {
                let amount = match amount {
                    Some(a) => Some(count_of(ctx, a, "an amount")?.unwrap_or(u64::MAX)),
                    None => None,
                };
                Box::pin(container_step(ctx, *container, amount, false, say.as_ref())).await?;
            }
            Step::WaitUntil { counter, condition } => {
                let op = super::suspend::UntilOp { counter: *counter, condition: condition.clone() };
                Box::pin(ctx.suspend(op)).await?;
            }
            Step::Scheduled { schedule, total, arrive, initial } => {
                Box::pin(scheduled(ctx, schedule, *total, arrive, *initial)).await?;
            }
            Step::Choose { cumulative, blocks } => {
                let k = crate::dist::pick(cumulative, &mut ctx.rng);
                Box::pin(exec(ctx, &blocks[k])).await?;
            }
            Step::When { condition, then, otherwise } => {
                let holds = {
                    let w = ctx.shared.lock_running()?;
                    match condition {
                        crate::plan::Condition::CallAbandoned { abandoned } => {
                            let call = ctx.text.vars.call;
                            (call != 0 && w.call_abandoned(call)) == *abandoned
                        }
                        crate::plan::Condition::Exprs { left, op, right } => {
                            drop(w);
                            match (eval(ctx, left)?, eval(ctx, right)?) {
                                (Some(a), Some(b)) => op.holds(a, b),
                                _ => {
                                    let mut w = ctx.shared.lock_running()?;
                                    return Err(fail(&mut w, id, "a condition's expression overflows".into()));
                                }
                            }
                        }
                        _ => w.holds(condition),
                    }
                };
                Box::pin(exec(ctx, if holds { then } else { otherwise })).await?;
            }
            Step::Join { queue } => {
                if !ctx.shared.lock_running()?.join_or_wait(*queue, id) {
                    ctx.suspend(JoinOp { queue: *queue }).await?;
                }
                ctx.shared.lock_running()?.record(id, EventKind::Join { queue: *queue });
            }
            Step::Start { tasks } => {
                start(ctx, tasks)?;
            }
            Step::Gather { tasks, policy } => Box::pin(gather(ctx, tasks, *policy)).await?,
            Step::Race { tasks, policy } => Box::pin(race(ctx, tasks, *policy)).await?,
            Step::Wait { tasks, shield } => {
                Box::pin(wait_decls(ctx, tasks, !*shield)).await?;
                // Like awaiting a task in asyncio: its failure becomes the waiter's.
                let mut w = ctx.shared.lock_running()?;
                if let Some(why) = w.first_failure(tasks) {
                    return Err(fail(&mut w, id, why));
                }
            }
            Step::Cancel { tasks } => {
                // `task.cancel(); await task`: an interrupt of the canceller while it waits cancels
                // the tasks again, cutting their cleanup short, as in asyncio.
                {
                    let mut w = ctx.shared.lock_running()?;
                    for t in w.running_of(tasks) {
                        w.request_cancel(id, t);
                    }
                }
                Box::pin(wait_decls(ctx, tasks, true)).await?;
            }
            Step::Timeout { after, body, on_timeout, finally } => {
                Box::pin(timeout(ctx, after, body, on_timeout, finally)).await?;
            }
            Step::Try { body, on_error, on_cancel, on_interrupt, finally } => {
                let handlers =
                    Handlers { on_error: on_error.as_deref(), on_cancel, on_interrupt: on_interrupt.as_deref() };
                Box::pin(try_block(ctx, body, handlers, finally)).await?;
            }
            Step::Acquire { semaphore, priority } => {
                let priority = priority_of(ctx, priority.as_ref())?;
                Box::pin(acquire(ctx, *semaphore, priority)).await?;
            }
            Step::Release { semaphore } => release(ctx, *semaphore)?,
            Step::Hold { semaphore, priority, body } => {
                let priority = priority_of(ctx, priority.as_ref())?;
                Box::pin(hold(ctx, *semaphore, priority, body)).await?;
            }
            Step::WaitEvent { event } => {
                if !ctx.shared.lock_running()?.check_event(*event, id) {
                    ctx.suspend(Granted { waiting: Waiting::Event(*event) }).await?;
                }
                ctx.shared.lock_running()?.record(id, EventKind::EventWaited { event: *event });
            }
            Step::Barrier { barrier } => {
                if !ctx.shared.lock_running()?.arrive(*barrier, id) {
                    ctx.suspend(Granted { waiting: Waiting::Barrier(*barrier) }).await?;
                }
                ctx.shared.lock_running()?.record(id, EventKind::Barrier { barrier: *barrier });
            }
            Step::Throttle { limit } => Box::pin(throttle(ctx, *limit)).await?,
            Step::Busy { duration } => {
                let d = ctx.sample(duration);
                let mut w = ctx.shared.lock_running()?;
                w.record(id, EventKind::Busy { duration: d });
                w.busy(d);
            }
            Step::ToThread { duration } => Box::pin(to_thread(ctx, duration)).await?,
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
                    ctx.text.render(&mut w, ctx.id, message);
                    let why = ctx.text.msg.as_str().to_owned();
                    return Err(fail(&mut w, id, why));
                }
            }
            Step::Retry { retries, body, backoff, factor, jitter } => {
                Box::pin(retry(ctx, *retries, body, backoff.as_ref(), *factor, *jitter)).await?;
            }
            Step::Say(_)
            | Step::Get { .. }
            | Step::Repeat { .. }
            | Step::Sleep { on_interrupt: None, .. }
            | Step::Gap { .. }
            | Step::Arrive { .. }
            | Step::Add { .. }
            | Step::Let { .. }
            | Step::Done { .. }
            | Step::Set { .. }
            | Step::Clear { .. } => unreachable!("`begin` runs these steps"),
        }
        Ok(())
    }
}

// The steps below are rarer than a sleep, a put or a get, and their waits hold more: each is
// boxed where `exec_waiting` awaits it, so that a task's step future is only as large as the common
// steps need (every live task holds one).

/// What a `try` does when its block does not complete.
struct Handlers<'a> {
    on_error: Option<&'a [Step]>,
    on_cancel: &'a [Step],
    on_interrupt: Option<&'a [Step]>,
}

/// `try`: the body, then `on_error`, `on_interrupt` or `on_cancel` as the way it ended asks,
/// then `finally`.
async fn try_block(ctx: &mut Ctx, body: &[Step], handlers: Handlers<'_>, finally: &[Step]) -> Result<(), Unwind> {
    let result = exec(ctx, body).await;
    let result = match (result, handlers.on_error, handlers.on_interrupt) {
        (Err(Unwind::Failed(_)), Some(on_error), _) => exec(ctx, on_error).await,
        (Err(Unwind::Interrupted(_)), _, Some(on_interrupt)) => handle_interrupt(ctx, on_interrupt).await,
        (Err(unwind @ (Unwind::Cancelled | Unwind::Timeout(_) | Unwind::EventSet(_))), _, _) => {
            exec(ctx, handlers.on_cancel).await.and(Err(unwind))
        }
        (other, _, _) => other,
    };
    if result != Err(Unwind::Stopped) {
        exec(ctx, finally).await?;
    }
    result
}

/// `call`: puts a request on `queue` and waits for the reply to it.
async fn call(ctx: &mut Ctx, queue: usize, item: &Template, say: Option<&Template>) -> Result<(), Unwind> {
    let (call, start) = {
        let mut w = ctx.shared.lock_running()?;
        (w.start_call(ctx.id), w.now())
    };
    let put = async {
        let (waiting, put_at) = offer(ctx, queue, item, 0, call)?;
        if let Some(item) = waiting {
            ctx.suspend(PutOp { queue, item: Some(item) }).await?;
        }
        put_done(ctx, queue, item, put_at, None)
    };
    if let Err(unwind) = put.await {
        if let Ok(mut w) = ctx.shared.lock_running() {
            w.abandon_call(call);
        }
        return Err(unwind);
    }
    let reply = ctx.suspend(super::suspend::ReplyOp { call }).await;
    let mut w = ctx.shared.lock_running()?;
    let response = w.now() - start;
    ctx.text.vars.waited = response;
    let reply = reply?;
    w.record(ctx.id, EventKind::Answered { queue, reply: &reply, response });
    ctx.text.vars.item = Some(ItemValue::Text(SmolStr::from(reply)));
    if let Some(t) = say {
        ctx.text.say(&mut w, ctx.id, t);
    }
    Ok(())
}

/// A step's priority (a put's, an acquire's or a hold's): 0 without one. `forever` is refused
/// when the file is compiled.
fn priority_of(ctx: &mut Ctx, priority: Option<&Count>) -> Result<u64, Unwind> {
    match priority {
        None => Ok(0),
        Some(p) => Ok(count_of(ctx, p, "a priority")?.unwrap_or(u64::MAX)),
    }
}

/// `hold`: a permit for the body's time. A permit preempted meanwhile is not the task's to give
/// back (unless it took one again).
async fn hold(ctx: &mut Ctx, semaphore: usize, priority: u64, body: &[Step]) -> Result<(), Unwind> {
    acquire(ctx, semaphore, priority).await?;
    let result = exec(ctx, body).await;
    if result != Err(Unwind::Stopped) && ctx.shared.lock().holds_permit(ctx.id, semaphore) {
        release(ctx, semaphore)?;
    }
    result
}

/// Runs `on-interrupt` steps, during which further interrupts are ignored.
async fn handle_interrupt(ctx: &mut Ctx, handler: &[Step]) -> Result<(), Unwind> {
    ctx.shared.lock_running()?.tasks[ctx.id].handling += 1;
    let result = exec(ctx, handler).await;
    ctx.shared.lock().tasks[ctx.id].handling -= 1;
    result
}

/// A sleep's length: a draw, times the step's multiplier when it has one.
fn sleep_duration(ctx: &mut Ctx, duration: &Dist, times: Option<&crate::plan::Expr>) -> Result<u64, Unwind> {
    let d = ctx.sample(duration);
    let Some(times) = times else { return Ok(d) };
    match eval(ctx, times)? {
        Some(k) if k >= 0 => Ok(d.saturating_mul(k as u64).min(crate::dist::MAX_VALUE)),
        _ => {
            let mut w = ctx.shared.lock_running()?;
            Err(fail(&mut w, ctx.id, "a sleep's multiplier is negative or overflows".into()))
        }
    }
}

/// A sleep that an interrupt suspends: `handler` runs, then the rest of the sleep (SimPy's
/// `done_in -= env.now - start`, then another `timeout(done_in)`).
async fn resumable_sleep(ctx: &mut Ctx, d: u64, say: Option<&Template>, handler: &[Step]) -> Result<(), Unwind> {
    let id = ctx.id;
    ctx.text.vars.sleep = d;
    let mut left = d;
    let mut first = true;
    loop {
        let start = ctx.shared.lock_running()?.now();
        let said = say.filter(|_| first);
        let slept = ctx
            .sleep(left, |w, text| {
                if let Some(t) = said {
                    text.say(w, id, t);
                }
                w.record(id, EventKind::Sleep { duration: left });
            })?
            .await;
        first = false;
        match slept {
            Ok(()) => return Ok(()),
            Err(Unwind::Interrupted(_)) => {
                let now = ctx.shared.lock_running()?.now();
                left -= (now - start).min(left);
                handle_interrupt(ctx, handler).await?;
            }
            Err(other) => return Err(other),
        }
    }
}

/// Records a failure of task `id` and returns the unwind that carries it.
fn fail(w: &mut World, id: TaskId, why: String) -> Unwind {
    w.record(id, EventKind::Fail { message: &why });
    Unwind::Failed(why.into())
}

/// "task `x` failed: why", for a waiter that inherits a failure.
fn failed_task(w: &World, failed: TaskId) -> String {
    let t = &w.tasks[failed];
    format!("task `{}` failed: {}", t.label, w.failures.get(&failed).map_or("", |why| why))
}

/// A put that [`begin`] found must wait for room. (Like `exec_unboxed`, an `async` block rather
/// than an `async fn`, whose future keeps its arguments twice, rust-lang/rust#62958.)
#[expect(clippy::manual_async_fn, reason = "an `async fn` future keeps its arguments twice (rust-lang/rust#62958)")]
fn put<'a>(
    ctx: &'a mut Ctx,
    queue: usize,
    item: &'a Template,
    priority: u64,
    say: Option<&'a Template>,
) -> impl Future<Output = Result<(), Unwind>> + 'a {
    async move {
        // The wait for room is boxed, and only when the task must wait: every live task's
        // future holds room for its largest inline wait, and a put's holds the item.
        let wait = {
            let (waiting, start) = offer(ctx, queue, item, priority, 0)?;
            match waiting {
                None => return put_done(ctx, queue, item, start, say),
                Some(waiting) => Box::pin(put_wait(ctx, queue, item, waiting, start, say)),
            }
        };
        wait.await
    }
}

/// A put that waits for room.
async fn put_wait(
    ctx: &mut Ctx,
    queue: usize,
    template: &Template,
    item: Item,
    start: u64,
    say: Option<&Template>,
) -> Result<(), Unwind> {
    ctx.suspend(PutOp { queue, item: Some(item) }).await?;
    put_done(ctx, queue, template, start, say)
}

/// The first half of a put: renders the item and puts it on the queue if there is room; the
/// item back when the task must wait for room, and when the put began. The rendered item stays
/// in `ctx.text.msg` until the put is recorded: nothing renders while the task waits for space.
/// (`put` and `call` share the halves; `put`'s own future stays small and inlined.)
fn offer(
    ctx: &mut Ctx,
    queue: usize,
    item: &Template,
    priority: u64,
    call: u64,
) -> Result<(Option<Item>, u64), Unwind> {
    let mut w = ctx.shared.lock_running()?;
    let start = w.now();
    ctx.text.render_item(&mut w, ctx.id, item);
    Ok((w.put_or_wait(queue, ctx.id, ctx.text.item(item, start, priority, call)).err(), start))
}

/// The second half of a put: records it, and says `say`.
fn put_done(ctx: &mut Ctx, queue: usize, item: &Template, start: u64, say: Option<&Template>) -> Result<(), Unwind> {
    let mut w = ctx.shared.lock_running()?;
    let blocked = w.now() - start;
    w.record(ctx.id, EventKind::Put { queue, item: ctx.text.rendered_item(item), blocked });
    if let Some(t) = say {
        ctx.text.say(&mut w, ctx.id, t);
    }
    Ok(())
}

/// The second half of a get: records it, keeps the item for templates, and says `say`.
fn got(ctx: &mut Ctx, queue: usize, item: Item, say: Option<&Template>) -> Result<(), Unwind> {
    let mut w = ctx.shared.lock_running()?;
    let waited = w.now() - item.put_at;
    w.record(ctx.id, EventKind::Get { queue, item: item.text.as_item_text(), waited });
    if item.call != 0 {
        (ctx.text.call_queue, ctx.text.vars.call) = (queue as u32, item.call);
    } else if ctx.text.call_queue as usize == queue {
        ctx.text.vars.call = 0;
    }
    ctx.text.vars.item = Some(item.text);
    ctx.text.vars.waited = waited;
    if let Some(t) = say {
        ctx.text.say(&mut w, ctx.id, t);
    }
    Ok(())
}

/// The value of a count for this replica (`None`: forever); a negative or overflowing
/// expression fails the task, naming `what` it is.
/// A whole number that may be negative (a `let` value, a counter's): fails the task when it
/// overflows.
fn value_of(ctx: &mut Ctx, value: &Count, what: &str) -> Result<i64, Unwind> {
    let v = match value {
        Count::Expr(e) => eval(ctx, e)?,
        Count::Drawn(d) => i64::try_from(ctx.sample(d)).ok(),
        Count::Forever => None,
    };
    match v {
        Some(v) => Ok(v),
        None => {
            let mut w = ctx.shared.lock_running()?;
            Err(fail(&mut w, ctx.id, format!("{what} overflows")))
        }
    }
}

/// Works an expression out in the task's environment: `None` on overflow.
fn eval(ctx: &Ctx, e: &crate::plan::Expr) -> Result<Option<i64>, Unwind> {
    let me = &ctx.text.me;
    let env = crate::plan::Env {
        i: i64::from(me.i),
        count: i64::from(me.count),
        locals: &ctx.text.locals,
        waited: i64::try_from(ctx.text.vars.waited).unwrap_or(i64::MAX),
        ..Default::default()
    };
    if e.reads().1 {
        let w = ctx.shared.lock_running()?;
        let levels = w.levels();
        Ok(e.eval(&crate::plan::Env { counters: w.counters(), levels: &levels, ..env }))
    } else {
        Ok(e.eval(&env))
    }
}

/// `take` (`take` true) or `fill`: moves `amount` (for a fill, `None`: up to the capacity),
/// waiting in the container's line until it can.
async fn container_step(
    ctx: &mut Ctx,
    container: usize,
    amount: Option<u64>,
    take: bool,
    say: Option<&Template>,
) -> Result<(), Unwind> {
    let id = ctx.id;
    let (now, start) = {
        let mut w = ctx.shared.lock_running()?;
        let (_, capacity) = w.container(container);
        if let Some(a) = amount.filter(|&a| a > capacity) {
            let name = &ctx.shared.plan.containers[container].name;
            let what = if take { "take" } else { "fill" };
            let why = format!("cannot {what} {a}: container `{name}` holds at most {capacity}");
            return Err(fail(&mut w, id, why));
        }
        let now = if take {
            w.take_or_wait(container, id, amount.unwrap_or(0))
        } else {
            w.fill_or_wait(container, id, amount)
        };
        (now, w.now())
    };
    let (moved, level) = match now {
        Some(done) => done,
        None => ctx.suspend(super::suspend::ContainerOp { container }).await?,
    };
    let mut w = ctx.shared.lock_running()?;
    let waited = w.now() - start;
    ctx.text.vars.amount = moved;
    ctx.text.vars.waited = waited;
    let container = container as u32;
    w.record(id, EventKind::Level { container, take, amount: moved, level, waited });
    if let Some(t) = say {
        ctx.text.say(&mut w, id, t);
    }
    Ok(())
}

fn count_of(ctx: &mut Ctx, count: &Count, what: &str) -> Result<Option<u64>, Unwind> {
    Ok(match count {
        Count::Forever => None,
        Count::Expr(e) => match eval(ctx, e)? {
            Some(n) if n >= 0 => Some(n as u64),
            _ => {
                let mut w = ctx.shared.lock_running()?;
                return Err(fail(&mut w, ctx.id, format!("{what} is negative or overflows")));
            }
        },
        Count::Drawn(d) => Some(ctx.sample(d)),
    })
}

/// `repeat`: runs `body` `n` times, `{n}` counting the passes, in one boxed future for all of
/// them (a box per pass would cost an allocation per item in a consumer's loop). Its caller
/// gives the enclosing loop's `{n}` back afterwards (a wrapper future would be one more level
/// to pass through each time the task resumes).
fn repeat_body<'a>(ctx: &'a mut Ctx, body: &'a [Step], n: u64) -> Exec<'a> {
    Box::pin(async move {
        for k in 0..n {
            ctx.text.vars.n = k;
            // A pass counts as a step, so that a loop whose body never waits is caught. (The loop
            // is `exec_unboxed`'s, not a call to it: a future made per pass costs 3% of a queue's
            // run.)
            ctx.step()?;
            let mut pass = body.iter();
            run_block!(ctx, pass);
        }
        Ok(())
    })
}

async fn gather(ctx: &mut Ctx, tasks: &[usize], policy: GatherPolicy) -> Result<(), Unwind> {
    // One list of the children, shared by the gather, its wait and what an interrupt cancels:
    // a gather of a million tasks holds it once.
    let children = Rc::new(start(ctx, tasks)?);
    ctx.shared.lock_running()?.observe(&children);
    let result = gather_started(ctx, children.clone(), policy).await;
    if let Ok(mut w) = ctx.shared.lock_running() {
        w.unobserve(&children);
    }
    result
}

async fn gather_started(ctx: &mut Ctx, children: Rc<Vec<TaskId>>, policy: GatherPolicy) -> Result<(), Unwind> {
    // asyncio.gather's future cancels its tasks the moment the gathering task is interrupted; a
    // task group cancels them when the interrupted task runs.
    let at_once = policy != GatherPolicy::TaskGroup;
    if at_once {
        ctx.shared.lock_running()?.tasks[ctx.id].cancel_with = CancelWith::Tasks(children.clone());
    }
    let result = wait_for(ctx, children.clone(), policy != GatherPolicy::ReturnExceptions).await;
    if let Ok(mut w) = ctx.shared.lock_running() {
        w.tasks[ctx.id].cancel_with = CancelWith::Nothing;
    }
    match result {
        Ok(()) if policy != GatherPolicy::ReturnExceptions => Ok(()),
        Ok(()) => {
            let mut w = ctx.shared.lock_running()?;
            let count = |o| children.iter().filter(|&&c| w.tasks[c].outcome == Some(o)).count() as u64;
            let (completed, failed, cancelled) =
                (count(Outcome::Completed), count(Outcome::Failed), count(Outcome::Cancelled));
            w.record(ctx.id, EventKind::Gathered { completed, failed, cancelled });
            Ok(())
        }
        // asyncio.gather: the first failure is the gathering task's at once; the others go on.
        Err(unwind @ Unwind::Failed(_)) if policy == GatherPolicy::Gather => Err(unwind),
        Err(Unwind::Stopped) => Err(Unwind::Stopped),
        Err(unwind) => {
            // Interrupted, or (task group) a task failed: the other tasks are cancelled, and the
            // gather ends once they all have.
            if at_once {
                drain(ctx, &children).await?;
            } else {
                cancel_and_drain(ctx, &children).await?;
            }
            Err(unwind)
        }
    }
}

async fn race(ctx: &mut Ctx, tasks: &[usize], policy: RacePolicy) -> Result<(), Unwind> {
    let racers = start(ctx, tasks)?;
    ctx.shared.lock_running()?.observe(&racers);
    let result = race_started(ctx, &racers, policy).await;
    if let Ok(mut w) = ctx.shared.lock_running() {
        w.unobserve(&racers);
    }
    result
}

async fn race_started(ctx: &mut Ctx, racers: &[TaskId], policy: RacePolicy) -> Result<(), Unwind> {
    let racers = racers.to_vec();
    {
        let mut w = ctx.shared.lock_running()?;
        w.tasks[ctx.id].collects_ends = true;
        for &t in &racers {
            w.watch(t, ctx.id);
        }
    }
    let first_completed = policy == RacePolicy::FirstCompleted;
    let race = RaceOp { racers: racers.clone(), first_completed, running: racers.len() };
    let won = ctx.suspend(race).await;
    if let Ok(mut w) = ctx.shared.lock_running() {
        let me = &mut w.tasks[ctx.id];
        me.collects_ends = false;
        me.inbox.clear();
    }
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
        Some(first) if w.tasks[first].outcome != Some(Outcome::Completed) => {
            let why = match w.tasks[first].outcome {
                Some(Outcome::Cancelled) => format!("task `{}` was cancelled", w.tasks[first].label),
                _ => failed_task(&w, first),
            };
            Err(fail(&mut w, ctx.id, why))
        }
        Some(winner) => {
            let label = w.tasks[winner].label.clone();
            w.record(ctx.id, EventKind::RaceWon { winner: &label });
            Ok(())
        }
        None => Err(fail(&mut w, ctx.id, "every task in the race failed or was cancelled".into())),
    }
}

async fn timeout(
    ctx: &mut Ctx,
    after: &Dist,
    body: &[Step],
    on_timeout: &[Step],
    finally: &[Step],
) -> Result<(), Unwind> {
    let after = ctx.sample(after);
    let scope = ctx.shared.lock_running()?.push_scope(ctx.id, after);
    let result = exec(ctx, body).await;
    ctx.shared.lock().pop_scope(ctx.id, scope);
    let result = match result {
        Err(Unwind::Timeout(t)) if t == scope => {
            ctx.shared.lock_running()?.record(ctx.id, EventKind::TimedOut { after });
            exec(ctx, on_timeout).await
        }
        other => other,
    };
    if result != Err(Unwind::Stopped) {
        exec(ctx, finally).await?;
    }
    result
}

/// `until`: the body, left wherever it waits when the event is set (as a timeout leaves it),
/// then `on_set`; only `on_set` when the event is set already.
async fn until(ctx: &mut Ctx, event: usize, body: &[Step], on_set: &[Step]) -> Result<(), Unwind> {
    let depth = {
        let mut w = ctx.shared.lock_running()?;
        if w.event_is_set(event) {
            w.record(ctx.id, EventKind::EventWaited { event });
            None
        } else {
            Some(w.push_until(ctx.id, event))
        }
    };
    let Some(depth) = depth else { return exec(ctx, on_set).await };
    let result = exec(ctx, body).await;
    ctx.shared.lock().pop_until(ctx.id);
    match result {
        Err(Unwind::EventSet(d)) if d == depth => {
            ctx.shared.lock_running()?.record(ctx.id, EventKind::EventWaited { event });
            exec(ctx, on_set).await
        }
        other => other,
    }
}

async fn throttle(ctx: &mut Ctx, limit: usize) -> Result<(), Unwind> {
    let (start, timer, reservation) = {
        let mut w = ctx.shared.lock_running()?;
        let (at, reservation) = w.reserve_token(limit);
        let timer = (at > w.now()).then(|| w.add_timer(ctx.id, at));
        (w.now(), timer, reservation)
    };
    if timer.is_some() {
        if let Err(unwind) = ctx.suspend(SleepOp { timer }).await {
            ctx.shared.lock().unreserve_token(limit, reservation);
            return Err(unwind);
        }
    }
    let mut w = ctx.shared.lock_running()?;
    let blocked = w.now() - start;
    w.record(ctx.id, EventKind::Throttle { limit, blocked });
    Ok(())
}

async fn to_thread(ctx: &mut Ctx, duration: &Dist) -> Result<(), Unwind> {
    let d = ctx.sample(duration);
    let pool = ctx.shared.plan.thread_pool;
    if let Some(pool) = pool {
        acquire(ctx, pool, 0).await?;
    }
    let id = ctx.id;
    let mut until = 0;
    let result = ctx
        .sleep(d, |w, _| {
            until = w.now().saturating_add(d);
            w.record(id, EventKind::ToThread { duration: d });
        })?
        .await;
    match (pool, &result) {
        (_, Err(Unwind::Stopped)) | (None, _) => {}
        (Some(pool), Ok(())) => release(ctx, pool)?,
        // The awaiting task was interrupted, but the thread runs the work to its end.
        (Some(pool), Err(_)) => ctx.shared.lock_running()?.abandon_thread_work(pool, id, until),
    }
    result
}

async fn retry(
    ctx: &mut Ctx,
    retries: u64,
    body: &[Step],
    backoff: Option<&Dist>,
    factor: f64,
    jitter: bool,
) -> Result<(), Unwind> {
    let mut attempt = 0;
    loop {
        match exec(ctx, body).await {
            Err(Unwind::Failed(_)) if attempt < retries => {
                let base = backoff.map_or(0, |b| ctx.sample(b));
                let mut delay = if factor == 2.0 {
                    // Exact integers for the default doubling.
                    let factor = 1u64.checked_shl(attempt.min(63) as u32).unwrap_or(u64::MAX);
                    base.saturating_mul(factor)
                } else {
                    (base as f64 * libm::pow(factor, attempt as f64)) as u64
                }
                .min(crate::dist::MAX_VALUE);
                if jitter {
                    delay = (delay as f64 * ctx.rng.unit()) as u64;
                }
                attempt += 1;
                let id = ctx.id;
                ctx.sleep(delay, |w, _| w.record(id, EventKind::Retry { attempt: attempt + 1, delay }))?.await?;
            }
            other => return other,
        }
    }
}

async fn acquire(ctx: &mut Ctx, semaphore: usize, priority: u64) -> Result<(), Unwind> {
    let (ready, start) = {
        let mut w = ctx.shared.lock_running()?;
        (w.acquire_or_wait(semaphore, ctx.id, priority), w.now())
    };
    if !ready {
        if let Err(unwind) = ctx.suspend(AcquireOp { semaphore, priority }).await {
            // `{waited}` says how long it waited before it gave up (a customer who reneges).
            if let Ok(w) = ctx.shared.lock_running() {
                ctx.text.vars.waited = w.now() - start;
            }
            return Err(unwind);
        }
    }
    let mut w = ctx.shared.lock_running()?;
    let blocked = w.now() - start;
    ctx.text.vars.waited = blocked;
    w.record(ctx.id, EventKind::Acquire { semaphore, blocked });
    Ok(())
}

fn release(ctx: &mut Ctx, semaphore: usize) -> Result<(), Unwind> {
    let mut w = ctx.shared.lock_running()?;
    let plan = &ctx.shared.plan.semaphores[semaphore];
    if !w.release(semaphore, ctx.id, plan.bounded) {
        let name = &plan.name;
        return Err(fail(
            &mut w,
            ctx.id,
            format!("released bounded semaphore `{name}` more times than it was acquired"),
        ));
    }
    w.record(ctx.id, EventKind::Release { semaphore });
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
    drain(ctx, tasks).await
}

/// Waits until `tasks` have all ended, letting no interrupt in meanwhile.
async fn drain(ctx: &mut Ctx, tasks: &[TaskId]) -> Result<(), Unwind> {
    {
        let mut w = ctx.shared.lock_running()?;
        for &t in tasks {
            w.watch(t, ctx.id);
        }
    }
    let mut drain = ctx.suspend(WaitOp::new(Rc::new(tasks.to_vec()), false, 0));
    drain.shielded = true;
    drain.await?.ok();
    Ok(())
}

/// Starts every replica of `tasks`, in order; they run once this task waits. Stops short when
/// the run reaches its task limit (the run has failed then).
fn start(ctx: &mut Ctx, tasks: &[usize]) -> Result<Vec<TaskId>, Unwind> {
    let plan = &ctx.shared.plan;
    let mut ids = Vec::new();
    // Where each task's replicas end in `ids`, and which start of that task this is.
    let mut generations = Vec::new();
    {
        let mut w = ctx.shared.lock_running()?;
        'tasks: for &t in tasks {
            // Every start of a task starts all its replicas: earlier starts are whole multiples.
            let count = plan.tasks[t].count;
            let generation = w.count_start(t);
            for replica in 0..count {
                let created = w.create_task(t + 1, replica, plan.tasks[t].label(replica), Some(ctx.id));
                let Some(id) = created else {
                    generations.push((ids.len(), generation));
                    break 'tasks;
                };
                ids.push(id);
            }
            generations.push((ids.len(), generation));
        }
    }
    let mut from = 0;
    for (end, generation) in generations {
        for &child in &ids[from..end] {
            Shared::spawn(&ctx.shared, child, generation);
        }
        from = end;
    }
    Ok(ids)
}

/// Starts a fresh instance of declared task `task` for an arrival: labelled `NAME#N`, with `N`
/// the arrivals so far (its `{i}`, and its random stream's). It runs once this task waits.
fn spawn(ctx: &mut Ctx, task: usize) -> Result<(), Unwind> {
    let n = ctx.text.vars.n;
    let id = {
        let mut w = ctx.shared.lock_running()?;
        let generation = w.count_start(task);
        let label = smol_str::format_smolstr!("{}#{n}", ctx.shared.plan.tasks[task].name);
        w.create_task(task + 1, n, label, Some(ctx.id)).map(|id| (id, generation))
    };
    if let Some((child, generation)) = id {
        Shared::spawn(&ctx.shared, child, generation);
    }
    Ok(())
}

/// An arrivals source with a changing rate: each arrival at the time the schedule gives (the
/// expected arrivals since the start reach one more: exactly, for regular arrivals, or after an
/// exponential draw's worth, for Poisson ones), recorded as a sleep, then `arrive`. It ends at
/// the end of the last stage, or after `total` arrivals.
async fn scheduled(
    ctx: &mut Ctx,
    schedule: &Schedule,
    total: Option<u64>,
    arrive: &Step,
    initial: u64,
) -> Result<(), Unwind> {
    let id = ctx.id;
    let start = ctx.shared.lock_running()?.now();
    let at_ns = |seconds: f64| start.saturating_add((seconds * 1e9).round().min(u64::MAX as f64) as u64);
    let end = (!schedule.open).then(|| at_ns(schedule.segments.iter().map(|s| s.0).sum()));
    let outer = ctx.text.vars.n;
    let mut work = 0.0;
    // `k` counts every arrival, the `initial` ones at the start first; `scheduled` the others.
    let mut k = 0;
    let mut scheduled = 0;
    let result = loop {
        if total.is_some_and(|t| k >= t) {
            break Ok(());
        }
        if k < initial {
            ctx.text.vars.n = k;
            if let Err(unwind) = exec_unboxed(ctx, std::slice::from_ref(arrive)).await {
                break Err(unwind);
            }
            k += 1;
            continue;
        }
        scheduled += 1;
        work = if schedule.poisson { work - libm::log(ctx.rng.unit_open_low()) } else { scheduled as f64 };
        let now = ctx.shared.lock_running()?.now();
        let Some(at) = schedule.time_of(work).map(at_ns) else {
            // No more arrivals: the source lasts to the end of its last stage.
            if let Some(d) = end.map(|e| e.saturating_sub(now)).filter(|&d| d > 0) {
                ctx.sleep(d, |w, _| w.record(id, EventKind::Sleep { duration: d }))?.await?;
            }
            break Ok(());
        };
        let d = at.saturating_sub(now);
        ctx.text.vars.sleep = d;
        ctx.sleep(d, |w, _| w.record(id, EventKind::Sleep { duration: d }))?.await?;
        ctx.text.vars.n = k;
        if let Err(unwind) = exec_unboxed(ctx, std::slice::from_ref(arrive)).await {
            break Err(unwind);
        }
        k += 1;
    };
    ctx.text.vars.n = outer;
    result
}

/// Waits until no replica of the declared `tasks` is running, as `await` does in asyncio. With
/// `propagate`, an interrupt of this task reaches them too (they are cancelled the moment it is
/// delivered, see `World::withdraw`), and this task goes on unwinding once they have ended.
async fn wait_decls(ctx: &mut Ctx, tasks: &[usize], propagate: bool) -> Result<(), Unwind> {
    if propagate {
        ctx.shared.lock_running()?.tasks[ctx.id].cancel_with = CancelWith::Decls(tasks.into());
    }
    let result = ctx.suspend(WaitDeclsOp { decls: tasks.to_vec() }).await;
    if let Ok(mut w) = ctx.shared.lock_running() {
        w.tasks[ctx.id].cancel_with = CancelWith::Nothing;
    }
    match result {
        Err(unwind @ (Unwind::Cancelled | Unwind::Timeout(_) | Unwind::EventSet(_))) if propagate => {
            let mut drain = ctx.suspend(WaitDeclsOp { decls: tasks.to_vec() });
            drain.shielded = true;
            drain.await?;
            Err(unwind)
        }
        other => other,
    }
}

/// Waits until every task in `ids` has ended. With `fail_fast`, a failure of one of them ends
/// the wait at once with that task's failure.
async fn wait_for(ctx: &mut Ctx, ids: Rc<Vec<TaskId>>, fail_fast: bool) -> Result<(), Unwind> {
    let seen = {
        let mut w = ctx.shared.lock_running()?;
        for &t in ids.iter() {
            w.watch(t, ctx.id);
        }
        w.tasks[ctx.id].child_failures
    };
    match ctx.suspend(WaitOp::new(ids, fail_fast, seen)).await? {
        Ok(()) => Ok(()),
        Err(failed) => {
            let mut w = ctx.shared.lock_running()?;
            let why = failed_task(&w, failed);
            Err(fail(&mut w, ctx.id, why))
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every live task holds a context and a task record: growing either costs memory per task
    /// (README's million live tasks). Raise a bound only knowingly.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_task_s_records_stay_small() {
        let ctx = size_of::<super::Ctx>();
        let record = size_of::<super::super::tasks::TaskState>();
        assert!(ctx <= 144, "Ctx is {ctx} bytes");
        // Its waiters hold one task, and its label up to 23 bytes, without an allocation (16
        // bytes more here, 32 fewer on the heap for each); why a task failed is in a side table,
        // and how many times it was started is given to its future rather than kept.
        assert!(record <= 168, "TaskState is {record} bytes");
    }
}
