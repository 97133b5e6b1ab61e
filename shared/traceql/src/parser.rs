//! Hand-written recursive-descent TraceQL parser following Tempo's `expr.y`.
//!
//! Stage 1 (this module) parses tokens into a generic operator tree (`Node`) with Tempo's
//! precedences (`|` < `&& ||` < comparisons and structural operators < `+ -` < `* / %` < `^`)
//! and fully parses field expressions, attributes and function calls. Stage 2
//! (`crate::builder`) checks where each piece may appear and builds the typed [`Query`].
//! Errors read like Tempo's: `parse error at line 1, col 5: syntax error: unexpected X`.

use crate::ast::*;
use crate::lexer::{lex, Tok, Token};

/// Parse failure. `line`/`col` are Tempo's (1-based; line 0 for tokens Tempo's scanner read
/// with `Next()`, and 0/0 for errors without position, printed `parse error : msg`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    /// Line (see type docs).
    pub line: usize,
    /// Column in characters.
    pub col: usize,
    /// Message, e.g. `syntax error: unexpected IDENTIFIER`.
    pub msg: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 && self.col == 0 {
            write!(f, "parse error : {}", self.msg)
        } else {
            write!(
                f,
                "parse error at line {}, col {}: {}",
                self.line, self.col, self.msg
            )
        }
    }
}

impl ParseError {
    /// Builds an error at a position.
    pub fn new(line: usize, col: usize, msg: String) -> Self {
        ParseError { line, col, msg }
    }
}

/// Parses a TraceQL query (spanset search or metrics query, with optional `with(…)` hints).
///
/// Errors: syntax errors with Tempo's texts and positions (`syntax error: unexpected $end`,
/// `… unexpected INTEGER, expecting { or (`), unknown identifiers used as values
/// (`unknown identifier: foo`), invalid literals, duration misuse in constant arithmetic.
/// Semantic validation (types, regex syntax) is not done here.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    let toks = lex(input)?;
    parse_tokens(toks, false)
}

/// Parses a bare attribute or intrinsic (`span.http.method`, `.foo`, `span."a b"`,
/// `duration`, `trace:id`), as Tempo's `ParseIdentifier` (used for tag names in the search
/// API and span filter configs): the text is parsed as `{<s>}` and must be exactly one
/// attribute.
///
/// Errors: `failed to parse identifier <s>: <reason>` (line/col 0).
pub fn parse_identifier(s: &str) -> Result<Attribute, ParseError> {
    let fail =
        |why: String| ParseError::new(0, 0, format!("failed to parse identifier {s}: {why}"));
    let q = parse(&format!("{{{s}}}")).map_err(|e| fail(e.to_string()))?;
    match q {
        Query {
            body: Body::Spans(PipelineExpr::Pipeline(Pipeline { stages })),
            hints,
        } if hints.is_empty() && stages.len() == 1 => match stages.into_iter().next() {
            Some(Stage::Spanset(SpansetExpr::Filter(FieldExpr::Attribute(a)))) => Ok(a),
            _ => Err(fail("expected a single attribute".into())),
        },
        _ => Err(fail("expected a single attribute".into())),
    }
}

/// `nested` parses (prefix checks for `expecting with`) do no further prefix checks, which
/// keeps error reporting linear.
fn parse_tokens(toks: Vec<Token>, nested: bool) -> Result<Query, ParseError> {
    let mut p = Parser {
        toks,
        pos: 0,
        nested,
    };
    let node = p.top(0)?;
    if !matches!(p.peek(), Tok::Eof) && !p.peek().is("with") {
        return Err(p.unexpected_after_root());
    }
    let body = crate::builder::Builder { p: &p }.body(&node)?;
    let mut hints = Vec::new();
    while p.peek().is("with") {
        p.next();
        p.expect("(")?;
        loop {
            let name = match p.peek().clone() {
                Tok::Ident(s) => {
                    p.next();
                    s
                }
                _ => return Err(p.unexpected("IDENTIFIER")),
            };
            p.expect("=")?;
            let value = p.static_value()?.ok_or_else(|| p.unexpected(""))?;
            hints.push(Hint { name, value });
            if p.eat(",") {
                continue;
            }
            p.expect(")")?;
            break;
        }
    }
    if *p.peek() != Tok::Eof {
        return Err(p.unexpected_after_root());
    }
    Ok(Query { body, hints })
}

