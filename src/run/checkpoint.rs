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

/// The checkpoint directory of a run.
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    pub fn new(dir: &Path) -> Result<Checkpoint> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the checkpoint directory {}", dir.display()))?;
        Ok(Checkpoint {
            dir: dir.to_path_buf(),
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
                let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
                    continue;
                };
                for key in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
                    let (x, y) = (b.get(key), a.get(key));
                    if x != y {
                        let show =
                            |v: Option<&Json>| v.map_or("unset".to_string(), Json::to_string);
                        out.push(format!("{name}.{key}: {} -> {}", show(x), show(y)));
                    }
                }
            }
            Some(_) => {}
        }
    }
    for name in new.keys().filter(|k| !old.contains_key(*k)) {
        out.push(format!("{prefix}`{name}` added"));
    }
}
