//! `proxmo bench expert`: every task of a split played by the environment's expert
//! (`Env::expert_action`, what `policy.lm { teacher = "expert" }` demonstrates), to show how
//! often the demonstrations succeed and how long they are.

use crate::env::Env;
use crate::kinds::env::build_env;
use crate::kinds::params_with_defaults;
use crate::stage::Value;
use anyhow::Result;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One expert episode: won, score, steps, and the task's kind.
struct Played {
    won: bool,
    score: f64,
    steps: usize,
    kind: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExpertMeasurement {
    pub kind: String,
    pub split: String,
    pub max_steps: u32,
    pub tasks: usize,
    pub won: usize,
    /// Mean raw score x 100.
    pub score: f64,
    /// Mean steps of the won episodes.
    pub won_steps: f64,
    /// Episodes where the expert had no action left before the end.
    pub gave_up: usize,
    /// (tasks, won) per task kind.
    pub by_kind: BTreeMap<String, (usize, usize)>,
}

fn play(env: &mut dyn Env, task: usize, max_steps: u32) -> Result<(Played, bool)> {
    let mut seen = env.reset(task)?;
    let mut steps = 0;
    let mut gave_up = false;
    while !seen.done && steps < max_steps as usize {
        let Some(action) = env.expert_action() else {
            gave_up = true;
            break;
        };
        seen = env.step(&action)?;
        steps += 1;
    }
    let played = Played {
        won: seen.won,
        score: seen.score,
        steps,
        kind: env.task_kind(task),
    };
    Ok((played, gave_up))
}

/// Plays every task of `split` (at most `limit` of them, the first ones) with the expert.
pub fn measure(kind: &str, split: &str, max_steps: u32, limit: usize) -> Result<ExpertMeasurement> {
    let params = params_with_defaults(
        kind,
        &[
            ("split", Value::Str(split.into())),
            ("max_steps", Value::Int(max_steps as i64)),
        ],
    )?;
    let envs = build_env(kind, &params)?;
    let n = envs.make()?.n_tasks().min(limit);
    let played: Vec<(Played, bool)> = (0..n)
        .into_par_iter()
        .map(|task| {
            let mut env = envs.make()?;
            play(env.as_mut(), task, max_steps)
        })
        .collect::<Result<_>>()?;
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (p, _) in &played {
        if let Some(k) = &p.kind {
            let e = by_kind.entry(k.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(p.won);
        }
    }
    let won = played.iter().filter(|(p, _)| p.won).count();
    let won_steps: usize = played
        .iter()
        .filter(|(p, _)| p.won)
        .map(|(p, _)| p.steps)
        .sum();
    Ok(ExpertMeasurement {
        kind: kind.into(),
        split: split.into(),
        max_steps,
        tasks: n,
        won,
        score: 100.0 * played.iter().map(|(p, _)| p.score).sum::<f64>() / n.max(1) as f64,
        won_steps: won_steps as f64 / won.max(1) as f64,
        gave_up: played.iter().filter(|(_, g)| *g).count(),
        by_kind,
    })
}

pub fn report(m: &ExpertMeasurement) -> String {
    let mut out = format!(
        "{} ({}, {} steps at most): expert won {}/{} = {:.1}%, score {:.1}, {:.1} steps per won episode, gave up on {}",
        m.kind,
        m.split,
        m.max_steps,
        m.won,
        m.tasks,
        100.0 * m.won as f64 / m.tasks.max(1) as f64,
        m.score,
        m.won_steps,
        m.gave_up
    );
    if !m.by_kind.is_empty() {
        out.push_str("\n    by task type:");
        for (k, (n, w)) in &m.by_kind {
            let _ = write!(out, " {k} {w}/{n}");
        }
    }
    out
}
