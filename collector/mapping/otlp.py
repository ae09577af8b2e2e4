"""OpenTelemetry log records → rows of ``logs``, following the semantic conventions.

Resource attributes name the service, its version, environment and kind; record attributes
fill the request columns (method, path, user, ...); everything else is kept, verbatim, in
``metadata``, so that nothing an application sent is lost. Values that do not fit a column
(an environment outside the enum, an HTTP method like ``CONNECT``, a duration too large for
``NUMERIC(10,3)``) stay in ``metadata`` under their attribute name.

This is the ingest hot path: it runs once per record at 100k+ records/s, so it works on
locals and tuples, decides per attribute with one dict lookup, and builds no objects it can
avoid (see ``collector/rows.py`` for the pre-encoded columns).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from loglens.collector.rows import (
    Row,
    duration_thousandths,
    environment_from_text,
    level_from_text,
    own_bytes,
)
from loglens.logs_table import LEVELS, LOG_TYPES, METHODS

# Severity numbers 1-24 in six bands of four (OpenTelemetry logs data model).
LEVEL_BY_SEVERITY_NUMBER = (
    "INFO",
    *[level for level in LEVELS for _ in range(4)],
)

MIN_PLAUSIBLE_US = 946_684_800_000_000  # 2000-01-01
MAX_FUTURE_US = 24 * 3600 * 1_000_000  # a day of clock skew

# Record attributes that fill a column. Later names in a group are older conventions; the
# newest present wins because the SDKs emit only one of them.
_ERROR_TYPE, _EXC_MESSAGE, _STACK, _FUNCTION, _FILE, _METHOD, _ROUTE, _URL_PATH = range(8)
_USER, _SESSION, _DURATION, _ACTION, _LOG_TYPE, _TRACE, _SPAN, _SERVICE, _ENV, _VERSION = range(8, 18)
# Not a column: the HTTP status is kept in metadata under loglens's own key, http_status.
_HTTP_STATUS = 18
_SLOTS = 19
# Slots that become text columns; a number or list sent there is stored as its text.
_TEXT_SLOTS = frozenset(range(_SLOTS)) - {_DURATION, _HTTP_STATUS}
METHOD_SET = frozenset(METHODS)
# All-zero ids mean "no trace" in OTLP.
_INVALID_TRACE_ID = bytes(16)
_INVALID_SPAN_ID = bytes(8)
ATTRIBUTE_SLOTS: dict[str, int] = {
    "exception.type": _ERROR_TYPE,
    "error_type": _ERROR_TYPE,
    "error.type": _ERROR_TYPE,
    "exception.message": _EXC_MESSAGE,
    "exception.stacktrace": _STACK,
    "stack_trace": _STACK,
    "code.function.name": _FUNCTION,
    "code.function": _FUNCTION,
    "function_name": _FUNCTION,
    "code.file.path": _FILE,
    "code.filepath": _FILE,
    "file_path": _FILE,
    "http.request.method": _METHOD,
    "http.method": _METHOD,
    "method": _METHOD,
    "http.route": _ROUTE,
    "path": _ROUTE,
    "url.path": _URL_PATH,
    "http.target": _URL_PATH,
    "user.id": _USER,
    "enduser.id": _USER,
    "user_id": _USER,
    "userId": _USER,
    "session.id": _SESSION,
    "session_id": _SESSION,
    "duration_ms": _DURATION,
    "action_type": _ACTION,
    "log_type": _LOG_TYPE,
    "trace_id": _TRACE,
    "span_id": _SPAN,
    "service": _SERVICE,
    "environment": _ENV,
    "service_version": _VERSION,
    "http.response.status_code": _HTTP_STATUS,
    "http.status_code": _HTTP_STATUS,
    "http_status": _HTTP_STATUS,
}

RESOURCE_COLUMNS = {
    "service.name": "service",
    "service.version": "service_version",
    "deployment.environment.name": "environment",
    "deployment.environment": "environment",
    "loglens.log_type": "log_type",
}
LOG_TYPE_NAMES = frozenset(LOG_TYPES)
MOBILE_OS = {"android", "ios", "ipados"}


@dataclass
class Mapped:
    """The rows of one request, and the records refused with their reasons."""

    rows: list[Row] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0


def any_value(value: AnyValue) -> Any:
    """An OTLP AnyValue as the JSON-able Python value it stands for."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        number = value.double_value
        return number if math.isfinite(number) else str(number)
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: any_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


