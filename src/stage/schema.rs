//! Parameter schemas: one per stage kind. A schema drives validation of `.pipe` files,
//! the defaults filled in at resolution, and the `proxmo stages` help text. A kind's schema
//! is the single source of its defaults: typed configs (`config.rs`) read resolved values.

use super::value::{Params, Value};

/// Defaults in schemas, written as `ParamDefault::float(0.95)`.
impl ParamDefault {
    pub fn float(x: f64) -> ParamDefault {
        ParamDefault::Value(Value::Float(x))
    }

    pub fn int(x: i64) -> ParamDefault {
        ParamDefault::Value(Value::Int(x))
    }

    pub fn bool(x: bool) -> ParamDefault {
        ParamDefault::Value(Value::Bool(x))
    }

    pub fn str(x: &str) -> ParamDefault {
        ParamDefault::Value(Value::Str(x.to_string()))
    }

    pub fn strings(items: &[&str]) -> ParamDefault {
        ParamDefault::Value(Value::List(
            items.iter().map(|s| Value::Str(s.to_string())).collect(),
        ))
    }
}

/// The type a parameter accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Int,
    /// Accepts ints too (`tau = 1` is `1.0`).
    Float,
    Bool,
    Str,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// A list whose items all have this type (`exclude = ["help"]`).
    List(&'static ParamType),
    /// A nested stage whose kind starts with this prefix, e.g. `policy.`.
    Stage(&'static str),
}

impl ParamType {
    fn plural(&self) -> String {
        match self {
            ParamType::Int => "ints".into(),
            ParamType::Float => "floats".into(),
            ParamType::Bool => "bools".into(),
            ParamType::Str => "strings".into(),
            other => format!("{} values", other.describe()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ParamType::Int => "int".into(),
            ParamType::Float => "float".into(),
            ParamType::Bool => "bool".into(),
            ParamType::Str => "string".into(),
            ParamType::Choice(options) => options
                .iter()
                .map(|o| format!("{o:?}"))
                .collect::<Vec<_>>()
                .join(" | "),
            ParamType::List(item) => format!("list of {}", item.plural()),
            ParamType::Stage(prefix) => format!("{prefix}* stage"),
        }
    }
}

/// An allowed numeric range; each bound is inclusive unless marked open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Option<f64>,
    pub min_open: bool,
    pub max: Option<f64>,
    pub max_open: bool,
}

impl Range {
    pub const ANY: Range = Range {
        min: None,
        min_open: false,
        max: None,
        max_open: false,
    };

    /// `[min, +inf)`
    pub const fn at_least(min: f64) -> Range {
        Range {
            min: Some(min),
            min_open: false,
            max: None,
            max_open: false,
        }
    }

    /// `(min, +inf)`
    pub const fn above(min: f64) -> Range {
        Range {
            min: Some(min),
            min_open: true,
            max: None,
            max_open: false,
        }
    }

    /// `[min, max]`
    pub const fn closed(min: f64, max: f64) -> Range {
        Range {
            min: Some(min),
            min_open: false,
            max: Some(max),
            max_open: false,
        }
    }

    /// `(min, max]`
    pub const fn left_open(min: f64, max: f64) -> Range {
        Range {
            min: Some(min),
            min_open: true,
            max: Some(max),
            max_open: false,
        }
    }

    /// `[min, max)`
    pub const fn right_open(min: f64, max: f64) -> Range {
        Range {
            min: Some(min),
            min_open: false,
            max: Some(max),
            max_open: true,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        if x.is_nan() {
            return false;
        }
        let above_min = match self.min {
            None => true,
            Some(m) if self.min_open => x > m,
            Some(m) => x >= m,
        };
        let below_max = match self.max {
            None => true,
            Some(m) if self.max_open => x < m,
            Some(m) => x <= m,
        };
        above_min && below_max
    }

    pub fn is_any(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    pub fn describe(&self) -> String {
        let lo = match self.min {
            None => "(-inf".to_string(),
            Some(m) => format!("{}{m}", if self.min_open { "(" } else { "[" }),
        };
        let hi = match self.max {
            None => "+inf)".to_string(),
            Some(m) => format!("{m}{}", if self.max_open { ")" } else { "]" }),
        };
        format!("{lo}, {hi}")
    }
}

/// Upper bounds that keep a typo from asking for billions of rollouts or steps.
pub const GROUP_SIZE_CAP: f64 = 1_024.0;
pub const STEP_LIMIT_CAP: f64 = 100_000.0;
pub const TASKS_PER_BATCH_CAP: f64 = 100_000.0;

/// What happens when a parameter is not given.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamDefault {
    /// The user must give it.
    Required,
    /// Filled in with this value.
    Value(Value),
    /// Left unset; the stage derives it (e.g. from `profile`). The text says how.
    Derived(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    pub default: ParamDefault,
    pub range: Range,
    pub doc: &'static str,
}

impl ParamSpec {
    pub fn new(
        name: &'static str,
        ty: ParamType,
        default: ParamDefault,
        doc: &'static str,
    ) -> Self {
        ParamSpec {
            name,
            ty,
            default,
            range: Range::ANY,
            doc,
        }
    }

    pub fn range(mut self, range: Range) -> Self {
        self.range = range;
        self
    }
}

/// The role a stage plays in a pipeline; it decides which wirings are possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `source.*`: produces a batch of step rows from outside (a file).
    Source,
    /// `env.*`: the environment rollouts run in.
    Env,
    /// `rollout.*`: plays the policy in the environment and produces a batch.
    Rollout,
    /// `advantage.*`: adds advantages to a batch.
    Advantage,
    /// `update.*`: consumes advantages to train the policy.
    Update,
    /// `sink.*`: writes a batch out.
    Sink,
    /// `policy.*`: only used as a nested parameter value.
    Policy,
}

impl Role {
    pub fn from_prefix(prefix: &str) -> Option<Role> {
        Some(match prefix {
            "source" => Role::Source,
            "env" => Role::Env,
            "rollout" => Role::Rollout,
            "advantage" => Role::Advantage,
            "update" => Role::Update,
            "sink" => Role::Sink,
            "policy" => Role::Policy,
            _ => return None,
        })
    }

    pub fn prefix(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Env => "env",
            Role::Rollout => "rollout",
            Role::Advantage => "advantage",
            Role::Update => "update",
            Role::Sink => "sink",
            Role::Policy => "policy",
        }
    }

    /// The parameters that may name what a stage of this role writes (a kind has one of
    /// them): a sink's `path` (a file) or `dir` (a log directory), an update's `save` (its
    /// model or weights). Outputs must not collide, and a later step of a sequence may read
    /// them (docs/pipe-language.md, "Sequences").
    pub fn output_params(self) -> &'static [&'static str] {
        match self {
            Role::Sink => &["path", "dir"],
            Role::Update => &["save"],
            _ => &[],
        }
    }
}

/// The schema of one stage kind, e.g. `advantage.proxmo`.
#[derive(Debug, Clone)]
pub struct StageSchema {
    pub kind: &'static str,
    pub role: Role,
    pub doc: &'static str,
    pub params: Vec<ParamSpec>,
}

impl StageSchema {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The parameters with every plain default filled in and `overrides` applied, for
    /// building stages in code (tests, benchmarks) without a `.pipe` file. Overrides are
    /// checked against the schema's names only; `.pipe` files get full validation in `dsl`.
    pub fn params_with(&self, overrides: &[(&str, Value)]) -> Result<Params, String> {
        let mut params = std::collections::BTreeMap::new();
        for spec in &self.params {
            if let ParamDefault::Value(v) = &spec.default {
                params.insert(spec.name.to_string(), v.clone());
            }
        }
        for (name, value) in overrides {
            if self.param(name).is_none() {
                return Err(format!("`{}` has no parameter `{name}`", self.kind));
            }
            params.insert(name.to_string(), value.clone());
        }
        Ok(Params(params))
    }
}
