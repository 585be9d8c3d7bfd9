//! The compiled scenario: what `compile` produces and `runtime` executes.
//!
//! Every name is resolved to an index, every template parsed, every distribution checked. The
//! runtime never sees a name it has to look up or a value it has to validate.

use smol_str::SmolStr;

use crate::dist::Dist;
use crate::event::{Model, SemaphoreInfo};
use crate::template::Template;

pub type QueueId = usize;
/// Index of a declared task in [`Plan::tasks`].
pub type TaskRef = usize;

#[derive(Debug)]
pub struct Plan {
    pub description: Option<String>,
    pub seed: u64,
    /// The budgets the file sets, or their defaults.
    pub limits: Limits,
    pub queues: Vec<QueuePlan>,
    pub semaphores: Vec<SemaphorePlan>,
    /// The semaphore that stands for the thread pool of `to-thread` work, when it is bounded.
    pub thread_pool: Option<usize>,
    pub events: Vec<EventPlan>,
    pub barriers: Vec<BarrierPlan>,
    pub rate_limits: Vec<RateLimitPlan>,
    /// Counters: their names and starting values.
    pub counters: Vec<(String, i64)>,
    pub containers: Vec<ContainerPlan>,
    pub tasks: Vec<TaskPlan>,
    pub main: TaskPlan,
    /// What runs after `main` and every other task have ended (`[after]`).
    pub after: Option<TaskPlan>,
    /// `[test]`: the seeds `scenario test` runs (empty: the file's seed) and its format.
    pub test_seeds: Vec<u64>,
    pub test_format: crate::sink::Format,
    /// `[thresholds]`: conditions a run must meet, in declaration order.
    pub thresholds: Vec<crate::threshold::Threshold>,
    /// How many `sequence` distributions there are: each replica keeps a cursor per slot.
    pub sequence_slots: usize,
    /// The widest task label, for aligning the timeline.
    pub label_width: usize,
    /// `warm-up`: what the statistics leave out at the start of a run.
    pub warm_up: crate::event::WarmUp,
}

/// The budgets a run is held to, so that every run ends. A run that reaches one stops as failed,
/// with a message that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Virtual nanoseconds after which a run is stopped (`time-limit`, default 24 h).
    pub time_limit: u64,
    /// Events after which a run is stopped (`max-events`, default 100 000 000).
    pub max_events: u64,
    /// Events at one virtual instant after which a run is stopped as a livelock
    /// (`max-events-per-instant`, default 10 000 000).
    pub max_events_per_instant: u64,
    /// Tasks a run may start, `main` not counted (`max-tasks`, default 1 000 000, the most
    /// replicas one task may have).
    pub max_tasks: u64,
    /// Steps a task may run without waiting before it is taken for an endless loop
    /// (10 000 000; not settable in a file).
    pub max_steps_without_waiting: u64,
    /// Bytes a run's transcript may have (`max-output`, default 1 GiB): a loop that prints
    /// for ever stops there instead of filling the disk.
    pub max_output_bytes: u64,
    /// Real time a run may take before it is stopped (`--wall-limit`; off by default). The one
    /// place a run looks at a real clock: it can stop a run, never change what it prints before.
    pub wall_limit: Option<std::time::Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time_limit: 24 * 3600 * 1_000_000_000,
            max_events: 100_000_000,
            max_events_per_instant: 10_000_000,
            max_tasks: 1_000_000,
            max_steps_without_waiting: 10_000_000,
            max_output_bytes: 1 << 30,
            wall_limit: None,
        }
    }
}

#[derive(Debug)]
pub struct QueuePlan {
    pub name: String,
    /// `Some(0)`: a rendezvous, where a put goes through only to a waiting getter.
    pub capacity: Option<usize>,
    pub fairness: Fairness,
    pub discipline: Discipline,
}

/// Which item a get takes (see `runtime/queue.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discipline {
    /// The oldest: `asyncio.Queue`.
    Fifo,
    /// The newest: `asyncio.LifoQueue`.
    Lifo,
    /// The lowest priority, the oldest of equal ones: `asyncio.PriorityQueue`.
    Priority,
}

