//! Many runs from one command: `run --seeds`, `--sweep` and `--shard`, and `scenario merge`,
//! which puts shards back together.
//!
//! A shard's summary carries what the whole needs (each seed's figures, and its pool of
//! statistics with histograms as buckets); `merge` rebuilds from the shards exactly the
//! [`Across`] the unsplit run would have had, and hands it to the same code that reports an
//! unsplit run, so the report and the summary are the same bytes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cli::exit;
use crate::report::{Report, Shard};
use crate::scenario::Scenario;
use crate::seeds::Across;
use crate::sweep::{Axis, SweepReport};
use crate::threshold::Metric;

/// `--shard`: which part of the seeds to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// From 1.
    pub index: u64,
    pub count: u64,
}

impl ShardSpec {
    /// Parses `K/N`, or `N` with K from the environment of a scheduler: Kubernetes Indexed
    /// Jobs' `JOB_COMPLETION_INDEX` (from 0), or Slurm's `SLURM_ARRAY_TASK_ID` (from
    /// `SLURM_ARRAY_TASK_MIN`, 0 if unset).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<ShardSpec, String> {
        let number = |s: &str, what: &str| {
            s.trim().parse::<u64>().map_err(|_| format!("`{}` is not {what} (a whole number)", s.trim()))
        };
        let (index, count) = match text.split_once('/') {
            Some((k, n)) => (number(k, "a shard number")?, number(n, "a number of shards")?),
            None => {
                let count = number(text, "a number of shards")?;
                let from_env = |var: &str, base: u64| -> Option<Result<u64, String>> {
                    let value = env(var)?;
                    Some(
                        number(&value, &format!("a shard index in {var}"))
                            .and_then(|v| v.checked_sub(base).ok_or_else(|| format!("{var} is below its minimum")))
                            .map(|v| v + 1),
                    )
                };
                let slurm_min = env("SLURM_ARRAY_TASK_MIN").and_then(|m| m.trim().parse::<u64>().ok()).unwrap_or(0);
                let index = from_env("JOB_COMPLETION_INDEX", 0)
                    .or_else(|| from_env("SLURM_ARRAY_TASK_ID", slurm_min))
                    .ok_or_else(|| {
                        format!(
                            "`--shard {count}` takes the shard's number from JOB_COMPLETION_INDEX (Kubernetes) or \
                             SLURM_ARRAY_TASK_ID (Slurm), and neither is set; write `--shard K/{count}`"
                        )
                    })??;
                (index, count)
            }
        };
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {index} of {count} does not exist: shards are numbered 1 to {count}"));
        }
        Ok(ShardSpec { index, count })
    }

    /// This shard's part of `seeds`: the K-th of N slices as even as can be, in order.
    pub fn slice<'a>(&self, seeds: &'a [u64]) -> &'a [u64] {
        let n = seeds.len() as u128;
        let at = |k: u64| (u128::from(k) * n / u128::from(self.count)) as usize;
        &seeds[at(self.index - 1)..at(self.index)]
    }
}

/// How a sweep's table is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Aligned columns, for people.
    Text,
    /// Comma-separated values, times in seconds, for spreadsheets and plots.
    Csv,
}

/// Which seeds a batch runs.
pub enum Seeds {
    List(Vec<u64>),
    /// This many, counting up from the scenario's own seed (after `--set`).
    Runs(u64),
}

/// What `run` was asked for when it runs more than once.
pub struct Batch<'a> {
    pub path: &'a Path,
    pub sets: Vec<String>,
    pub seeds: Seeds,
    pub sweep: Vec<Axis>,
    pub metrics: Vec<String>,
    pub table: TableFormat,
    pub shard: Option<ShardSpec>,
    pub jobs: usize,
    pub summary: Option<&'a Path>,
    pub wall_limit: Option<std::time::Duration>,
    pub color: bool,
}

/// Where the report goes.
pub struct Out<'a> {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: &'a mut dyn Write,
}

/// A summary file: one run's or many seeds' ([`Report`]), or a sweep's.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SummaryFile {
    Sweep(SweepReport),
    Run(Box<Report>),
}

