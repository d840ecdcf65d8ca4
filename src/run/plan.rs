//! The plan of a run: every rule the runner relies on, checked once against a resolved
//! pipeline, with spans, before anything runs. `proxmo check` and `proxmo run` both make
//! the plan, so a pipeline that passes `check` does not fail `run` on its wiring, its
//! parameters or its output paths. Nothing here starts a process or writes a file.

use crate::dsl::Diagnostic;
use crate::kinds::env::MAX_STEPS_PARAM;
use crate::kinds::roles::Build;
use crate::kinds::settings::Settings;
use crate::kinds::{self, Kind};
use crate::stage::{
    Params, Problem, ResolvedPipeline, ResolvedStage, Role, Span, StageValue, Value,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a pipeline's batches come from.
pub enum Producer<'a> {
    /// `source -> ...`: rows from outside, once.
    Source(&'a ResolvedStage),
    /// `env -> rollout -> ...`: rollouts, every iteration.
    Rollout {
        env: &'a ResolvedStage,
        rollout: &'a ResolvedStage,
        /// The rollout's policy.
        policy: StageValue,
    },
}

/// A checked pipeline, ready to run.
pub struct Plan<'a> {
    pub pipeline: &'a ResolvedPipeline,
    pub settings: Settings,
    pub producer: Producer<'a>,
    pub credit: &'a ResolvedStage,
    pub update: Option<&'a ResolvedStage>,
    pub sinks: Vec<&'a ResolvedStage>,
}

/// Collects the diagnostics of one pipeline.
struct Checker<'a> {
    pipeline: &'a ResolvedPipeline,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn at(&mut self, span: Option<Span>, message: String, help: Option<String>) {
        let mut d = match span.or(self.pipeline.span) {
            Some(s) => Diagnostic::at(s, message),
            None => Diagnostic::general(message),
        };
        d.help = help;
        self.errors.push(d);
    }

    fn problem(&mut self, stage: &ResolvedStage, p: Problem) {
        let span = stage.span_of(p.param.as_deref());
        let what = match &p.param {
            Some(param) => format!("`{}.{param}` {}", stage.name, p.message),
            None => format!("stage `{}` ({}): {}", stage.name, stage.kind, p.message),
        };
        self.at(span, what, p.help);
    }

    /// Where `stage` is named in this pipeline's chain (else where it is declared).
    fn chain_span(&self, stage: &ResolvedStage) -> Option<Span> {
        let at = self
            .pipeline
            .stages
            .iter()
            .position(|s| s.name == stage.name);
        at.and_then(|i| self.pipeline.chain_spans.get(i).copied())
            .or(stage.span)
    }

    fn setting_span(&self, name: &str) -> Option<Span> {
        self.pipeline.setting_spans.get(name).copied()
    }
}

fn kind_of(stage: &ResolvedStage) -> Option<&'static Kind> {
    kinds::find(&stage.kind)
}

/// Checks `pipeline` and returns its plan, or every problem found.
pub fn plan(pipeline: &ResolvedPipeline) -> Result<Plan<'_>, Vec<Diagnostic>> {
    let mut c = Checker {
        pipeline,
        errors: Vec::new(),
    };
    for stage in &pipeline.stages {
        if let Err(p) = kinds::check(&stage.kind, &stage.params) {
            c.problem(stage, p);
        }
    }
    let settings = match Settings::read(&pipeline.settings) {
        Ok(s) => s,
        Err(e) => {
            c.at(None, format!("pipeline `{}`: {e:#}", pipeline.name), None);
            return Err(c.errors);
        }
    };
    let by_role = |role: Role| -> Vec<&ResolvedStage> {
        pipeline.stages.iter().filter(|s| s.role == role).collect()
    };
    let producer = producer(
        &mut c,
        &by_role(Role::Source),
        &by_role(Role::Env),
        &by_role(Role::Rollout),
    );
    let credit = match by_role(Role::Advantage)[..] {
        [one] => Some(one),
        _ => {
            let span = pipeline.chain_spans.last().copied();
            c.at(
                span,
                format!("pipeline `{}` has no advantage stage", pipeline.name),
                Some("proxmo runs credit assignment: put an advantage.* stage after the rows' producer, e.g. `env -> rollout -> credit -> sink`".into()),
            );
            None
        }
    };
    let update = by_role(Role::Update).first().copied();
    if let (Some(update), Some(producer)) = (update, producer.as_ref()) {
        check_update(&mut c, update, producer);
    }
    let sinks = by_role(Role::Sink);
    if let Some(producer) = producer.as_ref() {
        check_settings(&mut c, &settings, producer);
    }
    check_outputs(&mut c, &settings);
    match (producer, credit, c.errors.is_empty()) {
        (Some(producer), Some(credit), true) => Ok(Plan {
            pipeline,
            settings,
            producer,
            credit,
            update,
            sinks,
        }),
        _ => Err(c.errors),
    }
}

fn producer<'a>(
    c: &mut Checker<'a>,
    sources: &[&'a ResolvedStage],
    envs: &[&'a ResolvedStage],
    rollouts: &[&'a ResolvedStage],
) -> Option<Producer<'a>> {
    match (sources, envs, rollouts) {
        ([source], [], []) => Some(Producer::Source(source)),
        ([], [env], [rollout]) => {
            let policy = match rollout.params.get("policy") {
                Some(Value::Stage(p)) => p.clone(),
                _ => {
                    c.at(
                        rollout.span,
                        format!("stage `{}` has no policy", rollout.name),
                        None,
                    );
                    return None;
                }
            };
            if let Err(p) = kinds::check(&policy.kind, &Params(policy.params.clone())) {
                let span = rollout.span_of(Some("policy"));
                let what = match &p.param {
                    Some(param) => format!("`{}.policy.{param}` {}", rollout.name, p.message),
                    None => format!("`{}.policy` ({}): {}", rollout.name, policy.kind, p.message),
                };
                c.at(span, what, p.help);
            }
            Some(Producer::Rollout {
                env,
                rollout,
                policy,
            })
        }
        ([], [env], []) => {
            c.at(
                c.chain_span(env),
                format!(
                    "environment `{}` is not played by a rollout stage",
                    env.name
                ),
                Some("follow it with a rollout: `env -> rollout -> credit -> ...`".into()),
            );
            None
        }
        _ => {
            c.at(
                None,
                format!(
                    "pipeline `{}` must start with `source -> ...` or `env -> rollout -> ...`",
                    c.pipeline.name
                ),
                None,
            );
            None
        }
    }
}

fn check_update(c: &mut Checker, update: &ResolvedStage, producer: &Producer) {
    let trains = match kind_of(update).map(|k| &k.build) {
        Some(Build::Update { trains, .. }) => *trains,
        _ => return,
    };
    match producer {
        Producer::Source(_) => c.at(
            c.chain_span(update),
            format!(
                "`{}` ({}) trains the policy that produced the rows, but this pipeline reads them from a file",
                update.name, update.kind
            ),
            Some("an update needs `env -> rollout -> advantage -> update`".into()),
        ),
        Producer::Rollout { rollout, policy, .. } if !trains.contains(&policy.kind.as_str()) => {
            c.at(
                c.chain_span(update),
                format!(
                    "`{}` ({}) trains {}, but `{}` plays {}",
                    update.name,
                    update.kind,
                    trains.join(" or "),
                    rollout.name,
                    policy.kind
                ),
                Some(format!("use `policy = {} {{ }}` in `{}`", trains.first().copied().unwrap_or("a trainable policy"), rollout.name)),
            )
        }
        Producer::Rollout { .. } => {}
    }
}

fn check_settings(c: &mut Checker, settings: &Settings, producer: &Producer) {
    match producer {
        Producer::Source(source) => {
            if settings.iterations > 1 {
                c.at(
                    c.setting_span("iterations"),
                    format!("`{}` reads its file once: `iterations` applies to env -> rollout pipelines", source.name),
                    Some("remove `iterations`, or set it to 1".into()),
                );
            }
            for setting in ["eval_every", "eval_before"] {
                let set = match setting {
                    "eval_every" => settings.eval_every > 0,
                    _ => settings.eval_before,
                };
                if set {
                    c.at(
                        c.setting_span(setting),
                        "evaluation plays the policy in an environment: it needs env -> rollout, not a source".into(),
                        Some(format!("remove `{setting}`")),
                    );
                }
            }
        }
        Producer::Rollout { env, rollout, .. } => {
            if settings.eval_before && settings.eval_every == 0 {
                c.at(
                    c.setting_span("eval_before"),
                    "`eval_before` starts the evaluations, but `eval_every` is 0 (never evaluate)".into(),
                    Some("set eval_every to a number of batches (the last batch is always evaluated), or remove eval_before".into()),
                );
            }
            check_eval_split(c, settings, env);
            check_batch_size(c, settings, env, rollout);
        }
    }
}

fn check_eval_split(c: &mut Checker, settings: &Settings, env: &ResolvedStage) {
    if !settings.eval_split.is_empty() {
        check_split(c, "eval_split", &settings.eval_split, env);
    }
    for split in &settings.eval_splits {
        check_split(c, "eval_splits", split, env);
    }
    if settings.eval_max_steps > 0 {
        let schema = kinds::schema(&env.kind);
        let limit = schema.as_ref().and_then(|s| s.param(MAX_STEPS_PARAM));
        let problem = match limit {
            None => Some("it has no max_steps".to_string()),
            Some(p) if !p.range.contains(settings.eval_max_steps as f64) => {
                Some(format!("its max_steps must lie in {}", p.range.describe()))
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            c.at(
                c.setting_span("eval_max_steps"),
                format!(
                    "`eval_max_steps`: {} does not fit `{}` ({}): {problem}",
                    settings.eval_max_steps, env.name, env.kind
                ),
                Some("give a step limit the environment accepts, or 0 for its own".into()),
            );
        }
    }
}

/// `env`'s parameters with the evaluations' step limit written in (unchanged for 0).
pub fn eval_horizon(env: &ResolvedStage, max_steps: usize) -> Params {
    let mut params = env.params.clone();
    if max_steps > 0 {
        let limit = Value::Int(i64::try_from(max_steps).unwrap_or(i64::MAX));
        params.0.insert(MAX_STEPS_PARAM.to_string(), limit);
    }
    params
}

/// `split` (written in setting `setting`) must be a split of `env`.
fn check_split(c: &mut Checker, setting: &str, split: &str, env: &ResolvedStage) {
    let Some(Build::Env { split_param, .. }) = kind_of(env).map(|k| &k.build) else {
        return;
    };
    let Some(param) = split_param else {
        return; // the environment decides at run time which splits exist
    };
    let mut params = env.params.clone();
    params
        .0
        .insert(param.to_string(), Value::Str(split.to_string()));
    let schema = kinds::schema(&env.kind);
    let choices = schema
        .as_ref()
        .and_then(|s| s.param(param))
        .map(|p| p.ty.describe());
    let in_choices = match schema.as_ref().and_then(|s| s.param(param)).map(|p| &p.ty) {
        Some(crate::stage::ParamType::Choice(options)) => options.contains(&split),
        _ => true,
    };
    if !in_choices || kinds::check(&env.kind, &params).is_err() {
        c.at(
            c.setting_span(setting),
            format!(
                "`{setting}`: {split:?} is not a split of `{}` ({})",
                env.name, env.kind
            ),
            choices.map(|ch| format!("its splits: {ch}")),
        );
    }
}

fn check_batch_size(
    c: &mut Checker,
    settings: &Settings,
    env: &ResolvedStage,
    rollout: &ResolvedStage,
) {
    let (Some(Build::Env { shape, .. }), Some(Build::Rollout(build))) = (
        kind_of(env).map(|k| &k.build),
        kind_of(rollout).map(|k| &k.build),
    ) else {
        return;
    };
    let (Ok(shape), Ok(plan)) = (shape(&env.params), build(&rollout.params)) else {
        return;
    };
    let Some(max_steps) = shape.max_steps else {
        return;
    };
    let rows = (plan.tasks as u128) * (shape.group_size as u128) * (max_steps as u128);
    if rows > settings.max_batch_rows as u128 {
        c.at(
            rollout.span_of(Some("tasks")),
            format!(
                "a batch of `{}` could hold {rows} step rows ({} tasks x {} rollouts x {max_steps} steps), over the limit of {}",
                rollout.name, plan.tasks, shape.group_size, settings.max_batch_rows
            ),
            Some("lower tasks, group_size or max_steps, or raise the pipeline setting max_batch_rows on purpose".into()),
        );
    }
}

/// A file or directory a stage writes (docs/pipe-language.md: outputs must not collide).
#[derive(Debug, Clone, Copy)]
pub struct Output<'a> {
    pub stage: &'a str,
    pub path: &'a str,
    /// Where the path is written.
    pub span: Option<Span>,
}

/// What `pipeline`'s stages write: each sink's `path`, an update's `save` (when set).
pub fn outputs(pipeline: &ResolvedPipeline) -> Vec<Output<'_>> {
    pipeline
        .stages
        .iter()
        .filter_map(|stage| {
            let param = stage.output_param()?;
            match stage.params.get(param) {
                Some(Value::Str(path)) if !path.is_empty() => Some(Output {
                    stage: &stage.name,
                    path,
                    span: stage.span_of(Some(param)),
                }),
                _ => None,
            }
        })
        .collect()
}

/// A path as an absolute, lexically normal form, to compare outputs.
pub fn normal(path: &str) -> PathBuf {
    let p = std::path::absolute(Path::new(path)).unwrap_or_else(|_| PathBuf::from(path));
    p.components().collect()
}

fn check_outputs(c: &mut Checker, settings: &Settings) {
    let mut claimed: HashMap<PathBuf, &str> = HashMap::new();
    for out in outputs(c.pipeline) {
        match claimed.get(&normal(out.path)) {
            Some(first) => c.at(
                out.span,
                format!(
                    "`{}` writes {}, which `{first}` writes too",
                    out.stage, out.path
                ),
                Some("give every output its own path".into()),
            ),
            None => {
                claimed.insert(normal(out.path), out.stage);
            }
        }
    }
    if !settings.checkpoint.is_empty() {
        let dir = Path::new(&settings.checkpoint);
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let problem = if dir.exists() && !dir.is_dir() {
            Some(format!("{} exists and is not a directory", dir.display()))
        } else if !parent.is_dir() {
            Some(format!("the directory {} does not exist", parent.display()))
        } else {
            None
        };
        if let Some(problem) = problem {
            c.at(
                c.setting_span("checkpoint"),
                format!("`checkpoint = {:?}`: {problem}", settings.checkpoint),
                Some("name a directory proxmo may create (its parent must exist)".into()),
            );
        }
    }
}
