"""GELF on the wire: chunked UDP datagrams put together, compressed payloads inflated within a
limit, and TCP's NUL-delimited frames. Pure logic, no sockets: the receiver (``gelf.py``) feeds it.

**UDP.** A datagram is a whole message (plain JSON, zlib or gzip, told apart by their first
bytes), or a chunk of one: ``0x1e 0x0f``, an 8-byte message id, the chunk's sequence number and
the count of chunks (at most 128), then its part of the (usually compressed) payload. A message
whose chunks have not all arrived 5 s after its first is dropped and counted, as Graylog does;
so is the oldest partial message whenever the partial ones hold more than their memory bound.
Chunks past the message limit drop their message (and the rest of its chunks) as too large.

**Inflating.** ``collector/decompress.py`` asks zlib for no more than the limit allows: a bomb
costs the limit, no more, and is dropped as too large.

**TCP.** Each message ends with a NUL byte (compression is not possible there, as the spec
says). A frame longer than the limit is skipped to its NUL and counted; framing is never lost.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

from loglens.collector.decompress import inflate
from loglens.errors import PayloadTooLargeError

CHUNK_MAGIC = b"\x1e\x0f"
CHUNK_HEADER = 12  # magic (2), message id (8), sequence number (1), count (1)
MAX_CHUNKS = 128
CHUNK_TIMEOUT_S = 5.0
GZIP_MAGIC = b"\x1f\x8b"
# A chunked message's id after it was dropped (too large, or expired): its late chunks are
# discarded for this long instead of starting it anew.
FORGET_AFTER_S = 2 * CHUNK_TIMEOUT_S
MAX_FORGOTTEN = 65_536
_NUL = re.compile(rb"\x00")


def payload_json(payload: bytes, limit: int) -> bytes:
    """A whole GELF payload's JSON: inflated when it is zlib or gzip. ``PayloadTooLargeError``
    past ``limit``; ``MalformedPayloadError`` (decompress.py's) for data that does not inflate."""
    if payload[:2] == GZIP_MAGIC:
        return inflate(payload, "gzip", limit)
    if len(payload) >= 2 and payload[0] & 0x0F == 8 and (payload[0] << 8 | payload[1]) % 31 == 0:
        return inflate(payload, "deflate", limit)  # a zlib header (RFC 1950): 0x78 0x9c and kin
    if len(payload) > limit:
        raise PayloadTooLargeError(f"the message is {len(payload)} bytes; the limit is {limit}")
    return payload


@dataclass
class ChunkCounts:
    """What became of chunks: received, messages completed from them, chunks that are not
    chunks (a bad count or sequence number), messages dropped incomplete (timed out, or evicted
    for memory) and dropped as too large."""

    chunks: int = 0
    completed: int = 0
    bad_chunks: int = 0
    incomplete: int = 0
    too_large: int = 0


@dataclass
class _Partial:
    started: float
    parts: list[bytes | None]
    size: int = 0
    missing: int = 0


class Reassembler:
    """Chunks in, whole payloads out; holds at most ``max_held_bytes`` of partial messages."""

    def __init__(self, limit: int, max_held_bytes: int, timeout_s: float = CHUNK_TIMEOUT_S) -> None:
        self.limit = limit
        self.max_held_bytes = max_held_bytes
        self.timeout_s = timeout_s
        self.counts = ChunkCounts()
        self.held_bytes = 0
        self._partial: collections.OrderedDict[bytes, _Partial] = collections.OrderedDict()
        self._forgotten: collections.OrderedDict[bytes, float] = collections.OrderedDict()

    @property
    def partial_messages(self) -> int:
        return len(self._partial)

    def add(self, datagram: bytes, now: float) -> bytes | None:
        """One chunk (a datagram that starts with ``CHUNK_MAGIC``); the whole payload when it was
        the last one missing, else None."""
        counts = self.counts
        counts.chunks += 1
        self.expire(now)
        if len(datagram) < CHUNK_HEADER:
            counts.bad_chunks += 1
            return None
        message_id, sequence, count = datagram[2:10], datagram[10], datagram[11]
        if count == 0 or count > MAX_CHUNKS or sequence >= count:
            counts.bad_chunks += 1
            return None
        if message_id in self._forgotten:
            return None  # a late chunk of a message already dropped (and counted)
        part = datagram[CHUNK_HEADER:]
        if count == 1:
            counts.completed += 1
            return part
        partial = self._partial.get(message_id)
        if partial is None:
            partial = self._partial[message_id] = _Partial(now, [None] * count, missing=count)
        elif len(partial.parts) != count:
            counts.bad_chunks += 1  # the count changed within one message: not this message's chunk
            return None
        if partial.parts[sequence] is not None:
            return None  # a duplicate: the first copy stands
        partial.parts[sequence] = part
        partial.missing -= 1
        partial.size += len(part)
        self.held_bytes += len(part)
        if partial.size > self.limit:
            counts.too_large += 1
            self._drop(message_id, now)
            return None
        if partial.missing == 0:
            self._release(message_id)
            counts.completed += 1
            return b"".join(piece for piece in partial.parts if piece is not None)
        while self.held_bytes > self.max_held_bytes and self._partial:
            oldest = next(iter(self._partial))
            counts.incomplete += 1
            self._drop(oldest, now)
        return None

    def expire(self, now: float) -> None:
        """Drop (and count) the partial messages older than the timeout."""
        while self._partial:
            message_id, oldest = next(iter(self._partial.items()))
            if now - oldest.started < self.timeout_s:
                break
            self.counts.incomplete += 1
            self._drop(message_id, now)
        while self._forgotten:
            message_id, since = next(iter(self._forgotten.items()))
            if now - since < FORGET_AFTER_S and len(self._forgotten) <= MAX_FORGOTTEN:
                break
            del self._forgotten[message_id]

    def _drop(self, message_id: bytes, now: float) -> None:
        self._release(message_id)
        self._forgotten[message_id] = now

    def _release(self, message_id: bytes) -> None:
        partial = self._partial.pop(message_id)
        self.held_bytes -= partial.size


class NulSplitter:
    """TCP: feed it the stream's bytes as they come; it returns every complete frame."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.too_large = 0  # frames dropped for their size, since the last take_count()
        self._buffer = bytearray()
        self._discarding = False  # in an oversized frame: skip to its NUL

    @property
    def in_a_frame(self) -> bool:
        return bool(self._buffer) or self._discarding

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        frames: list[bytes] = []
        position = 0
        for found in _NUL.finditer(buffer):
            if self._discarding:
                self._discarding = False
            elif found.start() - position > self.limit:
                self.too_large += 1
            else:
                frame = bytes(buffer[position : found.start()]).strip()
                if frame:
                    frames.append(frame)
            position = found.end()
        del buffer[:position]
        if len(buffer) > self.limit:
            if not self._discarding:
                self.too_large += 1
            self._discarding = True
            buffer.clear()
        return frames

    def finish(self) -> list[bytes]:
        """At the end of the stream: a last frame without its NUL is still a frame."""
        rest = bytes(self._buffer).strip()
        self._buffer.clear()
        if not rest or self._discarding:
            return []
        return [rest]

    def take_count(self) -> int:
        """Frames dropped for their size since the last call."""
        dropped, self.too_large = self.too_large, 0
        return dropped
