//! `scenario graph`: the model as a picture. Tasks (with their replica counts), arrivals, queues,
//! semaphores, events, barriers and rate limits are nodes; what each task does to each is an
//! edge, labelled (puts, gets, holds, starts, waits for, cancels...). Written as Mermaid (which
//! GitHub and GitLab draw in Markdown) or as Graphviz DOT.
//!
//! Nodes come in declaration order and edges in the order the steps first use them, each once,
//! so the same file gives the same bytes.

use std::fmt::Write as _;

use crate::plan::{Condition, Plan, Step, Subject, TaskPlan};

/// The graph's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart, for Markdown.
    Mermaid,
    /// Graphviz DOT: `scenario graph FILE --format dot | dot -Tsvg > model.svg`.
    Dot,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Task,
    Arrivals,
    Queue,
    Semaphore,
    Event,
    Barrier,
    RateLimit,
    Counter,
    Container,
}

struct Node {
    id: String,
    label: String,
    kind: Kind,
}

/// The nodes and labelled edges of a plan.
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<(String, String, &'static str)>,
}

impl Graph {
    fn edge(&mut self, from: String, to: String, label: &'static str) {
        if !self.edges.iter().any(|(f, t, l)| *f == from && *t == to && *l == label) {
            self.edges.push((from, to, label));
        }
    }
}

/// The graph of a compiled scenario.
pub fn render(plan: &Plan, format: GraphFormat) -> String {
    let graph = build(plan);
    match format {
        GraphFormat::Mermaid => mermaid(&graph),
        GraphFormat::Dot => dot(&graph),
    }
}

/// A task's node: `task_0` is `main`, then the declared tasks and arrivals in file order, then
/// `after` (names may hold `-`, which neither language takes in a bare name).
fn task_id(k: usize) -> String {
    format!("task_{k}")
}

fn build(plan: &Plan) -> Graph {
    let mut nodes = Vec::new();
    let all_tasks: Vec<&TaskPlan> = std::iter::once(&plan.main).chain(&plan.tasks).chain(&plan.after).collect();
    let spawned: Vec<usize> = plan.tasks.iter().filter_map(|t| crate::lint::spawns(&t.steps)).collect();
    for (k, t) in all_tasks.iter().enumerate() {
        let arrivals = crate::lint::arrives(&t.steps) || crate::lint::spawns(&t.steps).is_some();
        let label = if t.count > 1 {
            format!("{} ×{}", t.name, t.count)
        } else if k > 0 && spawned.contains(&(k - 1)) {
            format!("{} ×arrivals", t.name)
        } else {
            t.name.clone()
        };
        nodes.push(Node { id: task_id(k), label, kind: if arrivals { Kind::Arrivals } else { Kind::Task } });
    }
    for (k, q) in plan.queues.iter().enumerate() {
        let label = match q.capacity {
            Some(c) => format!("{} (capacity {c})", q.name),
            None => q.name.clone(),
        };
        nodes.push(Node { id: format!("queue_{k}"), label, kind: Kind::Queue });
    }
    for (k, s) in plan.semaphores.iter().enumerate() {
        let label = format!("{}: {} permits", s.name, s.permits);
        nodes.push(Node { id: format!("semaphore_{k}"), label, kind: Kind::Semaphore });
    }
    for (k, e) in plan.events.iter().enumerate() {
        nodes.push(Node { id: format!("event_{k}"), label: e.name.clone(), kind: Kind::Event });
    }
    for (k, b) in plan.barriers.iter().enumerate() {
        let label = format!("{}: {} parties", b.name, b.parties);
        nodes.push(Node { id: format!("barrier_{k}"), label, kind: Kind::Barrier });
    }
    for (k, r) in plan.rate_limits.iter().enumerate() {
        nodes.push(Node { id: format!("limit_{k}"), label: r.name.clone(), kind: Kind::RateLimit });
    }
    for (k, (name, _)) in plan.counters.iter().enumerate() {
        nodes.push(Node { id: format!("counter_{k}"), label: name.clone(), kind: Kind::Counter });
    }
    for (k, c) in plan.containers.iter().enumerate() {
        let label = if c.capacity == u64::MAX { c.name.clone() } else { format!("{}: {}", c.name, c.capacity) };
        nodes.push(Node { id: format!("container_{k}"), label, kind: Kind::Container });
    }
    let mut graph = Graph { nodes, edges: Vec::new() };
    for (k, t) in all_tasks.iter().enumerate() {
        walk(plan, &task_id(k), &t.steps, &mut graph);
    }
    graph
}

