//! Go's run-time error text: `template: __alert_X:1:115: executing "__alert_X" at
//! <humanize "one">: error calling humanize: …`. The engine reports no position, so the failing
//! call is looked up in the tree (the first call of the named function). The tree helpers
//! are the LogQL templates' (`lakewatch_logql::template::errors`); this mapping differs from
//! Loki's on purpose: Prometheus's Go prints the whole node as the context (no 20-byte
//! cut), and it adds Prometheus's argument-type, `nil` command and undefined-template texts.

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode};

pub(crate) use lakewatch_logql::template::errors::go_parse_error;
use lakewatch_logql::template::errors::{
    call_site, called_function, executing_at, expr_text, field_offset, find_call, find_field,
};

use super::format::go_quote;
use super::funcs::ARG_TYPE;

/// Rewrites an engine error `msg` of the template `name` into Go's text.
pub(crate) fn go_exec_error(tree: &ListNode, source: &str, name: &str, msg: &str) -> String {
    let msg = msg.strip_prefix("execution error: ").unwrap_or(msg);
    if let Some(rest) = msg.strip_prefix(ARG_TYPE) {
        if let Some(e) = arg_type_error(tree, source, name, rest) {
            return e;
        }
    }
    if let Some(func) = called_function(msg) {
        if let Some(cmd) = best_call(tree, func, msg) {
            let (offset, context) = call_site(cmd, func, msg);
            return executing_at(source, name, offset, &context, msg);
        }
    }
    if msg == "nil is not a command" {
        if let Some(pos) = find_nil_command(tree) {
            return executing_at(source, name, pos, "nil", msg);
        }
    }
    if let Some(tname) = msg.strip_prefix("undefined template: ") {
        if let Some(pos) = find_template_call(tree, tname) {
            // Go's node position is the name's token, after `template`.
            let pos = source
                .get(pos..)
                .and_then(|r| r.find(['"', '`']))
                .map_or(pos, |d| pos + d);
            let quoted = go_quote(tname);
            return executing_at(
                source,
                name,
                pos,
                &format!("{{{{template {quoted}}}}}"),
                &format!("template {quoted} not defined"),
            );
        }
    }
    if let Some(field) = msg
        .strip_prefix("can't evaluate field ")
        .and_then(|r| r.split(' ').next())
    {
        if let Some(e) = find_field(tree, field) {
            // On a parenthesized pipeline Go is still at the last operand it evaluated.
            if let Expr::Chain(_, inner, _) = e {
                if let Expr::Pipe(_, p) = inner.as_ref() {
                    if let Some(last) = p.commands.last().and_then(|c| c.args.last()) {
                        return executing_at(
                            source,
                            name,
                            last.pos().offset,
                            &expr_text(last),
                            msg,
                        );
                    }
                }
            }
            return executing_at(source, name, field_offset(e), &expr_text(e), msg);
        }
    }
    format!("template: {name}: {msg}")
}

/// Offset of the name of the first `{{template "tname"}}` action.
fn find_template_call(list: &ListNode, tname: &str) -> Option<usize> {
    list.nodes.iter().find_map(|n| match n {
        Node::List(l) => find_template_call(l, tname),
        Node::If(b) | Node::Range(b) | Node::With(b) => {
            find_template_call(&b.body, tname).or_else(|| {
                b.else_body
                    .as_ref()
                    .and_then(|e| find_template_call(e, tname))
            })
        }
        Node::Template(t) if t.name == tname => Some(t.pos.offset),
        Node::Define(d) => find_template_call(&d.body, tname),
        _ => None,
    })
}

