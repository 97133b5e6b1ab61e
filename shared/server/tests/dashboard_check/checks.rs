//! Static checks of dashboards and provisioning: unique uids and panel ids, datasource
//! references that exist in provisioning (with the right plugin type), a 24-column grid
//! without overlaps, queries present for every data panel. Each problem is one message naming
//! the dashboard and panel.

use super::model::{is_layout_panel, panel_name, target_datasource, target_query, Dashboard};
use super::provisioning::Provisioning;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Grafana's grid width.
pub const GRID_COLUMNS: i64 = 24;

/// Datasource uids Grafana itself provides.
const BUILTIN_UIDS: [&str; 3] = ["-- Grafana --", "-- Mixed --", "-- Dashboard --"];

/// Problems of the provisioning file alone: duplicate uids, links to unknown uids.
pub fn check_provisioning(prov: &Provisioning) -> Vec<String> {
    let mut errs = Vec::new();
    let mut seen = HashSet::new();
    for d in &prov.datasources {
        if !seen.insert(&d.uid) {
            errs.push(format!(
                "provisioning: datasource uid {:?} declared twice",
                d.uid
            ));
        }
    }
    for l in &prov.links {
        if prov.get(l).is_none() {
            errs.push(format!(
                "provisioning: datasourceUid {l:?} is not a provisioned datasource"
            ));
        }
    }
    errs
}

/// Problems across dashboards: duplicate dashboard uids.
pub fn check_unique_uids(dashboards: &[Dashboard]) -> Vec<String> {
    let mut by: HashMap<&str, &Dashboard> = HashMap::new();
    let mut errs = Vec::new();
    for d in dashboards {
        match d.uid() {
            None => errs.push(format!("{}: no uid", d.name())),
            Some(u) => {
                // Grafana refuses longer uids and any character outside [A-Za-z0-9_-].
                let valid = u
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if u.is_empty() || u.len() > 40 || !valid {
                    errs.push(format!(
                        "{}: uid {u:?} must be 1-40 of [A-Za-z0-9_-]",
                        d.name()
                    ));
                }
                if let Some(first) = by.insert(u, d) {
                    errs.push(format!(
                        "{}: uid {u:?} already used by {}",
                        d.name(),
                        first.name()
                    ));
                }
            }
        }
    }
    errs
}

fn check_datasource(
    dash: &Dashboard,
    what: &str,
    ds: &Value,
    prov: &Provisioning,
    errs: &mut Vec<String>,
) -> Option<String> {
    let Some(uid) = ds["uid"].as_str() else {
        errs.push(format!(
            "{}: {what}: datasource must be referenced by uid, got {ds}",
            dash.name()
        ));
        return None;
    };
    if BUILTIN_UIDS.contains(&uid) {
        return None;
    }
    let Some(p) = prov.get(uid) else {
        errs.push(format!(
            "{}: {what}: datasource uid {uid:?} is not provisioned (known: {})",
            dash.name(),
            prov.datasources
                .iter()
                .map(|d| d.uid.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return None;
    };
    if let Some(t) = ds["type"].as_str() {
        if t != p.kind {
            errs.push(format!(
                "{}: {what}: datasource {uid:?} has type {t:?} but is provisioned as {:?}",
                dash.name(),
                p.kind
            ));
        }
    }
    Some(p.kind.clone())
}

/// A panel's `gridPos` as (x, y, w, h) in grid units.
type GridPos = (i64, i64, i64, i64);

fn grid(p: &Value) -> Option<GridPos> {
    let g = &p["gridPos"];
    Some((
        g["x"].as_i64()?,
        g["y"].as_i64()?,
        g["w"].as_i64()?,
        g["h"].as_i64()?,
    ))
}

/// Problems of one dashboard against `prov`.
pub fn check_dashboard(dash: &Dashboard, prov: &Provisioning) -> Vec<String> {
    let mut errs = Vec::new();
    let name = dash.name();
    if dash.json["schemaVersion"].as_i64().unwrap_or(0) < 36 {
        errs.push(format!("{name}: schemaVersion must be ≥ 36"));
    }
    for v in dash.variables() {
        if v["datasource"].is_object() {
            let what = format!("variable {:?}", v["name"].as_str().unwrap_or(""));
            check_datasource(dash, &what, &v["datasource"], prov, &mut errs);
        }
    }
    let mut ids = HashMap::new();
    for p in dash.all_panels() {
        let pn = panel_name(p);
        match p["id"].as_i64() {
            None => errs.push(format!("{name}: {pn}: no numeric id")),
            Some(id) => {
                if let Some(prev) = ids.insert(id, pn.clone()) {
                    errs.push(format!("{name}: {pn}: id {id} already used by {prev}"));
                }
            }
        }
        if is_layout_panel(p) {
            continue;
        }
        let targets = p["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            errs.push(format!("{name}: {pn}: no queries"));
        }
        if p["datasource"].is_object() {
            check_datasource(dash, &pn, &p["datasource"], prov, &mut errs);
        }
        let mut refs = HashSet::new();
        for t in &targets {
            let r = t["refId"].as_str().unwrap_or("");
            if r.is_empty() || !refs.insert(r.to_string()) {
                errs.push(format!("{name}: {pn}: refId {r:?} missing or repeated"));
            }
        }
        for t in &targets {
            let what = format!("{pn} target {}", t["refId"].as_str().unwrap_or("?"));
            let ds = target_datasource(p, t);
            if let Some(kind) = check_datasource(dash, &what, ds, prov, &mut errs) {
                if let Err(e) = target_query(&kind, t) {
                    errs.push(format!("{name}: {what}: {e}"));
                }
            }
        }
    }
    let placed: Vec<(&Value, GridPos)> = dash
        .top_panels()
        .into_iter()
        .filter_map(|p| match grid(p) {
            Some(g) => Some((p, g)),
            None => {
                errs.push(format!("{name}: {}: no gridPos {{x,y,w,h}}", panel_name(p)));
                None
            }
        })
        .collect();
    for (p, (x, y, w, h)) in &placed {
        if *x < 0 || *y < 0 || *w < 1 || *h < 1 || x + w > GRID_COLUMNS {
            errs.push(format!(
                "{name}: {}: gridPos x={x} y={y} w={w} h={h} is outside the {GRID_COLUMNS}-column grid",
                panel_name(p)
            ));
        }
    }
    for (i, (a, (ax, ay, aw, ah))) in placed.iter().enumerate() {
        for (b, (bx, by, bw, bh)) in &placed[i + 1..] {
            if ax < &(bx + bw) && bx < &(ax + aw) && ay < &(by + bh) && by < &(ay + ah) {
                errs.push(format!(
                    "{name}: {} overlaps {} on the grid",
                    panel_name(a),
                    panel_name(b)
                ));
            }
        }
    }
    errs
}
