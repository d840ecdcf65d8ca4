//! Vectorised built-in environments: `n` tasks times `group_n` rollouts each (a group shares
//! its task), reset and stepped in parallel without the GIL. With `prompts`, observations are
//! the paper's prompts and actions are model responses, projected as the paper's agent does.

use crate::agent::benchmark;
use crate::errors::{from_library, invalid};
use crate::params;
use proxmo::agent::projection::{fallback_chars, project};
use proxmo::agent::prompt::{for_step, Benchmark};
use proxmo::dsl::diagnostics::closest;
use proxmo::env::{Env, StepOutcome};
use proxmo::kinds::env::build_env;
use proxmo::rng::Rng;
use proxmo::rollout::sample_tasks;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use std::sync::{Mutex, MutexGuard};

const NAMES: &[&str] = &["alfworld", "webshop"];
/// More instances than any batch needs: a typo must not allocate millions of environments.
const MAX_ENVS: usize = 100_000;

/// One environment's episode so far.
struct Slot {
    task: usize,
    first_observation: String,
    /// (anchor observation, action) of every step taken.
    history: Vec<(String, String)>,
    seen: StepOutcome,
    valid: bool,
}

struct Envs {
    benchmark: Benchmark,
    prompts: bool,
    envs: Vec<Box<dyn Env>>,
    group_n: usize,
    rng: Rng,
    /// Empty until the first reset.
    slots: Vec<Slot>,
}

/// What every environment shows after a reset or a step, ready for Python.
struct Frame {
    text: Vec<String>,
    anchor: Vec<String>,
    admissible: Vec<Vec<String>>,
    reward: Vec<f64>,
    done: Vec<bool>,
    won: Vec<bool>,
    valid: Vec<bool>,
    score: Vec<f64>,
    task: Vec<usize>,
    task_type: Vec<Option<String>>,
}

#[pyclass(module = "proxmo._native")]
pub struct VecEnv {
    inner: Mutex<Envs>,
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    n_tasks: usize,
    #[pyo3(get)]
    num_envs: usize,
}