impl SummaryFile {
    /// Reads a summary. A sweep's has `points`. (Not serde's `untagged`, which reads through
    /// an intermediate form that loses the exactness of large integers.)
    fn parse(text: &str) -> Result<SummaryFile, serde_json::Error> {
        #[derive(Deserialize)]
        struct Kind {
            points: Option<serde::de::IgnoredAny>,
        }
        let kind: Kind = serde_json::from_str(text)?;
        if kind.points.is_some() {
            serde_json::from_str(text).map(SummaryFile::Sweep)
        } else {
            serde_json::from_str(text).map(|r| SummaryFile::Run(Box::new(r)))
        }
    }
}

/// A batch's runs: every point of the sweep (one, with no values, without `--sweep`), each
/// over this shard's seeds.
pub struct Runs {
    /// Per point: the swept values, the scenario with them, and its runs.
    pub points: Vec<(Vec<String>, Scenario, Across)>,
    /// The table's metrics, as `--metric` named them; `None`: the default ones.
    pub metrics: Option<Vec<Metric>>,
    /// Every seed of the batch, this shard's and the others'.
    pub all_seeds: Vec<u64>,
}

/// Loads every point of a batch and runs it over this shard's seeds. A mistake in the file or
/// in `--metric` is reported on `stderr`; the error is the exit code.
pub fn runs(batch: &Batch<'_>, stderr: &mut dyn Write) -> Result<Runs, i32> {
    let points = crate::sweep::points(&batch.sweep);
    let mut scenarios = Vec::new();
    for point in &points {
        let sets: Vec<String> = batch.sets.iter().chain(point).cloned().collect();
        let s = crate::cli::load_with(batch.path, &sets, batch.color, stderr)?;
        let limits = s.current_limits();
        scenarios.push(s.limits(crate::plan::Limits { wall_limit: batch.wall_limit, ..limits }));
    }
    let Some(first) = scenarios.first() else { return Err(exit::USAGE) };
    let metrics = resolve_metrics(first, &batch.metrics).map_err(|e| {
        let _ = writeln!(stderr, "error: --metric: {e}");
        exit::USAGE
    })?;
    let all_seeds = match &batch.seeds {
        Seeds::List(seeds) => seeds.clone(),
        Seeds::Runs(n) => {
            let from = first.current_seed();
            (0..(*n).min(u64::MAX - from)).map(|k| from + k).collect()
        }
    };
    let seeds = match &batch.shard {
        Some(shard) => shard.slice(&all_seeds),
        None => &all_seeds[..],
    };
    let progress = io::IsTerminal::is_terminal(&io::stderr());
    let points = points
        .into_iter()
        .zip(scenarios)
        .map(|(point, scenario)| {
            let values = point.iter().map(|p| p.split_once('=').map_or("", |(_, v)| v).to_owned()).collect();
            let across = crate::seeds::run_all(&scenario, seeds, batch.jobs, progress);
            (values, scenario, across)
        })
        .collect();
    Ok(Runs { points, metrics, all_seeds })
}

/// Runs a batch (see [`runs`]), then reports.
pub fn run(batch: Batch<'_>, out: Out<'_>) -> i32 {
    let Out { stdout, stderr } = out;
    let Runs { points, metrics, all_seeds } = match runs(&batch, stderr) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let name = batch.path.display().to_string();
    let shard = batch.shard.map(|s| (s, all_seeds.len() as u64));
    if batch.sweep.is_empty() {
        let Some((_, first, across)) = points.first() else { return exit::USAGE };
        return finish_seeds(&name, first, across, shard, batch.summary, Out { stdout, stderr });
    }
    let sweep = Sweep { name: &name, sets: &batch.sets, axes: &batch.sweep, metrics, table: batch.table };
    finish_sweep(&sweep, &points, shard, batch.summary, Out { stdout, stderr })
}

