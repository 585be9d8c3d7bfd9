//! The buffer the transcript sinks render their lines into: bytes with room kept past their end,
//! so that a short piece (a label, a number, a word) is written with a few fixed-size moves.
//!
//! A `String` checks its capacity and calls `memcpy` for every piece appended; at several
//! million lines a second, with a dozen pieces a line, those calls were the largest single cost
//! of the timeline (`perf`: `memmove` 12 % of a text run, the vector's bookkeeping about as much
//! again in callgrind). Here a piece of up to [`ROOM`] bytes is copied as two overlapping
//! fixed-size chunks into the room, and numbers are made eight digits at a time with integer
//! arithmetic (no table, no division loop). The digit writers are hand-written on purpose, for
//! speed; [`crate::seconds`] holds the plain writers they are tested against, byte for byte.

use std::fmt;

use crate::seconds::{Push, push_spaces};

/// Bytes a write may touch past the end of the text: every piece this long or shorter is
/// copied into a window of this size, whatever its length.
const ROOM: usize = 64;

/// UTF-8 text being rendered, kept as bytes.
///
/// Only `str`s, `char`s and ASCII digits are written into it, so the text is always UTF-8; the
/// bytes past its end are room, written by copies that overshoot and never read as text.
#[derive(Default)]
pub(super) struct Text {
    /// The text, then at least [`ROOM`] bytes of room (once anything was written).
    bytes: Vec<u8>,
    len: usize,
}

const NS: u64 = 1_000_000_000;
const E8: u64 = 100_000_000;
/// Eight ASCII zeros: or'd with eight digits 0–9, the digits' characters.
const ZEROS: u64 = 0x3030_3030_3030_3030;

