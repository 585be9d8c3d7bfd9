//! Every file in `scenarios/` is a test: its timeline (or the transcript its `[test]` table asks
//! for, as `scenario test` would take) is snapshot-tested, and it must run the same twice. A new
//! file gets its test with no code change.

use std::path::Path;

mod common;

use scenario::{Format, Scenario};

fn load(path: &Path) -> Scenario {
    let scenario = Scenario::load(path).unwrap_or_else(|e| panic!("{} does not compile:\n{e}", path.display()));
    // The examples set the standard: no warnings.
    assert_eq!(scenario.warning_count(), 0, "{} has warnings:\n{}", path.display(), scenario.render_warnings());
    scenario
}

#[test]
fn timeline_snapshots() {
    insta::glob!("../scenarios", "*.toml", |path| {
        let scenario = load(path);
        let description = scenario.description().unwrap_or_default().to_owned();
        // A long model (a month of a machine shop) asks for its plain transcript in `[test]`.
        let (_, format) = scenario.test_settings();
        let run = scenario.format(format).run();
        assert_eq!(run.summary.failure, None, "{} failed", path.display());
        let timeline = run.transcript;
        // Name the snapshot after the file, not after insta's glob suffix, which changes with
        // the set of files matched.
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let mut settings = insta::Settings::clone_current();
        settings.remove_snapshot_suffix();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_description(description);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name, timeline));
    });
}

#[test]
fn every_scenario_runs_the_same_twice() {
    for path in common::examples() {
        let scenario = load(&path);
        for format in [Format::Text, Format::Jsonl] {
            let scenario = scenario.clone().format(format);
            let (first, second) = (scenario.run().transcript, scenario.run().transcript);
            assert_eq!(first, second, "{} ran differently twice", path.display());
        }
    }
}

fn plain(file: &str) -> String {
    load(Path::new(file)).format(Format::Plain).run().transcript
}

#[test]
fn countasync_prints_the_seed_output() {
    assert_eq!(
        plain("scenarios/countasync.toml"),
        "One\nOne\nOne\nTwo\nTwo\nTwo\ncountasync.py executed in 1.00 seconds.\n"
    );
}

#[test]
fn countasync_with_timeout_lets_the_timeout_win_the_tie() {
    assert_eq!(
        plain("scenarios/countasync_with_timeout.toml"),
        "One\nOne\nOne\nThe long operation timed out!\nThis statement always runs.\ncountasync_with_timeout.py executed in 1.00 seconds.\n"
    );
}

#[test]
fn async_queue_changes_with_the_seed() {
    let scenario = load(Path::new("scenarios/async_queue.toml")).format(Format::Plain);
    let a = scenario.clone().seed(1).run().transcript;
    let b = scenario.seed(2).run().transcript;
    assert_ne!(a, b);
}
