//! The scenario file format: serde types that mirror the TOML file, with spans for diagnostics.
//!
//! This module owns the *shape* of a scenario file and nothing else: it never checks that a
//! queue exists, that a duration parses or that a step makes sense. Those are `compile`'s job,
//! which sees every problem at once and points at the span kept here.
//!
//! A few values accept more than one form (a duration or a distribution table; a count or an
//! expression). They have hand-written visitors rather than `#[serde(untagged)]`, so that a
//! mistake gets an error that says what was expected instead of "data did not match any variant".

use std::fmt;

use std::borrow::Cow;
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer};
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

/// A value and the byte range it came from. It wraps `toml::Spanned` so that the schema of a
/// spanned field is simply the schema of its value.
#[derive(Debug, Clone)]
pub struct Spanned<T>(toml::Spanned<T>);

impl<T> Spanned<T> {
    pub fn new(span: Range<usize>, value: T) -> Self {
        Spanned(toml::Spanned::new(span, value))
    }
    pub fn span(&self) -> Range<usize> {
        self.0.span()
    }
    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        toml::Spanned::deserialize(deserializer).map(Spanned)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// A whole scenario file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scenario {
    /// A sentence saying what the scenario models; shown at the top of the timeline.
    pub description: Option<String>,
    /// Named values, the model's knobs stated once: `workers = 4`, `service = "250ms"`. A
    /// string value elsewhere that is exactly a parameter's name stands for its value
    /// (`count = "workers"`, `sleep = "service"`); whole-number parameters can also be used in
    /// expressions (`"workers * 2"`) and messages (`{workers}`). `--set workers=8` changes one.
    #[serde(default)]
    pub params: Params,
    /// Files whose tables are added to this one's (shared distributions, a service defined
    /// once), relative to this file's folder: `include = ["shared/services.toml"]`. An included
    /// file holds tables only, and includes nothing itself.
    #[expect(dead_code, reason = "`include::assemble` reads it from the text; here it is a known, typed key")]
    pub include: Option<Vec<Spanned<String>>>,
    /// Lets `include` reach files outside this file's folder and the folders below it.
    /// Default false.
    #[expect(dead_code, reason = "`include::assemble` reads it from the text; here it is a known, typed key")]
    pub include_outside: Option<bool>,
    /// The seed of every random draw; `--seed` overrides it. Default 0.
    pub seed: Option<Spanned<u64>>,
    /// The virtual time at which a run is stopped as failed. Default `"24h"`.
    pub time_limit: Option<Spanned<String>>,
    /// How many events a run may have before it is stopped as failed. Default 100 000 000.
    pub max_events: Option<Spanned<i64>>,
    /// How many `to-thread` steps may run at once, like `ThreadPoolExecutor(max_workers=N)`;
    /// further ones wait for a free thread. Default: no limit.
    pub thread_pool: Option<Spanned<i64>>,
    /// How many tasks may be alive at once, not counting `main`. Default 1 000 000.
    pub max_tasks: Option<Spanned<i64>>,
    /// How many bytes a run's transcript may have before the run is stopped. Default
    /// 1073741824 (1 GiB).
    pub max_output: Option<Spanned<i64>>,
    /// How many events may happen at one virtual instant before the run is stopped as a
    /// livelock (tasks that keep waking each other without time passing). Default 10 000 000.
    pub max_events_per_instant: Option<Spanned<i64>>,
    /// What the statistics leave out at the start of a run, to measure a steady state: a
    /// duration (`"1000s"`: statistics start at that virtual time) or a whole number of items
    /// (`1000`: the first 1000 items put on any queue are left out). Default: nothing.
    pub warm_up: Option<Spanned<Scalar>>,
    /// Named queues.
    #[serde(default)]
    pub queues: Named<Queue>,
    /// Named distributions, usable wherever a duration is expected.
    #[serde(default)]
    pub distributions: Named<DurationSpec>,
    /// Named semaphores: concurrency limits.
    #[serde(default)]
    pub semaphores: Named<Semaphore>,
    /// Named events: flags tasks can set, clear and wait for.
    #[serde(default)]
    pub events: Named<EventDecl>,
    /// Named barriers: places where a number of tasks wait for each other.
    #[serde(default)]
    pub barriers: Named<Barrier>,
    /// Named rate limits: token buckets.
    #[serde(default)]
    pub rate_limits: Named<RateLimit>,
    /// Named counters: whole numbers tasks add to, that `when` conditions and thresholds read.
    #[serde(default)]
    pub counters: Named<Counter>,
    /// Named containers: a level between 0 and a capacity that `take` and `fill` steps change,
    /// waiting until the amount fits (SimPy's `Container`).
    #[serde(default)]
    pub containers: Named<Container>,
    /// Open arrivals: sources that put items on a queue at a rate, whatever the consumers do.
    /// Each is a task of its own and starts like one.
    #[serde(default)]
    pub arrivals: Named<Arrivals>,
    /// Named tasks. A task runs only when `main` (or another task) starts it.
    #[serde(default)]
    pub tasks: Named<Task>,
    /// The program's entry point, like `asyncio.run(main())`. Without it, every task is
    /// gathered in the order the file declares them.
    pub main: Option<Spanned<Main>>,
    /// What the program does after `asyncio.run(main())` returns: these steps run once `main`
    /// has returned and every task still running has been cancelled and has ended (its cleanup
    /// included). Skipped when `main` failed, as an exception from `asyncio.run` would skip them.
    pub after: Option<Spanned<Main>>,
    /// How `scenario test` tests this file.
    pub test: Option<Spanned<TestSettings>>,
    /// Conditions every run must meet, metric = condition: `"queue.line.wait.p99" = "< 2s"`,
    /// `"task.client.failed" = "== 0"`. A crossed one fails the run (exit code 7) and the test.
    /// Metrics: `run.makespan`, `run.events`; `queue.NAME.` `puts`, `gets`, `left`, `longest`,
    /// `dropped`, `blocked-puts`, `wait.mean`, `wait.p50`, `wait.p90`, `wait.p99`, `wait.p999`,
    /// `wait.max`, `put-wait.max`; `semaphore.NAME.` `acquisitions`, `waited`, `wait.max`,
    /// `abandoned`, `preempted`; `task.NAME.` `started`, `completed`, `cancelled`, `failed`,
    /// `lifetime.mean`, `lifetime.max`; `queue.NAME.replies`, `late-replies`, `response.*`;
    /// `counter.NAME.` `value`, `min`, `max`, `adds`; `container.NAME.` `level`, `min`, `max`,
    /// `mean`, `takes`, `fills`, `taken`, `filled`, `waited`. Operators: `<`, `<=`, `>`, `>=`, `==`, `!=`. With
    /// `--seeds`, thresholds apply to the pooled runs; `every-seed.METRIC` to each seed's run.
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// `[params]`: read by [`parse`] before the rest of the file, which it substitutes into.
#[derive(Debug, Default)]
pub struct Params {
    pub list: Vec<Param>,
    /// Parameters left out for a bad name, with where and why: the compiler reports them.
    pub problems: Vec<Problem>,
    /// Where parameters first stood for more values than a file may expand to.
    pub too_large: Option<Problem>,
}

/// One parameter: its name, and its value when it is a whole number.
#[derive(Debug)]
pub struct Param {
    pub name: Spanned<String>,
    pub whole: Option<i64>,
    /// Whether a value of the file stood for it.
    pub substituted: bool,
}

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `parse` has taken the entries out already.
        de::IgnoredAny::deserialize(deserializer)?;
        Ok(Params::default())
    }
}

