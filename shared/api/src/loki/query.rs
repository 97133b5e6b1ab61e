//! `/loki/api/v1/query`, `/loki/api/v1/query_range`, legacy `/api/prom/query` and
//! `format_query`: parameter parsing as Loki's `ParseInstantQuery`/`ParseRangeQuery`, then
//! parse → selections → fetch → evaluate → encode.

use super::encode;
use super::error::{json_ok, LokiError, LokiResult};
use super::fetch;
use super::params::{self, DEFAULT_LIMIT, DEFAULT_SINCE_NS, END_BEFORE_START};
use super::split;
use crate::app::App;
use crate::json;
use crate::params::Params;
use crate::tenants::Tenants;
use lakewatch_logql::eval::{
    categorize_streams, Direction, EvalError, EvalLimits, EvalStats, QueryParams,
};
use lakewatch_logql::{evaluate, selections, Expr, QueryResult};
use std::time::{Duration, Instant};

/// Loki's `ErrUnsupportedSyntaxForInstantQuery` text.
pub const LOG_QUERY_INSTANT: &str =
    "log queries are not supported as an instant query type, please change your query to a range query type";

/// Request options read from headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    /// `X-Loki-Response-Encoding-Flags` contains `categorize-labels`.
    pub categorize: bool,
}

impl Flags {
    /// Reads `X-Loki-Response-Encoding-Flags` (comma-separated list).
    pub fn from_headers(h: &http::HeaderMap) -> Flags {
        let categorize = h
            .get_all("x-loki-response-encoding-flags")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|f| f.trim() == encode::CATEGORIZE_LABELS);
        Flags { categorize }
    }
}

/// An evaluated query: result, counters, wall time and streams read.
pub struct Executed {
    pub result: QueryResult,
    pub stats: EvalStats,
    pub elapsed: Duration,
    pub streams_read: u64,
}

impl Executed {
    /// Regroups a streams result for `categorize-labels` (stream = indexed labels only,
    /// entries keep structured metadata and parsed labels apart), as Loki's
    /// `CategorizeLabelsIterator`.
    pub fn categorize(&mut self, direction: Direction) {
        if let QueryResult::Streams(s) = &mut self.result {
            *s = categorize_streams(s, direction);
        }
    }

    /// The `stats` JSON object.
    pub fn stats_json(&self) -> String {
        encode::stats_json(
            &self.stats,
            self.elapsed,
            encode::entries_returned(&self.result),
            self.streams_read,
        )
    }
}

/// Maps evaluator errors: client errors 400 with their text, internal 500.
pub fn eval_error(e: EvalError) -> LokiError {
    match e {
        EvalError::Internal(_) => LokiError::internal(e),
        other => LokiError::bad_request(other.to_string()),
    }
}

/// Fetches what `expr` reads and evaluates it (once, or window by window for long log
/// queries, see [`super::split`]), all under the configured query timeout.
pub async fn execute(
    app: &App,
    tenants: &Tenants,
    expr: &Expr,
    qp: QueryParams,
) -> Result<Executed, LokiError> {
    // As a context deadline: a zero timeout has expired before any work.
    if app.loki.query_timeout.is_zero() {
        return Err(LokiError::timeout());
    }
    let started = Instant::now();
    let work = async {
        match split::plan(expr, &qp, app.loki.split_queries_by_interval) {
            Some(plan) => split::run(app, tenants, expr, &qp, &plan).await,
            None => run_once(app, tenants, expr, qp).await,
        }
    };
    match tokio::time::timeout(app.loki.query_timeout, work).await {
        Ok(r) => {
            let (mut result, stats, streams_read) = r?;
            if let QueryResult::Streams(s) = &mut result {
                encode::sort_streams(s);
            }
            Ok(Executed {
                result,
                stats,
                elapsed: started.elapsed(),
                streams_read,
            })
        }
        Err(_) => Err(LokiError::timeout()),
    }
}

/// One evaluation: selections → fetch → evaluate on the blocking pool. Returns the result,
/// the evaluator's counters and the number of streams read.
pub async fn run_once(
    app: &App,
    tenants: &Tenants,
    expr: &Expr,
    qp: QueryParams,
) -> Result<(QueryResult, EvalStats, u64), LokiError> {
    let limits = EvalLimits {
        max_series: app.loki.max_query_series,
        max_points_per_series: app.loki.max_points_per_series as usize,
    };
    let sels = selections(expr, &qp);
    let source = if sels.is_empty() {
        Default::default()
    } else {
        fetch::load(app, tenants, &sels, app.loki.max_streams_fetched).await?
    };
    let streams_read = source.streams.len() as u64;
    let expr = expr.clone();
    let task = tokio::task::spawn_blocking(move || evaluate(&expr, &qp, &limits, &source));
    let (result, stats) = task
        .await
        .map_err(|e| LokiError::internal(format!("query evaluation failed: {e}")))?
        .map_err(eval_error)?;
    Ok((result, stats, streams_read))
}

/// Loki `validateMaxEntriesLimits`: log queries only.
fn check_entries_limit(app: &App, expr: &Expr, limit: usize) -> Result<(), LokiError> {
    let max = app.loki.max_entries_limit_per_query;
    if matches!(expr, Expr::Log(_)) && max > 0 && limit > max {
        return Err(LokiError::bad_request(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > {max})"
        )));
    }
    Ok(())
}

