//! What a run reports: typed events, in the one order they happened, and how the run ended.
//!
//! This is the contract between the runtime, which produces events and nothing else, and the
//! sinks (`crate::sink`), which render or count them. Events refer to queues, semaphores and
//! the other primitives by index into the run's [`Model`], so that producing one costs no
//! string work; a sink looks names up when it renders.

/// The names a run's events refer to by index, fixed for the whole run.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// The scenario's `description`, if it has one.
    pub description: Option<String>,
    pub queues: Vec<String>,
    /// Semaphores, then the thread pool when `thread-pool` bounds it.
    pub semaphores: Vec<SemaphoreInfo>,
    pub events: Vec<String>,
    pub barriers: Vec<String>,
    pub rate_limits: Vec<String>,
    pub counters: Vec<String>,
    /// Each counter's value when the run starts.
    pub counter_initials: Vec<i64>,
    pub containers: Vec<ContainerInfo>,
    /// Indexed by [`TaskIndex`]: `main`, then the declared tasks and arrivals in file order,
    /// then `after` if the scenario has one.
    pub tasks: Vec<String>,
    /// The widest task label (`consumer[9]`), for aligning a timeline.
    pub label_width: usize,
    /// When the statistics start (`warm-up`).
    pub warm_up: WarmUp,
    /// Per queue: whether any step marks its items `done` (only then is time in system kept).
    pub done_queues: Vec<bool>,
    /// Per task, as [`Model::tasks`]: whether it is an `[arrivals]` source.
    pub sources: Vec<bool>,
}

/// What the statistics leave out at the start of a run (`warm-up` in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmUp {
    /// Statistics start at this virtual time, in nanoseconds (0: from the start).
    Time(u64),
    /// The first this many items put on any queue are left out: statistics start when the next
    /// one is put.
    Items(u64),
}

impl Default for WarmUp {
    fn default() -> Self {
        WarmUp::Time(0)
    }
}

/// A container: its name, capacity (`u64::MAX`: none) and level when the run starts.
#[derive(Debug, Clone)]
pub struct ContainerInfo {
    pub name: String,
    pub capacity: u64,
    pub initial: u64,
}

#[derive(Debug, Clone)]
pub struct SemaphoreInfo {
    pub name: String,
    pub permits: u64,
}

/// Which declared task an event's task is a replica of: an index into [`Model::tasks`], where
/// 0 is `main`.
pub type TaskIndex = usize;

/// Something that happened in a run.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Virtual nanoseconds since the start of the run.
    pub time: u64,
    /// The label of the task replica it happened to: `consumer[3]`, or `main`.
    pub task: &'a str,
    /// Which running task it happened to: unique among the tasks running at the time (an
    /// ended task's number is given to a later one).
    pub id: usize,
    /// The declared task that replica belongs to.
    pub decl: TaskIndex,
    pub kind: EventKind<'a>,
}

/// An item as an event carries it: its text, or the number that is its text (`{n}`, a put's
/// default item). A number stays one from the put to the sinks, so that a run whose output
/// does not show items never writes it out, and one that does writes it straight into its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemText<'a> {
    Text(&'a str),
    Number(u64),
}

impl std::fmt::Display for ItemText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemText::Text(text) => f.write_str(text),
            ItemText::Number(n) => write!(f, "{n}"),
        }
    }
}