impl JsonSchema for Params {
    fn schema_name() -> Cow<'static, str> {
        "Params".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Named values: a whole number, a number, a duration or other string, a boolean, or a table such as a distribution.",
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
            "additionalProperties": { "type": ["integer", "number", "string", "boolean", "object", "array"] },
        })
    }
}

/// Keys whose string values are text or keywords, never a parameter's name standing for its
/// value.
const TEXT_KEYS: [&str; 13] = [
    "say",
    "item",
    "fail",
    "description",
    "when",
    "wait-until",
    "policy",
    "discipline",
    "fairness",
    "process",
    "on-full",
    "format",
    "let",
];

/// Takes `[params]` out of the file and puts each parameter's value wherever a string value
/// is exactly its name. A parameter named as a declaration is a problem (a `put = "NAME"` could
/// not tell them apart) and stands for nothing.
fn substitute_params<'i>(root: &mut DeTable<'i>) -> Params {
    let mut problems = Vec::new();
    let Some(table) = take_table(root, "params") else { return Params::default() };
    let declared: Vec<String> = NAMED_TABLES
        .iter()
        .filter_map(|&k| match root.get(k).map(toml::Spanned::get_ref) {
            Some(DeValue::Table(t)) => Some(t.keys().map(|n| n.get_ref().to_string()).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut params = Vec::new();
    let mut values = Vec::new();
    for (key, value) in table {
        let name = name(key);
        let text = name.get_ref();
        let valid = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            problems.push((
                name.span(),
                format!("`{text}` is not a parameter name: it starts with a letter or `_` and has only letters, digits and `_`"),
            ));
            continue;
        }
        if declared.contains(text) {
            problems.push((
                name.span(),
                format!("parameter `{text}` has the name of a declaration: a value `\"{text}\"` could mean either"),
            ));
            continue;
        }
        let whole = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        params.push(Param { name, whole, substituted: false });
        values.push(value.into_inner());
    }
    let sizes: Vec<usize> = values.iter().map(size).collect();
    let mut s =
        Substitution { params: &mut params, values: &values, sizes: &sizes, budget: MAX_SUBSTITUTED, over: None };
    s.table(root);
    let too_large = s.over.map(|span| {
        (span, format!("parameters stand for more than {MAX_SUBSTITUTED} values in all; this one is past that"))
    });
    Params { list: params, problems, too_large }
}

/// The most values (strings, numbers, tables, array items) parameters may stand for in all,
/// so that a small file cannot expand into a huge one.
const MAX_SUBSTITUTED: usize = 100_000;

/// How many values a value is, itself included.
fn size(value: &DeValue<'_>) -> usize {
    match value {
        DeValue::Table(t) => 1 + t.values().map(|v| size(v.get_ref())).sum::<usize>(),
        DeValue::Array(items) => 1 + items.iter().map(|v| size(v.get_ref())).sum::<usize>(),
        _ => 1,
    }
}

struct Substitution<'a, 'i> {
    params: &'a mut [Param],
    values: &'a [DeValue<'i>],
    sizes: &'a [usize],
    /// Values that may still be put in.
    budget: usize,
    /// The first reference past the budget.
    over: Option<Range<usize>>,
}

impl<'i> Substitution<'_, 'i> {
    fn table(&mut self, table: &mut DeTable<'i>) {
        for (key, value) in table.iter_mut() {
            if !TEXT_KEYS.contains(&key.get_ref().as_ref()) {
                self.value(value);
            }
        }
    }

    fn value(&mut self, value: &mut toml::Spanned<DeValue<'i>>) {
        match value.get_mut() {
            DeValue::Table(t) => self.table(t),
            DeValue::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            DeValue::String(s) => {
                let Some(k) = self.params.iter().position(|p| p.name.get_ref() == s.as_ref()) else { return };
                self.params[k].substituted = true;
                if self.sizes[k] > self.budget {
                    self.over.get_or_insert(value.span());
                    return;
                }
                self.budget -= self.sizes[k];
                let span = value.span();
                *value = toml::Spanned::new(span, self.values[k].clone());
            }
            _ => {}
        }
    }
}

/// `[thresholds]`: metric = condition, in the file's order.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Thresholds(pub Named<String>);

impl JsonSchema for Thresholds {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Thresholds".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let name = "[A-Za-z_][A-Za-z0-9_-]*";
        let fields = |fields: &[(&str, crate::threshold::Unit)]| {
            fields.iter().map(|(f, _)| f.replace('.', "\\.")).collect::<Vec<_>>().join("|")
        };
        let pattern = format!(
            "^(every-seed\\.)?(run\\.({})|queue\\.{name}\\.({})|semaphore\\.{name}\\.({})|task\\.{name}\\.({})|counter\\.{name}\\.({})|container\\.{name}\\.({}))$",
            fields(crate::threshold::RUN_FIELDS),
            fields(crate::threshold::QUEUE_FIELDS),
            fields(crate::threshold::SEMAPHORE_FIELDS),
            fields(crate::threshold::TASK_FIELDS),
            fields(crate::threshold::COUNTER_FIELDS),
            fields(crate::threshold::CONTAINER_FIELDS),
        );
        json_schema!({
            "type": "object",
            "propertyNames": { "pattern": pattern },
            "additionalProperties": {
                "description": "A comparison and a bound: \"< 2s\" for a time, \"== 0\" for a count.",
                "type": "string",
                "pattern": "^\\s*(<=|>=|==|!=|<|>)\\s*\\S",
            },
        })
    }
}

