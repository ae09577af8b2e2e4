"""The GELF receiver: Graylog Extended Log Format 1.1 over UDP (whole, compressed or chunked
datagrams) and TCP (NUL-delimited frames), both on ``LOGLENS_GELF_PORT``.

What is on the wire is read in ``gelf_framing.py``; each message becomes a row in
``collector/mapping/gelf.py`` and goes through the same batcher and writer as every other
receiver. It behaves as the syslog receiver does (``syslog.py``), GELF being as unacknowledged:

**TCP.** What a connection sent is stored: a submission the batcher refuses is retried, holding
one of the connection's ``MAX_IN_FLIGHT`` slots; with every slot held the connection stops
reading and TCP slows the sender down. At a clean close (and at shutdown, for the grace period)
what was received is committed first. A frame over ``LOGLENS_GELF_MAX_MESSAGE_BYTES`` is counted
and skipped; a connection stalled inside a frame is closed after ``LOGLENS_IDLE_TIMEOUT_S``.

**UDP.** Datagrams are read in bursts, put together from their chunks, inflated (off the event
loop when a burst is large), one submission per burst. Under back-pressure they are dropped and
counted, and the kernel's own drops are read from SO_RXQ_OVFL. A chunked message still
incomplete 5 s after its first chunk is dropped and counted (looked for every second, and at
every chunk); partial messages hold ``MAX_PARTIAL_BYTES`` in all.

Counters per transport are in ``GET /health`` under ``gelf``, for this worker: every message
received is in time stored, malformed (not JSON, no short_message, a bad chunk…), too large,
incomplete (UDP: chunks missing) or dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from loglens.collector import offload
from loglens.collector.ingest import Ingest
from loglens.collector.receivers.gelf_framing import CHUNK_MAGIC, NulSplitter, Reassembler, payload_json
from loglens.collector.receivers.syslog import (
    MAX_DATAGRAM,
    MAX_IN_FLIGHT,
    MAX_UDP_BURST,
    MAX_UDP_WAITING,
    READ_SIZE,
    RETRY_BACKOFF_S,
    SO_RXQ_OVFL,
    bind_reason,
    udp_socket,
)
from loglens.errors import MalformedPayloadError, PayloadTooLargeError, RetryLaterError
from loglens.settings import Settings

log = logging.getLogger(__name__)

MAX_PARTIAL_BYTES = 64 * 1024 * 1024  # chunks of incomplete messages held, per worker
EXPIRY_INTERVAL_S = 1.0
DROP_WARNING_INTERVAL_S = 10.0
# A burst holding this many compressed payloads is inflated off the event loop.
OFF_LOOP_COMPRESSED = 64


@dataclass
class Counters:
    """Messages of one transport (a UDP message is a datagram, or the chunks of one put together)."""

    received: int = 0
    stored: int = 0
    malformed: int = 0
    too_large: int = 0
    dropped: int = 0
    kernel_dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class GelfServer:
    def __init__(self, settings: Settings, ingest: Ingest) -> None:
        self.settings = settings
        self.ingest = ingest
        self.limit = settings.gelf_max_message_bytes
        self.udp = Counters()
        self.tcp = Counters()
        self.chunks = Reassembler(self.limit, MAX_PARTIAL_BYTES)
        self._server: asyncio.Server | None = None
        self._datagrams: _Datagrams | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._connections: dict[_Connection, asyncio.Task[None]] = {}
        self.stopping = False
        self._dropped_unreported = 0
        self._last_drop_warning = -DROP_WARNING_INTERVAL_S

    def stats(self) -> dict[str, dict[str, int]]:
        udp, counts = self.udp.as_dict(), self.chunks.counts
        # Chunked messages that never became a payload are messages received all the same.
        udp["received"] += counts.incomplete + counts.too_large + counts.bad_chunks
        udp["malformed"] += counts.bad_chunks
        udp["too_large"] += counts.too_large
        udp.update(
            incomplete=counts.incomplete,
            chunks=counts.chunks,
            partial_messages=self.chunks.partial_messages,
            partial_bytes=self.chunks.held_bytes,
        )
        return {"udp": udp, "tcp": self.tcp.as_dict()}

    async def start(self, reuse_port: bool = False) -> tuple[int, int]:
        """Listen; return the TCP and UDP ports bound."""
        host, port = self.settings.host, self.settings.gelf_port
        try:
            self._server = await asyncio.start_server(
                self._accept,
                host,
                port,
                reuse_port=reuse_port or None,
                reuse_address=True,
                backlog=1024,
                limit=READ_SIZE,
            )
        except OSError as error:
            raise OSError(
                f"cannot listen for GELF on TCP {host}:{port}: {bind_reason(error)}; is loglens already running, "
                "or Graylog? (LOGLENS_GELF_PORT)"
            ) from None
        tcp = int(self._server.sockets[0].getsockname()[1])
        try:
            sock = udp_socket(host, tcp, reuse_port)
        except OSError as error:
            if port != 0:
                self._server.close()
                await self._server.wait_closed()
                raise OSError(
                    f"cannot listen for GELF on UDP {host}:{port}: {bind_reason(error)}; is loglens already "
                    "running, or Graylog? (LOGLENS_GELF_PORT)"
                ) from None
            sock = udp_socket(host, 0, reuse_port)  # an ephemeral TCP port whose UDP twin is taken: tests
        self._datagrams = _Datagrams(self, sock)
        self._expiry = asyncio.create_task(self._expire_partial_messages(), name="loglens-gelf-chunks")
        return tcp, self._datagrams.port

    async def _expire_partial_messages(self) -> None:
        """Incomplete chunked messages are dropped (and counted) on time even when nothing arrives."""
        while True:
            await asyncio.sleep(EXPIRY_INTERVAL_S)
            self.chunks.expire(time.monotonic())

    async def stop(self, grace_s: float) -> None:
        """Stop reading; what was received is still committed (for at most ``grace_s``)."""
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
        if self._server is not None:
            self._server.close()
        waiting: list[asyncio.Task[None]] = list(self._connections.values())
        if self._datagrams is not None:
            waiting += self._datagrams.close()
        for task in self._connections.values():
            task.cancel()  # stops reading; the connection still commits what it received
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=grace_s)
            self.stopping = True  # the retries of what is left give up
            if late:
                await asyncio.wait(late)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(self, reader, writer)
        task = asyncio.current_task()
        assert task is not None
        self._connections[connection] = task
        try:
            await connection.run()
        finally:
            del self._connections[connection]

    async def store(self, messages: Sequence[bytes], counters: Counters, give_up_after_s: float | None) -> None:
        """Submit until stored; retried while the batcher refuses, for ``give_up_after_s`` at most
        (None: until loglens stops), then dropped and counted."""
        deadline = None if give_up_after_s is None else time.monotonic() + give_up_after_s
        attempt = 0
        while True:
            try:
                result = await self.ingest.gelf_messages(messages)
                break
            except RetryLaterError as error:  # OverloadedError included
                pause = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
                attempt += 1
                if self.stopping or (deadline is not None and time.monotonic() + pause > deadline):
                    counters.dropped += len(messages)
                    self._warn_dropped(len(messages), error)
                    return
                await asyncio.sleep(pause)
        counters.stored += result.stored
        if result.refused:
            counters.malformed += len(result.refused)
            log.info("GELF: %s", result.summary())

    def _warn_dropped(self, count: int, error: RetryLaterError) -> None:
        """One warning per DROP_WARNING_INTERVAL_S at most, with what was dropped since the last."""
        self._dropped_unreported += count
        now = time.monotonic()
        if now - self._last_drop_warning >= DROP_WARNING_INTERVAL_S:
            log.warning(
                "GELF: %d messages dropped (counted in /health under gelf): %s", self._dropped_unreported, error
            )
            self._dropped_unreported = 0
            self._last_drop_warning = now


def decode_burst(payloads: Sequence[bytes], limit: int) -> tuple[list[bytes], int, int]:
    """The payloads' JSON, and how many were too large and how many did not inflate."""
    decoded: list[bytes] = []
    too_large = malformed = 0
    for payload in payloads:
        try:
            decoded.append(payload_json(payload, limit))
        except PayloadTooLargeError:
            too_large += 1
        except MalformedPayloadError:
            malformed += 1
    return decoded, too_large, malformed


