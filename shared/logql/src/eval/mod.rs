//! The LogQL evaluator: log queries (streams) and metric queries (range and vector
//! aggregations, binary operators, `label_replace`, `vector()`, literals) over a [`LogSource`].
//!
//! Times are nanoseconds since the epoch. Data access is two-phase, as for PromQL: the caller
//! asks [`selections`] what to read, fetches it (async, from storage) into a [`MemSource`],
//! then evaluates synchronously.

mod binop;
mod extract;
mod logs;
mod range;
mod source;
mod step;
mod vector;

pub use logs::categorize_streams;

use crate::ast::{Expr, LogExpr, MetricExpr, RangeOp, VectorOp};
use lakewatch_model::{LabelMatcher, Labels, LogStream};
use std::collections::BTreeMap;

/// Loki's error for a log query run as an instant query.
pub const ERR_INSTANT_LOG_QUERY: &str =
    "log queries are not supported as an instant query type, please change your query to a range query type";

/// Evaluation errors; all are client errors (400) except `Internal`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Invalid query (bad regex, template, unsupported feature): Loki's 400 text.
    #[error("{0}")]
    BadQuery(String),
    /// A limit was exceeded (series, entries, points): 400 with Loki's text.
    #[error("{0}")]
    Limit(String),
    /// A pipeline error surfaced in a metric query (e.g. unwrap of a non-number) as Loki does.
    #[error("{0}")]
    Pipeline(String),
    /// Server-side failure (a 500), e.g. Loki's vector-matching conflicts
    /// (`multiple matches for labels: …`); displayed as Loki's bare message.
    #[error("{0}")]
    Internal(String),
}

/// What must be read for one stream selector of the query.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The selector's matchers (regexes fully anchored).
    pub matchers: Vec<LabelMatcher>,
    /// Inclusive start, ns.
    pub start_ns: i64,
    /// Exclusive end, ns.
    pub end_ns: i64,
    /// Substrings every matching line contains (pushdown hint from `|=` filters).
    pub line_contains: Vec<String>,
    /// The query never looks at the lines of this selection (`count_over_time`, `rate` or
    /// `absent_over_time` of a selector without pipeline): the fetch may return entries with
    /// empty lines (timestamps and structured metadata still exact). Default `false`.
    /// Stats then count no line bytes (`totalBytesProcessed`).
    pub skip_lines: bool,
}

/// Entries available to the evaluator.
pub trait LogSource {
    /// Streams matching `matchers` with entries in `[start_ns, end_ns)`, entries ascending.
    fn select(&self, matchers: &[LabelMatcher], start_ns: i64, end_ns: i64) -> Vec<LogStream>;

    /// The source as a [`MemSource`], if it is one: the evaluator then reads its streams in
    /// place instead of copying them through `select`.
    fn as_mem(&self) -> Option<&MemSource> {
        None
    }
}

/// An in-memory [`LogSource`] (what the API fetched, and tests).
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    /// Streams with entries ascending by timestamp (ns).
    pub streams: Vec<LogStream>,
}

impl LogSource for MemSource {
    /// Streams whose labels satisfy every matcher, restricted to entries in
    /// `[start_ns, end_ns)`; streams left without entries are omitted.
    fn select(&self, matchers: &[LabelMatcher], start_ns: i64, end_ns: i64) -> Vec<LogStream> {
        self.streams
            .iter()
            .filter(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)))
            .filter_map(|s| {
                let mut entries: Vec<_> = s
                    .entries
                    .iter()
                    .filter(|e| e.timestamp_ns >= start_ns && e.timestamp_ns < end_ns)
                    .cloned()
                    .collect();
                if entries.is_empty() {
                    return None;
                }
                entries.sort_by_key(|e| e.timestamp_ns);
                Some(LogStream {
                    labels: s.labels.clone(),
                    entries,
                })
            })
            .collect()
    }

    fn as_mem(&self) -> Option<&MemSource> {
        Some(self)
    }
}

