//! The splits and the seeded task generator. Task `i` of a split is a pure function of
//! (split, i, seed).

use super::game::{self, Action};
use super::goal::{goal_met, Goal, TaskType};
use super::oracle;
use super::world::{self, layout, obj_def, Layout, Obj, Room, World, CLEAN, COOL, HEAT};
use crate::rng::Rng;
use anyhow::{bail, Result};

/// The benchmark splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    ValidSeen,
    ValidUnseen,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::ValidSeen, Split::ValidUnseen];

    pub fn parse(s: &str) -> Result<Split> {
        Ok(match s {
            "train" => Split::Train,
            "valid_seen" => Split::ValidSeen,
            "valid_unseen" => Split::ValidUnseen,
            other => bail!(
                "unknown ALFWorld split {other:?} (expected train, valid_seen or valid_unseen)"
            ),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::ValidSeen => "valid_seen",
            Split::ValidUnseen => "valid_unseen",
        }
    }

    /// Tasks per type (Pick, Look, Clean, Heat, Cool, Pick2), as in the original splits.
    pub fn type_counts(self) -> [usize; 6] {
        match self {
            Split::Train => [790, 308, 650, 459, 533, 813],
            Split::ValidSeen => [35, 13, 27, 16, 25, 24],
            Split::ValidUnseen => [24, 18, 31, 23, 21, 17],
        }
    }

    /// 3,553 / 140 / 134.
    pub fn n_tasks(self) -> usize {
        self.type_counts().iter().sum()
    }

    fn salt(self) -> u64 {
        match self {
            Split::Train => 0x7472_6169_6e00_0001,
            Split::ValidSeen => 0x7365_656e_0000_0002,
            Split::ValidUnseen => 0x756e_7365_656e_0003,
        }
    }

    /// The floor plans this split draws rooms of type `room` from: seen splits never use the
    /// held-out plans, valid_unseen uses only them.
    pub fn layouts(self, room: Room) -> Vec<u32> {
        let base =
            Room::ALL.iter().position(|&r| r == room).unwrap() as u32 * world::LAYOUTS_PER_ROOM;
        (base..base + world::LAYOUTS_PER_ROOM)
            .filter(|&id| world::is_unseen_layout(id) == (self == Split::ValidUnseen))
            .collect()
    }

    /// The task type of every task index, a seeded shuffle of the per-type counts.
    pub fn task_types(self, seed: u64) -> Vec<TaskType> {
        let mut types = Vec::with_capacity(self.n_tasks());
        for (t, &n) in TaskType::ALL.iter().zip(self.type_counts().iter()) {
            types.extend(std::iter::repeat(*t).take(n));
        }
        let mut rng = Rng::new(seed ^ self.salt() ^ 0x5459_5045_5300_0000);
        rng.shuffle(&mut types);
        types
    }
}

/// One generated task: its initial world, goal, text and the oracle's plan that proves it
/// solvable.
#[derive(Debug, Clone)]
pub struct Task {
    pub goal: Goal,
    pub template: u8,
    pub text: String,
    pub world: World,
    pub plan: Vec<String>,
}

impl Task {
    pub fn ttype(&self) -> TaskType {
        self.goal.ttype
    }
}

fn mix(seed: u64, split: Split, index: usize) -> u64 {
    let mut r = Rng::new(seed ^ split.salt());
    let a = r.next_u64();
    let mut r = Rng::new(a ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    r.next_u64()
}

/// Task `index` of `split` under `seed`, of type `ttype` (see [`Split::task_types`]).
pub fn generate(split: Split, index: usize, seed: u64, ttype: TaskType) -> anyhow::Result<Task> {
    let mut rng = Rng::new(mix(seed, split, index));
    // Each attempt draws a new room; a few percent of draws are rejected (no lamp, no free
    // source receptacle, ...), so this ends after a handful of attempts.
    for _ in 0..10_000 {
        if let Some(task) = try_generate(&mut rng, split, ttype) {
            return Ok(task);
        }
    }
    // Not seen for any seed tried; an error rather than a panic if a seed ever gets here.
    anyhow::bail!(
        "no solvable {} task found for {} task {index} (seed {seed}); try another seed",
        ttype.name(),
        split.name()
    )
}

fn has_flag(obj: &str, ttype: TaskType) -> bool {
    let f = obj_def(obj).flags;
    match ttype {
        TaskType::Heat => f & HEAT != 0,
        TaskType::Cool => f & COOL != 0,
        TaskType::Clean => f & CLEAN != 0,
        _ => true,
    }
}

fn tool(ttype: TaskType) -> Option<&'static str> {
    match ttype {
        TaskType::Heat => Some("microwave"),
        TaskType::Cool => Some("fridge"),
        TaskType::Clean => Some("sinkbasin"),
        _ => None,
    }
}

