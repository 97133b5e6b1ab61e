//! Checks of the configuration files the local stack mounts into its services: the Prometheus
//! agent config, Grafana's datasources and dashboard provider, Alertmanager's receivers. Each
//! function returns one message per problem, naming the file and what it points at.

use crate::compose::{is_loopback, url_host_port, Compose};
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};

fn read_yaml(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{}: not YAML: {e}", path.display()))
}

/// `Ok` when `url` names a service of the file on one of the container ports it publishes.
pub fn url_reaches_service(compose: &Compose, url: &str) -> Result<(), String> {
    let (host, port) = url_host_port(url).ok_or_else(|| format!("{url:?} is not an http URL"))?;
    let services = compose.services();
    let svc = services.get(&host).ok_or_else(|| {
        format!(
            "{url:?} names {host:?}, which is not a service of {}",
            compose.label
        )
    })?;
    let ports = Compose::container_ports(svc);
    if !ports.contains(&port) {
        return Err(format!(
            "{url:?}: service {host:?} listens on {ports:?}, not {port}"
        ));
    }
    Ok(())
}

/// The value of a `--flag=value` argument.
pub fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    args.iter()
        .find_map(|a| a.strip_prefix(&prefix).map(String::from))
}

/// The host file behind a service's `--config.file=` argument.
pub fn config_file(compose: &Compose, service: &str) -> Result<PathBuf, String> {
    let svc = compose.service(service);
    let args = Compose::args(svc);
    let path = flag_value(&args, "--config.file")
        .ok_or_else(|| format!("service {service:?} has no --config.file"))?;
    compose
        .host_path(svc, &path)
        .ok_or_else(|| format!("service {service:?}: {path} is not a bind-mounted file"))
}

/// The Prometheus service: runs in agent mode, and its config's remote-write URLs and scrape
/// targets name services of the file (remote write on the ingest path `/api/v1/write`).
pub fn check_prometheus_agent(compose: &Compose, service: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let svc = compose.service(service);
    if !Compose::args(svc).iter().any(|a| a == "--agent") {
        problems.push(format!("service {service:?} does not run with --agent"));
    }
    let file = match config_file(compose, service) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let cfg = match read_yaml(&file) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let label = file.display().to_string();
    let rw = cfg.get("remote_write").and_then(Value::as_sequence);
    match rw {
        None => problems.push(format!("{label}: no remote_write")),
        Some(list) => {
            for w in list {
                let url = w.get("url").and_then(Value::as_str).unwrap_or_default();
                if let Err(e) = url_reaches_service(compose, url) {
                    problems.push(format!("{label}: remote_write {e}"));
                }
                if !url.ends_with("/api/v1/write") {
                    problems.push(format!(
                        "{label}: remote_write {url:?} is not Lakewatch's /api/v1/write"
                    ));
                }
            }
        }
    }
    let jobs = cfg
        .get("scrape_configs")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    if jobs.is_empty() {
        problems.push(format!("{label}: no scrape_configs"));
    }
    for job in &jobs {
        let name = job.get("job_name").and_then(Value::as_str).unwrap_or("?");
        let targets = job
            .get("static_configs")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|sc| sc.get("targets").and_then(Value::as_sequence))
            .flatten()
            .filter_map(Value::as_str);
        for t in targets {
            let (host, _) = t.rsplit_once(':').unwrap_or((t, ""));
            if is_loopback(host) {
                continue;
            }
            if let Err(e) = url_reaches_service(compose, &format!("http://{t}")) {
                problems.push(format!("{label}: job {name:?}: target {e}"));
            }
        }
    }
    problems
}

/// Datasources of every provisioning file in a folder: (file, datasource mapping).
pub fn datasources(dir: &Path) -> Result<Vec<(PathBuf, Mapping)>, String> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let doc = read_yaml(&f)?;
        for ds in doc
            .get("datasources")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            if let Some(m) = ds.as_mapping() {
                out.push((f.clone(), m.clone()));
            }
        }
    }
    Ok(out)
}

