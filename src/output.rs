//! Files the user names with `-o`: they appear whole, or not at all, and `-o` can never be
//! turned into a way to write elsewhere.
//!
//! A regular file (or a link to one) is written to an unpredictable temporary file created
//! exclusively beside it (the `tempfile` crate: `O_EXCL`, random name, no link followed), which is
//! renamed over the target once complete; a link stays a link. Anything else, such as
//! `/dev/null` or a FIFO, is written directly: it cannot be replaced, and must not be. The
//! scenario file itself is refused as the output. On SIGINT, SIGTERM or SIGHUP the temporary file
//! is removed and the process exits with the conventional 128 + the signal's number.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, PoisonError};

use tempfile::NamedTempFile;

/// The temporary file being written, for the signal handler to remove.
static TEMPORARY: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Where an output goes.
pub enum Output {
    /// Not a regular file: written in place.
    Direct(File),
    /// A regular file: written beside it, then renamed over it.
    Replace { temp: NamedTempFile, dest: PathBuf },
}

impl Output {
    /// Opens `target` for writing; `input`, if given, must not be the same file.
    pub fn open(target: &Path, input: Option<&Path>) -> io::Result<Output> {
        if let Some(input) = input {
            if let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(target)) {
                if a == b {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "that is the scenario file itself; write the output somewhere else",
                    ));
                }
            }
        }
        match std::fs::metadata(target) {
            Ok(meta) if !meta.is_file() => {
                return OpenOptions::new().write(true).open(target).map(Output::Direct);
            }
            _ => {}
        }
        // Write through a link to the file it names, and keep the link.
        let dest = match std::fs::symlink_metadata(target) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(target).unwrap_or(target.into()),
            _ => target.to_path_buf(),
        };
        let dir = crate::scenario::folder_of(&dest);
        // The signal handler is in place before the file exists, and the file is registered
        // under the lock it takes: a signal at any moment finds the file to remove.
        guard_signals();
        let mut registered = TEMPORARY.lock().unwrap_or_else(PoisonError::into_inner);
        let temp = tempfile::Builder::new().prefix(".scenario-").suffix(".tmp").tempfile_in(dir)?;
        *registered = Some(temp.path().to_path_buf());
        drop(registered);
        // The file keeps the permissions it had; a new one gets the usual ones, not the
        // temporary file's owner-only mode.
        let permissions = match std::fs::metadata(&dest) {
            Ok(meta) => Some(meta.permissions()),
            Err(_) => new_file_permissions(),
        };
        if let Some(permissions) = permissions {
            temp.as_file().set_permissions(permissions)?;
        }
        Ok(Output::Replace { temp, dest })
    }

    /// A handle to write the output through.
    pub fn writer(&self) -> io::Result<File> {
        match self {
            Output::Direct(file) => file.try_clone(),
            Output::Replace { temp, .. } => temp.as_file().try_clone(),
        }
    }

    /// Makes what was written to a regular file durable before it is put in place. A device or
    /// a FIFO has nothing to make durable (`fsync` on `/dev/null` fails with EINVAL).
    pub fn sync(&self) -> io::Result<()> {
        match self {
            Output::Direct(_) => Ok(()),
            Output::Replace { temp, .. } => temp.as_file().sync_all(),
        }
    }

    /// Puts the output in place once it is complete (`written` is how writing went); on an
    /// error, removes what was written.
    pub fn finish(self, written: io::Result<()>) -> io::Result<()> {
        let result = match self {
            Output::Direct(_) => written,
            // Dropping a temporary file removes it.
            Output::Replace { temp, dest } => written.and_then(|()| temp.persist(&dest).map(drop).map_err(|e| e.error)),
        };
        *TEMPORARY.lock().unwrap_or_else(PoisonError::into_inner) = None;
        result
    }
}

#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary file, then exit as the signal would.
fn guard_signals() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                if let Some(path) = TEMPORARY.lock().unwrap_or_else(PoisonError::into_inner).take() {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(128 + signal);
            }
        });
    });
}
