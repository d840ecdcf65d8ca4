//! Every `pipe` example in docs/*.md goes through `proxmo check`, as the page promises: saved
//! as `example.pipe` in a directory whose `lib/` and `pipelines/` are the repository's
//! (`import "lib/credit.pipe"` and `path = "pipelines/data/..."` work as they do next to the
//! shipped pipelines), and checked from that directory.
//!
//! Leading comment lines steer the check: `# check: ARGS` adds arguments (`--set ...`);
//! `# error: TEXT` expects exit code 2 and TEXT in the message. A `text` block starting with
//! `error:` right after an example is the exact output it must print.

mod common;

use common::{files_with_extension, temp_dir, text};
use std::path::Path;
use std::process::Command;

struct Example {
    doc: String,
    /// Line of the opening fence, for failure messages.
    line: usize,
    source: String,
    /// The `text` block that follows, when it is an error message.
    output: Option<String>,
}

/// Fenced blocks of `text` as (language, first line number, body).
fn fenced_blocks(text: &str) -> Vec<(String, usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match open.as_mut() {
            None => {
                if let Some(lang) = line.strip_prefix("```") {
                    open = Some((lang.trim().to_string(), i + 1, String::new()));
                }
            }
            Some(block) if line.starts_with("```") => {
                blocks.push(std::mem::take(block));
                open = None;
            }
            Some((_, _, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    blocks
}

fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    for doc in files_with_extension("docs", "md") {
        let blocks = fenced_blocks(&std::fs::read_to_string(&doc).unwrap());
        for (k, (lang, line, body)) in blocks.iter().enumerate() {
            if lang != "pipe" {
                continue;
            }
            let output = blocks
                .get(k + 1)
                .filter(|(lang, _, body)| lang == "text" && body.starts_with("error:"))
                .map(|(_, _, body)| body.clone());
            out.push(Example {
                doc: doc.display().to_string(),
                line: *line,
                source: body.clone(),
                output,
            });
        }
    }
    out
}

/// The values of the leading `# key: value` comment lines.
fn directives<'a>(source: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("# {key}: ");
    source
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect()
}

fn link(target: &Path, at: &Path) {
    if !at.exists() {
        std::os::unix::fs::symlink(target, at).unwrap();
    }
}

/// Runs `proxmo check` on one example; an error message when it misbehaves.
fn check(n: usize, ex: &Example) -> Option<String> {
    let repo = std::env::current_dir().unwrap();
    let dir = temp_dir(&format!("example-{n}"));
    link(&repo.join("pipelines/lib"), &dir.join("lib"));
    link(&repo.join("pipelines"), &dir.join("pipelines"));
    std::fs::write(dir.join("example.pipe"), &ex.source).unwrap();
    let mut args = vec!["check".to_string(), "example.pipe".to_string()];
    for extra in directives(&ex.source, "check") {
        args.extend(extra.split_whitespace().map(str::to_string));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_proxmo"))
        .args(&args)
        .current_dir(&dir)
        .output()
        .unwrap();
    let (code, stderr) = (out.status.code(), text(&out.stderr));
    let place = format!("{}:{}", ex.doc, ex.line);
    let wanted = directives(&ex.source, "error");
    if wanted.is_empty() {
        return (code != Some(0)).then(|| format!("{place}: exit {code:?}\n{stderr}"));
    }
    if code != Some(2) {
        return Some(format!("{place}: expected exit 2, got {code:?}\n{stderr}"));
    }
    if let Some(missing) = wanted.iter().find(|w| !stderr.contains(**w)) {
        return Some(format!("{place}: message lacks {missing:?}:\n{stderr}"));
    }
    match &ex.output {
        Some(shown) if *shown != stderr => Some(format!(
            "{place}: the page shows\n{shown}\nbut proxmo printed\n{stderr}"
        )),
        _ => None,
    }
}

#[test]
fn every_pipe_example_in_the_docs_is_checked() {
    let all = examples();
    let in_language_page = all
        .iter()
        .filter(|e| e.doc.ends_with("pipe-language.md"))
        .count();
    assert!(
        in_language_page >= 10,
        "docs/pipe-language.md has only {in_language_page} `pipe` examples"
    );
    let failures: Vec<String> = all
        .iter()
        .enumerate()
        .filter_map(|(n, ex)| check(n, ex))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn both_kinds_of_example_are_present() {
    let all = examples();
    let refused = all
        .iter()
        .filter(|e| !directives(&e.source, "error").is_empty())
        .count();
    assert!(
        refused >= 3 && refused < all.len(),
        "{refused} of {}",
        all.len()
    );
    assert!(
        all.iter().any(|e| e.output.is_some()),
        "no example shows its exact output"
    );
}
