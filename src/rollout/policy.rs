//! Policies that choose actions in an environment: `policy.random` (a baseline and a plumbing
//! check), `policy.linear` (a small trainable one, see `linear.rs`) and `policy.command` (a
//! language model in the user's own process, see `command.rs`).

use crate::agent::projection::project;
use crate::agent::prompt::guess_task_statement;
use crate::env::{StepOutcome, QUERY_SLOT};
use crate::rng::Rng;
use anyhow::{bail, Result};
use std::time::Duration;

/// What a policy sees when it acts.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The episode's first observation (it states the task).
    pub task: &'a str,
    /// What the environment shows now.
    pub seen: &'a StepOutcome,
    /// The action taken at the previous step, if any.
    pub previous: Option<&'a str>,
    /// Every (anchor observation, action) pair of the episode so far, oldest first; empty
    /// unless the policy `shows_history`.
    pub history: &'a [(String, String)],
    /// The environment's expert action now; filled only for policies that `follow_expert`.
    pub expert: Option<&'a str>,
}

/// One rollout asking for its next action: what it sees and its own random stream.
pub struct Request<'a> {
    pub view: View<'a>,
    pub rng: &'a mut Rng,
}

/// What a trainable policy remembers of one choice, to compute its gradient later.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Feature indices of every candidate action, in the order they were offered.
    pub candidates: Vec<Vec<u32>>,
    /// Which candidate was taken.
    pub chosen: usize,
}

/// An action, whether the response that produced it followed the format, and what a
/// trainable or language-model policy records about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub action: String,
    /// False when a language model's response broke the answer format (penalised).
    pub valid: bool,
    pub decision: Option<Decision>,
    pub transcript: Option<Transcript>,
}

impl Choice {
    /// A well-formed action with nothing recorded.
    pub fn plain(action: String) -> Choice {
        Choice {
            action,
            valid: true,
            decision: None,
            transcript: None,
        }
    }

    /// A language model's answer: `response` projected onto an action (invalid when it
    /// breaks the answer format; `fallback` as `agent::projection::project` takes it), kept
    /// with its prompt and, where the policy has them, its exact tokens.
    pub fn projected(
        prompt: String,
        response: String,
        fallback: usize,
        tokens: Option<TokenRecord>,
    ) -> Choice {
        let projected = project(&response, fallback);
        Choice {
            action: projected.action,
            valid: projected.valid,
            decision: None,
            transcript: Some(Transcript {
                prompt,
                response,
                tokens,
            }),
        }
    }
}

/// A prompt and the policy's raw response, kept on the row for trainers that need them.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub prompt: String,
    pub response: String,
    /// The exact token ids a language model saw and sampled, for training it (never
    /// re-tokenised from the text).
    pub tokens: Option<TokenRecord>,
}

/// The tokens of one language-model step.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// The prompt as sent: chat template applied, tokenised, left-truncated.
    pub prompt: Vec<u32>,
    /// The sampled response ids (an ending EOS included).
    pub response: Vec<u32>,
    /// The policy's log-probability of each response token when it was sampled.
    pub logprobs: Vec<f64>,
    /// Prompt tokens cut from the front to fit the budget.
    pub truncated: usize,
}

/// One row of a token-level training request: a prompt, its response, and how to weigh it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRow<'a> {
    pub tokens: &'a TokenRecord,
    /// The row's advantage, broadcast to each of its response tokens (unused by SFT).
    pub advantage: f64,
}

/// Which loss a token-level training step minimises (docs/worker-protocol.md, `train`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLoss {
    Ppo,
    Sft,
}

/// How one update went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UpdateStats {
    /// Decisions the update used.
    pub decisions: usize,
    /// L2 norm of the applied step.
    pub step_norm: f64,
    /// Mean entropy of the policy over the decisions, before the step (nats).
    pub entropy: f64,
}

/// Time spent waiting for a model worker, by request (cumulative).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkerTime {
    /// Sampling responses (`generate`).
    pub generate: Duration,
    /// Optimiser steps (`train`).
    pub train: Duration,
    /// Everything else (`hello`, `save`, `load`).
    pub other: Duration,
}

