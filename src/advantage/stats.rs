//! Mean and standard deviation with the two conventions of the profiles
//! (docs/estimators.md, section 7).

use crate::stats::mean_std;
pub use crate::stats::StdKind;

/// Mean and std of one group's values: the paper's population std, or the released code's
/// unbiased one, which gives a single value mean 0 and std 1.
pub fn group_mean_std(values: &[f64], kind: StdKind) -> (f64, f64) {
    if values.len() == 1 && kind == StdKind::Unbiased {
        // torch.std of one element is NaN; the released code maps that case to mean 0, std 1.
        return (0.0, 1.0);
    }
    mean_std(values, kind)
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
    let (mean, std) = group_mean_std(values, kind);
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
