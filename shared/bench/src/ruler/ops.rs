//! [`OpCounter`]: an `ObjectStore` wrapper counting every request by S3 request class, for the
//! ruler's per-pass and per-group request figures (the deploy cost estimate prices them).
//!
//! Counted as an S3 backend would issue them:
//! - GET: each `get_opts` (ranged reads go through the default `get_ranges`, which coalesces
//!   ranges closer than 1 MiB into one GET, as on S3); bytes are payload bytes;
//! - HEAD: `get_opts` with `head: true` (`ObjectStoreExt::head`);
//! - PUT: `put_opts` (conditional or not; not a conditional update the local file system
//!   refuses with `NotImplemented` before any I/O — S3 performs it as the one PUT), a multipart
//!   upload's start, `copy_opts` (priced as a PUT); bytes are payload bytes;
//! - LIST: one per `list`/`list_with_offset`/`list_with_delimiter` call plus one per further
//!   1000 results (ListObjectsV2 pages);
//! - DELETE: one per object deleted.
//!
//! Unlike `lakewatch_storage::CountingStore` (GETs only), nothing is forwarded uncounted.
//! With `LAKEWATCH_BENCH_OPS_TRACE=1` every request is also printed on stderr (class and path).

use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Objects per ListObjectsV2 page.
const LIST_PAGE: u64 = 1000;

/// Request counts and bytes over some span of work.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ops {
    pub get: u64,
    /// Payload bytes of the GETs.
    pub get_bytes: u64,
    pub head: u64,
    pub put: u64,
    /// Payload bytes of the PUTs.
    pub put_bytes: u64,
    pub list: u64,
    pub delete: u64,
}

impl Ops {
    /// Field-wise sum.
    pub fn add(&self, o: &Ops) -> Ops {
        Ops {
            get: self.get + o.get,
            get_bytes: self.get_bytes + o.get_bytes,
            head: self.head + o.head,
            put: self.put + o.put,
            put_bytes: self.put_bytes + o.put_bytes,
            list: self.list + o.list,
            delete: self.delete + o.delete,
        }
    }

    /// Field-wise difference, saturating at 0.
    pub fn sub(&self, o: &Ops) -> Ops {
        Ops {
            get: self.get.saturating_sub(o.get),
            get_bytes: self.get_bytes.saturating_sub(o.get_bytes),
            head: self.head.saturating_sub(o.head),
            put: self.put.saturating_sub(o.put),
            put_bytes: self.put_bytes.saturating_sub(o.put_bytes),
            list: self.list.saturating_sub(o.list),
            delete: self.delete.saturating_sub(o.delete),
        }
    }

    /// Field-wise median of `runs` (lower middle for an even count); zero when empty.
    pub fn median(runs: &[Ops]) -> Ops {
        let med = |f: fn(&Ops) -> u64| {
            let mut v: Vec<u64> = runs.iter().map(f).collect();
            v.sort_unstable();
            v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0)
        };
        Ops {
            get: med(|o| o.get),
            get_bytes: med(|o| o.get_bytes),
            head: med(|o| o.head),
            put: med(|o| o.put),
            put_bytes: med(|o| o.put_bytes),
            list: med(|o| o.list),
            delete: med(|o| o.delete),
        }
    }

    /// Every request (GET + HEAD + PUT + LIST + DELETE).
    pub fn requests(&self) -> u64 {
        self.get + self.head + self.put + self.list + self.delete
    }
}

#[derive(Debug, Default)]
struct Counters {
    get: AtomicU64,
    get_bytes: AtomicU64,
    head: AtomicU64,
    put: AtomicU64,
    put_bytes: AtomicU64,
    list: AtomicU64,
    delete: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::SeqCst);
}

/// Counts the requests passing through to `inner` (see the module docs). Counters are shared
/// by all clones of the `Arc`.
#[derive(Debug)]
pub struct OpCounter {
    inner: Arc<dyn ObjectStore>,
    c: Arc<Counters>,
    trace: bool,
}

impl OpCounter {
    /// Wraps `inner`; every counter starts at zero.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        OpCounter {
            inner,
            c: Arc::new(Counters::default()),
            trace: std::env::var("LAKEWATCH_BENCH_OPS_TRACE").is_ok_and(|v| v == "1"),
        }
    }

    /// The counts since the last call, and resets them.
    pub fn take(&self) -> Ops {
        let t = |a: &AtomicU64| a.swap(0, Ordering::SeqCst);
        Ops {
            get: t(&self.c.get),
            get_bytes: t(&self.c.get_bytes),
            head: t(&self.c.head),
            put: t(&self.c.put),
            put_bytes: t(&self.c.put_bytes),
            list: t(&self.c.list),
            delete: t(&self.c.delete),
        }
    }

    /// Prints `class path` on stderr when tracing.
    fn note(&self, class: &str, path: Option<&Path>) {
        if self.trace {
            eprintln!("[ops] {class} {}", path.map_or("", |p| p.as_ref()));
        }
    }

    /// Counts one LIST call and a further one per full page of results of `s`.
    fn paged(
        &self,
        s: BoxStream<'static, Result<ObjectMeta>>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        bump(&self.c.list, 1);
        let c = self.c.clone();
        let mut n = 0u64;
        s.inspect(move |_| {
            n += 1;
            if n > 1 && (n - 1).is_multiple_of(LIST_PAGE) {
                bump(&c.list, 1);
            }
        })
        .boxed()
    }
}