/// Operators of the generic tree (between pipeline-level items).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopOp {
    Pipe,
    And,
    Or,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    /// A structural operator other than `>`, `<` (which are `Gt`, `Lt` until classified).
    Struct(SpansetOp),
    Arith(ArithOp),
}

/// Generic pipeline-level item.
#[derive(Debug, Clone)]
pub(crate) enum G {
    Filter(FieldExpr),
    Agg(Aggregate),
    Lit(Static),
    By(FieldExpr),
    Select(Vec<Attribute>),
    Coalesce,
    Metrics(MetricsFunction),
    TopK(bool, i64),
    Neg(Box<Node>),
    Paren(Box<Node>),
    Bin(TopOp, Box<Node>, Box<Node>),
}

/// Generic node with token span `[start, end)` and, for `Bin`, the operator token index.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub g: G,
    pub start: usize,
    pub end: usize,
    pub op: usize,
}

pub(crate) struct Parser {
    pub toks: Vec<Token>,
    pub pos: usize,
    nested: bool,
}

fn top_op(t: &Tok) -> Option<(TopOp, u8)> {
    let Tok::Sym(s) = t else { return None };
    Some(match *s {
        "|" => (TopOp::Pipe, 1),
        "&&" => (TopOp::And, 2),
        "||" => (TopOp::Or, 2),
        "=" => (TopOp::Eq, 3),
        "!=" => (TopOp::Neq, 3),
        "<" => (TopOp::Lt, 3),
        "<=" => (TopOp::Lte, 3),
        ">" => (TopOp::Gt, 3),
        ">=" => (TopOp::Gte, 3),
        ">>" => (TopOp::Struct(SpansetOp::Descendant), 3),
        "<<" => (TopOp::Struct(SpansetOp::Ancestor), 3),
        "~" => (TopOp::Struct(SpansetOp::Sibling), 3),
        "!~" => (TopOp::Struct(SpansetOp::NotSibling), 3),
        "!>" => (TopOp::Struct(SpansetOp::NotChild), 3),
        "!<" => (TopOp::Struct(SpansetOp::NotParent), 3),
        "!>>" => (TopOp::Struct(SpansetOp::NotDescendant), 3),
        "!<<" => (TopOp::Struct(SpansetOp::NotAncestor), 3),
        "&>" => (TopOp::Struct(SpansetOp::UnionChild), 3),
        "&<" => (TopOp::Struct(SpansetOp::UnionParent), 3),
        "&>>" => (TopOp::Struct(SpansetOp::UnionDescendant), 3),
        "&<<" => (TopOp::Struct(SpansetOp::UnionAncestor), 3),
        "&~" => (TopOp::Struct(SpansetOp::UnionSibling), 3),
        "+" => (TopOp::Arith(ArithOp::Add), 4),
        "-" => (TopOp::Arith(ArithOp::Sub), 4),
        "*" => (TopOp::Arith(ArithOp::Mul), 6),
        "/" => (TopOp::Arith(ArithOp::Div), 6),
        "%" => (TopOp::Arith(ArithOp::Mod), 6),
        "^" => (TopOp::Arith(ArithOp::Pow), 7),
        _ => return None,
    })
}

fn field_op(t: &Tok) -> Option<(FieldOp, u8)> {
    let Tok::Sym(s) = t else { return None };
    Some(match *s {
        "&&" => (FieldOp::And, 2),
        "||" => (FieldOp::Or, 2),
        "=" => (FieldOp::Cmp(CmpOp::Eq), 3),
        "!=" => (FieldOp::Cmp(CmpOp::Neq), 3),
        "<" => (FieldOp::Cmp(CmpOp::Lt), 3),
        "<=" => (FieldOp::Cmp(CmpOp::Lte), 3),
        ">" => (FieldOp::Cmp(CmpOp::Gt), 3),
        ">=" => (FieldOp::Cmp(CmpOp::Gte), 3),
        "=~" => (FieldOp::Regex, 3),
        "!~" => (FieldOp::NotRegex, 3),
        "+" => (FieldOp::Arith(ArithOp::Add), 4),
        "-" => (FieldOp::Arith(ArithOp::Sub), 4),
        "*" => (FieldOp::Arith(ArithOp::Mul), 6),
        "/" => (FieldOp::Arith(ArithOp::Div), 6),
        "%" => (FieldOp::Arith(ArithOp::Mod), 6),
        "^" => (FieldOp::Arith(ArithOp::Pow), 7),
        _ => return None,
    })
}