/// How `scenario test` tests a file, declared as `[test]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TestSettings {
    /// The seeds to run with, one snapshot each (`NAME.seed-N.snap`). Default: the file's seed,
    /// one snapshot (`NAME.snap`).
    pub seeds: Option<Spanned<Vec<u64>>>,
    /// The transcript snapshotted: `"text"` (the timeline, default), `"plain"` or `"jsonl"`.
    pub format: Option<Spanned<String>>,
}

/// The keys of the top-level table. A test checks this list against [`Scenario`]'s fields (the
/// schema's properties); `parse` uses it to set unknown keys aside in one pass, and `compile` to
/// tell a misplaced key from a misspelt one.
pub const TOP_LEVEL_KEYS: [&str; 26] = [
    "thread-pool",
    "warm-up",
    "description",
    "params",
    "include",
    "include-outside",
    "seed",
    "time-limit",
    "max-events",
    "max-tasks",
    "max-events-per-instant",
    "max-output",
    "queues",
    "semaphores",
    "events",
    "barriers",
    "rate-limits",
    "counters",
    "containers",
    "arrivals",
    "distributions",
    "tasks",
    "main",
    "after",
    "test",
    "thresholds",
];

/// A queue, declared as `[queues.NAME]`: first in, first out; unbounded unless it has a capacity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Queue {
    /// The most items the queue holds; a put waits while it is full. 0 makes a rendezvous: a
    /// put goes through only to a task waiting to get. Default: unbounded.
    pub capacity: Option<Spanned<i64>>,
    /// Who gets an item that a put wakes a waiting getter for: `"asyncio"` (default; whoever
    /// asks first, as `asyncio.Queue` does) or `"strict"` (the woken getter: it is reserved
    /// for it, and waiting putters are served in order).
    pub fairness: Option<Spanned<String>>,
    /// Which item a get takes: `"fifo"` (default; the oldest, `asyncio.Queue`), `"lifo"` (the
    /// newest, `asyncio.LifoQueue`) or `"priority"` (the lowest `priority`, the oldest of equal
    /// ones; `asyncio.PriorityQueue`).
    pub discipline: Option<Spanned<String>>,
}

/// A semaphore, declared as `[semaphores.NAME]`: at most `permits` tasks hold it at once.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Semaphore {
    /// How many permits it starts with: how many tasks may hold it at once. A lock is a semaphore
    /// with one permit; with 0, tasks wait until another task `release`s one (a signal).
    pub permits: Spanned<i64>,
    /// Who gets a permit that comes back: `"fifo"` (default; the task that asked first) or
    /// `"priority"` (the lowest `priority` of an `acquire` or `hold`, and the first to ask of
    /// equal ones; SimPy's `PriorityResource`).
    pub discipline: Option<Spanned<String>>,
    /// Like `asyncio.BoundedSemaphore`: a release when every permit is free fails the task.
    /// Default false: as with `asyncio.Semaphore`, every release adds a permit. Either way any
    /// task may release, and permits acquired and not released stay taken when a task ends.
    pub bounded: Option<Spanned<bool>>,
    /// With `discipline = "priority"` (SimPy's `PreemptiveResource`): an `acquire` or `hold` of
    /// a lower priority than a holder's takes its permit at once, and the holder is interrupted
    /// (`on-interrupt` handles it). Default false.
    pub preemptive: Option<Spanned<bool>>,
}

/// An event, declared as `[events.NAME]`: a flag tasks set, clear and wait for.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EventDecl {
    /// Whether the event starts set. Default false.
    pub set: Option<bool>,
}

/// A barrier, declared as `[barriers.NAME]`: tasks wait there until `parties` have arrived.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Barrier {
    /// How many tasks must arrive before all of them go on.
    pub parties: Spanned<i64>,
}

/// A rate limit, declared as `[rate-limits.NAME]`: a token bucket that starts full.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateLimit {
    /// How many tokens are added per `per`.
    pub rate: Spanned<i64>,
    /// The period of `rate`. Default `"1s"`.
    pub per: Option<Spanned<String>>,
    /// How many tokens the bucket holds; it starts full. Default 1.
    pub burst: Option<Spanned<i64>>,
}

/// A counter, declared as `[counters.NAME]`: a whole number that `add` steps change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Counter {
    /// Its value when the run starts. Default 0.
    pub initial: Option<Spanned<i64>>,
}

/// A container, declared as `[containers.NAME]` (SimPy's `Container`): a level between 0 and
/// a capacity. `take` waits until the level holds the amount, `fill` until the amount fits;
/// each serves its line first come, first served.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Container {
    /// The most it holds. Default: no limit.
    pub capacity: Option<Spanned<i64>>,
    /// Its level when the run starts. Default 0.
    pub initial: Option<Spanned<i64>>,
}

