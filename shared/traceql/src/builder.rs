//! Stage 2 of the parser: turns the generic operator tree into the typed AST, enforcing
//! where each construct may appear (Tempo's `expr.y` rules) and folding constant scalars.

use crate::ast::*;
use crate::parser::{Node, ParseError, Parser, TopOp, G};

pub(crate) struct Builder<'a> {
    pub p: &'a Parser,
}

type R<T> = Result<T, ParseError>;

fn cmp_of(op: TopOp) -> Option<CmpOp> {
    Some(match op {
        TopOp::Eq => CmpOp::Eq,
        TopOp::Neq => CmpOp::Neq,
        TopOp::Lt => CmpOp::Lt,
        TopOp::Lte => CmpOp::Lte,
        TopOp::Gt => CmpOp::Gt,
        TopOp::Gte => CmpOp::Gte,
        _ => return None,
    })
}

fn spanset_of(op: TopOp) -> Option<SpansetOp> {
    Some(match op {
        TopOp::And => SpansetOp::And,
        TopOp::Or => SpansetOp::Union,
        TopOp::Gt => SpansetOp::Child,
        TopOp::Lt => SpansetOp::Parent,
        TopOp::Struct(s) => s,
        _ => return None,
    })
}

/// Flattens a left-nested `|` chain (parentheses stop it).
fn stages(n: &Node) -> Vec<&Node> {
    match &n.g {
        G::Bin(TopOp::Pipe, l, r) => {
            let mut v = stages(l);
            v.push(r);
            v
        }
        _ => vec![n],
    }
}

/// Head of a left-nested comparison chain plus its `(op, rhs)` filters.
fn cmp_chain(n: &Node) -> (&Node, Vec<(CmpOp, &Node)>) {
    if let G::Bin(op, l, r) = &n.g {
        if let Some(c) = cmp_of(*op) {
            let (h, mut v) = cmp_chain(l);
            v.push((c, r));
            return (h, v);
        }
    }
    (n, Vec::new())
}

fn is_metrics_head(n: &Node) -> bool {
    matches!(cmp_chain(n).0.g, G::Metrics(_))
}

/// Whether `n` is (arithmetic over) a parenthesised pipeline containing a metrics function.
fn has_wrapped_metrics(n: &Node) -> bool {
    match &n.g {
        G::Paren(x) => stages(x).iter().any(|s| is_metrics_head(s)) || has_wrapped_metrics(x),
        G::Bin(op, l, r) if !matches!(op, TopOp::Pipe) => {
            has_wrapped_metrics(l) || has_wrapped_metrics(r)
        }
        G::Neg(x) => has_wrapped_metrics(x),
        _ => false,
    }
}

/// Whether `n` is (arithmetic over) a parenthesised pipeline ending in an aggregate.
fn has_wrapped_scalar_pipeline(n: &Node) -> bool {
    match &n.g {
        G::Paren(x) => {
            let st = stages(x);
            (st.len() > 1 && matches!(st[st.len() - 1].g, G::Agg(_)))
                || has_wrapped_scalar_pipeline(x)
        }
        G::Bin(TopOp::Arith(_), l, r) => {
            has_wrapped_scalar_pipeline(l) || has_wrapped_scalar_pipeline(r)
        }
        _ => false,
    }
}

/// Parenthesised pipelines combined with spanset operators (`spansetPipelineExpression`).
fn is_wrapped(x: &Node) -> bool {
    match &x.g {
        G::Paren(x) => !matches!(
            x.g,
            G::Bin(TopOp::Arith(_), ..) | G::Agg(_) | G::Lit(_) | G::Neg(_)
        ),
        G::Bin(op, l, r) => spanset_of(*op).is_some() && is_wrapped(l) && is_wrapped(r),
        _ => false,
    }
}

fn neg(s: Static) -> Option<Static> {
    Some(match s {
        Static::Int(i) => Static::Int(i.checked_neg()?),
        Static::Float(f) => Static::Float(-f),
        Static::Duration(d) => Static::Duration(d.checked_neg()?),
        _ => return None,
    })
}

