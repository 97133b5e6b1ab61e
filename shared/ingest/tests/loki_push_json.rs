//! Loki push, JSON bodies: round trips, structured metadata, `service_name`, `detected_level`,
//! compression, the legacy v0 route, and every bad-input case with Loki's status and message
//! (the valid part of a partly bad request is stored).

mod loki_common;

use loki_common::*;
use serde_json::json;

const T: &str = "anonymous";

fn body(streams: serde_json::Value) -> String {
    json!({ "streams": streams }).to_string()
}

#[tokio::test]
async fn json_round_trip_with_metadata_service_name_and_level() {
    let e = env();
    let t0 = now_ns() - 5_000_000_000;
    let b = body(json!([
        {"stream": {"app": "api", "env": "prod"},
         "values": [
            [t0.to_string(), "level=info msg=\"hello\" route=/a", {"trace_id": "0242ac120002", "user.id": "u1", "empty": ""}],
            [(t0 + 1).to_string(), "{\"level\":\"ERROR\",\"msg\":\"boom\"}"]
         ]},
        {"stream": {"job": "batch"}, "values": [[(t0 + 2).to_string(), "plain line with WARNING inside"]]}
    ]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.body.is_empty());
    let streams = e.streams(T).await;
    assert_eq!(streams.len(), 2);
    let api = streams
        .iter()
        .find(|s| s.labels.get("app") == Some("api"))
        .unwrap();
    assert_eq!(api.labels.get("service_name"), Some("api"));
    assert_eq!(api.labels.get("env"), Some("prod"));
    assert_eq!(api.labels.len(), 3);
    assert_eq!(api.entries.len(), 2);
    let first = &api.entries[0];
    assert_eq!(first.timestamp_ns, t0);
    assert_eq!(first.line, "level=info msg=\"hello\" route=/a");
    let sm = &first.structured_metadata;
    assert_eq!(sm.get("trace_id"), Some("0242ac120002"));
    assert_eq!(sm.get("user_id"), Some("u1"), "names sanitised as Loki");
    assert_eq!(sm.get("empty"), None, "empty values dropped");
    assert_eq!(sm.get("detected_level"), Some("info"));
    assert_eq!(
        api.entries[1].structured_metadata.get("detected_level"),
        Some("error")
    );
    let batch = streams
        .iter()
        .find(|s| s.labels.get("job") == Some("batch"))
        .unwrap();
    assert_eq!(batch.labels.get("service_name"), Some("batch"));
    assert_eq!(
        batch.entries[0].structured_metadata.get("detected_level"),
        Some("warn")
    );
}

#[tokio::test]
async fn service_name_kept_or_unknown() {
    let e = env();
    let t = now_ns().to_string();
    let b = body(json!([
        {"stream": {"service_name": "given", "app": "x"}, "values": [[t, "a"]]},
        {"stream": {"foo": "bar"}, "values": [[t, "b"]]}
    ]));
    assert_eq!(e.push_json(&b).await.status, 204);
    let mut names: Vec<String> = e
        .streams(T)
        .await
        .iter()
        .map(|s| s.labels.get("service_name").unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["given", "unknown_service"]);
}

#[tokio::test]
async fn gzip_and_deflate_json() {
    let e = env();
    let t = now_ns();
    let b = body(json!([{"stream": {"app": "z"}, "values": [[t.to_string(), "gz"]]}]));
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            gzip(b.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let b = body(json!([{"stream": {"app": "z"}, "values": [[(t + 1).to_string(), "df"]]}]));
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Encoding", "deflate"),
            ],
            deflate(b.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(e.lines(T).await, vec!["df", "gz"]);
}

#[tokio::test]
async fn legacy_v0_route() {
    let e = env();
    let ts = chrono::DateTime::from_timestamp_nanos(now_ns())
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let b = json!({"streams": [{"labels": "{app=\"old\"}", "entries": [{"ts": ts, "line": "v0 line"}]}]});
    let r = e
        .send(
            "POST",
            "/api/prom/push",
            &[("Content-Type", "application/json")],
            b.to_string().into_bytes(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let s = e.streams(T).await;
    assert_eq!(s[0].labels.get("app"), Some("old"));
    assert_eq!(s[0].entries[0].line, "v0 line");
}

#[tokio::test]
async fn invalid_json_is_400_and_nothing_written() {
    let e = env();
    let r = e.push_json("{\"streams\": [").await;
    assert_eq!(r.status, 400);
    assert!(r.body.starts_with("loghttp.PushRequest: "), "{}", r.body);
    let r = e.push_json("not json").await;
    assert_eq!(r.status, 400);
    assert!(e.lines(T).await.is_empty());
}

#[tokio::test]
async fn numeric_and_non_numeric_timestamps_are_400() {
    let e = env();
    let t = now_ns();
    // A number (not a string) fails the whole request, as Loki's decoder.
    let b = format!(
        "{{\"streams\":[{{\"stream\":{{\"app\":\"a\"}},\"values\":[[\"{t}\",\"ok\"],[{t},\"number\"]]}}]}}"
    );
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("error reading entry timestamp"),
        "{}",
        r.body
    );
    let b = body(json!([{"stream": {"app": "a"}, "values": [["12abc", "x"]]}]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains(
            "error reading entry timestamp: strconv.ParseInt: parsing \"12abc\": invalid syntax"
        ),
        "{}",
        r.body
    );
    let b = body(json!([{"stream": {"app": "a"}, "values": [["99999999999999999999", "x"]]}]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("value out of range"), "{}", r.body);
    let b = body(json!([{"stream": {"app": "a"}, "values": [[t.to_string(), "x", {}, "extra"]]}]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("array must have at least 2 and up to 3 values"),
        "{}",
        r.body
    );
    assert!(e.lines(T).await.is_empty());
}

#[tokio::test]
async fn timestamps_out_of_range_rejected_valid_kept() {
    let e = env();
    let now = now_ns();
    let old = now - 8 * 24 * 3600 * 1_000_000_000;
    let future = now + 3600 * 1_000_000_000;
    let b = body(json!([{"stream": {"app": "a"}, "values": [
        [now.to_string(), "good"],
        [old.to_string(), "too old"],
        [future.to_string(), "too new"]
    ]}]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains(
        "1 errors like: entry for stream '{app=\"a\", service_name=\"a\"}' has timestamp too old: "
    ), "{}", r.body);
    assert!(
        r.body.contains(", oldest acceptable timestamp is: "),
        "{}",
        r.body
    );
    assert!(r.body.contains(
        "1 errors like: entry for stream '{app=\"a\", service_name=\"a\"}' has timestamp too new: "
    ), "{}", r.body);
    assert_eq!(e.lines(T).await, vec!["good"]);
}

#[tokio::test]
async fn empty_streams_and_no_streams() {
    let e = env();
    // Streams without entries are skipped: 204, nothing stored.
    let r = e
        .push_json(&body(json!([{"stream": {"app": "a"}, "values": []}])))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    // No streams at all: Loki's 422.
    for b in ["{\"streams\":[]}", "{}"] {
        let r = e.push_json(b).await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.body,
            "error at least one valid stream is required for ingestion\n"
        );
    }
    assert!(e.lines(T).await.is_empty());
}

#[tokio::test]
async fn invalid_label_names_rejected_valid_kept() {
    let e = env();
    let t = now_ns().to_string();
    let b = body(json!([
        {"stream": {"foo-bar": "x"}, "values": [[t, "bad stream"]]},
        {"stream": {"app": "ok"}, "values": [[t, "good stream"]]}
    ]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        "error parsing labels '{foo-bar=\"x\"}' with error: 1:5: parse error: unexpected character inside braces: '-'\n"
    );
    assert_eq!(e.lines(T).await, vec!["good stream"]);
}

#[tokio::test]
async fn oversized_lines_rejected_valid_kept() {
    let mut limits = lakewatch_ingest::IngestLimits::default();
    limits.logs.max_line_size = 10;
    let e = env_with(limits);
    let t = now_ns();
    let b = body(json!([{"stream": {"app": "a"}, "values": [
        [t.to_string(), "short"],
        [(t + 1).to_string(), "this line is too long"],
        [(t + 2).to_string(), "also far too long"]
    ]}]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        "1 errors like: max entry size '10' bytes exceeded for stream '{app=\"a\", service_name=\"a\"}' while adding an entry with length '21' bytes; \
         1 errors like: max entry size '10' bytes exceeded for stream '{app=\"a\", service_name=\"a\"}' while adding an entry with length '17' bytes\n"
    );
    assert_eq!(e.lines(T).await, vec!["short"]);
}

#[tokio::test]
async fn default_line_limit_is_256kib() {
    let e = env();
    let t = now_ns();
    let ok = "x".repeat(256 * 1024);
    let long = "y".repeat(256 * 1024 + 1);
    let b = body(
        json!([{"stream": {"app": "a"}, "values": [[t.to_string(), ok], [(t + 1).to_string(), long]]}]),
    );
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.starts_with("max entry size '262144' bytes exceeded"),
        "{}",
        r.body
    );
    assert!(r.body.contains("with length '262145' bytes"));
    assert_eq!(e.lines(T).await.len(), 1);
}

#[tokio::test]
async fn too_many_labels() {
    let e = env();
    let t = now_ns().to_string();
    let mut many = serde_json::Map::new();
    for i in 0..16 {
        many.insert(format!("l{i:02}"), json!("v"));
    }
    let mut fifteen = many.clone();
    fifteen.remove("l15");
    // 15 labels + the added service_name is fine (service_name is not counted).
    let b = body(json!([
        {"stream": many, "values": [[t, "sixteen"]]},
        {"stream": fifteen, "values": [[t, "fifteen"]]}
    ]));
    let r = e.push_json(&b).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .starts_with("entry for stream '{l00=\"v\", l01=\"v\""),
        "{}",
        r.body
    );
    assert!(
        r.body
            .ends_with("service_name=\"unknown_service\"}' has 16 label names; limit 15\n"),
        "{}",
        r.body
    );
    assert_eq!(e.lines(T).await, vec!["fifteen"]);
}

#[tokio::test]
async fn body_limits_and_protocol_errors() {
    let e = env_with(lakewatch_ingest::IngestLimits {
        max_body_bytes: 1000,
        ..Default::default()
    });
    let t = now_ns().to_string();
    let big = body(json!([{"stream": {"app": "a"}, "values": [[t, "z".repeat(2000)]]}]));
    let r = e.push_json(&big).await;
    assert_eq!(r.status, 413);
    assert!(
        r.body
            .starts_with("request body too large: message size too large than max ("),
        "{}",
        r.body
    );
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            gzip(big.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(
        r.body.starts_with(
            "request body too large: decompressed message size too large than max (1001 vs 1000)"
        ),
        "{}",
        r.body
    );
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "br"),
            ],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, "Content-Encoding \"br\" not supported\n");
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            b"not gzip at all".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, "gzip: invalid header\n");
    let r = e.send("GET", "/loki/api/v1/push", &[], Vec::new()).await;
    assert_eq!(r.status, 405);
    assert!(e.lines(T).await.is_empty());
}

#[tokio::test]
async fn tenants_from_header() {
    let e = env();
    let t = now_ns().to_string();
    let b = body(json!([{"stream": {"app": "a"}, "values": [[t, "for team-a"]]}]));
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[
                ("Content-Type", "application/json"),
                ("X-Scope-OrgID", "team-a"),
            ],
            b.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(e.lines("team-a").await, vec!["for team-a"]);
    assert!(e.lines(T).await.is_empty());
}
