//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::Arc;

use scenario::transcript::{Format, Summary};

/// Compiles `source`, panicking with the rendered diagnostics if it has errors.
pub fn plan(source: &str) -> Arc<scenario::compile::Plan> {
    match scenario::compile::load(source) {
        Ok((plan, _)) => Arc::new(plan),
        Err(ds) => panic!("{}", ds.iter().map(|d| d.render("test.toml", source)).collect::<String>()),
    }
}

/// Runs `source` with its own seed.
pub fn run(source: &str, format: Format) -> (Summary, String) {
    let plan = plan(source);
    let seed = plan.seed;
    scenario::runtime::run_to_string(plan, seed, format)
}

/// The rendered diagnostics of a file that must not compile.
pub fn errors(source: &str) -> String {
    match scenario::compile::load(source) {
        Ok(_) => panic!("expected errors in:\n{source}"),
        Err(ds) => ds.iter().map(|d| d.render("test.toml", source)).collect::<Vec<_>>().join("\n"),
    }
}
