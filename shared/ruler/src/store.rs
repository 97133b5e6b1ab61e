//! [`RulesStore`]: rule groups kept per tenant in the object store, as Mimir's and Loki's
//! rulers keep them (one object per namespace).
//!
//! Layout: `<tenant>/rules/<prometheus|loki>/<namespace percent-encoded>.yaml`, each object a
//! rule file (`groups: [...]`, [`RuleFile::to_yaml`]) holding the namespace's groups in order.
//! `prometheus` holds PromQL groups (Mimir-style), `loki` LogQL groups (Loki-style).
//!
//! Writes are read-modify-write with conditional puts: `PutMode::Update` with the e-tag read,
//! `PutMode::Create` when the object is new, retried on conflict, so two concurrent writers
//! never lose a group. Backends without conditional updates (the local file system) take a
//! lock object (`<key>.lock`, created with `PutMode::Create`; a lock older than
//! [`STALE_LOCK`] is broken) around the read-modify-write instead.
//! Removing the last group of a namespace leaves an empty file (conditional write), which
//! reads as no namespace; only [`RulesStore::delete_namespace`] deletes the object.

use std::collections::BTreeMap;
use std::path::Path as FsPath;
use std::time::Duration;

use bytes::Bytes;
use lakewatch_model::TenantId;
use lakewatch_storage::{StorageError, Store};
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::rules::{parse_rule_file, ExprLanguage, RuleError, RuleFile, RuleGroup};

/// Attempts of one read-modify-write before [`RulesStoreError::Conflict`].
pub const MAX_ATTEMPTS: u32 = 50;
/// Age after which a lock object left by a crashed writer is broken.
pub const STALE_LOCK: Duration = Duration::from_secs(30);

/// Characters kept as they are in a namespace's object name; all others are percent-encoded.
const NAMESPACE_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A namespace or group name as one object-name segment (percent-encoded but `-_.`).
pub(crate) fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, NAMESPACE_ENCODE).to_string()
}

/// The name of a segment of a *listed* key: object_store percent-encodes `%` itself in listed
/// locations, so both layers are decoded.
pub(crate) fn decode_listed_segment(s: &str) -> Option<String> {
    let once = percent_decode_str(s).decode_utf8().ok()?;
    let twice = percent_decode_str(&once).decode_utf8().ok()?;
    Some(twice.into_owned())
}

/// What the rules store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RulesStoreError {
    /// The object store failed.
    #[error("rules store: {0}")]
    Storage(#[from] StorageError),
    /// A stored namespace object no longer parses (written by something else).
    #[error("stored rule namespace {key} is invalid: {message}")]
    Corrupt { key: String, message: String },
    /// A rule file of [`RulesStore::load_dir`] is invalid: `<file>: <promtool message>`.
    #[error("{file}: {message}")]
    InvalidFile { file: String, message: String },
    /// Reading a directory or file of [`RulesStore::load_dir`] failed.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A read-modify-write kept losing races.
    #[error("rules store: gave up after {0} conflicting writes")]
    Conflict(u32),
}

impl From<object_store::Error> for RulesStoreError {
    fn from(e: object_store::Error) -> Self {
        RulesStoreError::Storage(StorageError::ObjectStore(e))
    }
}

/// Shorthand for this module's results.
pub type Result<T, E = RulesStoreError> = std::result::Result<T, E>;

/// promtool's lines joined with newlines (`5:15: group "g", rule 1, "A": …`).
pub fn format_rule_errors(errs: &[RuleError]) -> String {
    errs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The key segment of a language: `prometheus` (PromQL) or `loki` (LogQL).
pub fn language_dir(lang: ExprLanguage) -> &'static str {
    match lang {
        ExprLanguage::PromQL => "prometheus",
        ExprLanguage::LogQL => "loki",
    }
}

/// Rule namespaces per tenant and language in a [`Store`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RulesStore {
    store: Store,
}

/// One read namespace object: its groups and the version to update it conditionally.
struct Read {
    file: RuleFile,
    version: Option<UpdateVersion>,
}