/// An arrivals source, declared as `[arrivals.NAME]`: a task that, at every arrival, whatever
/// the rest of the system does, puts an item on a queue (`put`) or starts a fresh instance of a
/// task (`start`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Arrivals {
    /// The time between two arrivals: `{ exponential = "1s" }` for Poisson arrivals. Either
    /// this or `rate`.
    pub every: Option<Spanned<DurationSpec>>,
    /// Arrivals per `per` (default a second) at the start; with `stages`, the load then changes
    /// stage by stage. Either this or `every`.
    pub rate: Option<Spanned<f64>>,
    /// The period of `rate` and of the stages' targets. Default `"1s"`.
    pub per: Option<Spanned<String>>,
    /// How the rate changes: each stage goes in a straight line from the rate before it to its
    /// `target` over its `duration` (`target` equal to the rate before: a plateau; a stage of
    /// `duration = "0s"`: a step). The source ends after the last stage. Default: `rate` for
    /// ever.
    pub stages: Option<Spanned<Vec<Spanned<Stage>>>>,
    /// With `rate`: `"poisson"` (default; arrivals at random, at the rate of the moment) or
    /// `"regular"` (evenly spaced by the rate of the moment).
    pub process: Option<Spanned<String>>,
    /// The queue each arrival is put on. Either this or `start`.
    pub put: Option<Spanned<String>>,
    /// A task to start once per arrival, as a server starts a task per request (SimPy's
    /// `env.process(customer(...))`): each instance is labelled `NAME#N` (`N` counts arrivals
    /// from 0, and is its `{i}`), draws from a random stream of its own, and is freed when it
    /// ends. The task must have no `count`. Either this or `put`.
    pub start: Option<Spanned<String>>,
    /// The item put, a template; `{n}` counts arrivals from 0. Default `"{n}"`.
    pub item: Option<Spanned<String>>,
    /// How many arrivals there are. Default: no end (until cancelled).
    pub total: Option<Spanned<i64>>,
    /// How many arrive at once when the source starts, before the first gap (SimPy's examples
    /// start with a few customers there already); numbered first, and counted in `total`.
    /// Default 0.
    pub initial: Option<Spanned<i64>>,
    /// What an arrival does when the queue is full: `"wait"` (default; it waits for room on its
    /// own, while the source keeps its schedule) or `"drop"` (it is lost, and counted).
    pub on_full: Option<Spanned<String>>,
    /// With `put` on a `priority` queue: each item's priority, lowest served first. Default 0.
    pub priority: Option<Spanned<i64>>,
}

/// A stage of an arrivals source's load: the rate goes to `target` over `duration`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Stage {
    /// The rate at the end of the stage, in arrivals per `per`.
    pub target: Spanned<f64>,
    /// How long the stage lasts: `"30s"`.
    pub duration: Spanned<String>,
}

/// A task, declared as `[tasks.NAME]`: `count` replicas, each running `steps` when started.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Task {
    /// How many replicas a start creates: `count = 10` gives `NAME[0]` to `NAME[9]`. Default 1.
    pub count: Option<Spanned<i64>>,
    /// What each replica does, in order.
    pub steps: Spanned<Vec<Spanned<Step>>>,
}

/// The entry point, `[main]`: what the program does, like `asyncio.run(main())`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Main {
    /// What `main` does, in order. When `main` ends, tasks still running are cancelled.
    pub steps: Spanned<Vec<Spanned<Step>>>,
}

