//! The state of a run, behind one lock: the clock, the task table and the primitives, each in a
//! module of its own that owns its waiters and its grant rule. `World` is the thin owner that
//! routes between them: it applies a primitive's grants to the task table, records events to the
//! sinks, and keeps the run's budgets.
//!
//! Every method here is synchronous and runs under the lock; waiting is done by the futures in
//! `suspend.rs`, which call in here, say what they wait for and return `Pending`; a grant puts
//! the task back in the run queue (`tasks.rs`).

use std::fmt::Write as _;
use std::sync::Arc;

use super::WALL_CHECK_EVERY;
use super::barrier::Barrier;
use super::clock::{Advance, Clock, Fired, TimerId};
use super::container::Container;
use super::event::EventFlag;
use super::queue::{Item, Queue, Woken};
use super::rate_limit::RateLimit;
use super::semaphore::{ORPHAN, Semaphore};
use super::tasks::{CancelWith, MAIN, Scope, TaskId, TaskState, Tasks, Waiting};
use crate::event::{
    Event, EventKind, Failure, FailureKind, ItemText, Mark, MarkKind, Model, Outcome, RunEnd, TaskIndex,
};
use crate::plan::{Condition, Limits, Plan, Subject};
use crate::seconds::{push_humantime, push_seconds};
use crate::sink::{Sinks, Summary};

/// The most items one queue may hold.
pub const MAX_QUEUE_ITEMS: usize = 1_000_000;
/// The most bytes of item text all queues together may hold.
pub const MAX_QUEUED_BYTES: usize = 256 << 20;

/// Why a task stops running its steps before their end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwind {
    /// Another task cancelled it.
    Cancelled,
    /// The deadline of the timeout scope with this timer passed.
    Timeout(TimerId),
    /// A step failed, with this message.
    Failed(Arc<str>),
    /// The event of the task's `until` scope at this depth was set.
    EventSet(usize),
    /// Another task interrupted it (or took its permit), with this message.
    Interrupted(Arc<str>),
    /// The run is over (failed or finished); nothing may happen any more.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Finished,
    Failed,
}

pub struct World {
    pub clock: Clock,
    limits: Limits,
    pub tasks: Tasks,
    queues: Vec<Queue>,
    semaphores: Vec<Semaphore>,
    events: Vec<EventFlag>,
    /// Each counter's value.
    counters: Vec<i64>,
    containers: Vec<Container>,
    /// Calls waiting for their reply, by call number: the caller, and the reply once given.
    calls: std::collections::BTreeMap<u64, (TaskId, Option<String>)>,
    /// The last call number given.
    last_call: u64,
    /// Per task in an `until` scope: the events of its scopes, outermost first, and whether each
    /// has reached the task already. (A side table: few tasks are in one.)
    until_scopes: std::collections::BTreeMap<TaskId, Vec<(usize, bool)>>,
    /// Per event: the tasks in an `until` scope on it.
    watchers: Vec<Vec<TaskId>>,
    /// What each interrupt waiting to reach its task says.
    interrupts: std::collections::BTreeMap<TaskId, Arc<str>>,
    /// Why each task that failed did, until its slot is freed: a side table, since few tasks
    /// fail and every task record would otherwise hold room for it.
    pub failures: std::collections::BTreeMap<TaskId, Arc<str>>,
    /// Items put with a delay, on their way to their queue; and the free slots.
    in_flight: Vec<Option<(usize, Item)>>,
    in_flight_free: Vec<usize>,
    /// Per counter: the tasks waiting for a condition on it, woken to look again at each change.
    counter_waiters: Vec<Vec<TaskId>>,
    barriers: Vec<Barrier>,
    rate_limits: Vec<RateLimit>,
    /// Per declared task (an index into `Plan::tasks`): its running replicas, the first that
    /// failed, how many times it was started, and the tasks waiting for none to run. A `wait` or a
    /// `cancel` costs what is running, never every replica ever started.
    running: Vec<Vec<TaskId>>,
    /// The first replica that failed, as `task `label` failed: why`.
    first_failure: Vec<Option<String>>,
    /// How many tasks were created, `main` included.
    created: u64,
    starts: Vec<u64>,
    decl_waiters: Vec<Vec<TaskId>>,
    model: Model,
    sinks: Sinks,
    event_count: u64,
    /// Events per declared task, to name the busiest when a budget is reached.
    events_by_task: Vec<u64>,
    /// When the run must stop, in real time (`--wall-limit`).
    wall_deadline: Option<std::time::Instant>,
    /// The instant the per-instant event count is for, and the event count when it began.
    instant: u64,
    instant_start: u64,
    pub state: RunState,
    failure: Option<Failure>,
    live: usize,
    /// The bytes of item text all queues hold.
    queued_bytes: usize,
    /// `[after]` has steps that have not run yet.
    after_pending: bool,
    /// Every task has ended and `[after]` is to start: the run loop starts it.
    pub after_due: bool,
    /// The timers due at the current instant, in order (a reused buffer).
    fired: Vec<TimerId>,
}

impl World {
    pub fn new(plan: &Plan, limits: Limits, model: Model, sinks: Sinks) -> World {
        World {
            clock: Clock::default(),
            limits,
            tasks: Tasks::default(),
            queues: plan.queues.iter().map(|q| Queue::new(q.capacity, q.fairness, q.discipline)).collect(),
            semaphores: plan.semaphores.iter().map(|s| Semaphore::new(s.permits, s.priority, s.preemptive)).collect(),
            events: plan.events.iter().map(|e| EventFlag::new(e.initially_set)).collect(),
            counters: plan.counters.iter().map(|&(_, initial)| initial).collect(),
            counter_waiters: vec![Vec::new(); plan.counters.len()],
            containers: plan.containers.iter().map(|c| Container::new(c.capacity, c.initial)).collect(),
            calls: std::collections::BTreeMap::new(),
            last_call: 0,
            interrupts: std::collections::BTreeMap::new(),
            failures: std::collections::BTreeMap::new(),
            until_scopes: std::collections::BTreeMap::new(),
            watchers: vec![Vec::new(); plan.events.len()],
            in_flight: Vec::new(),
            in_flight_free: Vec::new(),
            barriers: plan.barriers.iter().map(|b| Barrier::new(b.parties)).collect(),
            rate_limits: plan.rate_limits.iter().map(|r| RateLimit::new(r.interval, r.burst)).collect(),
            running: vec![Vec::new(); plan.tasks.len()],
            first_failure: vec![None; plan.tasks.len()],
            created: 0,
            starts: vec![0; plan.tasks.len()],
            decl_waiters: vec![Vec::new(); plan.tasks.len()],
            model,
            sinks,
            event_count: 0,
            events_by_task: vec![0; plan.tasks.len() + 2],
            wall_deadline: limits.wall_limit.map(|d| std::time::Instant::now() + d),
            instant: 0,
            instant_start: 0,
            state: RunState::Running,
            failure: None,
            live: 0,
            queued_bytes: 0,
            after_pending: plan.after.is_some(),
            after_due: false,
            fired: Vec::new(),
        }
    }

