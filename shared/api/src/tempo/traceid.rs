//! Trace-id path parameters, as Tempo's `util.HexStringToTraceID`: 1–32 hex characters (either
//! case), left-padded with zeros to 16 bytes.

/// Parses a hex trace id. Errors carry Tempo's messages:
/// `trace IDs can only contain hex characters: invalid character 'x' at position N` (N is the
/// 1-based byte position) and `trace IDs can't be larger than 128 bits`.
pub fn parse_trace_id(id: &str) -> Result<[u8; 16], String> {
    for (i, c) in id.char_indices() {
        if !c.is_ascii_hexdigit() {
            return Err(format!(
                "trace IDs can only contain hex characters: invalid character '{c}' at position {}",
                i + 1
            ));
        }
    }
    // Go pads an odd-length id with one zero, then decodes; more than 16 bytes is an error.
    let digits = id.as_bytes();
    let nbytes = digits.len().div_ceil(2);
    if nbytes > 16 {
        return Err("trace IDs can't be larger than 128 bits".to_string());
    }
    let mut out = [0u8; 16];
    // Fill from the right: the last hex digit is the low nibble of byte 15.
    for (k, d) in digits.iter().rev().enumerate() {
        let v = hex_val(*d);
        let byte = 15 - k / 2;
        if k % 2 == 0 {
            out[byte] |= v;
        } else {
            out[byte] |= v << 4;
        }
    }
    Ok(out)
}

fn hex_val(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_pads() {
        let full = parse_trace_id("0123456789abcdefFEDCBA9876543210").unwrap();
        assert_eq!(
            full,
            [
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
                0x32, 0x10
            ]
        );
        let mut short = [0u8; 16];
        short[14] = 0x0a;
        short[15] = 0xbc;
        assert_eq!(parse_trace_id("abc").unwrap(), short);
        assert_eq!(
            parse_trace_id("12x").unwrap_err(),
            "trace IDs can only contain hex characters: invalid character 'x' at position 3"
        );
        assert_eq!(
            parse_trace_id(&"1".repeat(33)).unwrap_err(),
            "trace IDs can't be larger than 128 bits"
        );
    }
}
