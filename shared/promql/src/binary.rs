//! Binary operators: arithmetic, comparison (with/without `bool`), set operators, vector
//! matching (`on`/`ignoring`, `group_left`/`group_right`) and `fill*()` modifiers, as
//! Prometheus `VectorBinop`/`VectorAnd`/`VectorOr`/`VectorUnless`/`VectorscalarBinop`.

use crate::eval::Evaluator;
use crate::types::{Sample, StepVec, Steps, Val};
use crate::QueryError;
use lakewatch_model::{FloatHistogram, Labels};
use promql_parser::parser::token::*;
use promql_parser::parser::{BinModifier, BinaryExpr, Expr, LabelModifier, VectorMatchCardinality};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

type Elem = (f64, Option<Arc<FloatHistogram>>);

fn is_comparison(op: TokenId) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

/// Float binop; for comparisons returns the lhs and whether the comparison holds.
pub(crate) fn float_op(op: TokenId, l: f64, r: f64) -> (f64, bool) {
    match op {
        T_ADD => (l + r, true),
        T_SUB => (l - r, true),
        T_MUL => (l * r, true),
        T_DIV => (l / r, true),
        T_POW => (l.powf(r), true),
        T_MOD => (l % r, true),
        T_ATAN2 => (l.atan2(r), true),
        T_EQLC => (l, l == r),
        T_NEQ => (l, l != r),
        T_GTR => (l, l > r),
        T_LSS => (l, l < r),
        T_GTE => (l, l >= r),
        T_LTE => (l, l <= r),
        _ => (f64::NAN, false),
    }
}

/// Annotations collected while applying an operator.
#[derive(Default)]
struct Annos {
    infos: Vec<String>,
    hist: Vec<crate::native::Annotation>,
}

impl Annos {
    fn flush(self, ev: &mut Evaluator, pos: &Expr) {
        for i in self.infos {
            ev.info_at(i, pos);
        }
        for a in self.hist {
            ev.annotate(&a, pos);
        }
    }
}

/// Element binop over floats or histograms, as Prometheus `vectorElemBinop`. `None` drops the
/// element (incompatible types or bucket layouts, with an annotation).
fn elem_op(
    op: TokenId,
    l: &Elem,
    r: &Elem,
    metric: &Labels,
    annos: &mut Annos,
) -> Option<(Elem, bool)> {
    let name = metric.metric_name().unwrap_or("");
    let mut incompatible = |a: &str, b: &str| {
        let op_s = TokenType::new(op).to_string();
        annos.infos.push(format!(
            "incompatible sample types encountered for binary operator \"{op_s}\": {a} {op_s} {b}"
        ));
        None
    };
    match (&l.1, &r.1) {
        (None, None) => {
            let (v, keep) = float_op(op, l.0, r.0);
            Some(((v, None), keep))
        }
        (None, Some(h)) => match op {
            T_MUL => Some((
                (0.0, Some(Arc::new(crate::hist::scale(h, l.0).compact(0)))),
                true,
            )),
            _ => incompatible("float", "histogram"),
        },
        (Some(h), None) => match op {
            T_MUL => Some((
                (0.0, Some(Arc::new(crate::hist::scale(h, r.0).compact(0)))),
                true,
            )),
            T_DIV => Some((
                (0.0, Some(Arc::new(crate::hist::div(h, r.0).compact(0)))),
                true,
            )),
            _ => incompatible("histogram", "float"),
        },
        (Some(a), Some(b)) => match op {
            T_ADD | T_SUB => {
                let h = crate::hist::combine(a, b, op == T_SUB, name, &mut annos.hist)?;
                Some(((0.0, Some(Arc::new(h))), true))
            }
            T_EQLC => Some(((0.0, Some(a.clone())), crate::hist::equal(a, b))),
            T_NEQ => Some(((0.0, Some(a.clone())), !crate::hist::equal(a, b))),
            _ => incompatible("histogram", "histogram"),
        },
    }
}

