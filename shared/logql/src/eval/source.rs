//! Reading a [`LogSource`] without copying: a [`MemSource`] is read in place (streams
//! filtered by matchers, entries sliced to the time range); other sources are asked to
//! `select` (owned copies).

use super::{LogSource, MemSource};
use lakewatch_model::{LabelMatcher, Labels, LogEntry, LogStream};

/// One selected stream: its labels and its entries in range, ascending by timestamp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub labels: &'a Labels,
    pub entries: &'a [LogEntry],
}

/// Selected streams, borrowed from a [`MemSource`] or owned.
pub(crate) enum Selected<'a> {
    Borrowed(Vec<View<'a>>),
    Owned(Vec<LogStream>),
}

impl Selected<'_> {
    /// The streams as views (non-empty, entries ascending).
    pub(crate) fn views(&self) -> Vec<View<'_>> {
        match self {
            Selected::Borrowed(v) => v.clone(),
            Selected::Owned(streams) => streams
                .iter()
                .map(|s| View {
                    labels: &s.labels,
                    entries: &s.entries,
                })
                .collect(),
        }
    }
}

fn ascending(entries: &[LogEntry]) -> bool {
    entries
        .windows(2)
        .all(|w| w[0].timestamp_ns <= w[1].timestamp_ns)
}

/// Streams matching `matchers` with their entries in `[start_ns, end_ns)`.
pub(crate) fn select<'a>(
    source: &'a dyn LogSource,
    matchers: &[LabelMatcher],
    start_ns: i64,
    end_ns: i64,
) -> Selected<'a> {
    if let Some(mem) = source.as_mem() {
        if let Some(views) = borrow(mem, matchers, start_ns, end_ns) {
            return Selected::Borrowed(views);
        }
    }
    let mut streams = source.select(matchers, start_ns, end_ns);
    for s in &mut streams {
        s.entries
            .retain(|e| e.timestamp_ns >= start_ns && e.timestamp_ns < end_ns);
        if !ascending(&s.entries) {
            s.entries.sort_by_key(|e| e.timestamp_ns);
        }
    }
    streams.retain(|s| !s.entries.is_empty());
    Selected::Owned(streams)
}

/// In-place views of `mem`; `None` if a matching stream is not sorted by time.
fn borrow<'a>(
    mem: &'a MemSource,
    matchers: &[LabelMatcher],
    start_ns: i64,
    end_ns: i64,
) -> Option<Vec<View<'a>>> {
    let mut out = Vec::new();
    for s in &mem.streams {
        if !matchers.iter().all(|m| m.matches_labels(&s.labels)) {
            continue;
        }
        if !ascending(&s.entries) {
            return None;
        }
        let lo = s.entries.partition_point(|e| e.timestamp_ns < start_ns);
        let hi = s.entries.partition_point(|e| e.timestamp_ns < end_ns);
        if lo < hi {
            out.push(View {
                labels: &s.labels,
                entries: &s.entries[lo..hi],
            });
        }
    }
    Some(out)
}