/// Declares every key a step may have, once. From this one list come the [`Step`] struct that
/// serde reads (and schemars describes), [`StepKind`] (which `compile` matches exhaustively, so a
/// new kind cannot be forgotten there), and [`STEP_KEYS`] (which `compile`, the schema and the
/// parser's block handling read).
///
/// Kind keys say what a step does, and a step has exactly one; each names its [`StepKind`]
/// variant. Modifier keys list the kinds they go with. A kind key may also modify other kinds
/// (`say` alone is the kind, beside `sleep`, `put` or `get` a modifier of theirs).
macro_rules! step_keys {
    (
        kinds {
            $( $(#[doc = $kdoc:literal])* $kind:ident $kkey:literal $kfield:ident : $kty:ty
               $(, modifies [$($kmod:literal),*])? ; )*
        }
        modifiers {
            $( $(#[doc = $mdoc:literal])* $mkey:literal $mfield:ident : $mty:ty, with [$($with:literal),*] ; )*
        }
    ) => {
        /// One step. Exactly one of the *kind* keys must be present (`say` counts as the kind only
        /// when no other kind key is); the other keys modify it. `compile` enforces which go together.
        #[derive(Debug, Default, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Step {
            $( $(#[doc = $kdoc])* #[serde(rename = $kkey)] pub $kfield: Option<Spanned<$kty>>, )*
            $( $(#[doc = $mdoc])* #[serde(rename = $mkey)] pub $mfield: Option<Spanned<$mty>>, )*
        }

        /// What a step does: one variant per kind key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum StepKind {
            $( $kind, )*
        }

        /// Every key a step may have: the kinds first, then the modifiers.
        pub const STEP_KEYS: &[StepKey] = &[
            $( StepKey {
                name: $kkey,
                kind: Some(StepKind::$kind),
                modifies: &[$($($kmod),*)?],
                block: <$kty as StepValue>::BLOCK,
            }, )*
            $( StepKey { name: $mkey, kind: None, modifies: &[$($with),*], block: <$mty as StepValue>::BLOCK }, )*
        ];

        impl Step {
            /// The keys present in this step, with their spans, in the order of [`STEP_KEYS`].
            pub fn keys(&self) -> Vec<(&'static StepKey, Range<usize>)> {
                let spans = [
                    $( self.$kfield.as_ref().map(|v| v.span()), )*
                    $( self.$mfield.as_ref().map(|v| v.span()), )*
                ];
                STEP_KEYS.iter().zip(spans).filter_map(|(k, span)| span.map(|s| (k, s))).collect()
            }

            /// The nested block of steps under `key`, if the step has one there.
            pub fn block_mut(&mut self, key: &str) -> Option<&mut Spanned<Block>> {
                $( if key == $kkey { return <$kty as StepValue>::block(&mut self.$kfield); } )*
                $( if key == $mkey { return <$mty as StepValue>::block(&mut self.$mfield); } )*
                None
            }
        }
    };
}

step_keys! {
    kinds {
        /// A message to print. On `sleep`, `put` and `get` it is printed as part of that step.
        Say "say" say: String, modifies ["sleep", "put", "get", "take", "fill", "call", "reply"];
        /// Sleep for a duration or a draw from a distribution.
        Sleep "sleep" sleep: DurationSpec;
        /// Put an item on a queue.
        Put "put" put: String;
        /// Take the next item from a queue, waiting while it is empty.
        Get "get" get: String;
        /// Mark one item of a queue done (asyncio's `task_done`).
        Done "done" done: String;
        /// Wait until every item put on a queue has been marked done.
        Join "join" join: String;
        /// Repeat `steps`: a count, an expression such as `"i + 1"`, a draw, or `"forever"`.
        Repeat "repeat" repeat: Count;
        /// Start every replica of these tasks and go on.
        Start "start" start: Names;
        /// Wait until every started replica of these tasks has ended.
        Wait "wait" wait: Names;
        /// Start these tasks and wait for them (asyncio's `gather`).
        Gather "gather" gather: Names;
        /// Cancel every running replica of these tasks and wait until they have ended.
        Cancel "cancel" cancel: Names;
        /// Start these tasks; the first to complete wins and the others are cancelled.
        Race "race" race: Names;
        /// Run `steps` with a deadline; when it passes, run `on-timeout` instead of the rest.
        Timeout "timeout" timeout: DurationSpec;
        /// Run a block; `on-error` runs if it fails, `finally` always.
        Try "try" try_: Block;
        /// Take a permit of a semaphore, waiting while none is free.
        Acquire "acquire" acquire: String;
        /// Give back a permit of a semaphore.
        Release "release" release: String;
        /// Hold a permit of a semaphore while `steps` run.
        Hold "hold" hold: String;
        /// Set an event: every task waiting for it goes on.
        Set "set" set: String;
        /// Clear an event.
        Clear "clear" clear: String;
        /// Wait until an event is set.
        WaitEvent "wait-event" wait_event: String;
        /// Wait at a barrier until all its parties have arrived.
        Barrier "barrier" barrier: String;
        /// Take a token from a rate limit, waiting until one is there.
        Throttle "throttle" throttle: String;
        /// Work that keeps the event loop busy: no other task runs meanwhile.
        Busy "busy" busy: DurationSpec;
        /// Blocking work handed to a thread (asyncio's `to_thread`): other tasks go on.
        ToThread "to-thread" to_thread: DurationSpec;
        /// Fail with this message.
        Fail "fail" fail: String;
        /// Run `steps`, and run them again up to this many times while they fail.
        Retry "retry" retry: i64;
        /// Run one of several blocks, chosen by chance: `[{ weight = 9, steps = [...] }, { weight
        /// = 1, steps = [...] }]` takes the second one time in ten.
        Choose "choose" choose: Vec<Spanned<Branch>>;
        /// Add to a counter: 1, or `by`.
        Add "add" add: String;
        /// Set a counter to `value` (a number, an expression or a draw).
        SetCounter "set-counter" set_counter: String;
        /// Wait until a condition on a counter holds: `"counter.done >= 10"`.
        WaitUntil "wait-until" wait_until: String;
        /// Run `steps` if a condition on the run's state holds now, `else` otherwise:
        /// `"queue.line.length >= 10"`, `"semaphore.db.free == 0"`, `"event.ready"`,
        /// `"not event.ready"`, two expressions compared (`"fuel > limit"`, `"waited > 0s"`), or
        /// `"call.abandoned"`.
        When "when" when: String;
        /// Run `steps` until an event is set: if it is set first (or already), the block is left
        /// wherever it waits, as a timeout leaves it, and `on-set` runs (SimPy's `req |
        /// sold_out`: a permit or an event, whichever comes first).
        Until "until" until: String;
        /// Interrupt the running replicas of these tasks (SimPy's `Process.interrupt`): each
        /// sees it where it waits, and `on-interrupt` on a `sleep` or `try` handles it; an
        /// interrupt nothing handles fails the task.
        Interrupt "interrupt" interrupt: Names;
        /// Take an amount from a container, waiting until its level holds it.
        Take "take" take: String;
        /// Put an amount into a container, waiting until it fits; without `amount`, fill it up
        /// to its capacity.
        Fill "fill" fill: String;
        /// Send a request: put an item on a queue and wait for the reply to it (`{item}` is the
        /// reply, `{waited}` the response time). A `timeout` around it gives up; the request
        /// stays in the queue and is still served unless the server checks `call.abandoned`.
        Call "call" call: String;
        /// Reply to the request this task last got from a queue; a reply to a caller that
        /// gave up is counted as late.
        Reply "reply" reply: String;
        /// Give a name of the task's own a whole number, `value`, for expressions (`amount =
        /// "fuel"`, `sleep = "fuel * 500ms"`) and messages (`{fuel}`).
        Let "let" let_: String;
    }
    modifiers {
        /// With `put` and `call`: the item, a template. Default `"{n}"`. With `reply`: the
        /// reply, a template. Default: the request's text.
        "item" item: String, with ["put", "call", "reply"];
        /// With `put` on a `priority` queue, or `acquire` and `hold` on a `priority` semaphore:
        /// the priority, lowest served first: a number, an expression over `i`, or a draw.
        /// Default 0.
        "priority" priority: Count, with ["put", "acquire", "hold"];
        /// With `repeat`, `timeout`, `hold`, `retry` and `when`: the block the step runs.
        "steps" steps: Block, with ["repeat", "timeout", "hold", "retry", "when", "until"];
        /// With `take` and `fill`: how much, a whole number: a number, an expression (over `i`,
        /// `count`, the task's own names, `counter.NAME` and `container.NAME.level`) or a draw.
        "amount" amount: Count, with ["take", "fill"];
        /// With `let`: the value, as `amount` is given.
        "value" value: Count, with ["let", "set-counter"];
        /// With `interrupt`: only the replica with this index (an expression over `i`, the
        /// interrupting replica's own index, for pairs of tasks). Default: every running one.
        "replica" replica: Count, with ["interrupt"];
        /// With `sleep`: steps run when the task is interrupted while it sleeps, after which it
        /// sleeps the time that was left (a machine repaired mid-part finishes the part). With
        /// `try`: steps run when the block is interrupted, after which the task goes on after
        /// the `try`. Interrupts that come while these steps run are ignored.
        "on-interrupt" on_interrupt: Block, with ["sleep", "try"];
        /// With `put`: the item reaches the queue this long after it is put, and the task goes
        /// on at once (a message on a cable, a packet on a link). Default: no delay.
        "delay" delay: DurationSpec, with ["put"];
        /// With `add`: how much to add; negative takes away. Default 1.
        "by" by: i64, with ["add"];
        /// With `when`: the steps run when the condition does not hold.
        "else" else_: Block, with ["when"];
        /// With `until`: the steps run when the event is set before the block ends.
        "on-set" on_set: Block, with ["until"];
        /// With `timeout`: the steps run when the deadline passes.
        "on-timeout" on_timeout: Block, with ["timeout"];
        /// With `timeout` and `try`: the steps that always run at the end, whatever happened.
        "finally" finally: Block, with ["timeout", "try"];
        /// With `try`: the steps run when the block fails.
        "on-error" on_error: Block, with ["try"];
        /// With `try`: the steps run when the block is cancelled or times out; the cancellation
        /// then goes on (Python's `except CancelledError: ...; raise`).
        "on-cancel" on_cancel: Block, with ["try"];
        /// With `wait`: when the waiting task is cancelled or times out, the tasks it waits for
        /// go on running (asyncio's `shield`). Default false: they are cancelled with it, as an
        /// interrupted `await task` cancels the task.
        "shield" shield: bool, with ["wait"];
        /// With `gather`: `"task-group"` (default; asyncio's `TaskGroup`), `"gather"`
        /// (`asyncio.gather`) or `"return-exceptions"` (`return_exceptions=True`). With `race`:
        /// `"first-success"` (default) or `"first-completed"` (`asyncio.wait` with
        /// `FIRST_COMPLETED`).
        "policy" policy: String, with ["gather", "race"];
        /// With `fail`: the chance of failing, from 0 to 1. Default 1.
        "probability" probability: f64, with ["fail"];
        /// With `retry`: the wait before the first retry; it is multiplied by `backoff-factor`
        /// for each next one.
        "backoff" backoff: DurationSpec, with ["retry"];
        /// With `retry`: what each wait is multiplied by for the next; 1 keeps it constant.
        /// Default 2 (exponential backoff).
        "backoff-factor" backoff_factor: f64, with ["retry"];
        /// With `retry`: wait a uniform draw between zero and the backoff ("full jitter").
        "jitter" jitter: bool, with ["retry"];
    }
}

/// A block of steps, as nested under `steps`, `try`, `on-timeout`, `finally` and `on-error`.
pub type Block = Vec<Spanned<Step>>;

/// One branch of a `choose`: its weight (relative to the others') and what it runs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Branch {
    /// How likely the branch is, relative to the other branches' weights: a number above 0.
    pub weight: Spanned<f64>,
    /// The steps of the branch.
    pub steps: Spanned<Block>,
}

/// A key a step may have, as [`STEP_KEYS`] lists it.
#[derive(Debug)]
pub struct StepKey {
    pub name: &'static str,
    /// The kind of step this key makes, if it is a kind key.
    pub kind: Option<StepKind>,
    /// The kinds this key may modify besides its own.
    pub modifies: &'static [&'static str],
    /// Whether the key holds a nested block of steps.
    pub block: bool,
}

impl StepKey {
    /// Whether this key may stand in a step of `kind` (named by its key).
    pub fn goes_with(&self, kind: &str) -> bool {
        self.name == kind || self.modifies.contains(&kind)
    }
}

/// The kind keys, in the order [`STEP_KEYS`] lists them.
pub fn step_kinds() -> impl Iterator<Item = &'static StepKey> {
    STEP_KEYS.iter().filter(|k| k.kind.is_some())
}

/// What a step key's value may be; says which values are nested blocks of steps.
trait StepValue: Sized {
    const BLOCK: bool = false;
    fn block(_: &mut Option<Spanned<Self>>) -> Option<&mut Spanned<Block>> {
        None
    }
}

impl StepValue for Block {
    const BLOCK: bool = true;
    fn block(value: &mut Option<Spanned<Self>>) -> Option<&mut Spanned<Block>> {
        value.as_mut()
    }
}

impl StepValue for String {}
impl StepValue for DurationSpec {}
impl StepValue for Count {}
impl StepValue for Names {}
impl StepValue for i64 {}
impl StepValue for f64 {}
impl StepValue for bool {}
impl StepValue for Vec<Spanned<Branch>> {}

/// Entries of a table of named things, in the order the file declares them.
#[derive(Debug)]
pub struct Named<T>(pub Vec<(Spanned<String>, Spanned<T>)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for NamedVisitor<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of named entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Named(entries))
            }
        }
        deserializer.deserialize_map(NamedVisitor(std::marker::PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Named<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Named_{}", T::schema_name()).into()
    }
    fn schema_id() -> Cow<'static, str> {
        format!("{}::Named<{}>", module_path!(), T::schema_id()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$" },
            "additionalProperties": generator.subschema_for::<T>(),
        })
    }
}

