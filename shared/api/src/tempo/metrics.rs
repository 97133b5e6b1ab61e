//! TraceQL metrics: `GET /api/metrics/query_range` and `GET /api/metrics/query`, as Tempo's
//! frontend answers them (`pkg/api/http.go` `ParseQueryRangeRequest`,
//! `ParseQueryInstantRequest`, `determineBounds`, `parseTimestamp`, `step`;
//! `modules/frontend/metrics_query_range_handler.go`, `metrics_query_handler.go`,
//! `metrics_query_validation.go`; `pkg/traceql/engine_metrics.go` `DefaultQueryRangeStep`,
//! `AlignRequest`).
//!
//! Parameters: `q` (or Prometheus-style `query`; `q` wins), `start`, `end` (unix seconds when
//! at most 10 digits, else unix **nanoseconds**; fractional seconds; RFC 3339), `since`
//! (Prometheus duration, default `1h`: `start = min(end, now) - since`), `end` default now;
//! range only: `step` (float seconds or Go duration; default `DefaultQueryRangeStep`: about
//! 240 points rounded down to 1h/5m/1m/15s/5s/1s, 50 ms multiples under a minute),
//! `exemplars` (max exemplars, default and cap [`TempoConfig::metrics_max_exemplars`]; a
//! `with(exemplars=…)` hint wins).
//!
//! Processing: `end` is clamped to now minus [`TempoConfig::query_end_cutoff`]; the range is
//! validated (`end > start`, max duration, max intervals); a range query is aligned to the
//! step (start rounded down then one step earlier, end rounded up, then clamped back below
//! the cutoff and rounded down). Traces with a span starting in `[start, end)` are fed to
//! [`MetricsQuery`]. An instant query is one step spanning `[start, end)` (end clamped by
//! whole seconds, no alignment); its value is the first sample of each series.
//!
//! Responses (gogo jsonpb; zero values omitted, 64-bit integers as strings):
//! range `{"series":[{"labels":[{"key":"resource.service.name","value":{"stringValue":"a"}}],
//! "samples":[{"timestampMs":"1700000000000","value":1.5}],"exemplars":[{"labels":[…],
//! "value":0.2,"timestampMs":"…"}]}],"metrics":{…}}`; instant
//! `{"series":[{"labels":[…],"value":3}],"metrics":{…}}`. NaN samples are dropped.
//!
//! Errors (400, plain text, Tempo's): `rpc error: code = Code(400) desc = could not parse
//! 'end' parameter: strconv.ParseInt: parsing "x": invalid syntax` (bounds and step, wrapped
//! as Tempo's `httpgrpc.Error`), `end must be greater than start`, `query window falls
//! entirely within query_end_cutoff`, `metrics query time range exceeds the maximum allowed
//! duration of 24h0m0s`, `step of 1s is too small, minimum step for given range is 8.64s`, the
//! bare TraceQL parse error (`parse error at line 1, col 3: …`), the engine's message for a
//! search query (`not a metrics query`) or unsupported syntax, the scan budget; 500 storage.

use super::config::TempoConfig;
use super::error::{TempoError, TempoResult};
use super::jsonpb::go_double;
use super::search::parallel::pipeline;
use super::search::{now_ns, read_traces, ScanMetrics};
use super::search_json::{
    json_response, key_value, member, render_array, render_kvs, render_metrics,
};
use crate::loki::params::go_duration_string;
use crate::params::Params;
use crate::App;
use lakewatch_model::TenantId;
use lakewatch_traceql::metrics::Exemplar;
use lakewatch_traceql::{parse, MetricsQuery, MetricsRange, Series, Static, TraceView};

const NS: i64 = 1_000_000_000;
/// Tempo's `defaultSince`.
const DEFAULT_SINCE_NS: i64 = 3600 * NS;

/// A parsed metrics request, **nanoseconds**.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRequest {
    pub query: String,
    pub start_ns: i64,
    pub end_ns: i64,
    /// Range queries only (0 for instant ones before processing).
    pub step_ns: i64,
    /// The `exemplars` parameter (0 = unset).
    pub exemplars: u32,
}

/// Tempo wraps bounds and step errors in `httpgrpc.Error(400, …)`, whose text is gRPC's.
fn rpc400(msg: String) -> String {
    format!("rpc error: code = Code(400) desc = {msg}")
}

/// Go `strconv.ParseInt(s, 10, 64)` error text.
fn parse_int_err(s: &str) -> String {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("strconv.ParseInt: parsing {s:?}: value out of range")
    } else {
        format!("strconv.ParseInt: parsing {s:?}: invalid syntax")
    }
}

