//! `advantage.rloo`: the episode outcome minus the leave-one-out mean, no step level.

use super::{schema_with, Common};
use crate::advantage::{EpisodeRule, Estimator};
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{Params, StageSchema};

stage_kind!("advantage.rloo", Common, Build::Advantage(build));

fn schema() -> StageSchema {
    schema_with(
        KIND.name,
        "RLOO: episode outcome minus the leave-one-out mean, no step level",
        vec![],
    )
}

fn build(params: &Params) -> anyhow::Result<Estimator> {
    let c: Common = read(params)?;
    let mut est = c.estimator();
    est.episode = EpisodeRule::Rloo;
    Ok(est)
}
