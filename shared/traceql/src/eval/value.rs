//! Runtime values of TraceQL expressions (Tempo's `traceql.Static`).

use crate::ast::{Kind, Status};

/// A TraceQL runtime value. Durations are **nanoseconds**.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent attribute.
    Nil,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Nanoseconds.
    Duration(i64),
    Status(Status),
    Kind(Kind),
    /// Array attribute values (OTLP `ArrayValue` of one type).
    Array(Vec<Value>),
}