/// Evaluates a binary expression at every step.
pub(crate) fn eval(ev: &mut Evaluator, b: &BinaryExpr, steps: &Steps) -> Result<Val, QueryError> {
    let op = b.op.id();
    let lhs = ev.with_stats(false, |ev| ev.eval(&b.lhs, steps))?;
    let rhs = ev.with_stats(false, |ev| ev.eval(&b.rhs, steps))?;
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    match (lhs, rhs) {
        (Val::Scalar(l), Val::Scalar(r)) => Ok(Val::Scalar(
            l.into_iter()
                .zip(r)
                .map(|(a, c)| {
                    let (v, keep) = float_op(op, a, c);
                    if is_comparison(op) {
                        if keep {
                            1.0
                        } else {
                            0.0
                        }
                    } else {
                        v
                    }
                })
                .collect(),
        )),
        (Val::Vector(v), Val::Scalar(s)) => Ok(Val::Vector(vector_scalar(
            ev,
            &b.lhs,
            op,
            v,
            &s,
            false,
            return_bool,
        ))),
        (Val::Scalar(s), Val::Vector(v)) => Ok(Val::Vector(vector_scalar(
            ev,
            &b.lhs,
            op,
            v,
            &s,
            true,
            return_bool,
        ))),
        (Val::Vector(l), Val::Vector(r)) => {
            let default = BinModifier {
                card: VectorMatchCardinality::OneToOne,
                matching: None,
                return_bool: false,
                fill_values: Default::default(),
            };
            let m = b.modifier.as_ref().unwrap_or(&default);
            let out = match op {
                T_LAND | T_LOR | T_LUNLESS => set_op(op, m, &l, &r),
                _ => {
                    let mut out = Vec::with_capacity(l.len());
                    let mut sigs = SigCache::default();
                    for (lv, rv) in l.iter().zip(r.iter()) {
                        out.push(vector_binop(ev, &b.lhs, op, m, lv, rv, &mut sigs)?);
                    }
                    out
                }
            };
            Ok(Val::Vector(out))
        }
        _ => Err(QueryError::Execution(
            "binary operation on string values is not supported".into(),
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn vector_scalar(
    ev: &mut Evaluator,
    pos: &Expr,
    op: TokenId,
    v: Vec<StepVec>,
    s: &[f64],
    swap: bool,
    return_bool: bool,
) -> Vec<StepVec> {
    let comparison = is_comparison(op);
    let mut annos = Annos::default();
    let out = v
        .into_iter()
        .enumerate()
        .map(|(k, vec)| {
            vec.into_iter()
                .filter_map(|mut smp| {
                    let a: Elem = (smp.f, smp.h.clone());
                    let c: Elem = (s[k], None);
                    let (l, r) = if swap { (c, a) } else { (a, c) };
                    let ((mut f, mut h), keep) = elem_op(op, &l, &r, &smp.metric, &mut annos)?;
                    if comparison && swap {
                        f = r.0;
                        h = r.1.clone();
                    }
                    if return_bool {
                        f = if keep { 1.0 } else { 0.0 };
                        h = None;
                    } else if !keep {
                        return None;
                    }
                    if !comparison && h.is_none() && (l.1.is_some() || r.1.is_some()) {
                        return None;
                    }
                    smp.f = f;
                    smp.h = h;
                    if !comparison || return_bool {
                        smp.drop_name = true;
                    }
                    Some(smp)
                })
                .collect()
        })
        .collect();
    annos.flush(ev, pos);
    out
}

/// Matching signatures per label set and result label sets per matched pair, cached by `Arc`
/// address across steps (the inputs outlive the cache, so addresses are not reused).
#[derive(Default)]
struct SigCache {
    map: HashMap<*const Labels, u64>,
    results: HashMap<(*const Labels, *const Labels), (Arc<Labels>, u64)>,
}

fn labels_hash(l: &Labels) -> u64 {
    let mut h = DefaultHasher::new();
    l.hash(&mut h);
    h.finish()
}

impl SigCache {
    fn get(&mut self, m: &Arc<Labels>, matching: &Option<LabelModifier>) -> u64 {
        *self
            .map
            .entry(Arc::as_ptr(m))
            .or_insert_with(|| signature(m, matching))
    }
}

fn signature(m: &Labels, matching: &Option<LabelModifier>) -> u64 {
    let mut h = DefaultHasher::new();
    for l in match_labels(m, matching).iter() {
        l.name.hash(&mut h);
        l.value.hash(&mut h);
    }
    h.finish()
}

/// The labels used for matching: `on` keeps the listed ones, otherwise all but the ignored
/// ones and `__name__` (Prometheus `MatchLabels`).
fn match_labels(m: &Labels, matching: &Option<LabelModifier>) -> Labels {
    match matching {
        Some(LabelModifier::Include(ls)) => Labels::from_sorted(
            m.iter()
                .filter(|l| ls.labels.contains(&l.name))
                .cloned()
                .collect(),
        ),
        Some(LabelModifier::Exclude(ls)) => Labels::from_sorted(
            m.iter()
                .filter(|l| !ls.labels.contains(&l.name) && l.name != "__name__")
                .cloned()
                .collect(),
        ),
        None => Labels::from_sorted(m.iter().filter(|l| l.name != "__name__").cloned().collect()),
    }
}

/// Prometheus `labels.String()`: `{a="1", b="2"}` with the name as a label.
fn labels_string(l: &Labels) -> String {
    let parts: Vec<String> = l
        .iter()
        .map(|x| format!("{}={:?}", x.name, x.value))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn set_op(op: TokenId, m: &BinModifier, l: &[StepVec], r: &[StepVec]) -> Vec<StepVec> {
    let mut sigs = SigCache::default();
    let mut out = Vec::with_capacity(l.len());
    for (lv, rv) in l.iter().zip(r.iter()) {
        let res: StepVec = match op {
            T_LAND | T_LUNLESS => {
                let rs: HashSet<u64> = rv
                    .iter()
                    .map(|s| sigs.get(&s.metric, &m.matching))
                    .collect();
                lv.iter()
                    .filter(|s| rs.contains(&sigs.get(&s.metric, &m.matching)) == (op == T_LAND))
                    .cloned()
                    .collect()
            }
            _ => {
                let ls: HashSet<u64> = lv
                    .iter()
                    .map(|s| sigs.get(&s.metric, &m.matching))
                    .collect();
                let mut res: StepVec = lv.clone();
                res.extend(
                    rv.iter()
                        .filter(|s| !ls.contains(&sigs.get(&s.metric, &m.matching)))
                        .cloned(),
                );
                res
            }
        };
        out.push(res);
    }
    out
}

/// The result labels of a matched pair, as Prometheus `resultMetric` (with delayed name removal).
fn result_metric(ls: &Labels, rs: Option<&Labels>, m: &BinModifier) -> Labels {
    let mut l = ls.clone();
    if m.card == VectorMatchCardinality::OneToOne {
        match &m.matching {
            Some(LabelModifier::Include(on)) => {
                l = Labels::from_sorted(
                    l.iter()
                        .filter(|x| on.labels.contains(&x.name))
                        .cloned()
                        .collect(),
                );
            }
            Some(LabelModifier::Exclude(ign)) => {
                for n in &ign.labels {
                    l.remove(n);
                }
            }
            None => {}
        }
    }
    if let Some(inc) = m.card.labels() {
        for n in &inc.labels {
            match rs.and_then(|r| r.get(n)) {
                Some(v) => l.set(n, v),
                None => l.remove(n),
            }
        }
    }
    l
}

fn vector_binop(
    ev: &mut Evaluator,
    pos: &Expr,
    op: TokenId,
    m: &BinModifier,
    lhs: &StepVec,
    rhs: &StepVec,
    sigs: &mut SigCache,
) -> Result<StepVec, QueryError> {
    let (fill_l, fill_r) = (m.fill_values.lhs, m.fill_values.rhs);
    if (lhs.is_empty() && fill_l.is_none()) || (rhs.is_empty() && fill_r.is_none()) {
        return Ok(vec![]);
    }
    let swapped = matches!(m.card, VectorMatchCardinality::OneToMany(_));
    let (lhs, rhs) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    let comparison = is_comparison(op);
    // The "one" side, by signature.
    let mut right: HashMap<u64, usize> = HashMap::with_capacity(rhs.len());
    for (i, rs) in rhs.iter().enumerate() {
        let sig = sigs.get(&rs.metric, &m.matching);
        if let Some(&j) = right.get(&sig) {
            let side = if swapped { "left" } else { "right" };
            let ml = match_labels(&rs.metric, &m.matching);
            let (mut a, mut b) = (labels_string(&rs.metric), labels_string(&rhs[j].metric));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            return Err(QueryError::Execution(format!(
                "found duplicate series for the match group {} on the {side} hand-side of the operation: [{a}, {b}];many-to-many matching not allowed: matching labels must be unique on one side",
                labels_string(&ml)
            )));
        }
        right.insert(sig, i);
    }
    let mut matched: HashMap<u64, Option<HashSet<u64>>> = HashMap::new();
    let mut out: StepVec = Vec::new();
    let mut annos = Annos::default();
    let mut emit = |ls_drop: bool,
                    metric: (Arc<Labels>, u64),
                    l: Elem,
                    r: Elem,
                    sig: u64,
                    out: &mut StepVec|
     -> Result<(), QueryError> {
        if m.card == VectorMatchCardinality::OneToOne {
            if matched.contains_key(&sig) {
                return Err(QueryError::Execution(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                ));
            }
            matched.insert(sig, None);
        }
        let (fl, fr) = if swapped { (r, l) } else { (l, r) };
        let Some(((mut f, mut h), keep)) = elem_op(op, &fl, &fr, &metric.0, &mut annos) else {
            return Ok(());
        };
        if m.return_bool {
            f = if keep { 1.0 } else { 0.0 };
            h = None;
        } else if !keep {
            return Ok(());
        }
        if !comparison && h.is_none() && (fl.1.is_some() || fr.1.is_some()) {
            return Ok(());
        }
        if m.card != VectorMatchCardinality::OneToOne {
            let set = matched.entry(sig).or_insert_with(|| Some(HashSet::new()));
            if let Some(set) = set {
                if !set.insert(metric.1) {
                    return Err(QueryError::Execution(
                        "multiple matches for labels: grouping labels must ensure unique matches"
                            .into(),
                    ));
                }
            }
        }
        out.push(Sample {
            metric: metric.0,
            f,
            h,
            drop_name: if comparison && !m.return_bool {
                ls_drop
            } else {
                true
            },
        });
        Ok(())
    };
    let mut rhs_matched = vec![false; rhs.len()];
    for ls in lhs {
        let sig = sigs.get(&ls.metric, &m.matching);
        let l: Elem = (ls.f, ls.h.clone());
        match right.get(&sig) {
            Some(&ri) => {
                rhs_matched[ri] = true;
                let rs = &rhs[ri];
                let metric = sigs
                    .results
                    .entry((Arc::as_ptr(&ls.metric), Arc::as_ptr(&rs.metric)))
                    .or_insert_with(|| {
                        let r = result_metric(&ls.metric, Some(&rs.metric), m);
                        let h = labels_hash(&r);
                        if r == *ls.metric {
                            (ls.metric.clone(), h)
                        } else {
                            (Arc::new(r), h)
                        }
                    })
                    .clone();
                emit(ls.drop_name, metric, l, (rs.f, rs.h.clone()), sig, &mut out)?;
            }
            None => {
                if let Some(fr) = fill_r {
                    let r = result_metric(&ls.metric, None, m);
                    let h = labels_hash(&r);
                    emit(ls.drop_name, (Arc::new(r), h), l, (fr, None), sig, &mut out)?;
                }
            }
        }
    }
    if let Some(fl) = fill_l {
        for (ri, rs) in rhs.iter().enumerate() {
            if rhs_matched[ri] {
                continue;
            }
            let sig = sigs.get(&rs.metric, &m.matching);
            let mut metric_l = match_labels(&rs.metric, &m.matching);
            if let Some(inc) = m.card.labels() {
                for n in &inc.labels {
                    match rs.metric.get(n) {
                        Some(v) => metric_l.set(n, v),
                        None => metric_l.remove(n),
                    }
                }
            }
            let h = labels_hash(&metric_l);
            let filled = (Arc::new(metric_l), h);
            emit(
                false,
                filled,
                (fl, None),
                (rs.f, rs.h.clone()),
                sig,
                &mut out,
            )?;
        }
    }
    annos.flush(ev, pos);
    Ok(out)
}
