//! `GET /api/v1/alerts` exactly as Prometheus 3.5 (`web/api/v1/api.go` `alerts`,
//! `rulesAlertsToAPIAlerts`): every active (pending or firing) alert of every alerting rule of
//! the request tenants' PromQL groups, from the scheduled ruler's persisted state
//! ([`super::view`]). Resolved alerts (kept by the ruler only to re-send the resolution) are not
//! listed. Order: groups by file then name, rules in file order, alerts by labels (Prometheus's
//! order is its map order, i.e. unspecified).

use super::gofmt::go_time_ms;
use super::view::{active_alerts, align, load_groups, load_states, ListedGroup};
use crate::app::App;
use crate::format::go_exp;
use crate::json;
use crate::response::{ApiData, ApiError, ApiResult};
use crate::tenants::Tenants;
use lakewatch_ruler::rules::ExprLanguage;
use lakewatch_ruler::Alert;

/// Appends one alert as Prometheus's `Alert` JSON: `{"labels":{…},"annotations":{…},
/// "state":"pending|firing","activeAt":"<RFC 3339>","keepFiringSince":"<RFC 3339>"?,
/// "value":"<Go %e>"}` (`value` is `strconv.FormatFloat(v, 'e', -1, 64)`, e.g. `1e+00`;
/// `keepFiringSince` only while `keep_firing_for` holds the alert).
pub fn push_alert(out: &mut String, a: &Alert) {
    push_alert_with(out, a, true);
}

/// Appends `[alert,…]`: the active alerts of `rule` in its aligned state `st` (see
/// [`active_alerts`]), each as [`push_alert_with`].
pub(crate) fn push_alert_list(
    out: &mut String,
    rule: &lakewatch_ruler::Rule,
    st: Option<&lakewatch_ruler::eval::RuleState>,
    keep_firing: bool,
) {
    out.push('[');
    for (i, a) in active_alerts(rule, st).enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_alert_with(out, a, keep_firing);
    }
    out.push(']');
}

/// [`push_alert`]; without `keepFiringSince` when `keep_firing` is false (Loki's `Alert`:
/// `labels, annotations, state, activeAt, value`).
pub(crate) fn push_alert_with(out: &mut String, a: &Alert, keep_firing: bool) {
    out.push_str(r#"{"labels":"#);
    json::push_labels(out, &a.labels);
    out.push_str(r#","annotations":"#);
    json::push_labels(out, &a.annotations);
    out.push_str(r#","state":"#);
    json::push_str(out, a.state.as_str());
    out.push_str(r#","activeAt":"#);
    json::push_str(out, &go_time_ms(Some(a.active_at_ms)));
    if let Some(t) = a.keep_firing_since_ms.filter(|_| keep_firing) {
        out.push_str(r#","keepFiringSince":"#);
        json::push_str(out, &go_time_ms(Some(t)));
    }
    out.push_str(r#","value":"#);
    json::push_str(out, &go_exp(a.value));
    out.push('}');
}

/// Calls `f` for every active alert of every alerting rule of `groups` (states aligned with
/// the current rules), in listing order.
pub(crate) fn for_each_active_alert<'a>(
    groups: &'a [ListedGroup],
    states: &'a [Option<lakewatch_ruler::eval::GroupState>],
    mut f: impl FnMut(&'a Alert),
) {
    for (g, st) in groups.iter().zip(states) {
        let aligned = align(&g.group, st.as_ref());
        for (rule, rs) in g.group.rules.iter().zip(aligned) {
            active_alerts(rule, rs).for_each(&mut f);
        }
    }
}

/// `GET /api/v1/alerts`: `{"alerts":[…]}` (see the module docs). Errors: 500 when the store
/// fails.
pub async fn alerts(app: &App, tenants: &Tenants) -> ApiResult {
    let groups: Vec<ListedGroup> =
        load_groups(&app.store, tenants.as_slice(), ExprLanguage::PromQL)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|g| g.group.rules.iter().any(|r| r.is_alerting()))
            .collect();
    let refs: Vec<&ListedGroup> = groups.iter().collect();
    let states = load_states(&app.store, &refs, ExprLanguage::PromQL)
        .await
        .map_err(ApiError::internal)?;
    let mut out = String::from(r#"{"alerts":["#);
    let mut first = true;
    for_each_active_alert(&groups, &states, |a| {
        if !first {
            out.push(',');
        }
        first = false;
        push_alert(&mut out, a);
    });
    out.push_str("]}");
    Ok(ApiData::json(out))
}
