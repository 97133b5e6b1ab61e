//! TraceQL (Tempo's trace query language): AST ([`ast`]), lexer ([`lexer`]), recursive-descent
//! parser ([`parse`]) with Tempo-style errors, a canonical printer (`Display` on [`Query`]),
//! the spanset engine ([`eval`]: filters, structural operators, pipelines, `select`) and the
//! metrics engine ([`metrics`]: `rate()`, `*_over_time`, `compare`, `topk`…). Grammar and
//! behaviour follow Tempo's `pkg/traceql` (see `docs/traceql.md`); no Tempo code was copied.

pub mod ast;
mod builder;
mod display;
pub mod eval;
pub mod lexer;
pub mod metrics;
pub mod parser;

pub use ast::*;
pub use eval::{EvalError, MatchedSpan, SpansQuery, Spanset, TraceView, Value};
pub use metrics::{MetricsQuery, MetricsRange, Series};
pub use parser::{parse, parse_identifier, ParseError};