    pub fn now(&self) -> u64 {
        self.clock.now
    }

    /// Hands an event to the sinks and keeps the event budgets.
    ///
    /// Inlined, so that the event is built where its kind is made and handed on by reference:
    /// a call taking the kind by value copies it into the event with wide loads, which wait for
    /// the caller's narrower stores of it to land (no store-to-load forwarding).
    #[inline(always)]
    pub fn record(&mut self, task: TaskId, kind: EventKind<'_>) {
        // Once a run has stopped, its transcript ends there: nothing that unwinds afterwards is an
        // event of the run.
        if self.state != RunState::Running {
            return;
        }
        let (now, t) = (self.clock.now, &self.tasks[task]);
        let decl = t.decl;
        let stopped = self.sinks.want(&kind)
            && self.sinks.event(&self.model, &Event { time: now, task: &t.label, id: task, decl, kind });
        self.recorded(task, decl, stopped);
    }

    /// The rest of [`World::record`]: counts the event and checks the budgets, leaving what
    /// fails a run to [`World::over_budget`] (a call of its own, so that this one, made for
    /// every event, saves few registers).
    #[inline(never)]
    fn recorded(&mut self, task: TaskId, decl: usize, stopped: bool) {
        self.event_count += 1;
        self.events_by_task[decl] += 1;
        let now = self.clock.now;
        if now != self.instant && !stopped {
            self.instant = now;
            self.instant_start = self.event_count;
        }
        if stopped
            || self.event_count - self.instant_start > self.limits.max_events_per_instant
            || self.event_count > self.limits.max_events
            || self.event_count % WALL_CHECK_EVERY == 0
        {
            self.over_budget(task, stopped);
        }
    }

    /// [`World::recorded`]'s checks that fail the run, and the wall-clock check every
    /// [`WALL_CHECK_EVERY`] events.
    #[cold]
    #[inline(never)]
    fn over_budget(&mut self, task: TaskId, stopped: bool) {
        let now = self.clock.now;
        if stopped {
            let why = self.sinks.why_stopped().unwrap_or_default();
            self.fail(FailureKind::Output, format!("the run stopped because its output did: {why}"));
            return;
        }
        // Tasks that keep waking each other (or sleep for zero) never let time pass; each one
        // waits, so only a count per instant catches them.
        if self.event_count - self.instant_start > self.limits.max_events_per_instant {
            let mut msg = format!("{} events happened at virtual time ", self.limits.max_events_per_instant);
            push_seconds(&mut msg, now, None);
            let _ = write!(
                msg,
                " s without time passing; the last was by `{}`: tasks that keep waking each other, or sleep for zero, \
                 never let virtual time pass (raise `max-events-per-instant` if this is intended)",
                self.tasks[task].label
            );
            self.fail(FailureKind::Livelock, msg);
        } else if self.event_count > self.limits.max_events {
            let msg = format!(
                "the run reached its budget of {} events; raise `max-events` if the scenario needs more ({})",
                self.limits.max_events,
                self.busiest()
            );
            self.fail(FailureKind::EventBudget, msg);
        } else if self.event_count % WALL_CHECK_EVERY == 0 {
            self.check_wall_limit();
        }
    }

    /// Fails the run if it has taken longer in real time than its wall-clock limit; returns
    /// whether it did. Called every so many events, and every so many steps (see
    /// `Shared::steps`).
    pub fn check_wall_limit(&mut self) -> bool {
        if self.wall_deadline.is_none_or(|d| std::time::Instant::now() < d) {
            return false;
        }
        let mut msg = String::from("the run took longer in real time than its wall-clock limit, at virtual time ");
        push_seconds(&mut msg, self.clock.now, None);
        let _ = write!(msg, " s ({})", self.busiest());
        self.fail(FailureKind::WallLimit, msg);
        true
    }

    // ----- time -----

    pub fn add_timer(&mut self, task: TaskId, at: u64) -> TimerId {
        self.clock.add_timer(task, at)
    }

    /// Called when no task can run. Moves the clock to the earliest pending deadline and wakes
    /// the tasks whose timers are due then, in registration order. With no timer pending while
    /// tasks still wait, the run has deadlocked.
    pub fn advance(&mut self) {
        if self.state != RunState::Running {
            return;
        }
        let mut fired = std::mem::take(&mut self.fired);
        match self.clock.advance(self.limits.time_limit, |f| fired.push(f)) {
            Advance::Fired => {
                // In registration order, as asyncio runs its timer callbacks: wake the task, and
                // when the timer is a timeout's deadline, the interrupt reaches the task now.
                for &id in &fired {
                    match self.clock.what(id) {
                        Fired::Wake(t) => {
                            self.tasks.wake(t);
                            if self.tasks[t].scopes.iter().any(|s| !s.delivered && self.clock.fired(s.timer)) {
                                self.withdraw(t);
                            }
                        }
                        Fired::Release { task, semaphore } => {
                            self.record(task, EventKind::Release { semaphore });
                            self.release_permit(semaphore);
                            self.tasks[task].releases -= 1;
                            self.free_if_unused(task);
                        }
                        Fired::Deliver { task, slot } => {
                            if let Some((queue, mut item)) = self.in_flight[slot].take() {
                                self.in_flight_free.push(slot);
                                item.put_at = self.clock.now;
                                let text = item.text.clone();
                                self.arrive_at(queue, task, item, text.as_item_text(), false);
                            }
                            self.tasks[task].releases -= 1;
                            self.free_if_unused(task);
                        }
                    }
                }
            }
            Advance::BeyondLimit => {
                let mut msg = String::from("the run reached its virtual-time limit of ");
                push_humantime(&mut msg, self.limits.time_limit);
                msg.push_str(" with tasks still running; raise `time-limit` if the scenario needs longer");
                let stuck = self.stuck_report();
                if !stuck.is_empty() {
                    msg.push_str("\nthese tasks were waiting for something other than time, so they may be stuck:\n");
                    msg.push_str(&stuck);
                }
                self.fail(FailureKind::TimeLimit, msg);
            }
            Advance::Idle => {
                let blocked = self.blocked_report();
                self.fail(
                    FailureKind::Deadlock,
                    format!("deadlock: every task is waiting and no timer is pending\n{blocked}"),
                );
            }
        }
        fired.clear();
        self.fired = fired;
    }

