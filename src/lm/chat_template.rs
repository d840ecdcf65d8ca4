//! A model's chat template: the Jinja text that turns a list of messages into the prompt the
//! model was tuned on. Rendered with minijinja configured as transformers configures Jinja2
//! for `apply_chat_template` (blocks trimmed and left-stripped, loop controls, Python string
//! methods, `raise_exception`), with the tokenizer's special tokens as variables.

use crate::data::InvalidInput;
use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: &str, content: &str) -> Message {
        Message {
            role: role.to_string(),
            content: content.to_string(),
        }
    }
}

/// Where the template text was found, named in errors.
const JINJA_FILE: &str = "chat_template.jinja";
const CONFIG_FILE: &str = "tokenizer_config.json";
/// The special tokens transformers passes to a template by name.
const SPECIAL_TOKENS: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];

pub struct ChatTemplate {
    env: minijinja::Environment<'static>,
    special_tokens: BTreeMap<String, String>,
    origin: String,
}

impl ChatTemplate {
    /// The template of a model directory: `chat_template.jinja` (transformers 5 writes it
    /// there), else the `chat_template` entry of `tokenizer_config.json` (a string, or a list
    /// of named templates of which `default` is taken).
    pub fn load(model_dir: &Path) -> Result<ChatTemplate> {
        let config = read_config(model_dir)?;
        let jinja = model_dir.join(JINJA_FILE);
        let (source, origin) = if jinja.is_file() {
            let text = std::fs::read_to_string(&jinja)
                .with_context(|| format!("{}: cannot read the chat template", jinja.display()))?;
            (text, jinja.display().to_string())
        } else {
            let origin = model_dir.join(CONFIG_FILE).display().to_string();
            let text = config
                .as_ref()
                .and_then(|c| template_in_config(c.get("chat_template")?))
                .ok_or_else(|| {
                    anyhow!(InvalidInput(format!(
                        "{}: no chat template: neither {JINJA_FILE} nor a `chat_template` in {CONFIG_FILE}",
                        model_dir.display()
                    )))
                })?;
            (text, origin)
        };
        let special_tokens = config.as_ref().map(special_tokens_of).unwrap_or_default();
        ChatTemplate::from_source(source, special_tokens, origin)
    }

    /// A template from its text; `special_tokens` maps `bos_token`, `eos_token`, ... to text.
    pub fn from_source(
        source: String,
        special_tokens: BTreeMap<String, String>,
        origin: String,
    ) -> Result<ChatTemplate> {
        let mut env = minijinja::Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_template_owned("chat", source).map_err(|e| {
            anyhow!(InvalidInput(format!(
                "{origin}: the chat template does not parse: {e}"
            )))
        })?;
        Ok(ChatTemplate {
            env,
            special_tokens,
            origin,
        })
    }

    /// The prompt text of `messages`; `add_generation_prompt` appends the header of the
    /// assistant's turn, so the model's next tokens are its answer.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let mut context: BTreeMap<&str, minijinja::Value> = self
            .special_tokens
            .iter()
            .map(|(k, v)| (k.as_str(), minijinja::Value::from(v.as_str())))
            .collect();
        context.insert("messages", minijinja::Value::from_serialize(messages));
        context.insert(
            "add_generation_prompt",
            minijinja::Value::from(add_generation_prompt),
        );
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| anyhow!("{}: {e}", self.origin))?;
        template
            .render(context)
            .map_err(|e| anyhow!("{}: rendering the chat template failed: {e}", self.origin))
    }
}

/// transformers' `raise_exception(message)`: a template's way to refuse its input.
fn raise_exception(message: String) -> Result<String, minijinja::Error> {
    Err(minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        message,
    ))
}

