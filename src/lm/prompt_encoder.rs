//! From a prompt text to the token ids the worker gets: the chat template wraps it as a user
//! message with the assistant's turn opened, the tokenizer encodes it, and a prompt over the
//! token budget is cut from the left.

use super::chat_template::{ChatTemplate, Message};
use super::tokenizer::LmTokenizer;
use super::truncate::left_truncate;
use anyhow::Result;
use std::path::Path;

/// A model directory's tokenizer and chat template together.
pub struct PromptEncoder {
    pub tokenizer: LmTokenizer,
    pub template: ChatTemplate,
}

/// One encoded prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPrompt {
    pub ids: Vec<u32>,
    /// Tokens cut from the front to fit the budget (0 when it fitted).
    pub truncated: usize,
}

impl PromptEncoder {
    pub fn load(model_dir: &Path) -> Result<PromptEncoder> {
        Ok(PromptEncoder {
            tokenizer: LmTokenizer::load(model_dir)?,
            template: ChatTemplate::load(model_dir)?,
        })
    }

    /// `messages` rendered with the assistant's turn opened, tokenised, and left-truncated to
    /// `max_tokens`.
    pub fn encode_chat(&self, messages: &[Message], max_tokens: usize) -> Result<EncodedPrompt> {
        let text = self.template.render(messages, true)?;
        let ids = self.tokenizer.encode(&text)?;
        let (kept, truncated) = left_truncate(&ids, max_tokens);
        Ok(EncodedPrompt {
            ids: kept.to_vec(),
            truncated,
        })
    }

    /// One user message (the agent's step prompt), encoded as [`Self::encode_chat`] does.
    pub fn encode_user(&self, prompt: &str, max_tokens: usize) -> Result<EncodedPrompt> {
        self.encode_chat(&[Message::new("user", prompt)], max_tokens)
    }
}
