//! The `proxmo._native` extension: the Rust library's advantages, environments and agent
//! wrapper, called in process from Python. The pure-Python package `proxmo` (beside this
//! crate) converts arrays and shapes results; everything computed here is the library's.

mod advantages;
mod agent;
mod columns;
mod envs;
mod errors;
mod params;
mod trainer;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(advantages::advantages, m)?)?;
    m.add_function(wrap_pyfunction!(trainer::trainer_advantages, m)?)?;
    m.add_function(wrap_pyfunction!(trainer::tfidf_contested_cut, m)?)?;
    m.add_function(wrap_pyfunction!(agent::prompt, m)?)?;
    m.add_function(wrap_pyfunction!(agent::project, m)?)?;
    m.add_function(wrap_pyfunction!(agent::task_statement, m)?)?;
    m.add_class::<envs::VecEnv>()?;
    m.add("ESTIMATORS", params::ESTIMATORS.to_vec())?;
    Ok(())
}
