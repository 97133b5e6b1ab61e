//! Test helpers: an ingest context over a `memory://` store and read-back through
//! `MetricsReader`.
#![allow(dead_code)]

use bytes::Bytes;
use lakewatch_ingest::{handle, IngestContext, IngestLimits};
use lakewatch_model::{
    Exemplar, LabelMatcher, Labels, MatchOp, MetricMetadata, TenantId, TimeSeries,
};
use lakewatch_storage::{AuthConfig, MetricsReader, Store};

pub struct Env {
    pub ctx: IngestContext,
    pub reader: MetricsReader,
}

pub fn env_with(limits: IngestLimits, auth: AuthConfig) -> Env {
    let store = Store::from_url("memory://").expect("memory store");
    Env {
        ctx: IngestContext::new(store.clone(), auth, limits),
        reader: MetricsReader::new(store),
    }
}

pub fn env() -> Env {
    env_with(IngestLimits::default(), AuthConfig::disabled())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub struct Resp {
    pub status: u16,
    pub body: String,
    pub raw: Bytes,
    pub headers: http::HeaderMap,
}

impl Env {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut b = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let r = handle(b.body(Bytes::from(body)).unwrap(), &self.ctx).await;
        Resp {
            status: r.status().as_u16(),
            body: String::from_utf8_lossy(r.body()).into_owned(),
            raw: r.body().clone(),
            headers: r.headers().clone(),
        }
    }

    pub async fn all_series(&self, tenant: &str) -> Vec<TimeSeries> {
        let m = LabelMatcher::new(MatchOp::Regex, "__name__", ".+").unwrap();
        self.reader
            .select(
                &TenantId::new(tenant).unwrap(),
                &[m],
                i64::MIN / 2,
                i64::MAX / 2,
            )
            .await
            .expect("select")
    }

    pub async fn exemplars(&self, tenant: &str) -> Vec<(Labels, Vec<Exemplar>)> {
        let m = LabelMatcher::new(MatchOp::Regex, "__name__", ".+").unwrap();
        self.reader
            .exemplars(
                &TenantId::new(tenant).unwrap(),
                &[vec![m]],
                i64::MIN / 2,
                i64::MAX / 2,
            )
            .await
            .expect("exemplars")
    }

    pub async fn metadata(&self, tenant: &str) -> Vec<MetricMetadata> {
        self.reader
            .metadata(&TenantId::new(tenant).unwrap())
            .await
            .expect("metadata")
    }

    /// Asserts that the tenant has no data at all.
    pub async fn assert_nothing_written(&self, tenant: &str) {
        assert!(
            self.all_series(tenant).await.is_empty(),
            "something was written"
        );
        assert!(
            self.metadata(tenant).await.is_empty(),
            "metadata was written"
        );
    }
}

/// Renders a label set as `name{a="1", b="2"}`.
pub fn show(l: &Labels) -> String {
    l.to_string()
}
