"""Fluentd events (tag, time, record) → rows of ``logs``.

A Fluentd record is a free-form map: whatever the application, the Docker logging driver,
a parser or the Kubernetes metadata filter put there. The rules, in the order they apply:

**Columns from common key names.** When a record holds several names for one column, the
first name listed here wins and the others stay in ``metadata``:

    message        message, msg, log (Docker), MESSAGE (journald)
    level          level, severity, log.level, levelname (Python logging), loglevel, lvl;
                   also pino/bunyan numbers (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal)
    service        service, service.name, service_name (and ECS's {"service": {"name": ...}})
    environment    environment, env, deployment.environment.name, deployment.environment
    service_version  service_version, service.version
    trace_id / span_id   trace_id, traceId, trace.id, otelTraceID / span_id, spanId, span.id, otelSpanID
    user_id / session_id user_id, userId, user.id, enduser.id / session_id, sessionId, session.id
    error_type     error_type, error.type, exception.type
    stack_trace    stack_trace, stacktrace, exception.stacktrace, stack, exc_text (Python logging)
    path, method   path, url.path, http.route / method, http.method, http.request.method
    function_name, file_path   function_name, funcName, code.function.name, code.function /
                   file_path, pathname, code.file.path, code.filepath
    duration_ms, log_type, action_type   as named
    created_at     created_at, timestamp, @timestamp, time, ts

**Time.** A timestamp in the record (Unix seconds, milliseconds or microseconds, or ISO-8601)
is the application's own clock and wins when it parses; else the event's time (EventTime
keeps nanoseconds, integers are seconds); else the arrival time. A time before 2000 or more
than a day ahead is kept in ``metadata`` and the arrival time used instead.

**Docker.** ``log`` is the line the container wrote, without its trailing newline. When that
line is a JSON object (a structured logger behind the json-file or fluentd driver), its keys
are read as the record's own and win over the envelope's (an envelope key it shadows is kept
as ``envelope.<key>``); the line itself is the message only if the object has none.
``stream``/``source`` become ``log.iostream``, ``container_id`` ``container.id`` and
``container_name`` ``container.name`` (OpenTelemetry's names, as OTLP logs carry them).

**Kubernetes.** The ``kubernetes`` map of Fluent Bit's kubernetes filter or Fluentd's
kubernetes_metadata plugin is flattened into OpenTelemetry names: ``k8s.namespace.name``,
``k8s.pod.name``, ``k8s.pod.uid``, ``k8s.container.name``, ``k8s.node.name``,
``container.image.name``, ``container.id``, ``k8s.pod.label.<name>``,
``k8s.pod.annotation.<name>``; other keys as ``kubernetes.<key>``.

**Service**, first found: the record's own service key; the tag rule; the pod's
``app.kubernetes.io/name``, ``app`` or ``k8s-app`` label; the Kubernetes container name; the
Docker container name.

**The tag rule.** A tag whose first part is ``app``, ``service`` or ``svc`` names the service
by its second part: ``app.payment-api`` and ``app.payment-api.access`` → ``payment-api``.
Other tags name no service: ``docker.3f2a9c``, ``kube.var.log.containers.…`` or
``nginx.access`` are routes, not service names. The tag is always kept as ``fluent.tag``.

**Everything else** goes to ``metadata`` under its own key, and so does a value that fits no
column (a level like ``"verbose2"``, an environment outside the enum, a method like
``CONNECT``): a record is never refused for its content, only for not being a map. A record
without any message key gets its own compact JSON as the message. Strings that were not
valid UTF-8 reach the mapper with lone surrogates (the receiver decodes msgpack with
``surrogateescape``) and are stored with U+FFFD in their place, as are NUL characters, which
PostgreSQL cannot store.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any

import orjson

from loglens.collector.mapping.json_api import parse_time_us
from loglens.collector.rows import (
    Row,
    duration_thousandths,
    environment_from_text,
    jsonable_number,
    level_from_text,
    own_bytes,
)
from loglens.logs_table import LOG_TYPES, METHODS

MIN_PLAUSIBLE_US = 946_684_800_000_000  # 2000-01-01
MAX_FUTURE_US = 24 * 3600 * 1_000_000  # a day of clock skew
TAG_KEY = "fluent.tag"
SERVICE_TAG_PREFIXES = frozenset({"app", "service", "svc"})
MAX_TAG_CHARS = 1024

(
    _MESSAGE,
    _LEVEL,
    _SERVICE,
    _ENVIRONMENT,
    _VERSION,
    _TRACE,
    _SPAN,
    _USER,
    _SESSION,
    _ERROR_TYPE,
    _STACK,
    _PATH,
    _METHOD,
    _ACTION,
    _FUNCTION,
    _FILE,
    _DURATION,
    _LOG_TYPE,
    _TIME,
) = range(19)
_SLOTS = 19
_SPECIAL_SLOT = -1  # keys with a handler of their own (_SPECIAL)
_EMPTY = 1 << 30  # the rank of a slot nobody filled
# Keys of a JSON line inside ``log`` outrank the envelope's.
_INNER = -1000

_KEYS: dict[str, tuple[int, int]] = {}


def _names(slot: int, *keys: str) -> None:
    for rank, key in enumerate(keys):
        _KEYS[key] = (slot, rank)


_names(_MESSAGE, "message", "msg", "log", "MESSAGE")
_names(_LEVEL, "level", "severity", "log.level", "levelname", "loglevel", "lvl")
_names(_SERVICE, "service", "service.name", "service_name")
_names(_ENVIRONMENT, "environment", "env", "deployment.environment.name", "deployment.environment")
_names(_VERSION, "service_version", "service.version")
_names(_TRACE, "trace_id", "traceId", "trace.id", "otelTraceID")
_names(_SPAN, "span_id", "spanId", "span.id", "otelSpanID")
_names(_USER, "user_id", "userId", "user.id", "enduser.id")
_names(_SESSION, "session_id", "sessionId", "session.id")
_names(_ERROR_TYPE, "error_type", "error.type", "exception.type")
_names(_STACK, "stack_trace", "stacktrace", "exception.stacktrace", "stack", "exc_text")
_names(_PATH, "path", "url.path", "http.route")
_names(_METHOD, "method", "http.method", "http.request.method")
_names(_ACTION, "action_type")
_names(_FUNCTION, "function_name", "funcName", "code.function.name", "code.function")
_names(_FILE, "file_path", "pathname", "code.file.path", "code.filepath")
_names(_DURATION, "duration_ms")
_names(_LOG_TYPE, "log_type")
_names(_TIME, "created_at", "timestamp", "@timestamp", "time", "ts")

_TEXT_SLOTS = (
    _SERVICE,
    _VERSION,
    _TRACE,
    _SPAN,
    _USER,
    _SESSION,
    _ERROR_TYPE,
    _STACK,
    _PATH,
    _ACTION,
    _FUNCTION,
    _FILE,
)
PINO_LEVELS = {10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}
METHOD_SET = frozenset(METHODS)
LOG_TYPE_SET = frozenset(LOG_TYPES)

DOCKER_NAMES = {
    "stream": "log.iostream",
    "source": "log.iostream",
    "container_id": "container.id",
    "container_name": "container.name",
}
KUBERNETES_NAMES = {
    "namespace_name": "k8s.namespace.name",
    "pod_name": "k8s.pod.name",
    "pod_id": "k8s.pod.uid",
    "container_name": "k8s.container.name",
    "host": "k8s.node.name",
    "container_image": "container.image.name",
    "docker_id": "container.id",
    "container_id": "container.id",
}
KUBERNETES_SERVICE_LABELS = ("app.kubernetes.io/name", "app", "k8s-app")


@dataclass(frozen=True)
class Tag:
    """What a tag says, worked out once per request instead of once per record."""

    name: str
    service: str | None


@functools.lru_cache(maxsize=4096)
def tag(name: str) -> Tag:
    """The tag of a request; ``app.payment-api`` names the service ``payment-api``."""
    name = clean_text(name)[:MAX_TAG_CHARS]
    parts = name.split(".")
    service = parts[1] if len(parts) >= 2 and parts[0] in SERVICE_TAG_PREFIXES and parts[1] else None
    return Tag(name, service)


def clean_text(text: str) -> str:
    """``text`` with what PostgreSQL cannot store replaced by U+FFFD: the lone surrogates of
    undecodable bytes, and NUL characters."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:  # the bytes msgpack could not decode, as surrogateescape kept them
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # any other lone surrogate
            return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


