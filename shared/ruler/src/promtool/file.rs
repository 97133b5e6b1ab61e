//! The `promtool test rules` unit-test file (Prometheus `cmd/promtool/unittest.go`
//! `unitTestFile`, docs `configuration/unit_testing_rules.md`), read strictly (unknown fields are
//! errors, as `yaml.UnmarshalStrict`).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::rules::parse_duration;

/// A Prometheus duration (`5m`, `1h30m`, `0`) in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DurationMs(pub i64);

impl<'de> Deserialize<'de> for DurationMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s =
            scalar_string(serde_yaml::Value::deserialize(d)?).map_err(serde::de::Error::custom)?;
        parse_duration(&s)
            .map(|x| DurationMs(i64::try_from(x.as_millis()).unwrap_or(i64::MAX)))
            .map_err(serde::de::Error::custom)
    }
}

/// A YAML scalar as text (numbers and booleans as written).
fn scalar_string(v: serde_yaml::Value) -> Result<String, String> {
    match v {
        serde_yaml::Value::String(s) => Ok(s),
        serde_yaml::Value::Number(n) => Ok(n.to_string()),
        serde_yaml::Value::Bool(b) => Ok(b.to_string()),
        serde_yaml::Value::Null => Ok(String::new()),
        other => Err(format!("expected a scalar, got {other:?}")),
    }
}

fn de_scalar_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    scalar_string(serde_yaml::Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// The whole file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UnitTestFile {
    #[serde(default)]
    pub rule_files: Vec<String>,
    /// Default 1 m.
    #[serde(default)]
    pub evaluation_interval: Option<DurationMs>,
    #[serde(default)]
    pub group_eval_order: Vec<String>,
    #[serde(default)]
    pub tests: Vec<TestGroup>,
    /// Prometheus 3: compare floats with one ULP of tolerance.
    #[serde(default)]
    pub fuzzy_compare: bool,
}

/// One entry of `tests`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TestGroup {
    /// Input series step (default: `evaluation_interval`).
    #[serde(default)]
    pub interval: Option<DurationMs>,
    #[serde(default)]
    pub input_series: Vec<InputSeries>,
    #[serde(default)]
    pub alert_rule_test: Vec<AlertTestCase>,
    #[serde(default)]
    pub promql_expr_test: Vec<PromqlTestCase>,
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub external_url: String,
    #[serde(default)]
    pub name: String,
    /// Prometheus 3 `start_timestamp`: the time (ms since the epoch) of the first input sample
    /// and of evaluation 0 (default the epoch).
    #[serde(default)]
    pub start_timestamp: Option<StartTimestamp>,
}

/// `start_timestamp`: Unix seconds (fractions allowed) or RFC 3339, as promtool's `parseTime`;
/// held in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StartTimestamp(pub i64);

impl<'de> Deserialize<'de> for StartTimestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s =
            scalar_string(serde_yaml::Value::deserialize(d)?).map_err(serde::de::Error::custom)?;
        if let Ok(secs) = s.parse::<f64>() {
            if secs.is_finite() {
                return Ok(StartTimestamp((secs * 1000.0).round() as i64));
            }
        }
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|t| StartTimestamp(t.timestamp_millis()))
            .map_err(|_| {
                serde::de::Error::custom(format!("cannot parse {s:?} to a valid timestamp"))
            })
    }
}

/// `input_series` item: series notation `metric{labels}` and a value sequence (`1+1x10`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InputSeries {
    #[serde(deserialize_with = "de_scalar_string")]
    pub series: String,
    #[serde(default, deserialize_with = "de_scalar_string")]
    pub values: String,
}

/// `alert_rule_test` item.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AlertTestCase {
    #[serde(default)]
    pub eval_time: DurationMs,
    #[serde(default)]
    pub alertname: String,
    #[serde(default)]
    pub exp_alerts: Vec<ExpAlert>,
}

/// One expected alert.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExpAlert {
    #[serde(default)]
    pub exp_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub exp_annotations: BTreeMap<String, String>,
}

/// `promql_expr_test` item.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PromqlTestCase {
    pub expr: String,
    #[serde(default)]
    pub eval_time: DurationMs,
    #[serde(default)]
    pub exp_samples: Vec<ExpSample>,
}

/// One expected sample: `labels` in series notation, `value` (or a native `histogram`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExpSample {
    #[serde(default)]
    pub labels: String,
    #[serde(default)]
    pub value: f64,
    #[serde(default)]
    pub histogram: String,
}
