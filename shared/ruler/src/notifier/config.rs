//! Notifier configuration: the Alertmanagers to send to, external labels and URL, queue and
//! batch sizes. Mirrors Prometheus's `alerting.alertmanagers[]` (`alertmanager_config`:
//! `timeout` 10s, `api_version` v2, `path_prefix`, `basic_auth`, `authorization` bearer) and
//! `global.external_labels`, read from `LAKEWATCH_*` environment variables
//! (see docs/notifier.md and docs/configuration.md).

use std::time::Duration;

use lakewatch_model::Labels;

use super::NotifierError;

/// Prometheus's default `alertmanager_config.timeout` (10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Prometheus's default `--alertmanager.notification-queue-capacity` (10000 alerts).
pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;
/// Alerts per POST, as Prometheus 2.x's `maxBatchSize` (64).
pub const DEFAULT_MAX_BATCH: usize = 64;
/// Extra attempts per batch and Alertmanager after a failed POST (Lakewatch addition).
pub const DEFAULT_RETRIES: u32 = 2;
/// Wait before the first retry; doubled for every further retry (Lakewatch addition).
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(200);

/// One Alertmanager to POST alerts to.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerTarget {
    /// Base URL: `scheme://host:port[/path_prefix]`. Alerts go to
    /// `<url>/api/v2/alerts` (Prometheus's `path.Join("/", path_prefix, "/api/v2/alerts")`).
    /// User info in the URL (`http://user:pass@host`) is used as basic auth when
    /// [`basic_auth`](Self::basic_auth) is not set, and never sent in the URL itself.
    pub url: String,
    /// `Authorization: Basic` credentials (user, password).
    pub basic_auth: Option<(String, String)>,
    /// `Authorization: Bearer` token (Prometheus's `authorization.credentials`). Ignored when
    /// `basic_auth` is set (Prometheus rejects configs with both).
    pub bearer: Option<String>,
    /// Per-request timeout (Prometheus's `timeout`, default 10 s).
    pub timeout: Duration,
}

impl AlertmanagerTarget {
    /// A target with no auth and the default 10 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        AlertmanagerTarget {
            url: url.into(),
            basic_auth: None,
            bearer: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The POST URL `<base>/api/v2/alerts` (user info stripped) and the basic-auth credentials
    /// to use (the configured ones, else the URL's user info).
    ///
    /// Errors: the URL does not parse or is not `http`/`https`.
    pub fn endpoint(&self) -> Result<(url::Url, Option<(String, String)>), NotifierError> {
        let mut u = url::Url::parse(self.url.trim()).map_err(|e| {
            NotifierError::Config(format!("invalid Alertmanager URL {:?}: {e}", self.url))
        })?;
        if u.scheme() != "http" && u.scheme() != "https" {
            return Err(NotifierError::Config(format!(
                "invalid Alertmanager URL {:?}: scheme must be http or https",
                self.url
            )));
        }
        let mut auth = self.basic_auth.clone();
        if auth.is_none() && !u.username().is_empty() {
            let user = percent_decode(u.username());
            let pass = percent_decode(u.password().unwrap_or(""));
            auth = Some((user, pass));
        }
        // Ignoring the errors: http(s) URLs always accept credentials.
        let _ = u.set_username("");
        let _ = u.set_password(None);
        let prefix = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{prefix}/api/v2/alerts"));
        u.set_query(None);
        u.set_fragment(None);
        Ok((u, auth))
    }
}

/// Everything the notifier needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifierConfig {
    /// Every alert batch goes to each of these (Prometheus sends to every Alertmanager).
    pub alertmanagers: Vec<AlertmanagerTarget>,
    /// Added to each alert that does not already have the label (Prometheus's
    /// `global.external_labels`).
    pub external_labels: Labels,
    /// Base of `generatorURL` (Prometheus's `--web.external-url`), e.g.
    /// `https://grafana.example.com/prometheus`; trailing `/` ignored.
    pub external_url: String,
    /// Most alerts handled per [`send`](super::Notifier::send) call; beyond it the oldest
    /// (first) are dropped and reported unsent, as Prometheus's queue drops its oldest.
    pub queue_capacity: usize,
    /// Alerts per POST (Prometheus 2.x: 64).
    pub max_batch: usize,
    /// Extra attempts for a batch that failed on one Alertmanager.
    pub retries: u32,
    /// First retry wait; doubles for each further retry.
    pub retry_backoff: Duration,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            alertmanagers: Vec::new(),
            external_labels: Labels::default(),
            external_url: String::new(),
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            max_batch: DEFAULT_MAX_BATCH,
            retries: DEFAULT_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        }
    }
}

