"""A bare forward-protocol client for the protocol's edge cases: frames built by hand,
bytes cut short, acks withheld. Tests of what real clients do use the real clients
(tests/collector/test_forward_clients.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import os
import struct
import uuid
from typing import Any

import msgpack

ACK_TIMEOUT_S = 10.0


def event_time(seconds: int, nanoseconds: int = 0) -> msgpack.ExtType:
    """Fluentd's EventTime: extension type 0, big-endian seconds and nanoseconds."""
    return msgpack.ExtType(0, struct.pack(">II", seconds, nanoseconds))


def new_chunk() -> str:
    return uuid.uuid4().hex


def pack(value: Any) -> bytes:
    return bytes(msgpack.packb(value, use_bin_type=True))


def message(tag: str, time: Any, record: Any, chunk: str | None = None) -> bytes:
    frame = [tag, time, record] + ([{"chunk": chunk}] if chunk is not None else [])
    return pack(frame)


def forward(tag: str, entries: list[Any], chunk: str | None = None) -> bytes:
    frame: list[Any] = [tag, entries] + ([{"chunk": chunk, "size": len(entries)}] if chunk else [])
    return pack(frame)


def packed_entries(entries: list[Any]) -> bytes:
    return b"".join(pack(entry) for entry in entries)


def packed_forward(
    tag: str, entries: list[Any], chunk: str | None = None, *, gzip_members: int = 0, as_str: bool = False
) -> bytes:
    """PackedForward; ``gzip_members`` > 0 makes it CompressedPackedForward, split in that
    many gzip members as Fluentd's compressed chunks are."""
    stream = packed_entries(entries)
    option: dict[str, Any] = {"size": len(entries)}
    if chunk is not None:
        option["chunk"] = chunk
    if gzip_members:
        step = -(-len(stream) // gzip_members)
        stream = b"".join(gzip.compress(stream[i : i + step]) for i in range(0, len(stream), step))
        option["compressed"] = "gzip"
    if as_str:
        # Fluentd v0.12 packed everything as msgpack str (raw), binary or not.
        head = b"\xdb" + struct.pack(">I", len(stream))
        return b"\x93" + pack(tag) + head + stream + pack(option)
    return pack([tag, stream, option])


class ForwardClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.unpacker = msgpack.Unpacker(raw=False)

    @classmethod
    async def connect(cls, port: int) -> ForwardClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, *frames: bytes) -> None:
        for frame in frames:
            self.writer.write(frame)
        await self.writer.drain()

    async def receive(self, within_s: float = ACK_TIMEOUT_S) -> Any:
        """The next msgpack object the server sends; EOFError if it closed the connection."""
        async with asyncio.timeout(within_s):
            while True:
                for value in self.unpacker:
                    return value
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError("the server closed the connection")
                self.unpacker.feed(data)

    async def acks(self, count: int, within_s: float = ACK_TIMEOUT_S) -> list[Any]:
        answers = [await self.receive(within_s) for _ in range(count)]
        assert all(isinstance(answer, dict) and set(answer) == {"ack"} for answer in answers), answers
        return [answer["ack"] for answer in answers]

    async def closed_by_server(self, within_s: float = ACK_TIMEOUT_S) -> list[Any]:
        """Wait until the server closes the connection; return what it sent before (acks)."""
        received = []
        try:
            while True:
                received.append(await self.receive(within_s))
        except (EOFError, ConnectionResetError):
            return received

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await self.receive(seconds)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    # --- the shared-key handshake, as Fluentd's out_forward does it --------------------------

    async def handshake(
        self,
        shared_key: str,
        hostname: str = "client.test",
        username: str = "",
        password: str = "",
    ) -> list[Any]:
        """Answer HELO with PING; return the PONG."""
        helo = await self.receive()
        assert isinstance(helo, list), helo
        assert helo[0] == "HELO", helo
        nonce: bytes = helo[1]["nonce"]
        auth = helo[1]["auth"]
        salt = os.urandom(16).hex()
        digest = hashlib.sha512(salt.encode() + hostname.encode() + nonce + shared_key.encode()).hexdigest()
        password_digest = ""
        if auth:
            password_digest = hashlib.sha512(auth + username.encode() + password.encode()).hexdigest()
        await self.send(pack(["PING", hostname, salt, digest, username, password_digest]))
        pong: list[Any] = await self.receive()
        self.salt, self.nonce = salt, nonce
        return pong
