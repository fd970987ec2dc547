#!/usr/bin/env python3
"""Writes Bedrock event-stream seeds for the classify_response target into
fuzz/corpus/classify_response/seed-es-*: `invoke-with-response-stream` (Anthropic events in base64
`chunk` frames, with the content deltas that stream timings count, an in-band exception) and
`converse-stream` (its own events, `contentBlockDelta` … `metadata`). Frames as
crates/core/src/classify/eventstream.rs reads them (CRCs zero: the scanner does not check them)."""
import base64, json, pathlib, struct

FUZZ = pathlib.Path(__file__).resolve().parent.parent
HEAD = "content-type: application/vnd.amazon.eventstream\nx-amzn-requestid: 8c2b6a6e-1b2c\n"


def frame(headers, payload):
    head = b""
    for name, value in headers:
        head += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value)) + value.encode()
    total = 16 + len(head) + len(payload)
    return struct.pack(">II", total, len(head)) + b"\0\0\0\0" + head + payload + b"\0\0\0\0"


def chunk(event):
    data = json.dumps({"bytes": base64.b64encode(json.dumps(event, separators=(",", ":")).encode()).decode()})
    return frame([(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")], data.encode())


def event(kind, body):
    return frame([(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")],
                 json.dumps(body, separators=(",", ":")).encode())


def exception(kind, message):
    return frame([(":exception-type", kind), (":content-type", "application/json"), (":message-type", "exception")],
                 json.dumps({"message": message}).encode())


def write(name, body, cuts=(7, 40, 113)):
    d = FUZZ / "corpus" / "classify_response"
    d.mkdir(parents=True, exist_ok=True)
    first = " ".join(["200", *map(str, cuts)])
    (d / f"seed-es-{name}").write_bytes(f"{first}\n{HEAD}\n".encode() + body)


START = {"type": "message_start", "message": {"id": "msg_bdrk_1", "type": "message", "role": "assistant",
         "model": "claude-sonnet-4-5-20250929", "content": [], "usage": {"input_tokens": 25, "output_tokens": 1}}}
BLOCK = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
DELTA = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}
END = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 15}}
STOP = {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 25, "outputTokenCount": 15}}

write("invoke-deltas", b"".join(chunk(e) for e in [START, {"type": "ping"}, BLOCK, DELTA, DELTA, DELTA, END, STOP]))
write("invoke-throttled", b"".join(chunk(e) for e in [START, BLOCK, DELTA])
      + exception("throttlingException", "Too many tokens, please wait before trying again."), cuts=(3, 90))
write("converse", b"".join([
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo"}}),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    event("messageStop", {"stopReason": "max_tokens"}),
    event("metadata", {"usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42,
                                 "cacheReadInputTokens": 800}, "metrics": {"latencyMs": 640}}),
]), cuts=(12, 64, 200))
write("converse-stream-error", event("messageStart", {"role": "assistant"})
      + exception("modelStreamErrorException", "The model stream failed."), cuts=(5,))
