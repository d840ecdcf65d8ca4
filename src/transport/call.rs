//! Requests and responses over a [`ChildProcess`]: every request carries an `id` its
//! response echoes, and every response says `ok` (docs/transport.md, "Calls").

use super::child::{excerpt, ChildProcess};
use super::deadline::Deadline;
use anyhow::{anyhow, Result};
use serde_json::{json, Map, Value as Json};
use std::fmt;
use std::time::Duration;

impl ChildProcess {
    /// Sends `request` (its `id` is filled in) and returns the fields of the `ok: true`
    /// response besides `id` and `ok`. Writing and reading together get at most `timeout`.
    /// An `ok: false` response fails this call only; anything else that goes wrong (timeout,
    /// crash, a line that is not a response, a wrong id) ends the child for good.
    pub fn call(
        &mut self,
        site: &dyn fmt::Display,
        mut request: Map<String, Json>,
        timeout: Duration,
    ) -> Result<Map<String, Json>> {
        self.check_usable(site)?;
        let deadline = Deadline::after(timeout);
        let id = self.next_id;
        self.next_id += 1;
        request.insert("id".into(), json!(id));
        self.send(site, &Json::Object(request), &deadline)?;
        let value = self.receive(site, &deadline)?;
        let Json::Object(mut response) = value else {
            let what = format!(
                "it printed a JSON line that is not an object: {}",
                excerpt(&value.to_string())
            );
            return Err(self.fail(site, what, Duration::ZERO));
        };
        let got_id = response.get("id").cloned().unwrap_or(Json::Null);
        let ok = response.get("ok").and_then(Json::as_bool);
        if got_id.as_u64() != Some(id) {
            let detail = match ok {
                Some(false) => format!(" (it reported: {})", error_text(&response)),
                _ => String::new(),
            };
            let what = format!("response id {got_id} does not match request id {id}{detail}");
            return Err(self.fail(site, what, Duration::ZERO));
        }
        match ok {
            Some(true) => {
                response.remove("id");
                response.remove("ok");
                Ok(response)
            }
            Some(false) => Err(anyhow!(
                "{site}: the {} refused the request: {}",
                self.role(),
                error_text(&response)
            )),
            None => {
                let what = "its response has no boolean `ok`".to_string();
                Err(self.fail(site, what, Duration::ZERO))
            }
        }
    }

    /// The handshake: `{"op": "hello"}`, whose response must carry `protocol` = `protocol`.
    pub fn hello(
        &mut self,
        site: &dyn fmt::Display,
        protocol: i64,
        timeout: Duration,
    ) -> Result<Map<String, Json>> {
        let mut request = Map::new();
        request.insert("op".into(), json!("hello"));
        let response = self.call(site, request, timeout)?;
        match response.get("protocol") {
            Some(p) if p.as_i64() == Some(protocol) => Ok(response),
            Some(p) => Err(anyhow!(
                "{site}: the {} speaks protocol {p}, proxmo speaks {protocol}",
                self.role()
            )),
            None => Err(anyhow!(
                "{site}: the {} did not say which protocol it speaks (no `protocol` in its \
                 hello response); proxmo speaks {protocol}",
                self.role()
            )),
        }
    }
}

/// The `error` object of an `ok: false` response, as `type: message`.
pub fn error_text(response: &Map<String, Json>) -> String {
    match response.get("error") {
        Some(Json::Object(e)) => {
            let ty = e.get("type").and_then(Json::as_str).unwrap_or("error");
            let message = e
                .get("message")
                .and_then(Json::as_str)
                .unwrap_or("(no message)");
            format!("{ty}: {message}")
        }
        Some(other) => format!("error: {other}"),
        None => "error without details".to_string(),
    }
}
