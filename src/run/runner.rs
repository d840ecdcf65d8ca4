//! Runs a plan: builds every stage through the kind table and composes them. The runner
//! knows roles (source, env, rollout, advantage, update, sink, policy), never kinds.

use super::checkpoint::{Checkpoint, RunState};
use super::plan::{eval_horizon, Plan, Producer};
use super::record::{credit_metrics, episode_metrics, evaluation_line, iteration_line};
use crate::advantage::cost::estimated_step_cost;
use crate::advantage::{compute, Advantages, BatchDiagnostics, Estimator};
use crate::data::jsonl::{with_advantages, JsonlRows};
use crate::env::EnvFactory;
use crate::error::invalid;
use crate::kinds::roles::{Build, Sink, Update};
use crate::kinds::{self};
use crate::metrics::{BatchMetrics, EpisodeMetrics, TimingMetrics};
use crate::rng::Rng;
use crate::rollout::policy::Policy;
use crate::rollout::{collect, sample_tasks};
use crate::stage::{Params, ResolvedStage, StageValue, Value};
use anyhow::{bail, Context, Result};
use serde_json::{Map, Value as Json};
use std::path::Path;
use std::time::Instant;

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub rows: usize,
    pub iterations: usize,
    /// Diagnostics of the last batch.
    pub diagnostics: BatchDiagnostics,
    pub seconds: f64,
    /// Set when `--resume` found the run already finished: nothing was done.
    pub already_finished: bool,
    /// The first and last evaluation this run made, if it made any.
    pub evaluations: Option<EvalSummary>,
}

/// The first and the last evaluation of a run (on `eval_split`), for its closing line.
#[derive(Debug, Clone)]
pub struct EvalSummary {
    /// The split played (the environment's own split when `eval_split` is empty).
    pub split: String,
    /// How many batches the policy had trained on, and what it did then.
    pub first: (usize, EpisodeMetrics),
    pub last: (usize, EpisodeMetrics),
}

impl EvalSummary {
    fn record(summary: &mut Option<EvalSummary>, split: &str, after: usize, e: &EpisodeMetrics) {
        match summary {
            Some(s) => s.last = (after, e.clone()),
            None => {
                *summary = Some(EvalSummary {
                    split: split.to_string(),
                    first: (after, e.clone()),
                    last: (after, e.clone()),
                })
            }
        }
    }
}

/// Progress messages go through this, so the CLI can print them and tests can keep quiet.
pub trait Progress {
    fn say(&mut self, message: &str);

    /// `done` of `total` units (batches) are finished: for a live bar with rate and ETA.
    fn advance(&mut self, _unit: &str, _done: usize, _total: usize) {}

    /// A training batch was played, credited and updated (before its evaluation, if due).
    fn batch_done(&mut self, _metrics: &BatchMetrics) {}
}

impl<F: FnMut(&str)> Progress for F {
    fn say(&mut self, message: &str) {
        self(message)
    }
}

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Continue from the state saved in the pipeline's `checkpoint` directory.
    pub resume: bool,
}

fn kind_build(stage_kind: &str) -> Result<&'static Build> {
    kinds::find(stage_kind)
        .map(|k| &k.build)
        .with_context(|| format!("unknown stage kind `{stage_kind}`"))
}

fn build_estimator(stage: &ResolvedStage) -> Result<Estimator> {
    match kind_build(&stage.kind)? {
        Build::Advantage(build) => build(&stage.params),
        _ => bail!("`{}` is not an advantage stage", stage.name),
    }
}

fn build_sink(stage: &ResolvedStage) -> Result<Box<dyn Sink>> {
    match kind_build(&stage.kind)? {
        Build::Sink(build) => build(&stage.params),
        _ => bail!("`{}` is not a sink", stage.name),
    }
}

fn build_env(stage: &ResolvedStage, params: &Params) -> Result<EnvFactory> {
    match kind_build(&stage.kind)? {
        Build::Env { build, .. } => build(params),
        _ => bail!("`{}` is not an environment", stage.name),
    }
}

