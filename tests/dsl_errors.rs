//! Malformed `.pipe` files: each fixture in tests/pipes/bad starts with
//! `# expect: [FILE:]LINE:COL MESSAGE` naming where the first error must point and how its
//! message must begin. None may panic, and every error is rendered with a caret.

mod common;

use proxmo::dsl::parse::parse_file;
use proxmo::dsl::{load_pipelines, Located, Selection};
use std::path::{Path, PathBuf};

struct Expectation {
    file: Option<String>,
    line: usize,
    col: usize,
    message: String,
}

fn expectation(path: &Path) -> Expectation {
    let text = std::fs::read_to_string(path).unwrap();
    let header = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .unwrap_or_else(|| panic!("{} has no `# expect:` header", path.display()));
    let (place, message) = header.split_once(' ').unwrap();
    let parts: Vec<&str> = place.split(':').collect();
    let (file, line, col) = match parts.as_slice() {
        [line, col] => (None, line, col),
        [file, line, col] => (Some(file.to_string()), line, col),
        _ => panic!("bad header in {}", path.display()),
    };
    Expectation {
        file,
        line: line.parse().unwrap(),
        col: col.parse().unwrap(),
        message: message.to_string(),
    }
}

fn bad_fixtures() -> Vec<PathBuf> {
    common::files_with_extension("tests/pipes/bad", "pipe")
}

fn first_error(path: &Path, sets: &[String]) -> (Located, String) {
    match load_pipelines(path, Selection::All, sets) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(d) => (d.located().remove(0), d.render()),
    }
}

#[test]
fn every_bad_fixture_reports_its_error_at_its_place() {
    let files = bad_fixtures();
    assert!(files.len() >= 30, "only {} malformed fixtures", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let want = expectation(path);
        let (got, rendered) = first_error(path, &[]);
        let file_ok = match &want.file {
            Some(f) => got.file.ends_with(f.as_str()),
            None => got.file == path.display().to_string(),
        };
        if !file_ok
            || got.line != want.line
            || got.col != want.col
            || !got.message.starts_with(&want.message)
        {
            failures.push(format!(
                "{}: expected {:?}:{}:{} {:?}, got {}:{}:{} {:?}",
                path.display(),
                want.file,
                want.line,
                want.col,
                want.message,
                got.file,
                got.line,
                got.col,
                got.message
            ));
        }
        let place = format!("{}:{}:{}", got.file, got.line, got.col);
        assert!(
            rendered.contains(&place),
            "{}: render lacks {place}:\n{rendered}",
            path.display()
        );
        assert!(
            rendered.contains('^'),
            "{}: render lacks a caret:\n{rendered}",
            path.display()
        );
        assert!(
            rendered.contains("help:"),
            "{}: render lacks a hint:\n{rendered}",
            path.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_errors_of_a_file_are_reported_in_one_run() {
    let path = Path::new("tests/pipes/several_errors.pipe");
    let errors = load_pipelines(path, Selection::All, &[])
        .unwrap_err()
        .located();
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 7], "{errors:#?}");
}

/// Every prefix of every fixture and shipped pipeline parses or fails cleanly.
#[test]
fn no_prefix_of_any_file_panics() {
    let mut files = bad_fixtures();
    for dir in ["pipelines", "pipelines/lib", "tests/pipes/good"] {
        files.extend(common::files_with_extension(dir, "pipe"));
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (cut, _) in text.char_indices() {
            let _ = parse_file(0, &text[..cut]);
        }
    }
}

/// Random edits of a valid file go through the whole front end without a panic.
#[test]
fn mutated_files_never_panic() {
    let original = std::fs::read_to_string("pipelines/ablations.pipe").unwrap();
    let dir = std::env::temp_dir().join(format!("proxmo-mutants-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mutant.pipe");
    let alphabet: Vec<char> = "{}[]()=->\"#.,;:\\ \n\tabz019_é".chars().collect();
    let mut rng = proxmo::rng::Rng::new(7);
    for _ in 0..300 {
        std::fs::write(&path, common::mutate(&original, &alphabet, 4, &mut rng)).unwrap();
        if let Err(d) = load_pipelines(&path, Selection::All, &[]) {
            assert!(!d.render().is_empty());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn non_utf8_file_is_an_error_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("proxmo-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("binary.pipe");
    std::fs::write(&path, [0x73, 0x74, 0xff, 0xfe, 0x00]).unwrap();
    let d = load_pipelines(&path, Selection::All, &[]).unwrap_err();
    assert!(
        d.located()[0].message.contains("not UTF-8"),
        "{}",
        d.render()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_named() {
    let d = load_pipelines(Path::new("no/such.pipe"), Selection::All, &[]).unwrap_err();
    assert!(
        d.render().contains("cannot read `no/such.pipe`"),
        "{}",
        d.render()
    );
}

fn set_error(sets: &[&str]) -> Located {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    first_error(Path::new("pipelines/advantage.pipe"), &sets).0
}

#[test]
fn set_overrides_are_checked_like_file_values() {
    let e = set_error(&["credit.tau=0"]);
    assert_eq!((e.file.as_str(), e.line, e.col), ("--set", 1, 12));
    assert!(e.message.contains("must lie in (0, +inf)"), "{e:?}");

    let e = set_error(&["crdit.tau=1"]);
    assert_eq!(e.col, 1);
    assert_eq!(e.help.as_deref(), Some("did you mean `credit`?"));

    let e = set_error(&["credit.gama=0.9"]);
    assert_eq!(e.col, 8);
    assert_eq!(e.help.as_deref(), Some("did you mean `gamma`?"));

    let e = set_error(&["credit.tau"]);
    assert!(e.message.contains("has no `=`"), "{e:?}");

    let e = set_error(&["credit.=1"]);
    assert!(e.message.contains("is not STAGE.PARAM"), "{e:?}");

    let e = set_error(&["credit.profile=papers"]);
    assert_eq!(e.help.as_deref(), Some("did you mean \"paper\"?"));

    let e = set_error(&["credit.psc=maybe"]);
    assert!(e.message.contains("expects a bool"), "{e:?}");

    let e = set_error(&["seed=-1"]);
    assert!(e.message.contains("seed"), "{e:?}");
}

#[test]
fn choosing_a_pipeline() {
    let ablations = Path::new("pipelines/ablations.pipe");
    let d = load_pipelines(ablations, Selection::One(None), &[]).unwrap_err();
    assert!(d.render().contains("--pipeline NAME"), "{}", d.render());
    // At the first pipeline, where `default` would go, naming them all and the fix.
    let e = &d.located()[0];
    assert_eq!((e.line, e.col), (21, 1), "{e:?}");
    assert!(e
        .message
        .contains("declares 6 pipelines and marks none as the default"));
    let help = e.help.as_deref().unwrap();
    assert!(help.contains("`full`, `no_psc`") && help.contains("`default pipeline full { ... }`"));
    let d = load_pipelines(ablations, Selection::One(Some("step_alignd".into())), &[]).unwrap_err();
    assert_eq!(
        d.located()[0].help.as_deref(),
        Some("did you mean `step_aligned`?")
    );
    let lib = Path::new("pipelines/lib/credit.pipe");
    let d = load_pipelines(lib, Selection::One(None), &[]).unwrap_err();
    assert!(
        d.render().contains("declares no pipeline"),
        "{}",
        d.render()
    );
    let one = load_pipelines(ablations, Selection::One(Some("no_psa".into())), &[]).unwrap();
    assert_eq!(one[0].name, "no_psa");
}
