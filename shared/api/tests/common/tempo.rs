//! Helpers of the Tempo API tests (`tempo_*.rs`): OTLP attribute builders, an [`App`] over
//! traces written with `TracesWriter` on `memory://`, and GETs checking Tempo's content types.

use super::get;
use lakewatch_api::{App, QueryConfig};
use lakewatch_model::TenantId;
use lakewatch_storage::{AuthConfig, Store, TracesWriter};
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use serde_json::Value as Json;

/// An OTLP attribute `k` = `v`.
pub fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

/// An OTLP string value.
pub fn s(v: &str) -> Value {
    Value::StringValue(v.into())
}

/// An `App` (auth disabled, default query config) over a `memory://` store holding `writes`:
/// each batch written by `TracesWriter` as its own object, for its tenant, in order.
pub async fn traces_app(writes: Vec<(TenantId, Vec<ResourceSpans>)>) -> App {
    let store = Store::memory();
    let w = TracesWriter::new(store.clone());
    for (i, (tenant, batch)) in writes.iter().enumerate() {
        w.write(tenant, batch)
            .await
            .unwrap_or_else(|e| panic!("write traces batch {i} for {tenant:?}: {e}"));
    }
    App::new(store, AuthConfig::disabled(), QueryConfig::default())
}

/// GET `uri`: asserts status 200 and `application/json`; the parsed body.
pub async fn get_json(app: &App, uri: &str) -> Json {
    let r = get(app, uri).await;
    let text = r.text();
    assert_eq!(r.status, 200, "{uri}: {text}");
    assert_eq!(r.content_type(), "application/json", "{uri}");
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {text}"))
}

/// GET `uri` answered by a Tempo error: asserts a `text/plain` body; `(status, body text)`.
pub async fn get_error(app: &App, uri: &str) -> (u16, String) {
    let r = get(app, uri).await;
    assert!(
        r.content_type().starts_with("text/plain"),
        "{uri}: {}",
        r.content_type()
    );
    (r.status, r.text())
}
