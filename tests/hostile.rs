//! Hostile files: each file in `tests/hostile/` is one attack (a small file that once crashed the
//! program, exhausted its memory, ran for days or forged its output). Its first line says what
//! must happen: `# expect: CODE: TEXT`, the exit code and a piece of what the program prints.
//! Each runs as a child process of the built binary under an address-space cap of 2 GiB and a
//! time cap of 120 s (on Unix, through `sh`), so a regression fails the test instead of the
//! machine.

use std::path::PathBuf;
use std::process::Command;

fn files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/hostile").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn expectation(file: &PathBuf) -> (i32, String) {
    let bytes = std::fs::read(file).unwrap();
    let first = String::from_utf8_lossy(bytes.split(|&b| b == b'\n').next().unwrap()).into_owned();
    let rest = first.strip_prefix("# expect: ").unwrap_or_else(|| panic!("{}: no `# expect:` line", file.display()));
    let (code, text) = rest.split_once(": ").unwrap();
    (code.parse().unwrap(), text.to_owned())
}

#[cfg(unix)]
#[test]
fn every_hostile_file_ends_within_its_budgets_with_the_expected_code_and_message() {
    let binary = env!("CARGO_BIN_EXE_scenario");
    let files = files();
    assert!(files.len() >= 10);
    for file in files {
        let (code, text) = expectation(&file);
        let out = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -v 2097152 && exec timeout 120 "$0" run "$1""#)
            .arg(binary)
            .arg(&file)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: exit code; it printed (tail):\n{}",
            file.display(),
            tail(&printed)
        );
        assert!(printed.contains(&text), "{}: expected {text:?} in:\n{}", file.display(), tail(&printed));
    }
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
    &text[start..]
}
