//! Loki's Prometheus-compatible rules listing, served by `query-logs`
//! ([`crate::App::handle_query_logs`]): `GET /prometheus/api/v1/rules` and
//! `GET /prometheus/api/v1/alerts` over the tenant's **LogQL** groups and the ruler's persisted
//! state, exactly as Loki's `pkg/ruler/base/api.go` (`PrometheusRules`, `PrometheusAlerts`) and
//! `ruler.go` (`getLocalRules`) answer. Loki's JSON differs from Prometheus's:
//!
//! - envelope `{"status":"success","data":…,"errorType":"","error":""}`; errors
//!   `{"status":"error","data":null,"errorType":"bad_data"|"server_error","error":"…"}`;
//! - group fields `name, file, rules, interval, limit, lastEvaluation, evaluationTime`;
//! - alerting rule `state, name, query, duration, labels, annotations, alerts, health,
//!   lastError, type, lastEvaluation, evaluationTime` (no `keepFiringFor`; `lastError` always
//!   present); recording rule `name, query, labels, health, lastError, type, lastEvaluation,
//!   evaluationTime` (`labels` always present);
//! - alert `labels, annotations, state, activeAt, value` (no `keepFiringSince`);
//! - `query` is the stored LogQL text (Loki prints its parsed form, `syntax.Expr.String()`,
//!   e.g. `(sum by (app)(count_over_time({app="api"}[5m])) > 10)`; not reproduced here);
//! - filters `type` (`alert` | `record`, else 400 `not supported value "x"`), `rule_name`,
//!   `rule_group`, `file` (Loki's names; the Prometheus spellings with `[]` are accepted too);
//!   no `exclude_alerts`, `match[]` or pagination;
//! - one tenant only: a federated `a|b` id is 400 `too many org ids found`.

use super::gofmt::{duration_seconds, go_time_ms, ms_seconds};
use super::list::{push_map, rule_labels, DEFAULT_INTERVAL};
use super::view::{active_alerts, align, load_groups, load_states, rule_alert_state, ListedGroup};
use crate::app::{has_prometheus_prefix, normalize_path, App};
use crate::json;
use crate::loki::error::LokiError;
use crate::middleware;
use crate::params::Params;
use crate::response::{json_response, method_not_allowed};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use lakewatch_ruler::eval::{GroupState, RuleState};
use lakewatch_ruler::rules::{go_quote, ExprLanguage, Rule, RuleGroup};
use lakewatch_ruler::Alert;
use lakewatch_storage::{resolve_tenants, AuthError};

/// Which Loki listing a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LokiListing {
    /// `/prometheus/api/v1/rules`.
    Rules,
    /// `/prometheus/api/v1/alerts`.
    Alerts,
}

/// Routes a request path (optionally after `/lambda-url/<fn>`, without the `/logs` base) to
/// Loki's listing: only the `/prometheus/api/v1/rules` and `/prometheus/api/v1/alerts` paths
/// (trailing slash allowed). None otherwise.
pub fn route(path: &str) -> Option<LokiListing> {
    if !has_prometheus_prefix(path) {
        return None;
    }
    match normalize_path(path) {
        "/api/v1/rules" => Some(LokiListing::Rules),
        "/api/v1/alerts" => Some(LokiListing::Alerts),
        _ => None,
    }
}

