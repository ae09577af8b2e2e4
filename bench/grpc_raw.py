"""OTLP/gRPC requests compressed once, ahead of the run, sent over plain HTTP/2.

grpcio compresses every message as it sends it: gzip of the bench's 200k records cost the load
generator ~5 µs per record, on the same two cores as the collector it measures (a real
exporter pays that on its own machine). This client sends the OTLP bodies gzipped once
beforehand (the same gzip as grpcio's: RFC 1952, zlib's default level) as gRPC messages with the
compressed flag and ``grpc-encoding: gzip``: the collector receives exactly what grpcio would
have sent, and the load generator only sends.

It is the least of HTTP/2 a unary call needs: the preface, SETTINGS (acknowledged), flow control
(WINDOW_UPDATE both ways), PING answered, one stream at a time per connection. It does not
decode the answer's headers (HPACK): a call succeeded when its answer carries a message (DATA)
before the stream ends; a "trailers-only" answer is an error status, here the collector's
RESOURCE_EXHAUSTED or UNAVAILABLE, and the call is sent again (the bench checks at the end that
every record was stored, once).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE = 0x4, 0x5
DEFAULT_WINDOW = 65_535
DEFAULT_FRAME = 16_384
# What we let the server send us before we say we read it: answers are a few bytes each.
RECEIVE_WINDOW = 1 << 24
ATTEMPTS = 400
RETRY_PAUSE_S = 0.05


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def _integer(value: int, prefix_bits: int, first: int = 0) -> bytes:
    """HPACK's integer with a ``prefix_bits`` prefix, OR-ed into ``first``."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def _literal(name: bytes | int, value: bytes) -> bytes:
    """A header field "literal without indexing": by the static table's name index, or a new name
    (no Huffman coding: the server's dynamic table is never touched)."""
    head = _integer(name, 4) if isinstance(name, int) else b"\x00" + _integer(len(name), 7) + name
    return head + _integer(len(value), 7) + value


def request_headers(authority: str, path: str) -> bytes:
    return b"".join(
        [
            b"\x83",  # :method POST (static table 3)
            b"\x86",  # :scheme http (static table 6)
            _literal(4, path.encode()),  # :path
            _literal(1, authority.encode()),  # :authority
            _literal(31, b"application/grpc"),  # content-type
            _literal(b"te", b"trailers"),
            _literal(b"grpc-encoding", b"gzip"),
        ]
    )


class _Stream:
    def __init__(self, window: int) -> None:
        self.window = window
        self.got_message = False
        self.ending = False  # END_STREAM seen on a header block not finished yet
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def finish(self, ok: bool) -> None:
        if not self.done.done():
            self.done.set_result(ok)


class GrpcConnection:
    """One HTTP/2 connection, one call at a time."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._authority = f"{host}:{port}"
        self._next_stream = 1
        self._peer_window = DEFAULT_WINDOW  # for new streams (SETTINGS_INITIAL_WINDOW_SIZE)
        self._frame_size = DEFAULT_FRAME
        self._connection_window = DEFAULT_WINDOW
        self._stream: _Stream | None = None
        self._stream_id = 0
        self._window_opened = asyncio.Event()
        self._failure: str | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(*self._address)
        settings = struct.pack("!HI", INITIAL_WINDOW_SIZE, RECEIVE_WINDOW)
        self._writer.write(
            PREFACE
            + _frame(SETTINGS, 0, 0, settings)
            + _frame(WINDOW_UPDATE, 0, 0, (RECEIVE_WINDOW - DEFAULT_WINDOW).to_bytes(4, "big"))
        )
        self._reading = asyncio.create_task(self._read_frames())

    async def close(self) -> None:
        self._reading.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await self._reading
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()

    async def export(self, path: str, gzipped: bytes) -> None:
        """Send one call until it succeeds (an answer with a message); raise after ATTEMPTS."""
        message = b"\x01" + len(gzipped).to_bytes(4, "big") + gzipped
        headers = request_headers(self._authority, path)
        for _ in range(ATTEMPTS):
            if await self._call(headers, message):
                return
            await asyncio.sleep(RETRY_PAUSE_S)
        raise RuntimeError(f"the collector refused an OTLP/gRPC call {ATTEMPTS} times")

    async def _call(self, headers: bytes, message: bytes) -> bool:
        if self._failure is not None:
            raise RuntimeError(self._failure)
        stream_id, self._next_stream = self._next_stream, self._next_stream + 2
        stream = self._stream = _Stream(self._peer_window)
        self._stream_id = stream_id
        self._writer.write(_frame(HEADERS, END_HEADERS, stream_id, headers))
        sent = 0
        while sent < len(message):
            while min(self._connection_window, stream.window) <= 0:
                if stream.done.done():
                    return await stream.done  # refused before the whole message was sent
                self._window_opened.clear()
                await self._window_opened.wait()
            size = min(len(message) - sent, self._frame_size, self._connection_window, stream.window)
            last = sent + size == len(message)
            self._writer.write(_frame(DATA, END_STREAM if last else 0, stream_id, message[sent : sent + size]))
            sent += size
            self._connection_window -= size
            stream.window -= size
            await self._writer.drain()
        return await stream.done

    async def _read_frames(self) -> None:
        try:
            while True:
                head = await self._reader.readexactly(9)
                length = int.from_bytes(head[:3], "big")
                kind, flags = head[3], head[4]
                stream_id = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
                payload = await self._reader.readexactly(length) if length else b""
                self._on_frame(kind, flags, stream_id, payload)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            self._fail(f"the collector closed the gRPC connection: {error}")

    def _fail(self, why: str) -> None:
        self._failure = why
        if self._stream is not None:
            self._stream.finish(False)
        self._window_opened.set()

    def _on_frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        if kind == SETTINGS and not flags & ACK:
            self._on_settings(payload)
            self._writer.write(_frame(SETTINGS, ACK, 0))
        elif kind == PING and not flags & ACK:
            self._writer.write(_frame(PING, ACK, 0, payload))
        elif kind == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream_id == 0:
                self._connection_window += increment
            elif (stream := self._current(stream_id)) is not None:
                stream.window += increment
            self._window_opened.set()
        elif kind == GOAWAY:
            self._fail("the collector sent GOAWAY")
        else:
            self._on_stream_frame(kind, flags, stream_id, payload)

    def _on_settings(self, payload: bytes) -> None:
        for offset in range(0, len(payload) - 5, 6):
            key, value = struct.unpack_from("!HI", payload, offset)
            if key == INITIAL_WINDOW_SIZE:
                if self._stream is not None:
                    self._stream.window += value - self._peer_window
                self._peer_window = value
                self._window_opened.set()
            elif key == MAX_FRAME_SIZE:
                self._frame_size = value

    def _current(self, stream_id: int) -> _Stream | None:
        return self._stream if self._stream is not None and stream_id == self._stream_id else None

    def _on_stream_frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        stream = self._current(stream_id)
        if kind == DATA and payload:
            # Say we read it, for the connection and the stream, at once: answers are tiny.
            update = len(payload).to_bytes(4, "big")
            self._writer.write(_frame(WINDOW_UPDATE, 0, 0, update) + _frame(WINDOW_UPDATE, 0, stream_id, update))
        if stream is None:
            return
        if kind == DATA:
            stream.got_message = True
            if flags & END_STREAM:
                stream.finish(True)
        elif kind in (HEADERS, CONTINUATION):
            stream.ending = stream.ending or bool(kind == HEADERS and flags & END_STREAM)
            if flags & END_HEADERS and stream.ending:
                stream.finish(stream.got_message)
        elif kind == RST_STREAM:
            stream.finish(False)
