//! [`MetricsBatch`] → remote write 1.0 bytes, for the demo traffic generator, benchmarks and
//! tests. Histograms are encoded in the float form (`count_float`, absolute `*_counts`).

use super::{histogram, proto};
use lakewatch_model::{MetricType, MetricsBatch};
use prost::Message;

fn metric_type(t: MetricType) -> proto::MetricType {
    match t {
        MetricType::Unknown => proto::MetricType::Unknown,
        MetricType::Counter => proto::MetricType::Counter,
        MetricType::Gauge => proto::MetricType::Gauge,
        MetricType::Histogram => proto::MetricType::Histogram,
        MetricType::Gaugehistogram => proto::MetricType::Gaugehistogram,
        MetricType::Summary => proto::MetricType::Summary,
        MetricType::Info => proto::MetricType::Info,
        MetricType::Stateset => proto::MetricType::Stateset,
    }
}

fn labels(l: &lakewatch_model::Labels) -> Vec<proto::Label> {
    l.iter()
        .map(|l| proto::Label {
            name: l.name.clone(),
            value: l.value.clone(),
        })
        .collect()
}

/// The `WriteRequest` message for a batch (labels sorted, as the spec requires).
pub fn write_request(batch: &MetricsBatch) -> proto::WriteRequest {
    proto::WriteRequest {
        timeseries: batch
            .series
            .iter()
            .map(|s| proto::TimeSeries {
                labels: labels(&s.labels),
                samples: s
                    .samples
                    .iter()
                    .map(|x| proto::Sample {
                        value: x.value,
                        timestamp: x.timestamp_ms,
                    })
                    .collect(),
                exemplars: s
                    .exemplars
                    .iter()
                    .map(|e| proto::Exemplar {
                        labels: labels(&e.labels),
                        value: e.value,
                        timestamp: e.timestamp_ms,
                    })
                    .collect(),
                histograms: s
                    .histograms
                    .iter()
                    .map(|(t, h)| histogram::from_float(*t, h))
                    .collect(),
            })
            .collect(),
        metadata: batch
            .metadata
            .iter()
            .map(|m| proto::MetricMetadata {
                r#type: metric_type(m.metric_type) as i32,
                metric_family_name: m.metric_family_name.clone(),
                help: m.help.clone(),
                unit: m.unit.clone(),
            })
            .collect(),
    }
}

/// Snappy (block format) compressed protobuf `WriteRequest`: the body of a remote write 1.0
/// POST (`Content-Encoding: snappy`, `Content-Type: application/x-protobuf`).
pub fn encode_v1(batch: &MetricsBatch) -> Vec<u8> {
    snappy_compress(&write_request(batch).encode_to_vec())
}

/// Snappy block-format compression of an already encoded message (e.g. a v2 `Request`).
pub fn snappy_compress(raw: &[u8]) -> Vec<u8> {
    // Compression of an in-memory buffer only fails for inputs over ~4 GiB.
    snap::raw::Encoder::new()
        .compress_vec(raw)
        .unwrap_or_default()
}
