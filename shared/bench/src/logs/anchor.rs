//! An anchor for the at-rest figure: the same log lines as one plain newline-separated file
//! compressed with zstd (levels 3 and 9, streaming, in generation order), i.e. what
//! `zstd app.log` would keep. It shows how compressible the generated data is at all (random
//! trace ids alone are 16 bytes of entropy per ~260-byte line).

use super::gen::{LogsGen, LogsSpec};
use std::io::Write;

/// Counts bytes written to it.
#[derive(Default)]
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `(zstd level, compressed bytes)` of the lines of `spec` (one `\n` after each line).
/// Errors: the encoder fails (as text).
pub fn zstd_file_sizes(spec: &LogsSpec, levels: &[i32]) -> Result<Vec<(i32, u64)>, String> {
    let mut encs = Vec::new();
    for &l in levels {
        encs.push(zstd::stream::Encoder::new(Counter::default(), l).map_err(|e| e.to_string())?);
    }
    for batch in LogsGen::new(spec.clone()) {
        // Lines in time order, as a log file has them.
        let mut entries: Vec<_> = batch.streams.iter().flat_map(|s| &s.entries).collect();
        entries.sort_by_key(|e| e.timestamp_ns);
        let mut buf = Vec::with_capacity(batch.line_bytes() + entries.len());
        for e in entries {
            buf.extend_from_slice(e.line.as_bytes());
            buf.push(b'\n');
        }
        for enc in &mut encs {
            enc.write_all(&buf).map_err(|e| e.to_string())?;
        }
    }
    let mut out = Vec::new();
    for (enc, &l) in encs.into_iter().zip(levels) {
        let c = enc.finish().map_err(|e| e.to_string())?;
        out.push((l, c.0));
    }
    Ok(out)
}
