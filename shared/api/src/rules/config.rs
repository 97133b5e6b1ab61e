//! The Mimir/Loki ruler config API (YAML), as Mimir's `pkg/ruler/api.go` and Loki's
//! `pkg/ruler/base/api.go` answer it:
//!
//! | route | answer |
//! |---|---|
//! | `GET …/rules` | 200 `application/yaml` map namespace → groups; 404 `no rule groups found` |
//! | `GET …/rules/<ns>` | the same map with one namespace; 404 `no rule groups found` |
//! | `GET …/rules/<ns>/<group>` | 200 one group's YAML; 404 `group does not exist` |
//! | `POST …/rules/<ns>` | body: one group's YAML; 202 `{"status":"success","data":null,"errorType":"","error":""}`; 400 with promtool's messages joined by `, ` |
//! | `DELETE …/rules/<ns>/<group>` | 202 as above; 404 `group does not exist` |
//! | `DELETE …/rules/<ns>` | 202 as above; 404 `group namespace does not exist` |
//!
//! Errors are Go `http.Error` plain text. The tenant is the single `X-Scope-OrgID` tenant
//! (federated `a|b` ids are refused with 400, as Mimir's ruler does).

use super::ConfigRoute;
use crate::app::{auth_error_response, App};
use crate::middleware;
use crate::response::{method_not_allowed, text};
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use lakewatch_model::TenantId;
use lakewatch_ruler::rules::{group_value, parse_rule_group, ExprLanguage, RuleFile};
use lakewatch_ruler::store::{RulesStore, RulesStoreError};
use lakewatch_storage::resolve_tenant;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// Mimir's `ErrNoRuleGroups` text.
pub const NO_RULE_GROUPS: &str = "no rule groups found";
/// Mimir's `rulestore.ErrGroupNotFound` text.
pub const GROUP_NOT_FOUND: &str = "group does not exist";
/// Mimir's `rulestore.ErrGroupNamespaceNotFound` text.
pub const NAMESPACE_NOT_FOUND: &str = "group namespace does not exist";
/// The body of Mimir's `respondAccepted` (202).
pub const ACCEPTED_BODY: &str = r#"{"status":"success","data":null,"errorType":"","error":""}"#;

/// Handles one ruler config API request (CORS and gzip applied as for the query API).
pub async fn handle(app: &App, req: Request<Bytes>, route: ConfigRoute) -> Response<Bytes> {
    let headers = req.headers().clone();
    if req.method() == Method::OPTIONS {
        return middleware::preflight(&headers);
    }
    let resp = route_request(app, req, route).await;
    middleware::finish(&headers, resp)
}

async fn route_request(app: &App, req: Request<Bytes>, route: ConfigRoute) -> Response<Bytes> {
    let allowed: &[Method] = match (&route.namespace, &route.group) {
        (None, _) => &[Method::GET],
        (Some(_), None) => &[Method::GET, Method::POST, Method::DELETE],
        (Some(_), Some(_)) => &[Method::GET, Method::DELETE],
    };
    if !allowed.contains(req.method()) {
        return method_not_allowed(allowed);
    }
    let tenant = match resolve_tenant(req.headers(), &app.auth) {
        Ok(t) => t,
        Err(e) => return auth_error_response(&e),
    };
    let store = RulesStore::new(app.store.clone());
    let lang = route.language;
    let result = match (req.method().clone(), route.namespace, route.group) {
        (Method::GET, None, _) => list(&store, &tenant, lang, None).await,
        (Method::GET, Some(ns), None) => list(&store, &tenant, lang, Some(&ns)).await,
        (Method::GET, Some(ns), Some(g)) => get_group(&store, &tenant, lang, &ns, &g).await,
        (Method::POST, Some(ns), None) => set_group(&store, &tenant, lang, &ns, req.body()).await,
        (Method::DELETE, Some(ns), Some(g)) => {
            match store.delete_group(&tenant, lang, &ns, &g).await {
                Ok(true) => Ok(accepted()),
                Ok(false) => Ok(text(StatusCode::NOT_FOUND, GROUP_NOT_FOUND)),
                Err(e) => Err(e),
            }
        }
        (Method::DELETE, Some(ns), None) => {
            match store.delete_namespace(&tenant, lang, &ns).await {
                Ok(true) => Ok(accepted()),
                Ok(false) => Ok(text(StatusCode::NOT_FOUND, NAMESPACE_NOT_FOUND)),
                Err(e) => Err(e),
            }
        }
        _ => return method_not_allowed(allowed),
    };
    result.unwrap_or_else(|e| {
        tracing::error!("ruler config API: {e}");
        server_error(&e.to_string())
    })
}

