"""Drives the official Python SDK (`anthropic`) through each case of ../cases.json twice — direct
to the mock API, then through `callwatch proxy` — and fails unless the SDK received the same
thing both ways (status, error class, message, request id, headers, body or stream events) and
the mock received the same requests. Run by tests/conformance/run, which sets MOCK_URL,
PROXY_URL and CASE_PREFIX.

With TRACED_IDS set, one more call goes through the proxy with the SDK's own OpenTelemetry
tracing on (its CLIENT span per call, whose W3C trace context it sends with every attempt), and
the SDK span's trace and span ids are written to that file as JSON: check_otlp.py then requires
the proxy's span for the call to be that span's child. Apart from the compared cases, since the
trace context differs from run to run."""

import json
import os
import statistics
import sys
import time
import urllib.request

import anthropic

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "cases.json"), encoding="utf-8") as f:
    SUITE = json.load(f)
MOCK = os.environ["MOCK_URL"]
PROXY = os.environ["PROXY_URL"]
PREFIX = os.environ.get("CASE_PREFIX", "conf-py")
# Obviously fake: the suite also checks this text never shows up in the proxy's output.
KEY = "sk-ant-FAKE-cpy-0000"
# Per-connection or per-second values: legitimately different between two runs.
VOLATILE = {"date", "transfer-encoding", "connection", "keep-alive"}


