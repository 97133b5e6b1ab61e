//! The ruler's Alertmanager notifier (`lakewatch_ruler::notifier`) against a real Debian Alertmanager (`prometheus-alertmanager`,
//! started on 127.0.0.1 with a null receiver) and a local capture server (for headers, batching
//! and retries).

use std::collections::VecDeque;
use std::net::TcpListener as StdListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lakewatch_e2e::alertmanager::Alertmanager;
use lakewatch_model::Labels;
use lakewatch_ruler::notifier::{generator_url, AlertmanagerTarget, Notifier, NotifierConfig};
use lakewatch_ruler::{Alert, AlertState};
use serde_json::Value;
use tokio::net::TcpStream;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free port")
}

/// A URL nobody listens on.
fn down_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

fn firing(name: &str, extra: &[(&str, &str)], fired_at: i64) -> Alert {
    let mut pairs = vec![("alertname".to_string(), name.to_string())];
    pairs.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    Alert {
        labels: Labels::from_pairs(pairs),
        annotations: Labels::from_pairs([("summary", format!("{name} is firing"))]),
        state: AlertState::Firing,
        value: 1.0,
        active_at_ms: fired_at - 60_000,
        fired_at_ms: Some(fired_at),
        resolved_at_ms: None,
        last_sent_at_ms: None,
        valid_until_ms: Some(now_ms() + 4 * 60_000),
        keep_firing_since_ms: None,
    }
}

fn config(urls: &[String]) -> NotifierConfig {
    NotifierConfig {
        alertmanagers: urls
            .iter()
            .map(|u| AlertmanagerTarget {
                timeout: Duration::from_secs(2),
                ..AlertmanagerTarget::new(u.clone())
            })
            .collect(),
        retry_backoff: Duration::from_millis(20),
        ..Default::default()
    }
}

