//! A docker-compose file read as YAML and checked without Docker: the rules `docker compose
//! config`/`up` enforce (or that would only fail at run time) that matter for our stacks.
//!
//! [`Compose::check`] returns one message per problem, each naming the file and the service:
//! - every service has a `build` (context folder, Dockerfile and `target` stage exist) or an
//!   `image` pinned to a tag other than `latest` (or a digest);
//! - every `depends_on` (list or map form) names a service of the file, with a known
//!   `condition`; `service_healthy` needs a `healthcheck` on the dependency;
//!   `network_mode: service:<name>` names a service it also depends on;
//! - bind mounts: a relative host path resolves (from the compose file's folder) to an existing
//!   file or folder inside the repository; absolute host paths only `/var/run/docker.sock`;
//!   named volumes are declared under the top-level `volumes`;
//! - published host ports (`[ip:]host:container[/proto]`) are unique per address and protocol;
//! - every `http(s)://host…` in `environment` values and `command`/`entrypoint` arguments names a
//!   service of the file (or loopback).

use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Absolute host paths a service may mount.
pub const ALLOWED_ABSOLUTE_MOUNTS: &[&str] = &["/var/run/docker.sock"];

/// A parsed compose file: its label for messages, the folder relative paths start from, the
/// repository root bind mounts must stay inside, and the YAML document.
pub struct Compose {
    pub label: String,
    pub dir: PathBuf,
    pub repo: PathBuf,
    pub doc: Value,
}

/// One bind mount or volume of a service (`host` is the resolved path for binds).
#[derive(Debug, Clone)]
pub struct Mount {
    pub source: String,
    pub host: Option<PathBuf>,
    pub target: String,
}

/// One published port: host address ("" = all), host port, container port, protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub ip: String,
    pub host: u16,
    pub container: u16,
    pub proto: String,
}

/// Host and port of an `http://` / `https://` URL (userinfo skipped; default 80 / 443).
pub fn url_host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), default)),
    }
}

