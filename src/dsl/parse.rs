//! From text to `FileAst`: pest does the parsing, this module turns its pairs into typed nodes
//! with spans and its errors into diagnostics that say what was expected in words.

use super::ast::*;
use super::diagnostics::Diagnostic;
use super::scan;
use super::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/pipe.pest"]
struct PipeParser;

/// Deeper nesting than this is refused before parsing, so no input can exhaust the stack.
pub const MAX_NESTING: usize = 64;

/// Parses one `.pipe` file. Errors: the first syntax error (pest stops there), or bad literals
/// (all of them).
pub fn parse_file(file: FileId, text: &str) -> Result<FileAst, Vec<Diagnostic>> {
    check_nesting(file, text)?;
    // Detailed attempts let errors name the literal that was expected (`=`, `}`).
    pest::set_error_detail(true);
    let pairs =
        PipeParser::parse(Rule::file, text).map_err(|e| vec![syntax_error(file, text, e)])?;
    let mut builder = Builder {
        file,
        offset: 0,
        errors: Vec::new(),
    };
    let mut ast = FileAst::default();
    for pair in pairs.flatten().filter(|p| p.as_rule() == Rule::file) {
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::import => ast.imports.push(builder.import(item)),
                Rule::stage_decl => ast.stages.push(builder.stage_decl(item)),
                Rule::pipeline_decl => ast.pipelines.push(builder.pipeline(item)),
                Rule::sequence_decl => ast.sequences.push(builder.sequence(item)),
                _ => {}
            }
        }
    }
    if builder.errors.is_empty() {
        Ok(ast)
    } else {
        Err(builder.errors)
    }
}

/// Parses the VALUE of a `--set stage.param=VALUE`; `full` is the whole argument and the
/// value starts at byte `offset` of it.
pub fn parse_value(file: FileId, full: &str, offset: usize) -> Result<ValueNode, Vec<Diagnostic>> {
    let text = &full[offset..];
    let shift = |mut d: Diagnostic| {
        if let Some(s) = d.span.as_mut() {
            s.start += offset;
            s.end += offset;
        }
        d
    };
    check_nesting(file, text).map_err(|e| e.into_iter().map(shift).collect::<Vec<_>>())?;
    let mut pairs = PipeParser::parse(Rule::set_value, text)
        .map_err(|e| vec![shift(syntax_error(file, text, e))])?;
    let mut builder = Builder {
        file,
        offset,
        errors: Vec::new(),
    };
    let value = pairs
        .next()
        .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::value))
        .map(|p| builder.value(p));
    match value {
        Some(v) if builder.errors.is_empty() => Ok(v),
        _ if !builder.errors.is_empty() => Err(builder.errors),
        _ => Err(vec![Diagnostic::at(
            Span {
                file,
                start: offset,
                end: full.len(),
            },
            "expected a value",
        )]),
    }
}

struct Builder {
    file: FileId,
    /// Added to every span: a `--set` value is parsed on its own but located in its argument.
    offset: usize,
    errors: Vec<Diagnostic>,
}

