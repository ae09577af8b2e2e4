"""Forward-protocol frames → requests: the four event modes of the v1 specification.

A frame is a msgpack array; its second element tells the mode:

    Message                  [tag, time, record, option?]       time: int, float, EventTime, nil
    Forward                  [tag, [[time, record], ...], option?]
    PackedForward            [tag, <bin or str: a msgpack stream of [time, record]>, option?]
    CompressedPackedForward  as PackedForward, the stream gzipped, option {"compressed": "gzip"}

``option`` may carry ``chunk`` (acknowledge me) and ``size``; ``size`` is not checked, as
clients disagree on its meaning (Fluent Bit sends the event count, Node's fluent-logger the
byte size). Frames are decoded by msgpack's streaming ``Unpacker`` with limits: a frame, a
packed stream, and its inflated size are each bounded by ``LOGLENS_MAX_BODY_BYTES``.

A frame that is not of these shapes is refused whole (``MalformedPayloadError``): the connection
is closed and nothing of it is acknowledged. An entry of a valid frame that is not
``[time, record]``, or whose record is not a map, is refused alone and the rest is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack

from loglens.collector.decompress import inflate
from loglens.collector.receivers.forward import ack
from loglens.collector.receivers.forward.eventtime import ext_hook, is_time, unix_us
from loglens.errors import IngestError, MalformedPayloadError, PayloadTooLargeError

# The most items one msgpack array or map may announce. msgpack allocates room for what a
# header announces before the items arrive, so this bounds what a few forged bytes cost.
MAX_ITEMS = 1_000_000
FLUENT_BIT_METADATA = "fluent.metadata"

Event = tuple[str, int | None, Any]  # tag, time in Unix microseconds (None: now), record


@dataclass
class Request:
    """The events of one frame (or of several coalesced frames that want no ack)."""

    events: list[Event] = field(default_factory=list)
    # entries that are not [time, record]: position in events -> reason
    unreadable: dict[int, str] = field(default_factory=dict)
    chunk: str | bytes | None = None
    mode: str = "Message"

    def extend(self, other: Request) -> None:
        offset = len(self.events)
        self.events.extend(other.events)
        self.unreadable.update((offset + index, reason) for index, reason in other.unreadable.items())


def new_unpacker(max_buffer_size: int) -> msgpack.Unpacker:
    """A streaming unpacker for untrusted input.

    Strings that are not valid UTF-8 are decoded with ``surrogateescape``: a PackedForward
    stream sent as str (Fluentd v0.12) can then be turned back into its exact bytes, and the
    mapping replaces what is left of bad bytes in records with U+FFFD.
    """
    return msgpack.Unpacker(
        raw=False,
        unicode_errors="surrogateescape",
        strict_map_key=False,
        ext_hook=ext_hook,
        max_buffer_size=max_buffer_size,
        max_array_len=MAX_ITEMS,
        max_map_len=MAX_ITEMS,
    )


def unpack_error(error: Exception, limit: int) -> IngestError:
    """What an Unpacker's exception means, as a sentence for the log."""
    if isinstance(error, msgpack.BufferFull):
        return PayloadTooLargeError(
            f"a frame is larger than the limit of {limit} bytes (LOGLENS_MAX_BODY_BYTES); "
            "lower the client's chunk size (Fluentd: chunk_limit_size)"
        )
    text = str(error) or type(error).__name__
    if isinstance(error, ValueError) and "exceeds max_" in text:
        return PayloadTooLargeError(
            f"a frame announces more data than allowed ({text}); the limit is {limit} bytes "
            "(LOGLENS_MAX_BODY_BYTES)"
        )
    if isinstance(error, msgpack.StackError):
        return MalformedPayloadError("a frame nests arrays or maps deeper than msgpack allows")
    if isinstance(error, msgpack.FormatError):
        return MalformedPayloadError(
            "the stream is not valid forward-protocol msgpack: it holds a byte that starts no msgpack value"
        )
    return MalformedPayloadError(f"the stream is not valid forward-protocol msgpack: {text}")