    /// An interrupt (a cancellation, or a timeout's deadline) reaches `task` now, as asyncio's
    /// `Task.cancel()` cancels the future the task waits on at once: the task leaves the line it
    /// waits in, so that whatever happens later in the same instant passes it by, and the tasks
    /// it awaits unshielded are cancelled too. Something already granted to it is handed on when
    /// it runs (`Suspend` abandons its operation then).
    fn withdraw(&mut self, task: TaskId) {
        if !self.tasks.granted(task) && !self.tasks[task].withdrawn {
            self.tasks[task].withdrawn = true;
            match self.tasks[task].waiting {
                Some(Waiting::Get(q)) => drop(self.queues[q].abandon_get(task, false)),
                Some(Waiting::Put(q)) => drop(self.queues[q].abandon_put(task, false, self.clock.now)),
                Some(Waiting::Join(q)) => self.queues[q].abandon_join(task),
                Some(Waiting::Acquire(s)) => drop(self.semaphores[s].abandon(task, false)),
                Some(Waiting::Event(e)) => self.events[e].abandon(task, false),
                Some(Waiting::Barrier(b)) => drop(self.barriers[b].abandon(task, false)),
                Some(Waiting::Counter(c)) => self.leave_counter(c, task),
                Some(Waiting::Container(c)) => {
                    self.containers[c].abandon(task, false);
                    self.serve_container(c);
                }
                Some(Waiting::Reply(call)) => self.abandon_call(call),
                Some(Waiting::Sleep | Waiting::Task(_) | Waiting::Decl(_)) | None => {}
            }
        }
        let targets = match std::mem::take(&mut self.tasks[task].cancel_with) {
            CancelWith::Nothing => Vec::new(),
            CancelWith::Tasks(tasks) => tasks.to_vec(),
            CancelWith::Decls(decls) => self.running_of(&decls),
        };
        for t in targets {
            self.request_cancel(task, t);
        }
    }

    /// Moves the clock forward while a task keeps the event loop busy.
    pub fn busy(&mut self, duration: u64) {
        self.clock.now = self.clock.now.saturating_add(duration);
        if self.clock.now > self.limits.time_limit {
            let mut msg = String::from("the run reached its virtual-time limit of ");
            push_humantime(&mut msg, self.limits.time_limit);
            msg.push_str(" while a task kept the event loop busy");
            self.fail(FailureKind::TimeLimit, msg);
        }
    }

    /// Which declared task had the most events, for a budget's message.
    fn busiest(&self) -> String {
        let (decl, events) =
            self.events_by_task.iter().enumerate().max_by_key(|&(k, n)| (*n, std::cmp::Reverse(k))).unwrap_or((0, &0));
        format!("the busiest task was `{}`, with {events} events", self.model.tasks[decl])
    }

    fn blocked_report(&self) -> String {
        self.report(|_| true, false)
    }

    /// The tasks still waiting, when the run is stopped, on something other than time: the
    /// ones that made no progress, as a deadlock hidden behind a task that keeps sleeping.
    fn stuck_report(&self) -> String {
        self.report(|t| !matches!(t.waiting, Some(Waiting::Sleep) | None), true)
    }

    fn report(&self, include: impl Fn(&TaskState) -> bool, since: bool) -> String {
        const SHOWN: usize = 50;
        let m = &self.model;
        let mut out = String::new();
        let mut left = 0;
        let live = self.tasks.live_in_order().into_iter().map(|id| (id, &self.tasks[id]));
        for (k, (id, t)) in live.filter(|(_, t)| !t.done && include(t)).enumerate() {
            if k >= SHOWN {
                left += 1;
                continue;
            }
            let what = match t.waiting {
                Some(Waiting::Get(q)) => format!("waits to get from queue `{}`", m.queues[q]),
                Some(Waiting::Put(q)) => format!("waits to put on full queue `{}`", m.queues[q]),
                Some(Waiting::Join(q)) => format!("waits to join queue `{}`", m.queues[q]),
                Some(Waiting::Task(t)) => format!("waits for task `{}` to end", self.tasks[t].label),
                Some(Waiting::Decl(d)) => match self.running[d].first() {
                    Some(&t) => format!("waits for task `{}` to end", self.tasks[t].label),
                    None => format!("waits for task `{}` to end", m.tasks[d + 1]),
                },
                Some(Waiting::Acquire(sem)) => format!("waits to acquire semaphore `{}`", m.semaphores[sem].name),
                Some(Waiting::Event(e)) => format!("waits for event `{}` to be set", m.events[e]),
                Some(Waiting::Counter(c)) => {
                    format!("waits for counter `{}` (now {}) to reach a value", m.counters[c], self.counters[c])
                }
                Some(Waiting::Container(c)) => {
                    let (level, name) = (self.containers[c].level(), &m.containers[c].name);
                    match self.containers[c].waiting_for(id) {
                        Some((true, Some(amount))) => {
                            format!("waits to take {amount} from container `{name}` (level {level})")
                        }
                        Some((_, Some(amount))) => {
                            format!("waits to fill {amount} into container `{name}` (level {level})")
                        }
                        _ => format!("waits to fill container `{name}` (level {level})"),
                    }
                }
                Some(Waiting::Reply(_)) => "waits for the reply to its call".to_owned(),
                Some(Waiting::Barrier(b)) => {
                    let (arrived, parties) = self.barriers[b].progress();
                    format!("waits at barrier `{}` ({arrived} of {parties} arrived)", m.barriers[b])
                }
                Some(Waiting::Sleep) | None => "is blocked".to_owned(),
            };
            let _ = write!(out, "  {} {what}", t.label);
            if since {
                out.push_str(" since ");
                push_seconds(&mut out, t.waiting_since, None);
                out.push_str(" s");
            }
            out.push('\n');
        }
        if left > 0 {
            let _ = writeln!(out, "  ... and {left} more");
        }
        out.trim_end().to_owned()
    }

