//! [`CountingStore`]: a measuring `ObjectStore` wrapper that counts object reads (GET requests
//! and bytes), for the "object reads per query" figure of DESIGN §9 in tests and benchmarks.
//! Ranged reads are counted as the requests the default `get_ranges` would issue (ranges closer
//! than 1 MiB coalesced), which is what an S3 backend does. Writes, lists, copies and deletes are
//! forwarded uncounted.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Coalescing distance of `object_store`'s default `get_ranges` (1 MiB).
const COALESCE: u64 = 1024 * 1024;

/// Counts GET requests and bytes read (payload bytes, not headers) passing through to
/// `inner`; everything else is forwarded. Counters are shared by all clones of the `Arc`.
#[derive(Debug)]
pub struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    gets: AtomicU64,
    bytes: AtomicU64,
}

impl CountingStore {
    /// Wraps `inner`; both counters start at zero.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        CountingStore {
            inner,
            gets: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// `(GET requests, bytes read)` since the last call, and resets both.
    pub fn take(&self) -> (u64, u64) {
        (
            self.gets.swap(0, Ordering::SeqCst),
            self.bytes.swap(0, Ordering::SeqCst),
        )
    }
}

impl std::fmt::Display for CountingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(&self, l: &Path, p: PutPayload, o: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(l, p, o).await
    }
    async fn put_multipart_opts(
        &self,
        l: &Path,
        o: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(l, o).await
    }
    async fn get_opts(&self, l: &Path, o: GetOptions) -> Result<GetResult> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        let r = self.inner.get_opts(l, o).await?;
        self.bytes
            .fetch_add(r.range.end - r.range.start, Ordering::SeqCst);
        Ok(r)
    }
    async fn get_ranges(&self, l: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let r = self.inner.get_ranges(l, ranges).await?;
        let mut sorted: Vec<Range<u64>> = ranges.to_vec();
        sorted.sort_by_key(|r| r.start);
        let mut requests = 0;
        let mut end = 0u64;
        for (i, rg) in sorted.iter().enumerate() {
            if i == 0 || rg.start > end + COALESCE {
                requests += 1;
            }
            end = end.max(rg.end);
        }
        self.gets.fetch_add(requests, Ordering::SeqCst);
        self.bytes
            .fetch_add(r.iter().map(|b| b.len() as u64).sum(), Ordering::SeqCst);
        Ok(r)
    }
    fn delete_stream(
        &self,
        l: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(l)
    }
    fn list(&self, p: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(p)
    }
    fn list_with_offset(
        &self,
        p: Option<&Path>,
        o: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(p, o)
    }
    async fn list_with_delimiter(&self, p: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(p).await
    }
    async fn copy_opts(&self, f: &Path, t: &Path, o: CopyOptions) -> Result<()> {
        self.inner.copy_opts(f, t, o).await
    }
}
