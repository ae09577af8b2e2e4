"""What every receiver does with a decoded request: map it, submit it, report what happened.

Receivers own their protocol (HTTP status codes, gRPC statuses, Fluentd acks); this module
owns the meaning: which records were stored, which were refused and why.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from loglens.collector import native, offload
from loglens.collector.batcher import Arrival, Batcher
from loglens.collector.mapping import fluent, gelf, json_api, otlp, syslog
from loglens.collector.rows import Col, Row
from loglens.collector.storage.writer import IdempotencyKey, Submission
from loglens.errors import IdempotencyConflictError

MAX_REASONS_IN_MESSAGE = 3
MESSAGE = Col.message.value
# The rows of a request, their positions in it, and the records refused (position, reason).
Mapping = tuple[list[Row], list[int], list[tuple[int, str]]]
# The same, with the rows encoded as binary COPY when the native path is on.
Prepared = tuple[list[Row], list[int], list[tuple[int, str]], native.EncodedRows | None]
# orjson stops at 254 levels of nesting (and PostgreSQL's jsonb would have its own limit).
MAX_NESTING = 254


def unstorable(error: TypeError | RecursionError) -> str:
    """Why a record that mapped could not be encoded as JSON for ``metadata``."""
    text = str(error)
    if isinstance(error, RecursionError) or "Recursion limit" in text:
        return f"the record nests arrays or maps more than {MAX_NESTING} levels deep"
    return f"the record cannot be stored as JSON: {text}"


def now_us() -> int:
    return time.time_ns() // 1000


@contextlib.contextmanager
def collections_paused() -> Iterator[None]:
    """No cyclic garbage collection during a burst of allocations that holds no cycles.

    Decoding and mapping a Fluentd chunk, an OTLP request or a JSON body allocates a few
    container objects per record (maps, attribute dicts, the row); CPython runs a collection
    every 700 of them, which measured at 40% of the forward receiver's CPU time (and 21% of the
    JSON path's). The burst runs without awaiting, so nothing else
    of this process is deprived; one collection follows, when it is resumed.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True)
class Result:
    """Records stored and refused (position in the request, reason)."""

    stored: int
    refused: list[tuple[int, str]]

    def summary(self) -> str:
        if not self.refused:
            return ""
        reasons = "; ".join(f"record {index}: {reason}" for index, reason in self.refused[:MAX_REASONS_IN_MESSAGE])
        more = len(self.refused) - MAX_REASONS_IN_MESSAGE
        return f"{len(self.refused)} log records rejected: {reasons}" + (f"; and {more} more" if more > 0 else "")


