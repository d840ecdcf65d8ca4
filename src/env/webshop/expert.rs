//! WebShop's scripted expert: it knows the goal's product and options, searches the product's
//! title, pages through the results to it, opens it, clicks each asked option and buys.
//! Demonstrations for a language model's warm start (`policy.lm { teacher = "expert" }`).

use super::catalogue::Product;
use super::goals::Goal;
use super::pages::{Page, PageState};

/// The expert's next action on the current page.
pub fn next_action(state: &PageState, goal: &Goal, products: &[Product]) -> Option<String> {
    let target = products.get(goal.product)?;
    let click = |what: &str| Some(format!("click[{what}]"));
    match state.page {
        Page::Search => Some(format!("search[{}]", target.title.to_lowercase())),
        Page::Results if state.page_slice().contains(&goal.product) => {
            click(&target.id.to_lowercase())
        }
        Page::Results => {
            let shown_to = state.page_no * state.page_slice().len().max(1);
            match state.results.iter().position(|&i| i == goal.product) {
                Some(at) if at >= shown_to => click("next >"),
                Some(_) => click("< prev"),
                None => click("back to search"),
            }
        }
        Page::Item if state.item != Some(goal.product) => click("< prev"),
        Page::Item => match goal
            .options
            .iter()
            .find(|(name, value)| !state.selected.contains(&(name.clone(), value.clone())))
        {
            Some((_, value)) => click(value),
            None => click("buy now"),
        },
        Page::Description | Page::Features | Page::Reviews => click("< prev"),
        Page::Done => None,
    }
}
