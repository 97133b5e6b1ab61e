//! Aggregation operators (`sum`, `avg`, `count`, `min`, `max`, `group`, `stddev`, `stdvar`,
//! `quantile`, `topk`, `bottomk`, `count_values`, `limitk`, `limit_ratio`) with `by`/`without`,
//! as Prometheus `rangeEvalAgg`/`aggregation`.

use crate::eval::{unwrap_parens, Evaluator};
use crate::functions::over_time::quantile;
use crate::kahan;
use crate::result::NAME_LIKE;
use crate::types::{Sample, StepVec, Steps, Val};
use crate::QueryError;
use lakewatch_model::{FloatHistogram, Labels};
use promql_parser::parser::token::*;
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};
use std::collections::HashMap;
use std::sync::Arc;

/// Computes the grouping labels of a series.
fn group_labels(m: &Labels, modifier: &Option<LabelModifier>) -> Labels {
    match modifier {
        None => Labels::default(),
        Some(LabelModifier::Include(ls)) => Labels::from_sorted(
            m.iter()
                .filter(|l| ls.labels.iter().any(|n| n == &l.name))
                .cloned()
                .collect(),
        ),
        Some(LabelModifier::Exclude(ls)) => Labels::from_sorted(
            m.iter()
                .filter(|l| {
                    !ls.labels.iter().any(|n| n == &l.name) && !NAME_LIKE.contains(&l.name.as_str())
                })
                .cloned()
                .collect(),
        ),
    }
}