/// A duration: a humantime string (`"1s"`), the name of a declared distribution, or a
/// distribution table (`{ uniform = ["1s", "5s"] }`).
#[derive(Debug)]
pub enum DurationSpec {
    Text(String),
    Table(Box<DistTable>),
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl<'de> Visitor<'de> for DurationVisitor {
            type Value = DurationSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration with a unit such as \"1s\", the name of a distribution, \
                     or a table such as { uniform = [\"1s\", \"5s\"] }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DurationSpec::Text(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let table = DistTable::deserialize(MapAccessDeserializer::new(map))?;
                Ok(DurationSpec::Table(Box::new(table)))
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

impl JsonSchema for DurationSpec {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration with a unit (\"1s\", \"250ms\", \"1h 30m\"), the name of a distribution \
                declared under [distributions], or a distribution table such as { uniform = [\"1s\", \"5s\"] }.",
            "anyOf": [
                { "type": "string", "description": "A duration such as \"1s\", or the name of a distribution." },
                generator.subschema_for::<DistTable>(),
            ],
        })
    }
}

/// A repeat count: a whole number, an expression over `i` and `count` (`"i + 1"`),
/// `"forever"`, or a table drawing a whole number (`{ uniform = [1, 5] }`).
#[derive(Debug)]
pub enum Count {
    Fixed(i64),
    Text(String),
    Table(Box<DistTable>),
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a whole number, an expression such as \"i + 1\", \"forever\", \
                     or a table such as { uniform = [1, 5] }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Count::Fixed(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Count::Fixed(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Count::Text(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let table = DistTable::deserialize(MapAccessDeserializer::new(map))?;
                Ok(Count::Table(Box::new(table)))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

impl JsonSchema for Count {
    fn schema_name() -> Cow<'static, str> {
        "Count".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "How many times: a whole number, \"forever\", an expression over `i` and `count` \
                such as \"i + 1\", or a draw such as { uniform = [1, 5] }.",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "description": "\"forever\", or an expression such as \"i + 1\"." },
                generator.subschema_for::<DistTable>(),
            ],
        })
    }
}

