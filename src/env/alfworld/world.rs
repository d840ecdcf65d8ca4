//! Rooms, receptacles and objects: the static tables a layout is drawn from, the seeded
//! layout generator (120 fixed floor plans, 30 per room type) and the mutable world state.

use crate::rng::Rng;

/// Receptacle types that start closed and must be opened before their content is reachable.
pub const OPENABLE: &[&str] = &["fridge", "cabinet", "microwave", "drawer", "safe", "box"];

/// Lamp types (toggleable objects, not pickable).
pub const LAMPS: &[&str] = &["desklamp", "floorlamp"];

pub fn is_openable(kind: &str) -> bool {
    OPENABLE.contains(&kind)
}

/// Object types that are containers themselves (ALFWorld's movable receptacles): examining
/// one lists its content.
pub const RECEPTACLE_OBJECTS: &[&str] = &["bowl", "cup", "mug", "pan", "plate", "pot"];

pub fn is_receptacle_object(kind: &str) -> bool {
    RECEPTACLE_OBJECTS.contains(&kind)
}

/// The four room types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Room {
    Kitchen,
    LivingRoom,
    Bedroom,
    Bathroom,
}

impl Room {
    pub const ALL: [Room; 4] = [
        Room::Kitchen,
        Room::LivingRoom,
        Room::Bedroom,
        Room::Bathroom,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Room::Kitchen => "kitchen",
            Room::LivingRoom => "living room",
            Room::Bedroom => "bedroom",
            Room::Bathroom => "bathroom",
        }
    }

    /// Receptacle types of this room with the inclusive range of their counts.
    pub fn receptacles(self) -> &'static [(&'static str, u8, u8)] {
        match self {
            Room::Kitchen => &[
                ("cabinet", 3, 10),
                ("countertop", 1, 3),
                ("drawer", 1, 8),
                ("fridge", 1, 1),
                ("microwave", 1, 1),
                ("sinkbasin", 1, 1),
                ("stoveburner", 2, 4),
                ("toaster", 1, 1),
                ("coffeemachine", 1, 1),
                ("garbagecan", 1, 1),
                ("diningtable", 0, 1),
                ("shelf", 0, 3),
                ("sidetable", 0, 1),
            ],
            Room::LivingRoom => &[
                ("armchair", 0, 2),
                ("coffeetable", 1, 2),
                ("diningtable", 0, 1),
                ("drawer", 0, 4),
                ("dresser", 0, 1),
                ("garbagecan", 1, 1),
                ("shelf", 0, 6),
                ("sidetable", 1, 3),
                ("sofa", 1, 1),
                ("cabinet", 0, 4),
                ("tvstand", 0, 1),
                ("safe", 0, 1),
                ("box", 0, 1),
            ],
            Room::Bedroom => &[
                ("bed", 1, 1),
                ("desk", 0, 2),
                ("drawer", 1, 8),
                ("dresser", 0, 1),
                ("garbagecan", 1, 1),
                ("laundryhamper", 0, 1),
                ("shelf", 0, 6),
                ("sidetable", 1, 2),
                ("safe", 0, 1),
                ("armchair", 0, 1),
            ],
            Room::Bathroom => &[
                ("bathtubbasin", 0, 1),
                ("cabinet", 1, 4),
                ("countertop", 1, 1),
                ("drawer", 0, 4),
                ("garbagecan", 1, 1),
                ("handtowelholder", 0, 2),
                ("shelf", 0, 3),
                ("sinkbasin", 1, 2),
                ("toilet", 1, 1),
                ("toiletpaperhanger", 1, 1),
                ("towelholder", 0, 1),
            ],
        }
    }

    /// Object types that may appear in this room (lamps excluded).
    pub fn objects(self) -> &'static [&'static str] {
        match self {
            Room::Kitchen => &[
                "apple",
                "bread",
                "egg",
                "potato",
                "tomato",
                "lettuce",
                "mug",
                "cup",
                "plate",
                "bowl",
                "pan",
                "pot",
                "kettle",
                "knife",
                "butterknife",
                "fork",
                "spoon",
                "spatula",
                "ladle",
                "dishsponge",
                "saltshaker",
                "peppershaker",
                "soapbottle",
                "winebottle",
            ],
            Room::LivingRoom => &[
                "book",
                "creditcard",
                "keychain",
                "laptop",
                "newspaper",
                "pillow",
                "remotecontrol",
                "statue",
                "vase",
                "watch",
                "cellphone",
                "tissuebox",
            ],
            Room::Bedroom => &[
                "alarmclock",
                "book",
                "cd",
                "cellphone",
                "creditcard",
                "keychain",
                "laptop",
                "pen",
                "pencil",
                "pillow",
                "mug",
                "bowl",
                "teddybear",
                "watch",
            ],
            Room::Bathroom => &[
                "soapbar",
                "cloth",
                "candle",
                "handtowel",
                "towel",
                "toiletpaper",
                "tissuebox",
                "spraybottle",
                "soapbottle",
                "dishsponge",
            ],
        }
    }
}