impl std::fmt::Display for OpCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpCounter({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for OpCounter {
    async fn put_opts(&self, l: &Path, p: PutPayload, o: PutOptions) -> Result<PutResult> {
        let bytes = p.content_length() as u64;
        let r = self.inner.put_opts(l, p, o).await;
        // A conditional update the local file system refuses makes no request (the state
        // store then overwrites under its lease); on S3 the conditional PUT is the one request.
        if !matches!(r, Err(object_store::Error::NotImplemented { .. })) {
            self.note("PUT", Some(l));
            bump(&self.c.put, 1);
            bump(&self.c.put_bytes, bytes);
        }
        r
    }
    async fn put_multipart_opts(
        &self,
        l: &Path,
        o: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.note("PUT(multipart)", Some(l));
        bump(&self.c.put, 1);
        self.inner.put_multipart_opts(l, o).await
    }
    async fn get_opts(&self, l: &Path, o: GetOptions) -> Result<GetResult> {
        let head = o.head;
        self.note(if head { "HEAD" } else { "GET" }, Some(l));
        bump(if head { &self.c.head } else { &self.c.get }, 1);
        let r = self.inner.get_opts(l, o).await?;
        if !head {
            bump(&self.c.get_bytes, r.range.end - r.range.start);
        }
        Ok(r)
    }
    fn delete_stream(
        &self,
        l: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let c = self.c.clone();
        let trace = self.trace;
        self.inner.delete_stream(
            l.inspect(move |p| {
                if let (true, Ok(p)) = (trace, p) {
                    eprintln!("[ops] DELETE {p}");
                }
                bump(&c.delete, 1)
            })
            .boxed(),
        )
    }
    fn list(&self, p: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.note("LIST", p);
        self.paged(self.inner.list(p))
    }
    fn list_with_offset(
        &self,
        p: Option<&Path>,
        o: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.note("LIST", p);
        self.paged(self.inner.list_with_offset(p, o))
    }
    async fn list_with_delimiter(&self, p: Option<&Path>) -> Result<ListResult> {
        self.note("LIST(delimiter)", p);
        let r = self.inner.list_with_delimiter(p).await?;
        let n = (r.objects.len() + r.common_prefixes.len()) as u64;
        bump(&self.c.list, n.div_ceil(LIST_PAGE).max(1));
        Ok(r)
    }
    async fn copy_opts(&self, f: &Path, t: &Path, o: CopyOptions) -> Result<()> {
        self.note("PUT(copy)", Some(t));
        bump(&self.c.put, 1);
        self.inner.copy_opts(f, t, o).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutMode};

    #[tokio::test]
    async fn counts_every_request_class() {
        let c = OpCounter::new(Arc::new(InMemory::new()));
        let a = Path::from("t/a.json");
        c.put(&a, PutPayload::from_static(b"hello")).await.unwrap();
        let created = c
            .put_opts(&a, PutPayload::from_static(b"x"), PutMode::Create.into())
            .await;
        assert!(created.is_err(), "Create over an existing object fails");
        let body = c.get(&a).await.unwrap().bytes().await.unwrap();
        assert_eq!(&body[..], b"hello");
        assert!(c.get(&Path::from("t/missing")).await.is_err());
        c.head(&a).await.unwrap();
        let listed: Vec<_> = c.list(Some(&Path::from("t"))).collect().await;
        assert_eq!(listed.len(), 1);
        c.list_with_delimiter(None).await.unwrap();
        c.delete(&a).await.unwrap();
        let o = c.take();
        assert_eq!(
            o,
            Ops {
                get: 2,
                get_bytes: 5,
                head: 1,
                put: 2,
                put_bytes: 6,
                list: 2,
                delete: 1,
            }
        );
        assert_eq!(o.requests(), 8);
        assert_eq!(c.take(), Ops::default());
    }

    #[tokio::test]
    async fn list_counts_pages_of_1000() {
        let c = OpCounter::new(Arc::new(InMemory::new()));
        for i in 0..1001 {
            c.put(
                &Path::from(format!("p/{i:04}")),
                PutPayload::from_static(b""),
            )
            .await
            .unwrap();
        }
        c.take();
        let listed: Vec<_> = c.list(Some(&Path::from("p"))).collect().await;
        assert_eq!(listed.len(), 1001);
        assert_eq!(c.take().list, 2);
    }

    #[test]
    fn medians_and_sums() {
        let o = |get| Ops {
            get,
            ..Ops::default()
        };
        assert_eq!(Ops::median(&[o(3), o(1), o(2)]).get, 2);
        assert_eq!(Ops::median(&[o(4), o(1)]).get, 1);
        assert_eq!(o(3).add(&o(2)).sub(&o(4)).get, 1);
        assert_eq!(o(1).sub(&o(4)).get, 0);
    }
}
