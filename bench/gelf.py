"""The GELF part of ``bench/ingest.py``: the demo scenarios' logs as GELF 1.1 messages (time as
Unix seconds to the microsecond, the service as ``_service``, the level as a syslog severity, the
host, the trace and user ids as additional fields), NUL-delimited as Graylog's TCP inputs take
them (Docker's gelf driver over TCP, Fluent Bit's and Logstash's gelf outputs), in bodies of 1000
messages written over several connections, each closed cleanly after its last.

GELF has no acknowledgement: the run ends when every message is committed (the table is polled,
``bench/syslog.py``'s ``send_bodies``), so the rate is the whole path's, with no answer latency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from bench.syslog import SEVERITY

BODY_MESSAGES = 1000


def message(record: dict[str, Any]) -> bytes:
    created = dt.datetime.fromisoformat(record["created_at"]).timestamp()
    gelf: dict[str, Any] = {
        "version": "1.1",
        "host": (record.get("metadata") or {}).get("host") or "bench-host",
        "short_message": record["message"],
        "timestamp": round(created, 6),
        "level": SEVERITY.get(record["level"], 6),
        "_service": record["service"],
    }
    for key in ("trace_id", "user_id", "environment"):
        if record.get(key):
            gelf[f"_{key}"] = record[key]
    return orjson.dumps(gelf) + b"\x00"


def build_bodies(records: list[dict[str, Any]]) -> list[bytes]:
    """The records as NUL-terminated GELF frames, 1000 to a body (one write)."""
    frames = [message(record) for record in records]
    return [b"".join(frames[start : start + BODY_MESSAGES]) for start in range(0, len(frames), BODY_MESSAGES)]
