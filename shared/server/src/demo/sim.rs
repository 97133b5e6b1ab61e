//! The simulated AI gateway: advances request counters, histograms and gauges step by step and
//! emits one sample per series per step, as a Prometheus scrape of the gateway and Redis would.
//!
//! Families (all `job="ai-gateway"` with the replica's `instance`, unless noted):
//! `http_requests_total{route,method,status}`, `http_request_duration_seconds{route,status}`,
//! `model_inference_requests_total{model,provider,status}`,
//! `model_inference_duration_seconds{model,provider}`, `tokens_used_total{model,provider,type}`,
//! `model_inference_cost_usd_total{model,provider}` (USD), `rate_limiter_hits_total{limit_type}`,
//! `circuit_breaker_state{provider}` (0 closed, 1 half-open, 2 open),
//! `circuit_breaker_trips_total{provider}`, `process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `up`; and for `job="redis"`: `redis_memory_used_bytes`,
//! `redis_memory_max_bytes`, `redis_connected_clients`, `redis_commands_processed_total`,
//! `redis_commands_total{cmd}`, `redis_commands_duration_seconds_total{cmd}` (s),
//! `redis_keyspace_hits_total`, `redis_keyspace_misses_total`, `redis_evicted_keys_total`, `up`.
//!
//! Incidents: a provider outage now and then (about every 17 min at 15 s steps, 2–6 min long:
//! most of its calls fail and the gateway's circuit breakers for it open, half-open and close
//! again) and traffic spikes (2.5–4× load, more rate-limiter refusals).

use super::breaker::Breaker;
use super::catalog::{self, Model, RouteKind, HTTP_BUCKETS, INFERENCE_BUCKETS};
use super::random::{log_normal, poisson, std_normal, trace_id, weighted};
use super::requests::{Outcome, RequestRecord};
use lakewatch_model::{Exemplar, Labels, Sample, TimeSeries};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// A classic histogram's state: per-bucket (non-cumulative) counts with the `+Inf` bucket last,
/// the sum of observations and the last observation (kept as an exemplar).
#[derive(Debug, Clone)]
struct Hist {
    bounds: &'static [f64],
    counts: Vec<f64>,
    sum: f64,
    count: f64,
    exemplar: Option<(usize, f64, i64, String)>,
}

impl Hist {
    fn new(bounds: &'static [f64]) -> Self {
        Hist {
            bounds,
            counts: vec![0.0; bounds.len() + 1],
            sum: 0.0,
            count: 0.0,
            exemplar: None,
        }
    }

    fn bucket_of(&self, v: f64) -> usize {
        self.bounds
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(self.bounds.len())
    }

    fn observe(&mut self, v: f64) -> usize {
        let i = self.bucket_of(v);
        self.counts[i] += 1.0;
        self.sum += v;
        self.count += 1.0;
        i
    }
}

/// Formats a bucket bound as Prometheus client_golang does (`0.005`, `1`, `2.5`, `+Inf`).
fn le(bounds: &[f64], i: usize) -> String {
    match bounds.get(i) {
        Some(b) => format!("{b}"),
        None => "+Inf".to_string(),
    }
}

/// The gateway simulator. Deterministic for a given seed and sequence of `step` calls.
pub struct Simulator {
    rng: StdRng,
    counters: BTreeMap<Labels, f64>,
    hists: BTreeMap<Labels, Hist>,
    outage: Option<(usize, i64)>,
    spike: Option<(f64, i64)>,
    /// Circuit breakers by gateway instance, then by provider (index in `catalog::PROVIDERS`).
    breakers: Vec<Vec<Breaker>>,
    /// Multiplier of every route's request rate (1.0 = `catalog::base_rps()` requests/s).
    rate_scale: f64,
    /// `redis_memory_used_bytes` of the last step.
    last_redis_memory: f64,
    /// Requests simulated since the last [`Simulator::take_requests`].
    requests: Vec<RequestRecord>,
}

