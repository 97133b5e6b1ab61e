//! Loki's distributor validation (`pkg/distributor/distributor.go` `Push`,
//! `pkg/distributor/validator.go`, messages from `pkg/validation/validate.go`), applied to a
//! decoded [`RawPush`]:
//!
//! - no streams at all → 422 `error at least one valid stream is required for ingestion`;
//!   more than `max_streams_per_request` streams → 400 (whole request);
//! - streams without entries are skipped silently;
//! - per stream: label parsing (`error parsing labels '…' with error: …`), empty values dropped,
//!   `service_name` discovery (Loki push only), missing labels, too many label names
//!   (`service_name` not counted), label name/value too long, duplicate names → the stream's
//!   entries are rejected;
//! - per entry: too old (`reject_old_samples_max_age`), too new (`creation_grace_period`), line
//!   too long, structured metadata too large / too many → the entry is rejected;
//! - accepted entries get sanitised structured-metadata names (otlptranslator `LabelNamer`) and
//!   `detected_level` ([`super::level`]).
//!
//! Deliberate difference: Loki's HTTP parser refuses the *whole* request when a stream's label
//! string does not parse (`couldn't parse labels: …`); here that stream is rejected with the
//! distributor's per-stream message and the rest of the request is kept.

use super::labels::{labels_string, pairs_string, parse_labels};
use super::level::apply_detected_level;
use super::{RawLabels, RawPush};
use crate::error::IngestError;
use crate::limits::LogsLimits;
use http::StatusCode;
use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch};
use std::collections::HashMap;

/// The label Loki adds to every pushed stream.
pub const SERVICE_NAME: &str = "service_name";
/// Value of `service_name` when no candidate label is present.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// One refused stream or entry: Loki's discard `reason` (`invalid_labels`, `line_too_long`,
/// `greater_than_max_sample_age`, …), its message, and how many entries it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: &'static str,
    pub message: String,
    pub entries: usize,
}

