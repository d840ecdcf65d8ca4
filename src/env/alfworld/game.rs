//! The rules: commands, their preconditions, their effects and feedback, as ALFWorld's
//! PDDL domain and text grammar define them.

use super::text;
use super::world::{can_contain, obj_def, World, CLEAN, COOL, HEAT, HELD};
use std::fmt::Write;

/// A resolved command. Indices are receptacle (`r`) or object (`o`) indices of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    GoTo(u16),
    Open(u16),
    Close(u16),
    /// (o, r)
    Take(u16, u16),
    /// (o, r)
    Move(u16, u16),
    /// (o, r)
    Heat(u16, u16),
    /// (o, r)
    Cool(u16, u16),
    /// (o, r)
    Clean(u16, u16),
    /// lamp object
    Use(u16),
    Inventory,
    ExamineRecep(u16),
    ExamineObj(u16),
    Look,
    Help,
}

/// The command text of an action.
pub fn command(w: &World, a: Action) -> String {
    let r = |i: u16| w.receps[i as usize].name.as_str();
    let o = |i: u16| w.objs[i as usize].name.as_str();
    match a {
        Action::GoTo(x) => w.receps[x as usize].cmd_go.clone(),
        Action::Open(x) => w.receps[x as usize].cmd_open.clone(),
        Action::Close(x) => w.receps[x as usize].cmd_close.clone(),
        Action::Take(x, y) => format!("take {} from {}", o(x), r(y)),
        Action::Move(x, y) => format!("move {} to {}", o(x), r(y)),
        Action::Heat(x, y) => format!("heat {} with {}", o(x), r(y)),
        Action::Cool(x, y) => format!("cool {} with {}", o(x), r(y)),
        Action::Clean(x, y) => format!("clean {} with {}", o(x), r(y)),
        Action::Use(x) => format!("use {}", o(x)),
        Action::Inventory => "inventory".to_string(),
        Action::ExamineRecep(x) => w.receps[x as usize].cmd_examine.clone(),
        Action::ExamineObj(x) => w.objs[x as usize].cmd_examine.clone(),
        Action::Look => "look".to_string(),
        Action::Help => "help".to_string(),
    }
}

/// Fills `out` with every admissible (command, action), sorted by command, unique.
pub fn admissible(w: &World, out: &mut Vec<(String, Action)>) {
    out.clear();
    for (i, r) in w.receps.iter().enumerate() {
        if w.at != Some(i as u16) {
            out.push((r.cmd_go.clone(), Action::GoTo(i as u16)));
        }
    }
    if let Some(at) = w.at {
        let rec = &w.receps[at as usize];
        if rec.openable {
            if rec.open {
                out.push((rec.cmd_close.clone(), Action::Close(at)));
            } else {
                out.push((rec.cmd_open.clone(), Action::Open(at)));
            }
        }
        out.push((rec.cmd_examine.clone(), Action::ExamineRecep(at)));
        for (i, o) in w.objs.iter().enumerate() {
            if o.loc != at || !rec.accessible() {
                continue;
            }
            let i = i as u16;
            out.push((o.cmd_examine.clone(), Action::ExamineObj(i)));
            if o.toggleable {
                out.push((command(w, Action::Use(i)), Action::Use(i)));
            } else if !o.lamp && w.held.is_none() {
                let a = Action::Take(i, at);
                out.push((command(w, a), a));
            }
        }
        if let Some(h) = w.held {
            let kind = w.objs[h as usize].kind;
            if rec.accessible() && can_contain(rec.kind, kind) {
                let a = Action::Move(h, at);
                out.push((command(w, a), a));
            }
            // Only object types the domain lets the tool change are offered.
            let flags = obj_def(kind).flags;
            let tool = match rec.kind {
                "microwave" => Some((HEAT, Action::Heat(h, at))),
                "fridge" => Some((COOL, Action::Cool(h, at))),
                "sinkbasin" => Some((CLEAN, Action::Clean(h, at))),
                _ => None,
            };
            if let Some((_, a)) = tool.filter(|(flag, _)| flags & flag != 0) {
                out.push((command(w, a), a));
            }
        }
    }
    if let Some(h) = w.held {
        out.push((
            w.objs[h as usize].cmd_examine.clone(),
            Action::ExamineObj(h),
        ));
    }
    out.push(("inventory".to_string(), Action::Inventory));
    out.push(("look".to_string(), Action::Look));
    out.push(("help".to_string(), Action::Help));
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
}

/// Applies an admissible action and appends its feedback to `out`.
pub fn apply(w: &mut World, a: Action, out: &mut String) {
    match a {
        Action::GoTo(r) => {
            w.at = Some(r);
            out.push_str("You arrive at ");
            out.push_str(&w.receps[r as usize].name);
            out.push_str(". ");
            text::push_description(out, w, r);
        }
        Action::Open(r) => {
            w.receps[r as usize].open = true;
            out.push_str("You open the ");
            out.push_str(&w.receps[r as usize].name);
            out.push_str(". ");
            text::push_description(out, w, r);
        }
        Action::Close(r) => {
            w.receps[r as usize].open = false;
            let _ = write!(out, "You close the {}.", w.receps[r as usize].name);
        }
        Action::Take(o, r) => {
            w.objs[o as usize].loc = HELD;
            w.held = Some(o);
            let _ = write!(
                out,
                "You pick up the {} from the {}.",
                w.objs[o as usize].name, w.receps[r as usize].name
            );
        }
        Action::Move(o, r) => {
            w.objs[o as usize].loc = r;
            w.held = None;
            let _ = write!(
                out,
                "You move the {} to the {}.",
                w.objs[o as usize].name, w.receps[r as usize].name
            );
        }
        Action::Heat(o, r) | Action::Cool(o, r) | Action::Clean(o, r) => {
            let obj = &mut w.objs[o as usize];
            let verb = match a {
                Action::Heat(..) => {
                    obj.hot = true;
                    obj.cool = false;
                    "heat"
                }
                Action::Cool(..) => {
                    obj.cool = true;
                    obj.hot = false;
                    "cool"
                }
                _ => {
                    obj.clean = true;
                    "clean"
                }
            };
            let _ = write!(
                out,
                "You {verb} the {} using the {}.",
                w.objs[o as usize].name, w.receps[r as usize].name
            );
        }
        Action::Use(l) => {
            w.objs[l as usize].on = true;
            let _ = write!(out, "You turn on the {}.", w.objs[l as usize].name);
        }
        Action::Inventory => match w.held {
            Some(h) => {
                let _ = write!(out, "You are carrying: a {}.", w.objs[h as usize].name);
            }
            None => out.push_str(text::NOT_CARRYING),
        },
        Action::ExamineRecep(r) => text::push_description(out, w, r),
        Action::ExamineObj(o) => text::push_object_state(out, &w.objs[o as usize]),
        Action::Look => match w.at {
            Some(r) => {
                let _ = write!(
                    out,
                    "You are facing the {}. Next to it, you see nothing.",
                    w.receps[r as usize].name
                );
            }
            None => text::push_room(out, w),
        },
        Action::Help => out.push_str(text::HELP),
    }
}