/// What one step's requests did, for the Redis and process series.
#[derive(Debug, Default, Clone, Copy)]
struct StepTally {
    /// Requests on a model route (chat, completions, embeddings).
    model_routes: u64,
    /// Requests on a static route.
    static_routes: u64,
    /// Successful model calls.
    completed: u64,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

impl Simulator {
    /// A fresh gateway (all counters at zero, as after a process start).
    pub fn new(seed: u64) -> Self {
        Simulator {
            rng: StdRng::seed_from_u64(seed),
            counters: BTreeMap::new(),
            hists: BTreeMap::new(),
            outage: None,
            spike: None,
            breakers: vec![
                vec![Breaker::default(); catalog::PROVIDERS.len()];
                catalog::GATEWAY_INSTANCES.len()
            ],
            rate_scale: 1.0,
            last_redis_memory: 0.0,
            requests: Vec::new(),
        }
    }

    /// The same gateway serving `rps` requests per second on average over both replicas
    /// (default [`catalog::base_rps`], about 15). Non-finite or negative rates count as 0.
    pub fn with_rate(mut self, rps: f64) -> Self {
        let rps = if rps.is_finite() { rps.max(0.0) } else { 0.0 };
        self.rate_scale = rps / catalog::base_rps();
        self
    }

    /// The provider with an ongoing outage at the last step, if any.
    pub fn outage_provider(&self) -> Option<&'static str> {
        self.outage.map(|(p, _)| catalog::PROVIDERS[p].name)
    }

    /// The requests simulated since the last call (in simulation order; each carries the
    /// `trace_id` its exemplars use), for the demo's request logs.
    pub fn take_requests(&mut self) -> Vec<RequestRecord> {
        std::mem::take(&mut self.requests)
    }

    fn inc(&mut self, l: Labels, by: f64) {
        *self.counters.entry(l).or_insert(0.0) += by;
    }

    /// Observes `v` in the histogram `l`; `trace` (the request's trace id) becomes the
    /// bucket's exemplar when given.
    fn observe(
        &mut self,
        l: Labels,
        bounds: &'static [f64],
        v: f64,
        t_ms: i64,
        trace: Option<&str>,
    ) {
        let h = self.hists.entry(l).or_insert_with(|| Hist::new(bounds));
        let i = h.observe(v);
        if let Some(t) = trace {
            h.exemplar = Some((i, v, t_ms, t.to_string()));
        }
    }

    /// Relative load at `t_ms`: slow and fast waves around 1.0, times a traffic spike if active.
    fn load(&self, t_ms: i64) -> f64 {
        let t = t_ms as f64 / 1000.0;
        let tau = std::f64::consts::TAU;
        let base = 1.0 + 0.35 * (tau * t / 10_800.0).sin() + 0.1 * (tau * t / 1_020.0).sin();
        base * self.spike.map(|(f, _)| f).unwrap_or(1.0)
    }

    fn update_incidents(&mut self, t_ms: i64) {
        if matches!(self.outage, Some((_, until)) if until <= t_ms) {
            self.outage = None;
        }
        if matches!(self.spike, Some((_, until)) if until <= t_ms) {
            self.spike = None;
        }
        if self.outage.is_none() && self.rng.random::<f64>() < 0.015 {
            let p = self.rng.random_range(0..catalog::PROVIDERS.len());
            let dur = self.rng.random_range(120_000..360_000);
            self.outage = Some((p, t_ms + dur));
        }
        if self.spike.is_none() && self.rng.random::<f64>() < 0.005 {
            let f = self.rng.random_range(2.5..4.0);
            let dur = self.rng.random_range(180_000..480_000);
            self.spike = Some((f, t_ms + dur));
        }
    }

    fn pick_model(&mut self, kind: RouteKind) -> Model {
        let models: Vec<Model> = catalog::MODELS
            .iter()
            .filter(|m| m.kind == kind)
            .copied()
            .collect();
        let weights: Vec<f64> = models.iter().map(|m| m.weight).collect();
        models[weighted(&mut self.rng, &weights)]
    }

