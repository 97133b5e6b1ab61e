//! OTLP → Prometheus naming, with expectations from prometheus/otlptranslator's tests
//! (`metric_namer_test.go`, `label_namer_test.go`) for the default strategy
//! `UnderscoreEscapingWithSuffixes`.

use lakewatch_ingest::otlp::names::{
    format_attr_double, format_float, label_name, metric_name, unit_name, MetricKind::*,
};

#[test]
fn metric_names() {
    let cases = [
        ("requests", "", MonotonicCounter, "requests_total"),
        ("cpu_usage", "1", Gauge, "cpu_usage_ratio"),
        ("items", "1", MonotonicCounter, "items_total"),
        ("response_time", "ms", Gauge, "response_time_milliseconds"),
        ("memory_usage", "By", Gauge, "memory_usage_bytes"),
        ("requests", "1/s", Gauge, "requests_per_second"),
        ("throughput", "By/s", Gauge, "throughput_bytes_per_second"),
        (
            "custom_metric",
            "custom_unit",
            Gauge,
            "custom_metric_custom_unit",
        ),
        ("custom_metric", "{custom}", Gauge, "custom_metric"),
        ("custom_metric", "By/{custom}", Gauge, "custom_metric_bytes"),
        ("requests_total", "", MonotonicCounter, "requests_total"),
        ("cpu_usage_ratio", "1", Gauge, "cpu_usage_ratio"),
        ("response_time_seconds", "s", Gauge, "response_time_seconds"),
        (
            "metric__with__multiple__underscores",
            "unit__multiple__underscores",
            Gauge,
            "metric_with_multiple_underscores_unit_multiple_underscores",
        ),
        (
            "custom_metric",
            "unit@with#special/chars",
            Gauge,
            "custom_metric_unit_with_special_per_chars",
        ),
        (
            "request_duration",
            "s",
            Histogram,
            "request_duration_seconds",
        ),
        (
            "request_size",
            "By",
            ExponentialHistogram,
            "request_size_bytes",
        ),
        ("response_time", "ms", Summary, "response_time_milliseconds"),
        (
            "active_connections",
            "",
            NonMonotonicCounter,
            "active_connections",
        ),
        ("uptime", "d", Gauge, "uptime_days"),
        ("duration", "h", Gauge, "duration_hours"),
        (
            "http.server.request.duration",
            "s",
            Histogram,
            "http_server_request_duration_seconds",
        ),
        ("123_requests", "", MonotonicCounter, "_123_requests_total"),
        (
            "system.network.io",
            "By",
            MonotonicCounter,
            "system_network_io_bytes_total",
        ),
        ("queue.size", "1", NonMonotonicCounter, "queue_size"),
    ];
    for (name, unit, kind, want) in cases {
        assert_eq!(
            metric_name(name, unit, kind).unwrap(),
            want,
            "{name} {unit} {kind:?}"
        );
    }
    assert!(metric_name("@#$%", "", Gauge).is_err());
    assert!(metric_name("", "", Gauge).is_err());
}

/// Prometheus 3.14's defaults: `label_name_underscore_sanitization: true` and
/// `label_name_preserve_multiple_underscores: true` (otlptranslator v1.0.0 `LabelNamer` with
/// `UnderscoreLabelSanitization` and `PreserveMultipleUnderscores`).
#[test]
fn label_names() {
    let cases = [
        ("label:with:colons", "label_with_colons"),
        ("LabelWithCapitalLetters", "LabelWithCapitalLetters"),
        ("label!with&special$chars)", "label_with_special_chars_"),
        (
            "label_with_foreign_characters_字符",
            "label_with_foreign_characters___",
        ),
        ("label.with.dots", "label_with_dots"),
        ("123label", "key_123label"),
        (
            "_label_starting_with_underscore",
            "key_label_starting_with_underscore",
        ),
        (
            "__label_starting_with_2underscores",
            "__label_starting_with_2underscores",
        ),
        (
            "label__with__double__underscores",
            "label__with__double__underscores",
        ),
        ("__reserved__label__name__", "__reserved__label__name__"),
        ("http.request.method", "http_request_method"),
    ];
    for (k, want) in cases {
        assert_eq!(label_name(k).unwrap(), want, "{k}");
    }
    assert!(label_name("").is_err());
    assert!(label_name("ようこそ").is_err());
    assert!(label_name("__").is_err());
}

#[test]
fn unit_names() {
    assert_eq!(unit_name("s"), "seconds");
    assert_eq!(unit_name("By/s"), "bytes_per_second");
    assert_eq!(unit_name("1"), "");
    assert_eq!(unit_name("{request}"), "");
    assert_eq!(unit_name("1/s"), "per_second");
    assert_eq!(unit_name("custom_unit"), "custom_unit");
}

#[test]
fn float_formats() {
    assert_eq!(format_float(0.5), "0.5");
    assert_eq!(format_float(100.0), "100");
    assert_eq!(format_float(f64::INFINITY), "+Inf");
    assert_eq!(format_float(1e-7), "0.0000001");
    assert_eq!(format_attr_double(1.5), "1.5");
    assert_eq!(format_attr_double(1e-7), "1e-7");
    assert_eq!(format_attr_double(1e21), "1e+21");
}
