//! Splitting long queries by time, as Loki's `split_queries_by_interval`, which bounds the
//! memory of one evaluation:
//!
//! - a log query (streams result) over more than one interval is evaluated window by window
//!   in the query's direction (newest window first for `backward`), each with the entries
//!   still missing, and stops once `limit` entries are collected (log queries with
//!   `interval` are evaluated at once);
//! - a metric range query reading logs is evaluated in groups of consecutive steps spanning
//!   at most one interval (LogQL has no cross-step functions, so every step is independent)
//!   and the matrices are concatenated; the series limit applies to the merged result.

use super::error::LokiError;
use super::query::run_once;
use crate::app::App;
use crate::tenants::Tenants;
use lakewatch_logql::eval::{Direction, EvalStats, QueryParams, ResultStream};
use lakewatch_logql::{Expr, QueryResult};
use lakewatch_model::Labels;
use std::collections::BTreeMap;

/// How a query is split (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// Log query: `[start, end)` windows in evaluation order.
    Logs(Vec<(i64, i64)>),
    /// Metric range query: `(first, last)` step timestamps of each group, ascending.
    Steps(Vec<(i64, i64)>),
}

/// How to split `expr`, or `None` to evaluate it at once (`split_ns <= 0`, a range no longer
/// than one interval, a log query with `interval`, an instant or literal-only metric query).
pub fn plan(expr: &Expr, qp: &QueryParams, split_ns: i64) -> Option<Split> {
    if split_ns <= 0 || qp.end_ns.saturating_sub(qp.start_ns) <= split_ns {
        return None;
    }
    match expr {
        Expr::Log(_) => windows(expr, qp, split_ns).map(Split::Logs),
        Expr::Metric(_) => step_groups(expr, qp, split_ns).map(Split::Steps),
    }
}

/// Groups of consecutive steps `start + k·step` (≤ `end`) spanning at most `split_ns` each,
/// as `(first, last)` step timestamps.
fn step_groups(expr: &Expr, qp: &QueryParams, split_ns: i64) -> Option<Vec<(i64, i64)>> {
    if qp.step_ns <= 0 || lakewatch_logql::selections(expr, qp).is_empty() {
        return None;
    }
    // Points per group: the group spans (per_group - 1)·step ≤ split_ns.
    let per_group = split_ns / qp.step_ns + 1;
    let mut out = Vec::new();
    let mut t = qp.start_ns;
    while t <= qp.end_ns {
        let last = t
            .saturating_add((per_group - 1).saturating_mul(qp.step_ns))
            .min(qp.end_ns - (qp.end_ns - t).rem_euclid(qp.step_ns));
        out.push((t, last));
        match last.checked_add(qp.step_ns) {
            Some(n) => t = n,
            None => break,
        }
    }
    (out.len() > 1).then_some(out)
}

/// The `[start, end)` windows (ns) of a split log query, in evaluation order, or `None` when
/// it is evaluated at once (metric query, `interval` set, `split_ns <= 0`, or a range no
/// longer than one interval). Windows are aligned to multiples of `split_ns`.
pub fn windows(expr: &Expr, qp: &QueryParams, split_ns: i64) -> Option<Vec<(i64, i64)>> {
    if !matches!(expr, Expr::Log(_))
        || qp.interval_ns > 0
        || split_ns <= 0
        || qp.end_ns.saturating_sub(qp.start_ns) <= split_ns
    {
        return None;
    }
    let mut out = Vec::new();
    let mut t = qp.start_ns;
    while t < qp.end_ns {
        let next = (t - t.rem_euclid(split_ns))
            .saturating_add(split_ns)
            .min(qp.end_ns);
        out.push((t, next));
        t = next;
    }
    if qp.direction == Direction::Backward {
        out.reverse();
    }
    Some(out)
}

/// Evaluates a split query (see [`plan`]).
pub async fn run(
    app: &App,
    tenants: &Tenants,
    expr: &Expr,
    qp: &QueryParams,
    split: &Split,
) -> Result<(QueryResult, EvalStats, u64), LokiError> {
    match split {
        Split::Logs(w) => run_logs(app, tenants, expr, qp, w).await,
        Split::Steps(g) => run_steps(app, tenants, expr, qp, g).await,
    }
}

fn add_stats(acc: &mut EvalStats, s: &EvalStats) {
    acc.lines_processed += s.lines_processed;
    acc.bytes_processed += s.bytes_processed;
    acc.post_filter_lines += s.post_filter_lines;
    acc.entries_returned += s.entries_returned;
}