/// One request seen by the capture server.
#[derive(Debug, Clone)]
struct Captured {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn alerts(&self) -> Vec<Value> {
        serde_json::from_slice(&self.body).expect("body is a JSON array")
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 recording every request; answers the queued statuses in
/// order, then 200.
#[derive(Clone)]
struct Capture {
    url: String,
    requests: Arc<Mutex<Vec<Captured>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Capture {
    async fn start(statuses: &[u16]) -> Capture {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let cap = Capture {
            url: format!("http://{addr}"),
            requests: Arc::default(),
            statuses: Arc::new(Mutex::new(statuses.iter().copied().collect())),
        };
        let c = cap.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move { c.serve(sock).await });
            }
        });
        cap
    }

    async fn serve(&self, sock: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let mut chunk = [0u8; 8192];
                match read_some(&sock, &mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let mut lines = head.split("\r\n");
            let mut first = lines.next().unwrap_or("").split(' ');
            let method = first.next().unwrap_or("").to_string();
            let path = first.next().unwrap_or("").to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + len {
                let mut chunk = [0u8; 8192];
                match read_some(&sock, &mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body = buf[head_end..head_end + len].to_vec();
            buf.drain(..head_end + len);
            self.requests.lock().unwrap().push(Captured {
                method,
                path,
                headers,
                body,
            });
            let status = self.statuses.lock().unwrap().pop_front().unwrap_or(200);
            let msg = if status == 200 { "" } else { "nope" };
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: text/plain\r\n\r\n{msg}",
                msg.len()
            );
            if write_all(&sock, resp.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn requests(&self) -> Vec<Captured> {
        self.requests.lock().unwrap().clone()
    }
}

/// Reads what is available (tokio's `io-util` extension traits are not enabled here).
async fn read_some(sock: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        sock.readable().await?;
        match sock.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            r => return r,
        }
    }
}

async fn write_all(sock: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        sock.writable().await?;
        match sock.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[tokio::test]
async fn firing_alerts_reach_a_real_alertmanager_with_prometheus_fields() {
    let am = Alertmanager::start().await;
    let mut cfg = config(std::slice::from_ref(&am.url));
    cfg.external_labels = Labels::from_pairs([("cluster", "eu-1"), ("replica", "a")]);
    cfg.external_url = "http://grafana.example:3000/prometheus/".into();
    let notifier = Notifier::new(cfg).unwrap();

    let fired = now_ms() - 30_000;
    let a = firing(
        "HighErrorRate",
        &[("severity", "critical"), ("job", "api")],
        fired,
    );
    // Its own `cluster` label wins over the external one.
    let b = firing(
        "HighLatency",
        &[("severity", "warning"), ("cluster", "own")],
        fired,
    );
    let expr = r#"sum(rate(http_requests_total{status=~"5.."}[5m])) > 0.05"#;
    let report = notifier
        .send(&[a.clone(), b.clone()], |_| notifier.generator_url(expr))
        .await;
    assert!(report.success(), "{report:?}");
    assert_eq!(report.sent, vec![true, true]);
    assert_eq!(report.alertmanagers.len(), 1);
    assert!(report.alertmanagers[0].ok());
    assert_eq!(report.alertmanagers[0].requests, 1);
    assert_eq!(
        report.alertmanagers[0].url,
        format!("{}/api/v2/alerts", am.url)
    );

    let got = am
        .find("HighErrorRate")
        .await
        .expect("HighErrorRate in Alertmanager");
    assert_eq!(
        got["labels"],
        serde_json::json!({"alertname": "HighErrorRate", "severity": "critical", "job": "api",
                           "cluster": "eu-1", "replica": "a"})
    );
    assert_eq!(
        got["annotations"],
        serde_json::json!({"summary": "HighErrorRate is firing"})
    );
    assert_eq!(got["status"]["state"], "active");
    let ms = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("time string"))
            .expect("RFC 3339")
            .timestamp_millis()
    };
    assert_eq!(ms(&got["startsAt"]), fired);
    assert_eq!(ms(&got["endsAt"]), a.valid_until_ms.unwrap());
    let want_url = format!(
        "http://grafana.example:3000/prometheus/graph?g0.expr={}&g0.tab=1",
        "sum%28rate%28http_requests_total%7Bstatus%3D~%225..%22%7D%5B5m%5D%29%29+%3E+0.05"
    );
    assert_eq!(got["generatorURL"], want_url.as_str());
    assert_eq!(
        want_url,
        generator_url("http://grafana.example:3000/prometheus", expr)
    );

    let got_b = am
        .find("HighLatency")
        .await
        .expect("HighLatency in Alertmanager");
    assert_eq!(got_b["labels"]["cluster"], "own");
    assert_eq!(got_b["labels"]["replica"], "a");
}

#[tokio::test]
async fn resolved_alerts_leave_the_active_list() {
    let am = Alertmanager::start().await;
    let notifier = Notifier::new(config(std::slice::from_ref(&am.url))).unwrap();
    let fired = now_ms() - 120_000;
    let a = firing("RedisMemoryHigh", &[("instance", "redis-1")], fired);
    let report = notifier
        .send(std::slice::from_ref(&a), |_| String::new())
        .await;
    assert!(report.success(), "{report:?}");
    let got = am
        .find("RedisMemoryHigh")
        .await
        .expect("firing alert present");
    assert_eq!(got["status"]["state"], "active");
    assert!(got.get("generatorURL").is_none() || got["generatorURL"] == "");

    // Resolved one second ago: endsAt in the past.
    let mut resolved = a.clone();
    resolved.state = AlertState::Inactive;
    resolved.resolved_at_ms = Some(now_ms() - 1_000);
    let report = notifier
        .send(std::slice::from_ref(&resolved), |_| String::new())
        .await;
    assert!(report.success(), "{report:?}");
    assert!(
        am.find("RedisMemoryHigh").await.is_none(),
        "resolved alert still listed: {:?}",
        am.alerts().await
    );
    // Still known to Alertmanager, as resolved, through the groups API? No: v2 groups also
    // filter resolved alerts. It is enough that it left the active list.
}

