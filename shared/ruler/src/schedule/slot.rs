//! When a rule group is due: Prometheus's consistently slotted evaluation times
//! (`Group.EvalTimestamp`) and its missed-iteration count (`Group.run`). Times in **ms**.

use crate::state_store::GroupKey;

/// FNV-1a 64 over the group's identity: spreads groups over their interval as Prometheus's
/// per-group offset does (Prometheus hashes the group's name and file; the tenant is added
/// here so equal groups of different tenants do not all run at once).
pub fn group_hash(key: &GroupKey) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        key.tenant.as_str(),
        key.namespace.as_str(),
        key.group.as_str(),
    ] {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The latest evaluation slot at or before `now_ms` for a group with `interval_ms` and hash
/// `hash` (Prometheus `EvalTimestamp`): `base + offset` with `offset = hash % interval`.
/// With `aligned` (Mimir/Loki `align_evaluation_time_on_interval`) the offset is 0, so slots
/// are multiples of the interval.
pub fn eval_slot(now_ms: i64, interval_ms: i64, hash: u64, aligned: bool) -> i64 {
    let interval = interval_ms.max(1);
    let offset = if aligned {
        0
    } else {
        (hash % interval as u64) as i64
    };
    let adj = now_ms - offset;
    adj - adj.rem_euclid(interval) + offset
}

/// Slots that passed without an evaluation between the last evaluated slot and `slot`
/// (Prometheus `missed := (time.Since(evalTimestamp) / interval) - 1`); 0 before the first
/// evaluation.
pub fn missed_iterations(last_eval_ms: Option<i64>, slot_ms: i64, interval_ms: i64) -> u64 {
    match last_eval_ms {
        Some(last) if slot_ms > last => (((slot_ms - last) / interval_ms.max(1)) - 1).max(0) as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_offset_and_in_the_past() {
        // interval 60 s, offset 7 s.
        let hash = 7_000 + 60_000 * 123;
        assert_eq!(eval_slot(120_000, 60_000, hash, false), 67_000);
        assert_eq!(eval_slot(127_000, 60_000, hash, false), 127_000);
        assert_eq!(eval_slot(126_999, 60_000, hash, false), 67_000);
        assert_eq!(eval_slot(126_999, 60_000, hash, true), 120_000);
        assert_eq!(eval_slot(5_000, 60_000, hash, false), -53_000);
    }

    #[test]
    fn missed() {
        assert_eq!(missed_iterations(None, 600_000, 60_000), 0);
        assert_eq!(missed_iterations(Some(540_000), 600_000, 60_000), 0);
        assert_eq!(missed_iterations(Some(360_000), 600_000, 60_000), 3);
        assert_eq!(missed_iterations(Some(600_000), 600_000, 60_000), 0);
    }

    #[test]
    fn hash_differs_by_tenant_and_group() {
        let k = |t: &str, g: &str| GroupKey {
            tenant: lakewatch_model::TenantId::new(t).unwrap(),
            language: crate::rules::ExprLanguage::PromQL,
            namespace: "ns".into(),
            group: g.into(),
        };
        assert_ne!(group_hash(&k("a", "g")), group_hash(&k("b", "g")));
        assert_ne!(group_hash(&k("a", "g")), group_hash(&k("a", "h")));
        assert_eq!(group_hash(&k("a", "g")), group_hash(&k("a", "g")));
    }
}
