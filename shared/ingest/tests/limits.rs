//! `IngestLimits` from environment-style variables.

use lakewatch_ingest::{IngestLimits, NameValidation};
use std::collections::HashMap;

#[test]
fn defaults_and_overrides() {
    let (d, w) = IngestLimits::from_lookup(|_| None);
    assert!(w.is_empty());
    assert_eq!(d, IngestLimits::default());
    assert_eq!(d.max_body_bytes, 32 << 20);
    assert_eq!(d.max_future_ms, 600_000);
    let vars: HashMap<&str, &str> = [
        ("LAKEWATCH_MAX_BODY_BYTES", "1024"),
        ("LAKEWATCH_MAX_SERIES_PER_REQUEST", "5"),
        ("LAKEWATCH_MAX_FUTURE_MS", "oops"),
        ("LAKEWATCH_MAX_SAMPLE_AGE_MS", "3600000"),
        ("LAKEWATCH_NAME_VALIDATION", "legacy"),
        ("LAKEWATCH_OTLP_PROMOTE_SCOPE_METADATA", "true"),
        (
            "LAKEWATCH_OTLP_PROMOTE_RESOURCE_ATTRIBUTES",
            "k8s.pod.name, cloud.region",
        ),
    ]
    .into_iter()
    .collect();
    let (l, w) = IngestLimits::from_lookup(|k| vars.get(k).map(|s| s.to_string()));
    assert_eq!(l.max_body_bytes, 1024);
    assert_eq!(l.max_series_per_request, 5);
    assert_eq!(l.max_future_ms, 600_000);
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("LAKEWATCH_MAX_FUTURE_MS"));
    assert_eq!(l.max_sample_age_ms, 3_600_000);
    assert_eq!(l.name_validation, NameValidation::Legacy);
    assert!(l.otlp_promote_scope_metadata);
    assert_eq!(
        l.otlp_promote_resource_attributes,
        vec!["k8s.pod.name", "cloud.region"]
    );
}
