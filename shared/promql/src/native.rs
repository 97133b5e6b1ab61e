//! PromQL histogram functions over classic (`le`) buckets and native [`FloatHistogram`]s, with
//! Prometheus's exact semantics and annotation texts (`promql/quantile.go`,
//! `promql/functions.go`, `util/annotations`).
//!
//! # API summary (for the engine)
//!
//! Per-histogram math (pure):
//! - [`bucket_quantile`]`(q, Vec<ClassicBucket>) -> BucketQuantile` — classic `histogram_quantile`
//!   (sort, coalesce, monotonicity fix, interpolation, +Inf rules).
//! - [`bucket_fraction`]`(lower, upper, Vec<ClassicBucket>) -> f64` — classic `histogram_fraction`.
//! - [`histogram_quantile`]`(q, &h, metric_name) -> (f64, Vec<Annotation>)` — native.
//! - [`histogram_fraction`]`(lower, upper, &h, metric_name) -> (f64, Vec<Annotation>)` — native.
//! - [`histogram_count`], [`histogram_sum`], [`histogram_avg`], [`histogram_stdvar`],
//!   [`histogram_stddev`]`(&h) -> f64`.
//!
//! Whole-vector helpers (do the grouping Prometheus's `resetHistograms` does):
//! - [`split_histogram_input`]`(&[HistInput]) -> (SplitInput, Vec<Annotation>)` — classic buckets
//!   grouped by labels-without-`le`, native histograms, bad `le` warnings, classic/native
//!   conflicts dropped with a warning.
//! - [`histogram_quantile_vector`], [`histogram_fraction_vector`] — the full functions for one
//!   step: output `(labels, value)` (labels still carry `__name__`; the caller drops it, as
//!   Prometheus `DropName: true`), plus annotations.
//!
//! Engine helpers:
//! - [`histogram_rate_delta`]`(&[&FloatHistogram], is_counter, metric_name)` — the
//!   difference `last - first` with counter-reset correction as Prometheus `histogramRate`
//!   (the caller applies the extrapolation factor with [`FloatHistogram::mul`]).
//! - [`sum_histograms`] / [`avg_histograms`] — `sum`/`avg` aggregation (and `*_over_time`)
//!   of histograms with Kahan summation and the collision / reconciliation / mixed-schema
//!   outcomes.
//! - [`stats_iterator_view`] — the count/sum-only view with on-the-fly reset hints that
//!   Prometheus feeds to `histogram_count`/`histogram_sum`/`histogram_avg` selectors.
//! - [`Annotation`] — every annotation is returned as a value; [`Annotation::message`] renders
//!   the text *after* `PromQL warning: ` / `PromQL info: ` and *before* the ` (line:col)`
//!   position, which the engine appends. [`Annotation::is_warning`] tells the kind.
//!   The monotonicity info is mergeable across series and steps ([`MonotonicityInfo::merge`]).
//! - [`format_go_float`] — Go `%g` formatting (used in annotation texts and `quantile` labels).
//!
//! Binary `-` between histograms must set the result's hint to `Gauge` (Prometheus does so in
//! the engine, not in `FloatHistogram.Sub`); `+`/`-` report
//! [`lakewatch_model::histogram::CombineInfo`] flags as warnings/infos.

use lakewatch_model::histogram::{Bucket, HistogramError};
use lakewatch_model::{FloatHistogram, Labels, ResetHint};

/// Tolerance below which classic bucket count differences are treated as float noise.
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// One classic histogram bucket: cumulative `count` of observations ≤ `upper_bound`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassicBucket {
    pub upper_bound: f64,
    pub count: f64,
}

/// Result of [`bucket_quantile`] (Prometheus `BucketQuantile`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketQuantile {
    pub value: f64,
    /// Buckets were not monotonic and were fixed (emit [`Annotation::ForcedMonotonicity`]).
    pub forced_monotonic: bool,
    /// Tiny float differences were ignored.
    pub fixed_precision: bool,
    /// Lowest / highest upper bound of a fixed bucket and the largest decrease fixed.
    pub min_bucket: f64,
    pub max_bucket: f64,
    pub max_diff: f64,
}

/// Which histogram operation an annotation refers to (Prometheus `HistogramOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistogramOp {
    Addition,
    Subtraction,
    Aggregation,
}

impl HistogramOp {
    fn as_str(self) -> &'static str {
        match self {
            HistogramOp::Addition => "addition",
            HistogramOp::Subtraction => "subtraction",
            HistogramOp::Aggregation => "aggregation",
        }
    }
}

/// The mergeable "needed to be fixed for monotonicity" info (Prometheus
/// `histogramQuantileForcedMonotonicityErr`). Times in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct MonotonicityInfo {
    pub metric_name: String,
    pub min_ts: i64,
    pub max_ts: i64,
    pub min_bucket: f64,
    pub max_bucket: f64,
    pub max_diff: f64,
    /// Number of merged occurrences minus one.
    pub count: usize,
}

impl MonotonicityInfo {
    /// Merges another occurrence (same metric name) into `self`, as Prometheus `Merge`.
    pub fn merge(&mut self, o: &MonotonicityInfo) {
        self.min_ts = self.min_ts.min(o.min_ts);
        self.max_ts = self.max_ts.max(o.max_ts);
        self.min_bucket = self.min_bucket.min(o.min_bucket);
        self.max_bucket = self.max_bucket.max(o.max_bucket);
        self.max_diff = self.max_diff.max(o.max_diff);
        self.count += o.count + 1;
    }
}

