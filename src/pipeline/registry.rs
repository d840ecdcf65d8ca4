//! The registry of stage kinds: every kind a `.pipe` file may name, with its schema.
//! Adding a stage kind means adding its schema here and its constructor in `build`.

use super::schema::{Default, ParamSpec, ParamType, Range, Role, StageSchema};
use super::value::Value;

fn float(x: f64) -> Default {
    Default::Value(Value::Float(x))
}

fn int(x: i64) -> Default {
    Default::Value(Value::Int(x))
}

fn boolean(x: bool) -> Default {
    Default::Value(Value::Bool(x))
}

fn string(x: &str) -> Default {
    Default::Value(Value::Str(x.to_string()))
}

const PROFILES: &[&str] = &["paper", "reference"];
const DEVICES: &[&str] = &["auto", "cpu", "gpu"];

/// Parameters every advantage estimator shares (SPEC sections 1, 2, 5, 6).
fn common_advantage_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "profile",
            ParamType::Choice(PROFILES),
            string("paper"),
            "which reading of the method: the paper's text or the released code (SPEC section 6)",
        ),
        ParamSpec::new(
            "gamma",
            ParamType::Float,
            float(0.95),
            "discount for step returns",
        )
        .range(Range::left_open(0.0, 1.0)),
        ParamSpec::new(
            "eps",
            ParamType::Float,
            float(1e-6),
            "added to a std before dividing by it",
        )
        .range(Range::above(0.0)),
        ParamSpec::new(
            "invalid_penalty",
            ParamType::Float,
            float(0.1),
            "subtracted on a step whose action was malformed (valid = false)",
        )
        .range(Range::at_least(0.0)),
    ]
}

fn omega_param() -> ParamSpec {
    ParamSpec::new(
        "omega",
        ParamType::Float,
        float(1.0),
        "weight of the step-level advantage in A = A_episode + omega * A_step",
    )
    .range(Range::at_least(0.0))
}

fn normalize_std_param(default: Default) -> ParamSpec {
    ParamSpec::new(
        "normalize_std",
        ParamType::Bool,
        default,
        "divide episode advantages by the group std (false: mean only, Dr.GRPO)",
    )
}

fn psc_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "psc",
            ParamType::Bool,
            boolean(true),
            "episode level: modulate by the group's success rate (polarized signal controller)",
        ),
        ParamSpec::new(
            "alpha",
            ParamType::Float,
            float(4.0),
            "PSC exponent on p and 1 - p",
        )
        .range(Range::above(0.0)),
        ParamSpec::new(
            "beta",
            ParamType::Float,
            Default::Derived("0.1 (paper) or 0.2164 (reference)"),
            "PSC strength: weights lie in [1 - beta/2, 1 + beta/2]",
        )
        .range(Range::at_least(0.0)),
    ]
}

fn psa_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "psa",
            ParamType::Bool,
            boolean(true),
            "step level: soft baseline over similar states (false: GiGPO exact groups, mean only)",
        ),
        ParamSpec::new(
            "tau",
            ParamType::Float,
            float(0.1),
            "softmax temperature over TF-IDF cosine similarities",
        )
        .range(Range::above(0.0)),
        ParamSpec::new(
            "align",
            ParamType::Choice(&["any", "step"]),
            string("any"),
            "compare a row with every row of its group (any) or only rows at the same step",
        ),
        ParamSpec::new(
            "max_features",
            ParamType::Int,
            int(1024),
            "TF-IDF vocabulary size: the most frequent terms of the batch",
        )
        .range(Range::at_least(1.0)),
        ParamSpec::new(
            "device",
            ParamType::Choice(DEVICES),
            string("auto"),
            "where the soft baseline runs: auto picks a hardware GPU for large batches",
        ),
        ParamSpec::new(
            "allow_software",
            ParamType::Bool,
            boolean(false),
            "let device = \"gpu\" use a software adapter (Mesa lavapipe): for tests, not speed",
        ),
    ]
}

fn gigpo_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "norm",
            ParamType::Choice(&["mean_norm", "mean_std_norm"]),
            string("mean_std_norm"),
            "divide by the std at both levels (mean_std_norm) or subtract the mean only",
        ),
        ParamSpec::new(
            "matching",
            ParamType::Choice(&["exact", "similar"]),
            string("exact"),
            "anchor-state groups: identical observations, or a string-similarity ratio",
        ),
        ParamSpec::new(
            "similarity",
            ParamType::Float,
            float(0.95),
            "with matching = \"similar\": minimum ratio to a cluster's first member",
        )
        .range(Range::closed(0.0, 1.0)),
    ]
}

