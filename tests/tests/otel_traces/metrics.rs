//! Metrics from the sent spans: TraceQL metrics (`/api/metrics/query_range`,
//! `/api/metrics/query`) and the metrics-generator series written at ingest
//! (`traces_spanmetrics_*`, `traces_service_graph_*`) read through PromQL `/api/v1/query`.

use super::sent::Span;
use super::tempo::jsonpb_any_value;
use super::{Fixture, TENANT};
use lakewatch_e2e::checks::{ensure, eventually, Checks};
use lakewatch_e2e::client::PromApi;
use lakewatch_e2e::compare::{parse_value, values_equal};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long span-metric series may take to appear (a generator flush, a service-graph wait).
const SPAN_METRICS_WAIT: Duration = Duration::from_secs(30);
/// Step of the range queries, seconds.
const STEP_S: u64 = 60;

/// `labels` of a TraceQL metrics series as `k=v,…` (sorted).
fn series_key(labels: &Value) -> Result<String, String> {
    let mut pairs: Vec<String> = labels
        .as_array()
        .into_iter()
        .flatten()
        .map(|kv| {
            let v = jsonpb_any_value(&kv["value"])?;
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            Ok(format!("{}={v}", kv["key"].as_str().unwrap_or_default()))
        })
        .collect::<Result<_, String>>()?;
    pairs.sort();
    Ok(pairs.join(","))
}

/// A jsonpb double (`1.5`, `"NaN"`; absent = 0, as jsonpb omits zero).
fn jsonpb_f64(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.parse().unwrap_or(f64::NAN),
        _ => 0.0,
    }
}

fn counts_by<'a>(
    spans: impl Iterator<Item = &'a Span>,
    key: impl Fn(&Span) -> String,
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for s in spans {
        *out.entry(key(s)).or_insert(0.0) += 1.0;
    }
    out
}

fn same_values(got: &BTreeMap<String, f64>, want: &BTreeMap<String, f64>) -> Result<(), String> {
    ensure(
        got.len() == want.len()
            && got
                .iter()
                .zip(want)
                .all(|((gk, gv), (wk, wv))| gk == wk && values_equal(*gv, *wv)),
        || format!("got {got:?}\n      want {want:?}"),
    )
}

/// How the samples of a range answer are reduced to one number.
#[derive(Clone, Copy)]
enum Reduce {
    /// Σ samples × the factor (the step for a rate).
    Sum(f64),
    Max,
    Min,
}

