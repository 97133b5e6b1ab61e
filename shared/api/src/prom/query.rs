//! `/api/v1/query`, `/api/v1/query_range`, `/api/v1/query_exemplars`, `/api/v1/format_query`
//! with Prometheus's parameter checks, error texts and limits (`web/api/v1/api.go`).

use super::encode;
use super::fetch::{self, Fetched};
use crate::app::App;
use crate::format::{format_timestamp_ms, format_value};
use crate::json;
use crate::matchers::{parse_error_text, selector_matchers};
use crate::params::Params;
use crate::response::{ApiData, ApiError, ApiResult, ErrorType};
use crate::tenants::Tenants;
use crate::time::{parse_duration, parse_time, parse_time_param, MAX_TIME_MS, MIN_TIME_MS};
use lakewatch_model::{Exemplar, LabelMatcher, Labels};
use lakewatch_promql::{selection_hints, Engine, QueryError, QueryResult, Value};
use promql_parser::parser::{self, Expr};
use promql_parser::util::{walk_expr, ExprVisitor};
use std::time::{Duration, Instant};

/// Prometheus's error for `(end-start)/step > 11000`.
pub const TOO_MANY_POINTS: &str = "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)";

/// Warning added when `limit` truncates a result.
pub const TRUNCATED_WARNING: &str = "results truncated due to limit";