    // ----- the run -----

    pub fn fail(&mut self, kind: FailureKind, message: String) {
        if self.state == RunState::Running {
            self.state = RunState::Failed;
            self.failure = Some(Failure { kind, message });
        }
    }

    /// Ends the sinks; returns the run's summary and the first error writing an output.
    pub fn finish(self) -> (Summary, std::io::Result<()>) {
        let run = RunEnd { end: self.clock.now, events: self.event_count, failure: self.failure };
        self.sinks.end(&self.model, run)
    }

    // ----- tasks -----

    /// Creates a task (started, not yet run) and records who started it. `None` when the run
    /// has reached its `max-tasks`: the run fails then.
    pub fn create_task(
        &mut self,
        decl: TaskIndex,
        replica: u64,
        label: smol_str::SmolStr,
        by: Option<TaskId>,
    ) -> Option<TaskId> {
        // Tasks alive at once, `main` not counted: a task of the largest count a file allows can
        // always start, and tasks that have ended (one per arrival, say) make room.
        if self.live as u64 > self.limits.max_tasks {
            let msg = format!(
                "the run has {} tasks alive at once, its limit; a task started in a loop may be starting them \
                 faster than they end (raise `max-tasks` if this is intended)",
                self.limits.max_tasks
            );
            self.fail(FailureKind::Limit, msg);
            return None;
        }
        let id = self.tasks.push(TaskState::new(label, decl, replica, self.clock.now));
        self.tasks[id].seq = self.created;
        self.created += 1;
        if let Some(running) = decl.checked_sub(1).and_then(|d| self.running.get_mut(d)) {
            self.tasks[id].running_slot = running.len();
            running.push(id);
        }
        self.live += 1;
        if let Some(by) = by {
            let by_label = self.tasks[by].label.clone();
            self.record(id, EventKind::Start { by: &by_label });
        }
        Some(id)
    }

    /// Remembers how to wake a task about to wait; `began`: this wait starts now.
    pub fn park(&mut self, task: TaskId, waiting: Waiting, began: bool) {
        self.tasks.park(task, waiting);
        if began {
            self.tasks[task].waiting_since = self.clock.now;
            self.tasks[task].withdrawn = false;
        }
    }

    /// Delivers a pending interrupt, once: a cancellation first, then an interrupt from another
    /// task, then the outermost timeout whose deadline has passed.
    #[inline]
    pub fn interrupt(&mut self, task: TaskId) -> Option<Unwind> {
        // Every wait asks, and almost always nothing is pending: answer that inline.
        let t = &self.tasks[task];
        if !t.cancel_requested && !t.interrupt && !t.watching && t.scopes.is_empty() {
            return None;
        }
        self.pending_interrupt(task)
    }

    /// The rest of [`World::interrupt`], for a task with something that may be pending.
    #[cold]
    fn pending_interrupt(&mut self, task: TaskId) -> Option<Unwind> {
        let t = &mut self.tasks[task];
        if t.cancel_requested {
            t.cancel_requested = false;
            return Some(Unwind::Cancelled);
        }
        if std::mem::take(&mut t.interrupt) {
            let why = self.interrupts.remove(&task).unwrap_or_else(|| "interrupted".into());
            return Some(Unwind::Interrupted(why));
        }
        for scope in &mut t.scopes {
            if !scope.delivered && self.clock.fired(scope.timer) {
                scope.delivered = true;
                return Some(Unwind::Timeout(scope.timer));
            }
        }
        if t.watching {
            let scopes = self.until_scopes.get_mut(&task)?;
            for (depth, (event, delivered)) in scopes.iter_mut().enumerate() {
                if !*delivered && self.events[*event].is_set() {
                    *delivered = true;
                    return Some(Unwind::EventSet(depth));
                }
            }
        }
        None
    }

    /// A task's label and its declared task's name.
    pub fn names(&self, task: TaskId) -> (&str, &str) {
        let t = &self.tasks[task];
        (&t.label, &self.model.tasks[t.decl])
    }

    /// Every counter's value now.
    pub fn counters(&self) -> &[i64] {
        &self.counters
    }

    /// Adds `by` to a counter (saturating) and records it.
    pub fn add(&mut self, task: TaskId, counter: usize, by: i64) {
        let value = self.counters[counter].saturating_add(by);
        self.counters[counter] = value;
        self.record(task, EventKind::Add { counter, by, value });
        for waiter in std::mem::take(&mut self.counter_waiters[counter]) {
            self.tasks.wake(waiter);
        }
    }

    /// Whether a condition on a counter holds; if not, the task waits for the counter to change.
    pub fn until_or_wait(&mut self, counter: usize, condition: &Condition, task: TaskId) -> bool {
        let holds = self.holds(condition);
        if !holds && !self.counter_waiters[counter].contains(&task) {
            self.counter_waiters[counter].push(task);
        }
        holds
    }

    /// A task stops waiting for a counter.
    pub fn leave_counter(&mut self, counter: usize, task: TaskId) {
        self.counter_waiters[counter].retain(|&t| t != task);
    }

    /// A new call by `caller`: its number, never 0.
    pub fn start_call(&mut self, caller: TaskId) -> u64 {
        self.last_call += 1;
        self.calls.insert(self.last_call, (caller, None));
        self.last_call
    }

    /// Replies to a call: `false` when its caller has given up (a late reply).
    pub fn reply(&mut self, call: u64, text: String) -> bool {
        match self.calls.get_mut(&call) {
            Some((caller, reply @ None)) => {
                *reply = Some(text);
                self.tasks.wake(*caller);
                true
            }
            _ => false,
        }
    }

    /// The reply to a call, once given; the call is over then.
    pub fn take_reply(&mut self, call: u64) -> Option<String> {
        if self.calls.get(&call).is_some_and(|(_, reply)| reply.is_some()) {
            return self.calls.remove(&call).and_then(|(_, reply)| reply);
        }
        None
    }

    /// The caller gives up waiting for the reply.
    pub fn abandon_call(&mut self, call: u64) {
        self.calls.remove(&call);
    }

