//! How virtual times and durations are written, everywhere the program writes them.
//!
//! Times are exact: virtual time is a whole number of nanoseconds, and every form here is
//! computed with integers, so the same run prints the same digits on every machine.

use std::fmt::Write as _;

const NS: u64 = 1_000_000_000;

/// Seconds, exactly: the shortest decimal that is the value (`5`, `0.25`, `0.00002`), or with
/// `decimals` digits, rounded half to even (`{elapsed:.2}` prints `21.00`).
pub fn push_seconds(out: &mut String, ns: u64, decimals: Option<u8>) {
    match decimals {
        None => {
            let (secs, mut frac) = (ns / NS, ns % NS);
            let _ = write!(out, "{secs}");
            if frac != 0 {
                // Nine digits, then drop the trailing zeros: no allocation on this hot path.
                let mut width = 9;
                while frac % 10 == 0 {
                    frac /= 10;
                    width -= 1;
                }
                let _ = write!(out, ".{frac:0width$}");
            }
        }
        Some(d) => {
            let unit = 10u64.pow(9 - u32::from(d));
            let (q, r) = (ns / unit, ns % unit);
            let half = unit / 2;
            let q = if r > half || (r == half && unit > 1 && q % 2 == 1) { q + 1 } else { q };
            let scale = 10u64.pow(u32::from(d));
            let _ = write!(out, "{}", q / scale);
            if d > 0 {
                let _ = write!(out, ".{:0width$}", q % scale, width = usize::from(d));
            }
        }
    }
}

/// Virtual time in seconds, as the timeline shows it: six decimals, or nine when the time is
/// not a whole microsecond.
pub fn push_time(out: &mut String, ns: u64) {
    let (secs, frac) = (ns / NS, ns % NS);
    let _ = if frac % 1000 == 0 { write!(out, "{secs}.{:06}", frac / 1000) } else { write!(out, "{secs}.{frac:09}") };
}

/// A duration in exact seconds, as templates print it, with its unit: `5 s`, `0.25 s`.
pub fn push_duration(out: &mut String, ns: u64) {
    push_seconds(out, ns, None);
    out.push_str(" s");
}

/// A duration the way the scenario file writes it: `5s`, `250ms`, `1m 30s`.
pub fn push_humantime(out: &mut String, ns: u64) {
    let _ = write!(out, "{}", humantime::format_duration(std::time::Duration::from_nanos(ns)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_exact_and_rounded_half_to_even() {
        let cases = [
            (0, None, "0"),
            (1_500_000_000, None, "1.5"),
            (20_000, None, "0.00002"),
            (1, None, "0.000000001"),
            (1_005_000_000, Some(2), "1.00"),
            (1_015_000_000, Some(2), "1.02"),
            (1_015_000_001, Some(2), "1.02"),
            (999_999_999, Some(2), "1.00"),
            (2_500_000_000, Some(0), "2"),
            (3_500_000_000, Some(0), "4"),
            (1, Some(9), "0.000000001"),
        ];
        for (ns, d, want) in cases {
            let mut s = String::new();
            push_seconds(&mut s, ns, d);
            assert_eq!(s, want, "{ns} ns with {d:?} decimals");
        }
    }

    #[test]
    fn times_have_six_or_nine_decimals() {
        let mut s = String::new();
        push_time(&mut s, 1_500_000_000);
        s.push(' ');
        push_time(&mut s, 1_000_000_001);
        assert_eq!(s, "1.500000 1.000000001");
    }
}