/// Now in ms since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Prometheus `parseLimitParam`: empty = 0 (no limit), else a non-negative integer.
pub fn parse_limit(p: &Params) -> Result<usize, ApiError> {
    let s = p.value("limit");
    if s.is_empty() {
        return Ok(0);
    }
    let n: i64 = s.parse().map_err(|_| {
        ApiError::invalid_param(
            "limit",
            format!("strconv.Atoi: parsing {s:?}: invalid syntax"),
        )
    })?;
    if n < 0 {
        return Err(ApiError::invalid_param(
            "limit",
            "limit must be non-negative",
        ));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Per-request evaluation settings (`timeout`, `lookback_delta`, `stats`).
struct QueryOpts {
    engine: Engine,
    timeout: Duration,
    stats: bool,
}

fn query_opts(app: &App, p: &Params) -> Result<QueryOpts, ApiError> {
    let mut timeout = app.config.timeout;
    if let Some(t) = p.get("timeout").filter(|s| !s.is_empty()) {
        // As Prometheus's context deadline: `timeout=0` (or negative) expires at once.
        let ms = parse_duration(t).map_err(|e| ApiError::invalid_param("timeout", e))?;
        timeout = timeout.min(Duration::from_millis(ms.max(0) as u64));
    }
    let mut engine = app.engine.clone();
    if let Some(l) = p.get("lookback_delta").filter(|s| !s.is_empty()) {
        let ms = parse_duration(l).map_err(|e| ApiError::invalid_param("lookback_delta", e))?;
        if ms > 0 {
            engine.opts.lookback_delta = Duration::from_millis(ms as u64);
        }
    }
    Ok(QueryOpts {
        engine,
        timeout,
        stats: !p.value("stats").is_empty(),
    })
}

/// Maps engine errors: parse → `invalid parameter "query"` (400), execution → 422,
/// timeout → 503.
fn query_error(query: &str, e: QueryError) -> ApiError {
    match e {
        QueryError::Parse(m) => ApiError::invalid_param("query", parse_error_text(query, &m)),
        QueryError::Execution(m) => ApiError::new(ErrorType::Execution, m),
        QueryError::Timeout(_) => ApiError::new(ErrorType::Timeout, e.to_string()),
    }
}

fn timed_out() -> ApiError {
    ApiError::new(
        ErrorType::Timeout,
        "query timed out in expression evaluation",
    )
}

/// Selection hints, fetch, then evaluation on the blocking pool; the whole under `timeout`.
async fn execute(
    app: &App,
    tenant: &Tenants,
    query: &str,
    start_ms: i64,
    end_ms: i64,
    step_ms: Option<i64>,
    opts: &QueryOpts,
) -> Result<(QueryResult, Fetched, Duration), ApiError> {
    if query.trim().is_empty() {
        return Err(query_error(query, QueryError::Parse(String::new())));
    }
    let hints = selection_hints(query, start_ms, end_ms, &opts.engine.opts)
        .map_err(|e| query_error(query, e))?;
    if opts.timeout.is_zero() {
        return Err(timed_out());
    }
    let work = async {
        let prep = Instant::now();
        let fetched = if hints.is_empty() {
            Fetched::default()
        } else {
            fetch::load(app, tenant, &hints).await?
        };
        let prep_time = prep.elapsed();
        let engine = opts.engine.clone();
        let q = query.to_string();
        let task = tokio::task::spawn_blocking(move || {
            let r = match step_ms {
                None => engine.instant_query(&q, start_ms, &fetched),
                Some(step) => engine.range_query(&q, start_ms, end_ms, step, &fetched),
            };
            (r, fetched)
        });
        let (r, fetched) = task
            .await
            .map_err(|e| ApiError::internal(format!("query evaluation failed: {e}")))?;
        Ok::<_, ApiError>((r.map_err(|e| query_error(query, e))?, fetched, prep_time))
    };
    match tokio::time::timeout(opts.timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(timed_out()),
    }
}

/// Truncates vector/matrix results to `limit` series (Prometheus `truncateResults`).
fn truncate(value: &mut Value, limit: usize) -> bool {
    if limit == 0 {
        return false;
    }
    match value {
        Value::Vector(v) if v.len() > limit => {
            v.truncate(limit);
            true
        }
        Value::Matrix(m) if m.len() > limit => {
            m.truncate(limit);
            true
        }
        _ => false,
    }
}

/// `stats` object: timings (seconds) and sample counts, shaped like Prometheus's
/// `stats.BuiltinStats`.
fn stats_json(total: Duration, prep: Duration, res: &QueryResult, fetched: &Fetched) -> String {
    let eval = total.saturating_sub(prep).as_secs_f64();
    format!(
        r#"{{"timings":{{"evalTotalTime":{eval},"resultSortTime":0,"queryPreparationTime":{},"innerEvalTime":{eval},"execQueueTime":0,"execTotalTime":{}}},"samples":{{"totalQueryableSamples":{},"peakSamples":{}}}}}"#,
        prep.as_secs_f64(),
        total.as_secs_f64(),
        fetched.samples,
        res.samples_loaded
    )
}

fn finish(mut res: QueryResult, limit: usize, stats: Option<String>) -> ApiData {
    let mut warnings = std::mem::take(&mut res.annotations.warnings);
    if truncate(&mut res.value, limit) {
        warnings.push(TRUNCATED_WARNING.to_string());
    }
    ApiData {
        data: Some(encode::query_data(&res.value, stats.as_deref())),
        warnings,
        infos: std::mem::take(&mut res.annotations.infos),
    }
}

/// `GET|POST /api/v1/query`: `query`, `time` (default now), `timeout`, `limit`,
/// `lookback_delta`, `stats`.
pub async fn instant(app: &App, tenant: &Tenants, p: &Params) -> ApiResult {
    let limit = parse_limit(p)?;
    let time = parse_time_param("time", p.get("time"), now_ms())
        .map_err(|e| ApiError::invalid_param("time", e))?;
    let opts = query_opts(app, p)?;
    let started = Instant::now();
    let (res, fetched, prep) =
        execute(app, tenant, p.value("query"), time, time, None, &opts).await?;
    let stats = opts
        .stats
        .then(|| stats_json(started.elapsed(), prep, &res, &fetched));
    Ok(finish(res, limit, stats))
}

/// `GET|POST /api/v1/query_range`: `query`, `start`, `end`, `step` (> 0), `timeout`, `limit`,
/// `lookback_delta`, `stats`. At most 11,000 points per series.
pub async fn range(app: &App, tenant: &Tenants, p: &Params) -> ApiResult {
    let limit = parse_limit(p)?;
    let start = parse_time(p.value("start")).map_err(|e| ApiError::invalid_param("start", e))?;
    let end = parse_time(p.value("end")).map_err(|e| ApiError::invalid_param("end", e))?;
    if end < start {
        return Err(ApiError::invalid_param(
            "end",
            "end timestamp must not be before start time",
        ));
    }
    let step = parse_duration(p.value("step")).map_err(|e| ApiError::invalid_param("step", e))?;
    if step <= 0 {
        return Err(ApiError::invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if ((end as i128 - start as i128) / step as i128) > app.config.max_points_per_series as i128 {
        return Err(ApiError::bad_data(TOO_MANY_POINTS));
    }
    let opts = query_opts(app, p)?;
    let started = Instant::now();
    let (res, fetched, prep) =
        execute(app, tenant, p.value("query"), start, end, Some(step), &opts).await?;
    let stats = opts
        .stats
        .then(|| stats_json(started.elapsed(), prep, &res, &fetched));
    Ok(finish(res, limit, stats))
}

/// Collects the matcher sets of every vector selector of an expression
/// (Prometheus `parser.ExtractSelectors`).
struct Selectors(Vec<Vec<LabelMatcher>>);

impl ExprVisitor for Selectors {
    type Error = ApiError;
    fn pre_visit(&mut self, e: &Expr) -> Result<bool, ApiError> {
        match e {
            Expr::VectorSelector(vs) => self.0.extend(selector_matchers(vs)?),
            Expr::MatrixSelector(ms) => self.0.extend(selector_matchers(&ms.vs)?),
            _ => {}
        }
        Ok(true)
    }
}

/// `GET|POST /api/v1/query_exemplars`: `query`, `start`, `end` (defaults: all time). A query
/// without selectors gives HTTP 204. Times far in the future (ms sent as seconds) are accepted.
pub async fn exemplars(app: &App, tenant: &Tenants, p: &Params) -> ApiResult {
    let start = parse_time_param("start", p.get("start"), MIN_TIME_MS)
        .map_err(|e| ApiError::invalid_param("start", e))?;
    let end = parse_time_param("end", p.get("end"), MAX_TIME_MS)
        .map_err(|e| ApiError::invalid_param("end", e))?;
    if end < start {
        return Err(ApiError::bad_data(
            "end timestamp must not be before start timestamp",
        ));
    }
    let query = p.value("query");
    let expr = parser::parse(query).map_err(|e| ApiError::bad_data(parse_error_text(query, &e)))?;
    let mut sel = Selectors(Vec::new());
    walk_expr(&mut sel, &expr)?;
    if sel.0.is_empty() {
        return Ok(ApiData::default());
    }
    let mut res: Vec<(Labels, Vec<Exemplar>)> = Vec::new();
    for (t, sets) in tenant.plan(&sel.0) {
        let part = app
            .reader
            .exemplars(&t, &sets, start, end)
            .await
            .map_err(ApiError::internal)?;
        for (mut labels, ex) in part {
            tenant.tag(&t, &mut labels);
            res.push((labels, ex));
        }
    }
    let mut out = String::from("[");
    for (i, (labels, exemplars)) in res.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"seriesLabels\":");
        json::push_labels(&mut out, labels);
        out.push_str(",\"exemplars\":[");
        for (j, e) in exemplars.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str("{\"labels\":");
            json::push_labels(&mut out, &e.labels);
            out.push_str(",\"value\":\"");
            out.push_str(&format_value(e.value));
            out.push_str("\",\"timestamp\":");
            out.push_str(&format_timestamp_ms(e.timestamp_ms));
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push(']');
    Ok(ApiData::json(out))
}

/// `GET|POST /api/v1/format_query`: the prettified expression as a JSON string.
pub fn format_query(p: &Params) -> ApiResult {
    let query = p.value("query");
    let expr = parser::parse(query)
        .map_err(|e| ApiError::invalid_param("query", parse_error_text(query, &e)))?;
    Ok(ApiData::json(json::string(&expr.prettify())))
}
