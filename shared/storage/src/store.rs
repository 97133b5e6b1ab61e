//! `Store`: an `object_store` backend plus a key prefix, built from a URL.
//!
//! URLs (DESIGN §3):
//! - `file:///abs/path` or a plain path such as `./data` (the default, [`Store::DEFAULT_URL`]):
//!   `LocalFileSystem` rooted there; the directory is created if missing.
//! - `memory://`: `InMemory`, for tests (each call gives a fresh, empty store).
//! - `s3://bucket/prefix`: `AmazonS3Builder::from_env()` (the usual `AWS_*` variables), endpoint
//!   override from `LAKEWATCH_S3_ENDPOINT` or `AWS_ENDPOINT_URL` (MinIO, moto), `allow_http` when
//!   that endpoint is `http://`, path-style requests whenever an endpoint is set, region
//!   `us-east-1` unless `AWS_REGION`/`AWS_DEFAULT_REGION` says otherwise, and
//!   `S3ConditionalPut::ETagMatch` (conditional `If-None-Match: *` puts).

use crate::error::{Result, StorageError};
use futures::TryStreamExt;
use lakewatch_model::TenantId;
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use std::sync::Arc;

/// Environment variable holding the store URL (default [`Store::DEFAULT_URL`]).
pub const STORE_URL_ENV: &str = "LAKEWATCH_STORE_URL";
/// Environment variable overriding the S3 endpoint (takes precedence over `AWS_ENDPOINT_URL`).
pub const S3_ENDPOINT_ENV: &str = "LAKEWATCH_S3_ENDPOINT";

/// An object store plus the key prefix every Lakewatch key lives under. Cheap to clone.
///
/// Keys handed to the methods below are relative (`<tenant>/<signal>/...`); the prefix is added
/// here and nowhere else.
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
    url: String,
    /// Newest manifest version seen per manifest prefix, so listings start from there.
    hints: Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>>,
    /// Newest manifest read per manifest prefix (versions are immutable, so it stays valid).
    manifests: ManifestCache,
}

