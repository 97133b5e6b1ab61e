//! Runtime values of TraceQL expressions (Tempo's `traceql.Static`) and their comparison
//! rules (`Static.Equals`, `compare`, `Float`, `EncodeToString` in Tempo's `pkg/traceql/ast.go`).

use crate::ast::{Kind, Static, Status};
use std::cmp::Ordering;

/// A TraceQL runtime value. Durations are **nanoseconds**.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent attribute.
    Nil,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Nanoseconds.
    Duration(i64),
    Status(Status),
    Kind(Kind),
    /// Array attribute values (OTLP `ArrayValue` of one type).
    Array(Vec<Value>),
}

/// Tempo's static types, used for operand checks (`isMatchingOperand`, `binaryTypesValid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueType {
    /// `TypeNil`
    Nil,
    /// `TypeSpanset` (a pipeline without final aggregate).
    Spanset,
    /// `TypeAttribute` (known only at query time).
    Attribute,
    /// `TypeInt`
    Int,
    /// `TypeFloat`
    Float,
    /// `TypeString`
    Str,
    /// `TypeBoolean`
    Bool,
    /// `TypeIntArray`
    IntArray,
    /// `TypeFloatArray`
    FloatArray,
    /// `TypeStringArray`
    StrArray,
    /// `TypeBooleanArray`
    BoolArray,
    /// `TypeDuration`
    Duration,
    /// `TypeStatus`
    Status,
    /// `TypeKind`
    Kind,
}

impl ValueType {
    /// Tempo's `StaticType.String()` (`TypeNil`, `TypeInt`…), used in error messages.
    pub fn tempo_name(self) -> &'static str {
        match self {
            ValueType::Nil => "TypeNil",
            ValueType::Spanset => "TypeSpanset",
            ValueType::Attribute => "TypeAttribute",
            ValueType::Int => "TypeInt",
            ValueType::Float => "TypeFloat",
            ValueType::Str => "TypeString",
            ValueType::Bool => "TypeBoolean",
            ValueType::IntArray => "TypeIntArray",
            ValueType::FloatArray => "TypeFloatArray",
            ValueType::StrArray => "TypeStringArray",
            ValueType::BoolArray => "TypeBooleanArray",
            ValueType::Duration => "TypeDuration",
            ValueType::Status => "TypeStatus",
            ValueType::Kind => "TypeKind",
        }
    }

    /// Int, float or duration.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ValueType::Int | ValueType::Float | ValueType::Duration
        )
    }

    /// One of the array types.
    pub fn is_array(self) -> bool {
        matches!(
            self,
            ValueType::IntArray
                | ValueType::FloatArray
                | ValueType::StrArray
                | ValueType::BoolArray
        )
    }

    fn element(self) -> Option<ValueType> {
        match self {
            ValueType::IntArray => Some(ValueType::Int),
            ValueType::FloatArray => Some(ValueType::Float),
            ValueType::StrArray => Some(ValueType::Str),
            ValueType::BoolArray => Some(ValueType::Bool),
            _ => None,
        }
    }

    /// Tempo's `isMatchingOperand`: whether two types may meet in a binary operation.
    pub fn is_matching_operand(self, o: ValueType) -> bool {
        if self == ValueType::Attribute || o == ValueType::Attribute || self == o {
            return true;
        }
        if self.is_numeric() && o.is_numeric() {
            return true;
        }
        if self == ValueType::Nil || o == ValueType::Nil {
            return true;
        }
        self.is_matching_array_element(o)
    }

    /// Tempo's `isMatchingArrayElement`: an array and a scalar of its element type.
    pub fn is_matching_array_element(self, o: ValueType) -> bool {
        if let Some(e) = self.element() {
            return e.is_matching_operand(o);
        }
        if let Some(e) = o.element() {
            return e.is_matching_operand(self);
        }
        false
    }
}

impl Value {
    /// The value of a literal.
    pub fn from_static(s: &Static) -> Value {
        match s {
            Static::Str(v) => Value::Str(v.clone()),
            Static::Int(v) => Value::Int(*v),
            Static::Float(v) => Value::Float(*v),
            Static::Bool(v) => Value::Bool(*v),
            Static::Duration(v) => Value::Duration(*v),
            Static::Status(v) => Value::Status(*v),
            Static::Kind(v) => Value::Kind(*v),
        }
    }

