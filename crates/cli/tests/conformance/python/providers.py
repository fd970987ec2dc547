"""The official Python SDK's AnthropicBedrock (fake AWS credentials, SigV4-signed) and
AnthropicVertex (a fixed access token) against the mock, direct and through `callwatch proxy`:
each case must give the SDK the same thing both ways, the direct run must be what the case is
about, and the proxy's /metrics must show each call once with the right provider, class and
error type. Run by tests/conformance/run, which sets MOCK_URL, PROXY_URL and METRICS_URL.

The mock verifies SigV4 signatures, so a proxy that changed a signed header fails every
Bedrock case with 403 InvalidSignatureException, the success cases included.

With RESIGN=1 the proxy re-signs with its own credentials (`--aws-resign`, the mock's): only
the Bedrock cases run, and the SDK talks to the proxy with credentials the mock does not know,
so a proxy that forwarded the client's signature would get 403 UnrecognizedClientException.
"""

import json
import os
import re
import sys
import time
import urllib.request

import anthropic

MOCK = os.environ["MOCK_URL"]
PROXY = os.environ["PROXY_URL"]
METRICS = os.environ["METRICS_URL"]
# The mock's fake credentials (crates/mock/src/sigv4.rs).
AWS_KEY = "AKIAMOCKCALLWATCH000"
AWS_SECRET = "callwatch/mock/secret/not-a-real-key0000"
VERTEX_TOKEN = "ya29.FAKE-conformance-token"
RESIGN = os.environ.get("RESIGN") == "1"
# An app's own credentials behind a re-signing proxy: unknown to the mock.
APP_AWS_KEY = "AKIAFAKECONFAPP00000"
APP_AWS_SECRET = "FAKE/app/secret/the/mock/does/not/know0"
VOLATILE = {"date", "transfer-encoding", "connection", "keep-alive"}

# name, stream, scripted reply, (bedrock status, class, error type), (vertex status, class, error type)
CASES = [
    ("ok", False, {"kind": "success"}, (200, "success", None), (200, "success", None)),
    ("stream", True, {"kind": "success"}, (200, "success", None), (200, "success", None)),
    ("throttled", False, {"kind": "status", "status": 429},
     (429, "rate_limit", "ThrottlingException"), (429, "rate_limit", "RESOURCE_EXHAUSTED")),
    ("overloaded", False, {"kind": "status", "status": 529},
     (503, "overloaded", "ServiceUnavailableException"), (529, "overloaded", "overloaded_error")),
    ("denied", False, {"kind": "status", "status": 403},
     (403, "permission", "AccessDeniedException"), (403, "permission", "PERMISSION_DENIED")),
    ("invalid", False, {"kind": "status", "status": 400},
     (400, "invalid_request", "ValidationException"), (400, "invalid_request", "INVALID_ARGUMENT")),
]
MID_STREAM = {
    "bedrock": ({"kind": "stream_error", "error_type": "throttlingException",
                 "message": "Too many tokens, please wait before trying again."},
                (200, "rate_limit", "throttlingException")),
    "vertex": ({"kind": "stream_error", "error_type": "overloaded_error", "message": "Overloaded"},
               (200, "overloaded", "overloaded_error")),
}