type ManifestCache =
    Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<crate::manifest::Manifest>>>>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Store {
    /// The store used when nothing is configured: a `data` folder in the working directory.
    pub const DEFAULT_URL: &'static str = "./data";

    /// Wraps an existing backend; `prefix` (may be empty) is prepended to every key.
    pub fn new(inner: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Store {
            inner,
            prefix: prefix.trim_matches('/').to_string(),
            url: "custom://".to_string(),
            hints: Default::default(),
            manifests: Default::default(),
        }
    }

    /// A fresh, empty in-memory store (`memory://`).
    pub fn memory() -> Self {
        Store {
            inner: Arc::new(InMemory::new()),
            prefix: String::new(),
            url: "memory://".to_string(),
            hints: Default::default(),
            manifests: Default::default(),
        }
    }

    /// Builds the store named by `LAKEWATCH_STORE_URL` (default `./data`).
    pub fn from_env() -> Result<Self> {
        let url = std::env::var(STORE_URL_ENV).unwrap_or_else(|_| Self::DEFAULT_URL.to_string());
        Self::from_url(&url)
    }

    /// Builds a store from a URL (see the module docs for the accepted forms).
    ///
    /// Errors: [`StorageError::InvalidUrl`] for an unknown scheme, a missing bucket or a
    /// directory that cannot be created; `ObjectStore` errors from the S3 builder.
    pub fn from_url(url: &str) -> Result<Self> {
        let invalid = |reason: String| StorageError::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        let url_s = url.trim();
        if url_s.is_empty() {
            return Err(invalid("empty".into()));
        }
        if url_s.starts_with("memory:") {
            let mut s = Self::memory();
            s.url = url_s.to_string();
            return Ok(s);
        }
        if let Some(rest) = url_s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("missing bucket".into()));
            }
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_conditional_put(S3ConditionalPut::ETagMatch);
            let region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".to_string());
            b = b.with_region(region);
            let endpoint = std::env::var(S3_ENDPOINT_ENV)
                .ok()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
                .filter(|e| !e.is_empty());
            if let Some(ep) = endpoint {
                b = b
                    .with_allow_http(ep.starts_with("http://"))
                    .with_endpoint(ep)
                    .with_virtual_hosted_style_request(false);
            }
            let s3 = b.build()?;
            return Ok(Store {
                inner: Arc::new(s3),
                prefix: prefix.trim_matches('/').to_string(),
                url: url_s.to_string(),
                hints: Default::default(),
                manifests: Default::default(),
            });
        }
        let dir: std::path::PathBuf = if let Some(rest) = url_s.strip_prefix("file://") {
            if !rest.starts_with('/') {
                return Err(invalid("file:// URLs need an absolute path".into()));
            }
            rest.into()
        } else if url_s.contains("://") {
            return Err(invalid("unknown scheme (file://, s3://, memory://)".into()));
        } else {
            url_s.into()
        };
        std::fs::create_dir_all(&dir).map_err(|e| invalid(format!("create {dir:?}: {e}")))?;
        let dir = std::fs::canonicalize(&dir).map_err(|e| invalid(format!("{dir:?}: {e}")))?;
        let fs = LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true);
        Ok(Store {
            inner: Arc::new(fs),
            prefix: String::new(),
            url: url_s.to_string(),
            hints: Default::default(),
            manifests: Default::default(),
        })
    }

    /// The newest manifest version this process has seen under `prefix` (0 = none).
    pub(crate) fn version_hint(&self, prefix: &str) -> u64 {
        self.hints
            .lock()
            .map(|m| m.get(prefix).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// The cached manifest of `prefix` if it is exactly `version`.
    pub(crate) fn cached_manifest(
        &self,
        prefix: &str,
        version: u64,
    ) -> Option<Arc<crate::manifest::Manifest>> {
        let m = self.manifests.lock().ok()?.get(prefix).cloned()?;
        (m.version == version).then_some(m)
    }

    /// Caches a manifest read or written under `prefix` (keeps the newest).
    pub(crate) fn cache_manifest(&self, prefix: &str, m: Arc<crate::manifest::Manifest>) {
        if let Ok(mut c) = self.manifests.lock() {
            if c.get(prefix).is_none_or(|old| old.version < m.version) {
                c.insert(prefix.to_string(), m);
            }
        }
    }

    /// Records a manifest version seen under `prefix` (keeps the maximum).
    pub(crate) fn set_version_hint(&self, prefix: &str, version: u64) {
        if let Ok(mut m) = self.hints.lock() {
            let e = m.entry(prefix.to_string()).or_insert(0);
            *e = (*e).max(version);
        }
    }

    /// The URL this store was built from (for logs).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The backend, for code that needs raw `object_store` calls (e.g. a Parquet reader).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    /// The full backend path of a relative key.
    pub fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{}", self.prefix, key))
        }
    }

    /// The relative key of a backend path (inverse of [`Store::path`]).
    pub fn key_of(&self, path: &Path) -> String {
        let s = path.as_ref();
        if self.prefix.is_empty() {
            s.to_string()
        } else {
            s.strip_prefix(&self.prefix)
                .map(|r| r.trim_start_matches('/').to_string())
                .unwrap_or_else(|| s.to_string())
        }
    }

    /// Writes `data` at `key` only if nothing is there (`PutMode::Create`).
    /// A key that exists gives `ObjectStore(Error::AlreadyExists)`.
    pub async fn put_create(&self, key: &str, data: bytes::Bytes) -> Result<()> {
        self.inner
            .put_opts(
                &self.path(key),
                PutPayload::from_bytes(data),
                PutOptions::from(PutMode::Create),
            )
            .await?;
        Ok(())
    }

    /// Writes a new immutable object under a fresh unique (ULID) key with `PutMode::Create`.
    /// `AlreadyExists` counts as success: with an 80-bit random key it can only be this
    /// writer's own earlier attempt, retried by the client after a lost response (S3 PUTs are
    /// atomic, so that attempt stored the same bytes).
    pub async fn put_new_object(&self, key: &str, data: bytes::Bytes) -> Result<()> {
        match self.put_create(key, data).await {
            Err(StorageError::ObjectStore(object_store::Error::AlreadyExists { .. })) => Ok(()),
            other => other,
        }
    }

    /// Reads a whole object.
    pub async fn get(&self, key: &str) -> Result<bytes::Bytes> {
        Ok(self.inner.get(&self.path(key)).await?.bytes().await?)
    }

    /// Deletes an object; deleting a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists every object under a relative key prefix (recursively), keys made relative.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, ObjectMeta)>> {
        let p = self.path(prefix);
        let metas: Vec<ObjectMeta> = self.inner.list(Some(&p)).try_collect().await?;
        Ok(metas
            .into_iter()
            .map(|m| (self.key_of(&m.location), m))
            .collect())
    }

    /// Lists objects under `prefix` whose keys sort after `offset` (both relative keys).
    pub async fn list_after(
        &self,
        prefix: &str,
        offset: &str,
    ) -> Result<Vec<(String, ObjectMeta)>> {
        let p = self.path(prefix);
        let o = self.path(offset);
        let metas: Vec<ObjectMeta> = self
            .inner
            .list_with_offset(Some(&p), &o)
            .try_collect()
            .await?;
        Ok(metas
            .into_iter()
            .map(|m| (self.key_of(&m.location), m))
            .collect())
    }

    /// The tenants that have data: the first key segments under the prefix that are valid
    /// tenant ids, sorted.
    pub async fn list_tenants(&self) -> Result<Vec<TenantId>> {
        let root = if self.prefix.is_empty() {
            None
        } else {
            Some(Path::from(self.prefix.as_str()))
        };
        let res = self.inner.list_with_delimiter(root.as_ref()).await?;
        let mut out: Vec<TenantId> = res
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().and_then(|n| TenantId::new(n).ok()))
            .collect();
        out.sort();
        Ok(out)
    }
}
