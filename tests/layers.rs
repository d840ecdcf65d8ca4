//! The layers of docs/architecture.md: no module imports a layer above its own.

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules by layer, lowest first (docs/architecture.md).
const LAYERS: &[&[&str]] = &[
    &["error", "rng", "stats", "stage", "batch", "digest"],
    &[
        "sparse",
        "advantage",
        "gpu",
        "transport",
        "env",
        "agent",
        "lm",
        "data",
        "metrics",
        "synthetic",
    ],
    &["rollout"],
    &["kinds"],
    &["dsl"],
    &["run"],
    &["cli", "bench", "report"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = BTreeSet::new();
    let mut unknown = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            unknown.insert(top);
            continue;
        };
        let source = std::fs::read_to_string(&file).unwrap();
        // Comments may mention any layer; code may not use one above its own.
        let text: String = source
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in text.match_indices("crate::") {
            let used: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            match layer_of(&used) {
                Some(layer) if layer > own => {
                    violations.insert(format!("{} imports {used}", rel.display()));
                }
                Some(_) => {}
                None => {
                    unknown.insert(used);
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules missing from LAYERS: {unknown:?}"
    );
    assert!(
        violations.is_empty(),
        "imports from a higher layer: {violations:#?}"
    );
}
