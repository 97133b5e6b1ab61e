//! OTLP logs → Loki streams, as Loki's native OTLP endpoint with the default `otlp_config`
//! (`pkg/loghttp/push/otlp.go`, `otlplabels/labels.go`, `otlplabels/config.go`):
//!
//! - resource attributes in [`DEFAULT_INDEX_LABELS`] become stream labels, the others
//!   structured metadata; names sanitised with otlptranslator's `LabelNamer{}` (`.` → `_`),
//!   map values flattened as `<key>_<subkey>`, values as pdata `AsString`;
//! - `service_name`: from `service.name`, else the first `discover_service_name` label among the
//!   stream labels, else `unknown_service`;
//! - scope attributes, `scope_name`, `scope_version`, `scope_dropped_attributes_count` and log
//!   attributes become structured metadata, plus `observed_timestamp` (when both times are set),
//!   `severity_number`, `severity_text`, `dropped_attributes_count`, `flags`, `trace_id`,
//!   `span_id` (lower-case hex) and `event_name`;
//! - line = body `AsString`; timestamp = `time_unix_nano`, else `observed_time_unix_nano`, else
//!   now.
//!
//! The result is a [`RawPush`] validated like any Loki push ([`crate::loki::validate_push`]).

use super::attrs::any_value_string;
use crate::limits::LogsLimits;
use crate::loki::validate::{sanitize_metadata_name, SERVICE_NAME, UNKNOWN_SERVICE};
use crate::loki::{RawEntry, RawLabels, RawPush, RawStream};
use lakewatch_model::Labels;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Av, AnyValue, KeyValue};
use std::collections::{BTreeMap, HashMap};

/// Loki's `default_resource_attributes_as_index_labels`.
pub const DEFAULT_INDEX_LABELS: &[&str] = &[
    "service.name",
    "service.namespace",
    "service.instance.id",
    "deployment.environment",
    "deployment.environment.name",
    "cloud.region",
    "cloud.availability_zone",
    "k8s.cluster.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.container.name",
    "container.name",
    "k8s.replicaset.name",
    "k8s.deployment.name",
    "k8s.statefulset.name",
    "k8s.daemonset.name",
    "k8s.cronjob.name",
    "k8s.job.name",
];

/// Loki's `AttributeToLabels`: one pair per attribute, maps flattened with `_`-joined keys.
/// Keys that sanitise to nothing are skipped (Loki fails the request).
fn attribute_pairs(key: &str, v: Option<&AnyValue>, prefix: &str, out: &mut Vec<(String, String)>) {
    let full = if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}_{key}")
    };
    let Ok(name) = sanitize_metadata_name(&full) else {
        return;
    };
    match v.and_then(|v| v.value.as_ref()) {
        Some(Av::KvlistValue(kv)) => {
            for kv in &kv.values {
                attribute_pairs(&kv.key, kv.value.as_ref(), &name, out);
            }
        }
        _ => out.push((name, any_value_string(v))),
    }
}

