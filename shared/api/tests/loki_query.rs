//! `/loki/api/v1/query` and `/loki/api/v1/query_range` end to end (LogsWriter → LogsReader →
//! LogQL evaluator → Loki encodings), plus Grafana's health check and logs-volume query,
//! detected fields and patterns.

mod loki_common;

use loki_common::*;
use serde_json::json;

const CATEGORIZE: (&str, &str) = ("X-Loki-Response-Encoding-Flags", "categorize-labels");

#[tokio::test]
async fn grafana_health_check() {
    let app = app().await;
    // Exactly what Grafana's "Save & test" sends.
    let r = send(
        &app,
        http::Request::get(
            "/loki/api/v1/query?query=vector(1)%2Bvector(1)&direction=backward&time=4000000000",
        )
        .body(bytes::Bytes::new())
        .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["resultType"], "vector");
    assert_eq!(
        v["data"]["result"],
        json!([{"metric": {}, "value": [4000000000u64, "2"]}])
    );
    assert!(v["data"]["stats"]["summary"].is_object());
    // A scalar literal.
    let r = get(
        &app,
        "/loki/api/v1/query",
        &[("query", "1+1"), ("time", "1.5")],
    )
    .await;
    assert_eq!(r.json()["data"]["resultType"], "scalar");
    assert_eq!(r.json()["data"]["result"], json!([1.5, "2"]));
}

#[tokio::test]
async fn log_query_backward_forward_limit() {
    let app = app().await;
    let (s, e) = range_pairs();
    let pairs = [
        ("query", r#"{app="api"}"#),
        ("start", &s),
        ("end", &e),
        ("limit", "3"),
    ];
    let r = get(&app, "/loki/api/v1/query_range", &pairs).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    // POST (form body) gives the same result (stats hold timings, so compare results).
    let p = post_form(&app, "/loki/api/v1/query_range", &pairs).await;
    assert_eq!(p.json()["data"]["result"], v["data"]["result"]);
    assert_eq!(v["data"]["resultType"], "streams");
    assert!(v["data"].get("encodingFlags").is_none());
    // Without the flag, structured metadata is merged into the labels: one stream per
    // distinct set, newest first inside each.
    let res = v["data"]["result"].as_array().unwrap();
    let mut got: Vec<(String, String)> = Vec::new();
    for s in res {
        assert_eq!(s["stream"]["app"], "api");
        assert!(s["stream"]["trace_id"].is_string(), "{s}");
        for val in s["values"].as_array().unwrap() {
            assert_eq!(val.as_array().unwrap().len(), 2);
            got.push((
                val[0].as_str().unwrap().to_string(),
                val[1].as_str().unwrap().to_string(),
            ));
        }
    }
    got.sort();
    let want: Vec<(String, String)> = (3..6)
        .map(|i| ((T0 + i * 10 * SEC).to_string(), api_line(i)))
        .collect();
    assert_eq!(got, want);

    // categorize-labels: indexed labels only, 3-tuples, newest first.
    let r = get_with(
        &app,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"{app="api"}"#),
            ("start", &s),
            ("end", &e),
            ("limit", "2"),
        ],
        &[CATEGORIZE],
    )
    .await;
    let v = r.json();
    assert_eq!(v["data"]["encodingFlags"], json!(["categorize-labels"]));
    assert_eq!(
        v["data"]["result"],
        json!([{
            "stream": {"app": "api", "env": "prod", "service_name": "api"},
            "values": [
                [(T0 + 50 * SEC).to_string(), api_line(5), {"structuredMetadata": {"detected_level": "error", "trace_id": "abc5"}}],
                [(T0 + 40 * SEC).to_string(), api_line(4), {"structuredMetadata": {"detected_level": "info", "trace_id": "abc4"}}],
            ]
        }])
    );

    // Forward, with a parser: parsed labels under "parsed".
    let r = get_with(
        &app,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"{app="web"} | logfmt | status="200""#),
            ("start", &s),
            ("end", &e),
            ("limit", "2"),
            ("direction", "FORWARD"),
        ],
        &[CATEGORIZE],
    )
    .await;
    let v = r.json();
    let vals = v["data"]["result"][0]["values"].as_array().unwrap().clone();
    assert_eq!(vals.len(), 2);
    assert_eq!(vals[0][0], (T0 + 5 * SEC).to_string());
    assert_eq!(vals[1][0], (T0 + 20 * SEC).to_string());
    assert_eq!(vals[0][2]["parsed"]["level"], "warn");
    assert_eq!(vals[0][2]["parsed"]["duration"], "100ms");
}

