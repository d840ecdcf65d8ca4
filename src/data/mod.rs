//! Reading and writing step rows: the advantage-only pipeline's file formats.

pub mod atomic;
pub mod file_kind;
pub mod input;
pub mod jsonl;
pub mod temp_registry;
pub mod tfevents;

pub use crate::error::InvalidInput;
