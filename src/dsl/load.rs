//! Reads a `.pipe` file and everything it imports, relative to the importing file, once each;
//! an import cycle is an error at the import that closes it.

use super::ast::FileAst;
use super::diagnostics::Diagnostic;
use super::parse::parse_file;
use super::source::{FileId, SourceMap, Span};
use std::path::{Path, PathBuf};

/// Every file of a program, parsed.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    /// Parsed files, each after the files it imports (the root last).
    pub files: Vec<(FileId, FileAst)>,
    pub root: Option<FileId>,
}

impl Loaded {
    pub fn ast(&self, file: FileId) -> Option<&FileAst> {
        self.files
            .iter()
            .find(|(id, _)| *id == file)
            .map(|(_, ast)| ast)
    }
}

/// Loads `root` and its imports; errors go to `errors`, and what could be read is returned.
pub fn load(root: &Path, errors: &mut Vec<Diagnostic>) -> Loaded {
    let mut loaded = Loaded::default();
    let mut stack = Vec::new();
    loaded.root = load_file(
        &mut loaded,
        root,
        root.display().to_string(),
        None,
        &mut stack,
        errors,
    );
    loaded
}

fn load_file(
    loaded: &mut Loaded,
    path: &Path,
    name: String,
    imported_at: Option<Span>,
    stack: &mut Vec<(PathBuf, String)>,
    errors: &mut Vec<Diagnostic>,
) -> Option<FileId> {
    let unreadable = |why: String| match imported_at {
        Some(span) => Diagnostic::at(span, format!("cannot import `{name}`: {why}"))
            .help("import paths are relative to the file that imports them"),
        None => Diagnostic::general(format!("cannot read `{name}`: {why}")),
    };
    if let Some(span) = imported_at {
        // Never read (and so never quote in an error) a file that is not a `.pipe` file.
        if path.extension() != Some(std::ffi::OsStr::new("pipe")) {
            errors.push(
                Diagnostic::at(
                    span,
                    format!("cannot import `{name}`: it is not a `.pipe` file"),
                )
                .help("imports name `.pipe` files; rename the file if it is one"),
            );
            return None;
        }
    }
    let identity = match path.canonicalize() {
        Ok(p) => p,
        Err(e) => {
            errors.push(unreadable(e.to_string()));
            return None;
        }
    };
    if let Some(at) = stack.iter().position(|(p, _)| *p == identity) {
        let mut cycle: Vec<&str> = stack[at..].iter().map(|(_, n)| n.as_str()).collect();
        cycle.push(&name);
        if let Some(span) = imported_at {
            errors.push(
                Diagnostic::at(span, format!("import cycle: {}", cycle.join(" -> "))).help(
                    "remove one of these imports; move shared stages to a file both can import",
                ),
            );
        }
        return None;
    }
    if let Some(id) = loaded.sources.find(&identity) {
        return Some(id); // Imported twice along different paths: once is enough.
    }
    let text = match read_pipe_text(path) {
        Ok(text) => text,
        Err(why) => {
            errors.push(unreadable(why));
            return None;
        }
    };
    let id = loaded
        .sources
        .add(name.clone(), Some(identity.clone()), text);
    let ast = match parse_file(id, &loaded.sources.file(id).text) {
        Ok(ast) => ast,
        Err(mut parse_errors) => {
            errors.append(&mut parse_errors);
            return Some(id);
        }
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    stack.push((identity, name));
    for import in &ast.imports {
        let target = tidy(&dir.join(&import.path));
        let shown = target.display().to_string();
        load_file(loaded, &target, shown, Some(import.span), stack, errors);
    }
    stack.pop();
    loaded.files.push((id, ast));
    Some(id)
}

/// The text of a `.pipe` file: a regular file under the size cap, UTF-8, no byte-order mark.
/// The error says why not, never quoting the file's content.
fn read_pipe_text(path: &Path) -> Result<String, String> {
    use crate::data::input::{read_capped, BOM, MAX_PIPE_BYTES};
    let bytes = read_capped(path, MAX_PIPE_BYTES, "the .pipe file").map_err(|e| e.0)?;
    if bytes.starts_with(BOM) {
        return Err(
            "it starts with a byte-order mark (BOM, U+FEFF): save it as UTF-8 without BOM".into(),
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!(
            "it is not UTF-8 text (line {line} has the invalid byte 0x{:02x})",
            e.as_bytes()[at]
        )
    })
}

/// `a/b/../c` as `a/c`, without touching the file system, for readable names in messages.
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
