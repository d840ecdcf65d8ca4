//! `policy.linear`: a softmax over the admissible actions with a linear score on hashed text
//! features of (task, observation, previous action, action). It is small enough to train in
//! seconds on the CPU, which makes whole `env -> rollout -> advantage -> update` runs, and
//! comparisons between credit-assignment methods, possible without a language model. It is
//! not an LLM and its numbers are not the paper's.

use super::policy::{candidates, fill_template, Choice, Decision, Policy, UpdateStats, View};
use crate::agent::prompt::guess_task_statement;
use crate::data::atomic::write_atomically;
use crate::data::input::{read_capped, MAX_WEIGHTS_BYTES};
use crate::data::InvalidInput;
use crate::rng::Rng;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;

/// The first bytes of a weights file.
const WEIGHTS_MAGIC: &[u8] = b"proxmo policy.linear weights v1\n";

/// The weights' file name inside a checkpoint's state directory.
const STATE_FILE: &str = "policy.linear.weights";

/// Decisions per unit of parallel work in an update.
const CHUNK: usize = 256;

pub struct LinearPolicy {
    weights: Vec<f64>,
    temperature: f64,
    exclude: Vec<String>,
}

/// Words that carry no content in commands.
const FILLER: [&str; 8] = ["a", "the", "to", "from", "with", "in", "on", "some"];

impl LinearPolicy {
    pub fn new(features_log2: u32, temperature: f64, exclude: Vec<String>) -> Result<Self> {
        if !(8..=26).contains(&features_log2) {
            bail!("policy.linear: features_log2 must lie in [8, 26], got {features_log2}");
        }
        if !(temperature > 0.0 && temperature.is_finite()) {
            bail!("policy.linear: temperature must be > 0, got {temperature}");
        }
        Ok(LinearPolicy {
            weights: vec![0.0; 1 << features_log2],
            temperature,
            exclude,
        })
    }

    /// Writes the weights (atomically): a header, then little-endian f64s.
    pub fn save_weights(&self, path: &Path) -> Result<()> {
        write_atomically(path, |out| {
            out.write_all(WEIGHTS_MAGIC)?;
            out.write_all(&(self.weights.len() as u64).to_le_bytes())?;
            for w in &self.weights {
                out.write_all(&w.to_le_bytes())?;
            }
            Ok(())
        })
        .with_context(|| format!("cannot save policy weights to {}", path.display()))
    }

    /// Reads weights written by `save`; their count must match `features_log2`.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let bytes = read_capped(path, MAX_WEIGHTS_BYTES, "the policy weights file")?;
        let invalid = |why: String| InvalidInput(format!("{}: {why}", path.display()));
        let body = bytes
            .strip_prefix(WEIGHTS_MAGIC)
            .ok_or_else(|| invalid("not a policy.linear weights file".into()))?;
        let (count, values) = body.split_at(8.min(body.len()));
        let count = u64::from_le_bytes(
            count
                .try_into()
                .map_err(|_| invalid("truncated header".into()))?,
        );
        if count != self.weights.len() as u64 || values.len() as u64 != count * 8 {
            return Err(invalid(format!(
                "holds {count} weights in {} bytes, but features_log2 gives {}",
                values.len(),
                self.weights.len()
            ))
            .into());
        }
        for (w, chunk) in self.weights.iter_mut().zip(values.chunks_exact(8)) {
            let x = f64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
            if !x.is_finite() {
                return Err(invalid("holds a non-finite weight".into()).into());
            }
            *w = x;
        }
        Ok(())
    }

    fn score(&self, features: &[u32]) -> f64 {
        features.iter().map(|&f| self.weights[f as usize]).sum()
    }

    /// Softmax probabilities of the candidates (max-subtracted).
    fn probabilities(&self, candidates: &[Vec<u32>]) -> Vec<f64> {
        let scores: Vec<f64> = candidates
            .iter()
            .map(|f| self.score(f) / self.temperature)
            .collect();
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f64 = exp.iter().sum();
        exp.into_iter().map(|e| e / total).collect()
    }

    fn mask(&self) -> u32 {
        (self.weights.len() - 1) as u32
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .filter(|w| !FILLER.contains(&w.as_str()))
        .collect()
}

