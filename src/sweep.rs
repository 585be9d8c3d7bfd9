//! `--sweep PATH=1,2,4,8`: a scenario run at every combination of some parameters' values,
//! each over the same seeds, and one table of the answers.
//!
//! Every point runs the same seeds, and a run's draws depend only on its seed and on which
//! task draws (see `rng`), so changing a parameter does not reshuffle the draws it does not
//! touch: points differ by the parameter, not by luck (common random numbers).

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::seeds::Across;
use crate::threshold::{Metric, Unit};

/// The most points a sweep may have (the product of its axes' lengths).
pub const MAX_POINTS: usize = 10_000;

/// One `--sweep PATH=VALUES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub path: String,
    /// Each value as `--set` takes it.
    pub values: Vec<String>,
}

impl Axis {
    /// Parses `PATH=V1,V2,...` or `PATH=A..B` / `PATH=A..=B` (whole numbers, B left out or
    /// in, as for seeds). Commas inside brackets, braces or quotes do not split values.
    pub fn parse(text: &str) -> Result<Axis, String> {
        const MAX: i64 = 10_000;
        let Some((path, values)) = text.split_once('=') else {
            return Err(format!("`{text}` is not PATH=VALUES (as in `tasks.server.count=1,2,4`)"));
        };
        let (path, values) = (path.trim().to_owned(), values.trim());
        let range = values.split_once("..").and_then(|(a, b)| {
            let (inclusive, b) = match b.strip_prefix('=') {
                Some(b) => (true, b),
                None => (false, b),
            };
            Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?, inclusive))
        });
        let values: Vec<String> = match range {
            Some((a, b, inclusive)) => {
                let end = if inclusive { b.checked_add(1) } else { Some(b) };
                match end {
                    Some(end) if end > a && end - a <= MAX => (a..end).map(|v| v.to_string()).collect(),
                    _ => return Err(format!("`{values}` must go up, and hold at most {MAX} values")),
                }
            }
            None => split_top_level(values),
        };
        if values.iter().any(String::is_empty) {
            return Err(format!("`{text}` has an empty value"));
        }
        Ok(Axis { path, values })
    }
}

/// Splits on commas outside brackets, braces and quotes.
fn split_top_level(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(text[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim().to_owned());
    out
}

/// Every combination of the axes' values, the first axis varying slowest; each as the
/// `PATH=VALUE` overrides that make it.
pub fn points(axes: &[Axis]) -> Vec<Vec<String>> {
    let mut points = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.push(format!("{}={v}", axis.path));
                    p
                })
            })
            .collect();
    }
    points
}

/// The summary of a sweep (`--summary` with `--sweep`): each point's summary across seeds.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SweepReport {
    /// The version of the summaries' shape (`report::VERSION`).
    pub version: u32,
    pub scenario: String,
    /// The `--set` overrides every point had.
    pub set: Vec<String>,
    /// The swept paths, in the order given.
    pub sweep: Vec<String>,
    /// The metrics of the table, in its order.
    pub metrics: Vec<String>,
    /// Every point, the first path varying slowest.
    pub points: Vec<Point>,
}

impl SweepReport {
    /// The summary as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of numbers and strings cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// One point of a sweep.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// The value of each swept path, as given.
    pub values: Vec<String>,
    /// The summary across seeds of the scenario with those values.
    pub report: Report,
}

