//! Native histograms in Prometheus's float representation (`FloatHistogram`).
//!
//! Buckets are **absolute counts** (not deltas). Schema `-4..=8` are exponential schemas
//! (bucket boundaries at powers of `2^(2^-schema)`), schema `-53` means custom buckets whose
//! upper bounds are `custom_values` (+Inf implicit). Semantics follow Prometheus
//! `model/histogram/float_histogram.go` (v3.14):
//!
//! - exponential bucket `i` covers `(base^(i-1), base^i]` (negative buckets mirrored); custom
//!   bucket `i` covers `(custom_values[i-1], custom_values[i]]`, the first one from -Inf and
//!   the last one to +Inf;
//! - [`FloatHistogram::add`]/[`FloatHistogram::sub`] reduce to the lower schema, widen the zero
//!   bucket to the larger threshold (moved to a bucket boundary if it falls inside a populated
//!   bucket), reconcile mismatched custom bounds to their intersection, and error when mixing
//!   exponential and custom schemas;
//! - [`FloatHistogram::compact`] removes empty buckets; equality in tests is after `compact(0)`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counter-reset hint carried with a histogram sample (remote write `ResetHint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ResetHint {
    #[default]
    Unknown,
    CounterReset,
    NotCounterReset,
    Gauge,
}

/// A run of consecutive buckets: `offset` is the gap (in bucket indexes) from the end of the
/// previous span (or from index 0 for the first span), `length` the number of buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BucketSpan {
    pub offset: i32,
    pub length: u32,
}

/// A native histogram sample with float counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FloatHistogram {
    pub counter_reset_hint: ResetHint,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: f64,
    pub count: f64,
    pub sum: f64,
    pub positive_spans: Vec<BucketSpan>,
    pub negative_spans: Vec<BucketSpan>,
    /// Absolute counts, one per bucket covered by `positive_spans`.
    pub positive_buckets: Vec<f64>,
    /// Absolute counts, one per bucket covered by `negative_spans`.
    pub negative_buckets: Vec<f64>,
    /// Upper bounds for schema -53 (custom buckets); empty otherwise.
    pub custom_values: Vec<f64>,
}

/// Schema number of custom-bucket histograms (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// Errors of histogram arithmetic (texts as Prometheus's `histogram` package errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistogramError {
    /// Adding/subtracting an exponential and a custom-bucket histogram
    /// (Prometheus `ErrHistogramsIncompatibleSchema`).
    #[error("cannot apply this operation on histograms with a mix of exponential and custom bucket schemas")]
    IncompatibleSchema,
}

/// Side information of [`FloatHistogram::add`] / [`FloatHistogram::sub`], used by PromQL to emit
/// annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CombineInfo {
    /// One side had hint `CounterReset`, the other `NotCounterReset` (PromQL warns
    /// "conflicting counter resets during histogram …").
    pub counter_reset_collision: bool,
    /// Custom bounds differed and were reconciled to their intersection (PromQL info
    /// "mismatched custom buckets were reconciled during …").
    pub nhcb_bounds_reconciled: bool,
}

/// One bucket with its bounds (as Prometheus `histogram.Bucket[float64]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub lower: f64,
    pub upper: f64,
    pub lower_inclusive: bool,
    pub upper_inclusive: bool,
    pub count: f64,
    /// Bucket index in the histogram's schema (0 for the zero bucket).
    pub index: i32,
}

/// `true` for schema -53 (custom buckets).
pub fn is_custom_buckets_schema(schema: i32) -> bool {
    schema == CUSTOM_BUCKETS_SCHEMA
}

/// `true` for the exponential schemas -4..=8.
pub fn is_exponential_schema(schema: i32) -> bool {
    (-4..=8).contains(&schema)
}

fn ldexp(frac: f64, exp: i32) -> f64 {
    let half = exp / 2;
    frac * 2f64.powi(half) * 2f64.powi(exp - half)
}

