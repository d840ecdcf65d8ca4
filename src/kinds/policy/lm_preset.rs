//! Model presets: `policy.lm { model = "small" }` names a model shape instead of a directory.
//! A preset is built the first time it is used and cached: its tokenizer fitted on the
//! environments' own text (the prompts and answers a policy sees here, both prompt formats),
//! its weights random from the seed, by the worker package's `proxmo_worker.build_model`. So a
//! fresh clone trains a model with no manual step and nothing downloaded.

use crate::agent::prompt::{Benchmark, Format};
use crate::env::alfworld::{AlfWorld, Split as AlfSplit};
use crate::env::webshop::game::WebShop;
use crate::env::webshop::goals::Split as ShopSplit;
use crate::env::Env;
use crate::error::invalid;
use crate::rng::Rng;
use crate::transport::missing_module_hint;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// A model shape (Qwen2 architecture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub vocab: usize,
}

/// The presets: `tiny` for tests (about 0.3M parameters); `small`, the one that learns best
/// on a CPU in the warm start's 45 minutes (about 1.2M: at that budget the model sees each
/// demonstration about once, so a smaller model that trains on 2.3 times as many beats a
/// larger one; README, "Train a language model"); `medium` (about 4.5M), what `small` was
/// before, for the measurements made with it.
pub const PRESETS: [Preset; 3] = [
    Preset {
        name: "tiny",
        hidden: 64,
        layers: 2,
        heads: 4,
        vocab: 2048,
    },
    Preset {
        name: "small",
        hidden: 128,
        layers: 4,
        heads: 4,
        vocab: 2048,
    },
    Preset {
        name: "medium",
        hidden: 256,
        layers: 4,
        heads: 4,
        vocab: 2048,
    },
];

pub fn find(name: &str) -> Option<Preset> {
    PRESETS.iter().copied().find(|p| p.name == name)
}

pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where built presets are kept: `$PROXMO_CACHE`, else `$XDG_CACHE_HOME/proxmo`, else
/// `~/.cache/proxmo`.
pub fn cache_root() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("PROXMO_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("proxmo")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("proxmo")))
        .unwrap_or_else(|| std::env::temp_dir().join("proxmo-cache"))
}

impl Preset {
    /// The cached model directory of this preset for `seed` built from `corpus` by
    /// `builder`: named by a digest of everything the build reads, so a change to the
    /// environments' text, the prompts or the builder never reuses an old model.
    fn dir(&self, seed: i64, corpus: &str, builder: &[u8]) -> PathBuf {
        let mut key = crate::digest::Fnv64::default();
        key.eat(corpus.as_bytes());
        key.eat(builder);
        for n in [self.hidden, self.layers, self.heads, self.vocab] {
            key.eat(&(n as u64).to_le_bytes());
        }
        cache_root()
            .join("models")
            .join(format!("{}-seed{seed}-{:016x}", self.name, key.finish()))
    }

