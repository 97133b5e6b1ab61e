//! Parse-time work on the template tree that Go's `text/template` does and the engine does not:
//! rejecting undefined functions (`template: line:1: function "foo" not defined`), and finding
//! the labels a template reads (Loki's `RequiredLabelNames`), so that a missing label reads as
//! `""` (Loki parses with `missingkey=zero` over a `map[string]string`).
//!
//! It also rewrites every printing action `{{ p }}` into `{{ p | __lakewatch_print__ }}` so that
//! values print as Go's `fmt` prints them (`1e+06`, `map[a:b]`).

use std::collections::BTreeSet;

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode, SmolStr};

use super::funcs::{is_defined, CURRENT_LINE_FN, CURRENT_TS_FN, PRINT_FN};

/// What a template reads.
#[derive(Debug, Default, Clone)]
pub(crate) struct Usage {
    /// Label names read as `.name`, `$.name` or `index . "name"`.
    pub fields: BTreeSet<String>,
    /// Whether the whole label map is used (`.` or `$` as a value: `range .`, `{{ . }}`…).
    pub whole_dot: bool,
    /// Whether `__line__` is called.
    pub line: bool,
    /// Whether `__timestamp__` is called.
    pub timestamp: bool,
}

/// Walks `list`, collecting [`Usage`]; the first undefined function is an error in Go's words.
pub(crate) fn analyze(list: &ListNode, name: &str, usage: &mut Usage) -> Result<(), String> {
    for node in &list.nodes {
        match node {
            Node::List(l) => analyze(l, name, usage)?,
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
            Node::Action(a) => pipe(&a.pipe, name, usage)?,
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                pipe(&b.pipe, name, usage)?;
                analyze(&b.body, name, usage)?;
                if let Some(e) = &b.else_body {
                    analyze(e, name, usage)?;
                }
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    pipe(p, name, usage)?;
                }
            }
            Node::Define(d) => analyze(&d.body, name, usage)?,
        }
    }
    Ok(())
}

fn pipe(p: &PipeNode, name: &str, usage: &mut Usage) -> Result<(), String> {
    for cmd in &p.commands {
        if let [Expr::Identifier(_, f), Expr::Dot(_), Expr::String(_, key), ..] =
            cmd.args.as_slice()
        {
            if f == "index" {
                usage.fields.insert(key.to_string());
            }
        }
        for arg in &cmd.args {
            expr(arg, name, usage)?;
        }
    }
    Ok(())
}

fn expr(e: &Expr, name: &str, usage: &mut Usage) -> Result<(), String> {
    match e {
        Expr::Dot(_) => usage.whole_dot = true,
        Expr::Field(_, idents) => {
            if let Some(first) = idents.first() {
                usage.fields.insert(first.to_string());
            }
        }
        Expr::Variable(_, var, idents) => {
            if var == "$" {
                match idents.first() {
                    Some(first) => {
                        usage.fields.insert(first.to_string());
                    }
                    None => usage.whole_dot = true,
                }
            }
        }
        Expr::Identifier(pos, f) => {
            if !is_defined(f) {
                return Err(format!(
                    "template: {name}:{}: function {:?} not defined",
                    pos.line,
                    f.as_str()
                ));
            }
            usage.line |= f == CURRENT_LINE_FN;
            usage.timestamp |= f == CURRENT_TS_FN;
        }
        Expr::Pipe(_, p) => pipe(p, name, usage)?,
        Expr::Chain(_, inner, _) => expr(inner, name, usage)?,
        Expr::String(..) | Expr::Number(..) | Expr::Bool(..) | Expr::Nil(_) => {}
    }
    Ok(())
}

/// Appends the Go-style printer to every action that prints (not to `{{ $x := … }}`).
pub(crate) fn rewrite_printing(list: &mut ListNode) {
    for node in &mut list.nodes {
        match node {
            Node::List(l) => rewrite_printing(l),
            Node::Action(a) if a.pipe.decl.is_empty() => {
                let pos = a.pipe.pos;
                a.pipe.commands.push(CommandNode {
                    pos,
                    args: vec![Expr::Identifier(pos, SmolStr::new(PRINT_FN))],
                });
            }
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                rewrite_printing(&mut b.body);
                if let Some(e) = &mut b.else_body {
                    rewrite_printing(e);
                }
            }
            Node::Define(d) => rewrite_printing(&mut d.body),
            _ => {}
        }
    }
}

