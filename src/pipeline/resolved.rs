//! A pipeline after resolution: imports followed, derived stages flattened, `--set`
//! overrides applied, defaults filled in and everything validated. This is what the DSL
//! front end hands to the runner, and what `proxmo check --resolved` prints.

use super::schema::Role;
use super::value::{Params, Value};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedStage {
    /// The name the stage was declared under (`credit`).
    pub name: String,
    /// Its kind (`advantage.proxmo`), after following derivations.
    pub kind: String,
    #[serde(skip)]
    pub role: Role,
    /// Every parameter of the kind's schema that has a value (defaults included); parameters
    /// whose default is derived by the stage (e.g. from `profile`) are absent unless set.
    pub params: Params,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedPipeline {
    pub name: String,
    /// The stages in wiring order (`a -> b -> c`).
    pub stages: Vec<ResolvedStage>,
    /// Pipeline settings (`iterations`, `seed`, `eval { .. }`), defaults filled in.
    pub settings: BTreeMap<String, Value>,
}
