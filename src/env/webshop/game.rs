//! The WebShop environment: a shared shop (catalogue, BM25 index, goals) and cheap per-episode
//! sessions implementing [`Env`].

use super::catalogue::Catalogue;
use super::goals::{self, Goal, GoalMode, Split};
use super::pages::{quoted, Click, Page, PageState, SEP};
use super::reward::{reward, RewardInfo};
use super::search::Bm25Index;
use crate::env::{Env, StepOutcome, QUERY_SLOT};
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Catalogue size of the original small set.
pub const DEFAULT_PRODUCTS: usize = 1000;
/// The wrapper's step limit.
pub const DEFAULT_MAX_STEPS: usize = 15;
/// Reward on the final step of a won episode.
pub const SUCCESS_REWARD: f64 = 10.0;

/// Everything episodes share: built once per (size, seed), read-only.
#[derive(Debug)]
pub struct Shop {
    pub seed: u64,
    pub catalogue: Catalogue,
    pub index: Bm25Index,
    /// All goals, shuffled; splits are ranges of this list.
    pub goals: Vec<Goal>,
}

impl Shop {
    /// Builds a shop of `products` products from `seed`, with synthetic goals.
    pub fn new(products: usize, seed: u64) -> Shop {
        Shop::with_goal_mode(products, seed, GoalMode::Synthetic)
    }

    /// Builds a shop of `products` products from `seed`, with goals of `mode`.
    pub fn with_goal_mode(products: usize, seed: u64, mode: GoalMode) -> Shop {
        let catalogue = Catalogue::generate(products, seed);
        let docs: Vec<String> = catalogue.products.iter().map(|p| p.search_text()).collect();
        let index = Bm25Index::build(&docs);
        let goals = goals::generate(&catalogue, seed, mode);
        Shop {
            seed,
            catalogue,
            index,
            goals,
        }
    }

    /// A shop (synthetic goals) shared with every other caller asking for the same
    /// (size, seed) while one is alive.
    pub fn shared(products: usize, seed: u64) -> Arc<Shop> {
        Shop::shared_with(products, seed, GoalMode::Synthetic)
    }

    /// [`Shop::shared`] with goals of `mode`.
    pub fn shared_with(products: usize, seed: u64, mode: GoalMode) -> Arc<Shop> {
        type Cache = Mutex<HashMap<(usize, u64, GoalMode), Weak<Shop>>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        let key = (products, seed, mode);
        if let Some(shop) = map.get(&key).and_then(Weak::upgrade) {
            return shop;
        }
        let shop = Arc::new(Shop::with_goal_mode(products, seed, mode));
        map.retain(|_, w| w.strong_count() > 0);
        map.insert(key, Arc::downgrade(&shop));
        shop
    }

    /// The goals of a split.
    pub fn split_goals(&self, split: Split) -> &[Goal] {
        &self.goals[split.range(self.goals.len())]
    }

    /// Goal `task` of a split.
    pub fn goal(&self, split: Split, task: usize) -> Option<&Goal> {
        self.split_goals(split).get(task)
    }

    /// Top-50 catalogue indices for a query.
    pub fn search(&self, query: &str) -> Vec<usize> {
        self.index.search(query)
    }
}

/// One WebShop session.
#[derive(Debug, Clone)]
pub struct WebShop {
    shop: Arc<Shop>,
    split: Split,
    max_steps: usize,
    success_reward: f64,
    goal: Option<usize>,
    state: PageState,
    steps: usize,
    done: bool,
    last: Option<StepOutcome>,
    last_reward: Option<RewardInfo>,
}

/// Parses `search[...]` / `click[...]` (prefix case-insensitive, surrounding space ignored).
fn parse_action(action: &str) -> Option<(&'static str, &str)> {
    let a = action.trim();
    for kind in ["search", "click"] {
        let n = kind.len();
        // Byte n being '[' (ASCII) makes n a char boundary, so the slices below are safe.
        if a.len() > n + 1
            && a.as_bytes()[n] == b'['
            && a[..n].eq_ignore_ascii_case(kind)
            && a.ends_with(']')
        {
            return Some((kind, &a[n + 1..a.len() - 1]));
        }
    }
    None
}

impl WebShop {
    /// A session on the default 1,000-product shop built from `seed` (shared between
    /// sessions).
    pub fn new(split: Split, seed: u64) -> Self {
        WebShop::with_shared(Shop::shared(DEFAULT_PRODUCTS, seed), split)
    }