/// Can be heated (microwave).
pub const HEAT: u8 = 1;
/// Can be cooled (fridge).
pub const COOL: u8 = 2;
/// Can be cleaned (sinkbasin).
pub const CLEAN: u8 = 4;

/// An object type: where it may be placed (and moved to) and what can be done with it.
pub struct ObjDef {
    pub name: &'static str,
    pub places: &'static [&'static str],
    pub flags: u8,
}

const FOOD: &[&str] = &[
    "countertop",
    "diningtable",
    "fridge",
    "microwave",
    "sinkbasin",
    "garbagecan",
    "sidetable",
];
const DISH: &[&str] = &[
    "countertop",
    "diningtable",
    "fridge",
    "microwave",
    "sinkbasin",
    "cabinet",
    "shelf",
    "sidetable",
    "desk",
    "coffeemachine",
];
const COOKWARE: &[&str] = &[
    "countertop",
    "diningtable",
    "fridge",
    "sinkbasin",
    "cabinet",
    "stoveburner",
    "shelf",
];
const CUTLERY: &[&str] = &[
    "countertop",
    "diningtable",
    "drawer",
    "sinkbasin",
    "sidetable",
];
const SMALL: &[&str] = &[
    "armchair",
    "sofa",
    "bed",
    "coffeetable",
    "desk",
    "dresser",
    "shelf",
    "sidetable",
    "drawer",
    "safe",
    "box",
    "diningtable",
];
const DECOR: &[&str] = &[
    "coffeetable",
    "shelf",
    "sidetable",
    "dresser",
    "diningtable",
    "tvstand",
    "cabinet",
    "desk",
];
const DESKTOP: &[&str] = &[
    "desk",
    "dresser",
    "shelf",
    "sidetable",
    "drawer",
    "garbagecan",
    "diningtable",
    "coffeetable",
];
const BATH: &[&str] = &[
    "countertop",
    "sinkbasin",
    "bathtubbasin",
    "toilet",
    "cabinet",
    "shelf",
    "drawer",
    "garbagecan",
];

