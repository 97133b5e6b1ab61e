//! Loki push, snappy protobuf bodies (`logproto.PushRequest`): round trips through the
//! encoders, gzip on top, corrupt input, per-stream label errors, and the pure
//! `decode_push` (no storage).

mod loki_common;

use http::HeaderMap;
use lakewatch_ingest::loki::proto::{EntryAdapter, PushRequest, StreamAdapter, Timestamp};
use lakewatch_ingest::{
    decode_push, encode_push_json, encode_push_protobuf, IngestLimits, PushVersion,
};
use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch};
use loki_common::*;
use prost::Message;

const T: &str = "anonymous";
const PB: (&str, &str) = ("Content-Type", "application/x-protobuf");

fn batch(t0: i64) -> LogsBatch {
    LogsBatch {
        streams: vec![
            LogStream {
                labels: Labels::from_pairs([("app", "shop"), ("service_name", "shop")]),
                entries: vec![
                    LogEntry {
                        timestamp_ns: t0,
                        line: "level=debug msg=one".into(),
                        structured_metadata: Labels::from_pairs([
                            ("detected_level", "debug"),
                            ("trace_id", "abc"),
                        ]),
                    },
                    LogEntry {
                        timestamp_ns: t0 + 1_500_000_001,
                        line: "{\"lvl\":\"warn\",\"msg\":\"two\"}".into(),
                        structured_metadata: Labels::from_pairs([("detected_level", "warn")]),
                    },
                ],
            },
            LogStream {
                labels: Labels::from_pairs([("job", "cron"), ("service_name", "cron")]),
                entries: vec![LogEntry {
                    timestamp_ns: t0 + 7,
                    line: "ünïcode \"quoted\" line".into(),
                    structured_metadata: Labels::from_pairs([("detected_level", "unknown")]),
                }],
            },
        ],
    }
}

fn pure(headers: &[(&str, &str)], body: &[u8]) -> (LogsBatch, Vec<lakewatch_ingest::Rejection>) {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    decode_push(
        &h,
        body,
        PushVersion::V1,
        &IngestLimits::default(),
        now_ns(),
    )
    .unwrap()
}

#[test]
fn pure_decode_round_trips_both_encodings() {
    let b = batch(now_ns() - 60_000_000_000);
    let (got, rej) = pure(&[PB], &encode_push_protobuf(&b));
    assert!(rej.is_empty());
    assert_eq!(got, b);
    let (got, rej) = pure(
        &[("Content-Type", "application/json")],
        &encode_push_json(&b),
    );
    assert!(rej.is_empty());
    assert_eq!(got, b);
}

#[tokio::test]
async fn protobuf_round_trip_through_storage() {
    let e = env();
    let b = batch(now_ns() - 60_000_000_000);
    let r = e
        .send("POST", "/loki/api/v1/push", &[PB], encode_push_protobuf(&b))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let mut got = e.streams(T).await;
    got.sort_by(|a, b| a.labels.cmp(&b.labels));
    let mut want = b.streams.clone();
    want.sort_by(|a, b| a.labels.cmp(&b.labels));
    assert_eq!(got, want);
}

#[tokio::test]
async fn gzip_over_snappy_and_missing_content_type() {
    let e = env();
    let b = batch(now_ns() - 60_000_000_000);
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[PB, ("Content-Encoding", "gzip")],
            gzip(&encode_push_protobuf(&b)),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    // Snappy Content-Encoding is accepted and means nothing more; no Content-Type = protobuf.
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[("Content-Encoding", "snappy")],
            encode_push_protobuf(&b),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(e.lines(T).await.len(), 3, "duplicates stored once");
}

#[tokio::test]
async fn truncated_snappy_and_bad_protobuf_are_400() {
    let e = env();
    let full = encode_push_protobuf(&batch(now_ns()));
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[PB],
            full[..full.len() / 2].to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, "snappy: corrupt input\n");
    // JSON sent as protobuf: not snappy either.
    let r = e
        .send(
            "POST",
            "/loki/api/v1/push",
            &[PB],
            b"{\"streams\":[]}".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    // Valid snappy around bytes that are not a PushRequest.
    let junk = lakewatch_ingest::remote_write::snappy_compress(&[0x0a, 0xff, 0xff, 0xff, 0x0f]);
    let r = e.send("POST", "/loki/api/v1/push", &[PB], junk).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.starts_with("proto: logproto.PushRequest: "),
        "{}",
        r.body
    );
    assert!(e.lines(T).await.is_empty());
}

#[tokio::test]
async fn snappy_decoded_size_over_limit_is_413() {
    let limits = IngestLimits {
        max_body_bytes: 4096,
        ..Default::default()
    };
    let e = env_with(limits);
    let mut b = batch(now_ns());
    b.streams[0].entries[0].line = "a".repeat(10_000);
    let body = encode_push_protobuf(&b);
    assert!(body.len() < 4096, "compresses well");
    let r = e.send("POST", "/loki/api/v1/push", &[PB], body).await;
    assert_eq!(r.status, 413);
    assert!(
        r.body
            .starts_with("request body too large: decompressed message size too large than max ("),
        "{}",
        r.body
    );
}

fn raw_request(streams: Vec<(&str, &str)>) -> Vec<u8> {
    let now = now_ns();
    let req = PushRequest {
        streams: streams
            .into_iter()
            .map(|(labels, line)| StreamAdapter {
                labels: labels.into(),
                entries: vec![EntryAdapter {
                    timestamp: Some(Timestamp::from_ns(now)),
                    line: line.into(),
                    structured_metadata: vec![],
                    parsed: vec![],
                }],
                hash: 0,
            })
            .collect(),
        format: String::new(),
    };
    lakewatch_ingest::remote_write::snappy_compress(&req.encode_to_vec())
}

#[tokio::test]
async fn unparsable_and_duplicate_labels_rejected_per_stream() {
    let e = env();
    let body = raw_request(vec![
        ("{ab\"", "mangled"),
        ("{a=\"1\", a=\"2\"}", "duplicate"),
        ("{app=\"fine\", empty=\"\"}", "kept"),
    ]);
    let r = e.send("POST", "/loki/api/v1/push", &[PB], body).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        "1 errors like: error parsing labels '{ab\"' with error: 1:4: parse error: unterminated quoted string; \
         1 errors like: stream '{a=\"1\", a=\"2\", service_name=\"unknown_service\"}' has duplicate label name: 'a'\n"
    );
    let s = e.streams(T).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].entries[0].line, "kept");
    assert_eq!(
        s[0].labels,
        Labels::from_pairs([("app", "fine"), ("service_name", "fine")])
    );
}

#[test]
fn pure_decode_reports_rejections_and_keeps_the_rest() {
    let mut limits = IngestLimits::default();
    limits.logs.max_line_size = 4;
    let mut h = HeaderMap::new();
    h.insert(
        http::header::CONTENT_TYPE,
        "application/x-protobuf".parse().unwrap(),
    );
    let body = raw_request(vec![("{app=\"x\"}", "long line"), ("{app=\"x\"}", "ok")]);
    let (b, rej) = decode_push(&h, &body, PushVersion::V1, &limits, now_ns()).unwrap();
    assert_eq!(b.entry_count(), 1);
    assert_eq!(b.streams.len(), 1, "equal label sets merged");
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0].reason, "line_too_long");
    let err = decode_push(&h, b"\xff\xff", PushVersion::V1, &limits, now_ns()).unwrap_err();
    assert_eq!(err.status, 400);
}