/// A PromQL annotation produced by histogram code. Render with [`Annotation::message`].
#[derive(Debug, Clone, PartialEq)]
pub enum Annotation {
    /// warning: `quantile value should be between 0 and 1, got %g`.
    InvalidQuantile(f64),
    /// warning: `bucket label "le" is missing or has a malformed value of %q for metric name %q`.
    BadBucketLabel { metric_name: String, le: String },
    /// warning: `vector contains a mix of classic and native histograms for metric name %q`.
    MixedClassicNative { metric_name: String },
    /// info: `input to histogram_quantile needed to be fixed for monotonicity (see …)…`.
    ForcedMonotonicity(MonotonicityInfo),
    /// info: `input to histogram_quantile has NaN observations, result is NaN …`.
    QuantileNaNResult { metric_name: String },
    /// info: `input to histogram_quantile has NaN observations, result is skewed higher …`.
    QuantileNaNSkew { metric_name: String },
    /// info: `input to histogram_fraction has NaN observations, which are excluded …`.
    FractionNaNs { metric_name: String },
    /// warning: `encountered a mix of histograms and floats for metric name %q`.
    MixedFloatsHistograms { metric_name: String },
    /// warning: `this native histogram metric is not a counter: %q`.
    NotCounter { metric_name: String },
    /// warning: `this native histogram metric is not a gauge: %q`.
    NotGauge { metric_name: String },
    /// warning: `vector contains a mix of histograms with exponential and custom buckets
    /// schemas for metric name %q`.
    MixedExponentialCustom { metric_name: String },
    /// warning: `conflicting counter resets during histogram <op>`.
    CounterResetCollision(HistogramOp),
    /// info: `mismatched custom buckets were reconciled during <op>`.
    MismatchedCustomBuckets(HistogramOp),
}

