//! The `.pipe` language: parse (pest, `grammar/pipe.pest`), follow imports, resolve stages and
//! pipelines against the kind table (`crate::kinds`), and report every error with its place in
//! the file.

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

use crate::stage::ResolvedPipeline;
use std::path::Path;

/// Loads `path` (and its imports), applies `--set` overrides and resolves the selected
/// pipelines. Either every selected pipeline resolves, or all errors come back together.
pub fn load_pipelines(
    path: &Path,
    selection: Selection,
    sets: &[String],
) -> Result<Vec<ResolvedPipeline>, Diagnostics> {
    load_checked(path, selection, sets, |_| Vec::new())
}

/// Like [`load_pipelines`], then runs `check` on every resolved pipeline (the planner's
/// rules, which live above this layer); its diagnostics are reported with the file's.
pub fn load_checked(
    path: &Path,
    selection: Selection,
    sets: &[String],
    check: impl Fn(&ResolvedPipeline) -> Vec<Diagnostic>,
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
        for p in &pipelines {
            errors.extend(check(p));
        }
    }
    if errors.is_empty() {
        Ok(pipelines)
    } else {
        Err(Diagnostics {
            sources: loaded.sources,
            errors,
        })
    }
}
