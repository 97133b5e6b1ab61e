//! `RulesStore` on `memory://` and `file://` stores: set/get/list/delete, concurrent writers,
//! namespaces with odd characters, `load_dir` with the example rule files and an invalid file.

use std::path::PathBuf;

use lakewatch_model::TenantId;
use lakewatch_ruler::rules::{parse_rule_group, ExprLanguage};
use lakewatch_ruler::store::{RulesStore, RulesStoreError};
use lakewatch_ruler::RuleGroup;
use lakewatch_storage::Store;

const P: ExprLanguage = ExprLanguage::PromQL;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lakewatch-rules-store-{}-{}-{}",
        name,
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stores(name: &str) -> Vec<RulesStore> {
    let dir = temp_dir(name);
    vec![
        RulesStore::new(Store::from_url("memory://").unwrap()),
        RulesStore::new(Store::from_url(&format!("file://{}", dir.display())).unwrap()),
    ]
}

fn group(name: &str, record: &str) -> RuleGroup {
    parse_rule_group(
        &format!("name: {name}\nrules:\n  - record: {record}\n    expr: sum(up)\n"),
        P,
    )
    .unwrap()
}

fn tenant(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}

#[tokio::test]
async fn set_get_list_delete() {
    for rs in stores("crud") {
        let t = tenant("team-a");
        assert!(rs.list(&t, P).await.unwrap().is_empty());
        rs.set_group(&t, P, "ns1", group("g1", "a:b"))
            .await
            .unwrap();
        rs.set_group(&t, P, "ns1", group("g2", "c:d"))
            .await
            .unwrap();
        rs.set_group(&t, P, "ns2", group("g1", "e:f"))
            .await
            .unwrap();
        // Replacing keeps the position.
        rs.set_group(&t, P, "ns1", group("g1", "x:y"))
            .await
            .unwrap();
        let all = rs.list(&t, P).await.unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["ns1", "ns2"]);
        let ns1 = &all["ns1"];
        assert_eq!(
            ns1.groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>(),
            ["g1", "g2"]
        );
        assert_eq!(ns1.groups[0].rules[0].record.as_deref(), Some("x:y"));
        assert_eq!(
            rs.get_group(&t, P, "ns2", "g1").await.unwrap(),
            Some(group("g1", "e:f"))
        );
        assert_eq!(rs.get_group(&t, P, "ns2", "nope").await.unwrap(), None);
        // Other tenants and the other language see nothing.
        assert!(rs.list(&tenant("team-b"), P).await.unwrap().is_empty());
        assert!(rs.list(&t, ExprLanguage::LogQL).await.unwrap().is_empty());

        assert!(rs.delete_group(&t, P, "ns1", "g1").await.unwrap());
        assert!(!rs.delete_group(&t, P, "ns1", "g1").await.unwrap());
        assert!(!rs.delete_group(&t, P, "nope", "g1").await.unwrap());
        assert!(rs.delete_group(&t, P, "ns1", "g2").await.unwrap());
        // An emptied namespace is gone.
        assert_eq!(rs.get_namespace(&t, P, "ns1").await.unwrap(), None);
        assert_eq!(rs.list(&t, P).await.unwrap().len(), 1);
        assert!(rs.delete_namespace(&t, P, "ns2").await.unwrap());
        assert!(!rs.delete_namespace(&t, P, "ns2").await.unwrap());
        assert!(rs.list(&t, P).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn odd_namespace_names_round_trip() {
    for rs in stores("names") {
        let t = tenant("anonymous");
        for ns in ["a/b", "50% off", "ünïcode ns", "x.y-z_1", "%2F"] {
            rs.set_group(&t, P, ns, group("g", "a:b")).await.unwrap();
        }
        let all = rs.list(&t, P).await.unwrap();
        let mut want = vec!["a/b", "50% off", "ünïcode ns", "x.y-z_1", "%2F"];
        want.sort();
        assert_eq!(all.keys().map(String::as_str).collect::<Vec<_>>(), want);
        assert!(rs.get_namespace(&t, P, "a/b").await.unwrap().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_set_group_loses_nothing() {
    for rs in stores("concurrent") {
        let t = tenant("anonymous");
        let mut tasks = Vec::new();
        for w in 0..4 {
            let rs = rs.clone();
            let t = t.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..5 {
                    rs.set_group(&t, P, "shared", group(&format!("w{w}-g{i}"), "a:b"))
                        .await
                        .unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let ns = rs.get_namespace(&t, P, "shared").await.unwrap().unwrap();
        assert_eq!(ns.groups.len(), 20, "{:?}", rs.store().url());
    }
}

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules")
}

#[tokio::test]
async fn load_dir_examples() {
    for rs in stores("load") {
        let t = TenantId::anonymous();
        let loaded = rs.load_dir(&t, P, &examples_dir()).await.unwrap();
        assert_eq!(loaded, ["ai-gateway-alerts", "ai-gateway-recording"]);
        let all = rs.list(&t, P).await.unwrap();
        assert_eq!(all["ai-gateway-alerts"].rule_count(), 8);
        assert_eq!(all["ai-gateway-recording"].rule_count(), 6);
        let logs = rs
            .load_dir(&t, ExprLanguage::LogQL, &examples_dir().join("logs"))
            .await
            .unwrap();
        assert_eq!(logs, ["ai-gateway-log-alerts"]);
        let all = rs.list(&t, ExprLanguage::LogQL).await.unwrap();
        assert_eq!(all["ai-gateway-log-alerts"].rule_count(), 4);
        assert_eq!(
            all["ai-gateway-log-alerts"].groups[0].language,
            ExprLanguage::LogQL
        );
    }
}

#[tokio::test]
async fn load_dir_invalid_file_names_file_and_error() {
    let dir = temp_dir("invalid");
    std::fs::write(
        dir.join("good.yml"),
        "groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: sum(up)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bad.yaml"),
        "groups:\n  - name: g\n    rules:\n      - alert: HighErrorRate\n        expr: sum(up\n",
    )
    .unwrap();
    std::fs::write(dir.join("README.md"), "not a rule file").unwrap();
    let rs = RulesStore::new(Store::memory());
    let t = TenantId::anonymous();
    let err = rs.load_dir(&t, P, &dir).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RulesStoreError::InvalidFile { .. }), "{msg}");
    assert!(
        msg.starts_with(&format!("{}: ", dir.join("bad.yaml").display())),
        "{msg}"
    );
    assert!(
        msg.contains("group \"g\", rule 1, \"HighErrorRate\": could not parse expression"),
        "{msg}"
    );
    // Nothing was stored.
    assert!(rs.list(&t, P).await.unwrap().is_empty());
    // A missing directory is an error naming it.
    let missing = dir.join("missing");
    let err = rs.load_dir(&t, P, &missing).await.unwrap_err();
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

/// A moto_server child process on a free 127.0.0.1 port with one bucket, killed on drop.
struct Moto {
    child: std::process::Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// None when `moto_server` is not installed (`pip install 'moto[server]'`).
    fn start(bucket: &str) -> Option<Moto> {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let moto = Moto { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        assert!(
            resp.starts_with("HTTP/1.1 200"),
            "bucket creation failed: {resp}"
        );
        Some(moto)
    }
}

/// The conditional-update path (`PutMode::Update` with the e-tag) against a real S3 API.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_moto_conditional_updates() {
    let Some(moto) = Moto::start("lakewatch-rules") else {
        eprintln!("NOTICE: moto_server unavailable; skipping the S3 variant");
        return;
    };
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var(
        "LAKEWATCH_S3_ENDPOINT",
        format!("http://127.0.0.1:{}", moto.port),
    );
    let rs = RulesStore::new(Store::from_url("s3://lakewatch-rules/prefix").unwrap());
    let t = tenant("anonymous");
    let mut tasks = Vec::new();
    for w in 0..4 {
        let rs = rs.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                rs.set_group(&t, P, "a/b", group(&format!("w{w}-g{i}"), "a:b"))
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let all = rs.list(&t, P).await.unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["a/b"]);
    assert_eq!(all["a/b"].groups.len(), 20);
    assert!(rs.delete_group(&t, P, "a/b", "w0-g0").await.unwrap());
    assert_eq!(
        rs.get_namespace(&t, P, "a/b")
            .await
            .unwrap()
            .unwrap()
            .groups
            .len(),
        19
    );
    assert!(rs.delete_namespace(&t, P, "a/b").await.unwrap());
    assert!(rs.list(&t, P).await.unwrap().is_empty());
}
