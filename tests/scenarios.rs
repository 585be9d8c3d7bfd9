//! Every file in `scenarios/` is a test: its timeline is snapshot-tested, and it must run the
//! same twice. A new file gets its test with no code change.

use std::path::Path;
use std::sync::Arc;

use scenario::compile;
use scenario::runtime::run_to_string;
use scenario::transcript::Format;

fn load(path: &Path) -> (String, Arc<compile::Plan>) {
    let source = std::fs::read_to_string(path).unwrap();
    let (plan, warnings) = compile::load(&source).unwrap_or_else(|errors| {
        let rendered: Vec<String> = errors.iter().map(|d| d.render(&path.display().to_string(), &source)).collect();
        panic!("{} does not compile:\n{}", path.display(), rendered.join("\n"))
    });
    // The examples set the standard: no warnings.
    let rendered: Vec<String> = warnings.iter().map(|d| d.render(&path.display().to_string(), &source)).collect();
    assert!(warnings.is_empty(), "{} has warnings:\n{}", path.display(), rendered.join("\n"));
    (source, Arc::new(plan))
}

#[test]
fn timeline_snapshots() {
    insta::glob!("../scenarios", "*.toml", |path| {
        let (_, plan) = load(path);
        let seed = plan.seed;
        let description = plan.description.clone().unwrap_or_default();
        let (summary, timeline) = run_to_string(plan, seed, Format::Text);
        assert_eq!(summary.failure, None, "{} failed", path.display());
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
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let (_, plan) = load(&path);
            for format in [Format::Text, Format::Jsonl] {
                let first = run_to_string(plan.clone(), plan.seed, format).1;
                let second = run_to_string(plan.clone(), plan.seed, format).1;
                assert_eq!(first, second, "{} ran differently twice", path.display());
            }
        }
    }
}

fn plain(file: &str) -> String {
    let (_, plan) = load(Path::new(file));
    run_to_string(plan.clone(), plan.seed, Format::Plain).1
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
    let (_, plan) = load(Path::new("scenarios/async_queue.toml"));
    let a = run_to_string(plan.clone(), 1, Format::Plain).1;
    let b = run_to_string(plan.clone(), 2, Format::Plain).1;
    assert_ne!(a, b);
}
