//! Warnings: likely mistakes in a scenario that still compiles. Runs on the finished plan, so it
//! sees how every queue, event and task is used across the whole file.

use std::ops::Range;

use crate::compile::Names;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Namespace};
use crate::dist::Dist;
use crate::plan::{Count, Plan, Step};

/// What a file declares and where, by index as in the plan.
#[derive(Debug, Default)]
pub struct Declarations {
    /// Every namespace; tasks are the declared tasks, then arrivals, as in `Plan::tasks`.
    pub names: Names,
    /// Where `thread-pool` is set, if it is.
    pub thread_pool: Option<Range<usize>>,
    /// How many of the tasks are declared tasks; the rest are arrivals sources.
    pub declared_tasks: usize,
    /// Whether the file has a `[main]` (without one, every task is gathered).
    pub has_main: bool,
}

/// How the steps of the whole scenario use each declaration.
#[derive(Default)]
struct Uses {
    puts: Vec<bool>,
    gets: Vec<bool>,
    queue_joins: Vec<bool>,
    semaphores: Vec<bool>,
    sets: Vec<bool>,
    event_waits: Vec<bool>,
    barriers: Vec<bool>,
    rate_limits: Vec<bool>,
    counter_adds: Vec<bool>,
    containers: Vec<bool>,
    to_thread: bool,
    started: Vec<bool>,
    /// Started by a `start` step (not by `gather` or `race`).
    started_alone: Vec<bool>,
    /// Started by a `gather` or `race` step.
    gathered: Vec<bool>,
    awaited: Vec<bool>,
    stopped: Vec<bool>,
}

pub fn lint(plan: &Plan, decls: &Declarations) -> Vec<Diagnostic> {
    use DiagnosticKind::*;
    use Namespace::*;
    let mut u = Uses {
        puts: vec![false; plan.queues.len()],
        gets: vec![false; plan.queues.len()],
        queue_joins: vec![false; plan.queues.len()],
        semaphores: vec![false; plan.semaphores.len()],
        sets: plan.events.iter().map(|e| e.initially_set).collect(),
        event_waits: vec![false; plan.events.len()],
        barriers: vec![false; plan.barriers.len()],
        rate_limits: vec![false; plan.rate_limits.len()],
        counter_adds: vec![false; plan.counters.len()],
        containers: vec![false; plan.containers.len()],
        to_thread: false,
        started: vec![false; plan.tasks.len()],
        started_alone: vec![false; plan.tasks.len()],
        gathered: vec![false; plan.tasks.len()],
        awaited: vec![false; plan.tasks.len()],
        stopped: vec![false; plan.tasks.len()],
    };
    for task in plan.tasks.iter().chain([&plan.main]).chain(&plan.after) {
        walk(&task.steps, &mut u);
    }
    if let Some(pool) = plan.thread_pool {
        u.semaphores[pool] = true;
    }

    let mut out = Vec::new();
    let mut warn = |kind: DiagnosticKind, span: &Range<usize>, message: String, help: &str| {
        out.push(Diagnostic::warning(kind, span.clone(), message).with_help(help));
    };
    let spans = |ns| decls.names.spans(ns);
    for (q, queue) in plan.queues.iter().enumerate() {
        let name = &queue.name;
        match (u.puts[q], u.gets[q]) {
            (false, false) if !u.queue_joins[q] => warn(
                Unused,
                &spans(Queue)[q],
                format!("queue `{name}` is never used"),
                "remove it, or put and get items",
            ),
            (true, false) => warn(
                OneSided,
                &spans(Queue)[q],
                format!("items are put on queue `{name}`, but nothing gets them"),
                "add a task with `{ get = \"...\" }`, or the items pile up",
            ),
            (false, true) => warn(
                OneSided,
                &spans(Queue)[q],
                format!("tasks get from queue `{name}`, but nothing puts on it"),
                "they will wait forever; add a `put` or an `[arrivals]` source",
            ),
            _ => {}
        }
    }
    for (e, event) in plan.events.iter().enumerate() {
        let name = &event.name;
        if u.event_waits[e] && !u.sets[e] {
            warn(
                OneSided,
                &spans(Event)[e],
                format!("tasks wait for event `{name}`, but nothing sets it"),
                "they will wait forever; add `{ set = \"...\" }` or start it with `set = true`",
            );
        } else if !u.event_waits[e] && !u.sets[e] {
            warn(
                Unused,
                &spans(Event)[e],
                format!("event `{name}` is never used"),
                "remove it, or set and wait for it",
            );
        }
    }
    if let Some(pool) = decls.thread_pool.as_ref().filter(|_| !u.to_thread) {
        warn(
            Unused,
            pool,
            "`thread-pool` is set, but no step uses `to-thread`".into(),
            "remove it, or hand blocking work to a thread with `{ to-thread = \"...\" }`",
        );
    }
    let unused =
        [(Semaphore, &u.semaphores), (Barrier, &u.barriers), (RateLimit, &u.rate_limits), (Container, &u.containers)];
    for (ns, used) in unused {
        // The thread pool comes after the declared semaphores, and is never unused here.
        for (k, name) in decls.names.of(ns).iter().enumerate().filter(|(k, _)| !used[*k]) {
            let what = ns.what();
            warn(Unused, &spans(ns)[k], format!("{what} `{name}` is never used"), "remove it, or use it in a step");
        }
    }
    for (c, (name, _)) in plan.counters.iter().enumerate().filter(|(c, _)| !u.counter_adds[*c]) {
        warn(
            Unused,
            &spans(Counter)[c],
            format!("counter `{name}` is never added to"),
            "it keeps its initial value; add to it with `{ add = \"...\" }`, or remove it",
        );
    }
    for (t, task) in plan.tasks.iter().enumerate() {
        let name = &task.name;
        let what = if t < decls.declared_tasks { "task" } else { "arrivals source" };
        if !u.started[t] && decls.has_main {
            let help = if u.awaited[t] || u.stopped[t] {
                "waiting for or cancelling a task that never started returns at once; start it with `{ start = \"...\" }`"
            } else {
                "start it from `main` with `{ start = \"...\" }` or `{ gather = \"...\" }`"
            };
            warn(NeverStarted, &spans(Task)[t], format!("{what} `{name}` is never started"), help);
        } else if let Some(longest) =
            longest_fixed_wait(&task.steps).filter(|&d| d > plan.limits.time_limit && !u.stopped[t])
        {
            let mut limit = String::new();
            crate::seconds::push_humantime(&mut limit, plan.limits.time_limit);
            let mut wait = String::new();
            crate::seconds::push_humantime(&mut wait, longest);
            warn(
                PastTimeLimit,
                &spans(Task)[t],
                format!("{what} `{name}` waits {wait} at once, longer than the time limit of {limit}"),
                "the run will stop at its time limit first; raise `time-limit`, or shorten the wait",
            );
        } else if u.started_alone[t] && u.gathered[t] {
            warn(
                StartedTwice,
                &spans(Task)[t],
                format!("task `{name}` is started with `start` and also with `gather` or `race`, which start it again"),
                "`gather` and `race` start new replicas, as asyncio.gather does with a coroutine; to wait for the \
                 replicas `start` started, use `{ wait = \"...\" }`",
            );
        } else if u.awaited[t] && !u.stopped[t] && repeats_forever(&task.steps) {
            warn(
                RunsForever,
                &spans(Task)[t],
                format!("{what} `{name}` repeats forever, and it is waited for but never cancelled"),
                "the run can then end only at its time limit; cancel it, or give its `repeat` a count",
            );
        }
    }
    out
}

