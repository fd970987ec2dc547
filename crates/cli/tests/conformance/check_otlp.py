"""After the Python SDK's run through a proxy exporting OTLP (with
OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental/dup, so both generations of GenAI names
are emitted): did a real OTLP receiver get, for this run's models, the retried 429s per attempt,
the time to first chunk under both names, and every chunk gap; did each checked call arrive as
one `chat {model}` client span (the retried call with one event per attempt, the call that
failed with an error status, the stream with its time to first chunk); and did the fake key
stay out of every body? Standard library only (the receiver decodes).

With --traced FILE (the SDK span's ids, from conformance.py's traced call): the proxy's span
for that call must be the SDK span's child, in its trace.

usage: check_otlp.py --summary URL --prefix conf-py --key-text T [--traced FILE]
"""

import argparse
import json
import sys
import time
import urllib.request


def latest(points, name, **attributes):
    """The largest value of `name`'s points whose attributes include these (cumulative: the
    last export holds the total)."""
    values = [
        p["value"]
        for p in points
        if p["name"] == name and all(p["attributes"].get(k) == v for k, v in attributes.items())
    ]
    return max(values, default=0)


def expectations(prefix):
    model = lambda case: {"gen_ai.request.model": f"{prefix}-{case}"}
    return [
        ("http.client.request.duration", {**model("retry-429"), "error.type": "rate_limit_error"}, 2),
        ("http.client.request.duration", {**model("overloaded-529"), "error.type": "overloaded_error"}, 2),
        ("gen_ai.client.operation.time_to_first_chunk", model("stream-ttft"), 1),
        ("gen_ai.client.inference.time_to_first_chunk", model("stream-ttft"), 1),
        ("gen_ai.client.operation.time_per_output_chunk", model("stream-chunk-gaps"), 3),
        ("gen_ai.client.inference.time_per_output_chunk", model("stream-chunk-gaps"), 3),
    ]


SPAN_KIND_CLIENT = 3
STATUS_CODE_ERROR = 2


def span_problems(spans, prefix):
    """What the spans of this run's checked calls lack (empty: nothing)."""
    def one(case):
        found = [s for s in spans if s["name"] == f"chat {prefix}-{case}"]
        return found[0] if len(found) == 1 else None, len(found)

    problems = []
    retried, n = one("retry-429")
    if retried is None:
        problems.append(f"retry-429: {n} spans (want 1)")
    else:
        errors = [e["attributes"].get("error.type") for e in retried["events"]]
        if (retried["kind"], retried["attributes"].get("callwatch.attempts")) != (SPAN_KIND_CLIENT, 3):
            problems.append(f"retry-429 span: kind {retried['kind']}, attributes {retried['attributes']}")
        if errors != ["rate_limit_error", "rate_limit_error", None]:
            problems.append(f"retry-429 span: attempt events' error types {errors}")
    failed, n = one("overloaded-529")
    if failed is None:
        problems.append(f"overloaded-529: {n} spans (want 1)")
    elif (failed["status"]["code"], failed["attributes"].get("error.type")) != (STATUS_CODE_ERROR, "overloaded_error"):
        problems.append(f"overloaded-529 span: status {failed['status']}, attributes {failed['attributes']}")
    streamed, n = one("stream-ttft")
    if streamed is None:
        problems.append(f"stream-ttft: {n} spans (want 1)")
    elif not streamed["attributes"].get("gen_ai.response.time_to_first_chunk", 0) >= 0.3:
        problems.append(f"stream-ttft span: attributes {streamed['attributes']}")
    return problems


def traced_problems(spans, prefix, ids_path):
    """The proxy's span for the traced call must sit under the SDK's own span."""
    try:
        with open(ids_path, encoding="utf-8") as f:
            ids = json.load(f)
    except (OSError, ValueError) as e:
        return [f"traced: no SDK span ids ({e})"]
    found = [s for s in spans if s["name"] == f"chat {prefix}-traced"]
    if len(found) != 1:
        return [f"traced: {len(found)} proxy spans (want 1)"]
    span = found[0]
    got = (span["trace_id"], span["parent_span_id"], span["attributes"].get("callwatch.attempts"))
    want = (ids["trace_id"], ids["span_id"], 2)
    return [] if got == want else [f"traced: proxy span (trace, parent, attempts) {got}, want {want}"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--key-text", required=True)
    parser.add_argument("--traced")
    args = parser.parse_args()
    wanted = expectations(args.prefix)
    # The proxy exports every 500 ms; a loaded machine may take a few exports.
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(args.summary, timeout=5) as response:
            summary = json.load(response)
        problems = [
            f"{name} {attrs}: {latest(summary['points'], name, **attrs)} (want {want})"
            for name, attrs, want in wanted
            if latest(summary["points"], name, **attrs) != want
        ] + span_problems(summary["spans"], args.prefix)
        if args.traced:
            problems += traced_problems(summary["spans"], args.prefix, args.traced)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    problems += [f"rejected OTLP body: {r}" for r in summary["rejected"]]
    if any(args.key_text in body or "FAKE" in body for body in summary["raw"]):
        problems.append("the fake key shows up in an OTLP body")
    for problem in problems:
        print(f"otlp: {problem}", file=sys.stderr)
    missing = [p for p in problems if not p.startswith(("rejected", "the fake", "retry-", "overloaded-", "stream-", "traced"))]
    spans_ok = not span_problems(summary["spans"], args.prefix)
    print(f"otlp: {len(wanted) - len(missing)}/{len(wanted)} expected series, "
          f"{len(summary['spans'])} spans (checked calls as spans: {spans_ok}"
          + (f", the SDK-traced call under the SDK's span: {not traced_problems(summary['spans'], args.prefix, args.traced)}" if args.traced else "")
          + "), "
          f"{len(summary['raw'])} bodies, key text in none: {not any(args.key_text in b for b in summary['raw'])}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
