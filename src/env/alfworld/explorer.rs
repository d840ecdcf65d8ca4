//! The explorer: ALFWorld's expert for demonstrations, acting only on what the agent has
//! observed so far (docs/environments.md, "Experts").
//!
//! It knows the rules and the room's receptacle list (the first observation prints it), plus
//! the contents of every receptacle the agent has looked into; objects move only by the
//! agent's own actions, so those contents stay known. It never reads where an unseen object
//! lies. When the object it needs has not been seen, it searches, in the order the room lists
//! them, the receptacles of the types such an object can be placed at (opening closed ones),
//! then carries out the task. Its next action is a function of the world restricted to what
//! was seen, so it takes over from any state a model's detour leads to.

use super::game::Action;
use super::goal::{Goal, TaskType};
use super::world::{can_contain, lamp_places, obj_def, World, HELD};

/// What the agent has seen: `seen[r]` once receptacle `r`'s contents were shown (arriving at
/// an open or open-topped receptacle, opening it, examining it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen(Vec<bool>);

impl Seen {
    pub fn new(w: &World) -> Seen {
        Seen(vec![false; w.receps.len()])
    }

    /// Records what the world shows after an action: the contents of the receptacle the
    /// agent stands at, when it is accessible.
    pub fn observe(&mut self, w: &World) {
        if let Some(at) = w.at {
            if w.receps[at as usize].accessible() {
                self.0[at as usize] = true;
            }
        }
    }

    fn has(&self, r: u16) -> bool {
        self.0.get(r as usize).copied().unwrap_or(false)
    }
}

/// The explorer's next action, or `None` when nothing it may do advances the task (every
/// place searched and nothing found).
pub fn next_action(w: &World, goal: &Goal, seen: &Seen) -> Option<Action> {
    if let Some(h) = w.held {
        if w.objs[h as usize].kind != goal.obj {
            return put_down(w, h);
        }
        return match goal.ttype {
            TaskType::Look => use_lamp(w, goal, seen),
            _ => finish_with(w, goal, seen, h),
        };
    }
    match wanted_object(w, goal, seen) {
        Some(o) => {
            let at = w.objs[o as usize].loc;
            Some(reach(w, at).unwrap_or(Action::Take(o, at)))
        }
        None => search(w, seen, |kind| {
            obj_def(goal.obj).places.contains(&kind)
                // Objects of a placing task never start where they must go.
                && (goal.ttype == TaskType::Look || kind != goal.recep)
        }),
    }
}

/// Holding the task's object: change its state with the tool if the task asks for it, then
/// bring it to the target receptacle.
fn finish_with(w: &World, goal: &Goal, seen: &Seen, h: u16) -> Option<Action> {
    let o = &w.objs[h as usize];
    let tool = match goal.ttype {
        TaskType::Heat if !o.hot => Some(("microwave", Action::Heat(h, 0))),
        TaskType::Cool if !o.cool => Some(("fridge", Action::Cool(h, 0))),
        TaskType::Clean if !o.clean => Some(("sinkbasin", Action::Clean(h, 0))),
        _ => None,
    };
    if let Some((kind, act)) = tool {
        let r = first_of(w, kind)?;
        if w.at != Some(r) {
            return Some(Action::GoTo(r));
        }
        return Some(match act {
            Action::Heat(..) => Action::Heat(h, r),
            Action::Cool(..) => Action::Cool(h, r),
            _ => Action::Clean(h, r),
        });
    }
    let target = target_receptacle(w, goal, seen)?;
    Some(reach(w, target).unwrap_or(Action::Move(h, target)))
}

/// Where the object goes: for two objects, the receptacle already holding the first one;
/// otherwise the first receptacle of the target type.
fn target_receptacle(w: &World, goal: &Goal, seen: &Seen) -> Option<u16> {
    pair_receptacle(w, goal, seen).or_else(|| first_of(w, goal.recep))
}

/// For two objects: the receptacle of the target type where the first one was seen placed.
/// Any other object on another receptacle of that type still has to be carried there.
fn pair_receptacle(w: &World, goal: &Goal, seen: &Seen) -> Option<u16> {
    if goal.ttype != TaskType::Pick2 {
        return None;
    }
    w.objs
        .iter()
        .find(|o| {
            o.kind == goal.obj
                && o.loc != HELD
                && seen.has(o.loc)
                && w.receps[o.loc as usize].kind == goal.recep
        })
        .map(|o| o.loc)
}

