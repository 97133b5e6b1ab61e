//! `StateStore` on `memory://` and `file://`: state round trip under odd namespace and group
//! names, conditional writes (a write on a stale read is a conflict where the backend supports
//! conditional updates), leases (one holder; an expired lease is taken over) and listing.

use std::time::Duration;

use lakewatch_model::TenantId;
use lakewatch_ruler::eval::GroupState;
use lakewatch_ruler::rules::ExprLanguage;
use lakewatch_ruler::state_store::{GroupKey, StateStore, StateStoreError};
use lakewatch_storage::Store;

fn stores(name: &str) -> Vec<(&'static str, Store)> {
    let dir = std::env::temp_dir().join(format!(
        "lakewatch-state-store-{name}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    vec![
        ("memory", Store::from_url("memory://").unwrap()),
        (
            "file",
            Store::from_url(&format!("file://{}", dir.display())).unwrap(),
        ),
    ]
}

fn key(ns: &str, group: &str) -> GroupKey {
    GroupKey {
        tenant: TenantId::new("team-a").unwrap(),
        language: ExprLanguage::PromQL,
        namespace: ns.to_string(),
        group: group.to_string(),
    }
}

fn state(last: i64) -> GroupState {
    GroupState {
        last_evaluation_ms: Some(last),
        interval_ms: 60_000,
        iterations_total: 3,
        ..Default::default()
    }
}

#[tokio::test]
async fn round_trip_list_and_delete() {
    for (name, store) in stores("round-trip") {
        let states = StateStore::new(store);
        let k = key("team/a b%", "group: 1");
        assert!(states.get(&k).await.unwrap().is_none(), "{name}");
        states.put(&k, None, &state(1_000)).await.unwrap();
        let got = states.get(&k).await.unwrap().unwrap();
        assert_eq!(got, state(1_000), "{name}");
        let other = key("ns", "g2");
        states.put(&other, None, &state(2_000)).await.unwrap();
        let mut groups = states
            .list_groups(&k.tenant, ExprLanguage::PromQL)
            .await
            .unwrap();
        groups.sort();
        assert_eq!(
            groups,
            vec![
                ("ns".to_string(), "g2".to_string()),
                ("team/a b%".to_string(), "group: 1".to_string())
            ],
            "{name}"
        );
        assert!(states
            .list_groups(&k.tenant, ExprLanguage::LogQL)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            states
                .list(&k.tenant, ExprLanguage::PromQL)
                .await
                .unwrap()
                .len(),
            2
        );
        states.delete(&k).await.unwrap();
        assert!(states.get(&k).await.unwrap().is_none(), "{name}");
    }
}

#[tokio::test]
async fn writes_are_conditional_on_the_state_read() {
    for (name, store) in stores("conditional") {
        let states = StateStore::new(store);
        let k = key("ns", "g");
        // Two invocations read "no state"; only the first create wins.
        states.put(&k, None, &state(1)).await.unwrap();
        let err = states.put(&k, None, &state(2)).await.unwrap_err();
        assert!(matches!(err, StateStoreError::Conflict(_)), "{name}: {err}");
        // Update on the version read.
        let read = states.get_versioned(&k).await.unwrap().unwrap();
        states.put(&k, Some(&read), &state(3)).await.unwrap();
        let second = states.put(&k, Some(&read), &state(4)).await;
        if name == "memory" {
            // Conditional updates: the stale read loses.
            assert!(
                matches!(second, Err(StateStoreError::Conflict(_))),
                "{name}: {second:?}"
            );
            assert_eq!(states.get(&k).await.unwrap().unwrap(), state(3));
        } else {
            // The local file system has no conditional updates: the lease serialises writers.
            second.unwrap();
        }
    }
}

#[tokio::test]
async fn one_lease_holder_and_expired_leases_are_taken_over() {
    for (name, store) in stores("lease") {
        let states = StateStore::new(store.clone());
        let k = key("ns", "g");
        let lease = states.try_acquire(&k).await.unwrap().expect("first lease");
        assert!(states.try_acquire(&k).await.unwrap().is_none(), "{name}");
        states.release(lease).await.unwrap();
        let lease = states
            .try_acquire(&k)
            .await
            .unwrap()
            .expect("after release");
        // A holder that never releases: a store with a short TTL takes the lease over.
        std::mem::forget(lease);
        let short = StateStore::new(store).with_lease_ttl(Duration::from_millis(1));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(
            short.try_acquire(&k).await.unwrap().is_some(),
            "{name}: expired lease not taken over"
        );
    }
}
