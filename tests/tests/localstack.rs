//! The Docker stacks of `localstack/` checked by parsing (no Docker runs here):
//! `docker-compose.yml` (MinIO, Lakewatch under `cargo lambda watch`, scheduler, demo,
//! Prometheus agent, Alertmanager and its webhook sink, Grafana) and
//! `docker-compose.localstack.yml` (LocalStack + SAM deployer).
//!
//! - every service has a pinned image or a local build, `depends_on` and `network_mode` name
//!   services, bind mounts exist in the repository, named volumes are declared, host ports do
//!   not clash, URLs in environments and commands name services (module `compose`);
//! - the wiring: Prometheus runs as an agent remote-writing to the `lakewatch` service's
//!   `/api/v1/write`; Grafana's datasources reach it and match dashboards/provisioning apart from
//!   the URL; the dashboard provider path and home dashboard are mounted; Alertmanager's
//!   receivers are served; Lakewatch's store, S3 endpoint, credentials and Alertmanager URL
//!   agree with the MinIO, minio-init and Alertmanager services (module `configs`);
//! - the scripts do what the services rely on: `minio-init.sh` seeds the example rules under
//!   the keys `RulesStore` reads, `scheduler.sh` invokes `ruler` and `compactor` through the
//!   Lambda invoke API;
//! - `promtool check config --agent` and `amtool check-config` accept the mounted configs;
//! - bad input (a dependency on a missing service, an unpinned image, a missing mount, a port
//!   clash, an unknown URL host) is reported with the service's name.

#[path = "localstack/compose.rs"]
mod compose;
#[path = "localstack/configs.rs"]
mod configs;

use clap::Parser;
use compose::{url_host_port, Compose};
use lakewatch_e2e::env::{require, SKIP_PROMETHEUS};
use lakewatch_model::TenantId;
use lakewatch_ruler::rules::parse_rule_file;
use lakewatch_ruler::store::RulesStore;
use lakewatch_ruler::ExprLanguage;
use lakewatch_server::cli::{Cli, Command};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::mpsc;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn full_stack() -> Compose {
    Compose::load(&repo().join("localstack/docker-compose.yml"), &repo())
}

fn localstack_variant() -> Compose {
    Compose::load(
        &repo().join("localstack/docker-compose.localstack.yml"),
        &repo(),
    )
}

fn assert_none(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// Problems of an in-memory compose file placed in localstack/ (for the bad-input cases).
fn problems_of(yaml: &str) -> Vec<String> {
    let c = Compose::parse("bad.yml", yaml, &repo().join("localstack"), &repo())
        .unwrap_or_else(|e| panic!("{e}"));
    c.check()
}

fn env_of(c: &Compose, service: &str, key: &str) -> String {
    Compose::env(c.service(service))
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("{}: service {service:?} has no {key}", c.label))
}

#[test]
fn both_compose_files_are_sound() {
    let full = full_stack();
    let ls = localstack_variant();
    assert_none(&full.label, full.check());
    assert_none(&ls.label, ls.check());
    let expected: BTreeSet<&str> = [
        "minio",
        "minio-init",
        "lakewatch",
        "scheduler",
        "demo",
        "prometheus",
        "alertmanager",
        "alert-sink",
        "grafana",
    ]
    .into();
    let names: Vec<String> = full.services().keys().cloned().collect();
    for want in &expected {
        assert!(
            names.iter().any(|n| n == want),
            "{}: no service {want:?} ({names:?})",
            full.label
        );
    }
    // Both stacks can run at once: no host port is published by both.
    let host_ports = |c: &Compose| -> BTreeSet<u16> {
        c.services()
            .values()
            .flat_map(|s| Compose::ports(s).unwrap_or_default())
            .map(|p| p.host)
            .filter(|p| *p != 0)
            .collect()
    };
    let shared: Vec<u16> = host_ports(&full)
        .intersection(&host_ports(&ls))
        .copied()
        .collect();
    assert!(
        shared.is_empty(),
        "host ports published by both compose files: {shared:?}"
    );
}

