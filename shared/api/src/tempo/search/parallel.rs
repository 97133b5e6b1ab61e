//! Spreading per-trace work over the machine's cores: contiguous chunks of the traces on
//! tokio's blocking threads, results in trace order, and the first error in trace order
//! (each chunk stops at its own first error), exactly what a sequential loop would return.

use std::sync::Arc;

/// Traces below which a single chunk is used (thread hand-off costs more than it saves).
const MIN_PARALLEL: usize = 256;

/// Worker threads to use: the available parallelism (1 when unknown).
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The closure run on each chunk.
pub(crate) type ChunkFn<T, R, E> = Arc<dyn Fn(Vec<T>) -> Result<Vec<R>, E> + Send + Sync>;

/// `f` applied to contiguous chunks of `items` (one per core) on blocking threads; the
/// chunks' outputs concatenated in item order. Errors: the first chunk error in item order;
/// a panic in `f` is resumed here (as a sequential loop would panic).
pub(crate) async fn map_chunks<T, R, E>(mut items: Vec<T>, f: ChunkFn<T, R, E>) -> Result<Vec<R>, E>
where
    T: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    let n = threads().min(items.len() / MIN_PARALLEL).max(1);
    if n == 1 {
        return f(items);
    }
    let per = items.len().div_ceil(n);
    let mut chunks = Vec::with_capacity(n);
    while items.len() > per {
        let tail = items.split_off(per);
        chunks.push(std::mem::replace(&mut items, tail));
    }
    chunks.push(items);
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|c| {
            let f = f.clone();
            tokio::task::spawn_blocking(move || f(c))
        })
        .collect();
    let mut out = Vec::new();
    let mut first_err = None;
    for h in handles {
        let r = match h.await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match r {
            Ok(v) if first_err.is_none() => out.extend(v),
            Ok(_) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Items per hand-off between the stages of [`pipeline`].
const BLOCK: usize = 512;

/// Feeds `build(item)` for every item, **in item order**, to `consume` (which may keep
/// state, e.g. an order-sensitive aggregation): with several cores, building runs on one
/// blocking thread, consuming on another and dropping the consumed values on a third.
/// Errors: the first `consume` error (nothing after it is consumed). The final state.
pub(crate) async fn pipeline<T, V, S, E, B, C>(
    items: Vec<T>,
    build: B,
    mut state: S,
    mut consume: C,
) -> Result<S, E>
where
    T: Send + 'static,
    V: Send + 'static,
    S: Send + 'static,
    E: Send + 'static,
    B: Fn(T) -> V + Send + 'static,
    C: FnMut(&mut S, &V) -> Result<(), E> + Send + 'static,
{
    if threads() < 2 || items.len() < MIN_PARALLEL {
        for it in items {
            consume(&mut state, &build(it))?;
        }
        return Ok(state);
    }
    let (built_tx, built_rx) = std::sync::mpsc::sync_channel::<Vec<V>>(4);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Vec<V>>(4);
    let producer = tokio::task::spawn_blocking(move || {
        let mut items = items.into_iter();
        loop {
            let block: Vec<V> = items.by_ref().take(BLOCK).map(&build).collect();
            if block.is_empty() || built_tx.send(block).is_err() {
                break;
            }
        }
    });
    let dropper = tokio::task::spawn_blocking(move || for _ in done_rx {});
    let consumer = tokio::task::spawn_blocking(move || {
        for block in built_rx {
            for v in &block {
                consume(&mut state, v)?;
            }
            // A closed dropper only means the values are dropped here.
            let _ = done_tx.send(block);
        }
        Ok(state)
    });
    let out = consumer.await;
    for h in [producer, dropper] {
        if let Err(e) = h.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    match out {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct E(String);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn order_and_first_error_as_sequential() {
        let items: Vec<u32> = (0..10_000).collect();
        let f: ChunkFn<u32, u32, E> =
            Arc::new(|c: Vec<u32>| Ok(c.into_iter().filter(|x| x % 3 == 0).collect()));
        let got = map_chunks(items.clone(), f).await.unwrap();
        let want: Vec<u32> = items.iter().copied().filter(|x| x % 3 == 0).collect();
        assert_eq!(got, want);
        let f: ChunkFn<u32, u32, E> = Arc::new(|c| {
            for x in c {
                if x == 7_000 || x == 9_000 {
                    return Err(E(format!("bad {x}")));
                }
            }
            Ok(Vec::new())
        });
        assert_eq!(map_chunks(items, f).await, Err(E("bad 7000".into())));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pipeline_consumes_in_order_and_stops_at_first_error() {
        let items: Vec<u64> = (0..5_000).collect();
        let seen = pipeline(
            items.clone(),
            |x| x * 2,
            Vec::new(),
            |s: &mut Vec<u64>, v| {
                s.push(*v);
                Ok::<(), E>(())
            },
        )
        .await
        .unwrap();
        assert_eq!(seen, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let r = pipeline(
            items,
            |x| x,
            0u64,
            |n: &mut u64, v| {
                if *v == 3_000 {
                    return Err(E(format!("bad at {n}")));
                }
                *n += 1;
                Ok(())
            },
        )
        .await;
        assert_eq!(r, Err(E("bad at 3000".into())));
    }
}
