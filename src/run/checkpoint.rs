//! Run state for `--resume` (docs/architecture.md, "Checkpoints").
//!
//! After every batch the runner saves, in the pipeline's `checkpoint` directory: the policy's
//! state in a fresh directory `state-K` (K = batches done), then `state.json` naming it,
//! written atomically. `state.json` is the commit point: a crash before it leaves the previous
//! state whole, a crash after it leaves the new one. It records the batches done, the random
//! stream, how many bytes of each sink's output are final, and the resolved stages and
//! settings, so a resume with different parameters is refused with what changed.

use crate::data::atomic::write_string;
use crate::error::invalid;
use crate::stage::ResolvedPipeline;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FORMAT: &str = "proxmo run state v1";
const STATE_FILE: &str = "state.json";

/// Settings a resumed run may change: running longer is how a finished run is extended.
const FREE_SETTINGS: &[&str] = &["iterations", "checkpoint"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub format: String,
    pub pipeline: String,
    /// Every stage's kind and parameters, by stage name.
    pub stages: BTreeMap<String, Json>,
    /// The pipeline settings, less those a resume may change.
    pub settings: BTreeMap<String, Json>,
    /// Batches done.
    pub completed: usize,
    /// The run's random stream after those batches.
    pub rng: u64,
    /// Bytes of each sink's output that are final, by stage name.
    pub sinks: BTreeMap<String, u64>,
    /// The directory (inside the checkpoint) holding the policy's state.
    pub policy_state: String,
    /// A digest of every file in that directory (`digest_dir`), checked before a resume
    /// loads it, so a changed weights file is refused instead of resumed silently.
    #[serde(default)]
    pub policy_digest: String,
    /// The sinks' outputs were made final: nothing is left to do.
    pub finished: bool,
}

