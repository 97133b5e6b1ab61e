//! Log (streams) queries, as Loki's `readStreams` over its merge iterator: entries in
//! `[start, end)` merged across streams in the query direction (equal timestamps ordered by
//! label string), `interval` thinning, at most `limit` entries, grouped into streams by
//! their final label set, streams sorted by label string.

use super::extract::{count_read, to_matchers};
use super::source::{self, View};
use super::{Direction, EvalError, EvalStats, LogSource, QueryParams, ResultEntry, ResultStream};
use crate::ast::LogExpr;
use crate::pipeline::{Pipeline, Processed};
use lakewatch_model::Labels;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::Rc;

/// The next entry of one stream after the pipeline, waiting in the merge heap.
struct Head {
    ts: i64,
    key: Rc<str>,
    labels: Rc<Labels>,
    stream: usize,
    pos: usize,
    processed: Processed,
    forward: bool,
}

impl Head {
    /// Loki's merge order: timestamp in the query direction, then label string ascending,
    /// then stream, then storage order in the direction.
    fn order(&self, o: &Self) -> Ordering {
        let by_ts = if self.forward {
            self.ts.cmp(&o.ts)
        } else {
            o.ts.cmp(&self.ts)
        };
        let by_pos = if self.forward {
            self.pos.cmp(&o.pos)
        } else {
            o.pos.cmp(&self.pos)
        };
        by_ts
            .then_with(|| self.key.cmp(&o.key))
            .then_with(|| self.stream.cmp(&o.stream))
            .then(by_pos)
    }
}

