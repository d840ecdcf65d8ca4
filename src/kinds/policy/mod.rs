//! `policy.*` kinds: the policies a rollout stage plays with.

pub mod command;
pub mod linear;
pub mod lm;
pub mod lm_preset;
pub mod lm_weights;
pub mod random;

use crate::stage::{ParamDefault, ParamSpec, ParamType};

/// The `exclude` parameter of the built-in policies.
fn exclude_param() -> ParamSpec {
    ParamSpec::new(
        "exclude",
        ParamType::List(&ParamType::Str),
        ParamDefault::strings(&["help"]),
        "actions never chosen (ALFWorld's agent wrapper hides `help`)",
    )
}
