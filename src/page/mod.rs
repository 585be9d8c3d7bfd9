//! `scenario report`: one self-contained HTML page about a scenario, to look at rather than
//! read. It holds the model's graph, a timeline of one run, queue lengths and permits in use
//! over time, histograms of waits with their percentiles, for a sweep each metric against the
//! swept values with its 95% band, and the table of every metric.
//!
//! The page works offline: its style, its pictures (SVG, drawn here) and its one short script
//! are inside it, and it fetches nothing. The script only checks the page: it marks each chart
//! it finds drawn (`data-rendered`) and counts script errors (`data-errors` on the body), which
//! the browser test reads. The same file, seed and options give the same bytes.

mod charts;

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use crate::cli::exit;
use crate::event::FailureKind;
use crate::many::{Batch, Seeds};
use crate::scenario::Scenario;
use crate::seeds::Across;
use crate::sink::{Durations, Recorder, Recording, SpanKind, Summary};
use crate::sweep::Axis;
use crate::threshold::{Metric, Verdict};

/// What `scenario report` was asked for.
pub struct Options<'a> {
    pub path: &'a Path,
    pub sets: Vec<String>,
    pub seed: Option<u64>,
    /// `--seeds` or `--runs`, when given.
    pub seeds: Option<Seeds>,
    pub sweep: Vec<Axis>,
    pub metrics: Vec<String>,
    pub jobs: usize,
    /// The timeline's window, in virtual nanoseconds.
    pub from: u64,
    pub until: u64,
    pub output: Option<&'a Path>,
    pub wall_limit: Option<std::time::Duration>,
    pub color: bool,
    /// The command line, for the page to say how it was made.
    pub command: String,
}

/// Makes the report and writes it; returns the exit code: that of `scenario run` with the same
/// options (a failed run or a crossed threshold still gets its report).
pub fn report(options: Options<'_>, mut stdout: Box<dyn Write + Send>, stderr: &mut dyn Write) -> i32 {
    let many = options.seeds.is_some() || !options.sweep.is_empty();
    let (points, metrics) = if many {
        let batch = Batch {
            path: options.path,
            sets: options.sets.clone(),
            seeds: options.seeds.unwrap_or(Seeds::Runs(1)),
            sweep: options.sweep.clone(),
            metrics: options.metrics.clone(),
            table: crate::many::TableFormat::Text,
            shard: None,
            jobs: options.jobs,
            summary: None,
            wall_limit: options.wall_limit,
            color: options.color,
        };
        match crate::many::runs(&batch, stderr) {
            Ok(runs) => (runs.points, runs.metrics),
            Err(code) => return code,
        }
    } else {
        match crate::cli::load_with(options.path, &options.sets, options.color, stderr) {
            Ok(s) => {
                let limits = s.current_limits();
                let s = s.limits(crate::plan::Limits { wall_limit: options.wall_limit, ..limits });
                let s = match options.seed {
                    Some(seed) => s.seed(seed),
                    None => s,
                };
                (vec![(Vec::new(), s, Across::default())], None)
            }
            Err(code) => return code,
        }
    };
    let Some((first_values, first, first_across)) = points.first() else { return exit::USAGE };
    // The pictures of one run: the first seed of the first point.
    let seed = first_across.runs.first().map_or(first.current_seed(), |r| r.seed);
    let scenario = first.clone().seed(seed);
    let (recorder, recording) = Recorder::new(options.from, options.until);
    let (summary, _) = scenario.run_into(vec![Box::new(recorder)], true);
    let recording = recording.lock().map(|mut r| r.take()).ok().flatten().unwrap_or_default();

    let name = options.path.display().to_string();
    let page = Page {
        name: &name,
        scenario: &scenario,
        command: &options.command,
        point: crate::sweep::describe_point(&options.sweep, first_values),
        seed,
        recording: &recording,
        summary: &summary,
        points: &points,
        axes: &options.sweep,
        metrics,
        many,
    };
    let html = page.render();
    let written = match options.output {
        Some(path) => crate::cli::write_atomically(path, html.as_bytes(), stderr),
        None => match stdout.write_all(html.as_bytes()).and_then(|()| stdout.flush()) {
            Ok(()) => exit::OK,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot write the report: {e}");
                exit::IO
            }
        },
    };
    if written != exit::OK {
        return written;
    }
    if let Some(path) = options.output {
        let _ = writeln!(stderr, "wrote {}", path.display());
    }
    // The exit code `run` would have given.
    if many {
        let failed = points.iter().flat_map(|(_, _, a)| &a.runs).find(|r| r.failure.is_some());
        if let Some(r) = failed {
            let message = r.failure.as_ref().map_or("", |f| f.message.as_str());
            let _ = writeln!(stderr, "error: seed {} failed: {message}", r.seed);
            return exit::RUN_FAILED;
        }
        let crossed = points.iter().filter(|(_, s, a)| a.verdicts(s.thresholds()).iter().any(|v| !v.held)).count();
        if crossed > 0 {
            let _ = writeln!(stderr, "error: thresholds crossed at {crossed} of {} points", points.len());
            return exit::THRESHOLD;
        }
        return exit::OK;
    }
    match &summary.failure {
        Some(failure) => {
            let _ = writeln!(stderr, "error: run failed: {}", failure.message);
            if failure.kind == FailureKind::Deadlock { exit::DEADLOCK } else { exit::RUN_FAILED }
        }
        None => crate::cli::thresholds_exit(&scenario, &scenario.check_thresholds(&summary), "", stderr),
    }
}

