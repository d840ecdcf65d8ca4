//! Sequences: pipelines run one after another. Each step resolves its pipeline with the
//! command line's `--set`s and then its own sets on top; a set whose value is
//! `PIPELINE.STAGE.PARAM` reads what an earlier step writes there (a sink's `path`, an
//! update's `save`): docs/pipe-language.md, "Sequences".

use super::ast::{Ident, Param, SequenceDecl, StepSet, ValueKind, ValueNode};
use super::diagnostics::Diagnostic;
use super::overrides::Override;
use super::resolve::Scope;
use crate::stage::{ResolvedPipeline, ResolvedSequence, ResolvedStep, StepInput};
use std::collections::HashSet;

/// A step as far as it resolved: its pipeline's name, and the pipeline when it resolved.
struct Done {
    name: String,
    pipeline: Option<ResolvedPipeline>,
}

/// Resolves `seq`; `None` after reporting its errors.
pub(super) fn resolve(
    scope: &Scope,
    base: &[Override],
    seq: &SequenceDecl,
    errors: &mut Vec<Diagnostic>,
) -> Option<ResolvedSequence> {
    let mut done: Vec<Done> = Vec::new();
    let mut steps = Vec::new();
    let mut ok = true;
    if seq.steps.is_empty() {
        errors.push(
            Diagnostic::at(
                seq.name.span,
                format!("sequence `{}` has no steps", seq.name.name),
            )
            .help("list the pipelines to run, one per line: `sequence NAME { first  second }`"),
        );
        return None;
    }
    for step in &seq.steps {
        let name = &step.pipeline;
        let Some(decl) = scope.pipelines.get(name.name.as_str()) else {
            errors.push(unknown_step(scope, name));
            ok = false;
            continue;
        };
        if done.iter().any(|d| d.name == name.name) {
            errors.push(
                Diagnostic::at(name.span, format!("pipeline `{}` is a step of `{}` twice", name.name, seq.name.name))
                    .help("a later step reads an earlier one's outputs by its name, so a pipeline runs once in a sequence: declare a second pipeline to run it again"),
            );
            ok = false;
            continue;
        }
        let mut literal: Vec<Override> = base.to_vec();
        let mut inputs: Vec<(Override, StepInput)> = Vec::new();
        let mut step_ok = true;
        let mut seen = HashSet::new();
        for set in &step.sets {
            let key = target(set);
            if !seen.insert(key.clone()) {
                errors.push(
                    Diagnostic::at(
                        set.param.name.span,
                        format!("`{key}` is set twice in this step"),
                    )
                    .help("remove one of them"),
                );
                step_ok = false;
            }
            match input_reference(set) {
                Some(reference) => match read_output(seq, &done, reference, &step.pipeline) {
                    Ok(Some(path)) => {
                        let value = ValueNode {
                            kind: ValueKind::Str(path.clone()),
                            span: set.param.value.span,
                        };
                        let input = StepInput {
                            target: key,
                            from: reference.name.clone(),
                            path,
                            span: Some(reference.span),
                        };
                        inputs.push((overriding(set, value), input));
                    }
                    Ok(None) => step_ok = false, // the earlier step did not resolve
                    Err(d) => {
                        errors.push(d);
                        step_ok = false;
                    }
                },
                None => literal.push(overriding(set, set.param.value.clone())),
            }
        }
        let mut with_inputs = literal.clone();
        with_inputs.extend(inputs.iter().map(|(o, _)| o.clone()));
        let (mut resolved, mut more) = scope.resolve_pipelines(&with_inputs, &[decl]);
        errors.append(&mut more);
        let pipeline = resolved.pop().flatten();
        let before_inputs = match (&pipeline, inputs.is_empty()) {
            (Some(p), true) => Some(p.clone()),
            (Some(_), false) => {
                // A `--set` of an input's parameter does not reach this step: the input
                // wins, so the check before the run leaves the declaration's value there.
                let targets: HashSet<&str> =
                    inputs.iter().map(|(_, i)| i.target.as_str()).collect();
                let own: Vec<Override> = literal
                    .iter()
                    .filter(|o| !targets.contains(override_key(o).as_str()))
                    .cloned()
                    .collect();
                let (mut resolved, mut more) = scope.resolve_pipelines(&own, &[decl]);
                errors.append(&mut more);
                resolved.pop().flatten()
            }
            (None, _) => None,
        };
        done.push(Done {
            name: name.name.clone(),
            pipeline: pipeline.clone(),
        });
        match (pipeline, before_inputs, step_ok) {
            (Some(pipeline), Some(before_inputs), true) => steps.push(ResolvedStep {
                pipeline,
                before_inputs,
                inputs: inputs.into_iter().map(|(_, i)| i).collect(),
            }),
            _ => ok = false,
        }
    }
    ok.then(|| ResolvedSequence {
        sequence: seq.name.name.clone(),
        steps,
        span: Some(seq.name.span),
    })
}

