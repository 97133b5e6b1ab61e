//! The tenants a request reads: one, or several for a Mimir-style federated query
//! (`X-Scope-OrgID: a|b`). With several, every series gets a `__tenant_id__` label and
//! matchers on that label select tenants (Mimir's tenant federation).

use lakewatch_model::{LabelMatcher, Labels, TenantId};

/// The label naming a series' tenant in federated (multi-tenant) results, as in Mimir.
pub const TENANT_LABEL: &str = "__tenant_id__";

/// The tenants of one request (at least one, in header order, distinct).
#[derive(Debug, Clone, PartialEq)]
pub struct Tenants(Vec<TenantId>);

impl Tenants {
    /// Wraps resolved tenants; an empty list means `anonymous`.
    pub fn new(mut tenants: Vec<TenantId>) -> Self {
        if tenants.is_empty() {
            tenants.push(TenantId::anonymous());
        }
        Tenants(tenants)
    }

    /// One tenant.
    pub fn single(t: TenantId) -> Self {
        Tenants(vec![t])
    }

    /// Whether results must carry `__tenant_id__`.
    pub fn is_federated(&self) -> bool {
        self.0.len() > 1
    }

    pub fn as_slice(&self) -> &[TenantId] {
        &self.0
    }

    /// For each tenant the matcher sets may select, the sets to send to storage for it.
    /// Single tenant: the sets unchanged. Federated: only sets whose `__tenant_id__`
    /// matchers accept the tenant, with those matchers removed; an empty `sets` (no
    /// `match[]`) selects every tenant.
    pub fn plan(&self, sets: &[Vec<LabelMatcher>]) -> Vec<(TenantId, Vec<Vec<LabelMatcher>>)> {
        if !self.is_federated() {
            return vec![(self.0[0].clone(), sets.to_vec())];
        }
        self.0
            .iter()
            .filter_map(|t| {
                if sets.is_empty() {
                    return Some((t.clone(), Vec::new()));
                }
                let kept: Vec<Vec<LabelMatcher>> =
                    sets.iter().filter_map(|set| strip_for(t, set)).collect();
                (!kept.is_empty()).then(|| (t.clone(), kept))
            })
            .collect()
    }

    /// Adds `__tenant_id__="<t>"` when federated.
    pub fn tag(&self, t: &TenantId, labels: &mut Labels) {
        if self.is_federated() {
            labels.set(TENANT_LABEL, t.as_str());
        }
    }
}

/// `set` without its `__tenant_id__` matchers if they all accept `t`, else `None`.
pub fn strip_for(t: &TenantId, set: &[LabelMatcher]) -> Option<Vec<LabelMatcher>> {
    let mut out = Vec::with_capacity(set.len());
    for m in set {
        if m.name == TENANT_LABEL {
            if !m.matches(t.as_str()) {
                return None;
            }
        } else {
            out.push(m.clone());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakewatch_model::MatchOp;

    #[test]
    fn plans() {
        let a = TenantId::new("a").unwrap();
        let b = TenantId::new("b").unwrap();
        let single = Tenants::single(a.clone());
        let m = LabelMatcher::new(MatchOp::Equal, TENANT_LABEL, "b").unwrap();
        assert_eq!(single.plan(&[vec![m.clone()]])[0].1[0].len(), 1);
        let fed = Tenants::new(vec![a, b.clone()]);
        let p = fed.plan(&[vec![m]]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, b);
        assert!(p[0].1[0].is_empty());
        assert_eq!(fed.plan(&[]).len(), 2);
    }
}
