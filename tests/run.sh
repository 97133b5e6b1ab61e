#!/usr/bin/env bash
# Runs every Lakewatch test on a fresh Debian 12 machine with Rust installed:
#   bash tests/run.sh
# Installs what the tests need when missing (Debian's prometheus, moto_server, cargo-lambda),
# then runs `cargo test --workspace` (debug build). Exits non-zero on any failure.
# Environment:
#   CARGO_TARGET_DIR   build folder (default: $HOME/.cache/lakewatch-target)
#   LAKEWATCH_E2E_SKIP_PROMETHEUS=1 / LAKEWATCH_E2E_SKIP_S3=1   skip the end-to-end tests that
#                      need them (quick local runs only; never set in CI)
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

if ! command -v prometheus-alertmanager >/dev/null 2>&1 \
  || { ! command -v prometheus >/dev/null 2>&1 && [ "${LAKEWATCH_E2E_SKIP_PROMETHEUS:-0}" != "1" ]; }; then
  log "installing Debian's prometheus (2.42) and prometheus-alertmanager (0.25)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus prometheus-alertmanager
fi

PIP_PKGS=()
command -v moto_server >/dev/null 2>&1 || PIP_PKGS+=("moto[server]")
cargo lambda --version >/dev/null 2>&1 || PIP_PKGS+=("cargo-lambda")
# Real clients and readers used by the ingest and storage tests.
python3 -c 'import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http' >/dev/null 2>&1 \
  || PIP_PKGS+=("opentelemetry-sdk" "opentelemetry-exporter-otlp-proto-http")
python3 -c 'import duckdb' >/dev/null 2>&1 || PIP_PKGS+=("duckdb")
# Real Loki clients (tests/tests/loki_clients.rs): the python-logging-loki handler, and protoc
# (grpcio-tools) + snappy (cramjam) for the protobuf pusher built from tests/proto/push.proto.
python3 -c 'import logging_loki' >/dev/null 2>&1 || PIP_PKGS+=("python-logging-loki")
python3 -c 'import grpc_tools, cramjam' >/dev/null 2>&1 || PIP_PKGS+=("grpcio-tools" "cramjam")
# Offline lint of the AWS SAM template (tests/tests/infra.rs).
command -v cfn-lint >/dev/null 2>&1 || PIP_PKGS+=("cfn-lint")
command -v sam >/dev/null 2>&1 || PIP_PKGS+=("aws-sam-cli")
if [ "${#PIP_PKGS[@]}" -gt 0 ]; then
  log "installing ${PIP_PKGS[*]} with pip"
  PIP="pip"
  command -v pip >/dev/null 2>&1 || PIP="python3 -m pip"
  $PIP install --quiet "${PIP_PKGS[@]}"
  # pyenv needs its shims refreshed to see new console scripts
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lakewatch-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental caches only grow in a shared target dir (each clone path gets its own): off.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
log "cargo test --workspace (target dir $CARGO_TARGET_DIR)"
cargo test --workspace --no-fail-fast
log "all tests passed"
