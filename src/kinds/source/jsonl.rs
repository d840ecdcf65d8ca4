//! `source.jsonl`: step rows from a JSON-lines file (format in README, "Advantages for your
//! own rollouts").

use crate::data::input::{check_regular, MAX_JSONL_BYTES};
use crate::data::jsonl::{read_rows, JsonlRows};
use crate::kinds::roles::Source;
use crate::kinds::Build;
use crate::stage::config::read;
use crate::stage::{
    ParamDefault, ParamSpec, ParamType, Params, Problem, Role, StageConfig, StageSchema,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub path: String,
}

impl StageConfig for Config {
    fn validate(&self) -> Result<(), Problem> {
        if self.path.is_empty() {
            return Err(Problem::at("path", "is empty").help("name the JSON-lines file to read"));
        }
        check_regular(Path::new(&self.path), MAX_JSONL_BYTES, "the rows file")
            .map_err(|e| Problem::at("path", e.0))
    }
}

stage_kind!("source.jsonl", Config, Build::Source(build));

fn schema() -> StageSchema {
    StageSchema {
        kind: KIND.name,
        role: Role::Source,
        doc: "reads step rows from a JSON-lines file (one object per step row)",
        params: vec![ParamSpec::new(
            "path",
            ParamType::Str,
            ParamDefault::Required,
            "input file; relative paths are relative to the working directory",
        )],
    }
}

struct JsonlSource {
    path: PathBuf,
}

fn build(params: &Params) -> anyhow::Result<Box<dyn Source>> {
    let c: Config = read(params)?;
    Ok(Box::new(JsonlSource {
        path: PathBuf::from(c.path),
    }))
}

impl Source for JsonlSource {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn read(&mut self) -> anyhow::Result<JsonlRows> {
        read_rows(&self.path)
    }
}
