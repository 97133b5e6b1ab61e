//! Real Loki clients against Lakewatch: the PyPI `python-logging-loki` handler (JSON pushes,
//! one per record) and a snappy-protobuf pusher whose message classes protoc generates from
//! Loki's `push.proto` (`tests/proto/`) send JSON request logs (level, route, status,
//! duration_ms, trace_id, user_id) to an in-process `lakewatch dev` (no demo, `file://` store);
//! LogQL through `/loki/api/v1/query_range` and `/query`, `labels`, `label/…/values` and
//! `series` must return exactly what was sent. Every check runs twice: on the freshly written
//! objects and after a compaction pass.
//!
//! Needs `python3` with `python-logging-loki`, `grpcio-tools` and `cramjam` (`bash tests/run.sh`
//! installs them); set `LAKEWATCH_E2E_SKIP_LOKI_CLIENTS=1` to skip.

use lakewatch_e2e::checks::{ensure, Checks};
use lakewatch_e2e::loki::{matrix, series_key, stream_entries, vector, LabelMap, LokiApi};
use lakewatch_e2e::pyclients::{require_clients, run_script, SentEntry};
use lakewatch_e2e::scenario::start_lakewatch;
use lakewatch_e2e::tempdir::TempDir;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

const TENANT: &str = "loki-e2e";
const PY_SERVICE: &str = "py-backend";
const PROTO_SERVICE: &str = "proto-backend";
const PY_RECORDS: usize = 60;
/// Service of the legacy (`/api/prom/push`, emitter "0") client run.
const PY_V0_SERVICE: &str = "py-legacy";
const PY_V0_RECORDS: usize = 12;
const PROTO_RECORDS: usize = 240;
/// Spacing of the protobuf pusher's entries: 2.5 s, so 240 entries span 10 minutes.
const PROTO_STEP_NS: i64 = 2_500_000_000;
const NS: i64 = 1_000_000_000;
const MINUTE_NS: i64 = 60 * NS;

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Sorted lines of `entries`, for multiset comparison.
fn sorted_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = lines.collect();
    v.sort_unstable();
    v
}

/// Counts per level of `sent` (with `filter`), keyed as a `by (<label>)` series key.
fn count_by_level(
    sent: &[SentEntry],
    label: &str,
    filter: impl Fn(&SentEntry) -> bool,
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for e in sent.iter().filter(|e| filter(e)) {
        let key = series_key(&LabelMap::from([(
            label.to_string(),
            e.field("level").to_string(),
        )]));
        *out.entry(key).or_insert(0.0) += 1.0;
    }
    out
}

/// Runs a log query over `window` and returns its entries.
async fn log_entries(
    api: &LokiApi,
    query: &str,
    window: (i64, i64),
    limit: usize,
    direction: &str,
    headers: &[(&str, &str)],
) -> Result<Vec<lakewatch_e2e::loki::StreamEntry>, String> {
    let r = api
        .query_range(query, window, None, limit, direction, headers)
        .await?;
    stream_entries(r.data()?)
}