def mock_admin(path, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        MOCK + path,
        data=data,
        method="GET" if payload is None else "POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def headers_of(headers):
    return {
        k.lower(): v
        for k, v in headers.items()
        if k.lower() not in VOLATILE and not k.lower().endswith("-reset")
    }


def error_view(e):
    return {
        "error_class": type(e).__name__,
        "status": e.status_code,
        "message": e.message,
        "request_id": e.request_id,
        "body": e.body,
        "headers": headers_of(e.response.headers),
    }


def call(case, base_url, model=None):
    """What the SDK received for this case from base_url, and what the mock saw; for a stream,
    `ttft_ms` is when the first content_block_delta reached the SDK's caller (not compared)."""
    mock_admin("/__mock/reset", {})
    mock_admin("/__mock/script", case["replies"])
    client = anthropic.Anthropic(
        api_key=KEY, base_url=base_url, max_retries=case["max_retries"], timeout=30
    )
    params = {
        "model": model or f"{PREFIX}-{case['name']}",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello."}],
    }
    try:
        if case["stream"]:
            started = time.perf_counter()
            raw = client.messages.with_raw_response.create(**params, stream=True)
            got = {"status": raw.status_code, "headers": headers_of(raw.headers)}
            events = []
            try:
                for event in raw.parse():
                    if event.type == "content_block_delta" and "ttft_ms" not in got:
                        got["ttft_ms"] = (time.perf_counter() - started) * 1000
                    events.append(event.to_dict())
            except anthropic.APIStatusError as e:
                got["stream_error"] = {
                    "error_class": type(e).__name__,
                    "message": e.message,
                    "body": e.body,
                }
            got["events"] = events
        else:
            raw = client.messages.with_raw_response.create(**params)
            got = {
                "status": raw.status_code,
                "headers": headers_of(raw.headers),
                "request_id": raw.request_id,
                "raw_body": raw.http_response.text,
                "message": raw.parse().to_dict(),
            }
    except anthropic.APIStatusError as e:
        got = error_view(e)
    got["mock_saw"] = mock_admin("/__mock/requests")["requests"]
    got["unused_replies"] = len(case["replies"]) - len(got["mock_saw"])
    return got


def expectation_problems(case, got):
    """The direct run itself must be what the case is about (else the comparison is vacuous)."""
    want = case["sdk"]
    problems = []
    if got.get("status") != want["status"]:
        problems.append(f"status {got.get('status')} (want {want['status']})")
    if "error_type" in want:
        error_type = ((got.get("body") or {}).get("error") or {}).get("type")
        if error_type != want["error_type"]:
            problems.append(f"error type {error_type} (want {want['error_type']})")
    if "stream_error_type" in want:
        body = (got.get("stream_error") or {}).get("body") or {}
        error_type = (body.get("error") or {}).get("type")
        if error_type != want["stream_error_type"]:
            problems.append(f"stream error type {error_type}")
    if got["unused_replies"] != 0:
        problems.append(f"{got['unused_replies']} scripted replies unused")
    return problems


def differences(direct, proxied, path=""):
    if isinstance(direct, dict) and isinstance(proxied, dict):
        out = []
        for k in sorted(set(direct) | set(proxied)):
            out += differences(direct.get(k, "<absent>"), proxied.get(k, "<absent>"), f"{path}.{k}")
        return out
    if isinstance(direct, list) and isinstance(proxied, list) and len(direct) == len(proxied):
        out = []
        for i, (a, b) in enumerate(zip(direct, proxied)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    return [] if direct == proxied else [f"{path}: direct {direct!r} != proxy {proxied!r}"]


def ttft_problems(case, direct, proxied):
    """Time to first token through the proxy against direct: the medians of `runs` more calls
    each way (alternating, under their own model names so /metrics keeps one call per case)."""
    spec = case.get("ttft")
    if not spec:
        return []
    times = {"direct": [direct.get("ttft_ms")], "proxy": [proxied.get("ttft_ms")]}
    for run in range(spec["runs"]):
        model = f"{PREFIX}-{case['name']}-run{run}"
        times["direct"].append(call(case, MOCK, model).get("ttft_ms"))
        times["proxy"].append(call(case, PROXY, model).get("ttft_ms"))
    if any(t is None for ts in times.values() for t in ts):
        return [f"no content_block_delta in some run: {times}"]
    d, p = statistics.median(times["direct"]), statistics.median(times["proxy"])
    print(f"    time to first token, median of {len(times['direct'])}: direct {d:.1f} ms, "
          f"proxy {p:.1f} ms (difference {p - d:+.1f} ms)")
    problems = []
    if d < spec["at_least_ms"]:
        problems.append(f"direct time to first token {d:.1f} ms < the mock's {spec['at_least_ms']} ms")
    if abs(p - d) > spec["within_ms"]:
        problems.append(f"time to first token through the proxy {p:.1f} ms vs direct {d:.1f} ms: "
                        f"more than {spec['within_ms']} ms apart")
    return problems


def summary(got):
    if "error_class" in got:
        return f"{got['status']} {got['error_class']}"
    if "events" in got:
        tail = f" +{got['stream_error']['error_class']}" if "stream_error" in got else ""
        return f"{got['status']} {len(got['events'])} events{tail}"
    return f"{got['status']} message"


def traced_call(out_path):
    """One call (a 429, then the SDK's retry) through the proxy with the SDK's tracing on, into a
    tracer provider of its own; writes the SDK span's ids to out_path. Problems, if any."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    mock_admin("/__mock/reset", {})
    mock_admin("/__mock/script", [{"kind": "status", "status": 429, "retry_after_ms": 10}, {"kind": "success"}])
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = anthropic.Anthropic(
        api_key=KEY, base_url=PROXY, max_retries=2, timeout=30,
        open_telemetry={"tracer_provider": provider},
    )
    client.messages.create(
        model=f"{PREFIX}-traced", max_tokens=64, messages=[{"role": "user", "content": "Say hello."}]
    )
    provider.force_flush()
    spans = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.CLIENT]
    # The proxy passes the trace context on upstream, as it passes every other header.
    sent = [r.get("traceparent") for r in mock_admin("/__mock/requests")["requests"]]
    if len(spans) != 1 or None in sent:
        return [f"traced: {len(spans)} SDK client spans, traceparent on the attempts: {sent}"]
    context = spans[0].get_span_context()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}, f)
    print(f"traced: the SDK's span {context.span_id:016x} in trace {context.trace_id:032x}, "
          f"traceparent on all {len(sent)} attempts")
    return []


def main():
    failures = 0
    print(f"Python SDK anthropic {anthropic.__version__}: direct {MOCK} vs proxy {PROXY}")
    print(f"{'case':<24} {'direct':<34} {'proxy':<34} result")
    for case in SUITE["cases"]:
        direct = call(case, MOCK)
        proxied = call(case, PROXY)
        timing = ttft_problems(case, direct, proxied)
        direct.pop("ttft_ms", None)
        proxied.pop("ttft_ms", None)
        problems = expectation_problems(case, direct) + differences(direct, proxied) + timing
        left = f"{summary(direct)} ({len(direct['mock_saw'])} att)"
        right = f"{summary(proxied)} ({len(proxied['mock_saw'])} att)"
        verdict = "ok" if not problems else "MISMATCH"
        print(f"{case['name']:<24} {left:<34} {right:<34} {verdict}")
        for problem in problems:
            print(f"    {problem}")
        failures += bool(problems)
    if os.environ.get("TRACED_IDS"):
        for problem in traced_call(os.environ["TRACED_IDS"]):
            print(f"    {problem}")
            failures += 1
    if failures:
        print(f"python: {failures} case(s) failed")
        return 1
    print(f"python: all {len(SUITE['cases'])} cases identical direct and through the proxy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
