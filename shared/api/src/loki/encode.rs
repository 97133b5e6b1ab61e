//! Loki's JSON encodings (`pkg/util/marshal/query.go`): `streams` (2-tuples, or 3-tuples with
//! `categorize-labels`), `matrix`, `vector`, `scalar`, the `stats` object and the legacy
//! (`/api/prom/query`) streams shape.

use crate::format::format_f;
use crate::json;
use lakewatch_logql::eval::{EvalStats, ResultStream, SeriesResult};
use lakewatch_logql::QueryResult;
use lakewatch_model::Labels;
use std::collections::BTreeMap;
use std::time::Duration;

/// The encoding flag Grafana sends in `X-Loki-Response-Encoding-Flags`.
pub const CATEGORIZE_LABELS: &str = "categorize-labels";

/// Loki's sample timestamp: `model.Time(ms).String()`, i.e. float seconds with at most ms
/// precision and no trailing zeros (`1588889221`, `1.5`).
pub fn push_seconds(out: &mut String, ts_ns: i64) {
    let ms = ts_ns.div_euclid(1_000_000);
    out.push_str(&format_f(ms as f64 / 1000.0));
}

/// `[<seconds>,"<value>"]` with the value as `strconv.FormatFloat(v, 'f', -1, 64)`.
pub fn push_point(out: &mut String, ts_ns: i64, v: f64) {
    out.push('[');
    push_seconds(out, ts_ns);
    out.push_str(",\"");
    out.push_str(&format_f(v));
    out.push_str("\"]");
}

/// Streams sorted as Loki sorts them (by the label string `{a="1", b="2"}`).
pub fn sort_streams(streams: &mut [ResultStream]) {
    streams.sort_by_cached_key(|s| s.labels.to_string());
}

/// Without `categorize-labels`, structured metadata and parsed labels are merged into the
/// stream labels and a stream is split per distinct label set (Loki's default encoding).
/// Entry order inside each stream is kept; streams are re-sorted.
pub fn flatten(streams: &[ResultStream]) -> Vec<ResultStream> {
    let mut out: BTreeMap<String, ResultStream> = BTreeMap::new();
    for s in streams {
        for e in &s.entries {
            let labels = if e.structured_metadata.is_empty() && e.parsed.is_empty() {
                s.labels.clone()
            } else {
                Labels::from_pairs(
                    s.labels
                        .iter()
                        .chain(e.structured_metadata.iter())
                        .chain(e.parsed.iter())
                        .map(|l| (l.name.clone(), l.value.clone())),
                )
            };
            let key = labels.to_string();
            let entry = lakewatch_logql::eval::ResultEntry {
                timestamp_ns: e.timestamp_ns,
                line: e.line.clone(),
                structured_metadata: Labels::default(),
                parsed: Labels::default(),
            };
            out.entry(key)
                .or_insert_with(|| ResultStream {
                    labels,
                    entries: Vec::new(),
                })
                .entries
                .push(entry);
        }
    }
    out.into_values().collect()
}

fn push_streams(out: &mut String, streams: &[ResultStream], categorize: bool) {
    out.push('[');
    for (i, s) in streams.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"stream\":");
        json::push_labels(out, &s.labels);
        out.push_str(",\"values\":[");
        for (j, e) in s.entries.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str("[\"");
            out.push_str(&e.timestamp_ns.to_string());
            out.push_str("\",");
            json::push_str(out, &e.line);
            if categorize {
                out.push_str(",{");
                let mut more = false;
                if !e.structured_metadata.is_empty() {
                    out.push_str("\"structuredMetadata\":");
                    json::push_labels(out, &e.structured_metadata);
                    more = true;
                }
                if !e.parsed.is_empty() {
                    if more {
                        out.push(',');
                    }
                    out.push_str("\"parsed\":");
                    json::push_labels(out, &e.parsed);
                }
                out.push('}');
            }
            out.push(']');
        }
        out.push_str("]}");
    }
    out.push(']');
}

/// `[{"metric":{…},"value":[ts,"v"]},…]`.
pub fn push_vector(out: &mut String, v: &[SeriesResult]) {
    out.push('[');
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        json::push_labels(out, &s.labels);
        out.push_str(",\"value\":");
        match s.points.last() {
            Some(&(t, val)) => push_point(out, t, val),
            None => out.push_str("[0,\"0\"]"),
        }
        out.push('}');
    }
    out.push(']');
}

