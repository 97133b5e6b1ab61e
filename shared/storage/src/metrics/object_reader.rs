//! `AsyncFileReader` over a [`Store`] object of known size, with process-wide caches of
//! footers and of the Arrow reader metadata derived from them (objects are immutable, so a
//! footer read once stays valid; warm Lambdas skip the footer GET and the schema decoding).

use crate::store::Store;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use object_store::path::Path;
use object_store::ObjectStoreExt;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// Footers kept at most (the cache is cleared when it grows past this).
const FOOTER_CACHE_ENTRIES: usize = 4096;
/// Bytes fetched from the end of the file in the first footer read.
const FOOTER_PREFETCH: usize = 64 * 1024;

type FooterCache = Mutex<HashMap<String, Arc<ParquetMetaData>>>;
type ArrowCache = Mutex<HashMap<String, ArrowReaderMetadata>>;

fn cache() -> &'static FooterCache {
    static C: OnceLock<FooterCache> = OnceLock::new();
    C.get_or_init(Default::default)
}

fn arrow_cache() -> &'static ArrowCache {
    static C: OnceLock<ArrowCache> = OnceLock::new();
    C.get_or_init(Default::default)
}

fn to_parquet_err(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

/// Reads one object by byte ranges.
pub struct StoreObjectReader {
    store: Store,
    path: Path,
    size: u64,
    cache_key: String,
}

impl StoreObjectReader {
    /// `key` is relative to the store; `size` its length in bytes (from the manifest).
    pub fn new(store: &Store, key: &str, size: u64) -> Self {
        StoreObjectReader {
            store: store.clone(),
            path: store.path(key),
            size,
            cache_key: format!("{}|{}", store.url(), store.path(key)),
        }
    }
}

impl StoreObjectReader {
    /// The object's Arrow reader metadata as `make` derives it from the footer (read with
    /// `options`), cached per object for the process. Every caller must pass the same
    /// `options` and `make` (the metrics read path has exactly one).
    pub async fn arrow_metadata(
        &mut self,
        options: &ArrowReaderOptions,
        make: impl FnOnce(Arc<ParquetMetaData>) -> Result<ArrowReaderMetadata>,
    ) -> Result<ArrowReaderMetadata> {
        if let Some(m) = arrow_cache()
            .lock()
            .ok()
            .and_then(|c| c.get(&self.cache_key).cloned())
        {
            return Ok(m);
        }
        let footer = self.get_metadata(Some(options)).await?;
        let meta = make(footer)?;
        if let Ok(mut c) = arrow_cache().lock() {
            if c.len() >= FOOTER_CACHE_ENTRIES {
                c.clear();
            }
            c.insert(self.cache_key.clone(), meta.clone());
        }
        Ok(meta)
    }
}

impl AsyncFileReader for StoreObjectReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        async move {
            self.store
                .object_store()
                .get_range(&self.path, range)
                .await
                .map_err(to_parquet_err)
        }
        .boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, Result<Vec<Bytes>>> {
        async move {
            self.store
                .object_store()
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(to_parquet_err)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>>> {
        async move {
            if let Some(m) = cache()
                .lock()
                .ok()
                .and_then(|c| c.get(&self.cache_key).cloned())
            {
                return Ok(m);
            }
            let size = self.size;
            let meta = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .with_arrow_reader_options(options)
                .load_and_finish(&mut *self, size)
                .await?;
            let meta = Arc::new(meta);
            if let Ok(mut c) = cache().lock() {
                if c.len() >= FOOTER_CACHE_ENTRIES {
                    c.clear();
                }
                c.insert(self.cache_key.clone(), meta.clone());
            }
            Ok(meta)
        }
        .boxed()
    }
}

/// Empties the process-wide footer cache (benchmarks measuring cold reads).
pub fn clear_footer_cache() {
    if let Ok(mut c) = cache().lock() {
        c.clear();
    }
    if let Ok(mut c) = arrow_cache().lock() {
        c.clear();
    }
}
