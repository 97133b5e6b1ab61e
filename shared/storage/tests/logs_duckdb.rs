//! Logs objects are readable by DuckDB as `docs/logs-parquet-schema.md` says (runs the
//! documented queries through the `duckdb` Python package; skipped with a notice without it).

mod common;

use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch, TenantId};
use lakewatch_storage::{LogsWriter, Store};
use std::process::Command;

#[tokio::test]
async fn duckdb_reads_logs_objects() {
    if !Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success())
    {
        println!("NOTICE: python duckdb not installed; skipping the DuckDB check");
        return;
    }
    let dir = common::temp_dir("logs-duckdb");
    let store = Store::from_url(dir.to_str().unwrap()).unwrap();
    let tenant = TenantId::new("acme").unwrap();
    let e = |ts: i64, line: &str, md: &[(&str, &str)]| LogEntry {
        timestamp_ns: ts,
        line: line.into(),
        structured_metadata: Labels::from_pairs(md.iter().copied()),
    };
    let batch = LogsBatch {
        streams: vec![
            LogStream {
                labels: Labels::from_pairs([("app", "api"), ("env", "prod")]),
                entries: vec![
                    e(
                        1_700_000_000_000_000_001,
                        r#"{"level":"error","route":"/checkout"}"#,
                        &[("trace_id", "4bf92f3577b34da6")],
                    ),
                    e(1_700_000_001_000_000_000, "plain ✓ line", &[]),
                ],
            },
            LogStream {
                labels: Labels::from_pairs([("app", "web")]),
                entries: vec![e(1_700_000_000_500_000_000, "web line", &[])],
            },
        ],
    };
    LogsWriter::new(store).write(&tenant, &batch).await.unwrap();
    let glob = format!("{}/acme/logs/objects/*/*.parquet", dir.display());
    let script = format!(
        r#"
import duckdb, json
g = {glob:?}
rows = duckdb.sql(f"""SELECT json_extract_string(labels, '$.app') AS app, timestamp_ns, line,
    structured_metadata['trace_id'] AS trace_id
  FROM read_parquet('{{g}}') WHERE json_extract_string(labels, '$.env') = 'prod'
  ORDER BY stream_id, timestamp_ns""").fetchall()
assert rows == [('api', 1700000000000000001, '{{"level":"error","route":"/checkout"}}', '4bf92f3577b34da6'), ('api', 1700000001000000000, 'plain ✓ line', None)], rows
ts = duckdb.sql(f"""SELECT make_timestamp_ns(timestamp_ns)::VARCHAR FROM read_parquet('{{g}}') WHERE line = 'web line'""").fetchall()
assert ts == [('2023-11-14 22:13:20.5',)], ts
tab = duckdb.sql(f"""SELECT decode(value) FROM parquet_kv_metadata('{{g}}') WHERE decode(key) = 'lakewatch.streams'""").fetchall()
streams = json.loads(tab[0][0])
assert sorted(json.dumps(s['labels'], sort_keys=True) for s in streams) == ['{{"app": "api", "env": "prod"}}', '{{"app": "web"}}'], streams
assert sorted(s['rows'] for s in streams) == [1, 2], streams
enc = duckdb.sql(f"""SELECT path_in_schema, encodings, compression, bloom_filter_offset IS NOT NULL FROM parquet_metadata('{{g}}') WHERE path_in_schema IN ('timestamp_ns', 'line', 'stream_id')""").fetchall()
d = {{r[0]: r for r in enc}}
assert 'DELTA_BINARY_PACKED' in d['timestamp_ns'][1], enc
assert 'DICTIONARY' not in d['line'][1] and d['line'][2] == 'ZSTD', enc
assert d['stream_id'][3], enc
print("DuckDB", duckdb.__version__, "OK:", rows[0], ts, enc)
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