@dataclass(frozen=True)
class _ResourceContext:
    service: str | None
    environment: str | None
    version: str | None
    log_type: str
    # The resource's metadata as a JSON object without its closing brace, so that each
    # record's own attributes are appended as text instead of copying a dict per record.
    metadata_prefix: bytes | None


def _resource_context(attributes: Iterable[KeyValue], scope_name: str) -> _ResourceContext:
    columns: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for kv in attributes:
        value = any_value(kv.value)
        column = RESOURCE_COLUMNS.get(kv.key)
        if column is not None and isinstance(value, str) and column not in columns:
            columns[column] = value
        else:
            metadata[kv.key] = value
    if scope_name:
        metadata["otel.scope.name"] = scope_name

    environment = None
    if "environment" in columns:
        environment = environment_from_text(columns["environment"])
        if environment is None:
            metadata["deployment.environment.name"] = columns["environment"]
    return _ResourceContext(
        service=columns.get("service"),
        environment=environment,
        version=columns.get("service_version"),
        log_type=_log_type(columns.get("log_type"), metadata),
        metadata_prefix=_dumps(metadata)[:-1] if metadata else None,
    )


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise ValueError(f"attributes cannot be stored as JSON: {error}") from None


def _merged_metadata(prefix: bytes | None, extra: dict[str, Any]) -> bytes | None:
    if not extra:
        return None if prefix is None else prefix + b"}"
    extra_json = _dumps(extra)
    # Duplicate keys keep the last value in jsonb, so a record's attribute overrides its resource's.
    return own_bytes(extra_json) if prefix is None else prefix + b"," + extra_json[1:]


def _log_type(explicit: str | None, resource: dict[str, Any]) -> str:
    if explicit and explicit.upper() in LOG_TYPE_NAMES:
        return explicit.upper()
    if resource.get("telemetry.sdk.language") == "webjs" or any(key.startswith("browser.") for key in resource):
        return "FRONTEND"
    os_type = str(resource.get("os.type") or resource.get("os.name") or "").lower()
    if os_type in MOBILE_OS or resource.get("telemetry.sdk.language") == "swift":
        return "MOBILE"
    return "BACKEND"


def map_request(request: ExportLogsServiceRequest, received_us: int) -> Mapped:
    """Map every record of an OTLP export request; refuse records one by one.

    Only what the mapping itself can see is refused here (undecodable bytes, attributes that
    are not JSON); what PostgreSQL would refuse (NUL characters, over-long values) is found
    by the writer, which refuses just those rows (see ``storage/copy.py``).
    """
    mapped = Mapped()
    rows = mapped.rows
    index = 0
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            records = scope_logs.log_records
            try:
                context = _resource_context(resource_logs.resource.attributes, scope_logs.scope.name)
            except ValueError as error:
                mapped.rejected.extend((index + offset, str(error)) for offset in range(len(records)))
                index += len(records)
                continue
            for record in records:
                try:
                    rows.append(_map_record(record, context, received_us))
                except ValueError as error:
                    mapped.rejected.append((index, str(error)))
                index += 1
    mapped.records = index
    return mapped


