//! What the OpenTelemetry Python SDK sent (`tests/python/otel_traces.py`), and the span model
//! both the sent spans and the spans read back from Lakewatch are compared in.

use lakewatch_e2e::pyclients::run_json_script;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// One span, in the terms the SDK and the Tempo API share: ids as lower-case hex, kind and
/// status as the OTLP names without prefix (`SERVER`, `ERROR`), times in unix ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    /// `None` for a root span.
    pub parent_span_id: Option<String>,
    pub name: String,
    /// `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER`, `CONSUMER` or `UNSPECIFIED`.
    pub kind: String,
    /// `UNSET`, `OK` or `ERROR`.
    pub status: String,
    pub status_message: String,
    pub start_ns: u64,
    pub end_ns: u64,
    /// `service.name` of the span's resource.
    pub service: String,
    /// Instrumentation scope name.
    pub scope: String,
    /// Span attributes: strings, integers (i64), doubles and booleans as JSON values.
    pub attributes: BTreeMap<String, Value>,
    /// Event names, in order.
    pub events: Vec<String>,
}

impl Span {
    /// A span attribute.
    pub fn attr(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    /// A string span attribute equals `v`.
    pub fn attr_is(&self, key: &str, v: &str) -> bool {
        self.attr(key).and_then(Value::as_str) == Some(v)
    }

    /// Duration in ns.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// The spans of one client run, with the encoding they were sent in.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub spans: Vec<Span>,
    /// Trace id → `protobuf` / `json`.
    pub encoding: BTreeMap<String, String>,
}

impl Sent {
    /// Adds the spans of one run.
    pub fn extend(&mut self, encoding: &str, spans: Vec<Span>) {
        for s in &spans {
            self.encoding
                .insert(s.trace_id.clone(), encoding.to_string());
        }
        self.spans.extend(spans);
    }

    /// The spans of each trace, by trace id, sorted by span id.
    pub fn traces(&self) -> BTreeMap<&str, Vec<&Span>> {
        let mut out: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
        for s in &self.spans {
            out.entry(s.trace_id.as_str()).or_default().push(s);
        }
        for v in out.values_mut() {
            v.sort_by(|a, b| a.span_id.cmp(&b.span_id));
        }
        out
    }

    /// Ids of the traces for which `pred` holds on their spans.
    pub fn traces_where(&self, pred: impl Fn(&[&Span]) -> bool) -> BTreeSet<String> {
        self.traces()
            .into_iter()
            .filter(|(_, spans)| pred(spans))
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// Ids of the traces with at least one span for which `pred` holds.
    pub fn traces_with_span(&self, pred: impl Fn(&Span) -> bool) -> BTreeSet<String> {
        self.traces_where(|spans| spans.iter().any(|s| pred(s)))
    }

    /// The trace's start (earliest span start) and end (latest span end), ns.
    pub fn trace_bounds(&self, trace_id: &str) -> (u64, u64) {
        let spans = self.spans.iter().filter(|s| s.trace_id == trace_id);
        let start = spans.clone().map(|s| s.start_ns).min().unwrap_or(0);
        let end = spans.map(|s| s.end_ns).max().unwrap_or(0);
        (start, end)
    }

    /// Earliest span start and latest span end over every trace, ns.
    pub fn bounds(&self) -> (u64, u64) {
        let start = self.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let end = self.spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
        (start, end)
    }
}

fn str_field(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

/// Parses one span of the script's summary.
fn parse_span(v: &Value) -> Result<Span, String> {
    let attributes = v["attributes"]
        .as_object()
        .ok_or_else(|| format!("span without attributes: {v}"))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Span {
        trace_id: str_field(v, "trace_id"),
        span_id: str_field(v, "span_id"),
        parent_span_id: v["parent_span_id"].as_str().map(str::to_string),
        name: str_field(v, "name"),
        kind: str_field(v, "kind"),
        status: str_field(v, "status"),
        status_message: str_field(v, "status_message"),
        start_ns: v["start_ns"].as_u64().ok_or("start_ns")?,
        end_ns: v["end_ns"].as_u64().ok_or("end_ns")?,
        service: str_field(v, "service"),
        scope: str_field(v, "scope"),
        attributes,
        events: v["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect(),
    })
}

/// `python3 -c 'import …'` succeeds for the SDK, its OTLP/HTTP exporter and protobuf.
pub fn sdk_installed() -> bool {
    Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, google.protobuf",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `tests/python/otel_traces.py base tenant encoding n base_ns` (blocking, under
/// `timeout`) and returns the spans it sent. Errors: the script failed (an export was not
/// answered 200 / `SUCCESS`; its stderr is included) or printed no summary.
pub fn run_client(
    base: &str,
    tenant: &str,
    encoding: &str,
    n: usize,
    base_ns: u64,
) -> Result<Vec<Span>, String> {
    let args = [
        base.to_string(),
        tenant.to_string(),
        encoding.to_string(),
        n.to_string(),
        base_ns.to_string(),
    ];
    let summary = run_json_script("otel_traces.py", &args, |status, stdout, stderr| {
        format!(
            "otel_traces.py {encoding} exited with {status}:\n{}\n{}",
            stdout.trim_end(),
            stderr.trim_end()
        )
    })?;
    let exports = summary["exports"].as_array().map_or(0, Vec::len);
    println!("otel_traces.py {encoding}: {exports} export requests, all SUCCESS");
    summary["spans"]
        .as_array()
        .ok_or("summary without spans")?
        .iter()
        .map(parse_span)
        .collect()
}