/// Chooses the next action from what the environment shows.
pub trait Policy: Send + Sync {
    fn act(&self, view: &View, rng: &mut Rng) -> Result<Choice>;

    /// Whether `View::history` must be kept (it costs a copy of every observation).
    fn shows_history(&self) -> bool {
        false
    }

    /// Whether `View::expert` must be filled (asking the expert costs a plan per step).
    fn follow_expert(&self) -> bool {
        false
    }

    /// How many rollouts advance together, one `act_batch` per step: a model serving
    /// requests in batches wants them all; a cheap policy is faster with few.
    fn lockstep_width(&self) -> usize {
        64
    }

    /// Chooses for many rollouts at once; by default each on its own, in parallel.
    fn act_batch(&self, requests: &mut [Request]) -> Result<Vec<Choice>> {
        use rayon::prelude::*;
        requests
            .par_iter_mut()
            .map(|r| self.act(&r.view, r.rng))
            .collect()
    }

    /// Writes the policy's parameters to `path`.
    fn save(&self, _path: &std::path::Path) -> Result<()> {
        bail!("this policy has no parameters to save")
    }

    /// Switches between acting for training (`false`, the default) and for an evaluation
    /// (`true`): a language model samples at its evaluation temperature there.
    fn set_evaluating(&mut self, _evaluating: bool) {}

    /// Writes into directory `dir` everything a resumed run needs to go on exactly as an
    /// uninterrupted one would (weights, optimiser state). Stateless policies write nothing.
    fn save_state(&self, _dir: &std::path::Path) -> Result<()> {
        Ok(())
    }

    /// Restores what `save_state` wrote.
    fn load_state(&mut self, _dir: &std::path::Path) -> Result<()> {
        Ok(())
    }

    /// The total time spent so far waiting for the process that does this policy's model
    /// maths, for a policy that has one (`policy.lm`'s worker): what is left of a batch's
    /// wall time is proxmo's own work.
    fn worker_time(&self) -> Option<WorkerTime> {
        None
    }

    /// One optimiser step of a language model on `micro_batches` of token rows; returns the
    /// step's metrics.
    fn train_tokens(
        &mut self,
        _loss: TokenLoss,
        _micro_batches: &[Vec<TrainRow>],
    ) -> Result<std::collections::BTreeMap<String, f64>> {
        bail!("this policy is not a language model: it cannot train on tokens")
    }

    /// One policy-gradient step on `decisions` weighted by their `advantages`.
    fn update(
        &mut self,
        _decisions: &[&Decision],
        _advantages: &[f64],
        _lr: f64,
    ) -> Result<UpdateStats> {
        bail!("this policy has no parameters to train")
    }
}

/// The admissible actions minus `exclude`: what a policy chooses among.
pub fn candidates<'a>(seen: &'a StepOutcome, exclude: &[String]) -> Vec<&'a String> {
    seen.admissible
        .iter()
        .filter(|a| !exclude.contains(a))
        .collect()
}

/// Fills a template slot such as WebShop's `search[<your query>]` with the task statement,
/// so template actions can be taken without a language model.
pub fn fill_template(action: &str, view: &View) -> String {
    if !action.contains(QUERY_SLOT) {
        return action.to_string();
    }
    action.replace(QUERY_SLOT, &guess_task_statement(view.task))
}

/// Uniform over the admissible actions, minus an exclusion list. A template slot such as
/// WebShop's `search[<your query>]` is filled with the task statement.
#[derive(Debug, Clone)]
pub struct RandomPolicy {
    pub exclude: Vec<String>,
}

impl Policy for RandomPolicy {
    fn act(&self, view: &View, rng: &mut Rng) -> Result<Choice> {
        let choices = candidates(view.seen, &self.exclude);
        // No admissible action: an empty one, which the env answers as a no-op.
        let action = rng
            .choose(&choices)
            .map_or(String::new(), |a| fill_template(a, view));
        Ok(Choice::plain(action))
    }
}