impl Builder {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span {
            file: self.file,
            start: self.offset + s.start(),
            end: self.offset + s.end(),
        }
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn import(&mut self, pair: Pair<Rule>) -> Import {
        let string = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::string)
            .expect("grammar: import has a string");
        let span = self.span(&string);
        Import {
            path: self.string(string),
            span,
        }
    }

    fn stage_decl(&mut self, pair: Pair<Rule>) -> StageDecl {
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_stage);
        let name = self.ident(inner.next().expect("grammar: stage name"));
        let expr = self.stage_expr(inner.next().expect("grammar: stage expression"));
        StageDecl { name, expr }
    }

    fn stage_expr(&mut self, pair: Pair<Rule>) -> StageExpr {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let base = self.ident(inner.next().expect("grammar: stage base"));
        let params = self.block(inner.next().expect("grammar: stage block"));
        StageExpr { base, params, span }
    }

    fn block(&mut self, pair: Pair<Rule>) -> Vec<Param> {
        pair.into_inner().map(|p| self.param(p)).collect()
    }

    fn param(&mut self, pair: Pair<Rule>) -> Param {
        let mut inner = pair.into_inner();
        let name = self.ident(inner.next().expect("grammar: parameter name"));
        let value = self.value(inner.next().expect("grammar: parameter value"));
        Param { name, value }
    }

    fn value(&mut self, pair: Pair<Rule>) -> ValueNode {
        let span = self.span(&pair);
        let inner = pair
            .into_inner()
            .next()
            .expect("grammar: value has one child");
        let kind = match inner.as_rule() {
            Rule::int => match inner.as_str().parse::<i64>() {
                Ok(i) => ValueKind::Int(i),
                Err(_) => {
                    self.errors.push(
                        Diagnostic::at(span, format!("integer `{}` is too large", inner.as_str()))
                            .help("integers must fit in 64 bits; write a float (e.g. 1e30) if you meant a real number"),
                    );
                    ValueKind::Int(0)
                }
            },
            Rule::float => match inner.as_str().parse::<f64>() {
                Ok(x) if x.is_finite() => ValueKind::Float(x),
                _ => {
                    self.errors.push(
                        Diagnostic::at(span, format!("number `{}` is not finite", inner.as_str()))
                            .help("floats must lie within about ±1.8e308"),
                    );
                    ValueKind::Float(0.0)
                }
            },
            Rule::boolean => ValueKind::Bool(inner.as_str() == "true"),
            Rule::string => ValueKind::Str(self.string(inner)),
            Rule::list => ValueKind::List(inner.into_inner().map(|p| self.value(p)).collect()),
            Rule::nested => {
                let span = self.span(&inner);
                let mut parts = inner.into_inner();
                let base = self.ident(parts.next().expect("grammar: nested base"));
                let params = self.block(parts.next().expect("grammar: nested block"));
                ValueKind::Stage(StageExpr { base, params, span })
            }
            Rule::reference => ValueKind::Reference(
                self.ident(inner.into_inner().next().expect("grammar: reference name")),
            ),
            other => unreachable!("grammar: unexpected value rule {other:?}"),
        };
        ValueNode { kind, span }
    }

    /// The contents of a string literal with escapes applied.
    fn string(&mut self, pair: Pair<Rule>) -> String {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                other => {
                    let shown = other.map_or(String::new(), |c| c.to_string());
                    self.errors.push(
                        Diagnostic::at(span, format!("unknown escape `\\{shown}` in string"))
                            .help(r#"the escapes are \n, \t, \" and \\"#),
                    );
                }
            }
        }
        out
    }

    /// The optional `default`, the declaring keyword and the name that open a pipeline or
    /// a sequence; the rest of the pairs follow in `inner`.
    fn heading<'i>(
        &mut self,
        inner: &mut impl Iterator<Item = Pair<'i, Rule>>,
    ) -> (Option<Span>, Span, Ident) {
        let mut default = None;
        let mut keyword = None;
        for pair in inner.by_ref() {
            match pair.as_rule() {
                Rule::kw_default => default = Some(self.span(&pair)),
                Rule::kw_pipeline | Rule::kw_sequence => keyword = Some(self.span(&pair)),
                _ => {
                    let keyword = keyword.expect("grammar: a keyword before the name");
                    return (default, keyword, self.ident(pair));
                }
            }
        }
        unreachable!("grammar: a declaration has a name")
    }

    fn pipeline(&mut self, pair: Pair<Rule>) -> PipelineDecl {
        let mut inner = pair.into_inner();
        let (default, keyword, name) = self.heading(&mut inner);
        let mut decl = PipelineDecl {
            keyword,
            default,
            name,
            chains: Vec::new(),
            settings: Vec::new(),
        };
        for item in inner {
            match item.as_rule() {
                Rule::setting => decl.settings.push(self.param(item)),
                Rule::chain => decl.chains.push(
                    item.into_inner()
                        .filter(|p| p.as_rule() == Rule::ident)
                        .map(|p| self.ident(p))
                        .collect(),
                ),
                _ => {}
            }
        }
        decl
    }

    fn sequence(&mut self, pair: Pair<Rule>) -> SequenceDecl {
        let mut inner = pair.into_inner();
        let (default, keyword, name) = self.heading(&mut inner);
        let steps = inner
            .filter(|p| p.as_rule() == Rule::step)
            .map(|p| self.step(p))
            .collect();
        SequenceDecl {
            keyword,
            default,
            name,
            steps,
        }
    }

    fn step(&mut self, pair: Pair<Rule>) -> StepDecl {
        let mut inner = pair.into_inner();
        let pipeline = self.ident(inner.next().expect("grammar: step names a pipeline"));
        let sets = inner
            .flat_map(|block| block.into_inner())
            .filter_map(|set| self.step_set(set))
            .collect();
        StepDecl { pipeline, sets }
    }

    /// `stage.param = value` or `setting = value`; a longer name is an error.
    fn step_set(&mut self, pair: Pair<Rule>) -> Option<StepSet> {
        let mut inner = pair.into_inner();
        let key = inner.next().expect("grammar: step set has a name");
        let value = self.value(inner.next().expect("grammar: step set has a value"));
        let span = self.span(&key);
        let text = key.as_str();
        let part = |start: usize, name: &str| Ident {
            name: name.to_string(),
            span: Span {
                file: span.file,
                start: span.start + start,
                end: span.start + start + name.len(),
            },
        };
        let (stage, param) = match text.split('.').collect::<Vec<_>>().as_slice() {
            [setting] => (None, part(0, setting)),
            [stage, param] => (Some(part(0, stage)), part(stage.len() + 1, param)),
            _ => {
                self.errors.push(
                    Diagnostic::at(span, format!("`{text}` is not STAGE.PARAM or SETTING"))
                        .help("a step sets a stage's parameter (`lm.model = \"DIR\"`) or a pipeline setting (`seed = 1`)"),
                );
                return None;
            }
        };
        Some(StepSet {
            stage,
            param: Param { name: param, value },
        })
    }
}

