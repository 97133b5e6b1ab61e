//! The Prometheus HTTP API over a `memory://` store: routing, parameters, envelopes, errors,
//! and every endpoint that does not need the PromQL engine.

mod common;

use bytes::Bytes;
use common::*;
use http::Request;
use lakewatch_api::QueryConfig;
use lakewatch_model::{Labels, MetricsBatch, TenantId};
use lakewatch_storage::{AuthConfig, MetricsWriter};

#[tokio::test]
async fn labels_get_post_and_match() {
    let app = app().await;
    let r = get_and_post(&app, "/api/v1/labels", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    let v = r.json();
    assert_eq!(v["status"], "success");
    let names: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "__name__",
            "case",
            "code",
            "http.route",
            "instance",
            "job",
            "le"
        ]
    );

    let r = get_and_post(
        &app,
        "/api/v1/labels",
        &[("match[]", "up"), ("start", "0"), ("end", "600")],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":["__name__","instance","job"]}"#
    );

    // Two match[] are a union.
    let r = get_and_post(
        &app,
        "/api/v1/labels",
        &[("match[]", "up"), ("match[]", "edge")],
    )
    .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 4);

    // limit truncates with a warning.
    let r = get_and_post(&app, "/api/v1/labels", &[("limit", "2")]).await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":["__name__","case"],"warnings":["results truncated due to limit"]}"#
    );
}

#[tokio::test]
async fn match_params_are_validated() {
    let app = app().await;
    for sel in [r#"{job=""}"#, r#"{job=~".*"}"#] {
        let r = get_and_post(&app, "/api/v1/labels", &[("match[]", sel)]).await;
        assert_error(
            &r,
            400,
            "bad_data",
            "match[] must contain at least one non-empty matcher",
        );
    }
    let r = get_and_post(&app, "/api/v1/series", &[("match[]", "rate(up[5m])")]).await;
    assert_error(&r, 400, "bad_data", "");
    let r = get_and_post(&app, "/api/v1/series", &[("match[]", "up{")]).await;
    assert_error(&r, 400, "bad_data", "parse error");
    let r = get_and_post(&app, "/api/v1/series", &[]).await;
    assert_error(&r, 400, "bad_data", "no match[] parameter provided");
}