fn with_metric(msg: String, metric_name: &str) -> String {
    if metric_name.is_empty() {
        msg
    } else {
        format!("{msg} for metric name {metric_name:?}")
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp(ms.div_euclid(1000), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl Annotation {
    /// `true` for warnings, `false` for infos.
    pub fn is_warning(&self) -> bool {
        !matches!(
            self,
            Annotation::ForcedMonotonicity(_)
                | Annotation::QuantileNaNResult { .. }
                | Annotation::QuantileNaNSkew { .. }
                | Annotation::FractionNaNs { .. }
                | Annotation::MismatchedCustomBuckets(_)
        )
    }

    /// The annotation text without the `PromQL warning: `/`PromQL info: ` prefix and without
    /// the trailing ` (line:col)` position.
    pub fn message(&self) -> String {
        match self {
            Annotation::InvalidQuantile(q) => format!(
                "quantile value should be between 0 and 1, got {}",
                format_go_float(*q)
            ),
            Annotation::BadBucketLabel { metric_name, le } => with_metric(
                format!("bucket label \"le\" is missing or has a malformed value of {le:?}"),
                metric_name,
            ),
            Annotation::MixedClassicNative { metric_name } => with_metric(
                "vector contains a mix of classic and native histograms".into(),
                metric_name,
            ),
            Annotation::ForcedMonotonicity(m) => format!(
                "{}, from buckets {} to {}, with a max diff of {}, over {} samples from {} to {}",
                with_metric(
                    "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)".into(),
                    &m.metric_name
                ),
                format_go_float(m.min_bucket),
                format_go_float(m.max_bucket),
                format_go_float_prec(m.max_diff, 2),
                m.count + 1,
                rfc3339(m.min_ts),
                rfc3339(m.max_ts)
            ),
            Annotation::QuantileNaNResult { metric_name } => with_metric(
                "input to histogram_quantile has NaN observations, result is NaN".into(),
                metric_name,
            ),
            Annotation::QuantileNaNSkew { metric_name } => with_metric(
                "input to histogram_quantile has NaN observations, result is skewed higher".into(),
                metric_name,
            ),
            Annotation::FractionNaNs { metric_name } => with_metric(
                "input to histogram_fraction has NaN observations, which are excluded from all fractions".into(),
                metric_name,
            ),
            Annotation::MixedFloatsHistograms { metric_name } => {
                format!("encountered a mix of histograms and floats for metric name {metric_name:?}")
            }
            Annotation::NotCounter { metric_name } => {
                format!("this native histogram metric is not a counter: {metric_name:?}")
            }
            Annotation::NotGauge { metric_name } => {
                format!("this native histogram metric is not a gauge: {metric_name:?}")
            }
            Annotation::MixedExponentialCustom { metric_name } => format!(
                "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {metric_name:?}"
            ),
            Annotation::CounterResetCollision(op) => {
                format!("conflicting counter resets during histogram {}", op.as_str())
            }
            Annotation::MismatchedCustomBuckets(op) => {
                format!("mismatched custom buckets were reconciled during {}", op.as_str())
            }
        }
    }

    /// Full text with prefix, e.g. `PromQL info: … ` — the caller appends ` (line:col)`.
    pub fn render(&self) -> String {
        let kind = if self.is_warning() { "warning" } else { "info" };
        format!("PromQL {kind}: {}", self.message())
    }
}

/// Formats like Go `fmt` `%g` with shortest precision: round-trip digits, exponent form
/// (`1e+06`, `1.5e-05`) when the decimal exponent is < -4 or ≥ 6; `NaN`, `+Inf`, `-Inf`.
pub fn format_go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits via Rust's `{:e}` formatting.
    let e = format!("{:e}", v);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    go_layout(v, mant, exp, 6)
}

fn go_layout(v: f64, mant: &str, exp: i32, eprec: i32) -> String {
    if exp < -4 || exp >= eprec {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

/// Go `%.{prec}g`.
pub fn format_go_float_prec(v: f64, prec: usize) -> String {
    if !v.is_finite() || v == 0.0 {
        return format_go_float(v);
    }
    let prec = prec.max(1);
    let e = format!("{:.*e}", prec - 1, v);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // %g removes trailing zeros.
    let trim = |m: &str| -> String {
        if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            m.to_string()
        }
    };
    if exp < -4 || exp >= prec as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant), exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim(&format!("{:.*}", decimals, v))
    }
}

// ---------------------------------------------------------------- classic buckets

fn sort_and_coalesce(mut buckets: Vec<ClassicBucket>) -> Vec<ClassicBucket> {
    buckets.sort_by(|a, b| {
        a.upper_bound
            .partial_cmp(&b.upper_bound)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out: Vec<ClassicBucket> = Vec::with_capacity(buckets.len());
    for b in buckets {
        match out.last_mut() {
            Some(last) if last.upper_bound == b.upper_bound => last.count += b.count,
            _ => out.push(b),
        }
    }
    out
}

fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    const MIN_NORMAL: f64 = 2.2250738585072014e-308;
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < eps * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < eps
}

/// Classic `histogram_quantile` over cumulative `le` buckets (Prometheus `BucketQuantile`):
/// q NaN → NaN, q < 0 → -Inf, q > 1 → +Inf; no +Inf bucket, fewer than 2 buckets or zero
/// observations → NaN; non-monotonic counts are fixed (reported); linear interpolation inside
/// the bucket; a rank in the +Inf bucket returns the second-highest bound; a rank in the first
/// bucket with upper bound ≤ 0 returns that bound.
pub fn bucket_quantile(q: f64, buckets: Vec<ClassicBucket>) -> BucketQuantile {
    let mut r = BucketQuantile {
        value: f64::NAN,
        forced_monotonic: false,
        fixed_precision: false,
        min_bucket: 0.0,
        max_bucket: 0.0,
        max_diff: 0.0,
    };
    if q.is_nan() {
        return r;
    }
    if q < 0.0 {
        r.value = f64::NEG_INFINITY;
        return r;
    }
    if q > 1.0 {
        r.value = f64::INFINITY;
        return r;
    }
    if buckets.is_empty() {
        return r;
    }
    let mut b = sort_and_coalesce(buckets);
    if b.last().map(|x| x.upper_bound) != Some(f64::INFINITY) {
        return r;
    }
    // ensureMonotonicAndIgnoreSmallDeltas
    let (mut min_b, mut max_b, mut max_d) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    let mut prev = b[0].count;
    for x in b.iter_mut().skip(1) {
        let curr = x.count;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, SMALL_DELTA_TOLERANCE) {
            x.count = prev;
            r.fixed_precision = true;
            continue;
        }
        if curr < prev {
            x.count = prev;
            r.forced_monotonic = true;
            min_b = min_b.min(x.upper_bound);
            max_b = max_b.max(x.upper_bound);
            max_d = max_d.max(prev - curr);
            continue;
        }
        prev = curr;
    }
    r.min_bucket = min_b;
    r.max_bucket = max_b;
    r.max_diff = max_d;
    if b.len() < 2 {
        return r;
    }
    let n = b.len();
    let observations = b[n - 1].count;
    if observations == 0.0 {
        return r;
    }
    let mut rank = q * observations;
    let idx = b[..n - 1].partition_point(|x| x.count < rank);
    r.value = if idx == n - 1 {
        b[n - 2].upper_bound
    } else if idx == 0 && b[0].upper_bound <= 0.0 {
        b[0].upper_bound
    } else {
        let mut start = 0.0;
        let end = b[idx].upper_bound;
        let mut count = b[idx].count;
        if idx > 0 {
            start = b[idx - 1].upper_bound;
            count -= b[idx - 1].count;
            rank -= b[idx - 1].count;
        }
        start + (end - start) * (rank / count)
    };
    r
}

/// Classic `histogram_fraction(lower, upper)` over cumulative `le` buckets (Prometheus
/// `BucketFraction`): linear interpolation; the first bucket's lower bound is 0, or -Inf if its
/// upper bound is ≤ 0.
pub fn bucket_fraction(lower: f64, upper: f64, buckets: Vec<ClassicBucket>) -> f64 {
    if buckets.is_empty() {
        return f64::NAN;
    }
    let b = sort_and_coalesce(buckets);
    if b.last().map(|x| x.upper_bound) != Some(f64::INFINITY) {
        return f64::NAN;
    }
    let count = b[b.len() - 1].count;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    let mut lower_bound = if b[0].upper_bound <= 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            lower_bound = b[i - 1].upper_bound;
        }
        let upper_bound = x.upper_bound;
        let interp = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                x.count
            } else {
                rank + (x.count - rank) * (v - lower_bound) / (upper_bound - lower_bound)
            }
        };
        if !lower_set && lower_bound >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && lower_bound >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && lower_bound < lower && upper_bound > lower {
            lower_rank = interp(lower);
            lower_set = true;
        }
        if !upper_set && lower_bound < upper && upper_bound > upper {
            upper_rank = interp(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank = x.count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    (upper_rank - lower_rank) / count
}

// ---------------------------------------------------------------- native histograms

/// All buckets from highest to lowest value (Prometheus `AllReverseBucketIterator`).
fn all_buckets_reverse(h: &FloatHistogram) -> Vec<Bucket> {
    let mut v = h.all_buckets();
    v.reverse();
    v
}

/// Native `histogram_quantile` (Prometheus `HistogramQuantile`): exponential interpolation
/// within exponential buckets, linear within the zero bucket and custom buckets; NaN
/// observations (sum NaN) reported via annotations. `metric_name` is used in annotations.
pub fn histogram_quantile(q: f64, h: &FloatHistogram, metric_name: &str) -> (f64, Vec<Annotation>) {
    let mut annos = Vec::new();
    if q < 0.0 {
        return (f64::NEG_INFINITY, annos);
    }
    if q > 1.0 {
        return (f64::INFINITY, annos);
    }
    if h.count == 0.0 || q.is_nan() {
        return (f64::NAN, annos);
    }
    let forward = h.sum.is_nan() || q < 0.5;
    let (list, mut rank) = if forward {
        (h.all_buckets(), q * h.count)
    } else {
        (all_buckets_reverse(h), (1.0 - q) * h.count)
    };
    let mut count = 0.0;
    let mut bucket = Bucket {
        lower: 0.0,
        upper: 0.0,
        lower_inclusive: false,
        upper_inclusive: false,
        count: 0.0,
        index: 0,
    };
    let mut pos = 0;
    while pos < list.len() {
        bucket = list[pos];
        pos += 1;
        if bucket.count == 0.0 {
            continue;
        }
        count += bucket.count;
        if count >= rank {
            break;
        }
    }
    if !h.uses_custom_buckets() && bucket.lower < 0.0 && bucket.upper > 0.0 {
        if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
            bucket.lower = 0.0;
        } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
            bucket.upper = 0.0;
        }
    } else if h.uses_custom_buckets() {
        if bucket.lower == f64::NEG_INFINITY {
            if bucket.upper <= 0.0 {
                return (bucket.upper, annos);
            }
            bucket.lower = 0.0;
        } else if bucket.upper == f64::INFINITY {
            return (bucket.lower, annos);
        }
    }
    if count > h.count {
        count = h.count;
    }
    if count < rank {
        if h.sum.is_nan() {
            annos.push(Annotation::QuantileNaNResult {
                metric_name: metric_name.to_string(),
            });
            return (f64::NAN, annos);
        }
        return (bucket.upper, annos);
    }
    if forward {
        rank -= count - bucket.count;
    } else {
        rank = count - rank;
    }
    if h.sum.is_nan() {
        let rest: f64 = list[pos..].iter().map(|b| b.count).sum();
        if count + rest < h.count {
            annos.push(Annotation::QuantileNaNSkew {
                metric_name: metric_name.to_string(),
            });
        }
    }
    let fraction = rank / bucket.count;
    if h.uses_custom_buckets() || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
        return (
            bucket.lower + (bucket.upper - bucket.lower) * fraction,
            annos,
        );
    }
    let log_lower = bucket.lower.abs().log2();
    let log_upper = bucket.upper.abs().log2();
    if bucket.lower > 0.0 {
        return (
            (log_lower + (log_upper - log_lower) * fraction).exp2(),
            annos,
        );
    }
    (
        -(log_upper + (log_lower - log_upper) * (1.0 - fraction)).exp2(),
        annos,
    )
}

