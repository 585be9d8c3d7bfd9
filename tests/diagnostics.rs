//! Broken scenario files: each file in `tests/invalid/` holds one kind of mistake, and its
//! rendered diagnostics are snapshot-tested. None of them may panic.

#[test]
fn invalid_files_render_their_diagnostics() {
    insta::glob!("invalid", "*.toml", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let name = format!("tests/invalid/{}", path.file_name().unwrap().to_str().unwrap());
        // Read from the file's folder, as `scenario check` reads it: includes resolve there.
        let dir = Path::new("tests/invalid");
        let rendered = match scenario::Scenario::from_source_in(&name, source.as_str(), &[], dir) {
            Ok(_) => panic!("{name} compiled, but it is in tests/invalid/"),
            Err(scenario::Error::Invalid(invalid)) => {
                invalid.diagnostics.iter().map(|d| d.render(&name, &source)).collect::<Vec<_>>().join("\n")
            }
            Err(e) => panic!("{e}"),
        };
        let mut settings = insta::Settings::clone_current();
        settings.remove_snapshot_suffix();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        settings.bind(|| insta::assert_snapshot!(format!("invalid_{stem}"), rendered));
    });
}

/// Files in `tests/warnings/` are valid but hold a likely mistake each: they compile, and their
/// warnings are snapshot-tested.
#[test]
fn files_with_likely_mistakes_render_their_warnings() {
    insta::glob!("warnings", "*.toml", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let name = format!("tests/warnings/{}", path.file_name().unwrap().to_str().unwrap());
        let loaded = scenario::Scenario::from_source(&name, source.as_str())
            .unwrap_or_else(|_| panic!("{name} does not compile"));
        let warnings = loaded.warnings();
        assert!(!warnings.is_empty(), "{name} has no warning");
        let rendered = warnings.iter().map(|d| d.render(&name, &source)).collect::<Vec<_>>().join("\n");
        let mut settings = insta::Settings::clone_current();
        settings.remove_snapshot_suffix();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        settings.bind(|| insta::assert_snapshot!(format!("warning_{stem}"), rendered));
    });
}

/// Each broken file is there for one kind of mistake: its diagnostics must be of the kinds it is
/// named for, so that a file that starts failing for another reason is noticed.
#[test]
fn each_invalid_file_reports_the_kinds_it_is_there_for() {
    use scenario::DiagnosticKind::*;
    use scenario::Namespace;
    let expected = [
        (
            "arrival_rate_mistakes",
            &[InvalidValue, MissingKey, MisplacedKey, OutOfRange, InvalidValue, InvalidValue][..],
        ),
        ("arrivals_put_and_start", &[InvalidValue, MissingKey, InvalidValue]),
        ("arrivals_start_a_task_with_replicas", &[InvalidValue, InvalidValue, UnknownName(Namespace::Task)]),
        ("bad_duration_unit", &[InvalidDuration]),
        ("block_without_steps", &[MissingBlock]),
        (
            "branch_mistakes",
            &[
                OutOfRange,
                MissingBlock,
                InvalidValue,
                InvalidValue,
                UnknownName(Namespace::Queue),
                UnknownName(Namespace::Event),
                InvalidValue,
                MissingBlock,
                UnknownName(Namespace::Event),
            ],
        ),
        ("call_mistakes", &[UnknownName(Namespace::Queue), UnknownKey, InvalidValue, MisplacedKey, InvalidValue]),
        ("capacity_out_of_range", &[OutOfRange]),
        (
            "container_mistakes",
            &[
                OutOfRange,
                UnknownName(Namespace::Container),
                MissingKey,
                OutOfRange,
                OutOfRange,
                MissingKey,
                InvalidName,
                InvalidExpression,
                InvalidExpression,
                InvalidDuration,
                InvalidExpression,
                InvalidTemplate,
                UnknownName(Namespace::Container),
            ],
        ),
        ("count_out_of_range", &[OutOfRange]),
        (
            "counter_mistakes",
            &[
                UnknownName(Namespace::Counter),
                MisplacedKey,
                UnknownName(Namespace::Counter),
                UnknownName(Namespace::Counter),
                InvalidValue,
                UnknownMetric,
            ],
        ),
        ("duplicate_name", &[Duplicate]),
        ("duration_without_unit", &[InvalidDuration, InvalidDuration]),
        ("empty", &[NothingToRun]),
        ("include_mistakes", &[Include, Include]),
        ("interrupt_mistakes", &[InvalidValue, MisplacedKey, UnknownName(Namespace::Task), OutOfRange, MisplacedKey]),
        ("key_below_a_table_header", &[UnknownKey]),
        ("key_declared_twice", &[Duplicate]),
        ("modifier_on_wrong_step", &[MisplacedKey]),
        ("negative_duration", &[InvalidDuration, InvalidDuration]),
        ("negative_permits", &[OutOfRange]),
        ("normal_without_std_dev", &[InvalidDistribution]),
        ("param_mistakes", &[InvalidName, InvalidName, WrongType, InvalidExpression, InvalidName, InvalidTemplate]),
        ("probability_out_of_range", &[OutOfRange]),
        (
            "problems_of_shape_and_meaning",
            &[
                UnknownKey,
                WrongType,
                InvalidDistribution,
                UnknownKey,
                UnknownKey,
                UnknownName(Namespace::Queue),
                InvalidTemplate,
                UnknownKey,
                UnknownName(Namespace::Task),
            ],
        ),
        ("queue_discipline_mistakes", &[InvalidValue, MisplacedKey, OutOfRange, MisplacedKey, InvalidValue]),
        ("semaphore_priority_mistakes", &[InvalidValue, MisplacedKey, MisplacedKey]),
        (
            "several_errors",
            &[OutOfRange, UnknownName(Namespace::Queue), UnknownName(Namespace::Distribution), InvalidTemplate],
        ),
        ("several_shape_errors", &[UnknownKey, WrongType, UnknownKey, WrongType, UnknownKey]),
        ("several_syntax_errors", &[Syntax, Syntax, Syntax]),
        ("sleep_of_a_billion_years", &[InvalidDuration]),
        ("step_with_two_kinds", &[TwoStepKinds]),
        ("syntax_error", &[Syntax]),
        ("task_and_arrivals_share_a_name", &[Duplicate]),
        ("template_format_mistakes", &[InvalidTemplate, InvalidTemplate, InvalidTemplate, InvalidTemplate]),
        ("test_settings", &[InvalidValue, InvalidValue]),
        ("uniform_low_above_high", &[InvalidDistribution]),
        ("unknown_gather_policy", &[InvalidValue]),
        ("unknown_placeholder", &[InvalidTemplate]),
        ("unknown_queue", &[UnknownName(Namespace::Queue)]),
        ("unknown_semaphore", &[UnknownName(Namespace::Semaphore)]),
        ("unknown_step_key", &[UnknownKey]),
        ("unknown_task", &[UnknownName(Namespace::Task)]),
        ("until_mistakes", &[UnknownName(Namespace::Event), MissingBlock, MisplacedKey]),
        ("weights_overflow", &[InvalidDistribution]),
        ("weights_sum_to_zero", &[InvalidDistribution]),
        ("wrong_type", &[WrongType]),
    ];
    let mut files: Vec<String> = std::fs::read_dir("tests/invalid")
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    files.sort();
    assert_eq!(files, expected.iter().map(|(f, _)| f.to_string()).collect::<Vec<_>>(), "a file has no entry here");
    for (file, kinds) in expected {
        let got = match scenario::Scenario::load(format!("tests/invalid/{file}.toml")) {
            Err(scenario::Error::Invalid(invalid)) => invalid.diagnostics.iter().map(|d| d.kind).collect::<Vec<_>>(),
            _ => panic!("{file} compiled"),
        };
        assert_eq!(got, kinds, "{file}");
    }
}

