//! The exact texts ALFWorld prints.

use super::world::{is_receptacle_object, Obj, World};

pub const WELCOME: &str = "-= Welcome to TextWorld, ALFRED! =-\n\n";
pub const NOTHING_HAPPENS: &str = "Nothing happens.";
pub const NOT_CARRYING: &str = "You are not carrying anything.";

/// The original's help text, whole: its leading and trailing newline, the `move` line's
/// narrower padding and the `slice` line (a command this environment has no task for).
pub const HELP: &str = "
Available commands:
  look:                             look around your current location
  inventory:                        check your current inventory
  go to (receptacle):               move to a receptacle
  open (receptacle):                open a receptacle
  close (receptacle):               close a receptacle
  take (object) from (receptacle):  take an object from a receptacle
  move (object) to (receptacle):  place an object in or on a receptacle
  examine (something):              examine a receptacle or an object
  use (object):                     use an object
  heat (object) with (receptacle):  heat an object using a receptacle
  clean (object) with (receptacle): clean an object using a receptacle
  cool (object) with (receptacle):  cool an object using a receptacle
  slice (object) with (object):     slice an object using a sharp object
";

/// Appends `a x, a y, and a z` (`a x` for one item, `nothing` for none).
pub fn push_list<'a, I>(out: &mut String, items: I)
where
    I: IntoIterator<Item = &'a str>,
{
    let items: Vec<&str> = items.into_iter().collect();
    let n = items.len();
    if n == 0 {
        out.push_str("nothing");
        return;
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
            if i + 1 == n {
                out.push_str("and ");
            }
        }
        out.push_str("a ");
        out.push_str(item);
    }
}

/// `You are in the middle of a room. Looking quickly around you, you see ...`
pub fn push_room(out: &mut String, w: &World) {
    out.push_str("You are in the middle of a room. Looking quickly around you, you see ");
    push_list(out, w.receps.iter().map(|r| r.name.as_str()));
    out.push('.');
}

/// The full reset text.
pub fn reset_text(w: &World, task: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(WELCOME);
    push_room(&mut out, w);
    out.push_str("\n\nYour task is to: ");
    out.push_str(task);
    out.push('.');
    out
}

/// `In it, you see ...` / `On the r, you see ...` / `The r is closed.` for receptacle `r`.
pub fn push_description(out: &mut String, w: &World, r: u16) {
    let rec = &w.receps[r as usize];
    if rec.openable {
        out.push_str("The ");
        out.push_str(&rec.name);
        if rec.open {
            out.push_str(" is open. In it, you see ");
            push_list(out, w.contents(r).map(|(_, o)| o.name.as_str()));
            out.push('.');
        } else {
            out.push_str(" is closed.");
        }
    } else {
        out.push_str("On the ");
        out.push_str(&rec.name);
        out.push_str(", you see ");
        push_list(out, w.contents(r).map(|(_, o)| o.name.as_str()));
        out.push('.');
    }
}

/// What `examine {o}` prints: the first rule of the original's grammar that holds, in its
/// order (a movable container first, then hot/cool/clean combinations, then a lamp's switch).
pub fn push_object_state(out: &mut String, o: &Obj) {
    let name = o.name.as_str();
    if is_receptacle_object(o.kind) {
        // Nothing is ever put inside a movable container here, so it is always empty.
        out.push_str("This is a normal ");
        out.push_str(name);
        out.push_str(". In it, you see nothing.");
        return;
    }
    let state = match (o.hot, o.cool, o.clean) {
        (true, _, true) => Some("hot and clean"),
        (_, true, true) => Some("cool and clean"),
        (true, _, _) => Some("hot"),
        (_, _, true) => Some("clean"),
        (_, true, _) => Some("cold"),
        _ => None,
    };
    if let Some(state) = state {
        out.push_str("This is a ");
        out.push_str(state);
        out.push(' ');
        out.push_str(name);
        out.push('.');
    } else if o.toggleable {
        out.push_str("This ");
        out.push_str(name);
        out.push_str(if o.on { " is on." } else { " is off." });
    } else {
        out.push_str("There's nothing special about ");
        out.push_str(name);
        out.push('.');
    }
}
