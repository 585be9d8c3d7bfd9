//! The command line: a thin shell over [`Scenario`].
//!
//! [`run`] takes the arguments and where to write, and returns the exit code, so that tests can
//! call it as the binary does; `main.rs` passes the process's own.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::event::FailureKind;
use crate::output::Output;
use crate::scenario::{Error, Scenario};
use crate::sink::Format;

/// Exit codes, documented in README.md.
pub mod exit {
    pub const OK: i32 = 0;
    /// A file could not be read or the output could not be written.
    pub const IO: i32 = 1;
    /// The command line is wrong (clap's own code).
    pub const USAGE: i32 = 2;
    /// A scenario file has errors.
    pub const INVALID: i32 = 3;
    /// The scenario ran and failed: `main` failed, the time limit passed, or a task looped
    /// without ever waiting.
    pub const RUN_FAILED: i32 = 4;
    /// The scenario deadlocked: every task waits and nothing can wake any of them.
    pub const DEADLOCK: i32 = 5;
    /// `scenario test`: a snapshot is missing or differs, or a scenario is invalid or failed.
    pub const TEST_FAILED: i32 = 6;
    /// The run ended well and crossed one of the file's `[thresholds]`.
    pub const THRESHOLD: i32 = 7;
}

/// Examples and exit codes, for `--help` and the manual page.
const AFTER_LONG_HELP: &str = "\
Examples:
  scenario run scenarios/countasync.toml        the transcript, then the statistics
  scenario run --seed 8 --format jsonl FILE     another seed, one JSON object per event
  scenario run --seeds 1..=100 FILE             100 seeds: means with 95% intervals
  scenario run --set tasks.server.count=8 FILE
                                                a value of the file overridden
  scenario run --runs 20 --sweep tasks.server.count=1,2,4 FILE
                                                a table: one row per value, 20 seeds each
  scenario run --seeds 1..=1000 --shard 2/4 --summary s2.json FILE
  scenario merge s1.json s2.json s3.json s4.json
                                                a quarter of the seeds, then the whole
  scenario check scenarios                      every file's errors and warnings
  scenario graph FILE                           the model as a Mermaid flowchart
  scenario report -o report.html FILE           a page of charts: the model, a timeline, waits
  scenario test                                 snapshot-test every file under scenarios/
  scenario review                               accept or reject the snapshots it wrote

Exit codes:
  0  success
  1  a file could not be read, or the output could not be written
  2  the command line is wrong
  3  a scenario file has errors
  4  the scenario ran and failed, or met a limit
  5  the scenario deadlocked
  6  scenario test: a snapshot is missing or differs, a threshold was crossed, or a scenario
     is invalid or failed
  7  the run crossed one of the file's [thresholds]";

