//! LogQL abstract syntax tree. Durations are `i64` nanoseconds, byte sizes are `u64` bytes.
//! `Display` (module `display`) prints any node back as canonical LogQL that re-parses to an
//! equal tree.

/// A whole LogQL query: either a log query (returns streams) or a metric query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `{selector} <pipeline>`.
    Log(LogExpr),
    /// Range/vector aggregation, binary expression, literal, ...
    Metric(MetricExpr),
}

/// Stream selector plus pipeline, e.g. `{app="x"} |= "err" | json`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogExpr {
    /// Stream label matchers (regexes are fully anchored, as Prometheus).
    pub selector: Vec<Matcher>,
    /// Pipeline stages in source order.
    pub pipeline: Vec<Stage>,
}

/// Label matcher `name op "value"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Match operator.
    pub op: MatchOp,
    /// Literal value or regex source.
    pub value: String,
}

/// String match operator: `=`, `!=`, `=~`, `!~`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `=~`
    Re,
    /// `!~`
    Nre,
}

/// Line filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFilterOp {
    /// `|=` contains.
    Contains,
    /// `!=` does not contain.
    NotContains,
    /// `|~` regex match (not anchored).
    Match,
    /// `!~` regex does not match.
    NotMatch,
    /// `|>` pattern match (`<_>` wildcard).
    Pattern,
    /// `!>` pattern does not match.
    NotPattern,
}

/// One alternative of a line filter.
#[derive(Debug, Clone, PartialEq)]
pub enum LineFilterValue {
    /// A string / regex / pattern.
    Str(String),
    /// `ip("cidr-or-range")`.
    Ip(String),
}

/// Line filter `op v1 or v2 ...` (alternatives are OR-ed).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFilter {
    /// Operator.
    pub op: LineFilterOp,
    /// At least one alternative.
    pub values: Vec<LineFilterValue>,
}

/// Parameter of `json`/`logfmt`: `name` or `name="expression"`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelExtraction {
    /// Target label.
    pub name: String,
    /// Source expression (JSON path / logfmt key); `None` means the label name itself.
    pub expr: Option<String>,
}

/// `label_format` item.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelFmt {
    /// `dst=src` rename.
    Rename {
        /// Destination label.
        dst: String,
        /// Source label.
        src: String,
    },
    /// `dst="{{ template }}"`.
    Template {
        /// Destination label.
        dst: String,
        /// Go text/template source.
        template: String,
    },
}

/// `drop` / `keep` item: a bare label name or a matcher.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelSel {
    /// Bare label name.
    Name(String),
    /// `name op "value"`.
    Matcher(Matcher),
}

/// Conversion applied by `unwrap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwrapConv {
    /// `duration(l)`: Go duration to seconds.
    Duration,
    /// `duration_seconds(l)`: same as `duration`.
    DurationSeconds,
    /// `bytes(l)`: humanized bytes to bytes.
    Bytes,
}

/// Numeric comparison operator in label filters and binary expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==` (label filters also accept `=`).
    Eq,
    /// `!=`
    Neq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

/// Label filter expression (`| duration > 10s and status=~"5.."`).
#[derive(Debug, Clone, PartialEq)]
pub enum LabelFilter {
    /// String matcher.
    Matcher(Matcher),
    /// Numeric comparison (label parsed as float).
    Number {
        /// Label name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Literal.
        value: f64,
    },
    /// Duration comparison, value in nanoseconds.
    Duration {
        /// Label name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Literal in ns.
        value: i64,
    },
    /// Byte-size comparison, value in bytes.
    Bytes {
        /// Label name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Literal in bytes.
        value: u64,
    },
    /// `name = ip("...")` (`negated` for `!=`).
    Ip {
        /// Label name.
        name: String,
        /// True for `!=`.
        negated: bool,
        /// CIDR / range / address.
        value: String,
    },
    /// `a and b` (also `a, b` and `a b`).
    And(Box<LabelFilter>, Box<LabelFilter>),
    /// `a or b`.
    Or(Box<LabelFilter>, Box<LabelFilter>),
}

/// A pipeline stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Line filter (`|= "x" or "y"`).
    LineFilter(LineFilter),
    /// `| json [params]`.
    Json(Vec<LabelExtraction>),
    /// `| logfmt [--strict] [--keep-empty] [params]`.
    Logfmt {
        /// `--strict`.
        strict: bool,
        /// `--keep-empty`.
        keep_empty: bool,
        /// Extraction params.
        params: Vec<LabelExtraction>,
    },
    /// `| regexp "re"` (named groups become labels).
    Regexp(String),
    /// `| pattern "<a> <_>"`.
    Pattern(String),
    /// `| unpack`.
    Unpack,
    /// `| <label filter>`.
    LabelFilter(LabelFilter),
    /// `| line_format "tmpl"`.
    LineFormat(String),
    /// `| label_format a=b, c="tmpl"`.
    LabelFormat(Vec<LabelFmt>),
    /// `| drop ...`.
    Drop(Vec<LabelSel>),
    /// `| keep ...`.
    Keep(Vec<LabelSel>),
    /// `| decolorize`.
    Decolorize,
    /// `| unwrap [conv(]label[)]`.
    Unwrap {
        /// Label to unwrap.
        label: String,
        /// Optional conversion.
        conv: Option<UnwrapConv>,
    },
}

