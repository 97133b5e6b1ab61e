//! The files are readable by DuckDB as `docs/metrics-parquet-schema.md` says (runs the
//! documented queries through the `duckdb` Python package; skipped with a notice without it).

mod common;

use lakewatch_model::{
    Exemplar, Labels, MetricMetadata, MetricType, MetricsBatch, Sample, TenantId, TimeSeries,
};
use lakewatch_storage::{MetricsWriter, Store};
use std::process::Command;

#[tokio::test]
async fn duckdb_reads_metrics_objects() {
    if !Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success())
    {
        println!("NOTICE: python duckdb not installed; skipping the DuckDB check");
        return;
    }
    let dir = common::temp_dir("duckdb");
    let store = Store::from_url(dir.to_str().unwrap()).unwrap();
    let tenant = TenantId::new("acme").unwrap();
    let batch = MetricsBatch {
        series: vec![
            TimeSeries {
                labels: Labels::from_pairs([
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("instance", "a"),
                ]),
                samples: vec![
                    Sample {
                        timestamp_ms: 1_000,
                        value: 10.0,
                    },
                    Sample {
                        timestamp_ms: 16_000,
                        value: 12.5,
                    },
                    Sample {
                        timestamp_ms: 31_000,
                        value: 20.0,
                    },
                    Sample {
                        timestamp_ms: 46_000,
                        value: 0.1 + 0.2,
                    },
                ],
                exemplars: vec![Exemplar {
                    labels: Labels::from_pairs([("trace_id", "4bf92f")]),
                    value: 1.0,
                    timestamp_ms: 15_000,
                }],
                ..Default::default()
            },
            TimeSeries {
                labels: Labels::from_pairs([("__name__", "up"), ("job", "api")]),
                samples: vec![Sample {
                    timestamp_ms: 1_000,
                    value: 1.0,
                }],
                ..Default::default()
            },
        ],
        metadata: vec![MetricMetadata {
            metric_family_name: "http_requests_total".into(),
            metric_type: MetricType::Counter,
            help: "Requests.".into(),
            unit: String::new(),
        }],
    };
    MetricsWriter::new(store)
        .write(&tenant, &batch)
        .await
        .unwrap();
    let glob = format!("{}/acme/metrics/objects/*/*.parquet", dir.display());
    let script = format!(
        r#"
import duckdb
g = {glob:?}
rows = duckdb.sql(f"""SELECT metric_name, l_job, l_instance, timestamp_ms, coalesce(value, value_int / pow(10, value_scale)) AS v
  FROM read_parquet('{{g}}', union_by_name = true) WHERE kind = 0 AND metric_name = 'http_requests_total'
  ORDER BY series_id, timestamp_ms""").fetchall()
assert rows == [('http_requests_total', 'api', 'a', 1000, 10.0), ('http_requests_total', 'api', 'a', 16000, 12.5), ('http_requests_total', 'api', 'a', 31000, 20.0), ('http_requests_total', 'api', 'a', 46000, 0.30000000000000004)], rows
ex = duckdb.sql(f"""SELECT json_extract_string(exemplar_labels, '$.trace_id') FROM read_parquet('{{g}}', union_by_name = true) WHERE kind = 2""").fetchall()
assert ex == [('4bf92f',)], ex
md = duckdb.sql(f"""SELECT decode(value) FROM parquet_kv_metadata('{{g}}') WHERE decode(key) = 'lakewatch.metric_metadata'""").fetchall()
assert 'counter' in md[0][0], md
enc = duckdb.sql(f"""SELECT path_in_schema, encodings FROM parquet_metadata('{{g}}') WHERE path_in_schema IN ('timestamp_ms', 'value', 'value_int', 'value_scale')""").fetchall()
print("DuckDB", duckdb.__version__, "OK:", rows[0], ex[0], enc)
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
