//! `scenario report`: one HTML page that works offline, the same bytes every time; its timeline
//! agrees with the trace and its levels with the statistics; and, where Chromium is installed,
//! a real browser draws every chart without a script error.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;

use scenario::Scenario;
use scenario::sink::{Memory, Recorder, Recording, Sink, SpanKind, Trace};

fn binary(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).args(args).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// Makes a report into `dir` and returns its text.
fn report(dir: &Path, name: &str, args: &[&str]) -> String {
    let path = dir.join(name);
    let path = path.to_str().unwrap();
    let mut all = vec!["report", "-o", path];
    all.extend_from_slice(args);
    let (code, out, err) = binary(&all);
    assert_eq!(code, 0, "{args:?}:\n{out}{err}");
    assert!(err.contains("wrote"), "{err}");
    std::fs::read_to_string(path).unwrap()
}

/// The ids of the page's charts, in order.
fn charts(html: &str) -> Vec<&str> {
    html.split("<figure class=\"chart\" id=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect()
}

/// Nothing in the page is fetched: no external script, style, image, font or link target.
fn assert_offline(html: &str) {
    for needle in ["src=\"http", "href=\"http", "<link", "@import", "<iframe", "<img"] {
        assert!(!html.contains(needle), "the page fetches something: {needle}");
    }
    // `url(#arrow)` refers to the page itself.
    assert!(html.split("url(").skip(1).all(|s| s.starts_with('#')), "the page fetches something: url(");
}

#[test]
fn one_run_is_a_page_with_the_model_a_timeline_levels_waits_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(dir.path(), "a.html", &["scenarios/async_queue.toml"]);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    assert_offline(&html);
    assert_eq!(charts(&html), ["chart-model", "chart-timeline", "chart-queue-0", "chart-wait-0", "chart-system-0"]);
    for id in ["model", "timeline", "levels", "waits", "metrics"] {
        assert!(html.contains(&format!("<h2 id=\"{id}\">")), "no section {id}");
    }
    // Every task replica has a row, labelled.
    for label in ["main", "producer[0]", "producer[4]", "consumer[0]", "consumer[9]"] {
        assert!(html.contains(&format!(">\n{label}\n</text>")), "no row for {label}");
    }
    // The metrics table has the run's figures, named as thresholds name them.
    assert!(html.contains("<tr><td><code>queue.q.gets</code></td><td class=\"n\">15</td></tr>"), "{html}");
    assert!(html.contains("<tr><td><code>run.makespan</code></td><td class=\"n\">19 s</td></tr>"));
    // The same command, the same bytes.
    let again = report(dir.path(), "a.html", &["scenarios/async_queue.toml"]);
    assert!(again == html, "two reports of the same run differ");
}

#[test]
fn a_sweep_charts_each_metric_against_the_swept_values() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--runs",
        "4",
        "--sweep",
        "tasks.server.count=2,3,4",
        "--metric",
        "queue.line.wait.mean",
        "--metric",
        "run.makespan",
        "scenarios/mmc.toml",
    ];
    let (code, _, err) = binary(&[
        "report",
        "-o",
        "/dev/null",
        "--metric",
        "queue.nope.wait.mean",
        "--sweep",
        "tasks.server.count=2",
        "scenarios/mmc.toml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--metric"), "{err}");
    let html = report(dir.path(), "s.html", &args);
    assert_offline(&html);
    let ids = charts(&html);
    assert_eq!(ids[..2], ["chart-model", "chart-sweep-0"]);
    assert_eq!(ids[2], "chart-sweep-1");
    assert!(html.contains("<h3>queue.line.wait.mean</h3>") && html.contains("<h3>run.makespan</h3>"));
    assert!(html.contains("12 (3 points × 4 seeds), 0 failed"), "{html}");
    // The table is `run --sweep`'s, and the one-run pictures say which run they show.
    let (_, table, _) = binary(&[
        "run",
        "--runs",
        "4",
        "--sweep",
        "tasks.server.count=2,3,4",
        "--metric",
        "queue.line.wait.mean",
        "scenarios/mmc.toml",
    ]);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    for row in rows {
        assert!(html.contains(&row.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")), "{row}");
    }
    assert!(html.contains("One run: tasks.server.count=2, seed 1."), "{html}");
    // Waits pooled over the point's four runs.
    assert!(html.contains("Pooled over 4 runs, at tasks.server.count=2."), "{html}");
}

#[test]
fn many_seeds_give_means_with_intervals_and_pooled_waits() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(dir.path(), "m.html", &["--seeds", "3..=7", "scenarios/mm1.toml"]);
    assert!(html.contains("<dt>the run shown</dt><dd>seed 3</dd>"), "{html}");
    assert!(html.contains("Pooled over 5 runs"));
    assert!(html.contains("<th>metric</th><th>mean</th><th>± 95%</th><th>pooled</th>"));
    // The same report whatever the number of threads.
    let one = report(dir.path(), "1.html", &["--seeds", "3..=7", "--jobs", "1", "scenarios/mm1.toml"]);
    let two = report(dir.path(), "2.html", &["--seeds", "3..=7", "--jobs", "2", "scenarios/mm1.toml"]);
    let without_command =
        |html: &str| html.lines().filter(|l| !l.starts_with("<dt>made by")).collect::<Vec<_>>().join("\n");
    let (one, two) = (without_command(&one), without_command(&two));
    let differ = one.lines().zip(two.lines()).find(|(a, b)| a != b);
    assert!(differ.is_none() && one.len() == two.len(), "--jobs changed the report: {differ:?}");
}

