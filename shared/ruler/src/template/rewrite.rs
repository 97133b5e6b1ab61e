//! Tree rewrites that give `gotmpl` Go's behaviour where the engine differs:
//! - every printing action ends in `__lakewatch_print` (Go's `fmt.Print` text: `1e+06`,
//!   missing label → `""`, a `toTime` value → `2015-06-23 13:19:44.128 +0000 UTC`);
//! - `x.Method args` on a `toTime` value (`(… | toTime).Format "2006"`) becomes
//!   `__lakewatch_method "Method" x args` (the engine has no methods);
//! - for alert data, `.Foo` / `$.Foo` naming none of `Labels`, `ExternalLabels`, `ExternalURL`,
//!   `Value` fails as Go's struct field lookup does (`__lakewatch_badfield "Foo"`).

/// Where a tree runs: whether `.` is the alert data, whether `$` is.
#[derive(Clone, Copy)]
pub(crate) struct Scope {
    pub dot_is_alert: bool,
    pub root_is_alert: bool,
}

const ALERT_FIELDS: [&str; 4] = ["Labels", "ExternalLabels", "ExternalURL", "Value"];

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, PipeNode, SmolStr};

use super::funcs::{BAD_FIELD_FN, FIELDS_FN, METHOD_FN, PRINT_FN};
use super::gotime::METHODS;

/// Applies the rewrites to `list` and everything nested in it.
pub(crate) fn rewrite(list: &mut ListNode, sc: Scope) {
    let inner = Scope {
        dot_is_alert: false,
        ..sc
    };
    for node in &mut list.nodes {
        match node {
            Node::List(l) => rewrite(l, sc),
            Node::Action(a) => {
                rewrite_pipe(&mut a.pipe, sc);
                if a.pipe.decl.is_empty() {
                    let pos = a.pipe.pos;
                    a.pipe.commands.push(CommandNode {
                        pos,
                        args: vec![Expr::Identifier(pos, SmolStr::new(PRINT_FN))],
                    });
                }
            }
            Node::If(b) => {
                rewrite_pipe(&mut b.pipe, sc);
                rewrite(&mut b.body, sc);
                if let Some(e) = &mut b.else_body {
                    rewrite(e, sc);
                }
            }
            Node::Range(b) | Node::With(b) => {
                rewrite_pipe(&mut b.pipe, sc);
                rewrite(&mut b.body, inner);
                if let Some(e) = &mut b.else_body {
                    rewrite(e, sc);
                }
            }
            Node::Template(t) => {
                if let Some(p) = &mut t.pipe {
                    rewrite_pipe(p, sc);
                }
            }
            Node::Define(d) => rewrite(
                &mut d.body,
                Scope {
                    dot_is_alert: false,
                    root_is_alert: false,
                },
            ),
            _ => {}
        }
    }
}

fn rewrite_pipe(p: &mut PipeNode, sc: Scope) {
    for cmd in &mut p.commands {
        rewrite_command(cmd, sc);
    }
}

/// `Some(field)` when `e` reads a field the alert data does not have.
fn bad_field(e: &Expr, sc: Scope) -> Option<SmolStr> {
    let first = match e {
        Expr::Field(_, f) if sc.dot_is_alert => f.first()?,
        Expr::Variable(_, v, f) if sc.root_is_alert && v == "$" => f.first()?,
        _ => return None,
    };
    (!ALERT_FIELDS.contains(&first.as_str())).then(|| first.clone())
}

