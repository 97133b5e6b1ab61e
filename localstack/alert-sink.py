"""Webhook sink for the local stack's Alertmanager (service `alert-sink`).

examples/alertmanager/alertmanager.yml sends every receiver to http://127.0.0.1:9095/alerts/<receiver>;
this container shares Alertmanager's network namespace, so that address reaches it. Each POST
(Alertmanager's webhook JSON: status, receiver, alerts[] with labels and annotations) is
printed as one line and answered 200.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            msg = json.loads(body)
            alerts = [
                f"{a.get('labels', {}).get('alertname')}[{a.get('status')}]"
                for a in msg.get("alerts", [])
            ]
            line = f"{self.path} receiver={msg.get('receiver')} status={msg.get('status')} alerts={alerts}"
        except ValueError:
            line = f"{self.path} non-JSON body of {length} bytes"
        print(line, flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(os.environ.get("ALERT_SINK_PORT", "9095"))
    print(f"alert-sink listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    HTTPServer(("127.0.0.1", port), Sink).serve_forever()
