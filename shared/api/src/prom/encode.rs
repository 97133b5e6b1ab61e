//! Query results as Prometheus's JSON codec writes them (`web/api/v1/json_codec.go`):
//! vector/matrix/scalar/string, native histograms with `[rule, "lower", "upper", "count"]`
//! buckets.

use crate::format::{
    format_f, format_json_seconds, format_timestamp_ms, format_value, push_timestamp_ms, push_value,
};
use crate::json;
use lakewatch_model::{BucketSpan, FloatHistogram, Labels};
use lakewatch_promql::{InstantSample, RangeSeries, Value};

/// `{"resultType":…,"result":…}` for a query value (without `stats`).
pub fn query_data(value: &Value, stats: Option<&str>) -> String {
    let (kind, result) = match value {
        Value::Vector(v) => ("vector", vector(v)),
        Value::Matrix(m) => ("matrix", matrix(m)),
        Value::Scalar {
            timestamp_ms,
            value,
        } => (
            "scalar",
            format!(
                "[{},\"{}\"]",
                format_json_seconds(*timestamp_ms),
                format_f(*value)
            ),
        ),
        Value::String {
            timestamp_ms,
            value,
        } => (
            "string",
            format!(
                "[{},{}]",
                format_json_seconds(*timestamp_ms),
                json::string(value)
            ),
        ),
    };
    let mut out = format!(r#"{{"resultType":"{kind}","result":{result}"#);
    if let Some(s) = stats {
        out.push_str(",\"stats\":");
        out.push_str(s);
    }
    out.push('}');
    out
}

/// An instant vector: `[{"metric":{…},"value":[ts,"v"]} | {"metric":{…},"histogram":[ts,{…}]}]`.
pub fn vector(v: &[InstantSample]) -> String {
    let mut out = String::from("[");
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        json::push_labels(&mut out, &s.labels);
        match &s.histogram {
            Some(h) => {
                out.push_str(",\"histogram\":[");
                out.push_str(&format_timestamp_ms(s.timestamp_ms));
                out.push(',');
                push_histogram(&mut out, h);
                out.push(']');
            }
            None => {
                out.push_str(",\"value\":");
                push_point(&mut out, s.timestamp_ms, s.value);
            }
        }
        out.push('}');
    }
    out.push(']');
    out
}

/// A range vector: `[{"metric":{…},"values":[[ts,"v"],…],"histograms":[[ts,{…}],…]}]`, each
/// array omitted when empty.
pub fn matrix(m: &[RangeSeries]) -> String {
    let points: usize = m.iter().map(|s| s.floats.len()).sum();
    let mut out = String::with_capacity(2 + m.len() * 128 + points * 24);
    out.push('[');
    for (i, s) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        json::push_labels(&mut out, &s.labels);
        if !s.floats.is_empty() {
            out.push_str(",\"values\":[");
            for (j, (t, v)) in s.floats.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_point(&mut out, *t, *v);
            }
            out.push(']');
        }
        if !s.histograms.is_empty() {
            out.push_str(",\"histograms\":[");
            for (j, (t, h)) in s.histograms.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push('[');
                out.push_str(&format_timestamp_ms(*t));
                out.push(',');
                push_histogram(&mut out, h);
                out.push(']');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push(']');
    out
}

/// `[ts,"value"]`.
pub fn push_point(out: &mut String, t_ms: i64, v: f64) {
    out.push('[');
    push_timestamp_ms(out, t_ms);
    out.push_str(",\"");
    push_value(out, v);
    out.push_str("\"]");
}

/// A series label set as a JSON object.
pub fn labels(l: &Labels) -> String {
    let mut s = String::new();
    json::push_labels(&mut s, l);
    s
}

/// One bucket of a native histogram as Prometheus's `AllBucketIterator` yields it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// 0 = (lower,upper], 1 = [lower,upper), 2 = (lower,upper), 3 = [lower,upper].
    pub rule: u8,
    pub lower: f64,
    pub upper: f64,
    pub count: f64,
}

/// `{"count":"…","sum":"…","buckets":[[rule,"lower","upper","count"],…]}`; zero-count buckets
/// skipped and `buckets` omitted when none remain.
pub fn push_histogram(out: &mut String, h: &FloatHistogram) {
    out.push_str("{\"count\":\"");
    out.push_str(&format_value(h.count));
    out.push_str("\",\"sum\":\"");
    out.push_str(&format_value(h.sum));
    out.push('"');
    let buckets: Vec<Bucket> = all_buckets(h)
        .into_iter()
        .filter(|b| b.count != 0.0)
        .collect();
    if !buckets.is_empty() {
        out.push_str(",\"buckets\":[");
        for (i, b) in buckets.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "[{},\"{}\",\"{}\",\"{}\"]",
                b.rule,
                format_value(b.lower),
                format_value(b.upper),
                format_value(b.count)
            ));
        }
        out.push(']');
    }
    out.push('}');
}

