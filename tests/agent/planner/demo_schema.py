"""A profile of the logs table written by hand, shaped like the one `SchemaCatalog` reads from the
demo data (loglens/demo/scenario.py): the planner's table tests plan against it, with no database."""

from __future__ import annotations

from typing import Any

from loglens.agent.offline.parse import Planned, Planner
from loglens.agent.offline.plan import QueryPlan, TimeWindow
from loglens.agent.schema import CONVENTIONS, MetadataKey, Schema
from loglens.demo import scenario


def _counted(*values: str, top: int = 4000) -> list[dict[str, Any]]:
    """Profile entries, commonest first, as ``SchemaCatalog._values`` keeps them."""
    last_seen = "2026-12-02T04:00:00+00:00"
    return [
        {"value": value, "count": top // (rank + 1), "last_seen": last_seen} for rank, value in enumerate(values)
    ]


# The names of the demo data (loglens/demo/scenario.py), commonest first as the profile keeps them.
_VOCAB: dict[str, Any] = dict(scenario.DEFAULT_VOCAB)
SERVICES = tuple(
    dict.fromkeys(
        [
            *_VOCAB["backend_services"],
            *_VOCAB["worker_services"],
            _VOCAB["frontend_service"],
            _VOCAB["mobile_service"],
        ]
    )
)
ERROR_TYPES = tuple(
    dict.fromkeys(
        [
            _VOCAB["auth_error"],
            _VOCAB["incident_error"],
            _VOCAB["cascade_error"],
            *_VOCAB["error_types"],
            *_VOCAB["frontend_errors"],
        ]
    )
)
PATHS = (*_VOCAB["paths"], *_VOCAB["pages"], "/api/v1/search?q=' OR 1=1 --")
VERSIONS = ("v2.9.0", "v2.10.0", "v1.4.0", "v3.2.0", "v4.1.0", "v1.7.0", "v2.3.0", "v3.8.0", "v1.1.0", "v4.6.0")
HOSTS = sorted(f"{service}-{n}" for service in SERVICES for n in range(1, 5))[:25]
IPS = sorted(["203.0.113.66", "198.51.100.23", *(f"10.{a}.{b}.{b + a + 1}" for a in range(4) for b in range(6))])[
    :25
]

SCHEMA = Schema(
    table="logs",
    columns=[],
    conventions=CONVENTIONS,
    row_estimate=21_500,
    time_range={"from": "2026-11-25T04:00:00+00:00", "to": "2026-12-02T04:00:00+00:00"},
    values={
        "service": _counted(*SERVICES),
        "environment": _counted("production", "staging", "development", top=15000),
        "log_type": _counted("BACKEND", "FRONTEND", "WORKER", "MOBILE", top=12000),
        "level": _counted("INFO", "DEBUG", "WARN", "ERROR", "FATAL", "TRACE", top=15000),
        "error_type": _counted(*ERROR_TYPES, top=600),
        "path": _counted(*PATHS, top=2000),
        "service_version": _counted(*VERSIONS, top=2000),
        "method": _counted("GET", "POST", "PUT", "DELETE", "PATCH", top=6000),
        "action_type": _counted("navigate", "click", "submit", top=2000),
    },
    metadata_keys=[
        MetadataKey("host", "string", 1.0, list(HOSTS)),
        MetadataKey("region", "string", 1.0, ["ap-northeast-2", "eu-west-1", "us-east-1"]),
        MetadataKey("http_status", "number", 0.78, [200, 400, 401, 500, 502, 503]),
        MetadataKey("ip", "string", 0.78, list(IPS)),
        MetadataKey("browser", "string", 0.2, ["Chrome", "Edge", "Firefox", "Safari"]),
        MetadataKey("device", "string", 0.2, ["desktop", "mobile", "tablet"]),
        MetadataKey("page_load_ms", "number", 0.2, [312, 488, 503, 640, 771, 902, 1210]),
    ],
    # the demo's deploy: payment-api moved from v2.9.0 to v2.10.0 three hours before the profile
    releases={
        "payment-api": [
            {
                "value": "v2.9.0",
                "count": 1900,
                "first_seen": "2026-11-25T04:00:00+00:00",
                "last_seen": "2026-12-02T01:00:00+00:00",
            },
            {
                "value": "v2.10.0",
                "count": 180,
                "first_seen": "2026-12-02T01:00:00+00:00",
                "last_seen": "2026-12-02T04:00:00+00:00",
            },
        ],
        "order-api": [
            {
                "value": "v1.4.0",
                "count": 2000,
                "first_seen": "2026-11-25T04:00:00+00:00",
                "last_seen": "2026-12-02T04:00:00+00:00",
            }
        ],
    },
)


def planned(question: str) -> Planned:
    return Planner(SCHEMA).plan(question)


def plan_of(question: str) -> QueryPlan:
    """The plan of a question the planner must answer: every word used, nothing guessed."""
    result = planned(question)
    assert result.plan is not None, f"{question!r}: {result.reason}"
    assert result.confident
    return result.plan


MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}


def covered(window: TimeWindow | None) -> tuple[str, int, int] | None:
    """What a window covers: its kind, its length in minutes (a "last" window) and how far back it
    is moved, so that "the last day" and "the last 24 hours" are one window."""
    if window is None:
        return None
    length = window.amount * MINUTES[window.unit] if window.kind == "last" else 0
    return window.kind, length, window.shift_amount * MINUTES[window.shift_unit]
