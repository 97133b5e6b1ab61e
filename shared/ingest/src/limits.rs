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
    /// Log ingest (Loki push and OTLP logs) limits; see [`LogsLimits`].
    pub logs: LogsLimits,
    /// OTLP trace ingest limits; see [`TracesLimits`].
    pub traces: TracesLimits,
}

/// Limits of OTLP/HTTP trace ingest (docs/ingest-traces.md).
#[derive(Debug, Clone, PartialEq)]
pub struct TracesLimits {
    /// Max spans in one export request, counted before validation
    /// (`LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST`, default 100 000; 0 disables the check).
    /// Over it the whole request is refused with 400 and nothing is written.
    pub max_spans_per_request: usize,
    /// Derive Tempo-style span metrics (`traces_spanmetrics_*`) into the metrics store
    /// (`LAKEWATCH_TRACES_SPANMETRICS`, default true; `0`/`false` disables). See
    /// docs/span-metrics.md.
    pub spanmetrics: bool,
    /// Derive Tempo-style service graphs (`traces_service_graph_*`) into the metrics store
    /// (`LAKEWATCH_TRACES_SERVICE_GRAPHS`, default true; `0`/`false` disables).
    pub service_graphs: bool,
    /// How long an unpaired client/server span waits for its other side, in **ms**
    /// (`LAKEWATCH_TRACES_SERVICE_GRAPHS_WAIT_MS`, default 10 000 = Tempo's `wait: 10s`).
    pub service_graphs_wait_ms: i64,
    /// Max unpaired edges held per tenant and process (`LAKEWATCH_TRACES_SERVICE_GRAPHS_MAX_ITEMS`,
    /// default 10 000 = Tempo's `max_items`); spans over it are dropped from the graph.
    pub service_graphs_max_items: usize,
    /// Max generated label sets held per tenant and process (a histogram counts once;
    /// `LAKEWATCH_TRACES_GENERATOR_MAX_SERIES`, default 50 000; 0 = unlimited). New label
    /// sets over it are not generated.
    pub generator_max_series: usize,
    /// Untouched generated series are re-written with the next request once their last sample
    /// is this many **ms** old (`LAKEWATCH_TRACES_GENERATOR_REFRESH_MS`, default 15 000 =
    /// Tempo's `collection_interval`; 0 = write touched series only).
    pub generator_refresh_ms: i64,
    /// Spans whose end time is more than this many **ms** before or after the request's
    /// wall-clock time do not feed span metrics and service graphs
    /// (`LAKEWATCH_TRACES_GENERATOR_INGESTION_SLACK_MS`, default 30 000 = Tempo's
    /// `metrics_ingestion_time_range_slack`; 0 = no filter). They are stored all the same.
    pub generator_ingestion_slack_ms: i64,
}

impl Default for TracesLimits {
    fn default() -> Self {
        TracesLimits {
            max_spans_per_request: 100_000,
            spanmetrics: true,
            service_graphs: true,
            service_graphs_wait_ms: crate::generator::servicegraph::DEFAULT_WAIT_MS,
            service_graphs_max_items: crate::generator::servicegraph::DEFAULT_MAX_ITEMS,
            generator_max_series: 50_000,
            generator_refresh_ms: 15_000,
            generator_ingestion_slack_ms: 30_000,
        }
    }
}

/// Loki's per-tenant validation limits (`limits_config`), with Loki's defaults, applied by the
/// log push handlers. Sizes in **bytes**, ages in **milliseconds**; a 0 size/count disables
/// that check (as Loki).
#[derive(Debug, Clone, PartialEq)]
pub struct LogsLimits {
    /// `max_line_size` (`LAKEWATCH_LOGS_MAX_LINE_SIZE`, default 256 KiB = 262 144; accepts
    /// `256KB`/`1MiB` style values). A longer line is rejected (400 `max entry size …`).
    pub max_line_size: usize,
    /// `max_label_names_per_series` (`LAKEWATCH_LOGS_MAX_LABELS`, default 15; `service_name`
    /// does not count, as in Loki).
    pub max_label_names_per_series: usize,
    /// `max_label_name_length` (`LAKEWATCH_LOGS_MAX_LABEL_NAME_LENGTH`, default 1024).
    pub max_label_name_length: usize,
    /// `max_label_value_length` (`LAKEWATCH_LOGS_MAX_LABEL_VALUE_LENGTH`, default 2048).
    pub max_label_value_length: usize,
    /// Max distinct streams in one push request (`LAKEWATCH_LOGS_MAX_STREAMS_PER_REQUEST`,
    /// default 10 000). Over it the whole request is refused with 400 (Loki has no such
    /// per-request limit; its per-tenant stream limit answers 429).
    pub max_streams_per_request: usize,
    /// `reject_old_samples_max_age` in ms (`LAKEWATCH_LOGS_REJECT_OLD_SAMPLES_MAX_AGE_MS`,
    /// default 7 days; 0 = accept any age, as `reject_old_samples: false`).
    pub reject_old_samples_max_age_ms: i64,
    /// `creation_grace_period` in ms (`LAKEWATCH_LOGS_CREATION_GRACE_PERIOD_MS`, default 10 min):
    /// entries newer than now + this are rejected.
    pub creation_grace_period_ms: i64,
    /// `max_structured_metadata_size` (`LAKEWATCH_LOGS_MAX_STRUCTURED_METADATA_SIZE`, default
    /// 64 KiB): sum of name and value bytes per entry.
    pub max_structured_metadata_size: usize,
    /// `max_structured_metadata_entries_count` (`LAKEWATCH_LOGS_MAX_STRUCTURED_METADATA_ENTRIES`,
    /// default 128).
    pub max_structured_metadata_entries: usize,
    /// `discover_log_levels` (`LAKEWATCH_LOGS_DISCOVER_LOG_LEVELS`, default true): add
    /// `detected_level` structured metadata.
    pub discover_log_levels: bool,
    /// `discover_service_name` (`LAKEWATCH_LOGS_DISCOVER_SERVICE_NAME`, comma-separated; an
    /// empty value disables discovery): labels tried, in order, for `service_name`.
    pub discover_service_name: Vec<String>,
}

