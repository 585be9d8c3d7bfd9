//! Broken scenario files: each file in `tests/invalid/` holds one kind of mistake, and its
//! rendered diagnostics are snapshot-tested. None of them may panic.

#[test]
fn invalid_files_render_their_diagnostics() {
    insta::glob!("invalid", "*.toml", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let name = format!("tests/invalid/{}", path.file_name().unwrap().to_str().unwrap());
        let rendered = match scenario::Scenario::from_source(&name, source.as_str()) {
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
