//! The compact prompt: for small models trained here from scratch, which cannot afford the
//! paper's 400-token instructions. It keeps what an agent needs to act (the task, the room's
//! receptacles, the last `history` actions with what each showed, the current observation;
//! WebShop's clickable actions) and drops the prose. The answer format is the paper's
//! (`<think>..</think><action>..</action>`), so the same projection reads both.

use super::prompt::{task_statement, Benchmark};
use crate::env::StepOutcome;

/// What an ALFWorld first observation lists after this, up to the first `.`: the room.
const ROOM_MARKER: &str = "Looking quickly around you, you see ";

/// The room's receptacles as `cabinet 1, drawer 2, ...`, read from the first observation.
fn room(first_observation: &str) -> Option<String> {
    let at = first_observation.find(ROOM_MARKER)? + ROOM_MARKER.len();
    let rest = &first_observation[at..];
    let list = &rest[..rest.find('.')?];
    let items: Vec<&str> = list
        .split(", ")
        .map(|item| item.trim_start_matches("and ").trim_start_matches("a "))
        .collect();
    Some(items.join(", "))
}

/// `> action` then what it showed, for the last `window` steps (the result of the newest is
/// the current observation, shown after `Now:`).
fn recent(history: &[(String, String)], window: usize) -> String {
    let start = history.len().saturating_sub(window);
    let mut out = String::new();
    for i in start..history.len() {
        out.push_str("> ");
        out.push_str(&history[i].1);
        out.push('\n');
        if let Some((next_obs, _)) = history.get(i + 1) {
            out.push_str(next_obs.trim());
            out.push('\n');
        }
    }
    out
}

/// The compact prompt of one step.
pub fn for_step(
    benchmark: Benchmark,
    first_observation: &str,
    history: &[(String, String)],
    seen: &StepOutcome,
    window: usize,
) -> String {
    let mut out = format!("Task: {}\n", task_statement(benchmark, first_observation));
    if let Some(room) = room(first_observation) {
        out.push_str("Room: ");
        out.push_str(&room);
        out.push('\n');
    }
    out.push_str(&recent(history, window));
    let now = match benchmark {
        Benchmark::Webshop => &seen.anchor,
        _ => &seen.observation,
    };
    if history.is_empty() {
        out.push_str("Now: start\n");
    } else {
        out.push_str("Now: ");
        out.push_str(now.trim());
        out.push('\n');
    }
    if benchmark == Benchmark::Webshop {
        out.push_str("Actions: ");
        out.push_str(&seen.admissible.join(" | "));
        out.push('\n');
    }
    out
}

/// The answer a demonstration writes for `action` in this format: the tags the projection
/// checks, with nothing to reason about in between.
pub fn demonstration(action: &str) -> String {
    format!("<think></think><action>{action}</action>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(observation: &str) -> StepOutcome {
        StepOutcome {
            observation: observation.into(),
            anchor: observation.into(),
            reward: 0.0,
            done: false,
            won: false,
            score: 0.0,
            admissible: vec!["look".into()],
        }
    }

    const FIRST: &str = "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see a cabinet 2, a cabinet 1, and a countertop 1.\n\nYour task is to: put a mug in cabinet.";

    #[test]
    fn the_first_step_shows_the_task_and_the_room() {
        let p = for_step(Benchmark::Alfworld, FIRST, &[], &outcome(FIRST), 4);
        assert_eq!(
            p,
            "Task: put a mug in cabinet.\nRoom: cabinet 2, cabinet 1, countertop 1\nNow: start\n"
        );
    }

    #[test]
    fn later_steps_show_the_last_actions_with_what_they_showed() {
        let history = vec![
            (FIRST.to_string(), "go to cabinet 2".to_string()),
            ("The cabinet 2 is closed.".to_string(), "open cabinet 2".to_string()),
            ("The cabinet 2 is open. In it, you see nothing.".to_string(), "go to countertop 1".to_string()),
        ];
        let now = outcome("On the countertop 1, you see a mug 1.");
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 2);
        assert_eq!(
            p,
            "Task: put a mug in cabinet.\nRoom: cabinet 2, cabinet 1, countertop 1\n> open cabinet 2\nThe cabinet 2 is open. In it, you see nothing.\n> go to countertop 1\nNow: On the countertop 1, you see a mug 1.\n"
        );
        // A window of 0 keeps only the present.
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0);
        assert!(p.ends_with("countertop 1\nNow: On the countertop 1, you see a mug 1.\n"));
    }

    #[test]
    fn its_demonstration_is_a_valid_answer() {
        let p = crate::agent::projection::project(&demonstration("go to desk 1"), 30);
        assert!(p.valid);
        assert_eq!(p.action, "go to desk 1");
    }
}