pub const OBJECTS: &[ObjDef] = &[
    ObjDef {
        name: "apple",
        places: FOOD,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "bread",
        places: FOOD,
        flags: HEAT | COOL,
    },
    ObjDef {
        name: "egg",
        places: FOOD,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "potato",
        places: FOOD,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "tomato",
        places: FOOD,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "lettuce",
        places: FOOD,
        flags: COOL | CLEAN,
    },
    ObjDef {
        name: "mug",
        places: DISH,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "cup",
        places: DISH,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "plate",
        places: DISH,
        flags: HEAT | COOL | CLEAN,
    },
    ObjDef {
        name: "bowl",
        places: DISH,
        flags: COOL | CLEAN,
    },
    ObjDef {
        name: "pan",
        places: COOKWARE,
        flags: COOL | CLEAN,
    },
    ObjDef {
        name: "pot",
        places: COOKWARE,
        flags: COOL | CLEAN,
    },
    ObjDef {
        name: "kettle",
        places: COOKWARE,
        flags: CLEAN,
    },
    ObjDef {
        name: "knife",
        places: CUTLERY,
        flags: CLEAN,
    },
    ObjDef {
        name: "butterknife",
        places: CUTLERY,
        flags: CLEAN,
    },
    ObjDef {
        name: "fork",
        places: CUTLERY,
        flags: CLEAN,
    },
    ObjDef {
        name: "spoon",
        places: CUTLERY,
        flags: CLEAN,
    },
    ObjDef {
        name: "spatula",
        places: CUTLERY,
        flags: CLEAN,
    },
    ObjDef {
        name: "ladle",
        places: CUTLERY,
        flags: CLEAN,
    },
    ObjDef {
        name: "dishsponge",
        places: &[
            "countertop",
            "diningtable",
            "drawer",
            "sinkbasin",
            "cabinet",
            "shelf",
            "garbagecan",
            "bathtubbasin",
            "toilet",
        ],
        flags: CLEAN,
    },
    ObjDef {
        name: "saltshaker",
        places: &[
            "countertop",
            "diningtable",
            "drawer",
            "cabinet",
            "shelf",
            "sidetable",
        ],
        flags: 0,
    },
    ObjDef {
        name: "peppershaker",
        places: &[
            "countertop",
            "diningtable",
            "drawer",
            "cabinet",
            "shelf",
            "sidetable",
        ],
        flags: 0,
    },
    ObjDef {
        name: "soapbottle",
        places: &[
            "countertop",
            "diningtable",
            "cabinet",
            "shelf",
            "toilet",
            "garbagecan",
        ],
        flags: 0,
    },
    ObjDef {
        name: "winebottle",
        places: &[
            "countertop",
            "diningtable",
            "fridge",
            "cabinet",
            "shelf",
            "garbagecan",
        ],
        flags: COOL,
    },
    ObjDef {
        name: "soapbar",
        places: BATH,
        flags: CLEAN,
    },
    ObjDef {
        name: "cloth",
        places: BATH,
        flags: CLEAN,
    },
    ObjDef {
        name: "candle",
        places: &[
            "countertop",
            "toilet",
            "cabinet",
            "shelf",
            "drawer",
            "bathtubbasin",
        ],
        flags: 0,
    },
    ObjDef {
        name: "handtowel",
        places: &["handtowelholder", "countertop"],
        flags: 0,
    },
    ObjDef {
        name: "towel",
        places: &["towelholder", "countertop", "bathtubbasin"],
        flags: 0,
    },
    ObjDef {
        name: "toiletpaper",
        places: &[
            "toiletpaperhanger",
            "countertop",
            "toilet",
            "cabinet",
            "shelf",
            "drawer",
            "garbagecan",
        ],
        flags: 0,
    },
    ObjDef {
        name: "tissuebox",
        places: &[
            "countertop",
            "toilet",
            "shelf",
            "cabinet",
            "sidetable",
            "coffeetable",
            "dresser",
            "desk",
        ],
        flags: 0,
    },
    ObjDef {
        name: "spraybottle",
        places: &[
            "countertop",
            "cabinet",
            "shelf",
            "toilet",
            "garbagecan",
            "drawer",
        ],
        flags: 0,
    },
    ObjDef {
        name: "book",
        places: &[
            "bed",
            "sofa",
            "armchair",
            "coffeetable",
            "desk",
            "dresser",
            "shelf",
            "sidetable",
            "drawer",
            "diningtable",
        ],
        flags: 0,
    },
    ObjDef {
        name: "creditcard",
        places: SMALL,
        flags: 0,
    },
    ObjDef {
        name: "keychain",
        places: SMALL,
        flags: 0,
    },
    ObjDef {
        name: "cellphone",
        places: SMALL,
        flags: 0,
    },
    ObjDef {
        name: "laptop",
        places: &[
            "bed",
            "sofa",
            "armchair",
            "coffeetable",
            "desk",
            "dresser",
            "diningtable",
        ],
        flags: 0,
    },
    ObjDef {
        name: "newspaper",
        places: &[
            "sofa",
            "armchair",
            "coffeetable",
            "sidetable",
            "diningtable",
            "garbagecan",
            "box",
            "dresser",
        ],
        flags: 0,
    },
    ObjDef {
        name: "pillow",
        places: &["bed", "sofa", "armchair"],
        flags: 0,
    },
    ObjDef {
        name: "remotecontrol",
        places: &[
            "sofa",
            "armchair",
            "coffeetable",
            "sidetable",
            "dresser",
            "tvstand",
            "box",
            "drawer",
        ],
        flags: 0,
    },
    ObjDef {
        name: "statue",
        places: DECOR,
        flags: 0,
    },
    ObjDef {
        name: "vase",
        places: DECOR,
        flags: 0,
    },
    ObjDef {
        name: "watch",
        places: &[
            "coffeetable",
            "shelf",
            "sidetable",
            "dresser",
            "drawer",
            "safe",
            "box",
            "desk",
        ],
        flags: 0,
    },
    ObjDef {
        name: "alarmclock",
        places: &["desk", "dresser", "shelf", "sidetable"],
        flags: 0,
    },
    ObjDef {
        name: "cd",
        places: &[
            "desk",
            "dresser",
            "shelf",
            "sidetable",
            "drawer",
            "safe",
            "garbagecan",
        ],
        flags: 0,
    },
    ObjDef {
        name: "pen",
        places: DESKTOP,
        flags: 0,
    },
    ObjDef {
        name: "pencil",
        places: DESKTOP,
        flags: 0,
    },
    ObjDef {
        name: "teddybear",
        places: &["bed", "dresser", "shelf", "armchair"],
        flags: 0,
    },
];

