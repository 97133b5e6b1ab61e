//! Lambda events (Function URL / API Gateway v2 JSON, as `cargo lambda invoke` sends them)
//! through `lambda::to_http_request`, `App::handle_query_metrics` and `to_lambda_response`.

mod common;

use base64::Engine;
use common::*;
use lakewatch_api::lambda::{to_http_request, to_lambda_response};
use lambda_http::Body;

fn event(method: &str, path: &str, query: &str, headers: &str, body: Option<&[u8]>) -> String {
    let (b, b64) = match body {
        Some(b) => (base64::engine::general_purpose::STANDARD.encode(b), true),
        None => (String::new(), false),
    };
    format!(
        r#"{{"version":"2.0","routeKey":"$default","rawPath":"{path}","rawQueryString":"{query}","headers":{{{headers}}},"requestContext":{{"accountId":"123","apiId":"x","domainName":"x.lambda-url.us-east-1.on.aws","domainPrefix":"x","http":{{"method":"{method}","path":"{path}","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"curl"}},"requestId":"r","routeKey":"$default","stage":"$default","time":"21/Nov/2026:13:00:00 +0000","timeEpoch":1795266000000}},"body":"{b}","isBase64Encoded":{b64}}}"#
    )
}

async fn invoke(app: &lakewatch_api::App, ev: &str) -> (u16, String) {
    let req = lambda_http::request::from_str(ev).expect("valid event");
    let resp = to_lambda_response(app.handle_query_metrics(to_http_request(req)).await);
    let status = resp.status().as_u16();
    let body = match resp.into_body() {
        Body::Text(s) => s,
        Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    (status, body)
}

#[tokio::test]
async fn function_url_events() {
    let app = app().await;
    // Repeated match[] in the raw query string survive.
    let ev = event(
        "GET",
        "/api/v1/series",
        "match%5B%5D=up%7Binstance%3D%22a%22%7D&match%5B%5D=edge%7Bcase%3D%22big%22%7D",
        "",
        None,
    );
    let (status, body) = invoke(&app, &ev).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":[{"__name__":"edge","case":"big"},{"__name__":"up","instance":"a","job":"api"}]}"#
    );
    // POST form body, base64-encoded by the Function URL.
    let ev = event(
        "POST",
        "/api/v1/query",
        "",
        r#""content-type":"application/x-www-form-urlencoded""#,
        Some(b"query=1%2B1&time=4"),
    );
    let (status, body) = invoke(&app, &ev).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}"#
    );
    // Errors keep their status.
    let ev = event("POST", "/api/v1/label/job/values", "", "", None);
    assert_eq!(invoke(&app, &ev).await.0, 405);
    let ev = event(
        "GET",
        "/api/v1/query_range",
        "query=up&start=0&end=11001&step=1",
        "",
        None,
    );
    assert_eq!(invoke(&app, &ev).await.0, 400);
}
