//! The advantage pipeline's JSON-lines format: one object per step row in, the same objects
//! with their advantages out (README "Input and output").

use super::atomic::write_atomically;
use super::input::{read_capped, utf8_lines, MAX_JSONL_BYTES};
use super::InvalidInput;
use crate::advantage::Advantages;
use crate::batch::{Batch, RowInput};
use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// Rows read from a file: the batch, and each row's original object (to echo it back).
pub struct JsonlRows {
    pub batch: Batch,
    pub objects: Vec<Map<String, Value>>,
    /// 1-based line number of each row, for messages.
    pub lines: Vec<usize>,
}

fn invalid(path: &Path, line: usize, message: impl std::fmt::Display) -> anyhow::Error {
    InvalidInput(format!("{}:{line}: {message}", path.display())).into()
}

fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a Value, String> {
    obj.get(name)
        .ok_or_else(|| format!("missing field `{name}`"))
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn mistyped(name: &str, expected: &str, got: &Value) -> String {
    format!(
        "field `{name}` must be {expected}, got {} ({got})",
        type_of(got)
    )
}

fn string_field(obj: &Map<String, Value>, name: &str) -> Result<String, String> {
    match field(obj, name)? {
        Value::String(s) => Ok(s.clone()),
        other => Err(mistyped(name, "a string", other)),
    }
}

fn optional_bool(obj: &Map<String, Value>, name: &str) -> Result<Option<bool>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(mistyped(name, "true or false", other)),
    }
}

/// One object to a row; the error names the field.
fn parse_row(obj: &Map<String, Value>) -> Result<RowInput, String> {
    let step = match field(obj, "step")? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| format!("field `step` must be an integer in 0..=4294967295, got {n}"))?,
        other => return Err(mistyped("step", "an integer", other)),
    };
    let reward = match field(obj, "reward")? {
        Value::Number(n) => n
            .as_f64()
            .filter(|r| r.is_finite())
            .ok_or_else(|| format!("field `reward` must be a finite number, got {n}"))?,
        other => return Err(mistyped("reward", "a finite number", other)),
    };
    Ok(RowInput {
        group: string_field(obj, "group")?,
        traj: string_field(obj, "traj")?,
        step,
        obs: string_field(obj, "obs")?,
        reward,
        valid: optional_bool(obj, "valid")?.unwrap_or(true),
        won: optional_bool(obj, "won")?,
    })
}

/// Reads and validates a JSON-lines file of step rows. Blank lines are skipped.
pub fn read_rows(path: &Path) -> Result<JsonlRows> {
    let bytes = read_capped(path, MAX_JSONL_BYTES, "the rows file")?;
    let mut objects = Vec::new();
    let mut inputs = Vec::new();
    let mut lines = Vec::new();
    for (i, line) in utf8_lines(path, &bytes)?.into_iter().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| {
            invalid(
                path,
                line_no,
                format!(
                    "invalid JSON at column {}: {e}{}",
                    e.column(),
                    non_finite_hint(line, e.column())
                ),
            )
        })?;
        let Value::Object(obj) = value else {
            return Err(invalid(
                path,
                line_no,
                format!(
                    "expected a JSON object (one step row), got {}",
                    type_of(&value)
                ),
            ));
        };
        let row = parse_row(&obj).map_err(|m| invalid(path, line_no, m))?;
        inputs.push(row);
        objects.push(obj);
        lines.push(line_no);
    }
    if inputs.is_empty() {
        return Err(InvalidInput(format!(
            "{}: no step rows: the file is empty (expected one JSON object per line)",
            path.display()
        ))
        .into());
    }
    let batch = Batch::from_rows(inputs).map_err(|e| {
        let line = lines.get(e.row).copied().unwrap_or(0);
        invalid(path, line, format!("field `{}`: {}", e.field, e.message))
    })?;
    Ok(JsonlRows {
        batch,
        objects,
        lines,
    })
}

/// Every row's object, in input order, with the computed advantages added.
pub fn with_advantages(rows: &JsonlRows, adv: &Advantages) -> Vec<Map<String, Value>> {
    rows.objects
        .iter()
        .enumerate()
        .map(|(i, obj)| {
            let mut obj = obj.clone();
            for (name, values) in [
                ("step_return", &adv.step_return),
                ("episode_advantage", &adv.episode_advantage),
                ("step_advantage", &adv.step_advantage),
                ("advantage", &adv.advantage),
            ] {
                obj.insert(name.to_string(), number(values[i]));
            }
            obj
        })
        .collect()
}

/// Writes every row, in input order, with its fields plus the computed advantages.
pub fn write_rows(path: &Path, rows: &JsonlRows, adv: &Advantages) -> Result<()> {
    write_objects(path, &with_advantages(rows, adv))
}

/// Writes one JSON object per line, atomically: the file is complete or untouched.
pub fn write_objects(path: &Path, objects: &[Map<String, Value>]) -> Result<()> {
    write_atomically(path, |out| {
        for obj in objects {
            serde_json::to_writer(&mut *out, obj)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
    .with_context(|| format!("cannot write {}", path.display()))
}

/// Python's `json.dumps` writes `NaN` and `Infinity`, which are not JSON: say so.
fn non_finite_hint(line: &str, column: usize) -> &'static str {
    let at = line.get(column.saturating_sub(1)..).unwrap_or("");
    if ["NaN", "Infinity", "-Infinity"]
        .iter()
        .any(|t| at.starts_with(t))
    {
        " (NaN and Infinity are not JSON numbers; every reward must be finite)"
    } else {
        ""
    }
}

/// JSON has no NaN; the estimators never produce one, but a null beats a corrupt file.
pub fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

impl JsonlRows {
    /// Rows produced in process (by a rollout), with the objects a sink echoes: the input
    /// fields plus `extra` (e.g. the iteration) on every row.
    pub fn from_inputs(inputs: Vec<RowInput>, extra: &Map<String, Value>) -> Result<JsonlRows> {
        let objects: Vec<Map<String, Value>> = inputs
            .iter()
            .map(|r| {
                let mut obj = Map::new();
                obj.insert("group".into(), Value::from(r.group.clone()));
                obj.insert("traj".into(), Value::from(r.traj.clone()));
                obj.insert("step".into(), Value::from(r.step));
                obj.insert("obs".into(), Value::from(r.obs.clone()));
                obj.insert("reward".into(), number(r.reward));
                obj.insert("valid".into(), Value::from(r.valid));
                if let Some(won) = r.won {
                    obj.insert("won".into(), Value::from(won));
                }
                obj.extend(extra.clone());
                obj
            })
            .collect();
        let lines = (1..=objects.len()).collect();
        let batch = Batch::from_rows(inputs)
            .map_err(|e| anyhow::anyhow!("rollout row {}: `{}` {}", e.row, e.field, e.message))?;
        Ok(JsonlRows {
            batch,
            objects,
            lines,
        })
    }
}