/// Which task gets an item a put wakes a getter for (see `runtime/queue.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fairness {
    /// asyncio's rule: whoever asks first, even before the woken getter runs.
    Asyncio,
    /// The woken getter: the item is reserved for it.
    Strict,
}

#[derive(Debug)]
pub struct SemaphorePlan {
    pub name: String,
    pub permits: u64,
    /// Only a holder may release a permit.
    pub bounded: bool,
    /// Permits go to the lowest priority first (then the first to ask), not only in order.
    pub priority: bool,
    /// A request of a lower priority than a holder's takes its permit and interrupts it.
    pub preemptive: bool,
}

#[derive(Debug)]
pub struct EventPlan {
    pub name: String,
    pub initially_set: bool,
}

/// A level between 0 and `capacity` (SimPy's `Container`).
#[derive(Debug)]
pub struct ContainerPlan {
    pub name: String,
    /// `u64::MAX` when it has no limit.
    pub capacity: u64,
    pub initial: u64,
}

#[derive(Debug)]
pub struct BarrierPlan {
    pub name: String,
    pub parties: u64,
}

/// A token bucket, run as GCRA: one token every `interval` ns, up to `burst` at once.
#[derive(Debug)]
pub struct RateLimitPlan {
    pub name: String,
    pub interval: u64,
    pub burst: u64,
}

#[derive(Debug)]
pub struct TaskPlan {
    pub name: String,
    pub count: u64,
    pub steps: Vec<Step>,
    /// How many names of its own (`let`) the task gives values to.
    pub locals: usize,
}

impl Plan {
    /// The declared task at `index` of the run's model: 0 is `main`, then `tasks` in order,
    /// then `after`.
    pub fn task(&self, index: crate::event::TaskIndex) -> &TaskPlan {
        match index {
            0 => &self.main,
            i if i <= self.tasks.len() => &self.tasks[i - 1],
            _ => self.after.as_ref().expect("only `after` comes after the declared tasks"),
        }
    }

    /// The index of `after` in the run's model.
    pub fn after_index(&self) -> crate::event::TaskIndex {
        self.tasks.len() + 1
    }

    /// The names a run's events refer to.
    pub fn model(&self) -> Model {
        Model {
            description: self.description.clone(),
            queues: self.queues.iter().map(|q| q.name.clone()).collect(),
            semaphores: self
                .semaphores
                .iter()
                .map(|s| SemaphoreInfo { name: s.name.clone(), permits: s.permits })
                .collect(),
            events: self.events.iter().map(|e| e.name.clone()).collect(),
            barriers: self.barriers.iter().map(|b| b.name.clone()).collect(),
            rate_limits: self.rate_limits.iter().map(|r| r.name.clone()).collect(),
            counters: self.counters.iter().map(|(name, _)| name.clone()).collect(),
            counter_initials: self.counters.iter().map(|&(_, initial)| initial).collect(),
            containers: self
                .containers
                .iter()
                .map(|c| crate::event::ContainerInfo { name: c.name.clone(), capacity: c.capacity, initial: c.initial })
                .collect(),
            tasks: std::iter::once(&self.main).chain(&self.tasks).chain(&self.after).map(|t| t.name.clone()).collect(),
            label_width: self.label_width,
            warm_up: self.warm_up,
            done_queues: crate::lint::queues_marked_done(self),
            sources: std::iter::once(&self.main)
                .chain(&self.tasks)
                .chain(&self.after)
                .map(|t| crate::lint::arrives(&t.steps))
                .collect(),
        }
    }
}

impl Step {
    /// The blocks of a `choose` or `when`, one of which runs; none for other steps.
    pub fn branches(&self) -> Vec<&[Step]> {
        match self {
            Step::Choose { blocks, .. } => blocks.iter().map(Vec::as_slice).collect(),
            Step::When { then, otherwise, .. } => vec![then, otherwise],
            _ => Vec::new(),
        }
    }
}