#[tokio::test]
async fn label_values_and_escaping() {
    let app = app().await;
    // Grafana's metric-name lookup.
    let r = get(
        &app,
        "/api/v1/label/__name__/values?start=0&end=2000000000&limit=40000",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["data"],
        serde_json::json!([
            "edge",
            "http_request_duration_seconds_bucket",
            "http_requests_total",
            "native_hist",
            "up"
        ])
    );
    let r = get(&app, "/api/v1/label/job/values?match[]=up").await;
    assert_eq!(r.text(), r#"{"status":"success","data":["api"]}"#);
    // U__ escaping of a UTF-8 label name (http.route), with a match[] selector.
    let r = get(
        &app,
        &format!(
            "/api/v1/label/U__http_2e_route/values?match[]={}",
            enc(r#"{code="500"}"#)
        ),
    )
    .await;
    assert_eq!(r.text(), r#"{"status":"success","data":["/v1/models"]}"#);
    let r = get(&app, "/api/v1/label/case/values?limit=1").await;
    assert_eq!(r.json()["data"], serde_json::json!(["big"]));
    assert_eq!(r.json()["warnings"][0], "results truncated due to limit");
    let r = get(&app, "/api/v1/label/%FF/values").await;
    assert_error(&r, 400, "bad_data", "invalid label name");
    // GET only.
    let r = post_form(&app, "/api/v1/label/job/values", "").await;
    assert_eq!(r.status, 405);
    assert!(r.headers["allow"].to_str().unwrap().contains("GET"));
    let r = get(&app, "/api/v1/label/job/values?start=nope").await;
    assert_error(
        &r,
        400,
        "bad_data",
        r#"invalid parameter "start": invalid time value for 'start': cannot parse "nope" to a valid timestamp"#,
    );
}

#[tokio::test]
async fn series_endpoint() {
    let app = app().await;
    // Grafana's fallback when the labels match API is off.
    let r = get_and_post(
        &app,
        "/api/v1/series",
        &[
            ("match[]", r#"{__name__!=""}"#),
            ("start", "0"),
            ("end", "2000000000"),
            ("limit", "40000"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 11);
    let r = get_and_post(
        &app,
        "/api/v1/series",
        &[("match[]", r#"up{instance="b"}"#)],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":[{"__name__":"up","instance":"b","job":"api"}]}"#
    );
    let r = get_and_post(&app, "/api/v1/series", &[("match[]", "up"), ("limit", "1")]).await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.json()["warnings"][0], "results truncated due to limit");
    let r = get_and_post(
        &app,
        "/api/v1/series",
        &[("match[]", "up"), ("limit", "-1")],
    )
    .await;
    assert_error(
        &r,
        400,
        "bad_data",
        r#"invalid parameter "limit": limit must be non-negative"#,
    );
    // Time range outside the data: nothing.
    let r = get_and_post(
        &app,
        "/api/v1/series",
        &[("match[]", "up"), ("start", "5000"), ("end", "6000")],
    )
    .await;
    assert_eq!(r.text(), r#"{"status":"success","data":[]}"#);
}

#[tokio::test]
async fn metadata_buildinfo_rules_alerts() {
    let app = app().await;
    let r = get(&app, "/api/v1/metadata").await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":{"http_requests_total":[{"type":"counter","help":"Requests served.","unit":""}],"up":[{"type":"gauge","help":"Target up.","unit":""}]}}"#
    );
    let r = get(&app, "/api/v1/metadata?metric=up").await;
    assert_eq!(r.json()["data"].as_object().unwrap().len(), 1);
    let r = get(&app, "/api/v1/metadata?limit=1").await;
    assert_eq!(r.json()["data"].as_object().unwrap().len(), 1);
    let r = get(&app, "/api/v1/metadata?limit=x").await;
    assert_error(&r, 400, "bad_data", "limit must be a number");
    assert_eq!(post_form(&app, "/api/v1/metadata", "").await.status, 405);

    let r = get(&app, "/api/v1/status/buildinfo").await;
    let v = r.json();
    assert_eq!(r.status, 200);
    assert!(v["data"]["version"].as_str().unwrap().starts_with("3."));
    assert!(v["data"].get("features").is_none());
    for k in ["revision", "branch", "buildUser", "buildDate", "goVersion"] {
        assert!(v["data"][k].is_string(), "{k}");
    }
    assert_eq!(
        get(&app, "/api/v1/rules").await.text(),
        r#"{"status":"success","data":{"groups":[]}}"#
    );
    assert_eq!(
        get(&app, "/api/v1/alerts").await.text(),
        r#"{"status":"success","data":{"alerts":[]}}"#
    );
    assert_eq!(post_form(&app, "/api/v1/rules", "").await.status, 405);
}

#[tokio::test]
async fn exemplars_endpoint() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/api/v1/query_exemplars",
        &[
            ("query", "http_request_duration_seconds_bucket"),
            ("start", "1600096945"),
            ("end", "1600096946"),
        ],
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":[{"seriesLabels":{"__name__":"http_request_duration_seconds_bucket","job":"api","le":"0.5"},"exemplars":[{"labels":{"trace_id":"abc123"},"value":"0.3","timestamp":1600096945.479}]}]}"#
    );
    // Grafana's probe sends milliseconds where seconds are expected: must succeed.
    let r = get(
        &app,
        "/api/v1/query_exemplars?query=test&start=1700000000000&end=1700003600000",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), r#"{"status":"success","data":[]}"#);
    // Defaults: all time; inside an expression.
    let r = get(
        &app,
        &format!(
            "/api/v1/query_exemplars?query={}",
            enc("sum(rate(http_request_duration_seconds_bucket[5m]))")
        ),
    )
    .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 1);
    // No selector: 204 without a body.
    let r = get(&app, "/api/v1/query_exemplars?query=1%2B1").await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    let r = get(&app, "/api/v1/query_exemplars?query=up&start=10&end=5").await;
    assert_error(
        &r,
        400,
        "bad_data",
        "end timestamp must not be before start timestamp",
    );
    let r = get(&app, "/api/v1/query_exemplars?query=up{").await;
    assert_error(&r, 400, "bad_data", "");
}

#[tokio::test]
async fn format_query() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/api/v1/format_query",
        &[("query", "sum(rate(foo{bar=\"baz\"}[5m])) by (x)")],
    )
    .await;
    assert_eq!(r.status, 200);
    let s = r.json()["data"].as_str().unwrap().to_string();
    assert!(s.contains("rate(foo{bar=\"baz\"}[5m])"), "{s}");
    let r = get_and_post(&app, "/api/v1/format_query", &[("query", "sum(")]).await;
    assert_error(&r, 400, "bad_data", r#"invalid parameter "query""#);
}

#[tokio::test]
async fn query_parameter_errors() {
    let app = app().await;
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("/api/v1/query", &[("query", "up"), ("time", "abc")], r#"invalid parameter "time": invalid time value for 'time': cannot parse "abc" to a valid timestamp"#),
        ("/api/v1/query", &[("query", "up{"), ("time", "10")], r#"invalid parameter "query": "#),
        ("/api/v1/query", &[("time", "10")], r#"invalid parameter "query": 1:1: parse error: no expression found in input"#),
        ("/api/v1/query", &[("query", "up"), ("time", "1"), ("limit", "x")], r#"invalid parameter "limit""#),
        ("/api/v1/query", &[("query", "up"), ("time", "1"), ("timeout", "x")], r#"invalid parameter "timeout": cannot parse "x" to a valid duration"#),
        ("/api/v1/query", &[("query", "up"), ("time", "1"), ("lookback_delta", "1q")], r#"invalid parameter "lookback_delta""#),
        ("/api/v1/query_range", &[("query", "up"), ("start", "x"), ("end", "10"), ("step", "1")], r#"invalid parameter "start""#),
        ("/api/v1/query_range", &[("query", "up"), ("start", "0"), ("end", "x"), ("step", "1")], r#"invalid parameter "end""#),
        ("/api/v1/query_range", &[("query", "up"), ("start", "10"), ("end", "5"), ("step", "1")], r#"invalid parameter "end": end timestamp must not be before start time"#),
        ("/api/v1/query_range", &[("query", "up"), ("start", "0"), ("end", "10"), ("step", "abc")], r#"invalid parameter "step": cannot parse "abc" to a valid duration"#),
        ("/api/v1/query_range", &[("query", "up"), ("start", "0"), ("end", "10"), ("step", "0")], r#"invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer"#),
        ("/api/v1/query_range", &[("query", "up"), ("start", "0"), ("end", "10"), ("step", "-5")], "zero or negative"),
        ("/api/v1/query_range", &[("query", "up"), ("start", "0"), ("end", "11001"), ("step", "1")], "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"),
        ("/api/v1/query_range", &[("query", "up{"), ("start", "0"), ("end", "10"), ("step", "1")], r#"invalid parameter "query""#),
    ];
    for (path, pairs, msg) in cases {
        let r = get_and_post(&app, path, pairs).await;
        assert_error(&r, 400, "bad_data", msg);
        assert_eq!(r.json().as_object().unwrap().len(), 3, "{}", r.text());
    }
}

#[tokio::test]
async fn routing_methods_and_prefix() {
    let app = app().await;
    let r = get(&app, "/api/v1/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(get(&app, "/nothing").await.status, 404);
    for m in ["DELETE", "PUT", "PATCH"] {
        let r = send(
            &app,
            Request::builder()
                .method(m)
                .uri("/api/v1/query?query=1")
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 405, "{m}");
    }
    // Mimir-style prefix and trailing slash.
    let r = get(&app, "/prometheus/api/v1/label/job/values").await;
    assert_eq!(r.text(), r#"{"status":"success","data":["api"]}"#);
    assert_eq!(get(&app, "/prometheus/api/v1/labels/").await.status, 200);
    // Preflight and CORS.
    let r = send(
        &app,
        Request::builder()
            .method("OPTIONS")
            .uri("/api/v1/query_range")
            .header("origin", "http://grafana:3000")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert!(r.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    let r = send(
        &app,
        Request::get("/api/v1/labels")
            .header("origin", "http://x")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert!(get(&app, "/api/v1/labels")
        .await
        .headers
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn gzip_when_accepted() {
    let app = app().await;
    // Make a body above the gzip threshold.
    let batch = MetricsBatch {
        series: (0..200)
            .map(|i| {
                series(
                    &[("__name__", "many"), ("i", &format!("value-{i:04}"))],
                    &[(1000, 1.0)],
                )
            })
            .collect(),
        metadata: vec![],
    };
    MetricsWriter::new(app.store.clone())
        .write(&TenantId::anonymous(), &batch)
        .await
        .unwrap();
    let plain = get(&app, "/api/v1/label/i/values").await;
    let r = send(
        &app,
        Request::get("/api/v1/label/i/values")
            .header("accept-encoding", "gzip, deflate")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-encoding"], "gzip");
    assert!(r.body.len() < plain.body.len());
    let mut d = flate2::read::GzDecoder::new(&r.body[..]);
    let mut out = String::new();
    std::io::Read::read_to_string(&mut d, &mut out).unwrap();
    assert_eq!(out, plain.text());
    assert!(plain.headers.get("content-encoding").is_none());
}

#[tokio::test]
async fn tenants_and_auth() {
    let app = app_with(
        QueryConfig::default(),
        AuthConfig::parse("team-a:s3cret").unwrap(),
    )
    .await;
    MetricsWriter::new(app.store.clone())
        .write(
            &TenantId::new("team-a").unwrap(),
            &MetricsBatch {
                series: vec![series(&[("__name__", "only_a")], &[(1000, 5.0)])],
                metadata: vec![],
            },
        )
        .await
        .unwrap();
    let r = get(&app, "/api/v1/labels").await;
    assert_eq!(r.status, 401);
    assert!(r.headers.contains_key("www-authenticate"));
    assert_eq!(r.json()["status"], "error");
    let basic = |u: &str, p: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        )
    };
    let req = |auth: String| {
        Request::get("/api/v1/label/__name__/values")
            .header("authorization", auth)
            .body(Bytes::new())
            .unwrap()
    };
    assert_eq!(send(&app, req(basic("team-a", "wrong"))).await.status, 401);
    let r = send(&app, req(basic("team-a", "s3cret"))).await;
    assert_eq!(r.text(), r#"{"status":"success","data":["only_a"]}"#);
    // X-Scope-OrgID with a bearer token.
    let r = send(
        &app,
        Request::get("/api/v1/label/__name__/values")
            .header("x-scope-orgid", "team-a")
            .header("authorization", "Bearer s3cret")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    // Without auth, tenants are still isolated.
    let open = app_with(QueryConfig::default(), AuthConfig::disabled()).await;
    MetricsWriter::new(open.store.clone())
        .write(
            &TenantId::new("t2").unwrap(),
            &MetricsBatch {
                series: vec![series(&[("__name__", "t2_only")], &[(1000, 1.0)])],
                metadata: vec![],
            },
        )
        .await
        .unwrap();
    let r = send(
        &open,
        Request::get("/api/v1/label/__name__/values")
            .header("x-scope-orgid", "t2")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.text(), r#"{"status":"success","data":["t2_only"]}"#);
    let r = send(
        &open,
        Request::get("/api/v1/labels")
            .header("x-scope-orgid", "bad/tenant")
            .body(Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn ingest_routes_through_handle() {
    let app = app().await;
    let batch = MetricsBatch {
        series: vec![series(
            &[("__name__", "pushed_metric"), ("job", "rw")],
            &[(2_000_000, 42.0)],
        )],
        metadata: vec![],
    };
    let body = lakewatch_ingest::encode_v1(&batch);
    let r = send(
        &app,
        Request::post("/api/v1/write")
            .header("content-type", "application/x-protobuf")
            .header("content-encoding", "snappy")
            .header("x-prometheus-remote-write-version", "0.1.0")
            .body(Bytes::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    // Mimir-style prefix for pushes too.
    let r = send(
        &app,
        Request::post("/prometheus/api/v1/push")
            .header("content-type", "application/x-protobuf")
            .header("content-encoding", "snappy")
            .body(Bytes::from(lakewatch_ingest::encode_v1(&batch)))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = get(&app, "/api/v1/series?match[]=pushed_metric").await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":[{"__name__":"pushed_metric","job":"rw"}]}"#
    );
    // The query-only handler does not accept writes.
    let resp = app
        .handle_query_metrics(Request::post("/api/v1/write").body(Bytes::new()).unwrap())
        .await;
    assert_eq!(resp.status(), 404);
    let _ = Labels::default();
}

async fn federated_app() -> lakewatch_api::App {
    let app = app().await;
    let w = MetricsWriter::new(app.store.clone());
    for (t, v) in [("t1", 1.0), ("t2", 2.0)] {
        let batch = MetricsBatch {
            series: vec![
                series(
                    &[("__name__", "shared_metric"), ("job", "x")],
                    &[(1_000, v)],
                ),
                series(&[("__name__", &format!("only_{t}"))], &[(1_000, v)]),
            ],
            metadata: vec![],
        };
        w.write(&TenantId::new(t).unwrap(), &batch).await.unwrap();
    }
    app
}

async fn get_as(app: &lakewatch_api::App, org: &str, uri: &str) -> Resp {
    send(
        app,
        Request::get(uri)
            .header("x-scope-orgid", org)
            .body(Bytes::new())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn federated_tenants() {
    let app = federated_app().await;
    let r = get_as(&app, "t1|t2", "/api/v1/label/__name__/values").await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":["only_t1","only_t2","shared_metric"]}"#
    );
    let r = get_as(&app, "t1|t2", "/api/v1/labels").await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":["__name__","__tenant_id__","job"]}"#
    );
    let r = get_as(
        &app,
        "t1|t2",
        "/api/v1/label/__tenant_id__/values?match[]=only_t2",
    )
    .await;
    assert_eq!(r.text(), r#"{"status":"success","data":["t2"]}"#);
    let r = get_as(&app, "t1|t2", "/api/v1/series?match[]=shared_metric").await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":[{"__name__":"shared_metric","__tenant_id__":"t1","job":"x"},{"__name__":"shared_metric","__tenant_id__":"t2","job":"x"}]}"#
    );
    let sel = enc(r#"{__tenant_id__="t2",__name__=~"shared.*"}"#);
    let r = get_as(&app, "t1|t2", &format!("/api/v1/series?match[]={sel}")).await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":[{"__name__":"shared_metric","__tenant_id__":"t2","job":"x"}]}"#
    );
    // A single tenant sees no __tenant_id__ label.
    let r = get_as(&app, "t2", "/api/v1/series?match[]=shared_metric").await;
    assert_eq!(
        r.text(),
        r#"{"status":"success","data":[{"__name__":"shared_metric","job":"x"}]}"#
    );
}
