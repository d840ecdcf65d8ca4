//! Mean and standard deviation, shared by the estimators, the run metrics and the reports.

/// Which standard deviation: the population one (divide by n), or the unbiased sample one
/// (divide by n - 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdKind {
    Population,
    Unbiased,
}

/// Mean and standard deviation of `values`. Empty input gives (0, 0); a single value has
/// std 0 with either kind.
pub fn mean_std(values: &[f64], kind: StdKind) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let denom = match kind {
        StdKind::Population => n as f64,
        StdKind::Unbiased => (n - 1) as f64,
    };
    (mean, (squares / denom).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_and_the_edge_cases() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean_std(&xs, StdKind::Population), (5.0, 2.0));
        let (mean, std) = mean_std(&xs, StdKind::Unbiased);
        assert_eq!(mean, 5.0);
        assert!((std - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        assert_eq!(mean_std(&[], StdKind::Unbiased), (0.0, 0.0));
        assert_eq!(mean_std(&[3.0], StdKind::Unbiased), (3.0, 0.0));
        assert_eq!(mean_std(&[3.0], StdKind::Population), (3.0, 0.0));
    }
}