class _Event:
    """The columns found so far in one record, and what goes to metadata."""

    __slots__ = ("extra", "hints", "inner", "keys", "ranks", "raw_line", "values")

    def __init__(self) -> None:
        self.values: list[Any] = [None] * _SLOTS
        self.ranks = [_EMPTY] * _SLOTS
        self.keys: list[str | None] = [None] * _SLOTS
        self.extra: dict[str, Any] = {}
        # Service candidates from Kubernetes and Docker: (rank, name), the lowest rank wins.
        self.hints: list[tuple[float, str]] = []
        # A JSON object found in the Docker ``log`` line, read once the envelope is.
        self.inner: dict[str, Any] | None = None
        # That line as text: the message if the object has none (it says nothing else).
        self.raw_line: str | None = None

    def offer(self, slot: int, rank: int, key: str, value: Any) -> None:
        """A value for a column: the best-ranked name keeps it, the other goes to metadata."""
        if rank < self.ranks[slot]:
            previous = self.keys[slot]
            if previous is not None:
                self.extra[previous] = self.values[slot]
            self.values[slot] = value
            self.ranks[slot] = rank
            self.keys[slot] = key
        else:
            self.extra[key] = value

    def read_record(self, record: dict[Any, Any]) -> None:
        self.read(record, 0)
        if self.inner is not None:
            self.read(self.inner, _INNER)

    def read(self, record: dict[Any, Any], bonus: int) -> None:
        # The hot path: one dict lookup per key, offer() inlined.
        extra = self.extra
        values, ranks, keys = self.values, self.ranks, self.keys
        lookup = _KEYS.get
        for key, value in record.items():
            if value is None:
                continue
            found = lookup(key)
            if found is None:
                if key.__class__ is not str:
                    key = _key(key)
                elif bonus and key in extra and extra[key] != value:
                    extra[f"envelope.{key}"] = extra[key]
                extra[key] = value
                continue
            slot, rank = found
            if slot == _SPECIAL_SLOT:
                _SPECIAL[key](self, key, value)
            elif slot == _MESSAGE and key == "log":
                self._docker_line(value, rank + bonus)
            elif slot == _SERVICE and value.__class__ is dict:
                self._ecs_service(value, bonus)
            else:
                rank += bonus
                if rank < ranks[slot]:
                    previous = keys[slot]
                    if previous is not None:
                        extra[previous] = values[slot]
                    values[slot] = value
                    ranks[slot] = rank
                    keys[slot] = key
                else:
                    extra[key] = value

    def _docker_line(self, value: Any, rank: int) -> None:
        if value.__class__ is not str:
            if value.__class__ is dict:  # ECS puts {"logger": ..., "origin": ...} under "log"
                self.extra["log"] = value
            else:
                self.offer(_MESSAGE, rank, "log", value)
            return
        line = value.rstrip("\r\n")
        if line.startswith("{") and line.endswith("}"):
            try:
                inner = orjson.loads(line)
            except orjson.JSONDecodeError:
                inner = None
            if inner.__class__ is dict and self.inner is None:
                self.inner = inner
                self.raw_line = line
                return
        self.offer(_MESSAGE, rank, "log", line)

    def _ecs_service(self, service: dict[str, Any], bonus: int) -> None:
        for key, slot in (("name", _SERVICE), ("version", _VERSION), ("environment", _ENVIRONMENT)):
            value = service.get(key)
            if value is not None:
                self.offer(slot, bonus - 1, f"service.{key}", value)
        rest = {key: value for key, value in service.items() if key not in ("name", "version", "environment")}
        if rest:
            self.extra["service"] = rest


