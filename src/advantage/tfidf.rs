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
    let mut tokens = Vec::new();
    for_each_token(text, |t| tokens.push(t.to_string()));
    tokens
}

/// Calls `f` with every token of `text`, borrowed from its lowercased copy.
fn for_each_token(text: &str, mut f: impl FnMut(&str)) {
    // ASCII text (most observations) lowercases the same either way, without the
    // per-character Unicode tables.
    let lower = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    };
    for m in token_pattern().find_iter(&lower) {
        f(m.as_str());
    }
}

/// The corpus once tokenized: every distinct term once, each distinct document's term
/// counts by term id, and which distinct document every document is (anchor observations
/// repeat a lot). Terms are interned so a token costs a hash lookup, not an allocation.
struct Corpus {
    doc_kind: Vec<usize>,
    terms: Vec<String>,
    kind_counts: Vec<Vec<(u32, u32)>>,
    multiplicity: Vec<u64>,
}

/// One term's corpus statistics.
struct TermStat<'a> {
    id: u32,
    term: &'a str,
    frequency: u64,
    documents: u64,
}

impl Corpus {
    fn new(docs: &[&str]) -> Self {
        let mut distinct: HashMap<&str, usize> = HashMap::new();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut doc_kind: Vec<usize> = Vec::with_capacity(docs.len());
        let mut kind_counts: Vec<Vec<(u32, u32)>> = Vec::new();
        for &doc in docs {
            let kind = *distinct.entry(doc).or_insert_with(|| {
                let mut tokens: Vec<u32> = Vec::new();
                for_each_token(doc, |token| {
                    let id = match ids.get(token) {
                        Some(&id) => id,
                        None => {
                            let id = terms.len() as u32;
                            terms.push(token.to_string());
                            ids.insert(token.to_string(), id);
                            id
                        }
                    };
                    tokens.push(id);
                });
                tokens.sort_unstable();
                let mut counts: Vec<(u32, u32)> = Vec::new();
                for id in tokens {
                    match counts.last_mut() {
                        Some(last) if last.0 == id => last.1 += 1,
                        _ => counts.push((id, 1)),
                    }
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
            terms,
            kind_counts,
            multiplicity,
        }
    }

    /// Every term with its corpus frequency and document frequency, alphabetical.
    fn term_stats(&self) -> Vec<TermStat<'_>> {
        let mut frequency = vec![0u64; self.terms.len()];
        let mut documents = vec![0u64; self.terms.len()];
        for (counts, &m) in self.kind_counts.iter().zip(&self.multiplicity) {
            for &(id, c) in counts {
                frequency[id as usize] += c as u64 * m;
                documents[id as usize] += m;
            }
        }
        let mut stats: Vec<TermStat<'_>> = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, term)| TermStat {
                id: i as u32,
                term,
                frequency: frequency[i],
                documents: documents[i],
            })
            .collect();
        stats.sort_by(|a, b| a.term.cmp(b.term));
        stats
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
    let mut freqs: Vec<u64> = stats.iter().map(|s| s.frequency).collect();
    freqs.sort_unstable_by(|a, b| b.cmp(a));
    if freqs[max_features - 1] != freqs[max_features] {
        return None;
    }
    Some(
        stats
            .iter()
            .map(|s| (s.term.to_string(), s.frequency))
            .unzip(),
    )
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
            ranked.sort_by_key(|r| std::cmp::Reverse(r.frequency));
            ranked.truncate(max_features);
            ranked.sort_by(|a, b| a.term.cmp(b.term));
        }
        TermCut::Given(terms) => {
            let wanted: std::collections::HashSet<&str> =
                terms.iter().map(|t| t.as_str()).collect();
            ranked.retain(|r| wanted.contains(r.term));
        }
    }
    let Corpus {
        doc_kind,
        terms,
        kind_counts,
        ..
    } = &corpus;
    let n = docs.len() as f64;
    let vocab = Vocabulary {
        terms: ranked.iter().map(|r| r.term.to_string()).collect(),
        idf: ranked
            .iter()
            .map(|r| ((1.0 + n) / (1.0 + r.documents as f64)).ln() + 1.0)
            .collect(),
    };
    // Each interned term's column in the vocabulary, if kept.
    let mut column: Vec<Option<u32>> = vec![None; terms.len()];
    for (j, r) in ranked.iter().enumerate() {
        column[r.id as usize] = Some(j as u32);
    }

    // One normalised vector per distinct document, then expanded to every document.
    let kind_vectors: Vec<Vec<(u32, f64)>> = kind_counts
        .iter()
        .map(|counts| {
            let mut entries: Vec<(u32, f64)> = counts
                .iter()
                .filter_map(|&(id, c)| {
                    column[id as usize].map(|j| (j, c as f64 * vocab.idf[j as usize]))
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
