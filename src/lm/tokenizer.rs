//! A model directory's `tokenizer.json` (the Hugging Face `tokenizers` format), used exactly
//! as transformers' fast tokenizer uses it.

use crate::data::InvalidInput;
use anyhow::{anyhow, Result};
use std::path::{Path, PathBuf};

pub struct LmTokenizer {
    inner: tokenizers::Tokenizer,
    path: PathBuf,
}

impl LmTokenizer {
    /// Loads `DIR/tokenizer.json`.
    pub fn load(model_dir: &Path) -> Result<LmTokenizer> {
        let path = model_dir.join("tokenizer.json");
        if !path.is_file() {
            return Err(anyhow!(InvalidInput(format!(
                "{}: no tokenizer.json in the model directory",
                model_dir.display()
            ))));
        }
        let inner = tokenizers::Tokenizer::from_file(&path).map_err(|e| {
            anyhow!(InvalidInput(format!(
                "{}: not a readable tokenizer: {e}",
                path.display()
            )))
        })?;
        Ok(LmTokenizer { inner, path })
    }

    /// Token ids of `text`. Special tokens written in the text (`<|im_start|>`) become their
    /// ids, and none is added around it: a rendered chat template already carries its own,
    /// which is how transformers tokenises the output of `apply_chat_template`. Offsets are
    /// not tracked (`encode_fast`): only the ids are kept, and they are the same.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| anyhow!("{}: tokenising failed: {e}", self.path.display()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The text of `ids`; `skip_special` drops special tokens such as the end of a turn.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| anyhow!("{}: decoding failed: {e}", self.path.display()))
    }

    /// The id of one token of the vocabulary (special tokens included).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Vocabulary size, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}