/// Query direction for log queries (`direction=forward|backward`, default backward).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    Forward,
    #[default]
    Backward,
}

/// Parameters of one query, as the HTTP API parsed them. For an instant query
/// `start_ns == end_ns` and `step_ns == 0`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryParams {
    /// Start, ns (inclusive for log queries; first step for metric queries).
    pub start_ns: i64,
    /// End, ns (exclusive for log queries; last step ≤ end for metric queries).
    pub end_ns: i64,
    /// Step of range metric queries, ns.
    pub step_ns: i64,
    /// `interval` of range log queries (ns, 0 = none).
    pub interval_ns: i64,
    /// Max entries for log queries.
    pub limit: usize,
    /// Order in which log entries are chosen and listed.
    pub direction: Direction,
}

/// One entry of a streams result: labels split as for `categorize-labels`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultEntry {
    /// Entry timestamp, ns.
    pub timestamp_ns: i64,
    /// The line after the pipeline (`line_format`, `decolorize`, `unpack`).
    pub line: String,
    /// Structured metadata labels of the entry (after `drop`/`keep`).
    pub structured_metadata: Labels,
    /// Labels added by parsers/`label_format`, `__error__`/`__error_details__`.
    pub parsed: Labels,
}

/// One stream of a streams result (labels = stream labels after the pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultStream {
    /// The entries' final label set (stream ∪ structured metadata ∪ parsed, as Loki without
    /// `categorize-labels`; see [`categorize_streams`]).
    pub labels: Labels,
    /// Entries in the query direction.
    pub entries: Vec<ResultEntry>,
}

/// A metric series: `(timestamp_ns, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesResult {
    /// Series labels.
    pub labels: Labels,
    /// `(timestamp_ns, value)`, timestamps whole milliseconds as Loki's, ascending.
    pub points: Vec<(i64, f64)>,
}

/// The result of a query, shaped as Loki's `resultType`s.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Streams(Vec<ResultStream>),
    /// Instant metric query.
    Vector(Vec<SeriesResult>),
    /// Range metric query.
    Matrix(Vec<SeriesResult>),
    /// `(timestamp_ns, value)`.
    Scalar(i64, f64),
}

/// Counters for the `stats` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvalStats {
    /// Entries read in range (`totalLinesProcessed`).
    pub lines_processed: u64,
    /// Line plus structured-metadata bytes of those entries (`totalBytesProcessed`).
    pub bytes_processed: u64,
    /// Entries that passed the pipeline (`totalPostFilterLines`).
    pub post_filter_lines: u64,
    /// Entries (streams), samples (vector/matrix) or 0 (scalar) returned
    /// (`totalEntriesReturned`).
    pub entries_returned: u64,
}

/// Limits applied while evaluating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalLimits {
    /// Max series in a metric result (Loki `max_query_series`, default 500; 0 = no limit).
    pub max_series: usize,
    /// Max steps of a range query (11,000 per series as Loki; 0 = no limit).
    pub max_points_per_series: usize,
}

impl Default for EvalLimits {
    fn default() -> Self {
        EvalLimits {
            max_series: 500,
            max_points_per_series: 11_000,
        }
    }
}

/// The stream selectors `expr` reads, with the time range each needs: `[start, end)` for a
/// log query; `[start - range - offset, end - offset]` (end exclusive + 1 ns) for each range
/// aggregation, as Loki's `SelectSamples`. `line_contains` holds the literal `|=` filters
/// that apply to the stored line ([`crate::Pipeline::line_contains_hints`]): every line the
/// query can use contains all of them.
/// Selectors whose regexes do not compile are skipped ([`evaluate`] reports them).
pub fn selections(expr: &Expr, params: &QueryParams) -> Vec<Selection> {
    let mut out = Vec::new();
    match expr {
        Expr::Log(log) => push_selection(&mut out, log, params.start_ns, params.end_ns, false),
        Expr::Metric(m) => metric_selections(m, params, &mut out),
    }
    out
}

