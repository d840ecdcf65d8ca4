//! The one rule for exit codes. An error whose chain holds an [`InvalidInput`] was caused by
//! what the user gave (a `.pipe` file, a `--set`, a data file, a child's reply they
//! configured): exit 2. Anything else is a runtime failure (I/O, a device, a crashed child):
//! exit 1. Code that refuses input wraps its message in `InvalidInput`; plain `bail!` means
//! a runtime failure.

/// The run succeeded.
pub const EXIT_OK: u8 = 0;
/// Something failed while running (I/O, a device, a stage).
pub const EXIT_RUNTIME: u8 = 1;
/// The input was invalid: a `.pipe` file, a `--set`, a data file.
pub const EXIT_INVALID: u8 = 2;

/// Bad user input (a malformed file, a missing field, an impossible setting).
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

/// An `InvalidInput` error, ready for `?`.
pub fn invalid(message: impl Into<String>) -> anyhow::Error {
    InvalidInput(message.into()).into()
}

/// The exit code of an error: 2 when the user's input was at fault, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let invalid = error
        .chain()
        .any(|e| e.is::<InvalidInput>() || e.is::<crate::stage::Problem>());
    if invalid {
        EXIT_INVALID
    } else {
        EXIT_RUNTIME
    }
}
