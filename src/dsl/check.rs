//! Checks one literal against a parameter's schema: type, allowed choices, range.

use super::ast::{ValueKind, ValueNode};
use super::diagnostics::Diagnostic;
use super::source::Span;
use crate::kinds;
use crate::stage::{ParamDefault, ParamSpec, ParamType, Params, Value};

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
        (ValueKind::Str(text), true) => read_set_text(node, text, spec, owner)?,
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
            (ParamType::Choice(_), _) => d.help(format!("write one of {}", spec.ty.describe())),
            (ParamType::Str, _) => d.help("text goes in double quotes: name = \"text\""),
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

/// Parameters given in code (the Python package's keyword arguments) checked against
/// `kind`'s schema exactly as a `.pipe` file's are (names with "did you mean", types, choices,
/// ranges), with every default filled in. The first mistake comes back, with no place.
pub fn params_from_code(kind: &str, given: &[(String, Value)]) -> Result<Params, Diagnostic> {
    let schemas = kinds::schemas();
    let schema = schemas.iter().find(|s| s.kind == kind).ok_or_else(|| {
        Diagnostic::general(format!("unknown stage kind `{kind}`"))
            .suggest(kind, schemas.iter().map(|s| s.kind))
    })?;
    let mut params = std::collections::BTreeMap::new();
    for spec in &schema.params {
        if let ParamDefault::Value(v) = &spec.default {
            params.insert(spec.name.to_string(), v.clone());
        }
    }
    for (name, value) in given {
        let Some(spec) = schema.param(name) else {
            return Err(
                Diagnostic::general(format!("`{kind}` has no parameter `{name}`"))
                    .suggest(name, schema.params.iter().map(|p| p.name)),
            );
        };
        let node = literal(value).ok_or_else(|| {
            Diagnostic::general(format!("`{kind}.{name}` cannot be a {}", value.type_name()))
        })?;
        let checked =
            against_spec(&node, spec, kind, false).map_err(|d| Diagnostic { span: None, ..d })?;
        params.insert(name.clone(), checked);
    }
    if let Some(missing) = schema
        .params
        .iter()
        .find(|p| p.default == ParamDefault::Required && !params.contains_key(p.name))
    {
        return Err(Diagnostic::general(format!(
            "`{kind}` needs the parameter `{}`",
            missing.name
        ))
        .help(format!("{}: {}", missing.name, missing.doc)));
    }
    Ok(Params(params))
}

/// A value as the literal that would have written it; stages have no literal.
fn literal(value: &Value) -> Option<ValueNode> {
    // Code-given values have no place in any file: messages drop the span.
    let span = Span {
        file: 0,
        start: 0,
        end: 0,
    };
    let kind = match value {
        Value::Int(i) => ValueKind::Int(*i),
        Value::Float(x) => ValueKind::Float(*x),
        Value::Bool(b) => ValueKind::Bool(*b),
        Value::Str(s) => ValueKind::Str(s.clone()),
        Value::List(items) => ValueKind::List(items.iter().map(literal).collect::<Option<_>>()?),
        Value::Stage(_) => return None,
    };
    Some(ValueNode { kind, span })
}

fn quoted(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("{s:?}"),
        other => format!("\"{other}\""),
    }
}

/// A `--set` value is text; a number or boolean parameter reads it as one. A number too
/// large for its type is said to be out of range (not "a string").
fn read_set_text(
    node: &ValueNode,
    text: &str,
    spec: &ParamSpec,
    owner: &str,
) -> Result<Value, Diagnostic> {
    let out_of_range = |limit: &str| {
        Diagnostic::at(
            node.span,
            format!("`{owner}.{}`: {text} is out of range", spec.name),
        )
        .help(format!("{limit}; {}: {}", spec.name, spec.doc))
    };
    Ok(match spec.ty {
        ParamType::Int if is_integer_text(text) => match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => return Err(out_of_range("integers must fit in 64 bits")),
        },
        ParamType::Int if is_number_text(text) => Value::Float(text.parse().unwrap_or(f64::NAN)),
        ParamType::Float if is_number_text(text) => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Value::Float(x),
            _ => return Err(out_of_range("floats must lie within about ±1.8e308")),
        },
        ParamType::Bool if text == "true" || text == "false" => Value::Bool(text == "true"),
        _ => Value::Str(text.to_string()),
    })
}

/// `-12`: an integer as the `.pipe` language writes it.
fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `-1.5e3`, `2e-2`, `7`: a number as the `.pipe` language writes it (no `inf`, no `NaN`).
fn is_number_text(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole)
        && fraction.map_or(true, digits)
        && exponent.map_or(true, |e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_params_get_defaults_and_the_pipe_files_checks() {
        let p = params_from_code("advantage.proxmo", &[("tau".into(), Value::Int(1))]).unwrap();
        assert_eq!(p.get("tau"), Some(&Value::Float(1.0)));
        assert_eq!(p.get("gamma"), Some(&Value::Float(0.95)));
        assert_eq!(p.get("beta"), None, "derived defaults stay unset");

        let e =
            params_from_code("advantage.proxmo", &[("tua".into(), Value::Float(0.2))]).unwrap_err();
        assert_eq!(e.message, "`advantage.proxmo` has no parameter `tua`");
        assert_eq!(e.help.as_deref(), Some("did you mean `tau`?"));

        let e = params_from_code("advantage.proxmo", &[("gamma".into(), Value::Float(1.5))])
            .unwrap_err();
        assert_eq!(
            e.message,
            "`advantage.proxmo.gamma` must lie in (0, 1], found 1.5"
        );
        assert_eq!(e.span, None);

        let e = params_from_code(
            "advantage.gigpo",
            &[("norm".into(), Value::Str("mean".into()))],
        )
        .unwrap_err();
        assert!(e.message.contains("must be one of"), "{}", e.message);

        let e = params_from_code("advantage.proxmo", &[("psc".into(), Value::Int(1))]).unwrap_err();
        assert!(e.message.contains("expects a bool"), "{}", e.message);

        let e = params_from_code("advantage.proxmoo", &[]).unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `advantage.proxmo`?"));

        let e = params_from_code("source.jsonl", &[]).unwrap_err();
        assert_eq!(e.message, "`source.jsonl` needs the parameter `path`");
    }
}