/// A distribution, written as a table with exactly one kind key and that kind's parameters.
/// Values are durations (`"1s"`) where a duration is drawn and whole numbers where a count is.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DistTable {
    /// Always this value.
    pub constant: Option<Spanned<Scalar>>,
    /// `[low, high]`: continuous and uniform on [low, high), or with `step` whole multiples
    /// of `step` from low to high inclusive (Python's `randint`).
    pub uniform: Option<Spanned<Vec<Spanned<Scalar>>>>,
    /// With `uniform`: the grid the draws fall on.
    pub step: Option<Spanned<Scalar>>,
    /// Exponential with this mean.
    pub exponential: Option<Spanned<Scalar>>,
    /// Normal with this mean, truncated at zero (negative draws are drawn again).
    pub normal: Option<Spanned<Scalar>>,
    /// With `normal`: the standard deviation.
    pub std_dev: Option<Spanned<Scalar>>,
    /// Log-normal with this median.
    pub log_normal: Option<Spanned<Scalar>>,
    /// With `log-normal`: the standard deviation of the underlying normal.
    pub sigma: Option<Spanned<f64>>,
    /// One of these values.
    pub choice: Option<Spanned<Vec<Spanned<Scalar>>>>,
    /// With `choice`: relative weights, one per value. Default: all equal.
    pub weights: Option<Spanned<Vec<Spanned<f64>>>>,
    /// These values in order, starting again from the first after the last.
    pub sequence: Option<Spanned<Vec<Spanned<Scalar>>>>,
}

/// A single value inside a distribution table.
#[derive(Debug, Clone)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"1s\" or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

impl JsonSchema for Scalar {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration such as \"1s\" where a duration is drawn, a whole number where a count is.",
            "type": ["string", "number"],
        })
    }
}

/// One task name or a list of them.
#[derive(Debug)]
pub struct Names(pub Vec<String>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamesVisitor;
        impl<'de> Visitor<'de> for NamesVisitor {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a task name or a list of task names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Names(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(Names(names))
            }
        }
        deserializer.deserialize_any(NamesVisitor)
    }
}

/// A problem found while reading a file: a byte range and a message.
pub type Problem = (Range<usize>, String);

/// The tables whose entries are read one by one, so that a mistake in one entry does not hide
/// mistakes in the others.
const NAMED_TABLES: [&str; 10] = [
    "queues",
    "semaphores",
    "events",
    "barriers",
    "rate-limits",
    "counters",
    "containers",
    "arrivals",
    "distributions",
    "tasks",
];

impl JsonSchema for Names {
    fn schema_name() -> Cow<'static, str> {
        "TaskNames".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A task name, or a list of task names.",
            "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }],
        })
    }
}

/// What [`parse`] makes of a file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Everything that parsed; `None` only when the file is not valid TOML.
    pub scenario: Option<Scenario>,
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
    /// Names of declarations that had problems and were left out of `scenario`: references to
    /// them are not reported again as unknown names.
    pub broken: Vec<String>,
}

/// Parses a scenario file, reporting every problem it can find rather than the first.
///
/// Syntax errors come first and alone: a file that is not valid TOML is reported as such,
/// with every syntax error, since checking the shape of a half-parsed tree only adds noise.
/// Otherwise each entry of the named tables (`[tasks.NAME]`, `[queues.NAME]`, …), `[main]`, and
/// each step at any depth is deserialized on its own, so one bad step does not hide the next;
/// a top-level key with a problem is left out and the rest read again. What did parse is
/// returned too, so that `compile` can report the problems of meaning alongside.
pub fn parse(source: &str) -> Parsed {
    let (document, syntax) = DeTable::parse_recoverable(source);
    if !syntax.is_empty() {
        // One mistake can make the parser stumble more than once at the same place; keep the first.
        let mut problems: Vec<Problem> = syntax.into_iter().map(problem).collect();
        problems.dedup_by(|later, first| later.0 == first.0);
        return Parsed { problems, ..Parsed::default() };
    }
    let mut errors = Vec::new();
    let mut broken = Vec::new();
    let span = document.span();
    let mut root = document.into_inner();
    let params = substitute_params(&mut root);

    let named: Vec<(&str, Option<DeTable<'_>>)> = NAMED_TABLES.iter().map(|&k| (k, take_table(&mut root, k))).collect();
    let mut entry_point = |key: &str| {
        root.remove(key).map(|mut value| {
            let steps = match value.get_mut() {
                DeValue::Table(t) => take_array(t, "steps"),
                _ => None,
            };
            (value, steps)
        })
    };
    let main = entry_point("main");
    let after = entry_point("after");

    // Unknown top-level keys are set aside first, each with serde's own error (which lists the
    // keys expected): reading the rest again after each of them would take time in the square of
    // their number.
    let mut unknown = Vec::new();
    let mut known = DeTable::new();
    for (key, value) in std::mem::replace(&mut root, DeTable::new()) {
        if TOP_LEVEL_KEYS.contains(&key.get_ref().as_ref()) {
            known.insert(key, value);
        } else {
            unknown.push((key, value));
        }
    }
    root = known;
    for (key, value) in unknown {
        let mut alone = DeTable::new();
        alone.insert(key, value);
        if let Err(e) = de::<Scenario>(toml::Spanned::new(span.clone(), DeValue::Table(alone))) {
            errors.push(e);
        }
    }

    // What is left goes through `Scenario` itself. A key that fails (a value of the wrong type)
    // is reported and left out, and the rest is read again.
    let mut scenario = None;
    while scenario.is_none() {
        match de::<Scenario>(toml::Spanned::new(span.clone(), DeValue::Table(root.clone()))) {
            Ok(s) => scenario = Some(s),
            Err(e) => {
                let at = e.span().map_or(usize::MAX, |s| s.start);
                let culprit = root
                    .iter()
                    .find(|(k, v)| k.span().contains(&at) || v.span().contains(&at))
                    .map(|(k, _)| k.get_ref().to_string());
                errors.push(e);
                match culprit {
                    Some(key) => drop(root.remove(key.as_str())),
                    None => break,
                }
            }
        }
    }

    for (key, table) in named {
        let Some(table) = table else { continue };
        let s = scenario.as_mut();
        let b = &mut broken;
        match key {
            "queues" => set(s.map(|s| &mut s.queues), entries(table, &mut errors, b)),
            "semaphores" => set(s.map(|s| &mut s.semaphores), entries(table, &mut errors, b)),
            "events" => set(s.map(|s| &mut s.events), entries(table, &mut errors, b)),
            "barriers" => set(s.map(|s| &mut s.barriers), entries(table, &mut errors, b)),
            "rate-limits" => set(s.map(|s| &mut s.rate_limits), entries(table, &mut errors, b)),
            "counters" => set(s.map(|s| &mut s.counters), entries(table, &mut errors, b)),
            "containers" => set(s.map(|s| &mut s.containers), entries(table, &mut errors, b)),
            "arrivals" => set(s.map(|s| &mut s.arrivals), entries(table, &mut errors, b)),
            "distributions" => set(s.map(|s| &mut s.distributions), entries(table, &mut errors, b)),
            _ => set(s.map(|s| &mut s.tasks), tasks(table, &mut errors, b)),
        }
    }
    for (key, entry) in [("main", main), ("after", after)] {
        let Some((value, steps)) = entry else { continue };
        let mut parsed = de::<Spanned<Main>>(value).map_err(|e| errors.push(e)).ok();
        if parsed.is_none() {
            broken.push(key.to_owned());
        }
        block(steps, parsed.as_mut().map(|m| &mut m.get_mut().steps), &mut errors);
        if let Some(s) = scenario.as_mut() {
            if key == "main" { s.main = parsed } else { s.after = parsed }
        }
    }

    if let Some(s) = scenario.as_mut() {
        s.params = params;
    }
    let mut problems: Vec<Problem> = errors.into_iter().map(problem).collect();
    problems.sort_by_key(|(span, _)| (span.start, span.end));
    problems.dedup();
    Parsed { scenario, problems, broken }
}

fn problem(e: toml::de::Error) -> Problem {
    (e.span().unwrap_or(0..0), e.message().trim_end().to_owned())
}

/// Deserializes one subtree. Spans stay absolute: every node of the tree carries its own.
fn de<'i, T: Deserialize<'i>>(value: toml::Spanned<DeValue<'i>>) -> Result<T, toml::de::Error> {
    T::deserialize(ValueDeserializer::from(value))
}

fn set<T>(target: Option<&mut T>, value: T) {
    if let Some(target) = target {
        *target = value;
    }
}

/// Takes `table[key]` out if it is a table, leaving an empty one with the same span, so that
/// the rest of `table` can be deserialized without it. Anything else is left for serde to reject.
fn take_table<'i>(table: &mut DeTable<'i>, key: &str) -> Option<DeTable<'i>> {
    let slot = table.get_mut(key)?;
    if !slot.get_ref().is_table() {
        return None;
    }
    let span = slot.span();
    match std::mem::replace(slot, toml::Spanned::new(span, DeValue::Table(DeTable::new()))).into_inner() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

