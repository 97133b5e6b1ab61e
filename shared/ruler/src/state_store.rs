//! [`StateStore`]: the evaluation state of every rule group ([`GroupState`]: alerts with their
//! pending/firing/resolved/last-sent times, rule health, series for stale markers) kept in the
//! object store between ruler invocations, and the per-group lease that makes one invocation
//! at a time evaluate a group.
//!
//! Layout, next to the rule namespaces of [`crate::store`]:
//! `<tenant>/rules-state/<prometheus|loki>/<namespace>/<group>.json` (both segments
//! percent-encoded) and `<…>.json.lock` while an invocation evaluates the group.
//!
//! Concurrency: a lease is a lock object created with `PutMode::Create` (exactly one of two
//! racing invocations gets it; a lease older than its TTL is taken over, so a crashed
//! invocation does not stop a group for ever). Under the lease the state is read, the group
//! evaluated, notifications sent and the new state written with `PutMode::Update` on the
//! e-tag read (or `Create` when there was none; plain overwrite on backends without
//! conditional updates, e.g. the local file system, where the lease alone serialises writers).
//! A write that loses its precondition (the lease expired and another invocation took over) is
//! [`StateStoreError::Conflict`].

use std::time::Duration;

use bytes::Bytes;
use lakewatch_model::TenantId;
use lakewatch_storage::{StorageError, Store};
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use crate::eval::GroupState;
use crate::rules::ExprLanguage;
use crate::store::{decode_listed_segment as dec, encode_segment as enc, language_dir};

/// Default lease TTL: an invocation that holds a group longer is assumed dead.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(300);

/// What the state store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StateStoreError {
    /// The object store failed.
    #[error("rule state store: {0}")]
    Storage(#[from] StorageError),
    /// A stored state no longer decodes.
    #[error("stored rule group state {key} is invalid: {message}")]
    Corrupt { key: String, message: String },
    /// The conditional write lost: another invocation wrote the state since it was read.
    #[error("rule group state {0} was changed by another invocation")]
    Conflict(String),
}

impl From<object_store::Error> for StateStoreError {
    fn from(e: object_store::Error) -> Self {
        StateStoreError::Storage(StorageError::ObjectStore(e))
    }
}

/// Shorthand for this module's results.
pub type Result<T, E = StateStoreError> = std::result::Result<T, E>;

/// Identifies one rule group: tenant, language, namespace (the `file` of `/api/v1/rules`) and
/// group name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub tenant: TenantId,
    pub language: ExprLanguage,
    pub namespace: String,
    pub group: String,
}

/// A state read with the version to update it conditionally.
#[derive(Debug, Clone)]
pub struct VersionedState {
    pub state: GroupState,
    version: Option<UpdateVersion>,
}

pub use crate::lease::Lease;

/// Rule group states in a [`Store`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StateStore {
    store: Store,
    lease_ttl: Duration,
}

impl StateStore {
    /// A state store over `store` with [`DEFAULT_LEASE_TTL`].
    pub fn new(store: Store) -> Self {
        StateStore {
            store,
            lease_ttl: DEFAULT_LEASE_TTL,
        }
    }

    /// Sets the lease TTL (how long a crashed invocation can keep a group from being evaluated).
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    fn prefix(tenant: &TenantId, lang: ExprLanguage) -> String {
        format!("{}/rules-state/{}/", tenant.as_str(), language_dir(lang))
    }

    /// The relative key of a group's state object.
    pub fn key(g: &GroupKey) -> String {
        format!(
            "{}{}/{}.json",
            Self::prefix(&g.tenant, g.language),
            enc(&g.namespace),
            enc(&g.group)
        )
    }

    /// The group's state, or None before its first evaluation.
    pub async fn get(&self, g: &GroupKey) -> Result<Option<GroupState>> {
        Ok(self.get_versioned(g).await?.map(|v| v.state))
    }

    /// The group's state with its version (for [`Self::put`]).
    pub async fn get_versioned(&self, g: &GroupKey) -> Result<Option<VersionedState>> {
        let key = Self::key(g);
        let res = match self.store.object_store().get(&self.store.path(&key)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let version = UpdateVersion {
            e_tag: res.meta.e_tag.clone(),
            version: res.meta.version.clone(),
        };
        let data = res.bytes().await?;
        let state = serde_json::from_slice(&data).map_err(|e| StateStoreError::Corrupt {
            key: key.clone(),
            message: e.to_string(),
        })?;
        Ok(Some(VersionedState {
            state,
            version: Some(version),
        }))
    }

    /// Every stored state of a tenant and language: `(namespace, group, state)` (states
    /// deleted between the listing and the read are left out).
    pub async fn list(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
    ) -> Result<Vec<(String, String, GroupState)>> {
        let mut out = Vec::new();
        for (namespace, group) in self.list_groups(tenant, lang).await? {
            let key = GroupKey {
                tenant: tenant.clone(),
                language: lang,
                namespace,
                group,
            };
            if let Some(state) = self.get(&key).await? {
                out.push((key.namespace, key.group, state));
            }
        }
        Ok(out)
    }

    /// The `(namespace, group)` of every stored state of a tenant and language, without
    /// reading them.
    pub async fn list_groups(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
    ) -> Result<Vec<(String, String)>> {
        let prefix = Self::prefix(tenant, lang);
        Ok(self
            .store
            .list(&prefix)
            .await?
            .into_iter()
            .filter_map(|(key, _)| {
                let (ns, file) = key.strip_prefix(&prefix)?.split_once('/')?;
                Some((dec(ns)?, dec(file.strip_suffix(".json")?)?))
            })
            .collect())
    }

    /// Writes the group's state: conditionally on `read`'s version (`Create` when `read` is
    /// None). Errors: [`StateStoreError::Conflict`] when another writer got there first.
    pub async fn put(
        &self,
        g: &GroupKey,
        read: Option<&VersionedState>,
        state: &GroupState,
    ) -> Result<()> {
        let key = Self::key(g);
        let body = serde_json::to_vec(state).map_err(|e| StateStoreError::Corrupt {
            key: key.clone(),
            message: e.to_string(),
        })?;
        let mode = match read.and_then(|r| r.version.clone()) {
            Some(v) => PutMode::Update(v),
            None => PutMode::Create,
        };
        let os = self.store.object_store();
        let path = self.store.path(&key);
        let payload = || PutPayload::from_bytes(Bytes::from(body.clone()));
        match os.put_opts(&path, payload(), PutOptions::from(mode)).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::Precondition { .. })
            | Err(object_store::Error::AlreadyExists { .. }) => Err(StateStoreError::Conflict(key)),
            // No conditional updates (local file system): the lease serialises writers.
            Err(object_store::Error::NotImplemented { .. }) => {
                os.put_opts(&path, payload(), PutOptions::from(PutMode::Overwrite))
                    .await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a group's state (the group was removed).
    pub async fn delete(&self, g: &GroupKey) -> Result<()> {
        Ok(self.store.delete(&Self::key(g)).await?)
    }

    /// Takes the group's lease ([`crate::lease`]): `Some` when this caller holds it now,
    /// `None` when another invocation holds a lease younger than the TTL. An older lease is
    /// taken over.
    pub async fn try_acquire(&self, g: &GroupKey) -> Result<Option<Lease>> {
        let key = format!("{}.lock", Self::key(g));
        Ok(crate::lease::try_acquire(&self.store, &key, self.lease_ttl).await?)
    }

    /// Releases a lease taken with [`Self::try_acquire`].
    pub async fn release(&self, lease: Lease) -> Result<()> {
        Ok(crate::lease::release(&self.store, lease).await?)
    }
}
