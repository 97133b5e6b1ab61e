//! Go's parse-time checks that the `gotmpl` parser leaves out: block structure
//! (`unexpected {{end}}`, `unexpected EOF`, `missing value for if`), characters Go's lexer
//! rejects (`unrecognized character in action: U+00A0`), undeclared variables
//! (`undefined variable "$x"`) and undefined functions (`function "foo" not defined`).
//! Structure and variable checks adapted from the logs engine (`lakewatch_logql` templates).

use gotmpl::parse::{Expr, ListNode, Node, PipeNode};

/// Go's built-in template functions (`text/template` `builtins()`).
pub(crate) const GO_BUILTINS: [&str; 19] = [
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Go's `%#U` of a rune: `U+00A0`, or `U+00E9 'é'` when printable.
fn go_rune(c: char) -> String {
    if c.is_whitespace() || c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

/// The first character Go's lexer rejects inside an action (a non-ASCII rune that is neither
/// a letter nor a digit), outside quoted text.
fn bad_char(action: &str) -> Option<char> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in action.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '`' | '\'' => quote = Some(c),
            c if !c.is_ascii() && !c.is_alphanumeric() => return Some(c),
            _ => {}
        }
    }
    None
}

/// Go's block-structure checks, which the engine's parser leaves out: `{{end}}`/`{{else}}`
/// outside a block (`unexpected {{end}}`), a block left open (`unexpected EOF`), and
/// `{{break}}`/`{{continue}}` outside `{{range}}`.
pub(crate) fn check_structure(src: &str, name: &str) -> Result<(), String> {
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
        if let Some(c) = src.get(j..k).and_then(bad_char) {
            return err(
                start,
                &format!("unrecognized character in action: {}", go_rune(c)),
            );
        }
        if let Some(e) = token_error(src.get(j..k).unwrap_or(""), word) {
            return err(start, &e);
        }
        let rest = src.get(j + word_len..k).unwrap_or("").trim();
        let rest = rest.strip_suffix('-').unwrap_or(rest).trim();
        if matches!(word, "if" | "range" | "with") && rest.is_empty() {
            return err(start, &format!("missing value for {word}"));
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

/// Go's parse-time check that every `$variable` is declared in scope
/// (`undefined variable "$x"`).
/// Also checks that every called function is defined ([`is_function`]).
pub(crate) fn check_variables(
    list: &ListNode,
    name: &str,
    scope: &mut Vec<String>,
) -> Result<(), String> {
    let mark = scope.len();
    for node in &list.nodes {
        match node {
            Node::List(l) => check_variables(l, name, scope)?,
            Node::Action(a) => {
                pipe_vars(&a.pipe, name, scope)?;
                declare(&a.pipe, name, scope)?;
            }
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                let inner = scope.len();
                pipe_vars(&b.pipe, name, scope)?;
                declare(&b.pipe, name, scope)?;
                check_variables(&b.body, name, scope)?;
                if let Some(e) = &b.else_body {
                    check_variables(e, name, scope)?;
                }
                scope.truncate(inner);
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    pipe_vars(p, name, scope)?;
                }
            }
            Node::Define(d) => check_variables(&d.body, name, &mut vec!["$".to_string()])?,
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
    scope.truncate(mark);
    Ok(())
}

/// Go's parser records `$x := …` and also `$x = …` as declared (an assignment to an undeclared
/// variable fails only at run time).
fn declare(p: &PipeNode, _name: &str, scope: &mut Vec<String>) -> Result<(), String> {
    for v in &p.decl {
        scope.push(v.to_string());
    }
    Ok(())
}

/// Go's lexer/parser errors the engine words differently, from the action's text `action`
/// (after `{{` and spaces) whose first word is `word`.
fn token_error(action: &str, word: &str) -> Option<String> {
    let body = action.trim_end_matches('-').trim_end();
    if action.starts_with("/*") {
        return None;
    }
    if word == "template" {
        let rest = body["template".len()..].trim_start();
        if !rest.starts_with(['"', '`']) {
            let tok = if rest.is_empty() {
                "}}".to_string()
            } else {
                rest.split(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            return Some(format!("unexpected {tok:?} in template clause"));
        }
    }
    if let Some(c) = body.chars().next() {
        if matches!(
            c,
            '|' | ')'
                | '%'
                | '&'
                | '*'
                | '^'
                | '#'
                | '@'
                | '!'
                | '?'
                | ';'
                | ','
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '~'
                | '='
        ) {
            return Some(format!("unexpected {:?} in command", c.to_string()));
        }
    }
    // Parentheses and `..` outside quoted text.
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut prev = ' ';
    for c in body.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '`' | '\'' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth -= 1,
            '.' if prev == '.' => return Some("unexpected <.> in operand".to_string()),
            _ => {}
        }
        prev = c;
    }
    (depth > 0).then(|| "unclosed left paren".to_string())
}

fn pipe_vars(p: &PipeNode, name: &str, scope: &mut Vec<String>) -> Result<(), String> {
    for cmd in &p.commands {
        for arg in &cmd.args {
            expr_vars(arg, name, scope)?;
        }
    }
    Ok(())
}

fn expr_vars(e: &Expr, name: &str, scope: &mut Vec<String>) -> Result<(), String> {
    match e {
        Expr::Identifier(pos, f) if !is_function(f) => {
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
            pipe_vars(p, name, scope)?;
            declare(p, name, scope)?;
            scope.truncate(mark);
        }
        Expr::Chain(_, inner, _) => expr_vars(inner, name, scope)?,
        _ => {}
    }
    Ok(())
}

fn is_function(f: &str) -> bool {
    GO_BUILTINS.contains(&f) || super::funcs::is_defined(f)
}