fn fraction_below(b: &Bucket, v: f64, linear: bool) -> f64 {
    if linear {
        return (v - b.lower) / (b.upper - b.lower);
    }
    let log_lower = b.lower.abs().log2();
    let log_upper = b.upper.abs().log2();
    let log_v = v.abs().log2();
    if v > 0.0 {
        (log_v - log_lower) / (log_upper - log_lower)
    } else {
        1.0 - ((log_v - log_upper) / (log_lower - log_upper))
    }
}

/// Native `histogram_fraction(lower, upper)` (Prometheus `HistogramFraction`): fraction of
/// observations in `[lower, upper]`, interpolating exponentially in exponential buckets and
/// linearly in the zero bucket and custom buckets.
pub fn histogram_fraction(
    lower: f64,
    upper: f64,
    h: &FloatHistogram,
    metric_name: &str,
) -> (f64, Vec<Annotation>) {
    let mut annos = Vec::new();
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return (f64::NAN, annos);
    }
    if lower >= upper {
        return (0.0, annos);
    }
    let list = h.all_buckets();
    let (mut count, mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    let mut pos = 0;
    while pos < list.len() {
        let mut b = list[pos];
        pos += 1;
        count += b.count;
        let mut zero_bucket = false;
        if b.lower <= 0.0 && b.upper >= 0.0 {
            zero_bucket = true;
            if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
                b.lower = 0.0;
            } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
                b.upper = 0.0;
            }
        }
        let linear = h.uses_custom_buckets() || zero_bucket;
        let interp = |v: f64| {
            if linear {
                if b.lower == f64::NEG_INFINITY {
                    return b.count;
                }
                rank + b.count * fraction_below(&b, v, true)
            } else {
                rank + b.count * fraction_below(&b, v, false)
            }
        };
        if !lower_set && b.lower >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b.lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b.lower < lower && b.upper > lower {
            lower_rank = interp(lower);
            lower_set = true;
        }
        if !upper_set && b.lower < upper && b.upper > upper {
            upper_rank = interp(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b.count;
    }
    if h.sum.is_nan() {
        count += list[pos..].iter().map(|b| b.count).sum::<f64>();
        if count < h.count {
            annos.push(Annotation::FractionNaNs {
                metric_name: metric_name.to_string(),
            });
        }
    } else {
        count = h.count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    ((upper_rank - lower_rank) / h.count, annos)
}

/// `histogram_count`: the observation count.
pub fn histogram_count(h: &FloatHistogram) -> f64 {
    h.count
}

/// `histogram_sum`: the sum of observations.
pub fn histogram_sum(h: &FloatHistogram) -> f64 {
    h.sum
}

/// `histogram_avg`: `sum / count`.
pub fn histogram_avg(h: &FloatHistogram) -> f64 {
    h.sum / h.count
}

/// `histogram_stdvar`: estimated variance, each bucket's observations placed at its geometric
/// mean (exponential), 0 (zero bucket) or arithmetic mean (custom buckets); Kahan summation.
pub fn histogram_stdvar(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        let val = if h.uses_custom_buckets() {
            (b.upper + b.lower) / 2.0
        } else if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let v = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 {
                -v
            } else {
                v
            }
        };
        let delta = val - mean;
        let inc = b.count * delta * delta;
        // Kahan-Babuska (Neumaier) increment, as Prometheus kahansum.Inc.
        let t = sum + inc;
        if t.is_infinite() {
            c = 0.0;
        } else if sum.abs() >= inc.abs() {
            c += (sum - t) + inc;
        } else {
            c += (inc - t) + sum;
        }
        sum = t;
    }
    (sum + c) / h.count
}

