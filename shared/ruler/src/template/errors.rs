//! Go's run-time error text: `template: __alert_X:1:115: executing "__alert_X" at
//! <humanize "one">: error calling humanize: …`. The engine reports no position, so the failing
//! call is looked up in the tree (the first call of the named function). Adapted from the logs
//! engine's mapping (`lakewatch_logql` template errors).

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode};

use super::format::{go_float, go_quote};
use super::funcs::ARG_TYPE;

/// Rewrites an engine error `msg` of the template `name` into Go's text.
pub(crate) fn go_exec_error(tree: &ListNode, source: &str, name: &str, msg: &str) -> String {
    let msg = msg.strip_prefix("execution error: ").unwrap_or(msg);
    if let Some(rest) = msg.strip_prefix(ARG_TYPE) {
        if let Some(e) = arg_type_error(tree, source, name, rest) {
            return e;
        }
    }
    let called = msg
        .strip_prefix("error calling ")
        .or_else(|| msg.strip_prefix("wrong number of args for "))
        .and_then(|rest| rest.split(':').next());
    if let Some(func) = called {
        if let Some(cmd) = best_call(tree, func, msg) {
            let whole_command = msg.starts_with("error calling ");
            let offset = cmd.args.first().map_or(cmd.pos.offset, |a| a.pos().offset);
            let context = if whole_command {
                command_text(cmd)
            } else {
                func.to_string()
            };
            return format!(
                "template: {}: executing {name:?} at <{}>: {msg}",
                location(source, name, offset),
                truncate(&context)
            );
        }
    }
    if msg == "nil is not a command" {
        if let Some(pos) = find_nil_command(tree) {
            return format!(
                "template: {}: executing {name:?} at <nil>: {msg}",
                location(source, name, pos)
            );
        }
    }
    if let Some(tname) = msg.strip_prefix("undefined template: ") {
        if let Some(pos) = find_template_call(tree, tname) {
            // Go's node position is the name's token, after `template`.
            let pos = source
                .get(pos..)
                .and_then(|r| r.find(['"', '`']))
                .map_or(pos, |d| pos + d);
            return format!(
                "template: {}: executing {name:?} at <{{{{template {}}}}}>: template {} not defined",
                location(source, name, pos),
                go_quote(tname),
                go_quote(tname)
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
                        return format!(
                            "template: {}: executing {name:?} at <{}>: {msg}",
                            location(source, name, last.pos().offset),
                            expr_text(last)
                        );
                    }
                }
            }
            return format!(
                "template: {}: executing {name:?} at <{}>: {msg}",
                location(source, name, field_offset(e)),
                truncate(&expr_text(e))
            );
        }
    }
    format!("template: {name}: {msg}")
}

/// Go's position of a field chain: its second element (`.app.x` is at `.x`), where the parser
/// turns the term into a chain.
fn field_offset(e: &Expr) -> usize {
    match e {
        Expr::Field(p, f) if f.len() > 1 => p.offset + 1 + f[0].len(),
        Expr::Variable(p, v, f) if !f.is_empty() => p.offset + v.len(),
        other => other.pos().offset,
    }
}

/// The first field access (`.a.b`, `$x.b`, `(…).b`) whose chain names `field`.
fn find_field<'a>(list: &'a ListNode, field: &str) -> Option<&'a Expr> {
    fn in_pipe<'a>(p: &'a PipeNode, field: &str) -> Option<&'a Expr> {
        p.commands
            .iter()
            .flat_map(|c| c.args.iter())
            .find_map(|a| in_expr(a, field))
    }
    fn in_expr<'a>(e: &'a Expr, field: &str) -> Option<&'a Expr> {
        match e {
            Expr::Field(_, f) | Expr::Variable(_, _, f) if f.iter().any(|x| x == field) => Some(e),
            Expr::Chain(_, inner, f) => {
                if f.iter().any(|x| x == field) {
                    Some(e)
                } else {
                    in_expr(inner, field)
                }
            }
            Expr::Pipe(_, p) => in_pipe(p, field),
            _ => None,
        }
    }
    list.nodes.iter().find_map(|n| match n {
        Node::List(l) => find_field(l, field),
        Node::Action(a) => in_pipe(&a.pipe, field),
        Node::If(b) | Node::Range(b) | Node::With(b) => in_pipe(&b.pipe, field)
            .or_else(|| find_field(&b.body, field))
            .or_else(|| b.else_body.as_ref().and_then(|e| find_field(e, field))),
        Node::Template(t) => t.pipe.as_ref().and_then(|p| in_pipe(p, field)),
        Node::Define(d) => find_field(&d.body, field),
        _ => None,
    })
}

