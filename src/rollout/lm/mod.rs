//! `policy.lm`: a language model held by the model worker (`python -m proxmo_worker`). At
//! every lockstep step proxmo builds the paper's prompt for each unfinished rollout, applies
//! the model's chat template, tokenises and left-truncates it (`crate::lm`), sends all the
//! prompts' ids in one `generate`, decodes each sampled response only to project it onto an
//! action (`agent::projection`), and keeps the exact prompt ids, response ids and log-probs
//! with the row, so training sees the tokens that were sampled.
//!
//! As a teacher (`teacher = "expert"`) it acts with the environment's expert instead, and
//! records the expert's action written in the answer format and tokenised with the model's
//! tokenizer (an EOS appended, so the model learns to stop): demonstrations for `update.sft`.
//! Evaluations play the model itself, so a warm start's run reports what the model learnt.

pub mod pack;
pub mod train;
pub mod worker;

use super::policy::{
    Choice, Policy, Request, TokenLoss, TokenRecord, TrainRow, Transcript, WorkerTime,
};
use crate::agent::projection::fallback_chars;
use crate::agent::prompt::{Benchmark, Format};
use crate::lm::PromptEncoder;
use crate::rng::Rng;
use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use worker::{Sampling, Worker};

/// How the policy samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LmSampling {
    pub temperature: f64,
    /// Used while the run evaluates.
    pub eval_temperature: f64,
    pub top_p: f64,
    pub max_new_tokens: usize,
    pub max_prompt_tokens: usize,
}

pub struct LmPolicy {
    worker: Mutex<Worker>,
    encoder: PromptEncoder,
    benchmark: Benchmark,
    format: Format,
    sampling: LmSampling,
    evaluating: bool,
    /// Acts with the environment's expert, recording demonstrations.
    teacher: bool,
    /// The teacher's chance, at each step, of taking a detour instead.
    teacher_noise: f64,
    /// The teacher's chance, at each step, of playing the model's own action instead
    /// (DAgger: the states the model leads to, labelled with the expert's answer).
    learner_share: f64,
}

/// The directory inside a checkpoint's policy state that holds the worker's save.
const STATE_MODEL_DIR: &str = "model";

impl LmPolicy {
    pub fn new(
        worker: Worker,
        encoder: PromptEncoder,
        benchmark: Benchmark,
        format: Format,
        sampling: LmSampling,
    ) -> LmPolicy {
        LmPolicy {
            worker: Mutex::new(worker),
            encoder,
            benchmark,
            format,
            sampling,
            evaluating: false,
            teacher: false,
            teacher_noise: 0.0,
            learner_share: 0.0,
        }
    }

    /// The same policy acting as the environment's expert (see the module's docs). With
    /// `noise` > 0 it takes a detour (`detour`) with that chance at each step while the row
    /// still records the expert's answer for the state it was in:
    /// demonstrations of how to recover from a detour, which a model that only ever saw the
    /// expert's own path cannot learn. With `learner_share` > 0 that share of the steps
    /// plays the model's own sampled action (at the evaluation temperature, the states it
    /// reaches when it is evaluated), again labelled with the expert's answer: DAgger, which
    /// covers exactly the states the model's own mistakes lead to (docs/imitation.md).
    pub fn as_teacher(mut self, noise: f64, learner_share: f64) -> LmPolicy {
        self.teacher = true;
        self.teacher_noise = noise;
        self.learner_share = learner_share;
        self
    }

