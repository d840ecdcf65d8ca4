//! env.alfworld: exact texts, rules, solvability of every task type and split, determinism.

use proxmo::env::alfworld::world::{is_unseen_layout, Room};
use proxmo::env::alfworld::*;
use proxmo::env::{Env, StepOutcome};
use proxmo::rng::Rng;

/// Plays the expert plan of `task` and returns the outcomes (reset first).
fn play_expert(env: &mut AlfWorld, task: usize) -> Vec<(String, StepOutcome)> {
    let plan = env.expert_plan(task);
    assert!(!plan.is_empty(), "task {task} has no plan");
    let mut out = vec![(String::new(), env.reset(task).unwrap())];
    for cmd in plan {
        let o = env.step(&cmd).unwrap();
        out.push((cmd, o));
    }
    out
}

fn assert_expert_wins(env: &mut AlfWorld, task: usize) {
    let tr = play_expert(env, task);
    let n = tr.len() - 1;
    for (i, (cmd, o)) in tr.iter().enumerate().skip(1) {
        assert!(
            o.admissible.iter().any(|a| a == "help"),
            "help missing after {cmd}"
        );
        assert_ne!(
            o.observation,
            "Nothing happens.",
            "{} task {task}: expert command {cmd:?} was not admissible",
            env.split().name()
        );
        if i < n {
            assert!(!o.done && !o.won && o.reward == 0.0, "won early at {cmd}");
        } else {
            assert!(
                o.done && o.won,
                "{} task {task}: expert did not win",
                env.split().name()
            );
            assert_eq!(o.reward, 10.0);
            assert_eq!(o.score, 1.0);
        }
        assert_eq!(o.anchor, o.observation);
    }
    assert!(n <= 50);
}

#[test]
fn split_sizes_and_type_counts() {
    assert_eq!(Split::Train.n_tasks(), 3553);
    assert_eq!(Split::ValidSeen.n_tasks(), 140);
    assert_eq!(Split::ValidUnseen.n_tasks(), 134);
    for split in Split::ALL {
        let env = AlfWorld::new(split, 7);
        assert_eq!(env.n_tasks(), split.n_tasks());
        let mut counts = [0usize; 6];
        for i in 0..env.n_tasks() {
            counts[env.task_type(i).index()] += 1;
        }
        assert_eq!(counts, split.type_counts());
        assert!(counts.iter().all(|&c| c > 0));
    }
    assert_eq!(Split::parse("valid_unseen").unwrap(), Split::ValidUnseen);
    assert_eq!(Split::parse("valid_seen").unwrap(), Split::ValidSeen);
    assert_eq!(Split::parse("train").unwrap(), Split::Train);
    assert!(Split::parse("test").is_err());
    assert!(AlfWorld::new(Split::ValidUnseen, 0).reset(134).is_err());
}

#[test]
fn golden_transcript() {
    let mut env = AlfWorld::new(Split::ValidUnseen, 0);
    assert_eq!(env.task_type(1), TaskType::Clean);
    let tr = play_expert(&mut env, 1);
    let got: Vec<(&str, &str)> = tr
        .iter()
        .map(|(c, o)| (c.as_str(), o.observation.as_str()))
        .collect();
    let want: Vec<(&str, &str)> = vec![
        ("", "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see a towelholder 1, a toilet 1, a sinkbasin 1, a cabinet 1, a garbagecan 1, a handtowelholder 2, a handtowelholder 1, a drawer 2, a drawer 1, a shelf 1, a toiletpaperhanger 1, a bathtubbasin 1, and a countertop 1.\n\nYour task is to: clean some cloth and put it in bathtubbasin."),
        ("go to drawer 2", "You arrive at drawer 2. The drawer 2 is closed."),
        ("open drawer 2", "You open the drawer 2. The drawer 2 is open. In it, you see a cloth 1, a toiletpaper 1, a candle 1, and a dishsponge 2."),
        ("take cloth 1 from drawer 2", "You pick up the cloth 1 from the drawer 2."),
        ("go to sinkbasin 1", "You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing."),
        ("clean cloth 1 with sinkbasin 1", "You clean the cloth 1 using the sinkbasin 1."),
        ("go to bathtubbasin 1", "You arrive at bathtubbasin 1. On the bathtubbasin 1, you see a towel 2."),
        ("move cloth 1 to bathtubbasin 1", "You move the cloth 1 to the bathtubbasin 1."),
    ];
    assert_eq!(got, want);
    let first = &tr[0].1;
    assert_eq!(
        first.admissible,
        vec![
            "go to bathtubbasin 1",
            "go to cabinet 1",
            "go to countertop 1",
            "go to drawer 1",
            "go to drawer 2",
            "go to garbagecan 1",
            "go to handtowelholder 1",
            "go to handtowelholder 2",
            "go to shelf 1",
            "go to sinkbasin 1",
            "go to toilet 1",
            "go to toiletpaperhanger 1",
            "go to towelholder 1",
            "help",
            "inventory",
            "look"
        ]
    );
    assert!(!first.done && first.reward == 0.0 && first.score == 0.0);
    assert!(tr.last().unwrap().1.won);
}