/// Refuses brackets nested deeper than `MAX_NESTING`, before pest recurses into them.
fn check_nesting(file: FileId, text: &str) -> Result<(), Vec<Diagnostic>> {
    let mut depth = 0usize;
    for (i, c) in scan::brackets(text) {
        if matches!(c, '[' | '{') {
            depth += 1;
            if depth > MAX_NESTING {
                let span = Span {
                    file,
                    start: i,
                    end: i + 1,
                };
                return Err(vec![Diagnostic::at(
                    span,
                    format!("brackets nested more than {MAX_NESTING} levels deep"),
                )
                .help("flatten the value; no pipeline needs this much nesting")]);
            }
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

/// A pest error in words: what was expected at the failing position and what was found there.
fn syntax_error(file: FileId, text: &str, error: pest::error::Error<Rule>) -> Diagnostic {
    let (pos, expected) = expectations(&error);
    let pos = pos.min(text.len());
    let found = token_at(text, pos);
    let span = Span {
        file,
        start: pos,
        end: pos + found.len().max(1),
    };
    if let Some(open) = scan::unterminated_string(text).filter(|&open| open <= pos) {
        return Diagnostic::at(
            Span {
                file,
                start: open,
                end: open + 1,
            },
            "unterminated string",
        )
        .help("close the string with `\"` on the same line");
    }
    if let Some(word) = keyword_used_as_name(text, pos) {
        return Diagnostic::at(
            Span {
                file,
                start: word.0,
                end: word.1,
            },
            format!(
                "`{}` is a keyword and cannot name a stage or pipeline",
                &text[word.0..word.1]
            ),
        )
        .help("pick another name");
    }
    if found == ">" && text[..pos].ends_with('=') {
        return Diagnostic::at(
            Span {
                file,
                start: pos - 1,
                end: pos + 1,
            },
            "`=>` is not an arrow",
        )
        .help("wire stages with `->`: `source -> credit -> sink`");
    }
    if found == "{" && expected.iter().any(|e| e == "`->`") {
        return block_in_pipeline(file, text, pos);
    }
    if found.is_empty() {
        if let Some((open, c)) = unclosed_bracket(text) {
            let close = if c == '{' { '}' } else { ']' };
            return Diagnostic::at(
                Span {
                    file,
                    start: open,
                    end: open + 1,
                },
                format!("this `{c}` is never closed"),
            )
            .help(format!("add the missing `{close}`"));
        }
    }
    let found_text = match found {
        "" => "end of file".to_string(),
        "\n" | "\r" => "end of line".to_string(),
        " " | "\t" => "a space".to_string(),
        other => format!("`{other}`"),
    };
    let message = match expected.as_slice() {
        [] => format!("unexpected {found_text}"),
        [one] => format!("expected {one}, found {found_text}"),
        many => format!("expected one of {}, found {found_text}", many.join(", ")),
    };
    Diagnostic::at(span, message).help(hint(&expected, found))
}

/// Where parsing got furthest and what, in words, would have let it go on: literal tokens
/// (`=`, `}`) from pest's detailed attempts, rule names otherwise.
fn expectations(error: &pest::error::Error<Rule>) -> (usize, Vec<String>) {
    let pest_pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((p, _)) => p,
    };
    let mut words: Vec<String> = Vec::new();
    let mut pos = pest_pos;
    if let Some(attempts) = error
        .parse_attempts()
        .filter(|a| a.max_position >= pest_pos)
    {
        pos = attempts.max_position;
        // pest does not export its token type, so tokens are read through their Display:
        // literals print as themselves, character ranges as `0..9` or `a..z`.
        for token in attempts.expected_tokens() {
            let token = token.to_string();
            if !(token.trim().is_empty() || token == "#") {
                words.push(token_in_words(&token));
            }
        }
        if words.is_empty() {
            for stack in attempts.call_stacks() {
                if let Some(rule) = stack.parent.filter(|r| *r != Rule::file) {
                    words.push(describe(rule).to_string());
                }
            }
        }
    }
    // A value can start many ways; name it once rather than by every first character.
    const VALUE_STARTS: [&str; 4] = ["a string", "a number", "a list", "`true` or `false`"];
    if VALUE_STARTS.iter().all(|v| words.iter().any(|w| w == v)) {
        words.retain(|w| !VALUE_STARTS.contains(&w.as_str()) && w != "a name");
        words.push("a value".into());
    }
    if words.is_empty() {
        if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
            words = positives.iter().map(|r| describe(*r).to_string()).collect();
        }
    }
    words.sort_unstable();
    words.dedup();
    (pos, words)
}

/// What an expected first character or keyword stands for.
fn token_in_words(token: &str) -> String {
    match token {
        "\"" => "a string".into(),
        "[" => "a list".into(),
        "-" => "a number".into(),
        "true" | "false" => "`true` or `false`".into(),
        "_" => "a name".into(),
        t => match t.split_once("..") {
            Some((start, _)) if start.starts_with(|c: char| c.is_ascii_digit()) => {
                "a number".into()
            }
            Some(_) if t.chars().count() == 4 => "a name".into(),
            _ => format!("`{t}`"),
        },
    }
}

/// `name { ... }` inside a pipeline body (only a chain can stand before a `{` there): a
/// section or an inline stage, neither of which a pipeline takes. Points at the name.
fn block_in_pipeline(file: FileId, text: &str, brace: usize) -> Diagnostic {
    let before = text[..brace].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| i + 1);
    let name = &before[start..];
    Diagnostic::at(
        Span {
            file,
            start,
            end: before.len().max(start + 1),
        },
        format!("`{name} {{ ... }}` in a pipeline: pipelines hold settings and one chain, not blocks"),
    )
    .help("write settings as `name = value` (`seed = 1`); a stage's parameters go in its declaration, `stage NAME = kind { ... }`")
}

