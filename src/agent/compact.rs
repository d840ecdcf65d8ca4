//! The compact prompt: for small models trained here from scratch, which cannot afford the
//! paper's 400-token instructions. It keeps what an agent needs to act (the task, the room's
//! receptacles split into those whose contents the episode has shown, with what they held
//! when last shown, and those still unseen; the last `history` actions with what each showed;
//! the current observation; WebShop's clickable actions) and drops the prose. The seen /
//! unseen split is the episode's own memory, read from the observations so far: a small
//! model cannot recall from a sliding window where it has already looked (measured: with a
//! window alone it repeats its last `go to`). The answer format is the paper's
//! (`<think>..</think><action>..</action>`), so the same projection reads both.

use super::prompt::{task_statement, Benchmark};
use crate::env::StepOutcome;

/// What an ALFWorld first observation lists after this, up to the first `.`: the room.
const ROOM_MARKER: &str = "Looking quickly around you, you see ";

/// The room's receptacles (`cabinet 1`, `drawer 2`, ...), read from the first observation.
fn room(first_observation: &str) -> Option<Vec<&str>> {
    let at = first_observation.find(ROOM_MARKER)? + ROOM_MARKER.len();
    let rest = &first_observation[at..];
    let list = &rest[..rest.find('.')?];
    Some(
        list.split(", ")
            .map(|item| item.trim_start_matches("and ").trim_start_matches("a "))
            .collect(),
    )
}

/// The receptacle whose contents `observation` lists, and the list (`a mug 1, and a cup
/// 2`): ALFWorld's `On the X, you see ...` and `The X is open. In it, you see ...`.
fn shown_contents(observation: &str) -> Option<(&str, &str)> {
    let (name, rest) = if let Some(at) = observation.find("On the ") {
        let rest = &observation[at + "On the ".len()..];
        let comma = rest.find(", you see ")?;
        (&rest[..comma], &rest[comma + ", you see ".len()..])
    } else {
        let at = observation.find("The ")?;
        let rest = &observation[at + "The ".len()..];
        let open = rest.find(" is open. In it, you see ")?;
        (&rest[..open], &rest[open + " is open. In it, you see ".len()..])
    };
    let list = &rest[..rest.find('.').unwrap_or(rest.len())];
    Some((name, list))
}

/// `Seen: X (what it held), ...` and `Unseen: Y, ...`, in the room's order, from every
/// observation of the episode (the newest showing of a receptacle counts).
fn memory(room: &[&str], observations: &[&str]) -> String {
    let mut held: Vec<Option<String>> = vec![None; room.len()];
    for obs in observations {
        if let Some((name, list)) = shown_contents(obs) {
            if let Some(i) = room.iter().position(|r| *r == name) {
                let items: Vec<&str> = list
                    .split(", ")
                    .map(|x| x.trim_start_matches("and ").trim_start_matches("a "))
                    .collect();
                held[i] = Some(items.join(", "));
            }
        }
    }
    let seen: Vec<String> = room
        .iter()
        .zip(&held)
        .filter_map(|(r, h)| h.as_ref().map(|h| format!("{r} ({h})")))
        .collect();
    let unseen: Vec<&str> = room
        .iter()
        .zip(&held)
        .filter(|(_, h)| h.is_none())
        .map(|(r, _)| *r)
        .collect();
    let or_none = |text: String| if text.is_empty() { "none".to_string() } else { text };
    format!(
        "Seen: {}\nUnseen: {}\n",
        or_none(seen.join("; ")),
        or_none(unseen.join(", "))
    )
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
        let observations: Vec<&str> = history
            .iter()
            .skip(1)
            .map(|(o, _)| o.as_str())
            .chain(std::iter::once(seen.observation.as_str()))
            .collect();
        out.push_str(&memory(&room, &observations));
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
            "Task: put a mug in cabinet.\nSeen: none\nUnseen: cabinet 2, cabinet 1, countertop 1\nNow: start\n"
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
            "Task: put a mug in cabinet.\nSeen: cabinet 2 (nothing); countertop 1 (mug 1)\nUnseen: cabinet 1\n> open cabinet 2\nThe cabinet 2 is open. In it, you see nothing.\n> go to countertop 1\nNow: On the countertop 1, you see a mug 1.\n"
        );
        // A window of 0 keeps only the present.
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0);
        assert!(p.ends_with("Unseen: cabinet 1\nNow: On the countertop 1, you see a mug 1.\n"), "{p}");
    }

    #[test]
    fn its_demonstration_is_a_valid_answer() {
        let p = crate::agent::projection::project(&demonstration("go to desk 1"), 30);
        assert!(p.valid);
        assert_eq!(p.action, "go to desk 1");
    }
}