#[derive(Parser)]
#[command(
    name = "scenario",
    version,
    about = "Run concurrent-system scenarios written in TOML on a virtual clock",
    after_long_help = AFTER_LONG_HELP
)]
struct Cli {
    /// Colour in diagnostics and diffs: `auto` (on a terminal, unless NO_COLOR is set), `always`
    /// or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn on(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its transcript.
    Run {
        /// The scenario file; `-` reads it from standard input.
        file: PathBuf,
        /// The seed of every random draw; overrides the file's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// `text`: a timeline with times, tasks and statistics. `plain`: only what the scenario
        /// says. `jsonl`: one JSON object per event.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write the transcript to this file instead of standard output. The file appears
        /// whole, once the run is over, or not at all.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Stop the run if it takes longer than this in real time ("30s", "5m"): a safety cap
        /// for CI. Off by default.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        wall_limit: Option<std::time::Duration>,
        /// Also write the run's statistics as JSON to this file (`-`: standard output, after
        /// the transcript). Its shape is `scenario schema --summary`.
        #[arg(long, value_name = "FILE")]
        summary: Option<PathBuf>,
        /// Also write the run as a Chrome trace (JSON) to this file, for Perfetto's UI
        /// (ui.perfetto.dev) or chrome://tracing: a track per task, a slice per wait.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["seeds", "runs", "sweep", "shard"])]
        trace: Option<PathBuf>,
        /// With --trace: keep only what happens from this virtual time on ("100s").
        #[arg(long, value_name = "DURATION", requires = "trace", value_parser = humantime::parse_duration)]
        trace_from: Option<std::time::Duration>,
        /// With --trace: keep only what happens up to this virtual time.
        #[arg(long, value_name = "DURATION", requires = "trace", value_parser = humantime::parse_duration)]
        trace_until: Option<std::time::Duration>,
        /// Run once per seed ("1..1001", "1..=1000" or "1,5,9") and report across the runs:
        /// means over seeds with 95% intervals, pooled percentiles, failing seeds. Thresholds
        /// apply to the pooled result.
        #[arg(long, value_name = "SEEDS", conflicts_with_all = ["seed", "runs", "output", "format"])]
        seeds: Option<String>,
        /// Like --seeds, with N seeds counting up from the file's own.
        #[arg(long, value_name = "N", conflicts_with_all = ["seed", "output", "format"])]
        runs: Option<u64>,
        /// With --seeds or --runs: how many runs at once. Default: every core. The report is
        /// the same whatever the number.
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
        /// Override a value of the file: `tasks.server.count=8`,
        /// `distributions.service={ exponential = "2s" }`. Checked like the file; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Run every combination of values (`tasks.server.count=1,2,4` or `=1..=8`), each over
        /// the same seeds, and print a table of the answers. Repeatable.
        #[arg(long, value_name = "PATH=VALUES", conflicts_with_all = ["seed", "output", "format"])]
        sweep: Vec<String>,
        /// With --sweep: a metric for the table (`queue.line.wait.p99`); repeatable. Default:
        /// the thresholds' metrics, or the makespan, mean waits and utilisations.
        #[arg(long = "metric", value_name = "METRIC", requires = "sweep")]
        metrics: Vec<String>,
        /// With --sweep: the table as `text` or `csv`.
        #[arg(long, value_enum, default_value_t = crate::many::TableFormat::Text, requires = "sweep")]
        table: crate::many::TableFormat,
        /// Run only the K-th of N slices of the seeds ("K/N"; "N" takes K from
        /// JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID), for `scenario merge`. Needs --summary.
        #[arg(long, value_name = "K/N", requires = "summary", conflicts_with_all = ["seed", "output", "format"])]
        shard: Option<String>,
    },
    /// Check scenario files without running them.
    Check {
        /// The scenario files, or folders to check every `.toml` file under; `-` reads one from
        /// standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Warnings fail the check too (exit 3).
        #[arg(long)]
        deny_warnings: bool,
        /// Check the files with a value overridden, as `run --set` does; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Run scenario files and compare each timeline with its stored snapshot (insta's format).
    Test {
        /// Scenario files, or folders to test every `.toml` file under. Default: `scenarios`.
        paths: Vec<PathBuf>,
        /// The folder the snapshots are in. Default: `snapshots/` beside each scenario file.
        #[arg(long, value_name = "DIR")]
        snapshots: Option<PathBuf>,
        /// Write every missing or changed snapshot as the new truth.
        #[arg(long, conflicts_with = "review")]
        accept: bool,
        /// Then go through the snapshots written for review, as `scenario review` does.
        #[arg(long)]
        review: bool,
        /// How many scenarios run at once. Default: every core.
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Also write a JUnit XML report here, for CI systems to show each scenario as a test.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Go through the snapshots `scenario test` wrote for review (`.snap.new`): see each diff,
    /// then accept (a), reject (r) or skip (s) it. Answers are read from standard input.
    Review {
        /// Folders to look for `.snap.new` files under. Default: `scenarios`.
        paths: Vec<PathBuf>,
        /// The folder the snapshots are in, if `scenario test` was given `--snapshots`.
        #[arg(long, value_name = "DIR")]
        snapshots: Option<PathBuf>,
    },
    /// Print the model as a graph: tasks, arrivals, queues, semaphores, events, barriers and rate
    /// limits, and what each task does to each. Mermaid (for Markdown) or Graphviz DOT.
    Graph {
        /// The scenario file; `-` reads it from standard input.
        file: PathBuf,
        /// `mermaid` or `dot`.
        #[arg(long, value_enum, default_value_t = crate::graph::GraphFormat::Mermaid)]
        format: crate::graph::GraphFormat,
        /// Override a value of the file, as `run --set` does; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Make an HTML report: the model's graph, a timeline of a run, queue lengths and permits
    /// in use over time, histograms of waits, a sweep's metrics against its values, and every
    /// metric. One file that works offline.
    Report {
        /// The scenario file; `-` reads it from standard input.
        file: PathBuf,
        /// Write the report to this file (it appears whole, or not at all) instead of standard
        /// output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The seed of every random draw; overrides the file's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Override a value of the file, as `run --set` does; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Report over these seeds ("1..=100"), as `run --seeds`: means with 95% intervals, and
        /// waits pooled over the runs. The timeline shows the first seed's run.
        #[arg(long, value_name = "SEEDS", conflicts_with_all = ["seed", "runs"])]
        seeds: Option<String>,
        /// Like --seeds, with N seeds counting up from the file's own.
        #[arg(long, value_name = "N", conflicts_with = "seed")]
        runs: Option<u64>,
        /// With --seeds, --runs or --sweep: how many runs at once. Default: every core.
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
        /// Sweep values as `run --sweep` does, and chart each metric against the first swept
        /// path, with its 95% band. Repeatable.
        #[arg(long, value_name = "PATH=VALUES", conflicts_with = "seed")]
        sweep: Vec<String>,
        /// With --sweep: a metric to chart; repeatable. Default: as `run --sweep`.
        #[arg(long = "metric", value_name = "METRIC", requires = "sweep")]
        metrics: Vec<String>,
        /// The timeline shows the run from this virtual time ("100s"). Default: its start.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        from: Option<std::time::Duration>,
        /// The timeline shows the run up to this virtual time. Default: its end, or where the
        /// timeline is full.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        until: Option<std::time::Duration>,
        /// Stop a run if it takes longer than this in real time.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        wall_limit: Option<std::time::Duration>,
    },
    /// Put the summaries of `run --shard` back together: the report and summary of the whole
    /// run, byte for byte, and its exit code.
    Merge {
        /// The shards' summaries, in any order.
        #[arg(required = true)]
        summaries: Vec<PathBuf>,
        /// Write the merged summary here (`-`: standard output, after the report).
        #[arg(long, value_name = "FILE")]
        summary: Option<PathBuf>,
        /// For a sweep: the table as `text` or `csv`.
        #[arg(long, value_enum, default_value_t = crate::many::TableFormat::Text)]
        table: crate::many::TableFormat,
    },
    /// Print the manual page, in roff: `scenario man | man -l -`, or `scenario man test` for a
    /// command's own page.
    Man {
        /// A command whose page to print. Default: the page for `scenario` itself.
        command: Option<String>,
    },
    /// Print a shell's completion script: `scenario completions bash > /etc/bash_completion.d/scenario`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Start a project: a scenario to edit, the schema and an editor setting that uses it.
    Init {
        /// The folder to set up. Default: the current folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the JSON Schema of scenario files (for editors; see README.md).
    Schema {
        /// Write it to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The schema of `run --summary`'s JSON instead of the scenario format's.
        #[arg(long)]
        summary: bool,
    },
}

/// Where a command writes: its standard output (handed to the run's sinks, so it must be `Send`)
/// and its standard error.
pub struct Console<'a> {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: &'a mut dyn Write,
}

/// Runs the process's command line on its standard streams; returns the exit code.
pub fn main() -> i32 {
    let stdout = Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout()));
    run(std::env::args_os(), Console { stdout, stderr: &mut io::stderr().lock() })
}

/// Runs a command line (`args` starts with the program's name); returns the exit code.
pub fn run<I, T>(args: I, console: Console<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let Console { mut stdout, stderr } = console;
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(args.iter().cloned()) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let text = e.render().to_string();
            let _ = if e.use_stderr() { stderr.write_all(text.as_bytes()) } else { stdout.write_all(text.as_bytes()) };
            let _ = stdout.flush();
            return code;
        }
    };
    // Diagnostics go to standard error: colour them when that is a terminal.
    let color_err = cli.color.on(io::IsTerminal::is_terminal(&io::stderr()));
    match cli.command {
        Command::Run {
            file,
            seed,
            format,
            output,
            wall_limit,
            summary,
            trace,
            trace_from,
            trace_until,
            seeds,
            runs,
            jobs,
            sets,
            sweep,
            metrics,
            table,
            shard,
        } => {
            if seeds.is_some() || runs.is_some() || !sweep.is_empty() || shard.is_some() {
                let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
                let options = ManyOptions { seeds: seeds.as_deref(), runs, sweep, shard: shard.as_deref() };
                let batch = match batch(&file, options, stderr) {
                    Ok(b) => b,
                    Err(code) => return code,
                };
                let batch = crate::many::Batch {
                    sets,
                    metrics,
                    table,
                    jobs,
                    summary: summary.as_deref(),
                    wall_limit,
                    color: color_err,
                    ..batch
                };
                return crate::many::run(batch, crate::many::Out { stdout, stderr });
            }
            let args = RunArgs {
                seed,
                sets,
                summary: summary.as_deref(),
                trace: trace.as_deref().map(|path| {
                    let ns = |d: Option<std::time::Duration>, default| {
                        d.map_or(default, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
                    };
                    (path, ns(trace_from, 0), ns(trace_until, u64::MAX))
                }),
                format,
                output: output.as_deref(),
                wall_limit,
                color: color_err,
            };
            run_file(&file, args, stdout, stderr)
        }
        Command::Graph { file, format, sets } => match load_with(&file, &sets, color_err, stderr) {
            Ok(scenario) => {
                let text = scenario.graph(format);
                match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                    Ok(()) => exit::OK,
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
                    Err(e) => {
                        let _ = writeln!(stderr, "error: cannot write the graph: {e}");
                        exit::IO
                    }
                }
            }
            Err(code) => code,
        },
        Command::Report { file, output, seed, sets, seeds, runs, jobs, sweep, metrics, from, until, wall_limit } => {
            let many = seeds.is_some() || runs.is_some() || !sweep.is_empty();
            let options = ManyOptions { seeds: seeds.as_deref(), runs, sweep, shard: None };
            let batch = match batch(&file, options, stderr) {
                Ok(b) => b,
                Err(code) => return code,
            };
            let ns = |d: Option<std::time::Duration>, default| {
                d.map_or(default, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            };
            let (from, until) = (ns(from, 0), ns(until, u64::MAX));
            if until < from {
                let _ = writeln!(stderr, "error: --until must not be before --from");
                return exit::USAGE;
            }
            // How the page was made, as it could be typed again.
            let words: Vec<String> =
                args.iter().skip(1).map(|a| crate::many::shell_quote(&a.to_string_lossy())).collect();
            let options = crate::page::Options {
                path: &file,
                sets,
                seed,
                seeds: many.then_some(batch.seeds),
                sweep: batch.sweep,
                metrics,
                jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
                from,
                until,
                output: output.as_deref(),
                wall_limit,
                color: color_err,
                command: format!("scenario {}", words.join(" ")),
            };
            crate::page::report(options, stdout, stderr)
        }
        Command::Merge { summaries, summary, table } => {
            crate::many::merge(&summaries, table, summary.as_deref(), color_err, crate::many::Out { stdout, stderr })
        }
        Command::Check { files, deny_warnings, sets } => {
            let mut code = exit::OK;
            for path in files {
                let files = if path.is_dir() {
                    match crate::testing::scenario_files(&path) {
                        Ok(files) => files,
                        Err(e) => {
                            let _ = writeln!(stderr, "error: cannot read `{}`: {e}", path.display());
                            code = code.max(exit::IO);
                            continue;
                        }
                    }
                } else {
                    vec![path]
                };
                for file in files {
                    code = code.max(check(&file, &sets, deny_warnings, color_err, stderr));
                }
            }
            code
        }
        Command::Test { paths, snapshots, accept, review, jobs, junit } => {
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
            let color = cli.color.on(io::IsTerminal::is_terminal(&io::stdout()));
            let options = crate::testing::Options { paths, snapshots, accept, jobs, junit, color };
            let env = crate::testing::Environment::from_process();
            let Ok(outcome) = crate::testing::run(&options, &env, &mut stdout, stderr) else { return exit::IO };
            if !review || outcome.passed {
                let _ = stdout.flush();
                return if outcome.passed { exit::OK } else { exit::TEST_FAILED };
            }
            // The run failed; it passes now only if every failure was a snapshot the review accepted.
            let mut input = io::stdin().lock();
            let reviewed = crate::testing::review(
                &options.paths,
                options.snapshots.as_deref(),
                color,
                &mut input,
                &mut stdout,
                stderr,
            );
            let _ = stdout.flush();
            match reviewed {
                Ok(Some(r))
                    if outcome.failed == outcome.written
                        && r.accepted >= outcome.written
                        && r.rejected + r.skipped == 0 =>
                {
                    exit::OK
                }
                Ok(_) => exit::TEST_FAILED,
                Err(_) => exit::IO,
            }
        }
        Command::Review { paths, snapshots } => {
            let color = cli.color.on(io::IsTerminal::is_terminal(&io::stdout()));
            let mut input = io::stdin().lock();
            let result = crate::testing::review(&paths, snapshots.as_deref(), color, &mut input, &mut stdout, stderr);
            let _ = stdout.flush();
            match result {
                Ok(Some(r)) if r.skipped == 0 => exit::OK,
                Ok(Some(_)) => exit::TEST_FAILED,
                Ok(None) => exit::IO,
                Err(e) => {
                    let _ = writeln!(stderr, "error: {e}");
                    exit::IO
                }
            }
        }
        Command::Man { command } => {
            let mut page = <Cli as clap::CommandFactory>::command();
            page.build();
            if let Some(name) = command {
                let Some(sub) = page.find_subcommand(&name).cloned() else {
                    let names: Vec<String> = page.get_subcommands().map(|c| c.get_name().to_owned()).collect();
                    let _ = writeln!(stderr, "error: no command `{name}`; the commands are {}", names.join(", "));
                    return exit::USAGE;
                };
                page = sub;
            }
            let source = concat!("scenario ", env!("CARGO_PKG_VERSION"));
            let result = clap_mangen::Man::new(page).source(source).render(&mut stdout);
            let _ = stdout.flush();
            if result.is_ok() { exit::OK } else { exit::IO }
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "scenario", &mut stdout);
            let _ = stdout.flush();
            exit::OK
        }
        Command::Init { dir } => init(&dir, stderr),
        Command::Schema { output, summary } => {
            let schema = if summary { crate::schema::summary() } else { crate::schema::generate() };
            match output {
                Some(path) => write_atomically(&path, schema.as_bytes(), stderr),
                None => match stdout.write_all(schema.as_bytes()).and_then(|()| stdout.flush()) {
                    Ok(()) => exit::OK,
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
                    Err(e) => {
                        let _ = writeln!(stderr, "error: cannot write the schema: {e}");
                        exit::IO
                    }
                },
            }
        }
    }
}