    /// The Tempo type of this value (arrays typed by their first element; empty = string array).
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Nil => ValueType::Nil,
            Value::Str(_) => ValueType::Str,
            Value::Int(_) => ValueType::Int,
            Value::Float(_) => ValueType::Float,
            Value::Bool(_) => ValueType::Bool,
            Value::Duration(_) => ValueType::Duration,
            Value::Status(_) => ValueType::Status,
            Value::Kind(_) => ValueType::Kind,
            Value::Array(a) => match a.first() {
                Some(Value::Int(_)) => ValueType::IntArray,
                Some(Value::Float(_)) => ValueType::FloatArray,
                Some(Value::Bool(_)) => ValueType::BoolArray,
                _ => ValueType::StrArray,
            },
        }
    }

    /// Whether this is [`Value::Nil`].
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Tempo's `Static.Float()`: ints, floats and durations (ns) as `f64`, else NaN.
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Int(v) => *v as f64,
            Value::Float(v) => *v,
            Value::Duration(v) => *v as f64,
            _ => f64::NAN,
        }
    }

    /// Tempo's `Static.Equals`: nil equals nothing; int/duration/float compare numerically
    /// (int = status compares the status code), other types need the same type.
    pub fn tempo_eq(&self, o: &Value) -> bool {
        match (self, o) {
            (Value::Nil, _) | (_, Value::Nil) => false,
            (Value::Int(a), Value::Int(b))
            | (Value::Int(a), Value::Duration(b))
            | (Value::Duration(a), Value::Int(b))
            | (Value::Duration(a), Value::Duration(b)) => a == b,
            // Tempo compares the int with its internal status number (error 0, ok 1, unset 2).
            (Value::Int(a), Value::Status(s)) | (Value::Status(s), Value::Int(a)) => {
                *a == i64::from(tempo_status(*s))
            }
            (Value::Int(_) | Value::Duration(_), Value::Float(b)) => self.as_f64() == *b,
            (Value::Float(a), _) => *a == o.as_f64(),
            (Value::Status(a), Value::Status(b)) => a == b,
            (Value::Kind(a), Value::Kind(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => {
                self.value_type() == o.value_type()
                    && a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| x.tempo_eq(y))
            }
            _ => false,
        }
    }

    /// Tempo's `Static.NotEquals`: false when either side is nil, else `!tempo_eq`.
    pub fn tempo_ne(&self, o: &Value) -> bool {
        !self.is_nil() && !o.is_nil() && !self.tempo_eq(o)
    }

    /// Tempo's `Static.compare` (used by `min()`/`max()`): numeric types by value, other
    /// mixed types by type order, same types by value.
    pub fn tempo_cmp(&self, o: &Value) -> Ordering {
        let (ta, tb) = (self.value_type(), o.value_type());
        if ta != tb {
            if ta.is_numeric() && tb.is_numeric() {
                return self
                    .as_f64()
                    .partial_cmp(&o.as_f64())
                    .unwrap_or(Ordering::Equal);
            }
            return ta.cmp(&tb);
        }
        match (self, o) {
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) | (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Status(a), Value::Status(b)) => tempo_status(*a).cmp(&tempo_status(*b)),
            (Value::Kind(a), Value::Kind(b)) => tempo_kind(*a).cmp(&tempo_kind(*b)),
            (Value::Array(a), Value::Array(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let c = x.tempo_cmp(y);
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.len().cmp(&b.len())
            }
            _ => Ordering::Equal,
        }
    }

    /// A hashable identity used to group spans in `by()` (Tempo's `MapKey`: type + value).
    pub fn map_key(&self) -> String {
        format!("{:?}:{}", self.value_type(), self.encode_to_string(true))
    }

    /// Tempo's `EncodeToString(quotes)`: strings (backtick-quoted when `quotes`), ints, floats
    /// with a `.0` when integral, Go durations (`1.5s`), `error`/`ok`/`unset`, kinds,
    /// `[a, b]` arrays, `nil`.
    pub fn encode_to_string(&self, quotes: bool) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::Str(s) if quotes => format!("`{s}`"),
            Value::Str(s) => s.clone(),
            Value::Int(v) => v.to_string(),
            Value::Float(f) => go_float(*f),
            Value::Bool(b) => b.to_string(),
            Value::Duration(d) => go_duration(*d),
            Value::Status(s) => status_name(*s).into(),
            Value::Kind(k) => kind_name(*k).into(),
            Value::Array(a) => {
                let items: Vec<String> = a.iter().map(|v| v.encode_to_string(quotes)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// OTLP status code of a status (`unset` 0, `ok` 1, `error` 2).
pub fn status_code(s: Status) -> i64 {
    match s {
        Status::Unset => 0,
        Status::Ok => 1,
        Status::Error => 2,
    }
}

/// Tempo's internal status order (`error` 0, `ok` 1, `unset` 2).
fn tempo_status(s: Status) -> u8 {
    match s {
        Status::Error => 0,
        Status::Ok => 1,
        Status::Unset => 2,
    }
}

/// Tempo's internal kind order.
fn tempo_kind(k: Kind) -> u8 {
    match k {
        Kind::Unspecified => 0,
        Kind::Internal => 1,
        Kind::Client => 2,
        Kind::Server => 3,
        Kind::Producer => 4,
        Kind::Consumer => 5,
    }
}

/// `error`, `ok`, `unset`.
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Error => "error",
        Status::Ok => "ok",
        Status::Unset => "unset",
    }
}

/// `unspecified`, `internal`, `server`, `client`, `producer`, `consumer`.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Unspecified => "unspecified",
        Kind::Internal => "internal",
        Kind::Server => "server",
        Kind::Client => "client",
        Kind::Producer => "producer",
        Kind::Consumer => "consumer",
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` plus Tempo's `.0` suffix for integral values.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let exp = if f == 0.0 {
        0
    } else {
        f.abs().log10().floor() as i32
    };
    let s = if !(-4..21).contains(&exp) {
        let s = format!("{f:e}");
        // Go prints e+06 / e-07 style exponents.
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    } else {
        format!("{f}")
    };
    if s.contains(['e', '.']) || s.contains("Inf") {
        s
    } else {
        format!("{s}.0")
    }
}

/// Go's `time.Duration.String()` for nanoseconds (`1h2m3.5s`, `1.5ms`, `0s`).
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let body = if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u64)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        format!("{}{unit}", frac(u, div))
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let s_ns = u % 60_000_000_000;
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format!("{}s", frac(s_ns, 1_000_000_000)));
        out
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}
