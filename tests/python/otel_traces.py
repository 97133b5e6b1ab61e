#!/usr/bin/env python3
"""Sends AI-gateway-shaped traces to Lakewatch with the OpenTelemetry Python SDK.

Usage: otel_traces.py BASE_URL TENANT ENCODING N_TRACES BASE_NS

ENCODING is `protobuf` (the SDK's own OTLP/HTTP exporter, `opentelemetry-exporter-otlp-proto-http`;
the provider service's exporter gzips) or `json` (OTLP/HTTP JSON built the spec way from the
SDK's spans: the exporter's protobuf encoder, then proto3 JSON with enums as integers, 64-bit
integers as strings and trace/span ids as hex; the provider service's bodies gzipped).

Trace i (0 <= i < N_TRACES) starts at BASE_NS + i * 3 s and is shaped like the reference AI
gateway's request traces:

    ai-gateway          SERVER  POST /v1/chat/completions   http.request.method, http.route,
                                                            http.response.status_code (200 / 500)
      ai-gateway        CLIENT  redis GET                   db.system=redis (not when i % 3 == 2)
      ai-gateway        CLIENT  chat <model>                gen_ai.* (model, provider, tokens)
        llm-provider-openai SERVER POST /v1/chat/completions  (openai models only; its own
                                                            TracerProvider, resource and exporter,
                                                            parented through a W3C traceparent)

Models cycle gpt-4o, gpt-4o, gpt-4o-mini (openai), claude-3-5-sonnet (anthropic). When
i % 5 == 2 the provider call fails: status ERROR on the provider client span (with an
`exception` event), on the provider's server span and on the gateway's server span (500).
The server span lasts 50 ms + 45 ms * i, except the last trace's, which lasts 2.5 s.

Prints one JSON object on stdout: {"encoding", "exports": [{"service", "spans", "result"}],
"spans": [every span as the SDK finished it: trace_id/span_id/parent_span_id hex, name, kind
(SERVER, CLIENT…), status (UNSET, OK, ERROR), status_message, start_ns, end_ns, service, scope,
attributes, events]}. Exits 1 when an export did not succeed.
"""

import base64
import gzip
import json
import sys
import urllib.request

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

MS = 1_000_000
GATEWAY = "ai-gateway"
PROVIDER_SERVICE = "llm-provider-openai"
MODELS = [
    ("gpt-4o", "openai"),
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("claude-3-5-sonnet", "anthropic"),
]
PROVIDER_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}

EXPORTS = []


class RecordingOtlpExporter(OTLPSpanExporter):
    """The SDK's OTLP/HTTP protobuf exporter, recording each export's result."""

    def __init__(self, service, **kw):
        super().__init__(**kw)
        self._service = service

    def export(self, spans):
        result = super().export(spans)
        EXPORTS.append({"service": self._service, "spans": len(spans), "result": result.name})
        return result


def _hex_ids(obj):
    """Rewrites the base64 `traceId`/`spanId`/`parentSpanId` of proto3 JSON as hex (OTLP/JSON)."""
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                obj[k] = base64.b64decode(v).hex()
            else:
                _hex_ids(v)
    elif isinstance(obj, list):
        for v in obj:
            _hex_ids(v)
    return obj


class OtlpJsonExporter(SpanExporter):
    """OTLP/HTTP JSON: the SDK exporter's protobuf message, mapped to the spec's JSON."""

    def __init__(self, service, endpoint, headers, gzip_body):
        self._service = service
        self._endpoint = endpoint
        self._headers = headers
        self._gzip = gzip_body

    def export(self, spans):
        msg = encode_spans(spans)
        body = _hex_ids(MessageToDict(msg, use_integers_for_enums=True))
        data = json.dumps(body).encode()
        headers = dict(self._headers)
        headers["Content-Type"] = "application/json"
        if self._gzip:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        req = urllib.request.Request(self._endpoint, data=data, headers=headers, method="POST")
        result = SpanExportResult.FAILURE
        detail = ""
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                ctype = resp.headers.get("Content-Type", "")
                reply = json.loads(resp.read() or b"{}")
                rejected = int(reply.get("partialSuccess", {}).get("rejectedSpans", 0) or 0)
                if resp.status == 200 and ctype.startswith("application/json") and rejected == 0:
                    result = SpanExportResult.SUCCESS
                else:
                    detail = f"HTTP {resp.status} {ctype} {reply}"
        except Exception as e:  # noqa: BLE001 - reported in the summary
            detail = repr(e)
        entry = {"service": self._service, "spans": len(spans), "result": result.name}
        if detail:
            entry["detail"] = detail
        EXPORTS.append(entry)
        return result

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=30000):
        return True


def provider(service, encoding, base_url, tenant, gzip_body, memory):
    resource = Resource.create(
        {
            "service.name": service,
            "service.namespace": "e2e",
            "service.version": "1.4.2",
            "deployment.environment.name": "e2e",
            "e2e.encoding": encoding,
        }
    )
    tp = TracerProvider(resource=resource)
    endpoint = base_url.rstrip("/") + "/v1/traces"
    headers = {"X-Scope-OrgID": tenant}
    if encoding == "protobuf":
        exporter = RecordingOtlpExporter(
            service,
            endpoint=endpoint,
            headers=headers,
            compression=Compression.Gzip if gzip_body else Compression.NoCompression,
            timeout=30,
        )
    else:
        exporter = OtlpJsonExporter(service, endpoint, headers, gzip_body)
    # Small batches: a trace's spans land in several export requests.
    tp.add_span_processor(
        BatchSpanProcessor(exporter, max_export_batch_size=7, schedule_delay_millis=60_000)
    )
    tp.add_span_processor(SimpleSpanProcessor(memory))
    return tp


