//! Paired comparisons of two methods over the seeds both were run on: the per-seed
//! differences, their mean with a bootstrap 95 % interval, and wins / losses / ties. Seeds
//! pair the runs because a seed fixes the tasks drawn and the evaluation, so the difference
//! on one seed removes what the two runs share.

use crate::rng::Rng;

/// Bootstrap resamples of the mean difference.
pub const RESAMPLES: usize = 10_000;
/// Fewest paired seeds for which a difference is called separated.
pub const MIN_SEEDS: usize = 3;
/// Fixed, so a report is reproducible.
const BOOTSTRAP_SEED: u64 = 0x5041_4952_4544;

/// `a - b` over the seeds both methods ran on.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// Number of paired seeds.
    pub n: usize,
    pub mean: f64,
    /// Percentile bootstrap 95 % interval of the mean difference.
    pub low: f64,
    pub high: f64,
    pub wins: usize,
    pub losses: usize,
    pub ties: usize,
}

impl Paired {
    /// Whether the interval excludes 0 on at least [`MIN_SEEDS`] seeds: the difference
    /// survives resampling the seeds (on fewer seeds the interval means little).
    pub fn separates(&self) -> bool {
        self.n >= MIN_SEEDS && (self.low > 0.0 || self.high < 0.0)
    }
}

/// Pairs `a` and `b` by seed (`(seed, value)` lists) and summarises `a - b`; `None` when
/// they share no seed.
pub fn compare(a: &[(String, f64)], b: &[(String, f64)]) -> Option<Paired> {
    let diffs: Vec<f64> = a
        .iter()
        .filter_map(|(seed, x)| b.iter().find(|(s, _)| s == seed).map(|(_, y)| x - y))
        .collect();
    if diffs.is_empty() {
        return None;
    }
    let n = diffs.len();
    let mean = diffs.iter().sum::<f64>() / n as f64;
    let (low, high) = bootstrap_interval(&diffs);
    // Differences this small are ties: evaluations are averages of whole episodes.
    const TIE: f64 = 1e-9;
    Some(Paired {
        n,
        mean,
        low,
        high,
        wins: diffs.iter().filter(|d| **d > TIE).count(),
        losses: diffs.iter().filter(|d| **d < -TIE).count(),
        ties: diffs.iter().filter(|d| d.abs() <= TIE).count(),
    })
}

/// The 2.5th and 97.5th percentiles of the means of [`RESAMPLES`] resamples (with
/// replacement) of `xs`.
pub fn bootstrap_interval(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    let mut rng = Rng::new(BOOTSTRAP_SEED);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| xs[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * RESAMPLES as f64) as usize).min(RESAMPLES - 1)];
    (at(0.025), at(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(v: &[f64]) -> Vec<(String, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, x)| ((i + 1).to_string(), *x))
            .collect()
    }

    #[test]
    fn hand_made_table() {
        // Seeds 1-5; a beats b on 1, 2, 4, loses on 3, ties on 5.
        let a = seeds(&[0.60, 0.55, 0.50, 0.70, 0.40]);
        let b = seeds(&[0.50, 0.50, 0.55, 0.60, 0.40]);
        let p = compare(&a, &b).unwrap();
        assert_eq!((p.n, p.wins, p.losses, p.ties), (5, 3, 1, 1));
        // Differences 0.10, 0.05, -0.05, 0.10, 0: mean 0.04.
        assert!((p.mean - 0.04).abs() < 1e-12);
        // The interval lies within the range of the differences and holds the mean.
        assert!(p.low >= -0.05 - 1e-12 && p.high <= 0.10 + 1e-12);
        assert!(p.low < p.mean && p.mean < p.high);
        assert!(!p.separates());
    }

    #[test]
    fn pairs_by_seed_not_by_position() {
        let a = vec![("3".to_string(), 0.9), ("1".to_string(), 0.5)];
        let b = vec![
            ("1".to_string(), 0.4),
            ("2".to_string(), 0.0),
            ("3".to_string(), 0.8),
        ];
        let p = compare(&a, &b).unwrap();
        assert_eq!(p.n, 2);
        assert!((p.mean - 0.1).abs() < 1e-12);
        // Every seed wins by exactly 0.1: the interval is that single value.
        assert!((p.low - 0.1).abs() < 1e-12 && (p.high - 0.1).abs() < 1e-12);
        // Two seeds are too few to call it.
        assert!(!p.separates());
        assert!(compare(&a, &[("7".to_string(), 1.0)]).is_none());
    }

    #[test]
    fn bootstrap_interval_of_a_known_sample() {
        // Mean of 0..=9 is 4.5; the resampled means of 10 draws spread about +-1.8.
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        let (lo, hi) = bootstrap_interval(&xs);
        assert!(lo > 2.5 && lo < 3.2, "{lo}");
        assert!(hi > 5.8 && hi < 6.5, "{hi}");
    }
}