    /// Whether the caller of a call has given up (or had its reply already).
    pub fn call_abandoned(&self, call: u64) -> bool {
        !self.calls.contains_key(&call)
    }

    /// The items in a queue now.
    pub fn queue_length(&self, q: usize) -> u64 {
        self.queues[q].len() as u64
    }

    /// Every container's level now.
    pub fn levels(&self) -> Vec<u64> {
        self.containers.iter().map(Container::level).collect()
    }

    /// A container's level and capacity.
    pub fn container(&self, c: usize) -> (u64, u64) {
        (self.containers[c].level(), self.containers[c].capacity())
    }

    /// Takes `amount` from a container at once, or queues the task for it; if it took it, the
    /// amount and the level right after.
    pub fn take_or_wait(&mut self, c: usize, task: TaskId, amount: u64) -> Option<(u64, u64)> {
        if self.containers[c].try_take(amount) {
            let level = self.containers[c].level();
            self.serve_container(c);
            Some((amount, level))
        } else {
            self.containers[c].wait_take(task, amount);
            None
        }
    }

    /// Fills a container at once, or queues the task for room; if it did, how much went in and
    /// the level right after.
    pub fn fill_or_wait(&mut self, c: usize, task: TaskId, amount: Option<u64>) -> Option<(u64, u64)> {
        if let Some(moved) = self.containers[c].try_fill(amount) {
            let level = self.containers[c].level();
            self.serve_container(c);
            Some((moved, level))
        } else {
            self.containers[c].wait_fill(task, amount);
            None
        }
    }

    /// Serves a container's lines and grants the waiters served.
    fn serve_container(&mut self, c: usize) {
        for task in self.containers[c].serve() {
            self.tasks.grant(task);
        }
    }

    /// The amount moved for a waiting task, if it was served (it is the task's from now on),
    /// and the level right after it was moved.
    pub fn container_granted(&mut self, c: usize, task: TaskId) -> Option<(u64, u64)> {
        self.tasks.take_grant(task).then(|| self.containers[c].take_grant(task))
    }

    /// A task waiting on a container gives up: it leaves its line, or its amount goes back.
    pub fn abandon_container(&mut self, c: usize, task: TaskId) {
        let Some(granted) = self.abandoning(task) else { return };
        self.containers[c].abandon(task, granted);
        self.serve_container(c);
    }

    /// Whether a `when` condition holds now.
    pub fn holds(&self, condition: &Condition) -> bool {
        match *condition {
            Condition::Event { event, set } => self.events[event].is_set() == set,
            // Answered by the interpreter, which knows the task's last request and own names.
            Condition::CallAbandoned { .. } | Condition::Exprs { .. } => false,
            Condition::Compare { subject, op, value } => {
                let wide = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                let now = match subject {
                    Subject::QueueLength(q) => wide(self.queues[q].len() as u64),
                    Subject::Free(s) => wide(self.semaphores[s].free()),
                    Subject::InUse(s) => wide(self.semaphores[s].in_use()),
                    Subject::Counter(c) => self.counters[c],
                    Subject::Level(c) => wide(self.containers[c].level()),
                };
                op.holds(now, value)
            }
        }
    }

    /// Enters a timeout scope of `after` ns: its deadline's timer.
    pub fn push_scope(&mut self, task: TaskId, after: u64) -> TimerId {
        let at = self.clock.now.saturating_add(after);
        let timer = self.clock.add_timer(task, at);
        self.tasks[task].scopes.push(Scope { timer, delivered: false });
        self.mark(task, MarkKind::TimeoutBegin { after });
        timer
    }

    pub fn pop_scope(&mut self, task: TaskId, timer: TimerId) {
        let scope = self.tasks[task].scopes.pop();
        debug_assert_eq!(scope.map(|s| s.timer), Some(timer), "timeout scopes are nested");
        self.clock.release(timer);
        self.mark(task, MarkKind::TimeoutEnd);
    }

    /// Hands a mark to the sinks while the run goes on (see [`Mark`]).
    fn mark(&mut self, task: TaskId, kind: MarkKind) {
        if self.state == RunState::Running {
            let t = &self.tasks[task];
            let mark = Mark { time: self.clock.now, task: &t.label, decl: t.decl, kind };
            self.sinks.mark(&self.model, &mark);
        }
    }

    /// Asks `target` to stop at its next suspension point. Returns whether it was still running.
    pub fn request_cancel(&mut self, by: TaskId, target: TaskId) -> bool {
        if self.tasks[target].done {
            return false;
        }
        let label = self.tasks[target].label.clone();
        self.record(by, EventKind::Cancel { target: &label });
        self.tasks[target].cancel_requested = true;
        self.tasks.wake(target);
        self.withdraw(target);
        true
    }

    /// Task `by` interrupts `target` (SimPy's `Process.interrupt`): it reaches the target where
    /// it waits, or at its next wait. Ignored, and said so, while the target runs `on-interrupt`
    /// steps; `false` if the target has ended.
    pub fn request_interrupt(&mut self, by: TaskId, target: TaskId) -> bool {
        if self.tasks[target].done {
            return false;
        }
        let label = self.tasks[target].label.clone();
        let ignored = self.tasks[target].handling > 0 || self.tasks[target].interrupt;
        self.record(by, EventKind::Interrupt { target: &label, ignored });
        if !ignored {
            let why = format!("interrupted by {}", self.tasks[by].label);
            self.deliver_interrupt(target, why.into());
        }
        true
    }

    /// Hands `target` an interrupt: it leaves the line it waits in at once, as for a
    /// cancellation, and sees the interrupt when it runs.
    fn deliver_interrupt(&mut self, target: TaskId, why: Arc<str>) {
        self.tasks[target].interrupt = true;
        self.interrupts.insert(target, why);
        self.tasks.wake(target);
        self.withdraw(target);
    }

    /// Whether the task holds a permit of `sem` (a preempted one does not any more).
    pub fn holds_permit(&self, task: TaskId, sem: usize) -> bool {
        self.tasks[task].held.contains(&sem)
    }

    /// Takes a cancellation that arrived before the task ever ran.
    pub fn cancelled_before_start(&mut self, task: TaskId) -> bool {
        std::mem::take(&mut self.tasks[task].cancel_requested)
    }

    /// Registers `waiter` to be woken when `task` ends.
    pub fn watch(&mut self, task: TaskId, waiter: TaskId) {
        if !self.tasks[task].done {
            self.tasks[task].waiters.push(waiter);
        }
    }

