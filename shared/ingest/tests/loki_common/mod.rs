//! Helpers for the log ingest tests: an ingest context over a `memory://` store, requests
//! through `lakewatch_ingest::handle`, and read-back through `LogsReader`.
#![allow(dead_code)]

use bytes::Bytes;
use lakewatch_ingest::{handle, IngestContext, IngestLimits};
use lakewatch_model::{LogStream, TenantId};
use lakewatch_storage::{AuthConfig, LogSelect, LogsReader, Store};

pub struct Env {
    pub ctx: IngestContext,
    pub reader: LogsReader,
}

pub fn env_with(limits: IngestLimits) -> Env {
    let store = Store::from_url("memory://").expect("memory store");
    Env {
        ctx: IngestContext::new(store.clone(), AuthConfig::disabled(), limits),
        reader: LogsReader::new(store),
    }
}

pub fn env() -> Env {
    env_with(IngestLimits::default())
}

pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
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

    /// POST a JSON body to `/loki/api/v1/push`.
    pub async fn push_json(&self, body: &str) -> Resp {
        self.send(
            "POST",
            "/loki/api/v1/push",
            &[("Content-Type", "application/json")],
            body.as_bytes().to_vec(),
        )
        .await
    }

    /// Every stored stream of `tenant` (all time).
    pub async fn streams(&self, tenant: &str) -> Vec<LogStream> {
        self.reader
            .select(
                &TenantId::new(tenant).unwrap(),
                &LogSelect {
                    matchers: Vec::new(),
                    start_ns: 0,
                    end_ns: i64::MAX,
                    line_contains: Vec::new(),
                },
            )
            .await
            .expect("select")
    }

    /// All stored lines of `tenant`, sorted.
    pub async fn lines(&self, tenant: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .streams(tenant)
            .await
            .into_iter()
            .flat_map(|s| s.entries.into_iter().map(|e| e.line))
            .collect();
        v.sort();
        v
    }
}

pub fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

pub fn deflate(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}
