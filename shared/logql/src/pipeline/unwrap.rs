//! `| unwrap label`, `| unwrap duration(label)` / `duration_seconds(label)` (seconds),
//! `| unwrap bytes(label)` (bytes), as Loki's `labelSampleExtractor`
//! (`pkg/logql/log/metrics_extraction.go`): an absent or empty label drops the entry; a
//! value that does not convert gives 0 and sets `__error__=SampleExtractionErr` with Go's
//! conversion error as details.

use super::builder::Builder;
use super::convert::{duration_seconds, parse_bytes, parse_duration, parse_float};
use super::ERR_SAMPLE_EXTRACTION;
use crate::ast::UnwrapConv;

/// A compiled `unwrap`.
#[derive(Debug, Clone)]
pub struct Unwrap {
    /// Label to read.
    pub label: String,
    /// Conversion.
    pub conv: Option<UnwrapConv>,
}

impl Unwrap {
    /// The sample value, or `None` when the entry must be dropped.
    pub fn process(&self, b: &mut Builder<'_>) -> Option<f64> {
        let v = b.get(&self.label).unwrap_or("").to_string();
        if v.is_empty() {
            return None;
        }
        let r = match self.conv {
            None => parse_float(&v),
            Some(UnwrapConv::Duration | UnwrapConv::DurationSeconds) => {
                parse_duration(&v).map(duration_seconds)
            }
            Some(UnwrapConv::Bytes) => parse_bytes(&v).map(|b| b as f64),
        };
        match r {
            Ok(x) => Some(x),
            Err(e) => {
                b.set_err(ERR_SAMPLE_EXTRACTION);
                b.set_err_details(&e);
                Some(0.0)
            }
        }
    }
}
