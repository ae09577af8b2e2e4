"""A shipper's record (a free-form JSON object or Fluentd map) → one row of ``logs``.

One mapping for every receiver of such records: the JSON API (``/logs``), the Elasticsearch
bulk API's documents and the Fluentd forward protocol's records. A record is whatever the
application, the Docker logging driver, a parser, syslog-ng, journald or the Kubernetes
metadata filter put there. The rules, in the order they apply:

**Columns from common key names.** When a record holds several names for one column, the
first name listed here wins and the others stay in ``metadata``:

    message        message, msg, log (Docker), MESSAGE (journald, syslog-ng)
    level          level, severity, log.level, levelname (Python logging), loglevel, lvl;
                   pino/bunyan numbers (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal);
                   PRIORITY (a syslog severity, 0 emerg to 7 debug, or its name), pri (a syslog PRI)
    service        service, service.name, service_name (and ECS's {"service": {"name": ...}}),
                   PROGRAM (syslog-ng), SYSLOG_IDENTIFIER (journald), appname, ident (syslog parsers)
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
    created_at     created_at, timestamp, @timestamp, time, ts, date (Fluent Bit), ISODATE (syslog-ng)

**Time.** A timestamp in the record (Unix seconds, milliseconds, microseconds or nanoseconds,
told apart by size, as a number or a numeric string; or ISO-8601) is the application's own
clock and wins when it parses; else the event's time (a Fluentd EventTime); else the arrival
time. A time before 2000 or more than a day ahead is kept in ``metadata`` under its key and
the arrival time used instead.

**Host.** ``host``, ``HOST`` or ``hostname`` (or ECS's ``{"host": {"name": ...}}``) is kept
as ``host.name`` in ``metadata``, OpenTelemetry's name, as OTLP logs carry it.

**syslog-ng.** What ``format-json --scope rfc5424`` carries beyond the columns gets the names
the syslog receiver gives it: ``PID`` ``process.pid`` (a number when it is one), ``MSGID``
``syslog.msgid``, ``FACILITY`` ``syslog.facility``, and the structured data (``_SDATA``:
``{"<SD-ID>": {"<PARAM>": ...}}``) ``<SD-ID>.<PARAM>``.

**Docker.** ``log`` is the line the container wrote, without its trailing newline: a raw
line (Fluent Bit's tail input) is the message as it is. When that line is a JSON object (a
structured logger behind the json-file or fluentd driver), its keys are read as the record's
own and win over the envelope's (an envelope key it shadows is kept as ``envelope.<key>``);
the line itself is the message only if the object has none. ``stream``/``source`` become
``log.iostream``, ``container_id`` ``container.id`` and ``container_name`` ``container.name``.

**Kubernetes.** The ``kubernetes`` map of Fluent Bit's kubernetes filter, Fluentd's
kubernetes_metadata plugin, Filebeat's or Vector's is flattened into OpenTelemetry names:
``k8s.namespace.name``, ``k8s.pod.name``, ``k8s.pod.uid``, ``k8s.container.name``,
``k8s.node.name``, ``container.image.name``, ``container.id``, ``k8s.pod.label.<name>``,
``k8s.pod.annotation.<name>``; other keys as ``kubernetes.<key>``.

**Service**, first found: the record's own service key; the receiver's hint (the forward
protocol's tag rule); the pod's ``app.kubernetes.io/name``, ``app`` or ``k8s-app`` label;
the Kubernetes container name; the Docker Compose service (the
``com.docker.compose.service`` label, at the top level as Docker's fluentd driver puts it,
under ``label`` as Vector does, or ``container.labels`` as Filebeat does); the Docker
container name.

**Everything else** goes to ``metadata`` under its own key, and so does a value that fits no
column (a level like ``"verbose2"``, an environment outside the enum, a method like
``CONNECT``).

**Strict records** (the JSON API and Elasticsearch documents, which a client sends one by
one and can be told about) need a message: a record with none of the message keys is
refused, naming them; text is taken as sent, so that a NUL character or bytes that are not
UTF-8 refuse the record rather than being changed; the columns the database assigns (``id``,
``deleted``) are dropped. Forward records are never refused for their content: one without a
message gets its own compact JSON as the message, and strings that were not valid UTF-8
(lone surrogates: the receiver decodes msgpack with ``surrogateescape``) and NUL characters
are stored with U+FFFD in their place.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from typing import Any

import orjson

from loglens import logs_table
from loglens.collector.rows import (
    Row,
    duration_thousandths,
    environment_from_text,
    jsonable_number,
    level_from_text,
    numbers_as_text,
    own_bytes,
)
from loglens.logs_table import LOG_TYPES, METHODS

MIN_PLAUSIBLE_US = 946_684_800_000_000  # 2000-01-01
MAX_FUTURE_US = 24 * 3600 * 1_000_000  # a day of clock skew

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
NAMES: dict[str, tuple[str, ...]] = {}  # column → the keys read for it, best first


def _names(slot: int, column: str, *keys: str) -> None:
    NAMES[column] = keys
    for rank, key in enumerate(keys):
        _KEYS[key] = (slot, rank)


_names(_MESSAGE, "message", "message", "msg", "log", "MESSAGE")
_names(_LEVEL, "level", "level", "severity", "log.level", "levelname", "loglevel", "lvl", "PRIORITY", "pri")
_names(
    _SERVICE,
    "service",
    "service",
    "service.name",
    "service_name",
    "PROGRAM",
    "SYSLOG_IDENTIFIER",
    "appname",
    "ident",
)
_names(_ENVIRONMENT, "environment", "environment", "env", "deployment.environment.name", "deployment.environment")
_names(_VERSION, "service_version", "service_version", "service.version")
_names(_TRACE, "trace_id", "trace_id", "traceId", "trace.id", "otelTraceID")
_names(_SPAN, "span_id", "span_id", "spanId", "span.id", "otelSpanID")
_names(_USER, "user_id", "user_id", "userId", "user.id", "enduser.id")
_names(_SESSION, "session_id", "session_id", "sessionId", "session.id")
_names(_ERROR_TYPE, "error_type", "error_type", "error.type", "exception.type")
_names(_STACK, "stack_trace", "stack_trace", "stacktrace", "exception.stacktrace", "stack", "exc_text")
_names(_PATH, "path", "path", "url.path", "http.route")
_names(_METHOD, "method", "method", "http.method", "http.request.method")
_names(_ACTION, "action_type", "action_type")
_names(_FUNCTION, "function_name", "function_name", "funcName", "code.function.name", "code.function")
_names(_FILE, "file_path", "file_path", "pathname", "code.file.path", "code.filepath")
_names(_DURATION, "duration_ms", "duration_ms")
_names(_LOG_TYPE, "log_type", "log_type")
_names(_TIME, "created_at", "created_at", "timestamp", "@timestamp", "time", "ts", "date", "ISODATE")

MESSAGE_REQUIRED = "a message is required: the record has none of " + ", ".join(
    f'"{key}"' for key in NAMES["message"]
)
_LOG_LEVEL_RANK = _KEYS["log.level"][1]

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
# Syslog severities 0 (emerg) to 7 (debug), as levels.
SYSLOG_LEVELS = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")
METHOD_SET = frozenset(METHODS)
LOG_TYPE_SET = frozenset(LOG_TYPES)
# Columns the database assigns: a strict record's values for them are dropped.
ASSIGNED = frozenset(column.name for column in logs_table.COLUMNS if not column.written)

DOCKER_NAMES = {
    "stream": "log.iostream",
    "source": "log.iostream",
    "container_id": "container.id",
    "container_name": "container.name",
}
KUBERNETES_NAMES = {
    "namespace_name": "k8s.namespace.name",
    "namespace": "k8s.namespace.name",
    "pod_namespace": "k8s.namespace.name",
    "pod_name": "k8s.pod.name",
    "pod_id": "k8s.pod.uid",
    "pod_uid": "k8s.pod.uid",
    "container_name": "k8s.container.name",
    "host": "k8s.node.name",
    "pod_node_name": "k8s.node.name",
    "container_image": "container.image.name",
    "docker_id": "container.id",
    "container_id": "container.id",
}
# Filebeat writes label names with their dots as underscores.
KUBERNETES_SERVICE_LABELS = ("app.kubernetes.io/name", "app_kubernetes_io/name", "app", "k8s-app")
COMPOSE_SERVICE_LABELS = ("com.docker.compose.service", "com_docker_compose_service")
# Service hints' ranks (the lowest wins): pod labels 0 to 0.3, then these.
_KUBERNETES_CONTAINER_RANK, _COMPOSE_RANK, _DOCKER_CONTAINER_RANK = 1, 2, 3


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
                _SPECIAL[key](self, key, value, bonus)
            elif slot == _MESSAGE and key == "log":
                self._docker_line(value, rank + bonus, bonus)
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

    def _docker_line(self, value: Any, rank: int, bonus: int) -> None:
        if value.__class__ is not str:
            if value.__class__ is dict:  # ECS puts {"level": ..., "logger": ..., "origin": ...} under "log"
                self._ecs_log(value, bonus)
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

    def _ecs_log(self, log: dict[str, Any], bonus: int) -> None:
        level = log.get("level")
        if level is None:
            self.extra["log"] = log
            return
        self.offer(_LEVEL, _LOG_LEVEL_RANK + bonus, "log.level", level)
        rest = {key: value for key, value in log.items() if key != "level"}
        if rest:
            self.extra["log"] = rest

    def _ecs_service(self, service: dict[str, Any], bonus: int) -> None:
        for key, slot in (("name", _SERVICE), ("version", _VERSION), ("environment", _ENVIRONMENT)):
            value = service.get(key)
            if value is not None:
                self.offer(slot, bonus - 1, f"service.{key}", value)
        rest = {key: value for key, value in service.items() if key not in ("name", "version", "environment")}
        if rest:
            self.extra["service"] = rest

    def hint(self, rank: float, value: Any) -> None:
        if value.__class__ is str and value:
            self.hints.append((rank, value))


def _docker(event: _Event, key: str, value: Any, _bonus: int) -> None:
    if key == "container_name" and value.__class__ is str:
        value = value.lstrip("/")
        event.hint(_DOCKER_CONTAINER_RANK, value)
    event.extra[DOCKER_NAMES[key]] = value


def _compose_labels(event: _Event, labels: Any) -> None:
    if labels.__class__ is dict:
        for label in COMPOSE_SERVICE_LABELS:
            event.hint(_COMPOSE_RANK, labels.get(label))


def _compose(event: _Event, key: str, value: Any, _bonus: int) -> None:
    """The Compose service label at the top level (Docker's fluentd driver with ``labels``)."""
    event.hint(_COMPOSE_RANK, value)
    event.extra[key] = value


def _labels(event: _Event, key: str, value: Any, _bonus: int) -> None:
    """Vector's docker_logs source: the container's labels under ``label``."""
    _compose_labels(event, value)
    event.extra[key] = value


def _container(event: _Event, key: str, value: Any, _bonus: int) -> None:
    """ECS (Filebeat): ``{"container": {"name": ..., "labels": {...}}}``."""
    if value.__class__ is dict:
        name = value.get("name")
        event.hint(_DOCKER_CONTAINER_RANK, name.lstrip("/") if name.__class__ is str else None)
        _compose_labels(event, value.get("labels"))
    event.extra[key] = value


def _kubernetes(event: _Event, key: str, value: Any, _bonus: int) -> None:
    if value.__class__ is not dict:
        event.extra[key] = value
        return
    extra = event.extra
    for name, item in value.items():
        if name in ("labels", "pod_labels") and item.__class__ is dict:
            _pod_labels(event, item)
        elif name == "annotations" and item.__class__ is dict:
            for annotation, annotation_value in item.items():
                extra[f"k8s.pod.annotation.{annotation}"] = annotation_value
        elif item.__class__ is dict and name in ("pod", "node", "container", "namespace"):
            # Filebeat's shape: {"pod": {"name": ..., "uid": ...}, "container": {"name": ...}}
            for part, part_value in item.items():
                extra[f"k8s.{name}.{part}"] = part_value
        else:
            extra[KUBERNETES_NAMES.get(name) or f"kubernetes.{name}"] = item
    container = value.get("container_name") or value.get("container")
    if container.__class__ is dict:
        container = container.get("name")
    event.hint(_KUBERNETES_CONTAINER_RANK, container)


def _pod_labels(event: _Event, labels: dict[str, Any]) -> None:
    for label, label_value in labels.items():
        event.extra[f"k8s.pod.label.{label}"] = label_value
    for rank, label in enumerate(KUBERNETES_SERVICE_LABELS):
        candidate = labels.get(label)
        if candidate.__class__ is str and candidate:
            event.hints.append((rank / 10, candidate))
            return


def _host(event: _Event, key: str, value: Any, bonus: int) -> None:
    name = value
    if value.__class__ is dict:  # ECS: {"host": {"name": ..., "os": {...}, ...}}
        name = value.get("name") or value.get("hostname")
        rest = {part: item for part, item in value.items() if part not in ("name", "hostname")}
        if rest:
            event.extra[key] = rest
    if name.__class__ is not str:
        event.extra[key] = value
        return
    extra = event.extra
    previous = extra.get("host.name")
    if previous is not None and previous != name:
        if not bonus:
            extra[key] = value  # the first host key read is the host
            return
        extra["envelope.host.name"] = previous
    extra["host.name"] = name


SYSLOG_NG_NAMES = {"PID": "process.pid", "MSGID": "syslog.msgid", "FACILITY": "syslog.facility"}


def _syslog_ng(event: _Event, key: str, value: Any, _bonus: int) -> None:
    if key == "PID" and value.__class__ is str and value.isdigit() and len(value) < 10:
        value = int(value)
    event.extra[SYSLOG_NG_NAMES[key]] = value


def _structured_data(event: _Event, key: str, value: Any, _bonus: int) -> None:
    """syslog-ng's ``.SDATA.<id>.<param>`` values, which format-json nests under ``_SDATA``."""
    if value.__class__ is not dict or not all(item.__class__ is dict for item in value.values()):
        event.extra[key] = value
        return
    for element, params in value.items():
        for param, item in params.items():
            event.extra[f"{element}.{param}"] = item


def _metadata(event: _Event, key: str, value: Any, _bonus: int) -> None:
    if value.__class__ is dict:
        event.extra.update(value)
    else:
        event.extra[key] = value


_SPECIAL = {
    "kubernetes": _kubernetes,
    "metadata": _metadata,
    "container": _container,
    "label": _labels,
    **dict.fromkeys(COMPOSE_SERVICE_LABELS, _compose),
    **dict.fromkeys(("host", "HOST", "hostname"), _host),
    **dict.fromkeys(DOCKER_NAMES, _docker),
    **dict.fromkeys(SYSLOG_NG_NAMES, _syslog_ng),
    "_SDATA": _structured_data,
}
_KEYS.update(dict.fromkeys(_SPECIAL, (_SPECIAL_SLOT, 0)))


# Complex by choice (C901 exempt): the per-record hot path, measured by bench/forward.py; split into
# helpers it would pay their function calls on every record.
def map_record(  # noqa: C901
    record: dict[Any, Any],
    received_us: int,
    *,
    time_us: int | None = None,
    service: str | None = None,
    stamp: tuple[str, str] | None = None,
    strict: bool = False,
) -> Row:
    """One record → one row; ``ValueError`` says why a strict record is refused.

    ``time_us``: the event's time from the protocol (used when the record has none that
    parses); ``service``: the receiver's service for it (used when the record names none);
    ``stamp``: a key and value always added to ``metadata`` (the forward protocol's tag);
    ``strict``: the JSON API's and Elasticsearch's rules (the module's docstring)."""
    event = _Event()
    event.read_record(record)
    values = event.values
    extra = event.extra

    # --- when ----------------------------------------------------------------------------
    created_us: int | None = None
    own_time = values[_TIME]
    if own_time is not None:
        # A "date" of a day alone ("2026-12-03": an invoice's, a report's) is not the log's time;
        # Fluent Bit's "date" is epoch seconds or a full ISO-8601 time.
        day_only = own_time.__class__ is str and len(own_time) <= 10 and event.keys[_TIME] == "date"
        created_us = None if day_only else parse_time_us(own_time)
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
        if event.raw_line is not None:
            message = event.raw_line if strict else clean_text(event.raw_line)
        elif strict:
            raise ValueError(MESSAGE_REQUIRED)
        else:
            message = _record_json(record)
    elif message.__class__ is not str:
        message = _text(message, strict)
    elif strict:
        if not message:
            raise ValueError(MESSAGE_REQUIRED.replace("none of", "an empty message and none of"))
    elif "\x00" in message or not message.isascii():
        message = clean_text(message)

    level = _level(values[_LEVEL], event.keys[_LEVEL])
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
        log_type = log_type.strip().upper() if log_type.__class__ is str else None
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
                values[slot] = _text(value, strict)
            elif strict:
                pass
            elif "\x00" in value or not value.isascii():
                values[slot] = clean_text(value)
    found_service = values[_SERVICE] or service
    if found_service is None and event.hints:
        hinted = min(event.hints)[1]
        found_service = hinted if strict else clean_text(hinted)
    if stamp is not None:
        extra[stamp[0]] = stamp[1]
    if strict:
        for name in ASSIGNED:
            extra.pop(name, None)

    return (
        created_us,
        level or "INFO",
        log_type or "BACKEND",
        found_service,
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
        (own_bytes(strict_dumps(extra) if strict else dumps(extra)) if extra else None),
    )


def _keep(event: _Event, slot: int) -> None:
    """A value that fits no column stays in metadata under the key it came with (a number JSON
    cannot hold, infinity or NaN, as its text)."""
    value = event.values[slot]
    if value is not None:
        event.extra[event.keys[slot] or str(slot)] = jsonable_number(value)


def _level(value: Any, key: str | None) -> str | None:
    if value is None:
        return "INFO"
    if key == "PRIORITY" or key == "pri":
        return syslog_level(value, whole_pri=key == "pri")
    if value.__class__ is str:
        return level_from_text(value)
    if value.__class__ is int:
        return PINO_LEVELS.get(value)
    return None


def syslog_level(value: Any, *, whole_pri: bool = False) -> str | None:
    """The level of a syslog severity (0 to 7, a number or its digits), of a whole PRI
    (facility × 8 + severity: ``whole_pri``), or of a severity's name ("err", "notice")."""
    number: int | None = None
    if value.__class__ is int:
        number = value
    elif value.__class__ is str:
        text = value.strip()
        if not text.isdigit():
            return level_from_text(text)
        number = int(text[:4])
    if number is None or not 0 <= number <= 191:  # 191: the largest PRI (facility 23, debug)
        return None
    return SYSLOG_LEVELS[number % 8 if whole_pri or number > 7 else number]


def _text(value: Any, strict: bool = False) -> str:
    if value.__class__ is str:
        return value if strict else clean_text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | dict | tuple):
        return (strict_dumps(value) if strict else dumps(value)).decode()
    if strict:
        number = jsonable_number(value)  # infinity, NaN and the longest integers: their text
        return number if number.__class__ is str else strict_dumps(value).decode()
    return str(value)


