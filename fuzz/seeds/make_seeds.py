#!/usr/bin/env python3
"""Writes the seed inputs for each fuzz target into fuzz/corpus/<target>/seed-*, from the shapes
the mock sends (src/mock/shapes.rs), alerts/default.yaml and contract event lines. Rerun after a
shape change, then `cargo +nightly fuzz cmin <target>`."""
import json, os, pathlib

FUZZ = pathlib.Path(__file__).resolve().parent.parent
ROOT = FUZZ.parent

def write(target, name, data):
    d = FUZZ / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())

ERRORS = {
    400: ("invalid_request_error", "messages: field required"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your account has a billing issue."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    409: ("conflict_error", "Conflict"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    422: ("unprocessable_entity", "The request could not be processed."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out."),
    529: ("overloaded_error", "Overloaded"),
}

def envelope(t, m, code=None):
    err = {"type": t, "message": m}
    if code:
        err["details"] = {"error_code": code}
    return json.dumps({"type": "error", "error": err, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}, separators=(",", ":"))

RATE = ("anthropic-ratelimit-requests-limit: 50\nanthropic-ratelimit-requests-remaining: 0\n"
        "anthropic-ratelimit-requests-reset: 2026-11-20T08:00:30Z\n"
        "anthropic-ratelimit-tokens-remaining: 1200\nanthropic-ratelimit-input-tokens-reset: 2026-11-20T08:00:05Z\n")

def response(status, headers, body, first=None):
    return f"{first or status}\n{headers}\n{body}"

# classify_response
for status, (t, m) in ERRORS.items():
    h = "content-type: application/json\nrequest-id: req_011CSHoEeqs5C35K2UUqR7Fy\n"
    if status in (429, 529):
        h += "retry-after: 30\nx-should-retry: true\n" + (RATE if status == 429 else "")
    write("classify_response", f"error-{status}", response(status, h, envelope(t, m)))
write("classify_response", "spend-cap", response(429, "content-type: application/json\nretry-after-ms: 1500\n",
      envelope("rate_limit_error", "You have reached your specified workspace API usage limits (spend limit).", "enforced_spend_limit_reached")))
write("classify_response", "credit", response(400, "content-type: application/json\nx-should-retry: false\n",
      envelope("invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.")))
write("classify_response", "date-retry", response(503, "retry-after: Wed, 21 Oct 2026 07:28:00 GMT\n", ""))
write("classify_response", "bad-gateway", response(502, "content-type: text/html\n",
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"))
success = json.dumps({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "Hello from the mock."}], "stop_reason": "max_tokens", "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 8, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 3}}, separators=(",", ":"))
write("classify_response", "success", response(200, "content-type: application/json\nrequest-id: req_1\n" + RATE, success))

def ev(name, data):
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
start = ev("message_start", {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
    "model": "claude-sonnet-4-6", "content": [], "stop_reason": None, "usage": {"input_tokens": 12, "output_tokens": 1}}})
delta = ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello "}})
stop = (ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 8}})
        + ev("message_stop", {"type": "message_stop"}))
sse = "content-type: text/event-stream\nrequest-id: req_1\n"
write("classify_response", "stream", response(200, sse, start + ": ping\n\n" + delta + stop, "200 5 40 41 300"))
write("classify_response", "stream-error", response(200, sse, start + delta + ev("error", json.loads(envelope("overloaded_error", "Overloaded"))), "200 17"))
write("classify_response", "stream-crlf", response(200, sse, (start + stop).replace("\n", "\r\n"), "200 1 2 3"))
write("classify_response", "stream-cut", response(200, sse, start + delta[:30], "200"))

# event_line
LINES = [
    '{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438","request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded"}',
    '{"ts":"2026-11-20T09:00:00Z","event":"key_rotated","key_id":"k-0f3a9c21"}',
    '{"ts":"2026-11-20T08:00:00Z","status":null,"error_type":"timeout"}',
    '{"ts":"2026-11-20T08:00:00+02:00","status":200,"error_type":null,"latency_ms":0.001}',
    '{"ts":"2026-11-20T08:00:00Z","status":400,"error_type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}',
    '{"ts":"2026-11-20T08:00:00Z","status":429,"error_type":"rate_limit_error","message":"You have reached your specified workspace API usage limits (spend limit)."}',
    '{"ts":"2026-11-20T08:00:00Z","status":200,"message":"caf\\u00e9 \\"quoted\\"\\n"}',
    '{"ts":"noon","status":200}',
]
for i, line in enumerate(LINES):
    write("event_line", f"line-{i}", line)

# rule_file
default = (ROOT / "alerts" / "default.yaml").read_text()
write("rule_file", "default", default)
write("rule_file", "mandated", (ROOT / "alerts" / "tests" / "mandated.yaml").read_text())
for i, block in enumerate(default.split("\n  - name: ")[1:]):
    write("rule_file", f"rule-{i}", "rules:\n  - name: " + block)

