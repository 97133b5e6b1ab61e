//! Engine unit tests on small in-memory loads (the conformance files are run by
//! `tests/conformance.rs`).

use crate::{selection_hints, Engine, EngineOptions, MemStorage, QueryError, Value};
use lakewatch_model::{Labels, Sample, TimeSeries, STALE_NAN_BITS};

fn series(pairs: &[(&str, &str)], pts: &[(i64, f64)]) -> TimeSeries {
    TimeSeries {
        labels: Labels::from_pairs(pairs.iter().copied()),
        samples: pts
            .iter()
            .map(|&(t, v)| Sample {
                timestamp_ms: t,
                value: v,
            })
            .collect(),
        ..Default::default()
    }
}

/// `http_requests_total{job="a"|"b"}` counting up by 10/min (a) and 20/min (b) for 30 minutes.
fn storage() -> MemStorage {
    let mut s = MemStorage::new();
    for (job, inc) in [("a", 10.0), ("b", 20.0)] {
        let pts: Vec<(i64, f64)> = (0..=30).map(|i| (i * 60_000, i as f64 * inc)).collect();
        s.append(series(
            &[("__name__", "http_requests_total"), ("job", job)],
            &pts,
        ));
    }
    s
}

fn vector(v: &Value) -> Vec<(String, f64)> {
    match v {
        Value::Vector(v) => {
            let mut out: Vec<_> = v.iter().map(|s| (s.labels.to_string(), s.value)).collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        }
        other => panic!("expected vector, got {other:?}"),
    }
}

#[test]
fn rate_sum_and_name_dropping() {
    let e = Engine::default();
    let r = e
        .instant_query(
            "sum by (job) (rate(http_requests_total[5m]))",
            600_000,
            &storage(),
        )
        .unwrap();
    let v = vector(&r.value);
    assert_eq!(v.len(), 2);
    assert!((v[0].1 - 10.0 / 60.0).abs() < 1e-9, "{v:?}");
    assert!((v[1].1 - 20.0 / 60.0).abs() < 1e-9, "{v:?}");
    let r = e
        .instant_query("http_requests_total * 2", 600_000, &storage())
        .unwrap();
    assert_eq!(vector(&r.value)[0].0, "{job=\"a\"}");
}

#[test]
fn range_query_matches_instant_queries() {
    let e = Engine::default();
    let s = storage();
    for q in [
        "rate(http_requests_total[3m])",
        "max_over_time(http_requests_total[2m:30s])",
        "http_requests_total offset 1m / on(job) group_left http_requests_total",
        "topk(1, http_requests_total) or vector(time())",
    ] {
        let r = e.range_query(q, 300_000, 900_000, 60_000, &s).unwrap();
        let Value::Matrix(m) = r.value else {
            panic!("expected matrix")
        };
        for t in (300_000..=900_000).step_by(60_000) {
            let inst = vector(&e.instant_query(q, t, &s).unwrap().value);
            let mut from_range: Vec<(String, f64)> = m
                .iter()
                .filter_map(|rs| {
                    rs.floats
                        .iter()
                        .find(|p| p.0 == t)
                        .map(|p| (rs.labels.to_string(), p.1))
                })
                .collect();
            from_range.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(inst, from_range, "{q} at {t}");
        }
    }
}

#[test]
fn staleness_marker_ends_series() {
    let mut s = MemStorage::new();
    s.append(series(
        &[("__name__", "m")],
        &[(0, 1.0), (60_000, f64::from_bits(STALE_NAN_BITS))],
    ));
    let e = Engine::default();
    assert_eq!(
        vector(&e.instant_query("m", 30_000, &s).unwrap().value).len(),
        1
    );
    assert!(vector(&e.instant_query("m", 90_000, &s).unwrap().value).is_empty());
}

#[test]
fn errors() {
    let e = Engine::default();
    assert!(matches!(
        e.instant_query("sum(", 0, &storage()),
        Err(QueryError::Parse(_))
    ));
    let small = Engine::new(EngineOptions {
        max_samples: 10,
        ..Default::default()
    });
    match small.instant_query("http_requests_total[30m]", 1_800_000, &storage()) {
        Err(QueryError::Execution(m)) => assert!(m.contains("too many samples"), "{m}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        e.range_query("http_requests_total[5m]", 0, 60_000, 15_000, &storage()),
        Err(QueryError::Execution(_))
    ));
}

#[test]
fn hints_cover_lookback_range_offset_and_subqueries() {
    let o = EngineOptions::default();
    let h = selection_hints("rate(foo[5m] offset 1m)", 1_000_000, 2_000_000, &o).unwrap();
    assert_eq!(
        (h[0].mint_ms, h[0].maxt_ms),
        (1_000_000 - 360_000, 2_000_000 - 60_000)
    );
    let h = selection_hints("foo @ 500", 1_000_000, 2_000_000, &o).unwrap();
    assert_eq!((h[0].mint_ms, h[0].maxt_ms), (500_000 - 300_000, 500_000));
    let h = selection_hints(
        "max_over_time(rate(foo[1m])[10m:1m])",
        1_000_000,
        1_000_000,
        &o,
    )
    .unwrap();
    assert_eq!(
        (h[0].mint_ms, h[0].maxt_ms),
        (1_000_000 - 660_000, 1_000_000)
    );
    assert_eq!(h[0].matchers.len(), 1);
}

/// Rough timing of a dashboard-style range query (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn perf_dashboard_range_query() {
    let mut s = MemStorage::new();
    for i in 0..500 {
        let pts: Vec<(i64, f64)> = (0..1440)
            .map(|k| (k * 15_000, (k * (i % 7 + 1)) as f64))
            .collect();
        let job = format!("job{}", i % 10);
        let inst = format!("i{i}");
        s.append(series(
            &[
                ("__name__", "req_total"),
                ("job", &job),
                ("instance", &inst),
            ],
            &pts,
        ));
    }
    let e = Engine::default();
    for q in [
        "sum by (job) (rate(req_total[5m]))",
        "req_total / on(job, instance) req_total",
        "histogram_quantile(0.9, sum by (le) (rate(req_total[5m])))",
    ] {
        let t0 = std::time::Instant::now();
        let r = e.range_query(q, 0, 21_585_000, 15_000, &s).unwrap();
        println!("{q}: {:?} ({} samples)", t0.elapsed(), r.samples_loaded);
    }
}

#[test]
fn hints_include_info_series() {
    let o = EngineOptions::default();
    let h = selection_hints("info(up, {version=~\".+\"})", 600_000, 600_000, &o).unwrap();
    assert_eq!(h.len(), 2);
    let names: Vec<_> = h[1]
        .matchers
        .iter()
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    assert!(
        names.contains(&("__name__".into(), "target_info".into())),
        "{names:?}"
    );
    assert_eq!((h[1].mint_ms, h[1].maxt_ms), (300_000, 600_000));
}
