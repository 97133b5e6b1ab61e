//! Per-tenant, per-signal manifest: the list of live objects, committed as a numbered log.
//!
//! Each version is a full JSON snapshot at `<tenant>/<signal>/manifest/<version:020>.json`,
//! written with `PutMode::Create`, so exactly one writer wins version `n+1` on every backend
//! (S3 `If-None-Match: *`, local hard links, memory). A writer that loses (`AlreadyExists`)
//! re-reads the newest version, re-applies its change and tries again. The newest version is
//! found by listing the manifest prefix from the last version this process saw.
//!
//! Readers take one snapshot and read exactly the objects it names, so a compaction commit
//! (inputs out, outputs in, one version) is seen either wholly or not at all. Objects removed
//! from the live list are kept as tombstones and deleted by the compactor only after the grace
//! period (`LAKEWATCH_GC_GRACE`, default 10 min). Old versions are deleted after the same grace,
//! and a commit that took longer than half the grace restarts from a fresh read, so a deleted
//! version number can never be re-created by a slow writer.

use crate::error::{Result, StorageError};
use crate::keys;
use crate::store::Store;
use lakewatch_model::{Signal, TenantId};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Manifest JSON format version written in [`Manifest::format`].
pub const MANIFEST_FORMAT: u32 = 1;

/// One live data object and the statistics used to skip it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectEntry {
    /// ULID of the object (also its file name).
    pub id: String,
    /// Relative key (`<tenant>/<signal>/objects/L<level>/<id>.parquet`).
    pub key: String,
    /// Compaction level: 0 = one ingest request, 1 = merged minutes, 2 = merged window (hours).
    pub level: u8,
    /// Smallest timestamp in the object, ms since the epoch (samples, histograms, exemplars).
    pub min_time_ms: i64,
    /// Largest timestamp in the object, ms, inclusive.
    pub max_time_ms: i64,
    /// Object size in bytes.
    pub size_bytes: u64,
    /// Parquet rows (samples + histograms + exemplars for metrics).
    pub rows: u64,
    /// Float samples.
    pub samples: u64,
    /// Native histogram samples.
    #[serde(default)]
    pub histograms: u64,
    /// Exemplars.
    #[serde(default)]
    pub exemplars: u64,
    /// Distinct series.
    pub series: u64,
    /// Sorted distinct metric names (`__name__`), for pruning; `None` = not recorded (too many),
    /// the object must then always be read.
    /// (Stored in the file as indexes into the manifest's `metric_names` table.)
    #[serde(skip)]
    pub metric_names: Option<Vec<String>>,
    /// Largest ULID of the ingest objects whose data this object holds (its own id for L0).
    /// When two objects disagree about one (series, timestamp), the larger wins.
    pub source_max_id: String,
    /// When the object was written, ms since the epoch.
    pub created_at_ms: i64,
}

/// What a logs or traces object holds, for [`ObjectEntry::for_rows`]: rows (entries / spans),
/// series (streams / trace ids) and the rows' time range in **ns** (ignored when `rows` is 0).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowsStats {
    pub rows: u64,
    pub series: u64,
    pub min_ns: i64,
    pub max_ns: i64,
}

impl ObjectEntry {
    /// The entry of a logs or traces object of `size_bytes`: `rows` = `samples` = `st.rows`,
    /// `series` = `st.series`, no histograms, exemplars or metric names; the time range is the
    /// rows' ns range rounded outwards to ms (the creation time when there are no rows).
    pub(crate) fn for_rows(
        id: String,
        key: String,
        level: u8,
        size_bytes: u64,
        st: RowsStats,
        source_max_id: String,
    ) -> ObjectEntry {
        use crate::logs::schema::{ceil_ms, floor_ms};
        let created = now_ms();
        let (min_time_ms, max_time_ms) = if st.rows == 0 {
            (created, created)
        } else {
            (floor_ms(st.min_ns), ceil_ms(st.max_ns))
        };
        ObjectEntry {
            id,
            key,
            level,
            min_time_ms,
            max_time_ms,
            size_bytes,
            rows: st.rows,
            samples: st.rows,
            histograms: 0,
            exemplars: 0,
            series: st.series,
            metric_names: None,
            source_max_id,
            created_at_ms: created,
        }
    }
}

