//! The paper's agent wrapper: the prompt a model sees at a step, and the projection of its
//! response onto an action.

use crate::errors::invalid;
use proxmo::agent::projection::{fallback_chars, project as project_response};
use proxmo::agent::prompt::{build, task_statement as statement, Benchmark, PromptInput};
use pyo3::prelude::*;

pub fn benchmark(name: &str) -> PyResult<Benchmark> {
    Benchmark::parse(name).ok_or_else(|| {
        invalid(format!(
            "unknown benchmark {name:?}: expected \"alfworld\", \"webshop\" or \"text\""
        ))
    })
}

/// The prompt for one step: `history` holds the (observation, action) pairs so far.
#[pyfunction]
#[pyo3(signature = (benchmark, task, observation, admissible, history=Vec::new()))]
pub fn prompt(
    benchmark: &str,
    task: &str,
    observation: &str,
    admissible: Vec<String>,
    history: Vec<(String, String)>,
) -> PyResult<String> {
    Ok(build(&PromptInput {
        benchmark: self::benchmark(benchmark)?,
        task,
        history: &history,
        observation,
        admissible: &admissible,
    }))
}

/// The action in a response and whether the response followed the format.
#[pyfunction]
#[pyo3(signature = (response, benchmark="alfworld"))]
pub fn project(response: &str, benchmark: &str) -> PyResult<(String, bool)> {
    let b = self::benchmark(benchmark)?;
    let p = project_response(response, fallback_chars(b.name()));
    Ok((p.action, p.valid))
}

/// The task statement inside an episode's first observation.
#[pyfunction]
pub fn task_statement(benchmark: &str, first_observation: &str) -> PyResult<String> {
    Ok(statement(self::benchmark(benchmark)?, first_observation))
}