/// Loki `max_query_length` check (`end - start`).
pub fn check_query_length(app: &App, start: i64, end: i64) -> Result<(), LokiError> {
    let max = app.loki.max_query_length.as_nanos() as i128;
    let len = end as i128 - start as i128;
    if max > 0 && len > max {
        return Err(LokiError::bad_request(format!(
            "the query time range exceeds the limit (query length: {}, limit: {})",
            params::go_duration_string(len.min(i64::MAX as i128) as i64),
            params::prom_duration_string(max.min(i64::MAX as i128) as i64)
        )));
    }
    Ok(())
}

/// Parsed `query_range` parameters (Loki `ParseRangeQuery`).
pub struct RangeParams {
    pub query: String,
    pub qp: QueryParams,
}

/// Loki `ParseRangeQuery`: bounds (default last hour), `end >= start`, `limit`, `direction`,
/// `step` (> 0, ≤ 11,000 points), `interval` (≥ 0).
pub fn parse_range(app: &App, p: &Params) -> Result<RangeParams, LokiError> {
    let (start, end) = params::bounds(p, DEFAULT_SINCE_NS, params::now_ns())?;
    if end < start {
        return Err(LokiError::bad_request(END_BEFORE_START));
    }
    let limit = params::limit(p, "limit", DEFAULT_LIMIT)?;
    let direction = params::direction(p)?;
    let step = params::step(p, start, end, app.loki.max_points_per_series)?;
    let interval = params::interval(p)?;
    Ok(RangeParams {
        query: p.value("query").to_string(),
        qp: QueryParams {
            start_ns: start,
            end_ns: end,
            step_ns: step,
            interval_ns: interval,
            limit,
            direction,
        },
    })
}

fn log_query_tags(h: &http::HeaderMap, query: &str) {
    if let Some(tags) = h.get("x-query-tags").and_then(|v| v.to_str().ok()) {
        tracing::debug!(tags, query, "loki query");
    }
}

/// `GET|POST /loki/api/v1/query_range`: `streams` for log queries, `matrix` for metric
/// queries (a scalar query such as `1+1` gives `scalar`).
pub async fn range(app: &App, tenants: &Tenants, p: &Params, h: &http::HeaderMap) -> LokiResult {
    let rp = parse_range(app, p)?;
    let expr = fetch::parse_query(&rp.query)?;
    check_entries_limit(app, &expr, rp.qp.limit)?;
    check_query_length(app, rp.qp.start_ns, rp.qp.end_ns)?;
    log_query_tags(h, &rp.query);
    let direction = rp.qp.direction;
    let mut ex = execute(app, tenants, &expr, rp.qp).await?;
    let flags = Flags::from_headers(h);
    if flags.categorize {
        ex.categorize(direction);
    }
    Ok(json_ok(encode::query_response(
        &ex.result,
        &ex.stats_json(),
        &[],
        flags.categorize,
    )))
}

/// `GET|POST /loki/api/v1/query`: `time` (default now), `limit`, `direction`. Only metric
/// queries (`vector` or `scalar`); a log query is a 400 as in Loki.
pub async fn instant(app: &App, tenants: &Tenants, p: &Params, h: &http::HeaderMap) -> LokiResult {
    let limit = params::limit(p, "limit", DEFAULT_LIMIT)?;
    let ts = params::parse_timestamp(p.value("time"), params::now_ns())?;
    let direction = params::direction(p)?;
    let query = p.value("query");
    let expr = fetch::parse_query(query)?;
    if matches!(expr, Expr::Log(_)) {
        return Err(LokiError::bad_request(LOG_QUERY_INSTANT));
    }
    log_query_tags(h, query);
    let qp = QueryParams {
        start_ns: ts,
        end_ns: ts,
        step_ns: 0,
        interval_ns: 0,
        limit,
        direction,
    };
    let ex = execute(app, tenants, &expr, qp).await?;
    let flags = Flags::from_headers(h);
    Ok(json_ok(encode::query_response(
        &ex.result,
        &ex.stats_json(),
        &[],
        flags.categorize,
    )))
}

/// Legacy `GET|POST /api/prom/query`: range log queries only (`regexp` adds a `|~` filter),
/// answered in the v0 shape ([`encode::legacy_streams`]).
pub async fn legacy(app: &App, tenants: &Tenants, p: &Params) -> LokiResult {
    let mut rp = parse_range(app, p)?;
    let regexp = p.value("regexp");
    if !regexp.is_empty() {
        let sel = fetch::parse_log_selector(&rp.query)?;
        let quoted = if regexp.contains('`') {
            json::string(regexp)
        } else {
            format!("`{regexp}`")
        };
        rp.query = format!("{sel} |~ {quoted}");
    }
    let expr = fetch::parse_query(&rp.query)?;
    if matches!(expr, Expr::Metric(_)) {
        return Err(LokiError::bad_request(
            "legacy endpoints only support streams result type",
        ));
    }
    check_entries_limit(app, &expr, rp.qp.limit)?;
    check_query_length(app, rp.qp.start_ns, rp.qp.end_ns)?;
    let ex = execute(app, tenants, &expr, rp.qp).await?;
    let QueryResult::Streams(streams) = &ex.result else {
        return Err(LokiError::internal("legacy query did not return streams"));
    };
    Ok(json_ok(encode::legacy_streams(streams, &ex.stats_json())))
}

/// `GET|POST /loki/api/v1/format_query`: `{"status":"success","data":"<canonical LogQL>"}`.
pub fn format_query(p: &Params) -> LokiResult {
    let expr = fetch::parse_query(p.value("query"))?;
    Ok(json_ok(format!(
        r#"{{"status":"success","data":{}}}"#,
        json::string(&expr.to_string())
    )))
}