    /// The expert's action in the answer format, tokenised as the model would write it.
    fn demonstrate(&self, request: &mut Request) -> Result<Choice> {
        let Some(action) = request.view.expert else {
            // An environment with an expert has an action at the start of every episode;
            // later, a state the learner's or a detour's actions led to may leave the expert
            // without one: that step is played at random and not trained on.
            if request.view.history.is_empty() {
                bail!("policy.lm: teacher = \"expert\" needs an environment with an expert in the current state (env.alfworld, env.webshop, or an env.bridge adapter that sends `expert`)");
            }
            let action = detour(&request.view, request.rng).unwrap_or_else(|| "look".into());
            return Ok(Choice::plain(action));
        };
        let prompt = self.prompt(&request.view);
        let encoded = self
            .encoder
            .encode_user(&prompt, self.sampling.max_prompt_tokens)?;
        let response = self.format.demonstration(action);
        let mut ids = self.encoder.tokenizer.encode(&response)?;
        ids.push(self.eos()?);
        let mut taken = action.to_string();
        if self.teacher_noise > 0.0 && request.rng.chance(self.teacher_noise) {
            if let Some(detour) = detour(&request.view, request.rng) {
                taken = detour;
            }
        }
        Ok(Choice {
            action: taken,
            valid: true,
            decision: None,
            transcript: Some(Transcript {
                prompt,
                response,
                tokens: Some(TokenRecord {
                    prompt: encoded.ids,
                    response: ids,
                    // Not sampled: nothing to take a PPO ratio to.
                    logprobs: Vec::new(),
                    truncated: encoded.truncated,
                }),
            }),
        })
    }

    fn prompt(&self, view: &super::policy::View) -> String {
        self.format
            .prompt(self.benchmark, view.task, view.history, view.seen)
    }

    /// The id that ends a response, as the worker reported it.
    fn eos(&self) -> Result<u32> {
        Ok(self.worker()?.eos)
    }

    fn worker(&self) -> Result<std::sync::MutexGuard<'_, Worker>> {
        self.worker
            .lock()
            .map_err(|_| anyhow!("policy.lm: an earlier call to the model worker panicked"))
    }

    /// Samples every request's response from the model, in one `generate`.
    fn sample(&self, requests: &mut [Request], temperature: f64) -> Result<Vec<Choice>> {
        let s = &self.sampling;
        let prompts: Vec<String> = requests.iter().map(|r| self.prompt(&r.view)).collect();
        let encoded = prompts
            .iter()
            .map(|p| self.encoder.encode_user(p, s.max_prompt_tokens))
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<Vec<u32>> = encoded.iter().map(|e| e.ids.clone()).collect();
        let how = Sampling {
            temperature,
            top_p: s.top_p,
            max_new_tokens: s.max_new_tokens,
            seed: batch_seed(requests),
        };
        let sampled = self.worker()?.generate(&ids, how)?;
        let fallback = fallback_chars(self.benchmark.name());
        prompts
            .into_iter()
            .zip(encoded)
            .zip(sampled)
            .map(|((prompt, enc), out)| {
                let response = self.encoder.tokenizer.decode(&out.ids, true)?;
                let tokens = TokenRecord {
                    prompt: enc.ids,
                    response: out.ids,
                    logprobs: out.logprobs,
                    truncated: enc.truncated,
                };
                Ok(Choice::projected(prompt, response, fallback, Some(tokens)))
            })
            .collect()
    }

    /// The teacher's step for each request: the expert's answer is the row's label; what is
    /// played is the expert's action, a detour, or (DAgger) the model's own sampled action.
    fn teach(&self, requests: &mut [Request]) -> Result<Vec<Choice>> {
        let mut choices = requests
            .iter_mut()
            .map(|r| self.demonstrate(r))
            .collect::<Result<Vec<_>>>()?;
        let share = self.learner_share;
        let mask: Vec<bool> = requests
            .iter_mut()
            .map(|r| share > 0.0 && r.rng.chance(share))
            .collect();
        let learner: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
        if learner.is_empty() {
            return Ok(choices);
        }
        let mut asked: Vec<Request> = requests
            .iter_mut()
            .zip(&mask)
            .filter(|(_, &m)| m)
            .map(|(r, _)| Request {
                view: r.view,
                rng: &mut *r.rng,
            })
            .collect();
        let played = self.sample(&mut asked, self.sampling.eval_temperature)?;
        for (i, own) in learner.into_iter().zip(played) {
            choices[i].action = own.action;
        }
        Ok(choices)
    }

    fn temperature(&self) -> f64 {
        match self.evaluating {
            true => self.sampling.eval_temperature,
            false => self.sampling.temperature,
        }
    }
}