/// Holding the object to look at: go to a lamp of the asked type and switch it on.
fn use_lamp(w: &World, goal: &Goal, seen: &Seen) -> Option<Action> {
    let lamp = w
        .objs
        .iter()
        .position(|o| o.lamp && o.kind == goal.recep && o.loc != HELD && seen.has(o.loc));
    match lamp {
        Some(l) => {
            let at = w.objs[l].loc;
            Some(reach(w, at).unwrap_or(Action::Use(l as u16)))
        }
        None => search(w, seen, |kind| lamp_places(goal.recep).contains(&kind)),
    }
}

/// A seen object of the task's type still to be picked up: one not already where the task
/// wants it; the one at the agent's receptacle first, else the first listed receptacle's.
fn wanted_object(w: &World, goal: &Goal, seen: &Seen) -> Option<u16> {
    let pair = pair_receptacle(w, goal, seen);
    let done = |o: &super::world::Obj| {
        goal.ttype != TaskType::Look
            && w.receps[o.loc as usize].kind == goal.recep
            && match goal.ttype {
                TaskType::Clean => o.clean,
                TaskType::Heat => o.hot,
                TaskType::Cool => o.cool,
                TaskType::Pick2 => pair == Some(o.loc),
                _ => true,
            }
    };
    let mut found: Vec<u16> = (0..w.objs.len() as u16)
        .filter(|&i| {
            let o = &w.objs[i as usize];
            o.kind == goal.obj && o.loc != HELD && seen.has(o.loc) && !done(o)
        })
        .collect();
    found.sort_by_key(|&i| {
        let loc = w.objs[i as usize].loc;
        (Some(loc) != w.at, loc)
    });
    found.first().copied()
}

/// The step towards standing at an accessible `r`: go there, then open it; `None` once
/// there and open.
fn reach(w: &World, r: u16) -> Option<Action> {
    if w.at != Some(r) {
        return Some(Action::GoTo(r));
    }
    let rec = &w.receps[r as usize];
    (!rec.accessible()).then_some(Action::Open(r))
}

/// The next unseen receptacle, in the room's order, of a type `worth` searching.
fn search(w: &World, seen: &Seen, worth: impl Fn(&str) -> bool) -> Option<Action> {
    let r =
        (0..w.receps.len() as u16).find(|&r| !seen.has(r) && worth(w.receps[r as usize].kind))?;
    reach(w, r)
}

/// Holding the wrong object (after a model's detour): put it on the receptacle here, or go
/// to the first open-topped receptacle that takes it (a closed one, opened, if none is).
fn put_down(w: &World, h: u16) -> Option<Action> {
    let kind = w.objs[h as usize].kind;
    if let Some(at) = w.at {
        let rec = &w.receps[at as usize];
        if can_contain(rec.kind, kind) {
            return Some(reach(w, at).unwrap_or(Action::Move(h, at)));
        }
    }
    let takes = |r: &u16| can_contain(w.receps[*r as usize].kind, kind);
    let mut fitting = (0..w.receps.len() as u16).filter(takes);
    let r = fitting
        .clone()
        .find(|&r| !w.receps[r as usize].openable)
        .or_else(|| fitting.next())?;
    Some(Action::GoTo(r))
}