/// Every stage kind proxmo knows, in the order `proxmo stages` lists them.
pub fn all() -> Vec<StageSchema> {
    let mut kinds = vec![
        StageSchema {
            kind: "source.jsonl",
            role: Role::Source,
            doc: "reads step rows from a JSON-lines file (one object per step row)",
            params: vec![ParamSpec::new(
                "path",
                ParamType::Str,
                Default::Required,
                "input file; relative paths are relative to the working directory",
            )],
        },
        StageSchema {
            kind: "sink.jsonl",
            role: Role::Sink,
            doc: "writes every row with its advantages to a JSON-lines file, atomically",
            params: vec![ParamSpec::new(
                "path",
                ParamType::Str,
                Default::Required,
                "output file; written to a temporary file first, then renamed",
            )],
        },
        StageSchema {
            kind: "sink.metrics",
            role: Role::Sink,
            doc: "writes one JSON line of metrics per batch (success, score, advantage statistics), rewritten after every batch",
            params: vec![ParamSpec::new(
                "path",
                ParamType::Str,
                Default::Required,
                "output file; replaced atomically after every batch so it can be watched",
            )],
        },
        StageSchema {
            kind: "advantage.grpo",
            role: Role::Advantage,
            doc: "GRPO: group-normalised episode outcome, no step level",
            params: [
                common_advantage_params(),
                vec![normalize_std_param(boolean(true))],
            ]
            .concat(),
        },
        StageSchema {
            kind: "advantage.rloo",
            role: Role::Advantage,
            doc: "RLOO: episode outcome minus the leave-one-out mean, no step level",
            params: common_advantage_params(),
        },
        StageSchema {
            kind: "advantage.gigpo",
            role: Role::Advantage,
            doc: "GiGPO: GRPO episode level plus exact anchor-state groups at the step level",
            params: [
                common_advantage_params(),
                gigpo_params(),
                vec![omega_param()],
            ]
            .concat(),
        },
        StageSchema {
            kind: "advantage.proxmo",
            role: Role::Advantage,
            doc: "ProxMO: success-rate modulated episode level (PSC) plus similarity-weighted step baselines (PSA)",
            params: [
                common_advantage_params(),
                vec![normalize_std_param(Default::Derived(
                    "true (paper) or false (reference)",
                ))],
                psc_params(),
                psa_params(),
                vec![omega_param()],
            ]
            .concat(),
        },
    ];
    kinds.extend(crate::env::stage_schemas());
    kinds.push(crate::rollout::group_schema());
    kinds.push(crate::rollout::policy::random_schema());
    kinds.push(crate::rollout::linear::schema());
    kinds.push(crate::rollout::command::schema());
    kinds.push(crate::rollout::linear::update_schema());
    kinds
}

/// The schema of one kind, if it exists.
pub fn find(kind: &str) -> Option<StageSchema> {
    // Built once: `check` looks a kind up per declared stage, and files can declare many.
    static ALL: std::sync::OnceLock<Vec<StageSchema>> = std::sync::OnceLock::new();
    ALL.get_or_init(all)
        .iter()
        .find(|s| s.kind == kind)
        .cloned()
}

/// The parameters of `kind` with every schema default filled in and `overrides` applied,
/// for building stages in code (tests, benchmarks) without a `.pipe` file. Overrides are
/// checked against the schema's names only; `.pipe` files get full validation in `dsl`.
pub fn params_with_defaults(
    kind: &str,
    overrides: &[(&str, Value)],
) -> anyhow::Result<super::value::Params> {
    let schema = find(kind).ok_or_else(|| anyhow::anyhow!("unknown stage kind `{kind}`"))?;
    let mut params = std::collections::BTreeMap::new();
    for spec in &schema.params {
        if let Default::Value(v) = &spec.default {
            params.insert(spec.name.to_string(), v.clone());
        }
    }
    for (name, value) in overrides {
        if schema.param(name).is_none() {
            anyhow::bail!("`{kind}` has no parameter `{name}`");
        }
        params.insert(name.to_string(), value.clone());
    }
    Ok(super::value::Params(params))
}

/// The settings a `pipeline { ... }` block accepts besides its chain.
pub fn pipeline_settings() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "seed",
            ParamType::Int,
            int(0),
            "seeds every random choice of the run (task order, sampling), so a run is reproducible",
        )
        .range(Range::at_least(0.0)),
        ParamSpec::new(
            "iterations",
            ParamType::Int,
            int(1),
            "batches to roll out (env -> rollout pipelines); a source pipeline reads its file once",
        )
        .range(Range::at_least(1.0)),
        ParamSpec::new(
            "eval_every",
            ParamType::Int,
            int(0),
            "evaluate the policy on every task of `eval_split`, once each, every this many batches and after the last (0: never)",
        )
        .range(Range::at_least(0.0)),
        ParamSpec::new(
            "eval_split",
            ParamType::Str,
            string(""),
            "the env split evaluations use (empty: the env's own split)",
        ),
    ]
}
