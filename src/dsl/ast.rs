//! The typed syntax tree of a `.pipe` file. Every node keeps its span for error messages.

use super::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    List(Vec<ValueNode>),
    /// An inline stage: `policy.random { seed = 1 }`.
    Stage(StageExpr),
    /// A bare name: another stage (`policy = my_policy`) or, from `--set`, a word.
    Reference(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueNode {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub value: ValueNode,
}

/// `base { params }`, where base is a stage kind (`advantage.proxmo`) or another stage's name.
#[derive(Debug, Clone, PartialEq)]
pub struct StageExpr {
    pub base: Ident,
    pub params: Vec<Param>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageDecl {
    pub name: Ident,
    pub expr: StageExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub path: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineDecl {
    /// The `pipeline` keyword, where an error about the declaration as a whole points.
    pub keyword: Span,
    /// The `default` keyword before it, if the file runs this pipeline by default.
    pub default: Option<Span>,
    pub name: Ident,
    /// Each chain written in the body (`a -> b -> c`); a valid pipeline has exactly one.
    pub chains: Vec<Vec<Ident>>,
    pub settings: Vec<Param>,
}

/// `STAGE.PARAM = VALUE` (or `SETTING = VALUE`) in a step of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSet {
    /// `None` for a pipeline setting.
    pub stage: Option<Ident>,
    pub param: Param,
}

/// One step of a sequence: a pipeline and what the step sets in it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDecl {
    pub pipeline: Ident,
    pub sets: Vec<StepSet>,
}

/// `sequence NAME { a  b { stage.param = value } }`: pipelines run one after another.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceDecl {
    pub keyword: Span,
    pub default: Option<Span>,
    pub name: Ident,
    pub steps: Vec<StepDecl>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileAst {
    pub imports: Vec<Import>,
    pub stages: Vec<StageDecl>,
    pub pipelines: Vec<PipelineDecl>,
    pub sequences: Vec<SequenceDecl>,
}
