//! The state of a run, behind one lock: the virtual clock and its timers, the tasks, the queues.
//!
//! Every method here is synchronous and runs under the lock; waiting is done by the futures in
//! `task.rs`, which call in here, register a waker and return `Pending`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::task::Waker;

use crate::plan::{Plan, TaskRef};
use crate::transcript::{
    Event, EventKind, Failure, FailureKind, Outcome, QueueStats, SemaphoreStats, Summary, TaskStats, Transcript,
};

pub type TaskId = usize;
pub type TimerId = usize;

/// The most items one queue may hold.
pub const MAX_QUEUE_ITEMS: usize = 1_000_000;

/// The task id of `main`, always the first task created.
pub const MAIN: TaskId = 0;

/// Why a task stops running its steps before their end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwind {
    /// Another task cancelled it.
    Cancelled,
    /// The deadline of the timeout scope with this timer passed.
    Timeout(TimerId),
    /// A step failed, with this message.
    Failed(Arc<str>),
    /// The run is over (failed or finished); nothing may happen any more.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Finished,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimerState {
    /// In the heap, owner waiting.
    Pending,
    /// Popped from the heap; the owner has not looked yet.
    Fired,
    /// The owner gave up on it while it is still in the heap: dropped when popped.
    Abandoned,
    Free,
}

struct Timer {
    task: TaskId,
    state: TimerState,
}

/// What a blocked task is waiting for, for the deadlock report.
#[derive(Debug, Clone, Copy)]
pub enum Waiting {
    Sleep,
    Get(usize),
    Put(usize),
    Join(usize),
    Task(TaskId),
    Acquire(usize),
    Event(usize),
    Barrier(usize),
}

/// An item in a queue: its text and when it entered the queue.
#[derive(Debug)]
pub struct Item {
    pub text: String,
    pub put_at: u64,
}

struct Scope {
    timer: TimerId,
    delivered: bool,
}

pub struct TaskState {
    pub label: String,
    /// The declared task this is a replica of; `None` for `main`.
    pub decl: Option<TaskRef>,
    pub replica: u64,
    /// When it was started.
    started_at: u64,
    waker: Option<Waker>,
    cancel_requested: bool,
    scopes: Vec<Scope>,
    pub done: bool,
    /// How it ended, once done.
    pub outcome: Option<Outcome>,
    /// Why it failed, if it did.
    pub failure: Option<Arc<str>>,
    /// Tasks to wake when this one ends.
    waiters: Vec<TaskId>,
    /// How many tasks this one watched have failed: lets a fail-fast gather notice at once.
    pub child_failures: u64,
    /// Semaphores this task holds a permit of, once per permit.
    held: Vec<usize>,
    /// While waiting in `get` or `put`: an item, or a free place, has been reserved for it.
    granted: bool,
    waiting: Option<Waiting>,
}

pub struct QueueState {
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
    pub stats: QueueStats,
}

struct SemaphoreState {
    available: u64,
    waiters: VecDeque<TaskId>,
    stats: SemaphoreStats,
}

struct EventState {
    set: bool,
    waiters: Vec<TaskId>,
}

struct BarrierState {
    parties: u64,
    arrived: Vec<TaskId>,
}

/// GCRA: `tat` is the theoretical arrival time of the next token; a request is allowed once
/// `now >= tat - tau`, where `tau` lets `burst` requests through at once.
struct RateLimitState {
    tat: u64,
    interval: u64,
    tau: u64,
}

pub struct World {
    pub now: u64,
    time_limit: u64,
    next_seq: u64,
    /// Pending timers by (deadline, registration order): the engine's one ordering of time.
    heap: BinaryHeap<Reverse<(u64, u64, TimerId)>>,
    timers: Vec<Timer>,
    free_timers: Vec<TimerId>,
    pub tasks: Vec<TaskState>,
    pub queues: Vec<QueueState>,
    semaphores: Vec<SemaphoreState>,
    events: Vec<EventState>,
    barriers: Vec<BarrierState>,
    rate_limits: Vec<RateLimitState>,
    plan: Arc<Plan>,
    /// Replicas created so far, per declared task.
    pub instances: Vec<Vec<TaskId>>,
    transcript: Transcript,
    event_count: u64,
    max_events: u64,
    max_events_per_instant: u64,
    /// Each task costs about 1.5 KiB for as long as the run lasts.
    max_tasks: u64,
    /// The instant the per-instant event count is for, and the event count when it began.
    instant: u64,
    instant_start: u64,
    pub state: RunState,
    failure: Option<Failure>,
    live: usize,
    supervisor: Option<Waker>,
    task_stats: Vec<TaskStats>,
}