/// Reads and compiles a file, printing its diagnostics (warnings included) to `stderr`.
/// Returns the scenario, or the exit code.
/// `sets` are `--set` overrides.
pub(crate) fn load_with(path: &Path, sets: &[String], color: bool, stderr: &mut dyn Write) -> Result<Scenario, i32> {
    let loaded = if path == Path::new("-") {
        Scenario::read_with("<stdin>", io::stdin().lock(), sets)
    } else {
        Scenario::load_with(path, sets)
    };
    let paint = |text: String| if color { crate::diagnostic::colorize(&text) } else { text };
    match loaded {
        Ok(scenario) => {
            let _ = stderr.write_all(paint(scenario.render_warnings()).as_bytes());
            Ok(scenario)
        }
        Err(e @ Error::Invalid(_)) => {
            let _ = writeln!(stderr, "{}", paint(e.to_string()));
            Err(exit::INVALID)
        }
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            Err(exit::IO)
        }
    }
}

/// What `scenario run` was asked for, besides the file.
struct RunArgs<'a> {
    seed: Option<u64>,
    sets: Vec<String>,
    summary: Option<&'a Path>,
    /// The trace's file and window.
    trace: Option<(&'a Path, u64, u64)>,
    format: Format,
    output: Option<&'a Path>,
    wall_limit: Option<std::time::Duration>,
    /// Whether diagnostics are coloured.
    color: bool,
}