/// `true` for addresses that never name a compose service.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "0.0.0.0"
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Compose {
    /// Parses `text`; `dir` is the folder of the compose file (relative paths start there).
    pub fn parse(label: &str, text: &str, dir: &Path, repo: &Path) -> Result<Self, String> {
        let doc: Value =
            serde_yaml::from_str(text).map_err(|e| format!("{label}: not YAML: {e}"))?;
        Ok(Compose {
            label: label.to_string(),
            dir: dir.to_path_buf(),
            repo: repo.to_path_buf(),
            doc,
        })
    }

    /// Reads and parses a compose file of the repository.
    pub fn load(path: &Path, repo: &Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let label = path
            .strip_prefix(repo)
            .unwrap_or(path)
            .display()
            .to_string();
        let dir = path.parent().unwrap_or(repo);
        Compose::parse(&label, &text, dir, repo).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The services by name (empty when missing).
    pub fn services(&self) -> BTreeMap<String, &Mapping> {
        self.doc
            .get("services")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_mapping()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One service; panics with the file's label when it does not exist.
    pub fn service(&self, name: &str) -> &Mapping {
        self.services()
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("{}: no service {name:?}", self.label))
    }

    fn declared_volumes(&self) -> BTreeSet<String> {
        self.doc
            .get("volumes")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `environment` of a service (map or `KEY=VALUE` list form).
    pub fn env(svc: &Mapping) -> BTreeMap<String, String> {
        match svc.get("environment") {
            Some(Value::Mapping(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), str_of(v).unwrap_or_default())))
                .collect(),
            Some(Value::Sequence(s)) => s
                .iter()
                .filter_map(|e| {
                    let e = e.as_str()?;
                    let (k, v) = e.split_once('=').unwrap_or((e, ""));
                    Some((k.to_string(), v.to_string()))
                })
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// `command` and `entrypoint` arguments (a string form is split on whitespace).
    pub fn args(svc: &Mapping) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["entrypoint", "command"] {
            match svc.get(key) {
                Some(Value::Sequence(s)) => out.extend(s.iter().filter_map(str_of)),
                Some(Value::String(s)) => out.extend(s.split_whitespace().map(String::from)),
                _ => {}
            }
        }
        out
    }

    /// The dependencies of a service with their condition (`service_started` for the list form).
    pub fn depends_on(svc: &Mapping) -> Vec<(String, String)> {
        match svc.get("depends_on") {
            Some(Value::Sequence(s)) => s
                .iter()
                .filter_map(|v| Some((v.as_str()?.to_string(), "service_started".to_string())))
                .collect(),
            Some(Value::Mapping(m)) => m
                .iter()
                .filter_map(|(k, v)| {
                    let cond = v
                        .get("condition")
                        .and_then(Value::as_str)
                        .unwrap_or("service_started");
                    Some((k.as_str()?.to_string(), cond.to_string()))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The mounts of a service (short `src:dst[:mode]` and long forms).
    pub fn mounts(&self, svc: &Mapping) -> Vec<Mount> {
        let Some(list) = svc.get("volumes").and_then(Value::as_sequence) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|v| {
                let (source, target) = match v {
                    Value::String(s) => {
                        let mut parts = s.splitn(3, ':');
                        let a = parts.next()?.to_string();
                        match parts.next() {
                            Some(b) => (a, b.to_string()),
                            None => (String::new(), a), // anonymous volume
                        }
                    }
                    Value::Mapping(m) => (
                        m.get("source").and_then(str_of).unwrap_or_default(),
                        m.get("target").and_then(str_of)?,
                    ),
                    _ => return None,
                };
                let is_bind = source.starts_with('.') || source.starts_with('/');
                let host = is_bind.then(|| {
                    if source.starts_with('/') {
                        PathBuf::from(&source)
                    } else {
                        self.dir.join(&source)
                    }
                });
                Some(Mount {
                    source,
                    host,
                    target,
                })
            })
            .collect()
    }

    /// The host path behind a container path of a service, through its bind mounts (the
    /// longest mount target that is a prefix of `container_path`).
    pub fn host_path(&self, svc: &Mapping, container_path: &str) -> Option<PathBuf> {
        self.mounts(svc)
            .into_iter()
            .filter_map(|m| {
                let host = m.host?;
                let rest = container_path.strip_prefix(m.target.trim_end_matches('/'))?;
                let rest = rest.trim_start_matches('/');
                let path = if rest.is_empty() {
                    host
                } else {
                    host.join(rest)
                };
                let boundary = container_path.len() == m.target.trim_end_matches('/').len()
                    || container_path[m.target.trim_end_matches('/').len()..].starts_with('/');
                boundary.then_some((m.target.len(), path))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, p)| p)
    }

    /// Published ports of a service (`ports`, short and long forms).
    pub fn ports(svc: &Mapping) -> Result<Vec<Port>, String> {
        let Some(list) = svc.get("ports").and_then(Value::as_sequence) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for v in list {
            let port = match v {
                Value::Mapping(m) => Port {
                    ip: m.get("host_ip").and_then(str_of).unwrap_or_default(),
                    host: m
                        .get("published")
                        .and_then(str_of)
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| format!("port {m:?} has no published port"))?,
                    container: m
                        .get("target")
                        .and_then(str_of)
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| format!("port {m:?} has no target port"))?,
                    proto: m
                        .get("protocol")
                        .and_then(str_of)
                        .unwrap_or_else(|| "tcp".into()),
                },
                other => {
                    let s =
                        str_of(other).ok_or_else(|| format!("port {other:?} is not a string"))?;
                    let (spec, proto) = s.split_once('/').unwrap_or((&s, "tcp"));
                    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
                    let num = |p: &str| {
                        p.parse::<u16>()
                            .map_err(|_| format!("port {s:?}: bad number {p:?}"))
                    };
                    match parts.as_slice() {
                        [c] => Port {
                            ip: String::new(),
                            host: 0,
                            container: num(c)?,
                            proto: proto.into(),
                        },
                        [c, h] => Port {
                            ip: String::new(),
                            host: num(h)?,
                            container: num(c)?,
                            proto: proto.into(),
                        },
                        [c, h, ip] => Port {
                            ip: ip.to_string(),
                            host: num(h)?,
                            container: num(c)?,
                            proto: proto.into(),
                        },
                        _ => return Err(format!("port {s:?} not understood")),
                    }
                }
            };
            out.push(port);
        }
        Ok(out)
    }

    /// The container ports a service publishes (the ports other services reach it on).
    pub fn container_ports(svc: &Mapping) -> BTreeSet<u16> {
        Self::ports(svc)
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.container)
            .collect()
    }

    /// Every problem of the file (empty when it is sound).
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let services = self.services();
        if services.is_empty() {
            problems.push(format!("{}: no services", self.label));
        }
        let volumes = self.declared_volumes();
        let mut published: BTreeMap<(String, u16, String), String> = BTreeMap::new();
        for (name, svc) in &services {
            let mut p =
                |msg: String| problems.push(format!("{}: service {name:?}: {msg}", self.label));
            self.check_image(svc, &mut p);
            let deps = Self::depends_on(svc);
            for (dep, cond) in &deps {
                match services.get(dep) {
                    None => p(format!(
                        "depends_on names {dep:?}, which is not a service of the file"
                    )),
                    Some(d) => {
                        if ![
                            "service_started",
                            "service_healthy",
                            "service_completed_successfully",
                        ]
                        .contains(&cond.as_str())
                        {
                            p(format!("depends_on {dep:?} has unknown condition {cond:?}"));
                        }
                        if cond == "service_healthy" && d.get("healthcheck").is_none() {
                            p(format!(
                                "waits for {dep:?} to be healthy, but {dep:?} has no healthcheck"
                            ));
                        }
                    }
                }
            }
            if let Some(nm) = svc.get("network_mode").and_then(Value::as_str) {
                if let Some(other) = nm.strip_prefix("service:") {
                    if !services.contains_key(other) {
                        p(format!(
                            "network_mode names {other:?}, which is not a service of the file"
                        ));
                    } else if !deps.iter().any(|(d, _)| d == other) {
                        p(format!(
                            "network_mode uses {other:?} but does not depend on it"
                        ));
                    }
                }
            }
            for m in self.mounts(svc) {
                match &m.host {
                    Some(host) if m.source.starts_with('/') => {
                        if !ALLOWED_ABSOLUTE_MOUNTS.contains(&m.source.as_str()) {
                            p(format!(
                                "mounts absolute host path {:?} (only {ALLOWED_ABSOLUTE_MOUNTS:?})",
                                m.source
                            ));
                        }
                        let _ = host;
                    }
                    Some(host) => match host.canonicalize() {
                        Err(_) => p(format!(
                            "mounts {:?} at {}, but {} does not exist",
                            m.source,
                            m.target,
                            host.display()
                        )),
                        Ok(abs) => {
                            let repo = self
                                .repo
                                .canonicalize()
                                .unwrap_or_else(|_| self.repo.clone());
                            if !abs.starts_with(&repo) {
                                p(format!("mounts {:?}, outside the repository", m.source));
                            }
                        }
                    },
                    None if m.source.is_empty() => {}
                    None => {
                        if !volumes.contains(&m.source) {
                            p(format!(
                                "uses volume {:?}, not declared under the top-level volumes",
                                m.source
                            ));
                        }
                    }
                }
            }
            match Self::ports(svc) {
                Err(e) => p(e),
                Ok(ports) => {
                    for port in ports.into_iter().filter(|p| p.host != 0) {
                        let key = (port.ip.clone(), port.host, port.proto.clone());
                        if let Some(first) = published.insert(key, name.clone()) {
                            p(format!(
                                "publishes host port {} ({}), already published by {first:?}",
                                port.host, port.proto
                            ));
                        }
                    }
                }
            }
            let mut texts: Vec<String> = Self::env(svc).into_values().collect();
            texts.extend(Self::args(svc));
            for text in texts {
                for word in text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                    if let Some((host, _)) = url_host_port(word) {
                        if !is_loopback(&host)
                            && !services.contains_key(&host)
                            && !host.contains('$')
                        {
                            p(format!("URL {word:?} names host {host:?}, which is not a service of the file"));
                        }
                    }
                }
            }
            if let Some(hc) = svc.get("healthcheck") {
                match hc.get("test") {
                    Some(Value::Sequence(s))
                        if s.first()
                            .and_then(Value::as_str)
                            .is_some_and(|f| ["CMD", "CMD-SHELL", "NONE"].contains(&f)) => {}
                    Some(Value::String(_)) => {}
                    other => p(format!(
                        "healthcheck test {other:?} is not CMD/CMD-SHELL/NONE or a string"
                    )),
                }
            }
        }
        problems
    }

    fn check_image(&self, svc: &Mapping, p: &mut impl FnMut(String)) {
        if let Some(build) = svc.get("build") {
            let (context, dockerfile, target) = match build {
                Value::String(c) => (c.clone(), "Dockerfile".to_string(), None),
                Value::Mapping(m) => (
                    m.get("context")
                        .and_then(str_of)
                        .unwrap_or_else(|| ".".into()),
                    m.get("dockerfile")
                        .and_then(str_of)
                        .unwrap_or_else(|| "Dockerfile".into()),
                    m.get("target").and_then(str_of),
                ),
                _ => return p("build is neither a path nor a mapping".into()),
            };
            let file = self.dir.join(&context).join(&dockerfile);
            match std::fs::read_to_string(&file) {
                Err(_) => p(format!("build: {} does not exist", file.display())),
                Ok(text) => {
                    if let Some(t) = target {
                        let stages = dockerfile_stages(&text);
                        if !stages.contains(&t) {
                            p(format!(
                                "build target {t:?} is not a stage of {} ({stages:?})",
                                file.display()
                            ));
                        }
                    }
                    for image in dockerfile_bases(&text) {
                        if let Err(e) = pinned(&image) {
                            p(format!("{}: FROM {image}: {e}", file.display()));
                        }
                    }
                }
            }
            return;
        }
        match svc.get("image").and_then(Value::as_str) {
            None => p("has neither an image nor a build".into()),
            Some(image) => {
                if let Err(e) = pinned(image) {
                    p(format!("image {image:?}: {e}"));
                }
            }
        }
    }
}

