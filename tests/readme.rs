//! README.md's examples are checked: every complete scenario in it compiles, and the outputs it
//! shows are what the engine prints.

use scenario::{Format, Scenario};

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

/// The fenced blocks of a language, in order.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").unwrap();
        out.push(body[..end].to_owned());
        rest = &body[end..];
    }
    out
}

fn plain(source: &str) -> String {
    let scenario = Scenario::from_source("README.md", source).unwrap_or_else(|e| panic!("{e}\n{source}"));
    scenario.format(Format::Plain).run().transcript
}

#[test]
fn every_complete_scenario_in_the_readme_compiles() {
    let complete: Vec<String> =
        blocks(&readme(), "toml").into_iter().filter(|b| b.contains("[main]") && b.contains("[tasks.")).collect();
    assert!(complete.len() >= 2);
    for block in complete {
        if let Err(e) = Scenario::from_source("README.md", block.as_str()) {
            panic!("a README example does not compile:\n{block}\n{e}");
        }
    }
}

#[test]
fn the_first_example_behaves_like_the_countasync_file_it_shows() {
    let first = blocks(&readme(), "toml").remove(0);
    let file = std::fs::read_to_string("scenarios/countasync.toml").unwrap();
    assert_eq!(plain(&first), plain(&file));
    let shown = blocks(&readme(), "text").remove(0);
    assert_eq!(plain(&first), shown);
}

#[test]
fn the_walkthrough_prints_what_the_readme_shows() {
    let text = readme();
    let walkthrough = &text[text.find("## Writing a scenario").unwrap()..];
    let scenario = blocks(walkthrough, "toml").remove(0);
    let shown = blocks(walkthrough, "text")
        .into_iter()
        .find(|b| b.starts_with("$ scenario run --format plain"))
        .expect("the walkthrough shows a run");
    let expected: String = shown.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(plain(&scenario), expected);
}

#[test]
fn every_timeline_line_shown_in_the_readme_is_printed_by_countasync() {
    // The README's timeline excerpt elides lines with `...`; every line it does show must be a
    // line of the real timeline, so the excerpt cannot drift from the format.
    let text = readme();
    let shown = blocks(&text, "text").into_iter().find(|b| b.starts_with("# three tasks gathered")).unwrap();
    let real = Scenario::load("scenarios/countasync.toml").unwrap().seed(0).run().transcript;
    let real: Vec<&str> = real.lines().collect();
    for line in shown.lines().filter(|l| l.trim() != "...") {
        assert!(real.contains(&line), "README shows a line the timeline does not have: {line:?}");
    }
}

#[test]
fn every_pattern_example_compiles_and_runs() {
    // Examples in the pattern sections are fragments: each must compile, with a default main
    // when it has none, and run without failing.
    let text = readme();
    let patterns =
        &text[text.find("## Coordination patterns").unwrap()..text.find("## Time, order and chance").unwrap()];
    let mut checked = 0;
    for block in blocks(patterns, "toml").into_iter().filter(|b| b.contains("[tasks.")) {
        let scenario = Scenario::from_source("README.md", block.as_str()).unwrap_or_else(|e| panic!("{block}\n{e}"));
        let summary = scenario.seed(0).format(Format::Silent).run().summary;
        assert_eq!(summary.failure.map(|f| f.message), None, "{block}");
        checked += 1;
    }
    assert!(checked >= 9, "{checked} examples");
}