    /// The running replicas of these declared tasks, in the order of `decls`.
    pub fn running_of(&self, decls: &[usize]) -> Vec<TaskId> {
        decls.iter().flat_map(|&d| self.running[d].iter().copied()).collect()
    }

    /// Whether no replica of these declared tasks is running; if some is, `waiter` is woken when
    /// none of one of them is.
    pub fn none_running(&mut self, decls: &[usize], waiter: TaskId) -> bool {
        match decls.iter().find(|&&d| !self.running[d].is_empty()) {
            Some(&d) => {
                self.decl_waiters[d].push(waiter);
                false
            }
            None => true,
        }
    }

    /// Why the first replica of these declared tasks that failed, ever, failed.
    pub fn first_failure(&self, decls: &[usize]) -> Option<String> {
        decls.iter().find_map(|&d| self.first_failure[d].clone())
    }

    /// `gather` and `race` look at the tasks they started until they are done with them.
    pub fn observe(&mut self, tasks: &[TaskId]) {
        for &t in tasks {
            self.tasks[t].observed += 1;
        }
    }

    pub fn unobserve(&mut self, tasks: &[TaskId]) {
        for &t in tasks {
            self.tasks[t].observed -= 1;
            self.free_if_unused(t);
        }
    }

    /// Frees the slot of a task that has ended and that nothing looks at any more.
    fn free_if_unused(&mut self, task: TaskId) {
        let t = &self.tasks[task];
        if task != MAIN && t.done && t.observed == 0 && t.releases == 0 {
            self.failures.remove(&task);
            self.tasks.free(task);
        }
    }

    /// Counts a start of declared task `d`; returns how many there were before.
    pub fn count_start(&mut self, d: usize) -> u64 {
        self.starts[d] += 1;
        self.starts[d] - 1
    }

    pub fn end_task(&mut self, task: TaskId, outcome: Outcome, failure: Option<Arc<str>>) {
        if let Some(d) = self.tasks[task].decl.checked_sub(1).filter(|&d| d < self.running.len()) {
            let slot = self.tasks[task].running_slot;
            self.running[d].swap_remove(slot);
            if let Some(&moved) = self.running[d].get(slot) {
                self.tasks[moved].running_slot = slot;
            }
            if outcome == Outcome::Failed && self.first_failure[d].is_none() {
                let t = &self.tasks[task];
                let why = failure.as_deref().unwrap_or("");
                self.first_failure[d] = Some(format!("task `{}` failed: {why}", t.label));
            }
            if self.running[d].is_empty() {
                for w in std::mem::take(&mut self.decl_waiters[d]) {
                    self.tasks.wake(w);
                }
            }
        }
        // `[after]` is the rest of the program: its failure is the program's, like main's.
        if self.tasks[task].decl == self.running.len() + 1 {
            if let Some(why) = &failure {
                let message = format!("`after` failed: {why}");
                self.failure = Some(Failure { kind: FailureKind::MainFailed, message });
            }
        }
        if task == MAIN {
            // Like `asyncio.run`: tasks still running when main returns are cancelled.
            let others: Vec<TaskId> = self.tasks.live_in_order().into_iter().filter(|&t| t != MAIN).collect();
            for other in others {
                self.request_cancel(MAIN, other);
            }
            if let Some(why) = &failure {
                let message = format!("task `main` failed: {why}");
                self.failure = Some(Failure { kind: FailureKind::MainFailed, message });
            }
        }
        // Permits a task acquired and did not release stay taken when it ends, as in asyncio;
        // `hold` blocks release theirs however the block ends.
        self.interrupts.remove(&task);
        while self.tasks[task].watching {
            self.pop_until(task);
        }
        for sem in std::mem::take(&mut self.tasks[task].held) {
            self.semaphores[sem].orphan(task);
        }
        let lifetime = self.clock.now - self.tasks[task].started_at;
        self.record(task, EventKind::End { outcome, lifetime });
        let t = &mut self.tasks[task];
        t.done = true;
        t.waiting = None;
        t.outcome = Some(outcome);
        if let Some(why) = failure {
            self.failures.insert(task, why);
        }
        for w in std::mem::take(&mut t.waiters).into_tasks() {
            if outcome == Outcome::Failed {
                self.tasks[w].child_failures = self.tasks[w].child_failures.wrapping_add(1);
            }
            if self.tasks[w].collects_ends {
                self.tasks[w].inbox.push(task);
            }
            self.tasks.wake(w);
        }
        self.live -= 1;
        self.free_if_unused(task);
        if self.live == 0 && self.state == RunState::Running {
            if std::mem::take(&mut self.after_pending) && self.failure.is_none() {
                // Like code after `asyncio.run` returns: every task has ended.
                self.after_due = true;
            } else {
                self.state = if self.failure.is_some() { RunState::Failed } else { RunState::Finished };
            }
        }
    }

    /// A waiting task gives up: whether it had been granted what it waited for, or `None` when
    /// it left its line already, when the interrupt was delivered (`World::withdraw`), so that
    /// nothing leaves a line twice.
    fn abandoning(&mut self, task: TaskId) -> Option<bool> {
        let granted = self.tasks.take_grant(task);
        (granted || !self.tasks[task].withdrawn).then_some(granted)
    }

    // ----- semaphores -----

    /// Takes a permit without waiting, or queues the task for one; returns whether it took one.
    /// On a preemptive semaphore with no permit free, a holder of a higher priority than
    /// `priority` (the highest, the latest to take it among equals, as SimPy's) loses its
    /// permit to this task and is interrupted.
    pub fn acquire_or_wait(&mut self, sem: usize, task: TaskId, priority: u64) -> bool {
        let s = &mut self.semaphores[sem];
        let ready = s.try_acquire();
        if ready {
            self.took_permit(sem, task, priority);
            return true;
        }
        if let Some(victim) = self.semaphores[sem].preempt(priority) {
            if victim != ORPHAN {
                let held = &mut self.tasks[victim].held;
                if let Some(k) = held.iter().rposition(|&s| s == sem) {
                    held.swap_remove(k);
                }
                self.record(victim, EventKind::Preempted { semaphore: sem });
                let why = format!("preempted from {} by {}", self.model.semaphores[sem].name, self.tasks[task].label);
                self.deliver_interrupt(victim, why.into());
            }
            self.took_permit(sem, task, priority);
            return true;
        }
        self.semaphores[sem].wait(task, priority);
        false
    }