/// Upper bound of exponential bucket `idx` in `schema` (Prometheus `getBoundExponential`;
/// the last finite bucket ends at `f64::MAX`).
pub fn exponential_bound(idx: i32, schema: i32) -> f64 {
    if schema < 0 {
        let exp = (idx as i64) << (-schema);
        if exp == 1024 {
            return f64::MAX;
        }
        if exp > 1100 {
            return f64::INFINITY;
        }
        if exp < -1100 {
            return 0.0;
        }
        return ldexp(1.0, exp as i32);
    }
    let frac_idx = idx & ((1 << schema) - 1);
    let frac = if frac_idx == 0 {
        0.5
    } else {
        (frac_idx as f64 / (1i64 << schema) as f64).exp2() * 0.5
    };
    let exp = (idx >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

/// Upper bound of bucket `idx` (Prometheus `getBound`): custom bounds with `-1` → -Inf and
/// `len` → +Inf, else exponential.
pub fn bucket_bound(idx: i32, schema: i32, custom_values: &[f64]) -> f64 {
    if is_custom_buckets_schema(schema) {
        let len = custom_values.len() as i32;
        if idx >= len {
            f64::INFINITY
        } else if idx < 0 {
            f64::NEG_INFINITY
        } else {
            custom_values[idx as usize]
        }
    } else {
        exponential_bound(idx, schema)
    }
}

/// Index of a bucket of `origin` schema in the lower `target` schema (Prometheus `targetIdx`).
pub fn target_index(idx: i32, origin: i32, target: i32) -> i32 {
    ((idx - 1) >> (origin - target)) + 1
}

/// Expands spans + buckets into `(index, count)` pairs in index order.
pub fn expand_buckets(spans: &[BucketSpan], buckets: &[f64]) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(buckets.len());
    let mut idx = 0i32;
    let mut bi = 0usize;
    for (si, s) in spans.iter().enumerate() {
        if si == 0 {
            idx = s.offset;
        } else {
            idx += s.offset;
        }
        for _ in 0..s.length {
            if bi >= buckets.len() {
                return out;
            }
            out.push((idx, buckets[bi]));
            idx += 1;
            bi += 1;
        }
    }
    out
}

/// Builds spans + buckets from `(index, count)` pairs sorted by index (every pair becomes an
/// explicit bucket; gaps become span offsets).
pub fn collapse_buckets(pairs: &[(i32, f64)]) -> (Vec<BucketSpan>, Vec<f64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut buckets = Vec::with_capacity(pairs.len());
    let mut last: Option<i32> = None;
    for &(idx, c) in pairs {
        match last {
            Some(l) if idx == l + 1 => {
                if let Some(s) = spans.last_mut() {
                    s.length += 1;
                }
            }
            Some(l) => spans.push(BucketSpan {
                offset: idx - l - 1,
                length: 1,
            }),
            None => spans.push(BucketSpan {
                offset: idx,
                length: 1,
            }),
        }
        buckets.push(c);
        last = Some(idx);
    }
    (spans, buckets)
}

/// Merges `(index, count)` pairs of `origin` schema into `target` schema (sums counts falling
/// into one target bucket).
fn reduce_pairs(pairs: &[(i32, f64)], origin: i32, target: i32) -> Vec<(i32, f64)> {
    if origin == target {
        return pairs.to_vec();
    }
    let mut out: Vec<(i32, f64)> = Vec::new();
    for &(idx, c) in pairs {
        let t = target_index(idx, origin, target);
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 += c,
            _ => out.push((t, c)),
        }
    }
    out
}

/// Merges two index-sorted pair lists, adding (or subtracting) `b` into `a`.
fn merge_pairs(a: &[(i32, f64)], b: &[(i32, f64)], negate: bool) -> Vec<(i32, f64)> {
    let mut m: BTreeMap<i32, f64> = a.iter().copied().collect();
    for &(i, c) in b {
        *m.entry(i).or_insert(0.0) += if negate { -c } else { c };
    }
    m.into_iter().collect()
}

/// Kahan–Neumaier increment (Prometheus `kahansum.Inc`): returns `(sum + inc, compensation)`.
pub fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

fn compact_pairs(pairs: &[(i32, f64)], max_empty: usize) -> Vec<(i32, f64)> {
    let populated: Vec<(i32, f64)> = pairs.iter().copied().filter(|p| p.1 != 0.0).collect();
    let mut out: Vec<(i32, f64)> = Vec::with_capacity(populated.len());
    for (idx, c) in populated {
        if let Some(&(last, _)) = out.last() {
            let gap = (idx - last - 1) as i64;
            if gap > 0 && gap <= max_empty as i64 {
                for k in last + 1..idx {
                    out.push((k, 0.0));
                }
            }
        }
        out.push((idx, c));
    }
    out
}

impl FloatHistogram {
    /// `true` if the schema is -53 (custom buckets).
    pub fn uses_custom_buckets(&self) -> bool {
        is_custom_buckets_schema(self.schema)
    }

    /// Positive buckets as `(index, count)` in index order.
    pub fn positive_pairs(&self) -> Vec<(i32, f64)> {
        expand_buckets(&self.positive_spans, &self.positive_buckets)
    }

    /// Negative buckets as `(index, count)` in index order (increasing absolute value).
    pub fn negative_pairs(&self) -> Vec<(i32, f64)> {
        expand_buckets(&self.negative_spans, &self.negative_buckets)
    }

    fn set_positive(&mut self, pairs: &[(i32, f64)]) {
        let (s, b) = collapse_buckets(pairs);
        self.positive_spans = s;
        self.positive_buckets = b;
    }

    fn set_negative(&mut self, pairs: &[(i32, f64)]) {
        let (s, b) = collapse_buckets(pairs);
        self.negative_spans = s;
        self.negative_buckets = b;
    }

    fn make_bucket(&self, idx: i32, count: f64, positive: bool) -> Bucket {
        let cv = &self.custom_values;
        let (lower, upper) = if positive {
            (
                bucket_bound(idx - 1, self.schema, cv),
                bucket_bound(idx, self.schema, cv),
            )
        } else {
            (
                -bucket_bound(idx, self.schema, cv),
                -bucket_bound(idx - 1, self.schema, cv),
            )
        };
        let (li, ui) = if self.uses_custom_buckets() {
            (idx == 0, true)
        } else {
            (lower < 0.0, upper > 0.0)
        };
        Bucket {
            lower,
            upper,
            lower_inclusive: li,
            upper_inclusive: ui,
            count,
            index: idx,
        }
    }