def _record_json(record: dict[Any, Any]) -> str:
    return dumps(record).decode()


def strict_dumps(value: Any) -> bytes:
    """JSON bytes of a JSON record's values, as they came (a NUL stays, for the writer to refuse);
    a number orjson cannot write (an integer past 64 bits, from NDJSON) as its text."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(numbers_as_text(value))


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


# --- time ----------------------------------------------------------------------------------------
# Epoch numbers told apart by size: seconds (1.7e9), milliseconds (1.7e12), microseconds (1.7e15),
# nanoseconds (1.7e18); the bounds sit between, far from any time of this century.
_MILLISECONDS_FROM, _MICROSECONDS_FROM, _NANOSECONDS_FROM = 1e11, 1e14, 1e17


def parse_time_us(value: Any) -> int | None:
    """Unix microseconds from Unix seconds, milliseconds, microseconds or nanoseconds (a number
    or a numeric string), or ISO-8601 text."""
    # (an integer is compared as it is: past 1.8e308 it has no float to test for finiteness)
    if value.__class__ is int or (isinstance(value, int) and not isinstance(value, bool)):
        size = abs(value)
        if size >= _NANOSECONDS_FROM:
            return int(value // 1000)
        return int(value * (1_000_000 if size < _MILLISECONDS_FROM else 1_000 if size < _MICROSECONDS_FROM else 1))
    if isinstance(value, float) and math.isfinite(value):
        magnitude = abs(value)
        if magnitude >= _NANOSECONDS_FROM:
            return round(value / 1000)
        scale = 1_000_000 if magnitude < _MILLISECONDS_FROM else 1_000 if magnitude < _MICROSECONDS_FROM else 1
        return round(value * scale)  # 1764770000.123456 s is 1764770000123455.9… µs as a float
    if isinstance(value, str):
        return _text_time_us(value)
    return None


def _text_time_us(text: str) -> int | None:
    text = text.strip()
    if text[:1].isdigit() and text.replace(".", "", 1).isdigit():
        if "." in text:
            return parse_time_us(float(text))
        return parse_time_us(int(text[:40]))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond
