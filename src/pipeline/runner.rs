//! Runs a resolved pipeline. Two shapes are built:
//! - `source -> advantage -> sink...`: advantages for rows another trainer collected;
//! - `env -> rollout -> advantage -> sink...`: rollouts in a built-in environment, repeated
//!   for `iterations` batches, optionally followed by `update.pg`, which trains a trainable
//!   policy (`policy.linear`) on the advantages after every batch.

use super::metrics::{add_episode_metrics, iteration_line};
use super::resolved::{ResolvedPipeline, ResolvedStage};
use super::schema::Role;
use super::value::Value;
use crate::advantage::{compute, Advantages, BatchDiagnostics, Estimator};
use crate::data::jsonl::{number, read_rows, with_advantages, write_objects, JsonlRows};
use crate::data::InvalidInput;
use crate::env::{factory, EnvFactory};
use crate::rng::Rng;
use crate::rollout::{collect, policy, sample_tasks, Rollouts};
use crate::stats::{mean_std, StdKind};
use anyhow::{bail, Result};
use serde_json::{Map, Value as Json};
use std::path::PathBuf;
use std::time::Instant;

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub rows: usize,
    pub iterations: usize,
    pub output: Option<PathBuf>,
    /// Diagnostics of the last batch.
    pub diagnostics: BatchDiagnostics,
    pub seconds: f64,
}

/// Progress messages go through this, so the CLI can print them and tests can keep quiet.
pub trait Progress {
    fn say(&mut self, message: &str);
}

impl<F: FnMut(&str)> Progress for F {
    fn say(&mut self, message: &str) {
        self(message)
    }
}

fn stages_with(p: &ResolvedPipeline, role: Role) -> Vec<&ResolvedStage> {
    p.stages.iter().filter(|s| s.role == role).collect()
}

fn setting(p: &ResolvedPipeline, name: &str, default: i64) -> i64 {
    p.settings
        .get(name)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

/// Where a pipeline's batches come from.
enum Producer<'a> {
    File(&'a ResolvedStage),
    Rollout {
        env: &'a ResolvedStage,
        rollout: &'a ResolvedStage,
    },
}

/// Runs `pipeline` to completion.
pub fn run(pipeline: &ResolvedPipeline, progress: &mut dyn Progress) -> Result<RunSummary> {
    let started = Instant::now();
    let producer = match (
        stages_with(pipeline, Role::Source).as_slice(),
        stages_with(pipeline, Role::Env).as_slice(),
        stages_with(pipeline, Role::Rollout).as_slice(),
    ) {
        ([source], [], []) => Producer::File(source),
        ([], [env], [rollout]) => Producer::Rollout { env, rollout },
        _ => bail!(
            "pipeline `{}` must start with `source -> ...` or `env -> rollout -> ...`",
            pipeline.name
        ),
    };
    let update = match stages_with(pipeline, Role::Update)[..] {
        [] => None,
        [u] => Some((u.params.f64("lr")?, u.params.str("save")?.to_string())),
        _ => bail!(
            "pipeline `{}` has more than one update stage",
            pipeline.name
        ),
    };
    let [credit] = stages_with(pipeline, Role::Advantage)[..] else {
        bail!(
            "pipeline `{}` needs exactly one advantage stage: proxmo runs credit assignment, and \
             writing rollouts without advantages is not built",
            pipeline.name
        );
    };
    let estimator = Estimator::from_stage(&credit.kind, &credit.params)?;
    let sinks = stages_with(pipeline, Role::Sink);
    let iterations = setting(pipeline, "iterations", 1).max(1) as usize;
    let seed = setting(pipeline, "seed", 0).max(0) as u64;

    let mut rows_out: Vec<Map<String, Json>> = Vec::new();
    let mut metrics: Vec<Map<String, Json>> = Vec::new();
    let mut last = None;
    match producer {
        Producer::File(source) => {
            if update.is_some() {
                return Err(InvalidInput(format!(
                    "pipeline `{}`: an update trains the policy that produced the rows, so it \
                     needs env -> rollout, not a source",
                    pipeline.name
                ))
                .into());
            }
            if iterations > 1 {
                return Err(InvalidInput(format!(
                    "pipeline `{}` reads a file once: `iterations` applies to env -> rollout pipelines",
                    pipeline.name
                ))
                .into());
            }
            let input = PathBuf::from(source.params.str("path")?);
            progress.say(&format!("{}: reading {}", source.name, input.display()));
            let rows = read_rows(&input)?;
            progress.say(&format!(
                "{}: {} rows, {} trajectories, {} groups",
                source.name,
                rows.batch.rows.len(),
                rows.batch.trajectories.len(),
                rows.batch.groups.len()
            ));
            let (adv, record) = credit_batch(credit, &estimator, &rows, progress)?;
            rows_out = with_advantages(&rows, &adv);
            metrics.push(record);
            last = Some(adv.diagnostics);
        }
        Producer::Rollout { env, rollout } => {
            let envs = factory(&env.kind, &env.params)?;
            if update.is_some() && !policy::is_trainable(rollout.params.get("policy")) {
                return Err(InvalidInput(format!(
                    "pipeline `{}`: update.pg trains the rollout's policy, but `{}`'s policy has no \
                     parameters; use `policy = policy.linear {{ }}`",
                    pipeline.name, rollout.name
                ))
                .into());
            }
            let mut policy = policy::build(
                rollout
                    .params
                    .get("policy")
                    .unwrap_or(&policy::default_policy()),
                &env.kind,
            )?;
            let n_tasks = envs.make()?.n_tasks();
            let per_batch = rollout.params.i64("tasks")?.max(1) as usize;
            let eval_every = setting(pipeline, "eval_every", 0).max(0) as usize;
            // Built before training starts, so a bad `eval_split` fails at once, not after
            // the first stretch of training.
            let eval_envs = match eval_every {
                0 => None,
                _ => Some(eval_factory(pipeline, env)?),
            };
            let mut rng = Rng::new(seed);
            for iteration in 0..iterations {
                let t0 = Instant::now();
                let tasks = sample_tasks(n_tasks, per_batch, &mut rng);
                let mut played = collect(
                    &|| envs.make(),
                    &tasks,
                    envs.group_size,
                    policy.as_ref(),
                    &mut rng,
                )?;
                let play_seconds = t0.elapsed().as_secs_f64();
                let mut tag = Map::new();
                tag.insert("iteration".into(), Json::from(iteration));
                let mut rows = JsonlRows::from_inputs(std::mem::take(&mut played.rows), &tag)?;
                // A language model's prompt and response go out with their row, for trainers
                // that compute log-probabilities themselves.
                for (obj, t) in rows.objects.iter_mut().zip(&played.transcripts) {
                    if let Some(t) = t {
                        obj.insert("prompt".into(), Json::from(t.prompt.clone()));
                        obj.insert("response".into(), Json::from(t.response.clone()));
                    }
                }
                let (adv, mut record) = credit_batch(credit, &estimator, &rows, &mut |_: &str| {})?;
                record.insert("iteration".into(), Json::from(iteration));
                add_episode_metrics(&mut record, &played, play_seconds);
                if let Some((lr, save)) = &update {
                    let stats = train(policy.as_mut(), &played, &adv.advantage, *lr)?;
                    if !save.is_empty() {
                        policy.save(std::path::Path::new(save))?;
                    }
                    record.insert("policy_entropy".into(), number(stats.entropy));
                    record.insert("update_norm".into(), number(stats.step_norm));
                }
                let due = eval_every > 0
                    && ((iteration + 1) % eval_every == 0 || iteration + 1 == iterations);
                if let Some(eval_envs) = eval_envs.as_ref().filter(|_| due) {
                    let mut eval_rng = Rng::new(seed ^ 0x6576_616c).fork(iteration as u64);
                    let eval = evaluate(eval_envs, policy.as_ref(), &mut eval_rng)?;
                    for (k, v) in eval {
                        record.insert(k, v);
                    }
                    progress.say(&format!(
                        "evaluation after batch {}: success {:.3}, score {:.1} on {} episodes",
                        iteration + 1,
                        record
                            .get("eval_success_rate")
                            .and_then(Json::as_f64)
                            .unwrap_or(f64::NAN),
                        record
                            .get("eval_score")
                            .and_then(Json::as_f64)
                            .unwrap_or(f64::NAN),
                        record
                            .get("eval_episodes")
                            .and_then(Json::as_u64)
                            .unwrap_or(0),
                    ));
                }
                progress.say(&iteration_line(iteration, iterations, &env.kind, &record));
                rows_out.extend(with_advantages(&rows, &adv));
                metrics.push(record);
                last = Some(adv.diagnostics);
                write_sinks(
                    &sinks,
                    &rows_out,
                    &metrics,
                    progress,
                    iteration + 1 == iterations,
                )?;
            }
        }
    }
    if matches!(producer, Producer::File(_)) {
        write_sinks(&sinks, &rows_out, &metrics, progress, true)?;
    }
    let output = sinks
        .iter()
        .find(|s| s.kind == "sink.jsonl")
        .and_then(|s| s.params.str("path").ok().map(PathBuf::from));
    Ok(RunSummary {
        rows: rows_out.len(),
        iterations,
        output,
        diagnostics: last.unwrap_or_default(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The environments evaluations play: the env stage on `eval_split` (empty: its own split).
fn eval_factory(pipeline: &ResolvedPipeline, env: &ResolvedStage) -> Result<EnvFactory> {
    let split = pipeline
        .settings
        .get("eval_split")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut params = env.params.clone();
    if !split.is_empty() {
        params
            .0
            .insert("split".into(), Value::Str(split.to_string()));
    }
    // Making one instance checks the split now rather than at the first evaluation.
    factory(&env.kind, &params)
        .and_then(|f| f.make().map(|_| f))
        .map_err(|e| {
            InvalidInput(format!(
                "pipeline `{}`: eval_split {split:?}: {e:#}",
                pipeline.name
            ))
            .into()
        })
}

/// Plays every task of the evaluation split once with the current policy; the metrics come
/// back prefixed `eval_`.
fn evaluate(
    envs: &EnvFactory,
    policy: &dyn policy::Policy,
    rng: &mut Rng,
) -> Result<Map<String, Json>> {
    let tasks: Vec<usize> = (0..envs.make()?.n_tasks()).collect();
    let t0 = Instant::now();
    let played = collect(&|| envs.make(), &tasks, 1, policy, rng)?;
    let mut record = Map::new();
    add_episode_metrics(&mut record, &played, t0.elapsed().as_secs_f64());
    Ok(record
        .into_iter()
        .map(|(k, v)| (format!("eval_{k}"), v))
        .collect())
}

/// One update of the policy on the decisions it recorded, each weighted by its row's
/// advantage (rows and decisions are in the same order).
fn train(
    policy: &mut dyn policy::Policy,
    played: &Rollouts,
    advantages: &[f64],
    lr: f64,
) -> Result<policy::UpdateStats> {
    let (decisions, weights): (Vec<&policy::Decision>, Vec<f64>) = played
        .decisions
        .iter()
        .zip(advantages)
        .filter_map(|(d, &a)| d.as_ref().map(|d| (d, a)))
        .unzip();
    if decisions.is_empty() && !played.decisions.is_empty() {
        bail!("update.pg needs a trainable policy (policy.linear): this one records no decisions");
    }
    policy.update(&decisions, &weights, lr)
}

/// Advantages for one batch, with a progress line and the batch's metrics record.
fn credit_batch(
    credit: &ResolvedStage,
    estimator: &Estimator,
    rows: &JsonlRows,
    progress: &mut dyn Progress,
) -> Result<(Advantages, Map<String, Json>)> {
    let t0 = Instant::now();
    let adv = compute(&rows.batch, estimator)?;
    let millis = t0.elapsed().as_secs_f64() * 1e3;
    let d = &adv.diagnostics;
    if let Some(warning) = &d.backend_warning {
        progress.say(&format!("warning: {warning}"));
    }
    progress.say(&format!(
        "{} ({}): advantages in {millis:.1} ms{}; singleton share {:.3}, mean group success {:.3}, PSC weights [{:.5}, {:.5}]",
        credit.name,
        credit.kind,
        d.backend.as_ref().map(|b| format!(" on {b}")).unwrap_or_default(),
        d.singleton_share,
        d.mean_group_success,
        d.psc_weight_min,
        d.psc_weight_max
    ));
    let mut record = Map::new();
    record.insert("rows".into(), Json::from(d.rows));
    record.insert("groups".into(), Json::from(d.groups));
    record.insert("singleton_share".into(), number(d.singleton_share));
    record.insert("mean_group_success".into(), number(d.mean_group_success));
    record.insert("psc_weight_min".into(), number(d.psc_weight_min));
    record.insert("psc_weight_max".into(), number(d.psc_weight_max));
    let (mean, std) = mean_std(&adv.advantage, StdKind::Population);
    record.insert("advantage_mean".into(), number(mean));
    record.insert("advantage_std".into(), number(std));
    record.insert("advantage_ms".into(), number(millis));
    Ok((adv, record))
}

/// Writes every sink; rows only at the end (`last`), metrics after every batch so a long run
/// can be followed (each write replaces the file atomically).
fn write_sinks(
    sinks: &[&ResolvedStage],
    rows: &[Map<String, Json>],
    metrics: &[Map<String, Json>],
    progress: &mut dyn Progress,
    last: bool,
) -> Result<()> {
    for sink in sinks {
        let path = PathBuf::from(sink.params.str("path")?);
        match sink.kind.as_str() {
            "sink.jsonl" if last => {
                write_objects(&path, rows)?;
                progress.say(&format!(
                    "{}: wrote {} rows to {}",
                    sink.name,
                    rows.len(),
                    path.display()
                ));
            }
            "sink.metrics" => write_objects(&path, metrics)?,
            "sink.jsonl" => {}
            other => bail!("sink kind `{other}` is not built"),
        }
    }
    Ok(())
}
