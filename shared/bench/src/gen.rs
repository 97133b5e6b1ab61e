//! Generated metrics shaped like a real scrape of a small web fleet: per instance 200 series
//! (request counters by route and code, a classic latency histogram per route, process and
//! node gauges/counters), scraped every 15 s with a per-instance scrape offset and a few ms of
//! jitter, ending "now". Values are what exporters really emit: integer counters, integer
//! byte gauges in 4 KiB pages, CPU seconds in 0.01 s steps, float histogram sums.

use crate::rng::Rng;
use lakewatch_model::{Labels, MetricMetadata, MetricType, Sample, TimeSeries};

/// Series per instance (the generator rounds `--series` up to a multiple of this).
pub const SERIES_PER_INSTANCE: usize = 200;

const ROUTES: [&str; 10] = [
    "/api/v1/users",
    "/api/v1/orders",
    "/api/v1/items",
    "/api/v1/search",
    "/api/v1/cart",
    "/api/v1/login",
    "/api/v1/logout",
    "/api/v1/payments",
    "/healthz",
    "/metrics",
];
const CODES: [(&str, f64); 3] = [("200", 0.95), ("404", 0.04), ("500", 0.01)];
const LE: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const MODES: [(&str, f64); 8] = [
    ("idle", 0.55),
    ("user", 0.25),
    ("system", 0.1),
    ("iowait", 0.04),
    ("irq", 0.01),
    ("softirq", 0.02),
    ("steal", 0.01),
    ("nice", 0.02),
];
const DEVICES: [&str; 4] = ["eth0", "eth1", "lo", "docker0"];
const MOUNTS: [&str; 5] = ["/", "/boot", "/var", "/home", "/data"];

/// Kind of a metric family (its OpenMetrics `# TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric family: its OpenMetrics name (counters without `_total`, histograms without
/// `_bucket`), kind, help and the indices of its series in [`Dataset::series`].
#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub kind: Kind,
    pub help: &'static str,
    pub series: Vec<usize>,
}

/// The whole generated data set. Times are milliseconds since the epoch.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Every series with all its samples in time order.
    pub series: Vec<TimeSeries>,
    pub families: Vec<Family>,
    /// First and last sample timestamp over all series (ms).
    pub min_time_ms: i64,
    pub max_time_ms: i64,
    /// Scrape interval (ms).
    pub interval_ms: i64,
    pub instances: usize,
}

impl Dataset {
    /// Total float samples.
    pub fn samples(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
    }

    /// Metric metadata as a Prometheus scrape would send it.
    pub fn metadata(&self) -> Vec<MetricMetadata> {
        self.families
            .iter()
            .map(|f| MetricMetadata {
                metric_family_name: f.name.clone(),
                metric_type: match f.kind {
                    Kind::Counter => MetricType::Counter,
                    Kind::Gauge => MetricType::Gauge,
                    Kind::Histogram => MetricType::Histogram,
                },
                help: f.help.to_string(),
                unit: String::new(),
            })
            .collect()
    }
}

struct Builder {
    series: Vec<TimeSeries>,
    families: Vec<Family>,
}

impl Builder {
    fn family(&mut self, name: &str, kind: Kind, help: &'static str) -> usize {
        if let Some(i) = self.families.iter().position(|f| f.name == name) {
            return i;
        }
        self.families.push(Family {
            name: name.to_string(),
            kind,
            help,
            series: Vec::new(),
        });
        self.families.len() - 1
    }

    fn push(&mut self, fam: usize, labels: Vec<(&str, String)>, ts: &[i64], values: Vec<f64>) {
        let samples = ts
            .iter()
            .zip(values)
            .map(|(&t, v)| Sample {
                timestamp_ms: t,
                value: v,
            })
            .collect();
        self.families[fam].series.push(self.series.len());
        self.series.push(TimeSeries {
            labels: Labels::from_pairs(labels),
            samples,
            ..Default::default()
        });
    }
}

/// Counter values from per-step increments.
fn cumulate(start: f64, incs: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = start;
    incs.map(|i| {
        acc += i;
        acc
    })
    .collect()
}