fn run_file(path: &Path, args: RunArgs<'_>, stdout: Box<dyn Write + Send>, stderr: &mut dyn Write) -> i32 {
    let RunArgs { seed, sets, summary: summary_path, trace, format, output, wall_limit, color } = args;
    let scenario = match load_with(path, &sets, color, stderr) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    let limits = scenario.current_limits();
    let scenario = scenario.limits(crate::plan::Limits { wall_limit, ..limits });
    let scenario = match seed {
        Some(seed) => scenario.seed(seed),
        None => scenario,
    };
    // A summary for `-` follows the transcript on standard output, so both share it.
    // Only then: sharing costs a lock per line.
    let to_stdout = summary_path.is_some_and(|p| p == Path::new("-"));
    let (stdout, summary_stdout): (Box<dyn Write + Send>, _) = if to_stdout {
        let shared = Shared(std::sync::Arc::new(std::sync::Mutex::new(stdout)));
        (Box::new(shared.clone()), Some(shared))
    } else {
        (stdout, None)
    };
    let (out, file): (Box<dyn Write + Send>, _) = match output {
        None => (stdout, None),
        Some(target) => match Output::open(target, Some(path)).and_then(|o| o.writer().map(|w| (w, o))) {
            Ok((writer, file)) => (Box::new(io::BufWriter::with_capacity(1 << 16, writer)), Some(file)),
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot write `{}`: {e}", target.display());
                return exit::IO;
            }
        },
    };
    let mut sinks: Vec<Box<dyn crate::sink::Sink>> =
        format.sink_limited(out, scenario.current_limits().max_output_bytes).into_iter().collect();
    // The trace, like `-o`, appears whole once the run is over.
    let trace_file = match trace {
        None => None,
        Some((target, from, until)) => {
            match Output::open(target, Some(path)).and_then(|o| o.writer().map(|w| (w, o))) {
                Ok((writer, file)) => {
                    let out = Box::new(io::BufWriter::with_capacity(1 << 16, writer));
                    sinks.push(Box::new(crate::sink::Trace::new(out).window(from, until)));
                    Some(file)
                }
                Err(e) => {
                    let _ = writeln!(stderr, "error: cannot write `{}`: {e}", target.display());
                    return exit::IO;
                }
            }
        }
    };
    let statistics = !scenario.thresholds().is_empty() || summary_path.is_some();
    let (summary, written) = scenario.run_into(sinks, statistics);
    if let Some(file) = trace_file {
        let traced = match &written {
            Ok(()) => Ok(()),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        };
        if let Err(e) = file.finish(traced) {
            let _ = writeln!(stderr, "error: cannot write the trace: {e}");
            return exit::IO;
        }
    }
    // The transcript is complete (even for a failed run): put it in place in one step.
    let written = match file {
        Some(file) => file.finish(written),
        None => written,
    };
    match written {
        // The reader went away (`| head`): stop quietly, as a filter does.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return exit::OK,
        // The size limit: the run failed, and says so below.
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {}
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot write the transcript: {e}");
            return exit::IO;
        }
        Ok(()) => {}
    }
    let verdicts = scenario.check_thresholds(&summary);
    if let Some(target) = summary_path {
        let name = path.display().to_string();
        let mut report =
            crate::report::Report::new(&name, scenario.current_seed(), &summary, scenario.thresholds(), &verdicts);
        report.set = sets;
        let json = report.to_json();
        let code = match summary_stdout {
            Some(mut out) => match out.write_all(json.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => exit::OK,
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
                Err(e) => {
                    let _ = writeln!(stderr, "error: cannot write the summary: {e}");
                    exit::IO
                }
            },
            None => write_atomically(target, json.as_bytes(), stderr),
        };
        if code != exit::OK {
            return code;
        }
    }
    match summary.failure {
        Some(failure) => {
            let _ = writeln!(stderr, "error: run failed: {}", failure.message);
            match failure.kind {
                FailureKind::Deadlock => exit::DEADLOCK,
                _ => exit::RUN_FAILED,
            }
        }
        None => thresholds_exit(&scenario, &verdicts, "", stderr),
    }
}