/// Adds the edges of one task's steps.
fn walk(plan: &Plan, me: &str, steps: &[Step], g: &mut Graph) {
    let task = |t: usize| task_id(t + 1);
    let me = || me.to_owned();
    for step in steps {
        match step {
            Step::Put { queue, .. } => g.edge(me(), format!("queue_{queue}"), "puts"),
            Step::Arrive { queue, drop, .. } => {
                g.edge(me(), format!("queue_{queue}"), if *drop { "arrives (or is dropped)" } else { "arrives" });
            }
            Step::Spawn { task: t } => g.edge(me(), task(*t), "starts one per arrival"),
            Step::Add { counter, .. } => g.edge(me(), format!("counter_{counter}"), "adds to"),
            Step::SetCounter { counter, .. } => g.edge(me(), format!("counter_{counter}"), "sets"),
            Step::WaitUntil { counter, .. } => g.edge(format!("counter_{counter}"), me(), "wakes"),
            Step::Take { container, .. } => g.edge(format!("container_{container}"), me(), "takes from"),
            Step::Fill { container, .. } => g.edge(me(), format!("container_{container}"), "fills"),
            Step::Let { .. } => {}
            Step::Scheduled { arrive, .. } => walk(plan, &me(), std::slice::from_ref(arrive), g),
            Step::Choose { .. } | Step::When { .. } => {
                if let Step::When { condition, .. } = step {
                    let looked_at = match *condition {
                        Condition::CallAbandoned { .. } | Condition::Exprs { .. } => String::new(),
                        Condition::Event { event, .. } => format!("event_{event}"),
                        Condition::Compare { subject: Subject::QueueLength(q), .. } => format!("queue_{q}"),
                        Condition::Compare { subject: Subject::Free(k) | Subject::InUse(k), .. } => {
                            format!("semaphore_{k}")
                        }
                        Condition::Compare { subject: Subject::Counter(c), .. } => format!("counter_{c}"),
                        Condition::Compare { subject: Subject::Level(c), .. } => format!("container_{c}"),
                    };
                    if !looked_at.is_empty() {
                        g.edge(looked_at, me(), "checks");
                    }
                }
                step.branches().into_iter().for_each(|b| walk(plan, &me(), b, g));
            }
            Step::Get { queue, .. } => g.edge(format!("queue_{queue}"), me(), "gets"),
            Step::Call { queue, .. } => g.edge(me(), format!("queue_{queue}"), "calls"),
            Step::Reply { queue, .. } => g.edge(me(), format!("queue_{queue}"), "replies"),
            Step::Done { queue } => g.edge(me(), format!("queue_{queue}"), "marks done"),
            Step::Join { queue } => g.edge(me(), format!("queue_{queue}"), "joins"),
            Step::Acquire { semaphore, .. } => g.edge(me(), format!("semaphore_{semaphore}"), "acquires"),
            Step::Release { semaphore } => g.edge(me(), format!("semaphore_{semaphore}"), "releases"),
            Step::Hold { semaphore, body, .. } => {
                g.edge(me(), format!("semaphore_{semaphore}"), "holds");
                walk(plan, &me(), body, g);
            }
            Step::Set { event } => g.edge(me(), format!("event_{event}"), "sets"),
            Step::Clear { event } => g.edge(me(), format!("event_{event}"), "clears"),
            Step::WaitEvent { event } => g.edge(format!("event_{event}"), me(), "wakes"),
            Step::Barrier { barrier } => g.edge(me(), format!("barrier_{barrier}"), "meets at"),
            Step::Throttle { limit } => g.edge(format!("limit_{limit}"), me(), "throttles"),
            Step::ToThread { .. } => {
                if let Some(pool) = plan.thread_pool {
                    g.edge(me(), format!("semaphore_{pool}"), "runs on");
                }
            }
            Step::Start { tasks } => tasks.iter().for_each(|&t| g.edge(me(), task(t), "starts")),
            Step::Gather { tasks, .. } => tasks.iter().for_each(|&t| g.edge(me(), task(t), "gathers")),
            Step::Race { tasks, .. } => tasks.iter().for_each(|&t| g.edge(me(), task(t), "races")),
            Step::Wait { tasks, .. } => tasks.iter().for_each(|&t| g.edge(me(), task(t), "waits for")),
            Step::Cancel { tasks } => tasks.iter().for_each(|&t| g.edge(me(), task(t), "cancels")),
            Step::Repeat { body, .. } | Step::Retry { body, .. } => walk(plan, &me(), body, g),
            Step::Timeout { body, on_timeout, finally, .. } => {
                for block in [body, on_timeout, finally] {
                    walk(plan, &me(), block, g);
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
                    walk(plan, &me(), block, g);
                }
            }
            Step::Sleep { on_interrupt, .. } => walk(plan, &me(), on_interrupt.as_deref().unwrap_or_default(), g),
            Step::Interrupt { tasks, .. } => tasks.iter().for_each(|&t| g.edge(me(), task(t), "interrupts")),
            Step::Until { event, body, on_set } => {
                g.edge(format!("event_{event}"), me(), "ends a block of");
                walk(plan, &me(), body, g);
                walk(plan, &me(), on_set, g);
            }
            Step::Say(_) | Step::Gap { .. } | Step::Busy { .. } | Step::Fail { .. } => {}
        }
    }
}

