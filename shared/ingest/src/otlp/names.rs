//! OTLP → Prometheus names as Prometheus 3's OTLP receiver builds them with its default
//! translation strategy `UnderscoreEscapingWithSuffixes` (github.com/prometheus/otlptranslator
//! `MetricNamer` with suffixes and escaping, `LabelNamer`): unit and `_total`/`_ratio` suffixes,
//! invalid characters escaped to `_`.

/// The OTLP metric kinds that matter for naming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    MonotonicCounter,
    NonMonotonicCounter,
    Histogram,
    ExponentialHistogram,
    Summary,
}

fn unit_word(u: &str) -> &str {
    match u {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

fn per_unit_word(u: &str) -> &str {
    match u {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

fn metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ':'
}

/// Main and "per" unit suffixes of a UCUM unit (`By/s` → `bytes`, `per_second`); units in
/// braces (annotations like `{request}`) give none.
fn unit_suffixes(unit: &str) -> (String, String) {
    let mut parts = unit.splitn(2, '/');
    let main = parts.next().unwrap_or("").trim();
    let per = parts.next();
    let mut main_s = String::new();
    if !main.is_empty() && !main.contains(['{', '}']) {
        main_s = unit_word(main).to_string();
    }
    let mut per_s = String::new();
    if let Some(per) = per {
        let per = per.trim();
        if !per.is_empty() && !per.contains(['{', '}']) {
            per_s = per_unit_word(per).to_string();
        }
        if !per_s.is_empty() {
            per_s = format!("per_{per_s}");
        }
    }
    (main_s, per_s)
}

/// Escapes invalid characters to `_`, collapses `__+` and trims a leading `_` (otlptranslator
/// `cleanUpUnit`).
fn clean_unit(u: &str) -> String {
    let mapped: String = u
        .chars()
        .map(|c| if metric_char(c) { c } else { '_' })
        .collect();
    let mut out = String::with_capacity(mapped.len());
    for c in mapped.chars() {
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    out.trim_start_matches('_').to_string()
}

/// The Prometheus metric family name for an OTLP metric, e.g. (`http.server.duration`, `s`,
/// histogram) → `http_server_duration_seconds`; (`requests`, ``, monotonic sum) →
/// `requests_total`; (`cpu.utilization`, `1`, gauge) → `cpu_utilization_ratio`.
/// Errors when the result is empty or only underscores (the metric is dropped, as Prometheus).
pub fn metric_name(name: &str, unit: &str, kind: MetricKind) -> Result<String, String> {
    let mut tokens: Vec<String> = name
        .split(|c: char| !metric_char(c))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let (main, per) = unit_suffixes(unit);
    let mut main = clean_unit(&main);
    let mut per = clean_unit(&per);
    if tokens.contains(&main) {
        main.clear();
    }
    if per == "per_" {
        per.clear();
    } else {
        per = per.trim_end_matches('_').to_string();
        if tokens.contains(&per) {
            per.clear();
        }
    }
    if !per.is_empty() {
        main = main.trim_end_matches('_').to_string();
    }
    if !main.is_empty() {
        tokens.push(main);
    }
    if !per.is_empty() {
        tokens.push(per);
    }
    if kind == MetricKind::MonotonicCounter {
        tokens.retain(|t| t != "total");
        tokens.push("total".into());
    }
    if unit == "1" && kind == MetricKind::Gauge {
        tokens.retain(|t| t != "ratio");
        tokens.push("ratio".into());
    }
    let mut out = tokens.join("_");
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.is_empty() {
        return Err(format!(
            "normalization for metric {name:?} resulted in empty name"
        ));
    }
    if out != name && out.chars().all(|c| c == '_') {
        return Err(format!(
            "normalization for metric {name:?} resulted in invalid name {out:?}"
        ));
    }
    Ok(out)
}

/// The Prometheus label name for an OTLP attribute key, as otlptranslator v1.0.0's
/// `LabelNamer` with Prometheus 3.14's default `otlp` settings
/// (`label_name_underscore_sanitization: true`, `label_name_preserve_multiple_underscores: true`):
/// every character outside `[a-zA-Z0-9_]` becomes `_` (one per character), a leading digit gets
/// `key_`, a single leading `_` gets `key` (`_x` → `key_x`; `__x` is kept). Errors when the key
/// is empty or the result is only underscores.
pub fn label_name(key: &str) -> Result<String, String> {
    if key.is_empty() {
        return Err("label name is empty".into());
    }
    let mut out: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    } else if out.starts_with('_') && !out.starts_with("__") {
        out.insert_str(0, "key");
    }
    if out.chars().all(|c| c == '_') {
        return Err(format!(
            "normalization for label name {key:?} resulted in invalid name {out:?}"
        ));
    }
    Ok(out)
}

/// The Prometheus unit of an OTLP unit as otlptranslator's `UnitNamer` (used for metadata):
/// `s` → `seconds`, `By/s` → `bytes_per_second`, `1` and `{request}` → empty.
pub fn unit_name(unit: &str) -> String {
    let (main, per) = unit_suffixes(unit);
    let (main, per) = (clean_unit(&main), clean_unit(&per));
    let u = match (main.is_empty(), per.is_empty()) {
        (false, false) => format!("{main}_{per}"),
        (false, true) => main,
        _ => per,
    };
    let u = u.strip_prefix('_').unwrap_or(&u);
    u.strip_suffix('_').unwrap_or(u).to_string()
}

/// Formats a float as Go's `strconv.FormatFloat(f, 'f', -1, 64)` (used for `le` and
/// `quantile` values): shortest round-trip digits, no exponent, `+Inf`/`-Inf`/`NaN`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "+Inf".into()
    } else if f == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{f}")
    }
}

/// Formats a float as pdata's `Value.AsString()` for doubles (ES6 number-to-string: plain
/// digits, exponent form below 1e-6 or from 1e21).
pub fn format_attr_double(f: f64) -> String {
    if f.is_nan() || f.is_infinite() {
        return format!(
            "json: unsupported value: {}",
            if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            }
        );
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}