fn metric_selections(m: &MetricExpr, params: &QueryParams, out: &mut Vec<Selection>) {
    match m {
        MetricExpr::Range(r) => {
            let offset = r.offset.unwrap_or(0);
            // Counting entries needs their timestamps and labels only.
            let counts = matches!(
                r.op,
                RangeOp::CountOverTime | RangeOp::Rate | RangeOp::AbsentOverTime
            );
            push_selection(
                out,
                &r.log,
                params.start_ns - r.range - offset,
                (params.end_ns - offset).saturating_add(1),
                counts,
            );
        }
        MetricExpr::Vector(v) => metric_selections(&v.expr, params, out),
        MetricExpr::Binary(b) => {
            metric_selections(&b.lhs, params, out);
            metric_selections(&b.rhs, params, out);
        }
        MetricExpr::LabelReplace { expr, .. } => metric_selections(expr, params, out),
        MetricExpr::Literal(_) | MetricExpr::VectorLit(_) => {}
    }
}

/// Adds the selection of `log`; `counts`: the query only counts its entries (lines are
/// skipped if the pipeline is empty too).
fn push_selection(
    out: &mut Vec<Selection>,
    log: &LogExpr,
    start_ns: i64,
    end_ns: i64,
    counts: bool,
) {
    let Ok(matchers) = extract::to_matchers(&log.selector) else {
        return;
    };
    // A pipeline that does not compile reads nothing useful; `evaluate` reports the error.
    let pipeline = crate::pipeline::Pipeline::new(&log.pipeline);
    let line_contains = pipeline
        .as_ref()
        .map(|p| p.line_contains_hints())
        .unwrap_or_default();
    let skip_lines = counts && pipeline.as_ref().is_ok_and(|p| p.is_noop());
    out.push(Selection {
        matchers,
        start_ns,
        end_ns,
        line_contains,
        skip_lines,
    });
}