/// A label in double quotes, as Mermaid and DOT both read it.
fn quoted(label: &str) -> String {
    format!("\"{}\"", label.replace('\\', "\\\\").replace('"', "#quot;"))
}

fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for n in &g.nodes {
        let label = quoted(&n.label);
        let _ = match n.kind {
            Kind::Task => writeln!(out, "    {}[{label}]", n.id),
            Kind::Arrivals => writeln!(out, "    {}[/{label}/]", n.id),
            Kind::Queue => writeln!(out, "    {}[({label})]", n.id),
            Kind::Semaphore => writeln!(out, "    {}{{{{{label}}}}}", n.id),
            Kind::Event => writeln!(out, "    {}>{label}]", n.id),
            Kind::Barrier => writeln!(out, "    {}[[{label}]]", n.id),
            Kind::RateLimit => writeln!(out, "    {}(({label}))", n.id),
            Kind::Counter => writeln!(out, "    {}([{label}])", n.id),
            Kind::Container => writeln!(out, "    {}[\\{label}/]", n.id),
        };
    }
    for (from, to, label) in &g.edges {
        let _ = writeln!(out, "    {from} -->|\"{label}\"| {to}");
    }
    out
}

fn dot(g: &Graph) -> String {
    let mut out = String::from("digraph scenario {\n    rankdir=LR;\n    node [fontname=\"Helvetica\"];\n");
    for n in &g.nodes {
        let shape = match n.kind {
            Kind::Task => "box",
            Kind::Arrivals => "parallelogram",
            Kind::Queue => "cylinder",
            Kind::Semaphore => "hexagon",
            Kind::Event => "cds",
            Kind::Barrier => "box3d",
            Kind::RateLimit => "circle",
            Kind::Counter => "note",
            Kind::Container => "invtrapezium",
        };
        let label = n.label.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(out, "    {} [label=\"{label}\", shape={shape}];", n.id);
    }
    for (from, to, label) in &g.edges {
        let _ = writeln!(out, "    {from} -> {to} [label=\"{label}\"];");
    }
    out.push_str("}\n");
    out
}