fn rewrite_command(cmd: &mut CommandNode, sc: Scope) {
    for arg in &mut cmd.args {
        if let Some(field) = bad_field(arg, sc) {
            let pos = arg.pos();
            *arg = Expr::Pipe(
                pos,
                PipeNode {
                    pos,
                    decl: Vec::new(),
                    commands: vec![CommandNode {
                        pos,
                        args: vec![
                            Expr::Identifier(pos, SmolStr::new(BAD_FIELD_FN)),
                            Expr::String(pos, field.as_str().into()),
                        ],
                    }],
                    is_assign: false,
                },
            );
            continue;
        }
        if let Expr::Pipe(_, inner) = arg {
            rewrite_pipe(inner, sc);
        }
        if let Expr::Chain(_, inner, _) = arg {
            if let Expr::Pipe(_, p) = inner.as_mut() {
                rewrite_pipe(p, sc);
            }
        }
    }
    // Field chains on values whose Go type decides the outcome (samples, query results).
    for (i, arg) in cmd.args.iter_mut().enumerate() {
        if i == 0 && cmd_is_method(arg) {
            continue;
        }
        if split_method(arg).is_some() {
            continue;
        }
        if let Some(e) = typed_fields(arg, sc) {
            *arg = e;
        }
    }
    // `recv.Method args…` as the command itself.
    if let Some((method, recv)) = cmd.args.first().and_then(split_method) {
        let pos = cmd.args[0].pos();
        let mut args = vec![
            Expr::Identifier(pos, SmolStr::new(METHOD_FN)),
            Expr::String(pos, method.as_str().into()),
            recv,
        ];
        args.extend(cmd.args.drain(1..));
        cmd.args = args;
        return;
    }
    // `recv.Method` as an operand.
    for arg in cmd.args.iter_mut().skip(1) {
        if let Some((method, recv)) = split_method(arg) {
            let pos = arg.pos();
            *arg = Expr::Pipe(
                pos,
                PipeNode {
                    pos,
                    decl: Vec::new(),
                    commands: vec![CommandNode {
                        pos,
                        args: vec![
                            Expr::Identifier(pos, SmolStr::new(METHOD_FN)),
                            Expr::String(pos, method.as_str().into()),
                            recv,
                        ],
                    }],
                    is_assign: false,
                },
            );
        }
    }
}

/// `(method, receiver)` when `e` ends in a field named like a `time.Time` method.
fn split_method(e: &Expr) -> Option<(SmolStr, Expr)> {
    let (pos, fields) = match e {
        Expr::Field(p, f) | Expr::Variable(p, _, f) | Expr::Chain(p, _, f) => (*p, f),
        _ => return None,
    };
    let last = fields.last()?;
    if !METHODS.contains(&last.as_str()) {
        return None;
    }
    let head = fields[..fields.len() - 1].to_vec();
    let recv = match e {
        Expr::Field(..) if head.is_empty() => Expr::Dot(pos),
        Expr::Field(..) => Expr::Field(pos, head),
        Expr::Variable(_, name, _) => Expr::Variable(pos, name.clone(), head),
        Expr::Chain(_, inner, _) if head.is_empty() => inner.as_ref().clone(),
        Expr::Chain(_, inner, _) => Expr::Chain(pos, inner.clone(), head),
        _ => return None,
    };
    Some((last.clone(), recv))
}

fn cmd_is_method(e: &Expr) -> bool {
    split_method(e).is_some()
}

/// `__lakewatch_fields recv "f1" "f2"…` for a field chain on a function result, a user
/// variable, or `.` where `.` is not the alert data (inside `range`/`with`/`define`).
fn typed_fields(e: &Expr, sc: Scope) -> Option<Expr> {
    let (pos, recv, fields) = match e {
        Expr::Chain(p, inner, f) if matches!(inner.as_ref(), Expr::Pipe(..)) => {
            (*p, inner.as_ref().clone(), f)
        }
        Expr::Variable(p, v, f)
            if !f.is_empty()
                && !matches!(
                    v.as_str(),
                    "$" | "$labels" | "$externalLabels" | "$externalURL" | "$value"
                ) =>
        {
            (*p, Expr::Variable(*p, v.clone(), Vec::new()), f)
        }
        Expr::Field(p, f) if !sc.dot_is_alert && !f.is_empty() => (*p, Expr::Dot(*p), f),
        _ => return None,
    };
    let mut args = vec![Expr::Identifier(pos, SmolStr::new(FIELDS_FN)), recv];
    args.extend(fields.iter().map(|f| Expr::String(pos, f.as_str().into())));
    Some(Expr::Pipe(
        pos,
        PipeNode {
            pos,
            decl: Vec::new(),
            commands: vec![CommandNode { pos, args }],
            is_assign: false,
        },
    ))
}