fn get_str(m: &Mapping, key: &str) -> String {
    m.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Grafana: the datasources folder it mounts (container `provisioning/datasources`) has URLs
/// that reach services of the file; it defines the same datasources as `reference_dir` (the
/// repository's dashboards/provisioning/datasources): same names, types, uids and `jsonData`,
/// URLs equal once `reference_base` is replaced by the service's base URL; every dashboard
/// provider's `options.path` and the home dashboard resolve through the mounts to existing
/// host paths.
pub fn check_grafana(
    compose: &Compose,
    service: &str,
    reference_dir: &Path,
    reference_base: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let svc = compose.service(service);
    let ds_dir = match compose.host_path(svc, "/etc/grafana/provisioning/datasources") {
        Some(d) => d,
        None => {
            return vec![format!(
                "service {service:?} mounts no provisioning/datasources"
            )]
        }
    };
    let ours = match datasources(&ds_dir) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    if ours.is_empty() {
        problems.push(format!("{}: no datasources", ds_dir.display()));
    }
    let mut base = None;
    for (file, ds) in &ours {
        let url = get_str(ds, "url");
        if let Err(e) = url_reaches_service(compose, &url) {
            problems.push(format!(
                "{}: datasource {:?}: {e}",
                file.display(),
                get_str(ds, "uid")
            ));
        }
        if let Some((h, p)) = url_host_port(&url) {
            base.get_or_insert(format!("http://{h}:{p}"));
        }
    }
    match datasources(reference_dir) {
        Err(e) => problems.push(e),
        Ok(reference) => {
            let base = base.unwrap_or_default();
            for (rfile, r) in &reference {
                let uid = get_str(r, "uid");
                let Some((_, o)) = ours.iter().find(|(_, o)| get_str(o, "uid") == uid) else {
                    problems.push(format!(
                        "datasource uid {uid:?} of {} is missing from {}",
                        rfile.display(),
                        ds_dir.display()
                    ));
                    continue;
                };
                for key in ["name", "type", "access", "isDefault"] {
                    if r.get(key) != o.get(key) {
                        problems.push(format!(
                            "datasource {uid:?}: {key} differs from {}",
                            rfile.display()
                        ));
                    }
                }
                if r.get("jsonData") != o.get("jsonData") {
                    problems.push(format!(
                        "datasource {uid:?}: jsonData differs from {}",
                        rfile.display()
                    ));
                }
                let want = get_str(r, "url").replacen(reference_base, &base, 1);
                if get_str(o, "url") != want {
                    problems.push(format!(
                        "datasource {uid:?}: url {:?}, expected {want:?} (the {} URL on the service)",
                        get_str(o, "url"),
                        rfile.display()
                    ));
                }
            }
            for (_, o) in &ours {
                let uid = get_str(o, "uid");
                if !reference.iter().any(|(_, r)| get_str(r, "uid") == uid) {
                    problems.push(format!(
                        "datasource {uid:?} is not in {}",
                        reference_dir.display()
                    ));
                }
            }
        }
    }
    match compose.host_path(svc, "/etc/grafana/provisioning/dashboards") {
        None => problems.push(format!(
            "service {service:?} mounts no provisioning/dashboards"
        )),
        Some(dir) => {
            let providers = std::fs::read_dir(&dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let mut n = 0;
            for f in providers
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            {
                let doc = match read_yaml(f) {
                    Ok(d) => d,
                    Err(e) => {
                        problems.push(e);
                        continue;
                    }
                };
                for prov in doc
                    .get("providers")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                {
                    n += 1;
                    let path = prov
                        .get("options")
                        .and_then(|o| o.get("path"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    match compose.host_path(svc, path) {
                        Some(h) if h.is_dir() => {}
                        _ => problems.push(format!(
                            "{}: dashboards path {path:?} is not a mounted folder of service {service:?}",
                            f.display()
                        )),
                    }
                }
            }
            if n == 0 {
                problems.push(format!("{}: no dashboard providers", dir.display()));
            }
        }
    }
    if let Some(home) = Compose::env(svc).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH") {
        if !compose.host_path(svc, home).is_some_and(|h| h.is_file()) {
            problems.push(format!("home dashboard {home:?} is not a mounted file"));
        }
    }
    problems
}

/// Alertmanager: its config's webhook receivers reach something. A service host must be a
/// service of the file on a published port; a loopback URL must be served by a service
/// sharing Alertmanager's network namespace (`network_mode: service:<alertmanager>`) whose
/// `ALERT_SINK_PORT` is the URL's port.
pub fn check_alertmanager(compose: &Compose, service: &str) -> Vec<String> {
    let file = match config_file(compose, service) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let cfg = match read_yaml(&file) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let sidecar_ports: Vec<u16> = compose
        .services()
        .values()
        .filter(|s| {
            s.get("network_mode").and_then(Value::as_str) == Some(&format!("service:{service}"))
        })
        .filter_map(|s| Compose::env(s).get("ALERT_SINK_PORT")?.parse().ok())
        .collect();
    let mut problems = Vec::new();
    let receivers = cfg
        .get("receivers")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    if receivers.is_empty() {
        problems.push(format!("{}: no receivers", file.display()));
    }
    for r in &receivers {
        let name = r.get("name").and_then(Value::as_str).unwrap_or("?");
        for w in r
            .get("webhook_configs")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let url = w.get("url").and_then(Value::as_str).unwrap_or_default();
            let Some((host, port)) = url_host_port(url) else {
                problems.push(format!(
                    "{}: receiver {name:?}: bad url {url:?}",
                    file.display()
                ));
                continue;
            };
            let ok = if is_loopback(&host) {
                sidecar_ports.contains(&port)
            } else {
                url_reaches_service(compose, url).is_ok()
            };
            if !ok {
                problems.push(format!(
                    "{}: receiver {name:?} posts to {url}, which nothing in {} serves",
                    file.display(),
                    compose.label
                ));
            }
        }
    }
    problems
}