def _docker(event: _Event, key: str, value: Any) -> None:
    if key == "container_name" and value.__class__ is str:
        value = value.lstrip("/")
        if value:
            event.hints.append((3, value))
    event.extra[DOCKER_NAMES[key]] = value


def _kubernetes(event: _Event, key: str, value: Any) -> None:
    if value.__class__ is not dict:
        event.extra[key] = value
        return
    extra = event.extra
    for name, item in value.items():
        if name == "labels" and item.__class__ is dict:
            for label, label_value in item.items():
                extra[f"k8s.pod.label.{label}"] = label_value
            for rank, label in enumerate(KUBERNETES_SERVICE_LABELS):
                candidate = item.get(label)
                if candidate.__class__ is str and candidate:
                    event.hints.append((rank / 10, candidate))
                    break
        elif name == "annotations" and item.__class__ is dict:
            for annotation, annotation_value in item.items():
                extra[f"k8s.pod.annotation.{annotation}"] = annotation_value
        else:
            extra[KUBERNETES_NAMES.get(name) or f"kubernetes.{name}"] = item
    container = value.get("container_name")
    if container.__class__ is str and container:
        event.hints.append((1, container))


def _metadata(event: _Event, key: str, value: Any) -> None:
    if value.__class__ is dict:
        event.extra.update(value)
    else:
        event.extra[key] = value


_SPECIAL = {
    "kubernetes": _kubernetes,
    "metadata": _metadata,
    **dict.fromkeys(DOCKER_NAMES, _docker),
}
_KEYS.update(dict.fromkeys(_SPECIAL, (_SPECIAL_SLOT, 0)))


