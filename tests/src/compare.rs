//! Compares two Prometheus API results: the same result type, the same series (label sets) and
//! the same values (relative tolerance 1e-6, NaN equals NaN), point by point for matrices.

use serde_json::Value;
use std::collections::BTreeMap;

/// Relative tolerance for sample values.
pub const REL_TOL: f64 = 1e-6;
/// Absolute tolerance for values near zero (float summation order differs between engines).
pub const ABS_TOL: f64 = 1e-9;

/// Parses an API sample value (`"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`).
pub fn parse_value(v: &Value) -> Option<f64> {
    let s = v.as_str()?;
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// `true` when `a` and `b` are equal within the tolerances (NaN == NaN, ±Inf exact).
pub fn values_equal(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    let diff = (a - b).abs();
    diff <= ABS_TOL || diff <= REL_TOL * a.abs().max(b.abs())
}

/// A label set rendered canonically (`{a="1", b="2"}`, sorted by name).
fn labels_key(metric: &Value) -> String {
    let mut pairs: Vec<(String, String)> = metric
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

type Points = Vec<(f64, f64)>;

fn points(v: &Value) -> Result<Points, String> {
    v.as_array()
        .ok_or("values is not an array")?
        .iter()
        .map(|p| {
            let t = p[0].as_f64().ok_or("bad timestamp")?;
            let x = parse_value(&p[1]).ok_or("bad value")?;
            Ok((t, x))
        })
        .collect()
}

fn series_map(data: &Value) -> Result<BTreeMap<String, Points>, String> {
    let mut out = BTreeMap::new();
    let kind = data["resultType"].as_str().unwrap_or_default();
    let result = data["result"].as_array().ok_or("result is not an array")?;
    for s in result {
        let key = labels_key(&s["metric"]);
        let pts = match kind {
            "vector" => points(&Value::Array(vec![s["value"].clone()]))?,
            "matrix" => points(&s["values"])?,
            other => return Err(format!("unexpected resultType {other}")),
        };
        if out.insert(key.clone(), pts).is_some() {
            return Err(format!("duplicate series {key}"));
        }
    }
    Ok(out)
}

/// Compares Prometheus's `data` (expected) with Lakewatch's `data` (actual).
/// Errors: a description of the first differences (up to a few lines).
pub fn compare_data(expected: &Value, actual: &Value) -> Result<(), String> {
    let ek = expected["resultType"].as_str().unwrap_or_default();
    let ak = actual["resultType"].as_str().unwrap_or_default();
    if ek != ak {
        return Err(format!("resultType: expected {ek}, got {ak}"));
    }
    if ek == "scalar" || ek == "string" {
        let e = &expected["result"];
        let a = &actual["result"];
        let same_t = e[0].as_f64() == a[0].as_f64();
        let same_v = match (parse_value(&e[1]), parse_value(&a[1])) {
            (Some(x), Some(y)) => values_equal(x, y),
            _ => e[1] == a[1],
        };
        return if same_t && same_v {
            Ok(())
        } else {
            Err(format!("expected {e}, got {a}"))
        };
    }
    let e = series_map(expected)?;
    let a = series_map(actual)?;
    let mut problems = Vec::new();
    for k in e.keys().filter(|k| !a.contains_key(*k)) {
        problems.push(format!("missing series {k}"));
    }
    for k in a.keys().filter(|k| !e.contains_key(*k)) {
        problems.push(format!("extra series {k}"));
    }
    for (k, ep) in &e {
        let Some(ap) = a.get(k) else { continue };
        if ep.len() != ap.len() {
            problems.push(format!(
                "{k}: expected {} points, got {} (expected ts {:?}.., got {:?}..)",
                ep.len(),
                ap.len(),
                ep.first().map(|p| p.0),
                ap.first().map(|p| p.0)
            ));
            continue;
        }
        for (x, y) in ep.iter().zip(ap) {
            if (x.0 - y.0).abs() > 1e-4 || !values_equal(x.1, y.1) {
                problems.push(format!(
                    "{k} at {}: expected {}, got {} @{}",
                    x.0, x.1, y.1, y.0
                ));
                break;
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let n = problems.len();
        problems.truncate(4);
        Err(format!("{n} difference(s): {}", problems.join("; ")))
    }
}

/// Compares the `data` arrays of the metadata APIs (`/api/v1/series`: label sets;
/// `/api/v1/labels`, `/api/v1/label/<name>/values`: strings) as sets.
pub fn compare_sets(expected: &Value, actual: &Value) -> Result<(), String> {
    fn set(v: &Value) -> Result<std::collections::BTreeSet<String>, String> {
        v.as_array()
            .ok_or("data is not an array")?
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Object(_) => Ok(labels_key(x)),
                other => Err(format!("unexpected element {other}")),
            })
            .collect()
    }
    let e = set(expected)?;
    let a = set(actual)?;
    if e == a {
        return Ok(());
    }
    let missing: Vec<_> = e.difference(&a).take(4).collect();
    let extra: Vec<_> = a.difference(&e).take(4).collect();
    Err(format!("missing {missing:?}, extra {extra:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vectors_compare_by_label_set_and_value() {
        let e = json!({"resultType":"vector","result":[
            {"metric":{"a":"1","__name__":"x"},"value":[10.5,"1.0000001"]},
            {"metric":{"a":"2"},"value":[10.5,"NaN"]}]});
        let a = json!({"resultType":"vector","result":[
            {"metric":{"a":"2"},"value":[10.5,"NaN"]},
            {"metric":{"__name__":"x","a":"1"},"value":[10.5,"1"]}]});
        assert!(compare_data(&e, &a).is_ok());
        let b = json!({"resultType":"vector","result":[
            {"metric":{"a":"2"},"value":[10.5,"NaN"]}]});
        assert!(compare_data(&e, &b).unwrap_err().contains("missing series"));
        let c = json!({"resultType":"vector","result":[
            {"metric":{"a":"2"},"value":[10.5,"NaN"]},
            {"metric":{"__name__":"x","a":"1"},"value":[10.5,"1.1"]}]});
        assert!(compare_data(&e, &c).is_err());
    }

    #[test]
    fn matrices_compare_point_by_point() {
        let e = json!({"resultType":"matrix","result":[
            {"metric":{"a":"1"},"values":[[1,"1"],[2,"2"]]}]});
        let a = json!({"resultType":"matrix","result":[
            {"metric":{"a":"1"},"values":[[1,"1"],[2,"2.5"]]}]});
        assert!(compare_data(&e, &e).is_ok());
        assert!(compare_data(&e, &a).is_err());
        let s = json!({"resultType":"scalar","result":[1,"2"]});
        assert!(compare_data(&s, &s).is_ok());
        assert!(compare_data(&s, &e).is_err());
    }

    #[test]
    fn sets_ignore_order() {
        let e = json!([{"a":"1","b":"2"},{"a":"3"}]);
        let a = json!([{"a":"3"},{"b":"2","a":"1"}]);
        assert!(compare_sets(&e, &a).is_ok());
        assert!(compare_sets(&json!(["x", "y"]), &json!(["y"])).is_err());
    }
}
