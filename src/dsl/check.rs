//! Checks one literal against a parameter's schema: type, allowed choices, range.

use super::ast::{ValueKind, ValueNode};
use super::diagnostics::Diagnostic;
use crate::stage::{ParamSpec, ParamType, Value};

/// `node` as a plain value, without a schema (list items, unknown parameters).
pub fn plain(node: &ValueNode) -> Result<Value, Diagnostic> {
    Ok(match &node.kind {
        ValueKind::Int(i) => Value::Int(*i),
        ValueKind::Float(x) => Value::Float(*x),
        ValueKind::Bool(b) => Value::Bool(*b),
        ValueKind::Str(s) => Value::Str(s.clone()),
        ValueKind::List(items) => Value::List(items.iter().map(plain).collect::<Result<_, _>>()?),
        ValueKind::Stage(expr) => {
            return Err(Diagnostic::at(
                node.span,
                format!("a stage (`{}`) cannot go in a list", expr.base.name),
            )
            .help("lists hold numbers, booleans and strings"))
        }
        ValueKind::Reference(name) => {
            return Err(Diagnostic::at(
                node.span,
                format!("expected a value, found the name `{}`", name.name),
            )
            .help(format!("if you meant text, quote it: \"{}\"", name.name)))
        }
    })
}

/// Checks a scalar or list literal against `spec`; `owner` names the stage in messages.
/// `words_are_strings` is set for `--set` values, where `profile=reference` needs no quotes.
pub fn against_spec(
    node: &ValueNode,
    spec: &ParamSpec,
    owner: &str,
    words_are_strings: bool,
) -> Result<Value, Diagnostic> {
    let value = match (&node.kind, words_are_strings) {
        (ValueKind::Reference(word), true) => Value::Str(word.name.clone()),
        _ => plain(node)?,
    };
    let mismatch = |expected: &str, value: &Value| {
        let d = Diagnostic::at(
            node.span,
            format!(
                "`{owner}.{}` expects {expected}, found {} `{value}`",
                spec.name,
                value.type_name()
            ),
        );
        match (&spec.ty, value) {
            (ParamType::Int, Value::Float(_)) => {
                d.help("write a whole number without a decimal point")
            }
            (ParamType::Str | ParamType::Choice(_), _) => {
                d.help(format!("quote text: {}", quoted(value)))
            }
            (ParamType::Bool, _) => d.help("write `true` or `false` (without quotes)"),
            _ => d.help(format!("{}: {}", spec.name, spec.doc)),
        }
    };
    let value = match (&spec.ty, value) {
        (ParamType::Int, v @ Value::Int(_)) => v,
        (ParamType::Float, Value::Int(i)) => Value::Float(i as f64),
        (ParamType::Float, v @ Value::Float(_)) => v,
        (ParamType::Bool, v @ Value::Bool(_)) => v,
        (ParamType::Str, v @ Value::Str(_)) => v,
        (ParamType::List(item), Value::List(items)) => {
            let ValueKind::List(nodes) = &node.kind else {
                return Err(mismatch(&article(&spec.ty.describe()), &Value::List(items)));
            };
            for (item_node, item_value) in nodes.iter().zip(&items) {
                if !item_fits(item, item_value) {
                    return Err(Diagnostic::at(
                        item_node.span,
                        format!(
                            "`{owner}.{}` holds {}, found {} `{item_value}`",
                            spec.name,
                            spec.ty.describe().trim_start_matches("list of "),
                            item_value.type_name()
                        ),
                    )
                    .help(match item {
                        ParamType::Str => format!("quote text: {}", quoted(item_value)),
                        _ => format!("{}: {}", spec.name, spec.doc),
                    }));
                }
            }
            Value::List(items)
        }
        (ParamType::Choice(options), Value::Str(s)) => {
            if !options.contains(&s.as_str()) {
                let d = Diagnostic::at(
                    node.span,
                    format!(
                        "`{owner}.{}` must be one of {}, found {s:?}",
                        spec.name,
                        spec.ty.describe()
                    ),
                );
                return Err(
                    match super::diagnostics::closest(&s, options.iter().copied()) {
                        Some(best) => d.help(format!("did you mean \"{best}\"?")),
                        None => d.help(format!("{}: {}", spec.name, spec.doc)),
                    },
                );
            }
            Value::Str(s)
        }
        (ty, other) => return Err(mismatch(&article(&ty.describe()), &other)),
    };
    if let Some(x) = value.as_f64() {
        if !spec.range.contains(x) {
            return Err(Diagnostic::at(
                node.span,
                format!(
                    "`{owner}.{}` must lie in {}, found {value}",
                    spec.name,
                    spec.range.describe()
                ),
            )
            .help(format!("{}: {}", spec.name, spec.doc)));
        }
    }
    Ok(value)
}

/// Whether a list item has the list's item type (ints widen to floats).
fn item_fits(item: &ParamType, value: &Value) -> bool {
    matches!(
        (item, value),
        (ParamType::Int, Value::Int(_))
            | (ParamType::Float, Value::Int(_) | Value::Float(_))
            | (ParamType::Bool, Value::Bool(_))
            | (ParamType::Str, Value::Str(_))
    )
}

fn quoted(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("{s:?}"),
        other => format!("\"{other}\""),
    }
}

fn article(ty: &str) -> String {
    if ty.contains('|') {
        format!("one of {ty}")
    } else if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {ty}")
    } else {
        format!("a {ty}")
    }
}
