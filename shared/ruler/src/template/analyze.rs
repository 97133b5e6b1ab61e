//! Go's parse-time checks that the `gotmpl` parser leaves out: block structure
//! (`unexpected {{end}}`, `unexpected EOF`, `missing value for if`), characters Go's lexer
//! rejects (`unrecognized character in action: U+00A0`), undeclared variables
//! (`undefined variable "$x"`) and undefined functions (`function "foo" not defined`).
//! The block-structure and variable walks are the LogQL templates'
//! (`lakewatch_logql::template::analyze`), parametrised with Prometheus's checks.

use gotmpl::parse::ListNode;
use lakewatch_logql::template::analyze;

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

/// The characters of `action` outside quoted text (`"…"`, `` `…` ``, `'…'`); an opening
/// quote is included, the quoted text and its closing quote are not.
fn unquoted(action: &str) -> impl Iterator<Item = char> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    action.chars().filter(move |&c| {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            return false;
        }
        if matches!(c, '"' | '`' | '\'') {
            quote = Some(c);
        }
        true
    })
}

/// The first character Go's lexer rejects inside an action (a non-ASCII rune that is neither
/// a letter nor a digit), outside quoted text.
fn bad_char(action: &str) -> Option<char> {
    unquoted(action).find(|c| !c.is_ascii() && !c.is_alphanumeric())
}

/// Go's block-structure checks (the LogQL templates' `check_structure_with`) plus the action
/// checks Prometheus's Go parser makes and the engine does not: characters Go's lexer
/// rejects, misplaced tokens ([`token_error`]) and `missing value for if/range/with`.
pub(crate) fn check_structure(src: &str, name: &str) -> Result<(), String> {
    analyze::check_structure_with(src, name, &|action, word| {
        if let Some(c) = bad_char(action) {
            return Some(format!("unrecognized character in action: {}", go_rune(c)));
        }
        if let Some(e) = token_error(action, word) {
            return Some(e);
        }
        let rest = action.get(word.len()..).unwrap_or("").trim();
        let rest = rest.strip_suffix('-').unwrap_or(rest).trim();
        if matches!(word, "if" | "range" | "with") && rest.is_empty() {
            return Some(format!("missing value for {word}"));
        }
        None
    })
}

/// Go's parse-time check that every `$variable` is declared in scope
/// (`undefined variable "$x"`) and that every called function is defined ([`is_function`]),
/// with Prometheus's Go semantics: `$x = …` also declares `$x` (an assignment to an
/// undeclared variable fails only at run time). The walk is the LogQL templates'.
pub(crate) fn check_variables(
    list: &ListNode,
    name: &str,
    scope: &mut Vec<String>,
) -> Result<(), String> {
    let rules = analyze::VarRules {
        assign_declares: true,
        is_function: Some(&is_function),
    };
    analyze::check_variables_with(list, name, scope, &rules)
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
    let mut prev = ' ';
    for c in unquoted(body) {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '.' if prev == '.' => return Some("unexpected <.> in operand".to_string()),
            _ => {}
        }
        prev = c;
    }
    (depth > 0).then(|| "unclosed left paren".to_string())
}

fn is_function(f: &str) -> bool {
    GO_BUILTINS.contains(&f) || super::funcs::is_defined(f)
}
