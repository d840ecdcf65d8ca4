//! What a task asks for: the six task types with their two text templates, the goal, and
//! the goal test. Below the rules (`game`) and the task generator (`tasks`), which both use it.

use super::world::{World, HELD};

/// The six ALFWorld task types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskType {
    Pick,
    Look,
    Clean,
    Heat,
    Cool,
    Pick2,
}

impl TaskType {
    pub const ALL: [TaskType; 6] = [
        TaskType::Pick,
        TaskType::Look,
        TaskType::Clean,
        TaskType::Heat,
        TaskType::Cool,
        TaskType::Pick2,
    ];

    /// Short name used in per-type statistics.
    pub fn name(self) -> &'static str {
        match self {
            TaskType::Pick => "pick",
            TaskType::Look => "look",
            TaskType::Clean => "clean",
            TaskType::Heat => "heat",
            TaskType::Cool => "cool",
            TaskType::Pick2 => "pick2",
        }
    }

    /// Position in [`TaskType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The task text for template 0 or 1.
    pub fn text(self, template: u8, obj: &str, recep: &str) -> String {
        let t = template & 1;
        match (self, t) {
            (TaskType::Pick, 0) => format!("put a {obj} in {recep}"),
            (TaskType::Pick, _) => format!("put some {obj} on {recep}"),
            (TaskType::Look, 0) => format!("look at {obj} under the {recep}"),
            (TaskType::Look, _) => format!("examine the {obj} with the {recep}"),
            (TaskType::Clean, 0) => format!("put a clean {obj} in {recep}"),
            (TaskType::Clean, _) => format!("clean some {obj} and put it in {recep}"),
            (TaskType::Heat, 0) => format!("put a hot {obj} in {recep}"),
            (TaskType::Heat, _) => format!("heat some {obj} and put it in {recep}"),
            (TaskType::Cool, 0) => format!("put a cool {obj} in {recep}"),
            (TaskType::Cool, _) => format!("cool some {obj} and put it in {recep}"),
            (TaskType::Pick2, 0) => format!("put two {obj} in {recep}"),
            (TaskType::Pick2, _) => format!("find two {obj} and put them in {recep}"),
        }
    }
}

/// What must hold for the task to be won. For Look, `recep` is the lamp type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub ttype: TaskType,
    pub obj: &'static str,
    pub recep: &'static str,
}

/// Whether the goal holds in this state. Any instance of the receptacle type satisfies it.
pub fn goal_met(w: &World, g: &Goal) -> bool {
    match g.ttype {
        TaskType::Look => {
            let Some(h) = w.held else { return false };
            if w.objs[h as usize].kind != g.obj {
                return false;
            }
            let Some(at) = w.at else { return false };
            w.objs
                .iter()
                .any(|o| o.lamp && o.on && o.kind == g.recep && o.loc == at)
        }
        TaskType::Pick2 => w.objs.iter().enumerate().any(|(i, o)| {
            o.kind == g.obj
                && o.loc != HELD
                && w.receps[o.loc as usize].kind == g.recep
                && w.objs[i + 1..]
                    .iter()
                    .any(|p| p.kind == g.obj && p.loc == o.loc)
        }),
        t => w.objs.iter().any(|o| {
            o.kind == g.obj
                && o.loc != HELD
                && w.receps[o.loc as usize].kind == g.recep
                && match t {
                    TaskType::Clean => o.clean,
                    TaskType::Heat => o.hot,
                    TaskType::Cool => o.cool,
                    _ => true,
                }
        }),
    }
}
