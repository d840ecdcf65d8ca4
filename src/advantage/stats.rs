//! Mean and standard deviation with the two conventions of the profiles
//! (docs/estimators.md, section 7).

/// Which standard deviation: the paper's population std (divide by n), or the released
/// code's unbiased one (divide by n - 1; a single value has std 1 and mean 0 there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdKind {
    Population,
    Unbiased,
}

/// Mean and std of `values`. Empty input gives (0, 0) with either kind.
pub fn mean_std(values: &[f64], kind: StdKind) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    if n == 1 && kind == StdKind::Unbiased {
        // torch.std of one element is NaN; the released code maps that case to mean 0, std 1.
        return (0.0, 1.0);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let denom = match kind {
        StdKind::Population => n as f64,
        StdKind::Unbiased => (n - 1) as f64,
    };
    (mean, (squares / denom).sqrt())
}

/// True when every value is the same: such a group carries no signal, and its advantages
/// are exactly zero (never a rounding residue divided by eps).
pub fn all_equal(values: &[f64]) -> bool {
    values.windows(2).all(|w| w[0] == w[1])
}

/// `(x - mean) / (std + eps)` or `x - mean`, exactly 0 for groups with no spread.
pub fn normalize(values: &[f64], kind: StdKind, divide_by_std: bool, eps: f64) -> Vec<f64> {
    if values.len() > 1 && all_equal(values) {
        return vec![0.0; values.len()];
    }
    let (mean, std) = mean_std(values, kind);
    values
        .iter()
        .map(|v| {
            if divide_by_std {
                (v - mean) / (std + eps)
            } else {
                v - mean
            }
        })
        .collect()
}