/// A rate of arrivals that changes linearly in segments: when each arrival comes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// `(length, rate at its start, rate at its end)` per segment, in seconds and arrivals per
    /// second; the last one lasts for ever when `open`.
    pub segments: Vec<(f64, f64, f64)>,
    pub open: bool,
    /// Poisson arrivals (gaps of exponential work) or regular ones (one per unit of work).
    pub poisson: bool,
}

impl Schedule {
    /// The time, in seconds from the start, at which the expected number of arrivals since the
    /// start reaches `work`; `None` when the schedule ends first.
    pub fn time_of(&self, work: f64) -> Option<f64> {
        let mut start = 0.0;
        let mut done = 0.0;
        for (k, &(length, r0, r1)) in self.segments.iter().enumerate() {
            let last = k + 1 == self.segments.len();
            let open = last && self.open;
            let whole = if open { f64::INFINITY } else { length * (r0 + r1) / 2.0 };
            if done + whole >= work {
                // Solve r0 x + (r1 - r0) x^2 / (2 length) = work - done for x in the segment.
                let c = work - done;
                let a = if open || length == 0.0 { 0.0 } else { (r1 - r0) / (2.0 * length) };
                let b = r0;
                let disc = (b * b + 4.0 * a * c).max(0.0);
                let x = if a == 0.0 { if b <= 0.0 { return None } else { c / b } } else { 2.0 * c / (b + disc.sqrt()) };
                return x.is_finite().then_some(start + x.clamp(0.0, if open { f64::INFINITY } else { length }));
            }
            done += whole;
            start += length;
        }
        None
    }
}

/// A condition on the run's state, for `when`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Two expressions compared: over the task's own names, parameters, counters, levels, and
    /// `waited` (in nanoseconds; durations such as `1s` are nanoseconds too).
    Exprs { left: Box<Expr>, op: Compare, right: Box<Expr> },
    /// A number the run keeps, compared with `value`.
    Compare { subject: Subject, op: Compare, value: i64 },
    /// Whether an event is set (`set == true`) or clear.
    Event { event: usize, set: bool },
    /// Whether the caller of the request this task last got has given up (`abandoned ==
    /// true`) or still waits.
    CallAbandoned { abandoned: bool },
}

/// What a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The items in a queue.
    QueueLength(QueueId),
    /// A semaphore's free permits.
    Free(usize),
    /// A semaphore's permits in use.
    InUse(usize),
    /// A counter's value.
    Counter(usize),
    /// A container's level.
    Level(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Less,
    AtMost,
    Greater,
    AtLeast,
    Equal,
    NotEqual,
}

impl Compare {
    pub fn holds(self, a: i64, b: i64) -> bool {
        match self {
            Compare::Less => a < b,
            Compare::AtMost => a <= b,
            Compare::Greater => a > b,
            Compare::AtLeast => a >= b,
            Compare::Equal => a == b,
            Compare::NotEqual => a != b,
        }
    }
}

impl Step {
    /// A `repeat`'s body (empty for any other step).
    pub fn repeat_body(&self) -> &[Step] {
        match self {
            Step::Repeat { body, .. } => body,
            _ => &[],
        }
    }

    /// A get's `say`: what [`Step::Get`] says once it has its item (`None` for any other step).
    pub fn get_say(&self) -> Option<&Template> {
        match self {
            Step::Get { say, .. } => say.as_ref(),
            _ => None,
        }
    }
}

impl TaskPlan {
    /// `consumer[3]` for a task with replicas, `main` for a single one.
    pub fn label(&self, replica: u64) -> SmolStr {
        if self.count == 1 { SmolStr::new(&self.name) } else { smol_str::format_smolstr!("{}[{replica}]", self.name) }
    }
}

