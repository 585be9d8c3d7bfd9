//! Compile: check a parsed scenario and lower it to a [`Plan`].
//!
//! Reports every problem it finds, not just the first: each check that fails adds a
//! [`Diagnostic`] and compilation goes on with a placeholder, so one run of `scenario check`
//! shows the whole list. A plan is returned only when there are no errors.

use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::dist::{Dist, MAX_VALUE};
use crate::format::{self, DistTable, DurationSpec, Scalar};
pub use crate::plan::Plan;
use crate::plan::{Count, Expr, QueuePlan, Step, TaskPlan};
use crate::template::Template;

/// The most replicas one task may have.
pub const MAX_REPLICAS: i64 = 1_000_000;
/// The largest queue capacity.
pub const MAX_CAPACITY: i64 = 1 << 32;
/// The virtual-time limit when the file sets none.
pub const DEFAULT_TIME_LIMIT: &str = "24h";

/// Checks `scenario` (parsed from `source`) and lowers it to a plan.
pub fn compile(scenario: &format::Scenario, source: &str) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut c = Compiler {
        source,
        diagnostics: Vec::new(),
        queues: Vec::new(),
        tasks: Vec::new(),
        dists: Vec::new(),
        sequence_slots: 0,
    };
    let plan = c.scenario(scenario);
    let ok = !c.diagnostics.iter().any(|d| d.severity == crate::diagnostic::Severity::Error);
    (plan.filter(|_| ok), c.diagnostics)
}

/// Parses and compiles a scenario file's text.
pub fn load(source: &str) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
    let scenario = format::parse(source).map_err(|(span, message)| vec![parse_error(source, span, message)])?;
    match compile(&scenario, source) {
        (Some(plan), diagnostics) => Ok((plan, diagnostics)),
        (None, diagnostics) => Err(diagnostics),
    }
}

fn parse_error(source: &str, span: Range<usize>, message: String) -> Diagnostic {
    if message == "duplicate key" {
        let key = source.get(span.clone()).unwrap_or_default().trim_matches('"');
        return Diagnostic::error(span, format!("`{key}` is declared twice"));
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
            let help = match did_you_mean(unknown, keys.iter().copied()) {
                Some(k) => format!("did you mean `{k}`?"),
                None => format!("expected {expected}"),
            };
            return Diagnostic::error(span, format!("unknown key `{unknown}`")).with_help(help);
        }
    }
    Diagnostic::error(span, message)
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Duration,
    Count,
}

struct Compiler<'a> {
    source: &'a str,
    diagnostics: Vec<Diagnostic>,
    queues: Vec<String>,
    tasks: Vec<String>,
    /// Named distributions; `None` when the definition had an error (already reported).
    dists: Vec<(String, Option<Dist>)>,
    sequence_slots: usize,
}

const KINDS: [&str; 11] =
    ["sleep", "put", "get", "done", "join", "repeat", "start", "wait", "gather", "cancel", "timeout"];

