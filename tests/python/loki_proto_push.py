"""Pushes JSON request logs to Loki's push endpoint as a snappy-compressed protobuf
`logproto.PushRequest`, the way Promtail, Grafana Alloy and the Loki Go client send them.

The Python message classes are generated at run time from tests/proto/push.proto (Loki's
published push messages) with grpcio-tools' bundled protoc; snappy block compression is
cramjam's `snappy.compress_raw` (the raw block format Loki expects, not the framed format).

Usage: python3 loki_proto_push.py BASE_URL TENANT SERVICE COUNT SEED START_NS STEP_NS REQUESTS [gzip]

Entry i is at START_NS + i*STEP_NS + (i % 7) * 1000 ns, in stream
{service_name=SERVICE, env="e2e", level=<record level>} with structured metadata trace_id and
user_id; the entries are cut into REQUESTS pushes in time order. With `gzip`, the last push is
additionally gzip-compressed with `Content-Encoding: gzip` (Loki gunzips, then snappy-decodes).
The tenant goes in `X-Scope-OrgID`. Prints {"sent": [{"labels", "line", "ts_ns",
"structured_metadata", "record"}, ...]} on stdout; exits 1 if a push was not answered 204.
"""

import gzip
import importlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import cramjam
import grpc_tools

import backend_logs

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "proto")


def load_push_pb2(out_dir):
    """Compiles push.proto into `out_dir` and imports the generated module."""
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I" + PROTO_DIR,
        "-I" + well_known,
        "--python_out=" + out_dir,
        os.path.join(PROTO_DIR, "push.proto"),
    ]
    subprocess.run(cmd, check=True)
    sys.path.insert(0, out_dir)
    return importlib.import_module("push_pb2")


def label_text(labels):
    """Prometheus text form of a label set: {a="x", b="y"} (values escaped)."""
    parts = []
    for k, v in labels.items():
        v = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append('%s="%s"' % (k, v))
    return "{" + ", ".join(parts) + "}"


def push(url, tenant, body, gzipped):
    headers = {
        "Content-Type": "application/x-protobuf",
        "X-Scope-OrgID": tenant,
        "User-Agent": "lakewatch-e2e-proto-pusher",
    }
    if gzipped:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def main():
    base, tenant, service, count, seed, start_ns, step_ns, requests = sys.argv[1:9]
    gzip_last = len(sys.argv) > 9 and sys.argv[9] == "gzip"
    count, start_ns, step_ns, requests = int(count), int(start_ns), int(step_ns), int(requests)
    with tempfile.TemporaryDirectory() as tmp:
        pb = load_push_pb2(tmp)
    sent = []
    for i, rec in enumerate(backend_logs.records(int(seed), count)):
        labels = {"service_name": service, "env": "e2e", "level": rec["level"]}
        sent.append(
            {
                "labels": labels,
                "line": backend_logs.line(rec),
                "ts_ns": start_ns + i * step_ns + (i % 7) * 1000,
                "structured_metadata": {"trace_id": rec["trace_id"], "user_id": rec["user_id"]},
                "record": rec,
            }
        )
    url = base.rstrip("/") + "/loki/api/v1/push"
    per = -(-len(sent) // requests)
    failures = []
    for r in range(requests):
        chunk = sent[r * per : (r + 1) * per]
        if not chunk:
            continue
        req = pb.PushRequest()
        streams = {}
        for e in chunk:
            key = label_text(e["labels"])
            if key not in streams:
                streams[key] = req.streams.add(labels=key)
            entry = streams[key].entries.add(line=e["line"])
            entry.timestamp.seconds = e["ts_ns"] // 1_000_000_000
            entry.timestamp.nanos = e["ts_ns"] % 1_000_000_000
            for k, v in e["structured_metadata"].items():
                entry.structuredMetadata.add(name=k, value=v)
        body = bytes(cramjam.snappy.compress_raw(req.SerializeToString()))
        status, text = push(url, tenant, body, gzip_last and r == requests - 1)
        if status != 204:
            failures.append("push %d: HTTP %d %s" % (r, status, text.strip()))
    for f in failures:
        print(f, file=sys.stderr)
    json.dump({"sent": sent, "failures": len(failures)}, sys.stdout)
    sys.stdout.write("\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