/// Loki's `response` JSON with an error; `error_type` is Prometheus client's `ErrorType`.
fn error(status: StatusCode, error_type: &str, message: &str) -> Response<Bytes> {
    let mut body = String::from(r#"{"status":"error","data":null,"errorType":"#);
    json::push_str(&mut body, error_type);
    body.push_str(r#","error":"#);
    json::push_str(&mut body, message);
    body.push('}');
    json_response(status, body)
}

fn success(data: &str) -> Response<Bytes> {
    json_response(
        StatusCode::OK,
        format!(r#"{{"status":"success","data":{data},"errorType":"","error":""}}"#),
    )
}

/// Tenant-resolution failures as Loki's auth middleware answers them (plain text).
fn auth_error(e: &AuthError) -> Response<Bytes> {
    let status = match e {
        AuthError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        AuthError::InvalidTenant(_) => StatusCode::BAD_REQUEST,
        AuthError::BadConfig(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut r = LokiError {
        status,
        message: e.to_string(),
    }
    .into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"lakewatch\""),
        );
    }
    r
}

/// Serves one listing request (CORS and gzip as the rest of the query API; `OPTIONS` is the
/// CORS preflight, other methods than GET 405).
pub async fn handle(app: &App, req: Request<Bytes>, listing: LokiListing) -> Response<Bytes> {
    let headers = req.headers().clone();
    if req.method() == Method::OPTIONS {
        return middleware::preflight(&headers);
    }
    let resp = respond(app, &req, listing).await;
    middleware::finish(&headers, resp)
}

async fn respond(app: &App, req: &Request<Bytes>, listing: LokiListing) -> Response<Bytes> {
    if req.method() != Method::GET {
        return method_not_allowed(&[Method::GET]);
    }
    let tenants = match resolve_tenants(req.headers(), &app.auth) {
        Ok(t) => t,
        Err(e) => return auth_error(&e),
    };
    if tenants.len() > 1 {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_data",
            "too many org ids found",
        );
    }
    let tenants = crate::tenants::Tenants::new(tenants);
    let p = Params::from_request(req);
    let typ = p.value("type").to_lowercase();
    let (want_alert, want_record) = match listing {
        LokiListing::Alerts => (true, false),
        LokiListing::Rules => match typ.as_str() {
            "" => (true, true),
            "alert" => (true, false),
            "record" => (false, true),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad_data",
                    &format!("not supported value {}", go_quote(&typ)),
                )
            }
        },
    };
    let values = |name: &str| -> Vec<String> {
        let mut v: Vec<String> = p.get_all(name).into_iter().map(String::from).collect();
        v.extend(
            p.get_all(&format!("{name}[]"))
                .into_iter()
                .map(String::from),
        );
        v
    };
    let (names, groups_f, files) = match listing {
        LokiListing::Rules => (values("rule_name"), values("rule_group"), values("file")),
        LokiListing::Alerts => Default::default(),
    };
    let all = match load_groups(&app.store, tenants.as_slice(), ExprLanguage::LogQL).await {
        Ok(g) => g,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e.to_string(),
            )
        }
    };
    let mut page: Vec<(&ListedGroup, Vec<usize>)> = Vec::new();
    for g in &all {
        if !groups_f.is_empty() && !groups_f.contains(&g.group.name) {
            continue;
        }
        if !files.is_empty() && !files.contains(&g.file) {
            continue;
        }
        let rules: Vec<usize> = g
            .group
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| names.is_empty() || names.iter().any(|n| n == r.name()))
            .filter(|(_, r)| {
                if r.is_alerting() {
                    want_alert
                } else {
                    want_record
                }
            })
            .map(|(i, _)| i)
            .collect();
        if !rules.is_empty() {
            page.push((g, rules));
        }
    }
    let listed: Vec<&ListedGroup> = page.iter().map(|(g, _)| *g).collect();
    let states = match load_states(&app.store, &listed, ExprLanguage::LogQL).await {
        Ok(s) => s,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e.to_string(),
            )
        }
    };
    let mut out = String::new();
    match listing {
        LokiListing::Rules => {
            out.push_str(r#"{"groups":["#);
            for (n, ((g, rules), st)) in page.iter().zip(&states).enumerate() {
                if n > 0 {
                    out.push(',');
                }
                push_group(&mut out, g, rules, st.as_ref());
            }
            out.push_str("]}");
        }
        LokiListing::Alerts => {
            out.push_str(r#"{"alerts":["#);
            let mut first = true;
            for ((g, rules), st) in page.iter().zip(&states) {
                let aligned = align(&g.group, st.as_ref());
                for &i in rules {
                    for a in active_alerts(&g.group.rules[i], aligned[i]) {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        push_alert(&mut out, a);
                    }
                }
            }
            out.push_str("]}");
        }
    }
    success(&out)
}

/// Loki's `Alert`: `labels, annotations, state, activeAt, value`.
fn push_alert(out: &mut String, a: &Alert) {
    super::alerts::push_alert_with(out, a, false);
}

/// `health, lastError, type, lastEvaluation, evaluationTime` and the closing brace.
fn push_status(out: &mut String, st: Option<&RuleState>, typ: &str) {
    out.push_str(r#","health":"#);
    json::push_str(out, st.map_or("unknown", |s| s.health.as_str()));
    out.push_str(r#","lastError":"#);
    json::push_str(out, st.and_then(|s| s.last_error.as_deref()).unwrap_or(""));
    out.push_str(r#","type":"#);
    json::push_str(out, typ);
    out.push_str(r#","lastEvaluation":"#);
    json::push_str(out, &go_time_ms(st.and_then(|s| s.last_evaluation_ms)));
    out.push_str(r#","evaluationTime":"#);
    out.push_str(&ms_seconds(st.map_or(0.0, |s| s.evaluation_duration_ms)));
    out.push('}');
}

fn push_rule(out: &mut String, group: &RuleGroup, rule: &Rule, st: Option<&RuleState>) {
    let labels = rule_labels(group, rule);
    if rule.is_alerting() {
        out.push_str(r#"{"state":"#);
        json::push_str(out, rule_alert_state(rule, st));
        out.push_str(r#","name":"#);
        json::push_str(out, rule.name());
        out.push_str(r#","query":"#);
        json::push_str(out, &rule.expr);
        out.push_str(r#","duration":"#);
        out.push_str(&duration_seconds(rule.for_));
        out.push_str(r#","labels":"#);
        push_map(out, &labels);
        out.push_str(r#","annotations":"#);
        push_map(out, &rule.annotations);
        out.push_str(r#","alerts":"#);
        super::alerts::push_alert_list(out, rule, st, false);
        push_status(out, st, "alerting");
    } else {
        out.push_str(r#"{"name":"#);
        json::push_str(out, rule.name());
        out.push_str(r#","query":"#);
        json::push_str(out, &rule.expr);
        out.push_str(r#","labels":"#);
        push_map(out, &labels);
        push_status(out, st, "recording");
    }
}

fn push_group(out: &mut String, g: &ListedGroup, rules: &[usize], state: Option<&GroupState>) {
    super::list::push_group_rules(out, g, rules, state, |out, rule, st| {
        push_rule(out, &g.group, rule, st)
    });
    out.push_str(&format!(
        r#","interval":{},"limit":{},"lastEvaluation":"#,
        duration_seconds(g.group.interval.unwrap_or(DEFAULT_INTERVAL)),
        g.group.limit,
    ));
    json::push_str(out, &go_time_ms(state.and_then(|s| s.last_evaluation_ms)));
    out.push_str(r#","evaluationTime":"#);
    out.push_str(&ms_seconds(state.map_or(0.0, |s| s.evaluation_duration_ms)));
    out.push('}');
}
