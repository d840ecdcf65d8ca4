//! A pipeline after resolution: imports followed, derived stages flattened, `--set`
//! overrides applied, defaults filled in and every value checked against its schema. This is
//! what the DSL front end hands to the planner and the runner, and what
//! `proxmo check --resolved` prints. Spans are kept so later checks can point at the source.

use super::schema::Role;
use super::span::Span;
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
    /// Where the stage is declared (its name).
    #[serde(skip)]
    pub span: Option<Span>,
    /// Where each explicitly written parameter's value is (defaults have none).
    #[serde(skip)]
    pub param_spans: BTreeMap<String, Span>,
}

impl ResolvedStage {
    /// A stage built in code (tests, benchmarks): no source spans.
    pub fn new(name: &str, kind: &str, role: Role, params: Params) -> ResolvedStage {
        ResolvedStage {
            name: name.to_string(),
            kind: kind.to_string(),
            role,
            params,
            span: None,
            param_spans: BTreeMap::new(),
        }
    }

    /// The span of parameter `param`'s value, or else the stage's own.
    pub fn span_of(&self, param: Option<&str>) -> Option<Span> {
        param
            .and_then(|p| self.param_spans.get(p).copied())
            .or(self.span)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedPipeline {
    pub name: String,
    /// The stages in wiring order (`a -> b -> c`).
    pub stages: Vec<ResolvedStage>,
    /// Where each stage is named in the chain, in the same order as `stages`.
    #[serde(skip)]
    pub chain_spans: Vec<Span>,
    /// Pipeline settings (`iterations`, `seed`, ...), defaults filled in.
    pub settings: BTreeMap<String, Value>,
    /// Where each explicitly written setting's value is.
    #[serde(skip)]
    pub setting_spans: BTreeMap<String, Span>,
    /// Where the pipeline is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}
