//! Reading and writing step rows: the advantage-only pipeline's file formats.

pub mod atomic;
pub mod file_kind;
pub mod input;
pub mod jsonl;
pub mod temp_registry;

/// Bad user data (a malformed file, a missing field): the CLI exits with code 2 on it.
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}
