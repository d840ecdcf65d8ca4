//! Goals: one per option combination of every product (as WebShop's synthetic goals), with
//! the original price clause. In `synthetic` mode (how verl-agent runs WebShop) the options
//! are worded as the original's synthetic goals word them (`with size: large, and color:
//! red`) and matched as (name, value) pairs; in `human` mode the wording varies like the
//! crowd-written instructions and only option values are matched. The goal list is shuffled
//! with a fixed seed; test = first 500, eval = next 1000, train = the rest.

use super::catalogue::Catalogue;
use crate::rng::Rng;

/// Multiples of 10 the price ceiling is drawn from (WebShop's `PRICE_RANGE`).
pub fn price_range() -> impl Iterator<Item = f64> {
    (1..100).map(|i| 10.0 * i as f64)
}

/// How goals are made and their options scored (the original's `human_goals` switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum GoalMode {
    /// `human_goals = False`, verl-agent's setting.
    #[default]
    Synthetic,
    /// `human_goals = True`.
    Human,
}

impl GoalMode {
    pub const NAMES: &'static [&'static str] = &["synthetic", "human"];

    pub fn parse(s: &str) -> anyhow::Result<GoalMode> {
        match s {
            "synthetic" => Ok(GoalMode::Synthetic),
            "human" => Ok(GoalMode::Human),
            other => {
                anyhow::bail!("unknown WebShop goal_mode {other:?}; expected synthetic or human")
            }
        }
    }
}

/// What the shopper wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Goal {
    /// How the goal was made, which decides how its options are scored.
    pub mode: GoalMode,
    /// Index of the target product in the catalogue.
    pub product: usize,
    pub instruction: String,
    /// Required attributes (lowercase phrases).
    pub attributes: Vec<String>,
    /// Required options: (name, value).
    pub options: Vec<(String, String)>,
    /// Price ceiling; 1,000,000 (and no price clause) when fewer than two multiples of 10 lie
    /// above the price.
    pub price_upper: f64,
    /// The target's scrape query, category path and title nouns (for the type factor).
    pub query: String,
    pub path: String,
    pub nouns: Vec<String>,
}

/// Draws the price ceiling: two of the next four multiples of 10 above `price`, the larger
/// one. Returns the ceiling and the clause appended to the instruction.
pub fn price_upper(price: f64, rng: &mut Rng) -> (f64, String) {
    let above: Vec<f64> = price_range().filter(|&p| p > price).take(4).collect();
    if above.len() >= 2 {
        let i = rng.below(above.len());
        let mut j = rng.below(above.len() - 1);
        if j >= i {
            j += 1;
        }
        let upper = above[i].max(above[j]);
        (upper, format!(", and price lower than {upper:.2} dollars"))
    } else {
        (1_000_000.0, String::new())
    }
}

fn join_and(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        2 => format!("{} and {}", items[0], items[1]),
        _ => format!(
            "{}, and {}",
            items[..items.len() - 1].join(", "),
            items[items.len() - 1]
        ),
    }
}

/// "a" or "an" before `word`.
fn art(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

fn short_name(name: &str) -> &str {
    match name {
        "flavor name" => "flavor",
        "pattern name" => "pattern",
        other => other,
    }
}

/// The human-like instruction for a goal (lowercase, like the crowd-sourced ones).
fn instruction(
    ty: &str,
    attrs: &[String],
    options: &[(String, String)],
    price_clause: &str,
    mode: GoalMode,
    rng: &mut Rng,
) -> String {
    let a = join_and(attrs);
    let mut s = match rng.below(6) {
        0 => format!("i'm looking for {} {ty} that is {a}", art(ty)),
        1 => format!("i need {} {a} {ty}", art(&a)),
        2 => format!("i want to buy {} {ty} which is {a}", art(ty)),
        3 => format!("find me {} {a} {ty}", art(&a)),
        4 => format!("i am looking for {a} {ty}"),
        _ => format!("can you get me {} {ty}? it should be {a}", art(ty)),
    };
    if !options.is_empty() {
        if mode == GoalMode::Synthetic || rng.chance(0.5) {
            let parts: Vec<String> = options.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            s.push_str(" with ");
            s.push_str(&parts.join(", and "));
        } else {
            let parts: Vec<String> = options
                .iter()
                .map(|(n, v)| {
                    let n = short_name(n);
                    if v.split(' ').any(|w| w == n) {
                        v.clone()
                    } else if v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                        format!("{n} {v}")
                    } else {
                        format!("{v} {n}")
                    }
                })
                .collect();
            s.push_str(" in ");
            s.push_str(&join_and(&parts));
        }
    }
    s.push_str(price_clause);
    s
}

/// All goals of a catalogue, shuffled with the fixed seed derived from `seed`.
pub fn generate(catalogue: &Catalogue, seed: u64, mode: GoalMode) -> Vec<Goal> {
    let mut rng = Rng::new(seed ^ 0x474F_414C_5345_4544);
    let mut goals = Vec::new();
    for (pi, p) in catalogue.products.iter().enumerate() {
        // itertools.product over the option grid, names sorted.
        let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (name, values) in &p.options {
            let mut next = Vec::with_capacity(combos.len() * values.len());
            for c in &combos {
                for v in values {
                    let mut c2 = c.clone();
                    c2.push((name.clone(), v.clone()));
                    next.push(c2);
                }
            }
            combos = next;
        }
        for options in combos {
            let (upper, clause) = price_upper(p.price, &mut rng);
            let text = instruction(
                &p.type_phrase,
                &p.instruction_attributes,
                &options,
                &clause,
                mode,
                &mut rng,
            );
            goals.push(Goal {
                mode,
                product: pi,
                instruction: text,
                attributes: p.instruction_attributes.clone(),
                options,
                price_upper: upper,
                query: p.query.clone(),
                path: p.path.clone(),
                nouns: p.nouns.clone(),
            });
        }
    }
    let mut shuffle = Rng::new(seed ^ 0x5348_5546_464C_4531);
    shuffle.shuffle(&mut goals);
    goals
}

/// Which part of the shuffled goal list an environment draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The first 500 goals.
    Test,
    /// The next 1000.
    Eval,
    /// The rest.
    Train,
    /// Every goal after the first 500: what verl-agent trains on (it evaluates on `test`).
    VerlTrain,
}

impl Split {
    pub const NAMES: &'static [&'static str] = &["test", "eval", "train", "verl_train"];

    pub fn parse(s: &str) -> anyhow::Result<Split> {
        match s.trim().to_ascii_lowercase().as_str() {
            "test" => Ok(Split::Test),
            "eval" => Ok(Split::Eval),
            "train" => Ok(Split::Train),
            "verl_train" => Ok(Split::VerlTrain),
            other => anyhow::bail!(
                "unknown WebShop split {other:?}; expected test, eval, train or verl_train"
            ),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Split::Test => "test",
            Split::Eval => "eval",
            Split::Train => "train",
            Split::VerlTrain => "verl_train",
        }
    }

    /// The index range of this split in a shuffled list of `n` goals.
    pub fn range(self, n: usize) -> std::ops::Range<usize> {
        let test_end = n.min(500);
        let eval_end = n.min(1500);
        match self {
            Split::Test => 0..test_end,
            Split::Eval => test_end..eval_end,
            Split::Train => eval_end..n,
            Split::VerlTrain => test_end..n,
        }
    }
}