/// Checks on what `python-logging-loki` sent (wall-clock timestamps inside `window`).
async fn check_python_client(
    api: &LokiApi,
    sent: &[SentEntry],
    window: (i64, i64),
    phase: &str,
    c: &mut Checks,
) {
    let sel = format!("{{service_name=\"{PY_SERVICE}\"}}");
    let range_s = (window.1 - window.0) / NS + 1;

    // Every line back, in streams labelled as the client labelled them.
    let r = log_entries(api, &sel, window, 1000, "forward", &[]).await;
    c.record(
        phase,
        &format!("python-logging-loki: {sel} returns all {PY_RECORDS} lines"),
        r.and_then(|got| {
            ensure(got.len() == sent.len(), || {
                format!("{} entries, sent {}", got.len(), sent.len())
            })?;
            ensure(
                sorted_lines(got.iter().map(|e| e.line.as_str()))
                    == sorted_lines(sent.iter().map(|e| e.line.as_str())),
                || "lines differ from the ones sent".into(),
            )?;
            for e in &got {
                let level = serde_json::from_str::<serde_json::Value>(&e.line)
                    .map(|v| v["level"].as_str().unwrap_or_default().to_string())
                    .unwrap_or_default();
                for (k, v) in [
                    ("service_name", PY_SERVICE),
                    ("env", "e2e"),
                    ("severity", level.as_str()),
                    ("logger", "backend.py-backend"),
                ] {
                    ensure(e.labels.get(k).map(String::as_str) == Some(v), || {
                        format!("stream {:?} lacks {k}={v:?}", e.labels)
                    })?;
                }
            }
            ensure(
                got.windows(2)
                    .all(|w| w[0].labels != w[1].labels || w[0].ts_ns <= w[1].ts_ns),
                || "forward entries of a stream not ascending".into(),
            )
        }),
    );

    // `| json | status >= 500`.
    let q = format!("{sel} | json | status >= 500");
    let want: Vec<&str> = sorted_lines(
        sent.iter()
            .filter(|e| e.status() >= 500)
            .map(|e| e.line.as_str()),
    );
    let r = log_entries(api, &q, window, 1000, "backward", &[]).await;
    c.record(
        phase,
        &format!("{q} returns the {} 5xx lines", want.len()),
        r.and_then(|got| {
            let lines = sorted_lines(got.iter().map(|e| e.line.as_str()));
            ensure(lines == want, || {
                format!("{} lines, want {}", lines.len(), want.len())
            })?;
            ensure(
                got.iter()
                    .all(|e| e.labels.get("status").is_some_and(|s| s.starts_with('5'))),
                || "a stream lacks the parsed status label".into(),
            )
        }),
    );

    // sum by (level) over the json-parsed level, and by the client's severity label.
    for (q, label) in [
        (
            format!("sum by (level) (count_over_time({sel} | json [{range_s}s]))"),
            "level",
        ),
        (
            format!("sum by (severity) (count_over_time({sel}[{range_s}s]))"),
            "severity",
        ),
    ] {
        let want = count_by_level(sent, label, |_| true);
        let r = api.query(&q, window.1).await;
        c.record(
            phase,
            &format!("instant {q} = {want:?}"),
            r.and_then(|r| vector(r.data()?))
                .and_then(|got| ensure(got == want, || format!("got {got:?}"))),
        );
    }

    // A numeric label filter on a float field.
    let q = format!("sum(count_over_time({sel} | json | duration_ms > 100 [{range_s}s]))");
    let want = sent.iter().filter(|e| e.duration_ms() > 100.0).count() as f64;
    let r = api.query(&q, window.1).await;
    c.record(
        phase,
        &format!("instant {q} = {want}"),
        r.and_then(|r| vector(r.data()?)).and_then(|got| {
            ensure(
                got.values().copied().collect::<Vec<_>>() == vec![want],
                || format!("got {got:?}"),
            )
        }),
    );

    // Needle search for one trace id, as a line filter and as a json label filter.
    let needle = &sent[PY_RECORDS / 3];
    let id = needle.field("trace_id");
    for q in [
        format!("{sel} |= \"{id}\""),
        format!("{sel} | json | trace_id=\"{id}\""),
    ] {
        let r = log_entries(api, &q, window, 100, "backward", &[]).await;
        c.record(
            phase,
            &format!("needle {q} finds exactly one line"),
            r.and_then(|got| {
                ensure(got.len() == 1 && got[0].line == needle.line, || {
                    format!("got {got:?}")
                })
            }),
        );
    }

    // detected_level, added at ingest as Loki does (from the `severity` label or the line's
    // `level`; `warning` normalised to `warn`).
    let hdr = [("X-Loki-Response-Encoding-Flags", "categorize-labels")];
    let r = log_entries(api, &sel, window, 1000, "forward", &hdr).await;
    c.record(
        phase,
        "detected_level structured metadata on every entry",
        r.and_then(|got| {
            for e in &got {
                let level = e.labels.get("severity").map(String::as_str).unwrap_or("");
                let want = if level == "warning" { "warn" } else { level };
                let have = e
                    .structured_metadata
                    .get("detected_level")
                    .map(String::as_str);
                ensure(have == Some(want), || {
                    format!("{:?} {:?}: detected_level {have:?}", e.labels, e.line)
                })?;
            }
            ensure(got.len() == sent.len(), || format!("{} entries", got.len()))
        }),
    );

    // Label names and values.
    let r = api.label_values(Some("severity"), window.0, window.1).await;
    c.record(
        phase,
        "label/severity/values = [error, info, warning]",
        r.and_then(|v| ensure(v == ["error", "info", "warning"], || format!("got {v:?}"))),
    );
    let r = api.label_values(None, window.0, window.1).await;
    c.record(
        phase,
        "labels include env, logger, service_name, severity",
        r.and_then(|v| {
            ensure(
                ["env", "logger", "service_name", "severity"]
                    .iter()
                    .all(|n| v.iter().any(|x| x == n)),
                || format!("got {v:?}"),
            )?;
            ensure(v.windows(2).all(|w| w[0] < w[1]), || {
                format!("not sorted: {v:?}")
            })
        }),
    );
}

