//! Compact binary encoding of a `FloatHistogram` for the `histogram` column.
//!
//! Layout (all integers LEB128 varints, signed ones zig-zag; floats f64 little endian):
//! ```text
//! u8  format (=1)
//! u8  counter reset hint (0 unknown, 1 counter reset, 2 not counter reset, 3 gauge)
//! s   schema
//! f64 zero_threshold, f64 zero_count, f64 count, f64 sum
//! u   n positive spans, then n × (s offset, u length)
//! u   n negative spans, then n × (s offset, u length)
//! u   n positive buckets, then n × f64 (absolute counts)
//! u   n negative buckets, then n × f64 (absolute counts)
//! u   n custom values, then n × f64 (upper bounds, schema -53 only)
//! ```

use lakewatch_model::{BucketSpan, FloatHistogram, ResetHint};

const FORMAT: u8 = 1;

fn put_u(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_s(out: &mut Vec<u8>, v: i64) {
    put_u(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_f(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Encodes a histogram (see the module docs for the layout).
pub fn encode(h: &FloatHistogram) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        48 + 8 * (h.positive_buckets.len() + h.negative_buckets.len() + h.custom_values.len()),
    );
    out.push(FORMAT);
    out.push(match h.counter_reset_hint {
        ResetHint::Unknown => 0,
        ResetHint::CounterReset => 1,
        ResetHint::NotCounterReset => 2,
        ResetHint::Gauge => 3,
    });
    put_s(&mut out, h.schema as i64);
    for f in [h.zero_threshold, h.zero_count, h.count, h.sum] {
        put_f(&mut out, f);
    }
    for spans in [&h.positive_spans, &h.negative_spans] {
        put_u(&mut out, spans.len() as u64);
        for s in spans.iter() {
            put_s(&mut out, s.offset as i64);
            put_u(&mut out, s.length as u64);
        }
    }
    for fs in [&h.positive_buckets, &h.negative_buckets, &h.custom_values] {
        put_u(&mut out, fs.len() as u64);
        for f in fs.iter() {
            put_f(&mut out, *f);
        }
    }
    out
}

struct Rd<'a> {
    b: &'a [u8],
    i: usize,
}

impl Rd<'_> {
    fn byte(&mut self) -> Option<u8> {
        let v = *self.b.get(self.i)?;
        self.i += 1;
        Some(v)
    }
    fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn s(&mut self) -> Option<i64> {
        let u = self.u()?;
        Some(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    fn f(&mut self) -> Option<f64> {
        let bytes = self.b.get(self.i..self.i + 8)?;
        self.i += 8;
        Some(f64::from_le_bytes(bytes.try_into().ok()?))
    }
    fn len(&mut self) -> Option<usize> {
        let n = self.u()? as usize;
        // Every element takes at least one byte: reject lengths the input cannot hold.
        (n <= self.b.len().saturating_sub(self.i)).then_some(n)
    }
    fn spans(&mut self) -> Option<Vec<BucketSpan>> {
        let n = self.len()?;
        (0..n)
            .map(|_| {
                Some(BucketSpan {
                    offset: i32::try_from(self.s()?).ok()?,
                    length: u32::try_from(self.u()?).ok()?,
                })
            })
            .collect()
    }
    fn floats(&mut self) -> Option<Vec<f64>> {
        let n = self.len()?;
        (0..n).map(|_| self.f()).collect()
    }
}

/// Decodes [`encode`]'s output; `None` if the bytes are not a valid encoding.
pub fn decode(b: &[u8]) -> Option<FloatHistogram> {
    let mut r = Rd { b, i: 0 };
    if r.byte()? != FORMAT {
        return None;
    }
    let counter_reset_hint = match r.byte()? {
        0 => ResetHint::Unknown,
        1 => ResetHint::CounterReset,
        2 => ResetHint::NotCounterReset,
        3 => ResetHint::Gauge,
        _ => return None,
    };
    let schema = i32::try_from(r.s()?).ok()?;
    let zero_threshold = r.f()?;
    let zero_count = r.f()?;
    let count = r.f()?;
    let sum = r.f()?;
    let positive_spans = r.spans()?;
    let negative_spans = r.spans()?;
    let positive_buckets = r.floats()?;
    let negative_buckets = r.floats()?;
    let custom_values = r.floats()?;
    (r.i == b.len()).then_some(FloatHistogram {
        counter_reset_hint,
        schema,
        zero_threshold,
        zero_count,
        count,
        sum,
        positive_spans,
        negative_spans,
        positive_buckets,
        negative_buckets,
        custom_values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let h = FloatHistogram {
            counter_reset_hint: ResetHint::NotCounterReset,
            schema: -53,
            zero_threshold: 1e-128,
            zero_count: 2.0,
            count: 12.5,
            sum: -3.25,
            positive_spans: vec![
                BucketSpan {
                    offset: -2,
                    length: 2,
                },
                BucketSpan {
                    offset: 3,
                    length: 1,
                },
            ],
            negative_spans: vec![BucketSpan {
                offset: 0,
                length: 1,
            }],
            positive_buckets: vec![1.0, 2.0, 3.5],
            negative_buckets: vec![4.0],
            custom_values: vec![0.1, 0.5, 1.0],
        };
        let e = encode(&h);
        assert_eq!(decode(&e), Some(h));
        assert_eq!(decode(&e[..e.len() - 1]), None);
        assert_eq!(decode(&[]), None);
        let d = FloatHistogram::default();
        assert_eq!(decode(&encode(&d)), Some(d));
    }
}
