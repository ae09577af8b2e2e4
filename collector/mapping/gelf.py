"""GELF 1.1 messages (the Graylog Extended Log Format) → rows of ``logs``. Pure logic: one
message in (its JSON, chunks put together and inflated by the receiver), one row out, through
the one mapping of a shipper's record (``shipper.map_record``, strict).

**What maps where**

    short_message   message (when it is missing or blank, ``full_message`` is the message)
    full_message    ``full_message`` in metadata (graypy puts a traceback there)
    timestamp       created_at: Unix seconds with a fraction, the sub-second digits kept
    level           a syslog severity: 0-2 FATAL, 3 ERROR, 4 WARN, 5-6 INFO, 7 DEBUG; missing,
                    INFO (the spec's default is 1, alert, but Graylog stores no level then);
                    one that is no severity is kept as ``gelf.level``, the level INFO
    host            ``host.name``
    facility, file, line   metadata under their names (deprecated in 1.1, still sent)
    _xxx            read as the record's key ``xxx`` by the shipper mapping: ``_service``,
                    ``_trace_id``, ``_user_id``, ``_env``… become their columns, the rest
                    goes to metadata; ``_id`` is dropped (the spec forbids it)
    service         ``_service`` (or another of the shipper mapping's service keys), else
                    ``_app``, ``_application_name``, Docker Compose's service label, the
                    container name (Docker's gelf log driver: ``_container_name``), ``_tag``

Docker's driver also sends ``_container_id``, ``_image_name``, ``_image_id``, ``_command`` and
``_created``: they are kept under OpenTelemetry's names (``container.id``,
``container.image.name``…). A field outside the spec without an underscore is kept in metadata
under its own name and never read as a column.

Refused (``ValueError``, the receiver counts it as malformed): what is not a JSON object, a
``version`` other than 1.0 (graypy's) or 1.1 (a message without one is read: Graylog reads it
too), a message with neither ``short_message`` nor ``full_message``, and what the strict
mapping refuses (a NUL character in the text), and one nested too deep to store as JSON.
"""

from __future__ import annotations

from typing import Any

import orjson

from loglens.collector.mapping.shipper import NAMES, SYSLOG_LEVELS, map_record, syslog_level
from loglens.collector.rows import Row

VERSIONS = ("1.1", "1.0")
STANDARD = frozenset(("version", "host", "short_message", "full_message", "timestamp", "level"))
# Deprecated standard fields: metadata, never a column.
KEPT = ("facility", "file", "line", "full_message")
SERVICE_FIELDS = ("app", "application_name")
DOCKER_FIELDS = {
    "image_name": "container.image.name",
    "image_id": "container.image.id",
    "command": "container.command",
    "created": "container.created",
}
COMPOSE_SERVICE = "com.docker.compose.service"
# Names of the columns the standard fields fill: an additional field with one keeps its underscore.
RESERVED_ALWAYS = frozenset((*NAMES["message"], "metadata"))
RESERVED_WITH = {
    "timestamp": NAMES["created_at"],
    "level": NAMES["level"],
    "host": ("host", "HOST", "hostname"),
}
MAX_NESTING = 254  # orjson's
MISSING = "a GELF message needs a short_message (or a full_message)"


def map_message(data: bytes, received_us: int) -> Row:
    """One GELF message (JSON bytes) → one row; ``ValueError`` says why it is refused."""
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ValueError("a GELF message is a JSON object")
    version = message.get("version")
    if version is not None and version not in VERSIONS:
        raise ValueError(f"GELF version {version!r} is not supported (1.1 or 1.0)")
    try:
        return map_record(_record(message), received_us, service=_service(message), strict=True)
    except (TypeError, RecursionError):  # orjson's limit of nesting, met writing metadata
        raise ValueError(f"the message nests arrays or objects more than {MAX_NESTING} levels deep") from None


def _record(message: dict[str, Any]) -> dict[str, Any]:
    """The shipper record of a GELF message: additional fields without their underscore, then
    the standard fields. An additional field that names a column a standard field fills
    (``_msg``, ``_time`` beside a timestamp, ``_severity`` beside a level) keeps its underscore,
    so that it goes to metadata instead of competing for the column."""
    reserved = RESERVED_ALWAYS | frozenset(
        name for field, names in RESERVED_WITH.items() if field in message for name in names
    )
    kept: dict[str, Any] = {key: message[key] for key in KEPT if key in message}
    record: dict[str, Any] = {}
    for key, value in message.items():
        if key in STANDARD or key in KEPT or key == "_id":
            continue
        if not key.startswith("_"):
            kept[key] = value
            continue
        name = key[1:]
        record[key if name in reserved else DOCKER_FIELDS.get(name, name)] = value
    short, full = message.get("short_message"), message.get("full_message")
    if isinstance(short, str) and short.strip():
        record["message"] = short
    elif isinstance(full, str) and full.strip():
        record["message"] = full
        del kept["full_message"]
    else:
        raise ValueError(MISSING)
    for key in ("timestamp", "host"):
        if key in message:
            record[key] = message[key]
    level = message.get("level")
    if level is not None:
        known = _level(level)
        if known is None:
            kept["gelf.level"] = level
        record["level"] = known or "INFO"
    if kept:
        record["metadata"] = kept  # the shipper mapping puts a "metadata" object's keys in metadata as they are
    return record


def _level(value: Any) -> str | None:
    """A syslog severity, 0 to 7 (or its digits, or its name: "err"); None for anything else
    (a number past 7 is no severity here, though a whole syslog PRI would be)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip()[:4])
    if isinstance(value, int):
        return SYSLOG_LEVELS[value] if 0 <= value < len(SYSLOG_LEVELS) else None
    return syslog_level(value) if isinstance(value, str) else None


def _service(message: dict[str, Any]) -> str | None:
    """The service when the record names none of the shipper mapping's service keys: ``_app``,
    ``_application_name``; else, unless Docker's names are there (the shipper mapping ranks the
    Compose label over the container name), ``_tag``."""
    for field in SERVICE_FIELDS:
        value = message.get(f"_{field}")
        if isinstance(value, str) and value:
            return value
    if f"_{COMPOSE_SERVICE}" in message or "_container_name" in message:
        return None
    tag = message.get("_tag")
    return tag if isinstance(tag, str) and tag else None