#[test]
fn lakewatch_runs_the_functions_under_cargo_lambda_watch_on_minio() {
    let c = full_stack();
    let svc = c.service("lakewatch");
    let script = Compose::args(svc).join(" ");
    assert!(
        script.contains("cargo lambda watch"),
        "lakewatch command: {script}"
    );
    assert!(
        script.contains("-P 9000"),
        "cargo lambda watch must serve on 9000: {script}"
    );
    let ports = Compose::ports(svc).expect("ports");
    assert!(
        ports.iter().any(|p| p.host == 9009 && p.container == 9000),
        "lakewatch must publish container port 9000 as host 9009 (like `lakewatch dev`): {ports:?}"
    );
    // Every function of the router table exists and is built before the watch starts.
    let cargo_toml = std::fs::read_to_string(repo().join("Cargo.toml")).expect("root Cargo.toml");
    let functions = router_functions(&cargo_toml);
    assert!(functions.len() >= 6, "router functions: {functions:?}");
    for f in functions
        .iter()
        .chain(["compactor".to_string(), "ruler".to_string()].iter())
    {
        assert!(
            repo()
                .join("functions")
                .join(f)
                .join("Cargo.toml")
                .is_file(),
            "function {f:?} has no package under functions/"
        );
        assert!(
            script.contains(&format!("-p {f}")),
            "lakewatch does not build {f}: {script}"
        );
    }
    // Store: the bucket minio-init creates, on the minio service, with its credentials.
    let store = env_of(&c, "lakewatch", "LAKEWATCH_STORE_URL");
    let rest = store
        .strip_prefix("s3://")
        .unwrap_or_else(|| panic!("store {store:?} is not s3://"));
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    assert_eq!(
        bucket,
        env_of(&c, "minio-init", "LAKEWATCH_BUCKET"),
        "bucket of {store}"
    );
    assert_eq!(
        prefix,
        env_of(&c, "minio-init", "LAKEWATCH_PREFIX"),
        "prefix of {store}"
    );
    let endpoint = env_of(&c, "lakewatch", "LAKEWATCH_S3_ENDPOINT");
    configs::url_reaches_service(&c, &endpoint)
        .unwrap_or_else(|e| panic!("LAKEWATCH_S3_ENDPOINT {e}"));
    assert_eq!(
        url_host_port(&endpoint).map(|h| h.0).as_deref(),
        Some("minio")
    );
    let user = env_of(&c, "minio", "MINIO_ROOT_USER");
    let password = env_of(&c, "minio", "MINIO_ROOT_PASSWORD");
    assert_eq!(env_of(&c, "lakewatch", "AWS_ACCESS_KEY_ID"), user);
    assert_eq!(env_of(&c, "lakewatch", "AWS_SECRET_ACCESS_KEY"), password);
    assert!(!env_of(&c, "lakewatch", "AWS_REGION").is_empty());
    let mc_host = env_of(&c, "minio-init", "MC_HOST_local");
    assert!(
        mc_host.contains(&format!("//{user}:{password}@minio:9000")),
        "MC_HOST_local {mc_host:?} must use MinIO's root credentials"
    );
    // Alerts go to the alertmanager service.
    let am = env_of(&c, "lakewatch", "LAKEWATCH_ALERTMANAGER_URL");
    configs::url_reaches_service(&c, &am)
        .unwrap_or_else(|e| panic!("LAKEWATCH_ALERTMANAGER_URL {e}"));
    assert_eq!(
        url_host_port(&am).map(|h| h.0).as_deref(),
        Some("alertmanager")
    );
    // The demo pushes to the lakewatch service: its arguments after `--` are accepted by the
    // real `lakewatch` command line.
    let args = Compose::args(c.service("demo"));
    let cli_args = args
        .iter()
        .position(|a| a == "--")
        .map(|i| args[i + 1..].to_vec())
        .unwrap_or_else(|| panic!("demo command has no `--`: {args:?}"));
    let cli = Cli::try_parse_from(std::iter::once("lakewatch".to_string()).chain(cli_args))
        .unwrap_or_else(|e| panic!("demo command {args:?}: {e}"));
    let Command::Demo(demo) = cli.command else {
        panic!("demo service does not run `lakewatch demo`: {args:?}")
    };
    configs::url_reaches_service(&c, &demo.url).unwrap_or_else(|e| panic!("demo --url {e}"));
    assert_eq!(
        url_host_port(&demo.url).map(|h| h.0).as_deref(),
        Some("lakewatch")
    );
    assert!(
        demo.backfill.as_secs() >= 3600,
        "the demo must backfill an hour for the first load"
    );
}

