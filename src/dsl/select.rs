//! Which pipelines a command works on: the one named with `--pipeline`, the root file's
//! default (or its only one), or all of the root file's; and the errors for a name declared
//! twice or a second default (docs/pipe-language.md, "Which pipeline runs").

use super::ast::{Ident, PipelineDecl, SequenceDecl};
use super::diagnostics::Diagnostic;
use super::load::Loaded;
use super::source::{FileId, SourceMap, Span};
use std::collections::HashMap;

/// Which pipelines to resolve.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The named one (a pipeline or a sequence), or the root file's default or only one.
    One(Option<String>),
    /// Every pipeline and sequence of the root file (`proxmo check`).
    All,
}

/// A declaration `proxmo run` can run: a pipeline, or a sequence of pipelines.
#[derive(Debug, Clone, Copy)]
pub enum Decl<'a> {
    Pipeline(&'a PipelineDecl),
    Sequence(&'a SequenceDecl),
}

impl<'a> Decl<'a> {
    pub fn name(&self) -> &'a Ident {
        match self {
            Decl::Pipeline(p) => &p.name,
            Decl::Sequence(s) => &s.name,
        }
    }

    fn default(&self) -> Option<Span> {
        match self {
            Decl::Pipeline(p) => p.default,
            Decl::Sequence(s) => s.default,
        }
    }

    fn keyword(&self) -> Span {
        match self {
            Decl::Pipeline(p) => p.keyword,
            Decl::Sequence(s) => s.keyword,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Decl::Pipeline(_) => "pipeline",
            Decl::Sequence(_) => "sequence",
        }
    }

    fn file(&self) -> FileId {
        self.keyword().file
    }
}

/// `name` declared again; the hint says where the first declaration is.
pub fn duplicate(sources: &SourceMap, name: &Ident, what: &str, first: Span) -> Diagnostic {
    let (line, col, _) = sources.locate(first.file, first.start);
    let file = &sources.file(first.file).name;
    let unique = match what {
        "stage" => "stage names are",
        _ => "pipeline and sequence names are",
    };
    Diagnostic::at(name.span, format!("{what} `{}` is declared twice", name.name)).help(format!(
        "the first is at {file}:{line}:{col}; rename one of them: {unique} unique across a file and its imports"
    ))
}

/// Every pipeline and sequence declared in the program, each file's in source order; a
/// repeated name (pipelines and sequences share names) is an error.
pub fn declared<'a>(loaded: &'a Loaded, errors: &mut Vec<Diagnostic>) -> Vec<Decl<'a>> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut out = Vec::new();
    for (_, ast) in &loaded.files {
        let mut in_file: Vec<Decl<'a>> = ast.pipelines.iter().map(Decl::Pipeline).collect();
        in_file.extend(ast.sequences.iter().map(Decl::Sequence));
        in_file.sort_by_key(|d| d.keyword().start);
        for decl in in_file {
            let name = decl.name();
            if let Some(first) = seen.get(name.name.as_str()) {
                errors.push(duplicate(&loaded.sources, name, decl.what(), *first));
                continue;
            }
            seen.insert(&name.name, name.span);
            out.push(decl);
        }
    }
    out
}

/// A file marks at most one default; the second is an error wherever the file is read.
pub fn check_defaults(loaded: &Loaded, all: &[Decl], errors: &mut Vec<Diagnostic>) {
    let mut first: HashMap<FileId, (Span, &str)> = HashMap::new();
    for decl in all {
        let Some(at) = decl.default() else { continue };
        match first.get(&decl.file()) {
            Some((span, name)) => {
                let (line, col, _) = loaded.sources.locate(span.file, span.start);
                let file = &loaded.sources.file(span.file).name;
                errors.push(
                    Diagnostic::at(at, format!("a second default: `{}` and `{name}` are both marked `default`", decl.name().name))
                        .help(format!("the first is at {file}:{line}:{col}; a file has at most one default: remove one `default`")),
                );
            }
            None => {
                first.insert(decl.file(), (at, &decl.name().name));
            }
        }
    }
}

/// `n pipelines and a sequence`, for messages.
fn counted(decls: &[Decl]) -> String {
    let count = |what: &str| decls.iter().filter(|d| d.what() == what).count();
    let words = |n: usize, what: &str| match n {
        1 => format!("a {what}"),
        n => format!("{n} {what}s"),
    };
    match (count("pipeline"), count("sequence")) {
        (p, 0) => words(p, "pipeline"),
        (0, s) => words(s, "sequence"),
        (p, s) => format!("{} and {}", words(p, "pipeline"), words(s, "sequence")),
    }
}

fn names(decls: &[Decl]) -> String {
    decls
        .iter()
        .map(|d| format!("`{}`", d.name().name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The declarations `selection` asks for, or an error saying which exist.
pub fn choose<'a>(
    loaded: &Loaded,
    all: &[Decl<'a>],
    selection: &Selection,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Decl<'a>> {
    let in_root: Vec<Decl<'a>> = all
        .iter()
        .copied()
        .filter(|d| Some(d.file()) == loaded.root)
        .collect();
    match selection {
        Selection::All => in_root,
        Selection::One(Some(wanted)) => match all.iter().find(|d| d.name().name == *wanted) {
            Some(d) => vec![*d],
            None => {
                let d = Diagnostic::general(format!("no pipeline or sequence named `{wanted}`"));
                let d = match super::diagnostics::closest(
                    wanted,
                    all.iter().map(|d| d.name().name.as_str()),
                ) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None if all.is_empty() => d.help("the file declares no pipeline"),
                    None => d.help(format!("pipelines: {}", names(all))),
                };
                errors.push(d);
                Vec::new()
            }
        },
        Selection::One(None) => {
            if let Some(d) = in_root.iter().find(|d| d.default().is_some()) {
                return vec![*d];
            }
            match in_root.as_slice() {
                [one] => vec![*one],
                [] => {
                    errors.push(no_pipeline(loaded, all));
                    Vec::new()
                }
                many => {
                    let first = many[0];
                    errors.push(
                        Diagnostic::at(
                            first.keyword(),
                            format!(
                                "the file declares {} and marks none as the default",
                                counted(many)
                            ),
                        )
                        .help(format!(
                            "pick one with --pipeline NAME ({}), or mark the one `proxmo run` runs without it: `default {} {} {{ ... }}`",
                            names(many),
                            first.what(),
                            first.name().name
                        )),
                    );
                    Vec::new()
                }
            }
        }
    }
}

/// The root file declares nothing to run; an imported file's default is named, since it
/// counts only when that file is run itself.
fn no_pipeline(loaded: &Loaded, all: &[Decl]) -> Diagnostic {
    let d = Diagnostic::general("the file declares no pipeline");
    match all.iter().find(|d| d.default().is_some()) {
        Some(imported) => {
            let file = &loaded.sources.file(imported.file()).name;
            d.help(format!(
                "{file} marks `{}` as its default, which counts only when {file} is run itself: run that file, or pick it with --pipeline {}",
                imported.name().name,
                imported.name().name
            ))
        }
        None => {
            d.help("add `pipeline NAME { a -> b -> c }`, or run the file that imports this one")
        }
    }
}
