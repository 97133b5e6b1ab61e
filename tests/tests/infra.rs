//! The AWS deployment in `infra/template.yaml` (SAM), checked without AWS:
//! - `cfn-lint` and `sam validate --lint` pass (offline: a region and dummy credentials are set,
//!   telemetry is off; neither tool calls AWS);
//! - the HTTP API's routes are exactly the `cargo lambda watch` router table of the root
//!   `Cargo.toml` (`[workspace.metadata.lambda.watch.router]`, read through `cargo metadata`):
//!   same methods, same paths (`{*rest}` → API Gateway's `{proxy+}`), same functions;
//! - every function of `functions/*` is deployed with `BuildMethod: rust-cargolambda`, its
//!   binary, `provided.al2023`/`bootstrap`, the environment it reads and its schedule;
//! - every parameter is constrained and its `Default` lies within its constraints;
//! - IAM is least privilege: every S3 write action of a function is confined to the prefixes that
//!   function owns (query functions: only the rules prefix; no write on `metrics`/`logs`/`traces`);
//! - and each check fails, naming the offender, on a broken copy (a default out of range, a
//!   route dropped, a write granted to a query function).
//!
//! Needs `cfn-lint` and `sam` (`pip install cfn-lint aws-sam-cli`; `bash tests/run.sh` installs
//! them) for the lint test only; `LAKEWATCH_E2E_SKIP_INFRA_LINT=1` skips that one.

use lakewatch_e2e::env::{flag, which};
use lakewatch_e2e::tempdir::TempDir;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set to `1` to skip the `cfn-lint` / `sam validate --lint` test (quick local runs only).
const SKIP_INFRA_LINT: &str = "LAKEWATCH_E2E_SKIP_INFRA_LINT";

/// (HTTP method or `ANY`, API Gateway path) → function name.
type Routes = BTreeMap<(String, String), String>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn template_path() -> PathBuf {
    workspace_root().join("infra").join("template.yaml")
}

fn load_template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

// ---------------------------------------------------------------- YAML helpers

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_mapping()?.get(key)
}

fn mapping<'a>(v: &'a Value, key: &str) -> Option<&'a Mapping> {
    get(v, key)?.as_mapping()
}

/// The tag name of a short-form intrinsic (`!Sub` → `Sub`), if `v` is one.
fn tag_of(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        )),
        _ => None,
    }
}

/// A scalar as text (`30` and `"30"` both give `30`).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The text an ARN-like value stands for, intrinsics written as `${…}`: a plain string,
/// `!Sub "…"` / `Fn::Sub`, `!Ref X` → `${X}`, `!GetAtt X.Arn` → `${X.Arn}`.
fn text_of(v: &Value) -> Option<String> {
    if let Some((tag, inner)) = tag_of(v) {
        return match tag.as_str() {
            "Sub" => match inner {
                Value::Sequence(s) => s.first().and_then(scalar),
                other => scalar(other),
            },
            "Ref" => scalar(inner).map(|r| format!("${{{r}}}")),
            "GetAtt" => scalar(inner).map(|r| format!("${{{r}}}")),
            _ => None,
        };
    }
    if let Some(m) = v.as_mapping() {
        if let Some(s) = m.get("Fn::Sub") {
            return text_of(&Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
                tag: serde_yaml::value::Tag::new("Sub"),
                value: s.clone(),
            })));
        }
        if let Some(r) = m.get("Ref") {
            return scalar(r).map(|r| format!("${{{r}}}"));
        }
        return None;
    }
    scalar(v)
}

/// A value that may be one item or a list of items, as a list.
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Sequence(s) => s.iter().collect(),
        other => vec![other],
    }
}

/// The `AWS::Serverless::Function` resources: (logical id, resource).
fn functions(t: &Value) -> Vec<(String, &Value)> {
    mapping(t, "Resources")
        .map(|res| {
            res.iter()
                .filter(|(_, r)| {
                    get(r, "Type").and_then(Value::as_str) == Some("AWS::Serverless::Function")
                })
                .filter_map(|(k, r)| Some((k.as_str()?.to_string(), r)))
                .collect()
        })
        .unwrap_or_default()
}