impl Parser {
    pub(crate) fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.peek().is(s) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.unexpected(s))
        }
    }

    /// `syntax error: unexpected X[, expecting E]` at token index `idx`.
    pub(crate) fn unexpected_at(&self, idx: usize, expecting: &str) -> ParseError {
        let t = &self.toks[idx.min(self.toks.len() - 1)];
        let d = t.tok.describe();
        let msg = if expecting.is_empty() {
            format!("syntax error: unexpected {d}")
        } else {
            format!("syntax error: unexpected {d}, expecting {expecting}")
        };
        ParseError::new(t.line, t.col, msg)
    }

    fn unexpected(&self, expecting: &str) -> ParseError {
        self.unexpected_at(self.pos, expecting)
    }

    /// Error at token `idx`, adding `expecting with` when the tokens before it form a whole
    /// query (Tempo's parser has then reduced to its root rule).
    pub(crate) fn unexpected_maybe_root(&self, idx: usize) -> ParseError {
        let mut prefix: Vec<Token> = self.toks[..idx].to_vec();
        let t = &self.toks[idx.min(self.toks.len() - 1)];
        prefix.push(Token {
            tok: Tok::Eof,
            line: t.line,
            col: t.col,
        });
        if idx > 0 && !self.nested && parse_tokens(prefix, true).is_ok() {
            self.unexpected_at(idx, "with")
        } else {
            self.unexpected_at(idx, "")
        }
    }

    fn unexpected_after_root(&self) -> ParseError {
        self.unexpected_maybe_root(self.pos)
    }

    /// Generic pipeline-level expression with minimum precedence `min`.
    pub(crate) fn top(&mut self, min: u8) -> Result<Node, ParseError> {
        let mut lhs = self.top_unary()?;
        while let Some((op, prec)) = top_op(self.peek()) {
            if prec < min {
                break;
            }
            let op_idx = self.pos;
            self.next();
            let spanset_op = matches!(
                op,
                TopOp::And | TopOp::Or | TopOp::Gt | TopOp::Lt | TopOp::Struct(_)
            );
            if spanset_op && matches!(lhs.g, G::Filter(_) | G::Paren(_)) && !self.starts_item() {
                return Err(self.unexpected("{ or ("));
            }
            let rhs = self.top(if prec == 7 { prec } else { prec + 1 })?;
            lhs = Node {
                start: lhs.start,
                end: rhs.end,
                op: op_idx,
                g: G::Bin(op, Box::new(lhs), Box::new(rhs)),
            };
        }
        Ok(lhs)
    }

    /// Whether the current token can start a pipeline-level item.
    fn starts_item(&self) -> bool {
        match self.peek() {
            Tok::Int(_) | Tok::Float(_) | Tok::Duration(_) => true,
            Tok::Sym(s) => matches!(
                *s,
                "{" | "("
                    | "-"
                    | "count"
                    | "avg"
                    | "min"
                    | "max"
                    | "sum"
                    | "by"
                    | "select"
                    | "coalesce"
                    | "topk"
                    | "bottomk"
                    | "rate"
                    | "count_over_time"
                    | "min_over_time"
                    | "max_over_time"
                    | "avg_over_time"
                    | "sum_over_time"
                    | "quantile_over_time"
                    | "histogram_over_time"
                    | "compare"
            ),
            _ => false,
        }
    }

    fn top_unary(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        if self.eat("-") {
            let inner = self.top_unary()?;
            return Ok(Node {
                end: inner.end,
                g: G::Neg(Box::new(inner)),
                start,
                op: start,
            });
        }
        let g = self.top_primary()?;
        Ok(Node {
            g,
            start,
            end: self.pos,
            op: start,
        })
    }

    fn top_primary(&mut self) -> Result<G, ParseError> {
        let tok = self.peek().clone();
        let Tok::Sym(s) = tok else {
            return match tok {
                Tok::Int(i) => {
                    self.next();
                    Ok(G::Lit(Static::Int(i)))
                }
                Tok::Float(f) => {
                    self.next();
                    Ok(G::Lit(Static::Float(f)))
                }
                Tok::Duration(d) => {
                    self.next();
                    Ok(G::Lit(Static::Duration(d)))
                }
                _ => Err(self.unexpected("")),
            };
        };
        match s {
            "{" => Ok(G::Filter(self.filter_body()?)),
            "(" => {
                self.next();
                let inner = self.top(0)?;
                if !self.eat(")") {
                    let piped = matches!(inner.g, G::Bin(TopOp::Pipe, ..));
                    return Err(self.unexpected(if piped { ") or |" } else { "" }));
                }
                Ok(G::Paren(Box::new(inner)))
            }
            "count" | "avg" | "min" | "max" | "sum" => {
                self.next();
                self.expect("(")?;
                let op = match s {
                    "count" => AggregateOp::Count,
                    "avg" => AggregateOp::Avg,
                    "min" => AggregateOp::Min,
                    "max" => AggregateOp::Max,
                    _ => AggregateOp::Sum,
                };
                let expr = if op == AggregateOp::Count {
                    None
                } else {
                    Some(self.field(0)?)
                };
                self.expect(")")?;
                Ok(G::Agg(Aggregate { op, expr }))
            }
            "by" => {
                self.next();
                self.expect("(")?;
                let e = self.field(0)?;
                self.expect(")")?;
                Ok(G::By(e))
            }
            "select" => {
                self.next();
                self.expect("(")?;
                let list = self.attribute_list()?;
                self.expect(")")?;
                Ok(G::Select(list))
            }
            "coalesce" => {
                self.next();
                self.expect("(")?;
                self.expect(")")?;
                Ok(G::Coalesce)
            }
            "topk" | "bottomk" => {
                self.next();
                self.expect("(")?;
                let Tok::Int(n) = *self.peek() else {
                    return Err(self.unexpected("INTEGER"));
                };
                self.next();
                self.expect(")")?;
                Ok(G::TopK(s == "bottomk", n))
            }
            "rate"
            | "count_over_time"
            | "min_over_time"
            | "max_over_time"
            | "avg_over_time"
            | "sum_over_time"
            | "quantile_over_time"
            | "histogram_over_time"
            | "compare" => Ok(G::Metrics(self.metrics_function(s)?)),
            _ => Err(self.unexpected("")),
        }
    }

    fn metrics_function(&mut self, s: &'static str) -> Result<MetricsFunction, ParseError> {
        self.next();
        self.expect("(")?;
        let kind = match s {
            "rate" => MetricsKind::Rate,
            "count_over_time" => MetricsKind::CountOverTime,
            "compare" => {
                if !self.peek().is("{") {
                    return Err(self.unexpected("{"));
                }
                let filter = self.filter_body()?;
                let mut args = Vec::new();
                while self.eat(",") {
                    let Tok::Int(n) = *self.peek() else {
                        return Err(self.unexpected("INTEGER"));
                    };
                    self.next();
                    args.push(n);
                    if args.len() == 3 {
                        break;
                    }
                }
                if args.len() == 2 && !self.peek().is(",") {
                    return Err(self.unexpected(","));
                }
                MetricsKind::Compare {
                    filter,
                    top_n: args.first().copied().unwrap_or(10),
                    start: args.get(1).copied().unwrap_or(0),
                    end: args.get(2).copied().unwrap_or(0),
                }
            }
            _ => {
                let attr = self.attribute()?;
                match s {
                    "min_over_time" => MetricsKind::MinOverTime(attr),
                    "max_over_time" => MetricsKind::MaxOverTime(attr),
                    "avg_over_time" => MetricsKind::AvgOverTime(attr),
                    "sum_over_time" => MetricsKind::SumOverTime(attr),
                    "histogram_over_time" => MetricsKind::HistogramOverTime(attr),
                    _ => {
                        self.expect(",")?;
                        let mut qs = Vec::new();
                        loop {
                            match *self.peek() {
                                Tok::Int(i) => qs.push(i as f64),
                                Tok::Float(f) => qs.push(f),
                                _ => return Err(self.unexpected("")),
                            }
                            self.next();
                            if !self.eat(",") {
                                break;
                            }
                        }
                        MetricsKind::QuantileOverTime(attr, qs)
                    }
                }
            }
        };
        self.expect(")")?;
        let mut by = Vec::new();
        if !matches!(kind, MetricsKind::Compare { .. }) && self.eat("by") {
            self.expect("(")?;
            by = self.attribute_list()?;
            self.expect(")")?;
        }
        Ok(MetricsFunction { kind, by })
    }

    /// `{ }` or `{ fieldExpression }`; the current token is `{`.
    fn filter_body(&mut self) -> Result<FieldExpr, ParseError> {
        self.next();
        if self.eat("}") {
            return Ok(FieldExpr::Static(Static::Bool(true)));
        }
        let e = self.field(0)?;
        if !self.eat("}") {
            return Err(self.unexpected(""));
        }
        Ok(e)
    }

    fn attribute_list(&mut self) -> Result<Vec<Attribute>, ParseError> {
        let mut v = vec![self.attribute()?];
        while self.eat(",") {
            v.push(self.attribute()?);
        }
        Ok(v)
    }

    /// Field expression (inside `{}`, `by()`, aggregates) with minimum precedence `min`.
    pub(crate) fn field(&mut self, min: u8) -> Result<FieldExpr, ParseError> {
        let mut lhs = self.field_unary()?;
        while let Some((op, prec)) = field_op(self.peek()) {
            if prec < min {
                break;
            }
            self.next();
            if let FieldOp::Cmp(c @ (CmpOp::Eq | CmpOp::Neq)) = op {
                if self.eat("nil") {
                    let op = if c == CmpOp::Eq {
                        UnaryOp::NotExists
                    } else {
                        UnaryOp::Exists
                    };
                    lhs = FieldExpr::Unary {
                        op,
                        expr: Box::new(lhs),
                    };
                    continue;
                }
            }
            let rhs = self.field(if prec == 7 { prec } else { prec + 1 })?;
            lhs = FieldExpr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        Ok(lhs)
    }

    fn field_unary(&mut self) -> Result<FieldExpr, ParseError> {
        if self.eat("-") {
            let e = self.field(5)?;
            return Ok(FieldExpr::Unary {
                op: UnaryOp::Neg,
                expr: Box::new(e),
            });
        }
        if self.eat("!") {
            let e = self.field(6)?;
            return Ok(FieldExpr::Unary {
                op: UnaryOp::Not,
                expr: Box::new(e),
            });
        }
        if self.eat("(") {
            let e = self.field(0)?;
            self.expect(")")?;
            return Ok(e);
        }
        if self.eat("nil") {
            let exists = if self.eat("=") {
                false
            } else if self.eat("!=") {
                true
            } else {
                return Err(self.unexpected("= or !="));
            };
            if self.eat("nil") {
                return Ok(FieldExpr::Static(Static::Bool(false)));
            }
            let e = self.field(4)?;
            let op = if exists {
                UnaryOp::Exists
            } else {
                UnaryOp::NotExists
            };
            return Ok(FieldExpr::Unary {
                op,
                expr: Box::new(e),
            });
        }
        if let Some(s) = self.static_value()? {
            return Ok(FieldExpr::Static(s));
        }
        Ok(FieldExpr::Attribute(self.attribute()?))
    }

    /// A `static` (Tempo grammar) if the current token starts one.
    fn static_value(&mut self) -> Result<Option<Static>, ParseError> {
        let s = match self.peek().clone() {
            Tok::Str(s) => Static::Str(s),
            Tok::Int(i) => Static::Int(i),
            Tok::Float(f) => Static::Float(f),
            Tok::Duration(d) => Static::Duration(d),
            Tok::Ident(id) => {
                self.next();
                return match id.as_str() {
                    "minInt" => Ok(Some(Static::Int(i64::MIN))),
                    "maxInt" => Ok(Some(Static::Int(i64::MAX))),
                    _ => {
                        let t = &self.toks[self.pos];
                        Err(ParseError::new(
                            t.line,
                            t.col,
                            format!("unknown identifier: {id}"),
                        ))
                    }
                };
            }
            Tok::Sym(k) => match k {
                "true" => Static::Bool(true),
                "false" => Static::Bool(false),
                "ok" => Static::Status(Status::Ok),
                "error" => Static::Status(Status::Error),
                "unset" => Static::Status(Status::Unset),
                "unspecified" => Static::Kind(Kind::Unspecified),
                "internal" => Static::Kind(Kind::Internal),
                "server" => Static::Kind(Kind::Server),
                "client" => Static::Kind(Kind::Client),
                "producer" => Static::Kind(Kind::Producer),
                "consumer" => Static::Kind(Kind::Consumer),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.next();
        Ok(Some(s))
    }

    /// Intrinsic, scoped intrinsic or attribute (Tempo's `attribute` rule).
    pub(crate) fn attribute(&mut self) -> Result<Attribute, ParseError> {
        let Tok::Sym(s) = self.peek().clone() else {
            return Err(self.unexpected(""));
        };
        let legacy = match s {
            "duration" => Some(Intrinsic::Duration),
            "name" => Some(Intrinsic::Name),
            "status" => Some(Intrinsic::Status),
            "statusMessage" => Some(Intrinsic::StatusMessage),
            "kind" => Some(Intrinsic::Kind),
            "parent" => Some(Intrinsic::Parent),
            "rootName" => Some(Intrinsic::RootName),
            "rootServiceName" => Some(Intrinsic::RootServiceName),
            "traceDuration" => Some(Intrinsic::TraceDuration),
            "nestedSetLeft" => Some(Intrinsic::NestedSetLeft),
            "nestedSetRight" => Some(Intrinsic::NestedSetRight),
            "nestedSetParent" => Some(Intrinsic::NestedSetParent),
            _ => None,
        };
        if let Some(i) = legacy {
            self.next();
            return Ok(Attribute::Intrinsic(i));
        }
        let table: &[(&str, Intrinsic)] = match s {
            "trace:" => &[
                ("duration", Intrinsic::TraceDuration),
                ("rootName", Intrinsic::RootName),
                ("rootService", Intrinsic::RootServiceName),
                ("id", Intrinsic::TraceId),
            ],
            "span:" => &[
                ("duration", Intrinsic::Duration),
                ("name", Intrinsic::Name),
                ("kind", Intrinsic::Kind),
                ("status", Intrinsic::Status),
                ("statusMessage", Intrinsic::StatusMessage),
                ("id", Intrinsic::SpanId),
                ("parentID", Intrinsic::ParentId),
                ("childCount", Intrinsic::ChildCount),
            ],
            "event:" => &[
                ("name", Intrinsic::EventName),
                ("timeSinceStart", Intrinsic::EventTimeSinceStart),
            ],
            "link:" => &[
                ("traceID", Intrinsic::LinkTraceId),
                ("spanID", Intrinsic::LinkSpanId),
            ],
            "instrumentation:" => &[
                ("name", Intrinsic::InstrumentationName),
                ("version", Intrinsic::InstrumentationVersion),
            ],
            _ => &[],
        };
        if !table.is_empty() {
            self.next();
            let found = table.iter().find(|(k, _)| self.peek().is(k));
            return match found {
                Some((_, i)) => {
                    let i = *i;
                    self.next();
                    Ok(Attribute::Intrinsic(i))
                }
                None => {
                    let names: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
                    let exp = if names.len() <= 4 {
                        names.join(" or ")
                    } else {
                        String::new()
                    };
                    Err(self.unexpected(&exp))
                }
            };
        }
        let (scope, parent) = match s {
            "." => (Scope::None, false),
            "span." => (Scope::Span, false),
            "resource." => (Scope::Resource, false),
            "event." => (Scope::Event, false),
            "link." => (Scope::Link, false),
            "instrumentation." => (Scope::Instrumentation, false),
            "parent." => (Scope::None, true),
            _ => return Err(self.unexpected("")),
        };
        self.next();
        let mut scope = scope;
        if parent {
            if self.eat("span.") {
                scope = Scope::Span;
            } else if self.eat("resource.") {
                scope = Scope::Resource;
            }
        }
        let Tok::AttrName(name) = self.peek().clone() else {
            let exp = if parent && scope == Scope::None {
                "IDENTIFIER or resource. or span."
            } else {
                "IDENTIFIER"
            };
            return Err(self.unexpected(exp));
        };
        self.next();
        if *self.peek() != Tok::EndAttr {
            return Err(self.unexpected("END_ATTRIBUTE"));
        }
        self.next();
        Ok(Attribute::Attr {
            scope,
            parent,
            name,
        })
    }
}
