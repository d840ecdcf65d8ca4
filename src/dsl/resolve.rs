//! Resolution: named stages looked up (following derivations), `--set` overrides applied,
//! parameters checked against each kind's schema with defaults filled in, and pipelines
//! checked for references and wiring order. Every error found is collected.

use super::ast::{Ident, Param, PipelineDecl, StageDecl, StageExpr, ValueKind, ValueNode};
use super::check::against_spec;
use super::diagnostics::Diagnostic;
use super::load::Loaded;
use super::overrides::Override;
use super::select::{check_defaults, choose, declared, duplicate, Decl, Selection};
use super::source::{FileId, Span};
use super::wiring::check_wiring;
use crate::kinds;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, ResolvedPipeline, ResolvedStage, Role, Runnable,
    StageSchema, StageValue, Value,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A stage after following its derivations, before its parameters are checked.
#[derive(Debug, Clone)]
struct Unchecked {
    schema: &'static StageSchema,
    /// Parameters by name; a derived stage's own values replace its base's.
    params: BTreeMap<String, Param>,
}

struct Resolver<'a> {
    decls: HashMap<&'a str, &'a StageDecl>,
    /// `--set` parameters per stage name, applied as if written in the declaration.
    overrides: HashMap<String, Vec<Param>>,
    set_files: HashSet<FileId>,
    unchecked: HashMap<String, Option<Unchecked>>,
    in_progress: Vec<String>,
    errors: Vec<Diagnostic>,
}

/// What every resolution of a program shares: its declarations, by name.
pub(super) struct Scope<'a> {
    stage_decls: Vec<&'a StageDecl>,
    decls: HashMap<&'a str, &'a StageDecl>,
    pub pipelines: HashMap<&'a str, &'a PipelineDecl>,
    pub sequences: HashSet<&'a str>,
}

/// Resolves the selected pipelines and sequences of `loaded`. Errors are returned all
/// together.
pub fn resolve(
    loaded: &Loaded,
    overrides: Vec<Override>,
    selection: Selection,
) -> (Vec<Runnable>, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let stage_decls: Vec<&StageDecl> = loaded.files.iter().flat_map(|(_, a)| &a.stages).collect();
    let mut decls: HashMap<&str, &StageDecl> = HashMap::new();
    for decl in &stage_decls {
        match decls.get(decl.name.name.as_str()) {
            Some(first) => errors.push(duplicate(
                &loaded.sources,
                &decl.name,
                "stage",
                first.name.span,
            )),
            None => {
                decls.insert(&decl.name.name, decl);
            }
        }
    }
    let all = declared(loaded, &mut errors);
    check_defaults(loaded, &all, &mut errors);
    let chosen = choose(loaded, &all, &selection, &mut errors);
    let scope = Scope {
        stage_decls,
        decls,
        pipelines: all
            .iter()
            .filter_map(|d| match d {
                Decl::Pipeline(p) => Some((p.name.name.as_str(), *p)),
                Decl::Sequence(_) => None,
            })
            .collect(),
        sequences: all
            .iter()
            .filter_map(|d| match d {
                Decl::Sequence(s) => Some(s.name.name.as_str()),
                Decl::Pipeline(_) => None,
            })
            .collect(),
    };

    // The chosen pipelines resolve together (every declared stage checked once, even when
    // nothing but sequences was chosen); each sequence step resolves with its own sets.
    let plain: Vec<&PipelineDecl> = chosen
        .iter()
        .filter_map(|d| match d {
            Decl::Pipeline(p) => Some(*p),
            Decl::Sequence(_) => None,
        })
        .collect();
    let (mut resolved_plain, mut more) = scope.resolve_pipelines(&overrides, &plain);
    errors.append(&mut more);
    let mut resolved = Vec::new();
    for decl in chosen {
        match decl {
            Decl::Pipeline(_) => {
                if let Some(p) = resolved_plain.remove(0) {
                    resolved.push(Runnable::Pipeline(p));
                }
            }
            Decl::Sequence(seq) => {
                if let Some(s) = super::sequence::resolve(&scope, &overrides, seq, &mut errors) {
                    resolved.push(Runnable::Sequence(s));
                }
            }
        }
    }
    // Steps resolve the same stages again: each mistake is reported once.
    errors.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.span.map(|s| (s.file, s.start)), d.message.clone());
        key(a).cmp(&key(b))
    });
    errors.dedup();
    (resolved, errors)
}

