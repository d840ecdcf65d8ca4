//! Rollouts: every task of a batch is played `group_size` times by the policy (the group
//! members share the task), producing the step rows the advantage stages consume.

pub mod command;
pub mod linear;
pub mod lm;
pub mod policy;

use crate::batch::RowInput;
use crate::env::{Env, StepOutcome};
use crate::rng::Rng;
use anyhow::{Context, Result};
pub use policy::Transcript;
use policy::{Choice, Decision, Policy, Request, View};
use rayon::prelude::*;
use std::collections::HashMap;

/// One finished episode, for metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub task: usize,
    /// The task's category where the environment has one (ALFWorld's task type).
    pub task_kind: Option<String>,
    pub won: bool,
    pub score: f64,
    pub steps: usize,
    /// Steps whose action was readable but not among the state's admissible actions
    /// (ALFWorld answers "Nothing happens."): a model acting on objects it has not seen.
    pub inadmissible_steps: usize,
}

/// What one batch of rollouts produced.
#[derive(Debug, Clone, Default)]
pub struct Rollouts {
    pub rows: Vec<RowInput>,
    /// The policy's record of each row's choice (trainable policies only), row for row.
    pub decisions: Vec<Option<Decision>>,
    /// Prompt and response of each row's choice (language-model policies only), row for row.
    pub transcripts: Vec<Option<Transcript>>,
    pub episodes: Vec<Episode>,
}

/// Task sets up to this size are shuffled whole, which keeps the tasks that seeded runs drew
/// before larger sets were sampled sparsely; above it a full shuffle would cost memory and
/// time in proportion to the set (an adapter may report up to a billion tasks).
const FULL_SHUFFLE_MAX: usize = 1 << 20;

/// `count` distinct task indices out of `n_tasks` (cycling when more are asked for than
/// exist), the same for the same seed. Memory and time grow with `count`, not `n_tasks`.
pub fn sample_tasks(n_tasks: usize, count: usize, rng: &mut Rng) -> Vec<usize> {
    let mut out = Vec::with_capacity(count);
    while out.len() < count && n_tasks > 0 {
        let want = (count - out.len()).min(n_tasks);
        if n_tasks <= FULL_SHUFFLE_MAX {
            let mut all: Vec<usize> = (0..n_tasks).collect();
            rng.shuffle(&mut all);
            out.extend(all.into_iter().take(want));
        } else {
            out.extend(draw_distinct(n_tasks, want, rng));
        }
    }
    out
}

/// `want` distinct indices of `0..n`, uniformly: the first `want` steps of a forward
/// Fisher-Yates shuffle, with the few positions it has swapped kept in a map instead of an
/// `n`-long array.
fn draw_distinct(n: usize, want: usize, rng: &mut Rng) -> Vec<usize> {
    let mut swapped: HashMap<usize, usize> = HashMap::with_capacity(2 * want);
    (0..want)
        .map(|i| {
            let j = i + rng.below(n - i);
            let at_j = swapped.get(&j).copied().unwrap_or(j);
            let at_i = swapped.get(&i).copied().unwrap_or(i);
            swapped.insert(j, at_i);
            at_j
        })
        .collect()
}

/// One rollout in progress.
struct Slot {
    env: Box<dyn Env>,
    rng: Rng,
    task: usize,
    member: usize,
    first_observation: String,
    seen: StepOutcome,
    /// (anchor, action) of every step so far, kept only for policies that show history.
    history: Vec<(String, String)>,
    previous: Option<String>,
    /// The expert's action in the current state, kept only for policies that follow it.
    expert: Option<String>,
    rows: Vec<RowInput>,
    decisions: Vec<Option<Decision>>,
    transcripts: Vec<Option<Transcript>>,
    inadmissible_steps: usize,
}

/// Plays every task `group_size` times, all rollouts in lockstep: at each step the policy
/// chooses for every unfinished rollout at once (so a model can batch its generation), then
/// the environments step in parallel. `make_env` builds one instance per rollout; every
/// rollout has its own random stream, so results do not depend on how rayon schedules work.
pub fn collect(
    make_env: &(dyn Fn() -> Result<Box<dyn Env>> + Sync),
    tasks: &[usize],
    group_size: usize,
    policy: &dyn Policy,
    rng: &mut Rng,
) -> Result<Rollouts> {
    let jobs: Vec<(usize, usize, Rng)> = tasks
        .iter()
        .flat_map(|&task| (0..group_size).map(move |k| (task, k)))
        .enumerate()
        .map(|(i, (task, k))| (task, k, rng.fork(i as u64)))
        .collect();
    let mut out = Rollouts::default();
    // Rollouts advance together in waves of `lockstep_width`: a language model gets one
    // request per step for the whole wave, while a cheap policy keeps its wave small enough
    // to stay in cache.
    for wave in jobs.chunks(policy.lockstep_width().max(1)) {
        let slots = play_wave(make_env, wave, policy)?;
        gather(&mut out, slots);
    }
    Ok(out)
}