/// A number with four significant digits, and seconds for a time: a table cell.
fn short(unit: Unit, v: f64) -> String {
    let (v, suffix) = if unit == Unit::Time { (v / 1e9, " s") } else { (v, "") };
    if v == 0.0 || !v.is_finite() {
        return format!("{v}{suffix}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 9) as usize;
    format!("{v:.digits$}{suffix}")
}

/// The table of a sweep: a row per point, a column per swept path, then one per metric with
/// its mean over seeds and 95% interval.
pub fn table(axes: &[Axis], rows: &[(Vec<String>, &Across)], metrics: &[Metric]) -> String {
    let mut header: Vec<String> = axes.iter().map(|a| a.path.clone()).collect();
    header.push("failed".into());
    header.extend(metrics.iter().map(|m| m.name.clone()));
    let mut cells: Vec<Vec<String>> = vec![header];
    for (values, across) in rows {
        let mut row = values.clone();
        row.push(across.runs.iter().filter(|r| r.failure.is_some()).count().to_string());
        let all = across.metrics();
        for m in metrics {
            let k = all.iter().position(|a| a.name == m.name);
            row.push(match k.and_then(|k| across.mean_of(k)) {
                None => "-".into(),
                Some((mean, None)) => short(m.unit, mean),
                Some((mean, Some(h))) => format!("{} ± {}", short(m.unit, mean), short(m.unit, h)),
            });
        }
        cells.push(row);
    }
    let widths: Vec<usize> = (0..cells[0].len())
        .map(|c| cells.iter().map(|r| unicode_width::UnicodeWidthStr::width(r[c].as_str())).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = widths[c] - unicode_width::UnicodeWidthStr::width(cell.as_str());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The table as CSV: times in seconds, each metric's mean then `METRIC ±` for the half-width
/// of its 95% interval (empty with one seed, or with no value).
pub fn csv(axes: &[Axis], rows: &[(Vec<String>, &Across)], metrics: &[Metric]) -> String {
    let field = |text: &str| {
        if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
    };
    let mut out = String::new();
    let mut header: Vec<String> = axes.iter().map(|a| field(&a.path)).collect();
    header.push("seeds".into());
    header.push("failed".into());
    for m in metrics {
        header.push(field(&m.name));
        header.push(field(&format!("{} ±", m.name)));
    }
    out.push_str(&header.join(","));
    out.push('\n');
    for (values, across) in rows {
        let mut row: Vec<String> = values.iter().map(|v| field(v)).collect();
        row.push(across.runs.len().to_string());
        row.push(across.runs.iter().filter(|r| r.failure.is_some()).count().to_string());
        let all = across.metrics();
        for m in metrics {
            let scale = if m.unit == Unit::Time { 1e9 } else { 1.0 };
            let k = all.iter().position(|a| a.name == m.name);
            match k.and_then(|k| across.mean_of(k)) {
                None => row.extend([String::new(), String::new()]),
                Some((mean, half)) => {
                    row.push(format!("{}", mean / scale));
                    row.push(half.map(|h| format!("{}", h / scale)).unwrap_or_default());
                }
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The metrics a sweep's table shows when none are asked for: the thresholds' metrics if the
/// file has any, else the makespan, each queue's mean wait and each semaphore's utilisation.
pub fn default_metrics(across: &Across, thresholds: &[crate::threshold::Threshold]) -> Vec<Metric> {
    let all = across.metrics();
    let wanted: Vec<String> = if thresholds.is_empty() {
        let mut names = vec!["run.makespan".to_owned()];
        names.extend(across.pooled.queues.iter().map(|q| format!("queue.{}.wait.mean", q.name)));
        names.extend(
            across
                .pooled
                .semaphores
                .iter()
                .map(|s| format!("semaphore.{}.utilisation", crate::threshold::metric_name(&s.name))),
        );
        names
    } else {
        let mut names: Vec<String> =
            thresholds.iter().map(|t| t.metric.trim_start_matches(crate::threshold::EVERY_SEED).to_owned()).collect();
        names.dedup();
        names
    };
    wanted.iter().filter_map(|n| all.iter().find(|m| &m.name == n).cloned()).collect()
}

/// A line of text saying which points crossed which thresholds.
pub fn describe_point(axes: &[Axis], values: &[String]) -> String {
    let mut out = String::new();
    for (k, (axis, value)) in axes.iter().zip(values).enumerate() {
        let _ = write!(out, "{}{}={value}", if k == 0 { "" } else { " " }, axis.path);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_lists_or_ranges() {
        let a = Axis::parse("tasks.server.count=1,2, 4").unwrap();
        assert_eq!((a.path.as_str(), a.values), ("tasks.server.count", vec!["1".into(), "2".into(), "4".into()]));
        assert_eq!(Axis::parse("x=1..=3").unwrap().values, ["1", "2", "3"]);
        assert_eq!(Axis::parse("x=1..3").unwrap().values, ["1", "2"]);
        let d = Axis::parse(r#"d={ uniform = ["1s", "2s"] },{ exponential = "1s" }"#).unwrap();
        assert_eq!(d.values, [r#"{ uniform = ["1s", "2s"] }"#, r#"{ exponential = "1s" }"#]);
        assert!(Axis::parse("x").is_err());
        assert!(Axis::parse("x=3..1").is_err());
        assert!(Axis::parse("x=1,,2").is_err());
    }

    #[test]
    fn points_vary_the_first_axis_slowest() {
        let axes = [Axis::parse("a=1,2").unwrap(), Axis::parse("b=x,y").unwrap()];
        let p = points(&axes);
        assert_eq!(p, [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"]]);
    }

    #[test]
    fn cells_have_four_significant_digits() {
        assert_eq!(short(Unit::Time, 481_420_624.0), "0.4814 s");
        assert_eq!(short(Unit::Time, 51_344_282_468.0), "51.34 s");
        assert_eq!(short(Unit::Number, 0.66666), "0.6667");
        assert_eq!(short(Unit::Count, 12345.0), "12345");
    }
}
