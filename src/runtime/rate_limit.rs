//! Rate limits (`[rate-limits.NAME]`): token buckets, run as GCRA with exact integers.
//!
//! `tat` is the theoretical arrival time of the next token; a request is allowed once
//! `now >= tat - tau`, where `tau` lets `burst` requests through at once. Each request reserves
//! its token when it asks, so requests are served in the order they asked.

pub struct RateLimit {
    tat: u64,
    interval: u64,
    tau: u64,
}

impl RateLimit {
    /// One token every `interval` ns, `burst` at once; the bucket starts full.
    pub fn new(interval: u64, burst: u64) -> Self {
        RateLimit { tat: 0, interval, tau: interval.saturating_mul(burst - 1) }
    }

    /// Reserves the next token; returns when it may be taken and the reservation's end.
    pub fn reserve(&mut self, now: u64) -> (u64, u64) {
        let tat = self.tat.max(now);
        let at = tat.saturating_sub(self.tau).max(now);
        self.tat = tat.saturating_add(self.interval);
        (at, self.tat)
    }

    /// A reservation not taken up: if it was the last one, the bucket gets its token back.
    pub fn unreserve(&mut self, reservation_end: u64) {
        if self.tat == reservation_end {
            self.tat -= self.interval;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_at_once_then_tokens_come_at_the_rate() {
        let mut r = RateLimit::new(10, 2);
        assert_eq!(r.reserve(0).0, 0);
        assert_eq!(r.reserve(0).0, 0);
        assert_eq!(r.reserve(0).0, 10);
        let (at, end) = r.reserve(0);
        assert_eq!(at, 20);
        r.unreserve(end);
        assert_eq!(r.reserve(0).0, 20, "the token given back is reserved again");
    }
}
