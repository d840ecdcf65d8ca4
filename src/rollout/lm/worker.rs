//! The client side of the model worker (`python -m proxmo_worker`, docs/worker-protocol.md):
//! token ids go out, sampled ids with their log-probabilities and training metrics come back.

use crate::error::invalid;
use crate::rollout::policy::{TokenLoss, TrainRow, WorkerTime};
use crate::transport::{shortened, ChildProcess};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The protocol version the worker's `hello` must report.
const PROTOCOL_VERSION: i64 = 1;
/// How the child is named in messages.
const ROLE: &str = "model worker";

/// One sampled response.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    pub ids: Vec<u32>,
    pub logprobs: Vec<f64>,
}

/// How to sample one `generate` call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    pub temperature: f64,
    pub top_p: f64,
    pub max_new_tokens: usize,
    /// Makes the draw reproducible from proxmo's random stream (and so across `--resume`).
    pub seed: u64,
}

pub struct Worker {
    process: ChildProcess,
    timeout: Duration,
    /// The facts `hello` answered (model type, parameters, device, ...).
    pub facts: Map<String, Json>,
    /// The model's vocabulary size and the first id that ends a response, from `hello`:
    /// every id the worker answers must be below `vocab`.
    vocab: u32,
    pub eos: u32,
    /// Time spent waiting for the worker's answers, by request.
    waited: WorkerTime,
}

impl Worker {
    /// Starts `command` and sends `hello` with `settings` (the model directory and training
    /// settings); fails unless the worker loads the model and speaks our protocol.
    pub fn start(command: &str, settings: Map<String, Json>, timeout: Duration) -> Result<Worker> {
        let mut process = ChildProcess::spawn(command, ROLE)?;
        let mut request = settings;
        request.insert("op".into(), json!("hello"));
        let site = "policy.lm, op `hello`";
        let facts = match process.call(&site, request, timeout) {
            Ok(facts) => facts,
            // Refused, not broken (the worker is still usable): it could not load the model
            // or take the settings this run gave it, which is bad input.
            Err(e) if process.check_usable(&site).is_ok() => return Err(invalid(format!("{e:#}"))),
            Err(e) => return Err(e),
        };
        match facts.get("protocol").and_then(Json::as_i64) {
            Some(PROTOCOL_VERSION) => {}
            other => bail!(
                "policy.lm: the model worker speaks protocol {other:?}, proxmo speaks {PROTOCOL_VERSION}"
            ),
        }
        let (vocab, eos) = model_facts(&facts)?;
        let waited = WorkerTime {
            other: process.waited(),
            ..WorkerTime::default()
        };
        Ok(Worker {
            process,
            timeout,
            facts,
            vocab,
            eos,
            waited,
        })
    }

    fn call(&mut self, op: &str, mut request: Map<String, Json>) -> Result<Map<String, Json>> {
        request.insert("op".into(), json!(op));
        let site = format!("policy.lm, op `{op}`");
        let before = self.process.waited();
        let answer = self.process.call(&site, request, self.timeout);
        let waited = self.process.waited().saturating_sub(before);
        *match op {
            "generate" => &mut self.waited.generate,
            "train" => &mut self.waited.train,
            _ => &mut self.waited.other,
        } += waited;
        answer
    }

    /// The total time spent waiting for the worker so far.
    pub fn waited(&self) -> WorkerTime {
        self.waited
    }

    /// Samples one response per prompt, all in one batch.
    pub fn generate(&mut self, prompts: &[Vec<u32>], how: Sampling) -> Result<Vec<Sampled>> {
        let mut request = Map::new();
        request.insert("prompts".into(), json!(prompts));
        request.insert("temperature".into(), json!(how.temperature));
        request.insert("top_p".into(), json!(how.top_p));
        request.insert("max_new_tokens".into(), json!(how.max_new_tokens));
        // Python's JSON reads any integer exactly; 53 bits keep every reader safe.
        request.insert("seed".into(), json!(how.seed & ((1 << 53) - 1)));
        let answer = self.call("generate", request)?;
        let responses = answer
            .get("responses")
            .and_then(Json::as_array)
            .context("policy.lm: the model worker's `generate` answer has no `responses` list")?;
        if responses.len() != prompts.len() {
            bail!(
                "policy.lm: the model worker answered {} prompts with {} responses",
                prompts.len(),
                responses.len()
            );
        }
        responses
            .iter()
            .enumerate()
            .map(|(i, r)| {
                sampled(r, how.max_new_tokens, self.vocab).with_context(|| {
                    format!("policy.lm: the model worker's `generate` response {i}")
                })
            })
            .collect()
    }

    /// One optimiser step over `micro_batches` (docs/worker-protocol.md, `train`).
    pub fn train(
        &mut self,
        loss: TokenLoss,
        micro_batches: &[Vec<TrainRow>],
    ) -> Result<BTreeMap<String, f64>> {
        let batches: Vec<Json> = micro_batches
            .iter()
            .map(|rows| Json::Array(rows.iter().map(|r| train_row(r, loss)).collect()))
            .collect();
        let mut request = Map::new();
        request.insert(
            "loss".into(),
            json!(match loss {
                TokenLoss::Ppo => "ppo",
                TokenLoss::Sft => "sft",
            }),
        );
        request.insert("micro_batches".into(), Json::Array(batches));
        let answer = self.call("train", request)?;
        let metrics = answer
            .get("metrics")
            .and_then(Json::as_object)
            .context("policy.lm: the model worker's `train` answer has no `metrics`")?;
        // Numbers (a diverged loss arrives as null: NaN) and booleans (`stepped`) as 0/1.
        metrics
            .iter()
            .map(|(k, v)| {
                let x = match v {
                    Json::Bool(b) => f64::from(u8::from(*b)),
                    Json::Null => f64::NAN,
                    v => v.as_f64().with_context(|| {
                        format!(
                            "policy.lm: the model worker's `train` answer has metric `{k}` = {}, not a number",
                            shown(v)
                        )
                    })?,
                };
                Ok((k.clone(), x))
            })
            .collect()
    }