/// `lm.model` or `seed`: what a step's set targets, for messages.
fn target(set: &StepSet) -> String {
    match &set.stage {
        Some(stage) => format!("{}.{}", stage.name, set.param.name.name),
        None => set.param.name.name.clone(),
    }
}

/// `lm.model` or `seed`: what an override targets.
fn override_key(o: &Override) -> String {
    match &o.stage {
        Some(stage) => format!("{}.{}", stage.name, o.param.name.name),
        None => o.param.name.name.clone(),
    }
}

/// A step's set as an override, applied like `--set` (after the command line's).
fn overriding(set: &StepSet, value: ValueNode) -> Override {
    Override {
        stage: set.stage.clone(),
        file: value.span.file,
        param: Param {
            name: set.param.name.clone(),
            value,
        },
        command_line: false,
    }
}

/// The `PIPELINE.STAGE.PARAM` a set's value names, if it is one (three dotted names: a stage
/// kind has two).
fn input_reference(set: &StepSet) -> Option<&Ident> {
    match &set.param.value.kind {
        ValueKind::Reference(r) if r.name.split('.').count() == 3 => Some(r),
        _ => None,
    }
}

/// The path an earlier step writes at `reference`; `Ok(None)` when that step did not
/// resolve (its errors are reported already).
fn read_output(
    seq: &SequenceDecl,
    done: &[Done],
    reference: &Ident,
    this_step: &Ident,
) -> Result<Option<String>, Diagnostic> {
    let parts: Vec<&str> = reference.name.split('.').collect();
    let (pipeline, stage, param) = (parts[0], parts[1], parts[2]);
    let at = |message: String| Diagnostic::at(reference.span, message);
    let Some(earlier) = done.iter().find(|d| d.name == pipeline) else {
        let later = seq.steps.iter().any(|s| s.pipeline.name == pipeline);
        let d = match (pipeline == this_step.name, later) {
            (true, _) => at(format!("`{}` reads this step's own output", reference.name))
                .help("a step reads what an earlier step wrote; to start from a file, give its path as a string"),
            (false, true) => at(format!("`{pipeline}` runs after this step, so `{}` is not written yet", reference.name))
                .help("move the step that writes it before this one"),
            (false, false) => {
                let earlier: Vec<&str> = done.iter().map(|d| d.name.as_str()).collect();
                let d = at(format!("`{pipeline}` is not an earlier step of sequence `{}`", seq.name.name));
                match super::diagnostics::closest(pipeline, earlier.iter().copied()) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None => d.help("`PIPELINE.STAGE.PARAM` names what an earlier step of this sequence writes: a sink's `path` or an update's `save`"),
                }
            }
        };
        return Err(d);
    };
    let Some(resolved) = &earlier.pipeline else {
        return Ok(None);
    };
    let outputs = || {
        let listed: Vec<String> = resolved
            .stages
            .iter()
            .filter_map(|s| Some(format!("`{pipeline}.{}.{}`", s.name, s.output_param()?)))
            .collect();
        match listed.is_empty() {
            true => format!("pipeline `{pipeline}` writes nothing a later step could read"),
            false => format!("what `{pipeline}` writes: {}", listed.join(", ")),
        }
    };
    let Some(found) = resolved.stages.iter().find(|s| s.name == stage) else {
        return Err(at(format!(
            "pipeline `{pipeline}` has no stage `{stage}` in its chain"
        ))
        .help(outputs()));
    };
    if found.output_param() != Some(param) {
        return Err(at(format!(
            "`{}` is not something `{pipeline}` writes",
            reference.name
        ))
        .help(outputs()));
    }
    match found.params.get(param) {
        Some(crate::stage::Value::Str(path)) if !path.is_empty() => Ok(Some(path.clone())),
        _ => Err(at(format!(
            "`{}` is empty: step `{pipeline}` writes nothing there",
            reference.name
        ))
        .help(format!(
            "give `{stage}.{param}` a path in its declaration, or with --set {stage}.{param}=PATH"
        ))),
    }
}

/// A step that names no pipeline: a sequence, or an undefined name.
fn unknown_step(scope: &Scope, name: &Ident) -> Diagnostic {
    if scope.sequences.contains(name.name.as_str()) {
        return Diagnostic::at(
            name.span,
            format!("sequence `{}` cannot be a step", name.name),
        )
        .help("a sequence's steps are pipelines: list that sequence's pipelines here instead");
    }
    let d = Diagnostic::at(name.span, format!("undefined pipeline `{}`", name.name));
    match super::diagnostics::closest(&name.name, scope.pipelines.keys().copied()) {
        Some(best) => d.help(format!("did you mean `{best}`?")),
        None => d.help("a step names a pipeline declared in this file or one it imports"),
    }
}