impl RulesStore {
    /// A rules store over `store` (same backend and prefix as the other signals).
    pub fn new(store: Store) -> Self {
        RulesStore { store }
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn prefix(tenant: &TenantId, lang: ExprLanguage) -> String {
        format!("{}/rules/{}/", tenant.as_str(), language_dir(lang))
    }

    /// The relative key of a namespace object.
    pub fn key(tenant: &TenantId, lang: ExprLanguage, namespace: &str) -> String {
        format!(
            "{}{}.yaml",
            Self::prefix(tenant, lang),
            encode_segment(namespace)
        )
    }

    /// The namespace of a listed key's file name, or None for other objects (locks).
    fn namespace_of(key: &str) -> Option<String> {
        decode_listed_segment(key.rsplit('/').next()?.strip_suffix(".yaml")?)
    }

    fn parse(key: &str, data: &[u8], lang: ExprLanguage) -> Result<RuleFile> {
        let text = std::str::from_utf8(data).map_err(|e| RulesStoreError::Corrupt {
            key: key.to_string(),
            message: e.to_string(),
        })?;
        parse_rule_file(text, lang).map_err(|errs| RulesStoreError::Corrupt {
            key: key.to_string(),
            message: format_rule_errors(&errs),
        })
    }

    async fn read(&self, key: &str, lang: ExprLanguage) -> Result<Option<Read>> {
        let res = match self.store.object_store().get(&self.store.path(key)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let version = UpdateVersion {
            e_tag: res.meta.e_tag.clone(),
            version: res.meta.version.clone(),
        };
        let data = res.bytes().await?;
        Ok(Some(Read {
            file: Self::parse(key, &data, lang)?,
            version: Some(version),
        }))
    }

    /// Every namespace of a tenant and language with its groups, by namespace name. Empty
    /// namespaces are left out.
    pub async fn list(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
    ) -> Result<BTreeMap<String, RuleFile>> {
        let mut out = BTreeMap::new();
        for (key, meta) in self.store.list(&Self::prefix(tenant, lang)).await? {
            let Some(ns) = Self::namespace_of(&key) else {
                continue;
            };
            // The listed location is already encoded: read it as it is.
            let data = match self.store.object_store().get(&meta.location).await {
                Ok(r) => r.bytes().await?,
                // Deleted between the listing and the read.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let file = Self::parse(&key, &data, lang)?;
            if !file.groups.is_empty() {
                out.insert(ns, file);
            }
        }
        Ok(out)
    }

    /// One namespace's groups, or None when it does not exist (or is empty).
    pub async fn get_namespace(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        namespace: &str,
    ) -> Result<Option<RuleFile>> {
        let key = Self::key(tenant, lang, namespace);
        Ok(self
            .read(&key, lang)
            .await?
            .map(|r| r.file)
            .filter(|f| !f.groups.is_empty()))
    }

    /// One group of a namespace, or None.
    pub async fn get_group(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        namespace: &str,
        group: &str,
    ) -> Result<Option<RuleGroup>> {
        Ok(self
            .get_namespace(tenant, lang, namespace)
            .await?
            .and_then(|f| f.groups.into_iter().find(|g| g.name == group)))
    }

    /// Stores `group` in `namespace`: replaces the group of the same name in place, or appends
    /// it (Mimir's `POST /config/v1/rules/<namespace>`). The group's `language` is set to `lang`.
    pub async fn set_group(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        namespace: &str,
        mut group: RuleGroup,
    ) -> Result<()> {
        group.language = lang;
        self.modify(tenant, lang, namespace, |file| {
            match file.groups.iter_mut().find(|g| g.name == group.name) {
                Some(g) => *g = group.clone(),
                None => file.groups.push(group.clone()),
            }
            true
        })
        .await
        .map(|_| ())
    }

    /// Removes one group; false when the namespace or group does not exist.
    pub async fn delete_group(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        namespace: &str,
        group: &str,
    ) -> Result<bool> {
        self.modify(tenant, lang, namespace, |file| {
            let before = file.groups.len();
            file.groups.retain(|g| g.name != group);
            file.groups.len() != before
        })
        .await
    }

    /// Deletes a namespace and all its groups; false when it did not exist (or was empty).
    pub async fn delete_namespace(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        namespace: &str,
    ) -> Result<bool> {
        let existed = self.get_namespace(tenant, lang, namespace).await?.is_some();
        self.store
            .delete(&Self::key(tenant, lang, namespace))
            .await?;
        Ok(existed)
    }

    /// Read-modify-write of one namespace object. `change` edits the groups and says whether
    /// anything changed (nothing is written otherwise); returns that answer.
    async fn modify(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        namespace: &str,
        mut change: impl FnMut(&mut RuleFile) -> bool,
    ) -> Result<bool> {
        let key = Self::key(tenant, lang, namespace);
        let path = self.store.path(&key);
        for attempt in 0..MAX_ATTEMPTS {
            let read = self.read(&key, lang).await?;
            let (mut file, version) = match read {
                Some(r) => (r.file, r.version),
                None => (RuleFile::default(), None),
            };
            if !change(&mut file) {
                return Ok(false);
            }
            let mode = match version {
                Some(v) => PutMode::Update(v),
                None => PutMode::Create,
            };
            let payload = PutPayload::from_bytes(Bytes::from(file.to_yaml()));
            let res = self
                .store
                .object_store()
                .put_opts(&path, payload, PutOptions::from(mode))
                .await;
            match res {
                Ok(_) => return Ok(true),
                Err(object_store::Error::Precondition { .. })
                | Err(object_store::Error::AlreadyExists { .. })
                | Err(object_store::Error::NotFound { .. }) => {
                    backoff(attempt).await;
                }
                Err(object_store::Error::NotImplemented { .. }) => {
                    return self.modify_locked(&key, lang, change).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(RulesStoreError::Conflict(MAX_ATTEMPTS))
    }

    /// [`Self::modify`] for backends without `PutMode::Update`: under a lock object.
    async fn modify_locked(
        &self,
        key: &str,
        lang: ExprLanguage,
        mut change: impl FnMut(&mut RuleFile) -> bool,
    ) -> Result<bool> {
        let lock_key = format!("{key}.lock");
        let mut attempt = 0u32;
        let lease = loop {
            if let Some(lease) =
                crate::lease::try_acquire(&self.store, &lock_key, STALE_LOCK).await?
            {
                break lease;
            }
            attempt += 1;
            if attempt > MAX_ATTEMPTS * 20 {
                return Err(RulesStoreError::Conflict(attempt));
            }
            backoff(attempt.min(10)).await;
        };
        let result = async {
            let mut file = self
                .read(key, lang)
                .await?
                .map(|r| r.file)
                .unwrap_or_default();
            if !change(&mut file) {
                return Ok(false);
            }
            self.store
                .object_store()
                .put_opts(
                    &self.store.path(key),
                    PutPayload::from_bytes(Bytes::from(file.to_yaml())),
                    PutOptions::from(PutMode::Overwrite),
                )
                .await?;
            Ok(true)
        }
        .await;
        crate::lease::release(&self.store, lease).await?;
        result
    }

    /// Loads every `*.yml` / `*.yaml` file of `dir` (not recursive, sorted by name) as one
    /// namespace named after the file name without its extension, replacing each namespace
    /// whole (groups not in the file are dropped). Every file is validated first: the first
    /// invalid one is [`RulesStoreError::InvalidFile`] with the file path and promtool's
    /// message, and nothing is stored. Returns the namespaces loaded.
    pub async fn load_dir(
        &self,
        tenant: &TenantId,
        lang: ExprLanguage,
        dir: &FsPath,
    ) -> Result<Vec<String>> {
        let io = |p: &FsPath, e: std::io::Error| RulesStoreError::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            let is_rules = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml") | Some("yaml")
            );
            if is_rules && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        let mut files = Vec::new();
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
            let file =
                parse_rule_file(&text, lang).map_err(|errs| RulesStoreError::InvalidFile {
                    file: path.display().to_string(),
                    message: format_rule_errors(&errs),
                })?;
            let ns = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            files.push((ns, file));
        }
        let mut loaded = Vec::new();
        for (ns, file) in files {
            self.modify(tenant, lang, &ns, |f| {
                *f = file.clone();
                true
            })
            .await?;
            loaded.push(ns);
        }
        Ok(loaded)
    }
}

/// Sleeps a little before retrying a lost race (grows with the attempt, capped at ~50 ms).
async fn backoff(attempt: u32) {
    let ms = 1 + u64::from(attempt.min(10)) * 5;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
