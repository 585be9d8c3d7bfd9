//! What the benchmarks share.
#![allow(dead_code, reason = "each benchmark uses a different subset")]

/// The process's peak resident memory (VmHWM) in KiB, where the platform says it (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts the peak resident memory (VmHWM) again from the memory now resident, so that the next
/// [`peak_rss_kib`] is the peak of what runs in between (Linux: `5` to `/proc/self/clear_refs`).
/// Returns whether it could.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
