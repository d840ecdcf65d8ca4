//! Language-model text on the Rust side: a model directory's tokenizer and chat template, so
//! proxmo renders and tokenises prompts itself and sends token ids to the model worker
//! (docs/worker-protocol.md). Token ids sampled by the worker are kept as they are, never
//! re-tokenised: decoding is only for reading the action out of a response.

pub mod chat_template;
pub mod prompt_encoder;
pub mod tokenizer;
pub mod truncate;

pub use chat_template::{ChatTemplate, Message};
pub use prompt_encoder::{EncodedPrompt, PromptEncoder};
pub use tokenizer::LmTokenizer;