/// What `run` was asked for that makes it run more than once.
struct ManyOptions<'a> {
    seeds: Option<&'a str>,
    runs: Option<u64>,
    sweep: Vec<String>,
    shard: Option<&'a str>,
}

/// The seeds, sweep and shard of a batch of runs; the rest is filled in by the caller.
fn batch<'a>(path: &'a Path, options: ManyOptions<'_>, stderr: &mut dyn Write) -> Result<crate::many::Batch<'a>, i32> {
    let usage = |stderr: &mut dyn Write, flag: &str, e: String| {
        let _ = writeln!(stderr, "error: {flag}: {e}");
        exit::USAGE
    };
    let ManyOptions { seeds, runs, sweep, shard } = options;
    let sweep = sweep
        .iter()
        .map(|s| crate::sweep::Axis::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(stderr, "--sweep", e))?;
    let points = sweep.iter().try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
    if points.is_none_or(|n| n > crate::sweep::MAX_POINTS) {
        let e = format!("the sweep has more than {} points; sweep fewer values at once", crate::sweep::MAX_POINTS);
        return Err(usage(stderr, "--sweep", e));
    }
    let shard = shard
        .map(|s| crate::many::ShardSpec::parse(s, |var| std::env::var(var).ok()))
        .transpose()
        .map_err(|e| usage(stderr, "--shard", e))?;
    let seeds = match (seeds, runs) {
        (Some(text), _) => crate::seeds::parse_seeds(text).map(crate::many::Seeds::List),
        (None, Some(0)) => Err("--runs must be at least 1".to_owned()),
        (None, Some(n)) if n > 10_000_000 => Err("--runs can be at most 10000000".to_owned()),
        (None, Some(n)) => Ok(crate::many::Seeds::Runs(n)),
        (None, None) => Ok(crate::many::Seeds::Runs(1)),
    }
    .map_err(|e| usage(stderr, "--seeds", e))?;
    Ok(crate::many::Batch {
        path,
        sets: Vec::new(),
        seeds,
        sweep,
        metrics: Vec::new(),
        table: crate::many::TableFormat::Text,
        shard,
        jobs: 1,
        summary: None,
        wall_limit: None,
        color: false,
    })
}