#[derive(Debug)]
pub enum Step {
    Say(Template),
    Sleep {
        duration: Dist,
        /// `"fuel * 500ms"`: the duration times a whole number worked out when the step runs.
        times: Option<Box<Expr>>,
        say: Option<Template>,
        /// Run when the sleep is interrupted; then the rest of the sleep.
        on_interrupt: Option<Vec<Step>>,
    },
    Put {
        queue: QueueId,
        item: Template,
        /// On a priority queue; `None`: 0.
        priority: Option<Count>,
        say: Option<Template>,
        /// The item reaches the queue this long after the put, and the task goes on at once.
        delay: Option<Box<Dist>>,
    },
    Get {
        queue: QueueId,
        say: Option<Template>,
    },
    /// Puts a request on `queue` and waits for the reply to it.
    Call {
        queue: QueueId,
        item: Template,
        say: Option<Template>,
    },
    /// Replies to the request this task last got from `queue`: `item`, or the request's text.
    Reply {
        queue: QueueId,
        item: Option<Template>,
        say: Option<Template>,
    },
    /// An open arrival: the item enters if there is room; otherwise it waits on its own, and the
    /// task goes on (or, with `drop`, it is lost).
    Arrive {
        queue: QueueId,
        item: Template,
        drop: bool,
        priority: u64,
    },
    /// An arrival that starts a fresh instance of declared task `task` (an index into
    /// `Plan::tasks`), labelled `NAME#N` with `N` the repeat's count so far.
    Spawn {
        task: usize,
    },
    /// One of `blocks`, drawn with the weights whose running sums are `cumulative`.
    Choose {
        cumulative: Vec<f64>,
        blocks: Vec<Vec<Step>>,
    },
    /// An arrivals source whose rate changes over time: arrivals at the times of `schedule`
    /// (from when the step starts), each running `arrive`; at most `total`.
    Scheduled {
        schedule: Schedule,
        total: Option<u64>,
        arrive: Box<Step>,
        /// Arrivals at once when the source starts, before the schedule's (counted in `total`).
        initial: u64,
    },
    /// An arrivals source's gap: a sleep, except before the first `skip` arrivals of the
    /// enclosing repeat, which come at once (`initial`).
    Gap {
        duration: Dist,
        skip: u64,
    },
    /// Waits until `condition`, on counter `counter`, holds.
    WaitUntil {
        counter: usize,
        condition: Condition,
    },
    /// Takes `amount` from container `container`, waiting until its level holds it.
    Take {
        container: usize,
        amount: Count,
        say: Option<Template>,
    },
    /// Puts `amount` into container `container` (`None`: up to its capacity), waiting until it
    /// fits.
    Fill {
        container: usize,
        amount: Option<Count>,
        say: Option<Template>,
    },
    /// Gives the task's own name at slot `local` a value.
    Let {
        local: usize,
        value: Count,
    },
    /// Sets counter `counter` to `value`.
    SetCounter {
        counter: usize,
        value: Count,
    },
    /// Adds `by` to counter `counter` (saturating).
    Add {
        counter: usize,
        by: i64,
    },
    /// `then` if `condition` holds when the step runs, `otherwise` if not.
    When {
        condition: Condition,
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    Done {
        queue: QueueId,
    },
    Join {
        queue: QueueId,
    },
    Repeat {
        times: Count,
        body: Vec<Step>,
    },
    Start {
        tasks: Vec<TaskRef>,
    },
    Wait {
        tasks: Vec<TaskRef>,
        /// Without a shield, an interrupt of the waiter cancels the tasks it waits for, as an
        /// interrupted `await task` does in asyncio.
        shield: bool,
    },
    Gather {
        tasks: Vec<TaskRef>,
        policy: GatherPolicy,
    },
    Cancel {
        tasks: Vec<TaskRef>,
    },
    Race {
        tasks: Vec<TaskRef>,
        policy: RacePolicy,
    },
    Timeout {
        after: Dist,
        body: Vec<Step>,
        on_timeout: Vec<Step>,
        finally: Vec<Step>,
    },
    /// Without `on_error`, a failure goes on after `finally`, as in Python's `try`/`finally`.
    /// `on_cancel` runs when the block is cancelled or times out, and the cancellation goes on
    /// (Python's `except CancelledError: ...; raise`).
    Try {
        body: Vec<Step>,
        on_error: Option<Vec<Step>>,
        on_cancel: Vec<Step>,
        /// Run when the block is interrupted; the task then goes on after the `try`.
        on_interrupt: Option<Vec<Step>>,
        finally: Vec<Step>,
    },
    /// Runs `body` until event `event` is set; then (or when it is set already) `on_set`.
    Until {
        event: usize,
        body: Vec<Step>,
        on_set: Vec<Step>,
    },
    /// Interrupts the running replicas of `tasks`, or only the one of index `replica`.
    Interrupt {
        tasks: Vec<TaskRef>,
        replica: Option<Count>,
    },
    Acquire {
        semaphore: usize,
        /// On a priority semaphore; `None`: 0.
        priority: Option<Count>,
    },
    Release {
        semaphore: usize,
    },
    Hold {
        semaphore: usize,
        priority: Option<Count>,
        body: Vec<Step>,
    },
    Set {
        event: usize,
    },
    Clear {
        event: usize,
    },
    WaitEvent {
        event: usize,
    },
    Barrier {
        barrier: usize,
    },
    Throttle {
        limit: usize,
    },
    Busy {
        duration: Dist,
    },
    ToThread {
        duration: Dist,
    },
    Fail {
        message: Template,
        probability: f64,
    },
    Retry {
        retries: u64,
        body: Vec<Step>,
        backoff: Option<Dist>,
        /// What each wait is multiplied by for the next.
        factor: f64,
        jitter: bool,
    },
}

/// How `gather` waits for its tasks, each after its asyncio original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherPolicy {
    /// `asyncio.TaskGroup`: the first failure cancels the others, waits for them to end, then
    /// fails the gathering task; when the gathering task is interrupted, it cancels its tasks and
    /// waits for them. (Also accepted as `fail-fast`.)
    TaskGroup,
    /// `asyncio.gather`: the first failure fails the gathering task at once, and the others go
    /// on running; an interrupt of the gathering task cancels its tasks at once.
    Gather,
    /// `asyncio.gather(..., return_exceptions=True)`: every task runs to its end and the
    /// gathering task goes on whatever their outcome. (Also accepted as `collect`.)
    ReturnExceptions,
}

