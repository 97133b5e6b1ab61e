//! Generated JSON request logs for the logs benchmark: deterministic (SplitMix64), in push
//! requests of about `batch_bytes` of line bytes (Promtail's and Alloy's default batch is
//! 1 MiB), entries in time order from `start_ns` to about `end_ns`.
//!
//! 8 services × 3 pods × 3 levels = 72 streams labelled
//! `{cluster="eu-west-1", env="prod", namespace="shop", service_name, pod, level}`. Each line is
//! one JSON object as Go/zap or Python JSON loggers write it:
//! `{"ts":"2026-…Z","level":"info","msg":"request completed","service":"checkout","method":"GET",
//! "route":"/api/checkout/orders/{id}","status":200,"duration_ms":12.3,"bytes":1834,
//! "trace_id":"<32 hex>","user_id":"user-01234"}` (about 270 bytes). About 1 % of requests are
//! 5xx (level error), 6 % 4xx (warn). Raw size = line bytes (what Loki's limits and stats count).

use crate::rng::Rng;
use lakewatch_model::{Labels, LogEntry, LogStream, LogsBatch};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Services and their relative traffic.
pub const SERVICES: [(&str, f64); 8] = [
    ("checkout", 3.0),
    ("payments", 1.5),
    ("catalog", 5.0),
    ("auth", 2.0),
    ("gateway", 6.0),
    ("search", 3.5),
    ("cart", 2.5),
    ("shipping", 1.0),
];
/// Pods per service.
pub const PODS: usize = 3;
/// Level label values.
pub const LEVELS: [&str; 3] = ["info", "warn", "error"];
const ROUTES: [(&str, &str); 8] = [
    ("GET", "orders/{id}"),
    ("POST", "orders"),
    ("GET", "items"),
    ("GET", "items/{id}"),
    ("PUT", "items/{id}"),
    ("POST", "sessions"),
    ("DELETE", "sessions/{id}"),
    ("GET", "health"),
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct LogsSpec {
    /// Total line bytes to generate (the last batch may overshoot by one line).
    pub target_bytes: u64,
    /// First entry time, ns since the epoch.
    pub start_ns: i64,
    /// About the last entry time, ns.
    pub end_ns: i64,
    /// Line bytes per push request.
    pub batch_bytes: usize,
    pub seed: u64,
}

/// Totals of one full pass, for checking query answers.
#[derive(Debug, Clone, Default)]
pub struct LogsTotals {
    pub entries: u64,
    pub line_bytes: u64,
    pub batches: usize,
    /// Entries per level label value.
    pub per_level: BTreeMap<&'static str, u64>,
    /// Entries whose status is ≥ 500.
    pub status_5xx: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    /// The needle: (trace id, timestamp ns, line) of the entry half-way through.
    pub needle: Option<(String, i64, String)>,
}

/// The generator: an iterator of push-request-sized batches that also fills [`LogsTotals`].
pub struct LogsGen {
    spec: LogsSpec,
    rng: Rng,
    labels: Vec<Labels>,
    weights: Vec<f64>,
    dt_ns: i64,
    k: u64,
    needle_at: u64,
    pub totals: LogsTotals,
}

/// Days since 1970-01-01 → (year, month, day) (proleptic Gregorian; H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// RFC 3339 UTC with microseconds, as JSON loggers print it.
pub fn rfc3339_micros(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let micros = ns.rem_euclid(1_000_000_000) / 1000;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

impl LogsGen {
    /// A generator for `spec`; the entry spacing is set from the mean line size of a sample.
    pub fn new(spec: LogsSpec) -> Self {
        let mut labels = Vec::new();
        let mut weights = Vec::new();
        for (svc, w) in SERVICES {
            for pod in 0..PODS {
                for level in LEVELS {
                    let pod_name = format!("{svc}-7d9f{:x}c-{}", pod * 5 + 3, pod);
                    labels.push(Labels::from_pairs([
                        ("cluster", "eu-west-1"),
                        ("env", "prod"),
                        ("level", level),
                        ("namespace", "shop"),
                        ("pod", pod_name.as_str()),
                        ("service_name", svc),
                    ]));
                }
                weights.push(w / PODS as f64);
            }
        }
        let mut g = LogsGen {
            rng: Rng::new(spec.seed),
            spec,
            labels,
            weights,
            dt_ns: 1,
            k: 0,
            needle_at: 0,
            totals: LogsTotals::default(),
        };
        // Mean line size from a sample (same seed: the sample is the data's own start).
        let sample: usize = (0..2000)
            .map(|_| g.entry(g.spec.start_ns).1.line.len())
            .sum();
        let mean = sample as f64 / 2000.0;
        let entries = (g.spec.target_bytes as f64 / mean).max(1.0);
        g.dt_ns = (((g.spec.end_ns - g.spec.start_ns) as f64 / entries) as i64).max(1);
        g.needle_at = (entries / 2.0) as u64;
        g.rng = Rng::new(g.spec.seed);
        g
    }

    fn pick(&mut self) -> usize {
        let total: f64 = self.weights.iter().sum();
        let mut x = self.rng.f64() * total;
        for (i, w) in self.weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        self.weights.len() - 1
    }

    /// One entry at `ts_ns`: (stream index, entry, status).
    fn entry(&mut self, ts_ns: i64) -> (usize, LogEntry, u16) {
        let sp = self.pick();
        let svc = SERVICES[sp / PODS].0;
        let (method, route) = ROUTES[self.rng.below(ROUTES.len() as u64) as usize];
        let r = self.rng.f64();
        let (status, level, msg) = if r < 0.01 {
            let s = [500u16, 502, 503, 504][self.rng.below(4) as usize];
            (s, 2, "request failed: upstream timeout")
        } else if r < 0.07 {
            let s = [400u16, 401, 404, 409, 429][self.rng.below(5) as usize];
            (s, 1, "request rejected")
        } else {
            (
                if method == "POST" { 201 } else { 200 },
                0,
                "request completed",
            )
        };
        // Log-normal latency (Box–Muller): median 25 ms, sigma 0.8; 40× slower on errors.
        let (u1, u2) = (self.rng.f64().max(1e-12), self.rng.f64());
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let mut dur = 25.0 * (0.8 * z).exp();
        if status >= 500 {
            dur *= 40.0;
        }
        let bytes = 200 + self.rng.below(8000);
        let trace = ((self.rng.next_u64() as u128) << 64) | self.rng.next_u64() as u128;
        let user = 1 + self.rng.below(50_000);
        let mut line = String::with_capacity(300);
        let _ = write!(
            line,
            "{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":\"{msg}\",\"service\":\"{svc}\",\"method\":\"{method}\",\"route\":\"/api/{svc}/{route}\",\"status\":{status},\"duration_ms\":{dur:.1},\"bytes\":{bytes},\"trace_id\":\"{trace:032x}\",\"user_id\":\"user-{user:05}\"}}",
            rfc3339_micros(ts_ns),
            LEVELS[level],
        );
        let stream = sp * LEVELS.len() + level;
        let e = LogEntry {
            timestamp_ns: ts_ns,
            line,
            structured_metadata: Labels::default(),
        };
        (stream, e, status)
    }
}

impl Iterator for LogsGen {
    type Item = LogsBatch;

    fn next(&mut self) -> Option<LogsBatch> {
        if self.totals.line_bytes >= self.spec.target_bytes {
            return None;
        }
        let mut streams: BTreeMap<usize, Vec<LogEntry>> = BTreeMap::new();
        let mut bytes = 0usize;
        while bytes < self.spec.batch_bytes && self.totals.line_bytes < self.spec.target_bytes {
            let jitter = self.rng.below(self.dt_ns as u64) as i64;
            let ts = self.spec.start_ns + self.k as i64 * self.dt_ns + jitter;
            let (s, e, status) = self.entry(ts);
            let t = &mut self.totals;
            if t.entries == 0 {
                t.first_ns = ts;
            }
            t.last_ns = ts;
            t.entries += 1;
            t.line_bytes += e.line.len() as u64;
            *t.per_level.entry(LEVELS[s % LEVELS.len()]).or_default() += 1;
            if status >= 500 {
                t.status_5xx += 1;
            }
            if self.k == self.needle_at {
                let id = e
                    .line
                    .split("\"trace_id\":\"")
                    .nth(1)
                    .map(|r| r[..32].to_string())
                    .unwrap_or_default();
                t.needle = Some((id, ts, e.line.clone()));
            }
            bytes += e.line.len();
            self.k += 1;
            streams.entry(s).or_default().push(e);
        }
        self.totals.batches += 1;
        Some(LogsBatch {
            streams: streams
                .into_iter()
                .map(|(i, entries)| LogStream {
                    labels: self.labels[i].clone(),
                    entries,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339_micros(1_795_273_433_750_006_000),
            "2026-11-21T15:03:53.750006Z"
        );
    }

    #[test]
    fn batches_cover_the_target_in_time_order() {
        let spec = LogsSpec {
            target_bytes: 2_000_000,
            start_ns: 1_700_000_000_000_000_000,
            end_ns: 1_700_000_000_000_000_000 + 3_600_000_000_000,
            batch_bytes: 256 << 10,
            seed: 1,
        };
        let mut g = LogsGen::new(spec.clone());
        let mut last = 0;
        let mut lines = 0;
        for b in g.by_ref() {
            for s in &b.streams {
                assert_eq!(s.labels.len(), 6);
                for e in &s.entries {
                    assert!(e.line.starts_with("{\"ts\":\"2023-11-1"));
                    lines += 1;
                }
            }
            let first = b
                .streams
                .iter()
                .map(|s| s.entries[0].timestamp_ns)
                .min()
                .unwrap();
            assert!(first >= last);
            last = b
                .streams
                .iter()
                .map(|s| s.entries.last().unwrap().timestamp_ns)
                .max()
                .unwrap();
        }
        let t = &g.totals;
        assert_eq!(t.entries, lines);
        assert!(t.line_bytes >= spec.target_bytes && t.line_bytes < spec.target_bytes + 400);
        assert_eq!(t.per_level.values().sum::<u64>(), t.entries);
        assert_eq!(t.status_5xx, t.per_level["error"]);
        // ends close to end_ns
        assert!(
            (t.last_ns - spec.end_ns).abs() < 300_000_000_000,
            "{}",
            t.last_ns
        );
        let (id, _, line) = t.needle.clone().unwrap();
        assert_eq!(id.len(), 32);
        assert!(line.contains(&id));
        // same seed, same data
        let again: Vec<LogsBatch> = LogsGen::new(spec.clone()).take(2).collect();
        let first: Vec<LogsBatch> = LogsGen::new(spec).take(2).collect();
        assert_eq!(again, first);
    }
}