/// OK when every threshold held; otherwise each crossed one as an error at its line, a count,
/// and the thresholds' exit code.
pub(crate) fn thresholds_exit(
    scenario: &Scenario,
    verdicts: &[crate::threshold::Verdict],
    over: &str,
    stderr: &mut dyn Write,
) -> i32 {
    let crossed = verdicts.iter().filter(|v| !v.held).count();
    if crossed == 0 {
        return exit::OK;
    }
    let _ = write!(stderr, "{}", scenario.render_crossed(verdicts));
    let _ = writeln!(stderr, "error: {crossed} of {} thresholds crossed{over}", verdicts.len());
    exit::THRESHOLD
}

/// A writer two owners share: the transcript's sink and, after the run, the summary.
#[derive(Clone)]
struct Shared(std::sync::Arc<std::sync::Mutex<Box<dyn Write + Send>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).flush()
    }
}

/// Writes a file whole or not at all (see `output.rs`).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], stderr: &mut dyn Write) -> i32 {
    let result = Output::open(path, None).and_then(|file| {
        let written = file.writer().and_then(|mut w| w.write_all(bytes)).and_then(|()| file.sync());
        file.finish(written)
    });
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot write `{}`: {e}", path.display());
            exit::IO
        }
    }
}

/// `scenario init`: writes a starter scenario, the schema and `.taplo.toml` into `dir`, never over
/// a file that is there.
fn init(dir: &Path, stderr: &mut dyn Write) -> i32 {
    let files = [
        ("scenarios/hello.toml", STARTER.to_owned()),
        ("schema/scenario.schema.json", crate::schema::generate()),
        (".taplo.toml", TAPLO.to_owned()),
    ];
    for (name, contents) in files {
        let path = dir.join(name);
        if path.exists() {
            let _ = writeln!(stderr, "kept: {} (it exists)", path.display());
            continue;
        }
        let written =
            path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&path, contents));
        match written {
            Ok(()) => {
                let _ = writeln!(stderr, "wrote: {}", path.display());
            }
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot write `{}`: {e}", path.display());
                return exit::IO;
            }
        }
    }
    let _ = writeln!(
        stderr,
        "next: `scenario run scenarios/hello.toml`, then `scenario test --accept` to keep its timeline as a snapshot"
    );
    exit::OK
}

