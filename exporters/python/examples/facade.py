"""The simple client API: ``python facade.py`` (LOGLENS_URL, default http://localhost:4318)."""

from __future__ import annotations

import os

from loglens_exporter import LogCollector

with LogCollector(
    server_url=os.environ.get("LOGLENS_URL", "http://localhost:4318"), batch_size=100, flush_interval=5
) as collector:
    collector.log("ERROR", "api-server", "DB connection failed", trace_id="abc123", user_id="user_001")
    collector.info("api-server", "GET /api/v1/orders", method="GET", path="/api/v1/orders", duration_ms=12.5)
    collector.warn("api-server", "slow query", duration_ms=2300, metadata={"table": "orders"})
    print(collector.stats())
# leaving the block sent everything