/// The cargo-lambda binary a function resource deploys (`Metadata.BuildProperties.Binary`).
fn binary_of(r: &Value) -> Option<String> {
    get(r, "Metadata")
        .and_then(|m| get(m, "BuildProperties"))
        .and_then(|b| get(b, "Binary"))
        .and_then(scalar)
}

fn fail_with(what: &str, errors: Vec<String>) -> Result<(), String> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}:\n  - {}", errors.join("\n  - ")))
    }
}

// ---------------------------------------------------------------- routes

/// The `cargo lambda watch` router table of the root `Cargo.toml`, as API Gateway routes:
/// a plain function name means every method (`ANY`), `[{ method, function }]` one route per
/// entry; `{*name}` becomes `{proxy+}`.
fn router_routes() -> Routes {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let table = meta
        .pointer("/metadata/lambda/watch/router")
        .and_then(|r| r.as_object())
        .expect("[workspace.metadata.lambda.watch.router] in the root Cargo.toml");
    let mut routes = Routes::new();
    for (path, target) in table {
        let path = api_gateway_path(path);
        match target {
            serde_json::Value::String(function) => {
                routes.insert(("ANY".into(), path.clone()), function.clone());
            }
            serde_json::Value::Array(entries) => {
                for e in entries {
                    let function = e["function"]
                        .as_str()
                        .unwrap_or_else(|| panic!("router entry {path} without a function"));
                    let method = e["method"].as_str().unwrap_or("ANY").to_ascii_uppercase();
                    routes.insert((method, path.clone()), function.to_string());
                }
            }
            other => panic!("router entry {path} has an unexpected value {other}"),
        }
    }
    routes
}