/// Like [`take_table`], for an array.
fn take_array<'i>(table: &mut DeTable<'i>, key: &str) -> Option<DeArray<'i>> {
    let slot = table.get_mut(key)?;
    if !slot.get_ref().is_array() {
        return None;
    }
    let span = slot.span();
    match std::mem::replace(slot, toml::Spanned::new(span, DeValue::Array(DeArray::new()))).into_inner() {
        DeValue::Array(a) => Some(a),
        _ => None,
    }
}

fn name(key: toml::Spanned<toml::de::DeString<'_>>) -> Spanned<String> {
    Spanned::new(key.span(), key.into_inner().into_owned())
}

/// The entries of a named table, each deserialized on its own.
fn entries<'i, T: Deserialize<'i>>(
    table: DeTable<'i>,
    errors: &mut Vec<toml::de::Error>,
    broken: &mut Vec<String>,
) -> Named<T> {
    let mut out = Vec::new();
    for (key, value) in table {
        match de::<Spanned<T>>(value) {
            Ok(v) => out.push((name(key), v)),
            Err(e) => {
                errors.push(e);
                broken.push(key.get_ref().to_string());
            }
        }
    }
    Named(out)
}

/// `[tasks.NAME]` entries: each task, then each of its steps, on its own.
fn tasks<'i>(table: DeTable<'i>, errors: &mut Vec<toml::de::Error>, broken: &mut Vec<String>) -> Named<Task> {
    let mut out = Vec::new();
    for (key, mut value) in table {
        let steps = match value.get_mut() {
            DeValue::Table(t) => take_array(t, "steps"),
            _ => None,
        };
        let mut task = de::<Spanned<Task>>(value).map_err(|e| errors.push(e)).ok();
        block(steps, task.as_mut().map(|t| &mut t.get_mut().steps), errors);
        match task {
            Some(task) => out.push((name(key), task)),
            None => broken.push(key.get_ref().to_string()),
        }
    }
    Named(out)
}

/// Deserializes each step of a block on its own and puts them in `slot` (when the block's owner
/// parsed). Nested blocks are checked even when their step has an error of its own.
fn block<'i>(
    items: Option<DeArray<'i>>,
    slot: Option<&mut Spanned<Vec<Spanned<Step>>>>,
    errors: &mut Vec<toml::de::Error>,
) {
    let Some(items) = items else { return };
    let steps: Vec<Spanned<Step>> = items.into_iter().filter_map(|item| step(item, errors)).collect();
    if let Some(slot) = slot {
        slot.get_mut().extend(steps);
    }
}

fn step<'i>(mut item: toml::Spanned<DeValue<'i>>, errors: &mut Vec<toml::de::Error>) -> Option<Spanned<Step>> {
    let mut nested: Vec<(&str, Option<DeArray<'i>>)> = Vec::new();
    if let DeValue::Table(t) = item.get_mut() {
        nested = STEP_KEYS.iter().filter(|k| k.block).map(|k| (k.name, take_array(t, k.name))).collect();
    }
    let mut parsed = de::<Spanned<Step>>(item).map_err(|e| errors.push(e)).ok();
    for (key, items) in nested {
        let slot = parsed.as_mut().and_then(|s| s.get_mut().block_mut(key));
        block(items, slot, errors);
    }
    parsed
}
