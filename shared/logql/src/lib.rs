//! LogQL parser (Loki query language): AST, lexer, recursive-descent parser and a
//! canonical printer. Behaviour follows Loki's `pkg/logql/syntax` grammar (see
//! `docs/logql.md`). The engine is not implemented yet.

pub mod ast;
mod display;
pub mod lexer;
pub mod parser;

pub use ast::*;
pub use parser::{parse, ParseError};
