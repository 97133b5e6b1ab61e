//! Markdown rendering of the `--ruler` figures ([`super::RulerResults`]).

use super::ops::Ops;
use super::{GroupMeasure, PassRun, RulerResults};
use crate::Args;
use std::fmt::Write;

/// Median (lower middle for an even count; NaN when empty).
fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

fn mb(b: u64) -> String {
    format!("{:.2}", b as f64 / 1e6)
}

fn kb(b: u64) -> String {
    format!("{:.1}", b as f64 / 1e3)
}

/// `median (min–max)` of the wall times (ms).
fn times(v: &[f64]) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.1} ({:.1}–{:.1})", median(v.to_vec()), min, max)
}

fn pass_row(out: &mut String, name: &str, runs: &[PassRun]) {
    let ms: Vec<f64> = runs.iter().map(|r| r.ms).collect();
    let o = Ops::median(&runs.iter().map(|r| r.ops).collect::<Vec<_>>());
    let last = runs.last().map(|r| r.report.clone()).unwrap_or_default();
    let samples = median(
        runs.iter()
            .map(|r| r.report.samples_written as f64)
            .collect(),
    );
    let _ = writeln!(
        out,
        "| {name} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {samples} | {} |",
        last.evaluated,
        last.groups,
        times(&ms),
        o.get,
        mb(o.get_bytes),
        o.head,
        o.put,
        kb(o.put_bytes),
        o.list,
        o.delete,
        o.requests(),
        last.alerts_unsent,
    );
}

/// Per group (index `i`): median time, median evaluation time, field-wise median requests,
/// median samples, over the rounds.
fn group_median(rounds: &[Vec<GroupMeasure>], i: usize) -> (f64, f64, Ops, f64, f64) {
    let col: Vec<&GroupMeasure> = rounds.iter().filter_map(|r| r.get(i)).collect();
    (
        median(col.iter().map(|m| m.ms).collect()),
        median(col.iter().map(|m| m.eval_ms).collect()),
        Ops::median(&col.iter().map(|m| m.ops).collect::<Vec<_>>()),
        median(col.iter().map(|m| m.samples as f64).collect()),
        median(col.iter().map(|m| m.alerts_unsent as f64).collect()),
    )
}

fn per_group_line(name: &str, ops: &[Ops]) -> String {
    let n = ops.len().max(1) as f64;
    let sum = ops.iter().fold(Ops::default(), |a, o| a.add(o));
    format!(
        "- **{name}** (mean over the groups): {:.1} GET ({:.3} MB), {:.1} HEAD, {:.1} PUT ({:.1} KB), {:.1} LIST, {:.1} DELETE = {:.1} requests\n",
        sum.get as f64 / n,
        sum.get_bytes as f64 / n / 1e6,
        sum.head as f64 / n,
        sum.put as f64 / n,
        sum.put_bytes as f64 / n / 1e3,
        sum.list as f64 / n,
        sum.delete as f64 / n,
        sum.requests() as f64 / n,
    )
}

fn ops_text(o: &Ops) -> String {
    format!(
        "{} GET ({} MB), {} HEAD, {} PUT ({} KB), {} LIST, {} DELETE = {} requests",
        o.get,
        mb(o.get_bytes),
        o.head,
        o.put,
        kb(o.put_bytes),
        o.list,
        o.delete,
        o.requests()
    )
}

/// The report (Markdown).
pub fn render(args: &Args, r: &RulerResults) -> String {
    let mut out = String::new();
    let rules: usize = r.groups.iter().map(|g| g.2).sum();
    let _ = writeln!(out, "## Lakewatch ruler (`--ruler`)\n");
    let _ = writeln!(
        out,
        "Data: {} series, {} samples over {} h (15 s scrapes), compacted to {} object(s) ({} MB) in a file:// store. \
         Rules: {} groups, {rules} rules, `interval: 1m`, traffic offset `{}`. {} rounds (`--reps`), seed {}. \
         Times in ms: median (min–max); requests: field-wise medians; bytes are payload bytes.\n",
        r.series,
        r.samples,
        r.hours,
        r.objects,
        mb(r.object_bytes),
        r.groups.len(),
        r.offset,
        r.first.len(),
        args.seed,
    );
    let _ = writeln!(
        out,
        "| pass | due/groups | wall ms | GET | GET MB | HEAD | PUT | PUT KB | LIST | DELETE | requests | samples written | alerts unsent |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    pass_row(&mut out, "first evaluation (no state), T−5m", &r.first);
    pass_row(&mut out, "due pass (state of T−2m), T−1m", &r.due);
    pass_row(&mut out, "not-due pass, T", &r.not_due);

    let _ = writeln!(out, "\nEach group alone (`Ruler::run_group`), at T:\n");
    let _ = writeln!(
        out,
        "| group | rules | due: wall ms | eval ms | GET | GET MB | HEAD | PUT | PUT KB | LIST | DELETE | samples | alerts unsent | not due: wall ms | GET | HEAD | PUT | LIST | DELETE |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut due_ops = Vec::new();
    let mut idle_ops = Vec::new();
    for (i, (ns, name, n)) in r.groups.iter().enumerate() {
        let (ms, eval, o, samples, unsent) = group_median(&r.group_due, i);
        let (ims, _, io, _, _) = group_median(&r.group_not_due, i);
        due_ops.push(o);
        idle_ops.push(io);
        let _ = writeln!(
            out,
            "| {ns}/{name} | {n} | {ms:.1} | {eval:.1} | {} | {} | {} | {} | {} | {} | {} | {samples} | {unsent} | {ims:.2} | {} | {} | {} | {} | {} |",
            o.get,
            mb(o.get_bytes),
            o.head,
            o.put,
            kb(o.put_bytes),
            o.list,
            o.delete,
            io.get,
            io.head,
            io.put,
            io.list,
            io.delete,
        );
    }
    out.push('\n');
    out.push_str(&per_group_line("per due group", &due_ops));
    out.push_str(&per_group_line("per not-due group", &idle_ops));
    let idle_pass = Ops::median(&r.not_due.iter().map(|p| p.ops).collect::<Vec<_>>());
    let idle_groups = idle_ops.iter().fold(Ops::default(), |a, o| a.add(o));
    let _ = writeln!(
        out,
        "- **per pass, besides its groups** (listing tenants, rule namespaces and states; not-due pass minus its groups): {}",
        ops_text(&idle_pass.sub(&idle_groups))
    );
    let _ = writeln!(
        out,
        "- alerts after the evaluation at T: {} firing, {} pending (no Alertmanager: firing alerts are counted unsent)",
        r.firing, r.pending
    );
    if r.rule_errors.is_empty() {
        let _ = writeln!(out, "- rule errors: none (every rule health `ok`)");
    } else {
        let _ = writeln!(out, "- rule errors: {}", r.rule_errors.join("; "));
    }
    let errors: Vec<&String> = r
        .first
        .iter()
        .chain(&r.due)
        .chain(&r.not_due)
        .flat_map(|p| &p.report.errors)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "- pass errors: {errors:?}");
    }
    out
}
