"""Every benchmark in one run: ``python -m bench`` (or ``make bench``)."""

from __future__ import annotations

import asyncio

from bench import agent, exporter, ingest, offline
from bench.report import Report


def main() -> None:
    report = Report()
    # Every receiver (OTLP/HTTP, OTLP/gRPC, JSON, Fluentd forward, syslog) against raw psql \copy.
    asyncio.run(ingest.measure(200_000, 8, report))
    asyncio.run(agent.measure(report))
    asyncio.run(offline.measure(report))
    exporter.measure(100_000, report)
    report.print()


if __name__ == "__main__":
    main()
