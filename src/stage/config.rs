//! Typed configs: each stage kind reads its resolved parameters into one struct
//! (`serde::Deserialize`), so parameter names are written once, in the struct, and checked
//! against the kind's schema by a test (`field_names`). Resolution has already checked every
//! value against the schema, so reading a config fails only on a bug in a kind.

use super::value::Params;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

/// Something wrong with a stage's parameters that the schema alone cannot see (two values
/// that contradict each other, a path that cannot be written). `param` names the parameter
/// to point at; the DSL turns it into a located diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub param: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    /// A problem with parameter `param`.
    pub fn at(param: &str, message: impl Into<String>) -> Problem {
        Problem {
            param: Some(param.to_string()),
            message: message.into(),
            help: None,
        }
    }

    /// A problem with the stage as a whole.
    pub fn stage(message: impl Into<String>) -> Problem {
        Problem {
            param: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.param {
            Some(p) => write!(f, "`{p}`: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

/// A stage kind's typed parameters.
pub trait StageConfig: DeserializeOwned {
    /// Rules across parameters that the schema cannot express. Runs at check time, so it
    /// must not touch the outside world beyond looking at paths.
    fn validate(&self) -> Result<(), Problem> {
        Ok(())
    }

    /// The parameter names this config reads (for the schema agreement test). A config
    /// with `#[serde(flatten)]` fields overrides it: serde reads such a struct as a map,
    /// which hides its field names from [`field_names`].
    fn fields() -> Vec<&'static str> {
        field_names::<Self>()
    }
}

/// Reads `params` into `T`.
pub fn read<T: DeserializeOwned>(params: &Params) -> anyhow::Result<T> {
    serde_json::from_value(params.to_json())
        .map_err(|e| anyhow::anyhow!("internal error reading stage parameters: {e}"))
}

/// Reads and validates a config.
pub fn read_valid<T: StageConfig>(params: &Params) -> anyhow::Result<T> {
    let config: T = read(params)?;
    config.validate()?;
    Ok(config)
}

/// A kind's check: reads its config and validates it, as `proxmo check` does.
pub fn check<T: StageConfig>(params: &Params) -> Result<(), Problem> {
    let config: T = read(params).map_err(|e| Problem::stage(format!("{e:#}")))?;
    config.validate()
}

/// The field names of a config struct, as serde sees them (for the schema agreement test).
/// Empty for a struct with `#[serde(flatten)]` fields (see [`StageConfig::fields`]).
pub fn field_names<T: DeserializeOwned>() -> Vec<&'static str> {
    let mut probe = FieldProbe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.map(<[_]>::to_vec).unwrap_or_default()
}

/// A deserializer that answers nothing but records the fields a struct asks for.
struct FieldProbe(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut FieldProbe {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::value::Value;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Example {
        tau: f64,
        name: String,
        beta: Option<f64>,
        exclude: Vec<String>,
    }

    impl StageConfig for Example {}

    #[test]
    fn reads_typed_values_and_lists_fields() {
        let mut p = std::collections::BTreeMap::new();
        p.insert("tau".to_string(), Value::Float(0.5));
        p.insert("name".to_string(), Value::Str("x".into()));
        p.insert(
            "exclude".to_string(),
            Value::List(vec![Value::Str("help".into())]),
        );
        let e: Example = read_valid(&Params(p)).unwrap();
        assert_eq!(
            e,
            Example {
                tau: 0.5,
                name: "x".into(),
                beta: None,
                exclude: vec!["help".into()]
            }
        );
        assert_eq!(
            field_names::<Example>(),
            vec!["tau", "name", "beta", "exclude"]
        );
    }
}
