//! What a stage's Python process runs: a module of an installed package (`proxmo_worker`,
//! `proxmo_tracker`: `pip install ./python` puts them in that Python, so they start from any
//! directory with `python -m NAME`) or a script file given by its path (a stand-in of your
//! own, a test's fake worker). A value with a `/` or ending in `.py` is a path; anything else
//! must be a dotted module name.

use std::path::Path;

/// `python`'s command line for `entry`, for [`super::split_command`]: the user's Python
/// command as written, then `-m MODULE` or the script's path quoted as one word.
pub fn python_command(python: &str, entry: &str) -> String {
    if is_script(entry) {
        format!("{python} '{}'", entry.replace('\'', r"'\''"))
    } else {
        format!("{python} -m {entry}")
    }
}

/// Why `entry` cannot be started, if it cannot: a script that is not a file, or a module
/// name that is not one.
pub fn entry_problem(entry: &str) -> Option<String> {
    if is_script(entry) {
        return (!Path::new(entry).is_file()).then(|| format!("{entry:?} is not a file"));
    }
    let is_identifier = |part: &str| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    (!entry.split('.').all(is_identifier))
        .then(|| format!("{entry:?} is neither a Python module name nor a path to a .py script"))
}

fn is_script(entry: &str) -> bool {
    entry.contains('/') || entry.contains('\\') || entry.ends_with(".py")
}

/// The modules of proxmo's own package (`pip install ./python`), which a stage may name.
const OUR_MODULES: [&str; 3] = ["proxmo_worker", "proxmo_tracker", "proxmo_bridge"];

/// The hint for a Python that lacks one of proxmo's own modules (its stderr says `No module
/// named X` or `No module named 'X'`): which package to install. None for a script or a
/// module of the user's own, whose import error speaks for itself.
pub fn missing_module_hint(stderr: &str, entry: &str) -> Option<String> {
    if is_script(entry) {
        return None;
    }
    let top = entry.split('.').next().unwrap_or(entry);
    if !OUR_MODULES.contains(&top) {
        return None;
    }
    let named = |line: &str| {
        line.split_once("No module named ")
            .is_some_and(|(_, name)| {
                let name = name.trim().trim_matches('\'');
                name == top || name.starts_with(&format!("{top}."))
            })
    };
    stderr.lines().any(named).then(|| {
        format!(
            "this Python has no module `{top}`: install proxmo's package into it \
             (`pip install ./python` from the repository)"
        )
    })
}

/// `e`, a failure to start `entry`, with [`missing_module_hint`] in front when that is why,
/// said as `stage`'s.
pub fn explain_start_failure(e: anyhow::Error, entry: &str, stage: &str) -> anyhow::Error {
    match missing_module_hint(&format!("{e:#}"), entry) {
        Some(hint) => e.context(format!("{stage}: {hint}")),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_run_with_dash_m_and_scripts_by_their_quoted_path() {
        assert_eq!(
            python_command(".venv/bin/python", "proxmo_worker"),
            ".venv/bin/python -m proxmo_worker"
        );
        assert_eq!(
            python_command("torchrun --nproc_per_node 2", "proxmo_worker"),
            "torchrun --nproc_per_node 2 -m proxmo_worker"
        );
        assert_eq!(
            python_command("python3", "tests/it's fake.py"),
            r"python3 'tests/it'\''s fake.py'"
        );
    }

    #[test]
    fn entries_that_cannot_start_are_named() {
        assert_eq!(entry_problem("proxmo_worker"), None);
        assert_eq!(entry_problem("proxmo_worker.build_model"), None);
        assert!(entry_problem("no/such/worker.py")
            .unwrap()
            .contains("is not a file"));
        assert!(entry_problem("proxmo worker")
            .unwrap()
            .contains("module name"));
        assert!(entry_problem("").unwrap().contains("module name"));
        assert!(entry_problem("9lives").unwrap().contains("module name"));
    }

    #[test]
    fn a_missing_module_names_the_package_to_install() {
        let stderr = "/usr/bin/python3: No module named proxmo_worker\n";
        assert!(missing_module_hint(stderr, "proxmo_worker")
            .unwrap()
            .contains("pip install ./python"));
        let stderr = "ModuleNotFoundError: No module named 'proxmo_worker'";
        assert!(missing_module_hint(stderr, "proxmo_worker.build_model").is_some());
        assert_eq!(
            missing_module_hint("No module named torch", "proxmo_worker"),
            None
        );
    }
}