/// What identifies a run's configuration.
pub fn fingerprint(p: &ResolvedPipeline) -> (BTreeMap<String, Json>, BTreeMap<String, Json>) {
    let stages = p
        .stages
        .iter()
        .map(|s| {
            let value = serde_json::json!({ "kind": s.kind, "params": s.params.to_json() });
            (s.name.clone(), value)
        })
        .collect();
    let settings = p
        .settings
        .iter()
        .filter(|(k, _)| !FREE_SETTINGS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    (stages, settings)
}

/// The checkpoint directory of a run, locked for as long as the run holds it.
pub struct Checkpoint {
    dir: PathBuf,
    /// An exclusive `flock` on `LOCK_FILE`: a second run on the same checkpoint (and so the
    /// same outputs) is refused at start instead of interleaving batches with the first.
    /// The kernel releases it when the process ends, however it ends.
    _lock: std::fs::File,
}

const LOCK_FILE: &str = "lock";

impl Checkpoint {
    pub fn new(dir: &Path) -> Result<Checkpoint> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the checkpoint directory {}", dir.display()))?;
        Ok(Checkpoint {
            dir: dir.to_path_buf(),
            _lock: lock(dir)?,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The saved state, if there is one.
    pub fn load(&self) -> Result<Option<RunState>> {
        let path = self.dir.join(STATE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let state: RunState = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("{} is not a run state: {e}", path.display())))?;
        if state.format != FORMAT {
            return Err(invalid(format!(
                "{} was written by another version ({:?}, expected {FORMAT:?})",
                path.display(),
                state.format
            )));
        }
        Ok(Some(state))
    }

    /// A fresh directory for the policy state after `completed` batches.
    pub fn policy_dir(&self, completed: usize) -> Result<(String, PathBuf)> {
        let name = format!("state-{completed}");
        let dir = self.dir.join(&name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok((name, dir))
    }

    /// Commits `state` and removes policy states it no longer names.
    pub fn save(&self, state: &RunState) -> Result<()> {
        let text = serde_json::to_string_pretty(state)?;
        write_string(&self.dir.join(STATE_FILE), &text)?;
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("state-") && name != state.policy_state {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(())
    }

    /// Removes what only an unfinished run needs (partial sink outputs).
    pub fn clean_scratch(&self) {
        let _ = std::fs::remove_dir_all(self.dir.join("sinks"));
    }
}

impl RunState {
    pub fn new(p: &ResolvedPipeline) -> RunState {
        let (stages, settings) = fingerprint(p);
        RunState {
            format: FORMAT.to_string(),
            pipeline: p.name.clone(),
            stages,
            settings,
            completed: 0,
            rng: 0,
            sinks: BTreeMap::new(),
            policy_state: String::new(),
            policy_digest: String::new(),
            finished: false,
        }
    }

    /// Refuses to resume `p` from this state if its configuration differs; the message names
    /// every difference.
    pub fn check_same_run(&self, p: &ResolvedPipeline) -> Result<()> {
        let (stages, settings) = fingerprint(p);
        let mut changes = Vec::new();
        if self.pipeline != p.name {
            changes.push(format!("pipeline `{}` -> `{}`", self.pipeline, p.name));
        }
        diff("", &self.stages, &stages, &mut changes);
        diff("setting ", &self.settings, &settings, &mut changes);
        if changes.is_empty() {
            Ok(())
        } else {
            Err(invalid(format!(
                "cannot resume: the pipeline differs from the checkpoint's: {}; run without --resume to start over, or undo the change",
                changes.join("; ")
            )))
        }
    }
}

/// FNV-1a (64 bits) over every file under `dir`, in name order, each as its relative path,
/// its length and its bytes: a cheap check against corruption (not against tampering).
pub fn digest_dir(dir: &Path) -> Result<String> {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            match entry.file_type()?.is_dir() {
                true => files(&path, out)?,
                false => out.push(path),
            }
        }
        Ok(())
    }
    let mut hash = crate::digest::Fnv64::default();
    let mut paths = Vec::new();
    files(dir, &mut paths)?;
    for path in paths {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        hash.eat(name.as_bytes());
        hash.eat(&(bytes.len() as u64).to_le_bytes());
        hash.eat(&bytes);
    }
    Ok(format!("fnv1a64:{:016x}", hash.finish()))
}

/// Refuses a policy state whose files changed after the checkpoint recorded them.
pub fn verify_digest(dir: &Path, expected: &str) -> Result<()> {
    if expected.is_empty() {
        return Ok(()); // a checkpoint written before digests were kept
    }
    let found = digest_dir(dir)?;
    if found != expected {
        return Err(invalid(format!(
            "the policy state in {} changed after the checkpoint was written (digest {found}, recorded {expected}): it is corrupt; run without --resume to start over",
            dir.display()
        )));
    }
    Ok(())
}

/// Takes the checkpoint's lock, or says which process holds it.
fn lock(dir: &Path) -> Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    use std::os::fd::AsRawFd;
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    // SAFETY: flock(2) on a descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = match holder.trim() {
            "" => String::new(),
            pid => format!(" (process {pid})"),
        };
        return Err(invalid(format!(
            "another proxmo run{holder} is using the checkpoint {}: wait for it to end or give another `checkpoint`",
            dir.display()
        )));
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// Differences between two maps of JSON values, as `name: old -> new` lines.
fn diff(
    prefix: &str,
    old: &BTreeMap<String, Json>,
    new: &BTreeMap<String, Json>,
    out: &mut Vec<String>,
) {
    for (name, before) in old {
        match new.get(name) {
            None => out.push(format!("{prefix}`{name}` removed")),
            Some(after) if after != before => {
                let (Some(b), Some(a)) = (before.get("params"), after.get("params")) else {
                    out.push(format!("{prefix}`{name}`: {before} -> {after}"));
                    continue;
                };
                if before.get("kind") != after.get("kind") {
                    out.push(format!(
                        "`{name}` kind {} -> {}",
                        before["kind"], after["kind"]
                    ));
                }
                diff_params(name, b, a, out);
            }
            Some(_) => {}
        }
    }
    for name in new.keys().filter(|k| !old.contains_key(*k)) {
        out.push(format!("{prefix}`{name}` added"));
    }
}

/// The `params` of a parameter that is itself a stage.
fn nested_params(v: Option<&Json>) -> Option<&Json> {
    v.and_then(|v| v.get("params")).filter(|p| p.is_object())
}

/// The parameters that differ between two stages' `params`, as `path.key: old -> new`; a
/// parameter that is itself a stage (a rollout's `policy`) is compared parameter by
/// parameter, so the message names `rollout.policy.lr`, not the whole policy.
fn diff_params(path: &str, before: &Json, after: &Json, out: &mut Vec<String>) {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return;
    };
    let show = |v: Option<&Json>| v.map_or("unset".to_string(), Json::to_string);
    for key in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
        let (x, y) = (b.get(key), a.get(key));
        if x == y {
            continue;
        }
        match (nested_params(x), nested_params(y)) {
            (Some(px), Some(py))
                if x.and_then(|v| v.get("kind")) == y.and_then(|v| v.get("kind")) =>
            {
                diff_params(&format!("{path}.{key}"), px, py, out)
            }
            _ => out.push(format!("{path}.{key}: {} -> {}", show(x), show(y))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changed_parameter_of_a_nested_policy_is_named_not_dumped() {
        let policy = |lr: f64| json!({"kind": "policy.lm", "params": {"lr": lr, "model": "small"}});
        let stage = |lr: f64| json!({"kind": "rollout.group", "params": {"tasks": 2, "policy": policy(lr)}});
        let old = BTreeMap::from([("rollout".to_string(), stage(1e-5))]);
        let new = BTreeMap::from([("rollout".to_string(), stage(1e-3))]);
        let mut out = Vec::new();
        diff("", &old, &new, &mut out);
        assert_eq!(out, ["rollout.policy.lr: 0.00001 -> 0.001"]);
        // Another policy kind is shown whole: its parameters are not comparable.
        let other = json!({"kind": "rollout.group", "params": {"tasks": 2, "policy": {"kind": "policy.random", "params": {}}}});
        let mut out = Vec::new();
        diff(
            "",
            &old,
            &BTreeMap::from([("rollout".to_string(), other)]),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert!(out[0].starts_with("rollout.policy: "), "{out:?}");
    }
}