/// The page of one run of `scenario` with its own seed, as `scenario report` writes it for a
/// file named `name`, made by `command`.
pub fn one_run(scenario: &Scenario, name: &str, command: &str) -> String {
    let (recorder, recording) = Recorder::new(0, u64::MAX);
    let (summary, _) = scenario.run_into(vec![Box::new(recorder)], true);
    let recording = recording.lock().map(|mut r| r.take()).ok().flatten().unwrap_or_default();
    let points = [(Vec::new(), scenario.clone(), Across::default())];
    let page = Page {
        name,
        scenario,
        command,
        point: String::new(),
        seed: scenario.current_seed(),
        recording: &recording,
        summary: &summary,
        points: &points,
        axes: &[],
        metrics: None,
        many: false,
    };
    page.render()
}

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Everything the page shows.
struct Page<'a> {
    name: &'a str,
    scenario: &'a Scenario,
    command: &'a str,
    /// The sweep's first point, described (empty without a sweep).
    point: String,
    /// The seed of the run the timeline and levels show.
    seed: u64,
    recording: &'a Recording,
    summary: &'a Summary,
    points: &'a [(Vec<String>, Scenario, Across)],
    axes: &'a [Axis],
    metrics: Option<Vec<Metric>>,
    /// Whether the report is over many seeds or a sweep.
    many: bool,
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #222; margin: 0 auto;
  max-width: 1000px; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f4f4f4; padding: 0 .2em; }