#[test]
fn feedback_texts() {
    let mut env = AlfWorld::new(Split::ValidUnseen, 0);
    env.reset(1).unwrap();
    let mut step = |a: &str| env.step(a).unwrap();
    assert_eq!(
        step("inventory").observation,
        "You are not carrying anything."
    );
    assert_eq!(
        step("look").observation,
        "You are in the middle of a room. Looking quickly around you, you see a towelholder 1, a toilet 1, a sinkbasin 1, a cabinet 1, a garbagecan 1, a handtowelholder 2, a handtowelholder 1, a drawer 2, a drawer 1, a shelf 1, a toiletpaperhanger 1, a bathtubbasin 1, and a countertop 1."
    );
    // Not admissible: unknown, misspelt, other case, extra spaces, preconditions unmet.
    for bad in [
        "fly",
        "",
        "Go to drawer 2",
        "go to drawer 2 ",
        "go to drawer 9",
        "open drawer 2",
        "take cloth 1 from drawer 2",
        "heat cloth 1 with microwave 1",
    ] {
        let o = step(bad);
        assert_eq!(o.observation, "Nothing happens.", "{bad:?}");
        assert_eq!(o.anchor, "Nothing happens.");
        assert!(!o.done);
    }
    assert_eq!(
        step("go to drawer 2").observation,
        "You arrive at drawer 2. The drawer 2 is closed."
    );
    // Closed: content not reachable.
    assert_eq!(
        step("take cloth 1 from drawer 2").observation,
        "Nothing happens."
    );
    assert_eq!(
        step("examine drawer 2").observation,
        "The drawer 2 is closed."
    );
    assert_eq!(
        step("look").observation,
        "You are facing the drawer 2. Next to it, you see nothing."
    );
    assert_eq!(
        step("open drawer 2").observation,
        "You open the drawer 2. The drawer 2 is open. In it, you see a cloth 1, a toiletpaper 1, a candle 1, and a dishsponge 2."
    );
    assert_eq!(step("open drawer 2").observation, "Nothing happens.");
    assert_eq!(
        step("examine drawer 2").observation,
        "The drawer 2 is open. In it, you see a cloth 1, a toiletpaper 1, a candle 1, and a dishsponge 2."
    );
    assert_eq!(
        step("take candle 1 from drawer 2").observation,
        "You pick up the candle 1 from the drawer 2."
    );
    // Hands full.
    assert_eq!(
        step("take cloth 1 from drawer 2").observation,
        "Nothing happens."
    );
    assert_eq!(
        step("inventory").observation,
        "You are carrying: a candle 1."
    );
    assert_eq!(
        step("examine candle 1").observation,
        "There's nothing special about candle 1."
    );
    assert_eq!(
        step("move candle 1 to drawer 2").observation,
        "You move the candle 1 to the drawer 2."
    );
    assert_eq!(
        step("inventory").observation,
        "You are not carrying anything."
    );
    assert_eq!(
        step("close drawer 2").observation,
        "You close the drawer 2."
    );
    assert_eq!(step("close drawer 2").observation, "Nothing happens.");
    assert_eq!(
        step("go to sinkbasin 1").observation,
        "You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing."
    );
    // Already there.
    assert_eq!(step("go to sinkbasin 1").observation, "Nothing happens.");
    // Nothing held: nothing to clean.
    assert_eq!(
        step("clean cloth 1 with sinkbasin 1").observation,
        "Nothing happens."
    );
    let help = step("help").observation;
    assert!(help.starts_with("Available commands:"));
    assert!(help.contains("go to (receptacle)"));
    let o = step("go to drawer 2");
    assert_eq!(
        o.observation,
        "You arrive at drawer 2. The drawer 2 is closed."
    );
    assert!(!o.won && o.reward == 0.0);
}

