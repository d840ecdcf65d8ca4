//! Columns of per-row values from Python sequences. Every value is checked, and a bad one is
//! a `ValueError` naming its row index (0-based, as in Python) and its field.

use crate::errors::invalid;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

/// Reads `obj` as a sequence of `n` values (`n = None`: any length), each converted by
/// `convert` or refused with "expected `expected`".
fn each<T>(
    field: &str,
    obj: &Bound<'_, PyAny>,
    n: Option<usize>,
    expected: &str,
    convert: impl Fn(&Bound<'_, PyAny>) -> Option<T>,
) -> PyResult<Vec<T>> {
    if obj.is_instance_of::<PyString>() {
        return Err(invalid(format!(
            "field `{field}` must be a sequence with one value per row, got a str"
        )));
    }
    let iter = obj.try_iter().map_err(|_| {
        invalid(format!(
            "field `{field}` must be a sequence with one value per row, got {}",
            type_name(obj)
        ))
    })?;
    let mut out = Vec::with_capacity(n.unwrap_or(0));
    for (row, item) in iter.enumerate() {
        let item = item?;
        match convert(&item) {
            Some(v) => out.push(v),
            None => {
                return Err(invalid(format!(
                    "row {row}: field `{field}`: expected {expected}, got {}",
                    shown(&item)
                )))
            }
        }
    }
    if let Some(n) = n {
        if out.len() != n {
            return Err(invalid(format!(
                "field `{field}` has {} values but there are {n} rows",
                out.len()
            )));
        }
    }
    Ok(out)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    let name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// A value as the message shows it: its repr, cut short.
fn shown(obj: &Bound<'_, PyAny>) -> String {
    let repr = obj
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    let short: String = repr.chars().take(60).collect();
    let cut = if short.len() < repr.len() { "..." } else { "" };
    format!("{short}{cut} ({})", type_name(obj))
}

/// Ids (a group, a trajectory): strings, or integers taken as their decimal text.
pub fn ids(field: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<String>> {
    each(field, obj, n, "a str or an int", |v| {
        if v.is_instance_of::<PyString>() {
            v.extract().ok()
        } else if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() {
            v.str().ok().map(|s| s.to_string())
        } else {
            None
        }
    })
}

pub fn texts(field: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<String>> {
    each(field, obj, n, "a str", |v| {
        v.is_instance_of::<PyString>()
            .then(|| v.extract().ok())
            .flatten()
    })
}

pub fn steps(field: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<u32>> {
    each(field, obj, n, "an int in 0..=4294967295", |v| {
        if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() {
            v.extract().ok()
        } else {
            None
        }
    })
}

/// Numbers (ints widen); finiteness is the batch's check, so it names the row too.
pub fn floats(field: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<f64>> {
    each(field, obj, n, "a number", |v| {
        if v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyInt>() {
            v.extract().ok()
        } else {
            None
        }
    })
}

pub fn flags(field: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<bool>> {
    each(field, obj, n, "a bool", |v| {
        v.is_instance_of::<PyBool>()
            .then(|| v.extract().ok())
            .flatten()
    })
}

/// Bools where `None` means "not stated".
pub fn optional_flags(
    field: &str,
    obj: &Bound<'_, PyAny>,
    n: Option<usize>,
) -> PyResult<Vec<Option<bool>>> {
    each(field, obj, n, "a bool or None", |v| {
        if v.is_none() {
            Some(None)
        } else if v.is_instance_of::<PyBool>() {
            v.extract().ok().map(Some)
        } else {
            None
        }
    })
}
