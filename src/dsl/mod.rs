//! The `.pipe` language: parse (pest, `grammar/pipe.pest`), follow imports, resolve stages and
//! pipelines against the stage registry, and report every error with its place in the file.

pub mod ast;
pub mod check;
pub mod diagnostics;
pub mod load;
pub mod overrides;
pub mod parse;
pub mod resolve;
pub mod scan;
pub mod select;
pub mod source;
pub mod wiring;

pub use diagnostics::{Diagnostic, Diagnostics, Located};
pub use select::Selection;

use crate::pipeline::resolved::ResolvedPipeline;
use std::path::Path;

/// Loads `path` (and its imports), applies `--set` overrides and resolves the selected
/// pipelines. Either every selected pipeline resolves, or all errors come back together.
pub fn load_pipelines(
    path: &Path,
    selection: Selection,
    sets: &[String],
) -> Result<Vec<ResolvedPipeline>, Diagnostics> {
    let mut errors = Vec::new();
    let mut loaded = load::load(path, &mut errors);
    let overrides = overrides::parse_overrides(sets, &mut loaded.sources, &mut errors);
    if !errors.is_empty() {
        // A file that did not parse would only add confusing follow-up errors.
        return Err(Diagnostics {
            sources: loaded.sources,
            errors,
        });
    }
    let (pipelines, mut more) = resolve::resolve(&loaded, overrides, selection);
    errors.append(&mut more);
    if errors.is_empty() {
        Ok(pipelines)
    } else {
        Err(Diagnostics {
            sources: loaded.sources,
            errors,
        })
    }
}
