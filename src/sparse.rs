//! The input of a soft-baseline computation (docs/estimators.md, section 4.2): TF-IDF rows
//! in compressed sparse row form, laid out group after group with each row's return and
//! step. The advantage layer builds it and runs it on the CPU; the `gpu` module runs it on a
//! GPU. It lives below both so that neither imports the other's types.

/// Rows of a sparse matrix in compressed sparse row form; within a row, feature indices
/// are sorted. TF-IDF vectors (`advantage::tfidf`) are L2-normalised rows of this kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseRows {
    /// `indptr[i]..indptr[i + 1]` are row `i`'s entries.
    pub indptr: Vec<u32>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
    /// Number of columns (for TF-IDF rows: the vocabulary size).
    pub n_features: usize,
}

impl SparseRows {
    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Row `i` as (feature indices, values).
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i] as usize, self.indptr[i + 1] as usize);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// Rows `order[0], order[1], ...` as a new matrix.
    pub fn select(&self, order: &[usize]) -> SparseRows {
        let mut out = SparseRows {
            indptr: Vec::with_capacity(order.len() + 1),
            n_features: self.n_features,
            ..SparseRows::default()
        };
        out.indptr.push(0);
        for &i in order {
            let (idx, val) = self.row(i);
            out.indices.extend_from_slice(idx);
            out.values.extend_from_slice(val);
            out.indptr.push(out.indices.len() as u32);
        }
        out
    }
}

/// One soft-baseline computation, with rows laid out group after group.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftBaselineProblem {
    /// TF-IDF rows in group-contiguous order.
    pub vectors: SparseRows,
    /// Step return of each row, same order.
    pub returns: Vec<f64>,
    /// Step index of each row, same order (used when `align_steps`).
    pub steps: Vec<u32>,
    /// Group `g` holds rows `group_offsets[g]..group_offsets[g + 1]`.
    pub group_offsets: Vec<usize>,
    /// Softmax temperature (> 0).
    pub tau: f64,
    /// Compare only rows with the same step index (`align = "step"`).
    pub align_steps: bool,
}

impl SoftBaselineProblem {
    pub fn n_rows(&self) -> usize {
        self.returns.len()
    }

    /// The group of every row, derived from the offsets.
    pub fn row_groups(&self) -> Vec<u32> {
        let mut groups = vec![0u32; self.n_rows()];
        for g in 0..self.group_offsets.len().saturating_sub(1) {
            groups[self.group_offsets[g]..self.group_offsets[g + 1]].fill(g as u32);
        }
        groups
    }
}