/// The metrics a sweep's table shows, checked against the scenario's names.
fn resolve_metrics(scenario: &Scenario, names: &[String]) -> Result<Option<Vec<Metric>>, String> {
    if names.is_empty() {
        return Ok(None);
    }
    let empty = scenario.empty_summary();
    let all = Metric::all(&empty);
    names
        .iter()
        .map(|n| {
            all.iter().find(|m| &m.name == n).cloned().ok_or_else(|| {
                match crate::threshold::suggest(n, &crate::threshold::MetricNames::of(&empty)) {
                    Some(m) => format!("unknown metric `{n}`; did you mean `{m}`?"),
                    None => format!("unknown metric `{n}`; README's Thresholds section lists them"),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Writes `text` to standard output, and `json` where `--summary` says.
fn emit(text: &str, json: Option<(&Path, String)>, out: Out<'_>) -> i32 {
    let Out { mut stdout, stderr } = out;
    let mut text = text.to_owned();
    if let Some((target, json)) = json {
        // With `--summary -`, the JSON follows the report on standard output.
        if target == Path::new("-") {
            text.push_str(&json);
        } else {
            let code = crate::cli::write_atomically(target, json.as_bytes(), stderr);
            if code != exit::OK {
                return code;
            }
        }
    }
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(stderr, "error: cannot write the report: {e}");
            return exit::IO;
        }
    }
    exit::OK
}

/// The command that replays one seed of a scenario with these overrides.
pub fn replay(file: &str, sets: &[String], seed: u64) -> String {
    let mut command = format!("scenario run {}", shell_quote(file));
    for s in sets {
        command.push_str(" --set ");
        command.push_str(&shell_quote(s));
    }
    command.push_str(&format!(" --seed {seed}"));
    command
}

/// `text` as one word for a POSIX shell.
pub(crate) fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The summary of a run over many seeds: with `shard`, also what merging needs.
fn summary_of(
    name: &str,
    scenario: &Scenario,
    across: &Across,
    verdicts: &[crate::threshold::Verdict],
    shard: Option<(ShardSpec, u64)>,
) -> Report {
    let mut report = Report::across(name, across, scenario.thresholds(), verdicts);
    report.set = scenario.sets().to_vec();
    report.shard = shard.map(|(s, total)| Shard {
        index: s.index,
        count: s.count,
        total_seeds: total,
        pool: across.pooled.clone(),
        seeds: across.runs.clone(),
    });
    report
}

/// Reports a run over many seeds (or one shard of it): the text report, the summary, the exit
/// code. An unsplit run and the merge of its shards both end here.
fn finish_seeds(
    name: &str,
    scenario: &Scenario,
    across: &Across,
    shard: Option<(ShardSpec, u64)>,
    summary: Option<&Path>,
    out: Out<'_>,
) -> i32 {
    let mut text = String::new();
    if let Some((s, total)) = shard {
        text.push_str(&format!(
            "shard {} of {}: {} of {total} seeds; `scenario merge` puts the shards' summaries together, and judges \
             thresholds and failures\n",
            s.index,
            s.count,
            across.runs.len()
        ));
    }
    text.push_str(&crate::seeds::report(name, scenario.sets(), across));
    let verdicts = across.verdicts(scenario.thresholds());
    let report = summary_of(name, scenario, across, &verdicts, shard);
    let json = summary.map(|target| (target, report.to_json()));
    let Out { stdout, stderr } = out;
    let code = emit(&text, json, Out { stdout, stderr: &mut *stderr });
    if code != exit::OK || shard.is_some() {
        return code;
    }
    if across.runs.iter().any(|s| s.failure.is_some()) {
        return exit::RUN_FAILED;
    }
    crate::cli::thresholds_exit(scenario, &verdicts, &format!(" over {} seeds", across.runs.len()), stderr)
}

/// What a sweep's report needs besides its points.
struct Sweep<'a> {
    name: &'a str,
    sets: &'a [String],
    axes: &'a [Axis],
    /// The table's metrics; `None`: the default ones.
    metrics: Option<Vec<Metric>>,
    table: TableFormat,
}

/// Reports a sweep (or one shard of it): the table, each point's failed seeds and crossed
/// thresholds, the summary and the exit code.
fn finish_sweep(
    sweep: &Sweep<'_>,
    rows: &[(Vec<String>, Scenario, Across)],
    shard: Option<(ShardSpec, u64)>,
    summary: Option<&Path>,
    out: Out<'_>,
) -> i32 {
    let Some((_, first, first_across)) = rows.first() else { return exit::OK };
    let metrics =
        sweep.metrics.clone().unwrap_or_else(|| crate::sweep::default_metrics(first_across, first.thresholds()));
    let table_rows: Vec<(Vec<String>, &Across)> = rows.iter().map(|(v, _, a)| (v.clone(), a)).collect();
    let seeds = first_across.runs.len();
    let mut notes = String::new();
    let (mut failed, mut crossed) = (false, 0);
    let pooled = if seeds == 1 { String::new() } else { format!(" (pooled over {seeds} seeds)") };
    let mut points = Vec::new();
    for (values, scenario, across) in rows {
        let point = crate::sweep::describe_point(sweep.axes, values);
        for r in across.runs.iter().filter(|r| r.failure.is_some()) {
            failed = true;
            let message = r.failure.as_ref().map_or("", |f| f.message.lines().next().unwrap_or(""));
            notes.push_str(&format!(
                "{point}: seed {} failed: {message}\n  replay: {}\n",
                r.seed,
                replay(sweep.name, scenario.sets(), r.seed)
            ));
        }
        let verdicts = across.verdicts(scenario.thresholds());
        if shard.is_none() && verdicts.iter().any(|v| !v.held) {
            crossed += 1;
            for v in verdicts.iter().filter(|v| !v.held) {
                notes.push_str(&format!("{point}: threshold crossed{pooled}: {}\n", v.message));
            }
        }
        let report = summary_of(sweep.name, scenario, across, &verdicts, shard);
        points.push(crate::sweep::Point { values: values.clone(), report });
    }
    let mut text = String::new();
    if sweep.table == TableFormat::Text {
        if let Some((s, total)) = shard {
            text.push_str(&format!(
                "shard {} of {}: {seeds} of {total} seeds a point; `scenario merge` puts the shards' summaries together\n",
                s.index, s.count
            ));
        }
        let paths: Vec<&str> = sweep.axes.iter().map(|a| a.path.as_str()).collect();
        text.push_str(&format!(
            "sweep of {} over {}: {} points, {seeds} seeds each (mean over seeds ± 95% interval)\n",
            sweep.name,
            paths.join(", "),
            rows.len()
        ));
        text.push_str(&crate::sweep::table(sweep.axes, &table_rows, &metrics));
        text.push_str(&notes);
    } else {
        text.push_str(&crate::sweep::csv(sweep.axes, &table_rows, &metrics));
    }
    let report = SweepReport {
        version: crate::report::VERSION,
        scenario: sweep.name.to_owned(),
        set: sweep.sets.to_vec(),
        sweep: sweep.axes.iter().map(|a| a.path.clone()).collect(),
        metrics: metrics.iter().map(|m| m.name.clone()).collect(),
        points,
    };
    let json = summary.map(|target| (target, report.to_json()));
    let Out { stdout, stderr } = out;
    if sweep.table == TableFormat::Csv {
        let _ = stderr.write_all(notes.as_bytes());
    }
    let code = emit(&text, json, Out { stdout, stderr: &mut *stderr });
    if code != exit::OK || shard.is_some() {
        return code;
    }
    if failed {
        return exit::RUN_FAILED;
    }
    if crossed > 0 {
        let _ = writeln!(stderr, "error: thresholds crossed at {crossed} of {} points", rows.len());
        return exit::THRESHOLD;
    }
    exit::OK
}

/// `scenario merge`: the shards' summaries put back together, reported as the unsplit run.
pub fn merge(files: &[PathBuf], table: TableFormat, summary: Option<&Path>, color: bool, out: Out<'_>) -> i32 {
    let Out { stdout, stderr } = out;
    let mut parts = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot read `{}`: {e}", file.display());
                return exit::IO;
            }
        };
        match SummaryFile::parse(&text) {
            Ok(part) => parts.push((file, part)),
            Err(e) => {
                let _ = writeln!(
                    stderr,
                    "error: `{}` is not a shard's summary (`run --shard K/N --summary FILE`): {e}",
                    file.display()
                );
                return exit::USAGE;
            }
        }
    }
    let mistake = |stderr: &mut dyn Write, message: String| {
        let _ = writeln!(stderr, "error: {message}");
        exit::USAGE
    };
    match parts.first().map(|(_, p)| p) {
        None => mistake(stderr, "no summaries to merge".into()),
        Some(SummaryFile::Run(_)) => {
            let mut reports = Vec::new();
            for (file, part) in parts {
                match part {
                    SummaryFile::Run(r) => reports.push((file, *r)),
                    SummaryFile::Sweep(_) => {
                        return mistake(
                            stderr,
                            format!("`{}` is a sweep's summary, the others are not", file.display()),
                        );
                    }
                }
            }
            let (name, sets) = (reports[0].1.scenario.clone(), reports[0].1.set.clone());
            let across = match join(reports) {
                Ok(across) => across,
                Err(e) => return mistake(stderr, e),
            };
            let scenario = match crate::cli::load_with(Path::new(&name), &sets, color, stderr) {
                Ok(s) => s,
                Err(code) => return code,
            };
            finish_seeds(&name, &scenario, &across, None, summary, Out { stdout, stderr })
        }
        Some(SummaryFile::Sweep(_)) => {
            let mut sweeps = Vec::new();
            for (file, part) in parts {
                match part {
                    SummaryFile::Sweep(s) => sweeps.push((file, s)),
                    SummaryFile::Run(_) => {
                        return mistake(
                            stderr,
                            format!("`{}` is not a sweep's summary, the others are", file.display()),
                        );
                    }
                }
            }
            let first = &sweeps[0].1;
            let (name, sets, paths, metric_names) =
                (first.scenario.clone(), first.set.clone(), first.sweep.clone(), first.metrics.clone());
            let values: Vec<Vec<String>> = first.points.iter().map(|p| p.values.clone()).collect();
            for (file, s) in &sweeps {
                let same_points = s.points.iter().map(|p| &p.values).eq(values.iter());
                if s.scenario != name || s.set != sets || s.sweep != paths || !same_points {
                    return mistake(stderr, format!("`{}` is a shard of another sweep", file.display()));
                }
            }
            // Point by point: the k-th point of every shard.
            let mut per_point: Vec<Vec<(&PathBuf, Report)>> = values.iter().map(|_| Vec::new()).collect();
            for (file, s) in sweeps {
                for (k, p) in s.points.into_iter().enumerate() {
                    per_point[k].push((file, p.report));
                }
            }
            let mut rows = Vec::new();
            for (point_values, reports) in values.into_iter().zip(per_point) {
                let point_sets: Vec<String> = reports.first().map(|(_, r)| r.set.clone()).unwrap_or_default();
                let across = match join(reports) {
                    Ok(across) => across,
                    Err(e) => return mistake(stderr, e),
                };
                let scenario = match crate::cli::load_with(Path::new(&name), &point_sets, color, stderr) {
                    Ok(s) => s,
                    Err(code) => return code,
                };
                rows.push((point_values, scenario, across));
            }
            let axes: Vec<Axis> = paths
                .iter()
                .enumerate()
                .map(|(k, path)| {
                    let mut seen: Vec<String> = Vec::new();
                    for (v, _, _) in &rows {
                        if !seen.contains(&v[k]) {
                            seen.push(v[k].clone());
                        }
                    }
                    Axis { path: path.clone(), values: seen }
                })
                .collect();
            let probe = rows.first().map(|(_, s, _)| s);
            let metrics = match probe.map(|s| resolve_metrics(s, &metric_names)) {
                Some(Ok(m)) => m,
                Some(Err(e)) => return mistake(stderr, e),
                None => None,
            };
            let sweep = Sweep { name: &name, sets: &sets, axes: &axes, metrics, table };
            finish_sweep(&sweep, &rows, None, summary, Out { stdout, stderr })
        }
    }
}

