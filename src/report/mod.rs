//! Reading what runs wrote: plots of the per-batch metrics a `sink.metrics` stage records,
//! and tables comparing runs.

pub mod paired;
pub mod svg;
pub mod table;

use anyhow::{bail, Result};
use serde_json::Value;
use std::path::Path;

/// One metric over the batches of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// (iteration, value) pairs, in file order; lines without the metric are skipped.
    pub points: Vec<(f64, f64)>,
}

/// Every record of a metrics file (one JSON object per line, blank lines skipped).
pub fn read_records(path: &Path) -> Result<Vec<Value>> {
    use crate::data::input::{read_capped, utf8_lines, MAX_JSONL_BYTES};
    let bytes = read_capped(path, MAX_JSONL_BYTES, "the metrics file")?;
    utf8_lines(path, &bytes)?
        .into_iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                crate::data::InvalidInput(format!(
                    "{}:{}: invalid JSON: {e}",
                    path.display(),
                    i + 1
                ))
                .into()
            })
        })
        .collect()
}

/// Every record of a metrics file as the typed record the run wrote (`sink.metrics`).
pub fn read_metrics(path: &Path) -> Result<Vec<crate::metrics::BatchMetrics>> {
    read_records(path)?
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let object = record.as_object().cloned().unwrap_or_default();
            crate::metrics::BatchMetrics::from_json(&object).map_err(|why| {
                crate::data::InvalidInput(format!("{}: record {}: {why}", path.display(), i + 1))
                    .into()
            })
        })
        .collect()
}

/// Reads the named metrics from a metrics file. The x value is a record's `iteration`, or
/// its position when it has none.
pub fn read_series(path: &Path, names: &[String]) -> Result<Vec<Series>> {
    let records = read_records(path)?;
    if records.is_empty() {
        bail!(crate::data::InvalidInput(format!(
            "{} holds no metrics",
            path.display()
        )));
    }
    Ok(names
        .iter()
        .map(|name| Series {
            name: name.clone(),
            points: points_of(&records, name),
        })
        .collect())
}

/// The (iteration, value) points of metric `name` over `records`, in record order; records
/// without a finite value are skipped, and a record without `iteration` counts by position.
/// An evaluation's fields stand at the number of batches its policy had trained on
/// (`evaluated_after`, docs/metrics.md), so an evaluation before training is at 0.
pub fn points_of(records: &[Value], name: &str) -> Vec<(f64, f64)> {
    let x_field = match name.starts_with("eval_") {
        true => crate::metrics::EVALUATED_AFTER,
        false => "iteration",
    };
    records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let x = r
                .get(x_field)
                .or_else(|| r.get("iteration"))
                .and_then(Value::as_f64)
                .unwrap_or(i as f64);
            let y = r
                .get(name)
                .and_then(Value::as_f64)
                .filter(|y| y.is_finite())?;
            Some((x, y))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluations_stand_at_the_batches_their_policy_trained_on() {
        let records: Vec<Value> = [
            r#"{"evaluated_after": 0, "eval_success_rate": 0.0}"#,
            r#"{"iteration": 0, "success_rate": 0.1}"#,
            r#"{"iteration": 1, "success_rate": 0.3, "evaluated_after": 2, "eval_success_rate": 0.5}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        assert_eq!(
            points_of(&records, "eval_success_rate"),
            [(0.0, 0.0), (2.0, 0.5)]
        );
        assert_eq!(
            points_of(&records, "success_rate"),
            [(0.0, 0.1), (1.0, 0.3)]
        );
    }
}