#[test]
fn a_failed_run_still_gets_its_report_and_run_s_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stuck.toml");
    std::fs::write(&file, "[queues.q]\n[main]\nsteps = [{ get = \"q\" }]\n").unwrap();
    let out = dir.path().join("r.html");
    let (code, _, err) = binary(&["report", "-o", out.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("deadlock"), "{err}");
    let html = std::fs::read_to_string(out).unwrap();
    assert!(html.contains("<span class=\"failed\">failed: "), "{html}");
    // A mistake in the file: no page, the diagnostics and exit 3.
    std::fs::write(&file, "[main]\nsteps = [{ slep = \"1s\" }]\n").unwrap();
    let (code, _, err) = binary(&["report", "-o", "/dev/null", file.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("stuck.toml:2:"), "{err}");
    let (code, _, err) = binary(&["report", "--from", "5s", "--until", "1s", "scenarios/mm1.toml"]);
    assert_eq!(code, 2, "{err}");
}

/// The spans of a recording, per task label: (start ns, end ns, kind).
type Spans = BTreeMap<String, Vec<(u64, u64, &'static str)>>;

fn record(scenario: &Scenario, from: u64, until: u64) -> Recording {
    let (recorder, out) = Recorder::new(from, until);
    scenario.run_with(vec![Box::new(recorder)], false);
    out.lock().unwrap().take().unwrap()
}

fn spans_of(rec: &Recording) -> Spans {
    let mut all = Spans::new();
    for t in &rec.tracks {
        let mut spans: Vec<_> = t
            .spans
            .iter()
            .filter(|s| s.end > s.start)
            .map(|s| {
                let kind = match s.kind {
                    SpanKind::Sleep => "sleep",
                    SpanKind::Busy => "busy",
                    SpanKind::Thread => "to thread",
                    SpanKind::Wait => "waits",
                    SpanKind::Hold => "holds",
                    SpanKind::Timeout => "timeout",
                };
                (s.start, s.end, kind)
            })
            .collect();
        spans.sort_unstable();
        all.insert(t.label.clone(), spans);
    }
    all
}

/// The trace's slices, the same way: B/E pairs and complete events, by the kind their name
/// starts with, times back in nanoseconds.
fn trace_spans(scenario: &Scenario) -> Spans {
    let memory = Memory::default();
    let sinks: Vec<Box<dyn Sink>> = vec![Box::new(Trace::new(Box::new(memory.clone())))];
    scenario.run_with(sinks, false);
    let json: serde_json::Value = serde_json::from_str(&memory.take_string()).unwrap();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut open: BTreeMap<u64, Vec<(u64, &'static str)>> = BTreeMap::new();
    let mut scopes: BTreeMap<String, u64> = BTreeMap::new();
    let mut all = Spans::new();
    let ns = |e: &serde_json::Value, key: &str| (e[key].as_f64().unwrap() * 1000.0).round() as u64;
    let kind = |name: &str| ["sleep", "busy", "to thread", "waits", "holds"].into_iter().find(|k| name.starts_with(k));
    for e in json["traceEvents"].as_array().unwrap() {
        let tid = e["tid"].as_u64().unwrap();
        let name = e["name"].as_str().unwrap_or("");
        match e["ph"].as_str().unwrap() {
            "M" if name == "thread_name" => {
                names.insert(tid, e["args"]["name"].as_str().unwrap().to_owned());
            }
            "B" => open.entry(tid).or_default().push((ns(e, "ts"), kind(name).unwrap())),
            "E" => {
                let (start, kind) = open.get_mut(&tid).unwrap().pop().unwrap();
                all.entry(names[&tid].clone()).or_default().push((start, ns(e, "ts"), kind));
            }
            "b" => {
                scopes.insert(e["id"].as_str().unwrap().to_owned(), ns(e, "ts"));
            }
            "e" => {
                let start = scopes.remove(e["id"].as_str().unwrap()).unwrap();
                all.entry(names[&tid].clone()).or_default().push((start, ns(e, "ts"), "timeout"));
            }
            "X" => {
                let start = ns(e, "ts");
                all.entry(names[&tid].clone()).or_default().push((start, start + ns(e, "dur"), kind(name).unwrap()));
            }
            _ => {}
        }
    }
    for spans in all.values_mut() {
        spans.retain(|s| s.1 > s.0);
        spans.sort_unstable();
    }
    all.retain(|_, s| !s.is_empty());
    all
}

/// Two independent readings of the same events: the report's timeline and `run --trace`'s
/// slices are the same spans, for every scenario small enough to be drawn whole.
#[test]
fn the_timeline_has_the_trace_s_slices() {
    let mut compared = 0;
    for path in common::examples() {
        let scenario = Scenario::load(&path).unwrap();
        let rec = record(&scenario, 0, u64::MAX);
        if rec.cut.is_some() || rec.hidden_tracks > 0 {
            continue;
        }
        let mut mine = spans_of(&rec);
        mine.retain(|_, s| !s.is_empty());
        assert_eq!(mine, trace_spans(&scenario), "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} scenarios compared");
}

/// A window keeps only what happens in it; a long run's timeline stops at its limit and says
/// where; a level's area is the statistics' time-averaged length times the window.
#[test]
fn windows_limits_and_levels() {
    let mm1 = Scenario::load("scenarios/mm1.toml").unwrap();
    let (from, until) = (20_000_000_000, 60_000_000_000);
    let rec = record(&mm1, from, until);
    assert!(!rec.tracks.is_empty());
    for t in &rec.tracks {
        for s in &t.spans {
            assert!(from <= s.start && s.start <= s.end && s.end <= until, "{}: {s:?}", t.label);
        }
    }
    // Spans that cross the window's edges are cut at them.
    let whole = spans_of(&record(&mm1, 0, u64::MAX));
    let windowed = spans_of(&rec);
    for (label, spans) in &windowed {
        let clipped: Vec<_> = whole[label]
            .iter()
            .filter(|s| s.1 > from && s.0 < until)
            .map(|&(a, b, k)| (a.max(from), b.min(until), k))
            .collect();
        assert_eq!(spans, &clipped, "{label}");
    }

    let source = std::fs::read_to_string("scenarios/mmc.toml").unwrap();
    assert!(source.contains("total = 50\n"));
    let big = Scenario::from_source("big.toml", source.replace("total = 50\n", "total = 5000\n")).unwrap();
    let rec = record(&big, 0, u64::MAX);
    let spans: usize = rec.tracks.iter().map(|t| t.spans.len()).sum();
    // The limit, and what was open on each row when it was reached.
    let rows = rec.tracks.len();
    assert!((scenario::sink::MAX_SPANS..=scenario::sink::MAX_SPANS + 2 * rows).contains(&spans), "{spans}");
    let cut = rec.cut.expect("a cut");
    assert!(rec.tracks.iter().flat_map(|t| &t.spans).all(|s| s.end <= cut));
    assert!(cut < rec.end);

    // A level keeps its peak however often it changed.
    let summary = big.run_with(vec![], true);
    for (level, stats) in rec.queues.iter().zip(&summary.queues) {
        assert!(level.width > 0, "10^4 changes are kept as ranges");
        assert!(level.points.len() <= scenario::sink::MAX_POINTS);
        assert_eq!(level.points.iter().map(|p| p.2).max(), Some(stats.max_len), "{}", level.name);
    }

    // With every change kept, the length integrated over the run is the statistics' length
    // area (no warm-up).
    let mid = Scenario::from_source("mid.toml", source.replace("total = 50\n", "total = 1000\n")).unwrap();
    let rec = record(&mid, 0, u64::MAX);
    let summary = mid.run_with(vec![], true);
    for (level, stats) in rec.queues.iter().zip(&summary.queues) {
        assert_eq!(level.width, 0, "few enough changes to keep each");
        let mut area = 0u128;
        for w in level.points.windows(2) {
            area += u128::from(w[0].3) * u128::from(w[1].0 - w[0].0);
        }
        assert_eq!(area, stats.length_area, "{}", level.name);
    }
}

/// Chromium, where installed: the page loads from a file with no network, every chart is drawn
/// (the page's own check marks it), no script error, and a screenshot is kept in
/// `target/report-screenshots/` for people to look at.
#[test]
fn a_real_browser_draws_every_chart() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        use std::io::Write;
        let _ =
            writeln!(std::io::stderr(), "SKIPPED: Chromium is not installed; the report's browser test did not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let pages = [
        ("async_queue", vec!["scenarios/async_queue.toml"]),
        ("mmc_sweep", vec!["--runs", "5", "--sweep", "tasks.server.count=2,3,4", "scenarios/mmc.toml"]),
        ("semaphore", vec!["scenarios/semaphore.toml"]),
    ];
    for (name, args) in pages {
        let html = report(dir.path(), &format!("{name}.html"), &args);
        let expected = charts(&html).len();
        let url = format!("file://{}", dir.path().join(format!("{name}.html")).display());
        let profile = tempfile::tempdir().unwrap();
        let flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ];
        let user_data = format!("--user-data-dir={}", profile.path().display());
        let out = Command::new(chromium).args(flags).arg(&user_data).arg("--dump-dom").arg(&url).output().unwrap();
        let dom = String::from_utf8_lossy(&out.stdout);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(dom.contains("data-checked=\"true\""), "{name}: the page's check did not run:\n{log}");
        assert!(!dom.contains("data-errors"), "{name}: script errors:\n{log}");
        for line in log.lines().filter(|l| l.contains(":CONSOLE")) {
            assert!(!line.contains("Uncaught") && !line.contains("rror"), "{name}: console: {line}");
        }
        assert_eq!(dom.matches("data-rendered=\"true\"").count(), expected, "{name}: not every chart was drawn");
        assert!(!dom.contains("data-rendered=\"false\""), "{name}");
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let out = Command::new(chromium)
            .args(flags)
            .arg(&user_data)
            .arg("--window-size=1050,2400")
            .arg(format!("--screenshot={}", shot.display()))
            .arg(&url)
            .output()
            .unwrap();
        let png = std::fs::read(&shot)
            .unwrap_or_else(|e| panic!("{name}: no screenshot ({e}):\n{}", String::from_utf8_lossy(&out.stderr)));
        assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "{name}: a blank screenshot?");
    }
}

/// README's commands for the report work as shown, writing where they say.
#[test]
fn the_readme_s_report_commands_work() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = &readme[readme.find("### A report").unwrap()..];
    let block = section.split("```text\n").nth(1).unwrap().split("```").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for line in block.lines().filter_map(|l| l.strip_prefix("$ scenario ")) {
        let mut args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        let o = args.iter().position(|a| a == "-o").unwrap();
        let name = args[o + 1].clone();
        args[o + 1] = dir.path().join(&name).display().to_string();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = binary(&args);
        assert_eq!(code, 0, "{line}: {err}");
        assert_eq!(err, format!("wrote {}\n", args[o + 1]), "{line}");
        let html = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        assert!(html.ends_with("</html>\n"));
        ran += 1;
    }
    assert_eq!(ran, 3);
    assert!(block.contains("\nwrote report.html\n"));
}
