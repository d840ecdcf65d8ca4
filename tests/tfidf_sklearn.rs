//! TF-IDF and the soft baseline against numbers computed with scikit-learn and numpy
//! (tests/reference/make_tfidf_expected.py wrote tests/reference/tfidf_expected.json).

use proxmo::advantage::soft_baseline::soft_baseline_cpu;
use proxmo::advantage::tfidf::{fit_transform, Vocabulary};
use proxmo::sparse::{SoftBaselineProblem, SparseRows};
use serde_json::Value;

fn expected() -> Value {
    let text = include_str!("reference/tfidf_expected.json");
    serde_json::from_str(text).unwrap()
}

fn corpus(exp: &Value) -> Vec<String> {
    exp["corpus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// proxmo's vectorizer fitted on the reference corpus with the reference's `max_features`.
fn fit(exp: &Value, docs: &[String]) -> (Vocabulary, SparseRows) {
    let refs: Vec<&str> = docs.iter().map(|s| s.as_str()).collect();
    let max_features = exp["max_features"].as_u64().unwrap() as usize;
    fit_transform(&refs, max_features)
}

#[test]
fn vocabulary_idf_and_vectors_match_scikit_learn() {
    let exp = expected();
    let docs = corpus(&exp);
    let (vocab, rows) = fit(&exp, &docs);

    let terms: Vec<&str> = exp["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(vocab.terms, terms);
    for (got, want) in vocab.idf.iter().zip(exp["idf"].as_array().unwrap()) {
        assert!((got - want.as_f64().unwrap()).abs() < 1e-12);
    }
    let want_rows = exp["rows"].as_array().unwrap();
    assert_eq!(rows.n_rows(), want_rows.len());
    for (i, want) in want_rows.iter().enumerate() {
        let want = want.as_object().unwrap();
        let (idx, val) = rows.row(i);
        assert_eq!(idx.len(), want.len(), "row {i}: {:?}", docs[i]);
        for (&j, &v) in idx.iter().zip(val) {
            let w = want[&vocab.terms[j as usize]].as_f64().unwrap();
            assert!(
                (v - w).abs() < 1e-12,
                "row {i} term {}",
                vocab.terms[j as usize]
            );
        }
    }
}

#[test]
fn soft_baseline_matches_the_dense_reference() {
    let exp = expected();
    let docs = corpus(&exp);
    let (_, vectors) = fit(&exp, &docs);
    let groups: Vec<usize> = exp["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_u64().unwrap() as usize)
        .collect();
    let mut group_offsets = vec![0];
    for i in 1..groups.len() {
        if groups[i] != groups[i - 1] {
            group_offsets.push(i);
        }
    }
    group_offsets.push(groups.len());
    let problem = SoftBaselineProblem {
        vectors,
        returns: exp["returns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_f64().unwrap())
            .collect(),
        steps: vec![0; groups.len()],
        group_offsets,
        tau: exp["tau"].as_f64().unwrap(),
        align_steps: false,
    };
    let got = soft_baseline_cpu(&problem);
    for (i, (g, w)) in got
        .iter()
        .zip(exp["soft_baselines"].as_array().unwrap())
        .enumerate()
    {
        // The reference divides by norm + 1e-8, which shifts similarities by ~2e-8.
        assert!(
            (g - w.as_f64().unwrap()).abs() < 1e-5,
            "row {i}: {g} vs {w}"
        );
    }
}
