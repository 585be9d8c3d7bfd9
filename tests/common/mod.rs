//! Helpers shared by the integration tests, over the library's front door.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use scenario::{Error, Format, Scenario, Summary};

/// Compiles `source`, panicking with the rendered diagnostics if it has errors.
pub fn scenario(source: &str) -> Scenario {
    Scenario::from_source("test.toml", source).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads a scenario file, panicking with the rendered diagnostics if it has errors.
pub fn file(path: impl AsRef<std::path::Path>) -> Scenario {
    Scenario::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `source` with its own seed.
pub fn run(source: &str, format: Format) -> (Summary, String) {
    let run = scenario(source).format(format).run();
    (run.summary, run.transcript)
}

/// The rendered diagnostics of a file that must not compile.
pub fn errors(source: &str) -> String {
    match Scenario::from_source("test.toml", source) {
        Ok(_) => panic!("expected errors in:\n{source}"),
        Err(Error::Invalid(invalid)) => {
            invalid.diagnostics.iter().map(|d| d.render("test.toml", source)).collect::<Vec<_>>().join("\n")
        }
        Err(e) => panic!("{e}"),
    }
}

/// The `.toml` files directly in `dir`, sorted by name, so that every test meets them in one
/// order and a failure names the same file each time. Panics when there are none: a folder
/// moved or emptied must not let a test pass by checking nothing.
pub fn toml_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .toml file in {dir}");
    files
}

/// The example scenarios, `scenarios/*.toml`.
pub fn examples() -> Vec<std::path::PathBuf> {
    toml_files("scenarios")
}