/// Bucket indexes and counts of a span layout, in order.
fn indexed(spans: &[BucketSpan], counts: &[f64]) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(counts.len());
    let mut idx: i32 = 0;
    let mut k = 0;
    for (si, s) in spans.iter().enumerate() {
        idx = if si == 0 { s.offset } else { idx + s.offset };
        for _ in 0..s.length {
            if let Some(c) = counts.get(k) {
                out.push((idx, *c));
            }
            k += 1;
            idx += 1;
        }
    }
    out
}

/// Every bucket in ascending order: negative buckets (most negative first), the zero bucket,
/// positive buckets; as Prometheus `FloatHistogram.AllBucketIterator`.
pub fn all_buckets(h: &FloatHistogram) -> Vec<Bucket> {
    let mut out = Vec::new();
    if h.schema == lakewatch_model::histogram::CUSTOM_BUCKETS_SCHEMA {
        for (idx, c) in indexed(&h.positive_spans, &h.positive_buckets) {
            let i = idx as usize;
            let upper = h.custom_values.get(i).copied().unwrap_or(f64::INFINITY);
            let lower = if i == 0 {
                f64::NEG_INFINITY
            } else {
                h.custom_values.get(i - 1).copied().unwrap_or(f64::INFINITY)
            };
            out.push(Bucket {
                rule: 0,
                lower,
                upper,
                count: c,
            });
        }
        return out;
    }
    for (idx, c) in indexed(&h.negative_spans, &h.negative_buckets)
        .into_iter()
        .rev()
    {
        out.push(Bucket {
            rule: 1,
            lower: -bound(idx, h.schema),
            upper: -bound(idx - 1, h.schema),
            count: c,
        });
    }
    if h.zero_count != 0.0 {
        out.push(Bucket {
            rule: 3,
            lower: -h.zero_threshold,
            upper: h.zero_threshold,
            count: h.zero_count,
        });
    }
    for (idx, c) in indexed(&h.positive_spans, &h.positive_buckets) {
        out.push(Bucket {
            rule: 0,
            lower: bound(idx - 1, h.schema),
            upper: bound(idx, h.schema),
            count: c,
        });
    }
    out
}

/// Upper bound of exponential bucket `idx` (Prometheus `getBound`): `2^(idx * 2^-schema)`.
pub fn bound(idx: i32, schema: i32) -> f64 {
    if schema <= 0 {
        let exp = (idx as i64) << (-schema).min(62);
        if exp > 1024 {
            return f64::INFINITY;
        }
        return libm_ldexp(1.0, exp);
    }
    let frac_len = 1i64 << schema;
    let idx = idx as i64;
    let frac_idx = idx.rem_euclid(frac_len);
    let frac = 2f64.powf(frac_idx as f64 / frac_len as f64) / 2.0;
    let exp = idx.div_euclid(frac_len) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::INFINITY;
    }
    libm_ldexp(frac, exp)
}

/// `x * 2^exp` without intermediate overflow.
fn libm_ldexp(x: f64, exp: i64) -> f64 {
    let mut x = x;
    let mut e = exp.clamp(-2200, 2200);
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_bounds() {
        assert_eq!(bound(0, 0), 1.0);
        assert_eq!(bound(1, 0), 2.0);
        assert_eq!(bound(-1, 0), 0.5);
        assert_eq!(bound(1, 1), 2f64.sqrt());
        assert_eq!(bound(2, 1), 2.0);
        assert_eq!(bound(1, -1), 4.0);
    }

    #[test]
    fn histogram_json() {
        let h = FloatHistogram {
            schema: 0,
            zero_threshold: 0.001,
            zero_count: 2.0,
            count: 10.0,
            sum: 34593.34,
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![3.0, 0.0],
            negative_spans: vec![BucketSpan {
                offset: 1,
                length: 1,
            }],
            negative_buckets: vec![5.0],
            ..Default::default()
        };
        let mut s = String::new();
        push_histogram(&mut s, &h);
        assert_eq!(
            s,
            r#"{"count":"10","sum":"34593.34","buckets":[[1,"-2","-1","5"],[3,"-0.001","0.001","2"],[0,"0.5","1","3"]]}"#
        );
    }
}
