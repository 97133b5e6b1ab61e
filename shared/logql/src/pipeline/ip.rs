//! `ip("…")` matching for line filters (`|= ip("10.0.0.0/8")`) and label filters
//! (`addr = ip("…")`), as Loki's `pkg/logql/log/ip.go`: the pattern is a single address, a
//! CIDR prefix or a range `a-b`; the input is scanned for IPv4/IPv6 candidates, each parsed
//! and tested.

use std::net::IpAddr;

/// A compiled `ip()` pattern.
#[derive(Debug, Clone)]
pub enum IpMatcher {
    /// Exact address.
    Addr(IpAddr),
    /// CIDR prefix (host bits ignored, as Go's `netip.Prefix.Contains`).
    Prefix(IpAddr, u8),
    /// Inclusive range of the same family.
    Range(IpAddr, IpAddr),
}

fn parse_addr(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok()
}

impl IpMatcher {
    /// Parses `pattern`. Error text as Loki: `ip: invalid pattern: "<p>"`.
    pub fn new(pattern: &str) -> Result<IpMatcher, String> {
        if let Some(a) = parse_addr(pattern) {
            return Ok(IpMatcher::Addr(a));
        }
        if let Some((a, bits)) = pattern.split_once('/') {
            if let (Some(a), Ok(b)) = (parse_addr(a), bits.parse::<u8>()) {
                let max = if a.is_ipv4() { 32 } else { 128 };
                if b <= max && !bits.starts_with('+') && (bits == "0" || !bits.starts_with('0')) {
                    return Ok(IpMatcher::Prefix(a, b));
                }
            }
        }
        if let Some((a, b)) = pattern.split_once('-') {
            if let (Some(a), Some(b)) = (parse_addr(a), parse_addr(b)) {
                if a.is_ipv4() == b.is_ipv4() && a <= b {
                    return Ok(IpMatcher::Range(a, b));
                }
            }
        }
        Err(format!(
            "ip: invalid pattern: {}",
            super::convert::go_quote(pattern)
        ))
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        match self {
            IpMatcher::Addr(a) => a == ip,
            IpMatcher::Range(a, b) => a.is_ipv4() == ip.is_ipv4() && a <= ip && ip <= b,
            IpMatcher::Prefix(net, bits) => match (net, ip) {
                (IpAddr::V4(n), IpAddr::V4(i)) => {
                    let mask = if *bits == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(*bits))
                    };
                    u32::from(*n) & mask == u32::from(*i) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(i)) => {
                    let mask = if *bits == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(*bits))
                    };
                    u128::from(*n) & mask == u128::from(*i) & mask
                }
                _ => false,
            },
        }
    }

    /// True when `input` contains an address the pattern matches.
    pub fn matches(&self, input: &str) -> bool {
        const V4: &[u8] = b"0123456789.";
        const V6: &[u8] = b"0123456789abcdefABCDEF:.";
        let line = input.as_bytes();
        let n = line.len();
        let at = |i: usize| if i < n { line[i] } else { 0 };
        let hex = |c: u8| c.is_ascii_hexdigit();
        let try_at = |start: usize, charset: &[u8]| -> (bool, usize) {
            let len = line[start..]
                .iter()
                .take_while(|c| charset.contains(c))
                .count();
            let cand = &input[start..start + len];
            match parse_addr(cand) {
                Some(ip) if self.contains(&ip) => (true, 0),
                _ => (false, len),
            }
        };
        let mut i = 0;
        while i < n {
            let v4_hint = i + 3 < n
                && line[i].is_ascii_digit()
                && (line[i + 1] == b'.' || line[i + 2] == b'.' || line[i + 3] == b'.');
            if v4_hint {
                let (ok, len) = try_at(i, V4);
                if ok {
                    return true;
                }
                i += len + 1;
                continue;
            }
            let p = [at(i), at(i + 1), at(i + 2), at(i + 3), at(i + 4)];
            let v6_hint = (p[0] == b':' && p[1] == b':' && hex(p[2]))
                || (hex(p[0]) && p[1] == b':')
                || (hex(p[0]) && hex(p[1]) && p[2] == b':')
                || (hex(p[0]) && hex(p[1]) && hex(p[2]) && p[3] == b':')
                || (hex(p[0]) && hex(p[1]) && hex(p[2]) && hex(p[3]) && p[4] == b':');
            if v6_hint {
                let (ok, len) = try_at(i, V6);
                if ok {
                    return true;
                }
                i += len + 1;
                continue;
            }
            i += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let m = IpMatcher::new("192.168.0.0/16").unwrap();
        assert!(m.matches("from 192.168.4.5 ok"));
        assert!(!m.matches("from 192.169.4.5"));
        let m = IpMatcher::new("192.168.4.5-192.168.4.20").unwrap();
        assert!(m.matches("x=192.168.4.10"));
        assert!(!m.matches("x=192.168.4.21"));
        let m = IpMatcher::new("::1").unwrap();
        assert!(m.matches("addr ::1 here"));
        assert!(IpMatcher::new("nope").is_err());
    }
}