/// `[{"metric":{…},"values":[[ts,"v"],…]},…]`.
pub fn push_matrix(out: &mut String, m: &[SeriesResult]) {
    out.push('[');
    for (i, s) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        json::push_labels(out, &s.labels);
        out.push_str(",\"values\":[");
        for (j, &(t, v)) in s.points.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_point(out, t, v);
        }
        out.push_str("]}");
    }
    out.push(']');
}

/// The `resultType` of a result.
pub fn result_type(r: &QueryResult) -> &'static str {
    match r {
        QueryResult::Streams(_) => "streams",
        QueryResult::Vector(_) => "vector",
        QueryResult::Matrix(_) => "matrix",
        QueryResult::Scalar(..) => "scalar",
    }
}

/// Entries in a streams result (0 for metric results).
pub fn entries_returned(r: &QueryResult) -> u64 {
    match r {
        QueryResult::Streams(s) => s.iter().map(|s| s.entries.len() as u64).sum(),
        _ => 0,
    }
}

/// The `stats` object (`pkg/logqlmodel/stats/stats.proto` `Result`): `summary` filled from
/// the evaluator's counters and the wall time (seconds); store/ingester/cache counters zero.
pub fn stats_json(s: &EvalStats, exec: Duration, entries_returned: u64, streams: u64) -> String {
    let secs = exec.as_secs_f64();
    let per_sec = |n: u64| {
        if secs > 0.0 {
            (n as f64 / secs) as i64
        } else {
            0
        }
    };
    let cache = r#"{"entriesFound":0,"entriesRequested":0,"entriesStored":0,"bytesReceived":0,"bytesSent":0,"requests":0,"downloadTime":0,"queryLengthServed":0}"#;
    let store = format!(
        r#"{{"totalChunksRef":0,"totalChunksDownloaded":0,"chunksDownloadTime":0,"queryReferencedStructuredMetadata":false,"chunk":{{"headChunkBytes":0,"headChunkLines":0,"decompressedBytes":{b},"decompressedLines":{l},"compressedBytes":0,"totalDuplicates":0,"postFilterLines":{pf},"headChunkStructuredMetadataBytes":0,"decompressedStructuredMetadataBytes":0}},"chunkRefsFetchTime":0,"congestionControlLatency":0,"pipelineWrapperFilteredLines":0}}"#,
        b = s.bytes_processed,
        l = s.lines_processed,
        pf = s.post_filter_lines,
    );
    format!(
        concat!(
            r#"{{"summary":{{"bytesProcessedPerSecond":{bps},"linesProcessedPerSecond":{lps},"totalBytesProcessed":{b},"totalLinesProcessed":{l},"execTime":{t},"queueTime":0,"subqueries":0,"totalEntriesReturned":{e},"splits":0,"shards":0,"totalPostFilterLines":{pf},"totalStructuredMetadataBytesProcessed":0}},"#,
            r#""querier":{{"store":{store},"querierExecTime":{t}}},"#,
            r#""ingester":{{"totalReached":0,"totalChunksMatched":0,"totalBatches":0,"totalLinesSent":0,"store":{store}}},"#,
            r#""cache":{{"chunk":{c},"index":{c},"result":{c},"statsResult":{c},"volumeResult":{c},"seriesResult":{c},"labelResult":{c},"instantMetricResult":{c}}},"#,
            r#""index":{{"totalChunks":0,"postFilterChunks":0,"shardsDuration":0,"usedBloomFilters":false,"totalStreams":{ts}}}}}"#
        ),
        bps = per_sec(s.bytes_processed),
        lps = per_sec(s.lines_processed),
        b = s.bytes_processed,
        l = s.lines_processed,
        t = secs,
        e = entries_returned,
        pf = s.post_filter_lines,
        store = store,
        c = cache,
        ts = streams,
    )
}

