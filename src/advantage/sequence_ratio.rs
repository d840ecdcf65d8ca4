//! The string-similarity ratio GiGPO's "similar" matching uses: Ratcliff/Obershelp, as
//! Python's `difflib.SequenceMatcher(None, a, b).ratio()` computes it (on characters,
//! with its auto-junk rule: in a `b` of 200+ characters, characters occurring more than
//! `len(b) / 100 + 1` times never start a match).

use std::collections::HashMap;

/// `2 * M / (len(a) + len(b))`, M = characters in matching blocks; 1.0 for two empty strings.
pub fn ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * matched_chars(&a, &b) as f64 / total as f64
}

fn positions_in_b(b: &[char]) -> HashMap<char, Vec<usize>> {
    let mut index: HashMap<char, Vec<usize>> = HashMap::new();
    for (j, &c) in b.iter().enumerate() {
        index.entry(c).or_default().push(j);
    }
    if b.len() >= 200 {
        let popular = b.len() / 100 + 1;
        index.retain(|_, js| js.len() <= popular);
    }
    index
}

fn matched_chars(a: &[char], b: &[char]) -> usize {
    let b_index = positions_in_b(b);
    let mut total = 0;
    let mut pending = vec![(0, a.len(), 0, b.len())];
    while let Some((alo, ahi, blo, bhi)) = pending.pop() {
        let (i, j, k) = longest_match(a, b, &b_index, alo, ahi, blo, bhi);
        if k == 0 {
            continue;
        }
        total += k;
        if alo < i && blo < j {
            pending.push((alo, i, blo, j));
        }
        if i + k < ahi && j + k < bhi {
            pending.push((i + k, ahi, j + k, bhi));
        }
    }
    total
}

/// Longest block `a[i..i+k] == b[j..j+k]` inside the given ranges, earliest in `a` then `b`
/// on ties, extended over characters the junk rule skipped.
fn longest_match(
    a: &[char],
    b: &[char],
    b_index: &HashMap<char, Vec<usize>>,
    alo: usize,
    ahi: usize,
    blo: usize,
    bhi: usize,
) -> (usize, usize, usize) {
    let (mut best_i, mut best_j, mut best_k) = (alo, blo, 0);
    // run_ending_at[j] = length of the match ending at a[i - 1], b[j].
    let mut run_ending_at: HashMap<usize, usize> = HashMap::new();
    for (i, ch) in a.iter().enumerate().take(ahi).skip(alo) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        if let Some(js) = b_index.get(ch) {
            for &j in js {
                if j < blo {
                    continue;
                }
                if j >= bhi {
                    break;
                }
                let k = j
                    .checked_sub(1)
                    .and_then(|p| run_ending_at.get(&p))
                    .copied()
                    .unwrap_or(0)
                    + 1;
                next.insert(j, k);
                if k > best_k {
                    best_i = i + 1 - k;
                    best_j = j + 1 - k;
                    best_k = k;
                }
            }
        }
        run_ending_at = next;
    }
    while best_i > alo && best_j > blo && a[best_i - 1] == b[best_j - 1] {
        best_i -= 1;
        best_j -= 1;
        best_k += 1;
    }
    while best_i + best_k < ahi && best_j + best_k < bhi && a[best_i + best_k] == b[best_j + best_k]
    {
        best_k += 1;
    }
    (best_i, best_j, best_k)
}

#[cfg(test)]
mod tests {
    use super::ratio;

    #[test]
    fn matches_difflib_examples() {
        // difflib's documented example: SequenceMatcher(None, "abcd", "bcde").ratio() == 0.75
        assert!((ratio("abcd", "bcde") - 0.75).abs() < 1e-12);
        assert_eq!(ratio("", ""), 1.0);
        assert_eq!(ratio("abc", ""), 0.0);
        assert_eq!(ratio("same text", "same text"), 1.0);
        // SequenceMatcher(None, "private Thread currentThread;",
        //   "private volatile Thread currentThread;").ratio() == 0.8656716417910447
        let r = ratio(
            "private Thread currentThread;",
            "private volatile Thread currentThread;",
        );
        assert!((r - 0.8656716417910447).abs() < 1e-12, "{r}");
        // A `b` of 288 characters triggers difflib's auto-junk rule.
        let a = "You arrive at cabinet 1. The cabinet 1 is closed. ".repeat(5);
        let b =
            "You arrive at cabinet 2. The cabinet 2 is open. In it, you see a cup 1. ".repeat(4);
        assert!((ratio(&a, &b) - 0.08178438661710037).abs() < 1e-12);
    }
}
