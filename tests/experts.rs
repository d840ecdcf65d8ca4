//! The environments' experts (`Env::expert_action`), which demonstrations for a language
//! model's warm start play: followed from reset, they solve the tasks.

use proxmo::env::alfworld::{AlfWorld, Split as AlfSplit};
use proxmo::env::webshop::game::WebShop;
use proxmo::env::webshop::goals::Split as ShopSplit;
use proxmo::env::Env;

/// Plays `task` with the expert; returns (won, score, steps).
fn play(env: &mut dyn Env, task: usize, max_steps: usize) -> (bool, f64, usize) {
    let mut seen = env.reset(task).unwrap();
    let mut steps = 0;
    while !seen.done && steps < max_steps {
        let action = env
            .expert_action()
            .expect("an expert action before the end");
        seen = env.step(&action).unwrap();
        steps += 1;
    }
    assert!(env.expert_action().is_none() || !seen.done);
    (seen.won, seen.score, steps)
}

#[test]
fn alfworlds_expert_solves_every_task_it_plays() {
    let mut env = AlfWorld::new(AlfSplit::ValidUnseen, 0);
    for task in 0..env.n_tasks() {
        let (won, _, _) = play(&mut env, task, 50);
        assert!(won, "task {task}");
    }
}

#[test]
fn webshops_expert_buys_the_goals_product_with_its_options() {
    let mut env = WebShop::new(ShopSplit::Test, 0);
    let n = 100;
    let mut total = 0.0;
    for task in 0..n {
        let (_, score, steps) = play(&mut env, task, 15);
        assert!(steps <= 15);
        total += score;
    }
    // The price ceiling or an attribute the product lacks can cost a little; buying the
    // wrong product would cost most of the score.
    let mean = total / n as f64;
    assert!(mean > 0.9, "mean score {mean}");
}