#[test]
fn admissible_lists_are_sorted_unique_and_each_entry_does_something() {
    let mut rng = Rng::new(3);
    for split in Split::ALL {
        let mut env = AlfWorld::new(split, 1);
        for ep in 0..20 {
            let mut o = env.reset((ep * 37) % env.n_tasks()).unwrap();
            while !o.done {
                let mut sorted = o.admissible.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(sorted, o.admissible);
                assert!(o.admissible.iter().any(|a| a == "help"));
                assert!(o.admissible.iter().any(|a| a == "look"));
                assert!(o.admissible.iter().any(|a| a == "inventory"));
                let a = o.admissible[rng.below(o.admissible.len())].clone();
                o = env.step(&a).unwrap();
                assert_ne!(o.observation, "Nothing happens.", "admissible {a:?}");
            }
        }
    }
}

#[test]
fn step_limit() {
    let mut env = AlfWorld::new(Split::ValidSeen, 3);
    env.reset(5).unwrap();
    for i in 1..=50 {
        let o = env.step("look").unwrap();
        assert_eq!(o.done, i == 50, "step {i}");
        assert!(!o.won && o.reward == 0.0 && o.score == 0.0);
    }
    // Finished episodes stay finished.
    let o = env.step("look").unwrap();
    assert!(o.done && !o.won && o.reward == 0.0);

    let mut env = AlfWorld::new(Split::ValidSeen, 3).with_max_steps(3);
    env.reset(5).unwrap();
    assert!(!env.step("inventory").unwrap().done);
    assert!(!env.step("nonsense").unwrap().done);
    assert!(env.step("look").unwrap().done);
    // A step before any reset is an error.
    assert!(AlfWorld::new(Split::Train, 0).step("look").is_err());
}

#[test]
fn won_episode_ends_and_reward_only_on_winning_step() {
    let mut env = AlfWorld::new(Split::ValidUnseen, 0);
    let tr = play_expert(&mut env, 0);
    let total: f64 = tr.iter().map(|(_, o)| o.reward).sum();
    assert_eq!(total, 10.0);
    let o = env.step("look").unwrap();
    assert!(o.done && o.won && o.reward == 0.0);
}

#[test]
fn expert_solves_every_type_in_every_split() {
    for split in Split::ALL {
        let mut env = AlfWorld::new(split, 11);
        for t in TaskType::ALL {
            let tasks: Vec<usize> = (0..env.n_tasks())
                .filter(|&i| env.task_type(i) == t)
                .take(5)
                .collect();
            assert_eq!(tasks.len(), 5);
            for task in tasks {
                assert_expert_wins(&mut env, task);
                assert_eq!(env.current_task_type(), Some(t));
            }
        }
    }
}

