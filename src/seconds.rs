//! How virtual times and durations are written, everywhere the program writes them.
//!
//! Times are exact: virtual time is a whole number of nanoseconds, and every form here is
//! computed with integers, so the same run prints the same digits on every machine.

use std::fmt::Write as _;

const NS: u64 = 1_000_000_000;

/// Where text is appended: a `String`, or a transcript sink's line buffer (which has faster
/// writers of its own for the numbers on every line, tested against these).
pub trait Push {
    fn push_str(&mut self, s: &str);
    fn push(&mut self, c: char);
}

impl Push for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    fn push(&mut self, c: char) {
        String::push(self, c);
    }
}

/// Appends `n` in decimal, at least `width` digits (zeros in front). What `write!("{n:0width$}")`
/// writes, without the formatting machinery (`itoa`): the timeline writes several numbers a line.
pub fn push_u64(out: &mut impl Push, n: u64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    push_repeated(out, ZEROS, width.saturating_sub(digits.len()));
    out.push_str(digits);
}

const ZEROS: &str = "00000000000000000000000000000000";
const SPACES: &str = "                                ";

/// Appends `n` copies of the one character `of` is made of (zeros or spaces): slices of it, not
/// a character at a time.
fn push_repeated(out: &mut impl Push, of: &str, mut n: usize) {
    while n > 0 {
        let k = n.min(of.len());
        out.push_str(&of[..k]);
        n -= k;
    }
}

/// Appends `n` spaces.
pub fn push_spaces(out: &mut impl Push, n: usize) {
    push_repeated(out, SPACES, n);
}

/// Seconds, exactly: the shortest decimal that is the value (`5`, `0.25`, `0.00002`), or with
/// `decimals` digits, rounded half to even (`{elapsed:.2}` prints `21.00`).
pub fn push_seconds(out: &mut impl Push, ns: u64, decimals: Option<u8>) {
    match decimals {
        None if ns % NS == 0 => push_u64(out, ns / NS, 1),
        None => {
            // Nine decimals without their trailing zeros: the value without them, and as many
            // decimals as are left.
            let (mut v, mut decimals) = (ns, 9);
            while v % 10 == 0 {
                v /= 10;
                decimals -= 1;
            }
            push_fixed_point(out, v, decimals, 0);
        }
        Some(d) => {
            let unit = 10u64.pow(9 - u32::from(d));
            let (q, r) = (ns / unit, ns % unit);
            let half = unit / 2;
            let q = if r > half || (r == half && unit > 1 && q % 2 == 1) { q + 1 } else { q };
            let scale = 10u64.pow(u32::from(d));
            push_u64(out, q / scale, 1);
            if d > 0 {
                out.push('.');
                push_u64(out, q % scale, usize::from(d));
            }
        }
    }
}

/// Virtual time in seconds, as the timeline shows it: six decimals, or nine when the time is
/// not a whole microsecond.
pub fn push_time(out: &mut impl Push, ns: u64) {
    push_time_padded(out, ns, 0);
}

/// [`push_time`], right-aligned in `width` columns: the timeline's first column.
pub fn push_time_padded(out: &mut impl Push, ns: u64, width: usize) {
    if ns % 1000 == 0 {
        push_fixed_point(out, ns / 1000, 6, width);
    } else {
        push_fixed_point(out, ns, 9, width);
    }
}

/// Appends `v / 10^decimals` with exactly `decimals` decimals (`decimals` ≥ 1), right-aligned
/// in `width` columns. One conversion to digits, split at the point: the timeline writes a
/// time or a duration on most lines.
fn push_fixed_point(out: &mut impl Push, v: u64, decimals: usize, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(v);
    if digits.len() > decimals {
        let (whole, frac) = digits.split_at(digits.len() - decimals);
        push_spaces(out, width.saturating_sub(digits.len() + 1));
        out.push_str(whole);
        out.push('.');
        out.push_str(frac);
    } else {
        // Under one: `0.`, then zeros up to the digits.
        push_spaces(out, width.saturating_sub(decimals + 2));
        out.push_str("0.");
        push_repeated(out, ZEROS, decimals - digits.len());
        out.push_str(digits);
    }
}

/// A duration in exact seconds, as templates print it, with its unit: `5 s`, `0.25 s`.
pub fn push_duration(out: &mut impl Push, ns: u64) {
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
    fn integers_are_what_format_writes() {
        for n in [0, 7, 10, 99, 1000, 123_456_789, u64::MAX] {
            for width in [0, 1, 6, 9, 20, 25] {
                let mut s = String::new();
                push_u64(&mut s, n, width);
                assert_eq!(s, format!("{n:0width$}"), "{n} in {width}");
            }
        }
    }

    /// The digit writers against `format!`, over values with every number of digits, whole
    /// microseconds and not, and widths narrower and wider than the text.
    #[test]
    fn the_digit_writers_write_what_format_writes() {
        let mut values = vec![0, 1, 9, 10, 99, 100, 999_999, 1_000_000_000, u64::MAX, u64::MAX - 999];
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for digits in 0..20 {
            for _ in 0..50 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let n = x % 10u64.pow(digits);
                values.extend([n, n - n % 1000, n - n % 1_000_000]);
            }
        }
        for ns in values {
            let (secs, frac) = (ns / NS, ns % NS);
            let exact = format!("{secs}.{frac:09}");
            let exact = exact.trim_end_matches('0').trim_end_matches('.');
            let time =
                if frac % 1000 == 0 { format!("{secs}.{:06}", frac / 1000) } else { format!("{secs}.{frac:09}") };
            for width in [0, 14, 21, 39, 40, 41, 60] {
                let mut s = String::new();
                push_time_padded(&mut s, ns, width);
                assert_eq!(s, format!("{time:>width$}"), "{ns} in {width}");
                let mut s = String::new();
                push_u64(&mut s, ns, width);
                assert_eq!(s, format!("{ns:0width$}"), "{ns} in {width}");
            }
            let mut s = String::new();
            push_seconds(&mut s, ns, None);
            assert_eq!(s, exact, "{ns}");
        }
    }

    #[test]
    fn times_have_six_or_nine_decimals() {
        let mut s = String::new();
        push_time(&mut s, 1_500_000_000);
        s.push(' ');
        push_time(&mut s, 1_000_000_001);
        assert_eq!(s, "1.500000 1.000000001");
        for (ns, want) in [
            (0, "      0.000000"),
            (1_500_000_000, "      1.500000"),
            (123_456_789_000_001, "123456.789000001"),
            (u64::MAX, "18446744073.709551615"),
        ] {
            let mut s = String::new();
            push_time_padded(&mut s, ns, 14);
            assert_eq!(s, format!("{:>14}", want.trim_start()), "{ns}");
        }
    }
}
