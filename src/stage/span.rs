//! Places in `.pipe` sources. Resolved stages keep them so that checks made after resolution
//! (wiring, paths, splits) still point at the line and column the user wrote.

/// Index of a source file in the DSL's source map.
pub type FileId = usize;

/// A byte range in one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}
