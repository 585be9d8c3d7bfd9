//! `scenario`: concurrent systems described in TOML, run on a virtual clock under a seeded RNG.
//!
//! The pipeline, one module per stage: [`format`] (the file's serde types) → [`compile`]
//! (check and lower to a [`plan::Plan`]) → [`runtime`] (run the plan on tokio in virtual time)
//! → [`transcript`] (render events). See ARCHITECTURE.md.

pub mod cli;
pub mod compile;
pub mod diagnostic;
pub mod dist;
pub mod format;
pub mod lint;
pub mod plan;
pub mod rng;
pub mod runtime;
pub mod schema;
pub mod template;
pub mod transcript;
