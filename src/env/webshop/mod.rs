//! A native WebShop: a seeded catalogue standing in for the scraped products, BM25 search,
//! the original page flow and text observations, and the original purchase reward
//! (docs/environments.md, "WebShop").

pub mod catalogue;
pub mod expert;
pub mod fuzzy;
pub mod game;
pub mod goals;
pub mod pages;
pub mod reward;
pub mod search;

pub use catalogue::{Catalogue, Product};
pub use game::{Shop, WebShop, DEFAULT_MAX_STEPS, DEFAULT_PRODUCTS};
pub use goals::{Goal, GoalMode, Split};
