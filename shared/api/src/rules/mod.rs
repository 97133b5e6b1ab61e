//! Rules APIs over [`lakewatch_ruler::store::RulesStore`]:
//! - [`config`]: the Mimir/Loki ruler config API (YAML): `/prometheus/config/v1/rules…`
//!   (also without the `/prometheus` prefix, and the Cortex-style `/api/v1/rules/<ns>…`) for
//!   PromQL groups, `/loki/api/v1/rules…` and `/api/prom/rules…` for LogQL groups;
//! - [`list`]: Prometheus's `GET /api/v1/rules` (JSON) from the stored PromQL groups and the
//!   scheduled ruler's persisted state ([`view`]); [`alerts`]: Prometheus's `GET /api/v1/alerts`;
//! - [`loki`]: Loki's `GET /prometheus/api/v1/rules|alerts` (LogQL groups) for `query-logs`.
//!
//! Reference: docs/api-rules.md.

pub mod alerts;
pub mod config;
pub mod gofmt;
pub mod list;
pub mod loki;
pub mod querier;
pub mod sha1;
pub mod view;

use lakewatch_ruler::rules::ExprLanguage;
use percent_encoding::percent_decode_str;

/// A ruler config API route: the language and the percent-decoded `namespace` / `group`
/// path segments (`None` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRoute {
    pub language: ExprLanguage,
    pub namespace: Option<String>,
    pub group: Option<String>,
}

/// Routes a normalised path (no `/prometheus` prefix, no trailing slash) to the ruler config
/// API: `/config/v1/rules[/<ns>[/<group>]]` (Mimir), `/rules[…]` (what Grafana's ruler proxy
/// calls for the `prometheus`/`cortex` subtypes), `/api/v1/rules/<ns>[/<group>]` (Cortex;
/// bare `/api/v1/rules` stays Prometheus's JSON listing), `/loki/api/v1/rules[/<ns>[/<group>]]`
/// and `/api/prom/rules[…]` (Loki). Segments are percent-decoded after splitting, so a
/// namespace may contain an encoded `/`. None for any other path.
pub fn config_route(path: &str) -> Option<ConfigRoute> {
    let (language, rest, needs_ns) = if let Some(r) = path.strip_prefix("/config/v1/rules") {
        (ExprLanguage::PromQL, r, false)
    } else if let Some(r) = path.strip_prefix("/rules") {
        (ExprLanguage::PromQL, r, false)
    } else if let Some(r) = path.strip_prefix("/api/v1/rules") {
        (ExprLanguage::PromQL, r, true)
    } else if let Some(r) = path.strip_prefix("/loki/api/v1/rules") {
        (ExprLanguage::LogQL, r, false)
    } else if let Some(r) = path.strip_prefix("/api/prom/rules") {
        (ExprLanguage::LogQL, r, false)
    } else {
        return None;
    };
    if rest.is_empty() {
        return (!needs_ns).then_some(ConfigRoute {
            language,
            namespace: None,
            group: None,
        });
    }
    let rest = rest.strip_prefix('/')?;
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.len() > 2 || segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    Some(ConfigRoute {
        language,
        namespace: segs.first().map(|s| decode(s)),
        group: segs.get(1).map(|s| decode(s)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = config_route("/config/v1/rules/a%2Fb/g%201").unwrap();
        assert_eq!(r.namespace.as_deref(), Some("a/b"));
        assert_eq!(r.group.as_deref(), Some("g 1"));
        assert!(config_route("/api/v1/rules").is_none());
        assert!(config_route("/api/v1/rules/ns").is_some());
        assert!(config_route("/api/v1/rulesx").is_none());
        assert_eq!(
            config_route("/rules/ns").and_then(|r| r.namespace),
            Some("ns".to_string())
        );
        assert!(config_route("/config/v1/rules/a/b/c").is_none());
        let r = config_route("/loki/api/v1/rules").unwrap();
        assert_eq!(r.language, ExprLanguage::LogQL);
        assert_eq!(r.namespace, None);
    }
}