/// Checks on what `python-logging-loki` sent with emitter "0" (the legacy
/// `/api/prom/push`: labels as a string, RFC 3339 timestamps with µs).
async fn check_legacy_client(
    api: &LokiApi,
    sent: &[SentEntry],
    window: (i64, i64),
    phase: &str,
    c: &mut Checks,
) {
    let sel = format!("{{service_name=\"{PY_V0_SERVICE}\"}}");
    let r = log_entries(api, &sel, window, 1000, "forward", &[]).await;
    c.record(
        phase,
        &format!(
            "python-logging-loki v0 (/api/prom/push): {sel} returns all {PY_V0_RECORDS} lines"
        ),
        r.and_then(|got| {
            ensure(
                sorted_lines(got.iter().map(|e| e.line.as_str()))
                    == sorted_lines(sent.iter().map(|e| e.line.as_str())),
                || format!("{} entries, lines differ", got.len()),
            )?;
            ensure(got.iter().all(|e| e.ts_ns % 1000 == 0), || {
                "timestamps are not whole microseconds".into()
            })
        }),
    );
}

/// Per-minute counts by level of the pusher's entries: the points of
/// `sum by (level) (count_over_time({…}[1m]))` at `steps` (Loki windows are `(t-1m, t]`; no
/// entry lies on a minute boundary). Steps with no entry have no point.
fn per_minute_by_level(sent: &[SentEntry], steps: &[i64]) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for level in ["error", "info", "warning"] {
        let key = series_key(&LabelMap::from([("level".to_string(), level.to_string())]));
        for &t in steps {
            let n = sent
                .iter()
                .filter(|e| e.field("level") == level)
                .filter(|e| e.ts_ns.is_some_and(|ts| ts > t - MINUTE_NS && ts <= t))
                .count();
            if n > 0 {
                out.entry(key.clone())
                    .or_default()
                    .push((t / 1_000_000, n as f64));
            }
        }
    }
    out
}

