//! `/api/v1/query` and `/api/v1/query_range` end to end through the PromQL engine: result
//! encodings, Grafana's calls, limits.

mod common;

use common::*;
use lakewatch_api::QueryConfig;
use lakewatch_storage::AuthConfig;

#[tokio::test]
async fn grafana_health_check() {
    let app = app().await;
    // Grafana "Save & test": query=1+1&time=4 (POST by default).
    let r = get_and_post(&app, "/api/v1/query", &[("query", "1+1"), ("time", "4")]).await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}"#
    );
}

#[tokio::test]
async fn instant_vector() {
    let app = app().await;
    let r = get_and_post(&app, "/api/v1/query", &[("query", "up"), ("time", "100")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "vector");
    let mut result = v["data"]["result"].as_array().unwrap().clone();
    result.sort_by_key(|s| s["metric"]["instance"].as_str().unwrap().to_string());
    assert_eq!(
        serde_json::Value::Array(result),
        serde_json::json!([
            {"metric":{"__name__":"up","instance":"a","job":"api"},"value":[100,"1"]},
            {"metric":{"__name__":"up","instance":"b","job":"api"},"value":[100,"1"]}
        ])
    );
    // Millisecond evaluation time written with exactly three decimals.
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", r#"up{instance="a"}"#), ("time", "100.5")],
    )
    .await;
    assert!(
        r.text().contains(r#""value":[100.500,"1"]"#),
        "{}",
        r.text()
    );
    // RFC3339 time.
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[
            ("query", r#"up{instance="a"}"#),
            ("time", "1970-01-01T00:01:40.005Z"),
        ],
    )
    .await;
    assert!(
        r.text().contains(r#""value":[100.005,"1"]"#),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn value_formatting_edge_cases() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "edge"), ("time", "1000.123")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let mut got: Vec<(String, String, String)> = v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["metric"]["case"].as_str().unwrap().to_string(),
                s["value"][1].as_str().unwrap().to_string(),
                s["value"][0].to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("big", "1e+21"),
        ("inf", "+Inf"),
        ("nan", "NaN"),
        ("ninf", "-Inf"),
        ("small", "1e-07"),
    ];
    assert_eq!(got.len(), 5, "{}", r.text());
    for ((case, val, ts), (wc, wv)) in got.iter().zip(want) {
        assert_eq!((case.as_str(), val.as_str()), (wc, wv));
        assert_eq!(ts, "1000.123");
    }
    assert!(r.text().contains(r#"[1000.123,"1e-07"]"#));
    // Scalars use plain 'f' formatting.
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "0.0000001"), ("time", "1.5")],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"0.0000001"]}}"#
    );
    // String result.
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "\"hello\""), ("time", "2")],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"string","result":[2,"hello"]}}"#
    );
}