def one_trace(i, n, t0, gw, prov):
    model, prov_name = MODELS[i % len(MODELS)]
    failed = i % 5 == 2
    with_redis = i % 3 != 2
    dur = 2500 * MS if i == n - 1 else (50 + 45 * i) * MS
    end = t0 + dur
    status_code = 500 if failed else 200

    http_tracer = gw.get_tracer("opentelemetry.instrumentation.fastapi", "0.48b0")
    redis_tracer = gw.get_tracer("opentelemetry.instrumentation.redis", "0.48b0")
    gen_tracer = gw.get_tracer("ai-gateway.providers", "1.4.2")

    server = http_tracer.start_span(
        "POST /v1/chat/completions",
        kind=SpanKind.SERVER,
        start_time=t0,
        attributes={
            "http.request.method": "POST",
            "http.route": "/v1/chat/completions",
            "url.path": "/v1/chat/completions",
            "enduser.id": f"user-{i % 3}",
        },
    )
    ctx = trace.set_span_in_context(server)
    if with_redis:
        r0 = t0 + 1 * MS
        redis = redis_tracer.start_span(
            "redis GET",
            context=ctx,
            kind=SpanKind.CLIENT,
            start_time=r0,
            attributes={
                "db.system": "redis",
                "db.operation": "GET",
                "server.address": "redis",
                "server.port": 6379,
            },
        )
        redis.end(end_time=r0 + 300_000 + i * 10_000)

    c0, c1 = t0 + 3 * MS, end - 2 * MS
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": prov_name,
        "gen_ai.provider.name": prov_name,
        "gen_ai.request.model": model,
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.stream": i % 2 == 0,
        "gen_ai.usage.input_tokens": 100 + 10 * i,
        "server.address": PROVIDER_HOSTS[prov_name],
    }
    if not failed:
        attrs["gen_ai.response.model"] = model
        attrs["gen_ai.usage.output_tokens"] = 20 + i
    call = gen_tracer.start_span(
        f"chat {model}", context=ctx, kind=SpanKind.CLIENT, start_time=c0, attributes=attrs
    )
    if prov_name == "openai":
        # The provider's own service, parented through the HTTP headers the client would send.
        carrier = {}
        TraceContextTextMapPropagator().inject(carrier, context=trace.set_span_in_context(call))
        remote = TraceContextTextMapPropagator().extract(carrier)
        p_tracer = prov.get_tracer("openai.api", "2.0.0")
        p_span = p_tracer.start_span(
            "POST /v1/chat/completions",
            context=remote,
            kind=SpanKind.SERVER,
            start_time=c0 + 1 * MS,
            attributes={
                "http.request.method": "POST",
                "http.route": "/v1/chat/completions",
                "http.response.status_code": status_code,
            },
        )
        if failed:
            p_span.set_status(Status(StatusCode.ERROR, "internal error"))
        p_span.end(end_time=c1 - 1 * MS)
    if failed:
        call.add_event(
            "exception",
            {"exception.type": "ProviderError", "exception.message": "upstream returned 500"},
            timestamp=c1 - 500_000,
        )
        call.set_attribute("error.type", "ProviderError")
        call.set_status(Status(StatusCode.ERROR, "upstream returned 500"))
    call.end(end_time=c1)

    server.set_attribute("http.response.status_code", status_code)
    if failed:
        server.set_status(Status(StatusCode.ERROR))
    server.end(end_time=end)


def span_json(s):
    ctx = s.get_span_context()
    parent = s.parent.span_id if s.parent is not None else None
    return {
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_span_id": format(parent, "016x") if parent is not None else None,
        "name": s.name,
        "kind": s.kind.name,
        "status": s.status.status_code.name,
        "status_message": s.status.description or "",
        "start_ns": s.start_time,
        "end_ns": s.end_time,
        "service": s.resource.attributes.get("service.name"),
        "scope": s.instrumentation_scope.name if s.instrumentation_scope else "",
        "attributes": dict(s.attributes or {}),
        "events": [e.name for e in s.events],
    }


def main():
    base_url, tenant, encoding, n, base_ns = sys.argv[1:6]
    n, base_ns = int(n), int(base_ns)
    if encoding not in ("protobuf", "json"):
        sys.exit(f"unknown encoding {encoding!r}")
    memory = InMemorySpanExporter()
    gw = provider(GATEWAY, encoding, base_url, tenant, False, memory)
    prov = provider(PROVIDER_SERVICE, encoding, base_url, tenant, True, memory)
    for i in range(n):
        one_trace(i, n, base_ns + i * 3_000 * MS, gw, prov)
    # The provider's spans end first, as they would in a real deployment.
    ok = prov.force_flush(60_000) and gw.force_flush(60_000)
    prov.shutdown()
    gw.shutdown()
    spans = [span_json(s) for s in memory.get_finished_spans()]
    print(json.dumps({"encoding": encoding, "exports": EXPORTS, "spans": spans}))
    failed = [e for e in EXPORTS if e["result"] != "SUCCESS"]
    if not ok or failed or not EXPORTS:
        sys.stderr.write(f"exports failed (flush ok={ok}): {failed}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