/// The first bracket that is opened and never closed.
fn unclosed_bracket(text: &str) -> Option<(usize, char)> {
    let mut open: Vec<(usize, char)> = Vec::new();
    for (i, c) in scan::brackets(text) {
        if matches!(c, '[' | '{') {
            open.push((i, c));
        } else {
            open.pop();
        }
    }
    open.first().copied()
}

/// The span of a keyword written where a declaration's name goes (`stage pipeline = ...`),
/// when parsing failed right after it.
fn keyword_used_as_name(text: &str, pos: usize) -> Option<(usize, usize)> {
    let before = text.get(..pos)?.trim_end();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = before.rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let word = &before[start..];
    let declarer = before[..start].trim_end();
    let keyword = ["import", "stage", "pipeline", "true", "false"].contains(&word);
    let after_declarer = ["stage", "pipeline", "sequence"]
        .iter()
        .any(|d| declarer.ends_with(d));
    (keyword && after_declarer).then_some((start, before.len()))
}

/// The word or symbol at `pos`, for "found `...`".
fn token_at(text: &str, pos: usize) -> &str {
    let Some(rest) = text.get(pos..) else {
        return "";
    };
    let Some(first) = rest.chars().next() else {
        return "";
    };
    let end = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else if rest.starts_with("->") {
        2
    } else {
        first.len_utf8()
    };
    &rest[..end]
}

fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::import | Rule::kw_import => "`import`",
        Rule::stage_decl | Rule::kw_stage => "`stage`",
        Rule::pipeline_decl | Rule::kw_pipeline => "`pipeline`",
        Rule::sequence_decl | Rule::kw_sequence => "`sequence`",
        Rule::kw_default => "`default`",
        Rule::step => "a pipeline name",
        Rule::step_block | Rule::step_set => "a parameter (`name = value`)",
        Rule::ident | Rule::dotted | Rule::keyword => "a name",
        Rule::stage_expr | Rule::nested => "a stage kind or stage name",
        Rule::block => "`{`",
        Rule::param | Rule::setting => "a parameter (`name = value`)",
        Rule::chain | Rule::arrow => "`->`",
        Rule::value | Rule::set_value | Rule::reference => "a value",
        Rule::float | Rule::int => "a number",
        Rule::boolean => "`true` or `false`",
        Rule::string | Rule::chars => "a string",
        Rule::list => "a list",
        Rule::file => "a declaration",
        _ => "a declaration",
    }
}

