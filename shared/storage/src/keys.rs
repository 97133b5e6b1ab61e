//! Object key layout, shared by every signal:
//!
//! ```text
//! <tenant>/<signal>/manifest/<version:020>.json      manifest log (one full snapshot per version)
//! <tenant>/<signal>/objects/L<level>/<ULID>.parquet   immutable data objects
//! ```
//! `<signal>` is `metrics`, `logs` or `traces` (`Signal::as_str`). The tenant is always the
//! first segment, so no listing or read ever crosses tenants by accident.

use lakewatch_model::{Signal, TenantId};

/// `<tenant>/<signal>/manifest/`
pub fn manifest_prefix(tenant: &TenantId, signal: Signal) -> String {
    format!("{}/{}/manifest/", tenant.as_str(), signal.as_str())
}

/// `<tenant>/<signal>/manifest/<version:020>.json` (zero padded so keys sort by version).
pub fn manifest_key(tenant: &TenantId, signal: Signal, version: u64) -> String {
    format!("{}{version:020}.json", manifest_prefix(tenant, signal))
}

/// The version number of a manifest key, if it is one.
pub fn manifest_version_of(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?;
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 20 {
        return None;
    }
    digits.parse().ok()
}

/// `<tenant>/<signal>/objects/`
pub fn objects_prefix(tenant: &TenantId, signal: Signal) -> String {
    format!("{}/{}/objects/", tenant.as_str(), signal.as_str())
}

/// `<tenant>/<signal>/objects/L<level>/<id>.parquet`
pub fn object_key(tenant: &TenantId, signal: Signal, level: u8, id: &str) -> String {
    format!("{}L{level}/{id}.parquet", objects_prefix(tenant, signal))
}

/// The ULID of an object key (`.../<ULID>.parquet`), if it parses.
pub fn object_id_of(key: &str) -> Option<ulid::Ulid> {
    let name = key.rsplit('/').next()?;
    ulid::Ulid::from_string(name.strip_suffix(".parquet")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let t = TenantId::new("acme").unwrap();
        assert_eq!(
            manifest_key(&t, Signal::Metrics, 42),
            "acme/metrics/manifest/00000000000000000042.json"
        );
        assert_eq!(
            manifest_version_of(&manifest_key(&t, Signal::Logs, 7)),
            Some(7)
        );
        let id = ulid::Ulid::new();
        let k = object_key(&t, Signal::Metrics, 0, &id.to_string());
        assert!(k.starts_with("acme/metrics/objects/L0/"));
        assert_eq!(object_id_of(&k), Some(id));
    }
}