    /// One request through the gateway at `t_ms` with trace id `trace`; returns (HTTP status,
    /// HTTP latency in s, what happened).
    fn request(
        &mut self,
        ii: usize,
        kind: RouteKind,
        t_ms: i64,
        trace: &str,
    ) -> (&'static str, f64, Outcome) {
        let instance = catalog::GATEWAY_INSTANCES[ii];
        let gw = log_normal(&mut self.rng, 0.004, 0.3);
        if kind == RouteKind::Static {
            if self.rng.random::<f64>() < 0.001 {
                return ("500", gw, Outcome::InternalError);
            }
            return ("200", gw, Outcome::Served);
        }
        if self.rng.random::<f64>() < 0.005 {
            return ("400", gw, Outcome::BadRequest);
        }
        let limit_p = if self.spike.is_some() { 0.08 } else { 0.01 };
        if self.rng.random::<f64>() < limit_p {
            let w: Vec<f64> = catalog::LIMIT_TYPES.iter().map(|(_, w)| *w).collect();
            let lt = catalog::LIMIT_TYPES[weighted(&mut self.rng, &w)].0;
            self.inc(
                labels(&[
                    ("__name__", "rate_limiter_hits_total"),
                    ("job", catalog::GATEWAY_JOB),
                    ("instance", instance),
                    ("limit_type", lt),
                ]),
                1.0,
            );
            return ("429", gw * 0.5, Outcome::RateLimited(lt));
        }
        let m = self.pick_model(kind);
        let pi = catalog::PROVIDERS
            .iter()
            .position(|p| p.name == m.provider)
            .unwrap_or(0);
        let provider = catalog::PROVIDERS[pi];
        if !self.breakers[ii][pi].allow(&mut self.rng) {
            return ("503", gw * 1.5, Outcome::CircuitOpen { model: m });
        }
        let down = matches!(self.outage, Some((p, _)) if p == pi);
        let err_p = if down { 0.6 } else { provider.error_rate };
        let failed = self.rng.random::<f64>() < err_p;
        self.breakers[ii][pi].record(!failed);
        let latency = if failed {
            log_normal(&mut self.rng, 2.5, 0.9).min(60.0)
        } else {
            log_normal(
                &mut self.rng,
                m.median_latency_s * provider.latency_factor,
                0.45,
            )
        };
        let status = if failed { "error" } else { "success" };
        let base = [
            ("job", catalog::GATEWAY_JOB),
            ("instance", instance),
            ("model", m.name),
            ("provider", m.provider),
        ];
        let mut l = base.to_vec();
        l.push(("__name__", "model_inference_requests_total"));
        l.push(("status", status));
        self.inc(labels(&l), 1.0);
        let mut l = base.to_vec();
        l.push(("__name__", "model_inference_duration_seconds"));
        let with_trace = self.rng.random::<f64>() < 0.2;
        self.observe(
            labels(&l),
            &INFERENCE_BUCKETS,
            latency,
            t_ms,
            with_trace.then_some(trace),
        );
        let (mut prompt_tokens, mut completion_tokens) = (0u64, 0u64);
        if !failed {
            let prompt_median = if kind == RouteKind::Embed {
                180.0
            } else {
                450.0
            };
            let prompt = log_normal(&mut self.rng, prompt_median, 0.6).round();
            prompt_tokens = prompt as u64;
            let mut l = base.to_vec();
            l.push(("__name__", "tokens_used_total"));
            l.push(("type", "prompt"));
            self.inc(labels(&l), prompt);
            if kind == RouteKind::Chat {
                let completion = log_normal(&mut self.rng, 220.0, 0.7).round();
                completion_tokens = completion as u64;
                let mut l = base.to_vec();
                l.push(("__name__", "tokens_used_total"));
                l.push(("type", "completion"));
                self.inc(labels(&l), completion);
            }
            let cost = (prompt_tokens as f64 * m.input_usd_per_mtok
                + completion_tokens as f64 * m.output_usd_per_mtok)
                / 1e6;
            let mut l = base.to_vec();
            l.push(("__name__", "model_inference_cost_usd_total"));
            self.inc(labels(&l), cost);
        }
        let http_status = match (failed, self.rng.random::<f64>() < 0.7) {
            (false, _) => "200",
            (true, true) => "502",
            (true, false) => "503",
        };
        let outcome = if failed {
            Outcome::ProviderError {
                model: m,
                provider_down: down,
            }
        } else {
            Outcome::Completed {
                model: m,
                prompt_tokens,
                completion_tokens,
            }
        };
        (http_status, latency + gw, outcome)
    }

