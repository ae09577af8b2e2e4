"""Fluentd events (tag, time, record) → rows of ``logs``.

A Fluentd record is a free-form map, mapped as every shipper's record is
(``mapping/shipper.py``: the key names, Docker, Kubernetes, time), with what the forward
protocol adds:

**Time.** A timestamp in the record wins when it parses; else the event's time (EventTime
keeps nanoseconds, integers are seconds); else the arrival time.

**The tag rule.** A tag whose first part is ``app``, ``service`` or ``svc`` names the service
by its second part: ``app.payment-api`` and ``app.payment-api.access`` → ``payment-api``;
it comes after the record's own service key and before the Kubernetes and Docker hints.
Other tags name no service: ``docker.3f2a9c``, ``kube.var.log.containers.…`` or
``nginx.access`` are routes, not service names. The tag is always kept as ``fluent.tag``.

A record is never refused for its content, only for not being a map: one without any
message key gets its own compact JSON as the message, and text PostgreSQL cannot store
(undecodable bytes, NUL characters) is stored with U+FFFD in its place.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from loglens.collector.mapping.shipper import clean_text, dumps, map_record
from loglens.collector.rows import Row

__all__ = ["TAG_KEY", "Tag", "clean_text", "dumps", "map_event", "tag"]

TAG_KEY = "fluent.tag"
SERVICE_TAG_PREFIXES = frozenset({"app", "service", "svc"})
MAX_TAG_CHARS = 1024


@dataclass(frozen=True)
class Tag:
    """What a tag says, worked out once per request instead of once per record."""

    name: str
    service: str | None
    stamp: tuple[str, str]


@functools.lru_cache(maxsize=4096)
def tag(name: str) -> Tag:
    """The tag of a request; ``app.payment-api`` names the service ``payment-api``."""
    name = clean_text(name)[:MAX_TAG_CHARS]
    parts = name.split(".")
    service = parts[1] if len(parts) >= 2 and parts[0] in SERVICE_TAG_PREFIXES and parts[1] else None
    return Tag(name, service, (TAG_KEY, name))


def map_event(time_us: int | None, record: Any, event_tag: Tag, received_us: int) -> Row:
    """One Fluentd event → one row; ``ValueError`` says why it is refused."""
    if not isinstance(record, dict):
        raise ValueError(f"a Fluentd record must be a map, not {_type_name(record)}")
    return map_record(record, received_us, time_us=time_us, service=event_tag.service, stamp=event_tag.stamp)


def _type_name(value: Any) -> str:
    names = {str: "a string", int: "a number", float: "a number", list: "an array", bytes: "binary data"}
    if value is None:
        return "nil"
    return names.get(type(value), type(value).__name__)
