//! Splitting long log queries by time, as Loki's `split_queries_by_interval`: a log query
//! (streams result) over more than one interval is evaluated window by window in the
//! query's direction (newest window first for `backward`), each with the entries still
//! missing, and stops once `limit` entries are collected. This bounds the memory of one
//! evaluation and ends early when the limit is reached. Metric queries and log queries with
//! `interval` are evaluated at once.

use super::error::LokiError;
use super::query::run_once;
use crate::app::App;
use crate::tenants::Tenants;
use lakewatch_logql::eval::{Direction, EvalStats, QueryParams, ResultStream};
use lakewatch_logql::{Expr, QueryResult};
use lakewatch_model::Labels;
use std::collections::BTreeMap;

/// The `[start, end)` windows (ns) of a split log query, in evaluation order, or `None` when
/// the query is evaluated at once (metric query, `interval` set, `split_ns <= 0`, or a range
/// no longer than one interval). Windows are aligned to multiples of `split_ns`.
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

/// Evaluates the log query window by window (see the module docs) and merges the streams
/// (entries keep the direction's order: windows are visited in that order).
pub async fn run(
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
        stats.lines_processed += s.lines_processed;
        stats.bytes_processed += s.bytes_processed;
        stats.post_filter_lines += s.post_filter_lines;
        stats.entries_returned += s.entries_returned;
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
}
