//! A dependency-free SVG line chart: one panel per metric, stacked, each with a line per
//! method (its mean over seeds) and a band (± one standard deviation over seeds), y axes with
//! at least four round ticks and light gridlines, and a legend of the methods' colours.

use super::Series;
use std::fmt::Write;

const WIDTH: f64 = 720.0;
const PANEL: f64 = 200.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 20.0;
const MARGIN_TOP: f64 = 30.0;
const MARGIN_BOTTOM: f64 = 35.0;
/// Height of the title and the legend above the panels.
const HEADER: f64 = 62.0;
/// Colours, one per method in order (a colour-blind-safe palette).
pub const PALETTE: &[&str] = &[
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
];

/// One method's runs (one series per seed) of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    pub name: String,
    pub runs: Vec<Series>,
}

/// The mean over runs at every x some run has, and its band: ± the standard deviation over
/// the runs that have it, kept within the values those runs recorded (so a rate's band never
/// leaves [0, 1]). Returns (x, mean, band low, band high).
pub fn mean_band(runs: &[Series]) -> Vec<(f64, f64, f64, f64)> {
    let mut xs: Vec<f64> = runs
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs.into_iter()
        .map(|x| {
            let ys: Vec<f64> = runs
                .iter()
                .filter_map(|s| s.points.iter().find(|p| p.0 == x).map(|p| p.1))
                .collect();
            let n = ys.len() as f64;
            let mean = ys.iter().sum::<f64>() / n;
            let var = if ys.len() > 1 {
                ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            let sd = var.sqrt();
            let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (x, mean, (mean - sd).max(lo), (mean + sd).min(hi))
        })
        .collect()
}

/// Round tick values covering `[lo, hi]`: steps of 1, 2, 2.5 or 5 times a power of ten,
/// the largest step that still gives at least four ticks. Returns (axis low, axis high,
/// ticks).
pub fn ticks(lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
    let (lo, hi) = if hi - lo < 1e-12 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / 3.0;
    let mut step = 10f64.powf(raw.log10().floor() + 1.0);
    loop {
        let a = (lo / step).floor() * step;
        let b = (hi / step).ceil() * step;
        let n = ((b - a) / step).round() as usize + 1;
        if n >= 4 {
            let ts = (0..n).map(|i| a + i as f64 * step).collect();
            return (a, b, ts);
        }
        // Next smaller round step: 10 -> 5 -> 2.5 -> 2 -> 1.
        let mantissa = step / 10f64.powf(step.log10().floor());
        step *= match mantissa {
            m if m > 7.0 => 0.5,
            m if m > 4.0 => 0.5,
            m if m > 2.2 => 0.8,
            _ => 0.5,
        };
    }
}

/// The chart of `panels` (one per metric, each with its methods) under `title`.
pub fn chart(title: &str, panels: &[(String, Vec<Method>)]) -> String {
    let height = HEADER + panels.len() as f64 * PANEL + 10.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="18" font-size="14" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    legend(&mut out, panels);
    for (i, (name, methods)) in panels.iter().enumerate() {
        panel(&mut out, name, methods, HEADER + i as f64 * PANEL);
    }
    out.push_str("</svg>\n");
    out
}

fn legend(out: &mut String, panels: &[(String, Vec<Method>)]) {
    let Some((_, methods)) = panels.first() else {
        return;
    };
    let several = methods.iter().any(|m| m.runs.len() > 1);
    let mut x = MARGIN_LEFT;
    for (i, m) in methods.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let label = format!("{} ({} run{})", m.name, m.runs.len(), plural(m.runs.len()));
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="30" width="14" height="4" fill="{colour}"/><text x="{}" y="36">{}</text>"#,
            x + 18.0,
            escape(&label)
        );
        x += 30.0 + 6.5 * label.len() as f64;
    }
    if several {
        let _ = writeln!(
            out,
            r##"<text x="{MARGIN_LEFT}" y="52" fill="#555">line: mean over seeds; band: ± 1 std over seeds</text>"##
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn panel(out: &mut String, name: &str, methods: &[Method], top: f64) {
    let (x0, x1) = (MARGIN_LEFT, WIDTH - MARGIN_RIGHT);
    let (y0, y1) = (top + PANEL - MARGIN_BOTTOM, top + MARGIN_TOP);
    let _ = writeln!(
        out,
        r#"<text x="{x0}" y="{}" font-weight="bold">{}</text>"#,
        top + 20.0,
        escape(name)
    );
    let curves: Vec<Vec<(f64, f64, f64, f64)>> =
        methods.iter().map(|m| mean_band(&m.runs)).collect();
    let all = || curves.iter().flatten();
    if all().next().is_none() {
        let _ = writeln!(
            out,
            r#"<text x="{x0}" y="{}">no values</text>"#,
            (y0 + y1) / 2.0
        );
        return;
    }
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, _, lo, hi) in all() {
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymin = ymin.min(lo);
        ymax = ymax.max(hi);
    }
    // Rates start at 0, so a rate panel shows how far from nothing they are.
    if ymin >= 0.0 && ymax <= 1.0 && name.contains("rate") {
        ymin = 0.0;
    }
    let (ylo, yhi, yticks) = ticks(ymin, ymax);
    let (xlo, xhi, xticks) = ticks(xmin, xmax.max(xmin + 1.0));
    let px = |x: f64| x0 + (x - xlo) / (xhi - xlo) * (x1 - x0);
    let py = |y: f64| y0 - (y - ylo) / (yhi - ylo) * (y0 - y1);
    for &t in &yticks {
        let _ = writeln!(
            out,
            r##"<line x1="{x0}" x2="{x1}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            x0 - 5.0,
            py(t) + 4.0,
            short(t),
            y = py(t)
        );
    }
    for &t in &xticks {
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{y1}" y2="{y0}" stroke="#efefef"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            y0 + 15.0,
            short(t),
            x = px(t)
        );
    }
    let _ = writeln!(
        out,
        r#"<path d="M{x0},{y1} V{y0} H{x1}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">iteration</text>"#,
        (x0 + x1) / 2.0,
        y0 + 28.0
    );
    for (i, curve) in curves.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        if methods[i].runs.len() > 1 && curve.len() > 1 {
            let mut d = String::new();
            for (j, &(x, _, _, hi)) in curve.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if j == 0 { "M" } else { "L" },
                    px(x),
                    py(hi)
                );
            }
            for &(x, _, lo, _) in curve.iter().rev() {
                let _ = write!(d, "L{:.1},{:.1} ", px(x), py(lo));
            }
            let _ = writeln!(
                out,
                r#"<path d="{}Z" fill="{colour}" fill-opacity="0.12" stroke="none"/>"#,
                d
            );
        }
        let mut d = String::new();
        for (j, &(x, m, _, _)) in curve.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if j == 0 { "M" } else { "L" },
                px(x),
                py(m)
            );
        }
        let _ = writeln!(
            out,
            r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
            d.trim_end()
        );
        if curve.len() <= 30 {
            for &(x, m, _, _) in curve {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"/>"#,
                    px(x),
                    py(m)
                );
            }
        }
    }
}