/// Where each lamp type may stand.
pub fn lamp_places(lamp: &str) -> &'static [&'static str] {
    match lamp {
        "desklamp" => &["desk", "sidetable", "dresser"],
        _ => &["sidetable", "armchair", "sofa", "bed", "dresser", "desk"],
    }
}

/// The definition of an object type (panics on an unknown name: the tables are closed).
pub fn obj_def(name: &str) -> &'static ObjDef {
    OBJECTS
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("unknown object type {name}"))
}

/// Whether a receptacle of type `recep` can hold an object of type `obj`.
pub fn can_contain(recep: &str, obj: &str) -> bool {
    if LAMPS.contains(&obj) {
        return false;
    }
    obj_def(obj).places.contains(&recep)
}

/// Number of fixed floor plans per room type; plan ids are `room index * 30 + k`.
pub const LAYOUTS_PER_ROOM: u32 = 30;
/// Total number of floor plans.
pub const N_LAYOUTS: u32 = 4 * LAYOUTS_PER_ROOM;

/// Floor plans `k >= 27` of every room type are held out: only valid_unseen uses them.
pub fn is_unseen_layout(id: u32) -> bool {
    id % LAYOUTS_PER_ROOM >= 27
}

pub fn layout_room(id: u32) -> Room {
    Room::ALL[(id / LAYOUTS_PER_ROOM) as usize % 4]
}

