#!/usr/bin/env python3
"""Compare Lakewatch's Prometheus API with a real Prometheus on the same data (manual check).

Setup (all on 127.0.0.1; stop what you start by its process-group id):
  1. Lakewatch all-in-one: `LAKEWATCH_NO_DEMO=true lakewatch dev --listen 127.0.0.1:9471 --store file:///tmp/lw/data`
  2. Debian Prometheus 2.42 scraping itself every 5s on 127.0.0.1:9472 with
     `remote_write: [{url: http://127.0.0.1:9471/api/v1/write}]`; wait ~1 minute.
  3. `python3 shared/api/tests/compare_prometheus.py [PROM_URL] [LAKEWATCH_URL]`
Each case runs as GET and as POST form; bodies are compared as JSON (series order ignored
for vectors/matrices); for errors, status and errorType must match (messages differ where
Prometheus 2.42 differs from 3.x or has parser positions). Exit status 1 on any difference.
"""
import json, sys, time, urllib.request, urllib.parse
P=sys.argv[1] if len(sys.argv)>1 else "http://127.0.0.1:9472"
L=sys.argv[2] if len(sys.argv)>2 else "http://127.0.0.1:9471"
def q(base, path, params, post=False):
    data=urllib.parse.urlencode(params, doseq=True)
    try:
        if post:
            r=urllib.request.urlopen(urllib.request.Request(base+path, data=data.encode(), headers={"Content-Type":"application/x-www-form-urlencoded"}), timeout=300)
        else:
            r=urllib.request.urlopen(base+path+"?"+data, timeout=300)
        return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
now=time.time()
t=round(now-30, 3)
def norm(v):
    if isinstance(v, dict) and v.get("status")=="success":
        d=v["data"]
        if isinstance(d, dict) and d.get("resultType") in ("vector","matrix"):
            d["result"]=sorted(d["result"], key=lambda s: json.dumps(s.get("metric"), sort_keys=True))
    return v
cases=[
 ("/api/v1/query", {"query":"up","time":t}),
 ("/api/v1/query", {"query":"prometheus_build_info","time":t}),
 ("/api/v1/query", {"query":"sum by (job) (rate(prometheus_http_requests_total[1m]))","time":t}),
 ("/api/v1/query", {"query":"count(up)","time":t}),
 ("/api/v1/query", {"query":"1+1","time":"4"}),
 ("/api/v1/query_range", {"query":"up","start":t-40,"end":t,"step":"10"}),
 ("/api/v1/query_range", {"query":"rate(prometheus_tsdb_head_samples_appended_total[30s])","start":t-20,"end":t,"step":"5"}),
 ("/api/v1/query_range", {"query":"histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[1m])))","start":t-20,"end":t,"step":"5"}),
 ("/api/v1/series", {"match[]":"up","start":t-60,"end":t}),
 ("/api/v1/label/job/values", {"start":t-60,"end":t}),
 ("/api/v1/query_range", {"query":"up","start":"0","end":"11001","step":"1"}),
 ("/api/v1/query_range", {"query":"up","start":"10","end":"5","step":"1"}),
 ("/api/v1/query", {"query":"up{","time":t}),
 ("/api/v1/query", {"query":"up","time":"abc"}),
 ("/api/v1/query_exemplars", {"query":"test","start":"1700000000000","end":"1700003600000"}),
 ("/api/v1/labels", {"match[]":'{job=~".*"}'}),
 ("/api/v1/labels", {"match[]":"up","start":t-60,"end":t}),
 ("/api/v1/series", {"start":t-60,"end":t}),
 ("/api/v1/label/__name__/values", {"match[]":"prometheus_http_requests_total", "start":t-60,"end":t}),
 ("/api/v1/query", {"query":"topk(3, prometheus_http_requests_total)","time":t}),
 ("/api/v1/query", {"query":"vector(1e-7) + 0","time":t}),
 ("/api/v1/query", {"query":"vector(1e21)","time":t}),
 ("/api/v1/query", {"query":"1/0","time":t}),
 ("/api/v1/query", {"query":"-1/0","time":t}),
 ("/api/v1/query", {"query":"0/0","time":t}),
 ("/api/v1/query", {"query":"time()","time":"1700000000.123"}),
 ("/api/v1/query", {"query":'"str"',"time":"12.5"}),
 ("/api/v1/query", {"query":"up","time":"2026-11-21T13:00:00.123Z"}),
 ("/api/v1/query_range", {"query":"scalar(up)","start":t-20,"end":t,"step":"7.5"}),
 ("/api/v1/query_range", {"query":"up","start":t-20,"end":t,"step":"0"}),
 ("/api/v1/query_range", {"query":"up","start":t-20,"end":t,"step":"1m30s"}),
 ("/api/v1/query", {"query":"label_replace(up, \"foo\", \"$1\", \"job\", \"(.*)\")","time":t}),
 ("/api/v1/query", {"query":"up == 2","time":t}),
]
ok=0
total=0
for path, params in cases:
    for post in (False, True):
        if path.startswith("/api/v1/label/") and post: continue
        a=q(P,path,params,post); b=q(L,path,params,post)
        same = a[0]==b[0] and (json.dumps(norm(a[1]),sort_keys=True)==json.dumps(norm(b[1]),sort_keys=True))
        if not same and a[0]==b[0] and a[1].get("status")=="error" and b[1].get("status")=="error" and a[1].get("errorType")==b[1].get("errorType"):
            same="errtype"
        ok+= bool(same); total+=1
        print("OK " if same else "DIFF", same if same=="errtype" else "", a[0], b[0], path, params.get("query", params.get("match[]","")), "POST" if post else "GET")
        if not same:
            print("   prom:", json.dumps(a[1])[:400]); print("   lake:", json.dumps(b[1])[:400])
print(ok, "matching,", total-ok, "differing")
sys.exit(0 if ok == total else 1)