/// Tempo's `parseTimestamp`: `""` → `default_ns`; with a `.`, float seconds (fraction rounded
/// to ms); an integer of at most 10 characters = seconds, longer = nanoseconds; else RFC 3339.
pub fn parse_timestamp(s: &str, default_ns: i64) -> Result<i64, String> {
    if s.is_empty() {
        return Ok(default_ns);
    }
    if s.contains('.') {
        if let Ok(f) = s.parse::<f64>() {
            if f.is_finite() {
                let secs = f.trunc();
                let frac = ((f - secs) * 1000.0).round() / 1000.0;
                return Ok((secs as i64)
                    .saturating_mul(NS)
                    .saturating_add((frac * 1e9) as i64));
            }
        }
    }
    match s.parse::<i64>() {
        Ok(n) if s.len() <= 10 => Ok(n.saturating_mul(NS)),
        Ok(n) => Ok(n),
        Err(_) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .ok_or_else(|| parse_int_err(s)),
    }
}

/// Tempo's `determineBounds` (errors unwrapped): Loki's with Tempo's [`parse_timestamp`].
fn bounds(p: &Params, now: i64) -> Result<(i64, i64), String> {
    crate::loki::params::bounds_with(p, DEFAULT_SINCE_NS, now, parse_timestamp)
}

/// Tempo's `DefaultQueryRangeStep` (ns).
pub fn default_step(start_ns: i64, end_ns: i64) -> i64 {
    let delta = end_ns.saturating_sub(start_ns);
    let baseline = delta / 240;
    if delta < 60 * NS {
        let g = 50_000_000;
        return if baseline > g { baseline / g * g } else { g };
    }
    for g in [3600 * NS, 300 * NS, 60 * NS, 15 * NS, 5 * NS, NS] {
        if baseline > g {
            return baseline / g * g;
        }
    }
    NS
}

/// Tempo's `step`: absent → [`default_step`]; float seconds or a Go duration.
fn step(p: &Params, start: i64, end: i64) -> Result<i64, String> {
    let v = p.value("step");
    if v.is_empty() {
        return Ok(default_step(start, end));
    }
    let d = if let Some(f) = parse_float(v) {
        let ns = f * 1e9;
        if !(i64::MIN as f64..=i64::MAX as f64).contains(&ns) || ns.is_nan() {
            return Err(format!(
                "cannot parse {v:?} to a valid duration. It overflows int64"
            ));
        }
        ns as i64
    } else if let Ok(ns) = lakewatch_logql::pipeline::parse_duration(v) {
        ns
    } else {
        return Err(format!("cannot parse {v:?} to a valid duration"));
    };
    if d < 0 {
        return Err(format!("cannot parse {v:?}: step must be positive"));
    }
    Ok(d)
}

