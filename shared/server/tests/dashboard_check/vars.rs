//! Grafana's variable substitution for one panel query: the global variables (`$__interval`,
//! `$__interval_ms`, `$__rate_interval`, `$__range`, `$__range_s`, `$__range_ms`) and the
//! dashboard's template variables at their saved current value (`$__all` → the variable's
//! `allValue`, as Grafana does when one is set). Forms `$name`, `${name}`, `${name:fmt}`,
//! `[[name]]`.

use super::model::Dashboard;
use serde_json::Value;
use std::collections::HashMap;

/// Scrape interval Grafana assumes (the Prometheus datasource's `timeInterval`, 15 s).
pub const SCRAPE_S: u64 = 15;
/// The dashboards' time range, `now-1h` → `now`.
pub const RANGE_S: u64 = 3600;

/// Grafana's `rangeUtil.secondsToHms`: the largest whole unit (`1h`, `1m`, `15s`).
pub fn hms(s: u64) -> String {
    if s > 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Grafana's interval text (`15s`, `1m`, `2h`) → seconds.
pub fn parse_interval(s: &str) -> Option<u64> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return None,
    })
}

/// The step Grafana uses for a panel: its `interval` (min interval) if set, else the scrape
/// interval (a 1 h range over a panel ~1000 px wide asks for ~4 s, below the 15 s floor).
pub fn panel_step_s(panel: &Value) -> u64 {
    panel["interval"]
        .as_str()
        .and_then(parse_interval)
        .unwrap_or(SCRAPE_S)
        .max(1)
}

/// Variable name → substituted text for `panel` of `dash`.
pub fn variables(dash: &Dashboard, panel: &Value) -> Result<HashMap<String, String>, String> {
    let step = panel_step_s(panel);
    let mut m = HashMap::new();
    m.insert("__interval".into(), hms(step));
    m.insert("__interval_ms".into(), (step * 1000).to_string());
    // Grafana: max(4 × scrape interval, interval + scrape interval).
    m.insert(
        "__rate_interval".into(),
        hms((4 * SCRAPE_S).max(step + SCRAPE_S)),
    );
    m.insert("__range".into(), hms(RANGE_S));
    m.insert("__range_s".into(), RANGE_S.to_string());
    m.insert("__range_ms".into(), (RANGE_S * 1000).to_string());
    for v in dash.variables() {
        let name = v["name"].as_str().ok_or("variable without name")?;
        let cur = &v["current"]["value"];
        let values: Vec<String> = match cur {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => match v["query"].as_str() {
                // textbox / constant without a saved current value
                Some(q) => vec![q.to_string()],
                None => return Err(format!("variable {name:?} has no current value")),
            },
        };
        let text = if values.iter().any(|x| x == "$__all") {
            v["allValue"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("variable {name:?}: All selected but no allValue"))?
        } else if values.len() == 1 {
            values[0].clone()
        } else {
            format!("({})", values.join("|"))
        };
        m.insert(name.to_string(), text);
    }
    Ok(m)
}

/// Replaces every variable reference of `q`; an unknown variable is an error naming it.
pub fn substitute(q: &str, vars: &HashMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(q.len());
    let mut rest = q;
    let ident = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    while let Some(i) = rest.find(['$', '[']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (name, len) = if let Some(t) = tail.strip_prefix("${") {
            let end = t
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {q:?}"))?;
            let inner = &t[..end];
            (inner.split(':').next().unwrap_or(""), end + 3)
        } else if let Some(t) = tail.strip_prefix("[[") {
            match t.find("]]") {
                Some(end) if ident(&t[..end]) == end && end > 0 => (&t[..end], end + 4),
                _ => ("", 0),
            }
        } else if let Some(t) = tail.strip_prefix('$') {
            let n = ident(t);
            (&t[..n], n + 1)
        } else {
            ("", 0)
        };
        if name.is_empty() {
            // A `$` or `[` that is not a variable (regex anchor, range selector).
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        }
        let v = vars
            .get(name)
            .ok_or_else(|| format!("unknown variable ${name}"))?;
        out.push_str(v);
        rest = &tail[len..];
    }
    out.push_str(rest);
    Ok(out)
}
