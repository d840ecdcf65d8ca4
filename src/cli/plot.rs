//! `proxmo plot METRICS.jsonl...`: an SVG chart of the per-batch metrics runs recorded, one
//! panel per metric. Runs of the same method (file name without its seed, as `proxmo
//! report` groups them) share a colour: their mean over seeds with a band.

use super::console;
use super::{EXIT_INVALID, EXIT_OK};
use crate::report::svg::{self, Method};
use crate::report::{read_series, table::method_of};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// Metrics files written by `sink.metrics` stages (several: one colour per method).
    #[arg(required = true)]
    pub metrics: Vec<PathBuf>,
    /// Where to write the SVG (default: the metrics file with `.svg`; for several files,
    /// `compare.svg` next to the first).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Which metrics to plot, one panel each.
    #[arg(long, value_delimiter = ',', default_values_t = ["success_rate".to_string(), "eval_success_rate".to_string(), "score".to_string(), "advantage_std".to_string(), "singleton_share".to_string()])]
    pub series: Vec<String>,
}

pub fn run(args: PlotArgs) -> anyhow::Result<u8> {
    if let Some(out) = &args.out {
        if args.metrics.iter().any(|m| same_file(m, out)) {
            console::errln(&format!(
                "error: --out {} is one of the metrics files: the plot would replace its own input",
                out.display()
            ));
            return Ok(EXIT_INVALID);
        }
    }
    // One entry per method, in the order its first file was given; each run's series.
    let mut methods: Vec<(String, Vec<Vec<crate::report::Series>>)> = Vec::new();
    for path in &args.metrics {
        let series = match read_series(path, &args.series) {
            Ok(s) => s,
            Err(e)
                if e.is::<crate::data::InvalidInput>()
                    || e.chain().any(|c| c.is::<std::io::Error>()) =>
            {
                console::errln(&format!("error: {e:#}"));
                return Ok(EXIT_INVALID);
            }
            Err(e) => return Err(e),
        };
        let method = method_of(path);
        match methods.iter_mut().find(|(m, _)| *m == method) {
            Some((_, runs)) => runs.push(series),
            None => methods.push((method, vec![series])),
        }
    }
    let panels: Vec<(String, Vec<Method>)> = args
        .series
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let ms = methods
                .iter()
                .map(|(m, runs)| Method {
                    name: m.clone(),
                    runs: runs.iter().map(|r| r[k].clone()).collect(),
                })
                .collect();
            (name.clone(), ms)
        })
        .collect();
    let first = &args.metrics[0];
    let out = args.out.unwrap_or_else(|| {
        if args.metrics.len() == 1 {
            first.with_extension("svg")
        } else {
            first.with_file_name("compare.svg")
        }
    });
    let title = if args.metrics.len() == 1 {
        first.display().to_string()
    } else {
        format!("{} runs of {} methods", args.metrics.len(), methods.len())
    };
    crate::data::atomic::write_string(&out, &svg::chart(&title, &panels))?;
    console::outln(&format!("wrote {}", out.display()));
    Ok(EXIT_OK)
}

/// Whether two paths name the same file (compared by their absolute, normal forms, and by
/// identity when both exist).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    let normal = |p: &std::path::Path| -> PathBuf {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .components()
            .collect()
    };
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => normal(a) == normal(b),
    }
}
