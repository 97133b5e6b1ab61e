//! TraceQL (Tempo's trace query language): AST ([`ast`]), lexer ([`lexer`]), recursive-descent
//! parser ([`parse`]) with Tempo-style errors, and a canonical printer (`Display` on [`Query`]).
//! No evaluation yet. Grammar and behaviour follow Tempo's `pkg/traceql/expr.y` and `lexer.go`
//! (see `docs/traceql.md`); no Tempo code was copied.

pub mod ast;
mod builder;
mod display;
pub mod lexer;
pub mod parser;

pub use ast::*;
pub use parser::{parse, parse_identifier, ParseError};
