//! Miscellaneous functions: `vector`, `scalar`, `absent`, `sort`, `sort_desc`, and the
//! histogram functions' dispatch.

use super::arg;
use crate::eval::{unwrap_parens, Evaluator};
use crate::types::{Sample, Steps, Val};
use crate::QueryError;
use lakewatch_model::Labels;
use promql_parser::label::MatchOp;
use promql_parser::parser::{Call, Expr};
use std::collections::HashSet;
use std::sync::Arc;

/// Adds the warning Prometheus gives for sorting in range queries.
pub(crate) fn sort_warning(ev: &mut Evaluator, c: &Call) {
    let pos = crate::positions::suffix_text(&ev.query, &format!("{}(", c.func.name));
    ev.warn(format!(
        "sort is ineffective for range queries since results are always ordered by labels{pos}"
    ));
}

/// Labels of `absent()`'s output: the equality matchers of a selector argument
/// (a label matched more than once is dropped), as Prometheus `createLabelsForAbsentFunction`.
pub(crate) fn absent_labels(e: &Expr) -> Labels {
    let vs = match e {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Labels::default(),
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut has: HashSet<String> = HashSet::new();
    for m in vs.matchers.matchers.iter() {
        if m.name == "__name__" {
            continue;
        }
        if m.op == MatchOp::Equal && !has.contains(&m.name) {
            pairs.retain(|p| p.0 != m.name);
            pairs.push((m.name.clone(), m.value.clone()));
            has.insert(m.name.clone());
        } else {
            pairs.retain(|p| p.0 != m.name);
        }
    }
    Labels::from_pairs(pairs)
}

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ev: &mut Evaluator,
    name: &str,
    c: &Call,
    steps: &Steps,
) -> Result<Option<Val>, QueryError> {
    match name {
        "vector" => {
            let s = ev.eval_scalar(arg(c, 0)?, steps)?;
            let l = Arc::new(Labels::default());
            Ok(Some(Val::Vector(
                s.into_iter()
                    .map(|f| vec![Sample::float(l.clone(), f, false)])
                    .collect(),
            )))
        }
        "scalar" => {
            let v = ev.eval_vector(arg(c, 0)?, steps)?;
            Ok(Some(Val::Scalar(
                v.into_iter()
                    .map(|vec| {
                        let mut fl = vec.iter().filter(|s| s.h.is_none());
                        match (fl.next(), fl.next()) {
                            (Some(s), None) => s.f,
                            _ => f64::NAN,
                        }
                    })
                    .collect(),
            )))
        }
        "absent" => {
            let a = arg(c, 0)?;
            let v = ev.eval_vector(a, steps)?;
            let l = Arc::new(absent_labels(a));
            Ok(Some(Val::Vector(
                v.into_iter()
                    .map(|vec| {
                        if vec.is_empty() {
                            vec![Sample::float(l.clone(), 1.0, false)]
                        } else {
                            vec![]
                        }
                    })
                    .collect(),
            )))
        }
        "sort" | "sort_desc" => {
            if ev.is_range {
                sort_warning(ev, c);
            }
            let mut v = ev.eval_vector(arg(c, 0)?, steps)?;
            let desc = name == "sort_desc";
            for vec in &mut v {
                vec.retain(|s| s.h.is_none());
                vec.sort_by(|a, b| match (a.f.is_nan(), b.f.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ => {
                        let o = a.f.partial_cmp(&b.f).unwrap_or(std::cmp::Ordering::Equal);
                        if desc {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                });
            }
            Ok(Some(Val::Vector(v)))
        }
        "step" => Ok(Some(Val::Scalar(vec![
            ev.query_step as f64 / 1000.0;
            steps.len()
        ]))),
        "range" => Ok(Some(Val::Scalar(vec![
            (ev.query_end - ev.query_start)
                as f64
                / 1000.0;
            steps.len()
        ]))),
        "start" => Ok(Some(Val::Scalar(vec![
            ev.query_start as f64 / 1000.0;
            steps.len()
        ]))),
        "end" => Ok(Some(Val::Scalar(vec![
            ev.query_end as f64 / 1000.0;
            steps.len()
        ]))),
        "min_of" | "max_of" => {
            let a = ev.eval_scalar(arg(c, 0)?, steps)?;
            let b = ev.eval_scalar(arg(c, 1)?, steps)?;
            let f = if name == "min_of" {
                super::math::go_min
            } else {
                super::math::go_max
            };
            Ok(Some(Val::Scalar(
                a.into_iter().zip(b).map(|(x, y)| f(x, y)).collect(),
            )))
        }
        _ => {
            let _ = unwrap_parens;
            Ok(None)
        }
    }
}
