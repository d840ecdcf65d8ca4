//! The text of every `.pipe` file (and `--set` argument) a resolution reads, and spans into it.

use std::path::{Path, PathBuf};

pub use crate::stage::span::{FileId, Span};

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// How the file is named in messages (`pipelines/advantage.pipe`, or `--set`).
    pub name: String,
    /// Where it lives, for resolving its imports; `None` for command-line text.
    pub path: Option<PathBuf>,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: String, path: Option<PathBuf>, text: String) -> FileId {
        self.files.push(SourceFile { name, path, text });
        self.files.len() - 1
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// The id of an already loaded file at `path`.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path.as_deref() == Some(path))
    }

    /// 1-based line and column (in characters) of a byte offset, and the text of that line.
    pub fn locate(&self, file: FileId, offset: usize) -> (usize, usize, &str) {
        let text = &self.files[file].text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let line = text[..offset].matches('\n').count() + 1;
        let col = text[line_start..offset].chars().count() + 1;
        (line, col, text[line_start..line_end].trim_end_matches('\r'))
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
