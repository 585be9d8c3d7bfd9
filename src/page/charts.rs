//! The report's charts, drawn by plotters to SVG text: deterministic bytes for the same data,
//! no fonts needed (text is left to the browser), nothing fetched.
//!
//! Every function returns an `<svg>` element; a chart that cannot be drawn returns a note saying
//! why instead (plotters reports errors for degenerate ranges; none is expected, none panics).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::sink::{Durations, Level, Recording, SpanKind};

/// Chart width in pixels; the page scales charts to its width.
pub const WIDTH: u32 = 960;

/// Colours (Tableau 10): distinguishable, and readable when printed in grey.
pub const BLUE: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
pub const ORANGE: RGBColor = RGBColor(0xf2, 0x8e, 0x2b);
pub const RED: RGBColor = RGBColor(0xe1, 0x57, 0x59);
pub const TEAL: RGBColor = RGBColor(0x76, 0xb7, 0xb2);
pub const GREEN: RGBColor = RGBColor(0x59, 0xa1, 0x4f);
pub const PURPLE: RGBColor = RGBColor(0xb0, 0x7a, 0xa1);
pub const GREY: RGBColor = RGBColor(0xba, 0xb0, 0xac);
const PALETTE: [RGBColor; 6] = [BLUE, ORANGE, GREEN, RED, PURPLE, TEAL];

/// The colour of a kind of span, as in the timeline's legend.
pub fn span_colour(kind: SpanKind) -> RGBColor {
    match kind {
        SpanKind::Sleep => BLUE,
        SpanKind::Busy => ORANGE,
        SpanKind::Thread => PURPLE,
        SpanKind::Wait => GREY,
        SpanKind::Hold => GREEN,
        SpanKind::Timeout => RED,
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Draws a chart of `height` pixels with `draw`.
fn svg(height: u32, draw: impl FnOnce(&Area<'_>) -> Result<()>) -> String {
    let mut text = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut text, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(Into::into).and_then(|()| draw(&root)).and_then(|()| Ok(root.present()?))
    };
    match drawn {
        Ok(()) => text,
        Err(e) => format!("<p class=\"note\">This chart could not be drawn: {}</p>", super::escape(&e.to_string())),
    }
}

/// A range that plotters can draw: widened when empty.
fn range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    if hi > lo { lo..hi } else { lo..lo + 1.0 }
}

fn seconds(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// The timeline: a row per task replica, a bar per span, from `from` to `until` (ns).
pub fn timeline(rec: &Recording, from: u64, until: u64) -> String {
    let rows = rec.tracks.len().max(1);
    let height = 60 + 20 * rows as u32;
    let label_width = rec.tracks.iter().map(|t| t.label.chars().count()).max().unwrap_or(4).clamp(4, 24) as u32;
    // About one pixel of the plot, in seconds.
    let pixel = seconds(until.saturating_sub(from)) / f64::from(WIDTH - 8 - 7 * label_width);
    svg(height, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(8 + 7 * label_width)
            .build_cartesian_2d(range(seconds(from), seconds(until)), 0f64..rows as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("virtual time (s)")
            .label_style(("sans-serif", 13))
            .draw()?;
        // Row 0 at the top; holds behind what the task did meanwhile.
        let top = |row: usize| (rows - row) as f64;
        for pass in [true, false] {
            let bars = rec.tracks.iter().enumerate().flat_map(|(row, track)| {
                track.spans.iter().filter(move |s| (s.kind == SpanKind::Hold) == pass).map(move |s| {
                    let (y0, y1) =
                        if pass { (top(row) - 0.95, top(row) - 0.05) } else { (top(row) - 0.8, top(row) - 0.2) };
                    let colour = span_colour(s.kind);
                    let style = if pass { colour.mix(0.55).filled() } else { colour.filled() };
                    // A pixel's gap after each bar, so that one sleep after another shows as two;
                    // instants (a wait of no time) still show, a pixel wide.
                    let length = seconds(s.end - s.start);
                    let end = if length > 3.0 * pixel {
                        seconds(s.end) - pixel
                    } else {
                        seconds(s.start) + length.max(pixel)
                    };
                    Rectangle::new([(seconds(s.start), y0), (end, y1)], style)
                })
            });
            chart.draw_series(bars)?;
        }
        let style = ("sans-serif", 13).into_text_style(root).pos(Pos::new(HPos::Right, VPos::Center));
        for (row, track) in rec.tracks.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(seconds(from), top(row) - 0.5));
            root.draw(&Text::new(track.label.clone(), (x - 6, y), style.clone()))?;
        }
        Ok(())
    })
}

