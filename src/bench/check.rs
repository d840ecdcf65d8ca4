//! The `check` benchmark: how long validating a large, hostile `.pipe` file takes. The file
//! mixes what made `check` blow up before its diagnostics were capped: one parameter repeated
//! tens of thousands of times, tens of thousands of errors on separate lines, an error on a
//! multi-megabyte line, and thousands of valid stage declarations.

use super::peak_memory_mib;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// One measured check.
#[derive(Debug, Clone)]
pub struct CheckTiming {
    pub bytes: usize,
    pub errors: usize,
    pub seconds: f64,
    pub peak_mib: Option<f64>,
}

/// A `.pipe` text of about `bytes` bytes, a quarter of it for each hostile part.
pub fn hostile_pipe(bytes: usize) -> String {
    let quarter = bytes / 4;
    let mut out = String::with_capacity(bytes + 4096);
    // 1. Valid declarations.
    let mut i = 0;
    while out.len() < quarter {
        let _ = writeln!(
            out,
            "stage ok{i} = advantage.proxmo {{ tau = 0.{} }}",
            i % 9 + 1
        );
        i += 1;
    }
    // 2. One parameter given over and over.
    out.push_str("stage repeated = advantage.proxmo {");
    let start = out.len();
    while out.len() - start < quarter {
        out.push_str(" tau = 0.1");
    }
    out.push_str(" }\n");
    // 3. An error on every line.
    let start = out.len();
    let mut j = 0;
    while out.len() - start < quarter {
        let _ = writeln!(out, "stage bad{j} = advantage.proxmo {{ taux = 1 }}");
        j += 1;
    }
    // 4. One long line with its error at the end.
    let _ = writeln!(
        out,
        "stage long = advantage.proxmo {{ omega = \"{}\" }}",
        "x".repeat(quarter)
    );
    out.push_str("pipeline p { ok0 }\n");
    out
}

/// Writes a hostile file of `bytes` bytes into `dir` and times `check` on it.
pub fn measure(bytes: usize, dir: &Path) -> Result<CheckTiming> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("hostile.pipe");
    let text = hostile_pipe(bytes);
    crate::data::atomic::write_string(&path, &text)?;
    let t0 = Instant::now();
    let outcome = crate::dsl::load_pipelines(&path, crate::dsl::Selection::All, &[]);
    let rendered = outcome.as_ref().err().map(|d| d.render());
    let seconds = t0.elapsed().as_secs_f64();
    let errors = outcome.err().map_or(0, |d| d.errors.len());
    drop(rendered);
    Ok(CheckTiming {
        bytes: text.len(),
        errors,
        seconds,
        peak_mib: peak_memory_mib(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hostile_file_has_the_asked_size_and_every_kind_of_error() {
        let text = hostile_pipe(40_000);
        assert!((40_000..45_000).contains(&text.len()), "{}", text.len());
        let dir = std::env::temp_dir().join(format!("proxmo-bench-check-{}", std::process::id()));
        let t = measure(40_000, &dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        // Every repeat of `tau`, every `taux` line and the long line are errors.
        assert!(t.errors > 1_000, "{}", t.errors);
    }
}
