//! Hand-written recursive-descent LogQL parser, following Loki's `syntax.y` grammar.
//! Errors read like Loki's: `parse error at line 1, col 5: syntax error: unexpected ...`.

use crate::ast::*;
use crate::lexer::{lex, Tok, Token};

/// Parse failure with 1-based position. Validation errors found after the syntax was
/// accepted (unwrap misuse, grouping, empty-compatible selectors) have line and column 0 and
/// print without a position, as Loki's do: `parse error : invalid aggregation …`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Message (e.g. `syntax error: unexpected IDENTIFIER foo`).
    pub msg: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
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
    /// A validation error without a position (line/col 0), as Loki reports them.
    pub fn validation(msg: String) -> Self {
        ParseError {
            line: 0,
            col: 0,
            msg,
        }
    }

    /// Builds an error at a position.
    pub fn new(line: usize, col: usize, msg: String) -> Self {
        ParseError { line, col, msg }
    }
}

/// Parses a LogQL query (log or metric) into an [`Expr`].
///
/// Errors: syntax errors with position, invalid regexes, selectors without a non-empty
/// matcher, unwrap misuse (`sum_over_time` without `unwrap`, `count_over_time` with it).
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    let toks = lex(input)?;
    let mut p = Parser { toks, pos: 0 };
    let e = p.expr(0)?;
    p.expect_eof()?;
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

const STAGE_KEYWORDS: &[&str] = &[
    "json",
    "logfmt",
    "regexp",
    "pattern",
    "unpack",
    "line_format",
    "label_format",
    "drop",
    "keep",
    "decolorize",
    "unwrap",
];

fn binop_info(t: &Tok) -> Option<(BinOp, u8)> {
    Some(match t {
        Tok::Ident(s) if s == "or" => (BinOp::Or, 1),
        Tok::Ident(s) if s == "and" => (BinOp::And, 2),
        Tok::Ident(s) if s == "unless" => (BinOp::Unless, 2),
        Tok::Op("==") => (BinOp::Cmp(CmpOp::Eq), 3),
        Tok::Op("!=") => (BinOp::Cmp(CmpOp::Neq), 3),
        Tok::Op(">") => (BinOp::Cmp(CmpOp::Gt), 3),
        Tok::Op(">=") => (BinOp::Cmp(CmpOp::Gte), 3),
        Tok::Op("<") => (BinOp::Cmp(CmpOp::Lt), 3),
        Tok::Op("<=") => (BinOp::Cmp(CmpOp::Lte), 3),
        Tok::Op("+") => (BinOp::Add, 4),
        Tok::Op("-") => (BinOp::Sub, 4),
        Tok::Op("*") => (BinOp::Mul, 5),
        Tok::Op("/") => (BinOp::Div, 5),
        Tok::Op("%") => (BinOp::Mod, 5),
        Tok::Op("^") => (BinOp::Pow, 6),
        _ => return None,
    })
}