/// FNV-1a over the parts, separated so that ("ab", "c") and ("a", "bc") differ.
fn hash(parts: &[&str]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// The hashed features of taking `action` in `view`.
pub fn features(view: &View, action: &str, mask: u32) -> Vec<u32> {
    let action_words = words(action);
    let Some((verb, args)) = action_words.split_first() else {
        return vec![hash(&["empty"]) & mask];
    };
    // Ordered sets: the features come out in the same order in every process.
    let task: BTreeSet<String> = words(&guess_task_statement(view.task))
        .into_iter()
        .collect();
    let seen: BTreeSet<String> = words(&view.seen.observation).into_iter().collect();
    let mut out = vec![hash(&["bias", verb])];
    let in_task = args.iter().filter(|a| task.contains(*a)).count();
    let in_seen = args.iter().filter(|a| seen.contains(*a)).count();
    out.push(hash(&["args_in_task", verb, &in_task.min(3).to_string()]));
    out.push(hash(&["args_in_obs", verb, &in_seen.min(3).to_string()]));
    for t in &task {
        out.push(hash(&["task_verb", t, verb]));
        for a in args {
            out.push(hash(&["task_arg", t, verb, a]));
        }
    }
    if let Some(previous) = view.previous {
        let prev_verb = words(previous).into_iter().next().unwrap_or_default();
        out.push(hash(&["after", &prev_verb, verb]));
        if previous == action {
            out.push(hash(&["repeat"]));
        }
    }
    out.iter_mut().for_each(|f| *f &= mask);
    out
}

impl Policy for LinearPolicy {
    fn save(&self, path: &Path) -> Result<()> {
        self.save_weights(path)
    }

    fn save_state(&self, dir: &Path) -> Result<()> {
        self.save_weights(&dir.join(STATE_FILE))
    }

    fn load_state(&mut self, dir: &Path) -> Result<()> {
        self.load(&dir.join(STATE_FILE))
    }

    fn act(&self, view: &View, rng: &mut Rng) -> Result<Choice> {
        let offered = candidates(view.seen, &self.exclude);
        if offered.is_empty() {
            return Ok(Choice::plain(String::new()));
        }
        let candidates: Vec<Vec<u32>> = offered
            .iter()
            .map(|a| features(view, a, self.mask()))
            .collect();
        let probs = self.probabilities(&candidates);
        let mut u = rng.next_f64();
        let mut chosen = probs.len() - 1;
        for (i, p) in probs.iter().enumerate() {
            if u < *p {
                chosen = i;
                break;
            }
            u -= p;
        }
        Ok(Choice {
            decision: Some(Decision { candidates, chosen }),
            ..Choice::plain(fill_template(offered[chosen], view))
        })
    }

    /// `w += lr * mean_i A_i * grad log pi(a_i | s_i)`: the policy gradient. On fresh
    /// rollouts this is also the first step of PPO, whose probability ratio is then 1.
    fn update(
        &mut self,
        decisions: &[&Decision],
        advantages: &[f64],
        lr: f64,
    ) -> Result<UpdateStats> {
        if decisions.len() != advantages.len() {
            bail!(
                "{} decisions but {} advantages",
                decisions.len(),
                advantages.len()
            );
        }
        if decisions.is_empty() {
            return Ok(UpdateStats::default());
        }
        // Chunks are summed in a fixed order, so the update (and the whole run) does not
        // depend on how rayon schedules the work.
        let this = &*self;
        let partials: Vec<(HashMap<u32, f64>, f64)> = decisions
            .par_chunks(CHUNK)
            .zip(advantages.par_chunks(CHUNK))
            .map(|(ds, advs)| {
                let mut grad: HashMap<u32, f64> = HashMap::new();
                let mut entropy = 0.0;
                for (d, &a) in ds.iter().zip(advs) {
                    let probs = this.probabilities(&d.candidates);
                    entropy -= probs
                        .iter()
                        .filter(|p| **p > 0.0)
                        .map(|p| p * p.ln())
                        .sum::<f64>();
                    let scale = a / this.temperature;
                    for &f in &d.candidates[d.chosen] {
                        *grad.entry(f).or_default() += scale;
                    }
                    for (features, p) in d.candidates.iter().zip(&probs) {
                        for &f in features {
                            *grad.entry(f).or_default() -= scale * p;
                        }
                    }
                }
                (grad, entropy)
            })
            .collect();
        let mut grad = vec![0.0f64; self.weights.len()];
        let mut entropy = 0.0;
        for (partial, e) in partials {
            for (f, g) in partial {
                grad[f as usize] += g;
            }
            entropy += e;
        }
        let n = decisions.len() as f64;
        // A step that would overflow a weight is refused whole, so the policy (and any
        // weights file saved from it) keeps its last finite values.
        let overflows = self
            .weights
            .iter()
            .zip(&grad)
            .any(|(w, g)| !(w + lr * g / n).is_finite());
        if overflows {
            bail!(
                "policy.linear: this update would make weights infinite or NaN (learning rate {lr} \
                 on advantages up to {:.3e}); the step was refused and the last weights kept",
                advantages.iter().fold(0.0f64, |m, a| m.max(a.abs()))
            );
        }
        let mut norm = 0.0;
        for (w, g) in self.weights.iter_mut().zip(&grad) {
            let step = lr * g / n;
            *w += step;
            norm += step * step;
        }
        Ok(UpdateStats {
            decisions: decisions.len(),
            step_norm: norm.sqrt(),
            entropy: entropy / n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::StepOutcome;

    fn seen(admissible: &[&str]) -> StepOutcome {
        StepOutcome {
            observation: "You arrive at countertop 1. On the countertop 1, you see a apple 1."
                .into(),
            reward: 0.0,
            done: false,
            won: false,
            score: 0.0,
            admissible: admissible.iter().map(|a| a.to_string()).collect(),
            anchor: String::new(),
        }
    }

    #[test]
    fn features_see_task_words_in_the_action() {
        let s = seen(&[]);
        let view = View {
            task: "You are in the middle of a room. Your task is to: put a apple in fridge.",
            seen: &s,
            previous: None,
            history: &[],
            expert: None,
        };
        let mask = (1 << 16) - 1;
        let take_apple = features(&view, "take apple 1 from countertop 1", mask);
        let take_mug = features(&view, "take mug 1 from countertop 1", mask);
        assert_eq!(
            take_apple,
            features(&view, "take apple 1 from countertop 1", mask)
        );
        assert!(take_apple.contains(&(hash(&["args_in_task", "take", "1"]) & mask)));
        assert!(take_mug.contains(&(hash(&["args_in_task", "take", "0"]) & mask)));
    }

    #[test]
    fn a_positive_advantage_makes_the_choice_likelier_and_zero_changes_nothing() {
        let mut policy = LinearPolicy::new(12, 1.0, vec![]).unwrap();
        let s = seen(&["go to fridge 1", "take apple 1 from countertop 1", "look"]);
        let view = View {
            task: "Your task is to: put a apple in fridge.",
            seen: &s,
            previous: None,
            history: &[],
            expert: None,
        };
        let mut rng = Rng::new(3);
        let choice = policy.act(&view, &mut rng).unwrap();
        let mut decision = choice.decision.unwrap();
        decision.chosen = 1;
        let before = policy.probabilities(&decision.candidates)[1];
        assert!((before - 1.0 / 3.0).abs() < 1e-12, "zero weights: uniform");

        let stats = policy.update(&[&decision], &[0.0], 10.0).unwrap();
        assert_eq!(stats.step_norm, 0.0);
        policy.update(&[&decision], &[1.0], 0.5).unwrap();
        let after = policy.probabilities(&decision.candidates)[1];
        assert!(after > before, "{after} <= {before}");
        policy.update(&[&decision], &[-2.0], 0.5).unwrap();
        let undone = policy.probabilities(&decision.candidates)[1];
        assert!(undone < after, "{undone} >= {after}");

        assert!(policy.update(&[&decision], &[], 1.0).is_err());
    }

    /// A step that would overflow a weight is refused whole: the weights (and any file saved
    /// from them afterwards) keep their last finite values.
    #[test]
    fn an_overflowing_step_is_refused_and_the_weights_kept() {
        let mut policy = LinearPolicy::new(8, 1.0, vec![]).unwrap();
        let s = seen(&["go to fridge 1", "take apple 1 from countertop 1"]);
        let view = View {
            task: "Your task is to: put a apple in fridge.",
            seen: &s,
            previous: None,
            history: &[],
            expert: None,
        };
        let mut decision = policy
            .act(&view, &mut Rng::new(1))
            .unwrap()
            .decision
            .unwrap();
        decision.chosen = 0;
        let before = policy.weights.clone();
        let err = policy.update(&[&decision], &[1.7e308], 1e9).unwrap_err();
        assert!(format!("{err:#}").contains("refused"), "{err:#}");
        assert_eq!(policy.weights, before);
        assert!(policy.weights.iter().all(|w| w.is_finite()));
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(LinearPolicy::new(40, 1.0, vec![]).is_err());
        assert!(LinearPolicy::new(12, 0.0, vec![]).is_err());
        assert!(LinearPolicy::new(12, f64::NAN, vec![]).is_err());
    }
}