fn read_config(model_dir: &Path) -> Result<Option<Json>> {
    let path = model_dir.join(CONFIG_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let json = serde_json::from_str(&text).map_err(|e| {
        anyhow!(InvalidInput(format!(
            "{}: not valid JSON: {e}",
            path.display()
        )))
    })?;
    Ok(Some(json))
}

fn template_in_config(entry: &Json) -> Option<String> {
    match entry {
        Json::String(s) => Some(s.clone()),
        Json::Array(named) => named
            .iter()
            .find(|t| t.get("name").and_then(Json::as_str) == Some("default"))
            .and_then(|t| t.get("template")?.as_str().map(str::to_string)),
        _ => None,
    }
}

/// Special tokens are stored as text or as an added-token object with a `content`.
fn special_tokens_of(config: &Json) -> BTreeMap<String, String> {
    SPECIAL_TOKENS
        .iter()
        .filter_map(|name| {
            let entry = config.get(*name)?;
            let text = entry.as_str().or_else(|| entry.get("content")?.as_str())?;
            Some((name.to_string(), text.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const QWEN_LIKE: &str = "{% for message in messages %}\n{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>\\n' }}\n{% endfor %}\n{% if add_generation_prompt %}\n{{ '<|im_start|>assistant\\n' }}\n{% endif %}\n";

    fn template(source: &str) -> ChatTemplate {
        let tokens = BTreeMap::from([("eos_token".to_string(), "<|im_end|>".to_string())]);
        ChatTemplate::from_source(source.to_string(), tokens, "test".to_string()).unwrap()
    }

    #[test]
    fn renders_with_trimmed_blocks_and_a_generation_prompt() {
        let t = template(QWEN_LIKE);
        let messages = [
            Message::new("system", "Be brief."),
            Message::new("user", " hi "),
        ];
        assert_eq!(
            t.render(&messages, true).unwrap(),
            // Jinja2 with trim_blocks and lstrip_blocks renders exactly this: the newline
            // after a block tag goes, the one after an expression stays.
            "<|im_start|>system\nBe brief.<|im_end|>\n\n<|im_start|>user\nhi<|im_end|>\n\n<|im_start|>assistant\n\n"
        );
        assert!(!t.render(&messages, false).unwrap().contains("assistant"));
    }

    #[test]
    fn python_string_methods_special_tokens_and_raise_exception() {
        let t = template("{% if messages[0].content.startswith('x') %}{{ raise_exception('no x') }}{% endif %}{{ messages[0].content.upper() }}{{ eos_token }}");
        assert_eq!(
            t.render(&[Message::new("user", "ab")], false).unwrap(),
            "AB<|im_end|>"
        );
        let err = t.render(&[Message::new("user", "xy")], false).unwrap_err();
        assert!(format!("{err:#}").contains("no x"), "{err:#}");
    }

    #[test]
    fn a_template_that_does_not_parse_is_invalid_input() {
        let err = ChatTemplate::from_source("{% if %}".into(), BTreeMap::new(), "t.jinja".into())
            .err()
            .unwrap();
        assert!(err.is::<InvalidInput>() || err.chain().any(|e| e.is::<InvalidInput>()));
        assert!(format!("{err:#}").contains("t.jinja"));
    }

    #[test]
    fn config_templates_and_special_tokens() {
        let config: Json = serde_json::json!({
            "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}],
            "bos_token": {"content": "<s>", "lstrip": false},
            "eos_token": "</s>",
            "pad_token": null
        });
        assert_eq!(
            template_in_config(&config["chat_template"]),
            Some("D".to_string())
        );
        let tokens = special_tokens_of(&config);
        assert_eq!(tokens["bos_token"], "<s>");
        assert_eq!(tokens["eos_token"], "</s>");
        assert!(!tokens.contains_key("pad_token"));
    }

    #[test]
    fn a_directory_without_a_template_says_so() {
        let dir = std::env::temp_dir().join(format!("proxmo-ct-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = ChatTemplate::load(&dir).err().unwrap();
        assert!(format!("{err:#}").contains("no chat template"), "{err:#}");
        std::fs::write(
            dir.join(CONFIG_FILE),
            r#"{"chat_template": "{{ messages | length }}"}"#,
        )
        .unwrap();
        let t = ChatTemplate::load(&dir).unwrap();
        assert_eq!(t.render(&[Message::new("user", "a")], true).unwrap(), "1");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