#[tokio::test]
async fn one_alertmanager_down_is_still_success_and_reported() {
    let am = Alertmanager::start().await;
    let down = down_url();
    let notifier = Notifier::new(config(&[am.url.clone(), down.clone()])).unwrap();
    let alerts = vec![firing("HealthScoreLow", &[], now_ms() - 5_000)];
    let report = notifier.send(&alerts, |_| String::new()).await;
    assert!(report.success(), "{report:?}");
    assert_eq!(report.sent, vec![true]);
    assert_eq!(report.alertmanagers.len(), 2);
    assert!(report.alertmanagers[0].ok());
    let bad = &report.alertmanagers[1];
    assert!(!bad.ok());
    assert_eq!(bad.url, format!("{down}/api/v2/alerts"));
    assert_eq!(bad.batches, 1);
    assert_eq!(bad.batches_ok, 0);
    assert_eq!(bad.requests, 3, "1 attempt + 2 retries");
    assert_eq!(bad.errors.len(), 3);
    assert_eq!(report.errors().len(), 3);
    assert!(am.find("HealthScoreLow").await.is_some());
}

#[tokio::test]
async fn all_alertmanagers_down_marks_nothing_sent() {
    let notifier = Notifier::new(config(&[down_url(), down_url()])).unwrap();
    let alerts: Vec<Alert> = (0..3)
        .map(|i| firing("RateLimiterHits", &[("i", &i.to_string())], now_ms()))
        .collect();
    let report = notifier.send(&alerts, |_| String::new()).await;
    assert!(!report.success());
    assert_eq!(report.sent, vec![false; 3]);
    assert_eq!(report.sent_count(), 0);
    assert_eq!(report.unsent(), vec![0, 1, 2]);
    assert!(report
        .alertmanagers
        .iter()
        .all(|a| !a.ok() && a.requests == 3));
}

#[tokio::test]
async fn no_alertmanager_configured_sends_nothing() {
    let notifier = Notifier::new(NotifierConfig::default()).unwrap();
    assert!(!notifier.has_alertmanagers());
    let report = notifier
        .send(&[firing("X", &[], now_ms())], |_| String::new())
        .await;
    assert_eq!(report.sent, vec![false]);
    assert!(report.alertmanagers.is_empty());
    let empty = notifier.send(&[], |_| String::new()).await;
    assert!(empty.success());
}