#[test]
fn sample_of_tasks_with_all_valid_unseen_is_solvable_and_respects_rooms() {
    let mut checked = 0;
    let mut templates = std::collections::HashSet::new();
    for (split, stride) in [
        (Split::ValidUnseen, 1),
        (Split::ValidSeen, 1),
        (Split::Train, 13),
    ] {
        let mut env = AlfWorld::new(split, 0);
        for task in (0..env.n_tasks()).step_by(stride) {
            let t = env.task(task).unwrap();
            assert_eq!(t.ttype(), env.task_type(task));
            let room = t.world.room;
            match t.ttype() {
                TaskType::Heat | TaskType::Cool => assert_eq!(room, Room::Kitchen),
                TaskType::Clean => assert!(matches!(room, Room::Kitchen | Room::Bathroom)),
                TaskType::Look => assert!(matches!(room, Room::LivingRoom | Room::Bedroom)),
                _ => {}
            }
            assert_eq!(
                is_unseen_layout(t.world.layout),
                split == Split::ValidUnseen,
                "{} task {task} uses layout {}",
                split.name(),
                t.world.layout
            );
            assert!(!t.plan.is_empty() && t.plan.len() <= 50);
            templates.insert((t.ttype(), t.template));
            assert_expert_wins(&mut env, task);
            checked += 1;
        }
    }
    assert!(checked >= 500, "{checked}");
    assert_eq!(templates.len(), 12, "every type with both templates");
}

#[test]
fn task_texts_follow_templates() {
    assert_eq!(
        TaskType::Pick.text(0, "apple", "fridge"),
        "put a apple in fridge"
    );
    assert_eq!(
        TaskType::Pick.text(1, "apple", "fridge"),
        "put some apple on fridge"
    );
    assert_eq!(
        TaskType::Look.text(0, "book", "desklamp"),
        "look at book under the desklamp"
    );
    assert_eq!(
        TaskType::Look.text(1, "book", "desklamp"),
        "examine the book with the desklamp"
    );
    assert_eq!(
        TaskType::Clean.text(0, "cloth", "toilet"),
        "put a clean cloth in toilet"
    );
    assert_eq!(
        TaskType::Clean.text(1, "cloth", "toilet"),
        "clean some cloth and put it in toilet"
    );
    assert_eq!(
        TaskType::Heat.text(0, "egg", "countertop"),
        "put a hot egg in countertop"
    );
    assert_eq!(
        TaskType::Heat.text(1, "egg", "countertop"),
        "heat some egg and put it in countertop"
    );
    assert_eq!(
        TaskType::Cool.text(0, "pan", "cabinet"),
        "put a cool pan in cabinet"
    );
    assert_eq!(
        TaskType::Cool.text(1, "pan", "cabinet"),
        "cool some pan and put it in cabinet"
    );
    assert_eq!(TaskType::Pick2.text(0, "cd", "safe"), "put two cd in safe");
    assert_eq!(
        TaskType::Pick2.text(1, "cd", "safe"),
        "find two cd and put them in safe"
    );
    let mut env = AlfWorld::new(Split::Train, 5);
    for task in 0..200 {
        let t = env.task(task).unwrap();
        let o = env.reset(task).unwrap();
        assert!(o.observation.starts_with(
            "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see a "
        ));
        assert!(o
            .observation
            .ends_with(&format!(".\n\nYour task is to: {}.", t.text)));
    }
}

fn random_transcript(split: Split, seed: u64, policy_seed: u64) -> String {
    let mut env = AlfWorld::new(split, seed);
    let mut rng = Rng::new(policy_seed);
    let mut s = String::new();
    for ep in 0..10 {
        let task = rng.below(env.n_tasks());
        let mut o = env.reset(task).unwrap();
        s.push_str(&format!("{o:?}\n"));
        while !o.done {
            let a = o.admissible[rng.below(o.admissible.len())].clone();
            o = env.step(&a).unwrap();
            s.push_str(&format!("{ep} {a}\n{o:?}\n"));
        }
    }
    s
}

#[test]
fn same_seed_same_transcript() {
    for split in Split::ALL {
        let a = random_transcript(split, 42, 9);
        let b = random_transcript(split, 42, 9);
        assert_eq!(a, b);
        let c = random_transcript(split, 43, 9);
        assert_ne!(a, c);
    }
    // Resetting the same task twice gives the same world, on a fresh or a used instance.
    let mut e1 = AlfWorld::new(Split::Train, 8);
    let mut e2 = AlfWorld::new(Split::Train, 8);
    e2.reset(10).unwrap();
    e2.step("look").unwrap();
    assert_eq!(e1.reset(77).unwrap(), e2.reset(77).unwrap());
    assert_eq!(e1.expert_plan(77), e2.expert_plan(77));
}