impl World {
    pub fn new(plan: &Arc<Plan>, transcript: Transcript) -> World {
        let queues = plan
            .queues
            .iter()
            .map(|q| QueueState {
                capacity: q.capacity,
                items: VecDeque::new(),
                getters: VecDeque::new(),
                putters: VecDeque::new(),
                reserved_items: 0,
                reserved_places: 0,
                unfinished: 0,
                joiners: Vec::new(),
                stats: QueueStats { name: q.name.clone(), ..QueueStats::default() },
            })
            .collect();
        let task_stats = std::iter::once(&plan.main)
            .chain(&plan.tasks)
            .map(|t| TaskStats { name: t.name.clone(), ..TaskStats::default() })
            .collect();
        World {
            now: 0,
            time_limit: plan.time_limit,
            next_seq: 0,
            heap: BinaryHeap::new(),
            timers: Vec::new(),
            free_timers: Vec::new(),
            tasks: Vec::new(),
            queues,
            semaphores: plan
                .semaphores
                .iter()
                .map(|s| SemaphoreState {
                    available: s.permits,
                    waiters: VecDeque::new(),
                    stats: SemaphoreStats { name: s.name.clone(), permits: s.permits, ..SemaphoreStats::default() },
                })
                .collect(),
            events: plan.events.iter().map(|e| EventState { set: e.initially_set, waiters: Vec::new() }).collect(),
            barriers: plan.barriers.iter().map(|b| BarrierState { parties: b.parties, arrived: Vec::new() }).collect(),
            rate_limits: plan
                .rate_limits
                .iter()
                .map(|r| RateLimitState { tat: 0, interval: r.interval, tau: r.interval.saturating_mul(r.burst - 1) })
                .collect(),
            plan: plan.clone(),
            instances: vec![Vec::new(); plan.tasks.len()],
            transcript,
            event_count: 0,
            max_events: plan.max_events,
            max_events_per_instant: plan.max_events_per_instant,
            max_tasks: plan.max_tasks,
            instant: 0,
            instant_start: 0,
            state: RunState::Running,
            failure: None,
            live: 0,
            supervisor: None,
            task_stats,
        }
    }

    pub fn record(&mut self, task: TaskId, kind: EventKind<'_>) {
        // Once a run has stopped, its transcript ends there: nothing that unwinds afterwards is an
        // event of the run.
        if self.state != RunState::Running {
            return;
        }
        self.event_count += 1;
        self.transcript.record(&Event { time: self.now, task: &self.tasks[task].label, kind });
        if self.now != self.instant {
            self.instant = self.now;
            self.instant_start = self.event_count;
        }
        // Tasks that keep waking each other (or sleep for zero) never let time pass; each one
        // waits, so only a count per instant catches them.
        if self.event_count - self.instant_start > self.max_events_per_instant {
            let mut msg = format!("{} events happened at virtual time ", self.max_events_per_instant);
            crate::template::push_seconds(&mut msg, self.now, None);
            msg.push_str(&format!(
                " s without time passing; the last was by `{}`: tasks that keep waking each other, or sleep for zero, \
                 never let virtual time pass (raise `max-events-per-instant` if this is intended)",
                self.tasks[task].label
            ));
            self.fail(FailureKind::Livelock, msg);
        } else if self.event_count > self.max_events {
            let msg = format!(
                "the run reached its budget of {} events; raise `max-events` if the scenario needs more",
                self.max_events
            );
            self.fail(FailureKind::EventBudget, msg);
        }
    }

    // ----- the clock -----

