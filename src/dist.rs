//! Distributions, sampled with our own code on `libm`.
//!
//! Samplers are written here rather than taken from `rand_distr`, whose float maths switches
//! implementation when another crate enables `num-traits/std`: the test build and the release
//! binary could then draw different values from one seed. `libm` is pure Rust, so a draw is the
//! same bits everywhere. Golden-value tests pin every sampler.
//!
//! Values are whole numbers: nanoseconds where a duration is drawn, plain counts where a repeat
//! count is. Continuous draws are rounded to the nearest whole number and clamped to
//! [0, [`MAX_VALUE`]].

use crate::rng::Rng;

/// The largest value a draw can take: about 292 years in nanoseconds.
pub const MAX_VALUE: u64 = i64::MAX as u64;

/// A compiled distribution.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Constant(u64),
    /// Continuous uniform on [low, high).
    Uniform {
        low: u64,
        high: u64,
    },
    /// `low + k * step` for k uniform on `0..n` (`randint` when step is one second).
    Grid {
        low: u64,
        step: u64,
        n: u64,
    },
    Exponential {
        mean: f64,
    },
    /// Normal, truncated at zero: a negative draw is drawn again.
    Normal {
        mean: f64,
        std_dev: f64,
    },
    /// `exp(mu + sigma * Z)`: `mu` is the logarithm of the median.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// `values[k]` with probability proportional to its weight; `cumulative` holds running sums.
    Choice {
        values: Vec<u64>,
        cumulative: Vec<f64>,
    },
    /// `values` in order, cycling; the replica's position is kept in cursor `slot`.
    Sequence {
        values: Vec<u64>,
        slot: usize,
    },
}

impl Dist {
    /// Draws one value. `cursors` holds this replica's positions in `Sequence` distributions.
    /// A constant (the most common duration, `sleep = "1s"`) is read where the draw is made;
    /// the other forms are a call.
    #[inline]
    pub fn sample(&self, rng: &mut Rng, cursors: &mut [usize]) -> u64 {
        match *self {
            Dist::Constant(v) => v,
            _ => self.draw(rng, cursors),
        }
    }

    /// [`Dist::sample`] for the forms that draw.
    #[inline(never)]
    fn draw(&self, rng: &mut Rng, cursors: &mut [usize]) -> u64 {
        match *self {
            Dist::Constant(v) => v,
            Dist::Uniform { low, high } => to_value(low as f64 + (high - low) as f64 * rng.unit()),
            Dist::Grid { low, step, n } => low + step * rng.below(n),
            Dist::Exponential { mean } => to_value(-mean * libm::log(rng.unit_open_low())),
            Dist::Normal { mean, std_dev } => {
                // Box-Muller, one value per draw. With mean >= 0 (checked at compile time) at
                // least half the draws are kept; the bound only guards against a bug.
                for _ in 0..1000 {
                    let v = mean + std_dev * standard_normal(rng);
                    if v >= 0.0 {
                        return to_value(v);
                    }
                }
                0
            }
            Dist::LogNormal { mu, sigma } => to_value(libm::exp(mu + sigma * standard_normal(rng))),
            Dist::Choice { ref values, ref cumulative } => values[pick(cumulative, rng)],
            Dist::Sequence { ref values, slot } => {
                let at = cursors[slot];
                cursors[slot] = (at + 1) % values.len();
                values[at]
            }
        }
    }
}

/// An index drawn with the weights whose running sums are `cumulative` (not empty): a
/// `choice` distribution's value, a `choose` step's branch.
pub fn pick(cumulative: &[f64], rng: &mut Rng) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.unit() * total;
    cumulative.partition_point(|&c| c <= x).min(cumulative.len().saturating_sub(1))
}

fn standard_normal(rng: &mut Rng) -> f64 {
    let r = libm::sqrt(-2.0 * libm::log(rng.unit_open_low()));
    r * libm::cos(2.0 * std::f64::consts::PI * rng.unit())
}

fn to_value(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= MAX_VALUE as f64 {
        MAX_VALUE
    } else {
        round(x)
    }
}

/// `x` rounded to the nearest whole number, halves away from zero (`libm::round`), for `x` in
/// [0, 2^63): the whole part and the fraction split exactly (the fraction of a double is a
/// double), so this is `libm::round`'s value with a conversion and a comparison in place of
/// its bit manipulation, twice a customer in a queueing model.
fn round(x: f64) -> u64 {
    let whole = x as u64;
    whole + u64::from(x - whole as f64 >= 0.5)
}

#[cfg(test)]
mod tests;