/// Precedence of a binary operator (1 = `or` … 6 = `^`), as PromQL.
pub(crate) fn precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And | BinOp::Unless => 2,
        BinOp::Cmp(_) => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
        BinOp::Pow => 6,
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        let i = (self.pos + k).min(self.toks.len() - 1);
        &self.toks[i].tok
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn err_here(&self, msg: String) -> ParseError {
        let t = &self.toks[self.pos];
        ParseError::new(t.line, t.col, msg)
    }

    fn unexpected(&self, expecting: &str) -> ParseError {
        let d = self.peek().describe();
        if expecting.is_empty() {
            self.err_here(format!("syntax error: unexpected {d}"))
        } else {
            self.err_here(format!(
                "syntax error: unexpected {d}, expecting {expecting}"
            ))
        }
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_ident(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Ident(i) if i == s)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.unexpected(op))
        }
    }

    fn expect_eof(&self) -> Result<(), ParseError> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected(""))
        }
    }

    fn ident(&mut self) -> Result<String, ParseError> {
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.next();
                Ok(s)
            }
            _ => Err(self.unexpected("IDENTIFIER")),
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.next();
                Ok(s)
            }
            _ => Err(self.unexpected("STRING")),
        }
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        let neg = self.eat_op("-");
        match *self.peek() {
            Tok::Number(n) => {
                self.next();
                Ok(if neg { -n } else { n })
            }
            _ => Err(self.unexpected("NUMBER")),
        }
    }

    fn duration(&mut self) -> Result<i64, ParseError> {
        match *self.peek() {
            Tok::Duration(d) => {
                self.next();
                Ok(d)
            }
            _ => Err(self.unexpected("DURATION")),
        }
    }

    // ---------- expressions ----------

    fn expr(&mut self, min_prec: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.primary()?;
        while let Some((op, prec)) = binop_info(self.peek()) {
            if prec < min_prec {
                break;
            }
            let lhs_m = match lhs {
                Expr::Metric(m) => m,
                Expr::Log(_) => return Err(self.unexpected("")),
            };
            self.next();
            let return_bool = self.is_ident("bool") && {
                self.next();
                true
            };
            if return_bool && !matches!(op, BinOp::Cmp(_)) {
                return Err(self.err_here(
                    "syntax error: bool modifier can only be used on comparison operators".into(),
                ));
            }
            let matching = self.vector_matching()?;
            let next_min = if op == BinOp::Pow { prec } else { prec + 1 };
            let rhs = match self.expr(next_min)? {
                Expr::Metric(m) => m,
                Expr::Log(_) => return Err(self.unexpected("")),
            };
            lhs = Expr::Metric(MetricExpr::Binary(BinaryExpr {
                op,
                return_bool,
                matching,
                lhs: Box::new(lhs_m),
                rhs: Box::new(rhs),
            }));
        }
        Ok(lhs)
    }

    fn vector_matching(&mut self) -> Result<Option<VectorMatching>, ParseError> {
        let on = if self.is_ident("on") {
            true
        } else if self.is_ident("ignoring") {
            false
        } else {
            return Ok(None);
        };
        self.next();
        let labels = self.label_list()?;
        let group = if self.is_ident("group_left") || self.is_ident("group_right") {
            let right = self.is_ident("group_right");
            self.next();
            let labels = if self.is_op("(") {
                self.label_list()?
            } else {
                Vec::new()
            };
            Some(GroupModifier { right, labels })
        } else {
            None
        };
        Ok(Some(VectorMatching { on, labels, group }))
    }

    fn label_list(&mut self) -> Result<Vec<String>, ParseError> {
        self.expect_op("(")?;
        let mut out = Vec::new();
        if self.eat_op(")") {
            return Ok(out);
        }
        loop {
            out.push(self.ident()?);
            if self.eat_op(")") {
                return Ok(out);
            }
            self.expect_op(",")?;
        }
    }

    fn metric(&mut self) -> Result<MetricExpr, ParseError> {
        match self.expr(0)? {
            Expr::Metric(m) => Ok(m),
            Expr::Log(_) => Err(self.unexpected("")),
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().clone() {
            Tok::Op("{") => {
                let (log, range) = self.log_expr()?;
                if range.is_some() {
                    return Err(self.err_here(
                        "syntax error: a log range [..] is only valid inside a range aggregation"
                            .into(),
                    ));
                }
                Ok(Expr::Log(log))
            }
            Tok::Op("(") => {
                self.next();
                let e = self.expr(0)?;
                self.expect_op(")")?;
                Ok(e)
            }
            Tok::Number(_) | Tok::Op("-") => Ok(Expr::Metric(MetricExpr::Literal(self.number()?))),
            Tok::Ident(name) => {
                if let Some((op, _)) = RANGE_OPS.iter().find(|(_, n)| *n == name) {
                    self.next();
                    return Ok(Expr::Metric(MetricExpr::Range(self.range_agg(*op, &name)?)));
                }
                if let Some((op, _)) = VECTOR_OPS.iter().find(|(_, n)| *n == name) {
                    self.next();
                    return Ok(Expr::Metric(MetricExpr::Vector(self.vector_agg(*op)?)));
                }
                match name.as_str() {
                    "vector" => {
                        self.next();
                        self.expect_op("(")?;
                        let n = self.number()?;
                        self.expect_op(")")?;
                        Ok(Expr::Metric(MetricExpr::VectorLit(n)))
                    }
                    "label_replace" => {
                        self.next();
                        self.expect_op("(")?;
                        let expr = Box::new(self.metric()?);
                        let mut s = Vec::new();
                        for _ in 0..4 {
                            self.expect_op(",")?;
                            s.push(self.string()?);
                        }
                        self.expect_op(")")?;
                        let regex = s.pop().unwrap_or_default();
                        self.check_regex(&regex)?;
                        let src = s.pop().unwrap_or_default();
                        let replacement = s.pop().unwrap_or_default();
                        let dst = s.pop().unwrap_or_default();
                        Ok(Expr::Metric(MetricExpr::LabelReplace {
                            expr,
                            dst,
                            replacement,
                            src,
                            regex,
                        }))
                    }
                    _ => Err(self.unexpected("")),
                }
            }
            _ => Err(self.unexpected("")),
        }
    }

    fn grouping(&mut self) -> Result<Option<Grouping>, ParseError> {
        let without = if self.is_ident("by") {
            false
        } else if self.is_ident("without") {
            true
        } else {
            return Ok(None);
        };
        self.next();
        Ok(Some(Grouping {
            without,
            labels: self.label_list()?,
        }))
    }

    fn vector_agg(&mut self, op: VectorOp) -> Result<VectorAgg, ParseError> {
        let before = self.grouping()?;
        self.expect_op("(")?;
        let param = if matches!(op, VectorOp::Topk | VectorOp::Bottomk) {
            let k = self.number()?;
            self.expect_op(",")?;
            Some(k)
        } else {
            None
        };
        let expr = self.metric()?;
        self.expect_op(")")?;
        if before.is_some() && (self.is_ident("by") || self.is_ident("without")) {
            return Err(self.unexpected(""));
        }
        let after = self.grouping()?;
        Ok(VectorAgg {
            op,
            param,
            grouping: before.or(after),
            expr: Box::new(expr),
        })
    }

    fn range_agg(&mut self, op: RangeOp, name: &str) -> Result<RangeAgg, ParseError> {
        self.expect_op("(")?;
        let param = if op == RangeOp::QuantileOverTime {
            let q = self.number()?;
            self.expect_op(",")?;
            Some(q)
        } else {
            None
        };
        let (log, range) = if self.is_op("(") {
            // `(<log expr>)[5m]`
            self.next();
            let (log, r) = self.log_expr()?;
            self.expect_op(")")?;
            if r.is_some() {
                return Err(self.unexpected(""));
            }
            (log, None)
        } else {
            self.log_expr()?
        };
        let range = match range {
            Some(r) => r,
            None => {
                if !self.is_op("[") {
                    return Err(self.unexpected("["));
                }
                self.range()?
            }
        };
        let offset = if self.is_ident("offset") {
            self.next();
            Some(self.duration()?)
        } else {
            None
        };
        self.expect_op(")")?;
        let grouping = self.grouping()?;
        let unwrapped = log
            .pipeline
            .iter()
            .any(|s| matches!(s, Stage::Unwrap { .. }));
        let needs_unwrap = !matches!(
            op,
            RangeOp::Rate
                | RangeOp::CountOverTime
                | RangeOp::BytesRate
                | RangeOp::BytesOverTime
                | RangeOp::AbsentOverTime
        );
        let forbids_unwrap = matches!(
            op,
            RangeOp::CountOverTime | RangeOp::BytesRate | RangeOp::BytesOverTime
        );
        if needs_unwrap && !unwrapped {
            return Err(ParseError::validation(format!(
                "invalid aggregation {name} without unwrap"
            )));
        }
        if forbids_unwrap && unwrapped {
            return Err(ParseError::validation(format!(
                "invalid aggregation {name} with unwrap"
            )));
        }
        if grouping.is_some()
            && (!unwrapped
                || matches!(
                    op,
                    RangeOp::SumOverTime
                        | RangeOp::AbsentOverTime
                        | RangeOp::Rate
                        | RangeOp::RateCounter
                ))
        {
            return Err(ParseError::validation(format!(
                "grouping not allowed for {name} aggregation"
            )));
        }
        Ok(RangeAgg {
            op,
            param,
            log,
            range,
            offset,
            grouping,
        })
    }

    fn range(&mut self) -> Result<i64, ParseError> {
        self.expect_op("[")?;
        let d = self.duration()?;
        self.expect_op("]")?;
        Ok(d)
    }

    // ---------- log queries ----------

    /// Selector + pipeline; returns a `[range]` if one was found (after the selector or
    /// after the pipeline).
    fn log_expr(&mut self) -> Result<(LogExpr, Option<i64>), ParseError> {
        let selector = self.selector()?;
        if !selector.iter().any(non_empty_matcher) {
            return Err(ParseError::validation(
                "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will".into(),
            ));
        }
        let mut range = None;
        if self.is_op("[") {
            range = Some(self.range()?);
        }
        let mut pipeline = Vec::new();
        let mut unwrapped = false;
        loop {
            let lf = match self.peek() {
                Tok::Op("|=") => Some(LineFilterOp::Contains),
                Tok::Op("!=") => Some(LineFilterOp::NotContains),
                Tok::Op("|~") => Some(LineFilterOp::Match),
                Tok::Op("!~") => Some(LineFilterOp::NotMatch),
                Tok::Op("|>") => Some(LineFilterOp::Pattern),
                Tok::Op("!>") => Some(LineFilterOp::NotPattern),
                _ => None,
            };
            let stage = if let Some(op) = lf {
                self.next();
                Stage::LineFilter(self.line_filter(op)?)
            } else if self.is_op("|") {
                self.next();
                self.stage()?
            } else {
                break;
            };
            if unwrapped && !matches!(stage, Stage::LabelFilter(_)) {
                return Err(self
                    .err_here("syntax error: only label filters are allowed after unwrap".into()));
            }
            unwrapped |= matches!(stage, Stage::Unwrap { .. });
            pipeline.push(stage);
        }
        if self.is_op("[") {
            if range.is_some() {
                return Err(self.unexpected(""));
            }
            range = Some(self.range()?);
        }
        Ok((LogExpr { selector, pipeline }, range))
    }

    fn check_regex(&self, re: &str) -> Result<(), ParseError> {
        // Go (RE2) syntax, as Loki compiles it: a stray `{` is a literal there.
        crate::pipeline::go_regex::compile(re)
            .map(|_| ())
            .map_err(|e| self.err_here(format!("invalid regex {re:?}: {e}")))
    }

    fn match_op(&mut self) -> Option<MatchOp> {
        let op = match self.peek() {
            Tok::Op("=") => MatchOp::Eq,
            Tok::Op("!=") => MatchOp::Neq,
            Tok::Op("=~") => MatchOp::Re,
            Tok::Op("!~") => MatchOp::Nre,
            _ => return None,
        };
        self.next();
        Some(op)
    }

    fn matcher_rest(&mut self, name: String) -> Result<Matcher, ParseError> {
        let op = self
            .match_op()
            .ok_or_else(|| self.unexpected("=, !=, =~ or !~"))?;
        let value = self.string()?;
        if matches!(op, MatchOp::Re | MatchOp::Nre) {
            self.check_regex(&value)?;
        }
        Ok(Matcher { name, op, value })
    }

    fn selector(&mut self) -> Result<Vec<Matcher>, ParseError> {
        self.expect_op("{")?;
        let mut out = Vec::new();
        loop {
            let name = self.ident()?;
            out.push(self.matcher_rest(name)?);
            if self.eat_op("}") {
                return Ok(out);
            }
            if !self.eat_op(",") {
                return Err(self.unexpected("} or ,"));
            }
        }
    }

    fn line_filter(&mut self, op: LineFilterOp) -> Result<LineFilter, ParseError> {
        let mut values = vec![self.line_filter_value(op)?];
        while self.is_ident("or") && matches!(self.peek_at(1), Tok::Str(_))
            || self.is_ident("or") && matches!(self.peek_at(1), Tok::Ident(s) if s == "ip")
        {
            self.next();
            values.push(self.line_filter_value(op)?);
        }
        Ok(LineFilter { op, values })
    }

    fn line_filter_value(&mut self, op: LineFilterOp) -> Result<LineFilterValue, ParseError> {
        if self.is_ident("ip") {
            self.next();
            self.expect_op("(")?;
            let s = self.string()?;
            self.expect_op(")")?;
            return Ok(LineFilterValue::Ip(s));
        }
        let s = self.string()?;
        if matches!(op, LineFilterOp::Match | LineFilterOp::NotMatch) {
            self.check_regex(&s)?;
        }
        Ok(LineFilterValue::Str(s))
    }

    fn stage(&mut self) -> Result<Stage, ParseError> {
        let kw = match self.peek() {
            Tok::Ident(s) if STAGE_KEYWORDS.contains(&s.as_str()) => s.clone(),
            Tok::Ident(_) | Tok::Op("(") => {
                return Ok(Stage::LabelFilter(self.label_filter_or()?));
            }
            _ => return Err(self.unexpected("")),
        };
        self.next();
        Ok(match kw.as_str() {
            "json" => Stage::Json(self.extractions()?),
            "logfmt" => {
                let (mut strict, mut keep_empty) = (false, false);
                while let Tok::Flag(f) = self.peek().clone() {
                    match f.as_str() {
                        "strict" => strict = true,
                        "keep-empty" => keep_empty = true,
                        _ => return Err(self.unexpected("")),
                    }
                    self.next();
                }
                Stage::Logfmt {
                    strict,
                    keep_empty,
                    params: self.extractions()?,
                }
            }
            "regexp" => {
                let re = self.string()?;
                self.check_regex(&re)?;
                Stage::Regexp(re)
            }
            "pattern" => Stage::Pattern(self.string()?),
            "unpack" => Stage::Unpack,
            "decolorize" => Stage::Decolorize,
            "line_format" => Stage::LineFormat(self.string()?),
            "label_format" => {
                let mut items = Vec::new();
                loop {
                    let dst = self.ident()?;
                    self.expect_op("=")?;
                    items.push(match self.peek().clone() {
                        Tok::Str(template) => {
                            self.next();
                            LabelFmt::Template { dst, template }
                        }
                        _ => LabelFmt::Rename {
                            dst,
                            src: self.ident()?,
                        },
                    });
                    if !self.eat_op(",") {
                        break;
                    }
                }
                Stage::LabelFormat(items)
            }
            "drop" | "keep" => {
                let mut items = Vec::new();
                loop {
                    let name = self.ident()?;
                    let is_matcher = matches!(self.peek(), Tok::Op("=" | "!=" | "=~" | "!~"));
                    items.push(if is_matcher {
                        LabelSel::Matcher(self.matcher_rest(name)?)
                    } else {
                        LabelSel::Name(name)
                    });
                    if !self.eat_op(",") {
                        break;
                    }
                }
                if kw == "drop" {
                    Stage::Drop(items)
                } else {
                    Stage::Keep(items)
                }
            }
            _ => {
                // unwrap
                let first = self.ident()?;
                let conv = match first.as_str() {
                    "duration" => Some(UnwrapConv::Duration),
                    "duration_seconds" => Some(UnwrapConv::DurationSeconds),
                    "bytes" => Some(UnwrapConv::Bytes),
                    _ => None,
                };
                match conv {
                    Some(conv) if self.is_op("(") => {
                        self.next();
                        let label = self.ident()?;
                        self.expect_op(")")?;
                        Stage::Unwrap {
                            label,
                            conv: Some(conv),
                        }
                    }
                    _ => Stage::Unwrap {
                        label: first,
                        conv: None,
                    },
                }
            }
        })
    }

    fn extractions(&mut self) -> Result<Vec<LabelExtraction>, ParseError> {
        let mut out = Vec::new();
        if !matches!(self.peek(), Tok::Ident(_)) {
            return Ok(out);
        }
        loop {
            let name = self.ident()?;
            let expr = if self.eat_op("=") {
                Some(self.string()?)
            } else {
                None
            };
            out.push(LabelExtraction { name, expr });
            if !self.eat_op(",") {
                return Ok(out);
            }
        }
    }

    fn label_filter_or(&mut self) -> Result<LabelFilter, ParseError> {
        let mut lhs = self.label_filter_and()?;
        while self.is_ident("or") {
            self.next();
            let rhs = self.label_filter_and()?;
            lhs = LabelFilter::Or(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn label_filter_and(&mut self) -> Result<LabelFilter, ParseError> {
        let mut lhs = self.label_filter_primary()?;
        loop {
            if self.is_ident("and") || self.is_op(",") {
                self.next();
            } else if self.is_op("(")
                || matches!(self.peek(), Tok::Ident(s) if s != "or" && s != "offset")
            {
                // implicit `and` (`| a="1" b="2"`)
            } else {
                return Ok(lhs);
            }
            let rhs = self.label_filter_primary()?;
            lhs = LabelFilter::And(Box::new(lhs), Box::new(rhs));
        }
    }

    fn label_filter_primary(&mut self) -> Result<LabelFilter, ParseError> {
        if self.eat_op("(") {
            let f = self.label_filter_or()?;
            self.expect_op(")")?;
            return Ok(f);
        }
        let name = self.ident()?;
        let op = match self.peek() {
            Tok::Op("=") => "=",
            Tok::Op("==") => "==",
            Tok::Op("!=") => "!=",
            Tok::Op("=~") => "=~",
            Tok::Op("!~") => "!~",
            Tok::Op(">") => ">",
            Tok::Op(">=") => ">=",
            Tok::Op("<") => "<",
            Tok::Op("<=") => "<=",
            _ => return Err(self.unexpected("comparison operator")),
        };
        // string matcher
        if matches!(self.peek_at(1), Tok::Str(_)) && matches!(op, "=" | "!=" | "=~" | "!~") {
            return Ok(LabelFilter::Matcher(self.matcher_rest(name)?));
        }
        if matches!(self.peek_at(1), Tok::Ident(s) if s == "ip") && matches!(op, "=" | "!=") {
            self.next();
            self.next();
            self.expect_op("(")?;
            let value = self.string()?;
            self.expect_op(")")?;
            return Ok(LabelFilter::Ip {
                name,
                negated: op == "!=",
                value,
            });
        }
        let cmp = match op {
            "=" | "==" => CmpOp::Eq,
            "!=" => CmpOp::Neq,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Gte,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Lte,
            _ => {
                self.next();
                return Err(self.unexpected("STRING"));
            }
        };
        self.next();
        match *self.peek() {
            Tok::Duration(value) => {
                self.next();
                Ok(LabelFilter::Duration {
                    name,
                    op: cmp,
                    value,
                })
            }
            Tok::Bytes(value) => {
                self.next();
                Ok(LabelFilter::Bytes {
                    name,
                    op: cmp,
                    value,
                })
            }
            Tok::Number(_) | Tok::Op("-") => Ok(LabelFilter::Number {
                name,
                op: cmp,
                value: self.number()?,
            }),
            _ => Err(self.unexpected("STRING, NUMBER, DURATION or BYTES")),
        }
    }
}

fn non_empty_matcher(m: &Matcher) -> bool {
    match m.op {
        MatchOp::Eq => !m.value.is_empty(),
        MatchOp::Re => crate::pipeline::go_regex::compile_anchored(&m.value)
            .map(|r| !r.is_match(""))
            .unwrap_or(false),
        _ => false,
    }
}