/// When `race` is decided, each after its asyncio original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RacePolicy {
    /// The first racer to complete wins; failed and cancelled racers do not.
    FirstSuccess,
    /// `asyncio.wait(..., return_when=FIRST_COMPLETED)`: the first racer to end decides; if it
    /// failed or was cancelled, the race fails.
    FirstCompleted,
}

/// How many times a `repeat` runs its block.
#[derive(Debug)]
pub enum Count {
    Forever,
    /// Evaluated per replica; a fixed number is an expression without variables.
    Expr(Expr),
    Drawn(Dist),
}

/// An integer expression over the replica index `i`, the replica count `count`, the task's own
/// names (`let`), counters and containers' levels.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Int(i64),
    I,
    Count,
    /// The task's own name at this slot.
    Local(usize),
    /// A counter's value now.
    Counter(usize),
    /// A container's level now.
    Level(usize),
    /// How long the task's last item or permit waited, in nanoseconds.
    Waited,
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
}

/// What an expression's names stand for when it is worked out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env<'a> {
    pub i: i64,
    pub count: i64,
    pub locals: &'a [i64],
    pub counters: &'a [i64],
    pub levels: &'a [u64],
    /// How long the task's last item or permit waited, in nanoseconds.
    pub waited: i64,
}

impl Expr {
    /// The value in `env`, or `None` on overflow.
    pub fn eval(&self, env: &Env<'_>) -> Option<i64> {
        match self {
            Expr::Int(v) => Some(*v),
            Expr::I => Some(env.i),
            Expr::Count => Some(env.count),
            Expr::Local(k) => Some(env.locals.get(*k).copied().unwrap_or(0)),
            Expr::Counter(k) => Some(env.counters.get(*k).copied().unwrap_or(0)),
            Expr::Level(k) => Some(env.levels.get(*k).map_or(0, |&l| i64::try_from(l).unwrap_or(i64::MAX))),
            Expr::Waited => Some(env.waited),
            Expr::Add(a, b) => a.eval(env)?.checked_add(b.eval(env)?),
            Expr::Sub(a, b) => a.eval(env)?.checked_sub(b.eval(env)?),
            Expr::Mul(a, b) => a.eval(env)?.checked_mul(b.eval(env)?),
        }
    }