/// Generates `target_series` (rounded up to a multiple of [`SERIES_PER_INSTANCE`]) series of
/// `hours` of 15 s scrapes, the newest sample at most 15 s before `end_ms`. Deterministic for
/// a given (`target_series`, `hours`, `end_ms` rounded to 15 s, `seed`).
pub fn generate(target_series: usize, hours: f64, end_ms: i64, seed: u64) -> Dataset {
    let interval: i64 = 15_000;
    let instances = target_series.div_ceil(SERIES_PER_INSTANCE).max(1);
    let steps = ((hours * 3_600_000.0) as i64 / interval).max(2) as usize;
    let end_aligned = end_ms - end_ms.rem_euclid(interval);
    let mut rng = Rng::new(seed);
    let mut b = Builder {
        series: Vec::new(),
        families: Vec::new(),
    };
    let f_req = b.family("http_requests", Kind::Counter, "Requests served.");
    let f_dur = b.family(
        "http_request_duration_seconds",
        Kind::Histogram,
        "Request latency.",
    );
    let f_mem = b.family(
        "process_resident_memory_bytes",
        Kind::Gauge,
        "Resident memory size in bytes.",
    );
    let f_gor = b.family("go_goroutines", Kind::Gauge, "Number of goroutines.");
    let f_pcpu = b.family(
        "process_cpu_seconds",
        Kind::Counter,
        "User and system CPU time in seconds.",
    );
    let f_q = b.family("queue_depth", Kind::Gauge, "Jobs waiting in the queue.");
    let f_net = b.family(
        "node_network_receive_bytes",
        Kind::Counter,
        "Bytes received.",
    );
    let f_cpu = b.family("node_cpu_seconds", Kind::Counter, "CPU seconds per mode.");
    let f_fs = b.family(
        "node_filesystem_avail_bytes",
        Kind::Gauge,
        "Filesystem space available in bytes.",
    );
    let route_rate: Vec<f64> = ROUTES.iter().map(|_| rng.range(0.5, 40.0)).collect();
    let route_median: Vec<f64> = ROUTES.iter().map(|_| rng.range(0.01, 0.4)).collect();
    for i in 0..instances {
        let inst = format!("host-{i:03}:9100");
        let base = |extra: Vec<(&'static str, String)>| {
            let mut v = vec![("job", "api".to_string()), ("instance", inst.clone())];
            v.extend(extra);
            v
        };
        let offset = rng.below(interval as u64 - 10) as i64;
        let ts: Vec<i64> = (0..steps)
            .map(|k| end_aligned - (steps - k) as i64 * interval + offset + rng.below(4) as i64)
            .collect();
        let load = rng.range(0.5, 1.5);
        for (r, route) in ROUTES.iter().enumerate() {
            let lambda = route_rate[r] * load;
            // Requests per step and code.
            let mut per_code: Vec<Vec<f64>> = Vec::new();
            for (_, p) in CODES {
                per_code.push(
                    (0..steps)
                        .map(|_| (lambda * p * 15.0 * rng.range(0.7, 1.3)).round())
                        .collect(),
                );
            }
            for (c, (code, _)) in CODES.iter().enumerate() {
                let start = (rng.below(100_000)) as f64;
                let vals = cumulate(start, per_code[c].iter().copied());
                b.push(
                    f_req,
                    base(vec![
                        ("__name__", "http_requests_total".into()),
                        ("route", route.to_string()),
                        ("code", code.to_string()),
                        ("method", "GET".into()),
                    ]),
                    &ts,
                    vals,
                );
            }
            // Histogram of the same requests.
            let n: Vec<f64> = (0..steps)
                .map(|k| per_code.iter().map(|v| v[k]).sum())
                .collect();
            let m = route_median[r];
            let mut buckets: Vec<Vec<f64>> = vec![Vec::with_capacity(steps); LE.len()];
            let mut sums = Vec::with_capacity(steps);
            for &nk in &n {
                let mut prev = 0.0f64;
                for (j, le) in LE.iter().enumerate() {
                    let f = 1.0 - (-le / m).exp();
                    let c = (nk * f * rng.range(0.97, 1.0)).round().max(prev).min(nk);
                    buckets[j].push(c);
                    prev = c;
                }
                sums.push(nk * m * rng.range(0.9, 1.1));
            }
            let rl = || route.to_string();
            for (j, le) in LE.iter().enumerate() {
                let vals = cumulate(0.0, buckets[j].iter().copied());
                b.push(
                    f_dur,
                    base(vec![
                        ("__name__", "http_request_duration_seconds_bucket".into()),
                        ("route", rl()),
                        ("le", format!("{le}")),
                    ]),
                    &ts,
                    vals,
                );
            }
            b.push(
                f_dur,
                base(vec![
                    ("__name__", "http_request_duration_seconds_bucket".into()),
                    ("route", rl()),
                    ("le", "+Inf".into()),
                ]),
                &ts,
                cumulate(0.0, n.iter().copied()),
            );
            b.push(
                f_dur,
                base(vec![
                    ("__name__", "http_request_duration_seconds_sum".into()),
                    ("route", rl()),
                ]),
                &ts,
                cumulate(0.0, sums.into_iter()),
            );
            b.push(
                f_dur,
                base(vec![
                    ("__name__", "http_request_duration_seconds_count".into()),
                    ("route", rl()),
                ]),
                &ts,
                cumulate(0.0, n.iter().copied()),
            );
        }
        // Process gauges and counters.
        let mut pages = rng.range(30_000.0, 80_000.0);
        let mem: Vec<f64> = (0..steps)
            .map(|_| {
                pages = (pages + rng.range(-300.0, 310.0)).max(10_000.0);
                pages.round() * 4096.0
            })
            .collect();
        b.push(
            f_mem,
            base(vec![("__name__", "process_resident_memory_bytes".into())]),
            &ts,
            mem,
        );
        let mut g = rng.range(50.0, 300.0);
        let gor: Vec<f64> = (0..steps)
            .map(|_| {
                g = (g + rng.range(-5.0, 5.0)).max(10.0);
                g.round()
            })
            .collect();
        b.push(
            f_gor,
            base(vec![("__name__", "go_goroutines".into())]),
            &ts,
            gor,
        );
        let pcpu = cumulate(
            (rng.below(100_000) as f64) / 100.0,
            (0..steps).map(|_| (rng.range(0.5, 3.0) * 100.0).round() / 100.0),
        );
        b.push(
            f_pcpu,
            base(vec![("__name__", "process_cpu_seconds_total".into())]),
            &ts,
            pcpu,
        );
        for q in 0..10 {
            let mut d = rng.range(0.0, 50.0);
            let vals: Vec<f64> = (0..steps)
                .map(|_| {
                    d = (d + rng.range(-3.0, 3.0)).clamp(0.0, 500.0);
                    d.round()
                })
                .collect();
            b.push(
                f_q,
                base(vec![
                    ("__name__", "queue_depth".into()),
                    ("queue", format!("q{q}")),
                ]),
                &ts,
                vals,
            );
        }
        for dev in DEVICES {
            let rate = rng.range(1e3, 1e7);
            let vals = cumulate(
                rng.below(1 << 40) as f64,
                (0..steps).map(|_| (rate * 15.0 * rng.range(0.5, 1.5)).round()),
            );
            b.push(
                f_net,
                base(vec![
                    ("__name__", "node_network_receive_bytes_total".into()),
                    ("device", dev.to_string()),
                ]),
                &ts,
                vals,
            );
        }
        for (mode, share) in MODES {
            let vals = cumulate(
                (rng.below(10_000_000) as f64) / 100.0,
                (0..steps)
                    .map(|_| (share * 2.0 * 15.0 * rng.range(0.8, 1.2) * 100.0).round() / 100.0),
            );
            b.push(
                f_cpu,
                base(vec![
                    ("__name__", "node_cpu_seconds_total".into()),
                    ("cpu", "0".into()),
                    ("mode", mode.to_string()),
                ]),
                &ts,
                vals,
            );
        }
        for mp in MOUNTS {
            let mut free = rng.range(1e6, 2.5e7).round();
            let vals: Vec<f64> = (0..steps)
                .map(|_| {
                    if rng.below(20) == 0 {
                        free = (free - rng.below(500) as f64).max(0.0);
                    }
                    free * 4096.0
                })
                .collect();
            b.push(
                f_fs,
                base(vec![
                    ("__name__", "node_filesystem_avail_bytes".into()),
                    ("mountpoint", mp.to_string()),
                    ("fstype", "ext4".into()),
                ]),
                &ts,
                vals,
            );
        }
    }
    let min_time_ms = b
        .series
        .iter()
        .filter_map(|s| s.samples.first().map(|x| x.timestamp_ms))
        .min()
        .unwrap_or(end_aligned);
    let max_time_ms = b
        .series
        .iter()
        .filter_map(|s| s.samples.last().map(|x| x.timestamp_ms))
        .max()
        .unwrap_or(end_aligned);
    Dataset {
        series: b.series,
        families: b.families,
        min_time_ms,
        max_time_ms,
        interval_ms: interval,
        instances,
    }
}

