"""Event times as the forward protocol carries them.

Fluentd v1 sends an ``EventTime``: msgpack extension type 0 holding eight bytes, a
big-endian uint32 of Unix seconds then a uint32 of nanoseconds. Older clients (and
``time_as_integer``) send integer seconds, some loggers send float seconds, and Fluent Bit 2
may wrap the time with its event metadata as ``[time, {metadata}]``. A time of 0 or nil means
"now" to Fluentd's in_forward, and so it does here. An EventTime of the wrong size refuses
its entry (``BadEventTime``), not the chunk around it.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import msgpack

EVENT_TIME_CODE = 0
_SECONDS_AND_NANOSECONDS = struct.Struct(">II")


# An EventTime decodes to a plain (seconds, nanoseconds) tuple: the hook runs once per event,
# and a tuple costs half what a NamedTuple does. msgpack arrays decode to lists, so a tuple
# can only be an EventTime.
EventTime = tuple[int, int]


class BadEventTime:
    """An extension type 0 that is not eight bytes: the entry that holds it is refused alone.

    The hook must not raise: msgpack's Unpacker, interrupted by its hook, goes on from the
    wrong byte, and the rest of the stream (good entries too) would be unreadable."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size

    @property
    def reason(self) -> str:
        return f"an EventTime (msgpack extension type 0) holds 8 bytes, not {self.size}"


def ext_hook(code: int, data: bytes) -> Any:
    """The msgpack ``ext_hook``: EventTime for type 0, other extension types left as they are."""
    if code == EVENT_TIME_CODE:
        if len(data) != _SECONDS_AND_NANOSECONDS.size:
            return BadEventTime(len(data))
        return _SECONDS_AND_NANOSECONDS.unpack(data)
    return msgpack.ExtType(code, data)


def unix_us(time: Any) -> int | None:
    """An event time in Unix microseconds, or None for "now" (0, nil, or not a time at all)."""
    kind = time.__class__
    if kind is tuple:
        seconds, nanoseconds = time
        return seconds * 1_000_000 + nanoseconds // 1000 or None
    if kind is int:
        return time * 1_000_000 if time > 0 else None
    if kind is float:
        return int(time * 1_000_000) if math.isfinite(time) and time > 0 else None
    if kind is msgpack.Timestamp:
        return int(time.to_unix_nano()) // 1000 or None
    return None


def is_time(value: Any) -> bool:
    """Whether ``value`` can be the time of a Message-mode frame (its second element)."""
    return value is None or value.__class__ in _TIME_TYPES


_TIME_TYPES = frozenset({tuple, int, float, msgpack.Timestamp, BadEventTime})