/// The label name when the template is exactly `{{ .name }}` (Loki's `simpleKey` fast path).
pub(crate) fn simple_key(list: &ListNode) -> Option<String> {
    let [Node::Action(a)] = list.nodes.as_slice() else {
        return None;
    };
    if !a.pipe.decl.is_empty() {
        return None;
    }
    let [cmd] = a.pipe.commands.as_slice() else {
        return None;
    };
    match cmd.args.as_slice() {
        [Expr::Field(_, idents)] if idents.len() == 1 => Some(idents[0].to_string()),
        _ => None,
    }
}

/// Go's block-structure checks, which the engine's parser leaves out: `{{end}}`/`{{else}}`
/// outside a block (`unexpected {{end}}`), a block left open (`unexpected EOF`), and
/// `{{break}}`/`{{continue}}` outside `{{range}}`.
pub(crate) fn check_structure(src: &str, name: &str) -> Result<(), String> {
    check_structure_with(src, name, &|_, _| None)
}

/// `check_structure` with a further check of every action: `action(text, word)` gets
/// the action's text after `{{` and spaces (up to `}}`) and its first word (`if`, `end`, a
/// function name, or `""`), and returns the error text (without the `template: NAME:LINE: `
/// prefix, which is added) for an action Go's parser rejects. Errors: `template: NAME:LINE:
/// msg` (1-based line of the action's `{{`).
pub fn check_structure_with(
    src: &str,
    name: &str,
    action: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<(), String> {
    let b = src.as_bytes();
    let line_at = |i: usize| 1 + b[..i.min(b.len())].iter().filter(|c| **c == b'\n').count();
    let err = |i: usize, msg: &str| Err(format!("template: {name}:{}: {msg}", line_at(i)));
    let mut stack: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(off) = src[i..].find("{{") {
        let start = i + off;
        let mut j = start + 2;
        if b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let word_len = b[j..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let word = &src[j..j + word_len];
        // Skip to the closing delimiter, stepping over comments and quoted text.
        let mut k = j + word_len;
        if src[j..].starts_with("/*") {
            k = match src[j + 2..].find("*/") {
                Some(e) => j + 2 + e + 2,
                None => return Ok(()), // the engine reports unclosed comments
            };
        }
        loop {
            match b.get(k) {
                None => return Ok(()), // the engine reports unclosed actions
                Some(b'}') if b.get(k + 1) == Some(&b'}') => break,
                Some(q @ (b'"' | b'`' | b'\'')) => {
                    let q = *q;
                    k += 1;
                    while let Some(&c) = b.get(k) {
                        if c == b'\\' && q != b'`' {
                            k += 2;
                            continue;
                        }
                        k += 1;
                        if c == q {
                            break;
                        }
                    }
                }
                _ => k += 1,
            }
        }
        if let Some(e) = action(src.get(j..k).unwrap_or(""), word) {
            return err(start, &e);
        }
        match word {
            "if" | "range" | "with" | "define" | "block" => stack.push(word),
            "end" if stack.pop().is_none() => return err(start, "unexpected {{end}}"),
            "else" if stack.is_empty() => return err(start, "unexpected {{else}}"),
            "break" | "continue" => {
                let in_range = stack
                    .iter()
                    .rev()
                    .take_while(|w| !matches!(**w, "define" | "block"))
                    .any(|w| *w == "range");
                if !in_range {
                    return err(start, &format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
            }
            _ => {}
        }
        i = k + 2;
    }
    if !stack.is_empty() {
        return err(src.len(), "unexpected EOF");
    }
    Ok(())
}

/// What [`check_variables_with`] checks beyond Go's scoping of `$variables`.
#[derive(Clone, Copy)]
pub struct VarRules<'a> {
    /// `$x = …` on an undeclared `$x` declares it (the Go that Prometheus is built with
    /// records both `:=` and `=` as declarations; the assignment fails only at run time);
    /// `false` fails it with `undefined variable "$x"` (Loki's behaviour).
    pub assign_declares: bool,
    /// When set, a called identifier for which it returns `false` fails with
    /// `function "f" not defined` (LogQL checks functions in its own pass instead).
    pub is_function: Option<&'a dyn Fn(&str) -> bool>,
}

/// Loki's rules: no function check, `$x = …` needs a declared `$x`.
const LOKI_VARS: VarRules<'static> = VarRules {
    assign_declares: false,
    is_function: None,
};

/// Go's parse-time check that every `$variable` is declared in scope
/// (`undefined variable "$x"`).
pub(crate) fn check_variables(
    list: &ListNode,
    name: &str,
    scope: &mut Vec<String>,
) -> Result<(), String> {
    check_variables_with(list, name, scope, &LOKI_VARS)
}

/// Go's parse-time check that every `$variable` of `list` is declared in scope (`scope` holds
/// the names visible at the start, e.g. `["$"]`), with `rules`. Errors:
/// `template: NAME:LINE: undefined variable "$x"`, `template: NAME:LINE: function "f" not
/// defined`.
pub fn check_variables_with(
    list: &ListNode,
    name: &str,
    scope: &mut Vec<String>,
    rules: &VarRules<'_>,
) -> Result<(), String> {
    let mark = scope.len();
    for node in &list.nodes {
        match node {
            Node::List(l) => check_variables_with(l, name, scope, rules)?,
            Node::Action(a) => {
                pipe_vars(&a.pipe, name, scope, rules)?;
                declare(&a.pipe, name, scope, rules)?;
            }
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                let inner = scope.len();
                pipe_vars(&b.pipe, name, scope, rules)?;
                declare(&b.pipe, name, scope, rules)?;
                check_variables_with(&b.body, name, scope, rules)?;
                if let Some(e) = &b.else_body {
                    check_variables_with(e, name, scope, rules)?;
                }
                scope.truncate(inner);
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    pipe_vars(p, name, scope, rules)?;
                }
            }
            Node::Define(d) => {
                check_variables_with(&d.body, name, &mut vec!["$".to_string()], rules)?
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
    scope.truncate(mark);
    Ok(())
}

fn declare(
    p: &PipeNode,
    name: &str,
    scope: &mut Vec<String>,
    rules: &VarRules<'_>,
) -> Result<(), String> {
    for v in &p.decl {
        if p.is_assign && !rules.assign_declares {
            if !scope.iter().any(|s| s == v.as_str()) {
                return Err(format!(
                    "template: {name}:{}: undefined variable {:?}",
                    p.pos.line,
                    v.as_str()
                ));
            }
        } else {
            scope.push(v.to_string());
        }
    }
    Ok(())
}

fn pipe_vars(
    p: &PipeNode,
    name: &str,
    scope: &mut Vec<String>,
    rules: &VarRules<'_>,
) -> Result<(), String> {
    for cmd in &p.commands {
        for arg in &cmd.args {
            expr_vars(arg, name, scope, rules)?;
        }
    }
    Ok(())
}

fn expr_vars(
    e: &Expr,
    name: &str,
    scope: &mut Vec<String>,
    rules: &VarRules<'_>,
) -> Result<(), String> {
    match e {
        Expr::Identifier(pos, f) if rules.is_function.is_some_and(|is_fn| !is_fn(f)) => {
            return Err(format!(
                "template: {name}:{}: function {:?} not defined",
                pos.line,
                f.as_str()
            ));
        }
        Expr::Variable(pos, v, _) if !scope.iter().any(|s| s == v.as_str()) => {
            return Err(format!(
                "template: {name}:{}: undefined variable {:?}",
                pos.line,
                v.as_str()
            ));
        }
        Expr::Pipe(_, p) => {
            let mark = scope.len();
            pipe_vars(p, name, scope, rules)?;
            declare(p, name, scope, rules)?;
            scope.truncate(mark);
        }
        Expr::Chain(_, inner, _) => expr_vars(inner, name, scope, rules)?,
        _ => {}
    }
    Ok(())
}