#[tokio::test]
async fn line_filter_and_stats() {
    let app = app().await;
    let (s, e) = range_pairs();
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"{service_name=~".+"} |= "abc4""#),
            ("start", &s),
            ("end", &e),
        ],
    )
    .await;
    let v = r.json();
    let res = v["data"]["result"].as_array().unwrap();
    assert_eq!(res.len(), 1);
    assert_eq!(res[0]["values"][0][1], api_line(4));
    let summary = &v["data"]["stats"]["summary"];
    assert_eq!(summary["totalEntriesReturned"], 1);
    assert!(summary["execTime"].is_number());
}

#[tokio::test]
async fn metric_range_and_instant() {
    let app = app().await;
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[
            (
                "query",
                r#"sum by (level) (count_over_time({app="api"} | json [1m]))"#,
            ),
            ("start", &T0.to_string()),
            ("end", &(T0 + 60 * SEC).to_string()),
            ("step", "60000ms"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "matrix");
    // At T0+60s the [1m] window (T0, T0+60s] holds entries 1..5: 2 errors, 3 infos.
    assert_eq!(
        v["data"]["result"],
        json!([
            {"metric": {"level": "error"}, "values": [[1700000060u64, "2"]]},
            {"metric": {"level": "info"}, "values": [[1700000000u64, "1"], [1700000060u64, "3"]]},
        ])
    );

    let r = get(
        &app,
        "/loki/api/v1/query",
        &[
            ("query", r#"sum(count_over_time({service_name=~".+"}[1h]))"#),
            ("time", &(T0 + 3599 * SEC).to_string()),
        ],
    )
    .await;
    // The window (t - 1h, t] holds all 10 entries at t = T0 + 3599 s, 9 at T0 + 3600 s.
    assert_eq!(
        r.json()["data"]["result"],
        json!([{"metric": {}, "value": [1700003599u64, "10"]}])
    );
    let r = get(
        &app,
        "/loki/api/v1/query",
        &[
            ("query", r#"sum(count_over_time({service_name=~".+"}[1h]))"#),
            ("time", &(T0 + 3600 * SEC).to_string()),
        ],
    )
    .await;
    assert_eq!(r.json()["data"]["result"][0]["value"][1], "9");
}

#[tokio::test]
async fn grafana_logs_volume_query() {
    let app = app().await;
    let r = get_with(
        &app,
        "/loki/api/v1/query_range",
        &[
            (
                "query",
                r#"sum by (level, detected_level) (count_over_time({app="api"} | drop __error__[1m]))"#,
            ),
            ("start", &T0.to_string()),
            ("end", &(T0 + 60 * SEC).to_string()),
            ("step", "60000ms"),
            ("direction", "backward"),
        ],
        &[("X-Query-Tags", "Source=logvolhist"), CATEGORIZE],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "matrix");
    let levels: Vec<&str> = v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metric"]["detected_level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "info"]);
}

#[tokio::test]
async fn detected_fields_and_values() {
    let app = app().await;
    let (s, e) = range_pairs();
    let r = get_and_post(
        &app,
        "/loki/api/v1/detected_fields",
        &[("query", r#"{app="api"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["limit"], 1000);
    let fields = v["fields"].as_array().unwrap();
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["label"] == name)
            .unwrap_or_else(|| panic!("{name} in {fields:?}"))
            .clone()
    };
    assert_eq!(
        field("detected_level"),
        json!({"label": "detected_level", "type": "string", "cardinality": 2, "parsers": null})
    );
    assert_eq!(field("status")["type"], "int");
    assert_eq!(field("status")["parsers"], json!(["json"]));
    assert_eq!(field("status")["cardinality"], 2);
    assert_eq!(field("duration_ms")["cardinality"], 6);
    assert_eq!(field("route")["jsonPath"], json!(["route"]));

    let r = get(
        &app,
        "/loki/api/v1/detected_fields",
        &[("query", r#"{app="web"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    let v = r.json();
    let dur = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "duration")
        .unwrap()
        .clone();
    assert_eq!(dur["type"], "duration");
    assert_eq!(dur["parsers"], json!(["logfmt"]));

    let r = get_and_post(
        &app,
        "/loki/api/v1/detected_field/level/values",
        &[("query", r#"{app="api"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    assert_eq!(
        r.text(),
        "{\"values\":[\"error\",\"info\"],\"limit\":1000}\n"
    );
    let r = get(
        &app,
        "/loki/api/v1/detected_fields",
        &[("query", r#"sum(rate({app="api"}[1m]))"#)],
    )
    .await;
    assert_text_error(&r, 400, "only log selector is supported");
}

#[tokio::test]
async fn patterns() {
    let app = app().await;
    let r = get_and_post(
        &app,
        "/loki/api/v1/patterns",
        &[
            ("query", r#"{app="web"}"#),
            ("start", &T0.to_string()),
            ("end", &(T0 + 120 * SEC).to_string()),
            ("step", "30s"),
        ],
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"status": "success", "data": [{
            "pattern": "level=warn msg=\"slow request\" duration=<_> status=<_>",
            "level": "warn",
            // Buckets are timestamps truncated to multiples of `step`.
            "samples": [[1699999980u64, 1], [1700000010u64, 2], [1700000040u64, 1]]
        }]})
    );
    // The pattern works as a `|>` filter (what Logs Drilldown does with it).
    let pattern = r.json()["data"][0]["pattern"].as_str().unwrap().to_string();
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[
            ("query", &format!("{{app=\"web\"}} |> `{pattern}`")),
            ("start", &T0.to_string()),
            ("end", &(T0 + 120 * SEC).to_string()),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["data"]["result"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn legacy_query() {
    let app = app().await;
    let (s, e) = range_pairs();
    let r = get(
        &app,
        "/api/prom/query",
        &[
            ("query", r#"{app="web"}"#),
            ("regexp", "duration=103"),
            ("start", &s),
            ("end", &e),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["streams"][0]["labels"],
        r#"{app="web", env="dev", service_name="web"}"#
    );
    assert_eq!(
        v["streams"][0]["entries"],
        json!([{"ts": "2023-11-14T22:14:10Z", "line": "level=warn msg=\"slow request\" duration=103ms status=200"}])
    );
    let r = get(
        &app,
        "/api/prom/query",
        &[("query", r#"rate({app="web"}[1m])"#)],
    )
    .await;
    assert_eq!(r.status, 400);
    let r = get(&app, "/api/prom/label", &[("start", &s), ("end", &e)]).await;
    assert_eq!(r.json(), json!({"values": ["app", "env", "service_name"]}));
}

#[tokio::test]
async fn federated_tenants() {
    let app = app().await;
    let w = lakewatch_storage::LogsWriter::new(app.store.clone());
    for t in ["t1", "t2"] {
        w.write(&lakewatch_model::TenantId::new(t).unwrap(), &fixture())
            .await
            .unwrap();
    }
    let (s, e) = range_pairs();
    let hdr = [("X-Scope-OrgID", "t1|t2")];
    let r = get_with(
        &app,
        "/loki/api/v1/query_range",
        &[
            (
                "query",
                r#"sum by (__tenant_id__) (count_over_time({app="api"}[1m]))"#,
            ),
            ("start", &(T0 + 60 * SEC).to_string()),
            ("end", &(T0 + 60 * SEC).to_string()),
            ("step", "60"),
        ],
        &hdr,
    )
    .await;
    assert_eq!(
        r.json()["data"]["result"],
        json!([
            {"metric": {"__tenant_id__": "t1"}, "values": [[1700000060u64, "5"]]},
            {"metric": {"__tenant_id__": "t2"}, "values": [[1700000060u64, "5"]]},
        ])
    );
    // A matcher on __tenant_id__ selects tenants.
    let r = get_with(
        &app,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"{app="web", __tenant_id__="t2"}"#),
            ("start", &s),
            ("end", &e),
        ],
        &hdr,
    )
    .await;
    let res = r.json()["data"]["result"].clone();
    assert_eq!(res.as_array().unwrap().len(), 1, "{res}");
    assert_eq!(res[0]["stream"]["__tenant_id__"], "t2");
    assert_eq!(res[0]["values"].as_array().unwrap().len(), 4);
    let r = get_with(
        &app,
        "/loki/api/v1/label/__tenant_id__/values",
        &[("start", &s), ("end", &e)],
        &hdr,
    )
    .await;
    assert_eq!(r.json()["data"], json!(["t1", "t2"]));
}

#[tokio::test]
async fn fetch_limits_and_timeout() {
    let mut app = app().await;
    let (s, e) = range_pairs();
    app.loki.max_streams_fetched = 1;
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[("query", r#"{env=~".+"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    assert_text_error(
        &r,
        400,
        "the query hit the max number of streams limit (limit: 1 streams)",
    );
    app.loki.max_streams_fetched = 0;
    app.loki.max_query_series = 1;
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"count_over_time({env=~".+"}[1m])"#),
            ("start", &s),
            ("end", &e),
            ("step", "60"),
        ],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    app.loki.max_query_series = 500;
    app.loki.query_timeout = std::time::Duration::ZERO;
    let r = get(
        &app,
        "/loki/api/v1/query_range",
        &[("query", r#"{env=~".+"}"#), ("start", &s), ("end", &e)],
    )
    .await;
    assert_text_error(
        &r,
        504,
        "request timed out, decrease the duration of the request or add more label matchers (prefer exact match over regex match) to reduce the amount of data processed",
    );
}

#[tokio::test]
async fn push_then_query_through_app_handle() {
    let app = app().await;
    // Ingest rejects entries older than a week: push at now - 1 min.
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let ts = (now - 60 * SEC).to_string();
    let body = format!(
        r#"{{"streams":[{{"stream":{{"app":"pushed"}},"values":[["{ts}","hello pushed",{{"trace_id":"t-9"}}]]}}]}}"#
    );
    // `App::handle` sends the push path to lakewatch_ingest, not to the query router.
    let r = send(
        &app,
        http::Request::post("/loki/api/v1/push")
            .header("content-type", "application/json")
            .body(bytes::Bytes::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let (s, e) = ((now - 3600 * SEC).to_string(), (now + 60 * SEC).to_string());
    let r = get_with(
        &app,
        "/loki/api/v1/query_range",
        &[("query", r#"{app="pushed"}"#), ("start", &s), ("end", &e)],
        &[CATEGORIZE],
    )
    .await;
    let v = r.json();
    let res = v["data"]["result"].as_array().unwrap();
    assert_eq!(res.len(), 1, "{v}");
    assert_eq!(res[0]["stream"]["app"], "pushed");
    assert_eq!(res[0]["values"][0][0], ts);
    assert_eq!(res[0]["values"][0][1], "hello pushed");
    assert_eq!(
        res[0]["values"][0][2]["structuredMetadata"]["trace_id"],
        "t-9"
    );
}

#[tokio::test]
async fn split_queries_match_unsplit() {
    let whole = app().await;
    let mut split = app().await;
    split.loki.split_queries_by_interval = 20 * SEC;
    let (s, e) = range_pairs();
    for direction in ["backward", "forward"] {
        for limit in ["1", "4", "7", "100"] {
            for query in [
                r#"{env=~".+"}"#,
                r#"{env=~".+"} |= "status" | logfmt | level="warn""#,
            ] {
                let pairs = [
                    ("query", query),
                    ("start", s.as_str()),
                    ("end", e.as_str()),
                    ("limit", limit),
                    ("direction", direction),
                ];
                for hdr in [&[][..], &[CATEGORIZE][..]] {
                    let a = get_with(&whole, "/loki/api/v1/query_range", &pairs, hdr).await;
                    let b = get_with(&split, "/loki/api/v1/query_range", &pairs, hdr).await;
                    assert_eq!(a.status, 200, "{}", a.text());
                    assert_eq!(
                        a.json()["data"]["result"],
                        b.json()["data"]["result"],
                        "{query} {direction} limit {limit}"
                    );
                }
            }
        }
    }
    // Metric range queries: step groups of at most one interval, concatenated.
    for (query, step) in [
        (
            r#"sum by (level) (count_over_time({app="api"} | json [30s]))"#,
            "10",
        ),
        (r#"rate({env=~".+"}[20s])"#, "7"),
        (
            r#"topk(1, sum by (app) (bytes_over_time({env=~".+"}[1m])))"#,
            "15",
        ),
        (r#"count_over_time({app="web"}[10s]) / 2"#, "3"),
        (r#"vector(1) + sum(count_over_time({app="api"}[1m]))"#, "20"),
        (r#"sum(count_over_time({app="api"}[1m] offset 10s))"#, "60"),
    ] {
        let pairs = [
            ("query", query),
            ("start", s.as_str()),
            ("end", e.as_str()),
            ("step", step),
        ];
        let a = get(&whole, "/loki/api/v1/query_range", &pairs).await;
        let b = get(&split, "/loki/api/v1/query_range", &pairs).await;
        assert_eq!(a.status, 200, "{query}: {}", a.text());
        assert_eq!(a.json()["data"]["resultType"], "matrix");
        assert_eq!(
            a.json()["data"]["result"],
            b.json()["data"]["result"],
            "{query} step {step}"
        );
    }
    // The series limit applies to the merged result.
    let mut limited = app().await;
    limited.loki.split_queries_by_interval = 20 * SEC;
    limited.loki.max_query_series = 1;
    let r = get(
        &limited,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"count_over_time({env=~".+"}[5s])"#),
            ("start", &s),
            ("end", &e),
            ("step", "5"),
        ],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().starts_with("maximum number of series (1) reached"),
        "{}",
        r.text()
    );

    // The limit stops the walk: with limit 1 backward only the newest window is read.
    let r = get(
        &split,
        "/loki/api/v1/query_range",
        &[
            ("query", r#"{app="api"}"#),
            ("start", &s),
            ("end", &e),
            ("limit", "1"),
        ],
    )
    .await;
    let v = r.json();
    assert_eq!(v["data"]["result"][0]["values"][0][1], api_line(5));
    assert!(
        v["data"]["stats"]["summary"]["totalLinesProcessed"]
            .as_u64()
            .unwrap()
            < 6,
        "{}",
        v["data"]["stats"]["summary"]
    );
}