/// An object no longer in the live list, deleted once `removed_at_ms` is older than the grace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub key: String,
    pub removed_at_ms: i64,
}

/// One manifest version (a full snapshot). Stored as JSON by [`Manifest::to_json`].
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub format: u32,
    /// 0 = nothing committed yet (no file); versions start at 1.
    pub version: u64,
    pub signal: Signal,
    /// When this version was written, ms since the epoch.
    pub committed_at_ms: i64,
    /// Live objects, in commit order.
    pub objects: Vec<ObjectEntry>,
    /// Removed objects awaiting deletion.
    pub tombstones: Vec<Tombstone>,
}

/// An object entry as stored: metric names as indexes into [`ManifestFile::metric_names`].
#[derive(Serialize, Deserialize)]
struct EntryFile {
    #[serde(flatten)]
    entry: ObjectEntry,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metric_name_ids: Option<Vec<u32>>,
}

/// The JSON file of one manifest version. Metric names are interned in one sorted table
/// (each object lists indexes), which keeps manifests of many small objects about 3× smaller.
#[derive(Serialize, Deserialize)]
struct ManifestFile {
    format: u32,
    version: u64,
    signal: Signal,
    committed_at_ms: i64,
    #[serde(default)]
    metric_names: Vec<String>,
    objects: Vec<EntryFile>,
    #[serde(default)]
    tombstones: Vec<Tombstone>,
}

impl Manifest {
    /// The empty manifest (version 0) of a signal.
    pub fn empty(signal: Signal) -> Self {
        Manifest {
            format: MANIFEST_FORMAT,
            version: 0,
            signal,
            committed_at_ms: 0,
            objects: Vec::new(),
            tombstones: Vec::new(),
        }
    }

    /// The JSON form (see `docs/storage.md`).
    pub fn to_json(&self) -> Vec<u8> {
        let table: std::collections::BTreeSet<&str> = self
            .objects
            .iter()
            .flat_map(|o| o.metric_names.iter().flatten().map(String::as_str))
            .collect();
        let table: Vec<&str> = table.into_iter().collect();
        let objects = self
            .objects
            .iter()
            .map(|o| EntryFile {
                metric_name_ids: o.metric_names.as_ref().map(|names| {
                    names
                        .iter()
                        .filter_map(|n| table.binary_search(&n.as_str()).ok().map(|i| i as u32))
                        .collect()
                }),
                entry: ObjectEntry {
                    metric_names: None,
                    ..o.clone()
                },
            })
            .collect();
        let file = ManifestFile {
            format: self.format,
            version: self.version,
            signal: self.signal,
            committed_at_ms: self.committed_at_ms,
            metric_names: table.into_iter().map(str::to_string).collect(),
            objects,
            tombstones: self.tombstones.clone(),
        };
        serde_json::to_vec(&file).unwrap_or_default()
    }

    /// Parses [`Manifest::to_json`]'s output.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let f: ManifestFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let mut objects = Vec::with_capacity(f.objects.len());
        for ef in f.objects {
            let names = match ef.metric_name_ids {
                None => None,
                Some(ids) => Some(
                    ids.iter()
                        .map(|i| f.metric_names.get(*i as usize).cloned())
                        .collect::<Option<Vec<String>>>()
                        .ok_or("metric name index out of range")?,
                ),
            };
            objects.push(ObjectEntry {
                metric_names: names,
                ..ef.entry
            });
        }
        Ok(Manifest {
            format: f.format,
            version: f.version,
            signal: f.signal,
            committed_at_ms: f.committed_at_ms,
            objects,
            tombstones: f.tombstones,
        })
    }

    /// Whether an object id is live.
    pub fn contains(&self, id: &str) -> bool {
        self.objects.iter().any(|o| o.id == id)
    }

    /// Removes the live objects with these ids and tombstones them at `now_ms`.
    /// Returns false (and changes nothing) if any of them is not live.
    pub fn swap(&mut self, remove: &[String], add: Vec<ObjectEntry>, now_ms: i64) -> bool {
        if !remove.iter().all(|id| self.contains(id)) {
            return false;
        }
        let mut removed = Vec::new();
        self.objects.retain(|o| {
            if remove.contains(&o.id) {
                removed.push(o.key.clone());
                false
            } else {
                true
            }
        });
        self.tombstones
            .extend(removed.into_iter().map(|key| Tombstone {
                key,
                removed_at_ms: now_ms,
            }));
        self.objects.extend(add);
        true
    }
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Reads and commits one tenant's manifest for one signal.
#[derive(Debug, Clone)]
pub struct ManifestLog {
    store: Store,
    tenant: TenantId,
    signal: Signal,
    /// A commit attempt older than this restarts from a fresh read (half the GC grace).
    max_attempt_age: Duration,
    max_attempts: u32,
}