impl Reduce {
    fn apply(self, v: &[f64]) -> f64 {
        match self {
            Reduce::Sum(k) => v.iter().sum::<f64>() * k,
            Reduce::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Reduce::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }

    fn describe(self) -> String {
        match self {
            Reduce::Sum(k) if k != 1.0 => "Σ samples × step".into(),
            Reduce::Sum(_) => "Σ samples".into(),
            Reduce::Max => "max of samples".into(),
            Reduce::Min => "min of samples".into(),
        }
    }
}

/// One range query and its reduced expectation.
struct RangeCase {
    q: &'static str,
    reduce: Reduce,
    /// Reduce over all series together (labels ignored).
    collapse: bool,
    want: BTreeMap<String, f64>,
}

/// Runs the TraceQL metrics checks for `phase`.
pub async fn check_traceql_metrics(fx: &Fixture, phase: &str, c: &mut Checks) {
    let (ws, we) = fx.window_s();
    let sent = &fx.sent;
    let range = |q: &str| {
        vec![
            ("q", q.to_string()),
            ("start", ws.to_string()),
            ("end", we.to_string()),
            ("step", format!("{STEP_S}s")),
        ]
    };
    // Range: per series, the samples reduced (Σ, × step for a rate; max; min) = what was sent.
    let chat = || sent.spans.iter().filter(|s| s.name.starts_with("chat "));
    let tokens = || chat().filter_map(|s| s.attr("gen_ai.usage.input_tokens")?.as_i64());
    let one = |v: f64| BTreeMap::from([(String::new(), v)]);
    let cases: Vec<RangeCase> = vec![
        RangeCase {
            q: "{ } | rate() by (resource.service.name)",
            reduce: Reduce::Sum(STEP_S as f64),
            collapse: false,
            want: counts_by(sent.spans.iter(), |s| {
                format!("resource.service.name={}", s.service)
            }),
        },
        RangeCase {
            q: "{ span.gen_ai.request.model = \"gpt-4o\" } | count_over_time() by (span.gen_ai.request.model)",
            reduce: Reduce::Sum(1.0),
            collapse: false,
            want: counts_by(
                sent.spans
                    .iter()
                    .filter(|s| s.attr_is("gen_ai.request.model", "gpt-4o")),
                |_| "span.gen_ai.request.model=gpt-4o".to_string(),
            ),
        },
        RangeCase {
            q: "{ kind = server } | count_over_time() by (resource.service.name, status)",
            reduce: Reduce::Sum(1.0),
            collapse: false,
            want: counts_by(sent.spans.iter().filter(|s| s.kind == "SERVER"), |s| {
                format!(
                    "resource.service.name={},status={}",
                    s.service,
                    s.status.to_lowercase()
                )
            }),
        },
        RangeCase {
            q: "{ name =~ \"chat .*\" } | sum_over_time(span.gen_ai.usage.input_tokens)",
            reduce: Reduce::Sum(1.0),
            collapse: true,
            want: one(tokens().sum::<i64>() as f64),
        },
        RangeCase {
            q: "{ name =~ \"chat .*\" } | max_over_time(span.gen_ai.usage.input_tokens)",
            reduce: Reduce::Max,
            collapse: true,
            want: one(tokens().max().unwrap_or(0) as f64),
        },
        RangeCase {
            q: "{ name =~ \"chat .*\" } | min_over_time(span.gen_ai.usage.input_tokens)",
            reduce: Reduce::Min,
            collapse: true,
            want: one(tokens().min().unwrap_or(0) as f64),
        },
        RangeCase {
            q: "{ kind = server } | histogram_over_time(duration)",
            reduce: Reduce::Sum(1.0),
            collapse: true,
            want: one(sent.spans.iter().filter(|s| s.kind == "SERVER").count() as f64),
        },
    ];
    for case in cases {
        let r = fx
            .api
            .json("/api/metrics/query_range", &range(case.q))
            .await;
        c.record(
            phase,
            &format!(
                "metrics query_range {} (step {STEP_S}s): {}{} = {:?}",
                case.q,
                case.reduce.describe(),
                if case.collapse {
                    " over all series"
                } else {
                    " per series"
                },
                case.want
            ),
            r.and_then(|b| {
                let mut got: BTreeMap<String, Vec<f64>> = BTreeMap::new();
                for s in b["series"]
                    .as_array()
                    .ok_or_else(|| format!("no series: {b}"))?
                {
                    let key = if case.collapse {
                        String::new()
                    } else {
                        series_key(&s["labels"])?
                    };
                    got.entry(key).or_default().extend(
                        s["samples"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|p| jsonpb_f64(&p["value"])),
                    );
                }
                let got = got
                    .into_iter()
                    .map(|(k, v)| (k, case.reduce.apply(&v)))
                    .collect();
                same_values(&got, &case.want)
            }),
        );
    }

    // Instant: one value per series over [start, end].
    let q = "{ status = error } | count_over_time() by (resource.service.name)";
    let want = counts_by(sent.spans.iter().filter(|s| s.status == "ERROR"), |s| {
        format!("resource.service.name={}", s.service)
    });
    let p = vec![
        ("q", q.to_string()),
        ("start", ws.to_string()),
        ("end", we.to_string()),
    ];
    let r = fx.api.json("/api/metrics/query", &p).await;
    c.record(
        phase,
        &format!("metrics query (instant) {q} = {want:?}"),
        r.and_then(|b| {
            let mut got = BTreeMap::new();
            for s in b["series"]
                .as_array()
                .ok_or_else(|| format!("no series: {b}"))?
            {
                got.insert(series_key(&s["labels"])?, jsonpb_f64(&s["value"]));
            }
            same_values(&got, &want)
        }),
    );

    let bad = range("{ } | rate(");
    let r = fx.api.get("/api/metrics/query_range", &bad, None).await;
    c.record(
        phase,
        "metrics query_range with malformed TraceQL is a 400",
        r.and_then(|r| ensure(r.status == 400, || format!("HTTP {}", r.status))),
    );
}

/// A bucket bound as Prometheus formats `le` (Go `strconv.FormatFloat(f, 'f', -1, 64)`).
fn prom_float(v: f64) -> String {
    format!("{v}")
}

/// An instant PromQL vector as `label=value,…` → value.
async fn prom_vector(api: &PromApi, q: &str, at: f64) -> Result<BTreeMap<String, f64>, String> {
    let r = api.query(q, at).await?;
    let d = r.data().ok_or_else(|| r.error().unwrap_or_default())?;
    let mut out = BTreeMap::new();
    for s in d["result"].as_array().into_iter().flatten() {
        let mut labels: Vec<String> = s["metric"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        labels.sort();
        let v = parse_value(&s["value"][1]).ok_or("bad sample value")?;
        out.insert(labels.join(","), v);
    }
    Ok(out)
}

/// Runs the span-metric and service-graph checks (PromQL at the current time).
pub async fn check_span_metrics(fx: &Fixture, phase: &str, c: &mut Checks) {
    let api = PromApi::new(&fx.server.base_url(), Some(TENANT));
    let sent = &fx.sent;
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    };
    let calls = counts_by(sent.spans.iter(), |s| {
        format!(
            "service={},span_kind=SPAN_KIND_{},span_name={},status_code=STATUS_CODE_{}",
            s.service, s.kind, s.name, s.status
        )
    });
    let per_service = counts_by(sent.spans.iter(), |s| format!("service={}", s.service));
    let mut latency_sum = BTreeMap::new();
    for s in &sent.spans {
        *latency_sum
            .entry(format!("service={}", s.service))
            .or_insert(0.0) += s.duration_ns() as f64 / 1e9;
    }
    // Service-graph edges: provider SERVER spans whose parent is a gateway CLIENT span.
    let traces = sent.traces();
    let mut pairs = 0.0;
    let mut failed = 0.0;
    for spans in traces.values() {
        for s in spans.iter().filter(|s| s.service == "llm-provider-openai") {
            let parent = spans
                .iter()
                .find(|p| Some(&p.span_id) == s.parent_span_id.as_ref());
            if let Some(p) = parent.filter(|p| p.service == "ai-gateway") {
                pairs += 1.0;
                if p.status == "ERROR" || s.status == "ERROR" {
                    failed += 1.0;
                }
            }
        }
    }
    let redis = sent
        .spans
        .iter()
        .filter(|s| s.attr_is("db.system", "redis"))
        .count() as f64;
    // Tempo's default span-metric buckets, ExponentialBuckets(0.002, 2, 14), cumulative.
    let mut latency_buckets = BTreeMap::new();
    let gateway: Vec<f64> = sent
        .spans
        .iter()
        .filter(|s| s.service == "ai-gateway")
        .map(|s| s.duration_ns() as f64 / 1e9)
        .collect();
    for k in 0..14 {
        let le = 0.002 * f64::from(1u32 << k);
        let n = gateway.iter().filter(|d| **d <= le).count() as f64;
        latency_buckets.insert(format!("le={}", prom_float(le)), n);
    }
    latency_buckets.insert("le=+Inf".to_string(), gateway.len() as f64);
    let edge = "client=\"ai-gateway\",server=\"llm-provider-openai\"";
    let total = sent.spans.len() as f64;
    let cases: Vec<(String, BTreeMap<String, f64>)> = vec![
        (
            "sum by (service, span_name, span_kind, status_code) (traces_spanmetrics_calls_total)"
                .into(),
            calls,
        ),
        (
            "sum by (service) (traces_spanmetrics_latency_count)".into(),
            per_service,
        ),
        (
            "sum by (service) (traces_spanmetrics_latency_sum)".into(),
            latency_sum,
        ),
        (
            "sum(traces_spanmetrics_latency_bucket{le=\"+Inf\"})".into(),
            BTreeMap::from([(String::new(), total)]),
        ),
        (
            format!("sum(traces_service_graph_request_total{{{edge}}})"),
            BTreeMap::from([(String::new(), pairs)]),
        ),
        (
            format!("sum(traces_service_graph_request_failed_total{{{edge}}})"),
            BTreeMap::from([(String::new(), failed)]),
        ),
        (
            format!("sum(traces_service_graph_request_server_seconds_count{{{edge}}})"),
            BTreeMap::from([(String::new(), pairs)]),
        ),
        (
            format!("sum(traces_service_graph_request_client_seconds_count{{{edge}}})"),
            BTreeMap::from([(String::new(), pairs)]),
        ),
        (
            "sum by (client, server, connection_type) (traces_service_graph_request_total{server=\"redis\"})".into(),
            BTreeMap::from([(
                "client=ai-gateway,connection_type=database,server=redis".to_string(),
                redis,
            )]),
        ),
        (
            "sum by (le) (traces_spanmetrics_latency_bucket{service=\"ai-gateway\"})".into(),
            latency_buckets,
        ),
    ];
    for (q, want) in cases {
        let r = eventually(SPAN_METRICS_WAIT, || async {
            let got = prom_vector(&api, &q, now()).await?;
            same_values(&got, &want)
        })
        .await;
        c.record(phase, &format!("PromQL {q} = {want:?}"), r);
    }
    let q = "sum by (service) (traces_spanmetrics_size_total)";
    let r = eventually(SPAN_METRICS_WAIT, || async {
        let got = prom_vector(&api, q, now()).await?;
        ensure(got.len() == 2 && got.values().all(|v| *v > 0.0), || {
            format!("got {got:?}")
        })
    })
    .await;
    c.record(
        phase,
        &format!("PromQL {q}: > 0 bytes for both services"),
        r,
    );
    // Grafana's RED-table query shape.
    let q = "topk(5, sum(rate(traces_spanmetrics_calls_total{span_kind=\"SPAN_KIND_SERVER\"}[10m])) by (span_name))";
    let r = eventually(SPAN_METRICS_WAIT, || async {
        let got = prom_vector(&api, q, now()).await?;
        ensure(
            got.len() == 1
                && got.contains_key("span_name=POST /v1/chat/completions")
                && got.values().all(|v| *v > 0.0),
            || format!("got {got:?}"),
        )
    })
    .await;
    c.record(
        phase,
        &format!("PromQL {q}: the one server span name, rate > 0"),
        r,
    );
    // Grafana's service-graph query shape.
    let q = "sum by (client, server) (rate(traces_service_graph_request_total[10m]))";
    let r = eventually(SPAN_METRICS_WAIT, || async {
        let got = prom_vector(&api, q, now()).await?;
        ensure(
            got.keys()
                .any(|k| k == "client=ai-gateway,server=llm-provider-openai"),
            || format!("got {got:?}"),
        )
    })
    .await;
    c.record(
        phase,
        &format!("PromQL {q} has the ai-gateway → llm-provider-openai edge"),
        r,
    );
}
