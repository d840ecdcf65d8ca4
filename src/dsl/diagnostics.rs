//! Errors in `.pipe` files: each points at a span and is rendered with `file:line:col`, the
//! source line, a caret under the span and a hint on how to fix it.

use super::source::{SourceMap, Span};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn at(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span: Some(span),
            message: message.into(),
            help: None,
        }
    }

    /// An error that belongs to no place in a file (a missing file given on the command line).
    pub fn general(message: impl Into<String>) -> Self {
        Diagnostic {
            span: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds "did you mean `x`?" when a candidate is close to `wrong`.
    pub fn suggest<'a>(self, wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match closest(wrong, candidates) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None => self,
        }
    }
}

/// One located error, as plain data (for tests and tools).
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Option<String>,
}

/// Every error found in one resolution, with the sources needed to show them.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub sources: SourceMap,
    pub errors: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn located(&self) -> Vec<Located> {
        self.errors
            .iter()
            .map(|d| {
                let (file, line, col) = match d.span {
                    Some(s) => {
                        let (line, col, _) = self.sources.locate(s.file, s.start);
                        (self.sources.file(s.file).name.clone(), line, col)
                    }
                    None => (String::new(), 0, 0),
                };
                Located {
                    file,
                    line,
                    col,
                    message: d.message.clone(),
                    help: d.help.clone(),
                }
            })
            .collect()
    }

    /// The errors as a compiler would print them: the first [`MAX_SHOWN`] in full, then how
    /// many more there are. Source lines are cut around the caret, and characters that could
    /// hide or reorder text (controls, bidi marks, byte-order marks) are shown escaped.
    pub fn render(&self) -> String {
        self.render_then("nothing was run")
    }

    /// Like [`Diagnostics::render`], the count line ending with `outcome` (what was, or was
    /// not, run).
    pub fn render_then(&self, outcome: &str) -> String {
        let mut out = String::new();
        for d in self.errors.iter().take(MAX_SHOWN) {
            let _ = writeln!(out, "error: {}", shown_text(&d.message));
            if let Some(span) = d.span {
                let (line, col, text) = self.sources.locate(span.file, span.start);
                let name = escape_text(&self.sources.file(span.file).name);
                let gutter = line.to_string().len();
                let width = caret_width(&self.sources.file(span.file).text, span, text, col);
                let cut = Snippet::around(text, col - 1, width);
                let _ = writeln!(out, "{:gutter$}--> {name}:{line}:{col}", "");
                let _ = writeln!(out, "{:gutter$} |", "");
                let _ = writeln!(out, "{line} | {}", cut.text);
                let _ = writeln!(
                    out,
                    "{:gutter$} | {}{}",
                    "",
                    " ".repeat(cut.caret_at),
                    "^".repeat(cut.caret_width)
                );
            }
            if let Some(help) = &d.help {
                let _ = writeln!(out, "  = help: {}", shown_text(help));
            }
            out.push('\n');
        }
        let n = self.errors.len();
        if n > MAX_SHOWN {
            let _ = writeln!(out, "... and {} more errors not shown", n - MAX_SHOWN);
        }
        let _ = writeln!(
            out,
            "{n} error{} found; {outcome}",
            if n == 1 { "" } else { "s" }
        );
        out
    }
}

/// How many errors are shown in full; a file with thousands of errors gets a count of the
/// rest, so the report stays short and quick to build.
pub const MAX_SHOWN: usize = 50;

/// How many characters of a source line a snippet shows at most.
const SNIPPET_CHARS: usize = 120;
/// How many of them come before the caret when the line is cut.
const SNIPPET_BEFORE: usize = 40;

/// Characters that must not reach a terminal as they are: controls, bidi embeddings and
/// isolates (which can make text read differently than it is), invisible marks.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
            | '\u{061c}' | '\u{feff}')
}

fn escaped(c: char) -> String {
    if c == '\t' {
        " ".into()
    } else if is_hidden(c) {
        c.escape_unicode().to_string()
    } else {
        c.to_string()
    }
}

