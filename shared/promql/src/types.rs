//! Internal evaluation values: every node is evaluated over all steps at once (as Prometheus
//! `rangeEval`), so an instant vector is one `Vec<Sample>` per step.

use lakewatch_model::{FloatHistogram, Labels};
use std::sync::Arc;

/// One element of an instant vector at one step.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub metric: Arc<Labels>,
    pub f: f64,
    pub h: Option<Arc<FloatHistogram>>,
    /// Delayed `__name__` removal (Prometheus 3): the name is dropped at the end of evaluation.
    pub drop_name: bool,
}

impl Sample {
    pub fn float(metric: Arc<Labels>, f: f64, drop_name: bool) -> Self {
        Sample {
            metric,
            f,
            h: None,
            drop_name,
        }
    }
}

/// An instant vector per step.
pub(crate) type StepVec = Vec<Sample>;

/// The value of an evaluated node over all steps.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// One float per step.
    Scalar(Vec<f64>),
    Str(String),
    /// One instant vector per step.
    Vector(Vec<StepVec>),
}

/// The evaluation steps: `start, start+step, ..., end` in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Steps {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Steps {
    pub fn instant(t: i64) -> Self {
        Steps {
            start: t,
            end: t,
            step: 1,
        }
    }

    pub fn len(&self) -> usize {
        if self.end < self.start || self.step <= 0 {
            return 0;
        }
        ((self.end - self.start) / self.step + 1) as usize
    }

    pub fn ts(&self, k: usize) -> i64 {
        self.start + k as i64 * self.step
    }

    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|k| self.ts(k))
    }
}

/// One series of a range vector: points sorted by time, stale markers removed.
#[derive(Debug, Clone, Default)]
pub(crate) struct MSeries {
    pub metric: Arc<Labels>,
    pub floats: Vec<(i64, f64)>,
    pub hists: Vec<(i64, Arc<FloatHistogram>)>,
    pub drop_name: bool,
}

impl MSeries {
    /// Float points in `(end - range, end]`.
    pub fn floats_in(&self, end: i64, range: i64) -> &[(i64, f64)] {
        let lo = self.floats.partition_point(|p| p.0 <= end - range);
        let hi = self.floats.partition_point(|p| p.0 <= end);
        &self.floats[lo..hi.max(lo)]
    }

    /// Histogram points in `(end - range, end]`.
    pub fn hists_in(&self, end: i64, range: i64) -> &[(i64, Arc<FloatHistogram>)] {
        let lo = self.hists.partition_point(|p| p.0 <= end - range);
        let hi = self.hists.partition_point(|p| p.0 <= end);
        &self.hists[lo..hi.max(lo)]
    }
}

/// A range-vector argument evaluated for all steps: step `k` sees each series' points in
/// `(ends[k] - range, ends[k]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct MatrixArg {
    pub series: Vec<MSeries>,
    pub range: i64,
    pub ends: Vec<i64>,
}