/// What happened. Primitives are indices into the matching list of the [`Model`].
#[derive(Debug, Clone, Copy)]
pub enum EventKind<'a> {
    /// The task was started by the task labelled `by`.
    Start {
        by: &'a str,
    },
    Say {
        text: &'a str,
    },
    Sleep {
        duration: u64,
    },
    /// `blocked`: how long the put waited for space in a full queue.
    Put {
        queue: usize,
        item: ItemText<'a>,
        blocked: u64,
    },
    /// `waited`: how long the item was in the queue.
    Get {
        queue: usize,
        item: ItemText<'a>,
        waited: u64,
    },
    /// An open arrival found the queue full and was lost (`on-full = "drop"`).
    Dropped {
        queue: usize,
        item: ItemText<'a>,
    },
    Done {
        queue: usize,
    },
    Join {
        queue: usize,
    },
    TimedOut {
        after: u64,
    },
    Cancel {
        target: &'a str,
    },
    /// `blocked`: how long the task waited for a free permit.
    Acquire {
        semaphore: usize,
        blocked: u64,
    },
    Release {
        semaphore: usize,
    },
    Set {
        event: usize,
    },
    Clear {
        event: usize,
    },
    EventWaited {
        event: usize,
    },
    Barrier {
        barrier: usize,
    },
    /// `blocked`: how long the task waited for a token.
    Throttle {
        limit: usize,
        blocked: u64,
    },
    Busy {
        duration: u64,
    },
    ToThread {
        duration: u64,
    },
    /// The task stopped waiting for its thread work, which keeps its thread (a permit of
    /// `semaphore`, the thread pool) until `until`.
    ThreadAbandoned {
        semaphore: usize,
        until: u64,
    },
    Fail {
        message: &'a str,
    },
    Retry {
        attempt: u64,
        delay: u64,
    },
    RaceWon {
        winner: &'a str,
    },
    Gathered {
        completed: u64,
        failed: u64,
        cancelled: u64,
    },
    /// The task took `amount` from a container (`take`) or put it in, after waiting `waited` ns
    /// for it or for room; the container's level is now `level`.
    Level {
        /// An index into the model's containers, as `u32` with `take` beside it so that the
        /// variant is no larger than the others: every event is moved by value.
        container: u32,
        take: bool,
        amount: u64,
        level: u64,
        waited: u64,
    },
    /// The task sent an item that reaches `queue` `delay` ns from now.
    Sent {
        queue: usize,
        item: ItemText<'a>,
        delay: u64,
    },
    /// The task got the reply to its call on `queue`, `response` ns after it called.
    Answered {
        queue: usize,
        reply: &'a str,
        response: u64,
    },
    /// The task replied to a request it got from `queue`; `late` when the caller had given up.
    Reply {
        queue: usize,
        late: bool,
    },
    /// The task interrupted task `target`; `ignored` when the target was handling an interrupt
    /// already.
    Interrupt {
        target: &'a str,
        ignored: bool,
    },
    /// A request of a lower priority took the task's permit of a preemptive semaphore.
    Preempted {
        semaphore: usize,
    },
    /// The task added `by` to a counter, which is now `value`.
    Add {
        counter: usize,
        by: i64,
        value: i64,
    },
    /// The task ended, `lifetime` ns after it was started.
    End {
        outcome: Outcome,
        lifetime: u64,
    },
}

/// Something a run notes for pictures of it that is not an event of its transcript: not
/// printed, not counted, and no budget applies to it. Only sinks that draw (the trace) listen,
/// through [`crate::sink::Sink::mark`].
#[derive(Debug, Clone, Copy)]
pub struct Mark<'a> {
    /// Virtual nanoseconds since the start of the run.
    pub time: u64,
    /// The label of the task replica it concerns.
    pub task: &'a str,
    /// The declared task that replica belongs to.
    pub decl: TaskIndex,
    pub kind: MarkKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// The task entered a timeout scope (a `timeout` block or step) of `after` ns. Scopes nest:
    /// each ends, innermost first, with [`MarkKind::TimeoutEnd`].
    TimeoutBegin { after: u64 },
    /// The task left its innermost timeout scope: its body ended, failed, was cancelled or timed
    /// out (a `timed out` event follows then).
    TimeoutEnd,
}

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Cancelled,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
        }
    }
}

/// How a run ended, as the runtime sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunEnd {
    /// Virtual nanoseconds at the end of the run.
    pub end: u64,
    /// How many events the run had.
    pub events: u64,
    /// Why the run failed, if it did.
    pub failure: Option<Failure>,
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

/// The kinds of run failure; each maps to a documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FailureKind {
    /// Every task waits and no timer is pending.
    Deadlock,
    /// The virtual clock passed the scenario's `time-limit`.
    TimeLimit,
    /// A task ran too many steps without waiting, or too many events happened at one instant.
    Livelock,
    /// The run had more events than the scenario's `max-events`.
    EventBudget,
    /// The run started too many tasks, or a queue grew too long.
    Limit,
    /// `main` failed.
    MainFailed,
    /// An output stopped taking events: it was closed (a pipe to `head`), failed, or reached
    /// its size limit.
    Output,
    /// The run took longer in real time than `--wall-limit`.
    WallLimit,
}
