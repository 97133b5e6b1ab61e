//! Compares two Prometheus `query_range` JSON answers (matrix results): same series (by label
//! set), same timestamps, values equal within a relative tolerance.

use serde_json::Value;
use std::collections::BTreeMap;

/// Relative tolerance for values (different summation order gives last-bit differences).
pub const REL_TOL: f64 = 1e-6;

/// Outcome of comparing Lakewatch's answer with Prometheus's.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub ours_series: usize,
    pub theirs_series: usize,
    /// Points compared (present in both at the same timestamp).
    pub points: usize,
    /// Points whose values differ beyond [`REL_TOL`], or present on one side only.
    pub mismatched: usize,
    /// Largest relative difference seen.
    pub max_rel: f64,
    /// First few differences, for the report.
    pub examples: Vec<String>,
}

impl Comparison {
    /// True when the answers agree.
    pub fn ok(&self) -> bool {
        self.ours_series == self.theirs_series && self.mismatched == 0
    }

    /// One-line summary for the table.
    pub fn summary(&self) -> String {
        if self.ok() {
            format!(
                "same: {} series, {} points, max rel diff {:.0e}",
                self.ours_series, self.points, self.max_rel
            )
        } else {
            format!(
                "DIFFERENT: {} vs {} series, {} of {} points differ (max rel {:.1e})",
                self.ours_series,
                self.theirs_series,
                self.mismatched,
                self.points + self.mismatched,
                self.max_rel
            )
        }
    }
}

type Series = BTreeMap<String, Vec<(i64, f64)>>;

fn parse(body: &[u8]) -> Result<Series, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("bad JSON: {e}"))?;
    if v["status"] != "success" {
        return Err(format!("status {}", v["status"]));
    }
    let mut out = Series::new();
    for r in v["data"]["result"]
        .as_array()
        .ok_or("no data.result array")?
    {
        let metric: BTreeMap<String, String> = r["metric"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let key = metric
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut pts = Vec::new();
        for p in r["values"].as_array().into_iter().flatten() {
            let t = p[0].as_f64().unwrap_or(f64::NAN);
            let val = p[1].as_str().and_then(|s| s.parse::<f64>().ok());
            pts.push(((t * 1000.0).round() as i64, val.unwrap_or(f64::NAN)));
        }
        out.insert(format!("{{{key}}}"), pts);
    }
    Ok(out)
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    let d = (a - b).abs() / a.abs().max(b.abs()).max(1e-300);
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// Compares `ours` with `theirs` (both `query_range` bodies). Errors: unparsable bodies.
pub fn compare(ours: &[u8], theirs: &[u8]) -> Result<Comparison, String> {
    let a = parse(ours).map_err(|e| format!("lakewatch answer: {e}"))?;
    let b = parse(theirs).map_err(|e| format!("prometheus answer: {e}"))?;
    let mut c = Comparison {
        ours_series: a.len(),
        theirs_series: b.len(),
        ..Default::default()
    };
    for (k, pa) in &a {
        let Some(pb) = b.get(k) else {
            c.mismatched += pa.len();
            if c.examples.len() < 3 {
                c.examples.push(format!("only in lakewatch: {k}"));
            }
            continue;
        };
        let mb: BTreeMap<i64, f64> = pb.iter().copied().collect();
        let ma: BTreeMap<i64, f64> = pa.iter().copied().collect();
        for (t, va) in &ma {
            match mb.get(t) {
                Some(vb) => {
                    let d = rel(*va, *vb);
                    c.max_rel = c.max_rel.max(d);
                    if d > REL_TOL {
                        c.mismatched += 1;
                        if c.examples.len() < 3 {
                            c.examples.push(format!("{k} @{t}: {va} vs {vb}"));
                        }
                    } else {
                        c.points += 1;
                    }
                }
                None => {
                    c.mismatched += 1;
                    if c.examples.len() < 3 {
                        c.examples.push(format!("{k} @{t}: only in lakewatch"));
                    }
                }
            }
        }
        let extra = mb.keys().filter(|t| !ma.contains_key(t)).count();
        if extra > 0 && c.examples.len() < 3 {
            c.examples
                .push(format!("{k}: {extra} points only in prometheus"));
        }
        c.mismatched += extra;
    }
    for (k, pb) in &b {
        if !a.contains_key(k) {
            c.mismatched += pb.len();
            if c.examples.len() < 3 {
                c.examples.push(format!("only in prometheus: {k}"));
            }
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(series: &[(&str, &[(f64, &str)])]) -> Vec<u8> {
        let result: Vec<serde_json::Value> = series
            .iter()
            .map(|(route, pts)| {
                serde_json::json!({
                    "metric": {"route": route},
                    "values": pts.iter().map(|(t, v)| serde_json::json!([t, v])).collect::<Vec<_>>()
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "status": "success",
            "data": {"resultType": "matrix", "result": result}
        }))
        .unwrap_or_default()
    }

    #[test]
    fn equal_within_tolerance() {
        let a = body(&[("a", &[(1.0, "1"), (2.0, "0.30000000000000004")])]);
        let b = body(&[("a", &[(1.0, "1"), (2.0, "0.3")])]);
        let c = compare(&a, &b).unwrap_or_default();
        assert!(c.ok(), "{c:?}");
        assert_eq!(c.points, 2);
    }

    #[test]
    fn detects_value_and_series_differences() {
        let a = body(&[("a", &[(1.0, "1")]), ("b", &[(1.0, "2")])]);
        let b = body(&[("a", &[(1.0, "1.5")])]);
        let c = compare(&a, &b).unwrap_or_default();
        assert!(!c.ok());
        assert_eq!((c.ours_series, c.theirs_series), (2, 1));
        assert_eq!(c.mismatched, 2);
    }
}
