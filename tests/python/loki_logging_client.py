"""Sends JSON request logs to a Loki push endpoint with the real PyPI `python-logging-loki`
client (`logging_loki.LokiHandler`, emitter version "1" = `POST /loki/api/v1/push`, JSON body,
one request per record; version "0" = the legacy `POST /api/prom/push`).

Usage: python3 loki_logging_client.py BASE_URL TENANT SERVICE COUNT SEED [VERSION]

The tenant is sent as the basic-auth user name (the client has no header option). Stream
labels are the handler's tags (service_name, env) plus the ones the client adds itself:
`severity` (the record's level name, lower case) and `logger`. Prints one JSON object on
stdout: {"sent": [{"labels": {...}, "line": "...", "record": {...}}, ...]} and exits 1 if any
push was not answered 204.
"""

import json
import logging
import sys

import logging_loki

import backend_logs

PY_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class JsonLineFormatter(logging.Formatter):
    """Formats a record as the JSON line of its `fields` extra."""

    def format(self, record):
        return backend_logs.line(record.fields)


class StrictLokiHandler(logging_loki.LokiHandler):
    """The client's handler, counting failed pushes instead of printing them only."""

    failures = 0

    def handleError(self, record):  # noqa: N802 (logging's name)
        StrictLokiHandler.failures += 1
        if StrictLokiHandler.failures <= 3:
            print("push failed: %s" % (sys.exc_info()[1],), file=sys.stderr)
        self.emitter.close()


def main():
    base, tenant, service, count, seed = sys.argv[1:6]
    version = sys.argv[6] if len(sys.argv) > 6 else "1"
    path = "/loki/api/v1/push" if version == "1" else "/api/prom/push"
    tags = {"service_name": service, "env": "e2e"}
    handler = StrictLokiHandler(
        url=base.rstrip("/") + path, tags=tags, auth=(tenant, "unused"), version=version
    )
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("backend." + service)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    sent = []
    for rec in backend_logs.records(int(seed), int(count)):
        logger.log(PY_LEVELS[rec["level"]], rec["msg"], extra={"fields": rec})
        labels = dict(tags, severity=rec["level"], logger=logger.name)
        sent.append({"labels": labels, "line": backend_logs.line(rec), "record": rec})
    handler.emitter.close()
    json.dump({"sent": sent, "failures": StrictLokiHandler.failures}, sys.stdout)
    sys.stdout.write("\n")
    return 1 if StrictLokiHandler.failures else 0


if __name__ == "__main__":
    sys.exit(main())
