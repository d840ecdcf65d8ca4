//! The compact prompt: for small models trained here from scratch, which cannot afford the
//! paper's 400-token instructions. It keeps what an agent needs to act and drops the prose:
//! the task; the episode's memory, read from its observations so far (what the agent holds,
//! where it stands, the room's receptacles split into those whose contents it has seen, with
//! what they hold now, and those still unseen); the last `history` actions with what each
//! showed; the current observation; WebShop's clickable actions. The memory is there because
//! a small model cannot recall from a sliding window where it has looked or what it carries
//! (measured: with a window alone it repeats its last `go to`). See docs/environments.md,
//! "The compact prompt". The answer format is the paper's
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
        (
            &rest[..open],
            &rest[open + " is open. In it, you see ".len()..],
        )
    };
    let list = &rest[..rest.find('.').unwrap_or(rest.len())];
    Some((name, list))
}

/// Splits an ALFWorld item list (`a mug 1, and a cup 2`; `nothing`) into names.
fn items(list: &str) -> Vec<String> {
    if list.trim() == "nothing" {
        return Vec::new();
    }
    list.split(", ")
        .map(|x| {
            x.trim_start_matches("and ")
                .trim_start_matches("a ")
                .to_string()
        })
        .collect()
}

/// The text between `prefix` and the next `suffix` in `text`, when `text` has both.
fn between<'t>(text: &'t str, prefix: &str, suffix: &str) -> Option<&'t str> {
    let at = text.find(prefix)? + prefix.len();
    let rest = &text[at..];
    Some(&rest[..rest.find(suffix)?])
}

/// `O` and `R` of `{verb} the O {joint} the R.` (`You pick up the mug 1 from the desk 1.`).
fn object_and_receptacle<'t>(obs: &'t str, verb: &str, joint: &str) -> Option<(&'t str, &'t str)> {
    let what = between(obs, &format!("{verb} the "), ".")?;
    what.split_once(&format!(" {joint} the "))
}

/// The value kept under `name` in a small ordered list of named values, added empty if new.
fn entry<'m, T: Default>(list: &'m mut Vec<(String, T)>, name: &str) -> &'m mut T {
    let i = match list.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            list.push((name.to_string(), T::default()));
            list.len() - 1
        }
    };
    &mut list[i].1
}

/// What the episode's observations say about the agent: where it stands, what it carries
/// (with the states the task may ask for), and what each receptacle it has looked into holds
/// now: a `take` removes the object from its receptacle's list, a `move` adds it, so the lists
/// stay true without looking again.
#[derive(Debug, Default)]
struct Memory {
    at: Option<String>,
    holding: Option<String>,
    /// The states (`hot`, `cool`, `clean`) each object has been given.
    states: Vec<(String, Vec<&'static str>)>,
    /// Receptacle -> what it holds, for the receptacles whose contents were shown.
    contents: Vec<(String, Vec<String>)>,
}

impl Memory {
    fn read(observations: &[&str]) -> Memory {
        let mut memory = Memory::default();
        for obs in observations {
            memory.observe(obs);
        }
        memory
    }

    fn observe(&mut self, obs: &str) {
        if let Some(r) =
            between(obs, "You arrive at ", ".").or_else(|| between(obs, "You open the ", "."))
        {
            self.at = Some(r.to_string());
        }
        if let Some((name, list)) = shown_contents(obs) {
            let listed = items(list);
            self.contents_of(name).clone_from(&listed);
        }
        if let Some((o, r)) = object_and_receptacle(obs, "You pick up", "from") {
            self.contents_of(r).retain(|x| x != o);
            self.holding = Some(o.to_string());
            self.at = Some(r.to_string());
        }
        if let Some((o, r)) = object_and_receptacle(obs, "You move", "to") {
            self.contents_of(r).push(o.to_string());
            self.holding = None;
            self.at = Some(r.to_string());
        }
        for (verb, state, undoes) in [
            ("You heat", "hot", "cool"),
            ("You cool", "cool", "hot"),
            ("You clean", "clean", ""),
        ] {
            if let Some((o, r)) = object_and_receptacle(obs, verb, "using") {
                let states = self.states_of(o);
                states.retain(|s| *s != undoes && *s != state);
                states.push(state);
                self.at = Some(r.to_string());
            }
        }
    }

