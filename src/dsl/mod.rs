//! The `.pipe` language: parse (pest, `grammar/pipe.pest`), follow imports, resolve stages,
//! pipelines and sequences against the kind table (`crate::kinds`), and report every error
//! with its place in the file.

pub mod ast;
pub mod check;
pub mod diagnostics;
pub mod load;
pub mod overrides;
pub mod parse;
pub mod resolve;
pub mod scan;
pub mod select;
pub mod sequence;
pub mod source;
pub mod wiring;

pub use diagnostics::{Diagnostic, Diagnostics, Located};
pub use select::Selection;

use crate::stage::{ResolvedPipeline, Runnable};
use source::SourceMap;
use std::path::Path;

/// A loaded program: what was selected, resolved, with the sources its spans point into (to
/// render errors found later, such as a sequence step's plan at run time).
#[derive(Debug)]
pub struct Program {
    pub sources: SourceMap,
    pub runnables: Vec<Runnable>,
}

impl Program {
    /// `errors` rendered against this program's sources.
    pub fn diagnostics(&self, errors: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics {
            sources: self.sources.clone(),
            errors,
        }
    }
}

/// Loads `path` (and its imports), applies `--set` overrides and resolves the selected
/// pipelines; sequences are checked but not returned. Either every selected pipeline
/// resolves, or all errors come back together.
pub fn load_pipelines(
    path: &Path,
    selection: Selection,
    sets: &[String],
) -> Result<Vec<ResolvedPipeline>, Diagnostics> {
    let program = load_checked(path, selection, sets, |_| Vec::new())?;
    Ok(program
        .runnables
        .into_iter()
        .filter_map(|r| match r {
            Runnable::Pipeline(p) => Some(p),
            Runnable::Sequence(_) => None,
        })
        .collect())
}

/// Loads the selected pipelines and sequences, then runs `check` on each (the planner's
/// rules, which live above this layer); its diagnostics are reported with the file's.
pub fn load_checked(
    path: &Path,
    selection: Selection,
    sets: &[String],
    check: impl Fn(&Runnable) -> Vec<Diagnostic>,
) -> Result<Program, Diagnostics> {
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
    let (runnables, mut more) = resolve::resolve(&loaded, overrides, selection);
    errors.append(&mut more);
    if errors.is_empty() {
        for r in &runnables {
            errors.extend(check(r));
        }
    }
    if errors.is_empty() {
        Ok(Program {
            sources: loaded.sources,
            runnables,
        })
    } else {
        Err(Diagnostics {
            sources: loaded.sources,
            errors,
        })
    }
}
