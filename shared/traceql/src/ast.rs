//! TraceQL abstract syntax tree, shaped after Tempo's `pkg/traceql/expr.y` grammar.
//!
//! Parentheses are not represented (they never change meaning once parsed); `{}` parses as
//! `{ true }` and scalar literals in aggregate filters / metrics arithmetic are constant-folded
//! at parse time, as Tempo does.

/// A whole query: a spanset query or a metrics query, plus `with(…)` hints.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The query proper.
    pub body: Body,
    /// Hints from every trailing `with(name=value, …)`, in source order.
    pub hints: Vec<Hint>,
}

/// Spanset (search) query or metrics query.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Returns spansets: `{…} | by(…) | count() > 2`, `({…} | …) && ({…} | …)`.
    Spans(PipelineExpr),
    /// Returns time series: `{…} | rate() by (…)`, `({…} | rate()) / ({…} | rate())`.
    Metrics(MetricsExpr),
}

/// Root-level spanset expression (Tempo's `spansetPipelineExpression`).
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineExpr {
    /// A single pipeline.
    Pipeline(Pipeline),
    /// Spanset operation between parenthesised pipelines: `({…} | …) >> ({…} | …)`.
    Op {
        /// Operator.
        op: SpansetOp,
        /// Left operand.
        lhs: Box<PipelineExpr>,
        /// Right operand.
        rhs: Box<PipelineExpr>,
    },
    /// Comparison of scalar pipelines: `({ .a } | count()) > ({ .b } | count())`.
    ScalarFilter {
        /// Comparison (`= != < <= > >=`).
        op: CmpOp,
        /// Left side (contains at least one wrapped scalar pipeline).
        lhs: ScalarPipelineExpr,
        /// Right side.
        rhs: ScalarPipelineExpr,
    },
}

/// Arithmetic over wrapped scalar pipelines `({…} | avg(duration))`.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarPipelineExpr {
    /// `(pipeline | aggregate)`.
    Pipeline {
        /// Stages before the aggregate.
        pipeline: Pipeline,
        /// Final aggregate.
        aggregate: Aggregate,
    },
    /// Folded constant (only as the right side of the filter).
    Static(Static),
    /// Arithmetic.
    Op {
        /// Operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<ScalarPipelineExpr>,
        /// Right operand.
        rhs: Box<ScalarPipelineExpr>,
    },
}

/// Stages separated by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// At least one stage. The first one is never `Coalesce`.
    pub stages: Vec<Stage>,
}

/// One pipeline stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Spanset filters combined with spanset operators.
    Spanset(SpansetExpr),
    /// Aggregate filter: `count() > 2`, `avg(duration) > 1s`.
    ScalarFilter(ScalarFilter),
    /// `by(fieldExpression)`.
    GroupBy(FieldExpr),
    /// `coalesce()`.
    Coalesce,
    /// `select(attr, …)`.
    Select(Vec<Attribute>),
}

/// Spanset filters combined with spanset operators (`&& || > >> < << ~ …`).
#[derive(Debug, Clone, PartialEq)]
pub enum SpansetExpr {
    /// `{ fieldExpression }`; `{}` is `{ true }`.
    Filter(FieldExpr),
    /// Binary spanset operation.
    Op {
        /// Operator.
        op: SpansetOp,
        /// Left operand.
        lhs: Box<SpansetExpr>,
        /// Right operand.
        rhs: Box<SpansetExpr>,
    },
}

/// Operators between spansets. Structural ones return the right-hand spans (union forms
/// return both sides; negated forms are Tempo's experimental "not" relations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpansetOp {
    /// `&&`: both spansets match in the same trace.
    And,
    /// `||`: either.
    Union,
    /// `>` child.
    Child,
    /// `<` parent.
    Parent,
    /// `>>` descendant.
    Descendant,
    /// `<<` ancestor.
    Ancestor,
    /// `~` sibling.
    Sibling,
    /// `!>`.
    NotChild,
    /// `!<`.
    NotParent,
    /// `!>>`.
    NotDescendant,
    /// `!<<`.
    NotAncestor,
    /// `!~`.
    NotSibling,
    /// `&>`.
    UnionChild,
    /// `&<`.
    UnionParent,
    /// `&>>`.
    UnionDescendant,
    /// `&<<`.
    UnionAncestor,
    /// `&~`.
    UnionSibling,
}

