//! Span metrics as Tempo's `spanmetrics` processor with its defaults
//! (`modules/generator/processor/spanmetrics`): for every span, labels `service`
//! (resource `service.name`), `span_name`, `span_kind` (`SPAN_KIND_SERVER`, …), `status_code`
//! (`STATUS_CODE_UNSET|OK|ERROR`), plus the instance label; empty values are dropped.
//!
//! - [`CALLS_TOTAL`] += 1;
//! - [`LATENCY`] observes `(end - start)` in **seconds** (0 when end <= start), buckets
//!   [`latency_buckets`], exemplar = trace id;
//! - [`SIZE_TOTAL`] += the span's protobuf-encoded size in **bytes**.
//!
//! Not done (Tempo options off by default): `status_message`, custom dimensions, `job`/
//! `instance` + `traces_target_info`, filter policies, span multipliers.

use super::attrs::{service_name, trace_id_hex};
use super::registry::Registry;
use lakewatch_model::{Labels, METRIC_NAME};
use opentelemetry_proto::tonic::trace::v1::{
    span::SpanKind, status::StatusCode, ResourceSpans, Span,
};
use prost::Message;
use std::borrow::Cow;

/// Counter: spans seen.
pub const CALLS_TOTAL: &str = "traces_spanmetrics_calls_total";
/// Histogram family (`_bucket`/`_sum`/`_count`): span duration in seconds.
pub const LATENCY: &str = "traces_spanmetrics_latency";
/// Counter: protobuf-encoded span bytes.
pub const SIZE_TOTAL: &str = "traces_spanmetrics_size_total";

/// Tempo's default latency buckets, `ExponentialBuckets(0.002, 2, 14)`: 0.002, 0.004, …,
/// 16.384 seconds (14 bounds; `+Inf` is added by the registry).
pub fn latency_buckets() -> Vec<f64> {
    exponential_buckets(0.002, 2.0, 14)
}

/// `count` bounds `start, start*factor, …` as Prometheus's `ExponentialBuckets`.
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(count);
    let mut b = start;
    for _ in 0..count {
        out.push(b);
        b *= factor;
    }
    out
}

/// The OTLP enum name of a span kind (`SPAN_KIND_SERVER`, …); unknown values as their number,
/// as Go's generated `String()`.
pub fn span_kind_name(kind: i32) -> Cow<'static, str> {
    match SpanKind::try_from(kind) {
        Ok(k) => Cow::Borrowed(k.as_str_name()),
        Err(_) => Cow::Owned(kind.to_string()),
    }
}

/// The OTLP enum name of a status code (`STATUS_CODE_UNSET|OK|ERROR`); a missing status is
/// `STATUS_CODE_UNSET`.
pub fn status_code_name(span: &Span) -> Cow<'static, str> {
    let code = span.status.as_ref().map_or(0, |s| s.code);
    match StatusCode::try_from(code) {
        Ok(c) => Cow::Borrowed(c.as_str_name()),
        Err(_) => Cow::Owned(code.to_string()),
    }
}

/// Span duration in seconds, 0 when `end <= start` (Tempo treats negative latency as zero).
pub fn duration_seconds(start_ns: u64, end_ns: u64) -> f64 {
    if end_ns > start_ns {
        (end_ns - start_ns) as f64 / 1e9
    } else {
        0.0
    }
}

/// Adds every span of `resource_spans` to the span metrics in `reg`, each series labelled
/// with `instance_label = instance`; `buckets` are the latency bounds (seconds).
pub fn record(
    reg: &mut Registry,
    instance_label: (&str, &str),
    resource_spans: &[ResourceSpans],
    buckets: &[f64],
    now_ms: i64,
) {
    for rs in resource_spans {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| service_name(&r.attributes))
            .unwrap_or_default();
        for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
            let base = Labels::from_pairs([
                ("service", service.as_str()),
                ("span_name", span.name.as_str()),
                ("span_kind", &span_kind_name(span.kind)),
                ("status_code", &status_code_name(span)),
                instance_label,
            ]);
            let key = |name: &str| {
                let mut l = base.clone();
                l.set(METRIC_NAME, name);
                l
            };
            reg.inc(key(CALLS_TOTAL), 1.0, now_ms);
            reg.observe(
                key(LATENCY),
                buckets,
                duration_seconds(span.start_time_unix_nano, span.end_time_unix_nano),
                Some(trace_id_hex(&span.trace_id)).filter(|t| !t.is_empty()),
                now_ms,
            );
            reg.inc(key(SIZE_TOTAL), span.encoded_len() as f64, now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_buckets_match_tempo() {
        let b = latency_buckets();
        assert_eq!(b.len(), 14);
        assert_eq!(b[0], 0.002);
        assert_eq!(b[13], 16.384);
        assert_eq!(format!("{}", b[5]), "0.064");
    }

    #[test]
    fn enum_names() {
        assert_eq!(span_kind_name(2), "SPAN_KIND_SERVER");
        assert_eq!(span_kind_name(0), "SPAN_KIND_UNSPECIFIED");
        assert_eq!(span_kind_name(42), "42");
        assert_eq!(status_code_name(&Span::default()), "STATUS_CODE_UNSET");
        assert_eq!(duration_seconds(5, 3), 0.0);
        assert_eq!(duration_seconds(0, 1_500_000_000), 1.5);
    }
}