/// The shards of one run over seeds, checked and put back together in shard order.
fn join(mut reports: Vec<(&PathBuf, Report)>) -> Result<Across, String> {
    let mut shards = Vec::new();
    for (file, r) in &mut reports {
        let Some(shard) = r.shard.take() else {
            return Err(format!(
                "`{}` is not a shard's summary: run with `--shard K/N --summary FILE`",
                file.display()
            ));
        };
        if r.version != crate::report::VERSION {
            return Err(format!(
                "`{}` has version {} of the summary; this is version {}",
                file.display(),
                r.version,
                crate::report::VERSION
            ));
        }
        shards.push((file.display().to_string(), r.scenario.clone(), r.set.clone(), shard));
    }
    let (_, scenario, sets, first) = &shards[0];
    let (count, total) = (first.count, first.total_seeds);
    for (file, s, set, shard) in &shards {
        if s != scenario || set != sets || shard.count != count || shard.total_seeds != total {
            return Err(format!(
                "`{file}` is a shard of another run (another scenario, overrides or number of shards)"
            ));
        }
    }
    shards.sort_by_key(|(_, _, _, s)| s.index);
    for (k, (file, _, _, shard)) in shards.iter().enumerate() {
        let expected = k as u64 + 1;
        if shard.index != expected {
            return Err(if shard.index < expected {
                format!("`{file}` is shard {} again", shard.index)
            } else {
                format!("shard {expected} of {count} is missing")
            });
        }
    }
    if shards.len() as u64 != count {
        return Err(format!("shard {} of {count} is missing", shards.len() + 1));
    }
    let mut across = Across::default();
    for (_, _, _, shard) in shards {
        across.extend(Across { runs: shard.seeds, pooled: shard.pool });
    }
    if across.runs.len() as u64 != total {
        return Err(format!("the shards hold {} seeds, not the {total} they were cut from", across.runs.len()));
    }
    Ok(across)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cut_the_seeds_into_even_slices_in_order() {
        let seeds: Vec<u64> = (1..=10).collect();
        let parts: Vec<&[u64]> = (1..=3).map(|k| ShardSpec { index: k, count: 3 }.slice(&seeds)).collect();
        assert_eq!(parts, [&[1, 2, 3][..], &[4, 5, 6], &[7, 8, 9, 10]]);
        // More shards than seeds: some are empty, none overlap.
        let many: usize = (1..=20).map(|k| ShardSpec { index: k, count: 20 }.slice(&seeds).len()).sum();
        assert_eq!(many, 10);
    }

    #[test]
    fn the_shard_number_comes_from_the_flag_or_a_scheduler() {
        let none = |_: &str| None;
        assert_eq!(ShardSpec::parse("2/4", none), Ok(ShardSpec { index: 2, count: 4 }));
        assert!(ShardSpec::parse("0/4", none).is_err());
        assert!(ShardSpec::parse("5/4", none).is_err());
        assert!(ShardSpec::parse("4", none).unwrap_err().contains("JOB_COMPLETION_INDEX"));
        let k8s = |v: &str| (v == "JOB_COMPLETION_INDEX").then(|| "0".to_owned());
        assert_eq!(ShardSpec::parse("4", k8s), Ok(ShardSpec { index: 1, count: 4 }));
        let slurm = |v: &str| match v {
            "SLURM_ARRAY_TASK_ID" => Some("4".to_owned()),
            "SLURM_ARRAY_TASK_MIN" => Some("1".to_owned()),
            _ => None,
        };
        assert_eq!(ShardSpec::parse("4", slurm), Ok(ShardSpec { index: 4, count: 4 }));
    }

    #[test]
    fn replay_commands_quote_what_a_shell_would_split() {
        let sets = ["tasks.server.count=2".to_owned(), r#"distributions.s={ exponential = "2s" }"#.to_owned()];
        assert_eq!(
            replay("scenarios/mm1.toml", &sets, 7),
            r#"scenario run scenarios/mm1.toml --set tasks.server.count=2 --set 'distributions.s={ exponential = "2s" }' --seed 7"#
        );
    }
}
