//! The checks of a sequence before its first step runs: every step plans with its inputs at
//! their own values (what earlier steps write does not exist yet; a step is planned again,
//! with them, when it starts), and no two steps write the same output, so a later step never
//! overwrites an earlier one's results (docs/pipe-language.md, "Sequences").

use super::plan::{normal, outputs, plan};
use crate::dsl::Diagnostic;
use crate::stage::ResolvedSequence;
use std::collections::HashMap;
use std::path::PathBuf;

/// Every problem of `seq` that can be found before it runs.
pub fn check(seq: &ResolvedSequence) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut claimed: HashMap<PathBuf, (String, String)> = HashMap::new();
    for step in &seq.steps {
        let pipeline = &step.before_inputs;
        if let Err(mut more) = plan(pipeline) {
            errors.append(&mut more);
            continue;
        }
        let mut mine = HashMap::new();
        for out in outputs(pipeline) {
            let key = normal(out.path);
            if let Some((step_name, stage)) = claimed.get(&key) {
                let message = format!(
                    "step `{}` of sequence `{}` writes {} (`{}`), which step `{step_name}` writes too (`{stage}`)",
                    pipeline.name, seq.sequence, out.path, out.stage
                );
                let help = "the later step would overwrite it: give one of them another path in this step (`STAGE.PARAM = \"...\"`)";
                errors.push(match out.span {
                    Some(span) => Diagnostic::at(span, message).help(help),
                    None => Diagnostic::general(message).help(help),
                });
            }
            mine.insert(key, (pipeline.name.clone(), out.stage.to_string()));
        }
        claimed.extend(mine);
    }
    errors
}
