"""JSON log records shaped like a small HTTP backend's request logs, shared by the Loki client
tests (tests/tests/loki_clients.rs).

Each record is one request: level, msg, method, route, status, duration_ms, trace_id, user_id.
The sequence is deterministic for a seed; the first three records are a 500, a 404 and a 200 so
that every level (error, warning, info) is always present.
"""

import json
import math
import random

ROUTES = [
    ("POST", "/api/orders"),
    ("GET", "/api/orders/{id}"),
    ("GET", "/api/cart"),
    ("POST", "/api/checkout"),
    ("GET", "/health"),
]


def level_of(status):
    """The log level a backend uses for a response status: error (5xx), warning (4xx), info."""
    if status >= 500:
        return "error"
    if status >= 400:
        return "warning"
    return "info"


def records(seed, n):
    """`n` request records (dicts) for `seed`."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        method, route = ROUTES[rng.randrange(len(ROUTES))]
        r = rng.random()
        if i == 0 or r < 0.08:
            status = 503 if i == 0 or r < 0.05 else 500
        elif i == 1 or r < 0.18:
            status = 404 if i == 1 or r < 0.14 else 429
        else:
            status = 201 if method == "POST" else 200
        level = level_of(status)
        duration_ms = round(rng.lognormvariate(math.log(40.0), 0.8), 1)
        out.append(
            {
                "level": level,
                "msg": "request failed" if status >= 500 else "request served",
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "trace_id": "%032x" % rng.getrandbits(128),
                "user_id": "user-%03d" % rng.randrange(1, 40),
            }
        )
    return out


def line(record):
    """The log line of a record: one JSON object, as Python's json module writes it."""
    return json.dumps(record)
