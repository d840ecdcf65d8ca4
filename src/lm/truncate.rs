//! Left truncation to a token budget: an over-long prompt loses its oldest tokens, so the
//! current observation and the answer format at its end are kept.

/// The last `budget` tokens of `ids`, and how many were cut from the front.
pub fn left_truncate(ids: &[u32], budget: usize) -> (&[u32], usize) {
    let cut = ids.len().saturating_sub(budget);
    (&ids[cut..], cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail_and_counts_the_cut() {
        let ids = [1, 2, 3, 4, 5];
        assert_eq!(left_truncate(&ids, 3), (&ids[2..], 2));
        assert_eq!(left_truncate(&ids, 5), (&ids[..], 0));
        assert_eq!(left_truncate(&ids, 9), (&ids[..], 0));
        assert_eq!(left_truncate(&ids, 0), (&ids[5..], 5));
    }
}