/// The whole query response: `{"status":"success"[,"warnings":[…]],"data":{"resultType":…,
/// ["encodingFlags":["categorize-labels"],]"result":…,"stats":…}}`. With `categorize`,
/// streams must already be categorized (see `Executed::categorize`); without it they are
/// flattened here (structured metadata and parsed labels merged into the stream labels).
pub fn query_response(
    result: &QueryResult,
    stats: &str,
    warnings: &[String],
    categorize: bool,
) -> String {
    let mut out = String::from(r#"{"status":"success""#);
    if !warnings.is_empty() {
        out.push_str(",\"warnings\":");
        out.push_str(&json::string_array(warnings));
    }
    out.push_str(",\"data\":{\"resultType\":\"");
    out.push_str(result_type(result));
    out.push('"');
    if categorize {
        out.push_str(",\"encodingFlags\":[\"");
        out.push_str(CATEGORIZE_LABELS);
        out.push_str("\"]");
    }
    out.push_str(",\"result\":");
    match result {
        QueryResult::Streams(s) if categorize => push_streams(&mut out, s, true),
        QueryResult::Streams(s) => push_streams(&mut out, &flatten(s), false),
        QueryResult::Vector(v) => push_vector(&mut out, v),
        QueryResult::Matrix(m) => push_matrix(&mut out, m),
        QueryResult::Scalar(t, v) => push_point(&mut out, *t, *v),
    }
    out.push_str(",\"stats\":");
    out.push_str(stats);
    out.push_str("}}");
    out
}

/// Go `time.Time.Format(time.RFC3339Nano)` in UTC: fraction without trailing zeros.
pub fn rfc3339_nano(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let nanos = ts_ns.rem_euclid(1_000_000_000) as u32;
    let Some(t) = chrono::DateTime::from_timestamp(secs, nanos) else {
        return ts_ns.to_string();
    };
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    if nanos > 0 {
        let f = format!("{nanos:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Legacy `/api/prom/query` body: `{"streams":[{"labels":"{a=\"b\"}","entries":[{"ts":
/// "<RFC3339Nano>","line":"…"}]}],"stats":…}` (structured metadata and parsed labels merged
/// into the labels).
pub fn legacy_streams(streams: &[ResultStream], stats: &str) -> String {
    let mut out = String::from("{\"streams\":[");
    for (i, s) in flatten(streams).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"labels\":");
        json::push_str(&mut out, &s.labels.to_string());
        out.push_str(",\"entries\":[");
        for (j, e) in s.entries.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str("{\"ts\":");
            json::push_str(&mut out, &rfc3339_nano(e.timestamp_ns));
            out.push_str(",\"line\":");
            json::push_str(&mut out, &e.line);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("],\"stats\":");
    out.push_str(stats);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_logql::eval::ResultEntry;

    fn entry(t: i64, line: &str, sm: &[(&str, &str)], parsed: &[(&str, &str)]) -> ResultEntry {
        ResultEntry {
            timestamp_ns: t,
            line: line.into(),
            structured_metadata: Labels::from_pairs(sm.iter().copied()),
            parsed: Labels::from_pairs(parsed.iter().copied()),
        }
    }

    #[test]
    fn streams_both_encodings() {
        let r = QueryResult::Streams(vec![ResultStream {
            labels: Labels::from_pairs([("app", "a")]),
            entries: vec![
                entry(2, "x", &[("trace_id", "t1")], &[("level", "info")]),
                entry(1, "y", &[], &[]),
            ],
        }]);
        let plain = query_response(&r, "{}", &[], false);
        assert_eq!(
            plain,
            r#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"a","level":"info","trace_id":"t1"},"values":[["2","x"]]},{"stream":{"app":"a"},"values":[["1","y"]]}],"stats":{}}}"#
        );
        let cat = query_response(&r, "{}", &["w".into()], true);
        assert_eq!(
            cat,
            r#"{"status":"success","warnings":["w"],"data":{"resultType":"streams","encodingFlags":["categorize-labels"],"result":[{"stream":{"app":"a"},"values":[["2","x",{"structuredMetadata":{"trace_id":"t1"},"parsed":{"level":"info"}}],["1","y",{}]]}],"stats":{}}}"#
        );
    }

    #[test]
    fn metric_encodings() {
        let s = SeriesResult {
            labels: Labels::default(),
            points: vec![(4_000_000_000_000_000_000, 2.0)],
        };
        let r = query_response(&QueryResult::Vector(vec![s.clone()]), "{}", &[], false);
        assert!(r.contains(r#""result":[{"metric":{},"value":[4000000000,"2"]}]"#));
        let r = query_response(&QueryResult::Scalar(1_500_000_000, 0.25), "{}", &[], false);
        assert!(r.contains(r#""result":[1.5,"0.25"]"#));
        let r = query_response(&QueryResult::Matrix(vec![s]), "{}", &[], false);
        assert!(r.contains(r#""values":[[4000000000,"2"]]"#));
        assert_eq!(rfc3339_nano(1_500_000_000), "1970-01-01T00:00:01.5Z");
        let st = stats_json(&EvalStats::default(), Duration::from_millis(5), 0, 0);
        let v: serde_json::Value = serde_json::from_str(&st).unwrap();
        assert_eq!(v["summary"]["execTime"], 0.005);
    }
}
