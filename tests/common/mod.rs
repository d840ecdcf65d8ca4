//! Helpers shared by integration tests.
// Each test file compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use proxmo::rng::Rng;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `proxmo` binary built for these tests, from the repository root.
pub fn proxmo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(args)
        .output()
        .expect("the proxmo binary runs")
}

/// Captured output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch directory of its own for each test file, `name` and process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "proxmo-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files of `dir` whose name ends in `.{extension}`, sorted.
pub fn files_with_extension(dir: impl AsRef<Path>, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// `text` with 1 to `max_edits` random single-character deletions, insertions or
/// replacements drawn from `alphabet`.
pub fn mutate(text: &str, alphabet: &[char], max_edits: usize, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(max_edits) {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len());
        match rng.below(3) {
            0 => {
                chars.remove(at);
            }
            1 => chars.insert(at, alphabet[rng.below(alphabet.len())]),
            _ => chars[at] = alphabet[rng.below(alphabet.len())],
        }
    }
    chars.into_iter().collect()
}