fn build_policy(policy: &StageValue, env_kind: &str) -> Result<Box<dyn Policy>> {
    match kind_build(&policy.kind)? {
        Build::Policy(build) => build(&Params(policy.params.clone()), env_kind),
        _ => bail!("`{}` is not a policy", policy.kind),
    }
}

fn build_update(stage: &ResolvedStage) -> Result<Box<dyn Update>> {
    match kind_build(&stage.kind)? {
        Build::Update { build, .. } => build(&stage.params),
        _ => bail!("`{}` is not an update", stage.name),
    }
}

/// Runs a checked pipeline to completion.
pub fn run(plan: &Plan, options: RunOptions, progress: &mut dyn Progress) -> Result<RunSummary> {
    let started = Instant::now();
    let estimator = build_estimator(plan.credit)?;
    let mut sinks: Vec<(String, Box<dyn Sink>)> = plan
        .sinks
        .iter()
        .map(|s| Ok((s.name.clone(), build_sink(s)?)))
        .collect::<Result<_>>()?;
    let described = serde_json::to_value(plan.pipeline)?;
    for (_, sink) in sinks.iter_mut() {
        sink.describe_run(&described);
    }
    let mut summary = match &plan.producer {
        Producer::Source(source) => {
            if options.resume {
                return Err(invalid(format!(
                    "pipeline `{}` reads a file once: there is nothing to resume",
                    plan.pipeline.name
                )));
            }
            run_source(plan, source, &estimator, &mut sinks, progress)?
        }
        Producer::Rollout {
            env,
            rollout,
            policy,
        } => {
            let mut trainer =
                Trainer::new(plan, env, rollout, policy, &estimator, options, progress)?;
            trainer.run(&mut sinks, progress)?
        }
    };
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Estimated step-level times above this are announced before the computation starts.
const COST_WORTH_SAYING_S: f64 = 5.0;

/// Advantages for one batch, with the time they took.
fn credit(
    plan: &Plan,
    estimator: &Estimator,
    rows: &JsonlRows,
    progress: &mut dyn Progress,
) -> Result<(Advantages, f64)> {
    if let Some((pairs, seconds)) = estimated_step_cost(&rows.batch, estimator) {
        if seconds > COST_WORTH_SAYING_S {
            progress.say(&format!(
                "{} ({}): the step level compares {pairs} pairs of rows in this batch, an estimated {seconds:.0} s (it grows with the square of the largest groups)",
                plan.credit.name, plan.credit.kind
            ));
        }
    }
    let t0 = Instant::now();
    let adv = compute(&rows.batch, estimator)?;
    let millis = t0.elapsed().as_secs_f64() * 1e3;
    if let Some(warning) = &adv.diagnostics.backend_warning {
        progress.say(&format!(
            "warning: {} ({}): {warning}",
            plan.credit.name, plan.credit.kind
        ));
    }
    Ok((adv, millis))
}

fn run_source(
    plan: &Plan,
    source_stage: &ResolvedStage,
    estimator: &Estimator,
    sinks: &mut [(String, Box<dyn Sink>)],
    progress: &mut dyn Progress,
) -> Result<RunSummary> {
    let mut source = match kind_build(&source_stage.kind)? {
        Build::Source(build) => build(&source_stage.params)?,
        _ => bail!("`{}` is not a source", source_stage.name),
    };
    progress.say(&format!(
        "{}: reading {}",
        source_stage.name,
        source.describe()
    ));
    let rows = source.read()?;
    progress.say(&format!(
        "{}: {} rows, {} trajectories, {} groups",
        source_stage.name,
        rows.batch.rows.len(),
        rows.batch.trajectories.len(),
        rows.batch.groups.len()
    ));
    let (adv, millis) = credit(plan, estimator, &rows, progress)?;
    let d = &adv.diagnostics;
    progress.say(&format!(
        "{} ({}): advantages in {millis:.1} ms{}; singleton share {:.3}, mean group success {:.3}, PSC weights [{:.5}, {:.5}]",
        plan.credit.name,
        plan.credit.kind,
        d.backend.as_ref().map(|b| format!(" on {b}")).unwrap_or_default(),
        d.singleton_share,
        d.mean_group_success,
        d.psc_weight_min,
        d.psc_weight_max
    ));
    let metrics = BatchMetrics {
        credit: Some(credit_metrics(&adv, millis)),
        ..BatchMetrics::default()
    };
    let out = with_advantages(&rows, &adv);
    for (name, sink) in sinks.iter_mut() {
        sink.open(None, None)?;
        sink.write(&out, &metrics)?;
        if let Some(line) = sink.finish()? {
            progress.say(&format!("{name}: {line}"));
        }
    }
    Ok(RunSummary {
        rows: out.len(),
        iterations: 1,
        diagnostics: adv.diagnostics,
        seconds: 0.0,
        already_finished: false,
        evaluations: None,
    })
}

/// An `env -> rollout -> advantage [-> update]` run, batch after batch.
struct Trainer<'p> {
    plan: &'p Plan<'p>,
    env_kind: String,
    envs: EnvFactory,
    /// The evaluation splits: `eval_split` first, then each of `eval_splits`.
    eval_splits: Vec<EvalSplit>,
    tasks_per_batch: usize,
    n_tasks: usize,
    policy: Box<dyn Policy>,
    update: Option<Box<dyn Update>>,
    estimator: &'p Estimator,
    checkpoint: Option<Checkpoint>,
    /// Restored from a checkpoint when resuming.
    resumed: Option<RunState>,
    /// The evaluations this run made, on the first evaluation split.
    evaluations: Option<EvalSummary>,
}