def decode(frame: Any, limit: int) -> Request:
    """One frame → its request; ``MalformedPayloadError``/``PayloadTooLargeError`` refuse it whole."""
    if frame.__class__ is not list or not 2 <= len(frame) <= 4:
        raise MalformedPayloadError(
            "a forward frame must be an array [tag, time, record, option?], [tag, entries, option?] "
            f"or [tag, packed entries, option?], not {_describe(frame)}"
        )
    tag = frame[0]
    if tag.__class__ is not str:
        if not isinstance(tag, bytes):
            raise MalformedPayloadError(
                f"the tag (first element of a frame) must be a string, not {_describe(tag)}"
            )
        tag = tag.decode("utf-8", "replace")
    second = frame[1]
    if second.__class__ is list:
        option = _option(frame, 2, 3)
        request = Request(mode="Forward")
        _read_entries(second, tag, request)
    elif isinstance(second, bytes | str):
        option = _option(frame, 2, 3)
        compressed = option.get("compressed") if option is not None else None
        packed = second if isinstance(second, bytes) else second.encode("utf-8", "surrogateescape")
        if compressed == "gzip":
            packed = inflate(packed, "gzip", limit)
            request = Request(mode="CompressedPackedForward")
        elif compressed in (None, "text"):
            request = Request(mode="PackedForward")
        else:
            raise MalformedPayloadError(f'the "compressed" option {compressed!r} is not supported; use "gzip"')
        _read_entries(_unpack_stream(packed, limit), tag, request)
    elif is_time(second):
        if len(frame) < 3:
            raise MalformedPayloadError(
                "a Message-mode frame must be [tag, time, record, option?]; the record is missing"
            )
        option = _option(frame, 3, 4)
        request = Request(mode="Message")
        _append(request, tag, second, frame[2])
    else:
        raise MalformedPayloadError(
            "the second element of a forward frame must be a time (Message mode), an array of "
            f"entries (Forward) or bin/str packed entries (PackedForward), not {_describe(second)}"
        )
    request.chunk = ack.chunk_of(option)
    return request


def _option(frame: list[Any], position: int, max_length: int) -> dict[Any, Any] | None:
    if len(frame) > max_length:
        raise MalformedPayloadError(
            f"a forward frame of this mode has at most {max_length} elements, not {len(frame)}"
        )
    if len(frame) <= position:
        return None
    option = frame[position]
    if option is None or option.__class__ is dict:
        return option
    raise MalformedPayloadError(f"the option (last element of a frame) must be a map, not {_describe(option)}")


def _unpack_stream(packed: bytes, limit: int) -> list[Any]:
    unpacker = new_unpacker(max(len(packed), 1))
    entries = []
    end = 0  # where the last whole entry ends (tell() also counts a partial one)
    try:
        unpacker.feed(packed)
        for entry in unpacker:
            entries.append(entry)
            end = unpacker.tell()
    except Exception as error:
        raise unpack_error(error, limit) from None
    if end != len(packed):
        raise MalformedPayloadError("the packed entries end in the middle of an entry")
    return entries


def _read_entries(entries: list[Any], tag: str, request: Request) -> None:
    for entry in entries:
        if entry.__class__ is list and len(entry) == 2:
            _append(request, tag, entry[0], entry[1])
        else:
            request.unreadable[len(request.events)] = f"an entry must be [time, record], not {_describe(entry)}"
            request.events.append((tag, None, None))


def _append(request: Request, tag: str, time: Any, record: Any) -> None:
    if time.__class__ is list and len(time) == 2:
        # Fluent Bit 2's own event format: [[time, {metadata}], record]
        time, metadata = time
        if metadata and isinstance(metadata, dict) and isinstance(record, dict):
            record = {**record, FLUENT_BIT_METADATA: metadata}
    request.events.append((tag, unix_us(time), record))


def _describe(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, str | bytes):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