/// `text` with every hidden character written as `\u{...}` (and tabs as spaces).
pub fn escape_text(text: &str) -> String {
    if !text.chars().any(|c| c == '\t' || is_hidden(c)) {
        return text.to_string();
    }
    text.chars().map(escaped).collect()
}

/// How many characters of a message or hint are shown (they can quote a huge value).
const MESSAGE_CHARS: usize = 400;

/// A message as printed: escaped, and cut after [`MESSAGE_CHARS`] characters.
fn shown_text(text: &str) -> String {
    match text.char_indices().nth(MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}...", escape_text(&text[..cut])),
        None => escape_text(text),
    }
}

/// The part of a source line shown under an error, and where its caret goes.
#[derive(Debug, PartialEq)]
struct Snippet {
    text: String,
    /// Columns of text before the caret, as displayed.
    caret_at: usize,
    caret_width: usize,
}

impl Snippet {
    /// The line around the `width` characters starting at character `at`: at most
    /// [`SNIPPET_CHARS`] of them, cut ends marked with `...`, hidden characters escaped.
    fn around(line: &str, at: usize, width: usize) -> Snippet {
        let first = at.saturating_sub(SNIPPET_BEFORE);
        let shown: Vec<char> = line.chars().skip(first).take(SNIPPET_CHARS + 1).collect();
        let mut text = String::from(if first > 0 { "..." } else { "" });
        let mut caret_at = text.len();
        let mut caret_width = 0;
        for (i, &c) in shown.iter().take(SNIPPET_CHARS).enumerate() {
            let e = escaped(c);
            let n = e.chars().count();
            let pos = first + i;
            if pos < at {
                caret_at += n;
            } else if pos < at + width {
                caret_width += n;
            }
            text.push_str(&e);
        }
        if shown.len() > SNIPPET_CHARS {
            text.push_str("...");
        }
        Snippet {
            text,
            caret_at,
            caret_width: caret_width.max(1),
        }
    }
}

/// Carets under the span, clipped to the end of its first line and at least one wide.
fn caret_width(text: &str, span: Span, line: &str, col: usize) -> usize {
    let end = span.end.min(text.len()).max(span.start);
    let spanned = text.get(span.start..end).unwrap_or("");
    let first_line = spanned.split('\n').next().unwrap_or("");
    let room = line.chars().count().saturating_sub(col - 1);
    first_line.chars().count().min(room).max(1)
}

/// How many candidates a suggestion looks at: enough for any real file, and a bound on the
/// work when a generated file declares thousands of names and misspells thousands more.
const MAX_CANDIDATES: usize = 1_000;

/// The candidate closest to `wrong` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = wrong.chars().count();
    let limit = (len / 3).max(1);
    candidates
        .into_iter()
        .take(MAX_CANDIDATES)
        // Lengths further apart than the limit cannot be within it.
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        .map(|c| (edit_distance(wrong, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit
/// (optimal string alignment), so `tua` is one typo away from `tau`. Three rolling rows.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            row[j] = best;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("tau", "tau"), 0);
        assert_eq!(edit_distance("tua", "tau"), 1);
        assert_eq!(edit_distance("gama", "gamma"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}tau = x{}", "a".repeat(10_000), "b".repeat(10_000));
        let s = Snippet::around(&line, 10_006, 1);
        assert!(s.text.len() < 2 * SNIPPET_CHARS, "{}", s.text);
        assert!(s.text.starts_with("...") && s.text.ends_with("..."));
        assert_eq!(&s.text[s.caret_at..s.caret_at + 1], "x");
    }

    #[test]
    fn hidden_characters_are_escaped_and_the_caret_follows() {
        let s = Snippet::around("a\u{202e}b = 1", 2, 1);
        assert_eq!(s.text, "a\\u{202e}b = 1");
        assert_eq!(&s.text[s.caret_at..s.caret_at + 1], "b");
        assert_eq!(escape_text("x\u{1b}[31m"), "x\\u{1b}[31m");
    }

    #[test]
    fn closest_ignores_far_candidates() {
        assert_eq!(closest("gama", ["gamma", "tau"]), Some("gamma"));
        assert_eq!(closest("zzzzzz", ["gamma", "tau"]), None);
    }
}