fn first_of(w: &World, kind: &str) -> Option<u16> {
    w.receps
        .iter()
        .position(|r| r.kind == kind)
        .map(|i| i as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::alfworld::game;
    use crate::env::alfworld::goal::goal_met;
    use crate::env::alfworld::tasks::{generate, Split};

    /// Moves every object lying in an unseen receptacle to another unseen receptacle that can
    /// hold it: the agent could not tell the difference, so neither may the explorer.
    fn shuffle_unseen(w: &World, seen: &Seen, shift: usize) -> World {
        let mut w = w.clone();
        let unseen: Vec<u16> = (0..w.receps.len() as u16)
            .filter(|&r| !seen.has(r))
            .collect();
        for o in w.objs.iter_mut() {
            if o.loc == HELD || seen.has(o.loc) || o.lamp {
                continue;
            }
            let kind = o.kind;
            let fits: Vec<u16> = unseen
                .iter()
                .copied()
                .filter(|&r| can_contain(w.receps[r as usize].kind, kind))
                .collect();
            if !fits.is_empty() {
                o.loc = fits[shift % fits.len()];
            }
        }
        w
    }

    #[test]
    fn the_explorer_never_reads_where_unseen_objects_lie() {
        let mut compared = 0;
        for task in 0..60 {
            let ttype = Split::ValidUnseen.task_types(0)[task];
            let t = generate(Split::ValidUnseen, task, 0, ttype).unwrap();
            let mut w = t.world.clone();
            let mut seen = Seen::new(&w);
            let mut out = String::new();
            for _ in 0..50 {
                let Some(a) = next_action(&w, &t.goal, &seen) else {
                    break;
                };
                for shift in 0..3 {
                    let other = shuffle_unseen(&w, &seen, shift);
                    assert_eq!(next_action(&other, &t.goal, &seen), Some(a), "task {task}");
                    compared += 1;
                }
                out.clear();
                game::apply(&mut w, a, &mut out);
                seen.observe(&w);
                if crate::env::alfworld::goal::goal_met(&w, &t.goal) {
                    break;
                }
            }
        }
        assert!(compared > 500, "{compared}");
    }
    /// Plays `detour` random admissible actions (as a model or a noisy teacher might), then
    /// lets the explorer finish: from any state such actions reach it must still win.
    fn finishes_after_detour(
        split: Split,
        task: usize,
        detour: usize,
        rng: &mut crate::rng::Rng,
    ) -> bool {
        let ttype = split.task_types(0)[task];
        let t = generate(split, task, 0, ttype).unwrap();
        let mut w = t.world.clone();
        let mut seen = Seen::new(&w);
        let mut out = String::new();
        let mut cands = Vec::new();
        for _ in 0..detour {
            game::admissible(&w, &mut cands);
            // Half the time, handle the task's objects: a model's detours are mostly those.
            let handling: Vec<Action> = cands
                .iter()
                .map(|c| c.1)
                .filter(|a| match *a {
                    Action::Take(o, _) | Action::Move(o, _) => {
                        w.objs[o as usize].kind == t.goal.obj
                    }
                    Action::GoTo(_) | Action::Open(_) => true,
                    _ => false,
                })
                .collect();
            let a = if rng.below(2) == 0 && !handling.is_empty() {
                handling[rng.below(handling.len())]
            } else {
                cands[rng.below(cands.len())].1
            };
            game::apply(&mut w, a, &mut out);
            seen.observe(&w);
            if goal_met(&w, &t.goal) {
                return true;
            }
        }
        for _ in 0..80 {
            let Some(a) = next_action(&w, &t.goal, &seen) else {
                return false;
            };
            game::apply(&mut w, a, &mut out);
            seen.observe(&w);
            if goal_met(&w, &t.goal) {
                return true;
            }
        }
        false
    }

    #[test]
    fn the_explorer_takes_over_after_any_detour() {
        let mut rng = crate::rng::Rng::new(7);
        let mut stuck = Vec::new();
        for split in [Split::Train, Split::ValidUnseen] {
            for task in 0..split.n_tasks().min(400) {
                for round in 0..4 {
                    let detour = 5 + 10 * round;
                    if !finishes_after_detour(split, task, detour, &mut rng) {
                        stuck.push((split.name(), task, detour));
                    }
                }
            }
        }
        assert!(
            stuck.is_empty(),
            "{} stuck, e.g. {:?}",
            stuck.len(),
            &stuck[..stuck.len().min(10)]
        );
    }
    /// Two objects of a two-object task, each on another receptacle of the target type (a
    /// model's doing): neither pair is complete, so one must still be carried to the other.
    #[test]
    fn two_objects_on_two_targets_are_brought_together() {
        let mut tried = 0;
        for split in [Split::Train, Split::ValidUnseen] {
            for task in 0..split.n_tasks() {
                let ttype = split.task_types(0)[task];
                if ttype != TaskType::Pick2 {
                    continue;
                }
                let t = generate(split, task, 0, ttype).unwrap();
                let targets: Vec<u16> = (0..t.world.receps.len() as u16)
                    .filter(|&r| t.world.receps[r as usize].kind == t.goal.recep)
                    .collect();
                let objs: Vec<usize> = (0..t.world.objs.len())
                    .filter(|&o| t.world.objs[o].kind == t.goal.obj)
                    .collect();
                if targets.len() < 2 || objs.len() < 2 {
                    continue;
                }
                let mut w = t.world.clone();
                for r in &targets {
                    w.receps[*r as usize].open = true;
                }
                w.objs[objs[0]].loc = targets[0];
                w.objs[objs[1]].loc = targets[1];
                let mut seen = Seen::new(&w);
                let mut out = String::new();
                let mut won = false;
                for r in 0..w.receps.len() as u16 {
                    w.at = Some(r);
                    seen.observe(&w);
                }
                for _ in 0..10 {
                    let Some(a) = next_action(&w, &t.goal, &seen) else {
                        break;
                    };
                    game::apply(&mut w, a, &mut out);
                    seen.observe(&w);
                    if goal_met(&w, &t.goal) {
                        won = true;
                        break;
                    }
                }
                assert!(won, "{} task {task}", split.name());
                tried += 1;
            }
        }
        assert!(tried > 0);
    }
}
