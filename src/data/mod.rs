//! Reading and writing step rows: the advantage-only pipeline's file formats.

pub mod atomic;
pub mod jsonl;

pub use crate::error::InvalidInput;
