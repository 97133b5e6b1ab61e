//! Per-request ingest limits, read from the environment (documented in docs/ingest-metrics.md).

/// How names are validated: Prometheus 3's default accepts any non-empty UTF-8 label name;
/// `Legacy` requires `[a-zA-Z_][a-zA-Z0-9_]*` (metric names may also contain `:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameValidation {
    #[default]
    Utf8,
    Legacy,
}

/// Limits and switches applied to every ingest request.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestLimits {
    /// Max request body in bytes, compressed and also after decompression
    /// (`LAKEWATCH_MAX_BODY_BYTES`, default 32 MiB as Prometheus). Over it → 413.
    pub max_body_bytes: usize,
    /// Max series in one request (`LAKEWATCH_MAX_SERIES_PER_REQUEST`, default 100 000). Over → 400.
    pub max_series_per_request: usize,
    /// Samples newer than now + this many **milliseconds** are rejected with 400
    /// (`LAKEWATCH_MAX_FUTURE_MS`, default 600 000 = Prometheus's `maxAheadTime` of 10 min).
    pub max_future_ms: i64,
    /// Samples older than now - this many **milliseconds** are rejected with 400
    /// (`LAKEWATCH_MAX_SAMPLE_AGE_MS`, default 0 = no limit).
    pub max_sample_age_ms: i64,
    /// Label name rules (`LAKEWATCH_NAME_VALIDATION` = `utf8` (default) | `legacy`).
    pub name_validation: NameValidation,
    /// OTLP: add `otel_scope_*` labels as Prometheus's `otlp.promote_scope_metadata`
    /// (`LAKEWATCH_OTLP_PROMOTE_SCOPE_METADATA`, default false as in Prometheus 3).
    pub otlp_promote_scope_metadata: bool,
    /// OTLP: resource attributes copied onto every series as Prometheus's
    /// `otlp.promote_resource_attributes` (`LAKEWATCH_OTLP_PROMOTE_RESOURCE_ATTRIBUTES`,
    /// comma-separated, default none).
    pub otlp_promote_resource_attributes: Vec<String>,
    /// OTLP: keep `service.*` attributes on `target_info` as Prometheus's
    /// `otlp.keep_identifying_resource_attributes` (`LAKEWATCH_OTLP_KEEP_IDENTIFYING_RESOURCE_ATTRIBUTES`).
    pub otlp_keep_identifying_resource_attributes: bool,
    /// OTLP: store explicit-bucket histograms as native histograms with custom buckets
    /// (schema -53) instead of classic `_bucket`/`_sum`/`_count` series, as Prometheus's
    /// `otlp.convert_histograms_to_nhcb` (`LAKEWATCH_OTLP_CONVERT_HISTOGRAMS_TO_NHCB`, default false).
    pub otlp_convert_histograms_to_nhcb: bool,
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            max_body_bytes: 32 << 20,
            max_series_per_request: 100_000,
            max_future_ms: 10 * 60 * 1000,
            max_sample_age_ms: 0,
            name_validation: NameValidation::Utf8,
            otlp_promote_scope_metadata: false,
            otlp_promote_resource_attributes: Vec::new(),
            otlp_keep_identifying_resource_attributes: false,
            otlp_convert_histograms_to_nhcb: false,
        }
    }
}

impl IngestLimits {
    /// Rejects a request carrying more than `max_series_per_request` series (400).
    pub fn check_series_count(&self, n: usize) -> Result<(), crate::IngestError> {
        if n > self.max_series_per_request {
            return Err(crate::IngestError::bad_request(format!(
                "too many series in request: {n} (limit {}, LAKEWATCH_MAX_SERIES_PER_REQUEST)",
                self.max_series_per_request
            )));
        }
        Ok(())
    }

    /// Reads the `LAKEWATCH_*` variables above; unset or unparsable values keep the default
    /// (an unparsable value is reported in the returned warnings).
    pub fn from_env() -> (Self, Vec<String>) {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`IngestLimits::from_env`] with an arbitrary variable lookup (used by tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> (Self, Vec<String>) {
        let mut l = IngestLimits::default();
        let mut warnings = Vec::new();
        fn num<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            key: &str,
            slot: &mut T,
            warnings: &mut Vec<String>,
        ) {
            if let Some(v) = get(key) {
                match v.trim().parse::<T>() {
                    Ok(n) => *slot = n,
                    Err(_) => warnings.push(format!("{key}={v:?} is not a number; default kept")),
                }
            }
        }
        fn flag(get: &impl Fn(&str) -> Option<String>, key: &str, slot: &mut bool) {
            if let Some(v) = get(key) {
                *slot = matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes");
            }
        }
        num(
            &get,
            "LAKEWATCH_MAX_BODY_BYTES",
            &mut l.max_body_bytes,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_MAX_SERIES_PER_REQUEST",
            &mut l.max_series_per_request,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_MAX_FUTURE_MS",
            &mut l.max_future_ms,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_MAX_SAMPLE_AGE_MS",
            &mut l.max_sample_age_ms,
            &mut warnings,
        );
        if let Some(v) = get("LAKEWATCH_NAME_VALIDATION") {
            match v.trim().to_ascii_lowercase().as_str() {
                "utf8" | "utf-8" => l.name_validation = NameValidation::Utf8,
                "legacy" => l.name_validation = NameValidation::Legacy,
                _ => warnings.push(format!(
                    "LAKEWATCH_NAME_VALIDATION={v:?} is not utf8|legacy; default kept"
                )),
            }
        }
        flag(
            &get,
            "LAKEWATCH_OTLP_PROMOTE_SCOPE_METADATA",
            &mut l.otlp_promote_scope_metadata,
        );
        flag(
            &get,
            "LAKEWATCH_OTLP_KEEP_IDENTIFYING_RESOURCE_ATTRIBUTES",
            &mut l.otlp_keep_identifying_resource_attributes,
        );
        flag(
            &get,
            "LAKEWATCH_OTLP_CONVERT_HISTOGRAMS_TO_NHCB",
            &mut l.otlp_convert_histograms_to_nhcb,
        );
        if let Some(v) = get("LAKEWATCH_OTLP_PROMOTE_RESOURCE_ATTRIBUTES") {
            l.otlp_promote_resource_attributes = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        (l, warnings)
    }
}
