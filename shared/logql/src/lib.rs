//! LogQL (Loki's query language): AST, lexer, recursive-descent parser, canonical printer
//! ([`parse`]), the log [`pipeline`], Go templates for `line_format`/`label_format`
//! ([`template`]) and the evaluator ([`eval`]). Behaviour follows Loki (see `docs/logql.md`).

pub mod ast;
mod display;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod pipeline;
pub mod template;

pub use ast::*;
pub use eval::{evaluate, selections, EvalError, QueryParams, QueryResult};
pub use parser::{parse, ParseError};
pub use pipeline::{Pipeline, Processed};
