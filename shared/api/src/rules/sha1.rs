//! SHA-1 hex digests (the `sha1` crate), only for Prometheus 3.5's `group_next_token`
//! (`hex(sha1(file + ";" + group))`, `web/api/v1/api.go` `getRuleGroupNextToken`). Not used for
//! anything security-relevant.

use ::sha1::{Digest, Sha1};

/// The SHA-1 digest of `data` as 40 lower-case hex digits.
pub fn sha1_hex(data: &[u8]) -> String {
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(&[b'a'; 1000]),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }
}