/// Evaluates `expr` over `source`, as Loki's engine.
///
/// - Log query: [`QueryResult::Streams`] (entries in `[start, end)`, `limit`, `direction`,
///   `interval`); an instant log query is `BadQuery(ERR_INSTANT_LOG_QUERY)`.
/// - Metric query: instant (`start == end`, `step == 0`) gives [`QueryResult::Vector`]
///   (sorted by labels unless the query uses `sort`/`sort_desc`) or [`QueryResult::Scalar`]
///   for a literal; range gives [`QueryResult::Matrix`] sorted by labels. Point timestamps are
///   whole milliseconds (expressed in ns), as Loki's.
///
/// Errors: `BadQuery` (Loki's parse-time checks, e.g. `topk` parameter, literal legs of set
/// operators, bad `label_replace` regex), `Pipeline` (a series still carrying `__error__`),
/// `Limit` (more than `max_series` series, too many points), `Internal` (vector matching
/// conflicts, a 500 in Loki).
pub fn evaluate(
    expr: &Expr,
    params: &QueryParams,
    limits: &EvalLimits,
    source: &dyn LogSource,
) -> Result<(QueryResult, EvalStats), EvalError> {
    let instant = params.start_ns == params.end_ns && params.step_ns == 0;
    let mut stats = EvalStats::default();
    let metric = match expr {
        Expr::Log(log) => {
            if instant {
                return Err(EvalError::BadQuery(ERR_INSTANT_LOG_QUERY.into()));
            }
            let streams = logs::eval_logs(log, params, source, &mut stats)?;
            return Ok((QueryResult::Streams(streams), stats));
        }
        Expr::Metric(m) => m,
    };
    validate(metric)?;
    if !instant {
        if params.step_ns <= 0 {
            return Err(EvalError::BadQuery(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        let points = (params.end_ns - params.start_ns) / params.step_ns;
        if limits.max_points_per_series > 0 && points > limits.max_points_per_series as i64 {
            return Err(EvalError::Limit(
                "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter".into(),
            ));
        }
    }
    let folded = binop::fold(metric)?;
    if let MetricExpr::Literal(v) = folded {
        let start_ms = params.start_ns / 1_000_000;
        if instant {
            return Ok((QueryResult::Scalar(start_ms * 1_000_000, v), stats));
        }
        let mut points = Vec::new();
        let mut t = params.start_ns;
        while t <= params.end_ns {
            points.push(((t / 1_000_000) * 1_000_000, v));
            t += params.step_ns;
        }
        stats.entries_returned = points.len() as u64;
        let series = SeriesResult {
            labels: Labels::default(),
            points,
        };
        return Ok((QueryResult::Matrix(vec![series]), stats));
    }
    let mut ctx = step::Ctx {
        params,
        source,
        stats,
    };
    let steps = step::eval(&folded, &mut ctx)?;
    let mut stats = ctx.stats;
    let max_series = limits.max_series;
    let limit_err = || {
        EvalError::Limit(format!(
            "maximum number of series ({}) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()",
            limits.max_series
        ))
    };
    if instant {
        let (ts, vec) = steps
            .into_iter()
            .next()
            .unwrap_or((params.start_ns / 1_000_000, Vec::new()));
        if max_series > 0 && vec.len() > max_series {
            return Err(limit_err());
        }
        let mut out: Vec<SeriesResult> = vec
            .into_iter()
            .map(|s| SeriesResult {
                labels: s.labels,
                points: vec![(ts * 1_000_000, s.value)],
            })
            .collect();
        if !uses_sort(&folded) {
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
        }
        stats.entries_returned = out.len() as u64;
        return Ok((QueryResult::Vector(out), stats));
    }
    let mut series: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    for (ts, vec) in steps {
        if max_series > 0 && vec.len() > max_series {
            return Err(limit_err());
        }
        for s in vec {
            if max_series > 0 && !series.contains_key(&s.labels) && series.len() >= max_series {
                return Err(limit_err());
            }
            series
                .entry(s.labels)
                .or_default()
                .push((ts * 1_000_000, s.value));
        }
    }
    let out: Vec<SeriesResult> = series
        .into_iter()
        .map(|(labels, points)| SeriesResult { labels, points })
        .collect();
    stats.entries_returned = out.iter().map(|s| s.points.len() as u64).sum();
    Ok((QueryResult::Matrix(out), stats))
}

/// Whether the query contains `sort`/`sort_desc` (Loki then keeps the instant vector's order).
fn uses_sort(m: &MetricExpr) -> bool {
    match m {
        MetricExpr::Vector(v) => {
            matches!(v.op, VectorOp::Sort | VectorOp::SortDesc) || uses_sort(&v.expr)
        }
        MetricExpr::Binary(b) => uses_sort(&b.lhs) || uses_sort(&b.rhs),
        MetricExpr::LabelReplace { expr, .. } => uses_sort(expr),
        _ => false,
    }
}

/// Loki's parse-time checks the parser leaves to us: `topk`/`bottomk` need an integer k > 0.
fn validate(m: &MetricExpr) -> Result<(), EvalError> {
    match m {
        MetricExpr::Vector(v) => {
            if matches!(v.op, VectorOp::Topk | VectorOp::Bottomk) {
                let name = if v.op == VectorOp::Topk {
                    "topk"
                } else {
                    "bottomk"
                };
                let k = v.param.unwrap_or(0.0);
                if k.fract() != 0.0 || !k.is_finite() {
                    return Err(EvalError::BadQuery(format!(
                        "parse error : invalid parameter {name}({k},"
                    )));
                }
                if k <= 0.0 {
                    return Err(EvalError::BadQuery(format!(
                        "parse error : invalid parameter (must be greater than 0) {name}({k}"
                    )));
                }
            }
            validate(&v.expr)
        }
        MetricExpr::Binary(b) => {
            validate(&b.lhs)?;
            validate(&b.rhs)
        }
        MetricExpr::LabelReplace { expr, .. } => validate(expr),
        _ => Ok(()),
    }
}