fn attrs_pairs(attrs: &[KeyValue]) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(attrs.len());
    for kv in attrs {
        attribute_pairs(&kv.key, kv.value.as_ref(), "", &mut out);
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Translates an OTLP logs export into a [`RawPush`] (streams in first-seen order). `now_ns`
/// stamps records with neither timestamp; `limits.discover_service_name` drives
/// `service_name`.
pub fn otlp_logs_to_push(
    req: &ExportLogsServiceRequest,
    limits: &LogsLimits,
    now_ns: i64,
) -> RawPush {
    let mut streams: Vec<RawStream> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for rl in &req.resource_logs {
        let res_attrs: &[KeyValue] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        let mut stream_labels: BTreeMap<String, String> = BTreeMap::new();
        let mut res_sm = Vec::new();
        for kv in res_attrs {
            let mut pairs = Vec::new();
            attribute_pairs(&kv.key, kv.value.as_ref(), "", &mut pairs);
            if DEFAULT_INDEX_LABELS.contains(&kv.key.as_str()) {
                stream_labels.extend(pairs);
            } else {
                res_sm.extend(pairs);
            }
        }
        let has_service = res_attrs
            .iter()
            .any(|kv| kv.key == "service.name" && !any_value_string(kv.value.as_ref()).is_empty());
        if !has_service && !limits.discover_service_name.is_empty() {
            let svc = limits
                .discover_service_name
                .iter()
                .find_map(|n| stream_labels.get(n).filter(|v| !v.is_empty()).cloned())
                .unwrap_or_else(|| UNKNOWN_SERVICE.to_string());
            stream_labels.insert(SERVICE_NAME.to_string(), svc);
        }
        let labels = Labels::from_pairs(stream_labels);
        for sl in &rl.scope_logs {
            let mut scope_sm = Vec::new();
            if let Some(scope) = &sl.scope {
                scope_sm = attrs_pairs(&scope.attributes);
                if !scope.name.is_empty() {
                    scope_sm.push(("scope_name".into(), scope.name.clone()));
                }
                if !scope.version.is_empty() {
                    scope_sm.push(("scope_version".into(), scope.version.clone()));
                }
                if scope.dropped_attributes_count != 0 {
                    scope_sm.push((
                        "scope_dropped_attributes_count".into(),
                        scope.dropped_attributes_count.to_string(),
                    ));
                }
            }
            for rec in &sl.log_records {
                // Resource and scope first so that the record's own fields win on a name clash.
                let mut sm = res_sm.clone();
                sm.extend(scope_sm.iter().cloned());
                for kv in &rec.attributes {
                    if kv.key == "event_name" && !rec.event_name.is_empty() {
                        continue;
                    }
                    attribute_pairs(&kv.key, kv.value.as_ref(), "", &mut sm);
                }
                if rec.time_unix_nano != 0 && rec.observed_time_unix_nano != 0 {
                    sm.push((
                        "observed_timestamp".into(),
                        rec.observed_time_unix_nano.to_string(),
                    ));
                }
                if rec.severity_number != 0 {
                    sm.push(("severity_number".into(), rec.severity_number.to_string()));
                }
                if !rec.severity_text.is_empty() {
                    sm.push(("severity_text".into(), rec.severity_text.clone()));
                }
                if rec.dropped_attributes_count != 0 {
                    sm.push((
                        "dropped_attributes_count".into(),
                        rec.dropped_attributes_count.to_string(),
                    ));
                }
                if rec.flags != 0 {
                    sm.push(("flags".into(), rec.flags.to_string()));
                }
                if !rec.trace_id.is_empty() && rec.trace_id.iter().any(|b| *b != 0) {
                    sm.push(("trace_id".into(), hex(&rec.trace_id)));
                }
                if !rec.span_id.is_empty() && rec.span_id.iter().any(|b| *b != 0) {
                    sm.push(("span_id".into(), hex(&rec.span_id)));
                }
                if !rec.event_name.is_empty() {
                    sm.push(("event_name".into(), rec.event_name.clone()));
                }
                let ts = if rec.time_unix_nano != 0 {
                    rec.time_unix_nano
                } else {
                    rec.observed_time_unix_nano
                };
                let timestamp_ns = if ts != 0 {
                    i64::try_from(ts).unwrap_or(i64::MAX)
                } else {
                    now_ns
                };
                let entry = RawEntry {
                    timestamp_ns,
                    line: any_value_string(rec.body.as_ref()),
                    structured_metadata: sm,
                };
                let i = *index.entry(labels.clone()).or_insert_with(|| {
                    streams.push(RawStream {
                        labels: RawLabels::Parsed(labels.clone()),
                        entries: Vec::new(),
                    });
                    streams.len() - 1
                });
                streams[i].entries.push(entry);
            }
        }
    }
    RawPush { streams }
}