    /// The value for replica `i` of `count`, for an expression of those alone.
    pub fn eval_replica(&self, i: i64, count: i64) -> Option<i64> {
        self.eval(&Env { i, count, ..Env::default() })
    }

    /// Whether the expression reads anything besides `i` and `count`: the task's names or the
    /// run's state, known only when it runs.
    pub fn reads(&self) -> (bool, bool) {
        match self {
            Expr::Int(_) | Expr::I | Expr::Count => (false, false),
            Expr::Local(_) | Expr::Waited => (true, false),
            Expr::Counter(_) | Expr::Level(_) => (false, true),
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                let (a, b) = (a.reads(), b.reads());
                (a.0 || b.0, a.1 || b.1)
            }
        }
    }

    /// Parses `i + 1`, `count - i`, `2 * (i + 1)`: whole numbers, `i`, `count`, `+ - *`, parentheses.
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Expr, String> {
        Expr::parse_with(text, &|t: &str| Err(format!("unknown name `{t}`: an expression can use `i` and `count`")))
    }

    /// Parses an expression whose other names `name` resolves: a task's own names, and dotted
    /// ones such as `counter.NAME` and `container.NAME.level`.
    pub fn parse_with(text: &str, name: &dyn Fn(&str) -> Result<Expr, String>) -> Result<Expr, String> {
        let tokens = tokenize(text)?;
        // Evaluating, and dropping, an expression recurses once per operator and parenthesis:
        // bound both, so that no file can overflow the stack.
        if tokens.len() > MAX_EXPR_TOKENS {
            return Err(format!("it has {} parts; an expression may have {MAX_EXPR_TOKENS}", tokens.len()));
        }
        let depth = tokens.iter().scan(0i64, |d, t| {
            *d += i64::from(t == "(") - i64::from(t == ")");
            Some(*d)
        });
        if depth.max().unwrap_or(0) > MAX_EXPR_DEPTH {
            return Err(format!("parentheses nest more than {MAX_EXPR_DEPTH} deep"));
        }
        let mut at = 0;
        let expr = parse_sum(&tokens, &mut at, name)?;
        match tokens.get(at) {
            None => Ok(expr),
            Some(t) => Err(format!("unexpected `{t}`")),
        }
    }
}

/// The most tokens a count expression may have.
pub const MAX_EXPR_TOKENS: usize = 1000;
/// The deepest parentheses may nest in a count expression.
pub const MAX_EXPR_DEPTH: i64 = 32;

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' {
            // A word; a dotted one (`container.tank.level`) may hold `-`, as names may.
            let mut word = String::new();
            while let Some(&c) = chars
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '.' || (**c == '-' && word.contains('.')))
            {
                word.push(c);
                chars.next();
            }
            tokens.push(word);
        } else if "+-*()".contains(c) {
            tokens.push(c.to_string());
            chars.next();
        } else {
            return Err(format!("unexpected `{c}`"));
        }
    }
    Ok(tokens)
}

type Names<'a> = &'a dyn Fn(&str) -> Result<Expr, String>;

fn parse_sum(tokens: &[String], at: &mut usize, names: Names<'_>) -> Result<Expr, String> {
    let mut left = parse_product(tokens, at, names)?;
    while let Some(op) = tokens.get(*at).filter(|t| *t == "+" || *t == "-") {
        *at += 1;
        let right = parse_product(tokens, at, names)?;
        left = if op == "+" { Expr::Add(left.into(), right.into()) } else { Expr::Sub(left.into(), right.into()) };
    }
    Ok(left)
}