impl<'a> Scope<'a> {
    /// Resolves `pipelines` with `overrides` applied (in order: a later one wins), checking
    /// every declared stage; one entry per pipeline, `None` where it had errors.
    pub(super) fn resolve_pipelines(
        &self,
        overrides: &[Override],
        pipelines: &[&PipelineDecl],
    ) -> (Vec<Option<ResolvedPipeline>>, Vec<Diagnostic>) {
        let mut r = Resolver {
            decls: self.decls.clone(),
            overrides: HashMap::new(),
            set_files: overrides
                .iter()
                .filter(|o| o.command_line)
                .map(|o| o.file)
                .collect(),
            unchecked: HashMap::new(),
            in_progress: Vec::new(),
            errors: Vec::new(),
        };
        let mut setting_overrides = Vec::new();
        for o in overrides.iter().cloned() {
            match o.stage {
                None => setting_overrides.push(o.param),
                Some(stage) if r.decls.contains_key(stage.name.as_str()) => {
                    r.overrides.entry(stage.name).or_default().push(o.param)
                }
                Some(stage) => {
                    let what = if o.command_line {
                        "`--set`"
                    } else {
                        "this step"
                    };
                    let d = Diagnostic::at(
                        stage.span,
                        format!("{what} names an undefined stage `{}`", stage.name),
                    );
                    let d = d.suggest(&stage.name, r.decls.keys().copied());
                    r.errors.push(d);
                }
            }
        }

        // Check every declared stage, so all mistakes of a file show in one run.
        let needed: HashSet<&str> = pipelines
            .iter()
            .flat_map(|p| p.chains.iter().flatten())
            .map(|i| i.name.as_str())
            .collect();
        let mut checked: HashMap<String, ResolvedStage> = HashMap::new();
        for decl in &self.stage_decls {
            let name = decl.name.name.as_str();
            if checked.contains_key(name) {
                continue;
            }
            if let Some(stage) = r.check_stage(name, needed.contains(name)) {
                checked.insert(name.to_string(), stage);
            }
        }
        let resolved = pipelines
            .iter()
            .map(|decl| r.pipeline(decl, &checked, &setting_overrides))
            .collect();
        (resolved, r.errors)
    }
}

impl<'a> Resolver<'a> {
    /// Follows `name`'s derivations down to a stage kind; `None` after reporting an error.
    fn unchecked(&mut self, name: &str, used_at: Span) -> Option<Unchecked> {
        if let Some(done) = self.unchecked.get(name) {
            return done.clone();
        }
        if let Some(at) = self.in_progress.iter().position(|n| n == name) {
            let mut cycle = self.in_progress[at..].to_vec();
            cycle.push(name.to_string());
            self.errors.push(
                Diagnostic::at(
                    used_at,
                    format!("stage derivation cycle: {}", cycle.join(" -> ")),
                )
                .help(
                    "a stage must derive, in the end, from a stage kind such as `advantage.proxmo`",
                ),
            );
            return None;
        }
        let decl = *self.decls.get(name)?;
        self.in_progress.push(name.to_string());
        let mut result = self.expand(&decl.expr);
        self.in_progress.pop();
        if let (Some(stage), Some(extra)) = (result.as_mut(), self.overrides.get(name)) {
            for param in extra {
                stage.params.insert(param.name.name.clone(), param.clone());
            }
        }
        self.unchecked.insert(name.to_string(), result.clone());
        result
    }

    /// The stage that `base { params }` denotes: a kind with these parameters, or a named
    /// stage's parameters with these on top.
    fn expand(&mut self, expr: &StageExpr) -> Option<Unchecked> {
        let base = &expr.base;
        let mut stage = if base.name.contains('.') {
            Unchecked {
                schema: self.kind(base)?,
                params: BTreeMap::new(),
            }
        } else if self.decls.contains_key(base.name.as_str()) {
            self.unchecked(&base.name, base.span)?
        } else {
            self.errors.push(self.undefined_base(base));
            return None;
        };
        let mut seen = HashSet::new();
        for param in &expr.params {
            if !seen.insert(param.name.name.as_str()) {
                self.errors.push(
                    Diagnostic::at(
                        param.name.span,
                        format!("parameter `{}` is given twice", param.name.name),
                    )
                    .help("remove one of them"),
                );
            }
            stage.params.insert(param.name.name.clone(), param.clone());
        }
        Some(stage)
    }