    /// Advances the gateway by `step_s` seconds ending at `t_ms` (ms since epoch) and returns
    /// one sample at `t_ms` for every series that exists so far, with exemplars (`trace_id`) on
    /// some histogram buckets.
    pub fn step(&mut self, t_ms: i64, step_s: f64) -> Vec<TimeSeries> {
        self.update_incidents(t_ms);
        let step_ms = (step_s * 1000.0) as i64;
        let load = self.load(t_ms);
        let mut tally = StepTally::default();
        let mut per_instance = [0u64; catalog::GATEWAY_INSTANCES.len()];
        for (ii, instance) in catalog::GATEWAY_INSTANCES.into_iter().enumerate() {
            for route in catalog::ROUTES {
                let share = route.rps * self.rate_scale / catalog::GATEWAY_INSTANCES.len() as f64;
                let n = poisson(&mut self.rng, share * load * step_s);
                per_instance[ii] += n;
                if route.kind == RouteKind::Static {
                    tally.static_routes += n;
                } else {
                    tally.model_routes += n;
                }
                for _ in 0..n {
                    let at = t_ms - self.rng.random_range(0..step_ms.max(1));
                    let trace = trace_id(&mut self.rng);
                    let (status, latency, outcome) = self.request(ii, route.kind, at, &trace);
                    if matches!(outcome, Outcome::Completed { .. }) {
                        tally.completed += 1;
                    }
                    let mut l = vec![
                        ("job", catalog::GATEWAY_JOB),
                        ("instance", instance),
                        ("route", route.path),
                        ("status", status),
                    ];
                    let with_trace = self.rng.random::<f64>() < 0.1;
                    l.push(("__name__", "http_request_duration_seconds"));
                    self.observe(
                        labels(&l),
                        &HTTP_BUCKETS,
                        latency,
                        at,
                        with_trace.then_some(trace.as_str()),
                    );
                    l.pop();
                    l.push(("__name__", "http_requests_total"));
                    l.push(("method", route.method));
                    self.inc(labels(&l), 1.0);
                    let user = self.rng.random_range(1..=catalog::USERS);
                    // Sub-millisecond part of the request's end time, as a real clock has.
                    let sub_ms_ns = self.rng.random_range(0..1_000_000);
                    self.requests.push(RequestRecord {
                        timestamp_ns: at * 1_000_000 + sub_ms_ns,
                        instance,
                        method: route.method,
                        route: route.path,
                        status,
                        duration_s: latency,
                        trace_id: trace,
                        user_id: format!("user-{user:04}"),
                        outcome,
                    });
                }
            }
        }
        for per_provider in &mut self.breakers {
            for b in per_provider.iter_mut() {
                b.end_step(t_ms, &mut self.rng);
            }
        }
        self.process_step(step_s, &per_instance);
        self.redis_step(step_s, tally);
        self.emit(t_ms, load)
    }

    /// Advances `process_cpu_seconds_total` of each replica: a base of 0.05 cores plus about
    /// 6 ms of CPU per request.
    fn process_step(&mut self, step_s: f64, per_instance: &[u64]) {
        for (ii, instance) in catalog::GATEWAY_INSTANCES.into_iter().enumerate() {
            let requests = per_instance.get(ii).copied().unwrap_or(0) as f64;
            let noise = (1.0 + 0.1 * std_normal(&mut self.rng)).max(0.5);
            let cpu = (0.05 * step_s + 0.006 * requests) * noise;
            self.inc(
                labels(&[
                    ("__name__", "process_cpu_seconds_total"),
                    ("job", catalog::GATEWAY_JOB),
                    ("instance", instance),
                ]),
                cpu,
            );
        }
    }