#[test]
fn schema_matches_brief() {
    use proxmo::stage::{ParamDefault as Default, ParamType, Role, Value};
    let s = proxmo::kinds::schema("env.alfworld").unwrap();
    assert_eq!(s.kind, "env.alfworld");
    assert_eq!(s.role, Role::Env);
    let split = s.param("split").unwrap();
    assert_eq!(
        split.ty,
        ParamType::Choice(&["train", "valid_seen", "valid_unseen"])
    );
    assert_eq!(
        split.default,
        Default::Value(Value::Str("valid_unseen".into()))
    );
    for (name, default, min) in [
        ("seed", 0, 0.0),
        ("max_steps", 50, 1.0),
        ("group_size", 8, 2.0),
    ] {
        let p = s.param(name).unwrap();
        assert_eq!(p.ty, ParamType::Int);
        assert_eq!(p.default, Default::Value(Value::Int(default)));
        assert!(p.range.contains(min) && !p.range.contains(min - 1.0));
    }
}

#[test]
fn instances_reset_to_one_task_play_alike() {
    let mut envs: Vec<Box<dyn Env>> = (0..4)
        .map(|_| Box::new(AlfWorld::new(Split::ValidUnseen, 0)) as Box<dyn Env>)
        .collect();
    let first: Vec<StepOutcome> = envs.iter_mut().map(|e| e.reset(3).unwrap()).collect();
    assert!(
        first.windows(2).all(|w| w[0] == w[1]),
        "group members share the task"
    );
    let plan = AlfWorld::new(Split::ValidUnseen, 0).expert_plan(3);
    let mut last = Vec::new();
    for cmd in &plan {
        last = envs.iter_mut().map(|e| e.step(cmd).unwrap()).collect();
    }
    assert!(last.iter().all(|o| o.won && o.done && o.reward == 10.0));
}

#[test]
fn builds_from_params() {
    use proxmo::kinds::{check, env::build_env, params_with_defaults};
    use proxmo::stage::Value;
    let p = params_with_defaults("env.alfworld", &[]).unwrap();
    let mut env = build_env("env.alfworld", &p).unwrap().make().unwrap();
    assert_eq!(env.n_tasks(), 134);
    let set = [
        ("split", Value::Str("train".into())),
        ("max_steps", Value::Int(7)),
        ("seed", Value::Int(3)),
    ];
    let p = params_with_defaults("env.alfworld", &set).unwrap();
    let mut short = build_env("env.alfworld", &p).unwrap().make().unwrap();
    assert_eq!(short.n_tasks(), 3553);
    assert_eq!(
        short.reset(0).unwrap(),
        AlfWorld::new(Split::Train, 3).reset(0).unwrap()
    );
    let mut done_after = 0;
    for step in 1..=10 {
        if short.step("look").unwrap().done {
            done_after = step;
            break;
        }
    }
    assert_eq!(done_after, 7, "max_steps = 7 ends the episode at step 7");
    env.reset(0).unwrap();
    let bad =
        params_with_defaults("env.alfworld", &[("split", Value::Str("test".into()))]).unwrap();
    assert!(check("env.alfworld", &bad).is_err());
}

#[test]
fn every_task_of_other_seeds_generates_with_a_verified_plan() {
    for seed in [1u64, 2, 12345] {
        for split in Split::ALL {
            let env = AlfWorld::new(split, seed);
            for task in 0..env.n_tasks() {
                let t = env.task(task).unwrap();
                assert!(!t.plan.is_empty() && t.plan.len() <= 50);
                assert_eq!(
                    is_unseen_layout(t.world.layout),
                    split == Split::ValidUnseen
                );
            }
        }
    }
}