    fn contents_of(&mut self, receptacle: &str) -> &mut Vec<String> {
        entry(&mut self.contents, receptacle)
    }

    fn states_of(&mut self, object: &str) -> &mut Vec<&'static str> {
        entry(&mut self.states, object)
    }

    /// `Holding: ...`, `At: ...`, `Seen: ...` and `Unseen: ...`, the receptacles in the
    /// room's order.
    fn render(&self, room: &[&str]) -> String {
        let holding = match &self.holding {
            None => "nothing".to_string(),
            Some(o) => match self.states.iter().find(|(name, _)| name == o) {
                Some((_, states)) if !states.is_empty() => format!("{o} ({})", states.join(", ")),
                _ => o.clone(),
            },
        };
        let at = self.at.as_deref().unwrap_or("the middle of the room");
        let known = |r: &str| self.contents.iter().find(|(name, _)| name == r);
        let seen: Vec<String> = room
            .iter()
            .filter_map(|r| known(r))
            .map(|(r, held)| {
                let held = if held.is_empty() {
                    "nothing".to_string()
                } else {
                    held.join(", ")
                };
                format!("{r} ({held})")
            })
            .collect();
        let unseen: Vec<&str> = room
            .iter()
            .copied()
            .filter(|r| known(r).is_none())
            .collect();
        let or_none = |text: String| {
            if text.is_empty() {
                "none".to_string()
            } else {
                text
            }
        };
        format!(
            "Holding: {holding}\nAt: {at}\nSeen: {}\nUnseen: {}\n",
            or_none(seen.join("; ")),
            or_none(unseen.join(", "))
        )
    }
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

/// ALFWorld's admissible actions that act at the current place: those that name what is
/// here (take, open, move, heat, use, ...), not travel (`go to`, listed by the memory) or
/// the actions that change nothing.
fn local_actions(admissible: &[String]) -> Vec<&str> {
    const ELSEWHERE: [&str; 5] = ["go to ", "examine ", "inventory", "look", "help"];
    admissible
        .iter()
        .map(String::as_str)
        .filter(|a| !ELSEWHERE.iter().any(|p| a.starts_with(p)))
        .collect()
}

/// The compact prompt of one step.
pub fn for_step(
    benchmark: Benchmark,
    first_observation: &str,
    history: &[(String, String)],
    seen: &StepOutcome,
    window: usize,
    show_local_actions: bool,
) -> String {
    let mut out = format!("Task: {}\n", task_statement(benchmark, first_observation));
    if let Some(room) = room(first_observation) {
        let observations: Vec<&str> = history
            .iter()
            .skip(1)
            .map(|(o, _)| o.as_str())
            .chain(std::iter::once(seen.observation.as_str()))
            .collect();
        out.push_str(&Memory::read(&observations).render(&room));
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
    } else if show_local_actions && benchmark == Benchmark::Alfworld {
        let here = local_actions(&seen.admissible);
        out.push_str("Here: ");
        if here.is_empty() {
            out.push_str("nothing to do");
        } else {
            out.push_str(&here.join(" | "));
        }
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
        let p = for_step(Benchmark::Alfworld, FIRST, &[], &outcome(FIRST), 4, false);
        assert_eq!(
            p,
            "Task: put a mug in cabinet.\nHolding: nothing\nAt: the middle of the room\nSeen: none\nUnseen: cabinet 2, cabinet 1, countertop 1\nNow: start\n"
        );
    }

    #[test]
    fn local_actions_list_what_can_be_done_here_and_nothing_else() {
        let mut now = outcome("You arrive at countertop 1. On the countertop 1, you see a mug 1.");
        now.admissible = [
            "examine countertop 1",
            "go to cabinet 1",
            "help",
            "inventory",
            "look",
            "take mug 1 from countertop 1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let history = vec![(FIRST.to_string(), "go to countertop 1".to_string())];
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0, true);
        assert!(p.ends_with("\nHere: take mug 1 from countertop 1\n"), "{p}");
        now.admissible = vec!["go to cabinet 1".into(), "look".into()];
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0, true);
        assert!(p.ends_with("\nHere: nothing to do\n"), "{p}");
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0, false);
        assert!(!p.contains("Here:"), "{p}");
    }

    #[test]
    fn later_steps_show_the_last_actions_with_what_they_showed() {
        let history = vec![
            (FIRST.to_string(), "go to cabinet 2".to_string()),
            (
                "You arrive at cabinet 2. The cabinet 2 is closed.".to_string(),
                "open cabinet 2".to_string(),
            ),
            (
                "You open the cabinet 2. The cabinet 2 is open. In it, you see nothing."
                    .to_string(),
                "go to countertop 1".to_string(),
            ),
        ];
        let now = outcome(
            "You arrive at countertop 1. On the countertop 1, you see a mug 1, and a cup 2.",
        );
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 2, false);
        assert_eq!(
            p,
            "Task: put a mug in cabinet.\nHolding: nothing\nAt: countertop 1\nSeen: cabinet 2 (nothing); countertop 1 (mug 1, cup 2)\nUnseen: cabinet 1\n> open cabinet 2\nYou open the cabinet 2. The cabinet 2 is open. In it, you see nothing.\n> go to countertop 1\nNow: You arrive at countertop 1. On the countertop 1, you see a mug 1, and a cup 2.\n"
        );
        // A window of 0 keeps only the memory and the present.
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0, false);
        assert!(p.ends_with("Unseen: cabinet 1\nNow: You arrive at countertop 1. On the countertop 1, you see a mug 1, and a cup 2.\n"), "{p}");
    }

    #[test]
    fn the_memory_follows_what_the_agent_takes_changes_and_puts() {
        let steps = [
            (
                "You arrive at countertop 1. On the countertop 1, you see a mug 1, and a cup 2.",
                "take mug 1 from countertop 1",
            ),
            (
                "You pick up the mug 1 from the countertop 1.",
                "go to cabinet 2",
            ),
            (
                "You arrive at cabinet 2. The cabinet 2 is closed.",
                "heat mug 1 with microwave 1",
            ),
            (
                "You heat the mug 1 using the microwave 1.",
                "go to cabinet 2",
            ),
        ];
        let mut history = vec![(FIRST.to_string(), "go to countertop 1".to_string())];
        history.extend(steps.iter().map(|(o, a)| (o.to_string(), a.to_string())));
        let now = outcome("You arrive at cabinet 2. The cabinet 2 is closed.");
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0, false);
        assert!(
            p.contains("Holding: mug 1 (hot)\nAt: cabinet 2\nSeen: countertop 1 (cup 2)\nUnseen: cabinet 2, cabinet 1\n"),
            "{p}"
        );
        history.push((
            "You arrive at cabinet 2. The cabinet 2 is closed.".into(),
            "open cabinet 2".into(),
        ));
        history.push((
            "You open the cabinet 2. The cabinet 2 is open. In it, you see nothing.".into(),
            "move mug 1 to cabinet 2".into(),
        ));
        let now = outcome("You move the mug 1 to the cabinet 2.");
        let p = for_step(Benchmark::Alfworld, FIRST, &history, &now, 0, false);
        assert!(
            p.contains("Holding: nothing\nAt: cabinet 2\nSeen: cabinet 2 (mug 1); countertop 1 (cup 2)\nUnseen: cabinet 1\n"),
            "{p}"
        );
    }

    #[test]
    fn its_demonstration_is_a_valid_answer() {
        let p = crate::agent::projection::project(&demonstration("go to desk 1"), 30);
        assert!(p.valid);
        assert_eq!(p.action, "go to desk 1");
    }
}
