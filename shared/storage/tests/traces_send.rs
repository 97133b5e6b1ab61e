//! The traces storage futures are `Send` for any lifetime, so axum handlers and `tokio::spawn`
//! can await them (rust-lang/rust#102211 bites with higher-ranked closures).

use lakewatch_model::TenantId;
use lakewatch_storage::compact::{compact_tenant_traces, CompactionOptions};
use lakewatch_storage::{CompactionStats, Store, TracesReader, TracesWriter};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

#[tokio::test]
async fn traces_futures_are_spawnable() {
    let store = Store::memory();
    let r = TracesReader::new(store.clone());
    let w = TracesWriter::new(store.clone());
    tokio::spawn(async move {
        let t = TenantId::anonymous();
        let req = vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![1; 16],
                    span_id: vec![2; 8],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }];
        w.write(&t, &req).await.unwrap();
        let got = r.trace_by_id(&t, &[1; 16], None, None).await.unwrap();
        assert_eq!(got, req);
        let mut st = CompactionStats::default();
        compact_tenant_traces(&store, &t, &CompactionOptions::default(), &mut st)
            .await
            .unwrap();
    })
    .await
    .unwrap();
}