impl ManifestLog {
    /// A log with the default grace (10 min → attempts restart after 5 min).
    pub fn new(store: Store, tenant: TenantId, signal: Signal) -> Self {
        ManifestLog {
            store,
            tenant,
            signal,
            max_attempt_age: crate::DEFAULT_GC_GRACE / 2,
            max_attempts: 200,
        }
    }

    /// Sets the GC grace this log must respect (attempts restart after half of it, but never
    /// sooner than after 1 s, so tiny test graces still make progress).
    pub fn with_gc_grace(mut self, grace: Duration) -> Self {
        self.max_attempt_age = (grace / 2).max(Duration::from_secs(1));
        self
    }

    fn prefix(&self) -> String {
        keys::manifest_prefix(&self.tenant, self.signal)
    }

    /// All manifest version numbers present, ascending.
    pub async fn versions(&self) -> Result<Vec<u64>> {
        let mut v: Vec<u64> = self
            .store
            .list(&self.prefix())
            .await?
            .iter()
            .filter_map(|(k, _)| keys::manifest_version_of(k))
            .collect();
        v.sort_unstable();
        Ok(v)
    }

    async fn latest_version(&self) -> Result<u64> {
        let prefix = self.prefix();
        let hint = self.store.version_hint(&prefix);
        let found = if hint > 0 {
            let offset = keys::manifest_key(&self.tenant, self.signal, hint);
            self.store.list_after(&prefix, &offset).await?
        } else {
            self.store.list(&prefix).await?
        };
        let latest = found
            .iter()
            .filter_map(|(k, _)| keys::manifest_version_of(k))
            .max()
            .unwrap_or(0)
            .max(hint);
        self.store.set_version_hint(&prefix, latest);
        Ok(latest)
    }

    async fn read_version(&self, version: u64) -> Result<Manifest> {
        let key = keys::manifest_key(&self.tenant, self.signal, version);
        let bytes = self.store.get(&key).await?;
        let m = Manifest::from_json(&bytes).map_err(|reason| StorageError::Manifest {
            key: key.clone(),
            reason,
        })?;
        if m.version != version || m.format != MANIFEST_FORMAT {
            return Err(StorageError::Manifest {
                key,
                reason: format!("version {} format {} in file", m.version, m.format),
            });
        }
        Ok(m)
    }

    /// The newest committed manifest (version 0 and empty if none).
    pub async fn load(&self) -> Result<Manifest> {
        let v = self.latest_version().await?;
        if v == 0 {
            return Ok(Manifest::empty(self.signal));
        }
        let prefix = self.prefix();
        if let Some(m) = self.store.cached_manifest(&prefix, v) {
            return Ok((*m).clone());
        }
        let m = self.read_version(v).await?;
        self.store
            .cache_manifest(&prefix, std::sync::Arc::new(m.clone()));
        Ok(m)
    }

    /// Publishes a freshly stored L0 object: adds `entry` to the live list (once, however often
    /// the commit is retried), unless the write that began at `started` has taken longer than
    /// `max_age` — half the GC grace, after which the compactor may already treat the object as
    /// an orphan — which is `CommitFailed` (nothing becomes visible; the client retries).
    pub async fn publish(
        &self,
        entry: &ObjectEntry,
        started: Instant,
        max_age: Duration,
    ) -> Result<Manifest> {
        self.commit(|m| {
            if started.elapsed() > max_age {
                return Err(StorageError::CommitFailed {
                    attempts: 0,
                    reason: format!("write took longer than {max_age:?}"),
                });
            }
            if m.contains(&entry.id) {
                return Ok(false);
            }
            m.objects.push(entry.clone());
            Ok(true)
        })
        .await
    }