impl Builder<'_> {
    fn err_start(&self, n: &Node) -> ParseError {
        self.p.unexpected_at(n.start, "")
    }

    fn err_op(&self, n: &Node) -> ParseError {
        self.p.unexpected_maybe_root(n.op)
    }

    fn err_after(&self, n: &Node) -> ParseError {
        self.p.unexpected_at(n.end, "")
    }

    fn msg_after(&self, n: &Node, msg: &str) -> ParseError {
        let t = &self.p.toks[n.end.min(self.p.toks.len() - 1)];
        ParseError::new(t.line, t.col, msg.to_string())
    }

    /// Root rule.
    pub(crate) fn body(&self, n: &Node) -> R<Body> {
        let st = stages(n);
        if st.len() > 1 {
            if let Some(k) = st.iter().position(|s| is_metrics_head(s)) {
                if k == 0 {
                    return Err(self.err_start(st[0]));
                }
                let pipeline = self.pipeline(&st[..k])?;
                let (function, mut second) = self.metrics_stage(st[k])?;
                for s in &st[k + 1..] {
                    second.extend(self.second_stage(s)?);
                }
                return Ok(Body::Metrics(MetricsExpr::Pipeline {
                    pipeline,
                    function,
                    second,
                }));
            }
            if has_wrapped_metrics(st[0]) {
                let expr = self.metrics_expr(st[0])?;
                let mut second = Vec::new();
                for s in &st[1..] {
                    second.extend(self.second_stage(s)?);
                }
                return Ok(Body::Metrics(MetricsExpr::Second {
                    expr: Box::new(expr),
                    second,
                }));
            }
            return Ok(Body::Spans(PipelineExpr::Pipeline(self.pipeline(&st)?)));
        }
        if has_wrapped_metrics(n) {
            return Ok(Body::Metrics(self.metrics_expr(n)?));
        }
        if is_metrics_head(n) || matches!(n.g, G::TopK(..)) {
            return Err(self.err_start(n));
        }
        if let G::Bin(op, l, r) = &n.g {
            if let Some(c) = cmp_of(*op) {
                if has_wrapped_scalar_pipeline(l) {
                    let lhs = self.scalar_pipeline(l)?;
                    let rhs = if has_wrapped_scalar_pipeline(r) {
                        self.scalar_pipeline(r)?
                    } else {
                        ScalarPipelineExpr::Static(self.fold(r)?)
                    };
                    return Ok(Body::Spans(PipelineExpr::ScalarFilter { op: c, lhs, rhs }));
                }
            }
        }
        Ok(Body::Spans(self.pipeline_expr(n)?))
    }

    /// Root-level spanset expression (`spansetPipelineExpression` or a plain pipeline).
    fn pipeline_expr(&self, n: &Node) -> R<PipelineExpr> {
        match &n.g {
            G::Paren(x) => {
                if let Ok(s) = self.spanset(x) {
                    return Ok(PipelineExpr::Pipeline(Pipeline {
                        stages: vec![Stage::Spanset(s)],
                    }));
                }
                if matches!(&x.g, G::Bin(op, ..) if spanset_of(*op).is_some()) {
                    return self.pipeline_expr(x);
                }
                Ok(PipelineExpr::Pipeline(self.pipeline(&stages(x))?))
            }
            G::Bin(op, l, r) if spanset_of(*op).is_some() => {
                if let Ok(s) = self.spanset(n) {
                    return Ok(PipelineExpr::Pipeline(Pipeline {
                        stages: vec![Stage::Spanset(s)],
                    }));
                }
                if !is_wrapped(l) || (!is_wrapped(r) && cmp_of(*op).is_some()) {
                    return Ok(PipelineExpr::Pipeline(self.pipeline(&[n])?));
                }
                let lhs = self.wrapped_operand(l, n, true)?;
                let rhs = self.wrapped_operand(r, n, false)?;
                Ok(PipelineExpr::Op {
                    op: spanset_of(*op).unwrap_or(SpansetOp::And),
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                })
            }
            _ => Ok(PipelineExpr::Pipeline(self.pipeline(&[n])?)),
        }
    }

    fn wrapped_operand(&self, x: &Node, parent: &Node, left: bool) -> R<PipelineExpr> {
        match &x.g {
            G::Paren(_) => self.pipeline_expr(x),
            G::Bin(op, ..) if spanset_of(*op).is_some() => self.pipeline_expr(x),
            _ if left => Err(self.err_op(parent)),
            _ => Err(self.p.unexpected_at(x.start, "(")),
        }
    }

    fn pipeline(&self, st: &[&Node]) -> R<Pipeline> {
        let mut stages = Vec::new();
        for (i, s) in st.iter().enumerate() {
            stages.push(self.stage(s, i == 0)?);
        }
        Ok(Pipeline { stages })
    }

    fn stage(&self, n: &Node, first: bool) -> R<Stage> {
        match &n.g {
            G::By(e) => return Ok(Stage::GroupBy(e.clone())),
            G::Select(a) => return Ok(Stage::Select(a.clone())),
            G::Coalesce if !first => return Ok(Stage::Coalesce),
            G::Coalesce | G::TopK(..) | G::Metrics(_) => return Err(self.err_start(n)),
            _ => {}
        }
        if let Ok(s) = self.spanset(n) {
            return Ok(Stage::Spanset(s));
        }
        match &n.g {
            G::Bin(op, l, r) if cmp_of(*op).is_some() => {
                let c = cmp_of(*op).unwrap_or(CmpOp::Eq);
                // `{…} > 10`: a structural operator whose right side is not a spanset.
                if matches!(op, TopOp::Gt | TopOp::Lt) && self.spanset(l).is_ok() {
                    return Err(self.p.unexpected_at(r.start, "{ or ("));
                }
                if self.spanset(l).is_ok() {
                    return Err(self.err_op(n));
                }
                let lhs = self.scalar_expr(l)?;
                let rhs = self.scalar_expr(r)?;
                if !has_agg(&lhs) && !has_agg(&rhs) {
                    return Err(self.err_after(n));
                }
                Ok(Stage::ScalarFilter(ScalarFilter { op: c, lhs, rhs }))
            }
            G::Bin(op, l, r) if spanset_of(*op).is_some() => {
                if self.spanset(l).is_ok() {
                    Err(self.p.unexpected_at(r.start, "{ or ("))
                } else {
                    Err(self.err_op(n))
                }
            }
            G::Bin(TopOp::Arith(_), ..) | G::Agg(_) if self.scalar_expr(n).is_ok() => {
                Err(self.err_after(n))
            }
            G::Bin(..) => Err(self.err_op(n)),
            G::Paren(x) => self.spanset(x).map(Stage::Spanset),
            _ => Err(self.err_start(n)),
        }
    }

    fn spanset(&self, n: &Node) -> R<SpansetExpr> {
        match &n.g {
            G::Filter(e) => Ok(SpansetExpr::Filter(e.clone())),
            G::Paren(x) => self.spanset(x),
            G::Bin(op, l, r) if spanset_of(*op).is_some() => Ok(SpansetExpr::Op {
                op: spanset_of(*op).unwrap_or(SpansetOp::And),
                lhs: Box::new(self.spanset(l)?),
                rhs: Box::new(self.spanset(r)?),
            }),
            _ => Err(self.err_start(n)),
        }
    }

    fn scalar_expr(&self, n: &Node) -> R<ScalarExpr> {
        match &n.g {
            G::Agg(a) => Ok(ScalarExpr::Aggregate(a.clone())),
            G::Paren(x) => self.scalar_expr(x),
            G::Bin(TopOp::Arith(op), l, r) => {
                if let Ok(s) = self.fold(n) {
                    return Ok(ScalarExpr::Static(s));
                }
                let (lhs, rhs) = (self.scalar_expr(l)?, self.scalar_expr(r)?);
                // `scalar OP scalar` only folds `+ - * /`; `1 % 2` is not a scalar.
                if !has_agg(&lhs) && !has_agg(&rhs) {
                    return Err(self.err_op(n));
                }
                Ok(ScalarExpr::Op {
                    op: *op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                })
            }
            G::Lit(_) | G::Neg(_) => Ok(ScalarExpr::Static(self.fold(n)?)),
            G::Bin(..) => Err(self.err_op(n)),
            _ => Err(self.err_start(n)),
        }
    }

    fn scalar_pipeline(&self, n: &Node) -> R<ScalarPipelineExpr> {
        match &n.g {
            G::Paren(x) => {
                let st = stages(x);
                if st.len() > 1 {
                    if let G::Agg(a) = &st[st.len() - 1].g {
                        return Ok(ScalarPipelineExpr::Pipeline {
                            pipeline: self.pipeline(&st[..st.len() - 1])?,
                            aggregate: a.clone(),
                        });
                    }
                    return Err(self.err_start(st[st.len() - 1]));
                }
                self.scalar_pipeline(x)
            }
            G::Bin(TopOp::Arith(op), l, r) => Ok(ScalarPipelineExpr::Op {
                op: *op,
                lhs: Box::new(self.scalar_pipeline(l)?),
                rhs: Box::new(self.scalar_pipeline(r)?),
            }),
            G::Lit(_) | G::Neg(_) => Ok(ScalarPipelineExpr::Static(self.fold(n)?)),
            G::Bin(..) => Err(self.err_op(n)),
            _ => Err(self.err_start(n)),
        }
    }

    /// Tempo's `scalar`: a literal or constant arithmetic (`+ - * /`), folded with Go's int
    /// vs float rules (`1/2` = 0). Durations may only be negated.
    fn fold(&self, n: &Node) -> R<Static> {
        match &n.g {
            G::Lit(s) => Ok(s.clone()),
            G::Paren(x) => self.fold(x),
            G::Neg(x) => {
                let v = self.fold(x)?;
                neg(v).ok_or_else(|| self.msg_after(n, "integer overflow"))
            }
            G::Bin(TopOp::Arith(op), l, r)
                if matches!(
                    op,
                    ArithOp::Add | ArithOp::Sub | ArithOp::Mul | ArithOp::Div
                ) =>
            {
                let (a, b) = (self.fold(l)?, self.fold(r)?);
                match (a, b) {
                    (Static::Duration(_), _) | (_, Static::Duration(_)) => {
                        Err(self.msg_after(n, "duration cannot be used in scalar arithmetic"))
                    }
                    (Static::Int(x), Static::Int(y)) => {
                        let v = match op {
                            ArithOp::Add => x.checked_add(y),
                            ArithOp::Sub => x.checked_sub(y),
                            ArithOp::Mul => x.checked_mul(y),
                            _ => x.checked_div(y),
                        };
                        v.map(Static::Int).ok_or_else(|| {
                            self.msg_after(n, "integer overflow or division by zero")
                        })
                    }
                    (a, b) => {
                        let (x, y) = (as_f64(&a), as_f64(&b));
                        Ok(Static::Float(match op {
                            ArithOp::Add => x + y,
                            ArithOp::Sub => x - y,
                            ArithOp::Mul => x * y,
                            _ => x / y,
                        }))
                    }
                }
            }
            G::Bin(..) => Err(self.p.unexpected_at(n.op, "")),
            _ => Err(self.err_start(n)),
        }
    }

    /// A `scalar` used in metrics arithmetic (durations rejected, as Tempo).
    fn metric_scalar(&self, n: &Node) -> R<f64> {
        match self.fold(n)? {
            Static::Duration(_) => Err(self.msg_after(
                n,
                "duration cannot be used as a scalar operand in metric arithmetic",
            )),
            s => Ok(as_f64(&s)),
        }
    }

    fn metrics_expr(&self, n: &Node) -> R<MetricsExpr> {
        match &n.g {
            G::Paren(x) => {
                let st = stages(x);
                if let Some(k) = st.iter().position(|s| is_metrics_head(s)) {
                    if k == 0 {
                        return Err(self.err_start(st[0]));
                    }
                    let pipeline = self.pipeline(&st[..k])?;
                    let (function, mut second) = self.metrics_stage(st[k])?;
                    for s in &st[k + 1..] {
                        second.extend(self.second_stage(s)?);
                    }
                    return Ok(MetricsExpr::Pipeline {
                        pipeline,
                        function,
                        second,
                    });
                }
                if st.len() > 1 {
                    return Err(self.err_start(st[1]));
                }
                self.metrics_expr(x)
            }
            G::Bin(TopOp::Arith(op), l, r)
                if matches!(
                    op,
                    ArithOp::Add | ArithOp::Sub | ArithOp::Mul | ArithOp::Div
                ) =>
            {
                let (lm, rm) = (has_wrapped_metrics(l), has_wrapped_metrics(r));
                if lm && rm {
                    Ok(MetricsExpr::Op {
                        op: *op,
                        lhs: Box::new(self.metrics_expr(l)?),
                        rhs: Box::new(self.metrics_expr(r)?),
                    })
                } else if lm {
                    Ok(MetricsExpr::ScalarOp {
                        op: *op,
                        scalar: self.metric_scalar(r)?,
                        scalar_left: false,
                        expr: Box::new(self.metrics_expr(l)?),
                    })
                } else {
                    Ok(MetricsExpr::ScalarOp {
                        op: *op,
                        scalar: self.metric_scalar(l)?,
                        scalar_left: true,
                        expr: Box::new(self.metrics_expr(r)?),
                    })
                }
            }
            G::Bin(op, l, r) if cmp_of(*op).is_some() && has_wrapped_metrics(l) => {
                let c = cmp_of(*op).unwrap_or(CmpOp::Eq);
                let value = self.filter_value(r)?;
                let inner = self.metrics_expr(l)?;
                Ok(match inner {
                    MetricsExpr::Second { expr, mut second } => {
                        second.push(SecondStage::Filter(c, value));
                        MetricsExpr::Second { expr, second }
                    }
                    other => MetricsExpr::Second {
                        expr: Box::new(other),
                        second: vec![SecondStage::Filter(c, value)],
                    },
                })
            }
            G::Bin(..) => Err(self.err_op(n)),
            _ => Err(self.err_start(n)),
        }
    }

    /// Value of a metrics filter: a folded scalar, durations converted to seconds.
    fn filter_value(&self, n: &Node) -> R<f64> {
        Ok(match self.fold(n)? {
            Static::Duration(d) => d as f64 / 1e9,
            s => as_f64(&s),
        })
    }

    /// `rate() … > 10 < 20`: the function and its trailing filters.
    fn metrics_stage(&self, n: &Node) -> R<(MetricsFunction, Vec<SecondStage>)> {
        let (head, filters) = cmp_chain(n);
        let G::Metrics(f) = &head.g else {
            return Err(self.err_start(head));
        };
        let mut second = Vec::new();
        for (c, v) in filters {
            second.push(SecondStage::Filter(c, self.filter_value(v)?));
        }
        Ok((f.clone(), second))
    }

    /// `topk(n) > 10 …` after a `|`.
    fn second_stage(&self, n: &Node) -> R<Vec<SecondStage>> {
        let (head, filters) = cmp_chain(n);
        let first = match &head.g {
            G::TopK(false, k) => SecondStage::TopK(*k),
            G::TopK(true, k) => SecondStage::BottomK(*k),
            _ => return Err(self.err_start(head)),
        };
        let mut v = vec![first];
        for (c, x) in filters {
            v.push(SecondStage::Filter(c, self.filter_value(x)?));
        }
        Ok(v)
    }
}

fn as_f64(s: &Static) -> f64 {
    match s {
        Static::Int(i) => *i as f64,
        Static::Float(f) => *f,
        Static::Duration(d) => *d as f64,
        _ => f64::NAN,
    }
}

fn has_agg(e: &ScalarExpr) -> bool {
    match e {
        ScalarExpr::Aggregate(_) => true,
        ScalarExpr::Static(_) => false,
        ScalarExpr::Op { lhs, rhs, .. } => has_agg(lhs) || has_agg(rhs),
    }
}