/// The longest fixed sleep or blocking work among a task's steps, outside timeout blocks.
fn longest_fixed_wait(steps: &[Step]) -> Option<u64> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Sleep { duration: Dist::Constant(d), .. }
            | Step::Gap { duration: Dist::Constant(d), .. }
            | Step::ToThread { duration: Dist::Constant(d) }
            | Step::Busy { duration: Dist::Constant(d) } => Some(*d),
            // A generous deadline is normal, and a long wait inside a timeout may never happen.
            Step::Timeout { on_timeout, finally, .. } => {
                [longest_fixed_wait(on_timeout), longest_fixed_wait(finally)].into_iter().flatten().max()
            }
            Step::Repeat { body, .. } | Step::Retry { body, .. } | Step::Hold { body, .. } => longest_fixed_wait(body),
            Step::Choose { .. } | Step::When { .. } => s.branches().into_iter().filter_map(longest_fixed_wait).max(),
            Step::Try { body, on_error, on_cancel, on_interrupt, finally } => [
                longest_fixed_wait(body),
                longest_fixed_wait(on_error.as_deref().unwrap_or_default()),
                longest_fixed_wait(on_cancel),
                longest_fixed_wait(on_interrupt.as_deref().unwrap_or_default()),
                longest_fixed_wait(finally),
            ]
            .into_iter()
            .flatten()
            .max(),
            _ => None,
        })
        .max()
}

/// Whether a task's own steps (not blocks it may leave) include a `repeat = "forever"`.
fn repeats_forever(steps: &[Step]) -> bool {
    steps.iter().any(|s| match s {
        Step::Repeat { times: Count::Forever, .. } => true,
        Step::Hold { body, .. } => repeats_forever(body),
        _ => false,
    })
}

/// Whether `steps` start a task per arrival (an `[arrivals]` source with `start`); the task's
/// index in `Plan::tasks`.
pub(crate) fn spawns(steps: &[Step]) -> Option<usize> {
    steps.iter().find_map(|s| match s {
        Step::Spawn { task } => Some(*task),
        Step::Repeat { body, .. } => spawns(body),
        Step::Scheduled { arrive, .. } => spawns(std::slice::from_ref(arrive)),
        _ => None,
    })
}