class _Datagrams:
    """The UDP socket, read whenever it is readable, a burst at a time."""

    def __init__(self, server: GelfServer, sock: socket.socket) -> None:
        self._server = server
        self._sock = sock
        self.port = int(sock.getsockname()[1])
        self._counters = server.udp
        self._waiting = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._read)

    def _read(self) -> None:
        burst: list[bytes] = []
        counters, chunks = self._counters, self._server.chunks
        room = MAX_UDP_WAITING - self._waiting
        now = time.monotonic()
        for _ in range(MAX_UDP_BURST):
            try:
                data, ancillary, _, _ = self._sock.recvmsg(MAX_DATAGRAM + 1, socket.CMSG_SPACE(4))
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:  # ICMP errors surface here; nothing was lost
                log.debug("GELF UDP: %s", error)
                break
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(value) >= 4:
                    counters.kernel_dropped = int.from_bytes(value[:4], "little")
            payload = chunks.add(data, now) if data[:2] == CHUNK_MAGIC else data
            if payload is None:
                continue  # a chunk of a message not complete yet (or dropped: counted by the reassembler)
            counters.received += 1
            if len(burst) >= room:
                counters.dropped += 1
            else:
                burst.append(payload)
        if burst:
            self._waiting += len(burst)
            task = self._loop.create_task(self._store(burst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _store(self, burst: list[bytes]) -> None:
        counters = self._counters
        try:
            compressed = sum(1 for payload in burst if payload[:1] != b"{")
            heavy = compressed >= OFF_LOOP_COMPRESSED or sum(map(len, burst)) >= offload.OFF_LOOP_BYTES
            decoded, too_large, malformed = await offload.run(heavy, decode_burst, burst, self._server.limit)
            counters.too_large += too_large
            counters.malformed += malformed
            if decoded:
                await self._server.store(decoded, counters, self._server.settings.commit_timeout_s)
        except Exception:
            counters.dropped += len(burst)
            log.exception("GELF UDP: unexpected error while storing %d messages", len(burst))
        finally:
            self._waiting -= len(burst)

    def close(self) -> list[asyncio.Task[None]]:
        """Stop reading; the submissions still on their way."""
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        return list(self._tasks)


class _Connection:
    def __init__(self, server: GelfServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._server = server
        self._reader = reader
        self._writer = writer
        self._counters = server.tcp
        self._frames = NulSplitter(server.limit)
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._pending: set[asyncio.Task[None]] = set()
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    async def run(self) -> None:
        try:
            await self._receive()
            await self._submit(self._frames.finish())
        except asyncio.CancelledError:
            # Only GelfServer.stop cancels this task while it reads: what was read still commits.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except (ConnectionError, TimeoutError) as error:
            log.info("GELF connection from %s lost: %s", self.peer, error or type(error).__name__)
        finally:
            self._count_too_large()
            if self._pending:
                await asyncio.wait(set(self._pending))
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()

    async def _receive(self) -> None:
        # Only a frame left unfinished is timed out: a shipper keeps its connection open through
        # quiet hours. TCP keepalive finds dead peers.
        idle_s = self._server.settings.idle_timeout_s
        while True:
            try:
                async with asyncio.timeout(idle_s if self._frames.in_a_frame else None):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                log.info(
                    "GELF connection from %s closed: nothing more of a frame for %g s (LOGLENS_IDLE_TIMEOUT_S)",
                    self.peer,
                    idle_s,
                )
                return
            if not data:
                return
            await self._submit(self._frames.feed(data))

    def _count_too_large(self) -> None:
        dropped = self._frames.take_count()
        if dropped:
            self._counters.received += dropped
            self._counters.too_large += dropped

    async def _submit(self, frames: list[bytes]) -> None:
        self._count_too_large()
        if not frames:
            return
        self._counters.received += len(frames)
        try:
            await self._slots.acquire()
        except asyncio.CancelledError:
            # Shutdown while every slot was held: these frames were received, so they still go.
            self._start_storing(frames, holds_slot=False)
            raise
        self._start_storing(frames, holds_slot=True)

    def _start_storing(self, frames: list[bytes], holds_slot: bool) -> None:
        task = asyncio.create_task(self._store(frames, holds_slot))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _store(self, frames: list[bytes], holds_slot: bool) -> None:
        try:
            await self._server.store(frames, self._counters, None)
        except Exception:
            self._counters.dropped += len(frames)
            log.exception("GELF (%s): unexpected error while storing %d messages", self.peer, len(frames))
        finally:
            if holds_slot:
                self._slots.release()
