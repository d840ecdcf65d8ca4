//! Runs side by side: the last evaluation of each metrics file and the area under its
//! evaluation curve, grouped by method (the file name without its seed:
//! `proxmo.2.metrics.jsonl` and `proxmo.3.metrics.jsonl` are runs of `proxmo` on seeds 2
//! and 3), as mean and standard deviation over runs, overall and per task type; the range of
//! the PSC weights the runs used; and every pair of methods compared seed by seed.

use super::paired::{compare, Paired};
use anyhow::Result;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The last evaluation of one run, and its evaluation curve summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub method: String,
    /// The part of the file name after the method (`2` in `proxmo.2.metrics.jsonl`).
    pub seed: String,
    pub success: f64,
    /// Area under the evaluation success curve over the evaluated iterations, divided by
    /// their span: the mean success over training (the last value when evaluated once).
    pub success_auc: f64,
    /// The smallest and largest PSC weight of any batch (ProxMO runs only).
    pub psc_range: Option<(f64, f64)>,
    pub score: f64,
    pub by_kind: BTreeMap<String, f64>,
    pub iteration: u64,
}

/// `proxmo.2.metrics.jsonl` -> `proxmo`: the name up to its first `.` followed by a digit.
pub fn method_of(path: &Path) -> String {
    method_and_seed(path).0
}

/// The method and the seed part of a metrics file name (`""` when there is no seed part).
pub fn method_and_seed(path: &Path) -> (String, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    let seed_at = parts
        .iter()
        .position(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let end = seed_at.unwrap_or(parts.len().saturating_sub(1).max(1));
    let seed = seed_at.map(|i| parts[i].to_string()).unwrap_or_default();
    (parts[..end].join("."), seed)
}

/// Trapezoidal area under `(x, y)` points divided by their x span; the mean of the ys when
/// they share one x.
pub fn curve_mean(points: &[(f64, f64)]) -> f64 {
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => return f64::NAN,
    };
    if span <= 0.0 {
        return points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    }
    let area: f64 = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    area / span
}

pub fn read_run(path: &Path) -> Result<RunResult> {
    let records = super::read_metrics(path)?;
    let last = records.iter().rev().find(|r| r.eval.is_some());
    let (record, eval) = last
        .and_then(|r| Some((r, r.eval.as_ref()?)))
        .ok_or_else(|| {
            crate::data::InvalidInput(format!(
                "{} has no evaluation: run the pipeline with `eval_every` > 0",
                path.display()
            ))
        })?;
    // A non-finite figure would print as `NaN ± NaN`: refuse it by name.
    let finite = |name: &str, x: f64| {
        if x.is_finite() {
            Ok(x)
        } else {
            Err(crate::data::InvalidInput(format!(
                "{}: the last evaluation's `{name}` is {x}",
                path.display()
            )))
        }
    };
    let curve: Vec<(f64, f64)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let x = r.evaluated_after.or(r.iteration).unwrap_or(i) as f64;
            let y = r.eval.as_ref()?.success_rate;
            y.is_finite().then_some((x, y))
        })
        .collect();
    // An evaluation before training has no batch, so no credit.
    let credit = || records.iter().filter_map(|r| r.credit.as_ref());
    let psc_range = credit()
        .map(|c| c.psc_weight_min)
        .reduce(f64::min)
        .zip(credit().map(|c| c.psc_weight_max).reduce(f64::max));
    let (method, seed) = method_and_seed(path);
    Ok(RunResult {
        method,
        seed,
        success: finite("eval_success_rate", eval.success_rate)?,
        success_auc: curve_mean(&curve),
        psc_range,
        score: finite("eval_score", eval.score)?,
        by_kind: eval.success_by_kind.clone(),
        iteration: record.iteration.unwrap_or(0) as u64,
    })
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    crate::stats::mean_std(xs, crate::stats::StdKind::Unbiased)
}

/// The methods in the order their first run appears, each with its runs.
fn by_method(runs: &[RunResult]) -> Vec<(&str, Vec<&RunResult>)> {
    let mut methods: Vec<(&str, Vec<&RunResult>)> = Vec::new();
    for r in runs {
        match methods.iter_mut().find(|(m, _)| *m == r.method) {
            Some((_, rs)) => rs.push(r),
            None => methods.push((&r.method, vec![r])),
        }
    }
    methods
}