#[test]
fn the_ci_workflows_commands_pass_in_a_fresh_project() {
    // Every `scenario ...` command of the GitHub Actions and GitLab CI examples, run in a project
    // that `scenario init` made and whose snapshot was accepted, as a user's first CI run.
    let text = readme();
    let section =
        &text[text.find("## Use it in your CI").unwrap()..text.find("## Scenarios as regression tests").unwrap()];
    let commands: Vec<String> = blocks(section, "yaml")
        .iter()
        .flat_map(|block| block.lines().map(str::trim).map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|line| {
            let line = line.strip_prefix("- run: ").or_else(|| line.strip_prefix("- ")).unwrap_or(&line).to_owned();
            line.starts_with("scenario ").then_some(line)
        })
        .collect();
    assert_eq!(commands.len(), 4, "{commands:?}");
    let dir = std::env::temp_dir().join(format!("scenario-ci-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_scenario")).parent().unwrap().to_owned();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let sh = |command: &str, ci: bool| {
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(command).current_dir(&dir).env("PATH", &path).env_remove("INSTA_UPDATE");
        if ci {
            c.env("CI", "true")
        } else {
            c.env_remove("CI")
        };
        c.output().unwrap()
    };
    assert!(sh("scenario init && scenario test --accept", false).status.success());
    for command in commands {
        let out = sh(&command, true);
        assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stdout));
    }
    assert!(dir.join("scenario-junit.xml").exists());
    // And the console shown above is what `scenario test` prints there.
    let shown = blocks(section, "console").remove(0);
    let (command, expected) = shown.split_once('\n').unwrap();
    let out = sh(command.trim_start_matches("$ "), true);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_walkthroughs_checks_and_deadlock_print_what_the_readme_shows() {
    // Steps 1 and 4 of "Writing a scenario": `check` on the empty file, and on the file with the
    // two mistakes step 4 describes, each in a scratch `scenarios/shop.toml`.
    let text = readme();
    let walkthrough = &text[text.find("## Writing a scenario").unwrap()..text.find("## The format").unwrap()];
    let file = blocks(walkthrough, "toml").remove(0);
    let shown: Vec<String> =
        blocks(walkthrough, "text").into_iter().filter(|b| b.contains("$ scenario check")).collect();
    assert_eq!(shown.len(), 2);
    let mistaken = file.replace(
        "{ get = \"line\", say = \"{task} serves {item}\" }",
        "{ get = \"lines\", say = \"{task} serves {itme}\" }",
    );
    assert_ne!(mistaken, file, "step 4's line is in step 2's file");
    let dir = std::env::temp_dir().join(format!("scenario-walkthrough-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    for (contents, block) in [("", &shown[0]), (mistaken.as_str(), &shown[1])] {
        std::fs::write(dir.join("scenarios/shop.toml"), contents).unwrap();
        let expected: String = block.lines().filter(|l| !l.starts_with('$')).map(|l| format!("{l}\n")).collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
            .args(["check", "scenarios/shop.toml"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
    }

    // Step 4's warning and deadlock: `run` on the file without `{ start = "till" }`.
    let unstarted = file.replace("  { start = \"till\" },\n", "");
    assert_ne!(unstarted, file, "step 4's start step is in step 2's file");
    let step4 = &walkthrough[walkthrough.find("**4.").unwrap()..walkthrough.find("**5.").unwrap()];
    let shown = blocks(step4, "text").into_iter().find(|b| b.contains("deadlock")).expect("step 4's run");
    std::fs::write(dir.join("scenarios/shop.toml"), unstarted).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "scenarios/shop.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "README says exit code 5");
    assert_eq!(String::from_utf8_lossy(&out.stderr), shown);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_thresholds_example_prints_what_the_readme_shows() {
    // "Thresholds": the `[thresholds]` block added to `mm1.toml`, run as shown.
    let text = readme();
    let section = &text[text.find("### Thresholds").unwrap()..text.find("### Deadlocks").unwrap()];
    let table = blocks(section, "toml").remove(0);
    let shown = blocks(section, "text").remove(0);
    let (command, expected) = shown.split_once('\n').unwrap();
    assert_eq!(command, "$ scenario run --format plain scenarios/mm1.toml");
    let dir = std::env::temp_dir().join(format!("scenario-thresholds-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    let mm1 = std::fs::read_to_string("scenarios/mm1.toml").unwrap();
    std::fs::write(dir.join("scenarios/mm1.toml"), format!("{mm1}\n{table}")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--format", "plain", "scenarios/mm1.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_summary_example_prints_what_the_readme_shows() {
    let text = readme();
    let section = &text[text.find("## Output and exit codes").unwrap()..text.find("| exit code |").unwrap()];
    let shown = blocks(section, "text").into_iter().find(|b| b.contains("--summary")).expect("the example");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[0], "$ scenario run --summary summary.json scenarios/mm1.toml > /dev/null");
    assert_eq!(lines[1], "$ jq .queues[0].wait_ns.p99 summary.json");
    let dir = std::env::temp_dir().join(format!("scenario-summary-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let summary = dir.join("summary.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"))
        .args(["run", "--summary", summary.to_str().unwrap(), "scenarios/mm1.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(json["queues"][0]["wait_ns"]["p99"].to_string(), lines[2]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_many_seeds_example_prints_what_the_readme_shows() {
    let text = readme();
    let section = &text[text.find("### Many seeds").unwrap()..text.find("### Deadlocks").unwrap()];
    let shown = blocks(section, "text").remove(0);
    let (command, expected) = shown.split_once('\n').unwrap();
    let args: Vec<&str> = command.strip_prefix("$ scenario ").unwrap().split(' ').collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scenario")).args(&args).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
