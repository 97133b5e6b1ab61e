//! Native histograms in Prometheus's JSON form (`json_codec.go` `marshalHistogram`):
//! `{"count":"…","sum":"…","buckets":[[rule,"lower","upper","count"],…]}`. Buckets come from
//! `FloatHistogram::all_buckets` (Prometheus `AllBucketIterator`: ascending, bounds clamped
//! at the zero threshold); empty buckets are skipped.

use crate::format::push_value;
use lakewatch_model::histogram::Bucket;
use lakewatch_model::FloatHistogram;

/// Boundary rule of a bucket: 0 = `(lower,upper]`, 1 = `[lower,upper)`, 2 = `(lower,upper)`,
/// 3 = `[lower,upper]`.
pub fn boundary_rule(b: &Bucket) -> u8 {
    match (b.lower_inclusive, b.upper_inclusive) {
        (true, true) => 3,
        (true, false) => 1,
        (false, true) => 0,
        (false, false) => 2,
    }
}

/// Appends the histogram object; `buckets` is omitted when every bucket is empty.
pub fn push_histogram(out: &mut String, h: &FloatHistogram) {
    out.push_str("{\"count\":\"");
    push_value(out, h.count);
    out.push_str("\",\"sum\":\"");
    push_value(out, h.sum);
    out.push('"');
    let mut first = true;
    for b in h.all_buckets().iter().filter(|b| b.count != 0.0) {
        out.push_str(if first { ",\"buckets\":[" } else { "," });
        first = false;
        out.push('[');
        out.push(char::from(b'0' + boundary_rule(b)));
        for v in [b.lower, b.upper, b.count] {
            out.push_str(",\"");
            push_value(out, v);
            out.push('"');
        }
        out.push(']');
    }
    if !first {
        out.push(']');
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::BucketSpan;

    fn json(h: &FloatHistogram) -> String {
        let mut s = String::new();
        push_histogram(&mut s, h);
        s
    }

    #[test]
    fn exponential() {
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
        assert_eq!(
            json(&h),
            r#"{"count":"10","sum":"34593.34","buckets":[[1,"-2","-1","5"],[3,"-0.001","0.001","2"],[0,"0.5","1","3"]]}"#
        );
        let empty = FloatHistogram::default();
        assert_eq!(json(&empty), r#"{"count":"0","sum":"0"}"#);
    }

    #[test]
    fn custom_buckets() {
        let h = FloatHistogram {
            schema: lakewatch_model::histogram::CUSTOM_BUCKETS_SCHEMA,
            count: 3.0,
            sum: 1.5,
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: 3,
            }],
            positive_buckets: vec![1.0, 1.0, 1.0],
            custom_values: vec![0.5, 1.0],
            ..Default::default()
        };
        let s = json(&h);
        assert!(
            s.contains(r#"[1,"-Inf","0.5","1"]"#) || s.contains(r#"[3,"-Inf","0.5","1"]"#),
            "{s}"
        );
        assert!(s.contains(r#"[0,"0.5","1","1"]"#), "{s}");
        assert!(s.contains(r#"[0,"1","+Inf","1"]"#), "{s}");
    }
}