def mock_admin(path, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(MOCK + path, data=data, method="GET" if payload is None else "POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def headers_of(headers):
    return {k.lower(): v for k, v in headers.items() if k.lower() not in VOLATILE}


def client(provider, base):
    if provider == "bedrock":
        key, secret = (APP_AWS_KEY, APP_AWS_SECRET) if RESIGN and base == PROXY else (AWS_KEY, AWS_SECRET)
        return anthropic.AnthropicBedrock(aws_access_key=key, aws_secret_key=secret,
                                          aws_region="us-east-1", base_url=base, max_retries=0, timeout=30)
    return anthropic.AnthropicVertex(region="us-east5", project_id="p-mock", access_token=VERTEX_TOKEN,
                                     base_url=base + "/v1", max_retries=0, timeout=30)


def model(provider, name):
    return f"anthropic.conf-pv-{name}-v1:0" if provider == "bedrock" else f"conf-pv-{name}@20250514"


def call(provider, name, stream, reply, base):
    mock_admin("/__mock/reset", {})
    mock_admin("/__mock/script", [reply])
    params = {"model": model(provider, name), "max_tokens": 64,
              "messages": [{"role": "user", "content": "Say hello."}]}
    sdk = client(provider, base)
    try:
        if stream:
            raw = sdk.messages.with_raw_response.create(**params, stream=True)
            got = {"status": raw.status_code, "headers": headers_of(raw.headers)}
            events = []
            try:
                for event in raw.parse():
                    events.append(event.to_dict())
            except anthropic.APIStatusError as e:
                got["stream_error"] = {"error_class": type(e).__name__, "message": e.message, "body": e.body}
            got["events"] = events
        else:
            raw = sdk.messages.with_raw_response.create(**params)
            got = {"status": raw.status_code, "headers": headers_of(raw.headers),
                   "raw_body": raw.http_response.text, "message": raw.parse().to_dict()}
    except anthropic.APIStatusError as e:
        got = {"error_class": type(e).__name__, "status": e.status_code, "message": e.message,
               "body": e.body, "headers": headers_of(e.response.headers)}
    got["mock_saw"] = mock_admin("/__mock/requests")["requests"]
    return got


SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def calls_in_metrics():
    with urllib.request.urlopen(METRICS, timeout=10) as response:
        text = response.read().decode()
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m[1] == "callwatch_calls_total":
            labels = dict(LABEL.findall(m[2]))
            out.setdefault(labels.get("gen_ai_request_model"), []).append((labels, float(m[3])))
    return out


def main():
    failures = []
    expected_series = []
    providers = (("bedrock", "aws.bedrock"),) if RESIGN else (("bedrock", "aws.bedrock"), ("vertex", "gcp.vertex_ai"))
    for provider, provider_name in providers:
        cases = [(n, s, r, b if provider == "bedrock" else v) for n, s, r, b, v in CASES]
        reply, want = MID_STREAM[provider]
        cases.append(("midstream", True, reply, want))
        for name, stream, reply, (status, cls, error_type) in cases:
            direct = call(provider, name, stream, reply, MOCK)
            proxied = call(provider, name, stream, reply, PROXY)
            label = f"{provider}/{name}"
            if direct.get("status") != status:
                failures.append(f"{label}: direct status {direct.get('status')} (want {status}): {direct}")
            if direct != proxied:
                failures.append(f"{label}: through the proxy differs:\n  direct:  {direct}\n  proxied: {proxied}")
            if name == "midstream" and "stream_error" not in direct:
                failures.append(f"{label}: the SDK did not see the in-band error: {direct}")
            print(f"{label}: {'ok' if direct == proxied else 'DIFFERENT'} (status {direct.get('status')})")
            expected_series.append((model(provider, name), provider_name, status, cls, error_type))

    # Retryable failures are recorded when the SDK's retry window closes (--retry-grace).
    deadline = time.time() + 20
    while True:
        seen = calls_in_metrics()
        problems = []
        for model_name, provider_name, status, cls, error_type in expected_series:
            # The model label is bounded like any label; match on the prefix the path carried.
            series = seen.get(model_name, [])
            if len(series) != 1 or series[0][1] != 1:
                problems.append(f"{model_name}: {series} (want one series with one call)")
                continue
            labels = series[0][0]
            got = (labels.get("gen_ai_provider_name"), labels.get("http_response_status_code"),
                   labels.get("callwatch_class"), labels.get("error_type"))
            want = (provider_name, str(status), cls, error_type)
            if got != want:
                problems.append(f"{model_name}: {got} (want {want})")
        if not problems or time.time() > deadline:
            break
        time.sleep(0.5)
    failures.extend(problems)
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
