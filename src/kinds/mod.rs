//! Stage kinds: every kind a `.pipe` file may name, one module each, holding its typed
//! config, its schema (the single source of its defaults and docs) and its build function.
//! The runner composes what these build through the traits in `roles.rs`; it never names a
//! kind. Adding a kind means adding its module and one line to [`table`].

/// Declares a kind module's table entry: `stage_kind!("env.alfworld", Config, build)`
/// reads the kind's parameters into `Config`, whose fields are checked against the
/// module's `schema()`.
macro_rules! stage_kind {
    ($name:literal, $config:ty, $build:expr) => {
        pub const KIND: $crate::kinds::Kind = $crate::kinds::Kind {
            name: $name,
            schema,
            fields: <$config as $crate::stage::StageConfig>::fields,
            check: $crate::stage::config::check::<$config>,
            build: $build,
        };
    };
}

pub mod advantage;
pub mod env;
pub mod policy;
pub mod roles;
pub mod rollout;
pub mod settings;
pub mod sink;
pub mod source;
pub mod update;

use crate::stage::{Params, Problem, StageSchema, Value};
pub use roles::{Build, Kind};

/// Every stage kind, in the order `proxmo stages` lists them.
pub fn table() -> &'static [Kind] {
    static TABLE: &[Kind] = &[
        source::jsonl::KIND,
        sink::jsonl::KIND,
        sink::metrics::KIND,
        sink::tensorboard::KIND,
        sink::tracker::KIND,
        advantage::grpo::KIND,
        advantage::rloo::KIND,
        advantage::gigpo::KIND,
        advantage::proxmo::KIND,
        env::alfworld::KIND,
        env::webshop::KIND,
        env::bridge::KIND,
        rollout::group::KIND,
        policy::random::KIND,
        policy::linear::KIND,
        policy::command::KIND,
        policy::lm::KIND,
        update::pg::KIND,
        update::ppo::KIND,
        update::sft::KIND,
    ];
    TABLE
}

/// The kind named `kind`, if it exists.
pub fn find(kind: &str) -> Option<&'static Kind> {
    table().iter().find(|k| k.name == kind)
}

/// Every kind's schema, built once per process (a `.pipe` file may name thousands of stages).
pub fn schemas() -> &'static [StageSchema] {
    static SCHEMAS: std::sync::OnceLock<Vec<StageSchema>> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| table().iter().map(|k| (k.schema)()).collect())
}

/// The schema of `kind`, if it exists.
pub fn schema(kind: &str) -> Option<&'static StageSchema> {
    schemas().iter().find(|s| s.kind == kind)
}

/// `kind`'s parameters with its defaults filled in and `overrides` applied, for building
/// stages in code (tests, benchmarks) without a `.pipe` file.
pub fn params_with_defaults(kind: &str, overrides: &[(&str, Value)]) -> anyhow::Result<Params> {
    let schema = schema(kind).ok_or_else(|| anyhow::anyhow!("unknown stage kind `{kind}`"))?;
    schema.params_with(overrides).map_err(anyhow::Error::msg)
}

/// Checks a stage's parameters as its kind reads them (no side effects).
pub fn check(kind: &str, params: &Params) -> Result<(), Problem> {
    match find(kind) {
        Some(k) => (k.check)(params),
        None => Err(Problem::stage(format!("unknown stage kind `{kind}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_match_schemas() {
        let mut seen = std::collections::HashSet::new();
        for kind in table() {
            assert!(seen.insert(kind.name), "{} twice", kind.name);
            let schema = (kind.schema)();
            assert_eq!(schema.kind, kind.name);
            assert_eq!(schema.role, kind.build.role(), "{}", kind.name);
        }
    }

    /// Each kind's typed config has exactly the fields its schema declares.
    #[test]
    fn every_config_agrees_with_its_schema() {
        for kind in table() {
            let mut fields = (kind.fields)();
            let mut names: Vec<&str> = (kind.schema)().params.iter().map(|p| p.name).collect();
            fields.sort_unstable();
            names.sort_unstable();
            assert_eq!(fields, names, "{}: config fields vs schema", kind.name);
        }
    }

    /// Every kind reads its own defaults (plus any required values) without a problem.
    #[test]
    fn every_kind_reads_its_defaults() {
        for kind in table() {
            let schema = (kind.schema)();
            let mut params = schema.params_with(&[]).unwrap();
            for p in &schema.params {
                if p.default == crate::stage::ParamDefault::Required {
                    // An existing file for paths, a directory for directories; policy.lm's
                    // model a preset (a directory would have to hold a whole model).
                    let value = match (p.name, &p.ty) {
                        (_, crate::stage::ParamType::Choice(options)) => options[0],
                        ("model", _) => "tiny",
                        ("dir", _) => "src",
                        _ => "Cargo.toml",
                    };
                    params
                        .0
                        .insert(p.name.to_string(), Value::Str(value.into()));
                }
            }
            if let Err(e) = (kind.check)(&params) {
                panic!("{}: {e}", kind.name);
            }
        }
    }
}
