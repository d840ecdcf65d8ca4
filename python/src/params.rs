//! Keyword arguments checked as `.pipe` parameters of a stage kind: the one place the
//! extension touches the library's stage schemas and parameter values.

use crate::errors::{from_diagnostic, invalid};
use proxmo::advantage::Estimator;
use proxmo::dsl::check::params_from_code;
use proxmo::dsl::diagnostics::closest;
use proxmo::stage::{Params, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The estimators `kind=` accepts, short names of the `advantage.*` stage kinds.
pub const ESTIMATORS: &[&str] = &["grpo", "rloo", "gigpo", "proxmo"];

/// Parameters given from Python, in the order given.
pub type Given = Vec<(String, Value)>;

/// `"proxmo"` (or `"advantage.proxmo"`) as the stage kind `advantage.proxmo`.
pub fn estimator_kind(kind: &str) -> PyResult<String> {
    let short = kind.strip_prefix("advantage.").unwrap_or(kind);
    if ESTIMATORS.contains(&short) {
        return Ok(format!("advantage.{short}"));
    }
    let hint = match closest(short, ESTIMATORS.iter().copied()) {
        Some(best) => format!("; did you mean \"{best}\"?"),
        None => format!("; expected one of {}", ESTIMATORS.join(", ")),
    };
    Err(invalid(format!("unknown estimator kind {kind:?}{hint}")))
}

/// One Python value as a parameter value; `name` is for the message.
fn value(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    // bool before int: Python's True is also an int.
    if obj.is_instance_of::<PyBool>() {
        Ok(Value::Bool(obj.extract()?))
    } else if obj.is_instance_of::<PyInt>() {
        obj.extract::<i64>()
            .map(Value::Int)
            .map_err(|_| invalid(format!("parameter `{name}`: {obj} does not fit in 64 bits")))
    } else if obj.is_instance_of::<PyFloat>() {
        Ok(Value::Float(obj.extract()?))
    } else if obj.is_instance_of::<PyString>() {
        Ok(Value::Str(obj.extract()?))
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj
            .try_iter()?
            .map(|item| value(name, &item?))
            .collect::<PyResult<_>>()?;
        Ok(Value::List(items))
    } else {
        let ty = obj.get_type().name()?;
        Err(invalid(format!(
            "parameter `{name}`: a {ty} is not a parameter value (use a bool, int, float or str)"
        )))
    }
}

/// A keyword-argument dict as parameters.
pub fn given(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Given> {
    let Some(kwargs) = kwargs else {
        return Ok(Vec::new());
    };
    kwargs
        .iter()
        .map(|(k, v)| {
            let name: String = k.extract()?;
            let v = value(&name, &v)?;
            Ok((name, v))
        })
        .collect()
}

/// `given` checked against `kind`'s schema, defaults filled in.
pub fn checked(kind: &str, given: &[(String, Value)]) -> PyResult<Params> {
    params_from_code(kind, given).map_err(from_diagnostic)
}

/// The estimator of an `advantage.*` kind with checked parameters.
pub fn estimator(kind: &str, given: &[(String, Value)]) -> PyResult<Estimator> {
    let params = checked(kind, given)?;
    proxmo::kinds::advantage::estimator(kind, &params)
        .map_err(|e| invalid(format!("{kind}: {e:#}")))
}

pub fn int(name: &str, x: i64) -> (String, Value) {
    (name.to_string(), Value::Int(x))
}

pub fn text(name: &str, s: &str) -> (String, Value) {
    (name.to_string(), Value::Str(s.to_string()))
}

pub fn float(name: &str, x: f64) -> (String, Value) {
    (name.to_string(), Value::Float(x))
}
