"""Syslog over a byte stream (RFC 6587): where one message ends and the next begins.

Two framings exist and senders do not announce theirs, so it is told apart per frame:

- **octet counting** (``MSG-LEN SP SYSLOG-MSG``, RFC 5425 and 6587 3.4.1): a frame that starts with
  digits, a space and ``<``, rsyslog's ``TCP_Framing="octet-counted"``, syslog-ng's ``syslog()``;
- **non-transparent framing** (3.4.2): a message ended by LF, CR LF or NUL (Python's SysLogHandler
  ends each with NUL and no newline; rsyslog's and syslog-ng's ``network()`` default is LF).

A frame longer than the limit is dropped and counted, its bytes skipped (an octet count says how
many; otherwise up to the next terminator), so the frames after it are read as usual: framing is
never lost. Empty frames (an LF after a NUL, blank lines) are not messages and are not counted.
"""

from __future__ import annotations

import re

MAX_COUNT_DIGITS = 10
_TERMINATOR = re.compile(rb"[\n\x00]")
_DIGITS = frozenset(b"0123456789")
# What is left between frames: a NUL's LF, a CR, blank lines.
_BETWEEN_FRAMES = frozenset(b"\n\r\x00 ")
# _octet_count's answer for digits whose end has not arrived yet.
WAIT = (-1, -1)


class FrameSplitter:
    """Feed it a stream's bytes as they come; it returns every complete message."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.too_large = 0  # frames dropped for their size, since the last take_counts()
        self.truncated = 0  # a frame cut off by the end of the stream (octet counted)
        self._buffer = bytearray()
        self._skip = 0  # bytes of an oversized octet-counted frame still to skip
        self._discarding = False  # in an oversized newline-framed frame: skip to its end

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        frames: list[bytes] = []
        position = 0
        while position < len(buffer):
            if self._skip or self._discarding:
                position = self._skip_oversized(position)
            elif buffer[position] in _BETWEEN_FRAMES:
                position += 1
            else:
                after = self._frame(position, frames)
                if after is None:
                    break
                position = after
        del buffer[:position]
        return frames

    def _skip_oversized(self, position: int) -> int:
        """Past (what has arrived of) a frame that is dropped for its size."""
        end = len(self._buffer)
        if self._skip:
            taken = min(self._skip, end - position)
            self._skip -= taken
            return position + taken
        found = _TERMINATOR.search(self._buffer, position)
        if found is None:
            return end
        self._discarding = False
        return found.end()

    def _frame(self, position: int, frames: list[bytes]) -> int | None:
        """The frame at ``position`` into ``frames``: where the next starts; None if it is incomplete."""
        buffer = self._buffer
        end = len(buffer)
        counted = _octet_count(buffer, position) if buffer[position] in _DIGITS else None
        if counted is WAIT:
            return None
        if counted is not None:
            length, start = counted
            if length > self.limit:
                self.too_large += 1
                self._skip = length
                return start
            if end - start < length:
                return None
            frames.append(bytes(buffer[start : start + length]))
            return start + length
        found = _TERMINATOR.search(buffer, position)
        if found is None:
            if end - position > self.limit:
                self.too_large += 1
                self._discarding = True
                return end
            return None
        if found.start() - position > self.limit:
            self.too_large += 1
        else:
            frames.append(bytes(buffer[position : found.start()]).rstrip(b"\r"))
        return found.end()

    @property
    def in_a_frame(self) -> bool:
        """Whether part of a frame has arrived and the rest not yet (or an oversized one is being skipped)."""
        return bool(self._buffer) or self._skip > 0 or self._discarding

    def finish(self) -> list[bytes]:
        """At the end of the stream: a last message without its terminator is still a message;
        an octet-counted frame cut short is counted as truncated."""
        rest = bytes(self._buffer).strip(b"\r\n\x00 ")
        self._buffer.clear()
        if not rest or self._skip or self._discarding:
            return []
        counted = _octet_count(bytearray(rest), 0) if rest[0] in _DIGITS else None
        if counted is not None and counted is not WAIT:
            self.truncated += 1
            return []
        return [rest]

    def take_counts(self) -> int:
        """Frames dropped (too large or truncated) since the last call."""
        dropped = self.too_large + self.truncated
        self.too_large = self.truncated = 0
        return dropped


def _octet_count(buffer: bytearray, position: int) -> tuple[int, int] | None:
    """``(MSG-LEN, where the message starts)`` for ``digits SP <``; ``WAIT`` when the bytes so far are
    digits (or digits and a space) and the rest has not arrived; None when this frame is not
    octet counted (a message without a PRI that starts with a number)."""
    end = len(buffer)
    cursor = position
    while cursor < end and cursor - position <= MAX_COUNT_DIGITS and buffer[cursor] in _DIGITS:
        cursor += 1
    digits = cursor - position
    if digits > MAX_COUNT_DIGITS or buffer[position] == ord("0"):
        return None
    if cursor == end:
        return WAIT  # the space after the count has not arrived yet
    if buffer[cursor] != ord(" "):
        return None
    if cursor + 1 == end:
        return WAIT  # the "<" after the space has not arrived yet
    if buffer[cursor + 1] != ord("<"):
        return None
    return int(buffer[position:cursor]), cursor + 1
