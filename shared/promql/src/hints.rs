//! Selection hints: which selectors a query reads over which time ranges, as Prometheus
//! `FindMinMaxTimes`/`getTimeRangesForSelector` (lookback, range, offset, `@`, subqueries).

use crate::eval::{offset_ms, systime_ms};
use crate::selectors::matcher_groups;
use crate::{EngineOptions, QueryError, SelectHint};
use promql_parser::parser::{AtModifier, Expr, VectorSelector};

#[derive(Clone, Copy)]
struct Ctx {
    start: i64,
    end: i64,
    /// Accumulated subquery offset and range (ms) and the innermost subquery `@` time.
    subq_offset: i64,
    subq_range: i64,
    subq_at: Option<i64>,
}

fn at_ms(at: &Option<AtModifier>, start: i64, end: i64) -> Option<i64> {
    match at {
        None => None,
        Some(AtModifier::Start) => Some(start),
        Some(AtModifier::End) => Some(end),
        Some(AtModifier::At(t)) => Some(systime_ms(t)),
    }
}

/// All selections `expr` makes when evaluated over `[start, end]` (ms).
pub(crate) fn find(
    expr: &Expr,
    start: i64,
    end: i64,
    opts: &EngineOptions,
) -> Result<Vec<SelectHint>, QueryError> {
    let mut out = Vec::new();
    let ctx = Ctx {
        start,
        end,
        subq_offset: 0,
        subq_range: 0,
        subq_at: None,
    };
    walk(expr, ctx, opts, &mut out)?;
    Ok(out)
}

fn selector(
    vs: &VectorSelector,
    range: i64,
    ctx: Ctx,
    opts: &EngineOptions,
    out: &mut Vec<SelectHint>,
) -> Result<(), QueryError> {
    let (mut s, mut e) = match ctx.subq_at {
        Some(t) => (t, t),
        None => (ctx.start, ctx.end),
    };
    if let Some(t) = at_ms(&vs.at, ctx.start, ctx.end) {
        s = t;
        e = t;
    } else {
        s -= ctx.subq_offset + ctx.subq_range;
        e -= ctx.subq_offset;
    }
    if range == 0 {
        s -= opts.lookback_delta.as_millis() as i64;
    } else {
        s -= range;
    }
    let off = offset_ms(&vs.offset);
    for matchers in matcher_groups(vs)? {
        out.push(SelectHint {
            matchers,
            mint_ms: s - off,
            maxt_ms: e - off,
        });
    }
    Ok(())
}

fn walk(
    e: &Expr,
    ctx: Ctx,
    opts: &EngineOptions,
    out: &mut Vec<SelectHint>,
) -> Result<(), QueryError> {
    match e {
        Expr::VectorSelector(vs) => selector(vs, 0, ctx, opts, out),
        Expr::MatrixSelector(ms) => selector(&ms.vs, ms.range.as_millis() as i64, ctx, opts, out),
        Expr::Subquery(sq) => {
            let mut c = ctx;
            c.subq_offset += offset_ms(&sq.offset);
            c.subq_range += sq.range.as_millis() as i64;
            if let Some(t) = at_ms(&sq.at, ctx.start, ctx.end) {
                c.subq_at = Some(t);
            }
            walk(&sq.expr, c, opts, out)
        }
        Expr::Paren(p) => walk(&p.expr, ctx, opts, out),
        Expr::Unary(u) => walk(&u.expr, ctx, opts, out),
        Expr::Binary(b) => {
            walk(&b.lhs, ctx, opts, out)?;
            walk(&b.rhs, ctx, opts, out)
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk(p, ctx, opts, out)?;
            }
            walk(&a.expr, ctx, opts, out)
        }
        Expr::Call(c) if c.func.name == "info" => {
            // The base expression, plus the info series over the same time range.
            let before = out.len();
            if let Some(a) = c.args.args.first() {
                walk(a, ctx, opts, out)?;
            }
            let added = &out[before..];
            let mint = added.iter().map(|h| h.mint_ms).min();
            let maxt = added.iter().map(|h| h.maxt_ms).max();
            if let (Some(mint_ms), Some(maxt_ms)) = (mint, maxt) {
                let (mut matchers, data) = crate::functions::info::info_matchers(c)?;
                matchers.extend(data);
                out.push(SelectHint {
                    matchers,
                    mint_ms,
                    maxt_ms,
                });
            }
            Ok(())
        }
        Expr::Call(c) => {
            for a in &c.args.args {
                walk(a, ctx, opts, out)?;
            }
            Ok(())
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Ok(()),
    }
}
