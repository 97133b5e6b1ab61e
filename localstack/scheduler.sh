#!/bin/sh
# EventBridge stand-in for the local stack (service `scheduler`): invokes the `ruler` function
# every RULER_EVERY_SECONDS (60) and the `compactor` every COMPACTOR_EVERY_RUNS ruler runs (5,
# i.e. 5 minutes) with an empty event, through the invoke API of `cargo lambda watch`
# (POST $LAKEWATCH_INVOKE_URL/2015-03-31/functions/<name>/invocations, the endpoint
# `cargo lambda invoke` uses). Each response (the pass report) is printed. A failed invocation
# is reported and retried at the next tick. SCHEDULER_RUNS=N stops after N ticks (0 = forever).
set -u
url="${LAKEWATCH_INVOKE_URL:-http://lakewatch:9000}"
every="${RULER_EVERY_SECONDS:-60}"
compact_every="${COMPACTOR_EVERY_RUNS:-5}"
runs="${SCHEDULER_RUNS:-0}"

invoke() { # invoke <function>
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) invoke $1"
  if ! curl -fsS -m 900 -X POST -H 'Content-Type: application/json' -d '{}' \
    "$url/2015-03-31/functions/$1/invocations"; then
    echo "invoke $1 failed; retrying at the next tick" >&2
    return 1
  fi
  echo
}

i=0
while :; do
  start=$(date +%s)
  invoke ruler || true
  if [ $((i % compact_every)) -eq 0 ]; then
    invoke compactor || true
  fi
  i=$((i + 1))
  if [ "$runs" -gt 0 ] && [ "$i" -ge "$runs" ]; then
    exit 0
  fi
  left=$((start + every - $(date +%s)))
  if [ "$left" -gt 0 ]; then
    sleep "$left"
  fi
done
