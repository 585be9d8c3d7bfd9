//! Every distribution: golden values (the same seed must draw the same values in every build
//! and on every machine) and a statistical check that the sampler draws what it claims.

use super::{Dist, MAX_VALUE, round};
use crate::rng::Rng;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn all() -> Vec<(&'static str, Dist)> {
    vec![
        ("constant", Dist::Constant(SEC)),
        ("uniform", Dist::Uniform { low: SEC, high: 5 * SEC }),
        ("grid", Dist::Grid { low: SEC, step: SEC, n: 5 }),
        ("exponential", Dist::Exponential { mean: (2 * SEC) as f64 }),
        ("normal", Dist::Normal { mean: SEC as f64, std_dev: (200 * MS) as f64 }),
        ("log-normal", Dist::LogNormal { mu: libm::log(SEC as f64), sigma: 0.5 }),
        ("choice", Dist::Choice { values: vec![10 * MS, SEC], cumulative: vec![9.0, 10.0] }),
        ("sequence", Dist::Sequence { values: vec![5 * SEC, SEC, 2 * SEC], slot: 0 }),
    ]
}

fn draws(dist: &Dist, n: usize) -> Vec<u64> {
    let mut rng = Rng::for_start(42, "golden", 0, 0);
    let mut cursors = vec![0];
    (0..n).map(|_| dist.sample(&mut rng, &mut cursors)).collect()
}

#[test]
fn golden_values() {
    let got: Vec<(&str, Vec<u64>)> = all().iter().map(|(name, d)| (*name, draws(d, 4))).collect();
    let want: Vec<(&str, Vec<u64>)> = vec![
        ("constant", vec![1000000000, 1000000000, 1000000000, 1000000000]),
        ("uniform", vec![2145637613, 4412123980, 1368512668, 3961420230]),
        ("grid", vec![2000000000, 5000000000, 1000000000, 4000000000]),
        ("exponential", vec![2500666023, 317918792, 4769149104, 601250801]),
        ("normal", vec![1190737592, 973547660, 1052107630, 906482358]),
        ("log-normal", vec![1610982079, 936008379, 1139134854, 791524770]),
        ("choice", vec![10000000, 10000000, 10000000, 10000000]),
        ("sequence", vec![5000000000, 1000000000, 2000000000, 5000000000]),
    ];
    assert_eq!(got, want);
}

fn mean(xs: &[u64]) -> f64 {
    xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64
}

#[test]
fn samplers_draw_what_they_claim() {
    const N: usize = 200_000;
    let sec = SEC as f64;
    // Standard errors at N = 200 000 are well under 1% of these means.
    let close =
        |got: f64, want: f64, what: &str| assert!((got - want).abs() < 0.01 * want, "{what}: mean {got}, want {want}");

    let u = draws(&Dist::Uniform { low: SEC, high: 5 * SEC }, N);
    close(mean(&u), 3.0 * sec, "uniform");
    assert!(u.iter().all(|&x| (SEC..5 * SEC).contains(&x)));

    let g = draws(&Dist::Grid { low: SEC, step: SEC, n: 5 }, N);
    for k in 1..=5 {
        let share = g.iter().filter(|&&x| x == k * SEC).count() as f64 / N as f64;
        assert!((share - 0.2).abs() < 0.005, "grid value {k}: share {share}");
    }

    close(mean(&draws(&Dist::Exponential { mean: 2.0 * sec }, N)), 2.0 * sec, "exponential");

    let normal = draws(&Dist::Normal { mean: sec, std_dev: 0.2 * sec }, N);
    close(mean(&normal), sec, "normal");
    let var = normal.iter().map(|&x| (x as f64 - sec).powi(2)).sum::<f64>() / N as f64;
    close(var.sqrt(), 0.2 * sec, "normal std-dev");

    // Truncated at zero: a normal with mean 0 keeps only its positive half.
    let half = draws(&Dist::Normal { mean: 0.0, std_dev: sec }, N);
    close(mean(&half), sec * (2.0 / std::f64::consts::PI).sqrt(), "half-normal");

    let mut ln = draws(&Dist::LogNormal { mu: libm::log(sec), sigma: 0.5 }, N);
    ln.sort_unstable();
    close(ln[N / 2] as f64, sec, "log-normal median");
    close(mean(&ln), sec * libm::exp(0.125), "log-normal mean");

    let c = draws(&Dist::Choice { values: vec![10 * MS, SEC], cumulative: vec![9.0, 10.0] }, N);
    let share = c.iter().filter(|&&x| x == SEC).count() as f64 / N as f64;
    assert!((share - 0.1).abs() < 0.005, "choice: share {share}");
}

/// `round` is `libm::round` on every value a draw can round: halves, the doubles next to them,
/// large values (where every double is whole) and random ones over every magnitude.
#[test]
fn rounding_is_libm_round() {
    let mut xs = vec![0.0, 0.5, 1.5, 2.5, 0.49999999999999994, 4_503_599_627_370_495.5, 9.007_199_254_740_993e15];
    for k in 0..64 {
        let half = f64::from(k) + 0.5;
        xs.extend([half, f64::from_bits(half.to_bits() - 1), f64::from_bits(half.to_bits() + 1)]);
    }
    let mut rng = Rng::for_start(7, "round", 0, 0);
    for _ in 0..200_000 {
        // Random bits over exponents from 2^-10 to 2^62.
        let x = rng.unit() * 2f64.powi((rng.below(73) as i32) - 10);
        xs.push(x);
    }
    for x in xs {
        assert!(x < MAX_VALUE as f64);
        assert_eq!(round(x), libm::round(x) as u64, "{x:e}");
    }
}