/// "Declared twice" points at both declarations.
#[test]
fn a_name_declared_twice_points_at_the_first_declaration_too() {
    let source =
        "[tasks.client]\nsteps = [{ sleep = \"1s\" }]\n[arrivals.client]\nevery = \"1s\"\nput = \"q\"\n[queues.q]\n";
    let Err(scenario::Error::Invalid(invalid)) = scenario::Scenario::from_source("x.toml", source) else {
        panic!("the file compiled")
    };
    let d = &invalid.diagnostics[0];
    assert_eq!(d.kind, scenario::DiagnosticKind::Duplicate);
    assert_eq!(&source[d.span.clone()], "client");
    assert_eq!(d.span.start, source.find("[arrivals.client]").unwrap() + "[arrivals.".len());
    assert_eq!(d.labels.len(), 1);
    assert_eq!(d.labels[0].span.start, "[tasks.".len());
    assert_eq!(d.labels[0].message, "first declared here");
}

/// Warnings have kinds too.
#[test]
fn warnings_have_kinds() {
    use scenario::DiagnosticKind::*;
    let expected = [
        ("arrivals_gap_longer_than_the_time_limit", &[PastTimeLimit][..]),
        ("event_nobody_sets", &[OneSided]),
        ("queue_never_used", &[Unused]),
        ("queue_nobody_reads", &[OneSided]),
        ("queue_nobody_writes", &[OneSided]),
        ("rate_is_rounded", &[Rounded]),
        ("task_never_started", &[NeverStarted]),
        ("task_started_and_gathered", &[StartedTwice]),
        ("task_that_never_finishes", &[RunsForever]),
        ("thread_pool_unused", &[Unused]),
        ("wait_longer_than_the_time_limit", &[PastTimeLimit]),
    ];
    for (file, kinds) in expected {
        let loaded = scenario::Scenario::load(format!("tests/warnings/{file}.toml")).unwrap();
        assert_eq!(loaded.warnings().iter().map(|d| d.kind).collect::<Vec<_>>(), kinds, "{file}");
    }
    let unused = scenario::Scenario::load("tests/warnings/unused_declarations.toml").unwrap();
    assert!(unused.warnings().iter().all(|d| d.kind == Unused));
}

/// A warning about an arrivals source calls it one, not a task.
#[test]
fn warnings_name_an_arrivals_source_as_one() {
    let source = "[queues.jobs]\n\n[arrivals.orders]\nevery = \"1s\"\nput = \"jobs\"\n\n\
                  [tasks.worker]\nsteps = [{ get = \"jobs\" }]\n";
    let loaded = scenario::Scenario::from_source("forever.toml", source).unwrap();
    let messages: Vec<_> = loaded.warnings().iter().map(|d| (d.kind, d.message.as_str())).collect();
    assert_eq!(
        messages,
        [(
            scenario::DiagnosticKind::RunsForever,
            "arrivals source `orders` repeats forever, and it is waited for but never cancelled"
        )]
    );
}
