#!/usr/bin/env python3
"""Check the PromQL of the Grafana dashboard (deploy/grafana-dashboard.json) with Prometheus's
own tools. Two modes:

    checks/dashboard.py rules [--metrics EXPOSITION] > rules.json
        Every panel query as one recording rule, for `promtool check rules` to parse. With
        --metrics (a scrape of /metrics), every `starpunk_…` name a query uses must be a
        series in it.

    checks/dashboard.py live PROMETHEUS_URL
        Every panel query evaluated by a running Prometheus that scrapes starpunk: each must
        succeed and return data.

Grafana's variables are replaced first by values Prometheus would see: `$job` and `$instance`
(used as `=~"$job"`) by `.*`, `$__range` by 6h (live: 1h), `$__rate_interval` by 1m (live: 5s,
for a Prometheus scraping every second) and `$__interval` by 15s (live: 1s). A query with any
other `$` left is an error. Exit status 1 on any problem.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

DASHBOARD = "deploy/grafana-dashboard.json"


def panels(items):
    """Every panel, rows' collapsed children included."""
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries(live):
    """(where, expression) of every panel query, Grafana's variables replaced."""
    variables = {
        "${job}": ".*", "$job": ".*", "${instance}": ".*", "$instance": ".*",
        "$__rate_interval": "5s" if live else "1m",
        "$__range": "1h" if live else "6h",
        "$__interval": "1s" if live else "15s",
    }
    with open(DASHBOARD, encoding="utf-8") as f:
        dashboard = json.load(f)
    out = []
    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            expr = target.get("expr")
            if not expr:
                continue
            # Longest names first, so `${job}` is not read as `$` + `{job}`.
            for name in sorted(variables, key=len, reverse=True):
                expr = expr.replace(name, variables[name])
            where = "panel %s (%s) query %s" % (panel["id"], panel.get("title"), target["refId"])
            out.append((panel["id"], target["refId"], where, expr))
    if not out:
        sys.exit("no PromQL expressions in %s" % DASHBOARD)
    unknown = ["%s: unknown variable in %s" % (w, e) for _, _, w, e in out if "$" in e]
    if unknown:
        sys.exit("\n".join(unknown))
    return out


def rules(metrics):
    errors = []
    if metrics:
        with open(metrics, encoding="utf-8") as f:
            names = {re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0)
                     for line in f if line.strip() and not line.startswith("#")}
    found = queries(live=False)
    for _, _, where, expr in found:
        for name in re.findall(r"\bstarpunk_[a-z0-9_]+", expr):
            if metrics and name not in names:
                errors.append("%s: %s is not in %s" % (where, name, metrics))
    if errors:
        sys.exit("\n".join(errors))
    group = [{"record": "dashboard:panel_%s:%s" % (pid, ref.lower()), "expr": expr,
              "labels": {"query": where}} for pid, ref, where, expr in found]
    # JSON is YAML: promtool reads it as a rules file.
    json.dump({"groups": [{"name": "grafana-dashboard", "rules": group}]}, sys.stdout, indent=1)
    print()
    print("%d dashboard queries" % len(group), file=sys.stderr)


def live(url):
    failed = 0
    found = queries(live=True)
    for _, _, where, expr in found:
        query = urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen("%s/api/v1/query?%s" % (url.rstrip("/"), query)) as r:
                answer = json.load(r)
        except urllib.error.HTTPError as e:
            answer = json.load(e)
        if answer.get("status") != "success":
            print("%s: %s\n  %s" % (where, answer.get("error"), expr))
            failed += 1
        elif not answer["data"]["result"]:
            print("%s: no data\n  %s" % (where, expr))
            failed += 1
    print("%d of %d dashboard queries answered with data" % (len(found) - failed, len(found)))
    if failed:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    r = modes.add_parser("rules", help="a rules file of every query, for promtool check rules")
    r.add_argument("--metrics", help="a scrape of /metrics every metric name must be in")
    q = modes.add_parser("live", help="evaluate every query on a running Prometheus")
    q.add_argument("url", help="the Prometheus, e.g. http://127.0.0.1:9090")
    args = parser.parse_args()
    if args.mode == "rules":
        rules(args.metrics)
    else:
        live(args.url)


if __name__ == "__main__":
    main()
