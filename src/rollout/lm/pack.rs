//! Packing a batch's token rows into micro-batches under a token budget: the worker pads
//! each micro-batch to its longest row, so rows of similar length go together.

use crate::rollout::policy::TrainRow;

/// Micro-batches and what their padding costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed<'a> {
    pub micro_batches: Vec<Vec<TrainRow<'a>>>,
    /// Padding tokens over padded tokens (rows x longest row, summed over micro-batches).
    pub padding_share: f64,
}

fn length(row: &TrainRow) -> usize {
    row.tokens.prompt.len() + row.tokens.response.len()
}

/// Packs `rows` longest first, each micro-batch holding as many rows as fit in `budget`
/// padded tokens (at least one, so a row longer than the budget still trains alone). The
/// worker's loss is a token-mean over the whole request, so the split does not change the
/// step (docs/worker-protocol.md, `train`).
pub fn pack(mut rows: Vec<TrainRow>, budget: usize) -> Packed {
    rows.sort_by_key(|r| std::cmp::Reverse(length(r)));
    let mut micro_batches: Vec<Vec<TrainRow>> = Vec::new();
    let (mut real, mut padded) = (0usize, 0usize);
    let mut current: Vec<TrainRow> = Vec::new();
    for row in rows {
        // Sorted longest first: the first row of a micro-batch sets its padded width.
        let width = current.first().map_or(length(&row), length);
        if !current.is_empty() && (current.len() + 1) * width > budget {
            padded += current.len() * width;
            micro_batches.push(std::mem::take(&mut current));
        }
        real += length(&row);
        current.push(row);
    }
    if let Some(first) = current.first() {
        padded += current.len() * length(first);
        micro_batches.push(current);
    }
    let padding_share = match padded {
        0 => 0.0,
        p => 1.0 - real as f64 / p as f64,
    };
    Packed {
        micro_batches,
        padding_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::policy::TokenRecord;

    fn record(prompt: usize, response: usize) -> TokenRecord {
        TokenRecord {
            prompt: vec![1; prompt],
            response: vec![2; response],
            logprobs: vec![-1.0; response],
            truncated: 0,
        }
    }

    #[test]
    fn rows_fill_micro_batches_up_to_the_budget() {
        let records = [record(6, 4), record(3, 2), record(8, 2), record(2, 2)];
        let rows: Vec<TrainRow> = records
            .iter()
            .map(|t| TrainRow {
                tokens: t,
                advantage: 0.0,
            })
            .collect();
        // Lengths 10, 5, 10, 4; sorted 10, 10, 5, 4; budget 20: [10, 10], [5, 4].
        let packed = pack(rows, 20);
        let sizes: Vec<Vec<usize>> = packed
            .micro_batches
            .iter()
            .map(|b| b.iter().map(length).collect())
            .collect();
        assert_eq!(sizes, vec![vec![10, 10], vec![5, 4]]);
        // Real 29 tokens of 20 + 10 padded.
        assert!((packed.padding_share - (1.0 - 29.0 / 30.0)).abs() < 1e-12);
    }

    #[test]
    fn a_row_over_the_budget_trains_alone() {
        let records = [record(30, 5), record(1, 1)];
        let rows = records
            .iter()
            .map(|t| TrainRow {
                tokens: t,
                advantage: 1.0,
            })
            .collect();
        let packed = pack(rows, 8);
        assert_eq!(packed.micro_batches.len(), 2);
        assert_eq!(packed.padding_share, 0.0);
        assert!(pack(Vec::new(), 8).micro_batches.is_empty());
    }
}