/// Whether steps hold an open arrival: the task is an `[arrivals]` source.
pub(crate) fn arrives(steps: &[Step]) -> bool {
    steps.iter().any(|s| match s {
        Step::Arrive { .. } => true,
        Step::Repeat { body, .. } => arrives(body),
        Step::Scheduled { arrive, .. } => arrives(std::slice::from_ref(arrive)),
        _ => false,
    })
}

/// Per queue, whether any step of the plan marks its items `done`.
pub(crate) fn queues_marked_done(plan: &Plan) -> Vec<bool> {
    fn mark(steps: &[Step], done: &mut [bool]) {
        for step in steps {
            match step {
                Step::Done { queue } => done[*queue] = true,
                Step::Sleep { on_interrupt: Some(handler), .. } => mark(handler, done),
                Step::Until { body, on_set, .. } => {
                    mark(body, done);
                    mark(on_set, done);
                }
                Step::Repeat { body, .. } | Step::Retry { body, .. } | Step::Hold { body, .. } => mark(body, done),
                Step::Choose { .. } | Step::When { .. } => step.branches().into_iter().for_each(|b| mark(b, done)),
                Step::Timeout { body, on_timeout, finally, .. } => {
                    for block in [body, on_timeout, finally] {
                        mark(block, done);
                    }
                }
                Step::Try { body, on_error, on_cancel, on_interrupt, finally } => {
                    for block in [
                        body,
                        on_error.as_deref().unwrap_or_default(),
                        on_cancel,
                        on_interrupt.as_deref().unwrap_or_default(),
                        finally,
                    ] {
                        mark(block, done);
                    }
                }
                _ => {}
            }
        }
    }
    let mut done = vec![false; plan.queues.len()];
    for task in std::iter::once(&plan.main).chain(&plan.tasks).chain(&plan.after) {
        mark(&task.steps, &mut done);
    }
    done
}

fn walk(steps: &[Step], u: &mut Uses) {
    for step in steps {
        match step {
            Step::Put { queue, .. } | Step::Arrive { queue, .. } => u.puts[*queue] = true,
            Step::Spawn { task } => u.started[*task] = true,
            Step::Add { counter, .. } | Step::SetCounter { counter, .. } => u.counter_adds[*counter] = true,
            Step::WaitUntil { .. } | Step::Let { .. } => {}
            Step::Take { container, .. } | Step::Fill { container, .. } => u.containers[*container] = true,
            Step::Choose { .. } | Step::When { .. } => step.branches().into_iter().for_each(|b| walk(b, u)),
            Step::Scheduled { arrive, .. } => walk(std::slice::from_ref(arrive), u),
            Step::Get { queue, .. } => u.gets[*queue] = true,
            Step::Call { queue, .. } => u.puts[*queue] = true,
            Step::Reply { .. } => {}
            Step::Join { queue } | Step::Done { queue } => u.queue_joins[*queue] = true,
            Step::Acquire { semaphore, .. } | Step::Release { semaphore } => u.semaphores[*semaphore] = true,
            Step::Hold { semaphore, body, .. } => {
                u.semaphores[*semaphore] = true;
                walk(body, u);
            }
            Step::Set { event } => u.sets[*event] = true,
            Step::Clear { .. } => {}
            Step::WaitEvent { event } => u.event_waits[*event] = true,
            Step::Barrier { barrier } => u.barriers[*barrier] = true,
            Step::Throttle { limit } => u.rate_limits[*limit] = true,
            Step::Start { tasks } => tasks.iter().for_each(|&t| {
                u.started[t] = true;
                u.started_alone[t] = true;
            }),
            Step::Gather { tasks, .. } => tasks.iter().for_each(|&t| {
                u.gathered[t] = true;
                u.started[t] = true;
                u.awaited[t] = true;
            }),
            Step::Race { tasks, .. } => tasks.iter().for_each(|&t| {
                u.gathered[t] = true;
                u.started[t] = true;
                u.stopped[t] = true;
            }),
            Step::Wait { tasks, .. } => tasks.iter().for_each(|&t| u.awaited[t] = true),
            Step::Cancel { tasks } => tasks.iter().for_each(|&t| u.stopped[t] = true),
            Step::Repeat { body, .. } | Step::Retry { body, .. } => walk(body, u),
            Step::Timeout { body, on_timeout, finally, .. } => {
                walk(body, u);
                walk(on_timeout, u);
                walk(finally, u);
            }
            Step::Try { body, on_error, on_cancel, on_interrupt, finally } => {
                walk(body, u);
                walk(on_error.as_deref().unwrap_or_default(), u);
                walk(on_cancel, u);
                walk(on_interrupt.as_deref().unwrap_or_default(), u);
                walk(finally, u);
            }
            Step::ToThread { .. } => u.to_thread = true,
            Step::Sleep { on_interrupt, .. } => walk(on_interrupt.as_deref().unwrap_or_default(), u),
            Step::Until { event, body, on_set } => {
                u.event_waits[*event] = true;
                walk(body, u);
                walk(on_set, u);
            }
            Step::Interrupt { .. } | Step::Gap { .. } | Step::Say(_) | Step::Busy { .. } | Step::Fail { .. } => {}
        }
    }
}