/// `/api/v1/{*rest}` → `/api/v1/{proxy+}` (a greedy segment, which must be the last).
fn api_gateway_path(router_path: &str) -> String {
    router_path
        .split('/')
        .map(|seg| {
            if seg.starts_with("{*") && seg.ends_with('}') {
                "{proxy+}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The `HttpApi` events of every function, as routes; errors for events on another API,
/// duplicates and events without a path.
fn template_routes(t: &Value) -> Result<Routes, Vec<String>> {
    let mut routes = Routes::new();
    let mut errors = Vec::new();
    for (id, r) in functions(t) {
        let function = binary_of(r).unwrap_or_else(|| id.clone());
        let Some(events) = get(r, "Properties").and_then(|p| mapping(p, "Events")) else {
            continue;
        };
        for (name, ev) in events {
            let name = name.as_str().unwrap_or("?");
            if get(ev, "Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let props = get(ev, "Properties");
            let path = props.and_then(|p| get(p, "Path")).and_then(scalar);
            let method = props
                .and_then(|p| get(p, "Method"))
                .and_then(scalar)
                .unwrap_or_else(|| "ANY".into())
                .to_ascii_uppercase();
            let api = props.and_then(|p| get(p, "ApiId")).and_then(text_of);
            let Some(path) = path else {
                errors.push(format!("{id} event {name} has no Path"));
                continue;
            };
            if api.as_deref() != Some("${HttpApi}") {
                errors.push(format!(
                    "{id} event {name} ({method} {path}) is not on the HttpApi (ApiId {api:?})"
                ));
            }
            let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" || method == "*" {
                "ANY".to_string()
            } else {
                method
            };
            if let Some(prev) = routes.insert((method.clone(), path.clone()), function.clone()) {
                errors.push(format!(
                    "route {method} {path} is declared twice ({prev} and {function})"
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(routes)
    } else {
        Err(errors)
    }
}

/// The template's HTTP API routes must equal the router table: every missing, extra or
/// differently routed route is named.
fn check_routes(t: &Value, router: &Routes) -> Result<(), String> {
    let routes = match template_routes(t) {
        Ok(r) => r,
        Err(errors) => return fail_with("infra/template.yaml HTTP API events are invalid", errors),
    };
    let mut errors = Vec::new();
    for ((method, path), function) in router {
        match routes.get(&(method.clone(), path.clone())) {
            None => errors.push(format!(
                "route {method} {path} → {function} of the Cargo.toml router is missing from \
                 infra/template.yaml"
            )),
            Some(f) if f != function => errors.push(format!(
                "route {method} {path} goes to {f} in infra/template.yaml but to {function} in \
                 the Cargo.toml router"
            )),
            Some(_) => {}
        }
    }
    for ((method, path), function) in &routes {
        if !router.contains_key(&(method.clone(), path.clone())) {
            errors.push(format!(
                "route {method} {path} → {function} in infra/template.yaml is not in the \
                 Cargo.toml router"
            ));
        }
    }
    fail_with(
        "the HTTP API routes differ from [workspace.metadata.lambda.watch.router]",
        errors,
    )
}

// ---------------------------------------------------------------- parameters

fn number(v: &Value) -> Option<f64> {
    scalar(v)?.trim().parse().ok()
}

/// Every parameter has a constraint (AllowedValues, MinValue + MaxValue, or AllowedPattern with
/// MaxLength) and its Default satisfies AllowedValues, MinValue/MaxValue and MinLength/MaxLength
/// (AllowedPattern itself is checked by cfn-lint, rule E2015).
fn check_parameters(t: &Value) -> Result<(), String> {
    let Some(params) = mapping(t, "Parameters") else {
        return Err("infra/template.yaml has no Parameters".into());
    };
    let mut errors = Vec::new();
    for (name, p) in params {
        let name = name.as_str().unwrap_or("?");
        let ty = get(p, "Type").and_then(Value::as_str).unwrap_or("");
        let allowed: Option<Vec<String>> = get(p, "AllowedValues")
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(scalar).collect());
        let min = get(p, "MinValue").and_then(number);
        let max = get(p, "MaxValue").and_then(number);
        let min_len = get(p, "MinLength").and_then(number);
        let max_len = get(p, "MaxLength").and_then(number);
        let pattern = get(p, "AllowedPattern").and_then(scalar);
        let constrained = allowed.is_some()
            || (min.is_some() && max.is_some())
            || (pattern.is_some() && max_len.is_some());
        if !constrained {
            errors.push(format!(
                "parameter {name} has no AllowedValues, MinValue/MaxValue or AllowedPattern + \
                 MaxLength"
            ));
        }
        let Some(default) = get(p, "Default") else {
            continue;
        };
        let Some(d) = scalar(default) else {
            errors.push(format!(
                "parameter {name}: Default {default:?} is not a scalar"
            ));
            continue;
        };
        if let Some(allowed) = &allowed {
            if !allowed.contains(&d) {
                errors.push(format!(
                    "parameter {name}: Default {d} is not one of its AllowedValues {allowed:?}"
                ));
            }
        }
        if ty == "Number" {
            match d.trim().parse::<f64>() {
                Err(_) => errors.push(format!("parameter {name}: Default {d} is not a number")),
                Ok(x) => {
                    if let Some(lo) = min.filter(|lo| x < *lo) {
                        errors.push(format!(
                            "parameter {name}: Default {d} is below its MinValue {lo}"
                        ));
                    }
                    if let Some(hi) = max.filter(|hi| x > *hi) {
                        errors.push(format!(
                            "parameter {name}: Default {d} is above its MaxValue {hi}"
                        ));
                    }
                }
            }
        } else if min.is_some() || max.is_some() {
            errors.push(format!(
                "parameter {name}: MinValue/MaxValue on a {ty} parameter"
            ));
        }
        let len = d.chars().count() as f64;
        if let Some(lo) = min_len.filter(|lo| len < *lo) {
            errors.push(format!(
                "parameter {name}: Default {d:?} is shorter than its MinLength {lo}"
            ));
        }
        if let Some(hi) = max_len.filter(|hi| len > *hi) {
            errors.push(format!(
                "parameter {name}: Default {d:?} is longer than its MaxLength {hi}"
            ));
        }
    }
    fail_with("infra/template.yaml parameters are out of range", errors)
}

// ---------------------------------------------------------------- IAM

/// The key segments (after `<prefix>/<tenant>/`) a function may write: its signals, or for the
/// query functions only the rule files of the ruler config API.
fn allowed_write_segments(function: &str) -> Option<&'static [&'static str]> {
    Some(match function {
        "ingest-metrics" => &["metrics"],
        "ingest-logs" => &["logs"],
        // Spans, and the span-metrics / service-graph series derived from them.
        "ingest-traces" => &["traces", "metrics"],
        "query-metrics" | "query-logs" => &["rules"],
        "query-traces" => &[],
        // Rule results and ALERTS series, and the groups' state and leases.
        "ruler" => &["metrics", "rules-state"],
        "compactor" => &["metrics", "logs", "traces"],
        _ => return None,
    })
}

/// An S3 action that can change or remove data (anything but Get*/List*/Head*, and wildcards).
fn is_write_action(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    if a == "*" || a.ends_with(":*") {
        return true;
    }
    match a.strip_prefix("s3:") {
        Some(op) => !(op.starts_with("get") || op.starts_with("list") || op.starts_with("head")),
        None => false,
    }
}

/// The key segment right after the tenant wildcard of an object ARN
/// (`…/${StorePrefix}/*/metrics/objects/L0/*` → `metrics`).
fn tenant_segment(resource: &str) -> Option<&str> {
    let rest = resource.split_once("${StorePrefix}/*/")?.1;
    let seg = rest.split('/').next()?;
    (!seg.is_empty() && !seg.contains('*')).then_some(seg)
}

/// Every Allow statement of every function's `Policies`: S3 write actions must name object
/// ARNs under `${StorePrefix}/*/<segment>/` with a segment the function owns
/// ([`allowed_write_segments`]); query functions must not write `metrics`, `logs` or `traces`;
/// and every segment a function owns must be writable (a missing grant breaks it).
/// Policy templates and managed policies (which this check cannot see into) are refused.
fn check_iam(t: &Value) -> Result<(), String> {
    let mut errors = Vec::new();
    for (id, r) in functions(t) {
        let function = binary_of(r).unwrap_or_else(|| id.clone());
        let Some(allowed) = allowed_write_segments(&function) else {
            errors.push(format!(
                "{id}: unknown function {function} (no IAM expectation)"
            ));
            continue;
        };
        let mut written: Vec<String> = Vec::new();
        let policies = get(r, "Properties").and_then(|p| get(p, "Policies"));
        for policy in policies.map(items).unwrap_or_default() {
            let Some(statements) = get(policy, "Statement") else {
                errors.push(format!(
                    "{function}: policy {policy:?} is a managed policy or policy template; \
                     write inline statements so they can be checked"
                ));
                continue;
            };
            for st in items(statements) {
                if get(st, "Effect").and_then(Value::as_str) != Some("Allow") {
                    continue;
                }
                let sid = get(st, "Sid")
                    .and_then(scalar)
                    .unwrap_or_else(|| "?".into());
                let actions: Vec<String> = get(st, "Action")
                    .map(items)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(scalar)
                    .collect();
                let writes: Vec<&String> = actions.iter().filter(|a| is_write_action(a)).collect();
                if writes.is_empty() {
                    continue;
                }
                let resources: Vec<Option<String>> = get(st, "Resource")
                    .map(items)
                    .unwrap_or_default()
                    .into_iter()
                    .map(text_of)
                    .collect();
                if resources.is_empty() {
                    errors.push(format!(
                        "{function}: statement {sid} has write actions but no Resource"
                    ));
                }
                for res in resources {
                    let res_text = res.clone().unwrap_or_else(|| "<unreadable>".into());
                    let seg = res.as_deref().and_then(tenant_segment);
                    match seg {
                        Some(seg) if allowed.contains(&seg) => written.push(seg.to_string()),
                        Some(seg) => {
                            let what = if function.starts_with("query-")
                                && ["metrics", "logs", "traces"].contains(&seg)
                            {
                                "query function with a write action on the data prefix"
                            } else {
                                "write action outside its own prefixes on"
                            };
                            errors.push(format!(
                                "{function} (statement {sid}, {writes:?}): {what} {seg}/ \
                                 ({res_text}); it may write only {allowed:?}"
                            ));
                        }
                        None => errors.push(format!(
                            "{function} (statement {sid}, {writes:?}): write action on {res_text}, \
                             which is not confined to one <prefix>/<tenant>/<segment>/; it may \
                             write only {allowed:?}"
                        )),
                    }
                }
            }
        }
        // Least privilege, not no privilege: each prefix the function writes must be granted.
        for seg in allowed.iter().filter(|s| !written.iter().any(|w| w == *s)) {
            errors.push(format!(
                "{function} is granted no write on {seg}/, which it needs to work"
            ));
        }
    }
    fail_with("infra/template.yaml IAM is not least privilege", errors)
}

// ---------------------------------------------------------------- functions

/// Every `functions/*` crate is deployed once, built by cargo-lambda, with the runtime,
/// environment and schedule it needs.
fn check_functions(t: &Value) -> Result<(), String> {
    let root = workspace_root();
    let mut dirs: Vec<String> = std::fs::read_dir(root.join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    dirs.sort();
    let globals = get(t, "Globals").and_then(|g| get(g, "Function"));
    let global_env = globals
        .and_then(|g| get(g, "Environment"))
        .and_then(|e| mapping(e, "Variables"));
    let mut errors = Vec::new();
    for name in ["LAKEWATCH_STORE_URL", "RUST_LOG"] {
        if !global_env.is_some_and(|m| m.contains_key(name)) {
            errors.push(format!("Globals.Function.Environment lacks {name}"));
        }
    }
    if global_env
        .and_then(|m| m.get("LAKEWATCH_STORE_URL"))
        .and_then(text_of)
        .is_none_or(|u| !u.starts_with("s3://${DataBucket}/"))
    {
        errors.push("LAKEWATCH_STORE_URL is not s3://${DataBucket}/<prefix>".into());
    }
    let fns = functions(t);
    for dir in &dirs {
        let matching: Vec<&(String, &Value)> = fns
            .iter()
            .filter(|(_, r)| binary_of(r).as_deref() == Some(dir.as_str()))
            .collect();
        let [(id, r)] = matching.as_slice() else {
            errors.push(format!(
                "functions/{dir} is deployed by {} AWS::Serverless::Function resources (want 1)",
                matching.len()
            ));
            continue;
        };
        let props = get(r, "Properties");
        let prop = |k: &str| {
            props
                .and_then(|p| get(p, k))
                .or_else(|| globals.and_then(|g| get(g, k)))
                .and_then(text_of)
        };
        let build = get(r, "Metadata")
            .and_then(|m| get(m, "BuildMethod"))
            .and_then(scalar);
        if build.as_deref() != Some("rust-cargolambda") {
            errors.push(format!(
                "{id}: Metadata.BuildMethod is {build:?}, want rust-cargolambda"
            ));
        }
        let want_uri = format!("../functions/{dir}");
        if prop("CodeUri").as_deref() != Some(want_uri.as_str()) {
            errors.push(format!(
                "{id}: CodeUri is {:?}, want {want_uri}",
                prop("CodeUri")
            ));
        }
        if prop("Runtime").as_deref() != Some("provided.al2023") {
            errors.push(format!(
                "{id}: Runtime is {:?}, want provided.al2023",
                prop("Runtime")
            ));
        }
        if prop("Handler").as_deref() != Some("bootstrap") {
            errors.push(format!(
                "{id}: Handler is {:?}, want bootstrap",
                prop("Handler")
            ));
        }
        let env = props
            .and_then(|p| get(p, "Environment"))
            .and_then(|e| mapping(e, "Variables"));
        let needs: &[&str] = match dir.as_str() {
            d if d.starts_with("ingest-") || d.starts_with("query-") => &["LAKEWATCH_AUTH_TENANTS"],
            "ruler" => &["LAKEWATCH_ALERTMANAGER_URL"],
            "compactor" => &["LAKEWATCH_RETENTION"],
            _ => &[],
        };
        for var in needs {
            if !env.is_some_and(|m| m.contains_key(*var)) {
                errors.push(format!("{id}: environment lacks {var}"));
            }
        }
        let schedules: Vec<String> = props
            .and_then(|p| mapping(p, "Events"))
            .map(|evs| {
                evs.values()
                    .filter(|e| get(e, "Type").and_then(Value::as_str) == Some("Schedule"))
                    .filter_map(|e| get(e, "Properties").and_then(|p| get(p, "Schedule")))
                    .filter_map(text_of)
                    .collect()
            })
            .unwrap_or_default();
        let want_schedule = match dir.as_str() {
            "ruler" => Some("rate(1 minute)"),
            "compactor" => Some("${CompactorSchedule}"),
            _ => None,
        };
        match want_schedule {
            Some(w) if schedules != [w] => {
                errors.push(format!("{id}: schedules {schedules:?}, want [{w}]"))
            }
            None if !schedules.is_empty() => {
                errors.push(format!("{id}: unexpected schedules {schedules:?}"))
            }
            _ => {}
        }
    }
    for (id, r) in &fns {
        match binary_of(r) {
            Some(b) if dirs.contains(&b) => {}
            other => errors.push(format!(
                "{id} deploys binary {other:?}, which is not a crate under functions/"
            )),
        }
    }
    fail_with("infra/template.yaml functions are incomplete", errors)
}

/// The outputs Grafana and the agents need, each a URL on the HTTP API.
fn check_outputs(t: &Value) -> Result<(), String> {
    let want = [
        ("PrometheusDatasourceUrl", ""),
        ("LokiDatasourceUrl", "/logs"),
        ("TempoDatasourceUrl", ""),
        ("RemoteWriteUrl", "/api/v1/write"),
        ("LokiPushUrl", "/loki/api/v1/push"),
        ("OtlpEndpoint", "/otlp"),
        ("OtlpTracesUrl", "/v1/traces"),
        ("OtlpMetricsUrl", "/otlp/v1/metrics"),
        ("OtlpLogsUrl", "/otlp/v1/logs"),
    ];
    let base = "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}";
    let mut errors = Vec::new();
    for (name, path) in want {
        let value = get(t, "Outputs")
            .and_then(|o| get(o, name))
            .and_then(|o| get(o, "Value"))
            .and_then(text_of);
        let expected = format!("{base}{path}");
        if value.as_deref() != Some(expected.as_str()) {
            errors.push(format!("output {name} is {value:?}, want {expected}"));
        }
    }
    fail_with("infra/template.yaml outputs", errors)
}

// ---------------------------------------------------------------- tests

#[test]
fn http_api_routes_mirror_the_cargo_lambda_router() {
    let t = load_template();
    let router = router_routes();
    assert!(router.len() >= 20, "router table too small: {router:?}");
    if let Err(e) = check_routes(&t, &router) {
        panic!("{e}");
    }
    eprintln!("{} routes match the Cargo.toml router", router.len());
}

#[test]
fn every_function_is_deployed_with_its_environment_and_schedule() {
    let t = load_template();
    if let Err(e) = check_functions(&t) {
        panic!("{e}");
    }
    if let Err(e) = check_outputs(&t) {
        panic!("{e}");
    }
}

#[test]
fn parameter_defaults_lie_within_their_constraints() {
    let t = load_template();
    if let Err(e) = check_parameters(&t) {
        panic!("{e}");
    }
    let n = mapping(&t, "Parameters").map_or(0, Mapping::len);
    assert!(n >= 8, "expected the documented parameters, found {n}");
}

#[test]
fn iam_policies_are_least_privilege() {
    let t = load_template();
    if let Err(e) = check_iam(&t) {
        panic!("{e}");
    }
}

fn function_mut<'a>(t: &'a mut Value, logical_id: &str) -> &'a mut Value {
    t.get_mut("Resources")
        .and_then(|r| r.get_mut(logical_id))
        .and_then(|f| f.get_mut("Properties"))
        .unwrap_or_else(|| panic!("{logical_id}.Properties in the template"))
}

/// A template with `IngestMemorySize`'s Default out of range.
fn with_bad_default(t: &Value) -> Value {
    let mut bad = t.clone();
    let p = bad
        .get_mut("Parameters")
        .and_then(|p| p.get_mut("IngestMemorySize"))
        .and_then(Value::as_mapping_mut)
        .expect("IngestMemorySize parameter");
    p.insert("Default".into(), Value::Number(20_000.into()));
    bad
}

#[test]
fn broken_templates_fail_naming_the_offender() {
    let t = load_template();
    let router = router_routes();

    let err = check_parameters(&with_bad_default(&t)).expect_err("out-of-range default passes");
    eprintln!("as expected: {err}");
    assert!(
        err.contains("IngestMemorySize") && err.contains("20000") && err.contains("MaxValue"),
        "{err}"
    );

    let mut bad = t.clone();
    let mut p = bad
        .get_mut("Parameters")
        .and_then(|p| p.get_mut("Architecture"))
        .cloned()
        .expect("Architecture parameter");
    p.as_mapping_mut()
        .expect("mapping")
        .insert("Default".into(), "riscv64".into());
    bad.get_mut("Parameters")
        .and_then(Value::as_mapping_mut)
        .expect("Parameters")
        .insert("Architecture".into(), p);
    let err = check_parameters(&bad).expect_err("default outside AllowedValues passes");
    eprintln!("as expected: {err}");
    assert!(
        err.contains("Architecture") && err.contains("riscv64"),
        "{err}"
    );

    let mut bad = t.clone();
    function_mut(&mut bad, "IngestMetricsFunction")
        .get_mut("Events")
        .and_then(Value::as_mapping_mut)
        .expect("IngestMetricsFunction events")
        .remove("ApiV1Write")
        .expect("ApiV1Write event");
    let err = check_routes(&bad, &router).expect_err("dropped route passes");
    eprintln!("as expected: {err}");
    assert!(
        err.contains("POST /api/v1/write") && err.contains("missing"),
        "{err}"
    );

    let mut bad = t.clone();
    let stmt: Value = serde_yaml::from_str(
        "Sid: Oops\nEffect: Allow\nAction: [s3:GetObject, s3:PutObject]\n\
         Resource: !Sub \"arn:${AWS::Partition}:s3:::${DataBucket}/${StorePrefix}/*/traces/*\"\n",
    )
    .expect("statement YAML");
    function_mut(&mut bad, "QueryTracesFunction")
        .get_mut("Policies")
        .and_then(|p| p.get_mut(0))
        .and_then(|p| p.get_mut("Statement"))
        .and_then(Value::as_sequence_mut)
        .expect("QueryTracesFunction statements")
        .push(stmt);
    let err = check_iam(&bad).expect_err("write on a query function passes");
    eprintln!("as expected: {err}");
    assert!(
        err.contains("query-traces") && err.contains("s3:PutObject") && err.contains("traces/"),
        "{err}"
    );

    let mut bad = t.clone();
    let stmt: Value = serde_yaml::from_str(
        "Effect: Allow\nAction: s3:*\nResource: !Sub \"${DataBucket.Arn}/*\"\n",
    )
    .expect("statement YAML");
    function_mut(&mut bad, "IngestLogsFunction")
        .get_mut("Policies")
        .and_then(|p| p.get_mut(0))
        .and_then(|p| p.get_mut("Statement"))
        .and_then(Value::as_sequence_mut)
        .expect("IngestLogsFunction statements")
        .push(stmt);
    let err = check_iam(&bad).expect_err("bucket-wide write passes");
    eprintln!("as expected: {err}");
    assert!(
        err.contains("ingest-logs") && err.contains("not confined"),
        "{err}"
    );

    let mut bad = t.clone();
    let statements = function_mut(&mut bad, "RulerFunction")
        .get_mut("Policies")
        .and_then(|p| p.get_mut(0))
        .and_then(|p| p.get_mut("Statement"))
        .and_then(Value::as_sequence_mut)
        .expect("RulerFunction statements");
    statements.retain(|st| get(st, "Sid").and_then(Value::as_str) != Some("WriteRuleState"));
    let err = check_iam(&bad).expect_err("ruler without rules-state write passes");
    eprintln!("as expected: {err}");
    assert!(
        err.contains("ruler is granted no write on rules-state/"),
        "{err}"
    );
}

/// Runs `program args…` under `timeout` with AWS-free settings; (success, stdout + stderr).
fn run_offline(program: &Path, args: &[&str], home: &Path) -> (bool, String) {
    let out = Command::new("timeout")
        .arg("300")
        .arg(program)
        .args(args)
        .current_dir(workspace_root())
        // Offline: a region and dummy credentials so nothing looks for real ones, no telemetry,
        // no user AWS config.
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "lakewatch-offline-test")
        .env("AWS_SECRET_ACCESS_KEY", "lakewatch-offline-test")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("SAM_CLI_TELEMETRY", "0")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn template_passes_cfn_lint_and_sam_validate_offline() {
    if flag(SKIP_INFRA_LINT) {
        eprintln!("SKIPPED: {SKIP_INFRA_LINT} is set, not running cfn-lint / sam validate");
        return;
    }
    let hint = |tool: &str| {
        format!(
            "`{tool}` is not installed (not on PATH). Run `bash tests/run.sh`, which installs it \
             (pip install cfn-lint aws-sam-cli), or set {SKIP_INFRA_LINT}=1 to skip this test \
             for a quick local run."
        )
    };
    let cfn_lint = which("cfn-lint").unwrap_or_else(|| panic!("{}", hint("cfn-lint")));
    let sam = which("sam").unwrap_or_else(|| panic!("{}", hint("sam")));
    let dir = TempDir::new("infra").expect("temp dir");
    let template = template_path();
    let template_s = template.to_string_lossy().into_owned();

    let (ok, out) = run_offline(&cfn_lint, &[&template_s], dir.path());
    assert!(ok, "cfn-lint infra/template.yaml failed:\n{out}");

    let (ok, out) = run_offline(&sam, &["validate", "--lint", "-t", &template_s], dir.path());
    assert!(
        ok,
        "sam validate --lint -t infra/template.yaml failed:\n{out}"
    );
    assert!(
        out.contains("is a valid SAM Template"),
        "sam validate said:\n{out}"
    );

    // The lint also refuses the out-of-range default, naming the line of the parameter.
    let bad = dir.path().join("template.yaml");
    let text = serde_yaml::to_string(&with_bad_default(&load_template())).expect("YAML");
    std::fs::write(&bad, text).expect("write the broken copy");
    let (ok, out) = run_offline(&cfn_lint, &[&bad.to_string_lossy()], dir.path());
    assert!(
        !ok,
        "cfn-lint accepted IngestMemorySize Default 20000:\n{out}"
    );
    assert!(
        out.contains("E2015") && out.contains("MaxValue"),
        "cfn-lint said:\n{out}"
    );
}
