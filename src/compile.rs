//! Compile: check a parsed scenario and lower it to a [`Plan`].
//!
//! Reports every problem it finds, not just the first: each check that fails adds a
//! [`Diagnostic`] and compilation goes on with a placeholder, so one run of `scenario check`
//! shows the whole list. A plan is returned only when there are no errors.

use std::collections::HashMap;
use std::ops::Range;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Namespace, did_you_mean};
use crate::dist::{Dist, MAX_VALUE};
use crate::event::WarmUp;
use crate::format::{self, DistTable, DurationSpec, Scalar, Spanned, StepKey, StepKind};
use crate::lint::{Declarations, lint};
pub use crate::plan::Plan;
use crate::plan::{
    BarrierPlan, Compare, Condition, ContainerPlan, Count, Discipline, EventPlan, Expr, Fairness, GatherPolicy, Limits,
    QueuePlan, RacePolicy, RateLimitPlan, Schedule, SemaphorePlan, Step, Subject, TaskPlan,
};
use crate::template::{Source, Template};
use crate::threshold::Threshold;

/// The most replicas one task may have.
pub const MAX_REPLICAS: i64 = 1_000_000;
/// The largest queue capacity.
pub const MAX_CAPACITY: i64 = 1 << 32;
/// The largest scenario file read, in bytes.
pub const MAX_SOURCE_BYTES: usize = 4 << 20;

/// Compiles what parsed of a file. `broken` names declarations left out because of problems
/// already reported: references to them are not reported again. `partial` says the file had
/// such problems, so no plan is returned, and nothing is said about what may be missing.
fn compile_parts<'a>(
    scenario: &'a format::Scenario,
    source: &'a str,
    broken: &'a [String],
    partial: bool,
) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut c = Compiler {
        source,
        broken,
        partial,
        diagnostics: Vec::new(),
        dists: Vec::new(),
        dist_specs: Vec::new(),
        dist_state: Vec::new(),
        sequence_slots: 0,
        queue_disciplines: Vec::new(),
        semaphore_priority: Vec::new(),
        locals: Vec::new(),
        capacities: Vec::new(),
        params: scenario
            .params
            .list
            .iter()
            .map(|p| (p.name.get_ref().clone(), p.whole, std::cell::Cell::new(p.substituted)))
            .collect(),
        decls: Declarations { has_main: scenario.main.is_some(), ..Declarations::default() },
    };
    for (span, message) in &scenario.params.problems {
        c.error(DiagnosticKind::InvalidName, span.clone(), message.clone());
    }
    if let Some((span, message)) = &scenario.params.too_large {
        c.error(DiagnosticKind::TooLarge, span.clone(), message.clone());
    }
    let plan = c.scenario(scenario);
    let unused = scenario.params.list.iter().zip(&c.params).filter(|(_, (_, _, used))| !partial && !used.get());
    for (p, _) in unused {
        c.diagnostics.push(
            Diagnostic::warning(
                DiagnosticKind::Unused,
                p.name.span(),
                format!("parameter `{}` is never used", p.name.get_ref()),
            )
            .with_help(format!("use it as a value, `\"{}\"`, or remove it", p.name.get_ref())),
        );
    }
    let ok = !partial && !c.diagnostics.iter().any(|d| d.severity == crate::diagnostic::Severity::Error);
    if let Some(plan) = plan.as_ref().filter(|_| ok) {
        c.diagnostics.extend(lint(plan, &c.decls));
    }
    c.diagnostics.sort_by_key(|d| (d.severity, d.span.start));
    (plan.filter(|_| ok), c.diagnostics)
}

/// Parses and compiles a scenario file's text.
pub fn load(source: &str) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(vec![too_large(source.len() as u64)]);
    }
    let parsed = format::parse(source);
    let params: Vec<&str> =
        parsed.scenario.iter().flat_map(|s| &s.params.list).map(|p| p.name.get_ref().as_str()).collect();
    let mut diagnostics: Vec<Diagnostic> = parsed
        .problems
        .iter()
        .map(|(span, message)| {
            let d = parse_error(source, span.clone(), message.clone());
            // A misspelt parameter stays a string where a number was expected.
            let string = message.strip_prefix("invalid type: string \"").and_then(|m| m.split_once('"')).map(|m| m.0);
            match string.and_then(|s| did_you_mean(s, params.iter().copied())) {
                Some(p) if d.help.is_none() => d.with_help(format!("did you mean the parameter `{p}`?")),
                _ => d,
            }
        })
        .collect();
    let Some(scenario) = parsed.scenario else { return Err(diagnostics) };
    let partial = !diagnostics.is_empty();
    let (plan, more) = compile_parts(&scenario, source, &parsed.broken, partial);
    diagnostics.extend(more);
    diagnostics.sort_by_key(|d| (d.severity, d.span.start, d.span.end));
    match plan {
        Some(plan) => Ok((plan, diagnostics)),
        None => Err(diagnostics),
    }
}

/// The diagnostic for a file over [`MAX_SOURCE_BYTES`].
pub fn too_large(bytes: u64) -> Diagnostic {
    Diagnostic::error(
        DiagnosticKind::TooLarge,
        0..0,
        if bytes > MAX_SOURCE_BYTES as u64 + 1 {
            format!("the file has {bytes} bytes; scenario files are limited to {MAX_SOURCE_BYTES} bytes")
        } else {
            // Reading stops one byte past the limit: a stream's length is not known.
            format!("the file has more than {MAX_SOURCE_BYTES} bytes, the most a scenario file may have")
        },
    )
}

fn parse_error(source: &str, span: Range<usize>, message: String) -> Diagnostic {
    if message.starts_with("cannot recurse further") {
        return Diagnostic::error(DiagnosticKind::TooDeep, span, "tables and arrays are nested too deeply here")
            .with_help("a scenario nests blocks of steps a few levels deep, not hundreds");
    }
    if message == "duplicate key" {
        let key = source.get(span.clone()).unwrap_or_default().trim_matches('"');
        let d = Diagnostic::error(DiagnosticKind::Duplicate, span.clone(), format!("`{key}` is declared twice"));
        return match first_declaration(source, span) {
            Some(first) => d.with_label(first, "first declared here"),
            None => d,
        };
    }
    // serde names Rust types; say what the file should contain instead.
    let message = message
        .replace("expected i64", "expected a whole number")
        .replace("expected u64", "expected a whole number from 0 up")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table");
    // toml lists every expected key after an unknown one; suggest the closest instead.
    if let Some((head, expected)) = message.split_once(", expected ") {
        if let Some(unknown) = head.strip_prefix("unknown field `").and_then(|r| r.strip_suffix('`')) {
            let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let top_level = format::TOP_LEVEL_KEYS.contains(&unknown);
            let help = match did_you_mean(unknown, keys.iter().copied()) {
                Some(k) => format!("did you mean `{k}`?"),
                None if top_level && !keys.contains(&"description") => format!(
                    "`{unknown}` belongs at the top of the file: in TOML, every key after a `[table]` header \
                     belongs to that table, so move it above the first header"
                ),
                None => format!("expected {expected}"),
            };
            return Diagnostic::error(DiagnosticKind::UnknownKey, span, format!("unknown key `{unknown}`"))
                .with_help(help);
        }
    }
    let kind = if message.starts_with("missing field") {
        DiagnosticKind::MissingKey
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
    {
        DiagnosticKind::WrongType
    } else {
        DiagnosticKind::Syntax
    };
    Diagnostic::error(kind, span, message)
}

/// Where a key that TOML reports as duplicate at `second` was first declared: the same table
/// header earlier in the file, or the same key earlier in the same table. TOML's parser reports
/// only the second place; this finds the first by reading the text, and gives up (`None`) on
/// anything less plain, such as dotted or quoted keys.
fn first_declaration(source: &str, second: Range<usize>) -> Option<Range<usize>> {
    let key = source.get(second.clone())?;
    let line_start = source[..second.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[second.start..].find('\n').map_or(source.len(), |i| second.start + i);
    let line = &source[line_start..line_end];
    let is_header = |l: &str| l.trim_start().starts_with('[');
    if is_header(line) {
        // `[queues.jobs]` twice: the first identical header line.
        let mut at = 0;
        for l in source[..line_start].split_inclusive('\n') {
            if l.trim() == line.trim() {
                let start = at + (second.start - line_start);
                return Some(start..start + key.len());
            }
            at += l.len();
        }
        return None;
    }
    // `capacity = 1` twice in one table: search back to the table's header, or the line's
    // start for keys of one inline table.
    let table_start = source[..line_start]
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .rev()
        .find(|&i| is_header(&source[i..]))
        .unwrap_or(0);
    let region = &source[table_start..second.start];
    region.rmatch_indices(key).find_map(|(i, _)| {
        let before = region[..i].chars().next_back();
        let after = region[i + key.len()..].trim_start();
        let boundary = before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',');
        (boundary && after.starts_with('=')).then(|| table_start + i..table_start + i + key.len())
    })
}

/// How far a named distribution is built: names may refer to each other in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    NotYet,
    Building,
    Done,
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Duration,
    Count,
}

struct Compiler<'a> {
    source: &'a str,
    /// Declarations that failed to parse: references to them are not errors of their own.
    broken: &'a [String],
    /// Whether the file had problems before compiling: then nothing is said about what is missing.
    partial: bool,
    diagnostics: Vec<Diagnostic>,
    /// What the file declares, and where, for name resolution and for warnings.
    decls: Declarations,
    /// Named distributions; `None` when the definition had an error (already reported).
    dists: Vec<(String, Option<Dist>)>,
    /// Their definitions, in file order, and how far each is built.
    dist_specs: Vec<(String, &'a Spanned<DurationSpec>)>,
    dist_state: Vec<Build>,
    sequence_slots: usize,
    /// Each queue's discipline, and whether each semaphore serves by priority, for checking
    /// `priority`.
    queue_disciplines: Vec<Discipline>,
    semaphore_priority: Vec<bool>,
    /// The names of their own (`let`) of the task being compiled, by slot, as far as the
    /// steps compiled so far give them.
    locals: Vec<String>,
    /// Each container's capacity (`u64::MAX`: none), for checking amounts.
    capacities: Vec<u64>,
    /// `[params]`: each name, its value if a whole number, and whether anything used it.
    params: Vec<(String, Option<i64>, std::cell::Cell<bool>)>,
}

/// The comparisons a condition can make, each written once.
const COMPARISONS: [(&str, Compare); 6] = [
    ("<=", Compare::AtMost),
    (">=", Compare::AtLeast),
    ("==", Compare::Equal),
    ("!=", Compare::NotEqual),
    ("<", Compare::Less),
    (">", Compare::Greater),
];

/// The names declared in each namespace, in declaration order, and where each is declared.
#[derive(Debug, Default)]
pub(crate) struct Names {
    names: [Vec<String>; 9],
    spans: [Vec<Range<usize>>; 9],
    /// For lookups only; never iterated, so its order cannot reach any output.
    index: [HashMap<String, usize>; 9],
}

impl Names {
    /// The names declared in `ns`, in declaration order.
    pub fn of(&self, ns: Namespace) -> &[String] {
        &self.names[ns as usize]
    }

    /// Where each name of `ns` is declared.
    pub fn spans(&self, ns: Namespace) -> &[Range<usize>] {
        &self.spans[ns as usize]
    }

    pub fn find(&self, ns: Namespace, name: &str) -> Option<usize> {
        self.index[ns as usize].get(name).copied()
    }