class Ingest:
    def __init__(self, batcher: Batcher, max_message_chars: int) -> None:
        self.batcher = batcher
        self.max_message_chars = max_message_chars

    def decode_protobuf(self, body: bytes) -> ExportLogsServiceRequest | native.DecodedRequest:
        """An OTLP protobuf body, decoded natively into COPY rows when the native path is on and
        handles it, else by protobuf's runtime (which raises ``DecodeError`` for a bad body)."""
        decoded = native.decode_otlp(body, now_us(), self.max_message_chars)
        return decoded if decoded is not None else otlp.decode_protobuf(body)

    async def otlp_request(
        self,
        request: ExportLogsServiceRequest | native.DecodedRequest,
        *,
        body_bytes: int = 0,
        client_gone: Callable[[], bool] | None = None,
        arrival: Arrival | None = None,
    ) -> Result:
        """Store an export request; ``body_bytes`` (its encoded size) sends a large one off the loop;
        ``client_gone`` tells whether the client left (then its rows are not committed); ``arrival``
        announced the request to the batcher (``Batcher.arrival``)."""
        prepared: Prepared
        if isinstance(request, native.DecodedRequest):
            prepared = [], request.positions, request.refused, request.rows
        else:
            prepared = await offload.run(body_bytes >= offload.OFF_LOOP_BYTES, self._map_otlp, request)
        rows, positions, refused, encoded = prepared
        result, _ = await self._submit(
            rows,
            positions,
            refused,
            None,
            held_bytes=body_bytes,
            client_gone=client_gone,
            arrival=arrival,
            encoded=encoded,
        )
        return result

    def _map_otlp(self, request: ExportLogsServiceRequest) -> Prepared:
        with collections_paused():
            mapped = otlp.map_request(request, now_us())
            positions = _positions_of_rows(mapped.records, mapped.rejected)
            return _encoded(self._refuse_long_messages(mapped.rows, positions, mapped.rejected))

    async def json_records(
        self,
        records: list[Any],
        *,
        unreadable: dict[int, str] | None = None,
        check_utf8: bool = False,
        idempotency_key: IdempotencyKey | None = None,
        received_us: int | None = None,
        body_bytes: int = 0,
        client_gone: Callable[[], bool] | None = None,
        arrival: Arrival | None = None,
    ) -> tuple[Result, dict[str, Any] | None]:
        """Store plain-JSON records. Returns the result and, for a replayed key, the first receipt."""
        heavy = body_bytes >= offload.OFF_LOOP_BYTES or len(records) >= offload.OFF_LOOP_RECORDS
        rows, positions, refused, encoded = await offload.run(
            heavy, self._map_json, records, unreadable, check_utf8, received_us or now_us()
        )
        return await self._submit(
            rows,
            positions,
            refused,
            idempotency_key,
            held_bytes=body_bytes,
            client_gone=client_gone,
            arrival=arrival,
            encoded=encoded,
        )

    def _map_json(
        self, records: list[Any], unreadable: dict[int, str] | None, check_utf8: bool, received: int
    ) -> Prepared:
        rows: list[Row] = []
        positions: list[int] = []
        refused: list[tuple[int, str]] = sorted((unreadable or {}).items())
        map_record = json_api.map_record
        with collections_paused():
            for index, record in enumerate(records):
                if unreadable and index in unreadable:
                    continue
                try:
                    rows.append(map_record(record, received, check_utf8))
                    positions.append(index)
                except ValueError as error:
                    refused.append((index, str(error)))
                except (TypeError, RecursionError) as error:  # orjson's encoding errors are TypeErrors
                    refused.append((index, unstorable(error)))
        return _encoded(self._refuse_long_messages(rows, positions, refused))

    async def fluent_events(
        self,
        events: Sequence[tuple[str, int | None, Any]],
        *,
        unreadable: dict[int, str] | None = None,
        idempotency_key: IdempotencyKey | None = None,
        arrival: Arrival | None = None,
    ) -> tuple[Result, bool]:
        """Store Fluentd events: (tag, time in Unix microseconds or None for now, record).

        Returns the result and whether the key had been committed before (a resent chunk:
        acknowledged again, stored once)."""
        heavy = len(events) >= offload.OFF_LOOP_RECORDS
        rows, positions, refused, encoded = await offload.run(heavy, self._map_fluent, events, unreadable)
        result, replayed = await self._submit(
            rows, positions, refused, idempotency_key, arrival=arrival, encoded=encoded
        )
        return result, replayed is not None

    def _map_fluent(
        self, events: Sequence[tuple[str, int | None, Any]], unreadable: dict[int, str] | None
    ) -> Prepared:
        received = now_us()
        rows: list[Row] = []
        positions: list[int] = []
        refused: list[tuple[int, str]] = sorted((unreadable or {}).items())
        map_event = fluent.map_event
        tag_of = fluent.tag
        last_name, last_tag = "", tag_of("")
        with collections_paused():
            for index, (name, time_us, record) in enumerate(events):
                if unreadable and index in unreadable:
                    continue
                if name is not last_name:
                    last_name, last_tag = name, tag_of(name)
                try:
                    rows.append(map_event(time_us, record, last_tag, received))
                    positions.append(index)
                except ValueError as error:
                    refused.append((index, str(error)))
                except (TypeError, RecursionError) as error:
                    refused.append((index, unstorable(error)))
            return _encoded(self._refuse_long_messages(rows, positions, refused))

    async def syslog_messages(self, messages: Sequence[bytes], *, arrival: Arrival | None = None) -> Result:
        """Store syslog messages (one datagram or TCP frame each, framing removed)."""
        heavy = len(messages) >= offload.OFF_LOOP_RECORDS
        rows, positions, refused, encoded = await offload.run(heavy, self._map_syslog, messages)
        result, _ = await self._submit(rows, positions, refused, None, arrival=arrival, encoded=encoded)
        return result

    def _map_syslog(self, messages: Sequence[bytes]) -> Prepared:
        received = now_us()
        rows: list[Row] = []
        positions: list[int] = []
        refused: list[tuple[int, str]] = []
        map_message = syslog.map_message
        with collections_paused():
            for index, message in enumerate(messages):
                try:
                    rows.append(map_message(message, received))
                    positions.append(index)
                except ValueError as error:
                    refused.append((index, str(error)))
            return _encoded(self._refuse_long_messages(rows, positions, refused))

    async def gelf_messages(self, messages: Sequence[bytes]) -> Result:
        """Store GELF messages (the JSON of each: chunks put together, inflated)."""
        heavy = len(messages) >= offload.OFF_LOOP_RECORDS
        rows, positions, refused, encoded = await offload.run(heavy, self._map_gelf, messages)
        result, _ = await self._submit(rows, positions, refused, None, encoded=encoded)
        return result

    def _map_gelf(self, messages: Sequence[bytes]) -> Prepared:
        received = now_us()
        rows: list[Row] = []
        positions: list[int] = []
        refused: list[tuple[int, str]] = []
        map_message = gelf.map_message
        with collections_paused():
            for index, message in enumerate(messages):
                try:
                    rows.append(map_message(message, received))
                    positions.append(index)
                except ValueError as error:
                    refused.append((index, str(error)))
                except (TypeError, RecursionError) as error:
                    refused.append((index, unstorable(error)))
            return _encoded(self._refuse_long_messages(rows, positions, refused))

    def _refuse_long_messages(
        self, rows: list[Row], positions: list[int], refused: list[tuple[int, str]]
    ) -> Mapping:
        limit = self.max_message_chars
        if all(len(row[MESSAGE]) <= limit for row in rows):
            return rows, positions, refused
        kept_rows, kept_positions, refused = [], [], list(refused)
        for row, position in zip(rows, positions, strict=True):
            if len(row[MESSAGE]) > limit:
                refused.append(
                    (
                        position,
                        f"message is {len(row[MESSAGE])} characters long; the limit is {limit} "
                        "(LOGLENS_MAX_MESSAGE_CHARS)",
                    )
                )
            else:
                kept_rows.append(row)
                kept_positions.append(position)
        return kept_rows, kept_positions, refused

    async def _submit(
        self,
        rows: list[Row],
        positions: list[int],
        refused: list[tuple[int, str]],
        idempotency_key: IdempotencyKey | None,
        held_bytes: int = 0,
        client_gone: Callable[[], bool] | None = None,
        arrival: Arrival | None = None,
        encoded: native.EncodedRows | None = None,
    ) -> tuple[Result, dict[str, Any] | None]:
        """Submit the rows (as tuples, or ``encoded`` by the native path: then ``rows`` is empty)."""
        count = len(encoded) if encoded is not None else len(rows)
        if not count:
            return Result(0, sorted(refused)), None

        def receipt(db_refused: dict[int, str]) -> dict[str, Any]:
            return json_receipt(_combine(refused, positions, db_refused), count - len(db_refused))

        submission = Submission(
            [] if encoded is not None else rows,
            idempotency_key,
            receipt if idempotency_key else None,
            held_bytes,
            client_gone,
            encoded=encoded,
        )
        del rows  # the submission holds what is stored, and lets go of it once answered
        outcome = await self.batcher.submit(submission, arrival)
        if outcome.conflict:
            raise IdempotencyConflictError(
                "this Idempotency-Key was used before for a different body; nothing of this request was "
                "stored (a retry must send the same body again; new logs need a key of their own)"
            )
        if outcome.replayed_receipt is not None:
            return Result(int(outcome.replayed_receipt.get("count", 0)), []), outcome.replayed_receipt
        return Result(outcome.stored(submission), _combine(refused, positions, outcome.refused)), None


def _encoded(mapping: Mapping) -> Prepared:
    """The mapping, with its rows encoded as binary COPY when the native path is on (then the
    tuples are let go of); as they are when it is off or a row holds a value it does not encode."""
    rows, positions, refused = mapping
    encoded = native.encode_rows(rows)
    return ([] if encoded is not None else rows), positions, refused, encoded


def _positions_of_rows(records: int, rejected: list[tuple[int, str]]) -> list[int]:
    rejected_positions = {index for index, _ in rejected}
    return [index for index in range(records) if index not in rejected_positions]


def _combine(
    refused: list[tuple[int, str]], positions: list[int], db_refused: dict[int, str]
) -> list[tuple[int, str]]:
    """Refusals by the mapping and by PostgreSQL, as positions in the original request."""
    return sorted([*refused, *((positions[row], reason) for row, reason in db_refused.items())])


def json_receipt(refused: list[tuple[int, str]], stored: int) -> dict[str, Any]:
    """The JSON API's answer: ok, partial (some refused) or error (nothing stored)."""
    status = "ok" if not refused else "partial" if stored else "error"
    return {
        "status": status,
        "count": stored,
        "rejected": [{"index": index, "error": reason} for index, reason in refused],
    }
