//! Vector aggregations (`sum avg min max count stddev stdvar topk bottomk sort sort_desc`)
//! of one step, as Loki's `VectorAggEvaluator`: groups by the `by` labels (or all labels
//! minus the `without` ones and `__name__`); no grouping is `by ()`.

use super::step::Sample;
use crate::ast::{VectorAgg, VectorOp};
use lakewatch_model::Labels;
use std::cmp::Ordering;

struct Group {
    labels: Labels,
    value: f64,
    mean: f64,
    count: usize,
    samples: Vec<Sample>,
}

fn group_labels(agg: &VectorAgg, labels: &Labels) -> Labels {
    let (without, names): (bool, &[String]) = match &agg.grouping {
        Some(g) => (g.without, &g.labels),
        None => (false, &[]),
    };
    Labels::from_pairs(
        labels
            .iter()
            .filter(|l| {
                if without {
                    !names.contains(&l.name) && l.name != "__name__"
                } else {
                    names.contains(&l.name)
                }
            })
            .map(|l| (l.name.clone(), l.value.clone())),
    )
}

/// Orders values as Loki's top-k heap: NaN is the smallest.
fn heap_less(a: f64, b: f64) -> bool {
    a.is_nan() || a < b
}

/// Aggregates one step's vector. `topk`/`bottomk` with k < 1 give an empty vector.
pub(crate) fn aggregate_vector(agg: &VectorAgg, vec: Vec<Sample>) -> Vec<Sample> {
    let k = agg.param.unwrap_or(0.0) as usize;
    if matches!(agg.op, VectorOp::Topk | VectorOp::Bottomk) && agg.param.unwrap_or(0.0) < 1.0 {
        return Vec::new();
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: std::collections::HashMap<Labels, usize> = std::collections::HashMap::new();
    for s in vec {
        let key = group_labels(agg, &s.labels);
        let Some(&gi) = index.get(&key) else {
            index.insert(key.clone(), groups.len());
            let value = match agg.op {
                VectorOp::Stddev | VectorOp::Stdvar => 0.0,
                _ => s.value,
            };
            groups.push(Group {
                labels: key,
                value,
                mean: s.value,
                count: 1,
                samples: vec![s],
            });
            continue;
        };
        let g = &mut groups[gi];
        match agg.op {
            VectorOp::Sum => g.value += s.value,
            VectorOp::Avg => {
                g.count += 1;
                let skip = g.mean.is_infinite()
                    && ((s.value.is_infinite() && (g.mean > 0.0) == (s.value > 0.0))
                        || (!s.value.is_infinite() && !s.value.is_nan()));
                if !skip {
                    g.mean += (s.value - g.mean) / g.count as f64;
                }
            }
            VectorOp::Max => {
                if g.value < s.value || g.value.is_nan() {
                    g.value = s.value
                }
            }
            VectorOp::Min => {
                if g.value > s.value || g.value.is_nan() {
                    g.value = s.value
                }
            }
            VectorOp::Count => g.count += 1,
            VectorOp::Stddev | VectorOp::Stdvar => {
                g.count += 1;
                let delta = s.value - g.mean;
                g.mean += delta / g.count as f64;
                g.value += delta * (s.value - g.mean);
            }
            VectorOp::Topk => push_bounded(&mut g.samples, s, k, false),
            VectorOp::Bottomk => push_bounded(&mut g.samples, s, k, true),
            VectorOp::Sort | VectorOp::SortDesc => g.samples.push(s),
        }
    }
    let mut out = Vec::new();
    for mut g in groups {
        let value = match agg.op {
            VectorOp::Avg => g.mean,
            VectorOp::Count => g.count as f64,
            VectorOp::Stddev => (g.value / g.count as f64).sqrt(),
            VectorOp::Stdvar => g.value / g.count as f64,
            VectorOp::Topk | VectorOp::SortDesc => {
                // Highest first, NaN last.
                g.samples.sort_by(|a, b| order(b.value, a.value));
                out.append(&mut g.samples);
                continue;
            }
            VectorOp::Bottomk | VectorOp::Sort => {
                // Lowest first, NaN last.
                g.samples.sort_by(|a, b| order_rev(a.value, b.value));
                out.append(&mut g.samples);
                continue;
            }
            _ => g.value,
        };
        out.push(Sample {
            labels: g.labels,
            value,
        });
    }
    out
}

/// Ascending with NaN smallest (top-k heap order).
fn order(a: f64, b: f64) -> Ordering {
    if heap_less(a, b) {
        Ordering::Less
    } else if heap_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// Ascending with NaN greatest (bottom-k order).
fn order_rev(a: f64, b: f64) -> Ordering {
    if (b.is_nan() && !a.is_nan()) || a < b {
        Ordering::Less
    } else if (a.is_nan() && !b.is_nan()) || b < a {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// Keeps the `k` highest (`bottom` false) or lowest samples seen so far.
fn push_bounded(kept: &mut Vec<Sample>, s: Sample, k: usize, bottom: bool) {
    if kept.len() < k {
        kept.push(s);
        return;
    }
    // The element a new sample would replace: the smallest (top-k, NaN smallest) or the
    // largest (bottom-k, NaN largest).
    let worst = (0..kept.len()).reduce(|a, b| {
        let (va, vb) = (kept[a].value, kept[b].value);
        let b_worse = if bottom {
            vb.is_nan() || (!va.is_nan() && vb > va)
        } else {
            heap_less(vb, va)
        };
        if b_worse {
            b
        } else {
            a
        }
    });
    let Some(w) = worst else { return };
    let wv = kept[w].value;
    let replace = if bottom {
        wv > s.value || wv.is_nan()
    } else {
        wv < s.value || wv.is_nan()
    };
    if replace {
        kept[w] = s;
    }
}
