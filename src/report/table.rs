//! Runs side by side: the last evaluation of each metrics file, grouped by method (the file
//! name without its seed: `proxmo.2.metrics.jsonl` and `proxmo.3.metrics.jsonl` are runs
//! of `proxmo`), as mean and standard deviation over runs, overall and per task type.

use crate::stats::{mean_std, StdKind};
use anyhow::Result;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The last evaluation of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub method: String,
    pub success: f64,
    pub score: f64,
    pub by_kind: BTreeMap<String, f64>,
    pub iteration: u64,
}

/// `proxmo.2.metrics.jsonl` -> `proxmo`: the name up to its first `.` followed by a digit.
pub fn method_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    let end = parts
        .iter()
        .position(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .unwrap_or(parts.len().saturating_sub(1).max(1));
    parts[..end].join(".")
}

pub fn read_run(path: &Path) -> Result<RunResult> {
    let last = super::read_records(path)?
        .into_iter()
        .rev()
        .find(|r| r.get("eval_success_rate").is_some());
    let record = last.ok_or_else(|| {
        crate::data::InvalidInput(format!(
            "{} has no evaluation: run the pipeline with `eval_every` > 0",
            path.display()
        ))
    })?;
    // A missing or non-numeric figure would print as `NaN ± NaN`: refuse it by name.
    let f = |k: &str| {
        record
            .get(k)
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                crate::data::InvalidInput(format!(
                    "{}: the last evaluation has no number `{k}` (found {})",
                    path.display(),
                    record
                        .get(k)
                        .map_or("nothing".to_string(), |v| v.to_string())
                ))
            })
    };
    let by_kind = record
        .get("eval_success_by_kind")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_f64().map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    Ok(RunResult {
        method: method_of(path),
        success: f("eval_success_rate")?,
        score: f("eval_score")?,
        by_kind,
        iteration: record.get("iteration").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// A Markdown table: one row per method, success in percent as mean ± std over its runs.
pub fn markdown(runs: &[RunResult]) -> String {
    let mut methods: BTreeMap<&str, Vec<&RunResult>> = BTreeMap::new();
    for r in runs {
        methods.entry(&r.method).or_default().push(r);
    }
    let kinds: Vec<String> = runs
        .iter()
        .flat_map(|r| r.by_kind.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = String::from("| method | runs | success % |");
    for k in &kinds {
        let _ = write!(out, " {k} % |");
    }
    out.push_str(" score |\n|---|---:|---:|");
    out.push_str(&"---:|".repeat(kinds.len()));
    out.push_str("---:|\n");
    for (method, rs) in methods {
        let cell = |xs: Vec<f64>| {
            let (m, s) = mean_std(&xs, StdKind::Unbiased);
            format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * s)
        };
        let _ = write!(
            out,
            "| {method} | {} | {} |",
            rs.len(),
            cell(rs.iter().map(|r| r.success).collect())
        );
        for k in &kinds {
            let xs: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.by_kind.get(k).copied())
                .collect();
            let _ = write!(
                out,
                " {} |",
                if xs.is_empty() { "-".into() } else { cell(xs) }
            );
        }
        let (score, _) = mean_std(
            &rs.iter().map(|r| r.score).collect::<Vec<_>>(),
            StdKind::Unbiased,
        );
        let _ = writeln!(out, " {score:.1} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_drop_the_seed() {
        assert_eq!(method_of(Path::new("/x/proxmo.2.jsonl")), "proxmo");
        assert_eq!(
            method_of(Path::new("train_alfworld.grpo.3.metrics.jsonl")),
            "train_alfworld.grpo"
        );
        assert_eq!(method_of(Path::new("gigpo.metrics.jsonl")), "gigpo.metrics");
    }

    #[test]
    fn table_has_mean_and_std_per_method() {
        let run = |m: &str, s: f64| RunResult {
            method: m.into(),
            success: s,
            score: 100.0 * s,
            by_kind: [("pick".to_string(), s)].into_iter().collect(),
            iteration: 9,
        };
        let t = markdown(&[run("a", 0.5), run("a", 0.7), run("b", 0.1)]);
        assert!(
            t.contains("| a | 2 | 60.0 ± 14.1 | 60.0 ± 14.1 | 60.0 |"),
            "{t}"
        );
        assert!(t.contains("| b | 1 | 10.0 ± 0.0 |"), "{t}");
    }
}
