//! The page state machine (search -> results -> item -> done, plus the item's Description,
//! Features and Reviews sub-pages) and the exact text observations: visible strings joined by
//! ` [SEP] `.

use super::catalogue::Product;

pub const SEP: &str = " [SEP] ";
/// Results per page.
pub const PER_PAGE: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Search,
    Results,
    Item,
    Description,
    Features,
    Reviews,
    Done,
}

/// What a click did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Click {
    /// A clickable was clicked (the page may or may not have changed).
    Moved,
    /// `Buy Now` on an item page.
    Buy,
    /// Not a clickable of the current page: nothing happens.
    NoOp,
}

/// What the agent sees of a page: the text after the instruction, and what it may click.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub body: String,
    /// Lowercase, in page order.
    pub clickables: Vec<String>,
    pub search_bar: bool,
}

/// Where the session is.
#[derive(Debug, Clone, PartialEq)]
pub struct PageState {
    pub page: Page,
    pub query: String,
    /// Up to 50 catalogue indices, best first.
    pub results: Vec<usize>,
    /// 1-based results page.
    pub page_no: usize,
    pub item: Option<usize>,
    /// Selected options: (name, value), in the item's option order.
    pub selected: Vec<(String, String)>,
    /// The purchase score once done.
    pub score: f64,
}

impl Default for PageState {
    fn default() -> Self {
        PageState::new()
    }
}

impl PageState {
    pub fn new() -> PageState {
        PageState {
            page: Page::Search,
            query: String::new(),
            results: Vec::new(),
            page_no: 1,
            item: None,
            selected: Vec::new(),
            score: 0.0,
        }
    }

    /// A search: shows page 1 of `results` and forgets the item and options.
    pub fn search(&mut self, query: &str, results: Vec<usize>) {
        self.page = Page::Results;
        self.query = query.to_string();
        self.results = results;
        self.page_no = 1;
        self.item = None;
        self.selected.clear();
    }

    pub(crate) fn page_slice(&self) -> &[usize] {
        let start = (self.page_no - 1)
            .saturating_mul(PER_PAGE)
            .min(self.results.len());
        let end = (start + PER_PAGE).min(self.results.len());
        &self.results[start..end]
    }

    /// Clicks `arg` (compared case-insensitively, trimmed).
    pub fn click(&mut self, arg: &str, products: &[Product]) -> Click {
        let arg = arg.trim().to_lowercase();
        match self.page {
            // The search page's `Search` button is listed but does nothing (only
            // `search[...]` searches), as in the original.
            Page::Search | Page::Done => Click::NoOp,
            Page::Results => {
                if arg == "back to search" {
                    self.back_to_search();
                } else if arg == "next >" {
                    // As in the original, past the last page comes an empty page.
                    self.page_no += 1;
                } else if arg == "< prev" && self.page_no > 1 {
                    self.page_no -= 1;
                } else if let Some(&i) = self
                    .page_slice()
                    .iter()
                    .find(|&&i| products[i].id.eq_ignore_ascii_case(&arg))
                {
                    self.page = Page::Item;
                    self.item = Some(i);
                    self.selected.clear();
                } else {
                    return Click::NoOp;
                }
                Click::Moved
            }
            Page::Item => {
                let Some(item) = self.item else {
                    return Click::NoOp;
                };
                match arg.as_str() {
                    "back to search" => self.back_to_search(),
                    "< prev" => self.page = Page::Results,
                    "description" => self.page = Page::Description,
                    "features" => self.page = Page::Features,
                    "reviews" => self.page = Page::Reviews,
                    "buy now" => return Click::Buy,
                    _ => {
                        let p = &products[item];
                        let Some((name, value)) = p.options.iter().find_map(|(n, vs)| {
                            vs.iter()
                                .find(|v| **v == arg)
                                .map(|v| (n.clone(), v.clone()))
                        }) else {
                            return Click::NoOp;
                        };
                        if let Some(slot) = self.selected.iter_mut().find(|(n, _)| *n == name) {
                            slot.1 = value;
                        } else {
                            self.selected.push((name, value));
                            let order = |n: &str| p.options.iter().position(|(o, _)| o == n);
                            self.selected.sort_by_key(|(n, _)| order(n));
                        }
                    }
                }
                Click::Moved
            }
            Page::Description | Page::Features | Page::Reviews => {
                match arg.as_str() {
                    "back to search" => self.back_to_search(),
                    "< prev" => self.page = Page::Item,
                    _ => return Click::NoOp,
                }
                Click::Moved
            }
        }
    }

