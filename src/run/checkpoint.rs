//! Run state for `--resume` (docs/architecture.md, "Checkpoints").
//!
//! After every batch the runner saves, in the pipeline's `checkpoint` directory: the policy's
//! state in a fresh directory `state-K` (K = batches done), then `state.json` naming it,
//! written atomically. `state.json` is the commit point: a crash before it leaves the previous
//! state whole, a crash after it leaves the new one. It records the batches done, the random
//! stream, how many bytes of each sink's output are final, and the resolved stages and
//! settings, so a resume with different parameters is refused with what changed.

use crate::data::atomic::write_string;
use crate::data::input::read_capped;
use crate::error::invalid;
use crate::stage::ResolvedPipeline;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FORMAT: &str = "proxmo run state v1";
pub const STATE_FILE: &str = "state.json";

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
/// The cap on the run state file (JSON: settings, counters, a sink's offsets).
const MAX_STATE_BYTES: u64 = 256 << 20;

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
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        // Capped and regular files only: a FIFO or a link to /dev/zero in its place must not
        // stall the resume.
        let bytes = read_capped(&path, MAX_STATE_BYTES, "the checkpoint state")?;
        let state: RunState = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("{} is not a run state: {e}", path.display())))?;
        // A name this module writes (`state-N`, inside the checkpoint), never a path that
        // would send the digest and the worker elsewhere.
        let named = &state.policy_state;
        let ours = named
            .strip_prefix("state-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !named.is_empty() && !ours {
            return Err(invalid(format!(
                "{} names the policy state {named:?}, not one a checkpoint writes (state-N): it is corrupt; run without --resume to start over",
                path.display()
            )));
        }
        if state.format != FORMAT {
            return Err(invalid(format!(
                "{} was written by another version ({:?}, expected {FORMAT:?})",
                path.display(),
                state.format
            )));
        }
        Ok(Some(state))
    }

    /// Whether a batch's policy state was ever saved here (`state-N`): then a missing run
    /// state means a damaged checkpoint, not a run killed before its first batch ended.
    pub fn holds_policy_states(&self) -> bool {
        std::fs::read_dir(&self.dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("state-"))
        })
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
            let kind = entry.file_type()?;
            if kind.is_dir() {
                files(&path, out)?;
            } else if kind.is_file() {
                out.push(path);
            } else {
                // What a save writes is regular files; anything else (a FIFO, a link to a
                // device) would stall or never end the reading below.
                return Err(invalid(format!(
                    "the policy state holds {}, which is not a regular file: the checkpoint is corrupt; run without --resume to start over",
                    path.display()
                )));
            }
        }
        Ok(())
    }
    let mut hash = crate::digest::Fnv64::default();
    let mut paths = Vec::new();
    files(dir, &mut paths)?;
    let mut buffer = vec![0u8; 1 << 20];
    for path in paths {
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        hash.eat(name.as_bytes());
        // Streamed: weights can be gigabytes.
        let cannot = |e: std::io::Error| anyhow::anyhow!("cannot read {}: {e}", path.display());
        let mut file = std::fs::File::open(&path).map_err(cannot)?;
        hash.eat(&file.metadata().map_err(cannot)?.len().to_le_bytes());
        loop {
            match std::io::Read::read(&mut file, &mut buffer).map_err(cannot)? {
                0 => break,
                n => hash.eat(&buffer[..n]),
            }
        }
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
    // Not a regular file (a directory, a FIFO, a link to a device): not ours to open.
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if !meta.file_type().is_file() {
            return Err(invalid(format!(
                "the checkpoint {}: its lock file {} is not a regular file; remove it",
                dir.display(),
                path.display()
            )));
        }
    }
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
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| write!(file, "{}", std::process::id()))
        .with_context(|| format!("cannot write {}", path.display()))?;
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