/// `histogram_stddev`: square root of [`histogram_stdvar`].
pub fn histogram_stddev(h: &FloatHistogram) -> f64 {
    histogram_stdvar(h).sqrt()
}

// ---------------------------------------------------------------- whole-vector helpers

/// One element of the input vector of `histogram_quantile`/`histogram_fraction`.
#[derive(Debug, Clone, Copy)]
pub struct HistInput<'a> {
    pub labels: &'a Labels,
    pub value: f64,
    pub histogram: Option<&'a FloatHistogram>,
}

/// The input split as Prometheus `resetHistograms` does.
#[derive(Debug, Clone, Default)]
pub struct SplitInput {
    /// Native histograms (labels unchanged), in input order.
    pub native: Vec<(Labels, FloatHistogram)>,
    /// Classic histograms: labels without `le`, buckets; in first-seen order.
    pub classic: Vec<(Labels, Vec<ClassicBucket>)>,
}

fn parse_le(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "+inf" | "inf" | "+infinity" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => {
            if t.is_empty() || t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
            {
                None
            } else {
                t.parse().ok()
            }
        }
    }
}

/// Splits the input into classic bucket groups and native histograms: float samples whose `le`
/// does not parse yield [`Annotation::BadBucketLabel`] and are skipped; a native histogram
/// with the same labels as a classic group drops both with
/// [`Annotation::MixedClassicNative`].
pub fn split_histogram_input(input: &[HistInput]) -> (SplitInput, Vec<Annotation>) {
    let mut annos = Vec::new();
    let mut out = SplitInput::default();
    let mut natives: Vec<(Labels, FloatHistogram)> = Vec::new();
    for s in input {
        if let Some(h) = s.histogram {
            natives.push((s.labels.clone(), h.clone()));
            continue;
        }
        let le_str = s.labels.get("le").unwrap_or("");
        let Some(le) = parse_le(le_str) else {
            annos.push(Annotation::BadBucketLabel {
                metric_name: s.labels.metric_name().unwrap_or("").to_string(),
                le: le_str.to_string(),
            });
            continue;
        };
        let mut key = s.labels.clone();
        key.remove("le");
        let b = ClassicBucket {
            upper_bound: le,
            count: s.value,
        };
        match out.classic.iter_mut().find(|(l, _)| *l == key) {
            Some((_, v)) => v.push(b),
            None => out.classic.push((key, vec![b])),
        }
    }
    for (l, h) in natives {
        if let Some(i) = out
            .classic
            .iter()
            .position(|(cl, b)| *cl == l && !b.is_empty())
        {
            annos.push(Annotation::MixedClassicNative {
                metric_name: l.metric_name().unwrap_or("").to_string(),
            });
            out.classic.remove(i);
            continue;
        }
        out.native.push((l, h));
    }
    (out, annos)
}

/// Full `histogram_quantile(q, v)` for one step at `ts_ms`: output `(labels, value)` where
/// labels are the native histogram's labels or the classic group's labels without `le`
/// (the caller drops `__name__`). Emits the invalid-quantile warning, bucket-label and
/// mixed warnings, NaN infos and the monotonicity info (metric name included, as with
/// delayed name removal).
pub fn histogram_quantile_vector(
    q: f64,
    input: &[HistInput],
    ts_ms: i64,
) -> (Vec<(Labels, f64)>, Vec<Annotation>) {
    let mut annos = Vec::new();
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        annos.push(Annotation::InvalidQuantile(q));
    }
    let (split, a) = split_histogram_input(input);
    annos.extend(a);
    let mut out = Vec::new();
    for (l, h) in split.native {
        let (v, a) = histogram_quantile(q, &h, l.metric_name().unwrap_or(""));
        annos.extend(a);
        out.push((l, v));
    }
    for (l, buckets) in split.classic {
        let r = bucket_quantile(q, buckets);
        if r.forced_monotonic {
            annos.push(Annotation::ForcedMonotonicity(MonotonicityInfo {
                metric_name: l.metric_name().unwrap_or("").to_string(),
                min_ts: ts_ms,
                max_ts: ts_ms,
                min_bucket: r.min_bucket,
                max_bucket: r.max_bucket,
                max_diff: r.max_diff,
                count: 0,
            }));
        }
        out.push((l, r.value));
    }
    (out, annos)
}

/// Full `histogram_fraction(lower, upper, v)` for one step (see
/// [`histogram_quantile_vector`] for the output shape).
pub fn histogram_fraction_vector(
    lower: f64,
    upper: f64,
    input: &[HistInput],
) -> (Vec<(Labels, f64)>, Vec<Annotation>) {
    let (split, mut annos) = split_histogram_input(input);
    let mut out = Vec::new();
    for (l, h) in split.native {
        let (v, a) = histogram_fraction(lower, upper, &h, l.metric_name().unwrap_or(""));
        annos.extend(a);
        out.push((l, v));
    }
    for (l, buckets) in split.classic {
        out.push((l, bucket_fraction(lower, upper, buckets)));
    }
    (out, annos)
}