/// Comparison operators of scalar and metrics filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

/// Arithmetic operators (`%` and `^` only in field and aggregate expressions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
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
    /// `^`
    Pow,
}

/// Aggregate filter `lhs op rhs`; at least one side contains an aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarFilter {
    /// Comparison.
    pub op: CmpOp,
    /// Left side.
    pub lhs: ScalarExpr,
    /// Right side.
    pub rhs: ScalarExpr,
}

/// Expression over aggregates and constants.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarExpr {
    /// `count()`, `avg(x)`, ….
    Aggregate(Aggregate),
    /// Folded constant (int, float or duration).
    Static(Static),
    /// Arithmetic.
    Op {
        /// Operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<ScalarExpr>,
        /// Right operand.
        rhs: Box<ScalarExpr>,
    },
}

/// Spanset aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateOp {
    /// `count()`
    Count,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// `sum(x)`
    Sum,
}

/// An aggregate call; `expr` is `None` only for `count()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Function.
    pub op: AggregateOp,
    /// Argument.
    pub expr: Option<FieldExpr>,
}

/// Expression evaluated per span inside `{ }`, `by()` and aggregates.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldExpr {
    /// Literal.
    Static(Static),
    /// Intrinsic or attribute reference.
    Attribute(Attribute),
    /// Binary operation.
    Binary {
        /// Operator.
        op: FieldOp,
        /// Left operand.
        lhs: Box<FieldExpr>,
        /// Right operand.
        rhs: Box<FieldExpr>,
    },
    /// Unary operation.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<FieldExpr>,
    },
}

/// Binary operators inside field expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    /// Arithmetic.
    Arith(ArithOp),
    /// `= != < <= > >=`.
    Cmp(CmpOp),
    /// `=~` (RE2, fully anchored).
    Regex,
    /// `!~`.
    NotRegex,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

/// Unary operators inside field expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `!x`.
    Not,
    /// `x != nil` (attribute present).
    Exists,
    /// `x = nil` (attribute absent).
    NotExists,
}

/// Literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Static {
    /// `"…"` or raw backtick string.
    Str(String),
    /// Integer (Go `int`, 64 bits); `minInt`/`maxInt` are the extremes.
    Int(i64),
    /// Float.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// Duration in nanoseconds (`1.5s`, `100ms`, `1h30m`, `2d`).
    Duration(i64),
    /// Span status.
    Status(Status),
    /// Span kind.
    Kind(Kind),
}

/// Span status values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `error`
    Error,
    /// `ok`
    Ok,
    /// `unset`
    Unset,
}

/// Span kind values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `unspecified`
    Unspecified,
    /// `internal`
    Internal,
    /// `server`
    Server,
    /// `client`
    Client,
    /// `producer`
    Producer,
    /// `consumer`
    Consumer,
}

/// Reference to an intrinsic or attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    /// Intrinsic (`duration`, `span:name`, `trace:id`, …).
    Intrinsic(Intrinsic),
    /// Attribute `[parent.]scope.name`.
    Attr {
        /// Scope (`None` for unscoped `.name`: span or resource).
        scope: Scope,
        /// `parent.` prefix (Tempo: parsed, evaluation unsupported).
        parent: bool,
        /// Attribute name (may contain any character; printed quoted when needed).
        name: String,
    },
}

/// Attribute scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `.x`: span then resource.
    None,
    /// `span.x`
    Span,
    /// `resource.x`
    Resource,
    /// `event.x`
    Event,
    /// `link.x`
    Link,
    /// `instrumentation.x`
    Instrumentation,
}

