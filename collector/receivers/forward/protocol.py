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
``[time, record]``, whose record is not a map, whose EventTime is not eight bytes, or (in a
packed stream) that nests deeper than msgpack decodes, is refused alone with its reason
logged, and the rest is stored and acknowledged. (A Message or Forward frame nested past
msgpack's limit cannot be decoded at all: it is refused whole.)
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import msgpack

from loglens.collector import offload
from loglens.collector.decompress import inflate
from loglens.collector.receivers.forward import ack
from loglens.collector.receivers.forward.eventtime import BadEventTime, ext_hook, is_time, unix_us
from loglens.errors import IngestError, MalformedPayloadError, PayloadTooLargeError

# The most items one msgpack array or map may announce. msgpack allocates room for what a
# header announces before the items arrive, so this bounds what a few forged bytes cost.
MAX_ITEMS = 1_000_000
# msgpack's decoder holds at most this many nested arrays and maps (its StackError past it).
MSGPACK_MAX_DEPTH = 1024
RESTART_READ_SIZE = 4 * 1024
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


def new_unpacker(max_buffer_size: int, file_like: Any = None, read_size: int = 0) -> msgpack.Unpacker:
    """A streaming unpacker for untrusted input.

    Strings that are not valid UTF-8 are decoded with ``surrogateescape``: a PackedForward
    stream sent as str (Fluentd v0.12) can then be turned back into its exact bytes, and the
    mapping replaces what is left of bad bytes in records with U+FFFD.
    """
    return msgpack.Unpacker(
        file_like,
        read_size=read_size,
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


def is_heavy(frame: Any) -> bool:
    """Whether decoding ``frame`` is worth a thread: a packed stream of some size (gzipped, a
    small one may inflate to the limit)."""
    packed = frame[1] if frame.__class__ is list and len(frame) >= 2 else None
    return isinstance(packed, bytes | str) and len(packed) >= offload.OFF_LOOP_BYTES // 32


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


class Unreadable:
    """An entry of a packed stream that cannot be decoded, though the stream around it can."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


BAD_TIMESTAMP = Unreadable("the entry holds a msgpack Timestamp (extension type -1) that is not 4, 8 or 12 bytes")
TOO_DEEP = Unreadable(f"the entry nests arrays or maps more than {MSGPACK_MAX_DEPTH} levels deep")


def _unpack_stream(packed: bytes, limit: int) -> list[Any]:
    """The entries of a (Compressed)PackedForward stream. An entry nested deeper than msgpack
    can decode is skipped over (``skip_object``) and refused alone; the rest are read."""
    size = len(packed)
    unpacker = new_unpacker(max(size, 1))
    unpacker.feed(packed)
    entries: list[Any] = []
    start = 0  # where this unpacker started reading
    end = 0  # where the last whole entry ends (tell() also counts a partial one)
    while True:
        try:
            for entry in unpacker:
                entries.append(entry)
                end = start + unpacker.tell()
            break
        except msgpack.StackError:
            end = skip_object(packed, end)
            entries.append(TOO_DEEP)
        except ValueError as error:
            if "invalid timestamp" not in str(error):
                raise unpack_error(error, limit) from None
            # A msgpack Timestamp (extension type -1) of the wrong size: its entry alone is refused.
            end = skip_object(packed, end)
            entries.append(BAD_TIMESTAMP)
        except Exception as error:
            raise unpack_error(error, limit) from None
        # Go on after the skipped entry, reading in slices: each restart rereads only one.
        start = end
        stream = io.BytesIO(packed)
        stream.seek(start)
        unpacker = new_unpacker(max(size, 1), stream, min(RESTART_READ_SIZE, max(size, 1)))
    if end != size:
        raise MalformedPayloadError("the packed entries end in the middle of an entry")
    return entries


def _fixed_sizes() -> dict[int, int]:
    sizes = dict.fromkeys([*range(0x00, 0x80), *range(0xE0, 0x100), 0xC0, 0xC2, 0xC3], 1)
    sizes.update({0xCA: 5, 0xCB: 9, 0xCC: 2, 0xCD: 3, 0xCE: 5, 0xCF: 9, 0xD0: 2, 0xD1: 3, 0xD2: 5, 0xD3: 9})
    sizes.update({0xD4: 3, 0xD5: 4, 0xD6: 6, 0xD7: 10, 0xD8: 18})  # fixext 1, 2, 4, 8, 16
    return sizes


_FIXED_SIZES = _fixed_sizes()
# header byte -> (bytes of its length field, extra bytes before the payload) for str, bin, ext
_SIZED = {0xD9: (1, 0), 0xDA: (2, 0), 0xDB: (4, 0), 0xC4: (1, 0), 0xC5: (2, 0), 0xC6: (4, 0)}
_SIZED.update({0xC7: (1, 1), 0xC8: (2, 1), 0xC9: (4, 1)})
# header byte -> bytes of its item count, for array16/32 and map16/32
_COUNTED = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}
_ONE_ITEM_ARRAYS = re.compile(rb"\x91*")


def skip_object(data: bytes, position: int) -> int:
    """Where the msgpack object at ``position`` ends, found without decoding it (so without
    msgpack's depth limit), in time linear in its size."""
    size = len(data)
    remaining = 1  # objects still to step over
    while remaining:
        if position >= size:
            raise MalformedPayloadError("the packed entries end in the middle of an entry")
        byte = data[position]
        remaining -= 1
        fixed = _FIXED_SIZES.get(byte)
        if fixed is not None:
            position += fixed
        elif byte == 0x91:  # the usual shape of a nesting bomb: [[[[...]]]], stepped over at once
            position = _ONE_ITEM_ARRAYS.match(data, position).end()  # type: ignore[union-attr]
            remaining += 1
        elif 0x80 <= byte <= 0x9F:  # fixmap, fixarray
            remaining += (byte & 0x0F) * (2 if byte < 0x90 else 1)
            position += 1
        elif 0xA0 <= byte <= 0xBF:  # fixstr
            position += 1 + (byte & 0x1F)
        elif byte in _SIZED:
            width, extra = _SIZED[byte]
            length = int.from_bytes(data[position + 1 : position + 1 + width], "big")
            position += 1 + width + extra + length
        elif byte in _COUNTED:
            width, per_item = _COUNTED[byte]
            remaining += per_item * int.from_bytes(data[position + 1 : position + 1 + width], "big")
            position += 1 + width
        else:  # 0xc1, which msgpack never uses
            raise MalformedPayloadError(
                "the stream is not valid forward-protocol msgpack: it holds a byte that starts no msgpack value"
            )
    if position > size:
        raise MalformedPayloadError("the packed entries end in the middle of an entry")
    return position


def _read_entries(entries: list[Any], tag: str, request: Request) -> None:
    for entry in entries:
        if entry.__class__ is list and len(entry) == 2:
            _append(request, tag, entry[0], entry[1])
        else:
            reason = entry.reason if entry.__class__ is Unreadable else None
            request.unreadable[len(request.events)] = (
                reason or f"an entry must be [time, record], not {_describe(entry)}"
            )
            request.events.append((tag, None, None))


def _append(request: Request, tag: str, time: Any, record: Any) -> None:
    if time.__class__ is list and len(time) == 2:
        # Fluent Bit 2's own event format: [[time, {metadata}], record]
        time, metadata = time
        if metadata and isinstance(metadata, dict) and isinstance(record, dict):
            record = {**record, FLUENT_BIT_METADATA: metadata}
    time_us = unix_us(time)
    if time_us is None and time.__class__ is BadEventTime:  # (checked only for a time that is not one)
        request.unreadable[len(request.events)] = time.reason
        request.events.append((tag, None, None))
        return
    request.events.append((tag, time_us, record))


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