#[pymethods]
impl VecEnv {
    #[new]
    #[pyo3(signature = (name, n, group_n=1, split=None, seed=0, max_steps=None, prompts=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: &str,
        n: usize,
        group_n: usize,
        split: Option<&str>,
        seed: i64,
        max_steps: Option<i64>,
        prompts: bool,
    ) -> PyResult<Self> {
        if !NAMES.contains(&name) {
            let hint = closest(name, NAMES.iter().copied())
                .map(|b| format!("; did you mean {b:?}?"))
                .unwrap_or_else(|| "; expected \"alfworld\" or \"webshop\"".into());
            return Err(invalid(format!("unknown environment {name:?}{hint}")));
        }
        let total = n.saturating_mul(group_n);
        if n == 0 || group_n == 0 || total > MAX_ENVS {
            return Err(invalid(format!(
                "n = {n} tasks x group_n = {group_n} rollouts: need at least 1 of each and at most {MAX_ENVS} environments"
            )));
        }
        let kind = format!("env.{name}");
        let mut given = vec![params::int("seed", seed)];
        if let Some(split) = split {
            given.push(params::text("split", split));
        }
        if let Some(m) = max_steps {
            given.push(params::int("max_steps", m));
        }
        let env_params = params::checked(&kind, &given)?;
        let envs = py.detach(|| -> anyhow::Result<Vec<Box<dyn Env>>> {
            let make = build_env(&kind, &env_params)?;
            (0..total).map(|_| make.make()).collect()
        });
        let envs = envs.map_err(from_library)?;
        Ok(VecEnv {
            n_tasks: envs[0].n_tasks(),
            num_envs: total,
            name: name.to_string(),
            inner: Mutex::new(Envs {
                benchmark: benchmark(name)?,
                prompts,
                envs,
                group_n,
                rng: Rng::new(seed as u64),
                slots: Vec::new(),
            }),
        })
    }

    /// Starts every group on a task: `task_ids` (one per group) or tasks drawn from the
    /// seed, distinct while the split has enough.
    #[pyo3(signature = (task_ids=None))]
    fn reset<'py>(
        &self,
        py: Python<'py>,
        task_ids: Option<Vec<i64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let n_groups = self.num_envs / self.lock()?.group_n;
        let tasks: Option<Vec<usize>> = match task_ids {
            None => None,
            Some(ids) => {
                if ids.len() != n_groups {
                    return Err(invalid(format!(
                        "task_ids has {} ids but there are {n_groups} groups (one id per group)",
                        ids.len()
                    )));
                }
                Some(
                    ids.iter()
                        .enumerate()
                        .map(|(i, &t)| {
                            usize::try_from(t)
                                .ok()
                                .filter(|&t| t < self.n_tasks)
                                .ok_or_else(|| {
                                    invalid(format!(
                                        "task_ids[{i}]: task {t} does not exist: the split has tasks 0..{}",
                                        self.n_tasks.saturating_sub(1)
                                    ))
                                })
                        })
                        .collect::<PyResult<_>>()?,
                )
            }
        };
        let frame = py.detach(|| -> PyResult<Frame> {
            let mut guard = self.lock()?;
            let e = &mut *guard;
            let tasks = tasks.unwrap_or_else(|| sample_tasks(self.n_tasks, n_groups, &mut e.rng));
            let per_env: Vec<usize> = (0..self.num_envs).map(|i| tasks[i / e.group_n]).collect();
            let outcomes: Vec<_> = e
                .envs
                .par_iter_mut()
                .zip(per_env.par_iter())
                .map(|(env, &task)| env.reset(task))
                .collect();
            let mut slots = Vec::with_capacity(outcomes.len());
            for (i, outcome) in outcomes.into_iter().enumerate() {
                let seen = outcome.map_err(|err| runtime(i, "reset", err))?;
                slots.push(Slot {
                    task: per_env[i],
                    first_observation: seen.observation.clone(),
                    history: Vec::new(),
                    seen,
                    valid: true,
                });
            }
            e.slots = slots;
            Ok(e.frame())
        })?;
        frame.into_dict(py)
    }

    /// Takes one action per environment (with `prompts`: a model response, projected).
    fn step<'py>(&self, py: Python<'py>, actions: Vec<String>) -> PyResult<Bound<'py, PyDict>> {
        if actions.len() != self.num_envs {
            return Err(invalid(format!(
                "{} actions for {} environments",
                actions.len(),
                self.num_envs
            )));
        }
        let frame = py.detach(|| -> PyResult<Frame> {
            let mut guard = self.lock()?;
            let e = &mut *guard;
            if e.slots.is_empty() {
                return Err(PyRuntimeError::new_err(
                    "step before reset: call reset() first",
                ));
            }
            let fallback = fallback_chars(e.benchmark.name());
            let projected: Vec<(String, bool)> = actions
                .into_iter()
                .map(|a| {
                    if e.prompts {
                        let p = project(&a, fallback);
                        (p.action, p.valid)
                    } else {
                        (a, true)
                    }
                })
                .collect();
            let to_send: Vec<String> = projected.iter().map(|(a, _)| a.clone()).collect();
            let outcomes: Vec<_> = e
                .envs
                .par_iter_mut()
                .zip(to_send.par_iter())
                .map(|(env, action)| env.step(action))
                .collect();
            for (i, (outcome, (action, valid))) in outcomes.into_iter().zip(projected).enumerate() {
                let seen = outcome.map_err(|err| runtime(i, "step", err))?;
                let slot = &mut e.slots[i];
                let anchor = std::mem::replace(&mut slot.seen, seen).anchor;
                slot.history.push((anchor, action));
                slot.valid = valid;
            }
            Ok(e.frame())
        })?;
        frame.into_dict(py)
    }
}

impl VecEnv {
    fn lock(&self) -> PyResult<MutexGuard<'_, Envs>> {
        self.inner.lock().map_err(|_| {
            PyRuntimeError::new_err("an earlier call on this environment failed mid-way")
        })
    }
}

fn runtime(env: usize, op: &str, err: anyhow::Error) -> PyErr {
    from_library(err.context(format!("environment {env}, {op}")))
}

impl Envs {
    fn frame(&self) -> Frame {
        let s = &self.slots;
        Frame {
            text: s
                .iter()
                .map(|x| {
                    if self.prompts {
                        for_step(self.benchmark, &x.first_observation, &x.history, &x.seen)
                    } else {
                        x.seen.observation.clone()
                    }
                })
                .collect(),
            anchor: s.iter().map(|x| x.seen.anchor.clone()).collect(),
            admissible: s.iter().map(|x| x.seen.admissible.clone()).collect(),
            reward: s.iter().map(|x| x.seen.reward).collect(),
            done: s.iter().map(|x| x.seen.done).collect(),
            won: s.iter().map(|x| x.seen.won).collect(),
            valid: s.iter().map(|x| x.valid).collect(),
            score: s.iter().map(|x| x.seen.score).collect(),
            task: s.iter().map(|x| x.task).collect(),
            task_type: self
                .envs
                .iter()
                .zip(s)
                .map(|(env, x)| env.task_kind(x.task))
                .collect(),
        }
    }
}

impl Frame {
    fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("text", self.text)?;
        d.set_item("anchor", self.anchor)?;
        d.set_item("admissible", self.admissible)?;
        d.set_item("reward", self.reward)?;
        d.set_item("done", self.done)?;
        d.set_item("won", self.won)?;
        d.set_item("is_action_valid", self.valid)?;
        d.set_item("score", self.score)?;
        d.set_item("task_id", self.task)?;
        d.set_item("task_type", self.task_type)?;
        Ok(d)
    }
}