/// Loki's `GroupedErrors.Error()`: one message alone as is; otherwise `N errors like: <msg>`
/// per distinct message (first-seen order here; Loki's order is random), joined with `; `.
/// Empty input gives an empty string.
pub fn group_rejections(rejections: &[Rejection]) -> String {
    let mut order: Vec<(&str, usize)> = Vec::new();
    for r in rejections {
        match order.iter_mut().find(|(m, _)| *m == r.message) {
            Some(x) => x.1 += 1,
            None => order.push((&r.message, 1)),
        }
    }
    let multi = order.len() > 1;
    order
        .iter()
        .map(|(m, n)| {
            if multi || *n > 1 {
                format!("{n} errors like: {m}")
            } else {
                m.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// otlptranslator's `LabelNamer{}` (as Loki sanitises structured-metadata names): runs of
/// characters outside `[a-zA-Z0-9]` become one `_`, `__x__` keeps its underscores, a leading
/// digit gets `key_`. Errors for an empty name or one of only underscores.
pub fn sanitize_metadata_name(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("label name is empty".into());
    }
    let reserved = name.len() >= 4 && name.starts_with("__") && name.ends_with("__");
    let inner = if reserved {
        &name[2..name.len() - 2]
    } else {
        name
    };
    let mut out = String::with_capacity(name.len());
    let mut prev_us = false;
    for c in inner.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_us = false;
        } else if !prev_us {
            out.push('_');
            prev_us = true;
        }
    }
    if reserved {
        out = format!("__{out}__");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    }
    if out.chars().all(|c| c == '_') {
        return Err(format!(
            "normalization for label name {name:?} resulted in invalid name {out:?}"
        ));
    }
    Ok(out)
}

/// Go's `time.Time.Format(time.RFC3339)` in UTC for a ns timestamp.
fn rfc3339(ns: i64) -> String {
    let dt = chrono::DateTime::from_timestamp(ns.div_euclid(1_000_000_000), 0);
    dt.map_or_else(
        || ns.to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn is_internal(l: &Labels) -> bool {
    l.get("__aggregated_metric__").is_some() || l.get("__pattern__").is_some()
}

/// Parses a Loki label string, drops empty values and adds `service_name` (Loki's
/// `ParseLokiRequest`). Returns the labels (sorted) and the duplicated names with the text
/// Loki prints for such a stream, or the rejection message.
fn stream_labels(
    text: &str,
    limits: &LogsLimits,
) -> Result<(Labels, Option<(String, String)>), String> {
    let pairs =
        parse_labels(text).map_err(|e| format!("error parsing labels '{text}' with error: {e}"))?;
    let mut sorted: Vec<(String, String)> =
        pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let dup: Option<String> = sorted
        .windows(2)
        .find(|w| w[0].0 == w[1].0)
        .map(|w| w[0].0.clone());
    let mut labels = Labels::from_pairs(sorted.clone());
    if labels.get(SERVICE_NAME).is_none()
        && !limits.discover_service_name.is_empty()
        && !is_internal(&labels)
    {
        let svc = limits
            .discover_service_name
            .iter()
            .find_map(|n| labels.get(n).filter(|v| !v.is_empty()))
            .unwrap_or(UNKNOWN_SERVICE)
            .to_string();
        labels.set(SERVICE_NAME, &svc);
        sorted.push((SERVICE_NAME.to_string(), svc));
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let dup = dup.map(|d| {
        let shown = pairs_string(sorted.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        (d, shown)
    });
    Ok((labels, dup))
}

/// Loki's `ValidateLabels` on a parsed stream; `shown` is the text quoted in messages.
fn check_labels(
    labels: &Labels,
    dup: Option<(String, String)>,
    limits: &LogsLimits,
) -> Result<(), (&'static str, String)> {
    if labels.is_empty() {
        return Err((
            "missing_labels",
            "error at least one label pair is required per stream".into(),
        ));
    }
    if is_internal(labels) {
        return Ok(());
    }
    let shown = labels_string(labels);
    let mut n = labels.len();
    if labels.get(SERVICE_NAME).is_some() {
        n -= 1;
    }
    if n > limits.max_label_names_per_series {
        return Err((
            "max_label_names_per_series",
            format!(
                "entry for stream '{shown}' has {n} label names; limit {}",
                limits.max_label_names_per_series
            ),
        ));
    }
    for l in labels.iter() {
        if l.name.len() > limits.max_label_name_length {
            return Err((
                "label_name_too_long",
                format!("stream '{shown}' has label name too long: '{}'", l.name),
            ));
        }
        if l.value.len() > limits.max_label_value_length {
            return Err((
                "label_value_too_long",
                format!("stream '{shown}' has label value too long: '{}'", l.value),
            ));
        }
    }
    if let Some((d, shown)) = dup {
        return Err((
            "duplicate_label_names",
            format!("stream '{shown}' has duplicate label name: '{d}'"),
        ));
    }
    Ok(())
}

/// Loki's `ValidateEntry` (time window, line size, structured metadata size/count).
fn check_entry(
    shown: &str,
    ts: i64,
    line: &str,
    sm: &[(String, String)],
    limits: &LogsLimits,
    now_ns: i64,
) -> Result<(), (&'static str, String)> {
    if limits.reject_old_samples_max_age_ms > 0 {
        let oldest = now_ns.saturating_sub(
            limits
                .reject_old_samples_max_age_ms
                .saturating_mul(1_000_000),
        );
        if ts < oldest {
            return Err((
                "greater_than_max_sample_age",
                format!(
                    "entry for stream '{shown}' has timestamp too old: {}, oldest acceptable timestamp is: {}",
                    rfc3339(ts),
                    rfc3339(oldest)
                ),
            ));
        }
    }
    let newest = now_ns.saturating_add(limits.creation_grace_period_ms.saturating_mul(1_000_000));
    if ts > newest {
        return Err((
            "too_far_in_future",
            format!(
                "entry for stream '{shown}' has timestamp too new: {}",
                rfc3339(ts)
            ),
        ));
    }
    if limits.max_line_size != 0 && line.len() > limits.max_line_size {
        return Err((
            "line_too_long",
            format!(
                "max entry size '{}' bytes exceeded for stream '{shown}' while adding an entry with length '{}' bytes",
                limits.max_line_size,
                line.len()
            ),
        ));
    }
    if !sm.is_empty() {
        let size: usize = sm.iter().map(|(n, v)| n.len() + v.len()).sum();
        if limits.max_structured_metadata_size != 0 && size > limits.max_structured_metadata_size {
            return Err((
                "structured_metadata_too_large",
                format!(
                    "stream '{shown}' has structured metadata too large: '{size}' bytes, limit: '{}' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it",
                    limits.max_structured_metadata_size
                ),
            ));
        }
        if limits.max_structured_metadata_entries != 0
            && sm.len() > limits.max_structured_metadata_entries
        {
            return Err((
                "structured_metadata_too_many",
                format!(
                    "stream '{shown}' has too many structured metadata labels: '{}', limit: '{}'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it",
                    sm.len(),
                    limits.max_structured_metadata_entries
                ),
            ));
        }
    }
    Ok(())
}

/// Validates a decoded push as Loki's distributor (see the module doc). `now_ns`: current time
/// in ns. Returns the accepted batch (streams with equal labels merged, in first-seen order)
/// and the rejections; `Err` refuses the whole request (422 no streams, 400 too many streams).
pub fn validate_push(
    raw: RawPush,
    limits: &LogsLimits,
    now_ns: i64,
) -> Result<(LogsBatch, Vec<Rejection>), IngestError> {
    if raw.streams.is_empty() {
        return Err(IngestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "error at least one valid stream is required for ingestion",
        ));
    }
    if limits.max_streams_per_request != 0 && raw.streams.len() > limits.max_streams_per_request {
        return Err(IngestError::bad_request(format!(
            "too many streams in request: {} (limit {}, LAKEWATCH_LOGS_MAX_STREAMS_PER_REQUEST)",
            raw.streams.len(),
            limits.max_streams_per_request
        )));
    }
    let mut batch = LogsBatch::default();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut rejections = Vec::new();
    for stream in raw.streams {
        if stream.entries.is_empty() {
            continue;
        }
        let n_entries = stream.entries.len();
        let parsed = match stream.labels {
            RawLabels::Text(t) => stream_labels(&t, limits),
            RawLabels::Parsed(l) => Ok((l, None)),
        };
        let labels = match parsed
            .map_err(|m| ("invalid_labels", m))
            .and_then(|(l, d)| check_labels(&l, d, limits).map(|_| l))
        {
            Ok(l) => l,
            Err((reason, message)) => {
                rejections.push(Rejection {
                    reason,
                    message,
                    entries: n_entries,
                });
                continue;
            }
        };
        let shown = labels_string(&labels);
        let mut accepted = Vec::with_capacity(n_entries);
        for e in stream.entries {
            if let Err((reason, message)) = check_entry(
                &shown,
                e.timestamp_ns,
                &e.line,
                &e.structured_metadata,
                limits,
                now_ns,
            ) {
                rejections.push(Rejection {
                    reason,
                    message,
                    entries: 1,
                });
                continue;
            }
            let mut sm = Vec::with_capacity(e.structured_metadata.len() + 1);
            let mut bad = None;
            for (n, v) in e.structured_metadata {
                match sanitize_metadata_name(&n) {
                    Ok(n) => sm.push((n, v)),
                    Err(m) => bad = Some(m),
                }
            }
            if let Some(message) = bad {
                rejections.push(Rejection {
                    reason: "invalid_structured_metadata",
                    message: format!("stream '{shown}' has invalid structured metadata: {message}"),
                    entries: 1,
                });
                continue;
            }
            if limits.discover_log_levels {
                apply_detected_level(&labels, &mut sm, &e.line);
            }
            accepted.push(LogEntry {
                timestamp_ns: e.timestamp_ns,
                line: e.line,
                structured_metadata: Labels::from_pairs(sm),
            });
        }
        if accepted.is_empty() {
            continue;
        }
        match index.get(&labels) {
            Some(&i) => batch.streams[i].entries.extend(accepted),
            None => {
                index.insert(labels.clone(), batch.streams.len());
                batch.streams.push(LogStream {
                    labels,
                    entries: accepted,
                });
            }
        }
    }
    Ok((batch, rejections))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_names() {
        assert_eq!(sanitize_metadata_name("trace_id").unwrap(), "trace_id");
        assert_eq!(
            sanitize_metadata_name("k8s.pod.name").unwrap(),
            "k8s_pod_name"
        );
        assert_eq!(
            sanitize_metadata_name("invalid-name").unwrap(),
            "invalid_name"
        );
        assert_eq!(sanitize_metadata_name("a..b").unwrap(), "a_b");
        assert_eq!(sanitize_metadata_name("1abc").unwrap(), "key_1abc");
        assert_eq!(sanitize_metadata_name("__x.y__").unwrap(), "__x_y__");
        assert!(sanitize_metadata_name("_").is_err());
    }

    #[test]
    fn grouping() {
        let r = |m: &str| Rejection {
            reason: "x",
            message: m.into(),
            entries: 1,
        };
        assert_eq!(group_rejections(&[r("a")]), "a");
        assert_eq!(group_rejections(&[r("a"), r("a")]), "2 errors like: a");
        assert_eq!(
            group_rejections(&[r("a"), r("b"), r("a")]),
            "2 errors like: a; 1 errors like: b"
        );
    }

    #[test]
    fn rfc3339_utc() {
        assert_eq!(rfc3339(1_700_000_000_123_000_000), "2023-11-14T22:13:20Z");
    }
}