/// `by (...)` / `without (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// True for `without`.
    pub without: bool,
    /// Label names (may be empty).
    pub labels: Vec<String>,
}

/// Range aggregation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    /// `rate`
    Rate,
    /// `rate_counter`
    RateCounter,
    /// `count_over_time`
    CountOverTime,
    /// `bytes_rate`
    BytesRate,
    /// `bytes_over_time`
    BytesOverTime,
    /// `absent_over_time`
    AbsentOverTime,
    /// `sum_over_time`
    SumOverTime,
    /// `avg_over_time`
    AvgOverTime,
    /// `min_over_time`
    MinOverTime,
    /// `max_over_time`
    MaxOverTime,
    /// `stdvar_over_time`
    StdvarOverTime,
    /// `stddev_over_time`
    StddevOverTime,
    /// `first_over_time`
    FirstOverTime,
    /// `last_over_time`
    LastOverTime,
    /// `quantile_over_time` (takes φ).
    QuantileOverTime,
}

/// All range ops with their LogQL names.
pub const RANGE_OPS: &[(RangeOp, &str)] = &[
    (RangeOp::Rate, "rate"),
    (RangeOp::RateCounter, "rate_counter"),
    (RangeOp::CountOverTime, "count_over_time"),
    (RangeOp::BytesRate, "bytes_rate"),
    (RangeOp::BytesOverTime, "bytes_over_time"),
    (RangeOp::AbsentOverTime, "absent_over_time"),
    (RangeOp::SumOverTime, "sum_over_time"),
    (RangeOp::AvgOverTime, "avg_over_time"),
    (RangeOp::MinOverTime, "min_over_time"),
    (RangeOp::MaxOverTime, "max_over_time"),
    (RangeOp::StdvarOverTime, "stdvar_over_time"),
    (RangeOp::StddevOverTime, "stddev_over_time"),
    (RangeOp::FirstOverTime, "first_over_time"),
    (RangeOp::LastOverTime, "last_over_time"),
    (RangeOp::QuantileOverTime, "quantile_over_time"),
];

/// Range aggregation `op([param,] log-range) [grouping]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeAgg {
    /// Function.
    pub op: RangeOp,
    /// φ for `quantile_over_time`.
    pub param: Option<f64>,
    /// Selector and pipeline (may end with `unwrap` + label filters).
    pub log: LogExpr,
    /// Range window in ns (`[5m]`).
    pub range: i64,
    /// `offset` in ns.
    pub offset: Option<i64>,
    /// `by/without` (only unwrapped aggregations).
    pub grouping: Option<Grouping>,
}

/// Vector aggregation operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorOp {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `count`
    Count,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk` (takes k)
    Topk,
    /// `bottomk` (takes k)
    Bottomk,
    /// `sort`
    Sort,
    /// `sort_desc`
    SortDesc,
}

/// All vector ops with their LogQL names.
pub const VECTOR_OPS: &[(VectorOp, &str)] = &[
    (VectorOp::Sum, "sum"),
    (VectorOp::Avg, "avg"),
    (VectorOp::Min, "min"),
    (VectorOp::Max, "max"),
    (VectorOp::Count, "count"),
    (VectorOp::Stddev, "stddev"),
    (VectorOp::Stdvar, "stdvar"),
    (VectorOp::Topk, "topk"),
    (VectorOp::Bottomk, "bottomk"),
    (VectorOp::Sort, "sort"),
    (VectorOp::SortDesc, "sort_desc"),
];

/// Vector aggregation `op [grouping] ([param,] expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorAgg {
    /// Operator.
    pub op: VectorOp,
    /// k for `topk`/`bottomk`.
    pub param: Option<f64>,
    /// `by/without` (written before or after the parentheses).
    pub grouping: Option<Grouping>,
    /// Aggregated expression.
    pub expr: Box<MetricExpr>,
}

/// Binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^` (right associative)
    Pow,
    /// Comparison.
    Cmp(CmpOp),
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
}

/// `group_left` / `group_right`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupModifier {
    /// True for `group_right`.
    pub right: bool,
    /// Extra labels to copy.
    pub labels: Vec<String>,
}

/// `on(...)` / `ignoring(...)` with optional group modifier.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    /// True for `on`, false for `ignoring`.
    pub on: bool,
    /// Label names.
    pub labels: Vec<String>,
    /// `group_left/right`.
    pub group: Option<GroupModifier>,
}

/// Binary expression.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// Operator.
    pub op: BinOp,
    /// `bool` modifier (comparisons only).
    pub return_bool: bool,
    /// Vector matching modifiers.
    pub matching: Option<VectorMatching>,
    /// Left operand.
    pub lhs: Box<MetricExpr>,
    /// Right operand.
    pub rhs: Box<MetricExpr>,
}

/// Metric (sample-producing) expression.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricExpr {
    /// Range aggregation over a log range.
    Range(RangeAgg),
    /// Vector aggregation.
    Vector(VectorAgg),
    /// Binary operation.
    Binary(BinaryExpr),
    /// Number literal (scalar).
    Literal(f64),
    /// `vector(n)`.
    VectorLit(f64),
    /// `label_replace(expr, "dst", "replacement", "src", "regex")`.
    LabelReplace {
        /// Input.
        expr: Box<MetricExpr>,
        /// Destination label.
        dst: String,
        /// Replacement template (`$1`).
        replacement: String,
        /// Source label.
        src: String,
        /// Anchored regex.
        regex: String,
    },
}
