//! Shared helpers for the storage integration tests: synthetic data and a moto S3 server.
#![allow(dead_code)]

use lakewatch_model::{Labels, MetricsBatch, Sample, TimeSeries};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Deterministic pseudo-random numbers (64-bit LCG).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Labels of synthetic series `i` of `n`: 20 metric names, realistic label sets.
pub fn synthetic_labels(i: usize) -> Labels {
    let metrics = [
        "http_requests_total",
        "http_request_duration_seconds_count",
        "process_cpu_seconds_total",
        "node_network_receive_bytes_total",
        "node_network_transmit_bytes_total",
        "redis_commands_total",
        "llm_tokens_total",
        "llm_requests_total",
        "llm_errors_total",
        "rate_limiter_hits_total",
        "go_gc_duration_seconds_count",
        "node_disk_read_bytes_total",
        "node_disk_written_bytes_total",
        "grpc_server_handled_total",
        "cache_hits_total",
        "cache_misses_total",
        "queue_messages_total",
        "db_queries_total",
        "upstream_retries_total",
        "jobs_processed_total",
    ];
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH"];
    let codes = ["200", "201", "400", "404", "500"];
    Labels::from_pairs([
        ("__name__", metrics[i % 20].to_string()),
        ("job", "ai-gateway".to_string()),
        (
            "instance",
            format!("10.0.{}.{}:9100", (i / 20) % 5, (i / 100) % 10),
        ),
        ("method", methods[(i / 20) % 5].to_string()),
        ("code", codes[(i / 100) % 5].to_string()),
        ("env", "prod".to_string()),
    ])
}

/// Counter-like data: `series` series, `steps` samples each `step_ms` apart from `start_ms`,
/// integer increments 0..100 per step. Returns the series.
pub fn counters(
    series: usize,
    steps: usize,
    start_ms: i64,
    step_ms: i64,
    seed: u64,
) -> Vec<TimeSeries> {
    let mut rng = Lcg(seed);
    (0..series)
        .map(|i| {
            let mut v = (rng.next() % 10_000) as f64;
            let samples = (0..steps)
                .map(|k| {
                    v += (rng.next() % 100) as f64;
                    Sample {
                        timestamp_ms: start_ms + k as i64 * step_ms,
                        value: v,
                    }
                })
                .collect();
            TimeSeries {
                labels: synthetic_labels(i),
                samples,
                ..Default::default()
            }
        })
        .collect()
}

/// The series mix of `reference/storage_perf.md` §11 ("realistic" variant): 40 % integer
/// counters (increments 0–99), 20 % float CPU counters (2 decimals), 30 % step gauges (a new
/// integer level every ~20 scrapes), 10 % constants; timestamps aligned.
pub fn mixed(
    series: usize,
    steps: usize,
    start_ms: i64,
    step_ms: i64,
    seed: u64,
) -> Vec<TimeSeries> {
    let mut rng = Lcg(seed);
    (0..series)
        .map(|i| {
            let kind = i % 10;
            let mut v = (rng.next() % 10_000) as f64;
            let samples = (0..steps)
                .map(|k| {
                    match kind {
                        0..=3 => v += (rng.next() % 100) as f64,
                        4 | 5 => v = ((v * 100.0).round() + (rng.next() % 100) as f64) / 100.0,
                        6..=8 if rng.next().is_multiple_of(20) => v = (rng.next() % 1000) as f64,
                        _ => {}
                    }
                    Sample {
                        timestamp_ms: start_ms + k as i64 * step_ms,
                        value: v,
                    }
                })
                .collect();
            TimeSeries {
                labels: synthetic_labels(i),
                samples,
                ..Default::default()
            }
        })
        .collect()
}

/// Cuts series into remote-write-sized batches (`per_batch` samples, time-major like
/// Prometheus's shards: each batch holds consecutive steps of all series).
pub fn remote_write_batches(all: &[TimeSeries], per_batch: usize) -> Vec<MetricsBatch> {
    let steps = all.first().map(|s| s.samples.len()).unwrap_or(0);
    let steps_per_batch = (per_batch / all.len().max(1)).max(1);
    (0..steps)
        .step_by(steps_per_batch)
        .map(|k0| MetricsBatch {
            series: all
                .iter()
                .map(|s| TimeSeries {
                    labels: s.labels.clone(),
                    samples: s.samples[k0..(k0 + steps_per_batch).min(steps)].to_vec(),
                    ..Default::default()
                })
                .collect(),
            metadata: Vec::new(),
        })
        .collect()
}