# proxy_request
body = json.dumps({"model": "claude-sonnet-4-6", "max_tokens": 5, "stream": True,
                   "messages": [{"role": "user", "content": "hi"}]}, separators=(",", ":"))
write("proxy_request", "messages", f"POST /v1/messages?beta=true HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nx-api-key: sk-ant-FAKE-test-key-0000\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\nx-stainless-retry-count: 2\r\n\r\n{body}")
write("proxy_request", "bearer", f"POST /v1/messages HTTP/1.1\nauthorization: Bearer sk-ant-FAKE-test-key-0000\n\n{{\"model\":\"claude-haiku-4-5\"}}")
write("proxy_request", "absolute", "GET http://evil.example:1/v1/models?x=1 HTTP/1.1\nx-api-key:  \n\nnot json")
write("proxy_request", "count", "POST //v1/messages/count_tokens HTTP/1.1\nx-stainless-retry-count: 99999999999\n\n{\"model\":\"" + "m" * 200 + "\",\"stream\":false}")

# Dictionaries (libFuzzer -dict=): the tokens each parser branches on.
def dict_file(target, tokens):
    def esc(t):
        out = ""
        for b in t.encode():
            c = chr(b)
            out += "\\" + c if c in '"\\' else c if 32 <= b < 127 else f"\\x{b:02X}"
        return f'"{out}"'
    (FUZZ / "dict").mkdir(exist_ok=True)
    (FUZZ / "dict" / f"{target}.dict").write_text("".join(esc(t) + "\n" for t in tokens))

dict_file("rule_file", ["rules:", "- name: ", "kind: ", "match:", "statuses: ", "classes: ", "error_types: ", "models: ",
    "window: ", "baseline_half_life: ", "within: ", "quiet_for: ", "for: ", "keep_firing_for: ", "threshold: ",
    "min_calls: ", "min_count: ", "min_rise: ", "cusum_limit: ", "percentile: ", "threshold_ms: ", "event: ",
    "group_by: ", "severity: ", "summary: ", "description: ", "runbook: ", "labels:", "share_over_threshold",
    "share_over_baseline", "burst_after_event", "any", "latency_percentile", "key_rotation", "critical", "warning",
    "info", "billing", "auth", "overloaded", "rate_limit", "server_error", "invalid_request", "timeout", "connection",
    "success", "other", "permission", "key_id", "model", "status", "{{", "}}", "{{share}}", "{{message}}",
    "{{window}}", "0s", "1ms", "18446744073709551615s", "9999999999h", "2m", "1h", "7d", "1e308", "-1", "0.99",
    "NaN", ".inf", "[", "]", "&a", "*a", "!!", ">-", "|", "~", "null", "\n    ", "\n  - "])
dict_file("classify_response", ["content-type: ", "text/event-stream", "application/json", "request-id: ",
    "retry-after: ", "retry-after-ms: ", "x-should-retry: ", "true", "false", "anthropic-ratelimit-requests-limit: ",
    "anthropic-ratelimit-requests-remaining: ", "anthropic-ratelimit-requests-reset: ",
    "anthropic-ratelimit-tokens-limit: ", "anthropic-ratelimit-tokens-remaining: ", "anthropic-ratelimit-tokens-reset: ",
    "anthropic-ratelimit-input-tokens-reset: ", "anthropic-ratelimit-output-tokens-remaining: ", "event: ", "data: ",
    "message_start", "message_delta", "message_stop", "error", '"type":', '"error":', '"message":', '"usage":',
    '"input_tokens":', '"output_tokens":', '"stop_reason":', '"max_tokens"', '"details":', '"error_code":',
    '"request_id":', "billing_error", "rate_limit_error", "overloaded_error", "enforced_spend_limit_reached",
    "credit balance is too low", "spend limit", "\r\n", "\n\n", "\r", "Wed, 21 Oct 2026 07:28:00 GMT",
    "2026-11-20T08:00:30Z", "18446744073709551616", "1e400", "-0", "NaN"])
dict_file("event_line", ['"ts":', '"status":', '"error_type":', '"attempts":', '"latency_ms":', '"model":',
    '"operation":', '"key_id":', '"request_id":', '"message":', '"event":', '"key_rotated"', "null",
    "2026-11-20T08:00:00Z", "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z", "+23:59", "-00:00",
    ".000000001", "T", "Z", "1e308", "-0.0", "1.7976931348623157e308", "5e-324", "4294967295", "1000000",
    "\\u0000", "\\ud800", "\\\\", "\\n"])
dict_file("proxy_request", ["POST ", " HTTP/1.1\r\n", "x-api-key: ", "authorization: Bearer ", "bearer ",
    "x-stainless-retry-count: ", "\r\n\r\n", '{"model":', '"stream":true', '"stream":', "//", "/../", "?", "#", "@",
    "%2F", "http://", "https://", ":443", "*", "sk-ant-FAKE-", "4294967296", "\\u0041"])