    pub fn add_timer(&mut self, task: TaskId, at: u64) -> TimerId {
        let timer = Timer { task, state: TimerState::Pending };
        let id = match self.free_timers.pop() {
            Some(id) => {
                self.timers[id] = timer;
                id
            }
            None => {
                self.timers.push(timer);
                self.timers.len() - 1
            }
        };
        self.heap.push(Reverse((at, self.next_seq, id)));
        self.next_seq += 1;
        id
    }

    pub fn timer_fired(&self, id: TimerId) -> bool {
        self.timers[id].state == TimerState::Fired
    }

    /// The owner is done with the timer, fired or not.
    pub fn release_timer(&mut self, id: TimerId) {
        match self.timers[id].state {
            TimerState::Pending => self.timers[id].state = TimerState::Abandoned,
            TimerState::Fired => self.free_timer(id),
            TimerState::Abandoned | TimerState::Free => unreachable!("timer {id} released twice"),
        }
    }

    fn free_timer(&mut self, id: TimerId) {
        self.timers[id].state = TimerState::Free;
        self.free_timers.push(id);
    }

    /// Called when no task can run. Moves the clock to the earliest pending deadline and fires
    /// every timer due then, in registration order; their tasks run in that order. With no
    /// timer pending while tasks still wait, the run has deadlocked.
    pub fn advance(&mut self) {
        if self.state != RunState::Running {
            return;
        }
        while let Some(&Reverse((at, _, _))) = self.heap.peek() {
            let mut fired = false;
            let mut beyond_limit = false;
            while let Some(&Reverse((t, _, id))) = self.heap.peek() {
                if t != at {
                    break;
                }
                match self.timers[id].state {
                    TimerState::Abandoned => {
                        self.heap.pop();
                        self.free_timer(id);
                    }
                    TimerState::Pending if at > self.time_limit => {
                        beyond_limit = true;
                        break;
                    }
                    TimerState::Pending => {
                        self.heap.pop();
                        self.timers[id].state = TimerState::Fired;
                        // A deadline can be in the past when a task kept the loop busy past it.
                        self.now = self.now.max(at);
                        let task = self.timers[id].task;
                        self.wake(task);
                        fired = true;
                    }
                    TimerState::Fired | TimerState::Free => unreachable!("timer {id} is in the heap twice"),
                }
            }
            if beyond_limit {
                let limit = self.time_limit;
                let mut msg = String::from("the run reached its virtual-time limit of ");
                crate::transcript::push_humantime(&mut msg, limit);
                msg.push_str(" with tasks still running; raise `time-limit` if the scenario needs longer");
                self.now = limit;
                self.fail(FailureKind::TimeLimit, msg);
                return;
            }
            if fired {
                return;
            }
        }
        let blocked = self.blocked_report();
        self.fail(FailureKind::Deadlock, format!("deadlock: every task is waiting and no timer is pending\n{blocked}"));
    }

    fn blocked_report(&self) -> String {
        let mut out = String::new();
        for t in self.tasks.iter().filter(|t| !t.done) {
            let what = match t.waiting {
                Some(Waiting::Get(q)) => format!("waits to get from queue `{}`", self.queues[q].stats.name),
                Some(Waiting::Put(q)) => format!("waits to put on full queue `{}`", self.queues[q].stats.name),
                Some(Waiting::Join(q)) => format!("waits to join queue `{}`", self.queues[q].stats.name),
                Some(Waiting::Task(t)) => format!("waits for task `{}` to end", self.tasks[t].label),
                Some(Waiting::Acquire(sem)) => {
                    format!("waits to acquire semaphore `{}`", self.plan.semaphores[sem].name)
                }
                Some(Waiting::Event(e)) => format!("waits for event `{}` to be set", self.plan.events[e].name),
                Some(Waiting::Barrier(b)) => format!(
                    "waits at barrier `{}` ({} of {} arrived)",
                    self.plan.barriers[b].name,
                    self.barriers[b].arrived.len(),
                    self.barriers[b].parties
                ),
                Some(Waiting::Sleep) | None => "is blocked".to_owned(),
            };
            out.push_str(&format!("  {} {what}\n", t.label));
        }
        out.trim_end().to_owned()
    }

