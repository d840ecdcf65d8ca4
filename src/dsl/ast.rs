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
    pub name: Ident,
    /// Each chain written in the body (`a -> b -> c`); a valid pipeline has exactly one.
    pub chains: Vec<Vec<Ident>>,
    pub settings: Vec<Param>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileAst {
    pub imports: Vec<Import>,
    pub stages: Vec<StageDecl>,
    pub pipelines: Vec<PipelineDecl>,
}