/// A floor plan: the receptacles (type, number) in the order the room lists them
/// (alphabetical by type, higher numbers first), and the
/// lamps standing at some of them (lamp type, index into `receps`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub id: u32,
    pub room: Room,
    pub receps: Vec<(&'static str, u8)>,
    pub lamps: Vec<(&'static str, usize)>,
}

impl Layout {
    pub fn has(&self, kind: &str) -> bool {
        self.receps.iter().any(|r| r.0 == kind)
    }
}

/// Floor plan `id` (0..120). A pure function of the id: layouts are fixed data, like the
/// floor plans of the original benchmark.
pub fn layout(id: u32) -> Layout {
    let room = layout_room(id);
    let mut rng =
        Rng::new(0xA1F0_0000_0000_0000 ^ (id as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut types: Vec<(&'static str, u8)> = room
        .receptacles()
        .iter()
        .map(|&(t, lo, hi)| (t, lo + rng.below((hi - lo + 1) as usize) as u8))
        .filter(|t| t.1 > 0)
        .collect();
    // The original lists receptacles alphabetically by type, higher numbers first.
    types.sort_by_key(|t| t.0);
    let mut receps = Vec::new();
    for (t, n) in types {
        for k in (1..=n).rev() {
            receps.push((t, k));
        }
    }
    let mut lamps = Vec::new();
    if matches!(room, Room::LivingRoom | Room::Bedroom) {
        for (lamp, p) in [("desklamp", 1.0), ("floorlamp", 0.5)] {
            if !rng.chance(p) {
                continue;
            }
            let spots: Vec<usize> = (0..receps.len())
                .filter(|&i| lamp_places(lamp).contains(&receps[i].0))
                .collect();
            if let Some(&at) = rng.choose(&spots) {
                lamps.push((lamp, at));
            }
        }
    }
    Layout {
        id,
        room,
        receps,
        lamps,
    }
}

/// Marks an object held by the agent.
pub const HELD: u16 = u16::MAX;

#[derive(Debug, Clone)]
pub struct Recep {
    pub kind: &'static str,
    pub name: String,
    pub openable: bool,
    pub open: bool,
    /// Precomputed command texts (the admissible list is the hot path).
    pub cmd_go: String,
    pub cmd_open: String,
    pub cmd_close: String,
    pub cmd_examine: String,
}

impl Recep {
    pub fn new(kind: &'static str, number: u8) -> Recep {
        let name = format!("{kind} {number}");
        Recep {
            kind,
            openable: is_openable(kind),
            open: false,
            cmd_go: format!("go to {name}"),
            cmd_open: format!("open {name}"),
            cmd_close: format!("close {name}"),
            cmd_examine: format!("examine {name}"),
            name,
        }
    }

    /// Its content can be seen and reached.
    pub fn accessible(&self) -> bool {
        !self.openable || self.open
    }
}

#[derive(Debug, Clone)]
pub struct Obj {
    pub kind: &'static str,
    pub number: u8,
    pub name: String,
    /// Receptacle index, or [`HELD`].
    pub loc: u16,
    pub hot: bool,
    pub cool: bool,
    pub clean: bool,
    pub lamp: bool,
    /// A lamp that `use` switches: only lamps of the look task's lamp type are, as in the
    /// original's task files.
    pub toggleable: bool,
    pub on: bool,
    pub cmd_examine: String,
}

impl Obj {
    pub fn new(kind: &'static str, number: u8, loc: u16) -> Obj {
        let name = format!("{kind} {number}");
        Obj {
            kind,
            number,
            cmd_examine: format!("examine {name}"),
            name,
            loc,
            hot: false,
            cool: false,
            clean: false,
            lamp: LAMPS.contains(&kind),
            toggleable: false,
            on: false,
        }
    }
}

/// The mutable state of one episode.
#[derive(Debug, Clone)]
pub struct World {
    pub room: Room,
    pub layout: u32,
    pub receps: Vec<Recep>,
    pub objs: Vec<Obj>,
    /// The receptacle the agent stands at (`None`: the middle of the room).
    pub at: Option<u16>,
    /// The held object.
    pub held: Option<u16>,
}

impl World {
    /// The receptacles of a layout, all closed, no objects yet.
    pub fn from_layout(layout: &Layout) -> World {
        World {
            room: layout.room,
            layout: layout.id,
            receps: layout
                .receps
                .iter()
                .map(|&(k, n)| Recep::new(k, n))
                .collect(),
            objs: Vec::new(),
            at: None,
            held: None,
        }
    }

    /// Objects inside receptacle `r`, in object order.
    pub fn contents(&self, r: u16) -> impl Iterator<Item = (u16, &Obj)> + '_ {
        self.objs
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.loc == r)
            .map(|(i, o)| (i as u16, o))
    }
}