# Complex by choice (C901 exempt): the per-record hot path, measured by bench/forward.py; split into
# helpers it would pay their function calls on every record.
def map_event(time_us: int | None, record: Any, event_tag: Tag, received_us: int) -> Row:  # noqa: C901
    """One Fluentd event → one row; ``ValueError`` says why it is refused."""
    if not isinstance(record, dict):
        raise ValueError(f"a Fluentd record must be a map, not {_type_name(record)}")
    event = _Event()
    event.read_record(record)
    values = event.values
    extra = event.extra

    # --- when ----------------------------------------------------------------------------
    created_us: int | None = None
    own_time = values[_TIME]
    if own_time is not None:
        created_us = parse_time_us(own_time)
        if created_us is None or not MIN_PLAUSIBLE_US <= created_us <= received_us + MAX_FUTURE_US:
            extra[event.keys[_TIME] or "time"] = jsonable_number(own_time)
            created_us = None
    if created_us is None and time_us:
        if MIN_PLAUSIBLE_US <= time_us <= received_us + MAX_FUTURE_US:
            created_us = time_us
        else:
            extra["original_timestamp_us"] = time_us
    if created_us is None:
        created_us = received_us

    # --- what -----------------------------------------------------------------------------
    message = values[_MESSAGE]
    if message is None:
        message = clean_text(event.raw_line) if event.raw_line is not None else _record_json(record)
    elif message.__class__ is not str:
        message = _text(message)
    elif "\x00" in message or not message.isascii():
        message = clean_text(message)

    level = _level(values[_LEVEL])
    if level is None:
        _keep(event, _LEVEL)
    environment = values[_ENVIRONMENT]
    if environment is not None:
        environment = environment_from_text(environment) if environment.__class__ is str else None
        if environment is None:
            _keep(event, _ENVIRONMENT)
    method = values[_METHOD]
    if method is not None:
        method = method.upper() if method.__class__ is str else None
        if method not in METHOD_SET:
            method = None
            _keep(event, _METHOD)
    log_type = values[_LOG_TYPE]
    if log_type is not None:
        log_type = log_type.upper() if log_type.__class__ is str else None
        if log_type not in LOG_TYPE_SET:
            log_type = None
            _keep(event, _LOG_TYPE)
    duration = duration_thousandths(values[_DURATION])
    if duration is None:
        _keep(event, _DURATION)

    # --- who --------------------------------------------------------------------------------
    for slot in _TEXT_SLOTS:
        value = values[slot]
        if value is not None:
            if value.__class__ is not str:
                values[slot] = _text(value)
            elif "\x00" in value or not value.isascii():
                values[slot] = clean_text(value)
    service = values[_SERVICE] or event_tag.service
    if service is None and event.hints:
        service = clean_text(min(event.hints)[1])
    extra[TAG_KEY] = event_tag.name

    return (
        created_us,
        level or "INFO",
        log_type or "BACKEND",
        service,
        environment,
        values[_VERSION],
        values[_TRACE],
        values[_SPAN],
        values[_USER],
        values[_SESSION],
        values[_ERROR_TYPE],
        message,
        values[_STACK],
        values[_PATH],
        method,
        values[_ACTION],
        values[_FUNCTION],
        values[_FILE],
        duration,
        own_bytes(dumps(extra)),
    )


def _keep(event: _Event, slot: int) -> None:
    """A value that fits no column stays in metadata under the key it came with (a number JSON
    cannot hold, infinity or NaN, as its text)."""
    value = event.values[slot]
    if value is not None:
        event.extra[event.keys[slot] or str(slot)] = jsonable_number(value)


def _level(value: Any) -> str | None:
    if value is None:
        return "INFO"
    if value.__class__ is str:
        return level_from_text(value)
    if value.__class__ is int:
        return PINO_LEVELS.get(value)
    return None


def _text(value: Any) -> str:
    if value.__class__ is str:
        return clean_text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | dict | tuple):
        return dumps(value).decode()
    return str(value)


def _record_json(record: dict[Any, Any]) -> str:
    return dumps(record).decode()


def dumps(value: Any) -> bytes:
    """JSON bytes for anything msgpack can carry: bytes, non-string keys, lone surrogates,
    NUL characters, integers past 64 bits and extension types are made JSON-able first."""
    try:
        dumped = orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return orjson.dumps(_jsonable(value))
    # PostgreSQL's jsonb refuses \u0000 (this test also matches an escaped backslash before
    # "u0000", which merely takes the slower path for nothing).
    return orjson.dumps(_jsonable(value)) if b"\\u0000" in dumped else dumped


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {_key(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return clean_text(key)
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return str(key)


def _type_name(value: Any) -> str:
    names = {str: "a string", int: "a number", float: "a number", list: "an array", bytes: "binary data"}
    if value is None:
        return "nil"
    return names.get(type(value), type(value).__name__)