fn short(x: f64) -> String {
    if x.abs() >= 1e4 || (x != 0.0 && x.abs() < 1e-3) {
        format!("{x:.2e}")
    } else {
        format!("{:.3}", x)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(f64, f64)]) -> Series {
        Series {
            name: "m".into(),
            points: points.to_vec(),
        }
    }

    #[test]
    fn one_line_per_method_a_band_for_several_runs() {
        let a = Method {
            name: "proxmo".into(),
            runs: vec![
                series(&[(0.0, 0.1), (1.0, 0.3)]),
                series(&[(0.0, 0.3), (1.0, 0.5)]),
            ],
        };
        let b = Method {
            name: "grpo".into(),
            runs: vec![series(&[(0.0, 0.2), (1.0, 0.2)])],
        };
        let svg = chart("runs <1>", &[("success_rate".into(), vec![a, b])]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("stroke-width=\"1.5\"").count(), 2);
        assert_eq!(svg.matches("fill-opacity").count(), 1);
        assert!(svg.contains(PALETTE[0]) && svg.contains(PALETTE[1]));
        assert!(svg.contains("proxmo (2 runs)") && svg.contains("grpo (1 run)"));
        assert!(svg.contains("runs &lt;1&gt;"));
        // A rate panel starts at 0: values up to 0.5 get gridlines at 0, 0.2, 0.4, 0.6.
        assert_eq!(svg.matches("stroke=\"#e5e5e5\"").count(), 4);
    }

    #[test]
    fn mean_and_band_over_seeds() {
        let c = mean_band(&[
            series(&[(0.0, 1.0), (5.0, 2.0)]),
            series(&[(0.0, 3.0)]),
            series(&[(0.0, 2.0)]),
        ]);
        assert_eq!(c.len(), 2);
        // Values 1, 3, 2 at x = 0: mean 2, std 1.
        assert_eq!(c[0], (0.0, 2.0, 1.0, 3.0));
        assert_eq!(c[1], (5.0, 2.0, 2.0, 2.0));
        // Two values 0 and 1: mean 0.5, std 0.707, band kept within [0, 1].
        let c = mean_band(&[series(&[(0.0, 0.0)]), series(&[(0.0, 1.0)])]);
        assert_eq!(c[0], (0.0, 0.5, 0.0, 1.0));
    }

    #[test]
    fn at_least_four_round_ticks() {
        assert_eq!(ticks(0.0, 1.0), (0.0, 1.0, vec![0.0, 0.25, 0.5, 0.75, 1.0]));
        for (lo, hi) in [
            (0.0, 1.0),
            (0.37, 0.42),
            (-3.0, 97.0),
            (5.0, 5.0),
            (0.0, 0.013),
        ] {
            let (a, b, ts) = ticks(lo, hi);
            assert!(ts.len() >= 4 && ts.len() <= 11, "{lo}..{hi}: {ts:?}");
            assert!(a <= lo && b >= hi, "{lo}..{hi}: {a}..{b}");
        }
        assert_eq!(
            ticks(27.0, 52.0),
            (20.0, 60.0, vec![20.0, 30.0, 40.0, 50.0, 60.0])
        );
    }
}