/// A Markdown table: one row per method (in the order of its first run), success in percent
/// as mean ± std over its runs, at the last evaluation and as the area under the evaluation
/// curve; then every pair of methods compared seed by seed.
pub fn markdown(runs: &[RunResult]) -> String {
    let methods = by_method(runs);
    let kinds: Vec<String> = runs
        .iter()
        .flat_map(|r| r.by_kind.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = String::from("| method | runs | success % | success AUC % |");
    for k in &kinds {
        let _ = write!(out, " {k} % |");
    }
    out.push_str(" score | PSC weights |\n|---|---:|---:|---:|");
    out.push_str(&"---:|".repeat(kinds.len()));
    out.push_str("---:|---|\n");
    let cell = |xs: Vec<f64>| {
        let (m, s) = mean_std(&xs);
        format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * s)
    };
    for (method, rs) in &methods {
        let _ = write!(
            out,
            "| {method} | {} | {} | {} |",
            rs.len(),
            cell(rs.iter().map(|r| r.success).collect()),
            cell(rs.iter().map(|r| r.success_auc).collect())
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
        let (score, score_sd) = mean_std(&rs.iter().map(|r| r.score).collect::<Vec<_>>());
        let psc = rs
            .iter()
            .filter_map(|r| r.psc_range)
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        let psc = match psc {
            Some((lo, hi)) => format!("[{lo:.4}, {hi:.4}]"),
            None => "-".into(),
        };
        let _ = writeln!(out, " {score:.1} ± {score_sd:.1} | {psc} |");
    }
    let pairs = paired_table(&methods);
    if !pairs.is_empty() {
        out.push('\n');
        out.push_str(&pairs);
    }
    out
}

/// Every pair of methods (`a - b`, a listed first) over their shared seeds, in points: mean
/// difference with its bootstrap 95 % interval and wins / losses / ties, at the last
/// evaluation and for the area under the curve. `*` marks an interval that excludes 0.
fn paired_table(methods: &[(&str, Vec<&RunResult>)]) -> String {
    let mut out = String::new();
    let seeds = |rs: &[&RunResult], f: fn(&RunResult) -> f64| -> Vec<(String, f64)> {
        rs.iter().map(|r| (r.seed.clone(), 100.0 * f(r))).collect()
    };
    let show = |p: &Paired| {
        format!(
            "{:+.1} [{:+.1}, {:+.1}]{} | {}/{}/{}",
            p.mean,
            p.low,
            p.high,
            if p.separates() { " *" } else { "" },
            p.wins,
            p.losses,
            p.ties
        )
    };
    for (i, (a, ra)) in methods.iter().enumerate() {
        for (b, rb) in &methods[i + 1..] {
            let last = compare(&seeds(ra, |r| r.success), &seeds(rb, |r| r.success));
            let auc = compare(&seeds(ra, |r| r.success_auc), &seeds(rb, |r| r.success_auc));
            let (Some(last), Some(auc)) = (last, auc) else {
                continue;
            };
            if out.is_empty() {
                out.push_str(
                    "| a − b (points) | seeds | success: mean [95% CI] | W/L/T | success AUC: mean [95% CI] | W/L/T |\n|---|---:|---:|---:|---:|---:|\n",
                );
            }
            let _ = writeln!(
                out,
                "| {a} − {b} | {} | {} | {} |",
                last.n,
                show(&last),
                show(&auc)
            );
        }
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
            seed: "1".into(),
            success: s,
            success_auc: s,
            psc_range: None,
            score: 100.0 * s,
            by_kind: [("pick".to_string(), s)].into_iter().collect(),
            iteration: 9,
        };
        let t = markdown(&[run("a", 0.5), run("a", 0.7), run("b", 0.1)]);
        assert!(
            t.contains("| a | 2 | 60.0 ± 14.1 | 60.0 ± 14.1 | 60.0 ± 14.1 | 60.0 ± 14.1 | - |"),
            "{t}"
        );
        assert!(t.contains("| b | 1 | 10.0 ± 0.0 |"), "{t}");
    }

    #[test]
    fn paired_rows_on_a_hand_made_table() {
        let run = |m: &str, seed: u32, s: f64, auc: f64| RunResult {
            method: m.into(),
            seed: seed.to_string(),
            success: s,
            success_auc: auc,
            psc_range: (m == "proxmo").then_some((0.99, 1.01)),
            score: 0.0,
            by_kind: BTreeMap::new(),
            iteration: 99,
        };
        let mut runs = Vec::new();
        for (seed, (a, b)) in [(0.5, 0.4), (0.6, 0.5), (0.7, 0.6), (0.8, 0.7)]
            .into_iter()
            .enumerate()
        {
            let seed = seed as u32 + 1;
            // proxmo wins every seed by 10 points at the end; its curve wins 2, loses 1,
            // ties 1.
            let auc_b = [0.3, 0.3, 0.3, 0.3][seed as usize - 1];
            let auc_a = [0.4, 0.2, 0.3, 0.35][seed as usize - 1];
            runs.push(run("proxmo", seed, a, auc_a));
            runs.push(run("grpo", seed, b, auc_b));
        }
        let t = markdown(&runs);
        assert!(
            t.contains("| proxmo − grpo | 4 | +10.0 [+10.0, +10.0] * | 4/0/0 | "),
            "{t}"
        );
        assert!(t.contains(" | 2/1/1 |\n"), "{t}");
        assert!(t.contains("| [0.9900, 1.0100] |"), "{t}");
        // proxmo is listed first because its first run comes first.
        assert!(t.find("| proxmo |").unwrap() < t.find("| grpo |").unwrap());
    }

    #[test]
    fn curve_mean_is_the_trapezoid_area_over_the_span() {
        assert_eq!(
            curve_mean(&[(24.0, 0.2), (49.0, 0.4), (74.0, 0.4), (99.0, 0.6)]),
            0.4
        );
        assert_eq!(curve_mean(&[(9.0, 0.3)]), 0.3);
        assert!(curve_mean(&[]).is_nan());
    }
}