    /// The task holds a permit of `sem` from now on.
    fn took_permit(&mut self, sem: usize, task: TaskId, priority: u64) {
        self.tasks[task].held.push(sem);
        self.semaphores[sem].held_by(task, priority);
    }

    /// Whether a permit was granted to this waiting task; if so, it now holds it.
    pub fn take_permit(&mut self, sem: usize, task: TaskId, priority: u64) -> bool {
        let granted = self.tasks.take_grant(task);
        if granted {
            self.took_permit(sem, task, priority);
        }
        granted
    }

    fn release_permit(&mut self, sem: usize) {
        if let Some(next) = self.semaphores[sem].release() {
            self.tasks.grant(next);
        }
    }

    /// Gives back a permit, the task's own or another's, as asyncio lets any task release one;
    /// `false` if the semaphore is bounded and every permit is free already (asyncio's
    /// `BoundedSemaphore` raises `ValueError` then).
    pub fn release(&mut self, sem: usize, task: TaskId, bounded: bool) -> bool {
        if bounded && self.semaphores[sem].all_free() {
            return false;
        }
        let held = &mut self.tasks[task].held;
        let was_holder = held.iter().rposition(|&s| s == sem).map(|at| held.swap_remove(at)).is_some();
        self.semaphores[sem].not_held_by(task, was_holder);
        self.release_permit(sem);
        true
    }

    /// The task gave up on thread work that runs on until `until`, as a thread does when the
    /// coroutine awaiting `to_thread` is cancelled: the work keeps its thread (a permit of `sem`)
    /// until then.
    pub fn abandon_thread_work(&mut self, sem: usize, task: TaskId, until: u64) {
        let held = &mut self.tasks[task].held;
        if let Some(at) = held.iter().rposition(|&s| s == sem) {
            held.swap_remove(at);
            self.record(task, EventKind::ThreadAbandoned { semaphore: sem, until });
            if until > self.clock.now {
                self.tasks[task].releases += 1;
                self.clock.add_release(task, sem, until);
            } else {
                self.record(task, EventKind::Release { semaphore: sem });
                self.release_permit(sem);
            }
        }
    }

    pub fn abandon_acquire(&mut self, sem: usize, task: TaskId) {
        let Some(granted) = self.abandoning(task) else { return };
        if let Some(next) = self.semaphores[sem].abandon(task, granted) {
            self.tasks.grant(next);
        }
    }

    // ----- events -----

    pub fn set_event(&mut self, event: usize) {
        for t in self.events[event].set() {
            self.tasks.grant(t);
        }
        // Tasks in an `until` scope on it leave what they wait for, as for a timeout.
        for t in self.watchers[event].clone() {
            self.tasks.wake(t);
            self.withdraw(t);
        }
    }

    /// Whether an event is set now.
    pub fn event_is_set(&self, event: usize) -> bool {
        self.events[event].is_set()
    }

    /// Enters an `until` scope on `event`; its depth.
    pub fn push_until(&mut self, task: TaskId, event: usize) -> usize {
        let scopes = self.until_scopes.entry(task).or_default();
        scopes.push((event, false));
        self.watchers[event].push(task);
        self.tasks[task].watching = true;
        scopes.len() - 1
    }

    /// Leaves the innermost `until` scope.
    pub fn pop_until(&mut self, task: TaskId) {
        let Some(scopes) = self.until_scopes.get_mut(&task) else { return };
        if let Some((event, _)) = scopes.pop() {
            if let Some(at) = self.watchers[event].iter().position(|&t| t == task) {
                self.watchers[event].swap_remove(at);
            }
        }
        if scopes.is_empty() {
            self.until_scopes.remove(&task);
            self.tasks[task].watching = false;
        }
    }

    pub fn clear_event(&mut self, event: usize) {
        self.events[event].clear();
    }

    /// Whether the event is set; if not, the task waits for it.
    pub fn check_event(&mut self, event: usize, task: TaskId) -> bool {
        self.events[event].check(task)
    }

    pub fn abandon_event(&mut self, event: usize, task: TaskId) {
        let Some(granted) = self.abandoning(task) else { return };
        self.events[event].abandon(task, granted);
    }

    // ----- barriers -----

    /// Arrives at a barrier. The last party releases the others and goes on; `false` means wait.
    pub fn arrive(&mut self, barrier: usize, task: TaskId) -> bool {
        match self.barriers[barrier].arrive(task) {
            Some(released) => {
                for t in released {
                    self.tasks.grant(t);
                }
                true
            }
            None => false,
        }
    }

    /// A party granted passage goes on; parties waiting for the barrier to drain may now pass.
    pub fn pass_barrier(&mut self, barrier: usize, task: TaskId) {
        for t in self.barriers[barrier].gone(task) {
            self.tasks.grant(t);
        }
    }

    pub fn abandon_barrier(&mut self, barrier: usize, task: TaskId) {
        let Some(granted) = self.abandoning(task) else { return };
        for t in self.barriers[barrier].abandon(task, granted) {
            self.tasks.grant(t);
        }
    }

    // ----- rate limits -----

    /// Reserves the next token; returns when it may be taken and the reservation's end.
    pub fn reserve_token(&mut self, limit: usize) -> (u64, u64) {
        self.rate_limits[limit].reserve(self.clock.now)
    }

    pub fn unreserve_token(&mut self, limit: usize, reservation_end: u64) {
        self.rate_limits[limit].unreserve(reservation_end);
    }

    // ----- queues -----

    /// Puts without waiting, or queues the task for a place and gives the item back.
    pub fn put_or_wait(&mut self, q: usize, task: TaskId, item: Item) -> Result<(), Item> {
        match self.queues[q].try_put(item) {
            Ok(getter) => {
                self.after_put(q, getter);
                Ok(())
            }
            Err(item) => {
                self.queues[q].wait_put(task);
                Err(item)
            }
        }
    }

    /// A putter that was woken tries again: `true` once its item is in the queue; otherwise it
    /// waits again (asyncio's rule) and keeps its item.
    pub fn put_woken(&mut self, q: usize, task: TaskId, item: &mut Option<Item>) -> bool {
        if !self.tasks.take_grant(task) {
            return false;
        }
        let Some(mut it) = item.take() else { return false };
        it.put_at = self.clock.now;
        match self.queues[q].put_woken(task, it) {
            Ok(getter) => {
                self.after_put(q, getter);
                true
            }
            Err(it) => {
                *item = Some(it);
                false
            }
        }
    }