    fn push(&mut self, ns: Namespace, name: &Spanned<String>) {
        let n = ns as usize;
        self.index[n].entry(name.get_ref().clone()).or_insert(self.names[n].len());
        self.names[n].push(name.get_ref().clone());
        self.spans[n].push(name.span());
    }
}

impl<'a> Compiler<'a> {
    fn error(&mut self, kind: DiagnosticKind, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(kind, span, message));
    }

    fn error_help(
        &mut self,
        kind: DiagnosticKind,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic::error(kind, span, message).with_help(help));
    }

    fn scenario(&mut self, s: &'a format::Scenario) -> Option<Plan> {
        let seed = s.seed.as_ref().map_or(0, |s| *s.get_ref());
        let defaults = Limits::default();
        let max_events =
            s.max_events.as_ref().map_or(defaults.max_events, |m| self.positive(m, "`max-events`", i64::MAX));
        let max_tasks = s.max_tasks.as_ref().map_or(defaults.max_tasks, |m| self.positive(m, "`max-tasks`", i64::MAX));
        let max_events_per_instant = s
            .max_events_per_instant
            .as_ref()
            .map_or(defaults.max_events_per_instant, |m| self.positive(m, "`max-events-per-instant`", i64::MAX));
        let max_output_bytes =
            s.max_output.as_ref().map_or(defaults.max_output_bytes, |m| self.positive(m, "`max-output`", i64::MAX));
        let time_limit = match &s.time_limit {
            Some(t) => self.duration_text(t.get_ref(), t.span()).unwrap_or(0),
            None => defaults.time_limit,
        };
        let warm_up = match s.warm_up.as_ref().map(|w| (w.get_ref(), w.span())) {
            None => WarmUp::Time(0),
            Some((Scalar::Str(text), span)) => WarmUp::Time(self.duration_text(text, span).unwrap_or(0)),
            Some((Scalar::Int(n), span)) => match u64::try_from(*n) {
                Ok(n) => WarmUp::Items(n),
                Err(_) => {
                    self.error(DiagnosticKind::OutOfRange, span, "`warm-up` cannot be a negative number of items");
                    WarmUp::Time(0)
                }
            },
            Some((Scalar::Float(_), span)) => {
                self.error_help(
                    DiagnosticKind::WrongType,
                    span,
                    "`warm-up` is a duration or a whole number of items",
                    "write a duration as text, as in `warm-up = \"100s\"`, or a count of items, as in `warm-up = 1000`",
                );
                WarmUp::Time(0)
            }
        };

        let mut queues = Vec::new();
        for (name, queue) in &s.queues.0 {
            self.declare(name, Namespace::Queue);
            let capacity = queue.get_ref().capacity.as_ref().and_then(|cap| match *cap.get_ref() {
                n if n < 0 => {
                    self.error_help(
                        DiagnosticKind::OutOfRange,
                        cap.span(),
                        "a queue's capacity cannot be negative",
                        "leave `capacity` out for an unbounded queue, or write 0 for a rendezvous",
                    );
                    None
                }
                n if n > MAX_CAPACITY => {
                    self.error(
                        DiagnosticKind::OutOfRange,
                        cap.span(),
                        format!("capacity {n} is above the limit of {MAX_CAPACITY}"),
                    );
                    None
                }
                n => Some(n as usize),
            });
            let fairness = self
                .keyword(
                    queue.get_ref().fairness.as_ref(),
                    "fairness",
                    &[("asyncio", Fairness::Asyncio), ("strict", Fairness::Strict)],
                    "use \"asyncio\" (whoever asks first) or \"strict\" (the task woken for it)",
                )
                .unwrap_or(Fairness::Asyncio);
            let discipline = self
                .keyword(
                    queue.get_ref().discipline.as_ref(),
                    "discipline",
                    &[("fifo", Discipline::Fifo), ("lifo", Discipline::Lifo), ("priority", Discipline::Priority)],
                    "use \"fifo\" (the oldest item first), \"lifo\" (the newest) or \"priority\" (the lowest `priority`)",
                )
                .unwrap_or(Discipline::Fifo);
            self.queue_disciplines.push(discipline);
            queues.push(QueuePlan { name: name.get_ref().clone(), capacity, fairness, discipline });
        }

        // A distribution may name another, declared above or below it: declare every name
        // first, then build each, the ones it names first.
        for (name, _) in &s.distributions.0 {
            self.declare(name, Namespace::Distribution);
        }
        self.dist_specs = s.distributions.0.iter().map(|(n, spec)| (n.get_ref().clone(), spec)).collect();
        self.dists = vec![(String::new(), None); self.dist_specs.len()];
        self.dist_state = vec![Build::NotYet; self.dist_specs.len()];
        for k in 0..self.dist_specs.len() {
            self.build_dist(k);
        }

        let mut semaphores = Vec::new();
        for (name, sem) in &s.semaphores.0 {
            self.declare(name, Namespace::Semaphore);
            let sem = sem.get_ref();
            let permits = self.nonnegative(&sem.permits, "a semaphore's `permits`", MAX_CAPACITY);
            let bounded = sem.bounded.as_ref().is_some_and(|b| *b.get_ref());
            let priority = self
                .keyword(
                    sem.discipline.as_ref(),
                    "discipline",
                    &[("fifo", false), ("priority", true)],
                    "use \"fifo\" (the first to ask gets the next permit) or \"priority\" (the lowest `priority`)",
                )
                .unwrap_or(false);
            let preemptive = sem.preemptive.as_ref().is_some_and(|b| *b.get_ref());
            if let Some(p) = sem.preemptive.as_ref().filter(|p| *p.get_ref() && !priority) {
                self.error_help(
                    DiagnosticKind::InvalidValue,
                    p.span(),
                    "a preemptive semaphore serves by priority",
                    "add `discipline = \"priority\"`: a request preempts a holder of a higher `priority`",
                );
            }
            self.semaphore_priority.push(priority);
            semaphores.push(SemaphorePlan { name: name.get_ref().clone(), permits, bounded, priority, preemptive });
        }
        // A bounded thread pool is a semaphore of its own, after the declared ones so that their
        // indices stay as the names resolve. Its name has a space: no file can declare it.
        let thread_pool = s.thread_pool.as_ref().map(|n| {
            let permits = self.positive(n, "`thread-pool`", MAX_CAPACITY);
            self.decls.thread_pool = Some(n.span());
            semaphores.push(SemaphorePlan {
                name: "thread pool".into(),
                permits,
                bounded: true,
                priority: false,
                preemptive: false,
            });
            semaphores.len() - 1
        });
        let mut events = Vec::new();
        for (name, ev) in &s.events.0 {
            self.declare(name, Namespace::Event);
            events.push(EventPlan { name: name.get_ref().clone(), initially_set: ev.get_ref().set.unwrap_or(false) });
        }
        let mut barriers = Vec::new();
        for (name, b) in &s.barriers.0 {
            self.declare(name, Namespace::Barrier);
            let parties = self.positive(&b.get_ref().parties, "a barrier's `parties`", MAX_REPLICAS);
            barriers.push(BarrierPlan { name: name.get_ref().clone(), parties });
        }
        let mut counters = Vec::new();
        for (name, c) in &s.counters.0 {
            self.declare(name, Namespace::Counter);
            counters.push((name.get_ref().clone(), c.get_ref().initial.as_ref().map_or(0, |i| *i.get_ref())));
        }
        let mut containers = Vec::new();
        for (name, c) in &s.containers.0 {
            let c = c.get_ref();
            self.declare(name, Namespace::Container);
            let capacity =
                c.capacity.as_ref().map_or(u64::MAX, |v| self.positive(v, "a container's `capacity`", i64::MAX));
            let initial =
                c.initial.as_ref().map_or(0, |v| self.nonnegative(v, "a container's `initial` level", i64::MAX));
            if let Some(v) = c.initial.as_ref().filter(|_| initial > capacity) {
                self.error(
                    DiagnosticKind::OutOfRange,
                    v.span(),
                    format!("an initial level of {initial} is above the container's capacity of {capacity}"),
                );
            }
            self.capacities.push(capacity);
            containers.push(ContainerPlan { name: name.get_ref().clone(), capacity, initial });
        }
        let mut rate_limits = Vec::new();
        for (name, r) in &s.rate_limits.0 {
            let r = r.get_ref();
            self.declare(name, Namespace::RateLimit);
            let rate = self.positive(&r.rate, "a rate limit's `rate`", MAX_CAPACITY);
            let burst = r.burst.as_ref().map_or(1, |b| self.positive(b, "a rate limit's `burst`", MAX_CAPACITY));
            let per = match &r.per {
                Some(p) => self.duration_text(p.get_ref(), p.span()).unwrap_or(1),
                None => 1_000_000_000,
            };
            let interval = per / rate;
            if interval > 0 && per % rate != 0 {
                let mut exact = String::new();
                crate::seconds::push_seconds(&mut exact, interval, None);
                let span = r.per.as_ref().map_or(r.rate.span(), Spanned::span);
                self.diagnostics.push(
                    Diagnostic::warning(
                        DiagnosticKind::Rounded,
                        span,
                        format!("{rate} tokens per period is not a whole number of nanoseconds apart"),
                    )
                    .with_help(format!("tokens come every {exact} s, rounded down to the nanosecond")),
                );
            }
            if interval == 0 {
                let span = r.per.as_ref().map_or(r.rate.span(), Spanned::span);
                self.error(DiagnosticKind::OutOfRange, span, "this rate is above one token per nanosecond");
            }
            rate_limits.push(RateLimitPlan { name: name.get_ref().clone(), interval: interval.max(1), burst });
        }

        let task_names = s.tasks.0.iter().map(|(n, _)| n).chain(s.arrivals.0.iter().map(|(n, _)| n));
        for name in task_names {
            if name.get_ref() == "main" || name.get_ref() == "after" {
                let which = name.get_ref();
                self.error_help(
                    DiagnosticKind::InvalidName,
                    name.span(),
                    format!("`{which}` is not a task name"),
                    format!("write it as a `[{which}]` table"),
                );
            }
            self.declare(name, Namespace::Task);
        }

        let mut tasks = Vec::new();
        self.decls.declared_tasks = s.tasks.0.len();
        for (name, task) in &s.tasks.0 {
            let task = task.get_ref();
            let count = match &task.count {
                None => 1,
                Some(c) => match *c.get_ref() {
                    n if n < 0 => {
                        self.error(DiagnosticKind::OutOfRange, c.span(), "a task's `count` cannot be negative");
                        1
                    }
                    n if n > MAX_REPLICAS => {
                        self.error(
                            DiagnosticKind::OutOfRange,
                            c.span(),
                            format!("`count` {n} is above the limit of {MAX_REPLICAS} replicas"),
                        );
                        1
                    }
                    n => n as u64,
                },
            };
            self.locals.clear();
            let steps = self.block(&task.steps, count);
            tasks.push(TaskPlan { name: name.get_ref().clone(), count, steps, locals: self.locals.len() });
        }
        let declared = tasks.len();
        for (name, arrivals) in &s.arrivals.0 {
            let source = self.arrivals(name, arrivals.get_ref(), &tasks[..declared]);
            tasks.push(source);
        }

        self.locals.clear();
        let main_steps = match &s.main {
            Some(main) => self.block(&main.get_ref().steps, 1),
            None if tasks.is_empty() && !self.partial => {
                self.error_help(
                    DiagnosticKind::NothingToRun,
                    0..0,
                    "nothing to run",
                    "declare a task as `[tasks.NAME]` with `steps`, or a `[main]` table",
                );
                Vec::new()
            }
            None if tasks.is_empty() => Vec::new(),
            // Without `[main]`: every task runs, and the run ends when they all have. Tasks
            // started per arrival are their sources' to start; they are waited for once the
            // sources end.
            None => {
                let per_arrival: Vec<usize> = tasks.iter().filter_map(|t| crate::lint::spawns(&t.steps)).collect();
                let started = (0..tasks.len()).filter(|k| !per_arrival.contains(k)).collect();
                let mut steps = vec![Step::Gather { tasks: started, policy: GatherPolicy::TaskGroup }];
                if !per_arrival.is_empty() {
                    steps.push(Step::Wait { tasks: per_arrival, shield: false });
                }
                steps
            }
        };
        let main = TaskPlan { name: "main".into(), count: 1, steps: main_steps, locals: self.locals.len() };
        let after = s.after.as_ref().map(|a| {
            self.locals.clear();
            let steps = self.block(&a.get_ref().steps, 1);
            TaskPlan { name: "after".into(), count: 1, steps, locals: self.locals.len() }
        });

        let (test_seeds, test_format) = self.test_settings(s.test.as_ref());
        let thresholds = self.thresholds(&s.thresholds.0, &queues, &semaphores, &tasks, after.is_some());
        // Instances started per arrival are `NAME#N`: as wide as the last one of a known total,
        // or of a million arrivals.
        let per_arrival = tasks.iter().filter_map(|source| {
            let task = crate::lint::spawns(&source.steps)?;
            let total = match source.steps.as_slice() {
                [Step::Repeat { times: Count::Expr(Expr::Int(n)), .. }] => Some(*n),
                [Step::Scheduled { total: Some(n), .. }] => i64::try_from(*n).ok(),
                // Twice the expected arrivals of a schedule that ends, and some.
                [Step::Scheduled { schedule, total: None, .. }] if !schedule.open => {
                    let expected: f64 = schedule.segments.iter().map(|&(l, r0, r1)| l * (r0 + r1) / 2.0).sum();
                    Some((2.0 * expected + 10.0).min(1e15) as i64)
                }
                _ => None,
            };
            let last = total.map_or(6, |n| n.saturating_sub(1).max(0).to_string().len());
            Some(tasks.get(task)?.name.len() + 1 + last)
        });
        let label_width = tasks
            .iter()
            .chain([&main])
            .chain(&after)
            .map(|t| t.label(t.count.saturating_sub(1)).len())
            .chain(per_arrival)
            .max()
            .unwrap_or(4);
        Some(Plan {
            description: s.description.clone(),
            seed,
            limits: Limits {
                time_limit,
                max_events,
                max_events_per_instant,
                max_tasks,
                max_output_bytes,
                ..Limits::default()
            },
            queues,
            semaphores,
            thread_pool,
            events,
            barriers,
            rate_limits,
            counters,
            containers,
            tasks,
            main,
            after,
            test_seeds,
            test_format,
            thresholds,
            sequence_slots: self.sequence_slots,
            label_width,
            warm_up,
        })
    }

    /// `[thresholds]`: each metric resolved to a statistic of the summary, each condition to a
    /// comparison and a bound in the metric's unit.
    fn thresholds(
        &mut self,
        declared: &format::Named<String>,
        queues: &[QueuePlan],
        semaphores: &[SemaphorePlan],
        tasks: &[TaskPlan],
        after: bool,
    ) -> Vec<Threshold> {
        use crate::threshold as th;
        if declared.0.is_empty() {
            return Vec::new();
        }
        // Names as metrics spell them: the thread pool is `thread-pool`; tasks as the summary
        // orders them, `main` first and `after` last.
        let names = th::MetricNames {
            queues: queues.iter().map(|q| q.name.clone()).collect(),
            semaphores: semaphores.iter().map(|s| th::metric_name(&s.name)).collect(),
            tasks: std::iter::once("main".to_owned())
                .chain(tasks.iter().map(|t| t.name.clone()))
                .chain(after.then(|| "after".to_owned()))
                .collect(),
            counters: self.decls.names.of(Namespace::Counter).to_vec(),
            containers: self.decls.names.of(Namespace::Container).to_vec(),
        };
        let mut out = Vec::new();
        for (metric, condition) in &declared.0 {
            let written = metric.get_ref().as_str();
            // `every-seed.METRIC`: with `--seeds`, checked on each seed's run instead of the pool.
            let (every_seed, text) = match written.strip_prefix(th::EVERY_SEED) {
                Some(rest) => (true, rest),
                None => (false, written),
            };
            let resolved = th::Metric::resolve(text, &names);
            let Some(th::Metric { subject, field, unit, .. }) = resolved else {
                let prefix = if every_seed { th::EVERY_SEED } else { "" };
                let help = match th::suggest(text, &names) {
                    Some(m) => format!("did you mean `{prefix}{m}`?"),
                    None => "a metric is `run.makespan`, `queue.NAME.wait.p99`, `semaphore.NAME.wait.max`, \
                             `task.NAME.failed` and the like; README's Thresholds section lists them all"
                        .to_owned(),
                };
                self.error_help(
                    DiagnosticKind::UnknownMetric,
                    metric.span(),
                    format!("unknown metric `{written}`"),
                    help,
                );
                continue;
            };
            let span = condition.span();
            let Some((op, bound)) = th::split_condition(condition.get_ref()) else {
                self.error_help(
                    DiagnosticKind::InvalidValue,
                    span,
                    format!("`{}` is not a condition", condition.get_ref()),
                    "write a comparison and a bound: \"< 2s\", \"<= 100\", \"== 0\"",
                );
                continue;
            };
            let bound = match unit {
                th::Unit::Time => self.duration_text(bound, span.clone()).map(|ns| ns as f64),
                th::Unit::Number => match bound.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        self.error_help(
                            DiagnosticKind::InvalidValue,
                            span.clone(),
                            format!("`{text}` is a number, and `{bound}` is not one"),
                            "write a number, as in \"<= 0.8\"",
                        );
                        None
                    }
                },
                th::Unit::Count => match bound.parse::<u64>() {
                    Ok(n) => Some(n as f64),
                    Err(_) => {
                        self.error_help(
                            DiagnosticKind::InvalidValue,
                            span.clone(),
                            format!("`{text}` is a count, and `{bound}` is not a whole number"),
                            "write a whole number, as in \"== 0\" or \"< 100\"",
                        );
                        None
                    }
                },
            };
            if let Some(bound) = bound {
                let span = metric.span();
                let metric = written.to_owned();
                out.push(Threshold { metric, every_seed, subject, field, unit, op, bound, span });
            }
        }
        out
    }

    /// `[test]`: the seeds (none: the file's seed) and the format `scenario test` snapshots.
    fn test_settings(&mut self, test: Option<&Spanned<format::TestSettings>>) -> (Vec<u64>, crate::sink::Format) {
        use crate::sink::Format;
        let Some(test) = test.map(Spanned::get_ref) else { return (Vec::new(), Format::Text) };
        let seeds = test.seeds.as_ref().map_or_else(Vec::new, |s| s.get_ref().clone());
        if let Some(s) = test.seeds.as_ref().filter(|s| s.get_ref().is_empty()) {
            self.error_help(
                DiagnosticKind::InvalidValue,
                s.span(),
                "`seeds` is empty",
                "list at least one seed, or leave `seeds` out for the file's seed",
            );
        }
        let format = match test.format.as_ref().map(|f| (f.get_ref().as_str(), f.span())) {
            None | Some(("text", _)) => Format::Text,
            Some(("plain", _)) => Format::Plain,
            Some(("jsonl", _)) => Format::Jsonl,
            Some((other, span)) => {
                self.error_help(
                    DiagnosticKind::InvalidValue,
                    span,
                    format!("unknown format `{other}`"),
                    "use \"text\", \"plain\" or \"jsonl\"",
                );
                Format::Text
            }
        };
        (seeds, format)
    }

    /// A whole number from 0 to `max`; reports and returns 0 otherwise.
    fn nonnegative(&mut self, v: &Spanned<i64>, what: &str, max: i64) -> u64 {
        self.bounded(v, what, 0, max)
    }

    /// A whole number from 1 to `max`; reports and returns 1 otherwise.
    fn positive(&mut self, v: &Spanned<i64>, what: &str, max: i64) -> u64 {
        self.bounded(v, what, 1, max)
    }

    /// A whole number from `min` (0 or 1) to `max`; reports and returns `min` otherwise.
    fn bounded(&mut self, v: &Spanned<i64>, what: &str, min: i64, max: i64) -> u64 {
        let n = *v.get_ref();
        let problem = if n < min {
            if min == 0 { format!("{what} cannot be negative") } else { format!("{what} must be at least {min}") }
        } else if n > max {
            format!("{what} of {n} is above the limit of {max}")
        } else {
            return n as u64;
        };
        self.error(DiagnosticKind::OutOfRange, v.span(), problem);
        min as u64
    }

    /// An arrivals source is a task of its own: `repeat total [sleep every, put queue item]`, or
    /// with `start`, `repeat total [sleep every, start one instance]`. `declared` are the
    /// `[tasks]` compiled so far, which `start` may name.
    fn arrivals(&mut self, name: &Spanned<String>, a: &format::Arrivals, declared: &[TaskPlan]) -> TaskPlan {
        let gap = match (&a.every, &a.rate) {
            (Some(every), None) => {
                let rate_keys = [
                    ("per", a.per.as_ref().map(Spanned::span)),
                    ("stages", a.stages.as_ref().map(Spanned::span)),
                    ("process", a.process.as_ref().map(Spanned::span)),
                ];
                for (key, span) in rate_keys {
                    if let Some(span) = span {
                        self.error_help(
                            DiagnosticKind::MisplacedKey,
                            span,
                            format!("`{key}` goes with `rate`, not `every`"),
                            "give the source a `rate` (arrivals per second) instead of `every` to use it",
                        );
                    }
                }
                self.duration(every).map(|d| (Some(d), None))
            }
            (None, Some(rate)) => self.schedule(rate, a).map(|s| (None, Some(s))),
            (Some(_), Some(rate)) => {
                self.error_help(
                    DiagnosticKind::InvalidValue,
                    rate.span(),
                    "an arrivals source has `every` or `rate`, not both",
                    "`every` is the time between arrivals; `rate` is how many arrive per second",
                );
                None
            }
            (None, None) => {
                self.error_help(
                    DiagnosticKind::MissingKey,
                    name.span(),
                    format!("arrivals `{}` has neither `every` nor `rate`", name.get_ref()),
                    "add `every = { exponential = \"1s\" }` (the time between arrivals) or `rate = 1` (arrivals per second)",
                );
                None
            }
        };
        let times = match &a.total {
            None => Count::Forever,
            Some(t) if *t.get_ref() < 0 => {
                self.error(DiagnosticKind::OutOfRange, t.span(), "`total` cannot be negative");
                Count::Forever
            }
            Some(t) => Count::Expr(Expr::Int(*t.get_ref())),
        };
        let arrive = match (&a.put, &a.start) {
            (Some(put), None) => self.arrive(put, a),
            (None, Some(start)) => {
                for (key, given) in
                    [("item", a.item.as_ref().map(Spanned::span)), ("on-full", a.on_full.as_ref().map(Spanned::span))]
                {
                    if let Some(span) = given {
                        self.error_help(
                            DiagnosticKind::InvalidValue,
                            span,
                            format!("`{key}` goes with `put`, not `start`"),
                            "an arrival that starts a task puts no item; remove it",
                        );
                    }
                }
                self.spawned(start, declared)
            }
            (Some(_), Some(start)) => {
                self.error_help(
                    DiagnosticKind::InvalidValue,
                    start.span(),
                    "an arrivals source has `put` or `start`, not both",
                    "`put` puts an item on a queue at each arrival; `start` starts a task",
                );
                None
            }
            (None, None) => {
                self.error_help(
                    DiagnosticKind::MissingKey,
                    name.span(),
                    format!("arrivals `{}` has neither `put` nor `start`", name.get_ref()),
                    "add `put = \"QUEUE\"` (an item on a queue at each arrival) or `start = \"TASK\"` (a task per arrival)",
                );
                None
            }
        };
        let initial = match &a.initial {
            None => 0,
            Some(i) => {
                let total = a.total.as_ref().map_or(i64::MAX, |t| *t.get_ref());
                let what = "`initial` (arrivals at once, counted in `total`)";
                self.bounded(i, what, 0, total.clamp(0, MAX_REPLICAS))
            }
        };
        let steps = match (gap, arrive) {
            (Some((Some(duration), _)), Some(arrive)) if initial > 0 => {
                vec![Step::Repeat { times, body: vec![Step::Gap { duration, skip: initial }, arrive] }]
            }
            (Some((Some(duration), _)), Some(arrive)) => {
                let sleep = Step::Sleep { duration, times: None, say: None, on_interrupt: None };
                vec![Step::Repeat { times, body: vec![sleep, arrive] }]
            }
            (Some((_, Some(schedule))), Some(arrive)) => {
                let total = match times {
                    Count::Expr(Expr::Int(n)) => Some(n as u64),
                    _ => None,
                };
                vec![Step::Scheduled { schedule, total, arrive: Box::new(arrive), initial }]
            }
            _ => vec![Step::Repeat { times, body: Vec::new() }],
        };
        TaskPlan { name: name.get_ref().to_owned(), count: 1, steps, locals: 0 }
    }

    /// An arrivals source's changing rate: `rate` at the start, then each stage in a straight
    /// line to its target.
    fn schedule(&mut self, rate: &Spanned<f64>, a: &format::Arrivals) -> Option<Schedule> {
        let per = match &a.per {
            Some(p) => self.duration_text(p.get_ref(), p.span()).filter(|&ns| {
                if ns == 0 {
                    self.error(DiagnosticKind::OutOfRange, p.span(), "`per` must be longer than 0");
                }
                ns > 0
            })?,
            None => 1_000_000_000,
        } as f64
            / 1e9;
        // A rate in arrivals per second, or `None` (reported) when it is out of range.
        let check = |c: &mut Self, value: &Spanned<f64>, what: &str| {
            let v = *value.get_ref();
            if !(v.is_finite() && (0.0..=1e12).contains(&v)) {
                c.error_help(
                    DiagnosticKind::OutOfRange,
                    value.span(),
                    format!("{what} must be from 0 to 10^12 arrivals per period, and this one is {v}"),
                    "a rate is how many arrive per `per` (a second unless it says otherwise)",
                );
                return None;
            }
            Some(v / per)
        };
        let mut ok = true;
        let start = check(self, rate, "a rate").unwrap_or_else(|| {
            ok = false;
            0.0
        });
        let mut segments = Vec::new();
        let mut last = start;
        if let Some(stages) = &a.stages {
            for stage in stages.get_ref() {
                let stage = stage.get_ref();
                let target = check(self, &stage.target, "a stage's target").unwrap_or_else(|| {
                    ok = false;
                    0.0
                });
                let length = self.duration_text(stage.duration.get_ref(), stage.duration.span());
                if let Some(length) = length {
                    segments.push((length as f64 / 1e9, last, target));
                } else {
                    ok = false;
                }
                last = target;
            }
        }
        let open = a.stages.is_none();
        if open {
            segments.push((0.0, start, start));
        }
        let process = self.keyword(
            a.process.as_ref(),
            "`process`",
            &[("poisson", true), ("regular", false)],
            "use \"poisson\" (arrivals at random, at the rate of the moment) or \"regular\" (evenly spaced)",
        );
        if ok && segments.iter().all(|&(length, r0, r1)| (length == 0.0 && !open) || (r0 == 0.0 && r1 == 0.0)) {
            self.error_help(
                DiagnosticKind::InvalidValue,
                rate.span(),
                "nothing ever arrives: the rate is 0 throughout",
                "give `rate` or a stage's `target` a number above 0",
            );
            ok = false;
        }
        ok.then_some(Schedule { segments, open, poisson: process? })
    }

    /// An item's template: the one written, or `{n}` (the put's or arrival's number).
    fn item(&mut self, template: Option<&Spanned<String>>) -> Option<Template> {
        match template {
            Some(t) => self.template(t),
            None => Template::parse("{n}").ok(),
        }
    }

    /// The step of an arrival that puts an item on `put`.
    fn arrive(&mut self, put: &Spanned<String>, a: &format::Arrivals) -> Option<Step> {
        let queue = self.queue(put);
        let item = self.item(a.item.as_ref());
        let drop = self.keyword(
            a.on_full.as_ref(),
            "`on-full` value",
            &[("wait", false), ("drop", true)],
            "use \"wait\" (each arrival waits for room on its own) or \"drop\" (it is lost)",
        );
        let priority = match &a.priority {
            None => Some(0),
            Some(p) if *p.get_ref() < 0 => {
                self.error(DiagnosticKind::OutOfRange, p.span(), "a priority cannot be negative");
                None
            }
            Some(p) => Some(*p.get_ref() as u64),
        };
        if let (Some(p), Some(q)) = (&a.priority, queue) {
            self.priority_on(q, p.span());
        }
        Some(Step::Arrive { queue: queue?, item: item?, drop: drop?, priority: priority? })
    }

    /// A keyword's meaning: the choice `value` names, the first choice when it is absent, or
    /// `None` when it names none (reported as an unknown `what`, with `help`).
    fn keyword<T: Copy>(
        &mut self,
        value: Option<&Spanned<String>>,
        what: &str,
        choices: &[(&str, T)],
        help: &str,
    ) -> Option<T> {
        let Some(value) = value else { return choices.first().map(|&(_, t)| t) };
        let found = choices.iter().find(|(word, _)| *word == value.get_ref().as_str()).map(|&(_, t)| t);
        if found.is_none() {
            let other = value.get_ref();
            self.error_help(DiagnosticKind::InvalidValue, value.span(), format!("unknown {what} `{other}`"), help);
        }
        found
    }

    /// A step's `priority`: `Some(None)` when it has none, `None` when it is wrong (reported).
    fn priority(&mut self, s: &format::Step, count: u64) -> Option<Option<Count>> {
        match &s.priority {
            None => Some(None),
            Some(p) => match self.count(p, count) {
                Some(Count::Forever) => {
                    self.error(DiagnosticKind::InvalidValue, p.span(), "a priority is a number, not `forever`");
                    None
                }
                other => other.map(Some),
            },
        }
    }

    /// The `priority` of an `acquire` or `hold` of `semaphore`, which must be a priority
    /// semaphore when it has one.
    fn permit_priority(&mut self, s: &format::Step, semaphore: Option<usize>, count: u64) -> Option<Option<Count>> {
        let priority = self.priority(s, count)?;
        if let (Some(p), Some(sem)) = (&s.priority, semaphore) {
            if !self.semaphore_priority.get(sem).copied().unwrap_or(false) {
                self.error_help(
                    DiagnosticKind::MisplacedKey,
                    p.span(),
                    "`priority` on a semaphore that does not serve by priority",
                    "give the semaphore `discipline = \"priority\"`, or leave `priority` out",
                );
                return None;
            }
        }
        Some(priority)
    }

    /// A `priority` on a queue that is not a priority queue is an error: it would be ignored.
    fn priority_on(&mut self, queue: usize, span: Range<usize>) {
        if self.queue_disciplines.get(queue).is_some_and(|d| *d != Discipline::Priority) {
            self.error_help(
                DiagnosticKind::MisplacedKey,
                span,
                "`priority` on a queue that is not a priority queue",
                "give the queue `discipline = \"priority\"`, or leave `priority` out",
            );
        }
    }

    /// The step of an arrival that starts an instance of `start`, a declared task of one
    /// replica.
    fn spawned(&mut self, start: &Spanned<String>, declared: &[TaskPlan]) -> Option<Step> {
        let names = Spanned::new(start.span(), format::Names(vec![start.get_ref().clone()]));
        let task = self.task_refs(&names)?.first().copied()?;
        let Some(plan) = declared.get(task) else {
            self.error_help(
                DiagnosticKind::InvalidValue,
                start.span(),
                format!("`{}` is an arrivals source, not a task", start.get_ref()),
                "`start` names a `[tasks.NAME]` to run once per arrival",
            );
            return None;
        };
        if plan.count != 1 {
            self.error_help(
                DiagnosticKind::InvalidValue,
                start.span(),
                format!("task `{}` has {} replicas; an arrival starts one instance", plan.name, plan.count),
                "remove its `count`: each arrival is an instance of its own, `NAME#N`",
            );
            return None;
        }
        Some(Step::Spawn { task })
    }

    /// Resolves a reference to a declared queue, semaphore, event, barrier or rate limit.
    fn resolve(&mut self, name: &Spanned<String>, ns: Namespace) -> Option<usize> {
        if let Some(i) = self.decls.names.find(ns, name.get_ref()) {
            return Some(i);
        }
        if self.broken.contains(name.get_ref()) {
            return None;
        }
        let (what, table) = (ns.what(), ns.table());
        let declared = self.decls.names.of(ns);
        let d = Diagnostic::error(
            DiagnosticKind::UnknownName(ns),
            name.span(),
            format!("unknown {what} `{}`", name.get_ref()),
        );
        let d = match did_you_mean(name.get_ref(), declared.iter().chain(self.broken).map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if ns == Namespace::Queue && !declared.is_empty() => {
                d.with_help(format!("the queues are `{}`", declared.join("`, `")))
            }
            None => d.with_help(format!("declare it with `[{table}.{}]`", name.get_ref())),
        };
        self.diagnostics.push(d);
        None
    }

    /// Declares `name` in `ns`, checking that it is a usable identifier and new there.
    fn declare(&mut self, name: &Spanned<String>, ns: Namespace) {
        let text = name.get_ref();
        let what = ns.what();
        let valid = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            self.error_help(
                DiagnosticKind::InvalidName,
                name.span(),
                format!("`{text}` is not a valid {what} name"),
                "a name starts with a letter or `_` and has only letters, digits, `_` and `-`",
            );
        } else if let Some(first) = self.decls.names.find(ns, text) {
            let first = self.decls.names.spans(ns)[first].clone();
            self.diagnostics.push(
                Diagnostic::error(DiagnosticKind::Duplicate, name.span(), format!("{what} `{text}` is declared twice"))
                    .with_label(first, "first declared here"),
            );
        }
        self.decls.names.push(ns, name);
    }

    fn block(&mut self, steps: &Spanned<Vec<Spanned<format::Step>>>, count: u64) -> Vec<Step> {
        steps.get_ref().iter().filter_map(|s| self.step(s, count)).collect()
    }

    fn step(&mut self, spanned: &Spanned<format::Step>, count: u64) -> Option<Step> {
        let s = spanned.get_ref();
        let span = spanned.span();
        let keys = s.keys();
        let kinds: Vec<(&StepKey, &Range<usize>)> =
            keys.iter().filter(|(k, _)| k.kind.is_some()).map(|(k, s)| (*k, s)).collect();
        // `say` is the kind only when no other kind key is there.
        let kinds: Vec<_> = match kinds.as_slice() {
            [_, ..] if kinds.len() > 1 => kinds.into_iter().filter(|(k, _)| k.modifies.is_empty()).collect(),
            _ => kinds,
        };
        let key = match kinds.as_slice() {
            [] => {
                let names: Vec<&str> = format::step_kinds().map(|k| k.name).collect();
                self.error_help(
                    DiagnosticKind::NoStepKind,
                    span,
                    "this step does nothing",
                    format!("a step needs one of `{}`", names.join("`, `")),
                );
                return None;
            }
            [(key, _)] => *key,
            [(first, _), (second, second_span), ..] => {
                self.error_help(
                    DiagnosticKind::TwoStepKinds,
                    (*second_span).clone(),
                    format!("a step does one thing, and this one has both `{}` and `{}`", first.name, second.name),
                    "split it into two steps",
                );
                return None;
            }
        };
        let (kind, name) = (key.kind?, key.name);

        // Modifiers, and kind keys that modify others, only with the kinds they go with.
        let mut misplaced = false;
        for (other, other_span) in keys.iter().filter(|(k, _)| k.name != name) {
            if !other.goes_with(name) {
                let mut with = Vec::from_iter(other.kind.map(|_| other.name));
                with.extend(other.modifies);
                self.error_help(
                    DiagnosticKind::MisplacedKey,
                    other_span.clone(),
                    format!("`{}` does not go with `{name}`", other.name),
                    format!("`{}` goes with `{}`", other.name, with.join("`, `")),
                );
                misplaced = true;
            }
        }
        let say = s.say.as_ref().and_then(|t| self.template(t));
        let body = |c: &mut Self, what: &str| match &s.steps {
            Some(steps) => c.block(steps, count),
            None => {
                c.error_help(
                    DiagnosticKind::MissingBlock,
                    span.clone(),
                    format!("`{what}` needs the block it runs"),
                    format!("add `steps = [ ... ]` to the `{what}` step"),
                );
                Vec::new()
            }
        };

        let step = match kind {
            StepKind::Say => Step::Say(say?),
            StepKind::Sleep => {
                let sleep = s.sleep.as_ref()?;
                let on_interrupt = s.on_interrupt.as_ref().map(|b| self.block(b, count));
                match sleep.get_ref() {
                    DurationSpec::Text(t) if t.contains('*') => {
                        let (duration, times) = self.scaled_duration(t, sleep.span())?;
                        Step::Sleep { duration, times: Some(Box::new(times)), say, on_interrupt }
                    }
                    _ => Step::Sleep { duration: self.duration(sleep)?, times: None, say, on_interrupt },
                }
            }
            StepKind::Put => {
                let queue = self.queue(s.put.as_ref()?);
                let item = self.item(s.item.as_ref());
                let priority = self.priority(s, count);
                if let (Some(p), Some(q)) = (&s.priority, queue) {
                    self.priority_on(q, p.span());
                }
                let delay = match &s.delay {
                    Some(d) => Some(Box::new(self.duration(d)?)),
                    None => None,
                };
                Step::Put { queue: queue?, item: item?, priority: priority?, say, delay }
            }
            StepKind::Get => Step::Get { queue: self.queue(s.get.as_ref()?)?, say },
            StepKind::Call => {
                let queue = self.queue(s.call.as_ref()?);
                let item = self.item(s.item.as_ref());
                Step::Call { queue: queue?, item: item?, say }
            }
            StepKind::Reply => {
                let queue = self.queue(s.reply.as_ref()?);
                let item = match &s.item {
                    Some(t) => Some(self.template(t)?),
                    None => None,
                };
                Step::Reply { queue: queue?, item, say }
            }
            StepKind::Done => Step::Done { queue: self.queue(s.done.as_ref()?)? },
            StepKind::Join => Step::Join { queue: self.queue(s.join.as_ref()?)? },
            StepKind::Repeat => {
                let times = self.count(s.repeat.as_ref()?, count);
                let body = body(self, "repeat");
                Step::Repeat { times: times?, body }
            }
            StepKind::Start => Step::Start { tasks: self.task_refs(s.start.as_ref()?)? },
            StepKind::Wait => {
                let shield = s.shield.as_ref().is_some_and(|b| *b.get_ref());
                Step::Wait { tasks: self.task_refs(s.wait.as_ref()?)?, shield }
            }
            StepKind::Gather => {
                let policy = match s.policy.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
                    None | Some(("task-group" | "fail-fast", _)) => Some(GatherPolicy::TaskGroup),
                    Some(("gather", _)) => Some(GatherPolicy::Gather),
                    Some(("return-exceptions" | "collect", _)) => Some(GatherPolicy::ReturnExceptions),
                    Some((other, span)) => {
                        self.error_help(
                            DiagnosticKind::InvalidValue,
                            span,
                            format!("unknown gather policy `{other}`"),
                            "use \"task-group\" (the default), \"gather\" or \"return-exceptions\"",
                        );
                        None
                    }
                };
                let tasks = self.task_refs(s.gather.as_ref()?);
                Step::Gather { tasks: tasks?, policy: policy? }
            }
            StepKind::Cancel => Step::Cancel { tasks: self.task_refs(s.cancel.as_ref()?)? },
            StepKind::Until => {
                let event = self.resolve(s.until.as_ref()?, Namespace::Event);
                let body = body(self, "until");
                let on_set = s.on_set.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                Step::Until { event: event?, body, on_set }
            }
            StepKind::Interrupt => {
                let tasks = self.task_refs(s.interrupt.as_ref()?);
                let replica = match &s.replica {
                    Some(r) if matches!(r.get_ref(), format::Count::Fixed(n) if *n < 0) => {
                        self.error(DiagnosticKind::OutOfRange, r.span(), "a replica index cannot be negative");
                        return None;
                    }
                    Some(r) => Some(self.count(r, count)?),
                    None => None,
                };
                Step::Interrupt { tasks: tasks?, replica }
            }
            StepKind::Race => {
                let policy = match s.policy.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
                    None | Some(("first-success", _)) => Some(RacePolicy::FirstSuccess),
                    Some(("first-completed", _)) => Some(RacePolicy::FirstCompleted),
                    Some((other, span)) => {
                        self.error_help(
                            DiagnosticKind::InvalidValue,
                            span,
                            format!("unknown race policy `{other}`"),
                            "use \"first-success\" (the default) or \"first-completed\"",
                        );
                        None
                    }
                };
                Step::Race { tasks: self.task_refs(s.race.as_ref()?)?, policy: policy? }
            }
            StepKind::Try => {
                let body = self.block(s.try_.as_ref()?, count);
                let on_error = s.on_error.as_ref().map(|b| self.block(b, count));
                let on_cancel = s.on_cancel.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                let on_interrupt = s.on_interrupt.as_ref().map(|b| self.block(b, count));
                let finally = s.finally.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                Step::Try { body, on_error, on_cancel, on_interrupt, finally }
            }
            StepKind::Acquire => {
                let semaphore = self.resolve(s.acquire.as_ref()?, Namespace::Semaphore);
                let priority = self.permit_priority(s, semaphore, count)?;
                Step::Acquire { semaphore: semaphore?, priority }
            }
            StepKind::Release => Step::Release { semaphore: self.resolve(s.release.as_ref()?, Namespace::Semaphore)? },
            StepKind::Hold => {
                let semaphore = self.resolve(s.hold.as_ref()?, Namespace::Semaphore);
                let body = body(self, "hold");
                let priority = self.permit_priority(s, semaphore, count)?;
                Step::Hold { semaphore: semaphore?, priority, body }
            }
            StepKind::Set => Step::Set { event: self.resolve(s.set.as_ref()?, Namespace::Event)? },
            StepKind::Clear => Step::Clear { event: self.resolve(s.clear.as_ref()?, Namespace::Event)? },
            StepKind::WaitEvent => Step::WaitEvent { event: self.resolve(s.wait_event.as_ref()?, Namespace::Event)? },
            StepKind::Barrier => Step::Barrier { barrier: self.resolve(s.barrier.as_ref()?, Namespace::Barrier)? },
            StepKind::Throttle => Step::Throttle { limit: self.resolve(s.throttle.as_ref()?, Namespace::RateLimit)? },
            StepKind::Busy => Step::Busy { duration: self.duration(s.busy.as_ref()?)? },
            StepKind::ToThread => Step::ToThread { duration: self.duration(s.to_thread.as_ref()?)? },
            StepKind::Fail => {
                let message = self.template(s.fail.as_ref()?);
                let probability = match &s.probability {
                    None => Some(1.0),
                    Some(p) if (0.0..=1.0).contains(p.get_ref()) => Some(*p.get_ref()),
                    Some(p) => {
                        self.error(
                            DiagnosticKind::OutOfRange,
                            p.span(),
                            format!("a probability is from 0 to 1, and this one is {}", p.get_ref()),
                        );
                        None
                    }
                };
                Step::Fail { message: message?, probability: probability? }
            }
            StepKind::Retry => {
                let r = s.retry.as_ref()?;
                let retries = match *r.get_ref() {
                    n if n < 0 => {
                        self.error(DiagnosticKind::OutOfRange, r.span(), "`retry` cannot be negative");
                        None
                    }
                    n if n > MAX_REPLICAS => {
                        self.error(
                            DiagnosticKind::OutOfRange,
                            r.span(),
                            format!("`retry` of {n} is above the limit of {MAX_REPLICAS}"),
                        );
                        None
                    }
                    n => Some(n as u64),
                };
                // `None`: the backoff has an error (reported); `Some(None)`: there is no backoff.
                let backoff = match &s.backoff {
                    Some(b) => self.duration(b).map(Some),
                    None => Some(None),
                };
                let body = body(self, "retry");
                let jitter = s.jitter.as_ref().is_some_and(|j| *j.get_ref());
                let factor = match &s.backoff_factor {
                    None => Some(2.0),
                    Some(f) if f.get_ref().is_finite() && (0.0..=1e6).contains(f.get_ref()) => Some(*f.get_ref()),
                    Some(f) => {
                        self.error(
                            DiagnosticKind::OutOfRange,
                            f.span(),
                            format!("`backoff-factor` is from 0 to 1000000, and this one is {}", f.get_ref()),
                        );
                        None
                    }
                };
                Step::Retry { retries: retries?, body, backoff: backoff?, factor: factor?, jitter }
            }
            StepKind::Choose => {
                let branches = s.choose.as_ref()?;
                if branches.get_ref().is_empty() {
                    self.error_help(
                        DiagnosticKind::MissingBlock,
                        branches.span(),
                        "`choose` has no branches",
                        "add branches: `choose = [{ weight = 9, steps = [...] }, { weight = 1, steps = [...] }]`",
                    );
                    return None;
                }
                let mut cumulative = Vec::new();
                let mut blocks = Vec::new();
                let mut total = 0.0;
                let mut ok = true;
                for branch in branches.get_ref() {
                    let b = branch.get_ref();
                    let w = *b.weight.get_ref();
                    if !(w.is_finite() && w > 0.0 && w < 1e300) {
                        self.error_help(
                            DiagnosticKind::OutOfRange,
                            b.weight.span(),
                            format!("a branch's weight must be above 0, and this one is {w}"),
                            "weights are relative: `weight = 9` and `weight = 1` take the first nine times in ten",
                        );
                        ok = false;
                    }
                    total += w;
                    cumulative.push(total);
                    blocks.push(self.block(&b.steps, count));
                }
                ok.then_some(Step::Choose { cumulative, blocks })?
            }
            StepKind::WaitUntil => {
                let text = s.wait_until.as_ref()?;
                let condition = self.condition(text)?;
                let Condition::Compare { subject: Subject::Counter(counter), .. } = condition else {
                    self.error_help(
                        DiagnosticKind::InvalidValue,
                        text.span(),
                        "`wait-until` waits for a counter: `\"counter.NAME >= 3\"`",
                        "wait for an event with `wait-event`, for an item with `get`, for a permit with `acquire`",
                    );
                    return None;
                };
                Step::WaitUntil { counter, condition }
            }
            StepKind::Take => {
                let container = self.resolve(s.take.as_ref()?, Namespace::Container);
                let Some(amount) = &s.amount else {
                    self.error_help(
                        DiagnosticKind::MissingKey,
                        span,
                        "`take` needs an `amount`",
                        "add `amount = 10` (a number, an expression or a draw)",
                    );
                    return None;
                };
                let amount = self.amount(amount, container, count);
                Step::Take { container: container?, amount: amount?, say }
            }
            StepKind::Fill => {
                let container = self.resolve(s.fill.as_ref()?, Namespace::Container)?;
                let amount = match &s.amount {
                    Some(a) => Some(self.amount(a, Some(container), count)?),
                    None if self.container_capacity(container) == u64::MAX => {
                        self.error_help(
                            DiagnosticKind::MissingKey,
                            span,
                            "a `fill` without `amount` fills up to the capacity, and this container has none",
                            "add `amount = 10`, or give the container a `capacity`",
                        );
                        return None;
                    }
                    None => None,
                };
                Step::Fill { container, amount, say }
            }
            StepKind::Let => {
                let name = s.let_.as_ref()?;
                let value = self.required_value(s, span, "let", "{ uniform = [5, 25] }", count);
                let local = self.local(name)?;
                Step::Let { local, value: value? }
            }
            StepKind::SetCounter => {
                let counter = self.resolve(s.set_counter.as_ref()?, Namespace::Counter);
                let value = self.required_value(s, span, "set-counter", "0", count);
                Step::SetCounter { counter: counter?, value: value? }
            }
            StepKind::Add => {
                let counter = self.resolve(s.add.as_ref()?, Namespace::Counter);
                Step::Add { counter: counter?, by: s.by.as_ref().map_or(1, |b| *b.get_ref()) }
            }
            StepKind::When => {
                let condition = self.condition(s.when.as_ref()?);
                let then = body(self, "when");
                let otherwise = s.else_.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                Step::When { condition: condition?, then, otherwise }
            }
            StepKind::Timeout => {
                let after = self.duration(s.timeout.as_ref()?);
                let body = body(self, "timeout");
                let on_timeout = s.on_timeout.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                let finally = s.finally.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                Step::Timeout { after: after?, body, on_timeout, finally }
            }
        };
        (!misplaced).then_some(step)
    }

    /// The value of parameter `name` if it is a whole number, and its mark of use.
    fn whole_param(&self, name: &str) -> Option<(i64, &std::cell::Cell<bool>)> {
        self.params.iter().find(|(p, _, _)| p == name).and_then(|(_, whole, used)| Some(((*whole)?, used)))
    }

    /// A `when` (or `wait-until`) condition: `SUBJECT OP NUMBER` (`queue.NAME.length`,
    /// `semaphore.NAME.free` or `.in-use`, `counter.NAME`, `container.NAME.level`; `<`, `<=`,
    /// `>`, `>=`, `==`, `!=`), two expressions compared (over `let` names, parameters, counters,
    /// levels and `waited`), `event.NAME`, `not event.NAME`, or `call.abandoned`.
    fn condition(&mut self, text: &Spanned<String>) -> Option<Condition> {
        const FORMS: &str = "write `queue.NAME.length >= 10`, `semaphore.NAME.free == 0` (or `.in-use`), \
                             `counter.NAME > 3`, `container.NAME.level < 50`, `event.NAME`, `not event.NAME`, \
                             `call.abandoned`, or two expressions compared (`fuel * 2 > limit`, `waited > 2s`)";
        let raw = text.get_ref();
        // Each word with where it is in the text, for carets under the one that is wrong.
        let words: Vec<(usize, &str)> = raw
            .split(' ')
            .scan(0, |at, w| {
                let start = *at;
                *at += w.len() + 1;
                Some((start, w))
            })
            .filter(|(_, w)| !w.is_empty())
            .collect();
        let span_of = |c: &Self, (at, w): (usize, &str)| c.inner_span(text.span(), raw, at..at + w.len());
        let bad = |c: &mut Self, span: Range<usize>, message: String| {
            c.error_help(DiagnosticKind::InvalidValue, span, message, FORMS);
            None
        };
        let named = |c: &mut Self, word: (usize, &str), prefix: &str, suffix: &str, ns: Namespace| {
            let name = word.1.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let at = word.0 + prefix.len();
            let spanned = Spanned::new(c.inner_span(text.span(), raw, at..at + name.len()), name.to_owned());
            Some(c.resolve(&spanned, ns))
        };
        // A comparison of expressions, over the task's own names, parameters, counters, levels
        // and `waited`, when it is not one of the forms on the run's state.
        let state =
            |w: &str| ["queue.", "semaphore.", "counter.", "container.", "event."].iter().any(|p| w.starts_with(p));
        // Counters and levels are expressions' too: compared with something other than a number
        // or a parameter, they take the expression form.
        let constant = |v: &str| v.parse::<i64>().is_ok() || self.whole_param(v).is_some();
        let expressible = |s: &str| s.starts_with("counter.") || s.starts_with("container.");
        let simple = matches!(words.as_slice(), [subject, _, value]
            if state(subject.1) && (constant(value.1) || !expressible(subject.1)));
        let found = COMPARISONS
            .iter()
            .filter_map(|&(o, c)| raw.find(o).map(|at| (at, o, c)))
            .min_by_key(|&(at, o, _)| (at, std::cmp::Reverse(o.len())));
        if let (false, true, Some((at, o, op))) = (simple, words.len() >= 3, found) {
            let sides = (self.expr(raw[..at].trim()), self.expr(raw[at + o.len()..].trim()));
            return match sides {
                (Ok(left), Ok(right)) => Some(Condition::Exprs { left: Box::new(left), op, right: Box::new(right) }),
                (Err(why), _) | (_, Err(why)) => {
                    let span = text.span();
                    bad(self, span, format!("cannot read the condition `{raw}`: {why}"))
                }
            };
        }
        match words.as_slice() {
            [(_, "call.abandoned")] => Some(Condition::CallAbandoned { abandoned: true }),
            [(_, "not"), (_, "call.abandoned")] => Some(Condition::CallAbandoned { abandoned: false }),
            [call] | [(_, "not"), call] if call.1.starts_with("call.") => {
                let span = span_of(self, *call);
                bad(self, span, format!("`{}` is not a condition: the one about calls is `call.abandoned`", call.1))
            }
            [event] | [(_, "not"), event] => {
                let set = words.len() == 1;
                match named(self, *event, "event.", "", Namespace::Event) {
                    Some(e) => Some(Condition::Event { event: e?, set }),
                    None => bad(self, span_of(self, *event), format!("`{}` is not an event", event.1)),
                }
            }
            [subject, op, value] => {
                let subject_ = if let Some(q) = named(self, *subject, "queue.", ".length", Namespace::Queue) {
                    q.map(Subject::QueueLength)
                } else if let Some(s) = named(self, *subject, "semaphore.", ".free", Namespace::Semaphore) {
                    s.map(Subject::Free)
                } else if let Some(s) = named(self, *subject, "semaphore.", ".in-use", Namespace::Semaphore) {
                    s.map(Subject::InUse)
                } else if let Some(c) = named(self, *subject, "counter.", "", Namespace::Counter) {
                    c.map(Subject::Counter)
                } else if let Some(c) = named(self, *subject, "container.", ".level", Namespace::Container) {
                    c.map(Subject::Level)
                } else {
                    let span = span_of(self, *subject);
                    return bad(self, span, format!("`{}` is not something a condition can look at", subject.1));
                };
                let Some(&(_, op_)) = COMPARISONS.iter().find(|(o, _)| *o == op.1) else {
                    let span = span_of(self, *op);
                    return bad(self, span, format!("`{}` is not a comparison", op.1));
                };
                // A whole number, or a whole-number parameter.
                let number = match (value.1.parse::<i64>(), self.whole_param(value.1)) {
                    (Ok(n), _) => n,
                    (Err(_), Some((n, used))) => {
                        used.set(true);
                        n
                    }
                    _ => {
                        let span = span_of(self, *value);
                        return bad(self, span, format!("`{}` is not a whole number", value.1));
                    }
                };
                Some(Condition::Compare { subject: subject_?, op: op_, value: number })
            }
            _ => bad(self, text.span(), format!("`{raw}` is not a condition")),
        }
    }

    fn template(&mut self, text: &Spanned<String>) -> Option<Template> {
        let params: Vec<(&str, i64)> =
            self.params.iter().filter_map(|(p, whole, _)| Some((p.as_str(), (*whole)?))).collect();
        let parsed = Template::parse_with(text.get_ref(), &self.locals, &params);
        if let Ok(t) = &parsed {
            for (p, _, used) in &self.params {
                used.set(used.get() || t.uses_param(p));
            }
        }
        match parsed {
            Ok(mut t) => {
                let mut ok = true;
                let mut found = Vec::new();
                for (source, name, at, index) in t.names_mut() {
                    let ns = match source {
                        Source::Counter => Namespace::Counter,
                        Source::QueueLength => Namespace::Queue,
                        _ => Namespace::Container,
                    };
                    match self.decls.names.find(ns, name) {
                        Some(k) => *index = k,
                        None => found.push((ns, name.to_owned(), at)),
                    }
                }
                for (ns, name, at) in found {
                    let span = self.inner_span(text.span(), text.get_ref(), at);
                    ok &= self.resolve(&Spanned::new(span, name), ns).is_some();
                }
                ok.then_some(t)
            }
            Err(e) => {
                let span = self.inner_span(text.span(), text.get_ref(), e.range);
                let d = Diagnostic::error(DiagnosticKind::InvalidTemplate, span, e.message);
                self.diagnostics.push(match e.help {
                    Some(h) => d.with_help(h),
                    None => d,
                });
                None
            }
        }
    }

    /// The span of `range` within a string value, when the source spells the string literally
    /// (no escapes); otherwise the whole value.
    fn inner_span(&self, value: Range<usize>, text: &str, range: Range<usize>) -> Range<usize> {
        let raw = &self.source[value.clone()];
        let quote = raw.chars().next().filter(|q| *q == '"' || *q == '\'');
        match quote {
            Some(q)
                if raw.len() == text.len() + 2
                    && raw[1..raw.len() - 1] == *text
                    && !raw.starts_with(&q.to_string().repeat(3)) =>
            {
                value.start + 1 + range.start..value.start + 1 + range.end
            }
            _ => value,
        }
    }

    fn queue(&mut self, name: &Spanned<String>) -> Option<usize> {
        self.resolve(name, Namespace::Queue)
    }

    fn task_refs(&mut self, names: &Spanned<format::Names>) -> Option<Vec<usize>> {
        let mut refs = Vec::new();
        let mut ok = true;
        if names.get_ref().0.is_empty() {
            self.error(DiagnosticKind::InvalidValue, names.span(), "the list of tasks is empty");
            return None;
        }
        for name in &names.get_ref().0 {
            match self.decls.names.find(Namespace::Task, name) {
                Some(r) => refs.push(r),
                None if self.broken.contains(name) => ok = false,
                None => {
                    ok = false;
                    let d = Diagnostic::error(
                        DiagnosticKind::UnknownName(Namespace::Task),
                        names.span(),
                        format!("unknown task `{name}`"),
                    );
                    let tasks = self.decls.names.of(Namespace::Task);
                    let d = match did_you_mean(name, tasks.iter().chain(self.broken).map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None if name == "main" => d.with_help("`main` is the entry point and cannot be started"),
                        None => d.with_help(format!("declare it with `[tasks.{name}]`")),
                    };
                    self.diagnostics.push(d);
                }
            }
        }
        ok.then_some(refs)
    }

    /// An expression whose names are `i`, `count`, the task's own names given so far,
    /// `counter.NAME` and `container.NAME.level`.
    fn expr(&self, text: &str) -> Result<Expr, String> {
        let names = &self.decls.names;
        let locals = &self.locals;
        let params = &self.params;
        Expr::parse_with(text, &|word: &str| {
            if let Some(counter) = word.strip_prefix("counter.") {
                return names
                    .find(Namespace::Counter, counter)
                    .map(Expr::Counter)
                    .ok_or_else(|| format!("unknown counter `{counter}`"));
            }
            if let Some(rest) = word.strip_prefix("container.") {
                let Some(container) = rest.strip_suffix(".level") else {
                    return Err(format!("`{word}` is not a number: a container's is `container.NAME.level`"));
                };
                return names
                    .find(Namespace::Container, container)
                    .map(Expr::Level)
                    .ok_or_else(|| format!("unknown container `{container}`"));
            }
            if let Some(k) = locals.iter().position(|l| l == word) {
                return Ok(Expr::Local(k));
            }
            if word == "waited" {
                return Ok(Expr::Waited);
            }
            // A duration, in nanoseconds, to compare with `waited`.
            if word.starts_with(|c: char| c.is_ascii_digit()) {
                return humantime::parse_duration(word)
                    .ok()
                    .and_then(|d| i64::try_from(d.as_nanos()).ok())
                    .map(Expr::Int)
                    .ok_or_else(|| format!("`{word}` is neither a whole number nor a duration"));
            }
            if let Some((_, whole, used)) = params.iter().find(|(p, _, _)| p == word) {
                used.set(true);
                return whole.map(Expr::Int).ok_or_else(|| format!("parameter `{word}` is not a whole number"));
            }
            let known = locals.iter().map(String::as_str).chain(["i", "count"]);
            Err(match did_you_mean(word, known) {
                Some(s) => format!("unknown name `{word}`; did you mean `{s}`?"),
                None if locals.is_empty() => format!(
                    "unknown name `{word}`: an expression can use `i`, `count`, `counter.NAME`, \
                     `container.NAME.level`, and names the task gave a value with `let` before"
                ),
                None => format!("unknown name `{word}`: the task's own names so far are `{}`", locals.join("`, `")),
            })
        })
    }

    /// A `let` step's name: a slot of the task's own, the same for the same name.
    fn local(&mut self, name: &Spanned<String>) -> Option<usize> {
        let text = name.get_ref();
        let valid = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.error_help(
                DiagnosticKind::InvalidName,
                name.span(),
                format!("`{text}` is not a name `let` can give a value"),
                "a name starts with a letter or `_` and has only letters, digits and `_`",
            );
            return None;
        }
        if self.params.iter().any(|(p, _, _)| p == text) {
            self.error_help(
                DiagnosticKind::InvalidName,
                name.span(),
                format!("`{text}` is a parameter"),
                "a task's own name must differ from the parameters'",
            );
            return None;
        }
        let reserved = crate::template::Var::ALL.iter().map(|(n, _)| *n).chain(["forever", "counter", "container"]);
        if reserved.clone().any(|r| r == text) {
            self.error_help(
                DiagnosticKind::InvalidName,
                name.span(),
                format!("`{text}` is taken: messages already use `{{{text}}}`"),
                "choose another name",
            );
            return None;
        }
        Some(match self.locals.iter().position(|l| l == text) {
            Some(k) => k,
            None => {
                self.locals.push(text.clone());
                self.locals.len() - 1
            }
        })
    }

    /// The `value` of a `let` or `set-counter` step, which must have one.
    fn required_value(
        &mut self,
        s: &format::Step,
        span: Range<usize>,
        kind: &str,
        example: &str,
        replicas: u64,
    ) -> Option<Count> {
        let Some(value) = &s.value else {
            self.error_help(
                DiagnosticKind::MissingKey,
                span,
                format!("`{kind}` needs a `value`"),
                format!("add `value = {example}` (a number, an expression or a draw)"),
            );
            return None;
        };
        self.value(value, replicas)
    }

    /// A `let` value: any whole number, an expression, or a draw.
    fn value(&mut self, spanned: &Spanned<format::Count>, replicas: u64) -> Option<Count> {
        match spanned.get_ref() {
            format::Count::Fixed(n) => Some(Count::Expr(Expr::Int(*n))),
            format::Count::Text(t) if t != "forever" => match self.expr(t) {
                Ok(e) => Some(Count::Expr(e)),
                Err(why) => {
                    self.error_help(
                        DiagnosticKind::InvalidExpression,
                        spanned.span(),
                        format!("cannot read the value `{t}`: {why}"),
                        "write a whole number, an expression such as \"fuel + 1\", or a draw",
                    );
                    None
                }
            },
            _ => self.count(spanned, replicas),
        }
    }

    /// A container's capacity, `u64::MAX` when it has none.
    fn container_capacity(&self, container: usize) -> u64 {
        self.capacities.get(container).copied().unwrap_or(u64::MAX)
    }

    /// A `take`'s or `fill`'s amount: not negative, and, when fixed, within the capacity.
    fn amount(&mut self, spanned: &Spanned<format::Count>, container: Option<usize>, replicas: u64) -> Option<Count> {
        let span = spanned.span();
        match spanned.get_ref() {
            format::Count::Fixed(n) if *n < 0 => {
                self.error(
                    DiagnosticKind::OutOfRange,
                    span,
                    format!("an amount cannot be negative, and this one is {n}"),
                );
                None
            }
            format::Count::Fixed(n) if container.is_some_and(|c| *n as u64 > self.container_capacity(c)) => {
                let capacity = self.container_capacity(container.unwrap_or(0));
                self.error_help(
                    DiagnosticKind::OutOfRange,
                    span,
                    format!("an amount of {n} is above the container's capacity of {capacity}"),
                    "it could never be taken or filled at once",
                );
                None
            }
            format::Count::Text(t) if t == "forever" => {
                self.error(DiagnosticKind::InvalidValue, span, "an amount is a number, not `forever`");
                None
            }
            _ => self.value(spanned, replicas),
        }
    }

    /// `"fuel * 500ms"` or `"500ms * fuel"`: a duration and a whole number worked out when the
    /// step runs.
    fn scaled_duration(&mut self, text: &str, span: Range<usize>) -> Option<(Dist, Expr)> {
        let (left, right) = text.split_once('*')?;
        let is_duration = |s: &str| humantime::parse_duration(s.trim()).is_ok();
        let (duration, times) = match (is_duration(left), is_duration(right)) {
            (_, true) => (right, left),
            (true, false) => (left, right),
            (false, false) => {
                self.error_help(
                    DiagnosticKind::InvalidDuration,
                    span,
                    format!("`{text}` has no duration to multiply"),
                    "write a whole number times a duration with a unit, as in \"fuel * 500ms\"",
                );
                return None;
            }
        };
        let ns = self.duration_text(duration.trim(), span.clone())?;
        match self.expr(times.trim()) {
            Ok(e) => Some((Dist::Constant(ns), e)),
            Err(why) => {
                self.error_help(
                    DiagnosticKind::InvalidExpression,
                    span,
                    format!("cannot read the multiplier `{}`: {why}", times.trim()),
                    "write a whole number times a duration, as in \"fuel * 500ms\"",
                );
                None
            }
        }
    }

    fn count(&mut self, spanned: &Spanned<format::Count>, replicas: u64) -> Option<Count> {
        let span = spanned.span();
        match spanned.get_ref() {
            format::Count::Fixed(n) if *n < 0 => {
                self.error(
                    DiagnosticKind::OutOfRange,
                    span,
                    format!("a repeat count cannot be negative, and this one is {n}"),
                );
                None
            }
            format::Count::Fixed(n) => Some(Count::Expr(Expr::Int(*n))),
            format::Count::Text(t) if t == "forever" => Some(Count::Forever),
            format::Count::Text(t) => match self.expr(t) {
                Ok(expr) if expr.reads() != (false, false) => Some(Count::Expr(expr)),
                Ok(expr) => {
                    // Check the first and last replica: expressions are sums and products of
                    // `i` and constants, so a negative value shows up at one end in practice.
                    let last = replicas.saturating_sub(1) as i64;
                    for i in [0, last] {
                        match expr.eval_replica(i, replicas as i64) {
                            Some(v) if v >= 0 => {}
                            Some(v) => {
                                self.error(
                                    DiagnosticKind::InvalidExpression,
                                    span.clone(),
                                    format!("`{t}` is {v} for replica {i}, and a repeat count cannot be negative"),
                                );
                                return None;
                            }
                            None => {
                                self.error(
                                    DiagnosticKind::InvalidExpression,
                                    span.clone(),
                                    format!("`{t}` overflows for replica {i}"),
                                );
                                return None;
                            }
                        }
                    }
                    Some(Count::Expr(expr))
                }
                Err(why) => {
                    self.error_help(
                        DiagnosticKind::InvalidExpression,
                        span,
                        format!("cannot read the repeat count `{t}`: {why}"),
                        "write a whole number, an expression such as \"i + 1\", or \"forever\"",
                    );
                    None
                }
            },
            format::Count::Table(table) => self.dist_table(table, span, Unit::Count).map(Count::Drawn),
        }
    }

    /// Builds named distribution `k`, once, building the ones it names first.
    fn build_dist(&mut self, k: usize) {
        if self.dist_state[k] != Build::NotYet {
            return;
        }
        self.dist_state[k] = Build::Building;
        let (name, spec) = (self.dist_specs[k].0.clone(), self.dist_specs[k].1);
        let dist = self.duration(spec);
        self.dists[k] = (name, dist);
        self.dist_state[k] = Build::Done;
    }

    fn duration(&mut self, spanned: &Spanned<DurationSpec>) -> Option<Dist> {
        let span = spanned.span();
        match spanned.get_ref() {
            DurationSpec::Text(t) if t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') => {
                self.duration_text(t, span).map(Dist::Constant)
            }
            DurationSpec::Text(name) => match self.dist_specs.iter().position(|(n, _)| n == name) {
                Some(k) if self.dist_state[k] == Build::Building => {
                    self.error(
                        DiagnosticKind::InvalidDistribution,
                        span,
                        format!("distribution `{name}` is defined in terms of itself"),
                    );
                    None
                }
                Some(k) => {
                    self.build_dist(k);
                    self.dists[k].1.clone()
                }
                None if self.broken.contains(name) => None,
                None => {
                    let d = Diagnostic::error(
                        DiagnosticKind::UnknownName(Namespace::Distribution),
                        span,
                        format!("`{name}` is neither a duration nor a declared distribution"),
                    );
                    let help = match did_you_mean(
                        name,
                        self.dists.iter().map(|(n, _)| n).chain(self.broken).map(String::as_str),
                    ) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "a duration starts with a number and has a unit, as in \"1s\" or \"250ms\"".into(),
                    };
                    self.diagnostics.push(d.with_help(help));
                    None
                }
            },
            DurationSpec::Table(table) => self.dist_table(table, span, Unit::Duration),
        }
    }

    fn duration_text(&mut self, text: &str, span: Range<usize>) -> Option<u64> {
        if let Some(positive) = text.trim_start().strip_prefix('-') {
            self.error_help(
                DiagnosticKind::InvalidDuration,
                span,
                format!("a duration cannot be negative, and `{text}` is"),
                format!("write \"{}\", or \"0s\"", positive.trim_start()),
            );
            return None;
        }
        match humantime::parse_duration(text) {
            Ok(d) if d.as_nanos() > u128::from(MAX_VALUE) => {
                self.error(
                    DiagnosticKind::InvalidDuration,
                    span,
                    format!("`{text}` is longer than the longest duration, about 292 years"),
                );
                None
            }
            Ok(d) => Some(d.as_nanos() as u64),
            Err(e) => {
                self.error_help(
                    DiagnosticKind::InvalidDuration,
                    span,
                    format!("invalid duration `{text}`: {e}"),
                    "write a number and a unit, as in \"1s\", \"250ms\", \"20us\" or \"1h 30m\"",
                );
                None
            }
        }
    }

    /// One value in a distribution table, in nanoseconds or as a count.
    fn scalar(&mut self, v: &Spanned<Scalar>, unit: Unit) -> Option<u64> {
        match (v.get_ref(), unit) {
            (Scalar::Str(t), Unit::Duration) => self.duration_text(t, v.span()),
            (Scalar::Int(n), Unit::Count) if *n >= 0 => Some(*n as u64),
            (Scalar::Int(n), Unit::Count) => {
                self.error(
                    DiagnosticKind::OutOfRange,
                    v.span(),
                    format!("a count cannot be negative, and this one is {n}"),
                );
                None
            }
            (Scalar::Int(n), Unit::Duration) => {
                self.error_help(
                    DiagnosticKind::InvalidDuration,
                    v.span(),
                    "a duration needs a unit",
                    format!("write \"{n}s\" for {n} seconds"),
                );
                None
            }
            (Scalar::Float(f), Unit::Duration) => {
                self.error_help(
                    DiagnosticKind::InvalidDuration,
                    v.span(),
                    "a duration needs a unit",
                    format!("write \"{}ms\" for {f} seconds", f * 1000.0),
                );
                None
            }
            (Scalar::Float(_) | Scalar::Str(_), Unit::Count) => {
                self.error(DiagnosticKind::WrongType, v.span(), "a count is a whole number");
                None
            }
        }
    }

    fn dist_table(&mut self, t: &DistTable, span: Range<usize>, unit: Unit) -> Option<Dist> {
        let kinds: Vec<(&str, Range<usize>)> = [
            ("constant", t.constant.as_ref().map(Spanned::span)),
            ("uniform", t.uniform.as_ref().map(Spanned::span)),
            ("exponential", t.exponential.as_ref().map(Spanned::span)),
            ("normal", t.normal.as_ref().map(Spanned::span)),
            ("log-normal", t.log_normal.as_ref().map(Spanned::span)),
            ("choice", t.choice.as_ref().map(Spanned::span)),
            ("sequence", t.sequence.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let kind = match kinds.as_slice() {
            [] => {
                self.error_help(
                    DiagnosticKind::InvalidDistribution,
                    span,
                    "a distribution table needs a kind",
                    "use one of `constant`, `uniform`, `exponential`, `normal`, `log-normal`, `choice`, `sequence`",
                );
                return None;
            }
            [(kind, _)] => *kind,
            [(first, _), (second, s), ..] => {
                self.error(
                    DiagnosticKind::InvalidDistribution,
                    s.clone(),
                    format!("a distribution has one kind, and this one has both `{first}` and `{second}`"),
                );
                return None;
            }
        };
        let params = [
            ("step", t.step.as_ref().map(Spanned::span), "uniform"),
            ("std-dev", t.std_dev.as_ref().map(Spanned::span), "normal"),
            ("sigma", t.sigma.as_ref().map(Spanned::span), "log-normal"),
            ("weights", t.weights.as_ref().map(Spanned::span), "choice"),
        ];
        for (param, param_span, owner) in params {
            if let Some(s) = param_span.filter(|_| owner != kind) {
                self.error_help(
                    DiagnosticKind::InvalidDistribution,
                    s,
                    format!("`{param}` does not go with `{kind}`"),
                    format!("`{param}` goes with `{owner}`"),
                );
                return None;
            }
        }
        if unit == Unit::Count && matches!(kind, "exponential" | "normal" | "log-normal") {
            self.error_help(
                DiagnosticKind::InvalidDistribution,
                span,
                format!("a count is a whole number, and `{kind}` draws fractions"),
                "use `uniform`, `choice`, `sequence` or `constant`",
            );
            return None;
        }

        match kind {
            "constant" => self.scalar(t.constant.as_ref()?, unit).map(Dist::Constant),
            "uniform" => {
                let bounds = t.uniform.as_ref()?;
                let [low, high] = bounds.get_ref().as_slice() else {
                    self.error_help(
                        DiagnosticKind::InvalidDistribution,
                        bounds.span(),
                        "`uniform` takes two values",
                        "write `uniform = [low, high]`",
                    );
                    return None;
                };
                let (low, high) = (self.scalar(low, unit), self.scalar(high, unit));
                let (low, high) = (low?, high?);
                if low > high {
                    self.error(
                        DiagnosticKind::InvalidDistribution,
                        bounds.span(),
                        "`uniform`'s low value is above its high value",
                    );
                    return None;
                }
                let step = match (&t.step, unit) {
                    (Some(s), _) => self.scalar(s, unit)?,
                    (None, Unit::Count) => 1,
                    (None, Unit::Duration) => return Some(Dist::Uniform { low, high }),
                };
                let step_span = t.step.as_ref().map_or(span.clone(), Spanned::span);
                if step == 0 {
                    self.error(DiagnosticKind::InvalidDistribution, step_span, "`step` must be above zero");
                    return None;
                }
                if (high - low) % step != 0 {
                    self.error_help(
                        DiagnosticKind::InvalidDistribution,
                        step_span,
                        "the range of `uniform` is not a whole number of steps",
                        "make high minus low a multiple of `step`",
                    );
                    return None;
                }
                Some(Dist::Grid { low, step, n: (high - low) / step + 1 })
            }
            "exponential" => {
                let mean = self.scalar(t.exponential.as_ref()?, unit)?;
                if mean == 0 {
                    self.error(
                        DiagnosticKind::InvalidDistribution,
                        t.exponential.as_ref()?.span(),
                        "an exponential's mean must be above zero",
                    );
                    return None;
                }
                Some(Dist::Exponential { mean: mean as f64 })
            }
            "normal" => {
                let mean = self.scalar(t.normal.as_ref()?, unit);
                let std_dev = match &t.std_dev {
                    Some(s) => self.scalar(s, unit),
                    None => {
                        self.error_help(
                            DiagnosticKind::InvalidDistribution,
                            span,
                            "`normal` needs `std-dev`",
                            "write `{ normal = \"1s\", std-dev = \"100ms\" }`",
                        );
                        None
                    }
                };
                Some(Dist::Normal { mean: mean? as f64, std_dev: std_dev? as f64 })
            }
            "log-normal" => {
                let median = self.scalar(t.log_normal.as_ref()?, unit);
                let sigma = match &t.sigma {
                    Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => Some(*s.get_ref()),
                    Some(s) => {
                        self.error(DiagnosticKind::InvalidDistribution, s.span(), "`sigma` must be zero or above");
                        None
                    }
                    None => {
                        self.error_help(
                            DiagnosticKind::InvalidDistribution,
                            span,
                            "`log-normal` needs `sigma`",
                            "write `{ log-normal = \"1s\", sigma = 0.5 }`",
                        );
                        None
                    }
                };
                let median = median?;
                if median == 0 {
                    self.error(
                        DiagnosticKind::InvalidDistribution,
                        t.log_normal.as_ref()?.span(),
                        "a log-normal's median must be above zero",
                    );
                    return None;
                }
                Some(Dist::LogNormal { mu: libm::log(median as f64), sigma: sigma? })
            }
            "choice" => {
                let values = self.values(t.choice.as_ref()?, unit, "choice")?;
                let weights = match &t.weights {
                    None => vec![1.0; values.len()],
                    Some(w) => {
                        let ws: Vec<f64> = w.get_ref().iter().map(|x| *x.get_ref()).collect();
                        if ws.len() != values.len() {
                            self.error(
                                DiagnosticKind::InvalidDistribution,
                                w.span(),
                                format!("{} weights for {} values", ws.len(), values.len()),
                            );
                            return None;
                        }
                        if let Some(bad) = w.get_ref().iter().find(|x| !x.get_ref().is_finite() || *x.get_ref() < 0.0) {
                            self.error(
                                DiagnosticKind::InvalidDistribution,
                                bad.span(),
                                "a weight must be zero or above",
                            );
                            return None;
                        }
                        let sum = ws.iter().sum::<f64>();
                        if !sum.is_finite() {
                            self.error_help(
                                DiagnosticKind::InvalidDistribution,
                                w.span(),
                                "the weights add up to more than the largest number",
                                "weights are relative: divide them all by the same number",
                            );
                            return None;
                        }
                        if sum <= 0.0 {
                            self.error(DiagnosticKind::InvalidDistribution, w.span(), "the weights sum to zero");
                            return None;
                        }
                        ws
                    }
                };
                let cumulative = weights.iter().scan(0.0, |acc, w| {
                    *acc += w;
                    Some(*acc)
                });
                Some(Dist::Choice { values, cumulative: cumulative.collect() })
            }
            "sequence" => {
                let values = self.values(t.sequence.as_ref()?, unit, "sequence")?;
                self.sequence_slots += 1;
                Some(Dist::Sequence { values, slot: self.sequence_slots - 1 })
            }
            _ => unreachable!("kind {kind} is listed above"),
        }
    }

    fn values(&mut self, list: &Spanned<Vec<Spanned<Scalar>>>, unit: Unit, what: &str) -> Option<Vec<u64>> {
        if list.get_ref().is_empty() {
            self.error(DiagnosticKind::InvalidDistribution, list.span(), format!("`{what}` needs at least one value"));
            return None;
        }
        let values: Vec<Option<u64>> = list.get_ref().iter().map(|v| self.scalar(v, unit)).collect();
        values.into_iter().collect()
    }
}