/// Checks on what the protobuf pusher sent (fixed timestamps from `base_ns`, a minute start).
async fn check_proto_pusher(
    api: &LokiApi,
    sent: &[SentEntry],
    base_ns: i64,
    phase: &str,
    c: &mut Checks,
) {
    let sel = format!("{{service_name=\"{PROTO_SERVICE}\"}}");
    let window = (base_ns - MINUTE_NS, base_ns + 12 * MINUTE_NS);

    // Exact entries with categorize-labels: stream labels, ns timestamps, structured metadata.
    let hdr = [("X-Loki-Response-Encoding-Flags", "categorize-labels")];
    let r = log_entries(api, &sel, window, 5000, "forward", &hdr).await;
    c.record(
        phase,
        &format!("protobuf pusher: {sel} (categorize-labels) returns all {PROTO_RECORDS} entries exactly"),
        r.and_then(|got| {
            ensure(got.len() == sent.len(), || {
                format!("{} entries, sent {}", got.len(), sent.len())
            })?;
            let mut got_set: Vec<_> = got
                .iter()
                .map(|e| {
                    (
                        e.ts_ns,
                        e.line.clone(),
                        e.labels.clone(),
                        e.structured_metadata.get("trace_id").cloned(),
                        e.structured_metadata.get("user_id").cloned(),
                    )
                })
                .collect();
            let mut want: Vec<_> = sent
                .iter()
                .map(|e| {
                    (
                        e.ts_ns.unwrap_or_default(),
                        e.line.clone(),
                        e.labels.clone(),
                        e.structured_metadata.get("trace_id").cloned(),
                        e.structured_metadata.get("user_id").cloned(),
                    )
                })
                .collect();
            got_set.sort();
            want.sort();
            if got_set != want {
                let first = got_set
                    .iter()
                    .zip(&want)
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("got {a:?}\n      want {b:?}"))
                    .unwrap_or_default();
                return Err(format!("entries differ; first difference:\n      {first}"));
            }
            Ok(())
        }),
    );

    // Backward with a limit: the newest entries, newest first within each stream.
    let r = log_entries(api, &sel, window, 10, "backward", &[]).await;
    let mut newest: Vec<i64> = sent.iter().filter_map(|e| e.ts_ns).collect();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    newest.truncate(10);
    c.record(
        phase,
        "backward limit=10 returns the 10 newest entries",
        r.and_then(|got| {
            let mut ts: Vec<i64> = got.iter().map(|e| e.ts_ns).collect();
            ts.sort_unstable_by(|a, b| b.cmp(a));
            ensure(ts == newest, || format!("got {ts:?}, want {newest:?}"))
        }),
    );

    // The range metric query, step 1m.
    let q = format!("sum by (level) (count_over_time({sel}[1m]))");
    let steps: Vec<i64> = (1..=11).map(|m| base_ns + m * MINUTE_NS).collect();
    let want = per_minute_by_level(sent, &steps);
    let r = api
        .query_range(&q, (steps[0], steps[10]), Some(60), 100, "backward", &[])
        .await;
    c.record(
        phase,
        &format!("range {q}, step 60s, matches per-minute counts"),
        r.and_then(|r| matrix(r.data()?))
            .and_then(|got| ensure(got == want, || format!("got {got:?}\n      want {want:?}"))),
    );

    // Instant count and rate over 15 minutes.
    let at = base_ns + 11 * MINUTE_NS;
    for (q, want) in [
        (
            format!("sum(count_over_time({sel}[15m]))"),
            PROTO_RECORDS as f64,
        ),
        (
            format!("sum(rate({sel}[15m]))"),
            PROTO_RECORDS as f64 / 900.0,
        ),
    ] {
        let r = api.query(&q, at).await;
        c.record(
            phase,
            &format!("instant {q} = {want}"),
            r.and_then(|r| vector(r.data()?)).and_then(|got| {
                let v: Vec<f64> = got.values().copied().collect();
                ensure(v.len() == 1 && (v[0] - want).abs() <= 1e-9 * want, || {
                    format!("got {got:?}")
                })
            }),
        );
    }

    // `| json | status >= 500` over the protobuf entries.
    let q = format!("{sel} | json | status >= 500");
    let want5 = sent.iter().filter(|e| e.status() >= 500).count();
    let r = log_entries(api, &q, window, 5000, "forward", &[]).await;
    c.record(
        phase,
        &format!("{q} returns {want5} entries"),
        r.and_then(|got| ensure(got.len() == want5, || format!("{} entries", got.len()))),
    );

    // Needle: by structured metadata and by line filter.
    let needle = &sent[PROTO_RECORDS / 2 + 7];
    let id = needle.field("trace_id");
    for q in [
        format!("{sel} | trace_id=\"{id}\""),
        format!("{sel} |= \"{id}\""),
    ] {
        let r = log_entries(api, &q, window, 100, "backward", &[]).await;
        c.record(
            phase,
            &format!("needle {q} finds exactly one entry"),
            r.and_then(|got| {
                ensure(
                    got.len() == 1
                        && got[0].line == needle.line
                        && Some(got[0].ts_ns) == needle.ts_ns,
                    || format!("got {got:?}"),
                )
            }),
        );
    }

    // series and label values.
    let r = api.series(&sel, window.0, window.1).await;
    c.record(
        phase,
        "series for the pusher's selector = its 3 streams",
        r.and_then(|got| {
            let mut levels: Vec<String> = got
                .iter()
                .filter(|l| {
                    l.get("service_name").map(String::as_str) == Some(PROTO_SERVICE)
                        && l.get("env").map(String::as_str) == Some("e2e")
                })
                .filter_map(|l| l.get("level").cloned())
                .collect();
            levels.sort();
            ensure(
                got.len() == 3 && levels == ["error", "info", "warning"],
                || format!("got {got:?}"),
            )
        }),
    );
    let r = api.label_values(Some("level"), window.0, window.1).await;
    c.record(
        phase,
        "label/level/values = [error, info, warning]",
        r.and_then(|v| ensure(v == ["error", "info", "warning"], || format!("got {v:?}"))),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_loki_clients_push_and_logql_reads_back_exactly() {
    if !require_clients() {
        return;
    }
    let store = TempDir::new("loki-store").expect("temp dir");
    let url = format!("file://{}", store.path().display());
    let lakewatch = start_lakewatch(&url).await;
    let base = lakewatch.base_url();
    let api = LokiApi::new(&base, TENANT);

    // 1. python-logging-loki: one JSON push per record, wall-clock timestamps.
    let t0 = now_ns() - NS;
    let args: Vec<String> = [
        base.as_str(),
        TENANT,
        PY_SERVICE,
        &PY_RECORDS.to_string(),
        "7",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let py = tokio::task::spawn_blocking(move || run_script("loki_logging_client.py", &args))
        .await
        .expect("join");
    let args: Vec<String> = [
        base.as_str(),
        TENANT,
        PY_V0_SERVICE,
        &PY_V0_RECORDS.to_string(),
        "5",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let py_v0 = tokio::task::spawn_blocking(move || run_script("loki_logging_client.py", &args))
        .await
        .expect("join");
    let t1 = now_ns() + NS;

    // 2. Protobuf pusher: 240 entries every 2.5 s from 20 minutes ago, 4 pushes (the last
    //    gzip-compressed on top of snappy).
    let base_ns = (now_ns() / MINUTE_NS - 20) * MINUTE_NS;
    let start_ns = base_ns + 1_250_000_000;
    let args: Vec<String> = vec![
        base.clone(),
        TENANT.into(),
        PROTO_SERVICE.into(),
        PROTO_RECORDS.to_string(),
        "11".into(),
        start_ns.to_string(),
        PROTO_STEP_NS.to_string(),
        "4".into(),
        "gzip".into(),
    ];
    let proto = tokio::task::spawn_blocking(move || run_script("loki_proto_push.py", &args))
        .await
        .expect("join");

    let mut c = Checks::default();
    c.record(
        "push",
        "python-logging-loki pushes all answered 204",
        py.as_ref().map(|_| ()).map_err(String::clone),
    );
    c.record(
        "push",
        "protobuf pushes all answered 204",
        proto.as_ref().map(|_| ()).map_err(String::clone),
    );
    c.record(
        "push",
        "python-logging-loki v0 pushes all answered 204",
        py_v0.as_ref().map(|_| ()).map_err(String::clone),
    );
    let py = py.unwrap_or_default();
    let py_v0 = py_v0.unwrap_or_default();
    let proto = proto.unwrap_or_default();

    for phase in ["fresh", "compacted"] {
        if phase == "compacted" {
            match lakewatch.backend().compact_once().await {
                Ok(s) => println!("compaction: {s}"),
                Err(e) => c.record(phase, "compaction", Err(e.to_string())),
            }
        }
        if !py.is_empty() {
            check_python_client(&api, &py, (t0, t1), phase, &mut c).await;
        }
        if !py_v0.is_empty() {
            check_legacy_client(&api, &py_v0, (t0, t1), phase, &mut c).await;
        }
        if !proto.is_empty() {
            check_proto_pusher(&api, &proto, base_ns, phase, &mut c).await;
        }
        // Tenants are isolated: another tenant sees nothing.
        let other = LokiApi::new(&base, "someone-else");
        let r = log_entries(
            &other,
            "{env=\"e2e\"}",
            (base_ns - MINUTE_NS, t1),
            100,
            "backward",
            &[],
        )
        .await;
        c.record(
            phase,
            "another tenant sees no entries",
            r.and_then(|got| ensure(got.is_empty(), || format!("{} entries", got.len()))),
        );
    }
    lakewatch.shutdown().await;
    c.assert_all_passed("Loki client");
}
