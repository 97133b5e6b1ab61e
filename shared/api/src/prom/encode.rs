//! Query results as Prometheus's JSON codec writes them (`web/api/v1/json_codec.go`):
//! vector/matrix/scalar/string, native histograms with `[rule, "lower", "upper", "count"]`
//! buckets.

use super::histogram::push_histogram;
use crate::format::{
    format_f, format_json_seconds, format_timestamp_ms, push_timestamp_ms, push_value,
};
use crate::json;
use lakewatch_model::Labels;
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

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::Labels;

    #[test]
    fn vector_and_matrix() {
        let v = vec![InstantSample {
            labels: Labels::from_pairs([("__name__", "up")]),
            timestamp_ms: 1500,
            value: 1e-7,
            histogram: None,
        }];
        assert_eq!(
            vector(&v),
            r#"[{"metric":{"__name__":"up"},"value":[1.500,"1e-07"]}]"#
        );
        let m = vec![RangeSeries {
            labels: Labels::default(),
            floats: vec![(0, f64::NAN), (1000, f64::NEG_INFINITY)],
            histograms: vec![],
        }];
        assert_eq!(
            matrix(&m),
            r#"[{"metric":{},"values":[[0,"NaN"],[1,"-Inf"]]}]"#
        );
    }
}
