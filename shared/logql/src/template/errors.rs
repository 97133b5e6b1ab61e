//! Go's run-time error text: `template: line:1:3: executing "line" at <substr -1 50 .msg>:
//! error calling substr: …`. The engine reports no position, so the failing call is looked up
//! in the tree (the first call of the named function).
//!
//! The tree helpers (finding a call or a field, Go's `NAME:LINE:COL` location and node text)
//! are public: Prometheus's alert templates (`lakewatch-ruler`) locate their errors the same
//! way. [`go_exec_error`] itself is Loki's variant (Go shortens the context to 20 bytes).

use super::go::{go_float, go_quote};
use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode};

/// Rewrites an engine error `msg` of the template `name` into Go's text.
pub fn go_exec_error(tree: &ListNode, source: &str, name: &str, msg: &str) -> String {
    let msg = msg.strip_prefix("execution error: ").unwrap_or(msg);
    if let Some(func) = called_function(msg) {
        if let Some(cmd) = find_call(tree, func) {
            let (offset, context) = call_site(cmd, func, msg);
            return executing_at(source, name, offset, &truncate(&context), msg);
        }
    }
    if let Some(field) = msg
        .strip_prefix("can't evaluate field ")
        .and_then(|r| r.split(' ').next())
    {
        if let Some(e) = find_field(tree, field) {
            return executing_at(source, name, field_offset(e), &truncate(&expr_text(e)), msg);
        }
    }
    format!("template: {name}: {msg}")
}

/// Go's run-time error text at byte `offset` of `source`:
/// `template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MSG`.
pub fn executing_at(source: &str, name: &str, offset: usize, context: &str, msg: &str) -> String {
    format!(
        "template: {}: executing {name:?} at <{context}>: {msg}",
        location(source, name, offset)
    )
}

/// The function an engine error `msg` names (`error calling F: …`,
/// `wrong number of args for F: …`).
pub fn called_function(msg: &str) -> Option<&str> {
    msg.strip_prefix("error calling ")
        .or_else(|| msg.strip_prefix("wrong number of args for "))
        .and_then(|rest| rest.split(':').next())
}

/// Where Go reports the failing call `cmd` of `func`: the byte offset of its first operand and
/// the context text (the whole command for `error calling`, else the function's name).
pub fn call_site(cmd: &CommandNode, func: &str, msg: &str) -> (usize, String) {
    let offset = cmd.args.first().map_or(cmd.pos.offset, |a| a.pos().offset);
    let context = if msg.starts_with("error calling ") {
        command_text(cmd)
    } else {
        func.to_string()
    };
    (offset, context)
}

/// Go reports parse errors as `template: NAME:LINE: msg` (no column): drops the column of
/// the engine's `template: NAME:LINE:COL: msg`; other texts are returned as they are.
pub fn go_parse_error(msg: &str, name: &str) -> String {
    let prefix = format!("template: {name}:");
    if let Some(rest) = msg.strip_prefix(&prefix) {
        let mut parts = rest.splitn(3, ':');
        if let (Some(line), Some(col), Some(text)) = (parts.next(), parts.next(), parts.next()) {
            if col.bytes().all(|c| c.is_ascii_digit()) && !col.is_empty() {
                return format!("{prefix}{line}:{text}");
            }
        }
    }
    msg.to_string()
}

/// Go's position (byte offset) of a field chain: its second element (`.app.x` is at `.x`),
/// where the parser turns the term into a chain.
pub fn field_offset(e: &Expr) -> usize {
    match e {
        Expr::Field(p, f) if f.len() > 1 => p.offset + 1 + f[0].len(),
        Expr::Variable(p, v, f) if !f.is_empty() => p.offset + v.len(),
        other => other.pos().offset,
    }
}

/// The first field access (`.a.b`, `$x.b`, `(…).b`) whose chain names `field`.
pub fn find_field<'a>(list: &'a ListNode, field: &str) -> Option<&'a Expr> {
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

/// Go's `ErrorContext` location of byte `offset` in `source`: `NAME:LINE:COL` (1-based line,
/// 0-based byte column).
pub fn location(source: &str, name: &str, offset: usize) -> String {
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

/// The first command (in document order, `define`d bodies included) that calls `func`.
pub fn find_call<'a>(list: &'a ListNode, func: &str) -> Option<&'a CommandNode> {
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

/// The first command of the pipeline `p` (or of a parenthesized pipeline in it) that calls
/// `func`.
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
/// Go's text of a command: its operands joined by spaces (`substr 0 50 .msg`).
pub fn command_text(c: &CommandNode) -> String {
    c.args.iter().map(expr_text).collect::<Vec<_>>().join(" ")
}

/// Go's text of a pipeline (`$x := a | b`).
pub fn pipe_text(p: &PipeNode) -> String {
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

/// Go's text of an operand: fields, variables, `nil`, Go-quoted strings, numbers as `%v`.
pub fn expr_text(e: &Expr) -> String {
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