impl<'p> Trainer<'p> {
    fn new(
        plan: &'p Plan<'p>,
        env: &ResolvedStage,
        rollout: &ResolvedStage,
        policy: &StageValue,
        estimator: &'p Estimator,
        options: RunOptions,
        progress: &mut dyn Progress,
    ) -> Result<Trainer<'p>> {
        let checkpoint = match plan.settings.checkpoint.as_str() {
            "" if options.resume => {
                return Err(invalid(format!(
                    "pipeline `{}` has no checkpoint directory to resume from; set `checkpoint = \"DIR\"` (or --set checkpoint=DIR)",
                    plan.pipeline.name
                )))
            }
            "" => None,
            dir => Some(Checkpoint::new(Path::new(dir))?),
        };
        let resumed = match (&checkpoint, options.resume) {
            (Some(cp), true) => match cp.load()? {
                Some(state) => {
                    state.check_same_run(plan.pipeline)?;
                    Some(state)
                }
                None if cp.holds_policy_states() => {
                    return Err(invalid(format!(
                        "the checkpoint {} holds saved batches (state-N) but no run state ({}): it was lost or damaged; nothing was changed. Run without --resume to start over (that replaces the outputs)",
                        cp.dir().display(),
                        super::checkpoint::STATE_FILE
                    )));
                }
                None => {
                    // Killed before its first batch ended: there is nothing to continue.
                    progress.say(&format!(
                        "no run state in {} yet: starting from the first batch",
                        cp.dir().display()
                    ));
                    None
                }
            },
            (Some(cp), false) => {
                if cp.load().ok().flatten().is_some() {
                    progress.say(&format!(
                        "starting afresh: the state saved in {} is replaced (use --resume to continue it)",
                        cp.dir().display()
                    ));
                }
                None
            }
            (None, _) => None,
        };
        let plan_rollout = match kind_build(&rollout.kind)? {
            Build::Rollout(build) => build(&rollout.params)?,
            _ => bail!("`{}` is not a rollout stage", rollout.name),
        };
        let envs = build_env(env, &env.params)?;
        let n_tasks = envs.make()?.n_tasks();
        if n_tasks == 0 {
            bail!("environment `{}` ({}) has no tasks", env.name, env.kind);
        }
        // Built before training starts, so a broken evaluation split fails at once.
        let eval_splits = match plan.settings.eval_every {
            0 => Vec::new(),
            _ => std::iter::once(&plan.settings.eval_split)
                .chain(&plan.settings.eval_splits)
                .map(|split| EvalSplit::build(env, split, plan.settings.eval_max_steps))
                .collect::<Result<_>>()?,
        };
        let mut policy = build_policy(policy, &env.kind)?;
        if let Some(state) = &resumed {
            if !state.policy_state.is_empty() {
                let dir = plan_checkpoint_dir(&checkpoint)?.join(&state.policy_state);
                super::checkpoint::verify_digest(&dir, &state.policy_digest)?;
                policy
                    .load_state(&dir)
                    .with_context(|| format!("cannot restore the policy from {}", dir.display()))?;
            }
        }
        let update = plan.update.map(build_update).transpose()?;
        Ok(Trainer {
            plan,
            env_kind: env.kind.clone(),
            envs,
            eval_splits,
            tasks_per_batch: plan_rollout.tasks,
            n_tasks,
            policy,
            update,
            estimator,
            checkpoint,
            resumed,
            evaluations: None,
        })
    }

    fn run(
        &mut self,
        sinks: &mut [(String, Box<dyn Sink>)],
        progress: &mut dyn Progress,
    ) -> Result<RunSummary> {
        let settings = &self.plan.settings;
        let iterations = settings.iterations;
        let mut state = self
            .resumed
            .take()
            .unwrap_or_else(|| RunState::new(self.plan.pipeline));
        if state.completed > iterations {
            return Err(invalid(format!(
                "pipeline `{}`: the checkpoint in {} holds {} batches, more than iterations = {iterations}; on --resume iterations may only stay or grow (give iterations >= {})",
                self.plan.pipeline.name,
                plan_checkpoint_dir(&self.checkpoint)?.display(),
                state.completed,
                state.completed
            )));
        }
        if state.finished && state.completed >= iterations {
            progress.say(&format!(
                "pipeline `{}` already finished its {} batches in {}: nothing to do",
                self.plan.pipeline.name,
                state.completed,
                plan_checkpoint_dir(&self.checkpoint)?.display()
            ));
            return Ok(RunSummary {
                rows: 0,
                iterations: state.completed,
                diagnostics: BatchDiagnostics::default(),
                seconds: 0.0,
                already_finished: true,
                evaluations: None,
            });
        }
        let resuming = state.completed > 0 || state.finished;
        if resuming {
            progress.say(&format!(
                "resuming pipeline `{}` after batch {} of {iterations}",
                self.plan.pipeline.name, state.completed
            ));
        }
        let scratch = self.checkpoint.as_ref().map(|c| c.dir().to_path_buf());
        for (name, sink) in sinks.iter_mut() {
            let offset = resuming.then(|| state.sinks.get(name).copied().unwrap_or(0));
            sink.open(offset, scratch.as_deref())?;
        }
        let mut rng = match resuming {
            true => Rng::new(state.rng),
            false => Rng::new(settings.seed),
        };
        if let (Some(cp), false) = (&self.checkpoint, resuming) {
            // A run state from the start, so a checkpoint holding batches (state-N) without
            // one is known to be damaged, never taken for a run killed before its first batch.
            cp.save(&state)?;
        }
        let mut rows_written = 0;
        let mut last = BatchDiagnostics::default();
        if settings.eval_before && !resuming {
            self.evaluate_before(sinks, progress)?;
        }
        progress.advance("batch", state.completed, iterations);
        for iteration in state.completed..iterations {
            let (written, diagnostics) = self.batch(iteration, &mut rng, sinks, progress)?;
            progress.advance("batch", iteration + 1, iterations);
            rows_written += written;
            last = diagnostics;
            if let Some(cp) = &self.checkpoint {
                let (name, dir) = cp.policy_dir(iteration + 1)?;
                self.policy.save_state(&dir)?;
                state.policy_digest = super::checkpoint::digest_dir(&dir)?;
                state.completed = iteration + 1;
                state.rng = rng.state();
                state.policy_state = name;
                state.finished = false;
                state.sinks = sinks.iter().map(|(n, s)| (n.clone(), s.offset())).collect();
                cp.save(&state)?;
            }
        }
        for (name, sink) in sinks.iter_mut() {
            if let Some(line) = sink.finish()? {
                progress.say(&format!("{name}: {line}"));
            }
        }
        if let Some(cp) = &self.checkpoint {
            state.finished = true;
            cp.save(&state)?;
            cp.clean_scratch();
        }
        Ok(RunSummary {
            rows: rows_written,
            iterations,
            diagnostics: last,
            seconds: 0.0,
            already_finished: false,
            evaluations: self.evaluations.take(),
        })
    }

    /// One batch: play, credit, update, evaluate if due, write.
    fn batch(
        &mut self,
        iteration: usize,
        rng: &mut Rng,
        sinks: &mut [(String, Box<dyn Sink>)],
        progress: &mut dyn Progress,
    ) -> Result<(usize, BatchDiagnostics)> {
        let t0 = Instant::now();
        let waited_before = self.policy.worker_time();
        let tasks = sample_tasks(self.n_tasks, self.tasks_per_batch, rng);
        let envs = &self.envs;
        let played = collect(
            &|| envs.make(),
            &tasks,
            envs.group_size,
            self.policy.as_ref(),
            rng,
        )?;
        let play_seconds = t0.elapsed().as_secs_f64();
        let mut tag = Map::new();
        tag.insert("iteration".into(), Json::from(iteration));
        // Cloned, not taken: updates read the rows too (their `valid` flags, say).
        let mut rows = JsonlRows::from_inputs(played.rows.clone(), &tag)?;
        // A language model's prompt and response go out with their row, for trainers that
        // compute log-probabilities themselves.
        for (obj, t) in rows.objects.iter_mut().zip(&played.transcripts) {
            if let Some(t) = t {
                obj.insert("prompt".into(), Json::from(t.prompt.clone()));
                obj.insert("response".into(), Json::from(t.response.clone()));
            }
        }
        let (adv, millis) = credit(self.plan, self.estimator, &rows, progress)?;
        let mut metrics = BatchMetrics {
            iteration: Some(iteration),
            credit: Some(credit_metrics(&adv, millis)),
            episodes: Some(episode_metrics(&played, play_seconds)),
            ..BatchMetrics::default()
        };
        if let Some(update) = self.update.as_mut() {
            metrics.update = update.apply(self.policy.as_mut(), &played, &adv.advantage)?;
        }
        if let (Some(before), Some(after)) = (waited_before, self.policy.worker_time()) {
            metrics.timing = Some(TimingMetrics::split(
                t0.elapsed().as_secs_f64(),
                (after.generate - before.generate).as_secs_f64(),
                (after.train - before.train).as_secs_f64(),
                (after.other - before.other).as_secs_f64(),
            ));
        }
        progress.batch_done(&metrics);
        let iterations = self.plan.settings.iterations;
        let every = self.plan.settings.eval_every;
        let due = every > 0 && ((iteration + 1) % every == 0 || iteration + 1 == iterations);
        if due {
            self.evaluate_all(iteration + 1, &mut metrics, progress)?;
        }
        progress.say(&iteration_line(iterations, &self.env_kind, &metrics));
        let out = with_advantages(&rows, &adv);
        for (_, sink) in sinks.iter_mut() {
            sink.write(&out, &metrics)?;
        }
        Ok((out.len(), adv.diagnostics))
    }
}

