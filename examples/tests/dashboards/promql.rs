//! Enough of PromQL to say which metrics and labels an expression reads: a tokenizer, and a
//! walk over its tokens that finds selectors (`metric{label="value"}`) and label lists
//! (`by (label)`, `on (label)`), each with the metrics it applies to.

/// One token of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A metric, label, function or keyword name.
    Ident(String),
    /// A quoted string, unescaped.
    Str(String),
    /// A number or a duration outside brackets (`0.05`, `5m` after `offset`).
    Number,
    /// A range or subquery, `[5m]` or `[$__rate_interval]`, skipped whole.
    Range,
    /// Operators and brackets: `{ } ( ) , = != =~ !~ == > < >= <= + - * / % ^`.
    Punct(&'static str),
}

const PUNCTUATION: [&str; 21] = [
    "!=", "=~", "!~", "==", ">=", "<=", "{", "}", "(", ")", ",", "=", ">", "<", "+", "-", "*", "/",
    "%", "^", "@",
];

/// The tokens of `expr`. Grafana's variables (`$name`, `${name}`, `$__rate_interval`) may
/// appear only inside strings and ranges, where they are read as text.
pub fn tokenize(expr: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = expr;
    while let Some(next) = rest.chars().next() {
        if next.is_whitespace() {
            rest = &rest[next.len_utf8()..];
        } else if next == '#' {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if next.is_ascii_alphabetic() || next == '_' || next == ':' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            tokens.push(Token::Ident(rest[..end].to_owned()));
            rest = &rest[end..];
        } else if next.is_ascii_digit() || next == '.' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                .unwrap_or(rest.len());
            tokens.push(Token::Number);
            rest = &rest[end..];
        } else if matches!(next, '"' | '\'' | '`') {
            let (text, after) = string(rest, next)?;
            tokens.push(Token::Str(text));
            rest = after;
        } else if next == '[' {
            let end = rest
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in {expr:?}"))?;
            tokens.push(Token::Range);
            rest = &rest[end + 1..];
        } else if let Some(punct) = PUNCTUATION.iter().find(|punct| rest.starts_with(**punct)) {
            tokens.push(Token::Punct(punct));
            rest = &rest[punct.len()..];
        } else {
            return Err(format!("unexpected {next:?} in {expr:?}"));
        }
    }
    Ok(tokens)
}