impl NotifierConfig {
    /// Reads the configuration from the process environment (see [`from_lookup`](Self::from_lookup)).
    pub fn from_env() -> Result<Self, NotifierError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration from variables given by `get`:
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `LAKEWATCH_ALERTMANAGER_URL` | none | comma-separated base URLs |
    /// | `LAKEWATCH_ALERTMANAGER_BASIC_AUTH_USER` / `_PASSWORD` | none | basic auth for all |
    /// | `LAKEWATCH_ALERTMANAGER_BEARER_TOKEN` | none | bearer token for all |
    /// | `LAKEWATCH_ALERTMANAGER_TIMEOUT` | `10s` | per-request timeout (Prometheus duration, or seconds) |
    /// | `LAKEWATCH_ALERTMANAGER_RETRIES` | `2` | extra attempts per batch |
    /// | `LAKEWATCH_ALERTMANAGER_QUEUE_CAPACITY` | `10000` | most alerts per send |
    /// | `LAKEWATCH_ALERTMANAGER_MAX_BATCH` | `64` | alerts per POST |
    /// | `LAKEWATCH_EXTERNAL_LABELS` | none | `name=value,name=value` |
    /// | `LAKEWATCH_EXTERNAL_URL` | empty | base of `generatorURL` |
    ///
    /// Errors: an invalid URL, duration, number or label pair, naming the variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, NotifierError> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut cfg = NotifierConfig::default();
        let timeout = match var("LAKEWATCH_ALERTMANAGER_TIMEOUT") {
            Some(v) => parse_duration(&v).ok_or_else(|| {
                NotifierError::Config(format!(
                    "LAKEWATCH_ALERTMANAGER_TIMEOUT: invalid duration {v:?}"
                ))
            })?,
            None => DEFAULT_TIMEOUT,
        };
        let user = var("LAKEWATCH_ALERTMANAGER_BASIC_AUTH_USER");
        let password = get("LAKEWATCH_ALERTMANAGER_BASIC_AUTH_PASSWORD").unwrap_or_default();
        let basic_auth = user.map(|u| (u, password));
        let bearer = var("LAKEWATCH_ALERTMANAGER_BEARER_TOKEN");
        if let Some(urls) = var("LAKEWATCH_ALERTMANAGER_URL") {
            for u in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
                let t = AlertmanagerTarget {
                    url: u.to_string(),
                    basic_auth: basic_auth.clone(),
                    bearer: bearer.clone(),
                    timeout,
                };
                t.endpoint().map_err(|e| match e {
                    NotifierError::Config(m) => {
                        NotifierError::Config(format!("LAKEWATCH_ALERTMANAGER_URL: {m}"))
                    }
                })?;
                cfg.alertmanagers.push(t);
            }
        }
        let num = |k: &str, default: usize| -> Result<usize, NotifierError> {
            match var(k) {
                Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    NotifierError::Config(format!("{k}: expected a positive integer, got {v:?}"))
                }),
                None => Ok(default),
            }
        };
        cfg.queue_capacity = num(
            "LAKEWATCH_ALERTMANAGER_QUEUE_CAPACITY",
            DEFAULT_QUEUE_CAPACITY,
        )?;
        cfg.max_batch = num("LAKEWATCH_ALERTMANAGER_MAX_BATCH", DEFAULT_MAX_BATCH)?;
        if let Some(v) = var("LAKEWATCH_ALERTMANAGER_RETRIES") {
            cfg.retries = v.parse::<u32>().map_err(|_| {
                NotifierError::Config(format!(
                    "LAKEWATCH_ALERTMANAGER_RETRIES: expected an integer, got {v:?}"
                ))
            })?;
        }
        if let Some(v) = var("LAKEWATCH_EXTERNAL_LABELS") {
            cfg.external_labels = parse_label_pairs(&v)
                .map_err(|m| NotifierError::Config(format!("LAKEWATCH_EXTERNAL_LABELS: {m}")))?;
        }
        if let Some(v) = var("LAKEWATCH_EXTERNAL_URL") {
            cfg.external_url = v;
        }
        Ok(cfg)
    }
}

