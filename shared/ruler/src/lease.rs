//! A lease: a lock object created with `PutMode::Create` (exactly one of several racing
//! callers gets it), taken over once older than its TTL so a crashed holder does not block for
//! ever. Used by [`crate::state_store`] (one invocation evaluates a group) and
//! [`crate::store`] (read-modify-write on backends without conditional updates).

use std::time::Duration;

use bytes::Bytes;
use lakewatch_storage::{StorageError, Store};
use object_store::ObjectStoreExt;

/// A held lease; give it back with [`release`].
#[derive(Debug)]
pub struct Lease {
    key: String,
}

/// Creates the lock object `key`: `Some` when this caller holds the lease now, `None` when
/// another holder's lease is younger than `ttl` (an older one is deleted and taken over).
/// Errors: the object store failed.
pub async fn try_acquire(
    store: &Store,
    key: &str,
    ttl: Duration,
) -> Result<Option<Lease>, StorageError> {
    for _ in 0..2 {
        match store
            .put_create(key, Bytes::from(chrono::Utc::now().to_rfc3339()))
            .await
        {
            Ok(()) => {
                return Ok(Some(Lease {
                    key: key.to_string(),
                }))
            }
            Err(StorageError::ObjectStore(object_store::Error::AlreadyExists { .. })) => {
                let meta = match store.object_store().head(&store.path(key)).await {
                    Ok(m) => m,
                    // Released meanwhile: try again.
                    Err(object_store::Error::NotFound { .. }) => continue,
                    Err(e) => return Err(e.into()),
                };
                let age = chrono::Utc::now() - meta.last_modified;
                if age.to_std().is_ok_and(|a| a > ttl) {
                    tracing::warn!(lease = %key, "taking over an expired lease");
                    store.delete(key).await?;
                    continue;
                }
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Releases a lease taken with [`try_acquire`].
pub async fn release(store: &Store, lease: Lease) -> Result<(), StorageError> {
    store.delete(&lease.key).await
}