/// A quoted string at the start of `text`, and what follows it.
fn string(text: &str, quote: char) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' if quote != '`' => {
                let (_, escaped) = chars.next().ok_or("a string ends in `\\`")?;
                value.push(escaped);
            }
            c if c == quote => return Ok((value, &text[at + c.len_utf8()..])),
            c => value.push(c),
        }
    }
    Err(format!("unclosed string in {text:?}"))
}

/// `label op "value"` inside a selector's braces.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub label: String,
    pub op: &'static str,
    pub value: String,
}

/// A metric read by the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub metric: String,
    pub matchers: Vec<Matcher>,
    /// The token it starts at.
    at: usize,
}

/// Labels a clause groups or matches by, and the metrics they must be labels of.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// `by`, `without`, `on`, `ignoring`, `group_left` or `group_right`.
    pub clause: String,
    pub labels: Vec<String>,
    pub metrics: Vec<String>,
}

/// What an expression reads.
#[derive(Debug, Default, PartialEq)]
pub struct Query {
    pub selectors: Vec<Selector>,
    pub groupings: Vec<Grouping>,
}

/// Aggregations and functions an expression may call; another name before `(` is a
/// mistake (a misspelt function reads as a metric otherwise).
const FUNCTIONS: [&str; 22] = [
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "stddev",
    "topk",
    "bottomk",
    "quantile",
    "rate",
    "irate",
    "increase",
    "delta",
    "deriv",
    "abs",
    "clamp_min",
    "clamp_max",
    "max_over_time",
    "min_over_time",
    "avg_over_time",
    "changes",
    "resets",
];

/// Binary operators and modifiers that are words.
const WORD_OPERATORS: [&str; 6] = ["and", "or", "unless", "bool", "offset", "atan2"];

/// Clauses followed by a list of labels.
const LABEL_CLAUSES: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The selectors and label lists of `expr`.
pub fn read(expr: &str) -> Result<Query, String> {
    let tokens = tokenize(expr)?;
    let mut query = Query::default();
    // Label lists with the token range they apply to, resolved once every selector is known.
    let mut scopes: Vec<(String, Vec<String>, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let Token::Ident(word) = &tokens[at] else {
            if tokens[at] == Token::Punct("{") {
                return Err(format!("a selector without a metric name in {expr:?}"));
            }
            at += 1;
            continue;
        };
        let opens = tokens.get(at + 1) == Some(&Token::Punct("("));
        if LABEL_CLAUSES.contains(&word.as_str()) {
            let (labels, after) = if opens {
                label_list(&tokens, at + 1)?
            } else {
                (Vec::new(), at + 1)
            };
            let scope = match word.as_str() {
                // `sum by (l) (expr)` or `sum (expr) by (l)`.
                "by" | "without" if tokens.get(after) == Some(&Token::Punct("(")) => {
                    after..closing(&tokens, after)?
                }
                "by" | "without" => opening(&tokens, at.checked_sub(1).ok_or("`by` first")?)?..at,
                // Vector matching: the labels must be on both sides.
                _ => 0..tokens.len(),
            };
            scopes.push((word.clone(), labels, scope));
            at = after;
        } else if WORD_OPERATORS.contains(&word.as_str()) {
            at += 1;
        } else if FUNCTIONS.contains(&word.as_str())
            && matches!(tokens.get(at + 1), Some(Token::Ident(next)) if next == "by" || next == "without")
        {
            // `sum by (label) (...)`: an aggregation whose label list comes first.
            at += 1;
        } else if opens {
            if !FUNCTIONS.contains(&word.as_str()) {
                return Err(format!("unknown function `{word}` in {expr:?}"));
            }
            at += 1;
        } else {
            let mut selector = Selector {
                metric: word.clone(),
                matchers: Vec::new(),
                at,
            };
            at += 1;
            if tokens.get(at) == Some(&Token::Punct("{")) {
                let (matchers, after) = matchers(&tokens, at, expr)?;
                selector.matchers = matchers;
                at = after;
            }
            query.selectors.push(selector);
        }
    }
    for (clause, labels, scope) in scopes {
        let metrics = query
            .selectors
            .iter()
            .filter(|selector| scope.contains(&selector.at))
            .map(|selector| selector.metric.clone())
            .collect();
        query.groupings.push(Grouping {
            clause,
            labels,
            metrics,
        });
    }
    Ok(query)
}

/// `(a, b)` at `open`: the names, and the token after `)`.
fn label_list(tokens: &[Token], open: usize) -> Result<(Vec<String>, usize), String> {
    let mut labels = Vec::new();
    let mut at = open + 1;
    loop {
        match tokens.get(at) {
            Some(Token::Ident(label)) => labels.push(label.clone()),
            Some(Token::Punct(")")) => return Ok((labels, at + 1)),
            other => return Err(format!("expected a label in a list, found {other:?}")),
        }
        at += 1;
        match tokens.get(at) {
            Some(Token::Punct(",")) => at += 1,
            Some(Token::Punct(")")) => return Ok((labels, at + 1)),
            other => {
                return Err(format!(
                    "expected `,` or `)` in a label list, found {other:?}"
                ));
            }
        }
    }
}

/// `{label op "value", ...}` at `open`: the matchers, and the token after `}`.
fn matchers(tokens: &[Token], open: usize, expr: &str) -> Result<(Vec<Matcher>, usize), String> {
    let mut matchers = Vec::new();
    let mut at = open + 1;
    loop {
        if tokens.get(at) == Some(&Token::Punct("}")) {
            return Ok((matchers, at + 1));
        }
        let (Some(Token::Ident(label)), Some(Token::Punct(op)), Some(Token::Str(value))) =
            (tokens.get(at), tokens.get(at + 1), tokens.get(at + 2))
        else {
            return Err(format!("a malformed label matcher in {expr:?}"));
        };
        if !matches!(*op, "=" | "!=" | "=~" | "!~") {
            return Err(format!("`{op}` is not a label matcher in {expr:?}"));
        }
        matchers.push(Matcher {
            label: label.clone(),
            op,
            value: value.clone(),
        });
        at += 3;
        if tokens.get(at) == Some(&Token::Punct(",")) {
            at += 1;
        }
    }
}

/// The index of the `)` that closes the `(` at `open`.
fn closing(tokens: &[Token], open: usize) -> Result<usize, String> {
    let mut depth = 0;
    for (at, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct("(") => depth += 1,
            Token::Punct(")") if depth == 1 => return Ok(at),
            Token::Punct(")") => depth -= 1,
            _ => {}
        }
    }
    Err("an unclosed `(`".to_owned())
}

/// The index of the `(` that the `)` at `close` closes.
fn opening(tokens: &[Token], close: usize) -> Result<usize, String> {
    if tokens[close] != Token::Punct(")") {
        return Err("`by` after something that is not a parenthesized expression".to_owned());
    }
    let mut depth = 0;
    for at in (0..=close).rev() {
        match tokens[at] {
            Token::Punct(")") => depth += 1,
            Token::Punct("(") if depth == 1 => return Ok(at),
            Token::Punct("(") => depth -= 1,
            _ => {}
        }
    }
    Err("an unopened `)`".to_owned())
}

#[test]
fn reads_selectors_matchers_and_label_lists() {
    let query = read(
        r#"sum by (name, outcome) (rate(calls_total{layer="retry", name=~"$name"}[$__rate_interval]))
           / on (name) group_left sum(rate(other[5m])) by (name) > 0.05"#,
    )
    .unwrap();
    let metrics: Vec<&str> = query.selectors.iter().map(|s| s.metric.as_str()).collect();
    assert_eq!(metrics, ["calls_total", "other"]);
    assert_eq!(
        query.selectors[0].matchers,
        [
            Matcher {
                label: "layer".into(),
                op: "=",
                value: "retry".into()
            },
            Matcher {
                label: "name".into(),
                op: "=~",
                value: "$name".into()
            },
        ]
    );
    let groupings: Vec<(&str, Vec<&str>, Vec<&str>)> = query
        .groupings
        .iter()
        .map(|g| {
            (
                g.clause.as_str(),
                g.labels.iter().map(String::as_str).collect(),
                g.metrics.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        groupings,
        [
            ("by", vec!["name", "outcome"], vec!["calls_total"]),
            ("on", vec!["name"], vec!["calls_total", "other"]),
            ("group_left", vec![], vec!["calls_total", "other"]),
            ("by", vec!["name"], vec!["other"]),
        ]
    );
}

#[test]
fn rejects_what_it_cannot_check() {
    assert!(read(r#"{__name__="x"}"#).is_err());
    assert!(read("ratee(x[5m])").is_err());
    assert!(read(r#"x{name=~"unclosed}"#).is_err());
    assert!(read("x{name}").is_err());
    assert!(read("sum by (name x)").is_err());
    assert!(read("x[5m").is_err());
}