    // ----- run state -----

    pub fn fail(&mut self, kind: FailureKind, message: String) {
        if self.state == RunState::Running {
            self.state = RunState::Failed;
            self.failure = Some(Failure { kind, message });
            self.wake_supervisor();
        }
    }

    pub fn set_supervisor(&mut self, waker: &Waker) {
        self.supervisor = Some(waker.clone());
    }

    fn wake_supervisor(&mut self) {
        if let Some(w) = self.supervisor.take() {
            w.wake();
        }
    }

    pub fn summary(&self) -> Summary {
        Summary {
            end: self.now,
            events: self.event_count,
            queues: self.queues.iter().map(|q| QueueStats { left: q.items.len() as u64, ..q.stats.clone() }).collect(),
            semaphores: self
                .semaphores
                .iter()
                .map(|s| SemaphoreStats { free_at_end: s.available, ..s.stats.clone() })
                .collect(),
            tasks: self.task_stats.clone(),
            failure: self.failure.clone(),
        }
    }

    pub fn into_transcript(self) -> Transcript {
        self.transcript
    }

    // ----- tasks -----

    /// Creates a task (started, not yet run) and records who started it. `None` when the run
    /// has reached its `max-tasks`: the run fails then.
    pub fn create_task(
        &mut self,
        decl: Option<TaskRef>,
        replica: u64,
        label: String,
        by: Option<TaskId>,
    ) -> Option<TaskId> {
        let id = self.tasks.len();
        if id as u64 >= self.max_tasks {
            let msg = format!(
                "the run started {} tasks, its limit; a task started in a loop may be starting too many \
                 (raise `max-tasks` if this is intended)",
                self.max_tasks
            );
            self.fail(FailureKind::Limit, msg);
            return None;
        }
        self.tasks.push(TaskState {
            label,
            decl,
            replica,
            started_at: self.now,
            waker: None,
            cancel_requested: false,
            scopes: Vec::new(),
            done: false,
            outcome: None,
            failure: None,
            waiters: Vec::new(),
            child_failures: 0,
            held: Vec::new(),
            granted: false,
            waiting: None,
        });
        if let Some(d) = decl {
            self.instances[d].push(id);
        }
        self.live += 1;
        self.task_stats[decl.map_or(0, |d| d + 1)].started += 1;
        if let Some(by) = by {
            let by_label = self.tasks[by].label.clone();
            self.record(id, EventKind::Start { by: &by_label });
        }
        Some(id)
    }

    pub fn wake(&mut self, task: TaskId) {
        if let Some(w) = &self.tasks[task].waker {
            w.wake_by_ref();
        }
    }

