#!/bin/sh
# One-shot set-up of the local stack's MinIO (service `minio-init`, image minio/mc):
#   1. creates the bucket of LAKEWATCH_STORE_URL (s3://$LAKEWATCH_BUCKET/$LAKEWATCH_PREFIX);
#   2. seeds the example rule groups for tenant $LAKEWATCH_RULES_TENANT where Lakewatch's rules
#      store keeps them (docs/api-rules.md, lakewatch_ruler::store::RulesStore::key):
#        <prefix>/<tenant>/rules/prometheus/<file stem>.yaml   PromQL  (/rules/*.yml)
#        <prefix>/<tenant>/rules/loki/<file stem>.yaml         LogQL   (/rules/logs/*.yml)
#      one namespace per file, as `lakewatch dev --rules` loads a directory. A namespace that
#      already exists (edited through the ruler API) is left alone.
# The `mc` alias `local` comes from MC_HOST_local. MC=echo prints the commands instead of
# running them (tests/tests/localstack.rs checks the object keys that way).
set -eu
MC="${MC:-mc}"
bucket="${LAKEWATCH_BUCKET:?}"
prefix="${LAKEWATCH_PREFIX:-}"
tenant="${LAKEWATCH_RULES_TENANT:-anonymous}"
rules="${RULES_DIR:-/rules}"
base="local/$bucket"
[ -n "$prefix" ] && base="$base/$prefix"

$MC mb --ignore-existing "local/$bucket"

seed() { # seed <dir> <prometheus|loki>
  for f in "$1"/*.yml "$1"/*.yaml; do
    [ -f "$f" ] || continue
    name="$(basename "$f")"
    ns="${name%.*}"
    key="$base/$tenant/rules/$2/$ns.yaml"
    if [ "$MC" != "echo" ] && $MC stat "$key" >/dev/null 2>&1; then
      echo "keep $key (already there)"
    else
      $MC cp "$f" "$key"
    fi
  done
}
seed "$rules" prometheus
seed "$rules/logs" loki
echo "minio-init done"