# Complex by choice (C901 exempt): the per-record hot path, measured by bench/ingest.py; split into
# helpers it would pay their function calls on every record.
def _map_record(record: Any, context: _ResourceContext, received_us: int) -> Row:  # noqa: C901
    slots: list[Any] = [None] * _SLOTS
    extra: dict[str, Any] = {}
    for kv in record.attributes:
        key = kv.key
        any_value_ = kv.value
        # Most attribute values are strings: skip the oneof dispatch for them.
        value = any_value_.string_value or any_value(any_value_)
        slot = ATTRIBUTE_SLOTS.get(key)
        if slot is None or slots[slot] is not None:
            extra[key] = value
        elif slot in _TEXT_SLOTS and value.__class__ is not str:
            slots[slot] = _text(value)
        else:
            slots[slot] = value

    # --- when ----------------------------------------------------------------------------
    created_us = (record.time_unix_nano or record.observed_time_unix_nano) // 1000
    if not MIN_PLAUSIBLE_US <= created_us <= received_us + MAX_FUTURE_US:
        if created_us:
            extra["original_timestamp_us"] = created_us
        created_us = received_us

    # --- what -----------------------------------------------------------------------------
    severity = record.severity_number
    severity_text = record.severity_text
    if 0 < severity <= 24:
        level = LEVEL_BY_SEVERITY_NUMBER[severity]
    else:
        level = (level_from_text(severity_text) if severity_text else None) or "INFO"

    message = _message(record.body, extra)
    exception_message = slots[_EXC_MESSAGE]
    if exception_message is not None:
        if message:
            extra["exception.message"] = exception_message
        else:
            message = exception_message
    event_name = record.event_name
    if event_name:
        extra["event.name"] = event_name
        message = message or event_name

    # --- where ----------------------------------------------------------------------------
    method = slots[_METHOD]
    if method is not None and method not in METHOD_SET:
        upper = method.upper()
        if upper in METHOD_SET:
            method = upper
        else:
            extra["http.request.method"] = method
            method = None
    path = slots[_ROUTE]
    if path is None:
        path = slots[_URL_PATH]
    elif slots[_URL_PATH] is not None:
        extra["url.path"] = slots[_URL_PATH]

    http_status = slots[_HTTP_STATUS]
    if http_status is not None:
        # Every exporter says it its own way; questions ask metadata->>'http_status'.
        extra["http_status"] = _status_code(http_status)

    duration = slots[_DURATION]
    if duration is not None:
        duration = duration_thousandths(duration)
        if duration is None:
            extra["duration_ms"] = slots[_DURATION]

    log_type = context.log_type
    if slots[_LOG_TYPE] is not None:
        explicit = slots[_LOG_TYPE].upper()
        if explicit in LOG_TYPE_NAMES:
            log_type = explicit
        else:
            extra["log_type"] = slots[_LOG_TYPE]

    environment = context.environment
    if slots[_ENV] is not None:
        environment = environment_from_text(slots[_ENV])
        if environment is None:
            extra["environment"] = slots[_ENV]

    trace_id = record.trace_id
    trace_id = trace_id.hex() if trace_id and trace_id != _INVALID_TRACE_ID else slots[_TRACE]
    span_id = record.span_id
    span_id = span_id.hex() if span_id and span_id != _INVALID_SPAN_ID else slots[_SPAN]

    return (
        created_us,
        level,
        log_type,
        slots[_SERVICE] or context.service,
        environment,
        slots[_VERSION] or context.version,
        trace_id,
        span_id,
        slots[_USER],
        slots[_SESSION],
        slots[_ERROR_TYPE],
        message,
        slots[_STACK],
        path,
        method,
        slots[_ACTION],
        slots[_FUNCTION],
        slots[_FILE],
        duration,
        _merged_metadata(context.metadata_prefix, extra),
    )


def _status_code(value: Any) -> Any:
    """A status sent as text ("404") is stored as the number it is; anything else as sent."""
    if value.__class__ is str and value.isdigit() and len(value) == 3:
        return int(value)
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else str(value)


def _message(body: AnyValue, extra: dict[str, Any]) -> str:
    text: str = body.string_value
    if text:
        return text
    kind = body.WhichOneof("value")
    if kind is None or kind == "string_value":
        return ""
    if kind == "bytes_value":
        try:
            return body.bytes_value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("body is bytes that are not valid UTF-8") from None
    value = any_value(body)
    if isinstance(value, dict):
        # A structured body: its message-like key is the message, the rest is kept.
        for key in ("message", "msg", "log"):
            if isinstance(value.get(key), str):
                found: str = value.pop(key)
                extra.update({f"body.{name}": item for name, item in value.items()})
                return found
        extra["body"] = value
        return orjson.dumps(value).decode()
    return _text(value) or ""


def decode_protobuf(body: bytes) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    request.ParseFromString(body)
    return request


