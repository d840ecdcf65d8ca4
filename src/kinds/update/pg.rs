//! `update.pg`: one policy-gradient step per batch on `policy.linear`, each decision weighted
//! by its row's advantage (PPO's first step on fresh rollouts, without clipping).

use crate::kinds::roles::Update;
use crate::kinds::Build;
use crate::rollout::policy::{Decision, Policy};
use crate::rollout::Rollouts;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Range, Role, StageConfig, StageSchema,
};
use anyhow::{bail, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub save: String,
    pub lr: f64,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.save.is_empty() {
            return Ok(());
        }
        crate::data::atomic::ensure_writable_target(std::path::Path::new(&self.save))
            .map_err(|e| Problem::at("save", format!("{e:#}")))
    }
}

stage_kind!(
    "update.pg",
    Config,
    Build::Update {
        build,
        trains: &["policy.linear"],
    }
);

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Update,
        doc: "policy-gradient step on the batch's advantages (PPO's first step on fresh rollouts); trains policy.linear",
        params: vec![
            ParamSpec::new(
                "save",
                ParamType::Str,
                ParamDefault::str(""),
                "write the policy's weights here after every update, atomically (empty: never)",
            ),
            ParamSpec::new(
                "lr",
                ParamType::Float,
                ParamDefault::float(30.0),
                "learning rate on the mean gradient of the batch (a few successes among thousands of decisions make that mean small)",
            )
            .range(Range::left_open(0.0, 1e9)),
        ],
    }
}

struct PolicyGradient {
    lr: f64,
    save: Option<PathBuf>,
}

fn build(params: &Params) -> Result<Box<dyn Update>> {
    let c: Config = read(params)?;
    Ok(Box::new(PolicyGradient {
        lr: c.lr,
        save: (!c.save.is_empty()).then(|| PathBuf::from(c.save)),
    }))
}

impl Update for PolicyGradient {
    fn apply(
        &mut self,
        policy: &mut dyn Policy,
        played: &Rollouts,
        advantages: &[f64],
    ) -> Result<BTreeMap<String, f64>> {
        // Rows and decisions are in the same order; rows without a decision are skipped.
        let (decisions, weights): (Vec<&Decision>, Vec<f64>) = played
            .decisions
            .iter()
            .zip(advantages)
            .filter_map(|(d, &a)| d.as_ref().map(|d| (d, a)))
            .unzip();
        if decisions.is_empty() && !played.decisions.is_empty() {
            bail!(
                "update.pg needs a trainable policy (policy.linear): this one records no decisions"
            );
        }
        let stats = policy.update(&decisions, &weights, self.lr)?;
        if let Some(path) = &self.save {
            policy.save(path)?;
        }
        Ok(BTreeMap::from([
            ("policy_entropy".to_string(), stats.entropy),
            ("update_norm".to_string(), stats.step_norm),
        ]))
    }
}
