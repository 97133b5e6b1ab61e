#!/bin/sh
# Best-effort deployment of infra/template.yaml into LocalStack (service `deployer` of
# docker-compose.localstack.yml). Steps:
#   1. copy the repository (mounted read-only at /src) to /build, without target/ and .git/,
#      so `sam build` (BuildMethod: rust-cargolambda builds in the source tree) never writes
#      into your checkout; /build/target is a volume, so rebuilds are incremental;
#   2. `sam build --beta-features` (cargo lambda build --release, x86_64, zig) into /build/.aws-sam;
#   3. `samlocal deploy` to LocalStack's CloudFormation (S3, Lambda, API Gateway, EventBridge,
#      IAM), stack $STACK_NAME; PARAMETER_OVERRIDES ("Key=Value Key=Value") is passed on;
#   4. prints the stack outputs (the datasource URLs).
set -eu
template="${TEMPLATE:-infra/template.yaml}"
stack="${STACK_NAME:-lakewatch}"
region="${AWS_DEFAULT_REGION:-us-east-1}"

mkdir -p /build
(cd /src && tar --exclude=./target --exclude=./.git --exclude=./.aws-sam --exclude=./data -cf - .) \
  | (cd /build && tar -xf -)
cd /build
unset CARGO_TARGET_DIR

sam build --beta-features --template-file "$template" --build-dir .aws-sam/build

set -- --template-file .aws-sam/build/template.yaml --stack-name "$stack" --region "$region" \
  --resolve-s3 --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM \
  --no-confirm-changeset --no-fail-on-empty-changeset
if [ -n "${PARAMETER_OVERRIDES:-}" ]; then
  # shellcheck disable=SC2086 # one argument per Key=Value pair
  set -- "$@" --parameter-overrides $PARAMETER_OVERRIDES
fi
samlocal deploy "$@"
samlocal list stack-outputs --stack-name "$stack" --region "$region" --output json