/// Merges equal-text annotations and [`Annotation::ForcedMonotonicity`] occurrences of the same
/// metric (as Prometheus's annotation set does across series and steps).
pub fn merge_annotations(annos: Vec<Annotation>) -> Vec<Annotation> {
    let mut out: Vec<Annotation> = Vec::new();
    for a in annos {
        if let Annotation::ForcedMonotonicity(m) = &a {
            if let Some(Annotation::ForcedMonotonicity(existing)) = out.iter_mut().find(|x| {
                matches!(x, Annotation::ForcedMonotonicity(e) if e.metric_name == m.metric_name)
            }) {
                existing.merge(m);
                continue;
            }
        } else if out.contains(&a) {
            continue;
        }
        out.push(a);
    }
    out
}

// ---------------------------------------------------------------- rate / aggregation helpers

/// `last - first` over a window of histogram points, corrected for counter resets (each reset
/// adds the pre-reset histogram back), as Prometheus `histogramRate` (without start
/// timestamps). `points` must hold ≥ 2 histograms in time order. Returns the delta (hint
/// Gauge, compacted) or `None` with the annotation explaining why (mixed exponential/custom
/// schemas). Also warns when a counter function sees a gauge histogram ([`Annotation::NotCounter`])
/// or `delta` sees a non-gauge ([`Annotation::NotGauge`]). The caller scales the result by the
/// extrapolation factor ([`FloatHistogram::mul`]).
pub fn histogram_rate_delta(
    points: &[&FloatHistogram],
    is_counter: bool,
    metric_name: &str,
) -> (Option<FloatHistogram>, Vec<Annotation>) {
    let mut annos = Vec::new();
    let name = || metric_name.to_string();
    if points.len() < 2 {
        return (None, annos);
    }
    let first = points[0];
    let last = points[points.len() - 1];
    let mut prev: FloatHistogram = first.clone();
    let mut using_custom = prev.uses_custom_buckets();
    if is_counter
        && (first.counter_reset_hint == ResetHint::Gauge
            || last.counter_reset_hint == ResetHint::Gauge)
    {
        annos.push(Annotation::NotCounter {
            metric_name: name(),
        });
    }
    if is_counter {
        let second = points[1];
        if second.detect_reset(first) {
            prev = FloatHistogram {
                schema: second.schema,
                custom_values: second.custom_values.clone(),
                ..Default::default()
            };
            using_custom = second.uses_custom_buckets();
        }
    }
    if last.uses_custom_buckets() != using_custom {
        annos.push(Annotation::MixedExponentialCustom {
            metric_name: name(),
        });
        return (None, annos);
    }
    let mut min_schema = last.schema.min(prev.schema);
    for curr in &points[1..points.len() - 1] {
        if !is_counter {
            continue;
        }
        if curr.counter_reset_hint == ResetHint::Gauge {
            annos.push(Annotation::NotCounter {
                metric_name: name(),
            });
        }
        min_schema = min_schema.min(curr.schema);
        if curr.uses_custom_buckets() != using_custom {
            return (
                None,
                vec![Annotation::MixedExponentialCustom {
                    metric_name: name(),
                }],
            );
        }
    }
    let start = last.clone().reduce_resolution(min_schema);
    let base = prev;
    let mut h = match start.sub(&base) {
        Ok((h, info)) => {
            if info.nhcb_bounds_reconciled {
                annos.push(Annotation::MismatchedCustomBuckets(
                    HistogramOp::Subtraction,
                ));
            }
            h
        }
        Err(HistogramError::IncompatibleSchema) => {
            return (
                None,
                vec![Annotation::MixedExponentialCustom {
                    metric_name: name(),
                }],
            )
        }
    };
    if is_counter {
        // As Prometheus: the loop starts from the (possibly emptied) first point.
        let mut prev_ref: &FloatHistogram = &base;
        for curr in &points[1..] {
            if curr.detect_reset(prev_ref) {
                match h.add(prev_ref) {
                    Ok((nh, info)) => {
                        if info.nhcb_bounds_reconciled {
                            annos.push(Annotation::MismatchedCustomBuckets(HistogramOp::Addition));
                        }
                        h = nh;
                    }
                    Err(_) => {
                        return (
                            None,
                            vec![Annotation::MixedExponentialCustom {
                                metric_name: name(),
                            }],
                        )
                    }
                }
            }
            prev_ref = curr;
        }
    } else if first.counter_reset_hint != ResetHint::Gauge
        || last.counter_reset_hint != ResetHint::Gauge
    {
        annos.push(Annotation::NotGauge {
            metric_name: name(),
        });
    }
    h.counter_reset_hint = ResetHint::Gauge;
    (Some(h.compact(0)), annos)
}

/// Outcome of summing histograms for `sum`/`avg` aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramAggregate {
    /// `None` when exponential and custom schemas were mixed (Prometheus drops the group and
    /// warns [`Annotation::MixedExponentialCustom`]).
    pub histogram: Option<FloatHistogram>,
    pub annotations: Vec<Annotation>,
}

fn track_hints(hs: &[&FloatHistogram]) -> bool {
    let reset = hs
        .iter()
        .any(|h| h.counter_reset_hint == ResetHint::CounterReset);
    let not_reset = hs
        .iter()
        .any(|h| h.counter_reset_hint == ResetHint::NotCounterReset);
    reset && not_reset
}

fn aggregate_result(
    h: Option<FloatHistogram>,
    hs: &[&FloatHistogram],
    reconciled: bool,
    mut annos: Vec<Annotation>,
) -> HistogramAggregate {
    if h.is_some() && track_hints(hs) {
        annos.push(Annotation::CounterResetCollision(HistogramOp::Aggregation));
    }
    if reconciled {
        annos.push(Annotation::MismatchedCustomBuckets(
            HistogramOp::Aggregation,
        ));
    }
    HistogramAggregate {
        histogram: h.map(|h| h.compact(0)),
        annotations: merge_annotations(annos),
    }
}

fn mixed(metric_name: &str) -> Vec<Annotation> {
    vec![Annotation::MixedExponentialCustom {
        metric_name: metric_name.to_string(),
    }]
}

