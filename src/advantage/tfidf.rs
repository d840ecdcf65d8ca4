//! TF-IDF vectors of anchor observations, matching scikit-learn's
//! `TfidfVectorizer(max_features=...)` defaults (docs/estimators.md, section 4.2):
//! lowercase, tokens `(?u)\b\w\w+\b` with Python's `\w` (letters, numbers, `_`),
//! vocabulary = the `max_features` terms with the highest corpus term frequency (ties broken
//! by term order, or by a caller's ranking), smooth idf, raw counts times idf, L2-normalised.

use crate::sparse::SparseRows;
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A fitted vectorizer: the kept terms (alphabetical) and their idf weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocabulary {
    pub terms: Vec<String>,
    pub idf: Vec<f64>,
}

/// Which terms the vocabulary keeps.
#[derive(Debug, Clone, Copy)]
pub enum TermCut<'a> {
    /// The `n` most frequent terms; ties at the cut go to the alphabetically earlier term.
    MostFrequent(usize),
    /// These terms (those the corpus has): for a caller that ranks the cut's ties its own
    /// way, as the verl-agent drop-in does with numpy's sort, which scikit-learn calls.
    Given(&'a [String]),
}

fn token_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    // Python's `\w` is a letter (L*), a number (N*: also `½ ² ³`, which the regex crate's
    // `\w` leaves out) or `_`, and never a mark (the regex crate's `\w` has marks), so the
    // class is spelt out. Runs of such characters are separated by non-word characters, so
    // `\b\w\w+\b` is every run of two or more. The pattern is a constant: failing to compile
    // it is a programming error.
    PATTERN.get_or_init(|| Regex::new(r"[\p{L}\p{N}_]{2,}").expect("token pattern compiles"))
}

/// scikit-learn's default analyzer: lowercase, then every run of two or more word characters.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    token_pattern()
        .find_iter(&lower)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// The corpus once tokenized: each distinct document's term counts, and which distinct
/// document every document is (anchor observations repeat a lot).
struct Corpus {
    doc_kind: Vec<usize>,
    kind_counts: Vec<HashMap<String, u32>>,
    multiplicity: Vec<u64>,
}

impl Corpus {
    fn new(docs: &[&str]) -> Self {
        let mut distinct: HashMap<&str, usize> = HashMap::new();
        let mut doc_kind: Vec<usize> = Vec::with_capacity(docs.len());
        let mut kind_counts: Vec<HashMap<String, u32>> = Vec::new();
        for &doc in docs {
            let kind = *distinct.entry(doc).or_insert_with(|| {
                let mut counts: HashMap<String, u32> = HashMap::new();
                for token in tokenize(doc) {
                    *counts.entry(token).or_insert(0) += 1;
                }
                kind_counts.push(counts);
                kind_counts.len() - 1
            });
            doc_kind.push(kind);
        }
        let mut multiplicity = vec![0u64; kind_counts.len()];
        for &k in &doc_kind {
            multiplicity[k] += 1;
        }
        Corpus {
            doc_kind,
            kind_counts,
            multiplicity,
        }
    }

    /// Every term with its corpus frequency and document frequency, alphabetical.
    fn term_stats(&self) -> Vec<(&str, u64, u64)> {
        let mut stats: HashMap<&str, (u64, u64)> = HashMap::new();
        for (counts, &m) in self.kind_counts.iter().zip(&self.multiplicity) {
            for (term, &c) in counts {
                let e = stats.entry(term.as_str()).or_insert((0, 0));
                e.0 += c as u64 * m;
                e.1 += m;
            }
        }
        let mut terms: Vec<(&str, u64, u64)> =
            stats.into_iter().map(|(t, (tf, df))| (t, tf, df)).collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        terms
    }
}

/// Every term of `docs` in alphabetical order with its corpus frequency, when more than
/// `max_features` terms compete for the vocabulary and terms of equal frequency straddle
/// the cut (so which are kept depends on how ties are ranked); `None` when the kept set is
/// the same however ties are ranked.
pub fn contested_cut(docs: &[&str], max_features: usize) -> Option<(Vec<String>, Vec<u64>)> {
    let corpus = Corpus::new(docs);
    let stats = corpus.term_stats();
    if stats.len() <= max_features || max_features == 0 {
        return None;
    }
    let mut freqs: Vec<u64> = stats.iter().map(|s| s.1).collect();
    freqs.sort_unstable_by(|a, b| b.cmp(a));
    if freqs[max_features - 1] != freqs[max_features] {
        return None;
    }
    Some(stats.iter().map(|s| (s.0.to_string(), s.1)).unzip())
}

/// Fits the vocabulary on `docs` (the `max_features` most frequent terms) and returns it
/// with every document's vector.
pub fn fit_transform(docs: &[&str], max_features: usize) -> (Vocabulary, SparseRows) {
    fit_transform_with(docs, TermCut::MostFrequent(max_features))
}

/// Fits the vocabulary on `docs`, keeping the terms `cut` says, and returns it with every
/// document's vector.
pub fn fit_transform_with(docs: &[&str], cut: TermCut<'_>) -> (Vocabulary, SparseRows) {
    let corpus = Corpus::new(docs);
    let mut ranked = corpus.term_stats();
    match cut {
        TermCut::MostFrequent(max_features) => {
            // Most frequent first; the stable sort keeps alphabetical order within a tie.
            ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
            ranked.truncate(max_features);
            ranked.sort_by(|a, b| a.0.cmp(b.0));
        }
        TermCut::Given(terms) => {
            let wanted: std::collections::HashSet<&str> =
                terms.iter().map(|t| t.as_str()).collect();
            ranked.retain(|r| wanted.contains(r.0));
        }
    }
    let Corpus {
        doc_kind,
        kind_counts,
        ..
    } = &corpus;
    let n = docs.len() as f64;
    let vocab = Vocabulary {
        terms: ranked.iter().map(|r| r.0.to_string()).collect(),
        idf: ranked
            .iter()
            .map(|r| ((1.0 + n) / (1.0 + r.2 as f64)).ln() + 1.0)
            .collect(),
    };
    let column: HashMap<&str, u32> = ranked
        .iter()
        .enumerate()
        .map(|(i, r)| (r.0, i as u32))
        .collect();

    // One normalised vector per distinct document, then expanded to every document.
    let kind_vectors: Vec<Vec<(u32, f64)>> = kind_counts
        .iter()
        .map(|counts| {
            let mut entries: Vec<(u32, f64)> = counts
                .iter()
                .filter_map(|(t, &c)| {
                    column
                        .get(t.as_str())
                        .map(|&j| (j, c as f64 * vocab.idf[j as usize]))
                })
                .collect();
            entries.sort_by_key(|e| e.0);
            let norm = entries.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt();
            if norm > 0.0 {
                entries.iter_mut().for_each(|e| e.1 /= norm);
            }
            entries
        })
        .collect();

    let mut rows = SparseRows {
        indptr: Vec::with_capacity(docs.len() + 1),
        n_features: vocab.terms.len(),
        ..SparseRows::default()
    };
    rows.indptr.push(0);
    for &k in doc_kind {
        for &(j, v) in &kind_vectors[k] {
            rows.indices.push(j);
            rows.values.push(v);
        }
        rows.indptr.push(rows.indices.len() as u32);
    }
    (vocab, rows)
}