impl Text {
    /// Text with room for `n` bytes before it grows.
    pub fn with_capacity(n: usize) -> Self {
        Text { bytes: vec![0; n + ROOM], len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the first `n` bytes (all of them when there are fewer).
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Removes the first `n` bytes (at most [`Text::len`]), moving the rest to the front.
    pub fn remove_front(&mut self, n: usize) {
        self.bytes.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// The room at the end of the text: [`ROOM`] bytes, to write into before advancing `len`.
    #[inline(always)]
    fn room(&mut self) -> &mut [u8; ROOM] {
        if self.bytes.len() - self.len < ROOM {
            self.grow(ROOM);
        }
        let Some(room) = self.bytes[self.len..].first_chunk_mut() else { unreachable!("the room was made above") };
        room
    }

    /// Makes room for `n` more bytes and [`ROOM`] after them.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let want = (self.len + n + ROOM).max(2 * self.bytes.len());
        self.bytes.resize(want, 0);
    }

    /// Appends `s`: with fixed-size moves when it is at most [`ROOM`] bytes.
    #[inline(always)]
    pub fn push_bytes(&mut self, s: &[u8]) {
        let n = s.len();
        if n > ROOM {
            return self.push_long(s);
        }
        copy_short(self.room(), s);
        self.len += n;
    }

    #[inline(never)]
    fn push_long(&mut self, s: &[u8]) {
        if self.bytes.len() - self.len < s.len() + ROOM {
            self.grow(s.len());
        }
        self.bytes[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
    }

    #[inline(always)]
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    #[inline(always)]
    pub fn push(&mut self, c: char) {
        if c.is_ascii() {
            self.room()[0] = c as u8;
            self.len += 1;
        } else {
            self.push_str(c.encode_utf8(&mut [0; 4]));
        }
    }

    /// Appends `n` in decimal, as `{n}` writes it.
    #[inline(always)]
    pub fn push_u64(&mut self, n: u64) {
        if n < 10 {
            // One digit, the whole part of most durations: without the arithmetic for eight.
            self.room()[0] = b'0' + n as u8;
            self.len += 1;
        } else if n < E8 {
            self.push_digits(n as u32);
        } else {
            self.push_u64_long(n);
        }
    }

    /// [`Text::push_u64`] of nine digits or more.
    #[inline(never)]
    fn push_u64_long(&mut self, n: u64) {
        let (high, low) = (n / E8, (n % E8) as u32);
        if high < E8 {
            self.push_digits(high as u32);
        } else {
            self.push_digits((high / E8) as u32);
            self.push_eight((high % E8) as u32);
        }
        self.push_eight(low);
    }

    /// `x` (below 10^8) in decimal, without zeros in front.
    #[inline(always)]
    fn push_digits(&mut self, x: u32) {
        let digits = eight_digits(x);
        // The leading zeros are the low bytes that are zero; `0` keeps one.
        let zeros = (digits.trailing_zeros() / 8).min(7);
        self.room()[..8].copy_from_slice(&((digits | ZEROS) >> (8 * zeros)).to_le_bytes());
        self.len += 8 - zeros as usize;
    }

    /// `x` (below 10^8) as exactly eight digits.
    #[inline(always)]
    fn push_eight(&mut self, x: u32) {
        self.room()[..8].copy_from_slice(&(eight_digits(x) | ZEROS).to_le_bytes());
        self.len += 8;
    }

    /// A virtual time as [`crate::seconds::push_time_padded`] writes it: seconds with six
    /// decimals, or nine when the time is not a whole microsecond, right-aligned in `width`.
    #[inline(always)]
    pub fn push_time_padded(&mut self, ns: u64, width: usize) {
        let (whole, frac) = (ns / NS, (ns % NS) as u32);
        let micros = frac % 1000 == 0;
        let length = decimal_length(whole) + if micros { 7 } else { 10 };
        if width > length {
            push_spaces(self, width - length);
        }
        self.push_u64(whole);
        let room = self.room();
        room[0] = b'.';
        if micros {
            // Six digits: eight of a hundred times as much, the last two dropped.
            room[1..9].copy_from_slice(&(eight_digits(frac / 1000 * 100) | ZEROS).to_le_bytes());
            self.len += 7;
        } else {
            room[1] = b'0' + (frac / E8 as u32) as u8;
            room[2..10].copy_from_slice(&(eight_digits(frac % E8 as u32) | ZEROS).to_le_bytes());
            self.len += 10;
        }
    }

    /// A duration as [`crate::seconds::push_duration`] writes it: the exact seconds, without
    /// trailing zeros, and ` s`.
    #[inline(always)]
    pub fn push_duration(&mut self, ns: u64) {
        let (whole, frac) = (ns / NS, (ns % NS) as u32);
        self.push_u64(whole);
        if frac != 0 {
            let last = eight_digits(frac % E8 as u32);
            // Trailing zeros are the high bytes that are zero; all eight when the first of the
            // nine decimals is the only one (it is not zero then, as `frac` is not).
            let zeros = if last == 0 { 8 } else { last.leading_zeros() as usize / 8 };
            let room = self.room();
            room[0] = b'.';
            room[1] = b'0' + (frac / E8 as u32) as u8;
            room[2..10].copy_from_slice(&(last | ZEROS).to_le_bytes());
            self.len += 10 - zeros;
        }
        self.push_str(" s");
    }
}

impl Push for Text {
    fn push_str(&mut self, s: &str) {
        Text::push_str(self, s);
    }
    fn push(&mut self, c: char) {
        Text::push(self, c);
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
    fn write_char(&mut self, c: char) -> fmt::Result {
        self.push(c);
        Ok(())
    }
}

/// Copies `s` (at most [`ROOM`] bytes) to the front of `room` as two chunks of one fixed size,
/// overlapping when `s` is not twice that size: a few moves, and no call.
#[inline(always)]
fn copy_short(room: &mut [u8; ROOM], s: &[u8]) {
    let n = s.len();
    if n >= 32 {
        chunk::<32>(room, s, 0);
        chunk::<32>(room, s, n - 32);
    } else if n >= 16 {
        chunk::<16>(room, s, 0);
        chunk::<16>(room, s, n - 16);
    } else if n >= 8 {
        chunk::<8>(room, s, 0);
        chunk::<8>(room, s, n - 8);
    } else if n >= 4 {
        chunk::<4>(room, s, 0);
        chunk::<4>(room, s, n - 4);
    } else if n > 0 {
        room[0] = s[0];
        room[n / 2] = s[n / 2];
        room[n - 1] = s[n - 1];
    }
}

/// Copies the `K` bytes of `s` at `at` to the same place in `room`.
#[inline(always)]
fn chunk<const K: usize>(room: &mut [u8; ROOM], s: &[u8], at: usize) {
    room[at..at + K].copy_from_slice(&s[at..at + K]);
}

/// Whether `a` and `b` are the same bytes: for up to 16 bytes, two overlapping words each,
/// compared without a call (a task's label is compared on every line).
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// The eight decimal digits of `x` (below 10^8), most significant first, as the bytes 0–9 of
/// a little-endian word. Splits by 10^4, then by 100, then by 10, in the word's lanes, each
/// division by a multiplication and a shift that are exact in the lane's range.
#[inline(always)]
fn eight_digits(x: u32) -> u64 {
    let x = u64::from(x);
    // Two lanes of four digits: the high four first (lowest in the word).
    let v = (x / 10_000) | ((x % 10_000) << 32);
    // Four lanes of two digits: y / 100 is (y * 10486) >> 20 for y below 10^4.
    let hundreds = ((v * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let v = hundreds | ((v - hundreds * 100) << 16);
    // Eight lanes of one digit: y / 10 is (y * 103) >> 10 for y below 100.
    let tens = ((v * 103) >> 10) & 0x000f_000f_000f_000f;
    tens | ((v - tens * 10) << 8)
}

/// How many digits `n` has in decimal.
#[inline]
fn decimal_length(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seconds::{push_duration, push_time_padded, push_u64};

    /// Values with every number of digits, at and around powers of ten, and random ones.
    fn values() -> Vec<u64> {
        let mut values = vec![0, 1, 9, u64::MAX, u64::MAX - 1, u64::MAX / 10];
        for k in 0..20 {
            let p = 10u64.pow(k);
            values.extend([p - 1, p, p + 1, p.saturating_mul(5), p.saturating_mul(9).saturating_add(p - 1)]);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for digits in 1..=20 {
            for _ in 0..300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let n = if digits == 20 { x } else { x % 10u64.pow(digits) };
                values.extend([n, n - n % 1000, n - n % 1_000_000, n - n % NS]);
            }
        }
        values
    }

    #[test]
    fn eight_digits_are_the_digits() {
        for x in (0..100_000_000).step_by(997).chain([0, 1, 9, 10, 99_999_999, 12_345_678, 10_000_000]) {
            let digits = (eight_digits(x) | ZEROS).to_le_bytes();
            assert_eq!(std::str::from_utf8(&digits), Ok(format!("{x:08}").as_str()));
        }
    }

    /// Every writer against its plain counterpart in `seconds`, byte for byte, in a text that
    /// already holds something (so that the room is not at offset zero).
    #[test]
    fn numbers_are_written_as_seconds_writes_them() {
        for n in values() {
            let (mut text, mut want) = (Text::default(), String::from("x"));
            text.push_str("x");
            push_u64(&mut want, n, 1);
            text.push_u64(n);
            want.push(' ');
            text.push(' ');
            push_duration(&mut want, n);
            text.push_duration(n);
            for width in [0, 1, 14, 21, 22, 40, 90] {
                want.push('|');
                text.push('|');
                push_time_padded(&mut want, n, width);
                text.push_time_padded(n, width);
            }
            assert_eq!(std::str::from_utf8(text.as_bytes()), Ok(want.as_str()), "{n}");
        }
    }

    /// Pieces of every length up to past the room, ASCII and not, after texts of every length,
    /// come out whole; the text grows as it must.
    #[test]
    fn pieces_of_any_length_are_copied_whole() {
        let source: String = "abcdéfghij☃klmnopqrstuvwxyz0123456789".repeat(4);
        let (mut text, mut want) = (Text::with_capacity(0), String::new());
        for start in 0..40 {
            for end in start..source.len().min(start + 2 * ROOM + 3) {
                let Some(piece) = source.get(start..end) else { continue };
                text.push_str(piece);
                want.push_str(piece);
                text.push('é');
                want.push('é');
            }
        }
        assert_eq!(std::str::from_utf8(text.as_bytes()), Ok(want.as_str()));
        text.truncate(5);
        text.remove_front(2);
        assert_eq!(text.as_bytes(), &want.as_bytes()[2..5]);
        push_spaces(&mut text, 150);
        assert_eq!(text.len(), 153);
        assert!(text.as_bytes()[3..].iter().all(|&c| c == b' '));
    }

    #[test]
    fn same_is_equality() {
        let words =
            ["", "a", "ab", "abc", "abcd", "abce", "server[0]", "server[1]", "0server", "customers", "customerz"];
        let long = ["a-very-long-label[12]", "a-very-long-label[13]", "b-very-long-label[12]"];
        let all: Vec<&str> = words.iter().chain(&long).copied().collect();
        for a in &all {
            for b in &all {
                assert_eq!(same(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
            }
            // Every single byte changed, at every place.
            for at in 0..a.len() {
                let mut changed = a.as_bytes().to_vec();
                changed[at] ^= 1;
                assert!(!same(a.as_bytes(), &changed), "{a:?} at {at}");
            }
        }
    }
}
