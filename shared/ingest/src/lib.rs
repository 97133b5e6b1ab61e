//! Ingest: remote write 1.0/2.0 and OTLP metrics decoding and the ingest handlers.