/// Evaluates the metric range query group by group and concatenates the matrices.
async fn run_steps(
    app: &App,
    tenants: &Tenants,
    expr: &Expr,
    qp: &QueryParams,
    groups: &[(i64, i64)],
) -> Result<(QueryResult, EvalStats, u64), LokiError> {
    let mut series: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    let mut stats = EvalStats::default();
    let mut streams_read = 0u64;
    for &(first, last) in groups {
        let gq = QueryParams {
            start_ns: first,
            end_ns: last,
            ..qp.clone()
        };
        // A one-step group (first == last) stays a range query: `step_ns` > 0.
        let (result, s, read) = run_once(app, tenants, expr, gq).await?;
        add_stats(&mut stats, &s);
        streams_read += read;
        let part = match result {
            QueryResult::Matrix(m) => m,
            QueryResult::Vector(v) => v,
            _ => {
                return Err(LokiError::internal(
                    "split metric query did not return a matrix",
                ))
            }
        };
        for s in part {
            let max = app.loki.max_query_series;
            if !series.contains_key(&s.labels) && series.len() >= max {
                return Err(LokiError::bad_request(format!(
                    "maximum number of series ({max}) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()"
                )));
            }
            series.entry(s.labels).or_default().extend(s.points);
        }
    }
    let out = series
        .into_iter()
        .map(|(labels, points)| lakewatch_logql::eval::SeriesResult { labels, points })
        .collect();
    Ok((QueryResult::Matrix(out), stats, streams_read))
}

/// Evaluates the log query window by window (see the module docs) and merges the streams
/// (entries keep the direction's order: windows are visited in that order).
async fn run_logs(
    app: &App,
    tenants: &Tenants,
    expr: &Expr,
    qp: &QueryParams,
    windows: &[(i64, i64)],
) -> Result<(QueryResult, EvalStats, u64), LokiError> {
    let mut streams: BTreeMap<Labels, ResultStream> = BTreeMap::new();
    let mut stats = EvalStats::default();
    let mut streams_read = 0u64;
    let mut remaining = qp.limit;
    for &(start_ns, end_ns) in windows {
        if remaining == 0 {
            break;
        }
        let wq = QueryParams {
            start_ns,
            end_ns,
            limit: remaining,
            ..qp.clone()
        };
        let (result, s, read) = run_once(app, tenants, expr, wq).await?;
        add_stats(&mut stats, &s);
        streams_read += read;
        let QueryResult::Streams(part) = result else {
            return Err(LokiError::internal("log query did not return streams"));
        };
        for s in part {
            remaining = remaining.saturating_sub(s.entries.len());
            match streams.get_mut(&s.labels) {
                Some(acc) => acc.entries.extend(s.entries),
                None => {
                    streams.insert(s.labels.clone(), s);
                }
            }
        }
    }
    Ok((
        QueryResult::Streams(streams.into_values().collect()),
        stats,
        streams_read,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp(start: i64, end: i64, direction: Direction) -> QueryParams {
        QueryParams {
            start_ns: start,
            end_ns: end,
            step_ns: 1,
            interval_ns: 0,
            limit: 10,
            direction,
        }
    }

    #[test]
    fn aligned_windows() {
        let log = lakewatch_logql::parse(r#"{a="b"}"#).unwrap();
        let metric = lakewatch_logql::parse(r#"rate({a="b"}[1m])"#).unwrap();
        assert_eq!(
            windows(&log, &qp(5, 25, Direction::Forward), 10),
            Some(vec![(5, 10), (10, 20), (20, 25)])
        );
        assert_eq!(
            windows(&log, &qp(5, 25, Direction::Backward), 10),
            Some(vec![(20, 25), (10, 20), (5, 10)])
        );
        assert_eq!(windows(&log, &qp(5, 15, Direction::Forward), 10), None);
        assert_eq!(windows(&metric, &qp(5, 25, Direction::Forward), 10), None);
        assert_eq!(windows(&log, &qp(5, 25, Direction::Forward), 0), None);
    }

    #[test]
    fn metric_step_groups() {
        let metric = lakewatch_logql::parse(r#"rate({a="b"}[1m])"#).unwrap();
        let lit = lakewatch_logql::parse("vector(1)").unwrap();
        let mut q = qp(0, 100, Direction::Backward);
        q.step_ns = 10;
        // 11 steps 0..=100, at most 3 per group (span 20 ≤ 25).
        assert_eq!(
            plan(&metric, &q, 25),
            Some(Split::Steps(vec![(0, 20), (30, 50), (60, 80), (90, 100)]))
        );
        q.end_ns = 95;
        assert_eq!(
            plan(&metric, &q, 25),
            Some(Split::Steps(vec![(0, 20), (30, 50), (60, 80), (90, 90)]))
        );
        assert_eq!(plan(&lit, &q, 25), None);
        assert_eq!(plan(&metric, &q, 200), None);
    }
}
