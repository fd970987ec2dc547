"""A real OTLP/HTTP receiver for the conformance suite: accepts protobuf `POST /v1/metrics`
and `POST /v1/traces` as a collector does, decodes them with the official opentelemetry-proto
classes, and answers `GET /summary` with what arrived: per metric name, its data points'
attributes and counts, every span (name, kind, attributes, events, status, trace and parent
ids), plus every raw body (for the key check). Bodies that do not decode are
answered 400 and listed under `rejected`, never dropped silently.

usage: otlp_receiver.py PORT_FILE   (writes the port it listens on to PORT_FILE)
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

LOCK = threading.Lock()
STATE = {"points": [], "spans": [], "raw": [], "rejected": []}
MAX_RAW_BYTES = 64 << 20  # bounded: past this, bodies are counted, not kept


def value_of(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def points_of(request):
    """(name, attributes, count) of every histogram and sum data point."""
    out = []
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                if kind in ("histogram", "exponential_histogram"):
                    points = [(p.attributes, p.count) for p in getattr(metric, kind).data_points]
                elif kind in ("sum", "gauge"):
                    points = [
                        (p.attributes, p.as_int if p.WhichOneof("value") == "as_int" else p.as_double)
                        for p in getattr(metric, kind).data_points
                    ]
                else:
                    points = []
                for attributes, count in points:
                    out.append({"name": metric.name, "attributes": attributes_of(attributes), "value": count})
    return out


def attributes_of(key_values):
    return {kv.key: value_of(kv.value) for kv in key_values}


def spans_of(request):
    """Every span, flattened to what the checks read."""
    return [
        {
            "name": span.name,
            "kind": span.kind,
            "attributes": attributes_of(span.attributes),
            "events": [{"name": e.name, "attributes": attributes_of(e.attributes)} for e in span.events],
            "status": {"code": span.status.code, "message": span.status.message},
            "trace_id": span.trace_id.hex(),
            "parent_span_id": span.parent_span_id.hex(),
            "start": span.start_time_unix_nano,
            "end": span.end_time_unix_nano,
        }
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            if self.path == "/v1/metrics":
                request = ExportMetricsServiceRequest.FromString(body)
                reply = ExportMetricsServiceResponse()
                with LOCK:
                    STATE["points"].extend(points_of(request))
            elif self.path == "/v1/traces":
                request = ExportTraceServiceRequest.FromString(body)
                reply = ExportTraceServiceResponse()
                with LOCK:
                    STATE["spans"].extend(spans_of(request))
            else:
                self.send_error(404)
                return
        except DecodeError as e:
            with LOCK:
                STATE["rejected"].append(f"{self.path}: {e}")
            self.send_error(400)
            return
        with LOCK:
            if sum(len(r) for r in STATE["raw"]) < MAX_RAW_BYTES:
                STATE["raw"].append(body.decode("latin-1"))
        payload = reply.SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path != "/summary":
            self.send_error(404)
            return
        with LOCK:
            payload = json.dumps(STATE).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