    /// Remembers how to wake a task that is about to return `Pending`.
    pub fn park(&mut self, task: TaskId, waker: &Waker, waiting: Waiting) {
        let t = &mut self.tasks[task];
        match &t.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => t.waker = Some(waker.clone()),
        }
        t.waiting = Some(waiting);
    }

    /// Delivers a pending interrupt, once: a cancellation first, then the outermost timeout
    /// whose deadline has passed.
    pub fn interrupt(&mut self, task: TaskId) -> Option<Unwind> {
        let t = &mut self.tasks[task];
        if t.cancel_requested {
            t.cancel_requested = false;
            return Some(Unwind::Cancelled);
        }
        for scope in &mut t.scopes {
            if !scope.delivered && self.timers[scope.timer].state == TimerState::Fired {
                scope.delivered = true;
                return Some(Unwind::Timeout(scope.timer));
            }
        }
        None
    }

    pub fn push_scope(&mut self, task: TaskId, at: u64) -> TimerId {
        let timer = self.add_timer(task, at);
        self.tasks[task].scopes.push(Scope { timer, delivered: false });
        timer
    }

    pub fn pop_scope(&mut self, task: TaskId, timer: TimerId) {
        let scope = self.tasks[task].scopes.pop();
        debug_assert_eq!(scope.map(|s| s.timer), Some(timer), "timeout scopes are nested");
        self.release_timer(timer);
    }

    /// Asks `target` to stop at its next suspension point. Returns whether it was still running.
    pub fn request_cancel(&mut self, by: TaskId, target: TaskId) -> bool {
        if self.tasks[target].done {
            return false;
        }
        let label = self.tasks[target].label.clone();
        self.record(by, EventKind::Cancel { target: &label });
        self.tasks[target].cancel_requested = true;
        self.wake(target);
        true
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

    pub fn end_task(&mut self, task: TaskId, outcome: Outcome, failure: Option<Arc<str>>) {
        if task == MAIN {
            // Like `asyncio.run`: tasks still running when main returns are cancelled.
            for other in 1..self.tasks.len() {
                self.request_cancel(MAIN, other);
            }
            if let Some(why) = &failure {
                let message = format!("task `main` failed: {why}");
                self.failure = Some(Failure { kind: FailureKind::MainFailed, message });
            }
        }
        // A task that ends still holding permits gives them back, so nothing leaks.
        let plan = self.plan.clone();
        for sem in std::mem::take(&mut self.tasks[task].held) {
            self.record(task, EventKind::Release { semaphore: &plan.semaphores[sem].name });
            self.release_permit(sem);
        }
        self.record(task, EventKind::End { outcome });
        let t = &mut self.tasks[task];
        t.done = true;
        t.waiting = None;
        t.outcome = Some(outcome);
        t.failure = failure;
        let waiters = std::mem::take(&mut t.waiters);
        for w in waiters {
            if outcome == Outcome::Failed {
                self.tasks[w].child_failures += 1;
            }
            self.wake(w);
        }
        let stats = &mut self.task_stats[self.tasks[task].decl.map_or(0, |d| d + 1)];
        match outcome {
            Outcome::Completed => stats.completed += 1,
            Outcome::Cancelled => stats.cancelled += 1,
            Outcome::Failed => stats.failed += 1,
        }
        let lifetime = self.now - self.tasks[task].started_at;
        stats.total_lifetime += u128::from(lifetime);
        stats.max_lifetime = stats.max_lifetime.max(lifetime);
        self.live -= 1;
        if self.live == 0 && self.state == RunState::Running {
            self.state = if self.failure.is_some() { RunState::Failed } else { RunState::Finished };
            self.wake_supervisor();
        }
    }

    // ----- semaphores -----

    /// Takes a permit without waiting, if one is free and nobody waits before this task.
    pub fn try_acquire(&mut self, sem: usize, task: TaskId) -> bool {
        let s = &mut self.semaphores[sem];
        if s.available > 0 && s.waiters.is_empty() {
            s.available -= 1;
            self.tasks[task].held.push(sem);
            true
        } else {
            false
        }
    }

    pub fn wait_acquire(&mut self, sem: usize, task: TaskId) {
        self.semaphores[sem].waiters.push_back(task);
    }

    /// A waiter was granted a permit: it now holds it.
    pub fn take_permit(&mut self, sem: usize, task: TaskId) -> bool {
        let granted = self.take_grant(task);
        if granted {
            self.tasks[task].held.push(sem);
        }
        granted
    }

    /// A permit comes back: it goes to the first waiter, or becomes free.
    fn release_permit(&mut self, sem: usize) {
        match self.semaphores[sem].waiters.pop_front() {
            Some(next) => {
                self.tasks[next].granted = true;
                self.wake(next);
            }
            None => self.semaphores[sem].available += 1,
        }
    }

    /// Counts an acquisition that waited `blocked` ns.
    pub fn acquired(&mut self, sem: usize, blocked: u64) {
        let stats = &mut self.semaphores[sem].stats;
        stats.acquisitions += 1;
        stats.waited += u64::from(blocked > 0);
        stats.max_wait = stats.max_wait.max(blocked);
    }

    /// Gives back a permit the task holds; `false` if it holds none.
    pub fn release(&mut self, sem: usize, task: TaskId) -> bool {
        let held = &mut self.tasks[task].held;
        match held.iter().rposition(|&s| s == sem) {
            Some(at) => {
                held.swap_remove(at);
                self.release_permit(sem);
                true
            }
            None => false,
        }
    }

    pub fn abandon_acquire(&mut self, sem: usize, task: TaskId) {
        if std::mem::take(&mut self.tasks[task].granted) {
            self.release_permit(sem);
        } else {
            self.semaphores[sem].waiters.retain(|&t| t != task);
        }
    }

    // ----- events -----

    pub fn set_event(&mut self, event: usize) {
        self.events[event].set = true;
        for t in std::mem::take(&mut self.events[event].waiters) {
            self.tasks[t].granted = true;
            self.wake(t);
        }
    }

    pub fn clear_event(&mut self, event: usize) {
        self.events[event].set = false;
    }

    /// Whether the event is set; if not, the task waits for it.
    pub fn check_event(&mut self, event: usize, task: TaskId) -> bool {
        let e = &mut self.events[event];
        if !e.set {
            e.waiters.push(task);
        }
        e.set
    }

    pub fn abandon_event(&mut self, event: usize, task: TaskId) {
        if !std::mem::take(&mut self.tasks[task].granted) {
            self.events[event].waiters.retain(|&t| t != task);
        }
    }

    // ----- barriers -----

    /// Arrives at a barrier. The last party releases the others and goes on; `false` means wait.
    pub fn arrive(&mut self, barrier: usize, task: TaskId) -> bool {
        let b = &mut self.barriers[barrier];
        if b.arrived.len() as u64 + 1 < b.parties {
            b.arrived.push(task);
            return false;
        }
        for t in std::mem::take(&mut b.arrived) {
            self.tasks[t].granted = true;
            self.wake(t);
        }
        true
    }

    pub fn abandon_barrier(&mut self, barrier: usize, task: TaskId) {
        if !std::mem::take(&mut self.tasks[task].granted) {
            self.barriers[barrier].arrived.retain(|&t| t != task);
        }
    }

    // ----- rate limits -----

    /// Reserves the next token; returns when it may be taken and the reservation's end.
    pub fn reserve_token(&mut self, limit: usize) -> (u64, u64) {
        let now = self.now;
        let r = &mut self.rate_limits[limit];
        let tat = r.tat.max(now);
        let at = tat.saturating_sub(r.tau).max(now);
        r.tat = tat.saturating_add(r.interval);
        (at, r.tat)
    }

    /// A reservation not taken up: if it was the last one, the bucket gets its token back.
    pub fn unreserve_token(&mut self, limit: usize, reservation_end: u64) {
        let r = &mut self.rate_limits[limit];
        if r.tat == reservation_end {
            r.tat -= r.interval;
        }
    }

    /// Moves the clock forward while a task keeps the event loop busy.
    pub fn busy(&mut self, duration: u64) {
        self.now = self.now.saturating_add(duration);
        if self.now > self.time_limit {
            let mut msg = String::from("the run reached its virtual-time limit of ");
            crate::transcript::push_humantime(&mut msg, self.time_limit);
            msg.push_str(" while a task kept the event loop busy");
            self.fail(FailureKind::TimeLimit, msg);
        }
    }

    // ----- queues -----

    /// Puts without waiting, or gives the item back when the queue is full.
    pub fn try_put(&mut self, q: usize, item: Item) -> Result<(), Item> {
        let queue = &mut self.queues[q];
        let full = queue.capacity.is_some_and(|c| queue.items.len() + queue.reserved_places >= c);
        if full || !queue.putters.is_empty() {
            return Err(item);
        }
        self.accept(q, item);
        Ok(())
    }

    /// Puts into a place reserved by [`World::take_grant`].
    pub fn put_reserved(&mut self, q: usize, item: Item) {
        self.queues[q].reserved_places -= 1;
        self.accept(q, item);
    }

    /// Appends an item. If tasks wait to get, the first of them is woken with the front item
    /// reserved for it, so that nobody who comes later can take it first.
    fn accept(&mut self, q: usize, mut item: Item) {
        item.put_at = self.now;
        let queue = &mut self.queues[q];
        queue.unfinished += 1;
        queue.stats.puts += 1;
        queue.items.push_back(item);
        queue.stats.max_len = queue.stats.max_len.max(queue.items.len() as u64);
        if queue.items.len() > MAX_QUEUE_ITEMS {
            let msg = format!(
                "queue `{}` holds more than {MAX_QUEUE_ITEMS} items, the most a queue may hold: its producers outpace its \
                 consumers; give it a `capacity` to make producers wait",
                queue.stats.name
            );
            self.fail(FailureKind::Limit, msg);
        }
        self.grant_next_getter(q);
    }

    fn grant_next_getter(&mut self, q: usize) {
        let queue = &mut self.queues[q];
        if queue.items.len() > queue.reserved_items {
            if let Some(getter) = queue.getters.pop_front() {
                queue.reserved_items += 1;
                self.tasks[getter].granted = true;
                self.wake(getter);
            }
        }
    }

    fn grant_next_putter(&mut self, q: usize) {
        let queue = &mut self.queues[q];
        if let Some(putter) = queue.putters.pop_front() {
            queue.reserved_places += 1;
            self.tasks[putter].granted = true;
            self.wake(putter);
        }
    }

    /// Gets without waiting, if an item nobody else has been promised is there.
    pub fn try_get(&mut self, q: usize) -> Option<Item> {
        let queue = &mut self.queues[q];
        if queue.items.len() <= queue.reserved_items {
            return None;
        }
        let item = queue.items.pop_front();
        self.grant_next_putter(q);
        item
    }

    /// Takes the front item, reserved for this task by [`World::take_grant`].
    pub fn get_reserved(&mut self, q: usize) -> Item {
        let queue = &mut self.queues[q];
        queue.reserved_items -= 1;
        let item = queue.items.pop_front().expect("a reserved item is in the queue");
        self.grant_next_putter(q);
        item
    }

    /// Records a completed get in the queue's statistics; returns how long the item waited.
    pub fn got(&mut self, q: usize, item: &Item) -> u64 {
        let waited = self.now - item.put_at;
        let stats = &mut self.queues[q].stats;
        stats.gets += 1;
        stats.total_wait += u128::from(waited);
        stats.max_wait = stats.max_wait.max(waited);
        waited
    }

    pub fn wait_get(&mut self, q: usize, task: TaskId) {
        self.queues[q].getters.push_back(task);
    }

    /// A waiting getter gives up: an item reserved for it goes to the next getter.
    pub fn abandon_get(&mut self, q: usize, task: TaskId) {
        if std::mem::take(&mut self.tasks[task].granted) {
            self.queues[q].reserved_items -= 1;
            self.grant_next_getter(q);
        } else {
            self.queues[q].getters.retain(|&t| t != task);
        }
    }

    pub fn wait_put(&mut self, q: usize, task: TaskId) {
        self.queues[q].putters.push_back(task);
    }

    /// Whether a place or an item has been reserved for this waiting task.
    pub fn take_grant(&mut self, task: TaskId) -> bool {
        std::mem::take(&mut self.tasks[task].granted)
    }

    /// A waiting putter gives up: a place reserved for it goes to the next putter.
    pub fn abandon_put(&mut self, q: usize, task: TaskId) {
        if std::mem::take(&mut self.tasks[task].granted) {
            self.queues[q].reserved_places -= 1;
            self.grant_next_putter(q);
        } else {
            self.queues[q].putters.retain(|&t| t != task);
        }
    }

    /// Marks one item done. Fails when no item is unfinished, as asyncio's `task_done` does.
    pub fn done(&mut self, q: usize) -> Result<(), String> {
        let queue = &mut self.queues[q];
        if queue.unfinished == 0 {
            return Err(format!(
                "an item of queue `{}` was marked done, but every item put on it is done already",
                queue.stats.name
            ));
        }
        queue.unfinished -= 1;
        if queue.unfinished == 0 {
            for j in std::mem::take(&mut queue.joiners) {
                self.wake(j);
            }
        }
        Ok(())
    }

    pub fn all_done(&self, q: usize) -> bool {
        self.queues[q].unfinished == 0
    }

    pub fn wait_join(&mut self, q: usize, task: TaskId) {
        self.queues[q].joiners.push(task);
    }

    pub fn abandon_join(&mut self, q: usize, task: TaskId) {
        self.queues[q].joiners.retain(|&t| t != task);
    }
}