/// A stable 64-bit hash of a label set (FNV-1a), for `limit_ratio` sampling.
fn stable_hash(l: &Labels) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for lab in l.iter() {
        for b in lab
            .name
            .bytes()
            .chain([0xff])
            .chain(lab.value.bytes())
            .chain([0xff])
        {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)`.
pub(crate) fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "+Inf".into()
    } else if f == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{f}")
    }
}

struct Group {
    labels: Arc<Labels>,
    drop_name: bool,
    members: Vec<usize>,
}

/// Evaluates an aggregation at every step.
pub(crate) fn eval(
    ev: &mut Evaluator,
    a: &AggregateExpr,
    steps: &Steps,
) -> Result<Val, QueryError> {
    let op = a.op.id();
    let n = steps.len();
    // Parameter, per step.
    let mut param = vec![f64::NAN; n];
    let mut label_param = String::new();
    if let Some(p) = &a.param {
        if op == T_COUNT_VALUES {
            match unwrap_parens(p) {
                Expr::StringLiteral(s) => label_param = s.val.clone(),
                _ => {
                    return Err(QueryError::Execution(
                        "count_values parameter must be a string".into(),
                    ))
                }
            }
        } else {
            param = ev.eval_scalar(p, steps)?;
        }
    }
    let input = ev.eval_vector(&a.expr, steps)?;
    match op {
        T_TOPK | T_BOTTOMK | T_LIMITK => {
            for &k in &param {
                if k.is_nan() {
                    return Err(QueryError::Execution("Parameter value is NaN".into()));
                }
            }
        }
        T_LIMIT_RATIO => {
            for r in param.iter_mut() {
                if r.is_nan() {
                    return Err(QueryError::Execution("Ratio value is NaN".into()));
                }
                if *r > 1.0 || *r < -1.0 {
                    let capped = r.clamp(-1.0, 1.0);
                    let msg = format!(
                        "ratio value should be between -1 and 1, got {r}, capping to {capped}"
                    );
                    if let Some(p) = &a.param {
                        ev.warn_at(msg, p);
                    }
                    *r = capped;
                }
            }
        }
        T_QUANTILE => {
            for &q in &param {
                if !(0.0..=1.0).contains(&q) {
                    let msg = format!("quantile value should be between 0 and 1, got {q}");
                    if let Some(p) = &a.param {
                        ev.warn_at(msg, p);
                    }
                }
            }
        }
        T_COUNT_VALUES if !crate::functions::labels::valid_label_name(&label_param) => {
            return Err(QueryError::Execution(format!(
                "invalid label name {}",
                crate::functions::labels::go_quote(&label_param)
            )));
        }
        _ => {}
    }
    // Input label set (by address) -> canonical grouping key (one `Arc` per distinct key).
    let mut key_cache: HashMap<*const Labels, Arc<Labels>> = HashMap::new();
    let mut canonical: HashMap<Labels, Arc<Labels>> = HashMap::new();
    let mut out: Vec<StepVec> = Vec::with_capacity(n);
    for (k, vec) in input.iter().enumerate() {
        if op == T_COUNT_VALUES {
            out.push(count_values(vec, &a.modifier, &label_param));
            continue;
        }
        // Group the samples of this step.
        let mut groups: Vec<Group> = Vec::new();
        let mut gidx: HashMap<*const Labels, usize> = HashMap::new();
        for (i, s) in vec.iter().enumerate() {
            let key = key_cache
                .entry(Arc::as_ptr(&s.metric))
                .or_insert_with(|| {
                    let l = group_labels(&s.metric, &a.modifier);
                    canonical
                        .entry(l.clone())
                        .or_insert_with(|| Arc::new(l))
                        .clone()
                })
                .clone();
            let g = *gidx.entry(Arc::as_ptr(&key)).or_insert_with(|| {
                groups.push(Group {
                    labels: key,
                    drop_name: false,
                    members: Vec::new(),
                });
                groups.len() - 1
            });
            groups[g].members.push(i);
            groups[g].drop_name |= s.drop_name;
        }
        let mut res: StepVec = Vec::new();
        for g in &groups {
            let ms: Vec<&Sample> = g.members.iter().map(|&i| &vec[i]).collect();
            aggregate_group(ev, a, op, g, &ms, param[k], &mut res)?;
        }
        out.push(res);
    }
    // `input` outlives the pointer-keyed cache, so no address is reused while cached.
    drop(key_cache);
    drop(input);
    Ok(Val::Vector(out))
}

fn push(res: &mut StepVec, g: &Group, f: f64, h: Option<Arc<FloatHistogram>>) {
    res.push(Sample {
        metric: g.labels.clone(),
        f,
        h,
        drop_name: g.drop_name,
    });
}

fn aggregate_group(
    ev: &mut Evaluator,
    a: &AggregateExpr,
    op: TokenId,
    g: &Group,
    ms: &[&Sample],
    param: f64,
    res: &mut StepVec,
) -> Result<(), QueryError> {
    let floats: Vec<f64> = ms.iter().filter(|s| s.h.is_none()).map(|s| s.f).collect();
    let n_hist = ms.len() - floats.len();
    let op_name = TokenType::new(op).to_string();
    match op {
        T_SUM | T_AVG => {
            if n_hist > 0 && !floats.is_empty() {
                ev.warn_at(
                    "encountered a mix of histograms and floats for aggregation".into(),
                    &a.expr,
                );
                return Ok(());
            }
            if n_hist > 0 {
                let hs: Vec<&FloatHistogram> = ms.iter().filter_map(|s| s.h.as_deref()).collect();
                let name = ms[0].metric.metric_name().unwrap_or("").to_string();
                let r = crate::hist::sum_or_avg(&hs, &name, op == T_AVG);
                for an in &r.annotations {
                    ev.annotate(an, &a.expr);
                }
                if let Some(h) = r.histogram {
                    push(res, g, 0.0, Some(Arc::new(h)));
                }
                return Ok(());
            }
            let v = if op == T_SUM {
                let (mut s, mut c) = (0.0, 0.0);
                for &f in &floats {
                    (s, c) = kahan::inc(f, s, c);
                }
                s + c
            } else {
                kahan::mean(&floats)
            };
            push(res, g, v, None);
        }
        T_COUNT => push(res, g, ms.len() as f64, None),
        T_GROUP => push(res, g, 1.0, None),
        T_MIN | T_MAX | T_STDDEV | T_STDVAR | T_QUANTILE => {
            if n_hist > 0 {
                let pos = crate::positions::suffix_text(&ev.query, &op_name);
                ev.info(format!("ignored histogram in {op_name} aggregation{pos}"));
            }
            if floats.is_empty() {
                return Ok(());
            }
            let v = match op {
                T_MIN => {
                    floats[1..].iter().fold(
                        floats[0],
                        |m, &f| {
                            if m > f || m.is_nan() {
                                f
                            } else {
                                m
                            }
                        },
                    )
                }
                T_MAX => {
                    floats[1..].iter().fold(
                        floats[0],
                        |m, &f| {
                            if m < f || m.is_nan() {
                                f
                            } else {
                                m
                            }
                        },
                    )
                }
                T_QUANTILE => quantile(param, floats),
                _ => {
                    let var = agg_variance(&floats);
                    if op == T_STDDEV {
                        var.sqrt()
                    } else {
                        var
                    }
                }
            };
            push(res, g, v, None);
        }
        T_TOPK | T_BOTTOMK => {
            if n_hist > 0 {
                let pos = crate::positions::suffix_text(&ev.query, &op_name);
                ev.info(format!("ignored histogram in {op_name} aggregation{pos}"));
            }
            let k = clamp_k(param, ms.len());
            if k == 0 {
                return Ok(());
            }
            let top = op == T_TOPK;
            let mut sel: Vec<&Sample> = ms.iter().copied().filter(|s| s.h.is_none()).collect();
            // Sort best first; NaN always last.
            sel.sort_by(|a, b| match (a.f.is_nan(), b.f.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => {
                    let o = a.f.partial_cmp(&b.f).unwrap_or(std::cmp::Ordering::Equal);
                    if top {
                        o.reverse()
                    } else {
                        o
                    }
                }
            });
            for s in sel.into_iter().take(k) {
                res.push((*s).clone());
            }
        }
        T_LIMITK => {
            let k = clamp_k(param, ms.len());
            for s in ms.iter().take(k) {
                res.push((*s).clone());
            }
        }
        T_LIMIT_RATIO => {
            for s in ms {
                let off = stable_hash(&s.metric) as f64 / u64::MAX as f64;
                if (param >= 0.0 && off < param) || (param < 0.0 && off >= 1.0 + param) {
                    res.push((*s).clone());
                }
            }
        }
        _ => {
            return Err(QueryError::Execution(format!(
                "unsupported aggregation {op_name}"
            )))
        }
    }
    Ok(())
}

/// `count_values`: counts per (grouping labels + value label), as Prometheus.
fn count_values(vec: &[Sample], modifier: &Option<LabelModifier>, label: &str) -> StepVec {
    let mut idx: HashMap<Labels, usize> = HashMap::new();
    let mut out: StepVec = Vec::new();
    for s in vec {
        let v = match &s.h {
            Some(h) => crate::hist::to_string(h),
            None => format_float(s.f),
        };
        let mut l = group_labels(&s.metric, modifier);
        l.set(label, &v);
        match idx.get(&l) {
            Some(&i) => out[i].f += 1.0,
            None => {
                idx.insert(l.clone(), out.len());
                out.push(Sample::float(Arc::new(l), 1.0, false));
            }
        }
    }
    out
}

/// Prometheus's `k` parameter: truncated to an integer, at most the group size.
fn clamp_k(param: f64, len: usize) -> usize {
    if param < 1.0 {
        return 0;
    }
    if param >= len as f64 {
        return len;
    }
    param as usize
}

/// Variance as Prometheus's `stdvar` aggregation (compensated running mean).
fn agg_variance(xs: &[f64]) -> f64 {
    if xs[0].is_nan() || xs[0].is_infinite() {
        return f64::NAN;
    }
    let (mut count, mut mean, mut c, mut value) = (1.0f64, xs[0], 0.0f64, 0.0f64);
    for &f in &xs[1..] {
        count += 1.0;
        let delta = f - (mean + c);
        (mean, c) = kahan::inc(delta / count, mean, c);
        value += delta * (f - (mean + c));
    }
    value / count
}