/// `sum` of histograms, as Prometheus `sum` aggregation and `sum_over_time`: Kahan–Neumaier
/// summation ([`FloatHistogram::kahan_add`]); warns "conflicting counter resets during
/// histogram aggregation" when inputs carry both `CounterReset` and `NotCounterReset` hints;
/// infos on reconciled custom bounds; mixing exponential and custom schemas yields `None`
/// plus [`Annotation::MixedExponentialCustom`] naming `metric_name`. Result compacted.
pub fn sum_histograms(hs: &[&FloatHistogram], metric_name: &str) -> HistogramAggregate {
    let Some(first) = hs.first() else {
        return aggregate_result(None, hs, false, vec![]);
    };
    let mut sum = (*first).clone();
    let mut comp: Option<FloatHistogram> = None;
    let mut reconciled = false;
    for h in &hs[1..] {
        match sum.kahan_add(h, comp.take()) {
            Ok((s, c, info)) => {
                reconciled |= info.nhcb_bounds_reconciled;
                sum = s;
                comp = Some(c);
            }
            Err(_) => return aggregate_result(None, hs, false, mixed(metric_name)),
        }
    }
    if let Some(c) = comp {
        if let Ok((s, _)) = sum.clone().add(&c) {
            sum = s;
        }
    }
    aggregate_result(Some(sum), hs, reconciled, vec![])
}

/// `avg` of histograms, as Prometheus `avg` aggregation and `avg_over_time`: Kahan sum divided
/// by the count, switching to an incremental mean once the sum overflows; annotations as
/// [`sum_histograms`].
pub fn avg_histograms(hs: &[&FloatHistogram], metric_name: &str) -> HistogramAggregate {
    let Some(first) = hs.first() else {
        return aggregate_result(None, hs, false, vec![]);
    };
    let mut sum = (*first).clone();
    let mut kahan_c: Option<FloatHistogram> = None;
    let mut mean: Option<FloatHistogram> = None;
    let mut reconciled = false;
    let mut count = 1.0;
    for (i, h) in hs[1..].iter().enumerate() {
        count = (i + 2) as f64;
        if mean.is_none() {
            match sum.clone().kahan_add(h, kahan_c.clone()) {
                Ok((v, c, info)) => {
                    reconciled |= info.nhcb_bounds_reconciled;
                    if !v.has_overflow() {
                        sum = v;
                        kahan_c = Some(c);
                        continue;
                    }
                }
                Err(_) => return aggregate_result(None, hs, false, mixed(metric_name)),
            }
            mean = Some(sum.clone().div(count - 1.0));
            kahan_c = kahan_c.map(|c| c.div(count - 1.0));
        }
        let q = (count - 1.0) / count;
        let c = kahan_c.take().map(|c| c.mul(q));
        let to_add = (*h).clone().div(count);
        let m = mean.take().unwrap_or_default().mul(q);
        match m.kahan_add(&to_add, c) {
            Ok((m, c, info)) => {
                reconciled |= info.nhcb_bounds_reconciled;
                mean = Some(m);
                kahan_c = Some(c);
            }
            Err(_) => return aggregate_result(None, hs, false, mixed(metric_name)),
        }
    }
    let result = match mean {
        Some(m) => match &kahan_c {
            Some(c) => m.clone().add(c).map(|r| r.0).unwrap_or(m),
            None => m,
        },
        None => {
            let s = sum.div(count);
            match kahan_c {
                Some(c) => {
                    let c = c.div(count);
                    s.clone().add(&c).map(|r| r.0).unwrap_or(s)
                }
                None => s,
            }
        }
    };
    aggregate_result(Some(result), hs, reconciled, vec![])
}

