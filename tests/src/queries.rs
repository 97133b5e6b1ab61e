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