/// 500 with Mimir's `respondError` body:
/// `{"status":"error","data":null,"errorType":"server_error","error":"<message>"}`.
fn server_error(message: &str) -> Response<Bytes> {
    let mut body =
        String::from(r#"{"status":"error","data":null,"errorType":"server_error","error":"#);
    crate::json::push_str(&mut body, message);
    body.push('}');
    crate::response::json_response(StatusCode::INTERNAL_SERVER_ERROR, body)
}

/// 202 with Mimir's `respondAccepted` body.
fn accepted() -> Response<Bytes> {
    crate::response::json_response(StatusCode::ACCEPTED, ACCEPTED_BODY.to_string())
}

/// A 200 `application/yaml` response.
fn yaml(body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/yaml"),
    );
    resp
}

/// Namespace → groups as Mimir's YAML map (`ns:\n- name: …`).
pub fn namespaces_yaml(namespaces: &BTreeMap<String, RuleFile>) -> String {
    let map: Mapping = namespaces
        .iter()
        .map(|(ns, file)| {
            (
                Value::String(ns.clone()),
                Value::Sequence(file.groups.iter().map(group_value).collect()),
            )
        })
        .collect();
    serde_yaml::to_string(&Value::Mapping(map)).unwrap_or_default()
}

async fn list(
    store: &RulesStore,
    tenant: &TenantId,
    lang: ExprLanguage,
    namespace: Option<&str>,
) -> Result<Response<Bytes>, RulesStoreError> {
    let namespaces = match namespace {
        None => store.list(tenant, lang).await?,
        Some(ns) => store
            .get_namespace(tenant, lang, ns)
            .await?
            .map(|f| BTreeMap::from([(ns.to_string(), f)]))
            .unwrap_or_default(),
    };
    if namespaces.is_empty() {
        return Ok(text(StatusCode::NOT_FOUND, NO_RULE_GROUPS));
    }
    Ok(yaml(namespaces_yaml(&namespaces)))
}

async fn get_group(
    store: &RulesStore,
    tenant: &TenantId,
    lang: ExprLanguage,
    namespace: &str,
    group: &str,
) -> Result<Response<Bytes>, RulesStoreError> {
    Ok(
        match store.get_group(tenant, lang, namespace, group).await? {
            Some(g) => yaml(g.to_yaml()),
            None => text(StatusCode::NOT_FOUND, GROUP_NOT_FOUND),
        },
    )
}

async fn set_group(
    store: &RulesStore,
    tenant: &TenantId,
    lang: ExprLanguage,
    namespace: &str,
    body: &Bytes,
) -> Result<Response<Bytes>, RulesStoreError> {
    let Ok(body) = std::str::from_utf8(body) else {
        return Ok(text(StatusCode::BAD_REQUEST, "request body is not UTF-8"));
    };
    match parse_rule_group(body, lang) {
        Ok(group) => {
            store.set_group(tenant, lang, namespace, group).await?;
            Ok(accepted())
        }
        Err(errs) => {
            let msg = errs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Ok(text(StatusCode::BAD_REQUEST, &msg))
        }
    }
}