/// Plays the rollouts of one wave to the end, in lockstep.
fn play_wave(
    make_env: &(dyn Fn() -> Result<Box<dyn Env>> + Sync),
    wave: &[(usize, usize, Rng)],
    policy: &dyn Policy,
) -> Result<Vec<Slot>> {
    let mut slots: Vec<Slot> = wave
        .par_iter()
        .map(|(task, member, rng)| {
            let (task, member) = (*task, *member);
            let mut env = make_env()?;
            let seen = env
                .reset(task)
                .with_context(|| format!("reset of task {task}"))?;
            Ok(Slot {
                env,
                rng: rng.clone(),
                task,
                member,
                first_observation: seen.observation.clone(),
                seen,
                history: Vec::new(),
                previous: None,
                expert: None,
                rows: Vec::new(),
                decisions: Vec::new(),
                transcripts: Vec::new(),
                inadmissible_steps: 0,
            })
        })
        .collect::<Result<_>>()?;
    let follow_expert = policy.follow_expert();
    loop {
        let mut active: Vec<&mut Slot> = slots.iter_mut().filter(|s| !s.seen.done).collect();
        if active.is_empty() {
            break;
        }
        if follow_expert {
            active
                .par_iter_mut()
                .for_each(|s| s.expert = s.env.expert_action());
        }
        let choices = {
            let mut requests: Vec<Request> = active
                .iter_mut()
                .map(|s| Request {
                    view: View {
                        task: &s.first_observation,
                        seen: &s.seen,
                        previous: s.previous.as_deref(),
                        history: &s.history,
                        expert: s.expert.as_deref(),
                    },
                    rng: &mut s.rng,
                })
                .collect();
            policy.act_batch(&mut requests)?
        };
        let keep_history = policy.shows_history();
        active
            .par_iter_mut()
            .zip(choices.into_par_iter())
            .map(|(slot, choice)| advance(slot, choice, keep_history))
            .collect::<Result<()>>()?;
    }
    Ok(slots)
}

/// Appends finished rollouts to `out`, in order.
fn gather(out: &mut Rollouts, slots: Vec<Slot>) {
    for s in slots {
        out.episodes.push(Episode {
            task: s.task,
            task_kind: s.env.task_kind(s.task),
            won: s.seen.won,
            score: s.seen.score,
            steps: s.rows.len(),
            inadmissible_steps: s.inadmissible_steps,
        });
        out.rows.extend(s.rows);
        out.decisions.extend(s.decisions);
        out.transcripts.extend(s.transcripts);
    }
}

/// Takes `choice` in `slot`'s environment and records the step row.
fn advance(slot: &mut Slot, choice: Choice, keep_history: bool) -> Result<()> {
    let (task, member, step) = (slot.task, slot.member, slot.rows.len());
    if choice.valid && !crate::env::is_admissible(&slot.seen.admissible, &choice.action) {
        slot.inadmissible_steps += 1;
    }
    let next = slot
        .env
        .step(&choice.action)
        .with_context(|| format!("task {task}, rollout {member}, step {step}"))?;
    // A step row pairs the state the agent acted in with the reward its action earned.
    let anchor = std::mem::take(&mut slot.seen.anchor);
    if keep_history {
        slot.history.push((anchor.clone(), choice.action.clone()));
    }
    slot.previous = Some(choice.action);
    slot.rows.push(RowInput {
        group: format!("task{task}"),
        traj: format!("task{task}/{member}"),
        step: step as u32,
        obs: anchor,
        reward: next.reward,
        valid: choice.valid,
        won: None,
    });
    slot.decisions.push(choice.decision);
    slot.transcripts.push(choice.transcript);
    if next.done {
        for row in &mut slot.rows {
            row.won = Some(next.won);
        }
    }
    slot.seen = next;
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Answers with a place no room has: readable, never admissible.
    struct Lost;

    impl Policy for Lost {
        fn act(&self, _view: &View, _rng: &mut Rng) -> Result<Choice> {
            Ok(Choice::plain("go to nowhere 1".into()))
        }
    }

    #[test]
    fn readable_actions_the_state_does_not_admit_are_counted() {
        use crate::env::alfworld::{AlfWorld, Split};
        let make = || -> Result<Box<dyn Env>> {
            Ok(Box::new(AlfWorld::new(Split::Train, 0).with_max_steps(3)))
        };
        let played = collect(&make, &[0, 1], 2, &Lost, &mut Rng::new(1)).unwrap();
        assert_eq!(played.episodes.len(), 4);
        for e in &played.episodes {
            assert_eq!((e.steps, e.inadmissible_steps), (3, 3));
        }
    }

    #[test]
    fn small_task_sets_keep_the_tasks_seeded_runs_drew() {
        // Golden values from the full-shuffle sampler every earlier release used.
        let mut rng = Rng::new(7);
        assert_eq!(sample_tasks(10, 4, &mut rng), vec![9, 5, 8, 6]);
        assert_eq!(
            sample_tasks(3553, 5, &mut rng),
            vec![683, 1679, 1990, 938, 1675]
        );
        let mut rng = Rng::new(42);
        assert_eq!(sample_tasks(3, 7, &mut rng), vec![1, 0, 2, 1, 2, 0, 2]);
    }

    #[test]
    fn huge_task_sets_are_sampled_without_listing_them() {
        for n in [FULL_SHUFFLE_MAX + 1, 1_000_000_000, usize::MAX] {
            let a = sample_tasks(n, 1000, &mut Rng::new(3));
            assert_eq!(
                a,
                sample_tasks(n, 1000, &mut Rng::new(3)),
                "same seed, same tasks"
            );
            assert_eq!(a.len(), 1000);
            assert!(a.iter().all(|&t| t < n));
            let mut distinct = a.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 1000, "no task twice in a batch");
        }
    }

    #[test]
    fn sparse_draws_are_uniform_and_distinct() {
        // Drawing all of a small set is a permutation; the first draw is uniform.
        let mut rng = Rng::new(5);
        let mut all = draw_distinct(50, 50, &mut rng);
        all.sort_unstable();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[draw_distinct(4, 2, &mut rng)[0]] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_400..10_600).contains(&c)),
            "{counts:?}"
        );
    }
}
