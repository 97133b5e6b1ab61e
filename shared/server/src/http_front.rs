//! The HTTP front: axum accepts connections and hands every request, whatever its path, to
//! [`Backend::handle`] (which routes exactly like the deployed functions).

use crate::backend::Backend;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use std::sync::Arc;

/// Largest request body accepted (bytes). Lambda's own limit is 6 MB; locally we allow more so
/// that big remote-write batches from a local Prometheus are not refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// An axum router: `GET /metrics` serves Lakewatch's own metrics
/// ([`crate::selfmon::metrics_response`]); the fallback serves every other path (and other
/// methods on `/metrics`) through `backend`.
pub fn router(backend: Arc<Backend>) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .fallback(forward)
        .with_state(backend)
}

async fn metrics(State(backend): State<Arc<Backend>>, headers: http::HeaderMap) -> Response {
    crate::selfmon::metrics_response(&backend, &headers)
        .await
        .map(Body::from)
}

async fn forward(State(backend): State<Arc<Backend>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body too large or unreadable: {e}"),
            )
                .into_response()
        }
    };
    // Backend::handle logs the request line and records the self-monitoring metrics.
    let resp = backend
        .handle(http::Request::from_parts(parts, bytes))
        .await;
    resp.map(Body::from)
}