    /// Advances the Redis exporter's counters: per model-route request a rate-limit `evalsha`,
    /// an `incr`, a cache `get` (a miss about 12 % of the time); per completed call a `set` and
    /// an `expire`; per static request an `hgetall`; plus background `ping`, `info` and `get`.
    fn redis_step(&mut self, step_s: f64, tally: StepTally) {
        let bg_get = poisson(&mut self.rng, 25.0 * step_s);
        let gets = tally.model_routes + bg_get;
        let counts = [
            ("get", gets),
            ("set", tally.completed),
            ("evalsha", tally.model_routes),
            ("incr", tally.model_routes),
            ("expire", tally.completed),
            ("hgetall", tally.static_routes),
            ("ping", poisson(&mut self.rng, 10.0 * step_s)),
            ("info", poisson(&mut self.rng, 0.2 * step_s)),
        ];
        let redis = |name: &str| {
            labels(&[
                ("__name__", name),
                ("job", catalog::REDIS_JOB),
                ("instance", catalog::REDIS_INSTANCE),
            ])
        };
        let mut total = 0;
        for (cmd, n) in counts {
            total += n;
            let mean_us = catalog::REDIS_COMMANDS
                .iter()
                .find(|(c, _)| *c == cmd)
                .map(|(_, us)| *us)
                .unwrap_or(2.0);
            let per_call_s = log_normal(&mut self.rng, mean_us, 0.15) / 1e6;
            let mut l = redis("redis_commands_total");
            l.set("cmd", cmd);
            self.inc(l, n as f64);
            let mut l = redis("redis_commands_duration_seconds_total");
            l.set("cmd", cmd);
            self.inc(l, n as f64 * per_call_s);
        }
        self.inc(redis("redis_commands_processed_total"), total as f64);
        let miss_p = (0.12 + 0.02 * std_normal(&mut self.rng)).clamp(0.02, 0.5);
        let misses = (gets as f64 * miss_p).round();
        self.inc(redis("redis_keyspace_misses_total"), misses);
        self.inc(redis("redis_keyspace_hits_total"), gets as f64 - misses);
        let evict_rate = if self.redis_memory_pressure() {
            4.0
        } else {
            0.05
        };
        let evicted = poisson(&mut self.rng, evict_rate * step_s);
        self.inc(redis("redis_evicted_keys_total"), evicted as f64);
    }

    /// Whether Redis memory is near `maxmemory` (the last emitted `redis_memory_used_bytes`
    /// above 80 % of it), when it evicts keys.
    fn redis_memory_pressure(&self) -> bool {
        self.last_redis_memory > 0.8 * catalog::REDIS_MAX_MEMORY_BYTES
    }

    fn gauge(name: &str, job: &str, instance: &str, t_ms: i64, v: f64) -> TimeSeries {
        TimeSeries {
            labels: labels(&[("__name__", name), ("job", job), ("instance", instance)]),
            samples: vec![Sample {
                timestamp_ms: t_ms,
                value: v,
            }],
            ..Default::default()
        }
    }