/// Go's error for an argument of the wrong type (`rest` is `|func|index|expected|got`):
/// a literal gives `expected string; found 1` / `can't handle 1 for arg of type T`, another
/// operand `wrong type for value; expected T; got U`, located at the operand (for a
/// parenthesized pipeline, at the last operand Go evaluated in it).
fn arg_type_error(tree: &ListNode, source: &str, name: &str, rest: &str) -> Option<String> {
    let mut parts = rest.trim_start_matches('|').splitn(4, '|');
    let (func, idx, expected, got) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let idx: usize = idx.parse().ok()?;
    let cmd = find_call(tree, func)?;
    let explicit = &cmd.args[1..];
    let wrong = if got == "<nil>" {
        format!("invalid value; expected {expected}")
    } else {
        format!("wrong type for value; expected {expected}; got {got}")
    };
    let (node, msg) = match explicit.get(idx) {
        Some(arg @ (Expr::Number(..) | Expr::String(..) | Expr::Bool(..))) => {
            let lit = expr_text(arg);
            let msg = if expected == "string" {
                format!("expected string; found {lit}")
            } else {
                format!("can't handle {lit} for arg of type {expected}")
            };
            (arg, msg)
        }
        Some(Expr::Pipe(_, p)) => {
            let last = p.commands.last().and_then(|c| c.args.last());
            (last.unwrap_or(&cmd.args[0]), wrong)
        }
        Some(arg) => (arg, wrong),
        // The piped value: Go is still at the last operand (or the function name).
        None => (explicit.last().unwrap_or(&cmd.args[0]), wrong),
    };
    let offset = match node {
        Expr::Field(..) | Expr::Variable(..) => field_offset(node),
        other => other.pos().offset,
    };
    Some(executing_at(source, name, offset, &expr_text(node), &msg))
}

/// The call of `func` that most likely failed with `msg`: among all its calls, the first whose
/// string operand appears in the message (`parseDuration "1h1d"` for `…: "1h1d"`), else the
/// first call.
fn best_call<'a>(list: &'a ListNode, func: &str, msg: &str) -> Option<&'a CommandNode> {
    let mut calls = Vec::new();
    all_calls(list, func, &mut calls);
    calls
        .iter()
        .copied()
        .find(|c| {
            c.args[1..].iter().any(|a| match a {
                Expr::String(_, s) => !s.is_empty() && msg.contains(&**s),
                _ => false,
            })
        })
        .or_else(|| calls.first().copied())
}

fn all_calls<'a>(list: &'a ListNode, func: &str, out: &mut Vec<&'a CommandNode>) {
    fn in_pipe<'a>(p: &'a PipeNode, func: &str, out: &mut Vec<&'a CommandNode>) {
        for c in &p.commands {
            if matches!(c.args.first(), Some(Expr::Identifier(_, f)) if f == func) {
                out.push(c);
            }
            for a in &c.args {
                match a {
                    Expr::Pipe(_, inner) => in_pipe(inner, func, out),
                    Expr::Chain(_, inner, _) => {
                        if let Expr::Pipe(_, p) = inner.as_ref() {
                            in_pipe(p, func, out);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for n in &list.nodes {
        match n {
            Node::List(l) => all_calls(l, func, out),
            Node::Action(a) => in_pipe(&a.pipe, func, out),
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                in_pipe(&b.pipe, func, out);
                all_calls(&b.body, func, out);
                if let Some(e) = &b.else_body {
                    all_calls(e, func, out);
                }
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    in_pipe(p, func, out);
                }
            }
            Node::Define(d) => all_calls(&d.body, func, out),
            _ => {}
        }
    }
}

/// Offset of the first command that is the literal `nil`.
fn find_nil_command(list: &ListNode) -> Option<usize> {
    fn in_pipe(p: &PipeNode) -> Option<usize> {
        p.commands.iter().find_map(|c| match c.args.as_slice() {
            [Expr::Nil(pos)] => Some(pos.offset),
            _ => None,
        })
    }
    list.nodes.iter().find_map(|n| match n {
        Node::List(l) => find_nil_command(l),
        Node::Action(a) => in_pipe(&a.pipe),
        Node::If(b) | Node::Range(b) | Node::With(b) => in_pipe(&b.pipe)
            .or_else(|| find_nil_command(&b.body))
            .or_else(|| b.else_body.as_ref().and_then(find_nil_command)),
        Node::Define(d) => find_nil_command(&d.body),
        _ => None,
    })
}
