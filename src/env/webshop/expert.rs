//! WebShop's expert for demonstrations: a shopper that acts only on what the pages show
//! (docs/environments.md, "WebShop's expert"). It searches the instruction (its price clause
//! left out), opens the result on the first page whose title shares the most words with the
//! instruction among those whose shown price is under the asked ceiling, clicks each option
//! value the instruction names, and buys. It never reads which product the goal was made
//! from, so its score is what reading the pages well earns, not the oracle's.

use super::catalogue::Product;
use super::goals::Goal;
use super::pages::{Page, PageState};

const PRICE_CLAUSE: &str = ", and price lower than ";

/// Words that say nothing about the product.
const FILLER: &[&str] = &[
    "i", "i'm", "am", "a", "an", "the", "for", "to", "of", "and", "with", "that", "is", "it",
    "looking", "need", "want", "buy", "find", "me", "can", "you", "get", "should", "be", "which",
    "some", "in",
];

/// The instruction's words (lowercase, split at anything but letters, digits, `-` and `.`),
/// filler left out.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.' || c == '\''))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .map(str::to_string)
        .collect()
}

/// The instruction without its price clause, and the ceiling the clause asks for.
fn read_instruction(instruction: &str) -> (&str, f64) {
    match instruction.find(PRICE_CLAUSE) {
        Some(at) => {
            let rest = &instruction[at + PRICE_CLAUSE.len()..];
            let ceiling = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(f64::INFINITY);
            (&instruction[..at], ceiling)
        }
        None => (instruction, f64::INFINITY),
    }
}

/// The lowest price a results line shows (`$12.99`, `$10.50 to $24.00`).
fn shown_price(tag: &str) -> f64 {
    tag.trim_start_matches('$')
        .split_whitespace()
        .next()
        .and_then(|n| n.trim_start_matches('$').parse().ok())
        .unwrap_or(f64::INFINITY)
}

/// The expert's next action on the current page.
pub fn next_action(state: &PageState, goal: &Goal, products: &[Product]) -> Option<String> {
    let (wanted, ceiling) = read_instruction(&goal.instruction);
    let asked = words(wanted);
    let click = |what: &str| Some(format!("click[{what}]"));
    match state.page {
        Page::Search => Some(format!("search[{}]", wanted.trim())),
        Page::Results => {
            let best = state
                .page_slice()
                .iter()
                .copied()
                .filter(|&i| shown_price(&products[i].price_tag) <= ceiling)
                .max_by_key(|&i| {
                    let title = words(&products[i].title);
                    // The most shared words; among equals, the higher-ranked result.
                    let shared = asked.iter().filter(|w| title.contains(w)).count();
                    (shared, std::cmp::Reverse(i_rank(state, i)))
                })
                .or_else(|| state.page_slice().first().copied())?;
            click(&products[best].id.to_lowercase())
        }
        Page::Item => {
            let item = &products[state.item?];
            let pick = item.options.iter().find_map(|(name, values)| {
                let named = values
                    .iter()
                    .filter(|v| {
                        let v = words(v);
                        !v.is_empty() && v.iter().all(|w| asked.contains(w))
                    })
                    .max_by_key(|v| v.len())?;
                let chosen = state.selected.iter().any(|(n, v)| n == name && v == named);
                (!chosen).then_some(named)
            });
            match pick {
                Some(value) => click(value),
                None => click("buy now"),
            }
        }
        Page::Description | Page::Features | Page::Reviews => click("< prev"),
        Page::Done => None,
    }
}

/// Position of product `i` in the results.
fn i_rank(state: &PageState, i: usize) -> usize {
    state
        .results
        .iter()
        .position(|&r| r == i)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instruction_gives_the_query_and_the_ceiling() {
        let (q, c) = read_instruction("i need a red shirt, and price lower than 40.00 dollars");
        assert_eq!((q, c), ("i need a red shirt", 40.0));
        assert_eq!(words(q), ["red", "shirt"]);
        assert_eq!(shown_price("$10.50 to $24.00"), 10.5);
    }
}