/// The view Prometheus's `HistogramStatsIterator` gives `histogram_count`/`histogram_sum`/
/// `histogram_avg` of a selector (directly or through aggregations / `*_over_time`): buckets
/// are dropped (count, sum and schema kept) and every `Unknown` hint is replaced by
/// `CounterReset`/`NotCounterReset` from reset detection against the previous sample of the
/// series (the first sample stays `Unknown`; stale markers are passed through). `points`
/// must be one series' histograms in time order. This is what makes "conflicting counter
/// resets during histogram aggregation" appear for e.g. `histogram_count(sum(x))`.
pub fn stats_iterator_view(points: &[(i64, FloatHistogram)]) -> Vec<(i64, FloatHistogram)> {
    let mut out = Vec::with_capacity(points.len());
    let mut last: Option<&FloatHistogram> = None;
    for (t, h) in points {
        let stripped = |hint: ResetHint| FloatHistogram {
            counter_reset_hint: hint,
            schema: h.schema,
            count: h.count,
            sum: h.sum,
            ..Default::default()
        };
        if lakewatch_model::is_stale_nan(h.sum) {
            out.push((*t, stripped(h.counter_reset_hint)));
            continue;
        }
        let hint = match (h.counter_reset_hint, last) {
            (ResetHint::Unknown, None) => ResetHint::Unknown,
            (ResetHint::Unknown, Some(prev)) => {
                if h.detect_reset(prev) {
                    ResetHint::CounterReset
                } else {
                    ResetHint::NotCounterReset
                }
            }
            (other, _) => other,
        };
        out.push((*t, stripped(hint)));
        last = Some(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::BucketSpan;

    fn cb(pairs: &[(f64, f64)]) -> Vec<ClassicBucket> {
        pairs
            .iter()
            .map(|&(u, c)| ClassicBucket {
                upper_bound: u,
                count: c,
            })
            .collect()
    }

    fn nh(
        schema: i32,
        zc: f64,
        buckets: &[f64],
        offset: i32,
        count: f64,
        sum: f64,
    ) -> FloatHistogram {
        FloatHistogram {
            schema,
            zero_count: zc,
            zero_threshold: if zc > 0.0 { 0.001 } else { 0.0 },
            count,
            sum,
            positive_spans: vec![BucketSpan {
                offset,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn classic_quantile() {
        // histograms.test: testhistogram bucket 0.1:50? Use a simple one.
        let b = cb(&[(0.1, 1.0), (0.2, 3.0), (f64::INFINITY, 4.0)]);
        let r = bucket_quantile(0.5, b.clone());
        assert!((r.value - 0.15).abs() < 1e-12);
        assert_eq!(bucket_quantile(1.0, b.clone()).value, 0.2);
        assert_eq!(bucket_quantile(-1.0, b.clone()).value, f64::NEG_INFINITY);
        assert!(bucket_quantile(0.5, cb(&[(1.0, 1.0)])).value.is_nan());
        let nm = bucket_quantile(0.5, cb(&[(1.0, 2.0), (2.0, 1.0), (f64::INFINITY, 2.0)]));
        assert!(nm.forced_monotonic);
        assert_eq!(nm.min_bucket, 2.0);
        assert_eq!(nm.max_diff, 1.0);
    }

    #[test]
    fn classic_fraction() {
        let b = cb(&[(1.0, 2.0), (2.0, 4.0), (f64::INFINITY, 4.0)]);
        assert_eq!(bucket_fraction(0.0, 1.0, b.clone()), 0.5);
        assert_eq!(bucket_fraction(0.0, 1.5, b.clone()), 0.75);
        assert_eq!(bucket_fraction(2.0, 1.0, b), 0.0);
    }

    #[test]
    fn native_quantile_and_fraction() {
        // {{schema:0 count:4 sum:... buckets:[1 2 1]}} : buckets (0.5,1],(1,2],(2,4] at offset 0.
        let h = nh(0, 0.0, &[1.0, 2.0, 1.0], 0, 4.0, 10.0);
        let (q, _) = histogram_quantile(0.5, &h, "m");
        // rank 2 → second bucket (1,2], fraction 0.5 → 2^(0.5)
        assert!((q - 2f64.sqrt()).abs() < 1e-12, "{q}");
        let (f, _) = histogram_fraction(0.0, 2.0, &h, "m");
        assert!((f - 0.75).abs() < 1e-12);
        let (q1, _) = histogram_quantile(1.0, &h, "m");
        assert_eq!(q1, 4.0);
        let (qz, _) = histogram_quantile(0.0, &h, "m");
        assert_eq!(qz, 0.5);
    }

    #[test]
    fn custom_bucket_quantile() {
        let mut h = nh(-53, 0.0, &[1.0, 1.0, 2.0], 0, 4.0, 10.0);
        h.custom_values = vec![5.0, 10.0];
        let (q, _) = histogram_quantile(0.125, &h, "m");
        assert!((q - 2.5).abs() < 1e-12, "{q}");
        let (q, _) = histogram_quantile(0.99, &h, "m");
        assert_eq!(q, 10.0);
    }

    #[test]
    fn stats() {
        let h = nh(0, 0.0, &[2.0], 1, 2.0, 3.0);
        assert_eq!(histogram_avg(&h), 1.5);
        // all observations at sqrt(2) (geometric mean of (1,2]).
        let v = histogram_stdvar(&h);
        assert!((v - (2f64.sqrt() - 1.5).powi(2)).abs() < 1e-12);
    }

    #[test]
    fn rate_delta_with_reset() {
        let a = nh(0, 0.0, &[4.0], 0, 4.0, 4.0);
        let b = nh(0, 0.0, &[1.0], 0, 1.0, 1.0);
        let c = nh(0, 0.0, &[3.0], 0, 3.0, 3.0);
        let (d, annos) = histogram_rate_delta(&[&a, &b, &c], true, "m");
        assert!(annos.is_empty());
        let d = d.unwrap();
        // after reset at b: (c - 0) ... plus a added back: 3 + 4 - 4 = 3
        assert_eq!(d.count, 3.0);
        assert_eq!(d.counter_reset_hint, ResetHint::Gauge);
    }

    #[test]
    fn stats_view_hints() {
        let a = nh(0, 0.0, &[3.0], 0, 3.0, 3.0);
        let b = nh(0, 0.0, &[2.0], 0, 2.0, 2.0);
        let mut c = nh(0, 0.0, &[4.0], 0, 4.0, 4.0);
        c.counter_reset_hint = ResetHint::NotCounterReset;
        let v = stats_iterator_view(&[(0, a), (1, b), (2, c)]);
        let hints: Vec<ResetHint> = v.iter().map(|p| p.1.counter_reset_hint).collect();
        assert_eq!(
            hints,
            vec![
                ResetHint::Unknown,
                ResetHint::CounterReset,
                ResetHint::NotCounterReset
            ]
        );
        assert!(v[1].1.positive_buckets.is_empty());
        assert_eq!(v[1].1.count, 2.0);
    }

    #[test]
    fn go_float_format() {
        assert_eq!(format_go_float(1.0), "1");
        assert_eq!(format_go_float(0.1), "0.1");
        assert_eq!(format_go_float(1e6), "1e+06");
        assert_eq!(format_go_float(123456.0), "123456");
        assert_eq!(format_go_float(1.5e-5), "1.5e-05");
        assert_eq!(format_go_float(f64::NAN), "NaN");
        assert_eq!(format_go_float_prec(0.123456, 2), "0.12");
        assert_eq!(format_go_float_prec(1.0, 2), "1");
        assert_eq!(format_go_float_prec(1234.0, 2), "1.2e+03");
        assert_eq!(
            Annotation::InvalidQuantile(-0.1).render(),
            "PromQL warning: quantile value should be between 0 and 1, got -0.1"
        );
    }
}
