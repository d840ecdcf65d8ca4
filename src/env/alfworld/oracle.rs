//! The oracle: a scripted plan from the full state, hidden object positions included (like
//! the handcoded expert of the original benchmark). Task generation runs it to prove every
//! task solvable. It is no expert to imitate: an agent cannot know what it reads; the
//! demonstrations come from `explorer`.

use super::game::Action;
use super::goal::{goal_met, Goal, TaskType};
use super::world::{World, HELD};

struct Planner {
    w: World,
    plan: Vec<Action>,
    out: String,
}

impl Planner {
    fn act(&mut self, a: Action) {
        self.out.clear();
        super::game::apply(&mut self.w, a, &mut self.out);
        self.plan.push(a);
    }

    fn go(&mut self, r: u16) {
        if self.w.at != Some(r) {
            self.act(Action::GoTo(r));
        }
    }

    fn open(&mut self, r: u16) {
        let rec = &self.w.receps[r as usize];
        if rec.openable && !rec.open {
            self.act(Action::Open(r));
        }
    }

    fn first_recep(&self, kind: &str) -> Option<u16> {
        self.w
            .receps
            .iter()
            .position(|r| r.kind == kind)
            .map(|i| i as u16)
    }

    fn fetch(&mut self, o: u16) {
        let r = self.w.objs[o as usize].loc;
        self.go(r);
        self.open(r);
        self.act(Action::Take(o, r));
    }
}

/// A plan from state `w` to `goal`, or `None` when the scripted strategy finds none.
pub fn plan(w: &World, goal: &Goal) -> Option<Vec<Action>> {
    let mut p = Planner {
        w: w.clone(),
        plan: Vec::new(),
        out: String::new(),
    };
    if p.w.held.is_some() {
        return None;
    }
    let objs: Vec<u16> = (0..p.w.objs.len())
        .filter(|&i| p.w.objs[i].kind == goal.obj && p.w.objs[i].loc != HELD)
        .map(|i| i as u16)
        .collect();
    match goal.ttype {
        TaskType::Look => {
            let o = *objs.first()?;
            let lamp = (0..p.w.objs.len())
                .find(|&i| p.w.objs[i].lamp && p.w.objs[i].kind == goal.recep)?
                as u16;
            p.fetch(o);
            p.go(p.w.objs[lamp as usize].loc);
            p.act(Action::Use(lamp));
        }
        t => {
            let needed = if t == TaskType::Pick2 { 2 } else { 1 };
            if objs.len() < needed {
                return None;
            }
            let target = p.first_recep(goal.recep)?;
            for &o in &objs[..needed] {
                p.fetch(o);
                let tool = match t {
                    TaskType::Heat => Some(("microwave", Action::Heat as fn(u16, u16) -> Action)),
                    TaskType::Cool => Some(("fridge", Action::Cool as fn(u16, u16) -> Action)),
                    TaskType::Clean => Some(("sinkbasin", Action::Clean as fn(u16, u16) -> Action)),
                    _ => None,
                };
                if let Some((kind, make)) = tool {
                    let r = p.first_recep(kind)?;
                    p.go(r);
                    p.act(make(o, r));
                }
                p.go(target);
                p.open(target);
                p.act(Action::Move(o, target));
            }
        }
    }
    if goal_met(&p.w, goal) {
        Some(p.plan)
    } else {
        None
    }
}