/// Indices of the layout's receptacles where an object of type `obj` may be placed.
fn spots(lay: &Layout, obj: &str, except: &str) -> Vec<u16> {
    (0..lay.receps.len())
        .filter(|&i| lay.receps[i].0 != except && obj_def(obj).places.contains(&lay.receps[i].0))
        .map(|i| i as u16)
        .collect()
}

fn try_generate(rng: &mut Rng, split: Split, ttype: TaskType) -> Option<Task> {
    let room = match ttype {
        TaskType::Heat | TaskType::Cool => Room::Kitchen,
        TaskType::Clean => [Room::Kitchen, Room::Bathroom][rng.below(2)],
        TaskType::Look => [Room::LivingRoom, Room::Bedroom][rng.below(2)],
        TaskType::Pick | TaskType::Pick2 => Room::ALL[rng.below(4)],
    };
    let ids = split.layouts(room);
    let lay = layout(ids[rng.below(ids.len())]);
    let tool = tool(ttype);

    // The object type: it must have the task's property and a place in this room.
    let cands: Vec<&'static str> = room
        .objects()
        .iter()
        .copied()
        .filter(|o| has_flag(o, ttype) && !spots(&lay, o, "").is_empty())
        .collect();
    let obj = *rng.choose(&cands)?;

    // The target receptacle type (or the lamp type for Look).
    let target: &'static str = if ttype == TaskType::Look {
        let lamps: Vec<&'static str> = lay.lamps.iter().map(|l| l.0).collect();
        rng.choose(&lamps)?
    } else {
        let mut targets: Vec<&'static str> = obj_def(obj)
            .places
            .iter()
            .copied()
            .filter(|t| lay.has(t) && Some(*t) != tool)
            .collect();
        targets.dedup();
        rng.choose(&targets)?
    };
    let sources = spots(&lay, obj, if ttype == TaskType::Look { "" } else { target });
    if sources.is_empty() {
        return None;
    }

    let mut w = World::from_layout(&lay);
    let needed = if ttype == TaskType::Pick2 { 2 } else { 1 };
    let n_target = needed + rng.below(2);
    for k in 0..n_target {
        let at = *rng.choose(&sources)?;
        w.objs.push(Obj::new(obj, k as u8 + 1, at));
    }
    for &other in room.objects() {
        if other == obj || !rng.chance(0.55) {
            continue;
        }
        let places = spots(&lay, other, "");
        if places.is_empty() {
            continue;
        }
        let n = 1 + rng.below(2);
        for k in 0..n {
            let at = *rng.choose(&places)?;
            w.objs.push(Obj::new(other, k as u8 + 1, at));
        }
    }
    let mut lamp_numbers = [0u8; 2];
    for &(lamp, at) in &lay.lamps {
        let slot = world::LAMPS.iter().position(|&l| l == lamp).unwrap();
        lamp_numbers[slot] += 1;
        let mut o = Obj::new(lamp, lamp_numbers[slot], at as u16);
        o.toggleable = ttype == TaskType::Look && lamp == target;
        w.objs.push(o);
    }
    // Objects of the task's type that start in a fridge are already cool, as in the
    // original's initial states.
    for o in w.objs.iter_mut() {
        if o.kind == obj && lay.receps[o.loc as usize].0 == "fridge" {
            o.cool = true;
        }
    }
    // Receptacle contents are listed alphabetically by type, higher numbers first.
    w.objs
        .sort_by(|a, b| a.kind.cmp(b.kind).then(b.number.cmp(&a.number)));

    let goal = Goal {
        ttype,
        obj,
        recep: target,
    };
    if goal_met(&w, &goal) {
        return None;
    }
    let template = rng.below(2) as u8;
    let text = ttype.text(template, obj, target);
    let plan = oracle::plan(&w, &goal)?;
    let plan = verify(&w, &goal, &plan)?;
    Some(Task {
        goal,
        template,
        text,
        world: w,
        plan,
    })
}

/// Replays a plan through the admissible lists; returns its command texts when every command
/// is admissible and the goal holds exactly after the last one.
fn verify(w: &World, goal: &Goal, plan: &[Action]) -> Option<Vec<String>> {
    if plan.is_empty() || plan.len() > 50 {
        return None;
    }
    let mut w = w.clone();
    let mut cands = Vec::new();
    let mut out = String::new();
    let mut cmds = Vec::with_capacity(plan.len());
    for (i, &a) in plan.iter().enumerate() {
        game::admissible(&w, &mut cands);
        let cmd = game::command(&w, a);
        let found = cands
            .binary_search_by(|c| c.0.as_str().cmp(cmd.as_str()))
            .ok()?;
        if cands[found].1 != a {
            return None;
        }
        out.clear();
        game::apply(&mut w, a, &mut out);
        if goal_met(&w, goal) != (i + 1 == plan.len()) {
            return None;
        }
        cmds.push(cmd);
    }
    Some(cmds)
}