    /// Writes the model directory (and the optimiser state) to `dir`.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        let mut request = Map::new();
        request.insert("path".into(), json!(path_text(dir)?));
        self.call("save", request).map(drop)
    }

    /// Restores what `save` wrote.
    pub fn load(&mut self, dir: &Path) -> Result<()> {
        let mut request = Map::new();
        request.insert("path".into(), json!(path_text(dir)?));
        self.call("load", request).map(drop)
    }
}

fn path_text(dir: &Path) -> Result<String> {
    let absolute =
        std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    absolute
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{} is not valid UTF-8", dir.display()))
}

fn train_row(row: &TrainRow, loss: TokenLoss) -> Json {
    let t = row.tokens;
    match loss {
        TokenLoss::Ppo => json!({
            "prompt": t.prompt, "response": t.response,
            "old_logprobs": t.logprobs, "advantage": row.advantage,
        }),
        TokenLoss::Sft => json!({"prompt": t.prompt, "response": t.response}),
    }
}

/// The vocabulary size and first EOS id `hello` reported: without them proxmo could neither
/// check the ids the worker samples nor end a demonstration.
fn model_facts(facts: &Map<String, Json>) -> Result<(u32, u32)> {
    let vocab = facts
        .get("vocab_size")
        .and_then(Json::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&v| v > 0)
        .context("policy.lm: the model worker's `hello` gave no positive `vocab_size`")?;
    let eos = facts
        .get("eos_ids")
        .and_then(Json::as_array)
        .and_then(|ids| ids.first())
        .and_then(Json::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .context(
            "policy.lm: the model worker's `hello` gave no `eos_ids` (the ids that end a response)",
        )?;
    if eos >= vocab {
        bail!("policy.lm: the model worker's EOS id {eos} is outside its vocabulary of {vocab}");
    }
    Ok((vocab, eos))
}

/// One response as the protocol promises it: 1 to `max_new_tokens` ids of the vocabulary,
/// each with a log-probability (<= 0: a probability's log).
fn sampled(r: &Json, max_new_tokens: usize, vocab: u32) -> Result<Sampled> {
    let ids = r
        .get("ids")
        .and_then(Json::as_array)
        .context("no `ids` list")?
        .iter()
        .map(|x| {
            x.as_u64()
                .and_then(|x| u32::try_from(x).ok())
                .filter(|&x| x < vocab)
                .with_context(|| {
                    format!(
                        "{} is not a token id of the model's vocabulary [0, {vocab})",
                        shown(x)
                    )
                })
        })
        .collect::<Result<Vec<u32>>>()?;
    let logprobs = r
        .get("logprobs")
        .and_then(Json::as_array)
        .context("no `logprobs` list")?
        .iter()
        .map(|x| {
            x.as_f64()
                .filter(|p| *p <= 0.0)
                .with_context(|| format!("the log-prob {} is not a number <= 0", shown(x)))
        })
        .collect::<Result<Vec<f64>>>()?;
    if ids.len() != logprobs.len() {
        bail!("{} ids but {} log-probs", ids.len(), logprobs.len());
    }
    if ids.is_empty() || ids.len() > max_new_tokens {
        bail!(
            "{} tokens: a response has 1 to max_new_tokens = {max_new_tokens}",
            ids.len()
        );
    }
    Ok(Sampled { ids, logprobs })
}

/// A JSON value for a message, cut short: a worker's answer can be megabytes.
fn shown(v: &Json) -> String {
    shortened(&v.to_string(), 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_outside_the_protocol_is_refused() {
        let ok = json!({"ids": [5, 2], "logprobs": [-0.5, -0.1]});
        assert_eq!(sampled(&ok, 4, 10).unwrap().ids, vec![5, 2]);
        for (bad, why) in [
            (
                json!({"ids": [12, 2], "logprobs": [-0.5, -0.1]}),
                "vocabulary",
            ),
            (json!({"ids": [], "logprobs": []}), "1 to max_new_tokens"),
            (
                json!({"ids": [1, 1, 1, 1, 2], "logprobs": [-1, -1, -1, -1, -1]}),
                "1 to max_new_tokens",
            ),
            (json!({"ids": [5], "logprobs": [0.5]}), "<= 0"),
            (json!({"ids": [5], "logprobs": [null]}), "<= 0"),
            (json!({"ids": [5, 2], "logprobs": [-1]}), "log-probs"),
        ] {
            let err = format!("{:#}", sampled(&bad, 4, 10).unwrap_err());
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn hello_must_name_a_vocabulary_and_an_eos_inside_it() {
        let facts = |v: Json| v.as_object().unwrap().clone();
        assert_eq!(
            model_facts(&facts(json!({"vocab_size": 10, "eos_ids": [2, 3]}))).unwrap(),
            (10, 2)
        );
        for bad in [
            json!({"eos_ids": [2]}),
            json!({"vocab_size": 0, "eos_ids": [0]}),
            json!({"vocab_size": 10}),
            json!({"vocab_size": 10, "eos_ids": []}),
            json!({"vocab_size": 10, "eos_ids": [10]}),
        ] {
            assert!(model_facts(&facts(bad.clone())).is_err(), "{bad}");
        }
    }
}
