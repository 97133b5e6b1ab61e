//! The Alertmanager v2 `postableAlerts` body, built as Prometheus builds it
//! (`rules.SendAlerts` → `notifier.relabelAlerts` → `alertsToOpenAPIAlerts`).

use chrono::{TimeZone, Utc};
use lakewatch_model::Labels;
use std::collections::BTreeMap;

use crate::alert::Alert;

/// Prometheus's `generatorURL`: `externalURL + strutil.TableLinkForExpression(expr)`, i.e.
/// `<external_url>/graph?g0.expr=<QueryEscape(expr)>&g0.tab=1`. A trailing `/` of
/// `external_url` is dropped (Prometheus trims it from `--web.external-url`'s path).
pub fn generator_url(external_url: &str, expr: &str) -> String {
    format!(
        "{}/graph?g0.expr={}&g0.tab=1",
        external_url.trim_end_matches('/'),
        query_escape(expr)
    )
}

/// Go's `url.QueryEscape` (shared with the templates' `urlquery`-style escaping).
pub use lakewatch_logql::template::go::query_escape;

/// Prometheus's JSON time for Alertmanager (`strfmt.DateTime`, `RFC3339Millis` in UTC):
/// `2006-01-02T15:04:05.000Z`. `None` is Go's zero time `0001-01-01T00:00:00.000Z`, which
/// Alertmanager reads as "not set".
pub fn format_time_ms(ms: Option<i64>) -> String {
    match ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => "0001-01-01T00:00:00.000Z".to_string(),
    }
}

/// The alert's labels plus each external label the alert does not already have (Prometheus's
/// `relabelAlerts`: external labels never override the alert's own).
pub fn with_external_labels(labels: &Labels, external: &Labels) -> Labels {
    let mut out = labels.clone();
    for l in external.iter() {
        if out.get(&l.name).is_none() {
            out.set(&l.name, &l.value);
        }
    }
    out
}

/// One Alertmanager v2 `PostableAlert`. Serialises with Prometheus's (Go's) field order and
/// omissions: `{"annotations":{..},"endsAt":..,"startsAt":..,"generatorURL":..,"labels":{..}}`;
/// `annotations` is left out when empty, `generatorURL` when empty; label names sorted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PostableAlert {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    #[serde(rename = "generatorURL", skip_serializing_if = "String::is_empty")]
    pub generator_url: String,
    pub labels: BTreeMap<String, String>,
}

/// Builds the `PostableAlert` for one alert, as Prometheus's `rules.SendAlerts`:
///
/// - `labels` = the alert's labels plus missing external labels ([`with_external_labels`]).
/// - `startsAt` = the time the alert started **firing** (`FiredAt`), falling back to
///   `active_at_ms` for an alert that never fired.
/// - `endsAt` = `resolved_at_ms` when resolved, else `valid_until_ms` (the resend deadline),
///   else Go's zero time.
pub fn postable_alert(
    alert: &Alert,
    external_labels: &Labels,
    generator_url: &str,
) -> PostableAlert {
    let ends = alert.resolved_at_ms.or(alert.valid_until_ms);
    let starts = alert.fired_at_ms.unwrap_or(alert.active_at_ms);
    PostableAlert {
        annotations: label_set(&alert.annotations),
        ends_at: format_time_ms(ends),
        starts_at: format_time_ms(Some(starts)),
        generator_url: generator_url.to_string(),
        labels: label_set(&with_external_labels(&alert.labels, external_labels)),
    }
}

/// Serialises a batch (`postableAlerts`, a JSON array) to bytes exactly as Go's
/// `encoding/json` does: `&`, `<`, `>`, U+2028 and U+2029 are written as `\u0026`, `\u003c`,
/// `\u003e`, `\u2028`, `\u2029` (these characters only occur inside JSON strings, so the
/// rewrite is safe).
pub fn postable_alerts_body(items: &[PostableAlert]) -> Vec<u8> {
    // Serialising strings and string maps cannot fail.
    let json = serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string());
    go_json_escape(&json).into_bytes()
}

fn go_json_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '&' => out.push_str("\\u0026"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn label_set(labels: &Labels) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertState;

    #[test]
    fn generator_url_matches_prometheus() {
        assert_eq!(
            generator_url("http://prom:9090/", "rate(http_requests_total{job=\"api\"}[5m]) > 0.5"),
            "http://prom:9090/graph?g0.expr=rate%28http_requests_total%7Bjob%3D%22api%22%7D%5B5m%5D%29+%3E+0.5&g0.tab=1"
        );
        assert_eq!(
            generator_url("", "up == 0"),
            "/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
        );
        assert_eq!(query_escape("a~b-c_d.e*é"), "a~b-c_d.e%2A%C3%A9");
        assert_eq!(
            go_json_escape("{\"a\":\"x&y<z>\u{2028}\"}"),
            r#"{"a":"x\u0026y\u003cz\u003e\u2028"}"#
        );
    }

    #[test]
    fn times_are_rfc3339_millis_utc() {
        assert_eq!(
            format_time_ms(Some(1_700_000_000_123)),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(format_time_ms(Some(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time_ms(None), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn postable_alert_shape() {
        let a = Alert {
            labels: Labels::from_pairs([("alertname", "X"), ("cluster", "own")]),
            annotations: Labels::default(),
            state: AlertState::Firing,
            value: 1.0,
            active_at_ms: 1000,
            fired_at_ms: Some(2000),
            resolved_at_ms: None,
            last_sent_at_ms: None,
            valid_until_ms: Some(3000),
            keep_firing_since_ms: None,
        };
        let ext = Labels::from_pairs([("cluster", "ext"), ("replica", "r1")]);
        let v = postable_alert(&a, &ext, "");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"endsAt":"1970-01-01T00:00:03.000Z","startsAt":"1970-01-01T00:00:02.000Z","labels":{"alertname":"X","cluster":"own","replica":"r1"}}"#
        );
        let mut r = a.clone();
        r.state = AlertState::Inactive;
        r.resolved_at_ms = Some(2500);
        r.annotations = Labels::from_pairs([("summary", "s")]);
        let v = postable_alert(&r, &Labels::default(), "http://g");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"annotations":{"summary":"s"},"endsAt":"1970-01-01T00:00:02.500Z","startsAt":"1970-01-01T00:00:02.000Z","generatorURL":"http://g","labels":{"alertname":"X","cluster":"own"}}"#
        );
    }
}