    /// A session on an existing shop.
    pub fn with_shared(shop: Arc<Shop>, split: Split) -> Self {
        WebShop {
            shop,
            split,
            max_steps: DEFAULT_MAX_STEPS,
            success_reward: SUCCESS_REWARD,
            goal: None,
            state: PageState::new(),
            steps: 0,
            done: false,
            last: None,
            last_reward: None,
        }
    }

    pub fn with_max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps.max(1);
        self
    }

    pub fn with_success_reward(mut self, r: f64) -> Self {
        self.success_reward = r;
        self
    }

    pub fn shop(&self) -> &Arc<Shop> {
        &self.shop
    }

    pub fn split(&self) -> Split {
        self.split
    }

    /// The current goal (after a reset).
    pub fn goal(&self) -> Option<&Goal> {
        self.goal.map(|g| &self.shop.goals[g])
    }

    pub fn page_state(&self) -> &PageState {
        &self.state
    }

    /// Steps taken in this episode.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The reward breakdown of the purchase, once bought.
    pub fn last_reward(&self) -> Option<&RewardInfo> {
        self.last_reward.as_ref()
    }

    fn outcome(&self, reward: f64, won: bool) -> StepOutcome {
        let goal = &self.shop.goals[self.goal.unwrap_or(0)];
        let view = self.state.render(&self.shop.catalogue.products);
        let observation = match self.state.page {
            Page::Done => view.body.clone(),
            Page::Search => format!(
                "WebShop{SEP}Instruction:{SEP}{}{SEP}{}",
                goal.instruction, view.body
            ),
            _ => format!("Instruction:{SEP}{}{SEP}{}", goal.instruction, view.body),
        };
        // Page order, as the original lists them: the search bar, buttons, product links,
        // then option values; a value repeated on the page is listed once.
        let mut admissible: Vec<String> = Vec::with_capacity(view.clickables.len() + 1);
        if !self.done {
            if view.search_bar {
                admissible.push(format!("search[{QUERY_SLOT}]"));
            }
            for c in &view.clickables {
                let a = format!("click[{c}]");
                if !admissible.contains(&a) {
                    admissible.push(a);
                }
            }
        }
        // The model sees the quoted parts after the instruction; the done page, which has no
        // instruction, stays as it is.
        let anchor = match self.state.page {
            Page::Done => view.body,
            _ => quoted(&view.body),
        };
        StepOutcome {
            observation,
            reward,
            done: self.done,
            won,
            score: self.state.score,
            admissible,
            anchor,
        }
    }
}

impl Env for WebShop {
    fn n_tasks(&self) -> usize {
        self.shop.split_goals(self.split).len()
    }

    fn expert_action(&self) -> Option<String> {
        let goal = &self.shop.goals[self.goal?];
        if self.done {
            return None;
        }
        super::expert::next_action(&self.state, goal, &self.shop.catalogue.products)
    }

    fn reset(&mut self, task: usize) -> Result<StepOutcome> {
        let range = self.split.range(self.shop.goals.len());
        if task >= range.len() {
            bail!(
                "WebShop task {task} out of range: the {} split has {} tasks",
                self.split.name(),
                range.len()
            );
        }
        self.goal = Some(range.start + task);
        self.state = PageState::new();
        self.steps = 0;
        self.done = false;
        self.last_reward = None;
        let out = self.outcome(0.0, false);
        self.last = Some(out.clone());
        Ok(out)
    }

    fn step(&mut self, action: &str) -> Result<StepOutcome> {
        let Some(gi) = self.goal else {
            bail!("WebShop: step before reset");
        };
        if self.done {
            let mut out = self
                .last
                .clone()
                .unwrap_or_else(|| self.outcome(0.0, false));
            out.reward = 0.0;
            return Ok(out);
        }
        self.steps += 1;
        let mut reward_now = 0.0;
        let mut won = false;
        let clicked = match parse_action(action) {
            Some(("search", q)) => {
                let results = self.shop.search(q);
                self.state.search(q, results);
                Click::Moved
            }
            Some((_, arg)) => self.state.click(arg, &self.shop.catalogue.products),
            None => Click::NoOp,
        };
        if clicked == Click::Buy {
            let item = self.state.item.unwrap_or(0);
            let info = reward(
                &self.shop.catalogue.products[item],
                &self.state.selected_values(),
                &self.shop.goals[gi],
            );
            self.state.score = info.score;
            self.state.page = Page::Done;
            self.done = true;
            won = info.score == 1.0;
            if won {
                reward_now = self.success_reward;
            }
            self.last_reward = Some(info);
        }
        if !self.done && self.steps >= self.max_steps {
            self.done = true;
        }
        let out = self.outcome(reward_now, won);
        self.last = Some(out.clone());
        Ok(out)
    }
}