/// `Ok` when an image reference names a fixed version: a digest, or a tag other than `latest`
/// that contains a digit (`minio/minio:RELEASE.2025-04-22T22-12-26Z`, `prom/prometheus:v3.5.0`).
pub fn pinned(image: &str) -> Result<(), String> {
    if image.contains("@sha256:") {
        return Ok(());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Err("no tag (an unpinned image pulls `latest`)".into()),
        Some((_, "latest")) => Err("tag `latest` is not pinned".into()),
        Some((_, tag)) if !tag.chars().any(|c| c.is_ascii_digit()) => {
            Err(format!("tag {tag:?} names no version"))
        }
        Some(_) => Ok(()),
    }
}

/// The stage names (`FROM … AS name`) of a Dockerfile.
pub fn dockerfile_stages(text: &str) -> Vec<String> {
    from_lines(text)
        .filter_map(|words| {
            let i = words.iter().position(|w| w.eq_ignore_ascii_case("as"))?;
            words.get(i + 1).cloned()
        })
        .collect()
}

/// The base images of a Dockerfile (`FROM image`), without earlier stages.
pub fn dockerfile_bases(text: &str) -> Vec<String> {
    let stages = dockerfile_stages(text);
    from_lines(text)
        .filter_map(|words| words.into_iter().find(|w| !w.starts_with("--")))
        .filter(|image| !stages.contains(image))
        .collect()
}

fn from_lines(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines().filter_map(|l| {
        let mut words = l.split_whitespace();
        let first = words.next()?;
        first
            .eq_ignore_ascii_case("FROM")
            .then(|| words.map(String::from).collect())
    })
}
