//! `{ trace:id = "<id>" }` searches without scanning every span: the engine compares
//! `trace:id` as Tempo's trace id text (lowercase hex, leading zeros trimmed), which only one
//! trace id can equal, and string equality raises no runtime error, so only that trace can
//! be in the answer. It is read with [`TracesReader::trace_records`] (row-group statistics,
//! bloom filter and page index) from the objects the scan would read, and evaluated as the
//! scan would; `inspectedTraces` is counted from the trace id, start and span id columns
//! ([`TracesReader::count_traces`]), so the response is the one a full scan gives.
//!
//! [`TracesReader::trace_records`]: lakewatch_storage::traces::TracesReader::trace_records
//! [`TracesReader::count_traces`]: lakewatch_storage::traces::TracesReader::count_traces

use lakewatch_traceql::{
    Attribute, Body, CmpOp, FieldExpr, FieldOp, Intrinsic, PipelineExpr, Query, SpansetExpr, Stage,
    Static,
};

/// The only trace id `query` can match when it is exactly `{ trace:id = "<s>" }` (one
/// stage, no hints) and `s` is a trace id text the engine can produce: `"0"`, or 1–32
/// lowercase hex digits without a leading zero. `None` for any other query.
pub(crate) fn needle(query: &Query) -> Option<[u8; 16]> {
    if !query.hints.is_empty() {
        return None;
    }
    let Body::Spans(PipelineExpr::Pipeline(p)) = &query.body else {
        return None;
    };
    let [Stage::Spanset(SpansetExpr::Filter(FieldExpr::Binary { op, lhs, rhs }))] =
        p.stages.as_slice()
    else {
        return None;
    };
    if *op != FieldOp::Cmp(CmpOp::Eq)
        || **lhs != FieldExpr::Attribute(Attribute::Intrinsic(Intrinsic::TraceId))
    {
        return None;
    }
    let FieldExpr::Static(Static::Str(s)) = &**rhs else {
        return None;
    };
    parse_id_text(s)
}

/// The 16-byte id whose Tempo text is `s`, if any.
fn parse_id_text(s: &str) -> Option<[u8; 16]> {
    let canonical = s == "0"
        || (!s.is_empty()
            && s.len() <= 32
            && !s.starts_with('0')
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    if !canonical {
        return None;
    }
    let padded = format!("{s:0>32}");
    let mut id = [0u8; 16];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&padded[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{App, Params, QueryConfig};
    use lakewatch_model::TenantId;
    use lakewatch_storage::traces::TracesWriter;
    use lakewatch_storage::{AuthConfig, Store};
    use lakewatch_traceql::eval::field::trace_id_hex;
    use lakewatch_traceql::parse;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn span(trace: u8, id: u8, parent: Option<u8>, start_s: u64) -> Span {
        let mut tid = vec![0u8; 16];
        tid[15] = trace;
        tid[0] = trace % 3; // some ids with leading zero bytes
        Span {
            trace_id: tid,
            span_id: vec![id; 8],
            parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
            name: format!("s{id}"),
            start_time_unix_nano: start_s * 1_000_000_000,
            end_time_unix_nano: start_s * 1_000_000_000 + 5_000,
            ..Default::default()
        }
    }

    fn batch(spans: Vec<Span>) -> Vec<ResourceSpans> {
        vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }]
    }

    async fn body(app: &App, t: &TenantId, q: &str) -> Vec<u8> {
        let p = Params::from_pairs(vec![
            ("q", q.to_string()),
            ("start", "100".to_string()),
            ("end", "200".to_string()),
        ]);
        let r = crate::tempo::search::search(app, t, &p).await.unwrap();
        r.into_body().to_vec()
    }

    /// The fast path answers exactly what the scan answers (the hint disables the fast
    /// path): same traces, spansets and metrics, also for a trace outside the window, a
    /// trace with a re-sent span, and an absent trace.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_response_as_the_scan() {
        let store = Store::memory();
        let w = TracesWriter::new(store.clone());
        let t = TenantId::anonymous();
        let mut spans = Vec::new();
        for tr in 1..=20u8 {
            // Traces 2..=18 have spans in the window [100 s, 200 s].
            let base = 90 + u64::from(tr) * 6;
            spans.push(span(tr, 1, None, base));
            spans.push(span(tr, 2, Some(1), base + 1));
        }
        w.write(&t, &batch(spans)).await.unwrap();
        // Re-sent span of trace 5 and a new span of trace 7 in a second object; trace 30
        // only outside the window.
        w.write(
            &t,
            &batch(vec![
                span(5, 2, Some(1), 121),
                span(7, 3, Some(2), 150),
                span(30, 1, None, 50),
            ]),
        )
        .await
        .unwrap();
        let app = App::new(store, AuthConfig::disabled(), QueryConfig::default());
        for tr in [1u8, 2, 5, 7, 13, 20, 30, 99] {
            let mut id = [0u8; 16];
            id[15] = tr;
            id[0] = tr % 3;
            let q = format!("{{ trace:id = \"{}\" }}", trace_id_hex(&id));
            assert_eq!(needle(&parse(&q).unwrap()), Some(id));
            let fast = body(&app, &t, &q).await;
            let scan = body(&app, &t, &format!("{q} with(most_recent=true)")).await;
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&scan),
                "trace {tr}"
            );
            let found = String::from_utf8_lossy(&fast).contains("traceID");
            assert_eq!(found, [2, 5, 7, 13].contains(&tr), "trace {tr}");
            assert!(String::from_utf8_lossy(&fast).contains("\"inspectedTraces\":17"));
        }
    }

    #[test]
    fn only_the_plain_trace_id_equality() {
        let q = |s: &str| needle(&parse(s).unwrap());
        let mut id = [0u8; 16];
        id[14] = 0x0a;
        id[15] = 0xbc;
        assert_eq!(q(r#"{ trace:id = "abc" }"#), Some(id));
        assert_eq!(trace_id_hex(&id), "abc");
        assert_eq!(q(r#"{ trace:id = "0" }"#), Some([0; 16]));
        let full = "5517b4bd7dae4b0aa61cc729b4c3cf43";
        let got = q(&format!("{{ trace:id = \"{full}\" }}")).unwrap();
        assert_eq!(trace_id_hex(&got), full);
        for other in [
            r#"{ trace:id = "0abc" }"#,
            r#"{ trace:id = "ABC" }"#,
            r#"{ trace:id = "" }"#,
            r#"{ trace:id != "abc" }"#,
            r#"{ trace:id = "abc" } | count() > 1"#,
            r#"{ trace:id = "abc" && status = error }"#,
            r#"{ trace:id = "abc" } with(most_recent=true)"#,
            r#"{ span:id = "abc" }"#,
        ] {
            assert_eq!(q(other), None, "{other}");
        }
    }
}
