//! The only source of chance in a run.
//!
//! Every task replica draws from its own stream, derived from `(seed, task name, replica index,
//! start)`, where `start` counts how many times that replica was started before; so adding a
//! task, a replica or a start never changes the draws of the others, and a task started again
//! draws afresh. The generator is PCG
//! (`Pcg64Mcg`), whose output `rand_pcg` documents as value-stable across versions and platforms;
//! the derivation below uses only integer arithmetic, so the same seed gives the same draws on
//! every machine and in every build profile.

use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

/// A task replica's random stream.
pub struct Rng(Pcg64Mcg);

impl Rng {
    /// The stream of replica `index` of task `name` under `seed`, started `start` times before.
    /// A first start (`start` 0) mixes nothing in, so scenarios that start each task once draw
    /// what they always drew.
    pub fn for_start(seed: u64, name: &str, index: u64, start: u64) -> Rng {
        let name_hash = fnv1a(name.as_bytes());
        let hi = splitmix(seed ^ splitmix(name_hash));
        let mut lo = splitmix(hi ^ splitmix(index.wrapping_add(0x9E37_79B9_7F4A_7C15)));
        if start > 0 {
            lo = splitmix(lo ^ splitmix(start.wrapping_add(0xD1B5_4A32_D192_ED03)));
        }
        Rng(Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(lo)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform on [0, 1), with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on (0, 1]: safe to take the logarithm of.
    pub fn unit_open_low(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `0..n` without bias (Lemire's method). `n` must be at least 1.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_seed_name_and_index() {
        let first = |seed, name, index| Rng::for_start(seed, name, index, 0).next_u64();
        let base = first(1, "consumer", 0);
        assert_eq!(base, first(1, "consumer", 0));
        assert_ne!(base, first(2, "consumer", 0));
        assert_ne!(base, first(1, "producer", 0));
        assert_ne!(base, first(1, "consumer", 1));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::for_start(7, "t", 0, 0);
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            seen[rng.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 150), "{seen:?}");
    }
}
