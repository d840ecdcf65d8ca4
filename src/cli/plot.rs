//! `proxmo plot METRICS.jsonl`: an SVG chart of the per-batch metrics a run recorded.

use super::console;
use super::{EXIT_INVALID, EXIT_OK};
use crate::report::{read_series, svg};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// A metrics file written by a `sink.metrics` stage.
    pub metrics: PathBuf,
    /// Where to write the SVG (default: the metrics file with `.svg`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Which metrics to plot, one panel each.
    #[arg(long, value_delimiter = ',', default_values_t = ["success_rate".to_string(), "score".to_string(), "advantage_std".to_string(), "singleton_share".to_string()])]
    pub series: Vec<String>,
}

pub fn run(args: PlotArgs) -> anyhow::Result<u8> {
    let series = match read_series(&args.metrics, &args.series) {
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
    let out = args
        .out
        .unwrap_or_else(|| args.metrics.with_extension("svg"));
    let title = args.metrics.display().to_string();
    crate::data::atomic::write_string(&out, &svg::chart(&title, &series))?;
    console::outln(&format!("wrote {}", out.display()));
    Ok(EXIT_OK)
}