impl PartialEq for Head {
    fn eq(&self, o: &Self) -> bool {
        self.order(o) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Head {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the next entry to return.
    fn cmp(&self, o: &Self) -> Ordering {
        o.order(self)
    }
}

/// Per-stream read state: next position and the last label set seen (its string is reused).
struct Cursor {
    next: Option<usize>,
    last: Option<(Rc<Labels>, Rc<str>)>,
    /// Line filters only: the last structured metadata seen and what the pipeline made of
    /// it (labels do not depend on the line then), so entries with the same metadata reuse it.
    fast: Option<FastLabels>,
}

/// An entry's labels under a pipeline of line filters only, for one metadata set.
struct FastLabels {
    /// The stored structured metadata.
    input: Labels,
    /// The pipeline's structured metadata (collisions renamed) and parsed labels.
    structured_metadata: Labels,
    parsed: Labels,
    labels: Rc<Labels>,
    key: Rc<str>,
}

struct Merge<'a, 's> {
    streams: Vec<View<'s>>,
    cursors: Vec<Cursor>,
    pipeline: Pipeline,
    /// The pipeline has line filters only.
    filters_only: bool,
    forward: bool,
    start_ns: i64,
    end_ns: i64,
    stats: &'a mut EvalStats,
}

impl Merge<'_, '_> {
    /// The next entry of stream `si` (in the direction) that is in range and passes the
    /// pipeline.
    fn advance(&mut self, si: usize) -> Option<Head> {
        loop {
            let pos = self.cursors[si].next?;
            let stream = &self.streams[si];
            self.cursors[si].next = if self.forward {
                (pos + 1 < stream.entries.len()).then_some(pos + 1)
            } else {
                pos.checked_sub(1)
            };
            let e = &stream.entries[pos];
            if e.timestamp_ns < self.start_ns || e.timestamp_ns >= self.end_ns {
                continue;
            }
            count_read(self.stats, &e.line, &e.structured_metadata);
            if self.filters_only {
                // Line filters only: test the line before building anything; labels come
                // from the stream and metadata alone, computed once per metadata set.
                if !self.pipeline.test_line(&e.line) {
                    continue;
                }
                let cursor = &mut self.cursors[si];
                let cached = matches!(&cursor.fast, Some(f) if f.input == e.structured_metadata);
                if !cached {
                    let Some(p) = self.pipeline.process(
                        e.timestamp_ns,
                        &e.line,
                        stream.labels,
                        &e.structured_metadata,
                    ) else {
                        continue;
                    };
                    let labels = p.labels();
                    cursor.fast = Some(FastLabels {
                        input: e.structured_metadata.clone(),
                        key: Rc::from(labels.to_string()),
                        labels: Rc::new(labels),
                        structured_metadata: p.structured_metadata,
                        parsed: p.parsed,
                    });
                }
                let Some(f) = &cursor.fast else { continue };
                self.stats.post_filter_lines += 1;
                return Some(Head {
                    ts: e.timestamp_ns,
                    key: f.key.clone(),
                    labels: f.labels.clone(),
                    stream: si,
                    pos,
                    processed: Processed {
                        line: e.line.clone(),
                        structured_metadata: f.structured_metadata.clone(),
                        parsed: f.parsed.clone(),
                        ..Processed::default()
                    },
                    forward: self.forward,
                });
            }
            let Some(p) = self.pipeline.process(
                e.timestamp_ns,
                &e.line,
                stream.labels,
                &e.structured_metadata,
            ) else {
                continue;
            };
            self.stats.post_filter_lines += 1;
            let labels = p.labels();
            let cursor = &mut self.cursors[si];
            let (labels, key) = match &cursor.last {
                Some((l, k)) if **l == labels => (l.clone(), k.clone()),
                _ => {
                    let k: Rc<str> = Rc::from(labels.to_string());
                    let l = Rc::new(labels);
                    cursor.last = Some((l.clone(), k.clone()));
                    (l, k)
                }
            };
            return Some(Head {
                ts: e.timestamp_ns,
                key,
                labels,
                stream: si,
                pos,
                processed: p,
                forward: self.forward,
            });
        }
    }
}

/// Evaluates a log query, lazily: entries are run through the pipeline only until `limit`
/// entries are chosen.
pub(crate) fn eval_logs(
    log: &LogExpr,
    params: &QueryParams,
    source: &dyn LogSource,
    stats: &mut EvalStats,
) -> Result<Vec<ResultStream>, EvalError> {
    let matchers = to_matchers(&log.selector)?;
    let pipeline = Pipeline::new(&log.pipeline)?;
    let forward = params.direction == Direction::Forward;
    let selected = source::select(source, &matchers, params.start_ns, params.end_ns);
    let streams = selected.views();
    let cursors = streams
        .iter()
        .map(|s| Cursor {
            next: match (s.entries.len(), forward) {
                (0, _) => None,
                (_, true) => Some(0),
                (n, false) => Some(n - 1),
            },
            last: None,
            fast: None,
        })
        .collect();
    let n = streams.len();
    let mut merge = Merge {
        streams,
        cursors,
        filters_only: pipeline.line_filters_only(),
        pipeline,
        forward,
        start_ns: params.start_ns,
        end_ns: params.end_ns,
        stats,
    };
    let mut heap = BinaryHeap::with_capacity(n);
    if params.limit > 0 {
        for si in 0..n {
            if let Some(h) = merge.advance(si) {
                heap.push(h);
            }
        }
    }
    let interval = params.interval_ns;
    let mut last: Option<i64> = None;
    let mut taken = 0usize;
    let mut out: BTreeMap<Rc<str>, ResultStream> = BTreeMap::new();
    while taken < params.limit {
        let Some(head) = heap.pop() else { break };
        if let Some(next) = merge.advance(head.stream) {
            heap.push(next);
        }
        let keep = match (interval, last) {
            (0, _) | (_, None) => true,
            (i, Some(l)) if forward => head.ts >= l + i,
            (i, Some(l)) => head.ts <= l - i,
        };
        if !keep {
            continue;
        }
        last = Some(head.ts);
        taken += 1;
        out.entry(head.key)
            .or_insert_with(|| ResultStream {
                labels: Rc::unwrap_or_clone(head.labels),
                entries: Vec::new(),
            })
            .entries
            .push(ResultEntry {
                timestamp_ns: head.ts,
                line: head.processed.line,
                structured_metadata: head.processed.structured_metadata,
                parsed: head.processed.parsed,
            });
    }
    merge.stats.entries_returned = taken as u64;
    Ok(out.into_values().collect())
}

/// Regroups a streams result for the `categorize-labels` encoding, as Loki's
/// `CategorizeLabelsIterator`: a stream's labels are the entries' labels minus their
/// structured metadata and parsed labels; entries keep their categories and the query
/// direction's order; streams are sorted by label string.
pub fn categorize_streams(streams: &[ResultStream], direction: Direction) -> Vec<ResultStream> {
    let mut out: BTreeMap<String, ResultStream> = BTreeMap::new();
    for s in streams {
        for e in &s.entries {
            let stream_labels = lakewatch_model::Labels::from_pairs(
                s.labels
                    .iter()
                    .filter(|l| {
                        e.structured_metadata.get(&l.name).is_none()
                            && e.parsed.get(&l.name).is_none()
                    })
                    .map(|l| (l.name.clone(), l.value.clone())),
            );
            out.entry(stream_labels.to_string())
                .or_insert_with(|| ResultStream {
                    labels: stream_labels,
                    entries: Vec::new(),
                })
                .entries
                .push(e.clone());
        }
    }
    let mut out: Vec<ResultStream> = out.into_values().collect();
    for s in &mut out {
        match direction {
            Direction::Forward => s.entries.sort_by_key(|e| e.timestamp_ns),
            Direction::Backward => s.entries.sort_by_key(|e| std::cmp::Reverse(e.timestamp_ns)),
        }
    }
    out
}