/// The scenario `scenario init` starts a project with.
const STARTER: &str = r#"# A first scenario: three workers share a queue of jobs. Edit it, then run
#   scenario run scenarios/hello.toml
description = "a producer and three workers share a queue of jobs"
seed = 1

[queues.jobs]
capacity = 5

[tasks.producer]
steps = [{ repeat = 10, steps = [{ sleep = { exponential = "100ms" } }, { put = "jobs", item = "job-{n}" }] }]

[tasks.worker]
count = 3
steps = [
  { repeat = "forever", steps = [
      { get = "jobs", say = "worker {i} took {item} after {waited} s in the queue" },
      { sleep = { uniform = ["100ms", "400ms"] } },
      { done = "jobs" },
  ] },
]

[main]
steps = [
  { start = "worker" },
  { gather = "producer" },
  { join = "jobs" },
  { cancel = "worker" },
  { say = "all jobs done at {elapsed:.2} s" },
]
"#;

/// Taplo (Even Better TOML) checks scenario files against the schema as they are edited.
const TAPLO: &str = r#"# Editors using Taplo (Even Better TOML) check scenario files against the schema.
[[rule]]
include = ["scenarios/**/*.toml"]

[rule.schema]
path = "./schema/scenario.schema.json"
"#;

fn check(path: &Path, sets: &[String], deny_warnings: bool, color: bool, stderr: &mut dyn Write) -> i32 {
    match load_with(path, sets, color, stderr) {
        Ok(scenario) if deny_warnings && scenario.warning_count() > 0 => {
            let _ = writeln!(stderr, "error: `{}` has warnings, and warnings are denied", path.display());
            exit::INVALID
        }
        Ok(scenario) => {
            let _ = match scenario.warning_count() {
                0 => writeln!(stderr, "ok: {}", path.display()),
                1 => writeln!(stderr, "ok: {} (1 warning)", path.display()),
                n => writeln!(stderr, "ok: {} ({n} warnings)", path.display()),
            };
            exit::OK
        }
        Err(code) => code,
    }
}
