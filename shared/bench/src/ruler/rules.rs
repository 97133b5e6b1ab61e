//! The rule set of the `--ruler` benchmark: the reference deployment's rules
//! (examples/rules/ai-gateway-*.yml: 6 recording, 8 alerting rules in 4 groups, `interval: 1m`)
//! rewritten over the generator's metric names ([`crate::gen`]: `http_requests_total` by
//! route and code, `http_request_duration_seconds` histogram, process, queue and node series,
//! all `job="api"`). On the generated data some alerts fire: error ratio (≈1 % of requests are
//! 500s, threshold 0.5 %), p95 latency of the slow routes, resident memory and goroutines of
//! some instances.

use lakewatch_ruler::rules::{parse_rule_group, ExprLanguage, RuleGroup};

/// `(namespace, group YAML)`; `{OFFSET}` is replaced by the traffic-comparison offset.
const GROUPS: [(&str, &str); 4] = [
    (
        "api",
        r#"
name: api-recording
interval: 1m
rules:
  - record: job_route:http_requests:rate5m
    expr: sum by (job, route) (rate(http_requests_total{job="api"}[5m]))
  - record: job:http_requests:rate5m
    expr: sum by (job) (rate(http_requests_total{job="api"}[5m]))
  - record: job_route:http_requests_errors:ratio_rate5m
    expr: |
      sum by (job, route) (rate(http_requests_total{job="api", code=~"5.."}[5m]))
        / sum by (job, route) (rate(http_requests_total{job="api"}[5m]))
  - record: job_route:http_request_duration_seconds:p95_5m
    expr: |
      histogram_quantile(0.95,
        sum by (job, route, le) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))
"#,
    ),
    (
        "api",
        r#"
name: api-alerts
interval: 1m
rules:
  - alert: HighErrorRate
    expr: |
      sum by (job, route) (rate(http_requests_total{job="api", code=~"5.."}[5m]))
        / sum by (job, route) (rate(http_requests_total{job="api"}[5m]))
      > 0.005
    for: 5m
    labels:
      severity: critical
    annotations:
      summary: "{{ $labels.route }} error rate is {{ $value | humanizePercentage }}"
  - alert: HighP95Latency
    expr: |
      histogram_quantile(0.95,
        sum by (job, route, le) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))
      > 0.5
    for: 5m
    labels:
      severity: warning
    annotations:
      summary: "p95 latency of {{ $labels.route }} is {{ $value | humanizeDuration }}"
  - alert: TrafficSpike
    expr: |
      sum by (job) (rate(http_requests_total{job="api"}[5m]))
      > 2 * sum by (job) (rate(http_requests_total{job="api"}[5m] offset {OFFSET}))
    for: 5m
    labels:
      severity: warning
    annotations:
      summary: "{{ $labels.job }} serves {{ $value | humanize }} requests/s, over twice the rate {OFFSET} ago"
"#,
    ),
    (
        "node",
        r#"
name: node-recording
interval: 1m
rules:
  - record: instance:node_cpu_utilisation:rate5m
    expr: 1 - avg by (job, instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))
  - record: instance:node_network_receive_bytes:rate5m
    expr: sum by (job, instance) (rate(node_network_receive_bytes_total{device!="lo"}[5m]))
"#,
    ),
    (
        "node",
        r#"
name: node-alerts
interval: 1m
rules:
  - alert: HighMemory
    expr: process_resident_memory_bytes{job="api"} > 250e6
    for: 5m
    labels:
      severity: warning
    annotations:
      summary: "{{ $labels.instance }} uses {{ $value | humanize1024 }}B of memory"
  - alert: GoroutineLeak
    expr: go_goroutines{job="api"} > 250
    for: 5m
    labels:
      severity: warning
    annotations:
      summary: "{{ $labels.instance }} runs {{ $value }} goroutines"
  - alert: QueueBacklog
    expr: max by (job, instance) (queue_depth{job="api"}) > 100
    for: 5m
    labels:
      severity: warning
  - alert: HighCpu
    expr: instance:node_cpu_utilisation:rate5m > 0.9
    for: 10m
    labels:
      severity: warning
  - alert: DiskWillFillIn4h
    expr: predict_linear(node_filesystem_avail_bytes{job="api", fstype="ext4"}[1h], 4 * 3600) < 0
    for: 5m
    labels:
      severity: critical
"#,
    ),
];

/// The groups as `(namespace, group)`, validated as promtool would
/// ([`parse_rule_group`]). `offset` is a Prometheus duration (`1h`, `30m`) for the traffic
/// comparison. Errors: a group that does not validate, with promtool's messages.
pub fn groups(offset: &str) -> Result<Vec<(String, RuleGroup)>, String> {
    GROUPS
        .iter()
        .map(|(ns, yaml)| {
            let yaml = yaml.replace("{OFFSET}", offset);
            parse_rule_group(&yaml, ExprLanguage::PromQL)
                .map(|g| (ns.to_string(), g))
                .map_err(|errs| {
                    let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                    format!("rule group of namespace {ns}: {}", msgs.join("; "))
                })
        })
        .collect()
}

/// The traffic-comparison offset for data spanning `hours`: `1h` when the data reaches an
/// hour and 10 minutes back (the 5m rate window and the 5 evaluations before the measured
/// one), else half the span in whole minutes (at least `5m`).
pub fn offset_for(hours: f64) -> String {
    if hours >= 70.0 / 60.0 {
        "1h".to_string()
    } else {
        format!("{}m", ((hours * 30.0) as i64).max(5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_validate() {
        let g = groups("30m").unwrap();
        assert_eq!(g.len(), 4);
        let rules: Vec<usize> = g.iter().map(|(_, g)| g.rules.len()).collect();
        assert_eq!(rules, vec![4, 3, 2, 5]);
        assert_eq!(offset_for(1.0), "30m");
        assert_eq!(offset_for(3.0), "1h");
    }
}