    /// The model directory, built first if it is not cached yet. `python` is the worker's
    /// command (a launcher such as torchrun gives way to its Python for the build).
    pub fn ensure(&self, seed: i64, python: &str) -> Result<PathBuf> {
        let words = builder_python(crate::transport::split_command(python)?);
        let Some((program, args)) = words.split_first() else {
            bail!(invalid("policy.lm: `python` is empty"));
        };
        let script = self.builder_digest(program, args)?;
        let text = corpus(seed)?;
        let dir = self.dir(seed, &text, &script);
        if dir.join("config.json").is_file() {
            return Ok(dir);
        }
        let root = dir.parent().unwrap_or(&dir).to_path_buf();
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create the model cache {}", root.display()))?;
        let corpus = root.join(format!(
            ".corpus-{}-{}.jsonl",
            self.name,
            std::process::id()
        ));
        std::fs::write(&corpus, &text)
            .with_context(|| format!("cannot write the tokenizer corpus {}", corpus.display()))?;
        eprintln!(
            "proxmo: building model preset `{}` ({} hidden, {} layers) into {} (once; it is cached)",
            self.name,
            self.hidden,
            self.layers,
            dir.display()
        );
        let out = Command::new(program)
            .args(args)
            .args(["-m", BUILDER])
            .arg(&dir)
            .arg("--corpus")
            .arg(&corpus)
            .args(["--hidden", &self.hidden.to_string()])
            .args(["--layers", &self.layers.to_string()])
            .args(["--heads", &self.heads.to_string()])
            .args(["--vocab-size", &self.vocab.to_string()])
            .args(["--seed", &seed.to_string()])
            .output()
            .with_context(|| {
                format!(
                    "policy.lm: cannot start {program:?} to build preset `{}`",
                    self.name
                )
            });
        let _ = std::fs::remove_file(&corpus);
        let out = out?;
        // Another run may have built it at the same time: its directory is as good.
        if dir.join("config.json").is_file() {
            return Ok(dir);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!(
            "policy.lm: building preset `{}` failed ({}): {}",
            self.name,
            out.status,
            stderr.trim()
        )
    }

    /// A digest of the builder module's source in `program`'s Python (computed there, so a
    /// launcher into another machine or container still reads the right file): part of the
    /// cache key, so a changed builder never reuses an old model.
    fn builder_digest(&self, program: &str, args: &[String]) -> Result<Vec<u8>> {
        let find = format!(
            "import hashlib, importlib.util as u; s = u.find_spec({BUILDER:?}); \
             print(hashlib.sha256(open(s.origin, 'rb').read()).hexdigest() if s else '')"
        );
        let out = Command::new(program)
            .args(args)
            .args(["-c", &find])
            .output()
            .with_context(|| {
                format!(
                    "policy.lm: cannot start {program:?} to build preset `{}`",
                    self.name
                )
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The last line: a banner a launcher prints before is not the digest.
        let digest = stdout.lines().last().unwrap_or("").trim();
        if !out.status.success() || digest.is_empty() {
            let why = missing_module_hint(&stderr, BUILDER)
                .or_else(|| (!stderr.trim().is_empty()).then(|| stderr.trim().to_string()))
                .unwrap_or_else(|| format!("this Python has no module {BUILDER}"));
            bail!(invalid(format!(
                "policy.lm: preset `{}` is built by the module {BUILDER} in {program:?}: {why}",
                self.name
            )));
        }
        Ok(digest.as_bytes().to_vec())
    }
}

/// The Python to build a preset with, from the worker's command: a launcher that starts
/// several processes (`torchrun ...`, `python -m torch.distributed.run ...`) gives way to
/// the Python it would run (the `python` beside a path-qualified torchrun, else `python3`),
/// keeping what comes before it (`env VAR=1 torchrun ...`).
fn builder_python(words: Vec<String>) -> Vec<String> {
    let is_torchrun = |w: &String| {
        std::path::Path::new(w)
            .file_name()
            .is_some_and(|n| n == "torchrun")
    };
    if let Some(i) = words.iter().position(is_torchrun) {
        let beside = std::path::Path::new(&words[i]).with_file_name("python");
        let python = match words[i].contains('/') && beside.is_file() {
            true => beside.display().to_string(),
            false => "python3".to_string(),
        };
        return words[..i].iter().cloned().chain([python]).collect();
    }
    match words
        .windows(2)
        .position(|w| w[0] == "-m" && w[1] == "torch.distributed.run")
    {
        Some(i) => words[..i].to_vec(),
        None => words,
    }
}

/// The module that writes a preset's model directory (`python/proxmo_worker/build_model.py`).
const BUILDER: &str = "proxmo_worker.build_model";

/// Prompts and answers of the built-in environments, both formats, as JSON lines with a
/// `text` field: episodes that follow the expert, with a random admissible action now and
/// then, so detours and failures are in the text too.
fn corpus(seed: i64) -> Result<String> {
    let mut lines = String::new();
    let mut rng = Rng::new(seed as u64 ^ 0x636f_7270_7573);
    let formats = [
        Format::Paper,
        Format::Compact {
            history: 4,
            local_actions: false,
        },
    ];
    let mut alfworld = AlfWorld::new(AlfSplit::Train, 0);
    let mut webshop = WebShop::new(ShopSplit::Train, 0);
    let envs: [(&mut dyn Env, Benchmark, usize); 2] = [
        (&mut alfworld, Benchmark::Alfworld, 400),
        (&mut webshop, Benchmark::Webshop, 300),
    ];
    for (env, benchmark, episodes) in envs {
        for episode in 0..episodes {
            let task = rng.below(env.n_tasks());
            let mut seen = env.reset(task)?;
            let first = seen.observation.clone();
            let mut history: Vec<(String, String)> = Vec::new();
            let format = formats[episode % formats.len()];
            for _ in 0..30 {
                if seen.done {
                    break;
                }
                let action = match env.expert_action() {
                    Some(a) if !rng.chance(0.2) => a,
                    _ => match rng.choose(&seen.admissible) {
                        Some(a) => a.clone(),
                        None => break,
                    },
                };
                let text = format.prompt(benchmark, &first, &history, &seen)
                    + &format.demonstration(&action);
                lines.push_str(&serde_json::json!({ "text": text }).to_string());
                lines.push('\n');
                let anchor = seen.anchor.clone();
                seen = env.step(&action)?;
                history.push((anchor, action));
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(command: &str) -> String {
        let words = command.split_whitespace().map(String::from).collect();
        builder_python(words).join(" ")
    }

    #[test]
    fn a_launcher_gives_way_to_its_python_for_the_build() {
        assert_eq!(
            built(".venv/bin/python -X utf8"),
            ".venv/bin/python -X utf8"
        );
        assert_eq!(built("torchrun --nproc_per_node 2"), "python3");
        assert_eq!(
            built("env OMP_NUM_THREADS=1 torchrun --nproc_per_node 2"),
            "env OMP_NUM_THREADS=1 python3"
        );
        assert_eq!(
            built("python3 -m torch.distributed.run --nproc_per_node 2"),
            "python3"
        );
    }
}