    fn kind(&mut self, name: &Ident) -> Option<&'static StageSchema> {
        if let Some(schema) = kinds::schema(&name.name) {
            return Some(schema);
        }
        let prefix = name.name.split('.').next().unwrap_or("");
        let d = Diagnostic::at(name.span, format!("unknown stage kind `{}`", name.name));
        let schemas = kinds::schemas();
        let d = match super::diagnostics::closest(&name.name, schemas.iter().map(|k| k.kind)) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None if Role::from_prefix(prefix).is_none() => d.help(
                "stage kinds start with source., env., rollout., advantage., update., sink. or policy.; `proxmo stages` lists them",
            ),
            None => {
                let same_role: Vec<&str> = schemas.iter().map(|k| k.kind).filter(|k| k.starts_with(&format!("{prefix}."))).collect();
                if same_role.is_empty() {
                    d.help(format!("no `{prefix}.*` kind is built yet; `proxmo stages` lists what is"))
                } else {
                    d.help(format!("`{prefix}` kinds: {}", same_role.join(", ")))
                }
            }
        };
        self.errors.push(d);
        None
    }

    fn undefined_base(&self, base: &Ident) -> Diagnostic {
        let d = Diagnostic::at(base.span, format!("undefined stage `{}`", base.name));
        if let Some(best) = super::diagnostics::closest(&base.name, self.decls.keys().copied()) {
            return d.help(format!("did you mean `{best}`?"));
        }
        let suffix = format!(".{}", base.name);
        match kinds::schemas().iter().find(|k| k.kind.ends_with(&suffix)) {
            Some(k) => d.help(format!("to use the stage kind, write its full name: `{}`", k.kind)),
            None => d.help("a stage derives from a stage kind (`advantage.proxmo { .. }`) or from another declared stage"),
        }
    }

    /// `name` fully checked, defaults filled in. Missing required parameters are errors only
    /// for stages a pipeline uses (`needed`), so libraries may leave them to the user.
    fn check_stage(&mut self, name: &str, needed: bool) -> Option<ResolvedStage> {
        let decl = *self.decls.get(name)?;
        let stage = self.unchecked(name, decl.name.span)?;
        let params = self.check_params(&stage, name, decl.name.span, needed)?;
        Some(ResolvedStage {
            name: name.to_string(),
            kind: stage.schema.kind.to_string(),
            role: stage.schema.role,
            params: Params(params),
            span: Some(decl.name.span),
            param_spans: value_spans(&stage.params),
        })
    }

    fn check_params(
        &mut self,
        stage: &Unchecked,
        owner: &str,
        owner_span: Span,
        needed: bool,
    ) -> Option<BTreeMap<String, Value>> {
        let schema = stage.schema;
        let mut values = BTreeMap::new();
        let mut ok = true;
        for (name, param) in &stage.params {
            let Some(spec) = schema.param(name) else {
                let d = Diagnostic::at(
                    param.name.span,
                    format!("`{}` has no parameter `{name}`", schema.kind),
                );
                let d =
                    match super::diagnostics::closest(name, schema.params.iter().map(|p| p.name)) {
                        Some(best) => d.help(format!("did you mean `{best}`?")),
                        None => d.help(format!("its parameters: {}", param_names(schema))),
                    };
                self.errors.push(d);
                ok = false;
                continue;
            };
            match self.value(&param.value, spec, owner) {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => ok = false,
            }
        }
        for spec in &schema.params {
            if values.contains_key(spec.name) || stage.params.contains_key(spec.name) {
                continue;
            }
            match &spec.default {
                ParamDefault::Value(v) => {
                    values.insert(spec.name.to_string(), v.clone());
                }
                ParamDefault::Required if needed => {
                    let how = format!(
                        "add `{} = ...` ({}: {})",
                        spec.name,
                        spec.ty.describe(),
                        spec.doc
                    );
                    // `--set` reaches a stage's own parameters, not those of a nested stage.
                    let help = if owner.contains('.') {
                        format!("{how} inside the {} {{ }} block", schema.kind)
                    } else {
                        format!("{how}, or pass --set {owner}.{}=...", spec.name)
                    };
                    self.errors.push(
                        Diagnostic::at(
                            owner_span,
                            format!(
                                "stage `{owner}` ({}) needs parameter `{}`",
                                schema.kind, spec.name
                            ),
                        )
                        .help(help),
                    );
                    ok = false;
                }
                ParamDefault::Required | ParamDefault::Derived(_) => {}
            }
        }
        ok.then_some(values)
    }

    fn value(&mut self, node: &ValueNode, spec: &ParamSpec, owner: &str) -> Option<Value> {
        if let ParamType::Stage(prefix) = spec.ty {
            return self.nested(node, spec, prefix, owner);
        }
        let from_command_line = self.set_files.contains(&node.span.file);
        match against_spec(node, spec, owner, from_command_line) {
            Ok(v) => Some(v),
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    /// A parameter whose value is itself a stage (`policy = policy.random { .. }`).
    fn nested(
        &mut self,
        node: &ValueNode,
        spec: &ParamSpec,
        prefix: &str,
        owner: &str,
    ) -> Option<Value> {
        let owner = format!("{owner}.{}", spec.name);
        let stage = match &node.kind {
            ValueKind::Stage(expr) => self.expand(expr)?,
            ValueKind::Reference(name) if name.name.contains('.') => Unchecked {
                schema: self.kind(name)?,
                params: BTreeMap::new(),
            },
            ValueKind::Reference(name) if self.decls.contains_key(name.name.as_str()) => {
                self.unchecked(&name.name, name.span)?
            }
            ValueKind::Reference(name) => {
                self.errors.push(self.undefined_base(name));
                return None;
            }
            _ => {
                self.errors.push(
                    Diagnostic::at(node.span, format!("`{owner}` expects a {prefix}* stage")).help(
                        format!("write e.g. `{} = {prefix}KIND {{ ... }}`", spec.name),
                    ),
                );
                return None;
            }
        };
        if !stage.schema.kind.starts_with(prefix) {
            self.errors.push(
                Diagnostic::at(
                    node.span,
                    format!(
                        "`{owner}` expects a {prefix}* stage, found `{}`",
                        stage.schema.kind
                    ),
                )
                .help(format!("{}: {}", spec.name, spec.doc)),
            );
            return None;
        }
        let params = self.check_params(&stage, &owner, node.span, true)?;
        Some(Value::Stage(StageValue {
            kind: stage.schema.kind.to_string(),
            params,
        }))
    }

    fn pipeline(
        &mut self,
        decl: &PipelineDecl,
        stages: &HashMap<String, ResolvedStage>,
        setting_overrides: &[Param],
    ) -> Option<ResolvedPipeline> {
        let name = &decl.name.name;
        let chain = match decl.chains.as_slice() {
            [one] => one,
            [] => {
                self.errors.push(
                    Diagnostic::at(decl.name.span, format!("pipeline `{name}` wires no stages"))
                        .help("add a chain such as `source -> credit -> sink`"),
                );
                return None;
            }
            [_, second, ..] => {
                self.errors.push(
                    Diagnostic::at(
                        second[0].span,
                        format!("pipeline `{name}` has more than one chain"),
                    )
                    .help("a pipeline is one chain: join the stages with `->`"),
                );
                return None;
            }
        };
        let mut ok = true;
        let mut wired: Vec<(&Ident, &ResolvedStage)> = Vec::new();
        let mut seen = HashSet::new();
        for ident in chain {
            if !seen.insert(ident.name.as_str()) {
                self.errors.push(
                    Diagnostic::at(ident.span, format!("stage `{}` appears twice in pipeline `{name}`", ident.name))
                        .help("declare a second stage derived from it (`stage b = a { }`) to use it twice"),
                );
                ok = false;
                continue;
            }
            match stages.get(&ident.name) {
                Some(stage) => wired.push((ident, stage)),
                None if self.decls.contains_key(ident.name.as_str()) => ok = false, // already reported
                None => {
                    let d = Diagnostic::at(
                        ident.span,
                        format!("pipeline `{name}` uses undefined stage `{}`", ident.name),
                    );
                    let d = d.suggest(&ident.name, self.decls.keys().copied());
                    self.errors.push(d);
                    ok = false;
                }
            }
        }
        if ok {
            if let Err(mut errs) = check_wiring(&wired) {
                self.errors.append(&mut errs);
                ok = false;
            }
        }
        let settings = self.settings(decl, setting_overrides);
        match (ok, settings) {
            (true, Some((settings, setting_spans))) => Some(ResolvedPipeline {
                name: name.clone(),
                chain_spans: wired.iter().map(|(ident, _)| ident.span).collect(),
                stages: wired.into_iter().map(|(_, s)| s.clone()).collect(),
                settings,
                setting_spans,
                span: Some(decl.name.span),
            }),
            _ => None,
        }
    }

    fn settings(
        &mut self,
        decl: &PipelineDecl,
        overrides: &[Param],
    ) -> Option<(BTreeMap<String, Value>, BTreeMap<String, Span>)> {
        let schema = kinds::settings::schema();
        let mut params = BTreeMap::new();
        let mut ok = true;
        for p in &decl.settings {
            if params.insert(p.name.name.clone(), p.clone()).is_some() {
                self.errors.push(
                    Diagnostic::at(
                        p.name.span,
                        format!("setting `{}` is given twice", p.name.name),
                    )
                    .help("remove one of them"),
                );
                ok = false;
            }
        }
        for p in overrides {
            params.insert(p.name.name.clone(), p.clone());
        }
        let spans = value_spans(&params);
        let unchecked = Unchecked { schema, params };
        let values = self.check_params(&unchecked, &decl.name.name, decl.name.span, true)?;
        ok.then_some((values, spans))
    }
}

/// Where each written parameter's value is, for checks made after resolution.
fn value_spans(params: &BTreeMap<String, Param>) -> BTreeMap<String, Span> {
    params
        .iter()
        .map(|(name, p)| (name.clone(), p.value.span))
        .collect()
}

fn param_names(schema: &StageSchema) -> String {
    if schema.params.is_empty() {
        return "none".into();
    }
    schema
        .params
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}
