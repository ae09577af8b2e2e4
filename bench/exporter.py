"""What ``loglens_exporter`` costs the application, and what compression saves on the wire.

1. The cost of one ``LogCollector.log()`` call in the calling thread (p50/p99 over N calls of
   realistic logs: the demo scenarios), beside a bare ``logging`` call to a logger with a
   ``NullHandler`` measured in the same run, and beside a ``logging`` call shipped by
   ``configure()`` (the SDK's LoggingHandler builds its OTel record in the calling thread).
   The flush thread runs meanwhile, exporting to a local sink, as it would in an app.
2. The bandwidth saved by gzip: the exporter's own request bodies, as the sink received them.

    python -m bench.exporter [--calls 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import loglens_exporter

from bench.report import Report
from loglens.collector.rows import COLUMNS
from loglens.demo import scenario

TARGET_P99_US = 10.0
MISSION_P99_US = 100.0
MISSION_GZIP_SAVING = 0.70
# The facade's keyword fields: every column but those log() takes positionally or sets itself.
COLUMN_FIELDS = tuple(
    name
    for name in COLUMNS
    if name not in ("created_at", "level", "log_type", "service", "span_id", "message", "metadata")
)


class Sink:
    """A local OTLP/HTTP endpoint that answers 200 and keeps the size of every body."""

    def __init__(self) -> None:
        self.wire_bytes = 0
        self.raw_bytes = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sink.wire_bytes += len(body)
                gzipped = self.headers.get("Content-Encoding") == "gzip"
                sink.raw_bytes += len(gzip.decompress(body)) if gzipped else len(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @contextmanager
    def running(self) -> Iterator[Sink]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def realistic_calls(count: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=5, now=dt.datetime.now(dt.UTC)).all(count)
    calls = []
    for record in records[:count]:
        fields = {name: record[name] for name in COLUMN_FIELDS if record.get(name) is not None}
        if record.get("metadata"):
            fields["metadata"] = record["metadata"]
        calls.append((record["level"], record["service"], record["message"], fields))
    return calls


def timed(calls: int, one_call: Callable[[int], None]) -> list[float]:
    """Microseconds per call, each call timed on its own."""
    clock = time.perf_counter_ns
    durations = [0.0] * calls
    for number in range(calls):
        started = clock()
        one_call(number)
        durations[number] = (clock() - started) / 1000
    durations.sort()
    return durations


def percentile(durations: list[float], fraction: float) -> float:
    return durations[min(len(durations) - 1, int(len(durations) * fraction))]


def describe(durations: list[float]) -> str:
    p50, p99, p999 = (percentile(durations, q) for q in (0.5, 0.99, 0.999))
    return f"p50 {p50:5.2f} µs   p99 {p99:5.2f} µs   p99.9 {p999:6.2f} µs"


def measure(calls: int, report: Report) -> None:
    prepared = realistic_calls(calls)
    levels = {"WARN": logging.WARNING, "FATAL": logging.CRITICAL}

    bare = logging.getLogger("bench.bare")
    bare.addHandler(logging.NullHandler())
    bare.propagate = False
    bare.setLevel(logging.DEBUG)

    def bare_call(number: int) -> None:
        level, _, message, fields = prepared[number]
        bare.log(levels.get(level, logging.INFO), message, extra=fields)

    with Sink().running() as sink:
        collector = loglens_exporter.LogCollector(
            server_url=sink.url, batch_size=512, flush_interval=1.0, max_queue_size=2 * calls + 1
        )

        def facade_call(number: int) -> None:
            level, service, message, fields = prepared[number]
            collector.log(level, service, message, **fields)

        def short_call(_number: int) -> None:
            collector.log("INFO", "api-server", "request served", user_id="user_001")

        null_handler = timed(calls, bare_call)
        facade = timed(calls, facade_call)
        short = timed(calls, short_call)
        assert collector.flush(120), "the sink did not receive every log"
        stats = collector.stats()
        collector.close()

        shipped = logging.getLogger("bench.shipped")
        loglens_exporter.configure(service="bench", endpoint=sink.url, max_queue_size=calls + 1)

        def shipped_call(number: int) -> None:
            level, _, message, fields = prepared[number]
            shipped.log(levels.get(level, logging.INFO), message, extra=fields)

        shipped_logging = timed(calls, shipped_call)
        loglens_exporter.flush(120)
        loglens_exporter.shutdown()

    report.section(f"Exporter: cost of one call in the calling thread ({calls:,} realistic logs each)")
    report.row("NullHandler", describe(null_handler) + "   (bare logging, same run)")
    report.row("LogCollector.log", describe(facade) + f"   (target p99 < {TARGET_P99_US:.0f} µs)")
    report.row("  one field", describe(short) + "   (log('INFO', service, message, user_id=...))")
    report.row("logging+configure", describe(shipped_logging) + "   (the SDK's LoggingHandler)")
    report.row("facade sent", f"{stats.sent:,} of {stats.accepted:,} accepted, {stats.dropped} dropped")
    report.row("machine", "2 cores here, shared: compare rows of one run, not runs")
    saving = 1 - sink.wire_bytes / sink.raw_bytes
    report.section("Exporter: gzip on the wire (the exporter's own OTLP/protobuf batches)")
    report.row("protobuf", f"{sink.raw_bytes / 1e6:.1f} MB")
    report.row("gzip", f"{sink.wire_bytes / 1e6:.1f} MB")
    report.row("saved", f"{saving:.0%}   (mission claims {MISSION_GZIP_SAVING:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    report = Report()
    measure(args.calls, report)
    report.print()


if __name__ == "__main__":
    main()
