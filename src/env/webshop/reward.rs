//! WebShop's purchase reward:
//! `r = (n_attr_matched + n_opt_matched + [price <= upper]) / (n_goal_attrs + n_goal_opts + 1)`
//! times the type factor.

use super::catalogue::Product;
use super::fuzzy::token_set_ratio_int;
use super::goals::{Goal, GoalMode};
use std::borrow::Cow;

/// Colour words options are normalised to: the original's list (102 words), in its order;
/// the first one (in this order) that occurs in a value replaces it.
pub const COLOR_SET: &[&str] = &[
    "alabaster",
    "apricot",
    "aqua",
    "ash",
    "asphalt",
    "azure",
    "banana",
    "beige",
    "black",
    "blue",
    "blush",
    "bordeaux",
    "bronze",
    "brown",
    "burgundy",
    "camel",
    "camo",
    "caramel",
    "champagne",
    "charcoal",
    "cheetah",
    "chestnut",
    "chocolate",
    "christmas",
    "coffee",
    "cognac",
    "copper",
    "coral",
    "cranberry",
    "cream",
    "crystal",
    "dark",
    "denim",
    "eggplant",
    "elephant",
    "espresso",
    "fuchsia",
    "gold",
    "granite",
    "grape",
    "graphite",
    "grass",
    "gray",
    "green",
    "grey",
    "heather",
    "indigo",
    "ivory",
    "ivy",
    "khaki",
    "lavender",
    "lemon",
    "leopard",
    "light",
    "lilac",
    "lime",
    "magenta",
    "maroon",
    "mauve",
    "merlot",
    "midnight",
    "mint",
    "mocha",
    "multicolor",
    "mushroom",
    "mustard",
    "natural",
    "navy",
    "nude",
    "olive",
    "orange",
    "peach",
    "pewter",
    "pink",
    "plum",
    "purple",
    "rainbow",
    "red",
    "rose",
    "royal",
    "rust",
    "sand",
    "sapphire",
    "seashell",
    "silver",
    "skull",
    "slate",
    "steel",
    "stone",
    "stonewash",
    "sunflower",
    "tan",
    "taupe",
    "teal",
    "tiger",
    "turquoise",
    "violet",
    "walnut",
    "wheat",
    "white",
    "wine",
    "yellow",
];

/// WebShop's `normalize_color`: the first colour of [`COLOR_SET`] contained in the string,
/// else the string unchanged.
pub fn normalize_color(s: &str) -> &str {
    COLOR_SET
        .iter()
        .copied()
        .find(|c| s.contains(c))
        .unwrap_or(s)
}

/// The reward and its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardInfo {
    pub score: f64,
    pub r_type: f64,
    pub n_attr_matched: usize,
    pub n_opt_matched: usize,
    pub price_ok: bool,
    /// Shared title nouns / goal title nouns (0.2 when the goal has none).
    pub title_score: f64,
}

/// Type factor: 1.0, but 0.5 unless (same scrape query, or >= 2 shared category-path levels,
/// or title-noun overlap > 0.2), 0.1 if overlap < 0.1, 0 if it is 0, applied in that order.
pub fn type_factor(product: &Product, goal: &Goal) -> (f64, f64) {
    let query_match = product.query == goal.query;
    let levels =
        |p: &str| -> Vec<String> { p.split('›').map(|x| x.trim().to_string()).collect() };
    let mut pl = levels(&product.path);
    pl.sort();
    pl.dedup();
    let gl = levels(&goal.path);
    let mut gl_u = gl.clone();
    gl_u.sort();
    gl_u.dedup();
    let shared_levels = gl_u.iter().filter(|l| pl.contains(l)).count();
    let category_match = shared_levels >= 2;

    let mut pn: Vec<&str> = product.nouns.iter().map(|s| s.as_str()).collect();
    pn.sort_unstable();
    pn.dedup();
    let mut gn: Vec<&str> = goal.nouns.iter().map(|s| s.as_str()).collect();
    gn.sort_unstable();
    gn.dedup();
    let title_score = if gn.is_empty() {
        0.2
    } else {
        gn.iter().filter(|n| pn.contains(n)).count() as f64 / gn.len() as f64
    };
    let mut r = 1.0;
    if !(query_match || category_match || title_score > 0.2) {
        r = 0.5;
    }
    if title_score < 0.1 {
        r = 0.1;
    }
    if title_score == 0.0 {
        r = 0.0;
    }
    (r, title_score)
}

/// Number of goal attributes matched: a product attribute with token-set ratio > 85, or the
/// attribute occurring in the lowercased title, bullets or description.
pub fn attributes_matched(product: &Product, goal: &Goal) -> usize {
    let title = product.title.to_lowercase();
    let bullets = product.bullets.join(" ").to_lowercase();
    let desc = product.description.to_lowercase();
    goal.attributes
        .iter()
        .filter(|g| {
            product
                .attributes
                .iter()
                .any(|p| token_set_ratio_int(p, g) > 85)
                || title.contains(g.as_str())
                || bullets.contains(g.as_str())
                || desc.contains(g.as_str())
        })
        .count()
}

/// What a goal option is compared as. Human goals list option values, colour-normalised.
/// Synthetic goals hand the original its (name, value) pairs: its colour normalisation then
/// only fires when the name or the value *is* a colour word, and otherwise the pair's text
/// (`('size', 'large')`, which the fuzzy matcher reads as the tokens `size large`) is matched,
/// so the option name joins the comparison.
pub fn goal_option_text<'a>(name: &'a str, value: &'a str, mode: GoalMode) -> Cow<'a, str> {
    match mode {
        GoalMode::Human => Cow::Borrowed(normalize_color(value)),
        GoalMode::Synthetic => match COLOR_SET.iter().find(|c| **c == name || **c == value) {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(format!("{name} {value}")),
        },
    }
}

/// Number of goal options matched by a selected value (token-set ratio > 85; selected values
/// are colour-normalised).
pub fn options_matched(selected: &[String], goal: &Goal) -> usize {
    let sel: Vec<&str> = selected.iter().map(|s| normalize_color(s)).collect();
    goal.options
        .iter()
        .filter(|(name, value)| {
            let g = goal_option_text(name, value, goal.mode);
            sel.iter().any(|p| token_set_ratio_int(p, &g) > 85)
        })
        .count()
}

/// The reward for buying `product` with the selected option values `selected`.
pub fn reward(product: &Product, selected: &[String], goal: &Goal) -> RewardInfo {
    let (r_type, title_score) = type_factor(product, goal);
    let n_attr = attributes_matched(product, goal);
    let n_opt = options_matched(selected, goal);
    let price_ok = product.price <= goal.price_upper;
    let denom = (goal.attributes.len() + goal.options.len() + 1) as f64;
    let score = (n_attr + n_opt + price_ok as usize) as f64 / denom * r_type;
    RewardInfo {
        score,
        r_type,
        n_attr_matched: n_attr,
        n_opt_matched: n_opt,
        price_ok,
        title_score,
    }
}