#[tokio::test]
async fn range_matrix() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/api/v1/query_range",
        &[
            ("query", r#"up{instance="a"}"#),
            ("start", "0"),
            ("end", "30"),
            ("step", "15s"),
        ],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","instance":"a","job":"api"},"values":[[0,"1"],[15,"1"],[30,"1"]]}]}}"#
    );
    // Grafana-style float step and fractional times.
    let r = get_and_post(
        &app,
        "/api/v1/query_range",
        &[
            ("query", "sum(rate(http_requests_total[1m]))"),
            ("start", "60"),
            ("end", "120"),
            ("step", "30"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "matrix");
    let values = v["data"]["result"][0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    for p in values {
        let f: f64 = p[1].as_str().unwrap().parse().unwrap();
        assert!((f - 2.0 * 10.0 / 15.0).abs() < 1e-9, "{p}");
    }
    // Exactly 11,000 points is allowed.
    let r = get_and_post(
        &app,
        "/api/v1/query_range",
        &[
            ("query", "1"),
            ("start", "0"),
            ("end", "11000"),
            ("step", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    // Empty result.
    let r = get_and_post(
        &app,
        "/api/v1/query_range",
        &[
            ("query", "nothing_here"),
            ("start", "0"),
            ("end", "30"),
            ("step", "15"),
        ],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#
    );
}

#[tokio::test]
async fn native_histograms() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "native_hist"), ("time", "30")],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"native_hist"},"histogram":[30,{"count":"10","sum":"34593.34","buckets":[[3,"-0.001","0.001","2"],[0,"0.5","1","3"],[0,"1","2","5"]]}]}]}}"#
    );
    let r = get_and_post(
        &app,
        "/api/v1/query_range",
        &[
            ("query", "native_hist"),
            ("start", "30"),
            ("end", "30"),
            ("step", "15"),
        ],
    )
    .await;
    assert!(
        r.text().contains(r#""histograms":[[30,{"count":"10""#),
        "{}",
        r.text()
    );
    assert!(!r.text().contains(r#""values""#), "{}", r.text());
}

#[tokio::test]
async fn limit_lookback_and_stats() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "up"), ("time", "100"), ("limit", "1")],
    )
    .await;
    let v = r.json();
    assert_eq!(v["data"]["result"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["warnings"],
        serde_json::json!(["results truncated due to limit"])
    );
    // Samples stop at 600 s: with the default 5m lookback, 800 s still sees them; 1m does not.
    let r = get_and_post(&app, "/api/v1/query", &[("query", "up"), ("time", "800")]).await;
    assert_eq!(
        r.json()["data"]["result"].as_array().unwrap().len(),
        2,
        "{}",
        r.text()
    );
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "up"), ("time", "800"), ("lookback_delta", "1m")],
    )
    .await;
    assert_eq!(
        r.json()["data"]["result"].as_array().unwrap().len(),
        0,
        "{}",
        r.text()
    );
    // Timings differ between calls, so GET and POST are checked separately.
    let r = get(&app, "/api/v1/query?query=up&time=100&stats=all").await;
    assert!(r.json()["data"]["stats"]["samples"]["peakSamples"].is_number());
    let r = post_form(&app, "/api/v1/query", "query=up&time=100&stats=all").await;
    let v = r.json();
    assert!(v["data"]["stats"]["timings"]["evalTotalTime"].is_number());
    assert!(
        v["data"]["stats"]["samples"]["totalQueryableSamples"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn execution_errors_and_limits() {
    let app = app().await;
    // Many-to-many matching is an execution error (422).
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "up + on() up"), ("time", "100")],
    )
    .await;
    assert_error(&r, 422, "execution", "");
    let small = app_with(
        QueryConfig {
            max_samples: 10,
            ..QueryConfig::default()
        },
        AuthConfig::disabled(),
    )
    .await;
    let r = get_and_post(
        &small,
        "/api/v1/query_range",
        &[
            ("query", "up"),
            ("start", "0"),
            ("end", "600"),
            ("step", "15"),
        ],
    )
    .await;
    assert_error(
        &r,
        422,
        "execution",
        "query processing would load too many samples into memory in query execution",
    );
    let few = app_with(
        QueryConfig {
            max_series: 1,
            ..QueryConfig::default()
        },
        AuthConfig::disabled(),
    )
    .await;
    let r = get_and_post(&few, "/api/v1/query", &[("query", "up"), ("time", "100")]).await;
    assert_error(&r, 422, "execution", "maximum number of series");
}

#[tokio::test]
async fn federated_query() {
    use bytes::Bytes;
    use lakewatch_model::{MetricsBatch, TenantId};
    use lakewatch_storage::MetricsWriter;
    let app = app().await;
    let w = MetricsWriter::new(app.store.clone());
    for (t, v) in [("t1", 1.0), ("t2", 2.0)] {
        let batch = MetricsBatch {
            series: vec![series(
                &[("__name__", "shared_metric"), ("job", "x")],
                &[(1_000, v)],
            )],
            metadata: vec![],
        };
        w.write(&TenantId::new(t).unwrap(), &batch).await.unwrap();
    }
    let q = |query: &str| {
        http::Request::get(format!("/api/v1/query?time=10&query={}", enc(query)))
            .header("x-scope-orgid", "t1|t2")
            .body(Bytes::new())
            .unwrap()
    };
    let r = send(&app, q("sum(shared_metric)")).await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[10,"3"]}]}}"#
    );
    let r = send(&app, q(r#"shared_metric{__tenant_id__="t2"}"#)).await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"shared_metric","__tenant_id__":"t2","job":"x"},"value":[10,"2"]}]}}"#
    );
}

#[tokio::test]
async fn timeout_is_503() {
    let app = app_with(
        QueryConfig {
            timeout: std::time::Duration::ZERO,
            ..QueryConfig::default()
        },
        AuthConfig::disabled(),
    )
    .await;
    let r = get_and_post(&app, "/api/v1/query", &[("query", "up"), ("time", "100")]).await;
    assert_error(&r, 503, "timeout", "query timed out");
    // A request timeout can only shorten the configured one; 0 expires at once.
    let app = common::app().await;
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "up"), ("time", "100"), ("timeout", "0")],
    )
    .await;
    assert_error(&r, 503, "timeout", "query timed out");
    let r = get_and_post(
        &app,
        "/api/v1/query",
        &[("query", "up"), ("time", "100"), ("timeout", "30s")],
    )
    .await;
    assert_eq!(r.status, 200);
}