/// Function names of `[workspace.metadata.lambda.watch.router]` (`"path" = "fn"` or
/// `[{ method = "POST", function = "fn" }]`).
fn router_functions(cargo_toml: &str) -> BTreeSet<String> {
    let section = cargo_toml
        .split("[workspace.metadata.lambda.watch.router]")
        .nth(1)
        .expect("router table in the root Cargo.toml");
    let mut out = BTreeSet::new();
    for line in section.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            break;
        }
        let Some((_, value)) = line.split_once("\" = ") else {
            continue;
        };
        let name = match value.split_once("function = \"") {
            Some((_, rest)) => rest.split('"').next(),
            None => value.strip_prefix('"').and_then(|v| v.split('"').next()),
        };
        if let Some(n) = name {
            out.insert(n.to_string());
        }
    }
    out
}

#[test]
fn prometheus_agent_remote_writes_to_lakewatch() {
    let c = full_stack();
    assert_none(
        "prometheus agent",
        configs::check_prometheus_agent(&c, "prometheus"),
    );
    // The remote-write URL names the lakewatch service itself.
    let file = configs::config_file(&c, "prometheus").expect("config file");
    let cfg: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&file).expect("read")).expect("yaml");
    let url = cfg["remote_write"][0]["url"]
        .as_str()
        .expect("remote_write url");
    assert_eq!(url, "http://lakewatch:9000/api/v1/write");
}

#[test]
fn grafana_datasources_and_dashboards_are_wired() {
    let c = full_stack();
    let reference = repo().join("dashboards/provisioning/datasources");
    assert_none(
        "grafana",
        configs::check_grafana(&c, "grafana", &reference, "http://127.0.0.1:9009"),
    );
    let ds = configs::datasources(
        &c.host_path(
            c.service("grafana"),
            "/etc/grafana/provisioning/datasources",
        )
        .expect("datasources mount"),
    )
    .expect("datasources");
    let uids: BTreeSet<String> = ds
        .iter()
        .filter_map(|(_, m)| m.get("uid")?.as_str().map(String::from))
        .collect();
    for uid in ["lakewatch-metrics", "lakewatch-logs", "lakewatch-traces"] {
        assert!(
            uids.contains(uid),
            "compose datasources lack {uid:?}: {uids:?}"
        );
    }
}

#[test]
fn alertmanager_receivers_are_served_in_compose() {
    let c = full_stack();
    let file = configs::config_file(&c, "alertmanager").expect("alertmanager config");
    assert_eq!(
        file.canonicalize().expect("config exists"),
        repo()
            .join("examples/alertmanager/alertmanager.yml")
            .canonicalize()
            .expect("example exists"),
        "Alertmanager must run the repository's example config"
    );
    assert_none(
        "alertmanager",
        configs::check_alertmanager(&c, "alertmanager"),
    );
}