/// A unique empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lakewatch-storage-{tag}-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A moto_server child process on a free 127.0.0.1 port, killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> Option<String> {
    let ok = |b: &str| {
        Command::new(b)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ok("moto_server") {
        return Some("moto_server".into());
    }
    eprintln!("moto_server not found, trying pip install 'moto[server]'");
    let _ = Command::new("python3")
        .args(["-m", "pip", "install", "-q", "moto[server]"])
        .status();
    ok("moto_server").then(|| "moto_server".into())
}

impl Moto {
    /// Starts moto and creates `bucket` with an unsigned PUT; `None` if moto is unavailable.
    pub fn start(bucket: &str) -> Option<Moto> {
        let bin = moto_binary()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(s, "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        assert!(
            resp.starts_with("HTTP/1.1 200"),
            "bucket creation failed: {resp}"
        );
        Some(moto)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Compaction thresholds of the concurrency tests: low enough that L0→L1→L2 merges and GC
/// all happen while writers and readers run.
pub fn racing_compaction_options(
    grace: std::time::Duration,
) -> lakewatch_storage::CompactionOptions {
    use std::time::Duration;
    lakewatch_storage::CompactionOptions {
        l0_min_objects: 4,
        l0_max_age: Duration::from_millis(200),
        l1_min_objects: 3,
        window: Duration::from_secs(120),
        window_settle: Duration::from_secs(3600),
        gc_grace: grace,
        ..Default::default()
    }
}

/// Spawns `n` compactors that run `run_once` every 30 ms until `done`, asserting no errors;
/// each returns its summed merges, conflicts and GC deletions.
pub fn spawn_compactors(
    store: &lakewatch_storage::Store,
    opts: &lakewatch_storage::CompactionOptions,
    done: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    n: usize,
) -> Vec<tokio::task::JoinHandle<lakewatch_storage::CompactionStats>> {
    (0..n)
        .map(|_| {
            let (store, opts, done) = (store.clone(), opts.clone(), done.clone());
            tokio::spawn(async move {
                let mut total = lakewatch_storage::CompactionStats::default();
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let st = lakewatch_storage::compact::run_once(&store, &opts)
                        .await
                        .unwrap();
                    assert_eq!(st.errors, 0, "{st:?}");
                    total.merges += st.merges;
                    total.conflicts += st.conflicts;
                    total.gc_deleted_objects += st.gc_deleted_objects;
                    total.gc_deleted_manifests += st.gc_deleted_manifests;
                    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                }
                total
            })
        })
        .collect()
}

/// Spawns one client per writer `w` of `acked`: it sends its batches `0..batches` in order
/// through `send(w, k)`, every 5th one twice (as a client does after a lost response),
/// retrying each until it succeeds (failures counted in `errors`), and publishes `k` in
/// `acked[w]` once batch `k` is acknowledged.
pub fn spawn_clients<F, Fut, T, E>(
    batches: i64,
    acked: &std::sync::Arc<Vec<std::sync::atomic::AtomicI64>>,
    errors: &std::sync::Arc<std::sync::atomic::AtomicUsize>,
    send: F,
) -> Vec<tokio::task::JoinHandle<()>>
where
    F: Fn(usize, i64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<T, E>> + Send,
    E: std::fmt::Display,
{
    use std::sync::atomic::Ordering;
    (0..acked.len())
        .map(|w| {
            let (acked, errors, send) = (acked.clone(), errors.clone(), send.clone());
            tokio::spawn(async move {
                for k in 0..batches {
                    let sends = if k % 5 == 0 { 2 } else { 1 };
                    for _ in 0..sends {
                        while let Err(e) = send(w, k).await {
                            errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("write error (client retries): {e}");
                        }
                    }
                    acked[w].store(k, Ordering::SeqCst);
                }
            })
        })
        .collect()
}