    /// Positive buckets with bounds, ascending (Prometheus `PositiveBucketIterator`).
    pub fn positive_bucket_list(&self) -> Vec<Bucket> {
        self.positive_pairs()
            .into_iter()
            .map(|(i, c)| self.make_bucket(i, c, true))
            .collect()
    }

    /// Negative buckets with bounds, by increasing absolute value
    /// (Prometheus `NegativeBucketIterator`).
    pub fn negative_bucket_list(&self) -> Vec<Bucket> {
        self.negative_pairs()
            .into_iter()
            .map(|(i, c)| self.make_bucket(i, c, false))
            .collect()
    }

    /// The zero bucket `[-zero_threshold, zero_threshold]`.
    pub fn zero_bucket(&self) -> Bucket {
        Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
            index: 0,
        }
    }

    /// All buckets from lowest to highest value: negative buckets (most negative first), the
    /// zero bucket if `zero_count > 0`, positive buckets; bounds clamped at the zero threshold
    /// (Prometheus `AllBucketIterator`).
    pub fn all_buckets(&self) -> Vec<Bucket> {
        let zt = self.zero_threshold;
        let clamp = |mut b: Bucket| {
            if b.upper < 0.0 && b.upper > -zt {
                b.upper = -zt;
            }
            if b.lower > 0.0 && b.lower < zt {
                b.lower = zt;
            }
            b
        };
        let mut out: Vec<Bucket> = self
            .negative_bucket_list()
            .into_iter()
            .rev()
            .map(clamp)
            .collect();
        if self.zero_count > 0.0 {
            out.push(self.zero_bucket());
        }
        out.extend(self.positive_bucket_list().into_iter().map(clamp));
        out
    }

    /// Multiplies count, sum, zero count and all buckets by `factor` (Prometheus `Mul`); a
    /// negative factor makes the result a gauge histogram.
    #[allow(clippy::should_implement_trait)] // Prometheus names; not operator-shaped.
    pub fn mul(mut self, factor: f64) -> Self {
        self.zero_count *= factor;
        self.count *= factor;
        self.sum *= factor;
        self.positive_buckets.iter_mut().for_each(|b| *b *= factor);
        self.negative_buckets.iter_mut().for_each(|b| *b *= factor);
        if factor < 0.0 {
            self.counter_reset_hint = ResetHint::Gauge;
        }
        self
    }

    /// Divides count, sum, zero count and all buckets by `scalar` (Prometheus `Div`):
    /// division by 0 removes all buckets (count, sum and zero count become ±Inf/NaN); a
    /// negative divisor makes the result a gauge histogram.
    #[allow(clippy::should_implement_trait)] // Prometheus names; not operator-shaped.
    pub fn div(mut self, scalar: f64) -> Self {
        self.zero_count /= scalar;
        self.count /= scalar;
        self.sum /= scalar;
        if scalar == 0.0 {
            self.positive_buckets.clear();
            self.negative_buckets.clear();
            self.positive_spans.clear();
            self.negative_spans.clear();
            return self;
        }
        self.positive_buckets.iter_mut().for_each(|b| *b /= scalar);
        self.negative_buckets.iter_mut().for_each(|b| *b /= scalar);
        if scalar < 0.0 {
            self.counter_reset_hint = ResetHint::Gauge;
        }
        self
    }

    /// `true` if count, sum, zero count, a bucket or a custom bound is infinite (Prometheus
    /// `HasOverflow`).
    pub fn has_overflow(&self) -> bool {
        self.zero_count.is_infinite()
            || self.count.is_infinite()
            || self.sum.is_infinite()
            || self.positive_buckets.iter().any(|v| v.is_infinite())
            || self.negative_buckets.iter().any(|v| v.is_infinite())
            || self.custom_values.iter().any(|v| v.is_infinite())
    }

    /// What the zero count would be with a zero threshold of `larger` (≥ current); if `larger`
    /// falls inside a populated bucket it is moved to that bucket's upper bound. Returns
    /// `(zero_count, threshold)` (Prometheus `zeroCountForLargerThreshold`).
    pub fn zero_count_for_larger_threshold(&self, larger: f64) -> (f64, f64) {
        if larger <= self.zero_threshold {
            return (self.zero_count, self.zero_threshold.max(larger));
        }
        let mut larger = larger;
        let pos = self.positive_bucket_list();
        let neg = self.negative_bucket_list();
        'outer: loop {
            let mut count = self.zero_count;
            for b in &pos {
                if b.lower >= larger {
                    break;
                }
                count += b.count;
                if b.upper > larger {
                    if b.count != 0.0 {
                        larger = b.upper;
                    }
                    break;
                }
            }
            for b in &neg {
                if b.upper <= -larger {
                    break;
                }
                count += b.count;
                if b.lower < -larger {
                    if b.count != 0.0 {
                        larger = -b.lower;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (count, larger);
        }
    }

    /// Drops buckets that lie within the zero bucket (their counts are already in it).
    fn trim_buckets_in_zero_bucket(&mut self) {
        let zt = self.zero_threshold;
        let pos: Vec<(i32, f64)> = self
            .positive_bucket_list()
            .into_iter()
            .filter(|b| b.lower >= zt)
            .map(|b| (b.index, b.count))
            .collect();
        let neg: Vec<(i32, f64)> = self
            .negative_bucket_list()
            .into_iter()
            .filter(|b| b.upper <= -zt)
            .map(|b| (b.index, b.count))
            .collect();
        self.set_positive(&pos);
        self.set_negative(&neg);
    }

    /// Widens the zero buckets of `self` (in place) and of `other` (returned count) to a common
    /// threshold (Prometheus `reconcileZeroBuckets`).
    fn reconcile_zero_buckets(&mut self, other: &FloatHistogram) -> f64 {
        let mut other_count = other.zero_count;
        let mut other_threshold = other.zero_threshold;
        let mut guard = 0;
        while other_threshold != self.zero_threshold && guard < 1000 {
            guard += 1;
            if self.zero_threshold > other_threshold {
                let (c, t) = other.zero_count_for_larger_threshold(self.zero_threshold);
                other_count = c;
                other_threshold = t;
            }
            if other_threshold > self.zero_threshold {
                let (c, t) = self.zero_count_for_larger_threshold(other_threshold);
                self.zero_count = c;
                self.zero_threshold = t;
                self.trim_buckets_in_zero_bucket();
            }
        }
        other_count
    }

    /// Prometheus `adjustCounterReset`; returns `true` on a CounterReset/NotCounterReset
    /// collision (then the hint becomes Unknown).
    fn adjust_counter_reset(&mut self, other: &FloatHistogram) -> bool {
        use ResetHint::*;
        match (self.counter_reset_hint, other.counter_reset_hint) {
            (a, b) if a == b => false,
            (Gauge, _) => false,
            (_, Gauge) => {
                self.counter_reset_hint = Gauge;
                false
            }
            (Unknown, _) => false,
            (_, Unknown) => {
                self.counter_reset_hint = Unknown;
                false
            }
            _ => {
                self.counter_reset_hint = Unknown;
                true
            }
        }
    }

    /// Buckets of `other` (positive or negative) as pairs in `target` schema, skipping leading
    /// buckets whose upper bound is ≤ `abs_start` (exponential schemas only), as Prometheus
    /// `floatBucketIterator(positive, absStart, target)`.
    fn pairs_for(&self, positive: bool, abs_start: f64, target: i32) -> Vec<(i32, f64)> {
        let raw = if positive {
            self.positive_pairs()
        } else {
            self.negative_pairs()
        };
        let reduced = if self.uses_custom_buckets() {
            raw
        } else {
            reduce_pairs(&raw, self.schema, target)
        };
        if self.uses_custom_buckets() || abs_start == 0.0 {
            return reduced;
        }
        let skip = reduced
            .iter()
            .take_while(|(i, _)| exponential_bound(*i, target) <= abs_start)
            .count();
        reduced[skip..].to_vec()
    }

    fn combine(
        mut self,
        other: &FloatHistogram,
        negate: bool,
    ) -> Result<(Self, CombineInfo), HistogramError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(HistogramError::IncompatibleSchema);
        }
        let mut info = CombineInfo {
            counter_reset_collision: self.adjust_counter_reset(other),
            nhcb_bounds_reconciled: false,
        };
        let sign = if negate { -1.0 } else { 1.0 };
        if !self.uses_custom_buckets() {
            let oz = self.reconcile_zero_buckets(other);
            self.zero_count += sign * oz;
        }
        self.count += sign * other.count;
        self.sum += sign * other.sum;
        if self.uses_custom_buckets() {
            if self.custom_values == other.custom_values {
                let merged = merge_pairs(&self.positive_pairs(), &other.positive_pairs(), negate);
                self.set_positive(&merged);
            } else {
                info.nhcb_bounds_reconciled = true;
                let bounds: Vec<f64> = self
                    .custom_values
                    .iter()
                    .copied()
                    .filter(|b| other.custom_values.contains(b))
                    .collect();
                let mut target = vec![0.0; bounds.len() + 1];
                for (h, s) in [(&self, 1.0), (other, sign)] {
                    for (idx, c) in h.positive_pairs() {
                        let t = if (idx as usize) < h.custom_values.len() && idx >= 0 {
                            let b = h.custom_values[idx as usize];
                            bounds.iter().position(|x| *x >= b).unwrap_or(bounds.len())
                        } else {
                            bounds.len()
                        };
                        target[t] += s * c;
                    }
                }
                let pairs: Vec<(i32, f64)> = target
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c != 0.0)
                    .map(|(i, c)| (i as i32, *c))
                    .collect();
                self.set_positive(&pairs);
                self.custom_values = bounds;
            }
            return Ok((self, info));
        }
        let target = self.schema.min(other.schema);
        let (sp, sn) = (
            reduce_pairs(&self.positive_pairs(), self.schema, target),
            reduce_pairs(&self.negative_pairs(), self.schema, target),
        );
        let op = other.pairs_for(true, self.zero_threshold, target);
        let on = other.pairs_for(false, self.zero_threshold, target);
        self.schema = target;
        self.set_positive(&merge_pairs(&sp, &op, negate));
        self.set_negative(&merge_pairs(&sn, &on, negate));
        Ok((self, info))
    }

    /// `self + other` (Prometheus `FloatHistogram.Add`): schema reduced to the lower of both,
    /// zero buckets widened to the larger threshold, custom bounds reconciled to their
    /// intersection. Errors: [`HistogramError::IncompatibleSchema`] when mixing exponential
    /// and custom buckets. The result may hold empty buckets; call [`Self::compact`].
    #[allow(clippy::should_implement_trait)] // Prometheus names; not operator-shaped.
    pub fn add(self, other: &FloatHistogram) -> Result<(Self, CombineInfo), HistogramError> {
        self.combine(other, false)
    }

    /// `self - other`, like [`Self::add`]. The counter-reset hint follows the same rules as
    /// `add`; the PromQL `-` operator must set it to [`ResetHint::Gauge`] afterwards.
    #[allow(clippy::should_implement_trait)] // Prometheus names; not operator-shaped.
    pub fn sub(self, other: &FloatHistogram) -> Result<(Self, CombineInfo), HistogramError> {
        self.combine(other, true)
    }

    /// Exact data equality as Prometheus `FloatHistogram.Equals` (used by PromQL `==`/`!=` on
    /// histograms): schema, zero threshold, custom bounds, the bucket layout (spans compared
    /// after folding zero-length spans) and the bit patterns of count, sum, zero count and
    /// every bucket. The counter-reset hint is **not** compared.
    pub fn equals(&self, other: &FloatHistogram) -> bool {
        let bits = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let pairs_eq = |a: Vec<(i32, f64)>, b: Vec<(i32, f64)>| {
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.0 == y.0 && bits(x.1, y.1))
        };
        self.schema == other.schema
            && bits(self.count, other.count)
            && bits(self.sum, other.sum)
            && (!self.uses_custom_buckets() || self.custom_values == other.custom_values)
            && self.zero_threshold == other.zero_threshold
            && bits(self.zero_count, other.zero_count)
            && pairs_eq(self.negative_pairs(), other.negative_pairs())
            && pairs_eq(self.positive_pairs(), other.positive_pairs())
    }

    /// `self + other` with Kahan–Neumaier compensation (Prometheus `KahanAdd`), used by
    /// `sum`/`avg` aggregation and `sum_over_time`/`avg_over_time`. `comp` is the running
    /// compensation histogram (`None` on the first call); returns the new sum, the new
    /// compensation and the combine flags. Finish with `sum.add(&comp)`.
    /// Errors: [`HistogramError::IncompatibleSchema`].
    pub fn kahan_add(
        mut self,
        other: &FloatHistogram,
        comp: Option<FloatHistogram>,
    ) -> Result<(Self, FloatHistogram, CombineInfo), HistogramError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(HistogramError::IncompatibleSchema);
        }
        let mut info = CombineInfo {
            counter_reset_collision: self.adjust_counter_reset(other),
            nhcb_bounds_reconciled: false,
        };
        let mut c = comp.unwrap_or_else(|| FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            custom_values: self.custom_values.clone(),
            ..Default::default()
        });
        let mut cp: BTreeMap<i32, f64> = c.positive_pairs().into_iter().collect();
        let mut cn: BTreeMap<i32, f64> = c.negative_pairs().into_iter().collect();
        if !self.uses_custom_buckets() {
            let old = self.zero_threshold;
            let oz = self.reconcile_zero_buckets(other);
            if self.zero_threshold > old {
                // Compensation terms of buckets now inside the zero bucket move into it.
                let thr = self.zero_threshold;
                let schema = self.schema;
                cp.retain(|i, v| {
                    let inside = exponential_bound(*i - 1, schema) < thr;
                    if inside {
                        c.zero_count += *v;
                    }
                    !inside
                });
                cn.retain(|i, v| {
                    let inside = exponential_bound(*i - 1, schema) < thr;
                    if inside {
                        c.zero_count += *v;
                    }
                    !inside
                });
            }
            (self.zero_count, c.zero_count) = kahan_inc(oz, self.zero_count, c.zero_count);
        }
        (self.count, c.count) = kahan_inc(other.count, self.count, c.count);
        (self.sum, c.sum) = kahan_inc(other.sum, self.sum, c.sum);

        let add_into =
            |h: &mut BTreeMap<i32, f64>, cm: &mut BTreeMap<i32, f64>, pairs: &[(i32, f64)]| {
                for &(i, v) in pairs {
                    let hv = h.entry(i).or_insert(0.0);
                    let cv = cm.entry(i).or_insert(0.0);
                    (*hv, *cv) = kahan_inc(v, *hv, *cv);
                }
            };
        if self.uses_custom_buckets() {
            let mut hp: BTreeMap<i32, f64> = BTreeMap::new();
            let mut ncp: BTreeMap<i32, f64> = BTreeMap::new();
            if self.custom_values == other.custom_values {
                hp = self.positive_pairs().into_iter().collect();
                ncp = cp;
                add_into(&mut hp, &mut ncp, &other.positive_pairs());
            } else {
                info.nhcb_bounds_reconciled = true;
                let bounds: Vec<f64> = self
                    .custom_values
                    .iter()
                    .copied()
                    .filter(|b| other.custom_values.contains(b))
                    .collect();
                let target = |cv: &[f64], idx: i32| -> i32 {
                    if idx >= 0 && (idx as usize) < cv.len() {
                        let b = cv[idx as usize];
                        bounds.iter().position(|x| *x >= b).unwrap_or(bounds.len()) as i32
                    } else {
                        bounds.len() as i32
                    }
                };
                let mapped = |cv: &[f64], pairs: Vec<(i32, f64)>| -> Vec<(i32, f64)> {
                    pairs.into_iter().map(|(i, v)| (target(cv, i), v)).collect()
                };
                add_into(
                    &mut hp,
                    &mut ncp,
                    &mapped(&self.custom_values, self.positive_pairs()),
                );
                add_into(
                    &mut hp,
                    &mut ncp,
                    &mapped(&self.custom_values, cp.into_iter().collect()),
                );
                add_into(
                    &mut hp,
                    &mut ncp,
                    &mapped(&other.custom_values, other.positive_pairs()),
                );
                hp.retain(|_, v| *v != 0.0);
                ncp.retain(|i, _| hp.contains_key(i));
                self.custom_values = bounds;
            }
            self.set_positive(&hp.into_iter().collect::<Vec<_>>());
            c.set_positive(&ncp.into_iter().collect::<Vec<_>>());
            c.schema = self.schema;
            c.custom_values = self.custom_values.clone();
            return Ok((self, c, info));
        }
        let target = self.schema.min(other.schema);
        let reduce_both = |pairs: Vec<(i32, f64)>, comp: BTreeMap<i32, f64>, from: i32| {
            let mut h: BTreeMap<i32, f64> = BTreeMap::new();
            let mut cm: BTreeMap<i32, f64> = BTreeMap::new();
            let red: Vec<(i32, f64)> = pairs
                .into_iter()
                .map(|(i, v)| (target_index(i, from, target), v))
                .collect();
            add_into(&mut h, &mut cm, &red);
            for (i, v) in comp {
                *cm.entry(target_index(i, from, target)).or_insert(0.0) += v;
            }
            (h, cm)
        };
        let (mut hp, mut ncp) = reduce_both(self.positive_pairs(), cp, self.schema);
        let (mut hn, mut ncn) = reduce_both(self.negative_pairs(), cn, self.schema);
        add_into(
            &mut hp,
            &mut ncp,
            &other.pairs_for(true, self.zero_threshold, target),
        );
        add_into(
            &mut hn,
            &mut ncn,
            &other.pairs_for(false, self.zero_threshold, target),
        );
        self.schema = target;
        self.set_positive(&hp.into_iter().collect::<Vec<_>>());
        self.set_negative(&hn.into_iter().collect::<Vec<_>>());
        c.set_positive(&ncp.into_iter().collect::<Vec<_>>());
        c.set_negative(&ncn.into_iter().collect::<Vec<_>>());
        c.schema = self.schema;
        c.zero_threshold = self.zero_threshold;
        Ok((self, c, info))
    }

    /// Removes empty buckets, keeping runs of at most `max_empty` empty buckets between
    /// populated ones inside a span (Prometheus `Compact(maxEmptyBuckets)`).
    pub fn compact(mut self, max_empty: usize) -> Self {
        let p = compact_pairs(&self.positive_pairs(), max_empty);
        let n = compact_pairs(&self.negative_pairs(), max_empty);
        self.set_positive(&p);
        self.set_negative(&n);
        self
    }

    /// Reduces the resolution to `target` (< current) exponential schema, merging buckets.
    /// No-op for custom buckets or when `target >= schema`.
    pub fn reduce_resolution(mut self, target: i32) -> Self {
        if self.uses_custom_buckets() || target >= self.schema {
            return self;
        }
        let p = reduce_pairs(&self.positive_pairs(), self.schema, target);
        let n = reduce_pairs(&self.negative_pairs(), self.schema, target);
        self.schema = target;
        self.set_positive(&p);
        self.set_negative(&n);
        self
    }

    /// Whether `self` (the later sample) is a counter reset relative to `previous`
    /// (Prometheus `DetectReset`): the hint decides if CounterReset/NotCounterReset; otherwise
    /// any decrease of count, zero count or a bucket (after mapping `previous` to `self`'s
    /// schema and zero threshold), a schema increase, a zero-threshold decrease, a change
    /// between exponential and custom buckets, or a decrease of a reconciled custom bucket.
    pub fn detect_reset(&self, previous: &FloatHistogram) -> bool {
        match self.counter_reset_hint {
            ResetHint::CounterReset => return true,
            ResetHint::NotCounterReset => return false,
            _ => {}
        }
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets() {
            if !previous.uses_custom_buckets() {
                return true;
            }
            if self.custom_values != previous.custom_values {
                return self.reset_with_mismatched_bounds(previous);
            }
        }
        if self.schema > previous.schema {
            return true;
        }
        if !self.uses_custom_buckets() && previous.uses_custom_buckets() {
            return true;
        }
        if self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (prev_zero, thr) = previous.zero_count_for_larger_threshold(self.zero_threshold);
        if thr != self.zero_threshold {
            return true;
        }
        if self.zero_count < prev_zero {
            return true;
        }
        for positive in [true, false] {
            let cur = self.pairs_for(positive, self.zero_threshold, self.schema);
            let prev = previous.pairs_for(positive, self.zero_threshold, self.schema);
            let cur_map: BTreeMap<i32, f64> = cur.into_iter().collect();
            for (i, pc) in prev {
                match cur_map.get(&i) {
                    None if pc != 0.0 => return true,
                    Some(c) if *c < pc => return true,
                    _ => {}
                }
            }
        }
        false
    }

    /// Reset detection for custom buckets with different bounds: compare cumulative counts at
    /// the bounds both share (Prometheus `detectResetWithMismatchedCustomBounds`).
    fn reset_with_mismatched_bounds(&self, previous: &FloatHistogram) -> bool {
        let cum_at = |h: &FloatHistogram, bound: f64| -> f64 {
            h.positive_bucket_list()
                .iter()
                .filter(|b| b.upper <= bound)
                .map(|b| b.count)
                .sum()
        };
        let mut shared: Vec<f64> = self
            .custom_values
            .iter()
            .copied()
            .filter(|b| previous.custom_values.contains(b))
            .collect();
        shared.push(f64::INFINITY);
        let mut prev_cum = (0.0, 0.0);
        for b in shared {
            let c = cum_at(self, b);
            let p = cum_at(previous, b);
            if c - prev_cum.0 < p - prev_cum.1 {
                return true;
            }
            prev_cum = (c, p);
        }
        false
    }

    /// The `.test`-file literal of this histogram (Prometheus `TestExpression`), e.g.
    /// `{{schema:1 count:3 sum:5 buckets:[1 2]}}`. Multiple spans are joined by filling gaps
    /// with zero buckets.
    pub fn test_expression(&self) -> String {
        let mut res: Vec<String> = Vec::new();
        if self.schema != 0 {
            res.push(format!("schema:{}", self.schema));
        }
        if self.count != 0.0 {
            res.push(format!("count:{}", self.count));
        }
        if self.sum != 0.0 {
            res.push(format!("sum:{}", self.sum));
        }
        if self.zero_count != 0.0 {
            res.push(format!("z_bucket:{}", self.zero_count));
        }
        if self.zero_threshold != 0.0 {
            res.push(format!("z_bucket_w:{}", self.zero_threshold));
        }
        if self.uses_custom_buckets() {
            let cv: Vec<String> = self.custom_values.iter().map(|v| v.to_string()).collect();
            res.push(format!("custom_values:[{}]", cv.join(" ")));
        }
        match self.counter_reset_hint {
            ResetHint::Unknown => {}
            ResetHint::CounterReset => res.push("counter_reset_hint:reset".into()),
            ResetHint::NotCounterReset => res.push("counter_reset_hint:not_reset".into()),
            ResetHint::Gauge => res.push("counter_reset_hint:gauge".into()),
        }
        for (pairs, bk, ok) in [
            (self.positive_pairs(), "buckets", "offset"),
            (self.negative_pairs(), "n_buckets", "n_offset"),
        ] {
            let pairs = compact_pairs(&pairs, usize::MAX >> 1);
            if let Some(first) = pairs.first() {
                if first.0 != 0 {
                    res.push(format!("{ok}:{}", first.0));
                }
                let b: Vec<String> = pairs.iter().map(|p| p.1.to_string()).collect();
                res.push(format!("{bk}:[{}]", b.join(" ")));
            }
        }
        format!("{{{{{}}}}}", res.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(schema: i32, buckets: &[f64], offset: i32) -> FloatHistogram {
        FloatHistogram {
            schema,
            count: buckets.iter().sum(),
            sum: 1.0,
            positive_spans: vec![BucketSpan {
                offset,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn bounds() {
        assert_eq!(exponential_bound(1, 0), 2.0);
        assert_eq!(exponential_bound(0, 0), 1.0);
        assert_eq!(exponential_bound(-1, 0), 0.5);
        assert!((exponential_bound(1, 1) - 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(exponential_bound(1, -1), 4.0);
        assert_eq!(exponential_bound(1024, 0), f64::MAX);
        assert_eq!(target_index(3, 1, 0), 2);
        assert_eq!(target_index(1, 1, 0), 1);
        assert_eq!(target_index(0, 1, 0), 0);
    }

    #[test]
    fn add_same_and_different_schema() {
        let (r, _) = h(0, &[1.0, 2.0], 0).add(&h(0, &[1.0], 1)).unwrap();
        assert_eq!(r.positive_pairs(), vec![(0, 1.0), (1, 3.0)]);
        // schema 1 buckets 1,2 → schema 0 bucket 1.
        let (r, _) = h(0, &[1.0], 1).add(&h(1, &[1.0, 1.0], 1)).unwrap();
        assert_eq!(r.schema, 0);
        assert_eq!(r.positive_pairs(), vec![(1, 3.0)]);
        assert_eq!(r.count, 3.0);
        let (r, _) = h(1, &[1.0, 1.0], 1).add(&h(0, &[1.0], 1)).unwrap();
        assert_eq!(r.schema, 0);
        assert_eq!(r.positive_pairs(), vec![(1, 3.0)]);
    }

    #[test]
    fn sub_and_compact() {
        let (r, _) = h(0, &[1.0, 2.0], 0).sub(&h(0, &[1.0], 0)).unwrap();
        let r = r.compact(0);
        assert_eq!(
            r.positive_spans,
            vec![BucketSpan {
                offset: 1,
                length: 1
            }]
        );
        assert_eq!(r.positive_buckets, vec![2.0]);
    }

    #[test]
    fn zero_threshold_widening() {
        let mut a = h(0, &[1.0, 2.0, 3.0], -1); // buckets (0.25,0.5], (0.5,1], (1,2]
        a.zero_threshold = 0.0;
        let mut b = h(0, &[1.0], 1);
        b.zero_threshold = 0.7; // inside populated bucket (0.5,1] of a → widened to 1
        b.zero_count = 5.0;
        let (r, _) = a.add(&b).unwrap();
        assert_eq!(r.zero_threshold, 1.0);
        assert_eq!(r.zero_count, 1.0 + 2.0 + 5.0);
        assert_eq!(r.compact(0).positive_pairs(), vec![(1, 4.0)]);
    }

    #[test]
    fn custom_bounds() {
        let mut a = h(CUSTOM_BUCKETS_SCHEMA, &[1.0], 0);
        a.custom_values = vec![10.0];
        let mut b = h(CUSTOM_BUCKETS_SCHEMA, &[1.0], 0);
        b.custom_values = vec![2.0, 10.0];
        let (r, info) = a.add(&b).unwrap();
        assert!(info.nhcb_bounds_reconciled);
        assert_eq!(r.custom_values, vec![10.0]);
        assert_eq!(r.positive_pairs(), vec![(0, 2.0)]);
        assert_eq!(
            h(0, &[1.0], 0).add(&b).unwrap_err(),
            HistogramError::IncompatibleSchema
        );
    }

    #[test]
    fn reset_detection() {
        let a = h(0, &[1.0, 2.0], 0);
        let b = h(0, &[1.0, 3.0], 0);
        assert!(!b.detect_reset(&a));
        assert!(a.detect_reset(&b));
        let missing = h(0, &[3.0], 1);
        assert!(missing.clone().detect_reset(&a) || missing.count < a.count);
        let mut hint = a.clone();
        hint.counter_reset_hint = ResetHint::CounterReset;
        assert!(hint.detect_reset(&a));
        // lower schema in current: previous merged.
        let fine = h(1, &[1.0, 1.0], 1);
        let coarse = h(0, &[2.0], 1);
        assert!(!coarse.detect_reset(&fine));
    }

    #[test]
    fn counter_reset_hints() {
        let mut a = h(0, &[1.0], 0);
        a.counter_reset_hint = ResetHint::CounterReset;
        let mut b = h(0, &[1.0], 0);
        b.counter_reset_hint = ResetHint::NotCounterReset;
        let (r, info) = a.add(&b).unwrap();
        assert!(info.counter_reset_collision);
        assert_eq!(r.counter_reset_hint, ResetHint::Unknown);
    }

    #[test]
    fn all_buckets_order() {
        let mut x = h(0, &[1.0], 1);
        x.negative_spans = vec![BucketSpan {
            offset: 0,
            length: 2,
        }];
        x.negative_buckets = vec![1.0, 2.0];
        x.zero_count = 1.0;
        x.zero_threshold = 0.001;
        let all = x.all_buckets();
        assert_eq!(all.len(), 4);
        assert_eq!((all[0].lower, all[0].upper), (-2.0, -1.0));
        assert_eq!((all[1].lower, all[1].upper), (-1.0, -0.5));
        assert_eq!(all[2].count, 1.0);
        assert_eq!((all[3].lower, all[3].upper), (1.0, 2.0));
        assert_eq!(
            x.test_expression(),
            "{{count:1 sum:1 z_bucket:1 z_bucket_w:0.001 offset:1 buckets:[1] n_buckets:[1 2]}}"
        );
    }
}

#[cfg(test)]
mod kahan_tests {
    use super::*;

    #[test]
    fn kahan_sum_keeps_small_terms() {
        let mk = |sum: f64| FloatHistogram {
            sum,
            count: 1.0,
            ..Default::default()
        };
        let (a, b, c, d) = (mk(3.1), mk(1e100), mk(-1e100), mk(1.3));
        let (s, comp, _) = a.kahan_add(&b, None).unwrap();
        let (s, comp, _) = s.kahan_add(&c, Some(comp)).unwrap();
        let (s, comp, _) = s.kahan_add(&d, Some(comp)).unwrap();
        let (r, _) = s.add(&comp).unwrap();
        assert!((r.sum - 4.4).abs() < 1e-12, "{}", r.sum);
        assert_eq!(r.count, 4.0);
    }

    #[test]
    fn div_by_zero_drops_buckets() {
        let h = FloatHistogram {
            count: 2.0,
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: 1,
            }],
            positive_buckets: vec![2.0],
            ..Default::default()
        }
        .div(0.0);
        assert!(h.positive_buckets.is_empty() && h.count.is_infinite());
    }

    #[test]
    fn equals_ignores_hint_and_empty_spans() {
        let a = FloatHistogram {
            count: 1.0,
            positive_spans: vec![
                BucketSpan {
                    offset: 1,
                    length: 0,
                },
                BucketSpan {
                    offset: 1,
                    length: 1,
                },
            ],
            positive_buckets: vec![1.0],
            counter_reset_hint: ResetHint::NotCounterReset,
            ..Default::default()
        };
        let b = FloatHistogram {
            count: 1.0,
            positive_spans: vec![BucketSpan {
                offset: 2,
                length: 1,
            }],
            positive_buckets: vec![1.0],
            ..Default::default()
        };
        assert!(a.equals(&b));
        assert!(!a.equals(&b.clone().mul(2.0)));
    }
}
