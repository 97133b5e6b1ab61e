//! The PromQL expressions compared between Prometheus and Lakewatch, over the metrics a
//! Prometheus exposes about itself (scraped every second). Each is evaluated as an instant
//! query at `t` and as a range query over `[t - RANGE_S, t]` every `STEP_S`.
//!
//! Windows are at most 30 s so that every evaluation only needs data written after
//! Prometheus started (see [`crate::scenario::WARMUP_S`]).

/// Span of the range queries (seconds).
pub const RANGE_S: f64 = 20.0;
/// Step of the range queries (seconds).
pub const STEP_S: f64 = 2.0;

/// The expressions, with `at` (seconds) substituted for the `@` modifier tests.
pub fn expressions(at: f64) -> Vec<String> {
    let at = format!("{at:.3}");
    let mut v: Vec<String> = [
        // selectors and matchers
        "up",
        "prometheus_http_requests_total",
        "prometheus_http_requests_total{handler=~\"/api/v1/.*\", code!=\"500\"}",
        "{__name__=~\"prometheus_tsdb_head_(series|chunks)\"}",
        // counters
        "rate(prometheus_http_requests_total[10s])",
        "irate(process_cpu_seconds_total[10s])",
        "increase(prometheus_tsdb_head_samples_appended_total[15s])",
        "resets(prometheus_tsdb_head_samples_appended_total[20s])",
        "sum by (handler) (rate(prometheus_http_requests_total[15s]))",
        // histograms (classic)
        "histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[20s])))",
        "histogram_quantile(0.5, sum by (handler, le) (rate(prometheus_http_request_duration_seconds_bucket[20s])))",
        "rate(prometheus_http_request_duration_seconds_sum[20s]) / rate(prometheus_http_request_duration_seconds_count[20s])",
        // aggregations
        "avg by (job) (scrape_duration_seconds)",
        "max by (quantile) (go_gc_duration_seconds)",
        "count by (handler) (prometheus_http_requests_total)",
        "topk(3, prometheus_http_requests_total)",
        "bottomk(2, prometheus_http_response_size_bytes_count)",
        "quantile(0.9, prometheus_http_requests_total)",
        "stddev(prometheus_http_requests_total)",
        "count_values(\"value\", prometheus_tsdb_head_chunks > 0)",
        "group by (job) (up)",
        // binary operators and vector matching
        "rate(prometheus_http_requests_total[15s]) / on(job, instance) group_left sum by (job, instance) (rate(prometheus_http_requests_total[15s]))",
        "up * on(instance) group_left(version) prometheus_build_info",
        "sum without(code) (prometheus_http_requests_total) - ignoring(code) prometheus_http_requests_total{code=\"200\"}",
        "prometheus_http_requests_total > 1",
        "go_goroutines > bool 5",
        "up or vector(0)",
        "prometheus_http_requests_total unless on(handler) prometheus_http_requests_total{handler=\"/metrics\"}",
        "scalar(sum(up)) * 2 + 1",
        "time() - process_start_time_seconds",
        // offset, @, subqueries
        "prometheus_http_requests_total offset 10s",
        "rate(prometheus_http_requests_total{handler=\"/metrics\"}[10s] offset 5s)",
        // over_time functions
        "count_over_time(up[20s])",
        "max_over_time(scrape_duration_seconds[20s])",
        "avg_over_time(go_memstats_heap_alloc_bytes[15s])",
        "quantile_over_time(0.9, scrape_samples_scraped[20s])",
        "changes(go_goroutines[20s])",
        "last_over_time(up[20s])",
        "present_over_time(up[20s])",
        "deriv(process_resident_memory_bytes[20s])",
        "delta(go_memstats_heap_alloc_bytes[20s])",
        "predict_linear(prometheus_tsdb_head_samples_appended_total[20s], 60)",
        // label functions, absent, misc
        "label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
        "label_join(up, \"target\", \"/\", \"job\", \"instance\")",
        "absent(nonexistent_metric{job=\"x\"})",
        "absent(up)",
        "clamp_max(rate(prometheus_http_requests_total[10s]), 0.5)",
        "round(scrape_duration_seconds * 1000)",
        "timestamp(up)",
        "vector(1)",
        // more functions and operators
        "histogram_quantile(0.99, sum by (handler, le) (rate(prometheus_http_response_size_bytes_bucket[20s])))",
        "sort_desc(sum by (handler) (prometheus_http_requests_total))",
        "topk by (code) (2, prometheus_http_requests_total)",
        "idelta(go_memstats_alloc_bytes_total[10s])",
        "stdvar_over_time(go_goroutines[20s])",
        "sum_over_time(scrape_samples_scraped[10s]) / count_over_time(scrape_samples_scraped[10s])",
        "abs(deriv(go_memstats_heap_alloc_bytes[10s])) > bool 0",
        "ln(process_resident_memory_bytes) + exp(-up) - sqrt(go_goroutines)",
        "avg without (instance) (rate(process_cpu_seconds_total[10s]))",
        "up and on(job) prometheus_build_info",
        "hour(process_start_time_seconds) + day_of_week() * 0",
        "count by (le) (prometheus_http_request_duration_seconds_bucket) != 0",
        "-prometheus_tsdb_head_series % 7 ^ 2",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    v.push(format!("prometheus_http_requests_total @ {at}"));
    v.push(format!(
        "rate(prometheus_tsdb_head_samples_appended_total[10s] @ {at})"
    ));
    v.push("max_over_time(rate(process_cpu_seconds_total[5s])[20s:2s])".to_string());
    v.push("sum_over_time(up[20s:3s] offset 2s)".to_string());
    v.push("min_over_time(deriv(go_goroutines[10s])[15s:1s])".to_string());
    v
}

/// Metadata API calls Grafana makes (path, `match[]` selector or `None`), compared as sets over
/// `[t - RANGE_S, t]`. Selectors are limited to series scraped on every scrape, so the
/// answer does not depend on how Prometheus's head block rounds the time range.
pub fn metadata_calls() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("/api/v1/series", Some("up")),
        ("/api/v1/series", Some("prometheus_build_info")),
        (
            "/api/v1/series",
            Some("{__name__=~\"go_gc_duration_seconds.*\"}"),
        ),
        ("/api/v1/labels", Some("prometheus_build_info")),
        (
            "/api/v1/label/__name__/values",
            Some("{__name__=~\"go_memstats_.*\"}"),
        ),
        (
            "/api/v1/label/quantile/values",
            Some("go_gc_duration_seconds"),
        ),
        ("/api/v1/label/job/values", Some("up")),
    ]
}
