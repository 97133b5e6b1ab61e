//! Traces objects are readable by DuckDB as `docs/traces-parquet-schema.md` says (runs the
//! documented queries through the `duckdb` Python package; skipped with a notice without it).

mod traces_common;

use lakewatch_model::TenantId;
use lakewatch_storage::{Store, TracesWriter};
use opentelemetry_proto::tonic::trace::v1::Status;
use std::process::Command;
use traces_common::*;

#[tokio::test]
async fn duckdb_reads_traces_objects() {
    if !Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success())
    {
        println!("NOTICE: python duckdb not installed; skipping the DuckDB check");
        return;
    }
    let dir = std::env::temp_dir().join(format!("lakewatch-traces-duckdb-{}", std::process::id()));
    let store = Store::from_url(dir.to_str().unwrap()).unwrap();
    let tenant = TenantId::new("acme").unwrap();
    let mut rng = Rng(3);
    // 2023-11-14T22:13:20Z.
    let mut req = realistic_request(&mut rng, 1_700_000_000_000_000_000, 3, "pod-1");
    // Make the first trace's server span an error with a known id.
    let first = req[0].scope_spans[0].spans[0].trace_id.clone();
    for ss in &mut req[0].scope_spans {
        for s in ss.spans.iter_mut().filter(|s| s.trace_id == first) {
            s.trace_id = (1..=16).collect();
        }
    }
    let root = &mut req[0].scope_spans[0].spans[0];
    root.span_id = vec![0xab; 8];
    root.status = Some(Status {
        message: "boom".into(),
        code: 2,
    });
    TracesWriter::new(store).write(&tenant, &req).await.unwrap();
    let glob = format!("{}/acme/traces/objects/*/*.parquet", dir.display());
    let script = format!(
        r#"
import duckdb
g = {glob:?}
rows = duckdb.sql(f"""SELECT hex(trace_id), hex(span_id), name, service_name, http_method, http_route,
    http_status_code, status_code, status_message, make_timestamp_ns(start_time_unix_nano)::VARCHAR,
    span_attributes['user_agent.original'].str AS ua
  FROM read_parquet('{{g}}') WHERE trace_id = unhex('0102030405060708090A0B0C0D0E0F10') AND parent_span_id = ''""").fetchall()
assert len(rows) == 1, rows
r = rows[0]
assert r[:9] == ('0102030405060708090A0B0C0D0E0F10', 'ABABABABABABABAB', 'POST /v1/chat/completions', 'ai-gateway', 'POST', '/v1/chat/completions', 200, 2, 'boom'), r
assert r[9].startswith('2023-11-14 22:13:20'), r
assert r[10] == 'openai-python/1.51.0', r
llm = duckdb.sql(f"""SELECT gen_ai_provider, gen_ai_request_model, span_attributes['gen_ai.usage.input_tokens'].int,
    span_attributes['gen_ai.request.model'].dedicated, scope_name, duration_nano > 0
  FROM read_parquet('{{g}}') WHERE gen_ai_request_model IS NOT NULL ORDER BY trace_id""").fetchall()
assert len(llm) == 3 and all(x[3] is True and x[4] == 'opentelemetry.instrumentation.openai' and x[5] for x in llm), llm
assert all(isinstance(x[2], int) for x in llm), llm
n = duckdb.sql(f"""SELECT count(*), count(DISTINCT trace_id) FROM read_parquet('{{g}}')""").fetchall()
assert n == [(18, 3)], n
order = duckdb.sql(f"""SELECT bool_and(ok) FROM (SELECT (trace_id, start_time_unix_nano) >= lag((trace_id, start_time_unix_nano)) OVER () AS ok FROM read_parquet('{{g}}'))""").fetchall()
assert order == [(True,)], order
kv = duckdb.sql(f"""SELECT decode(value) FROM parquet_kv_metadata('{{g}}') WHERE decode(key) = 'lakewatch.format'""").fetchall()
assert kv == [('lakewatch-traces-v1',)], kv
enc = duckdb.sql(f"""SELECT path_in_schema, encodings, compression, bloom_filter_offset IS NOT NULL FROM parquet_metadata('{{g}}') WHERE path_in_schema IN ('trace_id', 'start_time_unix_nano')""").fetchall()
d = {{r[0]: r for r in enc}}
assert 'DELTA_BINARY_PACKED' in d['start_time_unix_nano'][1], enc
assert d['trace_id'][2] == 'ZSTD' and d['trace_id'][3], enc
print("DuckDB", duckdb.__version__, "OK:", r, llm[0], enc)
"#
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "duckdb check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}
