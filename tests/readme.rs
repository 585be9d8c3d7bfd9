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
fn the_gas_station_lines_shown_are_printed_in_that_order() {
    // The excerpt elides lines with `...`; the lines it shows are the run's, in order.
    let shown = blocks(&readme(), "text")
        .into_iter()
        .find(|b| b.starts_with("$ scenario run --format plain scenarios/gas_station.toml"))
        .unwrap();
    let real = Scenario::load("scenarios/gas_station.toml").unwrap().format(Format::Plain).run().transcript;
    let mut lines = real.lines();
    for line in shown.lines().skip(1).filter(|l| l.trim() != "...") {
        assert!(lines.any(|l| l == line), "README shows a line the run does not print there: {line:?}");
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

/// Splits a command line as a POSIX shell would, for the quoting README uses.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, ' ') => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

fn binary(args: &[String], dir: Option<&std::path::Path>, env: &[(&str, String)]) -> (i32, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_scenario"));
    command.args(args).env_remove("JOB_COMPLETION_INDEX").env_remove("SLURM_ARRAY_TASK_ID");
    command.envs(env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command.output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn answering_a_question_shows_what_the_commands_print() {
    let text = readme();
    let section = &text[text.find("## Answering a question").unwrap()..text.find("### Spreading seeds").unwrap()];
    let shown = blocks(section, "text");
    assert_eq!(shown.len(), 4);
    for block in shown {
        let (command, expected) = block.split_once('\n').unwrap();
        let args = words(command.strip_prefix("$ scenario ").unwrap());
        let (code, out, err) = binary(&args, None, &[]);
        if let Some(tail) = expected.strip_prefix("...\n") {
            // The end of a timeline: each line shown is in it.
            assert_eq!(code, 0);
            for line in tail.lines() {
                assert!(out.contains(line), "`{command}` does not print {line:?}");
            }
        } else if expected.starts_with("error:") {
            assert_eq!(code, 3);
            assert!(err.starts_with(expected), "`{command}` prints\n{err}");
        } else {
            assert_eq!(out, expected, "`{command}`");
            let threshold = command.contains("thresholds");
            assert_eq!(code, if threshold { 7 } else { 0 }, "{err}");
        }
    }
}

#[test]
fn the_shard_examples_merge_into_the_whole_run() {
    // Each worked example's shard command, with 8 seeds instead of 10 000, run as its
    // scheduler would run it; then its merge command. The merge must print what one machine
    // running every seed prints.
    let text = readme();
    let section = &text[text.find("### Spreading seeds").unwrap()..text.find("## Use it in your CI").unwrap()];
    let dir = std::env::temp_dir().join(format!("scenario-readme-shards-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::copy("scenarios/mmc.toml", dir.join("scenarios/mmc.toml")).unwrap();
    let (code, whole, _) = binary(&words("run --seeds 1..=8 scenarios/mmc.toml"), Some(&dir), &[]);
    assert_eq!(code, 0);
    let line = |needle: &str| -> String {
        let l = section.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?}"));
        l.replace("1..=10000", "1..=8")
    };
    let command = |l: &str| words(&l[l.find("scenario ").unwrap() + "scenario ".len()..]);
    let merge = |l: &str, files: &str| {
        let l = l.trim_end_matches('\'').replace("/results/", "").replace("shard-*.json", files);
        command(&l)
    };
    type Env = Vec<(&'static str, String)>;
    type Shard<'a> = Box<dyn Fn(u64) -> (String, Env) + 'a>;
    let schedulers: [(&str, &str, Shard<'_>); 3] = [
        (
            "- run: scenario run --seeds",
            "- run: scenario merge",
            Box::new(|k| (line("- run: scenario run --seeds").replace("${{ matrix.shard }}", &k.to_string()), vec![])),
        ),
        (
            "args: [\"scenario run",
            "$ scenario merge /results/",
            Box::new(|k| {
                let l = line("args: [\"scenario run")
                    .replace("/results/", "")
                    .replace("$JOB_COMPLETION_INDEX", &(k - 1).to_string());
                (l.trim_end_matches("\"]").to_owned(), vec![("JOB_COMPLETION_INDEX", (k - 1).to_string())])
            }),
        ),
        (
            "--summary \"shard-$SLURM_ARRAY_TASK_ID",
            "--wrap 'scenario merge",
            Box::new(|k| {
                let l = line("--summary \"shard-$SLURM_ARRAY_TASK_ID").replace("$SLURM_ARRAY_TASK_ID", &k.to_string());
                (l, vec![("SLURM_ARRAY_TASK_ID", k.to_string()), ("SLURM_ARRAY_TASK_MIN", "1".to_owned())])
            }),
        ),
    ];
    for (shard_line, merge_line, shard) in schedulers {
        assert!(section.contains(shard_line) && section.contains(merge_line), "{shard_line}");
        let mut files = Vec::new();
        for k in 1..=4 {
            let (l, env) = shard(k);
            let args = command(&l);
            let (code, _, err) = binary(&args, Some(&dir), &env);
            assert_eq!(code, 0, "{l}: {err}");
            files.push(args[args.iter().position(|a| a == "--summary").unwrap() + 1].clone());
        }
        let args = merge(&line(merge_line), &files.join(" "));
        let args: Vec<String> =
            args.into_iter().flat_map(|a| a.split(' ').map(str::to_owned).collect::<Vec<_>>()).collect();
        let (code, merged, err) = binary(&args, Some(&dir), &[]);
        assert_eq!((code, merged.as_str()), (0, whole.as_str()), "{merge_line}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_graph_readme_shows_is_what_scenario_graph_prints() {
    let text = readme();
    let section = &text[text.find("### The model as a graph").unwrap()..text.find("## Answering a question").unwrap()];
    let shown = blocks(section, "mermaid").remove(0);
    let source = std::fs::read_to_string("scenarios/async_queue.toml").unwrap();
    let printed = Scenario::from_source("async_queue.toml", source).unwrap().graph(scenario::GraphFormat::Mermaid);
    assert_eq!(shown, printed);
}
