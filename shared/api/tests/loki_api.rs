//! The Loki query API over a `memory://` store filled through `LogsWriter`: routing,
//! parameters, metadata endpoints and Loki's plain-text errors.

mod loki_common;

use bytes::Bytes;
use http::Request;
use loki_common::*;

#[tokio::test]
async fn labels_and_values() {
    let app = app().await;
    let (s, e) = range_pairs();
    let r = get_and_post(&app, "/loki/api/v1/labels", &[("start", &s), ("end", &e)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(
        r.text(),
        "{\"status\":\"success\",\"data\":[\"app\",\"env\",\"service_name\"]}\n"
    );
    // `/loki/api/v1/label` is an alias; `query` restricts the streams.
    let r = get(
        &app,
        "/loki/api/v1/label",
        &[("start", &s), ("end", &e), ("query", r#"{app="web"}"#)],
    )
    .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 3);
    let r = get(
        &app,
        "/loki/api/v1/label/app/values",
        &[("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(r.json()["data"], serde_json::json!(["api", "web"]));
    let r = get(
        &app,
        "/loki/api/v1/label/env/values",
        &[("start", &s), ("end", &e), ("query", r#"{app="api"}"#)],
    )
    .await;
    assert_eq!(r.json()["data"], serde_json::json!(["prod"]));
    // Nothing in range: `data` omitted, as Loki's `omitempty`.
    let r = get(&app, "/loki/api/v1/labels", &[("start", "1"), ("end", "2")]).await;
    assert_eq!(r.text(), "{\"status\":\"success\"}\n");
    // Default range is the last 6 h: the 2023 fixture is not in it.
    let r = get(&app, "/loki/api/v1/labels", &[]).await;
    assert_eq!(r.text(), "{\"status\":\"success\"}\n");
    // A pipeline is not a selector.
    let r = get(
        &app,
        "/loki/api/v1/labels",
        &[("query", r#"{app="api"} |= "x""#)],
    )
    .await;
    assert_text_error(&r, 400, "only label matchers are supported");
}

#[tokio::test]
async fn timestamp_formats() {
    let app = app().await;
    // The same range as seconds, float seconds, RFC3339 and nanoseconds.
    let forms = [
        ("1699999999", "1700000120"),
        ("1699999999.0", "1700000120.5"),
        ("2023-11-14T22:13:19Z", "2023-11-14T22:15:20.5Z"),
        ("1699999999000000000", "1700000120000000000"),
    ];
    for (s, e) in forms {
        let r = get(
            &app,
            "/loki/api/v1/label/app/values",
            &[("start", s), ("end", e)],
        )
        .await;
        assert_eq!(
            r.json()["data"],
            serde_json::json!(["api", "web"]),
            "{s} .. {e}"
        );
    }
    // `since` relative to `end`.
    let r = get(
        &app,
        "/loki/api/v1/label/app/values",
        &[("end", "1700000006"), ("since", "10s")],
    )
    .await;
    assert_eq!(r.json()["data"], serde_json::json!(["api", "web"]));
    let r = get(
        &app,
        "/loki/api/v1/label/app/values",
        &[("end", "1700000003"), ("since", "10s")],
    )
    .await;
    assert_eq!(r.json()["data"], serde_json::json!(["api"]));
}

#[tokio::test]
async fn series_get_post() {
    let app = app().await;
    let (s, e) = range_pairs();
    let r = get_and_post(
        &app,
        "/loki/api/v1/series",
        &[("match[]", r#"{app="api"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(
        r.text(),
        "{\"status\":\"success\",\"data\":[{\"app\":\"api\",\"env\":\"prod\",\"service_name\":\"api\"}]}\n"
    );
    // Several match[] are a union; `{}` alone means all streams.
    let r = get(
        &app,
        "/loki/api/v1/series",
        &[
            ("match[]", r#"{app="api"}"#),
            ("match[]", r#"{env=~"d.*"}"#),
            ("start", &s),
            ("end", &e),
        ],
    )
    .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
    let r = get(
        &app,
        "/loki/api/v1/series",
        &[("match[]", "{}"), ("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
    let r = get(
        &app,
        "/loki/api/v1/series",
        &[("match[]", "{app="), ("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.text().starts_with("parse error"), "{}", r.text());
    // Legacy path.
    let r = get(
        &app,
        "/api/prom/series",
        &[("match", r#"{app="web"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(r.json()["data"][0]["app"], "web");
}

#[tokio::test]
async fn index_stats_and_volume() {
    let app = app().await;
    let (s, e) = range_pairs();
    let api_bytes: usize = (0..6).map(|i| api_line(i).len()).sum();
    let r = get_and_post(
        &app,
        "/loki/api/v1/index/stats",
        &[("query", r#"{app="api"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    let v = r.json();
    assert_eq!(v["streams"], 1);
    assert_eq!(v["entries"], 6);
    assert_eq!(v["bytes"], api_bytes);
    assert!(v["chunks"].as_u64().unwrap() >= 1);

    // Volume by the selector's labels, largest first, sample time = end.
    let r = get_and_post(
        &app,
        "/loki/api/v1/index/volume",
        &[
            ("query", r#"{service_name=~".+"}"#),
            ("start", &s),
            ("end", &e),
        ],
    )
    .await;
    let v = r.json();
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["resultType"], "vector");
    let res = v["data"]["result"].as_array().unwrap();
    assert_eq!(res.len(), 2);
    assert_eq!(res[0]["metric"], serde_json::json!({"service_name": "api"}));
    assert_eq!(res[0]["value"][0], 1700000120);
    assert_eq!(res[0]["value"][1], api_bytes.to_string());
    // targetLabels, limit, aggregateBy=labels.
    let r = get(
        &app,
        "/loki/api/v1/index/volume",
        &[
            ("query", r#"{service_name=~".+"}"#),
            ("start", &s),
            ("end", &e),
            ("targetLabels", "env"),
            ("limit", "1"),
        ],
    )
    .await;
    let res = r.json()["data"]["result"].clone();
    assert_eq!(res.as_array().unwrap().len(), 1);
    assert_eq!(res[0]["metric"], serde_json::json!({"env": "prod"}));
    let r = get(
        &app,
        "/loki/api/v1/index/volume",
        &[
            ("query", r#"{app="web"}"#),
            ("start", &s),
            ("end", &e),
            ("aggregateBy", "labels"),
        ],
    )
    .await;
    let metrics: Vec<serde_json::Value> = r.json()["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["metric"].clone())
        .collect();
    assert!(
        metrics.contains(&serde_json::json!({"env": ""})),
        "{metrics:?}"
    );
    assert_eq!(metrics.len(), 3);
    let r = get(
        &app,
        "/loki/api/v1/index/volume",
        &[("query", r#"{app="web"}"#), ("aggregateBy", "x")],
    )
    .await;
    assert_text_error(&r, 400, "invalid aggregation option");

    // volume_range: windows aligned to multiples of the step, each stamped at its end
    // (boundary - 1 ms, Loki's SplitGap); T0 is 20 s past a minute boundary.
    let r = get(
        &app,
        "/loki/api/v1/index/volume_range",
        &[
            ("query", r#"{app="api"}"#),
            ("start", &T0.to_string()),
            ("end", &(T0 + 120 * SEC).to_string()),
            ("step", "60s"),
        ],
    )
    .await;
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "matrix");
    let first: usize = (0..4).map(|i| api_line(i).len()).sum();
    let second: usize = (4..6).map(|i| api_line(i).len()).sum();
    assert_eq!(
        v["data"]["result"],
        serde_json::json!([{
            "metric": {"app": "api"},
            "values": [[1700000039.999, first.to_string()], [1700000099.999, second.to_string()]]
        }])
    );
    // One window per series: a vector, as Loki.
    let r = get(
        &app,
        "/loki/api/v1/index/volume_range",
        &[
            ("query", r#"{app=~".+"}"#),
            ("start", &T0.to_string()),
            ("end", &(T0 + 30 * SEC).to_string()),
            ("step", "60s"),
        ],
    )
    .await;
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "vector");
    assert_eq!(v["data"]["result"][0]["metric"]["app"], "api");
    assert_eq!(v["data"]["result"][0]["value"][0], 1700000030);
}

#[tokio::test]
async fn detected_labels() {
    let app = app().await;
    let (s, e) = range_pairs();
    let r = get_and_post(
        &app,
        "/loki/api/v1/detected_labels",
        &[("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(
        r.text(),
        "{\"detectedLabels\":[{\"label\":\"app\",\"cardinality\":2},{\"label\":\"env\",\"cardinality\":2},{\"label\":\"service_name\",\"cardinality\":2}]}\n"
    );
    let r = get(
        &app,
        "/loki/api/v1/detected_labels",
        &[("start", "1"), ("end", "2")],
    )
    .await;
    assert_eq!(r.text(), "{}\n");
}

#[tokio::test]
async fn status_endpoints() {
    let app = app().await;
    let r = get(&app, "/loki/api/v1/status/buildinfo", &[]).await;
    let v = r.json();
    for k in [
        "version",
        "revision",
        "branch",
        "buildUser",
        "buildDate",
        "goVersion",
    ] {
        assert!(v.get(k).is_some(), "{k} in {v}");
    }
    let r = get(&app, "/loki/api/v1/drilldown-limits", &[]).await;
    let v = r.json();
    assert_eq!(v["pattern_ingester_enabled"], true);
    assert_eq!(v["limits"]["max_entries_limit_per_query"], 5000);
    assert_eq!(v["limits"]["max_query_length"], "30d1h");
    assert_eq!(v["limits"]["volume_enabled"], true);
    assert!(v["limits"]["discover_service_name"].is_array());
    assert!(v["version"].is_string());
    // GET only.
    let r = send(
        &app,
        Request::post("/loki/api/v1/status/buildinfo")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn format_query() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/loki/api/v1/format_query",
        &[("query", r#"{foo=   "bar"}"#)],
    )
    .await;
    assert_eq!(
        r.text(),
        "{\"status\":\"success\",\"data\":\"{foo=\\\"bar\\\"}\"}\n"
    );
    let r = get(&app, "/loki/api/v1/format_query", &[("query", "{foo=")]).await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().starts_with("parse error at line 1"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn routing_and_methods() {
    let app = app().await;
    let r = get(&app, "/loki/api/v1/nope", &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "404 page not found\n");
    for m in ["PUT", "DELETE"] {
        let r = send(
            &app,
            Request::builder()
                .method(m)
                .uri("/loki/api/v1/query_range")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 405, "{m}");
    }
    // CORS preflight.
    let r = send(
        &app,
        Request::builder()
            .method("OPTIONS")
            .uri("/loki/api/v1/labels")
            .header("origin", "http://grafana")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    // Large bodies are gzipped when accepted; CORS on a normal request.
    let (s, e) = range_pairs();
    let r = send(
        &app,
        Request::get(format!(
            "/loki/api/v1/query_range?{}",
            qs(&[("query", r#"{app="api"}"#), ("start", &s), ("end", &e)])
        ))
        .header("accept-encoding", "gzip")
        .header("origin", "http://grafana")
        .body(Bytes::new())
        .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-encoding"], "gzip");
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    // Tail needs a WebSocket.
    let r = get(&app, "/loki/api/v1/tail", &[("query", r#"{app="api"}"#)]).await;
    assert_eq!(r.status, 400);
    // The Prometheus API still answers beside it.
    let r = get(&app, "/api/v1/labels", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "success");
    // handle_query_logs answers Loki paths directly.
    let resp = app
        .handle_query_logs(
            Request::get("/loki/api/v1/status/buildinfo")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

/// (path, parameters, status, exact body).
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);

#[tokio::test]
async fn parameter_errors() {
    let app = app().await;
    let q = r#"{app="api"}"#;
    let cases: Vec<Case> = vec![
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("start", "abc")],
            400,
            "could not parse 'start' parameter: strconv.ParseInt: parsing \"abc\": invalid syntax",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("end", "yesterday")],
            400,
            "could not parse 'end' parameter: strconv.ParseInt: parsing \"yesterday\": invalid syntax",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("since", "1x")],
            400,
            "could not parse 'since' parameter: not a valid duration string: \"1x\"",
        ),
        (
            "/loki/api/v1/query",
            vec![("query", "vector(1)"), ("time", "noon")],
            400,
            "strconv.ParseInt: parsing \"noon\": invalid syntax",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("start", "10"), ("end", "5")],
            400,
            "end timestamp must not be before or equal to start time",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("step", "x")],
            400,
            "cannot parse \"x\" to a valid duration",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("step", "0")],
            400,
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("start", "0"), ("end", "1000000"), ("step", "1")],
            400,
            "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("interval", "-1")],
            400,
            "interval must be >= 0",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("limit", "0")],
            400,
            "limit must be a positive value",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("limit", "ten")],
            400,
            "strconv.Atoi: parsing \"ten\": invalid syntax",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("limit", "5001")],
            400,
            "max entries limit per query exceeded, limit > max_entries_limit_per_query (5001 > 5000)",
        ),
        (
            "/loki/api/v1/query_range",
            vec![("query", q), ("direction", "sideways")],
            400,
            "invalid direction 'sideways'",
        ),
        (
            "/loki/api/v1/query_range",
            vec![
                ("query", q),
                ("start", "2023-01-01T00:00:00Z"),
                ("end", "2023-02-01T00:00:00Z"),
                ("step", "3600"),
            ],
            400,
            "the query time range exceeds the limit (query length: 744h0m0s, limit: 30d1h)",
        ),
        (
            "/loki/api/v1/query",
            vec![("query", q), ("time", "1700000000")],
            400,
            "log queries are not supported as an instant query type, please change your query to a range query type",
        ),
    ];
    for (path, pairs, status, body) in cases {
        let r = get(&app, path, &pairs).await;
        assert_text_error(&r, status, body);
    }
}

#[tokio::test]
async fn malformed_logql() {
    let app = app().await;
    for (path, query) in [
        ("/loki/api/v1/query_range", r#"{app="api"} |="#),
        ("/loki/api/v1/query_range", r#"{app="api""#),
        ("/loki/api/v1/query", "sum(rate({app=\"api\"}[5m]"),
        ("/loki/api/v1/query_range", ""),
    ] {
        let r = get(&app, path, &[("query", query)]).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
        assert!(r.text().starts_with("parse error"), "{query}: {}", r.text());
    }
}

#[tokio::test]
async fn configurable_limits() {
    let mut app = app().await;
    app.loki.max_entries_limit_per_query = 10;
    app.loki.max_query_length = std::time::Duration::from_secs(3600);
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[("query", r#"{app="api"}"#), ("limit", "11")],
    )
    .await;
    assert_text_error(
        &r,
        400,
        "max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10)",
    );
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[("query", r#"{app="api"}"#), ("since", "2h"), ("limit", "5")],
    )
    .await;
    assert_text_error(
        &r,
        400,
        "the query time range exceeds the limit (query length: 2h0m0s, limit: 1h)",
    );
}

#[tokio::test]
async fn auth_errors_are_plain_text() {
    let mut app = app().await;
    app.auth = lakewatch_storage::AuthConfig::disabled().with_tenant("t1", "s3cret");
    let r = get(&app, "/loki/api/v1/labels", &[]).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
    assert!(r.headers.contains_key("www-authenticate"));
    // With credentials (Basic t1:s3cret) the request passes.
    let r = get_with(
        &app,
        "/loki/api/v1/labels",
        &[],
        &[("authorization", "Basic dDE6czNjcmV0")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}
