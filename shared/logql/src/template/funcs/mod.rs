//! The functions Loki registers for `line_format`/`label_format` (`pkg/logql/log/fmt.go`
//! `functionMap` plus the Sprig subset it copies), each with the Go/Sprig semantics.

use std::sync::{Arc, OnceLock};

use gotmpl::{FuncMap, Value};

use super::value::FnResult;

mod index;
mod math;
mod print;
mod strings;
mod text;
mod time;

pub(crate) use index::set_root;
pub(crate) use time::{set_current, CURRENT_LINE_FN, CURRENT_TS_FN};

/// Name of the hidden function appended to every printing action: prints like Go's `fmt`.
pub(crate) const PRINT_FN: &str = "__lakewatch_print__";

/// The functions `text/template` itself defines (gotmpl's built-ins).
pub(crate) const GO_BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "call", "print", "printf", "println", "eq", "ne",
    "lt", "le", "gt", "ge", "html", "js", "urlquery",
];

pub(crate) fn add(
    m: &mut FuncMap,
    name: &str,
    f: impl Fn(&[Value]) -> FnResult + Send + Sync + 'static,
) {
    m.insert(name.to_string(), Arc::new(f));
}

/// Every Loki template function plus [`PRINT_FN`], built once.
pub(crate) fn loki_funcs() -> &'static FuncMap {
    static FUNCS: OnceLock<FuncMap> = OnceLock::new();
    FUNCS.get_or_init(|| {
        let mut m = FuncMap::new();
        strings::register(&mut m);
        text::register(&mut m);
        math::register(&mut m);
        time::register(&mut m);
        print::register(&mut m);
        index::register(&mut m);
        add(&mut m, PRINT_FN, |args| {
            let mut out = String::new();
            if let Some(v) = args.last() {
                super::value::go_print(v, &mut out);
            }
            Ok(Value::String(out.into()))
        });
        m
    })
}

/// Whether `name` is callable in a Loki template.
pub(crate) fn is_defined(name: &str) -> bool {
    GO_BUILTINS.contains(&name) || (name != PRINT_FN && loki_funcs().contains_key(name))
}