/// A level over time as a step line, with its ceiling when it has one.
pub fn level(level: &Level, ceiling: Option<u64>, until: u64, what: &str) -> String {
    let highest = level.points.iter().map(|p| p.2).max().unwrap_or(0).max(ceiling.unwrap_or(0)).max(1);
    svg(220, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(range(0.0, seconds(until)), 0f64..highest as f64 * 1.08)?;
        chart
            .configure_mesh()
            .x_desc("virtual time (s)")
            .y_desc(what)
            .y_label_formatter(&|y| if y.fract() == 0.0 { format!("{y:.0}") } else { String::new() })
            .label_style(("sans-serif", 13))
            .draw()?;
        let mut line = Vec::with_capacity(level.points.len() * 4 + 1);
        let mut last = 0u64;
        for &(t, lo, hi, end) in &level.points {
            let x = seconds(t);
            line.extend([(x, last as f64), (x, lo as f64), (x, hi as f64), (x, end as f64)]);
            last = end;
        }
        line.push((seconds(until), last as f64));
        // The ceiling under the level, which may run along it.
        if let Some(c) = ceiling {
            let c = c as f64;
            chart.draw_series(LineSeries::new([(0.0, c), (seconds(until), c)], RED.stroke_width(3)))?;
        }
        chart.draw_series(LineSeries::new(line, BLUE.stroke_width(2)))?;
        Ok(())
    })
}

/// A histogram of durations, with p50, p90 and p99 marked.
pub fn histogram(d: &Durations) -> String {
    const BINS: usize = 40;
    let top = d.max.max(1);
    let counts = d.bins(BINS, top);
    let highest = counts.iter().copied().max().unwrap_or(0).max(1);
    let width = seconds(top) / BINS as f64;
    svg(240, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..seconds(top) * 1.0001, 0f64..highest as f64 * 1.1)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("seconds")
            .y_desc("count")
            .y_label_formatter(&|y| if y.fract() == 0.0 { format!("{y:.0}") } else { String::new() })
            .label_style(("sans-serif", 13))
            .draw()?;
        chart.draw_series(counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(k, &n)| {
            let x = k as f64 * width;
            Rectangle::new([(x, 0.0), (x + width, n as f64)], TEAL.filled())
        }))?;
        // Labels beside their lines, one a line lower than the last, so that close ones do not
        // overlap; on the left of the line near the right edge.
        for (k, (name, q, colour)) in
            [("p50", 0.5, GREEN), ("p90", 0.9, ORANGE), ("p99", 0.99, RED)].into_iter().enumerate()
        {
            let Some(v) = d.quantile(q) else { continue };
            let x = seconds(v);
            chart.draw_series(LineSeries::new([(x, 0.0), (x, highest as f64 * 1.1)], colour.stroke_width(2)))?;
            let (px, py) = chart.backend_coord(&(x, highest as f64 * 1.1));
            let right = x > seconds(top) * 0.8;
            let pos = Pos::new(if right { HPos::Right } else { HPos::Left }, VPos::Top);
            let style = ("sans-serif", 12).into_text_style(root).pos(pos).color(&colour);
            let px = if right { px - 4 } else { px + 4 };
            root.draw(&Text::new(name, (px, py + 2 + 14 * k as i32), style))?;
        }
        Ok(())
    })
}

/// One line of a sweep chart: its name and its points (x, mean, half-width of the interval).
pub struct SweepLine {
    pub name: String,
    pub points: Vec<(f64, f64, Option<f64>)>,
}

/// A metric against a swept parameter: a line per combination of the other parameters, each
/// with its 95% band. `ticks` names the x values when they are not numbers.
pub fn sweep(lines: &[SweepLine], x_desc: &str, y_desc: &str, ticks: Option<&[String]>) -> String {
    let all = lines.iter().flat_map(|l| &l.points);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0f64, f64::NEG_INFINITY);
    for &(x, m, h) in all {
        let h = h.filter(|h| h.is_finite()).unwrap_or(0.0);
        (x0, x1) = (x0.min(x), x1.max(x));
        (y0, y1) = (y0.min(m - h), y1.max(m + h));
    }
    if !x0.is_finite() {
        (x0, x1, y1) = (0.0, 1.0, 1.0);
    }
    let pad = ((x1 - x0) * 0.03).max(0.05);
    let integral = lines.iter().flat_map(|l| &l.points).all(|p| p.0.fract() == 0.0);
    let legend = lines.len() > 1;
    svg(260, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(range(x0 - pad, x1 + pad), range(y0, y1 * 1.1))?;
        let names = |x: &f64| match ticks {
            Some(t) if x.fract() == 0.0 => t.get(*x as usize).cloned().unwrap_or_default(),
            Some(_) => String::new(),
            // Whole values (server counts) label only whole ticks.
            None if integral && x.fract() != 0.0 => String::new(),
            None => format!("{x}"),
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&names)
            .label_style(("sans-serif", 13))
            .draw()?;
        for (k, line) in lines.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let band: Vec<(f64, f64)> = line
                .points
                .iter()
                .map(|&(x, m, h)| (x, m + h.unwrap_or(0.0)))
                .chain(line.points.iter().rev().map(|&(x, m, h)| (x, m - h.unwrap_or(0.0))))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.2).filled())))?;
            let means = line.points.iter().map(|&(x, m, _)| (x, m));
            let drawn = chart.draw_series(LineSeries::new(means.clone(), colour.stroke_width(2)))?;
            if legend {
                drawn
                    .label(line.name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
            }
            chart.draw_series(means.map(|p| Circle::new(p, 3, colour.filled())))?;
        }
        if legend {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(("sans-serif", 13))
                .draw()?;
        }
        Ok(())
    })
}