#[test]
fn localstack_variant_deploys_the_sam_template() {
    let c = localstack_variant();
    let deployer = c.service("deployer");
    let workdir = deployer
        .get("working_dir")
        .and_then(|v| v.as_str())
        .expect("deployer working_dir");
    let template = env_of(&c, "deployer", "TEMPLATE");
    let host_template = c
        .host_path(deployer, &format!("{workdir}/{template}"))
        .expect("template inside a mount");
    assert!(
        host_template.is_file(),
        "deployer deploys {template}, but {} does not exist",
        host_template.display()
    );
    // The parameter overrides name Parameters of the template and give every one without a
    // Default (CloudFormation refuses the stack otherwise).
    let tpl: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&host_template).expect("read template"))
            .unwrap_or_else(|e| panic!("{}: {e}", host_template.display()));
    let params = tpl["Parameters"].as_mapping().expect("template Parameters");
    let overrides: Vec<(String, String)> = env_of(&c, "deployer", "PARAMETER_OVERRIDES")
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("override {kv:?} is not Key=Value"));
            (k.to_string(), v.to_string())
        })
        .collect();
    for (k, _) in &overrides {
        assert!(
            params.contains_key(k.as_str()),
            "PARAMETER_OVERRIDES sets {k:?}, not a Parameter of {template}"
        );
    }
    for (k, p) in params {
        let k = k.as_str().unwrap_or_default();
        if p.get("Default").is_none() {
            assert!(
                overrides.iter().any(|(o, _)| o == k),
                "{template} Parameter {k:?} has no Default: PARAMETER_OVERRIDES must set it"
            );
        }
    }
    let script = Compose::args(deployer)
        .into_iter()
        .find(|a| a.ends_with(".sh"))
        .expect("deployer runs a script");
    let host_script = c
        .host_path(deployer, &script)
        .expect("script inside a mount");
    let text = std::fs::read_to_string(&host_script)
        .unwrap_or_else(|e| panic!("{}: {e}", host_script.display()));
    for needed in ["sam build", "samlocal deploy", "$template"] {
        assert!(
            text.contains(needed),
            "{} lacks {needed:?}",
            host_script.display()
        );
    }
    let endpoint = env_of(&c, "deployer", "AWS_ENDPOINT_URL");
    configs::url_reaches_service(&c, &endpoint).unwrap_or_else(|e| panic!("AWS_ENDPOINT_URL {e}"));
    let project = c.doc["name"].as_str().expect("project name");
    assert_eq!(
        env_of(&c, "localstack", "LAMBDA_DOCKER_NETWORK"),
        format!("{project}_default"),
        "Lambda containers must join the compose network"
    );
}

#[test]
fn minio_init_seeds_the_example_rules_where_the_ruler_reads_them() {
    let c = full_stack();
    let svc = c.service("minio-init");
    let env = Compose::env(svc);
    let script = c
        .host_path(svc, "/minio-init.sh")
        .expect("minio-init.sh mounted");
    let rules = c.host_path(svc, "/rules").expect("rules mounted");
    let out = Process::new("sh")
        .arg(&script)
        .envs(&env)
        .env("MC", "echo")
        .env("RULES_DIR", &rules)
        .output()
        .expect("run sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bucket = &env["LAKEWATCH_BUCKET"];
    let prefix = &env["LAKEWATCH_PREFIX"];
    let tenant = TenantId::new(&env["LAKEWATCH_RULES_TENANT"]).expect("tenant");
    assert!(
        stdout.contains(&format!("mb --ignore-existing local/{bucket}")),
        "{stdout}"
    );
    let copies: Vec<(PathBuf, String)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("cp "))
        .filter_map(|l| l.split_once(' '))
        .map(|(src, dst)| (PathBuf::from(src), dst.to_string()))
        .collect();
    let mut expected = Vec::new();
    for (dir, lang) in [
        (rules.clone(), ExprLanguage::PromQL),
        (rules.join("logs"), ExprLanguage::LogQL),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("rules dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("rule file");
            parse_rule_file(&text, lang).unwrap_or_else(|e| {
                panic!("{} is not a valid {lang:?} rule file: {e:?}", f.display())
            });
            let ns = f.file_stem().and_then(|s| s.to_str()).expect("stem");
            expected.push((
                f.clone(),
                format!(
                    "local/{bucket}/{prefix}/{}",
                    RulesStore::key(&tenant, lang, ns)
                ),
            ));
        }
    }
    assert!(expected.len() >= 3, "example rule files: {expected:?}");
    assert_eq!(copies, expected, "minio-init.sh output:\n{stdout}");
}

