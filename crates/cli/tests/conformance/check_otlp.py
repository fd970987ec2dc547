"""After the Python SDK's run through a proxy exporting OTLP (with
OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental/dup, so both generations of GenAI names
are emitted): did a real OTLP receiver get, for this run's models, the retried 429s per attempt,
the time to first chunk under both names, and every chunk gap; and did the fake key stay out of
every body? (The proxy sends no spans: spans come from in-process instrumentation.) Standard
library only (the receiver decodes).

usage: check_otlp.py --summary URL --prefix conf-py --key-text T
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--key-text", required=True)
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
        ]
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    problems += [f"rejected OTLP body: {r}" for r in summary["rejected"]]
    if any(args.key_text in body or "FAKE" in body for body in summary["raw"]):
        problems.append("the fake key shows up in an OTLP body")
    for problem in problems:
        print(f"otlp: {problem}", file=sys.stderr)
    found = len(wanted) - len([p for p in problems if not p.startswith(("rejected", "the fake"))])
    print(f"otlp: {found}/{len(wanted)} expected series, {summary['spans']} spans, "
          f"{len(summary['raw'])} bodies, key text in none: {not any(args.key_text in b for b in summary['raw'])}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