/// A teacher's detour from the expert's path: half of the time the previous action again,
/// the loop a small model falls into (a repeated `go to`, `open` or `take` is a no-op the
/// environment answers with `Nothing happens.`; measured: 1322 of the 4293 `go to`s of a
/// warm-started `small` preset on valid_unseen named where it already stood), otherwise a
/// random admissible action (never `help`). The row still records the expert's answer for
/// the state, so the model sees how to get back on track from both.
fn detour(view: &super::policy::View, rng: &mut Rng) -> Option<String> {
    if let Some(previous) = view.previous.filter(|_| rng.chance(0.5)) {
        return Some(previous.to_string());
    }
    let others: Vec<&String> = view
        .seen
        .admissible
        .iter()
        .filter(|a| *a != "help")
        .collect();
    rng.choose(&others).map(|a| a.to_string())
}

/// One seed for a batched `generate`, drawn from every rollout's own stream, so the draw
/// depends on the run's seed only (and is the same after `--resume`).
fn batch_seed(requests: &mut [Request]) -> u64 {
    requests.iter_mut().fold(0x9e37_79b9_7f4a_7c15, |h, r| {
        (h.rotate_left(17) ^ r.rng.next_u64()).wrapping_mul(0xbf58_476d_1ce4_e5b9)
    })
}

impl Policy for LmPolicy {
    fn shows_history(&self) -> bool {
        true
    }

    /// Every rollout of the batch in one `generate` per step.
    fn lockstep_width(&self) -> usize {
        usize::MAX
    }

    fn act(&self, view: &super::policy::View, rng: &mut Rng) -> Result<Choice> {
        let mut one = [Request { view: *view, rng }];
        Ok(self.act_batch(&mut one)?.remove(0))
    }

    fn follow_expert(&self) -> bool {
        self.teacher && !self.evaluating
    }

    fn act_batch(&self, requests: &mut [Request]) -> Result<Vec<Choice>> {
        if self.follow_expert() {
            return self.teach(requests);
        }
        self.sample(requests, self.temperature())
    }

    fn set_evaluating(&mut self, evaluating: bool) {
        self.evaluating = evaluating;
    }

    fn worker_time(&self) -> Option<WorkerTime> {
        self.worker().ok().map(|w| w.waited())
    }

    fn train_tokens(
        &mut self,
        loss: TokenLoss,
        micro_batches: &[Vec<TrainRow>],
    ) -> Result<BTreeMap<String, f64>> {
        self.worker()?.train(loss, micro_batches)
    }

    fn save(&self, path: &Path) -> Result<()> {
        self.worker()?.save(path)
    }

    fn save_state(&self, dir: &Path) -> Result<()> {
        self.worker()?.save(&dir.join(STATE_MODEL_DIR))
    }

    fn load_state(&mut self, dir: &Path) -> Result<()> {
        self.worker()?.load(&dir.join(STATE_MODEL_DIR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::StepOutcome;

    #[test]
    fn a_detour_repeats_the_previous_action_or_takes_an_admissible_one_never_help() {
        let seen = StepOutcome {
            observation: "You arrive at desk 1.".into(),
            anchor: "You arrive at desk 1.".into(),
            reward: 0.0,
            done: false,
            won: false,
            score: 0.0,
            admissible: vec!["help".into(), "look".into(), "go to bed 1".into()],
        };
        let view = |previous| super::super::policy::View {
            task: "",
            seen: &seen,
            previous,
            history: &[],
            expert: None,
        };
        let mut rng = Rng::new(7);
        let mut drawn = std::collections::BTreeMap::new();
        for _ in 0..400 {
            let d = detour(&view(Some("go to desk 1")), &mut rng).unwrap();
            *drawn.entry(d).or_insert(0) += 1;
        }
        assert!(!drawn.contains_key("help"), "{drawn:?}");
        let repeats = drawn["go to desk 1"];
        assert!((150..250).contains(&repeats), "{drawn:?}");
        assert!(drawn["look"] > 50 && drawn["go to bed 1"] > 50, "{drawn:?}");
        // On the first step there is nothing to repeat.
        for _ in 0..50 {
            let d = detour(&view(None), &mut rng).unwrap();
            assert!(d == "look" || d == "go to bed 1", "{d}");
        }
    }
}
