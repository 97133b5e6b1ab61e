//! `| decolorize`: removes ANSI escape sequences, with the pattern of Loki's
//! `Decolorizer` (`pkg/logql/log/fmt.go`).

use regex::Regex;
use std::sync::OnceLock;

fn ansi() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            "[\u{1B}\u{9B}][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z0-9]*(?:;[a-zA-Z0-9]*)*)?\u{07})|(?:(?:[0-9]{1,4}(?:;[0-9]{0,4})*)?[0-9A-PRZcf-ntqry=><~]))",
        )
        .expect("constant regex")
    })
}

/// The line without ANSI colour / control sequences.
pub fn decolorize(line: &str) -> String {
    ansi().replace_all(line, "").into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips() {
        assert_eq!(super::decolorize("\u{1b}[31mred\u{1b}[0m ok"), "red ok");
    }
}
