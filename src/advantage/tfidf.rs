//! TF-IDF vectors of anchor observations, matching scikit-learn's
//! `TfidfVectorizer(max_features=...)` defaults (docs/estimators.md, section 4.2):
//! lowercase, tokens `(?u)\b\w\w+\b`, vocabulary = the `max_features` terms with the
//! highest corpus term frequency (ties broken by term order), smooth idf, raw counts times
//! idf, L2-normalised.

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

fn token_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    // The pattern is a constant, so failing to compile it is a programming error.
    PATTERN.get_or_init(|| Regex::new(r"\b\w\w+\b").expect("token pattern compiles"))
}

/// scikit-learn's default analyzer: lowercase, then every run of two or more word characters.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    token_pattern()
        .find_iter(&lower)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Fits the vocabulary on `docs` and returns it with every document's vector.
/// Identical documents are tokenized once: anchor observations repeat a lot.
pub fn fit_transform(docs: &[&str], max_features: usize) -> (Vocabulary, SparseRows) {
    // Distinct documents and their token counts.
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

    // Corpus term frequency and document frequency per term.
    let mut term_freq: HashMap<&str, (u64, u64)> = HashMap::new();
    for (counts, &m) in kind_counts.iter().zip(&multiplicity) {
        for (term, &c) in counts {
            let e = term_freq.entry(term.as_str()).or_insert((0, 0));
            e.0 += c as u64 * m;
            e.1 += m;
        }
    }

    // Keep the most frequent terms; ties go to the alphabetically earlier term.
    let mut ranked: Vec<(&str, u64, u64)> = term_freq
        .iter()
        .map(|(t, &(tf, df))| (*t, tf, df))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked.truncate(max_features);
    ranked.sort_by(|a, b| a.0.cmp(b.0));

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
    for &k in &doc_kind {
        for &(j, v) in &kind_vectors[k] {
            rows.indices.push(j);
            rows.values.push(v);
        }
        rows.indptr.push(rows.indices.len() as u32);
    }
    (vocab, rows)
}
