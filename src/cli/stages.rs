//! `proxmo stages`: every stage kind with its parameters, defaults, ranges and docs.

use super::console;
use super::EXIT_OK;
use crate::kinds;
use crate::stage::{ParamDefault, ParamSpec, StageSchema};
use std::fmt::Write;

#[derive(clap::Args, Debug)]
pub struct StagesArgs {
    /// Show only kinds whose name contains this text (e.g. `advantage` or `proxmo`).
    pub filter: Option<String>,
}

pub fn run(args: StagesArgs) -> anyhow::Result<u8> {
    let schemas: Vec<&StageSchema> = kinds::schemas()
        .iter()
        .filter(|k| args.filter.as_deref().map_or(true, |f| k.kind.contains(f)))
        .collect();
    if schemas.is_empty() {
        console::errln("no stage kind matches; run `proxmo stages` for all of them");
        return Ok(super::EXIT_INVALID);
    }
    let mut out = String::new();
    for kind in &schemas {
        describe_kind(&mut out, kind);
    }
    out.push_str("pipeline settings (inside `pipeline NAME { ... }`)\n");
    for spec in &kinds::settings::schema().params {
        describe_param(&mut out, spec);
    }
    console::out(&out);
    Ok(EXIT_OK)
}

fn describe_kind(out: &mut String, kind: &StageSchema) {
    let _ = writeln!(out, "{}\n    {}", kind.kind, kind.doc);
    for spec in &kind.params {
        describe_param(out, spec);
    }
    out.push('\n');
}

fn describe_param(out: &mut String, spec: &ParamSpec) {
    let default = match &spec.default {
        ParamDefault::Required => "required".to_string(),
        ParamDefault::Value(v) => format!("default {v}"),
        ParamDefault::Derived(how) => format!("default: {how}"),
    };
    let range = if spec.range.is_any() {
        String::new()
    } else {
        format!(", in {}", spec.range.describe())
    };
    let _ = writeln!(
        out,
        "  {:<16} {}; {default}{range}\n  {:<16} {}",
        spec.name,
        spec.ty.describe(),
        "",
        spec.doc
    );
}