    fn back_to_search(&mut self) {
        self.page = Page::Search;
        self.results.clear();
        self.query.clear();
        self.page_no = 1;
        self.item = None;
        self.selected.clear();
    }

    /// The selected option values.
    pub fn selected_values(&self) -> Vec<String> {
        self.selected.iter().map(|(_, v)| v.clone()).collect()
    }

    /// The page text after the instruction and its clickables.
    pub fn render(&self, products: &[Product]) -> View {
        let mut body = String::with_capacity(512);
        let mut clickables: Vec<String> = Vec::new();
        let push = |body: &mut String, s: &str| {
            if !body.is_empty() {
                body.push_str(SEP);
            }
            body.push_str(s);
        };
        match self.page {
            Page::Search => {
                push(&mut body, "Search");
                clickables.push("search".into());
                return View {
                    body,
                    clickables,
                    search_bar: true,
                };
            }
            Page::Done => {
                push(&mut body, "Thank you for shopping with us!");
                push(&mut body, "Your score (min 0.0, max 1.0)");
                push(&mut body, &format!("{}", self.score));
            }
            Page::Results => {
                push(&mut body, "Back to Search");
                clickables.push("back to search".into());
                push(
                    &mut body,
                    &format!(
                        "Page {} (Total results: {})",
                        self.page_no,
                        self.results.len()
                    ),
                );
                if self.page_no > 1 {
                    push(&mut body, "< Prev");
                    clickables.push("< prev".into());
                }
                push(&mut body, "Next >");
                clickables.push("next >".into());
                for &i in self.page_slice() {
                    let p = &products[i];
                    push(&mut body, &p.id);
                    push(&mut body, &p.title);
                    push(&mut body, &p.price_tag);
                    clickables.push(p.id.to_lowercase());
                }
            }
            Page::Item | Page::Description | Page::Features | Page::Reviews => {
                let p = &products[self.item.unwrap_or(0)];
                push(&mut body, "Back to Search");
                push(&mut body, "< Prev");
                clickables.push("back to search".into());
                clickables.push("< prev".into());
                match self.page {
                    Page::Item => {
                        for (name, values) in &p.options {
                            push(&mut body, name);
                            for v in values {
                                push(&mut body, v);
                            }
                        }
                        push(&mut body, &p.title);
                        push(&mut body, &format!("Price: {}", p.price_tag));
                        push(&mut body, "Rating: N.A.");
                        for b in ["Description", "Features", "Reviews", "Buy Now"] {
                            push(&mut body, b);
                            clickables.push(b.to_lowercase());
                        }
                        // The original lists buttons first and the option values last.
                        for (_, values) in &p.options {
                            clickables.extend(values.iter().cloned());
                        }
                    }
                    Page::Description => push(&mut body, &p.description),
                    Page::Features => {
                        for b in &p.bullets {
                            push(&mut body, b);
                        }
                    }
                    _ => {}
                }
            }
        }
        View {
            body,
            clickables,
            search_bar: false,
        }
    }
}

/// The page text as verl-agent shows it to the model: every ` [SEP] `-separated part after
/// the instruction wrapped in single quotes (`'Back to Search' [SEP] 'Page 1 ...'`).
pub fn quoted(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 16);
    for (i, part) in body.split(SEP).enumerate() {
        if i > 0 {
            out.push_str(SEP);
        }
        out.push('\'');
        out.push_str(part);
        out.push('\'');
    }
    out
}
