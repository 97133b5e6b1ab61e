//! Trace-by-id latency over the compacted store: `TracesReader::trace_by_id` of random traces
//! of the generated data (a uniform sample, [`super::gen::TracesTotals::sample`]), no time
//! range (as Tempo's `/api/traces/<id>` without `start`/`end`), wall clock per lookup. Every
//! answer is checked: the trace's span count must be what was generated.

use super::gen::TraceRef;
use crate::query::Timing;
use crate::rng::Rng;
use lakewatch_model::TenantId;
use lakewatch_storage::CountingStore;
use lakewatch_storage::{Store, TracesReader};
use std::time::{Duration, Instant};

/// Lookup latency and checks.
#[derive(Debug, Clone, Default)]
pub struct LookupResult {
    /// Wall ms per timed lookup (one warm-up lookup is not timed).
    pub timing: Timing,
    /// Lookups whose span count differed from the generated trace's.
    pub wrong: usize,
    pub first_wrong: Option<String>,
    /// Object GETs and bytes read per timed lookup (mean).
    pub gets: f64,
    pub bytes: f64,
}

/// Looks up up to `lookups` random traces of `sample` (after one warm-up), stopping once the
/// timed lookups took `budget`. Errors: a failed read, as text.
pub fn trace_by_id(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    counting: &CountingStore,
    sample: &[TraceRef],
    lookups: usize,
    budget: Duration,
    seed: u64,
) -> Result<LookupResult, String> {
    if sample.is_empty() {
        return Err("no traces generated".into());
    }
    let reader = TracesReader::new(store.clone());
    let tenant = TenantId::anonymous();
    let mut rng = Rng::new(seed ^ 0x6c6f_6f6b_7570);
    let mut out = LookupResult::default();
    let started = Instant::now();
    for i in 0..=lookups.max(1) {
        let t = sample[rng.below(sample.len() as u64) as usize];
        counting.take();
        let s = Instant::now();
        let rs = rt
            .block_on(reader.trace_by_id(&tenant, &t.id, None, None))
            .map_err(|e| format!("trace_by_id: {e}"))?;
        let ms = s.elapsed().as_secs_f64() * 1000.0;
        let got = super::gen::span_count(&rs);
        if got != t.spans {
            out.wrong += 1;
            out.first_wrong.get_or_insert_with(|| {
                let hex: String = t.id.iter().map(|b| format!("{b:02x}")).collect();
                format!("trace {hex}: {got} spans, want {}", t.spans)
            });
        }
        let (gets, bytes) = counting.take();
        if i > 0 {
            out.timing.runs.push(ms);
            out.gets += gets as f64;
            out.bytes += bytes as f64;
            if started.elapsed() > budget {
                break;
            }
        }
    }
    let n = out.timing.runs.len().max(1) as f64;
    out.gets /= n;
    out.bytes /= n;
    Ok(out)
}
