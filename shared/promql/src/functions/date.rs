//! Time functions: `time`, `timestamp` and the UTC date functions (`hour`, `month`, ...).

use super::map_vector;
use crate::eval::{unwrap_parens, Evaluator};
use crate::types::{Sample, Steps, Val};
use crate::QueryError;
use chrono::{DateTime, Datelike, Timelike};
use lakewatch_model::Labels;
use promql_parser::parser::{Call, Expr};
use std::sync::Arc;

fn date_fn(name: &str) -> Option<fn(DateTime<chrono::Utc>) -> f64> {
    Some(match name {
        "day_of_month" => |d| d.day() as f64,
        "day_of_week" => |d| d.weekday().num_days_from_sunday() as f64,
        "day_of_year" => |d| d.ordinal() as f64,
        "days_in_month" => |d| {
            let (y, m) = (d.year(), d.month());
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let first = chrono::NaiveDate::from_ymd_opt(y, m, 1);
            let next = chrono::NaiveDate::from_ymd_opt(ny, nm, 1);
            match (first, next) {
                (Some(a), Some(b)) => (b - a).num_days() as f64,
                _ => f64::NAN,
            }
        },
        "hour" => |d| d.hour() as f64,
        "minute" => |d| d.minute() as f64,
        "month" => |d| d.month() as f64,
        "year" => |d| d.year() as f64,
        _ => return None,
    })
}

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ev: &mut Evaluator,
    name: &str,
    c: &Call,
    steps: &Steps,
) -> Result<Option<Val>, QueryError> {
    if name == "time" {
        return Ok(Some(Val::Scalar(
            steps.iter().map(|t| t as f64 / 1000.0).collect(),
        )));
    }
    if name == "timestamp" {
        let a = super::arg(c, 0)?;
        let v = if let Expr::VectorSelector(vs) = unwrap_parens(a) {
            crate::selectors::eval_vector(ev, vs, steps, true)?
                .into_iter()
                .map(|vec| {
                    vec.into_iter()
                        .map(|mut s| {
                            s.drop_name = true;
                            s
                        })
                        .collect()
                })
                .collect()
        } else {
            let v = ev.eval_vector(a, steps)?;
            let mut out = map_vector(v, |_, _| Some(0.0));
            for (k, vec) in out.iter_mut().enumerate() {
                for s in vec {
                    s.f = steps.ts(k) as f64 / 1000.0;
                }
            }
            out
        };
        return Ok(Some(Val::Vector(v)));
    }
    let Some(f) = date_fn(name) else {
        return Ok(None);
    };
    let apply = move |secs: f64| -> f64 {
        if !secs.is_finite() {
            return f64::NAN;
        }
        match DateTime::from_timestamp(secs.trunc() as i64, 0) {
            Some(d) => f(d),
            None => f64::NAN,
        }
    };
    if c.args.args.is_empty() {
        let empty = Arc::new(Labels::default());
        let out = steps
            .iter()
            .map(|t| {
                vec![Sample::float(
                    empty.clone(),
                    apply(t as f64 / 1000.0),
                    false,
                )]
            })
            .collect();
        return Ok(Some(Val::Vector(out)));
    }
    let v = ev.eval_vector(super::arg(c, 0)?, steps)?;
    Ok(Some(Val::Vector(map_vector(v, |_, s| {
        s.h.is_none().then(|| apply(s.f))
    }))))
}