def _list_of_objects(container: dict[str, Any], camel: str, snake: str, where: str) -> list[dict[str, Any]]:
    """``container``'s array under either spelling of its name, each element checked to be an
    object: protobuf's parser would take them, but the id conversion below reads them first."""
    items = container.get(camel) or container.get(snake) or []
    if items.__class__ is not list:
        raise ValueError(f"{where}{camel} must be an array, not {_json_type(items)}")
    for position, item in enumerate(items):
        if item.__class__ is not dict:
            raise ValueError(f"{where}{camel}[{position}] must be an object, not {_json_type(item)}")
    return items


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number"}
    return "null" if value is None else names.get(type(value), "a number")


def _hex_ids_to_base64(document: dict[str, Any]) -> None:
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON parser wants base64.

    The arrays on the way are checked at the container level (each element an object), so
    that ``{"resourceLogs": [1, 2]}`` is a clear 400 and the records cost one class test."""
    for r, resource_logs in enumerate(_list_of_objects(document, "resourceLogs", "resource_logs", "")):
        where = f"resourceLogs[{r}]."
        for s, scope_logs in enumerate(_list_of_objects(resource_logs, "scopeLogs", "scope_logs", where)):
            records = _list_of_objects(scope_logs, "logRecords", "log_records", f"{where}scopeLogs[{s}].")
            for record in records:
                for key in ("traceId", "spanId", "trace_id", "span_id"):
                    value = record.get(key)
                    if isinstance(value, str) and value:
                        try:
                            record[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
                        except ValueError:
                            raise ValueError(f"{key} {value[:40]!r} is not hexadecimal") from None


def decode_json(body: bytes) -> ExportLogsServiceRequest:
    """Parse the OTLP/JSON encoding (hex ids, camelCase or snake_case, 64-bit ints as strings)."""
    from google.protobuf import json_format

    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        # A number past a double's range (1e400), or NaN: orjson refuses them; read as the
        # "Infinity" and "NaN" of OTLP/JSON, which an attribute keeps as "inf", "nan" (any_value).
        document = _loads_as_python_does(body)
    if not isinstance(document, dict):
        raise ValueError("an OTLP/JSON body is an object with a resourceLogs array")
    _hex_ids_to_base64(document)
    try:
        return _parse_dict(document)
    except json_format.ParseError as error:
        # An intValue past 64 bits fits no AnyValue: kept as its text, the request not refused.
        if "out of range" not in str(error) or not _big_int_values_as_text(document):
            raise
    return _parse_dict(document)


def _parse_dict(document: dict[str, Any]) -> ExportLogsServiceRequest:
    from google.protobuf import json_format

    request = ExportLogsServiceRequest()
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (TypeError, AttributeError, RecursionError) as error:
        # ParseError is its answer to most bad values; a few shapes escape as these instead.
        raise ValueError(f"the body does not have the shape of an ExportLogsServiceRequest: {error}") from None
    return request


def _loads_as_python_does(body: bytes) -> Any:
    """``body`` by Python's JSON parser, for a number orjson refuses, a number a double cannot
    hold spelled the way the protobuf JSON mapping spells it; orjson's error if it too fails."""
    try:
        document = json.loads(body.decode("utf-8"), parse_float=_double, parse_constant=str)
        # Python's parser takes the escape of a lone surrogate, which is no UTF-8 text.
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return orjson.loads(body)  # raises orjson's own, clearer, error
    return document


def _double(text: str) -> float | str:
    number = float(text)
    if math.isfinite(number):
        return number
    return "Infinity" if number > 0 else "-Infinity"


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _big_int_values_as_text(document: Any) -> bool:
    """Turn every ``intValue`` past 64 bits in the document into the ``stringValue`` of its
    digits; whether any was."""
    changed = False
    if isinstance(document, list):
        for item in document:
            changed = _big_int_values_as_text(item) or changed
    elif isinstance(document, dict):
        for key in ("intValue", "int_value"):
            number = _integer(document[key]) if key in document else None
            if number is not None and not INT64_MIN <= number <= INT64_MAX:
                del document[key]
                document["stringValue"] = str(number)
                changed = True
        for item in document.values():
            changed = _big_int_values_as_text(item) or changed
    return changed


def _integer(value: Any) -> int | None:
    """The integer an OTLP/JSON intValue spells (a number or a string of digits), if any."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None