    fn emit(&mut self, t_ms: i64, load: f64) -> Vec<TimeSeries> {
        let mut out = Vec::new();
        let sample = |v: f64| {
            vec![Sample {
                timestamp_ms: t_ms,
                value: v,
            }]
        };
        for (l, v) in &self.counters {
            out.push(TimeSeries {
                labels: l.clone(),
                samples: sample(*v),
                ..Default::default()
            });
        }
        for (l, h) in &mut self.hists {
            let base = l.metric_name().unwrap_or_default().to_string();
            let mut cumulative = 0.0;
            for i in 0..h.counts.len() {
                cumulative += h.counts[i];
                let mut bl = l.clone();
                bl.set("__name__", &format!("{base}_bucket"));
                bl.set("le", &le(h.bounds, i));
                let mut exemplars = Vec::new();
                if let Some((bi, v, ts, trace)) = &h.exemplar {
                    if *bi == i {
                        exemplars.push(Exemplar {
                            labels: labels(&[("trace_id", trace)]),
                            value: *v,
                            timestamp_ms: *ts,
                        });
                    }
                }
                out.push(TimeSeries {
                    labels: bl,
                    samples: sample(cumulative),
                    exemplars,
                    ..Default::default()
                });
            }
            h.exemplar = None;
            for (suffix, v) in [("_sum", h.sum), ("_count", h.count)] {
                let mut sl = l.clone();
                sl.set("__name__", &format!("{base}{suffix}"));
                out.push(TimeSeries {
                    labels: sl,
                    samples: sample(v),
                    ..Default::default()
                });
            }
        }
        for instance in catalog::GATEWAY_INSTANCES {
            out.push(Self::gauge("up", catalog::GATEWAY_JOB, instance, t_ms, 1.0));
        }
        out.push(Self::gauge(
            "up",
            catalog::REDIS_JOB,
            catalog::REDIS_INSTANCE,
            t_ms,
            1.0,
        ));
        let t = t_ms as f64 / 1000.0;
        let tau = std::f64::consts::TAU;
        let mib = 1024.0 * 1024.0;
        let mem = 180.0 * mib
            + 25.0 * mib * (tau * t / 7_200.0).sin()
            + 12.0 * mib * (load - 1.0)
            + mib * std_normal(&mut self.rng);
        self.last_redis_memory = mem;
        let clients = (20.0 + 8.0 * load + 1.5 * std_normal(&mut self.rng))
            .round()
            .max(1.0);
        out.push(Self::gauge(
            "redis_memory_used_bytes",
            catalog::REDIS_JOB,
            catalog::REDIS_INSTANCE,
            t_ms,
            mem.round(),
        ));
        out.push(Self::gauge(
            "redis_connected_clients",
            catalog::REDIS_JOB,
            catalog::REDIS_INSTANCE,
            t_ms,
            clients,
        ));
        out.push(Self::gauge(
            "redis_memory_max_bytes",
            catalog::REDIS_JOB,
            catalog::REDIS_INSTANCE,
            t_ms,
            catalog::REDIS_MAX_MEMORY_BYTES,
        ));
        for (ii, instance) in catalog::GATEWAY_INSTANCES.into_iter().enumerate() {
            // RSS: ~420 MiB per replica, growing with load, with a slow GC-like saw.
            let rss = 420.0 * mib
                + 60.0 * mib * load
                + 15.0 * mib * ((t / 900.0 + ii as f64 * 0.37).fract())
                + 2.0 * mib * std_normal(&mut self.rng);
            out.push(Self::gauge(
                "process_resident_memory_bytes",
                catalog::GATEWAY_JOB,
                instance,
                t_ms,
                rss.round(),
            ));
            for (pi, p) in catalog::PROVIDERS.iter().enumerate() {
                let b = &self.breakers[ii][pi];
                let l = labels(&[
                    ("job", catalog::GATEWAY_JOB),
                    ("instance", instance),
                    ("provider", p.name),
                ]);
                let mut state = l.clone();
                state.set("__name__", "circuit_breaker_state");
                let mut trips = l;
                trips.set("__name__", "circuit_breaker_trips_total");
                for (labels, v) in [(state, b.state().gauge()), (trips, b.trips() as f64)] {
                    out.push(TimeSeries {
                        labels,
                        samples: sample(v),
                        ..Default::default()
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(series: &[TimeSeries], pairs: &[(&str, &str)]) -> Option<f64> {
        series
            .iter()
            .find(|s| pairs.iter().all(|(n, v)| s.labels.get(n) == Some(*v)))
            .map(|s| s.samples[0].value)
    }

    #[test]
    fn counters_grow_and_histograms_are_cumulative() {
        let mut sim = Simulator::new(7);
        let t0 = 1_700_000_000_000;
        let first = sim.step(t0, 15.0);
        let mut last = first.clone();
        for i in 1..40 {
            last = sim.step(t0 + i * 15_000, 15.0);
        }
        let q = [
            ("__name__", "http_requests_total"),
            ("instance", "gateway-0:8000"),
            ("route", "/v1/chat/completions"),
            ("status", "200"),
        ];
        let a = value(&first, &q).unwrap();
        let b = value(&last, &q).unwrap();
        // about 4.5 req/s on this replica for 585 s
        assert!(b > a && b - a > 1000.0, "{a} {b}");

        for s in &last {
            assert_eq!(s.samples.len(), 1);
            assert_eq!(s.samples[0].timestamp_ms, t0 + 39 * 15_000);
        }
        // buckets are cumulative and +Inf equals _count
        let base = [
            ("instance", "gateway-1:8000"),
            ("route", "/v1/embeddings"),
            ("status", "200"),
        ];
        let mut prev = 0.0;
        for i in 0..=HTTP_BUCKETS.len() {
            let le_v = le(&HTTP_BUCKETS, i);
            let mut q = base.to_vec();
            q.push(("__name__", "http_request_duration_seconds_bucket"));
            q.push(("le", &le_v));
            let v = value(&last, &q).unwrap();
            assert!(v >= prev);
            prev = v;
        }
        let mut q = base.to_vec();
        q.push(("__name__", "http_request_duration_seconds_count"));
        assert_eq!(value(&last, &q), Some(prev));
        // exemplars carry a trace_id
        assert!(last.iter().flat_map(|s| &s.exemplars).any(|e| e
            .labels
            .get("trace_id")
            .map(|t| t.len())
            == Some(32)));
        // every family is present
        for name in [
            "model_inference_requests_total",
            "model_inference_duration_seconds_bucket",
            "tokens_used_total",
            "redis_memory_used_bytes",
            "redis_connected_clients",
            "redis_commands_processed_total",
            "rate_limiter_hits_total",
        ] {
            assert!(
                last.iter().any(|s| s.labels.metric_name() == Some(name)),
                "{name}"
            );
        }
    }

    #[test]
    fn outages_open_breakers_which_half_open_and_close_again() {
        let mut sim = Simulator::new(11);
        let t0 = 1_700_000_000_000;
        let started = std::time::Instant::now();
        // provider -> states seen while (and after) it had an outage
        let mut seen: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut last = Vec::new();
        for i in 0..720 {
            last = sim.step(t0 + i * 15_000, 15.0);
            sim.take_requests();
            if let Some(p) = sim.outage_provider() {
                seen.entry(p).or_default();
            }
            for (p, states) in seen.iter_mut() {
                let v = value(
                    &last,
                    &[
                        ("__name__", "circuit_breaker_state"),
                        ("instance", "gateway-0:8000"),
                        ("provider", p),
                    ],
                );
                states.push(v.unwrap_or(-1.0));
            }
        }
        eprintln!(
            "3 h simulated in {:?}; {} series per step; outages: {:?}",
            started.elapsed(),
            last.len(),
            seen.keys().collect::<Vec<_>>()
        );
        // Some outage opened a breaker, which half-opened and closed again afterwards.
        let cycled = seen.values().any(|states| {
            let open = states.iter().position(|v| *v == 2.0);
            open.is_some_and(|o| {
                let half = states[o..].iter().position(|v| *v == 1.0).map(|h| h + o);
                half.is_some_and(|h| states[h..].contains(&0.0))
            })
        });
        assert!(cycled, "{seen:?}");
        let trips: f64 = last
            .iter()
            .filter(|s| s.labels.metric_name() == Some("circuit_breaker_trips_total"))
            .map(|s| s.samples[0].value)
            .sum();
        assert!(trips >= 1.0);
        // One breaker state per instance and provider.
        let states = last
            .iter()
            .filter(|s| s.labels.metric_name() == Some("circuit_breaker_state"))
            .count();
        assert_eq!(states, 2 * catalog::PROVIDERS.len());
        // Cost grows with tokens; Redis hits + misses equal the cache reads.
        let cost = value(
            &last,
            &[
                ("__name__", "model_inference_cost_usd_total"),
                ("model", "gpt-4o"),
            ],
        );
        assert!(cost.is_some_and(|c| c > 1.0), "{cost:?}");
        let hits = value(&last, &[("__name__", "redis_keyspace_hits_total")]).unwrap_or(0.0);
        let misses = value(&last, &[("__name__", "redis_keyspace_misses_total")]).unwrap_or(0.0);
        let gets = value(
            &last,
            &[("__name__", "redis_commands_total"), ("cmd", "get")],
        )
        .unwrap_or(0.0);
        assert_eq!(hits + misses, gets);
        assert!(misses > 0.0 && hits > 5.0 * misses);
    }

    #[test]
    fn rate_scales_the_traffic() {
        let count = |sim: &mut Simulator| {
            (0..20)
                .map(|i| {
                    sim.step(1_700_000_000_000 + i * 15_000, 15.0);
                    sim.take_requests().len()
                })
                .sum::<usize>() as f64
        };
        let base = count(&mut Simulator::new(4));
        let quad = count(&mut Simulator::new(4).with_rate(4.0 * catalog::base_rps()));
        assert!((quad / base - 4.0).abs() < 0.4, "{base} {quad}");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let mut a = Simulator::new(3);
        let mut b = Simulator::new(3);
        assert_eq!(a.step(1_000_000, 15.0), b.step(1_000_000, 15.0));
    }
}