/// A fix for the most common slips.
fn hint(expected: &[String], found: &str) -> String {
    let expects = |what: &str| expected.iter().any(|e| e == what);
    if found.is_empty() && (expects("`{`") || expects("a parameter (`name = value`)")) {
        return "a `{` is not closed: add the missing `}`".into();
    }
    if ["import", "stage", "pipeline", "true", "false"].contains(&found) && expects("a name") {
        return format!("`{found}` is a keyword; pick another name");
    }
    if expects("`pipeline`") && expects("`sequence`") && !expects("`stage`") {
        return "`default` marks the pipeline or sequence `proxmo run FILE` runs: `default pipeline NAME { ... }`".into();
    }
    if expects("`stage`") || expects("`pipeline`") {
        return "a file holds `import \"file.pipe\"`, `stage NAME = kind { ... }`, `pipeline NAME { a -> b }` and `sequence NAME { a  b }` declarations".into();
    }
    if expected.len() == 1 && expects("`=`") {
        return "a stage is declared as `stage NAME = kind { ... }` and a parameter as `name = value`".into();
    }
    if expects("a value") {
        return "values are numbers (1, 0.5, 1e-6), true/false, \"strings\", [lists] or stages (kind { ... })".into();
    }
    if found == "=" && expects("`{`") {
        return "a stage's parameters go inside braces: `stage NAME = kind { param = value }`"
            .into();
    }
    "see docs/pipe-language.md".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_at(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    #[test]
    fn default_marks_a_pipeline_and_the_keywords_keep_their_place() {
        let text = "pipeline a { s }\ndefault pipeline b { s }\n";
        let ast = parse_file(0, text).unwrap();
        let (a, b) = (&ast.pipelines[0], &ast.pipelines[1]);
        assert_eq!(a.default, None);
        assert_eq!(text_at(text, a.keyword), "pipeline");
        assert_eq!(text_at(text, b.default.unwrap()), "default");
        assert_eq!((b.keyword.start, b.name.name.as_str()), (25, "b"));
    }

    #[test]
    fn a_sequence_holds_its_steps_and_what_each_sets() {
        let text = "default sequence both {\n  first\n  second { lm.model = first.learn.save; seed = 2 }\n}\n";
        let ast = parse_file(0, text).unwrap();
        let seq = &ast.sequences[0];
        assert_eq!(text_at(text, seq.default.unwrap()), "default");
        assert_eq!(text_at(text, seq.keyword), "sequence");
        let steps: Vec<&str> = seq.steps.iter().map(|s| s.pipeline.name.as_str()).collect();
        assert_eq!(steps, ["first", "second"]);
        assert!(seq.steps[0].sets.is_empty());
        let sets = &seq.steps[1].sets;
        let stage = sets[0].stage.as_ref().unwrap();
        assert_eq!(text_at(text, stage.span), "lm");
        assert_eq!(text_at(text, sets[0].param.name.span), "model");
        match &sets[0].param.value.kind {
            ValueKind::Reference(r) => assert_eq!(r.name, "first.learn.save"),
            other => panic!("{other:?}"),
        }
        assert!(sets[1].stage.is_none());
        assert_eq!(sets[1].param.name.name, "seed");
        assert_eq!(sets[1].param.value.kind, ValueKind::Int(2));
    }

    #[test]
    fn default_and_sequence_still_name_stages_and_parameters() {
        let text = "stage default = advantage.grpo { }\nstage sequence = default { default = 1 }\npipeline default { default }\n";
        let ast = parse_file(0, text).unwrap();
        assert_eq!(ast.stages[1].name.name, "sequence");
        assert_eq!(ast.stages[1].expr.params[0].name.name, "default");
        assert_eq!(ast.pipelines[0].name.name, "default");
    }

    #[test]
    fn a_step_set_with_a_longer_name_is_an_error_at_the_name() {
        let text = "sequence s { p { a.b.c = 1 } }";
        let errors = parse_file(0, text).unwrap_err();
        assert_eq!(errors[0].message, "`a.b.c` is not STAGE.PARAM or SETTING");
        assert_eq!(text_at(text, errors[0].span.unwrap()), "a.b.c");
    }

    #[test]
    fn default_before_anything_but_a_pipeline_or_sequence_says_what_it_marks() {
        let errors = parse_file(0, "default stage x = advantage.grpo { }").unwrap_err();
        assert_eq!(
            errors[0].message,
            "expected one of `pipeline`, `sequence`, found `stage`"
        );
        assert!(errors[0]
            .help
            .as_deref()
            .unwrap()
            .contains("default pipeline NAME"));
    }
}