/// Accepts `n` HTTP requests on a free port, answering 200 with a small JSON body; sends
/// (request line, body) of each.
fn capture_server(n: usize) -> (u16, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let reply = "{\"passes\":[]}";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = tx.send((
                line.trim().to_string(),
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
    });
    (port, rx)
}

#[test]
fn scheduler_invokes_ruler_and_compactor_through_the_invoke_api() {
    let c = full_stack();
    let svc = c.service("scheduler");
    let env = Compose::env(svc);
    assert_eq!(env["RULER_EVERY_SECONDS"], "60", "ruler every minute");
    assert_eq!(
        env["COMPACTOR_EVERY_RUNS"], "5",
        "compactor every 5 minutes"
    );
    configs::url_reaches_service(&c, &env["LAKEWATCH_INVOKE_URL"])
        .unwrap_or_else(|e| panic!("LAKEWATCH_INVOKE_URL {e}"));
    let script = c
        .host_path(svc, "/scheduler.sh")
        .expect("scheduler.sh mounted");
    // Six ticks without waiting: compactor on ticks 0 and 5.
    let (port, rx) = capture_server(8);
    let out = Process::new("sh")
        .arg(&script)
        .env("LAKEWATCH_INVOKE_URL", format!("http://127.0.0.1:{port}"))
        .env("RULER_EVERY_SECONDS", "0")
        .env("COMPACTOR_EVERY_RUNS", "5")
        .env("SCHEDULER_RUNS", "6")
        .output()
        .expect("run sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<(String, String)> = rx.try_iter().collect();
    let path = |f: &str| format!("POST /2015-03-31/functions/{f}/invocations HTTP/1.1");
    let want: Vec<String> = [
        "ruler",
        "compactor",
        "ruler",
        "ruler",
        "ruler",
        "ruler",
        "ruler",
        "compactor",
    ]
    .iter()
    .map(|f| path(f))
    .collect();
    let lines: Vec<String> = got.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(lines, want, "scheduler output:\n{stdout}");
    assert!(got.iter().all(|(_, b)| b == "{}"), "events: {got:?}");
    assert!(
        stdout.contains("{\"passes\":[]}"),
        "responses are printed:\n{stdout}"
    );
}

#[test]
fn promtool_and_amtool_accept_the_mounted_configs() {
    let c = full_stack();
    let hint = "install Debian's prometheus and prometheus-alertmanager (bash tests/run.sh)";
    let Some(promtool) = require("promtool", SKIP_PROMETHEUS, hint) else {
        return;
    };
    let Some(amtool) = require("amtool", SKIP_PROMETHEUS, hint) else {
        return;
    };
    let prom = configs::config_file(&c, "prometheus").expect("prometheus config");
    let am = configs::config_file(&c, "alertmanager").expect("alertmanager config");
    for (tool, args) in [
        (
            &promtool,
            vec![
                "check".to_string(),
                "config".into(),
                "--agent".into(),
                prom.display().to_string(),
            ],
        ),
        (
            &amtool,
            vec!["check-config".to_string(), am.display().to_string()],
        ),
    ] {
        let out = Process::new(tool).args(&args).output().expect("run tool");
        assert!(
            out.status.success(),
            "{} {args:?}:\n{}{}",
            tool.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---- bad input: each problem names the service ----

const GOOD_BASE: &str = r#"
services:
  minio:
    image: minio/minio:RELEASE.2025-04-22T22-12-26Z
    healthcheck:
      test: ["CMD", "mc", "ready", "local"]
"#;

#[test]
fn in_memory_good_file_has_no_problems() {
    assert_none("good base", problems_of(GOOD_BASE));
}

#[test]
fn depends_on_a_missing_service_is_named() {
    let yaml = format!(
        "{GOOD_BASE}  lakewatch:\n    image: prom/prometheus:v3.5.0\n    depends_on:\n      minoi:\n        condition: service_healthy\n"
    );
    let p = problems_of(&yaml);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("service \"lakewatch\"")
            && p[0].contains("\"minoi\"")
            && p[0].contains("not a service"),
        "{p:?}"
    );
    // The list form too.
    let yaml = format!("{GOOD_BASE}  grafana:\n    image: grafana/grafana:12.2.0\n    depends_on: [minio, lakewatch]\n");
    let p = problems_of(&yaml);
    assert!(
        p.len() == 1 && p[0].contains("service \"grafana\"") && p[0].contains("\"lakewatch\""),
        "{p:?}"
    );
}

#[test]
fn unpinned_images_are_named() {
    for image in [
        "grafana/grafana",
        "grafana/grafana:latest",
        "localstack/localstack:stable",
    ] {
        let yaml = format!("{GOOD_BASE}  grafana:\n    image: {image}\n");
        let p = problems_of(&yaml);
        assert!(
            p.len() == 1 && p[0].contains("service \"grafana\"") && p[0].contains(image),
            "{image}: {p:?}"
        );
    }
    // A registry with a port is not a tag; a digest is pinned.
    let p = problems_of(&format!(
        "{GOOD_BASE}  x:\n    image: registry.local:5000/lakewatch\n"
    ));
    assert!(p.len() == 1 && p[0].contains("service \"x\""), "{p:?}");
    assert_none(
        "digest",
        problems_of(&format!(
            "{GOOD_BASE}  x:\n    image: busybox@sha256:{}\n",
            "a".repeat(64)
        )),
    );
}

#[test]
fn other_bad_input_is_named() {
    let cases = [
        ("  grafana:\n    image: grafana/grafana:12.2.0\n    volumes: [\"../dashboards/nope:/x:ro\"]\n", "grafana", "does not exist"),
        ("  grafana:\n    image: grafana/grafana:12.2.0\n    volumes: [\"/etc:/x:ro\"]\n", "grafana", "absolute host path"),
        ("  grafana:\n    image: grafana/grafana:12.2.0\n    volumes: [\"gdata:/var/lib/grafana\"]\n", "grafana", "not declared"),
        ("  a:\n    image: a/a:1.0\n    ports: [\"127.0.0.1:3000:3000\"]\n  b:\n    image: b/b:1.0\n    ports: [\"127.0.0.1:3000:80\"]\n", "b", "already published by \"a\""),
        ("  prom:\n    image: prom/prometheus:v3.5.0\n    environment:\n      URL: http://lakewach:9000/api/v1/write\n", "prom", "\"lakewach\""),
        ("  a:\n    image: a/a:1.0\n    depends_on:\n      minio:\n        condition: service_healthy\n  b:\n    image: b/b:1.0\n    depends_on:\n      a:\n        condition: service_healthy\n", "b", "no healthcheck"),
        ("  sink:\n    image: python:3.13.1-alpine\n    network_mode: \"service:am\"\n", "sink", "\"am\""),
        ("  w:\n    build:\n      context: .\n      target: nope\n", "w", "target \"nope\""),
    ];
    for (svc_yaml, service, needle) in cases {
        let p = problems_of(&format!("{GOOD_BASE}{svc_yaml}"));
        assert!(
            p.len() == 1
                && p[0].contains(&format!("service \"{service}\""))
                && p[0].contains(needle),
            "expected one problem naming {service:?} and {needle:?}, got {p:?}"
        );
    }
}