impl Compiler<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    fn error_help(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message).with_help(help));
    }

    fn scenario(&mut self, s: &format::Scenario) -> Option<Plan> {
        let seed = s.seed.as_ref().map_or(0, |s| *s.get_ref());
        let time_limit = match &s.time_limit {
            Some(t) => self.duration_text(t.get_ref(), t.span()).unwrap_or(0),
            None => humantime::parse_duration(DEFAULT_TIME_LIMIT).map_or(0, |d| d.as_nanos() as u64),
        };

        let mut queues = Vec::new();
        for (name, queue) in &s.queues.0 {
            let taken = self.queues.contains(name.get_ref());
            self.declare_name(name, "queue", taken);
            let capacity = queue.get_ref().capacity.as_ref().and_then(|cap| match *cap.get_ref() {
                n if n < 1 => {
                    self.error_help(
                        cap.span(),
                        "a queue's capacity must be at least 1",
                        "leave `capacity` out for an unbounded queue",
                    );
                    None
                }
                n if n > MAX_CAPACITY => {
                    self.error(cap.span(), format!("capacity {n} is above the limit of {MAX_CAPACITY}"));
                    None
                }
                n => Some(n as usize),
            });
            self.queues.push(name.get_ref().clone());
            queues.push(QueuePlan { name: name.get_ref().clone(), capacity });
        }

        for (name, spec) in &s.distributions.0 {
            let taken = self.dists.iter().any(|(n, _)| n == name.get_ref());
            self.declare_name(name, "distribution", taken);
            let dist = self.duration(spec);
            self.dists.push((name.get_ref().clone(), dist));
        }

        for (name, _) in &s.tasks.0 {
            if name.get_ref() == "main" {
                self.error_help(name.span(), "`main` is not a task name", "write the entry point as a `[main]` table");
            }
            let taken = self.tasks.contains(name.get_ref());
            self.declare_name(name, "task", taken);
            self.tasks.push(name.get_ref().clone());
        }

        let mut tasks = Vec::new();
        for (name, task) in &s.tasks.0 {
            let task = task.get_ref();
            let count = match &task.count {
                None => 1,
                Some(c) => match *c.get_ref() {
                    n if n < 1 => {
                        self.error(c.span(), "a task's `count` must be at least 1");
                        1
                    }
                    n if n > MAX_REPLICAS => {
                        self.error(c.span(), format!("`count` {n} is above the limit of {MAX_REPLICAS} replicas"));
                        1
                    }
                    n => n as u64,
                },
            };
            let steps = self.block(&task.steps, count);
            tasks.push(TaskPlan { name: name.get_ref().clone(), count, steps });
        }

        let main_steps = match &s.main {
            Some(main) => self.block(&main.get_ref().steps, 1),
            None if tasks.is_empty() => {
                self.error_help(
                    0..0,
                    "nothing to run",
                    "declare a task as `[tasks.NAME]` with `steps`, or a `[main]` table",
                );
                Vec::new()
            }
            None => vec![Step::Gather { tasks: (0..tasks.len()).collect() }],
        };
        let main = TaskPlan { name: "main".into(), count: 1, steps: main_steps };

        let label_width = tasks.iter().chain([&main]).map(|t| t.label(t.count - 1).len()).max().unwrap_or(4);
        Some(Plan {
            description: s.description.clone(),
            seed,
            time_limit,
            queues,
            tasks,
            main,
            sequence_slots: self.sequence_slots,
            label_width,
        })
    }

    /// Checks that `name` is a usable identifier and not declared twice.
    fn declare_name(&mut self, name: &Spanned<String>, what: &str, taken: bool) {
        let text = name.get_ref();
        let valid = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            self.error_help(
                name.span(),
                format!("`{text}` is not a valid {what} name"),
                "a name starts with a letter or `_` and has only letters, digits, `_` and `-`",
            );
        } else if taken {
            self.error(name.span(), format!("{what} `{text}` is declared twice"));
        }
    }

    fn block(&mut self, steps: &Spanned<Vec<Spanned<format::Step>>>, count: u64) -> Vec<Step> {
        steps.get_ref().iter().filter_map(|s| self.step(s, count)).collect()
    }

    fn step(&mut self, spanned: &Spanned<format::Step>, count: u64) -> Option<Step> {
        let s = spanned.get_ref();
        let span = spanned.span();
        let present: Vec<(&str, Range<usize>)> = [
            ("sleep", s.sleep.as_ref().map(|v| v.span())),
            ("put", s.put.as_ref().map(|v| v.span())),
            ("get", s.get.as_ref().map(|v| v.span())),
            ("done", s.done.as_ref().map(|v| v.span())),
            ("join", s.join.as_ref().map(|v| v.span())),
            ("repeat", s.repeat.as_ref().map(|v| v.span())),
            ("start", s.start.as_ref().map(|v| v.span())),
            ("wait", s.wait.as_ref().map(|v| v.span())),
            ("gather", s.gather.as_ref().map(|v| v.span())),
            ("cancel", s.cancel.as_ref().map(|v| v.span())),
            ("timeout", s.timeout.as_ref().map(|v| v.span())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        debug_assert!(present.iter().all(|(k, _)| KINDS.contains(k)));

        let kind = match present.as_slice() {
            [] if s.say.is_some() => "say",
            [] => {
                self.error_help(
                    span,
                    "this step does nothing",
                    format!("a step needs one of `say`, `{}`", KINDS.join("`, `")),
                );
                return None;
            }
            [(kind, _)] => kind,
            [(first, _), (second, second_span), ..] => {
                self.error_help(
                    second_span.clone(),
                    format!("a step does one thing, and this one has both `{first}` and `{second}`"),
                    "split it into two steps",
                );
                return None;
            }
        };

        // Modifiers that only some kinds take.
        let modifiers = [
            ("say", s.say.as_ref().map(|v| v.span()), &["say", "sleep", "put", "get"][..]),
            ("item", s.item.as_ref().map(|v| v.span()), &["put"][..]),
            ("steps", s.steps.as_ref().map(|v| v.span()), &["repeat", "timeout"][..]),
            ("on-timeout", s.on_timeout.as_ref().map(|v| v.span()), &["timeout"][..]),
            ("finally", s.finally.as_ref().map(|v| v.span()), &["timeout"][..]),
        ];
        let mut misplaced = false;
        for (key, key_span, kinds) in modifiers {
            if let Some(key_span) = key_span.filter(|_| !kinds.contains(&kind)) {
                self.error_help(
                    key_span,
                    format!("`{key}` does not go with `{kind}`"),
                    format!("`{key}` goes with `{}`", kinds.join("`, `")),
                );
                misplaced = true;
            }
        }
        let say = s.say.as_ref().and_then(|t| self.template(t));
        let body = |c: &mut Self, what: &str| match &s.steps {
            Some(steps) => c.block(steps, count),
            None => {
                c.error_help(
                    span.clone(),
                    format!("`{what}` needs the block it runs"),
                    format!("add `steps = [ ... ]` to the `{what}` step"),
                );
                Vec::new()
            }
        };

        let step = match kind {
            "say" => Step::Say(say?),
            "sleep" => Step::Sleep { duration: self.duration(s.sleep.as_ref()?)?, say },
            "put" => {
                let queue = self.queue(s.put.as_ref()?);
                let item = match &s.item {
                    Some(t) => self.template(t),
                    None => Template::parse("{n}").ok(),
                };
                Step::Put { queue: queue?, item: item?, say }
            }
            "get" => Step::Get { queue: self.queue(s.get.as_ref()?)?, say },
            "done" => Step::Done { queue: self.queue(s.done.as_ref()?)? },
            "join" => Step::Join { queue: self.queue(s.join.as_ref()?)? },
            "repeat" => {
                let times = self.count(s.repeat.as_ref()?, count);
                let body = body(self, "repeat");
                Step::Repeat { times: times?, body }
            }
            "start" => Step::Start { tasks: self.task_refs(s.start.as_ref()?)? },
            "wait" => Step::Wait { tasks: self.task_refs(s.wait.as_ref()?)? },
            "gather" => Step::Gather { tasks: self.task_refs(s.gather.as_ref()?)? },
            "cancel" => Step::Cancel { tasks: self.task_refs(s.cancel.as_ref()?)? },
            "timeout" => {
                let after = self.duration(s.timeout.as_ref()?);
                let body = body(self, "timeout");
                let on_timeout = s.on_timeout.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                let finally = s.finally.as_ref().map_or_else(Vec::new, |b| self.block(b, count));
                Step::Timeout { after: after?, body, on_timeout, finally }
            }
            _ => unreachable!("kind {kind} is listed in KINDS"),
        };
        (!misplaced).then_some(step)
    }

    fn template(&mut self, text: &Spanned<String>) -> Option<Template> {
        match Template::parse(text.get_ref()) {
            Ok(t) => Some(t),
            Err(e) => {
                let span = self.inner_span(text.span(), text.get_ref(), e.range);
                let d = Diagnostic::error(span, e.message);
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
        lookup(&self.queues, name.get_ref()).or_else(|| {
            let d = Diagnostic::error(name.span(), format!("unknown queue `{}`", name.get_ref()));
            let d = match did_you_mean(name.get_ref(), self.queues.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None if self.queues.is_empty() => d.with_help(format!("declare it with `[queues.{}]`", name.get_ref())),
                None => d.with_help(format!("the queues are `{}`", self.queues.join("`, `"))),
            };
            self.diagnostics.push(d);
            None
        })
    }

    fn task_refs(&mut self, names: &Spanned<format::Names>) -> Option<Vec<usize>> {
        let mut refs = Vec::new();
        let mut ok = true;
        if names.get_ref().0.is_empty() {
            self.error(names.span(), "the list of tasks is empty");
            return None;
        }
        for name in &names.get_ref().0 {
            match lookup(&self.tasks, name) {
                Some(r) => refs.push(r),
                None => {
                    ok = false;
                    let d = Diagnostic::error(names.span(), format!("unknown task `{name}`"));
                    let d = match did_you_mean(name, self.tasks.iter().map(String::as_str)) {
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

    fn count(&mut self, spanned: &Spanned<format::Count>, replicas: u64) -> Option<Count> {
        let span = spanned.span();
        match spanned.get_ref() {
            format::Count::Fixed(n) if *n < 0 => {
                self.error(span, format!("a repeat count cannot be negative, and this one is {n}"));
                None
            }
            format::Count::Fixed(n) => Some(Count::Expr(Expr::Int(*n))),
            format::Count::Text(t) if t == "forever" => Some(Count::Forever),
            format::Count::Text(t) => match Expr::parse(t) {
                Ok(expr) => {
                    // Check the first and last replica: expressions are sums and products of
                    // `i` and constants, so a negative value shows up at one end in practice.
                    let last = replicas as i64 - 1;
                    for i in [0, last] {
                        match expr.eval(i, replicas as i64) {
                            Some(v) if v >= 0 => {}
                            Some(v) => {
                                self.error(
                                    span.clone(),
                                    format!("`{t}` is {v} for replica {i}, and a repeat count cannot be negative"),
                                );
                                return None;
                            }
                            None => {
                                self.error(span.clone(), format!("`{t}` overflows for replica {i}"));
                                return None;
                            }
                        }
                    }
                    Some(Count::Expr(expr))
                }
                Err(why) => {
                    self.error_help(
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

    fn duration(&mut self, spanned: &Spanned<DurationSpec>) -> Option<Dist> {
        let span = spanned.span();
        match spanned.get_ref() {
            DurationSpec::Text(t) if t.starts_with(|c: char| c.is_ascii_digit()) => {
                self.duration_text(t, span).map(Dist::Constant)
            }
            DurationSpec::Text(name) => match self.dists.iter().find(|(n, _)| n == name) {
                Some((_, dist)) => dist.clone(),
                None => {
                    let d =
                        Diagnostic::error(span, format!("`{name}` is neither a duration nor a declared distribution"));
                    let help = match did_you_mean(name, self.dists.iter().map(|(n, _)| n.as_str())) {
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
        match humantime::parse_duration(text) {
            Ok(d) if d.as_nanos() > u128::from(MAX_VALUE) => {
                self.error(span, format!("`{text}` is longer than the longest duration, about 292 years"));
                None
            }
            Ok(d) => Some(d.as_nanos() as u64),
            Err(e) => {
                self.error_help(
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
                self.error(v.span(), format!("a count cannot be negative, and this one is {n}"));
                None
            }
            (Scalar::Int(n), Unit::Duration) => {
                self.error_help(v.span(), "a duration needs a unit", format!("write \"{n}s\" for {n} seconds"));
                None
            }
            (Scalar::Float(f), Unit::Duration) => {
                self.error_help(
                    v.span(),
                    "a duration needs a unit",
                    format!("write \"{}ms\" for {f} seconds", f * 1000.0),
                );
                None
            }
            (Scalar::Float(_) | Scalar::Str(_), Unit::Count) => {
                self.error(v.span(), "a count is a whole number");
                None
            }
        }
    }

    fn dist_table(&mut self, t: &DistTable, span: Range<usize>, unit: Unit) -> Option<Dist> {
        let kinds: Vec<(&str, Range<usize>)> = [
            ("constant", t.constant.as_ref().map(|v| v.span())),
            ("uniform", t.uniform.as_ref().map(|v| v.span())),
            ("exponential", t.exponential.as_ref().map(|v| v.span())),
            ("normal", t.normal.as_ref().map(|v| v.span())),
            ("log-normal", t.log_normal.as_ref().map(|v| v.span())),
            ("choice", t.choice.as_ref().map(|v| v.span())),
            ("sequence", t.sequence.as_ref().map(|v| v.span())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let kind = match kinds.as_slice() {
            [] => {
                self.error_help(
                    span,
                    "a distribution table needs a kind",
                    "use one of `constant`, `uniform`, `exponential`, `normal`, `log-normal`, `choice`, `sequence`",
                );
                return None;
            }
            [(kind, _)] => *kind,
            [(first, _), (second, s), ..] => {
                self.error(
                    s.clone(),
                    format!("a distribution has one kind, and this one has both `{first}` and `{second}`"),
                );
                return None;
            }
        };
        let params = [
            ("step", t.step.as_ref().map(|v| v.span()), "uniform"),
            ("std-dev", t.std_dev.as_ref().map(|v| v.span()), "normal"),
            ("sigma", t.sigma.as_ref().map(|v| v.span()), "log-normal"),
            ("weights", t.weights.as_ref().map(|v| v.span()), "choice"),
        ];
        for (param, param_span, owner) in params {
            if let Some(s) = param_span.filter(|_| owner != kind) {
                self.error_help(
                    s,
                    format!("`{param}` does not go with `{kind}`"),
                    format!("`{param}` goes with `{owner}`"),
                );
                return None;
            }
        }
        if unit == Unit::Count && matches!(kind, "exponential" | "normal" | "log-normal") {
            self.error_help(
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
                    self.error_help(bounds.span(), "`uniform` takes two values", "write `uniform = [low, high]`");
                    return None;
                };
                let (low, high) = (self.scalar(low, unit), self.scalar(high, unit));
                let (low, high) = (low?, high?);
                if low > high {
                    self.error(bounds.span(), "`uniform`'s low value is above its high value");
                    return None;
                }
                let step = match (&t.step, unit) {
                    (Some(s), _) => self.scalar(s, unit)?,
                    (None, Unit::Count) => 1,
                    (None, Unit::Duration) => return Some(Dist::Uniform { low, high }),
                };
                let step_span = t.step.as_ref().map_or(span.clone(), |s| s.span());
                if step == 0 {
                    self.error(step_span, "`step` must be above zero");
                    return None;
                }
                if (high - low) % step != 0 {
                    self.error_help(
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
                    self.error(t.exponential.as_ref()?.span(), "an exponential's mean must be above zero");
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
                        self.error(s.span(), "`sigma` must be zero or above");
                        None
                    }
                    None => {
                        self.error_help(
                            span,
                            "`log-normal` needs `sigma`",
                            "write `{ log-normal = \"1s\", sigma = 0.5 }`",
                        );
                        None
                    }
                };
                let median = median?;
                if median == 0 {
                    self.error(t.log_normal.as_ref()?.span(), "a log-normal's median must be above zero");
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
                            self.error(w.span(), format!("{} weights for {} values", ws.len(), values.len()));
                            return None;
                        }
                        if let Some(bad) = w.get_ref().iter().find(|x| !x.get_ref().is_finite() || *x.get_ref() < 0.0) {
                            self.error(bad.span(), "a weight must be zero or above");
                            return None;
                        }
                        if ws.iter().sum::<f64>() <= 0.0 {
                            self.error(w.span(), "the weights sum to zero");
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
            self.error(list.span(), format!("`{what}` needs at least one value"));
            return None;
        }
        let values: Vec<Option<u64>> = list.get_ref().iter().map(|v| self.scalar(v, unit)).collect();
        values.into_iter().collect()
    }
}

fn lookup(names: &[String], name: &str) -> Option<usize> {
    names.iter().position(|n| n == name)
}