#[tokio::test]
async fn basic_auth_bearer_and_path_prefix_are_sent() {
    let cap = Capture::start(&[]).await;
    let mut cfg = config(&[]);
    cfg.alertmanagers = vec![
        AlertmanagerTarget {
            basic_auth: Some(("alice".into(), "s3cr:et".into())),
            ..AlertmanagerTarget::new(format!("{}/am-basic", cap.url))
        },
        AlertmanagerTarget {
            bearer: Some("tok-123".into()),
            ..AlertmanagerTarget::new(format!("{}/am-bearer/", cap.url))
        },
        AlertmanagerTarget::new(format!(
            "http://bob:pw@{}/am-userinfo",
            cap.url.trim_start_matches("http://")
        )),
        AlertmanagerTarget::new(cap.url.clone()),
    ];
    let notifier = Notifier::new(cfg).unwrap();
    let report = notifier
        .send(&[firing("X", &[], now_ms())], |_| "http://g/x".into())
        .await;
    assert!(report.success(), "{report:?}");
    let reqs = cap.requests();
    assert_eq!(reqs.len(), 4);
    let by_path = |p: &str| {
        reqs.iter()
            .find(|r| r.path == p)
            .unwrap_or_else(|| panic!("no request to {p}: {reqs:?}"))
            .clone()
    };
    let basic = by_path("/am-basic/api/v2/alerts");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode("alice:s3cr:et");
    assert_eq!(
        basic.header("authorization"),
        Some(format!("Basic {b64}").as_str())
    );
    assert_eq!(basic.method, "POST");
    assert_eq!(basic.header("content-type"), Some("application/json"));
    assert!(basic
        .header("user-agent")
        .unwrap_or("")
        .starts_with("Lakewatch/"));
    let bearer = by_path("/am-bearer/api/v2/alerts");
    assert_eq!(bearer.header("authorization"), Some("Bearer tok-123"));
    let userinfo = by_path("/am-userinfo/api/v2/alerts");
    let b64 = base64::engine::general_purpose::STANDARD.encode("bob:pw");
    assert_eq!(
        userinfo.header("authorization"),
        Some(format!("Basic {b64}").as_str())
    );
    let plain = by_path("/api/v2/alerts");
    assert_eq!(plain.header("authorization"), None);
    // The body is a postableAlerts array in Prometheus's field order.
    let body = String::from_utf8(plain.body.clone()).unwrap();
    assert!(
        body.starts_with(r#"[{"annotations":{"summary":"X is firing"},"endsAt":""#),
        "{body}"
    );
    assert!(
        body.contains(r#"","generatorURL":"http://g/x","labels":{"alertname":"X"}}]"#),
        "{body}"
    );
}

#[tokio::test]
async fn batches_of_64_alerts() {
    let cap = Capture::start(&[]).await;
    let notifier = Notifier::new(config(std::slice::from_ref(&cap.url))).unwrap();
    let alerts: Vec<Alert> = (0..150)
        .map(|i| firing("TrafficSpike", &[("i", &format!("{i:03}"))], now_ms()))
        .collect();
    let report = notifier.send(&alerts, |_| String::new()).await;
    assert!(report.success());
    let reqs = cap.requests();
    let sizes: Vec<usize> = reqs.iter().map(|r| r.alerts().len()).collect();
    assert_eq!(sizes, vec![64, 64, 22]);
    let first_of_each: Vec<String> = reqs
        .iter()
        .map(|r| r.alerts()[0]["labels"]["i"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(first_of_each, vec!["000", "064", "128"]);
    assert_eq!(report.alertmanagers[0].batches, 3);
    assert_eq!(report.alertmanagers[0].alerts_accepted, 150);

    // And a real Alertmanager takes all 150.
    let am = Alertmanager::start().await;
    let notifier = Notifier::new(config(std::slice::from_ref(&am.url))).unwrap();
    assert!(notifier.send(&alerts, |_| String::new()).await.success());
    let listed = am.alerts().await;
    assert_eq!(
        listed
            .iter()
            .filter(|a| a["labels"]["alertname"] == "TrafficSpike")
            .count(),
        150
    );
}

#[tokio::test]
async fn failed_batches_are_retried_and_partial_failure_is_per_alert() {
    // 500 then 200: one retry, success.
    let cap = Capture::start(&[500]).await;
    let notifier = Notifier::new(config(std::slice::from_ref(&cap.url))).unwrap();
    let report = notifier
        .send(&[firing("X", &[], now_ms())], |_| String::new())
        .await;
    assert!(report.success(), "{report:?}");
    assert_eq!(report.alertmanagers[0].requests, 2);
    assert_eq!(report.alertmanagers[0].errors.len(), 1);
    assert!(
        report.alertmanagers[0].errors[0].contains("500"),
        "{report:?}"
    );

    // 400 is not retried.
    let cap = Capture::start(&[400]).await;
    let notifier = Notifier::new(config(std::slice::from_ref(&cap.url))).unwrap();
    let report = notifier
        .send(&[firing("X", &[], now_ms())], |_| String::new())
        .await;
    assert!(!report.success());
    assert_eq!(report.alertmanagers[0].requests, 1);
    assert!(
        report.alertmanagers[0].errors[0].contains("400"),
        "{report:?}"
    );

    // Second batch fails on every attempt: only its alerts are unsent.
    let cap = Capture::start(&[200, 503, 503, 503]).await;
    let mut cfg = config(std::slice::from_ref(&cap.url));
    cfg.max_batch = 2;
    let notifier = Notifier::new(cfg).unwrap();
    let alerts: Vec<Alert> = (0..5)
        .map(|i| firing("X", &[("i", &i.to_string())], now_ms()))
        .collect();
    let report = notifier.send(&alerts, |_| String::new()).await;
    assert_eq!(report.sent, vec![true, true, false, false, true]);
    assert_eq!(report.unsent(), vec![2, 3]);
    // Third batch: one attempt only after a batch exhausted its retries (here it succeeds).
    assert_eq!(report.alertmanagers[0].requests, 1 + 3 + 1);
}

#[tokio::test]
async fn queue_capacity_drops_the_oldest_alerts() {
    let cap = Capture::start(&[]).await;
    let mut cfg = config(std::slice::from_ref(&cap.url));
    cfg.queue_capacity = 5;
    let notifier = Notifier::new(cfg).unwrap();
    let alerts: Vec<Alert> = (0..8)
        .map(|i| firing("X", &[("i", &i.to_string())], now_ms()))
        .collect();
    let report = notifier
        .send_indexed(&alerts, |i, _| format!("http://g/{i}"))
        .await;
    assert_eq!(report.dropped, 3);
    assert_eq!(
        report.sent,
        vec![false, false, false, true, true, true, true, true]
    );
    let body = cap.requests()[0].alerts();
    assert_eq!(body.len(), 5);
    assert_eq!(body[0]["labels"]["i"], "3");
    assert_eq!(body[0]["generatorURL"], "http://g/3");
}

/// Oracle: real Prometheus (Debian 2.42) sends an alert to the capture server; our body for the
/// same alert has the same keys in the same order, the same labels, annotations,
/// `generatorURL`, auth header and path, and the same time format.
#[tokio::test]
async fn body_matches_what_real_prometheus_sends() {
    if std::env::var("LAKEWATCH_E2E_SKIP_PROMETHEUS").as_deref() == Ok("1") {
        eprintln!("LAKEWATCH_E2E_SKIP_PROMETHEUS=1: skipped");
        return;
    }
    let found = Command::new("prometheus")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "Debian's `prometheus` is required (sudo apt-get install -y --no-install-recommends prometheus; \
         tests/run.sh installs it), or set LAKEWATCH_E2E_SKIP_PROMETHEUS=1"
    );
    let cap = Capture::start(&[]).await;
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "lakewatch-prom-notifier-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cap_host = cap.url.trim_start_matches("http://").to_string();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{evaluation_interval: 1s, external_labels: {{cluster: eu-1, severity: ext}}}}\n\
             rule_files: [rules.yml]\n\
             alerting:\n  alertmanagers:\n  - path_prefix: /pfx\n    basic_auth: {{username: alice, password: pw}}\n    \
             static_configs: [{{targets: ['{cap_host}']}}]\n"
        ),
    )
    .unwrap();
    let expr = r#"vector(1) > 0"#;
    std::fs::write(
        dir.join("rules.yml"),
        format!(
            "groups:\n- name: g\n  interval: 1s\n  rules:\n  - alert: AlwaysOn\n    expr: '{expr}'\n    \
             labels: {{severity: page}}\n    annotations: {{summary: 'always on'}}\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("prom.log")).unwrap();
    let mut child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--web.external-url=http://prom.example:9090/base/")
        .arg("--rules.alert.resend-delay=1s")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    let mut theirs = None;
    for _ in 0..150 {
        if let Some(r) = cap.requests().into_iter().next() {
            theirs = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut debug = String::new();
    if theirs.is_none() {
        for api in ["alerts", "alertmanagers", "rules"] {
            let url = format!("http://127.0.0.1:{port}/base/api/v1/{api}");
            if let Ok(r) = reqwest::Client::new().get(url).send().await {
                debug.push_str(&r.text().await.unwrap_or_default());
                debug.push('\n');
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let prom_log = std::fs::read_to_string(dir.join("prom.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let theirs = theirs
        .unwrap_or_else(|| panic!("Prometheus sent no alert within 15 s:\n{debug}\n{prom_log}"));

    // Our request for the equivalent alert.
    let cap2 = Capture::start(&[]).await;
    let mut cfg = config(&[]);
    cfg.alertmanagers = vec![AlertmanagerTarget {
        basic_auth: Some(("alice".into(), "pw".into())),
        ..AlertmanagerTarget::new(format!("{}/pfx", cap2.url))
    }];
    cfg.external_labels = Labels::from_pairs([("cluster", "eu-1"), ("severity", "ext")]);
    cfg.external_url = "http://prom.example:9090/base".into();
    let notifier = Notifier::new(cfg).unwrap();
    let their_alert = &theirs.alerts()[0];
    let ms = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let mut a = firing(
        "AlwaysOn",
        &[("severity", "page")],
        ms(&their_alert["startsAt"]),
    );
    a.annotations = Labels::from_pairs([("summary", "always on")]);
    a.valid_until_ms = Some(ms(&their_alert["endsAt"]));
    let report = notifier.send(&[a], |_| notifier.generator_url(expr)).await;
    assert!(report.success(), "{report:?}");
    let ours = cap2.requests().remove(0);

    assert_eq!(ours.path, theirs.path);
    assert_eq!(ours.method, theirs.method);
    assert_eq!(ours.header("authorization"), theirs.header("authorization"));
    assert_eq!(ours.header("content-type"), theirs.header("content-type"));
    let their_body = String::from_utf8(theirs.body.clone()).unwrap();
    let our_body = String::from_utf8(ours.body.clone()).unwrap();
    assert_eq!(our_body, their_body, "ours vs Prometheus's body");
}

#[tokio::test]
async fn alerts_unsent_while_alertmanager_is_down_are_delivered_later() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let notifier = Notifier::new(config(std::slice::from_ref(&url))).unwrap();
    let alerts = vec![
        firing("ErrorBurst", &[("app", "checkout")], now_ms() - 10_000),
        firing("ErrorBurst", &[("app", "cart")], now_ms() - 10_000),
    ];
    let report = notifier.send(&alerts, |_| String::new()).await;
    assert_eq!(report.unsent(), vec![0, 1], "{report:?}");
    assert!(report.errors()[0].contains(&url), "{report:?}");

    // The caller kept them (nothing marked sent); the next invocation delivers them.
    let am = Alertmanager::start_on(port).await;
    let report = notifier.send(&alerts, |_| String::new()).await;
    assert!(report.success(), "{report:?}");
    let apps: Vec<String> = am
        .alerts()
        .await
        .iter()
        .filter(|a| a["labels"]["alertname"] == "ErrorBurst")
        .map(|a| a["labels"]["app"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(apps.len(), 2, "{apps:?}");
}

#[tokio::test]
async fn a_hanging_alertmanager_is_cut_off_by_the_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut cfg = config(std::slice::from_ref(&url));
    cfg.alertmanagers[0].timeout = Duration::from_millis(300);
    cfg.retries = 1;
    let notifier = Notifier::new(cfg).unwrap();
    let started = std::time::Instant::now();
    let report = notifier
        .send(&[firing("X", &[], now_ms())], |_| String::new())
        .await;
    let took = started.elapsed();
    assert!(!report.success());
    assert_eq!(report.alertmanagers[0].requests, 2);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        report.alertmanagers[0].errors[0]
            .to_lowercase()
            .contains("timed out")
            || report.alertmanagers[0].errors[0]
                .to_lowercase()
                .contains("timeout"),
        "{report:?}"
    );
}
