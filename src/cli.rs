//! The command line: a thin shell over `compile` and `runtime`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::compile;
use crate::diagnostic::{Diagnostic, Severity};
use crate::transcript::{FailureKind, Format, Transcript};

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
}

#[derive(Parser)]
#[command(name = "scenario", version, about = "Run concurrent-system scenarios written in TOML on a virtual clock")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its transcript.
    Run {
        /// The scenario file.
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
    },
    /// Check scenario files without running them.
    Check {
        /// The scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of scenario files (for editors; see README.md).
    Schema {
        /// Write it to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::OK };
        }
    };
    match cli.command {
        Command::Run { file, seed, format, output } => run(&file, seed, format, output.as_deref()),
        Command::Check { files } => files.iter().map(|f| check(f.as_path())).max().unwrap_or(exit::OK),
        Command::Schema { output } => {
            let schema = crate::schema::generate();
            match output {
                Some(path) => write_atomically(&path, schema.as_bytes()),
                None => {
                    let mut out = io::stdout().lock();
                    match out.write_all(schema.as_bytes()) {
                        Ok(()) => exit::OK,
                        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
                        Err(e) => {
                            eprintln!("error: cannot write the schema: {e}");
                            exit::IO
                        }
                    }
                }
            }
        }
    }
}

/// Reads and compiles a file, printing its diagnostics to stderr. Returns the plan and how many
/// warnings it has.
fn load(path: &Path) -> Result<(compile::Plan, usize), i32> {
    let name = path.display().to_string();
    // Refuse a huge file before reading it into memory.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.len() > compile::MAX_SOURCE_BYTES as u64 {
            print_diagnostics(&name, "", &[compile::too_large(meta.len())]);
            return Err(exit::INVALID);
        }
    }
    let source = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read `{name}`: {e}");
        exit::IO
    })?;
    let (plan, diagnostics) = match compile::load(&source) {
        Ok((plan, diagnostics)) => (Some(plan), diagnostics),
        Err(diagnostics) => (None, diagnostics),
    };
    print_diagnostics(&name, &source, &diagnostics);
    let warnings = diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    plan.map(|p| (p, warnings)).ok_or(exit::INVALID)
}

fn print_diagnostics(name: &str, source: &str, diagnostics: &[Diagnostic]) {
    let mut err = io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{}", d.render(name, source));
    }
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        let s = if errors == 1 { "" } else { "s" };
        let _ = writeln!(err, "error: `{name}` has {errors} error{s}");
    }
}

fn run(path: &Path, seed: Option<u64>, format: Format, output: Option<&Path>) -> i32 {
    let plan = match load(path) {
        Ok((plan, _)) => Arc::new(plan),
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(plan.seed);
    let (out, temp): (Box<dyn Write + Send>, _) = match output {
        None => (Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())), None),
        Some(target) => {
            let temp = temp_path(target);
            match std::fs::File::create(&temp) {
                Ok(file) => (Box::new(io::BufWriter::with_capacity(1 << 16, file)), Some((temp, target))),
                Err(e) => {
                    eprintln!("error: cannot write `{}`: {e}", target.display());
                    return exit::IO;
                }
            }
        }
    };
    let transcript = Transcript::new(format, out, plan.label_width);
    let (summary, written) = crate::runtime::run(plan, seed, transcript);
    let written = match temp {
        // The transcript is complete (even for a failed run): put it in place in one step.
        Some((temp, target)) => written.and_then(|()| std::fs::rename(&temp, target)).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        }),
        None => written,
    };
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the transcript: {e}");
            return exit::IO;
        }
    }
    match summary.failure {
        Some(failure) => {
            eprintln!("error: run failed: {}", failure.message);
            match failure.kind {
                FailureKind::Deadlock => exit::DEADLOCK,
                FailureKind::TimeLimit
                | FailureKind::Livelock
                | FailureKind::EventBudget
                | FailureKind::Limit
                | FailureKind::MainFailed => exit::RUN_FAILED,
            }
        }
        None => exit::OK,
    }
}

/// Writes a file whole or not at all: the bytes go to a temporary file beside it, which is then
/// renamed over the target, so a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> i32 {
    let temp = temp_path(path);
    let result = std::fs::File::create(&temp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            eprintln!("error: cannot write `{}`: {e}", path.display());
            exit::IO
        }
    }
}

/// A temporary file beside `path`, on the same file system so that a rename can replace it.
fn temp_path(path: &Path) -> PathBuf {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

fn check(path: &Path) -> i32 {
    match load(path) {
        Ok((_, 0)) => {
            eprintln!("ok: {}", path.display());
            exit::OK
        }
        Ok((_, warnings)) => {
            let s = if warnings == 1 { "" } else { "s" };
            eprintln!("ok: {} ({warnings} warning{s})", path.display());
            exit::OK
        }
        Err(code) => code,
    }
}