fn parse_product(tokens: &[String], at: &mut usize, names: Names<'_>) -> Result<Expr, String> {
    let mut left = parse_atom(tokens, at, names)?;
    while tokens.get(*at).is_some_and(|t| t == "*") {
        *at += 1;
        left = Expr::Mul(left.into(), parse_atom(tokens, at, names)?.into());
    }
    Ok(left)
}

fn parse_atom(tokens: &[String], at: &mut usize, names: Names<'_>) -> Result<Expr, String> {
    let token = tokens.get(*at).ok_or("expression ends too early")?;
    *at += 1;
    match token.as_str() {
        "i" => Ok(Expr::I),
        "count" => Ok(Expr::Count),
        "(" => {
            let inner = parse_sum(tokens, at, names)?;
            match tokens.get(*at) {
                Some(t) if t == ")" => {
                    *at += 1;
                    Ok(inner)
                }
                _ => Err("missing `)`".into()),
            }
        }
        t if t.chars().all(|c| c.is_ascii_digit()) => {
            t.parse().map(Expr::Int).map_err(|_| format!("`{t}` is too large"))
        }
        t => names(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse_and_evaluate() {
        let e = Expr::parse("2 * (i + 1) - count").unwrap();
        assert_eq!(e.eval_replica(3, 5), Some(3));
        assert_eq!(Expr::parse("i+1").unwrap().eval_replica(0, 5), Some(1));
        assert_eq!(Expr::parse("7").unwrap(), Expr::Int(7));
        assert!(Expr::parse("i +").is_err());
        assert!(Expr::parse("j + 1").is_err());
        assert!(Expr::parse("(i").is_err());
        assert!(Expr::parse("i / 2").is_err());
        assert_eq!(Expr::parse("9223372036854775807 * 2").unwrap().eval_replica(0, 1), None);
        assert!(Expr::parse(&format!("{}1{}", "(".repeat(33), ")".repeat(33))).is_err());
        assert!(Expr::parse(&format!("{}1{}", "(".repeat(32), ")".repeat(32))).is_ok());
        assert!(Expr::parse(&vec!["1"; 501].join("+")).is_err());
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::Schedule;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn a_schedule_gives_the_time_the_expected_arrivals_reach_a_number() {
        // 2 a second for ever: the 10th at 5 s.
        let constant = Schedule { segments: vec![(0.0, 2.0, 2.0)], open: true, poisson: false };
        assert!(close(constant.time_of(10.0), 5.0));
        // From 0 to 10 a second over 10 s (50 in all), then 10 a second for 10 s (100 more).
        let ramp = Schedule { segments: vec![(10.0, 0.0, 10.0), (10.0, 10.0, 10.0)], open: false, poisson: false };
        assert!(close(ramp.time_of(0.5), 1.0), "{:?}", ramp.time_of(0.5));
        assert!(close(ramp.time_of(50.0), 10.0));
        assert!(close(ramp.time_of(100.0), 15.0));
        assert!(close(ramp.time_of(150.0), 20.0));
        assert_eq!(ramp.time_of(150.5), None, "the schedule has ended");
        // Down to nothing: 10 to 0 over 10 s is 50 in all; a step (a stage of no time) and a
        // pause (a stage at 0) on the way.
        let down = Schedule {
            segments: vec![(10.0, 10.0, 0.0), (0.0, 0.0, 4.0), (5.0, 0.0, 0.0), (0.0, 0.0, 4.0), (5.0, 4.0, 4.0)],
            open: false,
            poisson: false,
        };
        assert!(close(down.time_of(50.0), 10.0));
        assert!(close(down.time_of(54.0), 16.0), "{:?}", down.time_of(54.0));
        assert_eq!(down.time_of(70.1), None);
    }
}