/// The data cut into remote-write-like requests, lazily: every scrape's samples in time
/// order, one sample per `TimeSeries` (as Prometheus's shards send them), `per_request`
/// samples each, stopping after `max_samples` samples (0 = all).
pub struct Requests<'a> {
    d: &'a Dataset,
    per_request: usize,
    max_samples: usize,
    step: usize,
    next_series: usize,
    emitted: usize,
}

/// Iterator over the requests of `d` (see [`Requests`]).
pub fn requests(d: &Dataset, per_request: usize, max_samples: usize) -> Requests<'_> {
    Requests {
        d,
        per_request: per_request.max(1),
        max_samples,
        step: 0,
        next_series: 0,
        emitted: 0,
    }
}

impl Iterator for Requests<'_> {
    type Item = lakewatch_model::MetricsBatch;

    fn next(&mut self) -> Option<Self::Item> {
        let mut cur: Vec<TimeSeries> = Vec::with_capacity(self.per_request);
        while cur.len() < self.per_request {
            if self.max_samples > 0 && self.emitted >= self.max_samples {
                break;
            }
            if self.next_series == self.d.series.len() {
                self.next_series = 0;
                self.step += 1;
                if self.d.series.iter().all(|s| s.samples.len() <= self.step) {
                    break;
                }
            }
            let s = &self.d.series[self.next_series];
            self.next_series += 1;
            let Some(x) = s.samples.get(self.step) else {
                continue;
            };
            cur.push(TimeSeries {
                labels: s.labels.clone(),
                samples: vec![*x],
                ..Default::default()
            });
            self.emitted += 1;
        }
        if cur.is_empty() {
            None
        } else {
            Some(lakewatch_model::MetricsBatch {
                series: cur,
                metadata: Vec::new(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_determinism() {
        let end = 1_700_000_000_000;
        let d = generate(400, 0.5, end, 7);
        assert_eq!(d.series.len(), 400);
        assert_eq!(d.instances, 2);
        assert_eq!(d.samples(), 400 * 120);
        assert!(d.max_time_ms <= end && d.max_time_ms > end - 30_000);
        let again = generate(400, 0.5, end, 7);
        assert_eq!(d.series, again.series);
        // Counters never decrease; buckets are cumulative in `le`.
        for s in &d.series {
            let name = s.labels.metric_name().unwrap_or("");
            if name.ends_with("_total") || name.ends_with("_bucket") {
                assert!(
                    s.samples.windows(2).all(|w| w[1].value >= w[0].value),
                    "{name}"
                );
            }
        }
        let bucket = |le: &str| {
            d.series
                .iter()
                .find(|s| {
                    s.labels.get("le") == Some(le)
                        && s.labels.get("route") == Some(ROUTES[0])
                        && s.labels.get("instance") == Some("host-000:9100")
                })
                .map(|s| s.samples.clone())
                .unwrap_or_default()
        };
        let (lo, hi) = (bucket("0.1"), bucket("+Inf"));
        assert!(!lo.is_empty());
        assert!(lo.iter().zip(&hi).all(|(a, b)| a.value <= b.value));
    }

    #[test]
    fn requests_cover_every_sample_once() {
        let d = generate(200, 0.25, 1_700_000_000_000, 1);
        let reqs: Vec<_> = requests(&d, 150, 0).collect();
        assert!(reqs.iter().all(|r| r.series.len() <= 150));
        assert_eq!(
            reqs.iter().map(|r| r.sample_count()).sum::<usize>(),
            d.samples()
        );
        let capped: usize = requests(&d, 150, 1000).map(|r| r.sample_count()).sum();
        assert_eq!(capped, 1000);
    }
}
