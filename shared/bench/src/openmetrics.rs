//! Writes a [`Dataset`] as an OpenMetrics text file for
//! `promtool tsdb create-blocks-from openmetrics`: families contiguous, each series' samples
//! in time order on consecutive lines, timestamps in seconds, `# EOF` at the end.

use crate::gen::{Dataset, Kind};
use std::io::{BufWriter, Write};
use std::path::Path;

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes `d` to `path`; returns the file size in bytes.
pub fn write(d: &Dataset, path: &Path) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for f in &d.families {
        let ty = match f.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        writeln!(w, "# TYPE {} {ty}", f.name)?;
        writeln!(w, "# HELP {} {}", f.name, f.help)?;
        for &i in &f.series {
            let s = &d.series[i];
            let name = s.labels.metric_name().unwrap_or("");
            let labels: Vec<String> = s
                .labels
                .iter()
                .filter(|l| l.name != lakewatch_model::labels::METRIC_NAME)
                .map(|l| format!("{}=\"{}\"", l.name, escape(&l.value)))
                .collect();
            let head = format!("{name}{{{}}}", labels.join(","));
            for x in &s.samples {
                let t = x.timestamp_ms;
                writeln!(
                    w,
                    "{head} {} {}.{:03}",
                    x.value,
                    t.div_euclid(1000),
                    t.rem_euclid(1000)
                )?;
            }
        }
    }
    writeln!(w, "# EOF")?;
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}