/// Go `strconv.ParseFloat(s, 64)` for decimal forms and `inf`/`nan` spellings.
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if matches!(t.as_str(), "inf" | "infinity" | "nan") {
        return s.to_ascii_lowercase().parse::<f64>().ok();
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

fn query_param(p: &Params) -> String {
    let q = p.value("q");
    if q.is_empty() {
        p.value("query").to_string()
    } else {
        q.to_string()
    }
}

/// Tempo's `ParseQueryRangeRequest` (`instant = false`) or `ParseQueryInstantRequest`.
pub fn parse_request(p: &Params, instant: bool, now: i64) -> Result<MetricsRequest, String> {
    let (start_ns, end_ns) = bounds(p, now).map_err(rpc400)?;
    let step_ns = if instant {
        0
    } else {
        step(p, start_ns, end_ns).map_err(rpc400)?
    };
    let exemplars = p
        .get("exemplars")
        .and_then(|v| super::search::go_parse_uint32(v).ok())
        .unwrap_or(0);
    Ok(MetricsRequest {
        query: query_param(p),
        start_ns,
        end_ns,
        step_ns,
        exemplars,
    })
}

/// The frontend's validation (`validateQueryRangeReq`).
fn validate(r: &MetricsRequest, cfg: &TempoConfig) -> Result<(), String> {
    if r.start_ns >= r.end_ns {
        return Err("end must be greater than start".into());
    }
    let max = cfg.metrics_max_duration;
    if !max.is_zero() && (r.end_ns - r.start_ns) as u128 > max.as_nanos() {
        return Err(format!(
            "metrics query time range exceeds the maximum allowed duration of {}",
            go_duration_string(max.as_nanos().min(i64::MAX as u128) as i64)
        ));
    }
    let mi = cfg.metrics_max_intervals;
    let range = (r.end_ns - r.start_ns) as u64;
    if mi != 0 && (r.step_ns == 0 || range / r.step_ns as u64 > mi) {
        return Err(format!(
            "step of {} is too small, minimum step for given range is {}",
            go_duration_string(r.step_ns),
            go_duration_string((range / mi) as i64)
        ));
    }
    Ok(())
}

/// The exemplar limit: the `with(exemplars=…)` hint (int, or `false` = 0), else the parameter,
/// else the max; capped to the max (Tempo's `normalizeRequestExemplars`).
fn exemplar_limit(query: &lakewatch_traceql::Query, param: u32, max: u32) -> u32 {
    let hint = query.hints.iter().rev().find(|h| h.name == "exemplars");
    let n = match hint.map(|h| &h.value) {
        Some(Static::Int(i)) => (*i).clamp(0, i64::from(u32::MAX)) as u32,
        Some(Static::Bool(false)) => 0,
        _ if param == 0 => max,
        _ => param,
    };
    n.min(max)
}

/// Runs a validated request: parse, compile, scan, observe.
async fn evaluate(
    app: &App,
    tenant: &TenantId,
    r: &MetricsRequest,
) -> Result<(Vec<Series>, ScanMetrics, u32), TempoError> {
    let query = parse(&r.query).map_err(|e| TempoError::bad_request(e.to_string()))?;
    let exemplars = exemplar_limit(&query, r.exemplars, app.tempo.metrics_max_exemplars);
    let range = MetricsRange {
        start_ns: r.start_ns,
        end_ns: r.end_ns,
        step_ns: r.step_ns,
    };
    let mq = MetricsQuery::compile(&query, range).map_err(|e| TempoError::bad_request(e.0))?;
    let (traces, metrics) = read_traces(app, tenant, r.start_ns, r.end_ns).await?;
    // Views are built and dropped on other threads; observed in trace order (sums are
    // order-sensitive).
    let mq = pipeline(
        traces,
        |(id, spans)| TraceView::new(id, spans),
        mq,
        |mq: &mut MetricsQuery, view: &TraceView| {
            mq.observe(view).map_err(|e| TempoError::bad_request(e.0))
        },
    )
    .await?;
    Ok((mq.finish(), metrics, exemplars))
}

/// Clamps `end` to now minus the cutoff (`clampQueryEndForValidation`).
fn clamp_end(r: &mut MetricsRequest, cfg: &TempoConfig, now: i64) -> Result<bool, String> {
    if r.start_ns >= r.end_ns {
        return Err("end must be greater than start".into());
    }
    let max_end = now.saturating_sub(cfg.query_end_cutoff.as_nanos().min(i64::MAX as u128) as i64);
    if r.end_ns > max_end {
        r.end_ns = max_end;
        if r.start_ns >= r.end_ns {
            return Err("query window falls entirely within query_end_cutoff".into());
        }
        return Ok(true);
    }
    Ok(false)
}

/// Tempo's `AlignRequest` for a range query, then the post-alignment end clamp.
fn align(r: &mut MetricsRequest, cfg: &TempoConfig, now: i64) {
    let step = r.step_ns;
    if step <= 0 {
        return;
    }
    r.start_ns -= r.start_ns.rem_euclid(step);
    let m = r.end_ns.rem_euclid(step);
    if m != 0 {
        r.end_ns += step - m;
    }
    if r.start_ns > step {
        r.start_ns -= step;
    }
    let max_end = now.saturating_sub(cfg.query_end_cutoff.as_nanos().min(i64::MAX as u128) as i64);
    if r.end_ns > max_end {
        r.end_ns = max_end;
        r.end_ns -= r.end_ns.rem_euclid(step);
    }
}

/// `GET /api/metrics/query_range` (see the module docs).
pub async fn query_range(app: &App, tenant: &TenantId, p: &Params) -> TempoResult {
    let cfg = &app.tempo;
    let now = now_ns();
    let mut r = parse_request(p, false, now).map_err(TempoError::bad_request)?;
    clamp_end(&mut r, cfg, now).map_err(TempoError::bad_request)?;
    validate(&r, cfg).map_err(TempoError::bad_request)?;
    align(&mut r, cfg, now);
    let (series, metrics, exemplars) = evaluate(app, tenant, &r).await?;
    Ok(json_response(render_range(&series, &metrics, exemplars)))
}

/// `GET /api/metrics/query` (see the module docs).
pub async fn query_instant(app: &App, tenant: &TenantId, p: &Params) -> TempoResult {
    let cfg = &app.tempo;
    let now = now_ns();
    let mut r = parse_request(p, true, now).map_err(TempoError::bad_request)?;
    // clampInstantQueryEnd: whole seconds off the end.
    if r.end_ns <= r.start_ns {
        return Err(TempoError::bad_request("end must be greater than start"));
    }
    let cutoff = now.saturating_sub(cfg.query_end_cutoff.as_nanos().min(i64::MAX as u128) as i64);
    if r.end_ns >= cutoff {
        let over = r.end_ns - cutoff;
        let reduce = (over + NS - 1) / NS * NS;
        r.end_ns -= reduce;
        if r.end_ns <= r.start_ns {
            return Err(TempoError::bad_request(
                "query window falls entirely within query_end_cutoff",
            ));
        }
    }
    r.step_ns = r.end_ns - r.start_ns;
    validate(&r, cfg).map_err(TempoError::bad_request)?;
    let (series, metrics, _) = evaluate(app, tenant, &r).await?;
    Ok(json_response(render_instant(&series, &metrics)))
}

fn render_labels(
    out: &mut String,
    first: &mut bool,
    labels: &[(String, lakewatch_traceql::Value)],
) {
    let kvs: Vec<_> = labels.iter().map(|(k, v)| key_value(k, v)).collect();
    render_kvs(out, first, "labels", &kvs);
}

fn render_exemplar(out: &mut String, e: &Exemplar) {
    let mut first = true;
    out.push('{');
    render_labels(out, &mut first, &e.labels);
    if e.value != 0.0 {
        member(out, &mut first, "value");
        out.push_str(&go_double(e.value));
    }
    if e.timestamp_ms != 0 {
        member(out, &mut first, "timestampMs");
        out.push_str(&format!("\"{}\"", e.timestamp_ms));
    }
    out.push('}');
}

/// `QueryRangeResponse` JSON (at most `exemplars` exemplars in all).
fn render_range(series: &[Series], metrics: &ScanMetrics, exemplars: u32) -> String {
    let mut budget = exemplars as usize;
    render_response(series, metrics, |out, f, s| {
        render_labels(out, f, &s.labels);
        let samples: Vec<_> = s.samples.iter().filter(|(_, v)| !v.is_nan()).collect();
        if !samples.is_empty() {
            member(out, f, "samples");
            render_array(out, samples, |out, (ts, v)| {
                let mut g = true;
                out.push('{');
                if *ts != 0 {
                    member(out, &mut g, "timestampMs");
                    out.push_str(&format!("\"{ts}\""));
                }
                if *v != 0.0 {
                    member(out, &mut g, "value");
                    out.push_str(&go_double(*v));
                }
                out.push('}');
            });
        }
        let n = s.exemplars.len().min(budget);
        budget -= n;
        if n > 0 {
            member(out, f, "exemplars");
            render_array(out, &s.exemplars[..n], render_exemplar);
        }
    })
}

/// `QueryInstantResponse` JSON: each series' first sample (series without one dropped), as
/// Tempo's `translateQueryRangeToInstant`.
fn render_instant(series: &[Series], metrics: &ScanMetrics) -> String {
    let kept: Vec<_> = series
        .iter()
        .filter_map(|s| {
            let (_, v) = s.samples.iter().find(|(_, v)| !v.is_nan())?;
            Some((s, *v))
        })
        .collect();
    render_response(&kept, metrics, |out, f, &(s, v)| {
        render_labels(out, f, &s.labels);
        if v != 0.0 {
            member(out, f, "value");
            out.push_str(&go_double(v));
        }
    })
}

/// `{"series":[…],"metrics":…}` (`series` omitted when empty): one JSON object per item of
/// `series`, its members written by `each` (the `bool` tells whether none is written yet).
fn render_response<T>(
    series: &[T],
    metrics: &ScanMetrics,
    mut each: impl FnMut(&mut String, &mut bool, &T),
) -> String {
    let mut out = String::from("{");
    let mut first = true;
    if !series.is_empty() {
        member(&mut out, &mut first, "series");
        render_array(&mut out, series, |out, item| {
            let mut f = true;
            out.push('{');
            each(out, &mut f, item);
            out.push('}');
        });
    }
    member(&mut out, &mut first, "metrics");
    render_metrics(&mut out, metrics);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_tempo() {
        assert_eq!(parse_timestamp("", 7), Ok(7));
        assert_eq!(parse_timestamp("1700000000", 0), Ok(1_700_000_000 * NS));
        assert_eq!(
            parse_timestamp("1700000000000000000", 0),
            Ok(1_700_000_000 * NS)
        );
        assert_eq!(
            parse_timestamp("1700000000.5", 0),
            Ok(1_700_000_000 * NS + 500_000_000)
        );
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20Z", 0),
            Ok(1_700_000_000 * NS)
        );
        assert_eq!(
            parse_timestamp("x", 0).unwrap_err(),
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
    }

    #[test]
    fn default_steps() {
        assert_eq!(default_step(0, 3600 * NS), 15 * NS);
        assert_eq!(default_step(0, 24 * 3600 * NS), 300 * NS);
        assert_eq!(default_step(0, 30 * NS), 100_000_000);
        assert_eq!(default_step(0, NS), 50_000_000);
        assert_eq!(default_step(0, 120 * NS), NS);
    }
}