nav a { margin-right: 1rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .8rem 0; }
.facts dt { color: #666; }
.facts dd { margin: 0; }
figure.chart { margin: .5rem 0 1rem; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: .9rem; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -.1em; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { text-align: left; padding: .15rem .8rem .15rem 0; border-bottom: 1px solid #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.crossed { color: #b00020; font-weight: 600; }
.held { color: #2e7d32; }
.failed { color: #b00020; }
";

/// Checks the page as a reader's browser draws it (see the module's docs).
const SCRIPT: &str = "
addEventListener('error', () => { document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1); });
addEventListener('load', () => {
  for (const figure of document.querySelectorAll('figure.chart')) {
    const svg = figure.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : null;
    figure.dataset.rendered = String(!!box && box.width > 0 && box.height > 0 && svg.querySelectorAll('*').length > 5);
  }
  document.body.dataset.checked = 'true';
});
";

impl Page<'_> {
    fn render(&self) -> String {
        let mut html = String::with_capacity(1 << 16);
        let title = format!("scenario report: {}", self.name);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"scenario {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
             <script>{SCRIPT}</script>\n</head>\n<body>\n",
            env!("CARGO_PKG_VERSION"),
            escape(&title)
        );
        self.header(&mut html);
        let mut sections = vec![("model", "Model")];
        if !self.axes.is_empty() {
            sections.push(("sweep", "Sweep"));
        }
        sections.extend([("timeline", "Timeline"), ("levels", "Levels"), ("waits", "Waits"), ("metrics", "Metrics")]);
        html.push_str("<nav>");
        for (id, name) in &sections {
            let _ = write!(html, "<a href=\"#{id}\">{name}</a>");
        }
        html.push_str("</nav>\n");
        self.model(&mut html);
        if !self.axes.is_empty() {
            self.sweep(&mut html);
        }
        self.timeline(&mut html);
        self.levels(&mut html);
        self.waits(&mut html);
        self.metrics(&mut html);
        html.push_str("</body>\n</html>\n");
        html
    }

    /// Whose run the one-run pictures show.
    fn which_run(&self) -> String {
        let mut which = format!("seed {}", self.seed);
        if !self.point.is_empty() {
            which = format!("{}, {which}", self.point);
        }
        which
    }

    fn header(&self, html: &mut String) {
        let _ = writeln!(html, "<h1>{}</h1>", escape(self.name));
        if let Some(d) = self.scenario.description() {
            let _ = writeln!(html, "<p>{}</p>", escape(d));
        }
        html.push_str("<dl class=\"facts\">\n");
        let mut fact = |name: &str, value: String| {
            let _ = writeln!(html, "<dt>{name}</dt><dd>{value}</dd>");
        };
        if self.many {
            let runs: Vec<&crate::seeds::SeedRun> = self.points.iter().flat_map(|(_, _, a)| &a.runs).collect();
            let failed = runs.iter().filter(|r| r.failure.is_some()).count();
            let seeds = self.points.first().map_or(0, |(_, _, a)| a.runs.len());
            fact("runs", format!("{} ({} points × {seeds} seeds), {failed} failed", runs.len(), self.points.len()));
        }
        let s = self.summary;
        let outcome = match &s.failure {
            None => "completed".to_owned(),
            Some(f) => format!("<span class=\"failed\">failed: {}</span>", escape(&f.message)),
        };
        fact(if self.many { "the run shown" } else { "run" }, escape(&self.which_run()));
        fact("outcome", outcome);
        let mut makespan = String::new();
        crate::seconds::push_duration(&mut makespan, s.end);
        fact("makespan", format!("{makespan} of virtual time, {} events", s.events));
        fact("made by", format!("<code>{}</code>", escape(self.command)));
        html.push_str("</dl>\n");
    }

    fn model(&self, html: &mut String) {
        html.push_str("<h2 id=\"model\">Model</h2>\n");
        let dot = self.scenario.graph(crate::graph::GraphFormat::Dot);
        match graph_svg(&dot) {
            Some(svg) => {
                let _ = writeln!(
                    html,
                    "<figure class=\"chart\" id=\"chart-model\">{svg}<figcaption>Tasks (boxes, with their replica \
                     counts) and what each does to the queues, semaphores, events and other tasks. \
                     <code>scenario graph</code> prints it as Mermaid or DOT.</figcaption></figure>"
                );
            }
            None => {
                let _ = writeln!(html, "<p class=\"note\">The model's graph could not be laid out.</p>");
            }
        }
    }

    fn timeline(&self, html: &mut String) {
        let r = self.recording;
        let _ =
            writeln!(html, "<h2 id=\"timeline\">Timeline</h2>\n<p class=\"note\">One run: {}.</p>", self.which_run());
        if r.tracks.is_empty() {
            html.push_str("<p class=\"note\">No task did anything in the window.</p>\n");
            return;
        }
        html.push_str("<p class=\"legend\">");
        for (kind, name) in [
            (SpanKind::Sleep, "sleeps"),
            (SpanKind::Busy, "busy (holds the event loop)"),
            (SpanKind::Thread, "blocking work on a thread"),
            (SpanKind::Wait, "waits for an item, room, a permit or a token"),
            (SpanKind::Hold, "holds a permit"),
            (SpanKind::Timeout, "inside a timeout"),
        ] {
            let c = charts::span_colour(kind);
            let _ = write!(html, "<span><i style=\"background:#{:02x}{:02x}{:02x}\"></i>{name}</span>", c.0, c.1, c.2);
        }
        html.push_str("</p>\n");
        let from = r.from;
        let until = r.until.min(r.end).min(r.cut.unwrap_or(u64::MAX)).max(from);
        let _ = writeln!(
            html,
            "<figure class=\"chart\" id=\"chart-timeline\">{}</figure>",
            charts::timeline(r, from, until)
        );
        let mut notes = Vec::new();
        if let Some(cut) = r.cut {
            let mut at = String::new();
            crate::seconds::push_duration(&mut at, cut);
            notes.push(format!(
                "The timeline stops at {at}: it holds at most {} spans. Choose a window with <code>--from</code> and \
                 <code>--until</code> to see another part of the run.",
                crate::sink::MAX_SPANS
            ));
        }
        if r.hidden_tracks > 0 {
            notes.push(format!(
                "{} more task replicas are not drawn (at most {} rows).",
                r.hidden_tracks,
                crate::sink::MAX_TRACKS
            ));
        }
        for n in notes {
            let _ = writeln!(html, "<p class=\"note\">{n}</p>");
        }
    }

    fn levels(&self, html: &mut String) {
        let r = self.recording;
        let _ = writeln!(
            html,
            "<h2 id=\"levels\">Levels</h2>\n<p class=\"note\">One run: {}, whole.</p>",
            self.which_run()
        );
        if r.queues.is_empty() && r.semaphores.is_empty() {
            html.push_str("<p class=\"note\">The scenario has no queues or semaphores.</p>\n");
        }
        for (k, q) in r.queues.iter().enumerate() {
            let _ = writeln!(
                html,
                "<h3>queue {}: length</h3>\n<figure class=\"chart\" id=\"chart-queue-{k}\">{}</figure>",
                escape(&q.name),
                charts::level(q, None, r.end, "items")
            );
        }
        for (k, (s, permits)) in r.semaphores.iter().enumerate() {
            let _ = writeln!(
                html,
                "<h3>semaphore {}: permits in use, of {permits} (red)</h3>\n<figure class=\"chart\" \
                 id=\"chart-semaphore-{k}\">{}</figure>",
                escape(&s.name),
                charts::level(s, Some(*permits), r.end, "permits")
            );
        }
        if r.queues.iter().chain(r.semaphores.iter().map(|(l, _)| l)).any(|l| l.width > 0) {
            html.push_str(
                "<p class=\"note\">Levels that changed too often to draw every change show, per interval of time, \
                 their lowest and highest value.</p>\n",
            );
        }
    }

    /// The distributions: pooled over every run of the first point when there are many.
    fn waits(&self, html: &mut String) {
        let (pool, whose) = match self.points.first() {
            Some((_, _, a)) if self.many => (&a.pooled, format!("Pooled over {} runs", a.runs.len())),
            _ => (self.summary, format!("One run: {}", self.which_run())),
        };
        let whose = if self.point.is_empty() { whose } else { format!("{whose}, at {}", self.point) };
        let _ = writeln!(
            html,
            "<h2 id=\"waits\">Waits</h2>\n<p class=\"note\">{}. Percentiles are marked: \
             p50 (green), p90 (orange), p99 (red).</p>",
            escape(&whose)
        );
        let mut any = false;
        let mut add = |html: &mut String, id: String, title: String, d: &Durations| {
            if d.count == 0 {
                return;
            }
            any = true;
            let mut caption = format!("{} values; mean ", d.count);
            crate::seconds::push_duration(&mut caption, d.mean_ns().unwrap_or(0));
            for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
                let _ = write!(caption, ", {name} ");
                crate::seconds::push_duration(&mut caption, d.quantile(q).unwrap_or(0));
            }
            caption.push_str(", max ");
            crate::seconds::push_duration(&mut caption, d.max);
            let _ = writeln!(
                html,
                "<h3>{}</h3>\n<figure class=\"chart\" id=\"chart-{id}\">{}<figcaption>{caption}</figcaption></figure>",
                escape(&title),
                charts::histogram(d)
            );
        };
        for (k, q) in pool.queues.iter().enumerate() {
            add(html, format!("wait-{k}"), format!("queue {}: wait, put to get", q.name), &q.waits);
            add(html, format!("system-{k}"), format!("queue {}: time in system, put to done", q.name), &q.system);
        }
        for (k, s) in pool.semaphores.iter().enumerate() {
            if s.waited > 0 {
                add(html, format!("permit-{k}"), format!("semaphore {}: wait for a permit", s.name), &s.waits);
            }
        }
        if !any {
            html.push_str("<p class=\"note\">Nothing waited in a queue or for a permit.</p>\n");
        }
    }

    fn sweep(&self, html: &mut String) {
        let Some((_, first, first_across)) = self.points.first() else { return };
        let metrics =
            self.metrics.clone().unwrap_or_else(|| crate::sweep::default_metrics(first_across, first.thresholds()));
        let all = first_across.metrics();
        let axis = &self.axes[0];
        let numbers: Option<Vec<f64>> = axis.values.iter().map(|v| v.trim().parse::<f64>().ok()).collect();
        let x_of = |value: &str| -> f64 {
            match &numbers {
                Some(_) => value.trim().parse().unwrap_or(0.0),
                None => axis.values.iter().position(|v| v == value).unwrap_or(0) as f64,
            }
        };
        let seeds = first_across.runs.len();
        let _ = writeln!(
            html,
            "<h2 id=\"sweep\">Sweep</h2>\n<p class=\"note\">Each metric against <code>{}</code>: the mean over {seeds} \
             seeds at each point, and its 95% interval as a band.</p>",
            escape(&axis.path)
        );
        for (k, metric) in metrics.iter().enumerate() {
            let Some(index) = all.iter().position(|m| m.name == metric.name) else { continue };
            // One line per combination of the other axes' values.
            let mut lines: Vec<charts::SweepLine> = Vec::new();
            for (values, _, across) in self.points {
                let rest = crate::sweep::describe_point(&self.axes[1..], &values[1..]);
                let Some((mean, half)) = across.mean_of(index) else { continue };
                let scale = if metric.unit == crate::threshold::Unit::Time { 1e-9 } else { 1.0 };
                let point = (x_of(&values[0]), mean * scale, half.map(|h| h * scale));
                match lines.iter_mut().find(|l| l.name == rest) {
                    Some(line) => line.points.push(point),
                    None => lines.push(charts::SweepLine { name: rest, points: vec![point] }),
                }
            }
            let unit = if metric.unit == crate::threshold::Unit::Time { " (s)" } else { "" };
            let ticks = numbers.is_none().then_some(&axis.values[..]);
            let _ = writeln!(
                html,
                "<h3>{}</h3>\n<figure class=\"chart\" id=\"chart-sweep-{k}\">{}</figure>",
                escape(&metric.name),
                charts::sweep(&lines, &axis.path, &format!("{}{unit}", metric.name), ticks)
            );
        }
        let rows: Vec<(Vec<String>, &Across)> = self.points.iter().map(|(v, _, a)| (v.clone(), a)).collect();
        let _ = writeln!(
            html,
            "<h3>Table</h3>\n<pre><code>{}</code></pre>",
            escape(&crate::sweep::table(self.axes, &rows, &metrics))
        );
    }

    fn metrics(&self, html: &mut String) {
        let _ = writeln!(html, "<h2 id=\"metrics\">Metrics</h2>");
        let (scenario, across) = match self.points.first() {
            Some((_, s, a)) if self.many => (s, Some(a)),
            _ => (self.scenario, None),
        };
        let verdicts: Vec<Verdict> = match across {
            Some(a) => a.verdicts(scenario.thresholds()),
            None => scenario.check_thresholds(self.summary),
        };
        if !verdicts.is_empty() {
            html.push_str("<h3>Thresholds</h3>\n<ul>\n");
            for v in &verdicts {
                let (class, word) = if v.held { ("held", "held") } else { ("crossed", "crossed") };
                let _ = writeln!(html, "<li><span class=\"{class}\">{word}</span>: {}</li>", escape(&v.message));
            }
            html.push_str("</ul>\n");
        }
        match across {
            Some(a) => {
                let _ = writeln!(
                    html,
                    "<p class=\"note\">Over {} seeds{}: the mean of each seed's value, with its 95% interval, and the \
                     value of all runs pooled. These are the names thresholds and <code>--metric</code> use.</p>",
                    a.runs.len(),
                    if self.point.is_empty() { String::new() } else { format!(", at {}", escape(&self.point)) }
                );
                html.push_str("<table>\n<tr><th>metric</th><th>mean</th><th>± 95%</th><th>pooled</th></tr>\n");
                for (k, m) in a.metrics().iter().enumerate() {
                    let mut cells = [String::new(), String::new(), String::new()];
                    if let Some((mean, half)) = a.mean_of(k) {
                        m.push_value(&mut cells[0], mean);
                        if let Some(h) = half {
                            m.push_value(&mut cells[1], h);
                        }
                    }
                    if let Some(v) = m.value(&a.pooled) {
                        m.push_value(&mut cells[2], v);
                    }
                    let _ = writeln!(
                        html,
                        "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        escape(&m.name),
                        cells[0],
                        cells[1],
                        cells[2]
                    );
                }
            }
            None => {
                let _ = writeln!(
                    html,
                    "<p class=\"note\">One run: {}. These are the names thresholds and <code>--metric</code> use.</p>",
                    escape(&self.which_run())
                );
                html.push_str("<table>\n<tr><th>metric</th><th>value</th></tr>\n");
                for m in Metric::all(self.summary) {
                    let mut cell = String::new();
                    if let Some(v) = m.value(self.summary) {
                        m.push_value(&mut cell, v);
                    }
                    let _ =
                        writeln!(html, "<tr><td><code>{}</code></td><td class=\"n\">{cell}</td></tr>", escape(&m.name));
                }
            }
        }
        html.push_str("</table>\n");
    }
}

/// The model's graph as SVG, laid out from its DOT by layout-rs; `None` if it cannot be.
fn graph_svg(dot: &str) -> Option<String> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    // layout-rs cannot lay out a graph with no nodes (it panics); every plan has `main`.
    if !dot.contains("shape=") {
        return None;
    }
    let graph = DotParser::new(dot).process().ok()?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut svg = SVGWriter::new();
    visual.do_it(false, false, false, &mut svg);
    let text = svg.finalize();
    // Inline in HTML: no XML declaration; the text in a sans-serif face, like the charts; and
    // the font classes, which layout-rs writes in a hash map's order, sorted.
    let start = text.find("<svg")?;
    let text = text[start..].replace("font-family: Times, serif", "font-family: sans-serif");
    Some(match (text.find("<style>\n"), text.find("</style>")) {
        (Some(a), Some(b)) if a < b => {
            let mut classes: Vec<&str> = text[a + 8..b].lines().collect();
            classes.sort_unstable();
            format!("{}<style>\n{}\n{}", &text[..a], classes.join("\n"), &text[b..])
        }
        _ => text,
    })
}

#[cfg(test)]
mod tests {
    use super::graph_svg;

    #[test]
    fn graphs_of_every_shape_are_laid_out() {
        let head = "digraph scenario {\n    rankdir=LR;\n    node [fontname=\"Helvetica\"];\n";
        assert_eq!(graph_svg(&format!("{head}}}\n")), None);
        for body in [
            "    task_0 [label=\"main\", shape=box];\n",
            "    task_0 [label=\"main\", shape=box];\n    task_0 -> task_0 [label=\"cancels\"];\n",
            "    task_0 [label=\"m\", shape=box];\n    q [label=\"q\", shape=cylinder];\n    task_0 -> q [label=\"puts\"];\n    q -> task_0 [label=\"gets\"];\n    task_0 -> q [label=\"joins\"];\n",
            "    a [label=\"a \\\"quoted\\\" <b>&amp;\", shape=hexagon];\n    b [label=\"☃\", shape=cds];\n    c [label=\"\", shape=box3d];\n    d [label=\"d\", shape=parallelogram];\n",
        ] {
            let dot = format!("{head}{body}}}\n");
            let svg = graph_svg(&dot);
            assert!(svg.as_deref().is_some_and(|s| s.starts_with("<svg")), "{dot}");
        }
    }
}