impl Trainer<'_> {
    /// The evaluation before the first batch (`eval_before`): a metrics line of its own,
    /// with no rows (docs/metrics.md).
    fn evaluate_before(
        &mut self,
        sinks: &mut [(String, Box<dyn Sink>)],
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let mut metrics = BatchMetrics::default();
        self.evaluate_all(0, &mut metrics, progress)?;
        for (_, sink) in sinks.iter_mut() {
            sink.write(&[], &metrics)?;
        }
        Ok(())
    }

    /// Evaluates the policy, trained on `after` batches, on every evaluation split; the
    /// first goes to `metrics.eval`.
    fn evaluate_all(
        &mut self,
        after: usize,
        metrics: &mut BatchMetrics,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        self.policy.set_evaluating(true);
        let evaluated = self.evaluate_splits(after, metrics, progress);
        self.policy.set_evaluating(false);
        evaluated?;
        metrics.evaluated_after = Some(after);
        if let (Some(eval), Some(split)) = (&metrics.eval, self.eval_splits.first()) {
            EvalSummary::record(&mut self.evaluations, &split.label, after, eval);
        }
        Ok(())
    }

    fn evaluate_splits(
        &self,
        after: usize,
        metrics: &mut BatchMetrics,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        for (i, split) in self.eval_splits.iter().enumerate() {
            // The same stream for every split of a seed, one per evaluation (the one before
            // training has its own): evaluations are comparable and reproducible.
            let stream = match after {
                0 => BEFORE_TRAINING_STREAM,
                n => n as u64 - 1,
            };
            let mut rng = Rng::new(self.plan.settings.seed ^ 0x6576_616c).fork(stream);
            let eval = split.evaluate(self.policy.as_ref(), &mut rng)?;
            let label = match split.name.as_str() {
                "" => String::new(),
                s => format!(" ({s})"),
            };
            progress.say(&format!("{}{label}", evaluation_line(after, &eval)));
            match i {
                0 => metrics.eval = Some(eval),
                _ => {
                    metrics.more_evals.insert(split.name.clone(), eval);
                }
            }
        }
        Ok(())
    }
}

