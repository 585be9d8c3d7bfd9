//! `scenario`: concurrent systems described in TOML, run on a virtual clock under a seeded RNG.
//!
//! Most people use the `scenario` command (see README.md). From Rust, [`Scenario`] is the front
//! door: load a file, choose a seed and a [`Format`], run it, and read the [`Run`]'s transcript
//! and [`Summary`]. To watch a run as it happens, implement [`sink::Sink`] and hand it to
//! [`Scenario::run_with`].
//!
//! Inside, the pipeline is one module per stage: `format` (the file's serde types) → `compile`
//! (check and lower to a plan) → `runtime` (run the plan on tokio in virtual time, producing
//! [`event`]s) → [`sink`]s (render and count events). See ARCHITECTURE.md.

// Panics on user input are bugs: every `unwrap` in the library is a visible decision (tests may
// unwrap; see clippy.toml).
#![warn(clippy::unwrap_used)]

pub mod cli;
mod compile;
mod diagnostic;
mod dist;
pub mod event;
mod format;
mod graph;
mod include;
mod lint;
mod many;
mod output;
mod overrides;
mod page;
mod plan;
pub mod report;
mod rng;
mod runtime;
mod scenario;
mod schema;
mod seconds;
mod seeds;
pub mod sink;
mod sweep;
mod template;
mod testing;
pub mod threshold;

pub use diagnostic::{Diagnostic, DiagnosticKind, Label, Namespace, Severity};
pub use event::{Failure, FailureKind};
pub use graph::GraphFormat;
pub use plan::Limits;
pub use scenario::{Error, Invalid, Run, Scenario};
pub use sink::{Format, Summary};

/// The JSON Schema of scenario files, as `scenario schema` prints it.
pub fn json_schema() -> String {
    schema::generate()
}

/// The JSON Schema of `run --summary`'s output, as `scenario schema --summary` prints it.
pub fn summary_json_schema() -> String {
    schema::summary()
}

/// The largest scenario file read, in bytes.
pub const MAX_SOURCE_BYTES: usize = compile::MAX_SOURCE_BYTES;
