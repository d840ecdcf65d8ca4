//! `--set STAGE.PARAM=VALUE` (and `--set SETTING=VALUE` for pipeline settings) from the
//! command line, parsed into nodes located in their own pseudo-source so errors can point at
//! them like at a file.

use super::ast::{Ident, Param, ValueKind, ValueNode};
use super::diagnostics::Diagnostic;
use super::parse::parse_value;
use super::source::{FileId, SourceMap, Span};

/// One `--set` (or a parameter a sequence's step sets): the stage it targets (`None` for a
/// pipeline setting) and the parameter.
#[derive(Debug, Clone)]
pub struct Override {
    pub stage: Option<Ident>,
    pub param: Param,
    pub file: FileId,
    /// From the command line, where a string value needs no quotes (docs/inputs.md).
    pub command_line: bool,
}

/// Parses every `--set` argument; each gets a source named `--set`.
pub fn parse_overrides(
    args: &[String],
    sources: &mut SourceMap,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Override> {
    // Values that are not literals become text, so this only reports malformed keys.
    let mut out = Vec::new();
    for arg in args {
        let file = sources.add("--set".into(), None, arg.clone());
        let span = |start: usize, end: usize| Span { file, start, end };
        let Some(eq) = arg.find('=') else {
            errors.push(
                Diagnostic::at(span(0, arg.len()), format!("`--set {arg}` has no `=`"))
                    .help("write --set STAGE.PARAM=VALUE, e.g. --set credit.tau=0.5"),
            );
            continue;
        };
        let key = &arg[..eq];
        let (stage, param_start) = match key.split_once('.') {
            Some((stage, _)) => (Some(stage), stage.len() + 1),
            None => (None, 0),
        };
        let param_name = &key[param_start..];
        let bad_name =
            |n: &str| n.is_empty() || !n.chars().all(|c| c.is_alphanumeric() || c == '_');
        if stage.is_some_and(bad_name) || bad_name(param_name) {
            errors.push(
                Diagnostic::at(span(0, eq.max(1)), format!("`{key}` is not STAGE.PARAM"))
                    .help("write --set STAGE.PARAM=VALUE, e.g. --set credit.tau=0.5"),
            );
            continue;
        }
        let value = set_value(file, arg, eq + 1);
        out.push(Override {
            stage: stage.map(|s| Ident {
                name: s.to_string(),
                span: span(0, s.len()),
            }),
            param: Param {
                name: Ident {
                    name: param_name.to_string(),
                    span: span(param_start, eq),
                },
                value,
            },
            file,
            command_line: true,
        });
    }
    out
}

/// The value of `--set KEY=VALUE`: everything after `=`, literally (`#` and spaces kept), as
/// text that the parameter's type then reads (docs/inputs.md, "--set values"). Only a list
/// (`[1, 2]`), a nested stage (`policy.linear { .. }`), a bare name or a double-quoted
/// string that makes up the whole value is read as `.pipe` syntax.
fn set_value(file: FileId, arg: &str, start: usize) -> ValueNode {
    let whole = Span {
        file,
        start,
        end: arg.len(),
    };
    match parse_value(file, arg, start) {
        Ok(node)
            if node.span == whole
                && matches!(
                    node.kind,
                    ValueKind::List(_)
                        | ValueKind::Stage(_)
                        | ValueKind::Reference(_)
                        | ValueKind::Str(_)
                ) =>
        {
            node
        }
        _ => ValueNode {
            kind: ValueKind::Str(arg[start..].to_string()),
            span: whole,
        },
    }
}
