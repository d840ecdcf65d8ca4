//! Library errors as Python exceptions: bad input is a `ValueError` (the binary's exit 2),
//! anything else a `RuntimeError` (its exit 1).

use proxmo::data::InvalidInput;
use proxmo::dsl::Diagnostic;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;

pub fn invalid(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// A schema check's message with its hint ("did you mean ...").
pub fn from_diagnostic(d: Diagnostic) -> PyErr {
    match d.help {
        Some(help) => invalid(format!("{}; {help}", d.message)),
        None => invalid(d.message),
    }
}

/// `InvalidInput` is the library's mark for bad input; every other failure is at run time.
pub fn from_library(e: anyhow::Error) -> PyErr {
    if e.downcast_ref::<InvalidInput>().is_some() {
        invalid(format!("{e:#}"))
    } else {
        PyRuntimeError::new_err(format!("{e:#}"))
    }
}
