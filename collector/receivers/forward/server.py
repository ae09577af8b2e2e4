"""The forward-protocol TCP server: connections, back-pressure, acks, shutdown.

Each connection reads bytes into its own streaming ``Unpacker`` and takes every complete
frame the bytes hold; a client may pipeline as many frames as it likes. Frames that want an
ack (a ``chunk`` option) are stored one submission each, keyed by their chunk id; frames that
want none, decoded from the same read, are stored together in one submission (a logger
sending thousands of tiny Message-mode frames would otherwise wait for one commit per log).
Up to ``MAX_IN_FLIGHT`` submissions per connection wait for their commit at once; past
that the connection stops reading, so a client faster than PostgreSQL is slowed by TCP
itself, which is also the answer to a saturated writer (``OverloadedError`` is retried here).

A connection is closed, with its reason logged, when its input cannot be read (not msgpack,
a frame too large or malformed, a gzip bomb, a failed handshake, a frame cut off by the
end of the stream) or when the database cannot commit (``RetryLaterError``): then its chunk is
not acknowledged and the client sends it again, to this or another collector worker. What
was decoded before the bad input is still stored and acknowledged. Other connections are
not affected by any of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from loglens.collector import offload
from loglens.collector.batcher import Arrival
from loglens.collector.ingest import Ingest, collections_paused
from loglens.collector.receivers.forward import ack, heartbeat, protocol
from loglens.collector.receivers.forward.handshake import Credentials, Handshake
from loglens.collector.storage.writer import IdempotencyKey
from loglens.errors import IngestError, OverloadedError, RetryLaterError
from loglens.settings import Settings

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
MAX_IN_FLIGHT = 16
HANDSHAKE_TIMEOUT_S = 30.0
OVERLOAD_BACKOFF_S = (0.05, 0.1, 0.25, 0.5, 1.0)
JSON_STARTS = (ord("["), ord("{"))
# A client without shared-key support reconnects and is refused again and again: it is warned
# about once per address per this many seconds (counted every time).
UNAUTHENTICATED_WARNING_S = 60.0


class _CloseConnectionError(Exception):
    """End the connection; ``str()`` is the reason, logged."""


class ForwardServer:
    def __init__(self, settings: Settings, ingest: Ingest) -> None:
        self.settings = settings
        self.ingest = ingest
        self.frame_limit = settings.max_body_bytes
        self.credentials = Credentials.from_settings(settings)
        self._server: asyncio.Server | None = None
        self._heartbeat: asyncio.DatagramTransport | None = None
        self._connections: dict[_Connection, asyncio.Task[Any]] = {}
        # Connections refused because the client sent logs instead of the handshake's PING,
        # for /health; and when each address was last warned about.
        self.unauthenticated = 0
        self._warned: dict[str, float] = {}

    def stats(self) -> dict[str, int]:
        return {"unauthenticated": self.unauthenticated}

    def note_unauthenticated(self, host: str, peer: str) -> None:
        """A client sent logs without the handshake: such a logger (fluent-logger-python, -golang,
        -node) has no shared-key support and cannot tell its user it is refused, so say it here."""
        self.unauthenticated += 1
        now = time.monotonic()
        if now - self._warned.get(host, -UNAUTHENTICATED_WARNING_S) < UNAUTHENTICATED_WARNING_S:
            return
        if len(self._warned) > 4096:  # many addresses: forget those warned long enough ago
            self._warned = {h: t for h, t in self._warned.items() if now - t < UNAUTHENTICATED_WARNING_S}
        self._warned[host] = now
        setting = "LOGLENS_FORWARD_SHARED_KEY" if self.settings.forward_shared_key else "LOGLENS_INGEST_TOKEN"
        log.warning(
            "forward client %s sent logs without the shared-key handshake that %s requires: none of "
            "them is stored. Give the client the key (Fluentd: <security> shared_key; Fluent Bit: "
            "Shared_Key); a logger without shared-key support (fluent-logger-python, -golang, -node) "
            "cannot: unset %s, or let it send through a local Fluent Bit or Fluentd that has the key "
            "(warned once a minute per address; counted in /health as forward.unauthenticated)",
            peer,
            setting,
            setting,
        )

    async def start(self, port: int, reuse_port: bool = False) -> int:
        """Listen on TCP ``port`` (and UDP for the heartbeat); return the port bound."""
        host = self.settings.host
        try:
            self._server = await asyncio.start_server(
                self._accept, host, port, reuse_port=reuse_port or None, backlog=1024, limit=READ_SIZE
            )
        except OSError as error:
            raise OSError(
                f"cannot listen for Fluentd forward on {host}:{port}: {_reason(error)}; is loglens "
                "already running, or Fluentd? (LOGLENS_FORWARD_PORT)"
            ) from None
        bound = int(self._server.sockets[0].getsockname()[1])
        try:
            self._heartbeat = await heartbeat.start(host, bound, reuse_port)
        except OSError as error:
            if port != 0:
                self._server.close()
                raise OSError(
                    f"cannot listen for the Fluentd heartbeat on UDP {host}:{port}: {_reason(error)}; "
                    "is loglens already running, or Fluentd? (LOGLENS_FORWARD_PORT)"
                ) from None
            # An ephemeral TCP port whose UDP twin is taken: only tests ask for port 0.
            log.warning("no UDP heartbeat on port %d: %s", bound, error)
        return bound

    async def stop(self, grace_s: float) -> None:
        """Stop accepting and reading; what was received is committed and acknowledged."""
        if self._server is not None:
            self._server.close()
        if self._heartbeat is not None:
            self._heartbeat.close()
        for connection in list(self._connections):
            connection.stop_reading()
        tasks = list(self._connections.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace_s)
            for task in late:
                task.cancel()
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


def _decode(frame: Any, limit: int) -> protocol.Request:
    with collections_paused():
        return protocol.decode(frame, limit)


def _reason(error: OSError) -> str:
    """The system's words for a failed bind, without asyncio's wrapping of them."""
    return os.strerror(error.errno) if error.errno else str(error)


class _Connection:
    def __init__(self, server: ForwardServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._server = server
        self._reader = reader
        self._writer = writer
        self._limit = server.frame_limit
        self._unpacker = protocol.new_unpacker(self._limit)
        # Bytes given to the unpacker, and where the last whole frame ended in them: a frame
        # has started but not finished while the first is larger.
        self._fed = 0
        self._frame_end = 0
        self._backlog: list[Any] = []
        self._broken: IngestError | None = None
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._pending: set[asyncio.Task[None]] = set()
        self._reading = True
        self._closed_because: str | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.host = str(peer[0]) if isinstance(peer, tuple) else str(peer)

    def stop_reading(self) -> None:
        """Shutdown: stop taking frames; those received are still stored and acknowledged."""
        if self._reading:
            task = self._server._connections.get(self)
            if task is not None:
                task.cancel()

    async def run(self) -> None:
        try:
            if self._server.credentials is not None:
                await self._handshake(self._server.credentials)
            await self._receive()
        except _CloseConnectionError as close:
            # Stop reading, but let what was received before finish and be acknowledged.
            self._note_closing(str(close))
        except (ConnectionError, TimeoutError) as error:
            log.info("forward connection from %s lost: %s", self.peer, error or type(error).__name__)
        except asyncio.CancelledError:
            # Only stop_reading() cancels this task while it reads; the rest runs as usual.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            self._reading = False
            await self._finish()

    async def _handshake(self, credentials: Credentials) -> None:
        handshake = Handshake(credentials)
        self._writer.write(handshake.helo())
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                frames = await self._next_frames()
        except TimeoutError:
            raise _CloseConnectionError(
                f"handshake refused: no PING within {HANDSHAKE_TIMEOUT_S:.0f} s of HELO; configure the "
                "client's shared key"
            ) from None
        if frames is None:
            return  # connected and left (Fluentd's TCP heartbeat does that)
        answer = handshake.answer(frames[0])
        self._writer.write(answer.pong)
        if answer.no_handshake:
            self._server.note_unauthenticated(self.host, self.peer)
        if answer.refusal is not None:
            raise _CloseConnectionError(answer.refusal)
        self._backlog = frames[1:]

    async def _receive(self) -> None:
        while (frames := await self._next_frames()) is not None:
            unacknowledged = protocol.Request()
            for frame in frames:
                if frame is None:
                    continue  # Fluentd's in_forward reads a lone nil as a TCP heartbeat
                try:
                    # A large packed stream is inflated and decoded off the event loop (offload.py).
                    request = await offload.run(protocol.is_heavy(frame), _decode, frame, self._limit)
                except IngestError as error:
                    await self._store_without_ack(unacknowledged)
                    raise _CloseConnectionError(str(error)) from None
                if request.chunk is None:
                    unacknowledged.extend(request)
                else:
                    # Keyed by the chunk id and the chunk's content: ids are not unique (ack.py).
                    await self._submit(request, ack.idempotency_key(request.chunk, frame))
            await self._store_without_ack(unacknowledged)

    async def _store_without_ack(self, request: protocol.Request) -> None:
        if request.events:
            await self._submit(request)

    async def _submit(self, request: protocol.Request, key: IdempotencyKey | None = None) -> None:
        await self._slots.acquire()
        # On its way from here to its submission (batcher.py): a batch may wait for its events.
        # Ended when the task is done at the latest, even if it is cancelled before it runs.
        arrival = self._server.ingest.batcher.arrival()
        task = asyncio.create_task(self._store(request, key, arrival))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        task.add_done_callback(lambda _: arrival.end())

    async def _next_frames(self) -> list[Any] | None:
        """Every complete frame received so far, at least one; None at the end of the stream."""
        if self._backlog:
            backlog, self._backlog = self._backlog, []
            return backlog
        if self._broken is not None:
            raise _CloseConnectionError(str(self._broken))
        frames: list[Any] = []
        while True:
            try:
                with collections_paused():
                    for frame in self._unpacker:
                        frames.append(frame)
                        self._frame_end = self._unpacker.tell()
            except Exception as error:
                # The frames before the bad bytes are whole: they are stored, then the
                # connection is closed on the next call.
                self._broken = protocol.unpack_error(error, self._limit)
                if not frames:
                    raise _CloseConnectionError(str(self._broken)) from None
            if frames:
                return frames
            data = await self._read()
            if not data:
                if self._closed_because is None and self._fed > self._frame_end:
                    unread = self._fed - self._frame_end
                    raise _CloseConnectionError(
                        f"the client closed the connection in the middle of a frame ({unread} bytes "
                        "of it received); nothing of that frame was stored or acknowledged"
                    )
                return None
            if self._fed == 0 and data[0] in JSON_STARTS:
                raise _CloseConnectionError(
                    "the client sent JSON; loglens reads the forward protocol in msgpack only "
                    "(POST JSON to /logs on the HTTP port instead)"
                )
            self._fed += len(data)
            try:
                self._unpacker.feed(data)
            except Exception as error:
                raise _CloseConnectionError(str(protocol.unpack_error(error, self._limit))) from None

    async def _read(self) -> bytes:
        # A connection that sends nothing for LOGLENS_IDLE_TIMEOUT_S is closed, in a frame or not.
        idle_s = self._server.settings.idle_timeout_s
        try:
            async with asyncio.timeout(idle_s):
                return await self._reader.read(READ_SIZE)
        except TimeoutError:
            where = "part of a frame and " if self._fed > self._frame_end else ""
            raise _CloseConnectionError(
                f"the client sent {where}nothing more for {idle_s:g} s (LOGLENS_IDLE_TIMEOUT_S)"
            ) from None

    async def _store(self, request: protocol.Request, key: IdempotencyKey | None, arrival: Arrival) -> None:
        try:
            deadline = time.monotonic() + self._server.settings.commit_timeout_s
            for attempt in range(1_000_000):
                try:
                    result, replayed = await self._server.ingest.fluent_events(
                        request.events, unreadable=request.unreadable, idempotency_key=key, arrival=arrival
                    )
                    break
                except OverloadedError as error:
                    # No "retry later" in this protocol: wait here, holding the slot, so that the
                    # connection stops reading and TCP slows the client down.
                    pause = OVERLOAD_BACKOFF_S[min(attempt, len(OVERLOAD_BACKOFF_S) - 1)]
                    if time.monotonic() + pause > deadline:
                        self._close(f"{error}; the chunk was not acknowledged, the client sends it again")
                        return
                    await asyncio.sleep(pause)
                except RetryLaterError as error:
                    self._close(f"{error}; the chunk was not acknowledged, the client sends it again")
                    return
            if result.refused:
                log.warning("forward (%s, %s mode): %s", self.peer, request.mode, result.summary())
            if replayed:
                log.info("forward (%s): chunk %r was stored before; acknowledged again", self.peer, request.chunk)
            if request.chunk is not None and not self._writer.is_closing():
                self._writer.write(ack.encode(request.chunk))
        except Exception:
            log.exception("forward (%s): unexpected error while storing a request", self.peer)
            self._close("internal error while storing logs; the chunk was not acknowledged")
        finally:
            self._slots.release()

    def _note_closing(self, reason: str) -> bool:
        if self._closed_because is not None:
            return False
        self._closed_because = reason
        log.warning("forward connection from %s closed: %s", self.peer, reason)
        return True

    def _close(self, reason: str) -> None:
        """Close now: the database cannot take this connection's chunks, and the client should
        learn it at once to send them again rather than wait for acks that cannot come."""
        if self._note_closing(reason):
            self._writer.close()

    async def _finish(self) -> None:
        if self._pending:
            await asyncio.wait(set(self._pending))
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()