    /// Commits a change: `apply` edits a copy of the newest manifest and returns `Ok(true)` to
    /// commit it, `Ok(false)` to commit nothing (then the unchanged manifest is returned).
    /// `apply` may run several times (once per lost race), always on the newest version.
    ///
    /// Returns the committed manifest. Errors: `CommitFailed` after too many lost races,
    /// object store errors, or whatever `apply` returns.
    pub async fn commit<F>(&self, mut apply: F) -> Result<Manifest>
    where
        F: FnMut(&mut Manifest) -> Result<bool>,
    {
        let mut backoff_ms = 2u64;
        for attempt in 0..self.max_attempts {
            let started = Instant::now();
            let current = self.load().await?;
            let mut next = current.clone();
            if !apply(&mut next)? {
                return Ok(current);
            }
            next.version = current.version + 1;
            next.format = MANIFEST_FORMAT;
            next.committed_at_ms = now_ms();
            if started.elapsed() > self.max_attempt_age {
                tracing::warn!(attempt, "manifest commit attempt too slow, restarting");
                continue;
            }
            let key = keys::manifest_key(&self.tenant, self.signal, next.version);
            let body = next.to_json();
            match self.store.put_create(&key, body.into()).await {
                Ok(()) => {
                    self.store.set_version_hint(&self.prefix(), next.version);
                    self.store
                        .cache_manifest(&self.prefix(), std::sync::Arc::new(next.clone()));
                    return Ok(next);
                }
                Err(StorageError::ObjectStore(object_store::Error::AlreadyExists { .. }))
                | Err(StorageError::ObjectStore(object_store::Error::Precondition { .. })) => {
                    self.store.set_version_hint(&self.prefix(), next.version);
                    let jitter = ulid::Ulid::new().random() as u64 % (backoff_ms + 1);
                    tokio::time::sleep(Duration::from_millis(jitter)).await;
                    backoff_ms = (backoff_ms * 2).min(100);
                }
                Err(e) => return Err(e),
            }
        }
        Err(StorageError::CommitFailed {
            attempts: self.max_attempts,
            reason: "lost every race".into(),
        })
    }

    /// Deletes manifest versions older than `min_age` except the newest `keep_latest`.
    /// Returns how many were deleted.
    pub async fn gc_versions(&self, min_age: Duration, keep_latest: usize) -> Result<usize> {
        let listed = self.store.list(&self.prefix()).await?;
        let mut versions: Vec<(u64, String, i64)> = listed
            .into_iter()
            .filter_map(|(k, m)| {
                keys::manifest_version_of(&k).map(|v| (v, k, m.last_modified.timestamp_millis()))
            })
            .collect();
        versions.sort_unstable_by_key(|(v, _, _)| *v);
        let cutoff = now_ms() - min_age.as_millis() as i64;
        let n = versions.len().saturating_sub(keep_latest.max(1));
        let mut deleted = 0;
        for (_, key, modified) in versions.into_iter().take(n) {
            if modified < cutoff {
                self.store.delete(&key).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_roundtrip_interns_names() {
        let e = |id: &str, names: Option<Vec<&str>>| ObjectEntry {
            id: id.into(),
            key: format!("t/metrics/objects/L0/{id}.parquet"),
            level: 0,
            min_time_ms: 1,
            max_time_ms: 2,
            size_bytes: 3,
            rows: 4,
            samples: 4,
            histograms: 0,
            exemplars: 0,
            series: 1,
            metric_names: names.map(|v| v.into_iter().map(String::from).collect()),
            source_max_id: id.into(),
            created_at_ms: 5,
        };
        let m = Manifest {
            version: 3,
            committed_at_ms: 9,
            objects: vec![
                e("A", Some(vec!["up", "x_total"])),
                e("B", None),
                e("C", Some(vec!["up"])),
            ],
            tombstones: vec![Tombstone {
                key: "k".into(),
                removed_at_ms: 7,
            }],
            ..Manifest::empty(Signal::Metrics)
        };
        let json = m.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            text.contains(r#""metric_names":["up","x_total"]"#),
            "{text}"
        );
        assert!(text.contains(r#""metric_name_ids":[0,1]"#), "{text}");
        assert_eq!(Manifest::from_json(&json).unwrap(), m);
        assert!(Manifest::from_json(b"{}").is_err());
    }
}
