//! Which stage may follow which: data flows environment -> rollout -> advantage -> update,
//! or source -> advantage, and sinks write whatever reaches them.

use super::ast::Ident;
use super::diagnostics::Diagnostic;
use crate::stage::{ResolvedStage, Role};

/// The roles that may come right after `role` in a chain.
pub fn successors(role: Role) -> &'static [Role] {
    match role {
        Role::Source => &[Role::Advantage, Role::Sink],
        Role::Env => &[Role::Rollout],
        Role::Rollout => &[Role::Advantage, Role::Sink],
        Role::Advantage => &[Role::Update, Role::Sink],
        Role::Update => &[Role::Sink],
        Role::Sink => &[Role::Sink],
        Role::Policy => &[],
    }
}

/// Why a role produces what it does, for messages.
fn what_it_makes(role: Role) -> &'static str {
    match role {
        Role::Source => "a source reads a batch of step rows",
        Role::Env => "an environment is played by a rollout stage",
        Role::Rollout => "a rollout produces a batch of step rows",
        Role::Advantage => "an advantage stage adds advantages to a batch",
        Role::Update => "an update trains the policy on a batch",
        Role::Sink => "a sink writes a batch out",
        Role::Policy => "a policy is a parameter of a rollout, not a stage of the chain",
    }
}

fn names(roles: &[Role]) -> String {
    let words: Vec<String> = roles.iter().map(|r| format!("{}.*", r.prefix())).collect();
    match words.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Checks the order of a chain; every misplaced stage gives one error.
pub fn check_wiring(chain: &[(&Ident, &ResolvedStage)]) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    for (ident, stage) in chain {
        if stage.role == Role::Policy {
            errors.push(
                Diagnostic::at(
                    ident.span,
                    format!(
                        "`{}` ({}) cannot be wired into a chain",
                        ident.name, stage.kind
                    ),
                )
                .help("a policy is a parameter of a rollout: `rollout.KIND { policy = NAME }`"),
            );
        }
    }
    if let Some((ident, first)) = chain.first() {
        if !matches!(first.role, Role::Source | Role::Env | Role::Policy) {
            errors.push(
                Diagnostic::at(
                    ident.span,
                    format!(
                        "a pipeline cannot start with `{}` ({})",
                        ident.name, first.kind
                    ),
                )
                .help("start with where the data comes from: a source.* or an env.* stage"),
            );
        }
    }
    for pair in chain.windows(2) {
        let [(_, a), (b_ident, b)] = pair else {
            continue;
        };
        if a.role == Role::Policy || b.role == Role::Policy {
            continue;
        }
        let allowed = successors(a.role);
        if !allowed.contains(&b.role) {
            errors.push(
                Diagnostic::at(
                    b_ident.span,
                    format!(
                        "`{}` ({}) cannot follow `{}` ({})",
                        b_ident.name, b.kind, a.name, a.kind
                    ),
                )
                .help(format!(
                    "{}: after it comes {}",
                    what_it_makes(a.role),
                    names(allowed)
                )),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
