//! What `proxmo check` can tell of a model directory's weights without loading them: the
//! safetensors header is whole, and config.json's sizes agree with the tensors' shapes.

use serde_json::Value as Json;
use std::path::Path;

/// `model.safetensors` is whole: its header (8 bytes of length, then JSON naming every
/// tensor's byte range) parses and the file is exactly as long as the ranges say. Reads the
/// header only. A sharded model (`model.safetensors.index.json`) is left to the worker.
pub fn check(dir: &Path, config: &Json) -> Result<(), String> {
    use std::io::Read;
    let path = dir.join("model.safetensors");
    if !path.is_file() {
        return match dir.join("model.safetensors.index.json").is_file() {
            true => Ok(()),
            false => Err("has no model.safetensors".into()),
        };
    }
    let truncated = || "model.safetensors is truncated or not a safetensors file".to_string();
    let mut file = std::fs::File::open(&path).map_err(|e| format!("model.safetensors: {e}"))?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut head = [0u8; 8];
    file.read_exact(&mut head).map_err(|_| truncated())?;
    let header_len = u64::from_le_bytes(head);
    if header_len > 100 << 20 || 8 + header_len > len {
        return Err(truncated());
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(|_| truncated())?;
    let header: Json = serde_json::from_slice(&header).map_err(|_| truncated())?;
    let data_end = header
        .as_object()
        .ok_or_else(truncated)?
        .iter()
        .filter(|(name, _)| name.as_str() != "__metadata__")
        .filter_map(|(_, t)| t.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    if 8 + header_len + data_end != len {
        return Err(format!(
            "model.safetensors holds {len} bytes but its header describes {}: truncated or corrupt",
            8 + header_len + data_end
        ));
    }
    shapes_match(config, &header)
}

/// The sizes config.json gives agree with the weights' shapes, for the decoder layouts the
/// field uses (Llama, Qwen2, Mistral, SmolLM: `embed_tokens`, `layers.N`, `gate_proj`,
/// `k_proj`): a config edited or damaged after saving fails here, not in the worker's load.
/// Layouts without these tensors are left to the worker.
fn shapes_match(config: &Json, header: &Json) -> Result<(), String> {
    let Some(tensors) = header.as_object() else {
        return Ok(());
    };
    let shape = |suffix: &str| -> Option<Vec<u64>> {
        let (_, t) = tensors.iter().find(|(name, _)| name.ends_with(suffix))?;
        t.get("shape")?
            .as_array()?
            .iter()
            .map(Json::as_u64)
            .collect()
    };
    let size = |key: &str| -> Result<Option<u64>, String> {
        match config.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|&n| n > 0)
                .map(Some)
                .ok_or_else(|| format!("config.json's `{key}` is {v}, not a positive integer")),
        }
    };
    let mismatch = |key: &str, said: u64, found: u64, what: &str| {
        format!("config.json says {key} = {said} but the weights' {what} is {found}: the config does not belong to these weights")
    };
    let hidden = size("hidden_size")?;
    if let Some(embed) = shape("embed_tokens.weight") {
        if let (Some(v), Some(&rows)) = (size("vocab_size")?, embed.first()) {
            if v != rows {
                return Err(mismatch("vocab_size", v, rows, "embedding's row count"));
            }
        }
        if let (Some(h), Some(&cols)) = (hidden, embed.get(1)) {
            if h != cols {
                return Err(mismatch("hidden_size", h, cols, "embedding's width"));
            }
        }
    }
    let layers: std::collections::BTreeSet<u64> = tensors
        .keys()
        .filter_map(|name| {
            let (_, rest) = name.split_once("layers.")?;
            rest.split('.').next()?.parse().ok()
        })
        .collect();
    if let Some(n) = size("num_hidden_layers")?.filter(|_| !layers.is_empty()) {
        if n != layers.len() as u64 {
            return Err(mismatch(
                "num_hidden_layers",
                n,
                layers.len() as u64,
                "layer count",
            ));
        }
    }
    if let (Some(i), Some(gate)) = (
        size("intermediate_size")?,
        shape("layers.0.mlp.gate_proj.weight"),
    ) {
        if gate.first() != Some(&i) {
            return Err(mismatch("intermediate_size", i, gate[0], "MLP width"));
        }
    }
    let heads = size("num_attention_heads")?;
    let kv_heads = size("num_key_value_heads")?.or(heads);
    let head_dim = size("head_dim")?.or_else(|| Some(hidden? / heads?));
    if let (Some(kv), Some(d), Some(k)) = (
        kv_heads,
        head_dim,
        shape("layers.0.self_attn.k_proj.weight"),
    ) {
        if k.first() != Some(&(kv * d)) {
            return Err(mismatch(
                "num_key_value_heads x head_dim",
                kv * d,
                k[0],
                "key projection's rows",
            ));
        }
    }
    Ok(())
}
