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

    /// The parameter naming what this stage writes (`Role::output_params`), if its kind
    /// has one.
    pub fn output_param(&self) -> Option<&'static str> {
        self.role
            .output_params()
            .iter()
            .copied()
            .find(|p| self.params.get(p).is_some())
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

/// A sequence after resolution: its steps in order, each a pipeline with the step's
/// parameters applied (docs/pipe-language.md, "Sequences").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedSequence {
    /// Serialised first, so `check --resolved` tells a sequence from a pipeline at a glance.
    pub sequence: String,
    pub steps: Vec<ResolvedStep>,
    /// Where the sequence is declared.
    #[serde(skip)]
    pub span: Option<Span>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedStep {
    /// The pipeline as the step runs it: its inputs hold what earlier steps write.
    pub pipeline: ResolvedPipeline,
    /// The same pipeline with each input at its own value: what can be planned before the
    /// earlier steps have written anything.
    #[serde(skip)]
    pub before_inputs: ResolvedPipeline,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<StepInput>,
}

/// A parameter of a step set to what an earlier step writes (`lm.model = sft.warm_start.save`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepInput {
    /// The parameter set: `lm.model` (or a setting's name).
    pub target: String,
    /// Where its value comes from: `sft.warm_start.save`.
    pub from: String,
    /// The path the earlier step writes.
    pub path: String,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// What `proxmo run` runs: one pipeline, or a sequence of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Runnable {
    Pipeline(ResolvedPipeline),
    Sequence(ResolvedSequence),
}

impl Runnable {
    pub fn name(&self) -> &str {
        match self {
            Runnable::Pipeline(p) => &p.name,
            Runnable::Sequence(s) => &s.sequence,
        }
    }
}