/// Loki's default `discover_service_name` list.
pub const DEFAULT_DISCOVER_SERVICE_NAME: &[&str] = &[
    "service",
    "app",
    "application",
    "app_name",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "k8s_container_name",
    "component",
    "workload",
    "job",
    "k8s_job_name",
];

impl Default for LogsLimits {
    fn default() -> Self {
        LogsLimits {
            max_line_size: 256 << 10,
            max_label_names_per_series: 15,
            max_label_name_length: 1024,
            max_label_value_length: 2048,
            max_streams_per_request: 10_000,
            reject_old_samples_max_age_ms: 7 * 24 * 3600 * 1000,
            creation_grace_period_ms: 10 * 60 * 1000,
            max_structured_metadata_size: 64 << 10,
            max_structured_metadata_entries: 128,
            discover_log_levels: true,
            discover_service_name: DEFAULT_DISCOVER_SERVICE_NAME
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Parses a byte size: a plain number, or a number with `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`
/// (case-insensitive; K/M/G are powers of 1024 as Loki's `flagext.ByteSize`).
pub fn parse_byte_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: usize = num.parse().ok()?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
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
            logs: LogsLimits::default(),
            traces: TracesLimits::default(),
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
        logs_from_lookup(&get, &mut l.logs, &mut warnings);
        num(
            &get,
            "LAKEWATCH_TRACES_MAX_SPANS_PER_REQUEST",
            &mut l.traces.max_spans_per_request,
            &mut warnings,
        );
        flag(
            &get,
            "LAKEWATCH_TRACES_SPANMETRICS",
            &mut l.traces.spanmetrics,
        );
        flag(
            &get,
            "LAKEWATCH_TRACES_SERVICE_GRAPHS",
            &mut l.traces.service_graphs,
        );
        num(
            &get,
            "LAKEWATCH_TRACES_SERVICE_GRAPHS_WAIT_MS",
            &mut l.traces.service_graphs_wait_ms,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_TRACES_SERVICE_GRAPHS_MAX_ITEMS",
            &mut l.traces.service_graphs_max_items,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_TRACES_GENERATOR_MAX_SERIES",
            &mut l.traces.generator_max_series,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_TRACES_GENERATOR_REFRESH_MS",
            &mut l.traces.generator_refresh_ms,
            &mut warnings,
        );
        num(
            &get,
            "LAKEWATCH_TRACES_GENERATOR_INGESTION_SLACK_MS",
            &mut l.traces.generator_ingestion_slack_ms,
            &mut warnings,
        );
        (l, warnings)
    }
}

fn logs_from_lookup(
    get: &impl Fn(&str) -> Option<String>,
    l: &mut LogsLimits,
    warnings: &mut Vec<String>,
) {
    let mut size = |key: &str, slot: &mut usize| {
        if let Some(v) = get(key) {
            match parse_byte_size(&v) {
                Some(n) => *slot = n,
                None => warnings.push(format!("{key}={v:?} is not a byte size; default kept")),
            }
        }
    };
    size("LAKEWATCH_LOGS_MAX_LINE_SIZE", &mut l.max_line_size);
    size(
        "LAKEWATCH_LOGS_MAX_LABELS",
        &mut l.max_label_names_per_series,
    );
    size(
        "LAKEWATCH_LOGS_MAX_LABEL_NAME_LENGTH",
        &mut l.max_label_name_length,
    );
    size(
        "LAKEWATCH_LOGS_MAX_LABEL_VALUE_LENGTH",
        &mut l.max_label_value_length,
    );
    size(
        "LAKEWATCH_LOGS_MAX_STREAMS_PER_REQUEST",
        &mut l.max_streams_per_request,
    );
    size(
        "LAKEWATCH_LOGS_MAX_STRUCTURED_METADATA_SIZE",
        &mut l.max_structured_metadata_size,
    );
    size(
        "LAKEWATCH_LOGS_MAX_STRUCTURED_METADATA_ENTRIES",
        &mut l.max_structured_metadata_entries,
    );
    for (key, slot) in [
        (
            "LAKEWATCH_LOGS_REJECT_OLD_SAMPLES_MAX_AGE_MS",
            &mut l.reject_old_samples_max_age_ms,
        ),
        (
            "LAKEWATCH_LOGS_CREATION_GRACE_PERIOD_MS",
            &mut l.creation_grace_period_ms,
        ),
    ] {
        if let Some(v) = get(key) {
            match v.trim().parse::<i64>() {
                Ok(n) => *slot = n,
                Err(_) => warnings.push(format!("{key}={v:?} is not a number; default kept")),
            }
        }
    }
    if let Some(v) = get("LAKEWATCH_LOGS_DISCOVER_LOG_LEVELS") {
        l.discover_log_levels =
            matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes");
    }
    if let Some(v) = get("LAKEWATCH_LOGS_DISCOVER_SERVICE_NAME") {
        l.discover_service_name = v
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
}
