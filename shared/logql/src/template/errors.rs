//! Go's run-time error text: `template: line:1:3: executing "line" at <substr -1 50 .msg>:
//! error calling substr: …`. The engine reports no position, so the failing call is looked up
//! in the tree (the first call of the named function).

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode};
use gotmpl::Value;

use super::value::go_print;

/// Rewrites an engine error `msg` of the template `name` into Go's text.
pub(crate) fn go_exec_error(tree: &ListNode, source: &str, name: &str, msg: &str) -> String {
    let msg = msg.strip_prefix("execution error: ").unwrap_or(msg);
    let called = msg
        .strip_prefix("error calling ")
        .or_else(|| msg.strip_prefix("wrong number of args for "))
        .and_then(|rest| rest.split(':').next());
    if let Some(func) = called {
        if let Some(cmd) = find_call(tree, func) {
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
    if let Some(field) = msg
        .strip_prefix("can't evaluate field ")
        .and_then(|r| r.split(' ').next())
    {
        if let Some(e) = find_field(tree, field) {
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

/// Go shortens the context to 20 bytes plus `...`.
fn truncate(context: &str) -> String {
    if context.len() <= 20 {
        return context.to_string();
    }
    let mut end = 20;
    while !context.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &context[..end])
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
        Expr::String(_, s) => format!("{s:?}"),
        Expr::Number(_, n) => {
            let v = match n {
                gotmpl::parse::Number::Int(i) => Value::Int(*i),
                gotmpl::parse::Number::Uint(u) => Value::Uint(*u),
                gotmpl::parse::Number::Float(f) => Value::Float(*f),
            };
            let mut s = String::new();
            go_print(&v, &mut s);
            s
        }
        Expr::Bool(_, b) => b.to_string(),
        Expr::Nil(_) => "nil".to_string(),
        Expr::Pipe(_, p) => format!("({})", pipe_text(p)),
        Expr::Chain(_, inner, f) => format!("{}{}", expr_text(inner), fields(f)),
    }
}