/// Go's `ErrorContext` location: `NAME:LINE:COL` with a 0-based byte column.
fn location(source: &str, name: &str, offset: usize) -> String {
    let before = source.get(..offset).unwrap_or(source);
    let line = 1 + before.matches('\n').count();
    let col = match before.rfind('\n') {
        Some(i) => offset - (i + 1),
        None => offset,
    };
    format!("{name}:{line}:{col}")
}

/// Go (since 1.x) prints the whole node text as the context.
fn truncate(context: &str) -> String {
    context.to_string()
}

fn find_call<'a>(list: &'a ListNode, func: &str) -> Option<&'a CommandNode> {
    list.nodes.iter().find_map(|n| match n {
        Node::List(l) => find_call(l, func),
        Node::Action(a) => find_in_pipe(&a.pipe, func),
        Node::If(b) | Node::Range(b) | Node::With(b) => find_in_pipe(&b.pipe, func)
            .or_else(|| find_call(&b.body, func))
            .or_else(|| b.else_body.as_ref().and_then(|e| find_call(e, func))),
        Node::Template(t) => t.pipe.as_ref().and_then(|p| find_in_pipe(p, func)),
        Node::Define(d) => find_call(&d.body, func),
        _ => None,
    })
}

fn find_in_pipe<'a>(p: &'a PipeNode, func: &str) -> Option<&'a CommandNode> {
    p.commands.iter().find_map(|c| {
        if matches!(c.args.first(), Some(Expr::Identifier(_, f)) if f == func) {
            return Some(c);
        }
        c.args.iter().find_map(|a| match a {
            Expr::Pipe(_, inner) => find_in_pipe(inner, func),
            _ => None,
        })
    })
}

/// Go's `CommandNode.String()`.
fn command_text(c: &CommandNode) -> String {
    c.args.iter().map(expr_text).collect::<Vec<_>>().join(" ")
}

fn pipe_text(p: &PipeNode) -> String {
    let mut s = String::new();
    if !p.decl.is_empty() {
        let vars: Vec<&str> = p.decl.iter().map(|v| v.as_str()).collect();
        s.push_str(&vars.join(", "));
        s.push_str(if p.is_assign { " = " } else { " := " });
    }
    let cmds: Vec<String> = p.commands.iter().map(command_text).collect();
    s.push_str(&cmds.join(" | "));
    s
}

fn fields(f: &[gotmpl::parse::SmolStr]) -> String {
    f.iter().map(|x| format!(".{x}")).collect()
}

fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Dot(_) => ".".to_string(),
        Expr::Field(_, f) => fields(f),
        Expr::Variable(_, v, f) => format!("{v}{}", fields(f)),
        Expr::Identifier(_, name) => name.to_string(),
        Expr::String(_, s) => go_quote(s),
        Expr::Number(_, n) => match n {
            gotmpl::parse::Number::Int(i) => i.to_string(),
            gotmpl::parse::Number::Uint(u) => u.to_string(),
            gotmpl::parse::Number::Float(f) => go_float(*f),
        },
        Expr::Bool(_, b) => b.to_string(),
        Expr::Nil(_) => "nil".to_string(),
        Expr::Pipe(_, p) => format!("({})", pipe_text(p)),
        Expr::Chain(_, inner, f) => format!("{}{}", expr_text(inner), fields(f)),
    }
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
    Some(format!(
        "template: {}: executing {name:?} at <{}>: {msg}",
        location(source, name, offset),
        expr_text(node)
    ))
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