/// Parses `name=value,name=value` (values may not contain `,`); names must match
/// `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn parse_label_pairs(s: &str) -> Result<Labels, String> {
    let mut pairs = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (n, v) = part
            .split_once('=')
            .ok_or_else(|| format!("expected name=value, got {part:?}"))?;
        let n = n.trim();
        let valid = n
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if n.is_empty() || !valid {
            return Err(format!("invalid label name {n:?}"));
        }
        pairs.push((n.to_string(), v.trim().to_string()));
    }
    Ok(Labels::from_pairs(pairs))
}

/// A Prometheus duration (`500ms`, `10s`, `1m`, `1h30m`, `1d`; units `ms s m h d w y`) or a
/// plain number of seconds (`2.5`).
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let mut rest = s;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit_ms: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit_ms)?)?;
        rest = &rest[unit_len..];
    }
    (!s.is_empty()).then(|| Duration::from_millis(total))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_prefix_and_takes_userinfo() {
        let t = AlertmanagerTarget::new("http://u%40x:p%3Aw@127.0.0.1:9093/am/");
        let (u, auth) = t.endpoint().unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9093/am/api/v2/alerts");
        assert_eq!(auth, Some(("u@x".to_string(), "p:w".to_string())));
        let (u, auth) = AlertmanagerTarget::new("http://h:1").endpoint().unwrap();
        assert_eq!(u.as_str(), "http://h:1/api/v2/alerts");
        assert_eq!(auth, None);
        assert!(AlertmanagerTarget::new("ftp://h").endpoint().is_err());
        assert!(AlertmanagerTarget::new("not a url").endpoint().is_err());
    }

    #[test]
    fn from_lookup_reads_every_variable() {
        let vars = [
            (
                "LAKEWATCH_ALERTMANAGER_URL",
                "http://a:9093, http://b:9093/p",
            ),
            ("LAKEWATCH_ALERTMANAGER_BASIC_AUTH_USER", "u"),
            ("LAKEWATCH_ALERTMANAGER_BASIC_AUTH_PASSWORD", "p"),
            ("LAKEWATCH_ALERTMANAGER_TIMEOUT", "1500ms"),
            ("LAKEWATCH_ALERTMANAGER_RETRIES", "0"),
            ("LAKEWATCH_ALERTMANAGER_MAX_BATCH", "10"),
            ("LAKEWATCH_EXTERNAL_LABELS", "cluster=eu, replica=a"),
            ("LAKEWATCH_EXTERNAL_URL", "http://grafana/prom/"),
        ];
        let cfg = NotifierConfig::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        assert_eq!(cfg.alertmanagers.len(), 2);
        assert_eq!(cfg.alertmanagers[1].url, "http://b:9093/p");
        assert_eq!(cfg.alertmanagers[0].timeout, Duration::from_millis(1500));
        assert_eq!(
            cfg.alertmanagers[0].basic_auth,
            Some(("u".into(), "p".into()))
        );
        assert_eq!(cfg.retries, 0);
        assert_eq!(cfg.max_batch, 10);
        assert_eq!(cfg.queue_capacity, DEFAULT_QUEUE_CAPACITY);
        assert_eq!(cfg.external_labels.get("cluster"), Some("eu"));
        assert_eq!(cfg.external_url, "http://grafana/prom/");

        let bad = |k: &'static str, v: &'static str| {
            NotifierConfig::from_lookup(move |n| (n == k).then(|| v.to_string()))
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad("LAKEWATCH_ALERTMANAGER_URL", "gopher://x").contains("LAKEWATCH_ALERTMANAGER_URL")
        );
        assert!(bad("LAKEWATCH_ALERTMANAGER_TIMEOUT", "soon").contains("invalid duration"));
        assert!(bad("LAKEWATCH_ALERTMANAGER_MAX_BATCH", "0").contains("positive integer"));
        assert!(bad("LAKEWATCH_EXTERNAL_LABELS", "1x=a").contains("invalid label name"));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_duration("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("ms"), None);
        let empty = NotifierConfig::from_lookup(|_| None).unwrap();
        assert_eq!(empty, NotifierConfig::default());
    }
}
