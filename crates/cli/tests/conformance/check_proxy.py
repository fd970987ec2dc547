"""After one SDK's run: does the proxy's /metrics show each case of cases.json as ONE logical
call with the expected status, class, error type and attempts, did the expected alerts (and
only those) fire on its stdout, and did the fake key stay out of everything it wrote?
Standard library only.

usage: check_proxy.py --prefix conf-py --metrics URL --stdout FILE --stderr FILE --key-text T
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text):
    """(name, labels, value) of every labelled sample in Prometheus text."""
    out = []
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            out.append((match[1], dict(LABEL.findall(match[2])), float(match[3])))
    return out


def metric_problems(case, model, text):
    want = case["proxy"]
    series = [
        (name, labels, value)
        for name, labels, value in samples(text)
        if labels.get("gen_ai_request_model") == model
    ]
    calls = [(labels, value) for name, labels, value in series if name == "callwatch_calls_total"]
    if len(calls) != 1 or calls[0][1] != 1:
        return [f"calls_total for {model}: {[(l.get('http_response_status_code'), v) for l, v in calls]} (want one series, 1 call)"]
    labels = calls[0][0]
    problems = []
    for key, label in [("status", "http_response_status_code"), ("class", "callwatch_class"), ("error_type", "error_type")]:
        if labels.get(label) != want[key]:
            problems.append(f"{label}={labels.get(label)!r} (want {want[key]!r})")
    values = {name: value for name, labels, value in series if "le" not in labels}
    if values.get("callwatch_attempts_sum") != want["attempts"]:
        problems.append(f"attempts_sum={values.get('callwatch_attempts_sum')} (want {want['attempts']})")
    if values.get("callwatch_attempts_count") != 1:
        problems.append(f"attempts_count={values.get('callwatch_attempts_count')} (want 1 call)")
    futile = 0 if want["class"] == "success" else want["attempts"] - 1
    if values.get("callwatch_retries_futile_total") != futile:
        problems.append(f"retries_futile={values.get('callwatch_retries_futile_total')} (want {futile})")
    if values.get("gen_ai_client_operation_duration_seconds_count") != 1:
        problems.append("duration histogram count is not 1")
    # Every attempt is an HTTP request of its own, labelled by how it ended: a 429 the SDK's
    # retry absorbed still shows with its error type.
    attempts = {}
    for name, labels, value in series:
        if name == "http_client_request_duration_seconds_count":
            kind = labels.get("error_type") or labels.get("http_response_status_code")
            attempts[kind] = attempts.get(kind, 0) + value
    if sum(attempts.values()) != want["attempts"]:
        problems.append(f"attempt series {attempts} (want {want['attempts']} attempts in all)")
    for error_type, count in want.get("attempt_error_types", {}).items():
        if attempts.get(error_type) != count:
            problems.append(f"attempts with error_type={error_type}: {attempts.get(error_type)} (want {count})")
    # A streamed call that got a 200 has its time to first chunk (the mock sends a delta before
    # any mid-stream error); other calls have none.
    ttft = values.get("gen_ai_client_operation_time_to_first_chunk_seconds_count", 0)
    want_ttft = 1 if case["stream"] and want["status"] == "200" else 0
    if ttft != want_ttft:
        problems.append(f"time_to_first_chunk count={ttft} (want {want_ttft})")
    # Every gap between output chunks is an observation: the scripted gaps come out as that
    # many, the long ones apart from the short ones.
    gaps = want.get("chunk_gaps")
    if gaps:
        name = "gen_ai_client_operation_time_per_output_chunk_seconds"
        count = values.get(f"{name}_count", 0)
        if count != gaps["count"]:
            problems.append(f"time_per_output_chunk count={count} (want {gaps['count']})")
        split = gaps["split_s"]
        short = sum(v for n, l, v in series if n == f"{name}_bucket" and l.get("le") == str(split))
        if short != gaps["count"] - gaps["longer"]:
            problems.append(
                f"time_per_output_chunk at or under {split}s: {short} (want {gaps['count'] - gaps['longer']})"
            )
    return problems


def alert_lines(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                lines.append({"rule": f"<line {n} is not JSON: {line[:80]}>", "state": "?"})
    return lines


def alert_problems(spec, lines):
    firing = {(a.get("rule"), (a.get("labels") or {}).get("error_type")) for a in lines if a.get("state") == "firing"}
    problems = [
        f"no firing {want['rule']} for error_type={want['error_type']}"
        for want in spec["must_fire"]
        if (want["rule"], want["error_type"]) not in firing
    ]
    # Every billing shape belongs to the same outage: one firing line each, not one per shape.
    for want in spec["must_fire"]:
        count = sum(1 for a in lines if a.get("rule") == want["rule"] and a.get("state") == "firing")
        if count != 1:
            problems.append(f"{want['rule']} fired {count} times, want exactly once")
    for alert in lines:
        if alert.get("rule") not in spec["only_rules"]:
            problems.append(f"unexpected alert line: {alert.get('rule')} {alert.get('state')}")
        for field in ("at", "rule", "state", "severity", "labels", "summary", "description"):
            if field not in alert:
                problems.append(f"alert line without {field!r}: {alert.get('rule')}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--stdout", required=True)
    parser.add_argument("--stderr", required=True)
    parser.add_argument("--key-text", required=True)
    parser.add_argument("--wait", type=float, default=20.0)
    args = parser.parse_args()
    with open(os.path.join(HERE, "cases.json"), encoding="utf-8") as f:
        suite = json.load(f)

    # Held-open retryable failures are recorded when the retry grace runs out: poll.
    deadline = time.monotonic() + args.wait
    while True:
        with urllib.request.urlopen(args.metrics, timeout=10) as response:
            text = response.read().decode()
        lines = alert_lines(args.stdout)
        report = {c["name"]: metric_problems(c, f"{args.prefix}-{c['name']}", text) for c in suite["cases"]}
        alerts = alert_problems(suite["alerts"], lines)
        if (not any(report.values()) and not alerts) or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    failures = 0
    print(f"{'case':<24} proxy /metrics")
    for case in suite["cases"]:
        want = case["proxy"]
        problems = report[case["name"]]
        shown = f"1 call, {want['status']} {want['class']}/{want['error_type']}, {want['attempts']} attempt(s)"
        print(f"{case['name']:<24} {'ok  ' if not problems else 'FAIL'} {shown}")
        for problem in problems:
            print(f"    {problem}")
        failures += bool(problems)
    fired = sorted({(a.get("rule"), (a.get("labels") or {}).get("error_type")) for a in lines if a.get("state") == "firing"}, key=str)
    print(f"alerts fired: {fired}")
    for problem in alerts:
        print(f"    {problem}")
    failures += bool(alerts)

    leaks = []
    for name, body in [("/metrics", text), ("stdout", open(args.stdout, encoding="utf-8").read()), ("stderr", open(args.stderr, encoding="utf-8").read())]:
        if args.key_text in body or "FAKE" in body:
            leaks.append(name)
    print(f"key text in proxy output: {leaks or 'none'}")
    failures += bool(leaks)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