/// Intrinsics. Legacy unscoped forms map to the same variant as their scoped forms, as in
/// Tempo (`duration` = `span:duration`, `traceDuration` = `trace:duration`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intrinsic {
    /// `duration` / `span:duration` (ns).
    Duration,
    /// `name` / `span:name`.
    Name,
    /// `status` / `span:status`.
    Status,
    /// `statusMessage` / `span:statusMessage`.
    StatusMessage,
    /// `kind` / `span:kind`.
    Kind,
    /// `span:id`.
    SpanId,
    /// `span:parentID`.
    ParentId,
    /// `span:childCount`.
    ChildCount,
    /// `parent` (unsupported by Tempo's engine).
    Parent,
    /// `rootName` / `trace:rootName`.
    RootName,
    /// `rootServiceName` / `trace:rootService`.
    RootServiceName,
    /// `traceDuration` / `trace:duration` (ns).
    TraceDuration,
    /// `trace:id`.
    TraceId,
    /// `nestedSetLeft`.
    NestedSetLeft,
    /// `nestedSetRight`.
    NestedSetRight,
    /// `nestedSetParent`.
    NestedSetParent,
    /// `event:name`.
    EventName,
    /// `event:timeSinceStart` (ns).
    EventTimeSinceStart,
    /// `link:traceID`.
    LinkTraceId,
    /// `link:spanID`.
    LinkSpanId,
    /// `instrumentation:name`.
    InstrumentationName,
    /// `instrumentation:version`.
    InstrumentationVersion,
}

/// `with(name = value)` query hint (e.g. `sample=0.1`, `exemplars=true`, `most_recent=true`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// Hint name.
    pub name: String,
    /// Hint value.
    pub value: Static,
}

/// Metrics query expression.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsExpr {
    /// `pipeline | metricsFunction [second stages]`.
    Pipeline {
        /// Spanset pipeline feeding the function.
        pipeline: Pipeline,
        /// First-stage metrics function.
        function: MetricsFunction,
        /// `| topk(n)`, `| bottomk(n)`, `> 10` … in order.
        second: Vec<SecondStage>,
    },
    /// Arithmetic between metrics expressions: `({…} | rate()) / ({…} | rate())`.
    Op {
        /// Operator (`+ - * /`).
        op: ArithOp,
        /// Left operand.
        lhs: Box<MetricsExpr>,
        /// Right operand.
        rhs: Box<MetricsExpr>,
    },
    /// Arithmetic with a constant: `({…} | rate()) * 100`, `1 - ({…} | rate())`.
    ScalarOp {
        /// Operator (`+ - * /`).
        op: ArithOp,
        /// Constant (durations rejected, as Tempo).
        scalar: f64,
        /// Whether the constant is the left operand.
        scalar_left: bool,
        /// The series operand.
        expr: Box<MetricsExpr>,
    },
    /// Second stages applied to an arithmetic result: `(A) + (B) | topk(5) > 10`.
    Second {
        /// Input.
        expr: Box<MetricsExpr>,
        /// Stages in order.
        second: Vec<SecondStage>,
    },
}

/// Metrics function with its `by (…)` grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsFunction {
    /// Which function.
    pub kind: MetricsKind,
    /// `by (attr, …)`; empty when absent.
    pub by: Vec<Attribute>,
}

/// First-stage metrics functions (Tempo `metrics-queries/functions.md`).
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsKind {
    /// `rate()`: spans per second.
    Rate,
    /// `count_over_time()`: spans per step.
    CountOverTime,
    /// `min_over_time(attr)`.
    MinOverTime(Attribute),
    /// `max_over_time(attr)`.
    MaxOverTime(Attribute),
    /// `avg_over_time(attr)`.
    AvgOverTime(Attribute),
    /// `sum_over_time(attr)`.
    SumOverTime(Attribute),
    /// `quantile_over_time(attr, q, …)`.
    QuantileOverTime(Attribute, Vec<f64>),
    /// `histogram_over_time(attr)`.
    HistogramOverTime(Attribute),
    /// `compare({…}, topN, start, end)`: defaults topN 10, start/end 0 (unix ns).
    Compare {
        /// Selection filter body (`{ … }`).
        filter: FieldExpr,
        /// Top values per attribute.
        top_n: i64,
        /// Selection start (unix ns, 0 = whole range).
        start: i64,
        /// Selection end (unix ns, 0 = whole range).
        end: i64,
    },
}

/// Second-stage element after a metrics function.
#[derive(Debug, Clone, PartialEq)]
pub enum SecondStage {
    /// `| topk(n)`.
    TopK(i64),
    /// `| bottomk(n)`.
    BottomK(i64),
    /// `op value` (durations converted to seconds, as Tempo).
    Filter(CmpOp, f64),
}