/// The random stream of the evaluation before training, apart from those after a batch
/// (which fork by the batch's index).
const BEFORE_TRAINING_STREAM: u64 = u64::MAX;

fn plan_checkpoint_dir(checkpoint: &Option<Checkpoint>) -> Result<&Path> {
    checkpoint
        .as_ref()
        .map(Checkpoint::dir)
        .context("the run has no checkpoint directory")
}

/// The environments an evaluation on one split plays, with the split's task count (read
/// once here: every evaluation plays all of them).
struct EvalSplit {
    /// The split's name; empty: the env stage's own split.
    name: String,
    /// The split's name as played: the env stage's own split when `name` is empty.
    label: String,
    envs: EnvFactory,
    n_tasks: usize,
}

impl EvalSplit {
    /// The env stage `env` on `split`, with episodes of at most `max_steps` steps when it is
    /// not 0 (the setting `eval_max_steps`; the plan checked the env accepts it).
    fn build(env: &ResolvedStage, split: &str, max_steps: usize) -> Result<EvalSplit> {
        let mut params = eval_horizon(env, max_steps);
        let split_param = match kind_build(&env.kind) {
            Ok(Build::Env { split_param, .. }) => *split_param,
            _ => None,
        };
        if let (false, Some(p)) = (split.is_empty(), split_param) {
            params
                .0
                .insert(p.to_string(), Value::Str(split.to_string()));
        }
        let label = match (split, split_param.and_then(|p| params.get(p))) {
            ("", Some(Value::Str(own))) => own.clone(),
            _ => split.to_string(),
        };
        let envs = build_env(env, &params)?;
        // Making one instance checks the split now rather than at the first evaluation.
        let n_tasks = envs
            .make()
            .with_context(|| format!("evaluation split {split:?}"))?
            .n_tasks();
        Ok(EvalSplit {
            name: split.to_string(),
            label,
            envs,
            n_tasks,
        })
    }

    /// Plays every task of the split once with the current policy.
    fn evaluate(&self, policy: &dyn Policy, rng: &mut Rng) -> Result<EpisodeMetrics> {
        let tasks: Vec<usize> = (0..self.n_tasks).collect();
        let t0 = Instant::now();
        let played = collect(&|| self.envs.make(), &tasks, 1, policy, rng)?;
        Ok(episode_metrics(&played, t0.elapsed().as_secs_f64()))
    }
}