    fn after_put(&mut self, q: usize, getter: Option<TaskId>) {
        self.queued_bytes += self.queues[q].back_len();
        let queued = self.queued_bytes;
        if queued > MAX_QUEUED_BYTES {
            let msg = format!(
                "the queues hold {queued} bytes of items, more than the {MAX_QUEUED_BYTES} they may hold together: \
                 items grow, or producers outpace consumers"
            );
            self.fail(FailureKind::Limit, msg);
        }
        if self.queues[q].len() > MAX_QUEUE_ITEMS {
            let msg = format!(
                "queue `{}` holds more than {MAX_QUEUE_ITEMS} items, the most a queue may hold: its producers outpace its \
                 consumers; give it a `capacity` to make producers wait",
                self.model.queues[q]
            );
            self.fail(FailureKind::Limit, msg);
        }
        if let Some(getter) = getter {
            self.tasks.grant(getter);
        }
    }

    /// An open arrival at queue `q` by the arrivals task `by`: it enters if there is room;
    /// otherwise it waits on its own in the line of putters, or (`drop`) is lost.
    /// Sends an item that reaches queue `q` `delay` ns from now (as an open arrival: when the
    /// queue is full then, it waits on its own); the sender goes on. Its task's slot is kept
    /// until the item is delivered, so that the delivery is recorded as the sender's.
    pub fn send_later(&mut self, q: usize, by: TaskId, item: Item, delay: u64) {
        let slot = match self.in_flight_free.pop() {
            Some(slot) => {
                self.in_flight[slot] = Some((q, item));
                slot
            }
            None => {
                self.in_flight.push(Some((q, item)));
                self.in_flight.len() - 1
            }
        };
        self.tasks[by].releases += 1;
        let at = self.clock.now.saturating_add(delay);
        self.clock.add_delivery(by, slot, at);
    }

    /// `text` is the item's text, which the caller still has: the event is recorded with it, so
    /// that an arrival costs no copy of its item beyond the one the queue keeps.
    pub fn arrive_at(&mut self, q: usize, by: TaskId, item: Item, text: ItemText<'_>, drop: bool) {
        match self.queues[q].try_put(item) {
            Ok(getter) => {
                self.record(by, EventKind::Put { queue: q, item: text, blocked: 0 });
                self.after_put(q, getter);
            }
            Err(_) if drop => self.record(by, EventKind::Dropped { queue: q, item: text }),
            Err(item) => self.queues[q].wait_arrival(item, by),
        }
    }

    /// Acts on a putter woken by a freed place: wakes a task, or records an arrival that entered.
    /// Inlined for the common case, none: the `None` is then never passed through memory.
    #[inline(always)]
    fn putter_woken(&mut self, q: usize, woken: Option<Woken>) {
        if let Some(woken) = woken {
            self.woken(q, woken);
        }
    }

    /// [`World::putter_woken`] with a putter.
    fn woken(&mut self, q: usize, woken: Woken) {
        match woken {
            Woken::Task(task) => self.tasks.grant(task),
            Woken::Entered { item_text, put_at, by, getter } => {
                let blocked = self.clock.now - put_at;
                self.record(by, EventKind::Put { queue: q, item: item_text.as_item_text(), blocked });
                self.after_put(q, getter);
            }
        }
    }

    /// Whether a put on `q` now would have to wait for room.
    pub fn put_would_wait(&self, q: usize) -> bool {
        self.queues[q].put_would_wait()
    }

    /// Gets without waiting, or queues the task for an item.
    pub fn get_or_wait(&mut self, q: usize, task: TaskId) -> Option<Item> {
        let now = self.clock.now;
        match self.queues[q].try_get(now) {
            Some((item, putter)) => {
                self.queued_bytes -= item.text.len();
                self.putter_woken(q, putter);
                Some(item)
            }
            None => {
                let putter = self.queues[q].wait_get(task, now);
                self.putter_woken(q, putter);
                None
            }
        }
    }

    /// A getter that was woken tries again: its item, or `None` to wait again (asyncio's rule,
    /// when another task took the item first).
    pub fn take_item(&mut self, q: usize, task: TaskId) -> Option<Item> {
        if !self.tasks.take_grant(task) {
            return None;
        }
        let (item, putter) = self.queues[q].get_woken(task, self.clock.now);
        if let Some(item) = &item {
            self.queued_bytes -= item.text.len();
        }
        self.putter_woken(q, putter);
        item
    }

    pub fn abandon_get(&mut self, q: usize, task: TaskId) {
        let Some(granted) = self.abandoning(task) else { return };
        if let Some(next) = self.queues[q].abandon_get(task, granted) {
            self.tasks.grant(next);
        }
    }

    pub fn abandon_put(&mut self, q: usize, task: TaskId) {
        let Some(granted) = self.abandoning(task) else { return };
        let next = self.queues[q].abandon_put(task, granted, self.clock.now);
        self.putter_woken(q, next);
    }

    /// Marks one item done. Fails when no item is unfinished, as asyncio's `task_done` does.
    pub fn done(&mut self, q: usize) -> Result<(), String> {
        match self.queues[q].done() {
            Ok(joiners) => {
                // Like asyncio's `join`, which waits on an event: passage is granted, even if an
                // item is put before the joiner runs.
                for j in joiners {
                    self.tasks.grant(j);
                }
                Ok(())
            }
            Err(()) => Err(format!(
                "an item of queue `{}` was marked done, but every item put on it is done already",
                self.model.queues[q]
            )),
        }
    }

    /// Whether every item is done; if not, the task waits to join.
    pub fn join_or_wait(&mut self, q: usize, task: TaskId) -> bool {
        let ready = self.queues[q].all_done();
        if !ready {
            self.queues[q].wait_join(task);
        }
        ready
    }

    pub fn abandon_join(&mut self, q: usize, task: TaskId) {
        if self.abandoning(task) == Some(false) {
            self.queues[q].abandon_join(task);
        }
    }

    /// Whether a joiner may go on: it was granted passage when the last item was done.
    pub fn joined(&mut self, q: usize, task: TaskId) -> bool {
        self.tasks.take_grant(task) || self.queues[q].all_done()
    }
}
