"""The syslog receiver: RFC 5424 and RFC 3164 messages over UDP, TCP and TLS (RFC 5425).

TCP and UDP share ``LOGLENS_SYSLOG_PORT``; TLS, when configured, has a port of its own. Messages
become rows in ``collector/mapping/syslog.py`` and go through the same batcher and writer as
every other receiver.

**TCP and TLS.** Syslog has no acknowledgement: what a connection sent is stored, and the client
learns nothing either way. So nothing received is given up while loglens runs: a submission the
batcher refuses (saturated, or the database away) is retried, holding one of the connection's
``MAX_IN_FLIGHT`` slots; with every slot held the connection stops reading and TCP slows the
sender down (rsyslog and syslog-ng queue meanwhile). At a clean close what was received is
committed before the socket is let go; on shutdown too, for up to the grace period (what the
database still cannot take then is counted as dropped). A frame that is malformed (too large, cut
off at the end, empty of content) is counted and dropped; it never ends the connection
(``syslog_framing.py``: the framing itself cannot be lost). A connection quiet between frames is
never closed for it (a daemon would lose the message it writes into a closed connection); one
stalled in a frame is, after ``LOGLENS_IDLE_TIMEOUT_S``.

**UDP.** Datagrams are read in bursts, one submission per burst. Under back-pressure (more than
``MAX_UDP_WAITING`` datagrams not yet committed, or the batcher refusing for longer than the
commit timeout) datagrams are dropped and counted; the kernel's own drops (a full receive
buffer, asked for ``UDP_RECEIVE_BUFFER`` bytes) are read from SO_RXQ_OVFL. Counters per transport
are in ``GET /health`` under ``syslog``, for this worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from loglens.collector.ingest import Ingest, Result
from loglens.collector.receivers.syslog_framing import FrameSplitter
from loglens.errors import ConfigurationError, RetryLaterError
from loglens.settings import Settings

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
MAX_IN_FLIGHT = 8  # submissions per TCP connection waiting for their commit
MAX_UDP_WAITING = 100_000  # datagrams received and not yet committed
MAX_UDP_BURST = 2_000  # datagrams read before they are submitted together
UDP_RECEIVE_BUFFER = 32 * 1024 * 1024
MAX_DATAGRAM = 65_535
RETRY_BACKOFF_S = (0.05, 0.1, 0.25, 0.5, 1.0)
DROP_WARNING_INTERVAL_S = 10.0
SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)  # Linux: the socket's drop count with each datagram


@dataclass
class Counters:
    """Messages of one transport: received (datagrams or frames), stored, malformed (dropped
    for their content or size), dropped (under back-pressure, or at shutdown while the database
    was away); UDP adds what the kernel dropped before loglens could read it."""

    received: int = 0
    stored: int = 0
    malformed: int = 0
    dropped: int = 0
    kernel_dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class SyslogServer:
    def __init__(self, settings: Settings, ingest: Ingest) -> None:
        self.settings = settings
        self.ingest = ingest
        self.limit = settings.syslog_max_message_bytes
        self.udp = Counters()
        self.tcp = Counters()
        self.tls = Counters()
        self._servers: list[asyncio.Server] = []
        self._datagrams: _Datagrams | None = None
        self._connections: dict[_Connection, asyncio.Task[None]] = {}
        self.stopping = False
        self._dropped_unreported = 0
        self._last_drop_warning = -DROP_WARNING_INTERVAL_S

    def stats(self) -> dict[str, dict[str, int]]:
        answer = {"udp": self.udp.as_dict(), "tcp": self.tcp.as_dict()}
        if self.settings.syslog_tls:
            answer["tls"] = self.tls.as_dict()
        return answer

    async def start(self, reuse_port: bool = False) -> tuple[int, int, int]:
        """Listen; return the TCP, UDP and TLS ports bound (TLS 0 when not configured)."""
        context = self._tls_context() if self.settings.syslog_tls else None
        host, port = self.settings.host, self.settings.syslog_port
        tcp = await self._listen(port, reuse_port, None, "LOGLENS_SYSLOG_PORT")
        try:
            self._datagrams = _Datagrams(self, udp_socket(host, tcp, reuse_port))
        except OSError as error:
            if port != 0:
                await self._close_servers()
                raise OSError(
                    f"cannot listen for syslog on UDP {host}:{port}: {bind_reason(error)}; is loglens already "
                    "running, or a syslog daemon? (LOGLENS_SYSLOG_PORT)"
                ) from None
            # An ephemeral TCP port whose UDP twin is taken: only tests ask for port 0.
            self._datagrams = _Datagrams(self, udp_socket(host, 0, reuse_port))
        tls = 0
        if context is not None and self.settings.syslog_tls_port is not None:
            tls = await self._listen(self.settings.syslog_tls_port, reuse_port, context, "LOGLENS_SYSLOG_TLS_PORT")
        return tcp, self._datagrams.port, tls

    def _tls_context(self) -> ssl.SSLContext:
        cert, key = self.settings.syslog_tls_cert, self.settings.syslog_tls_key
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(str(cert), str(key))
        except (OSError, ssl.SSLError) as error:
            raise ConfigurationError(
                f"cannot load the syslog TLS certificate {cert} and key {key}: {error} "
                "(LOGLENS_SYSLOG_TLS_CERT, LOGLENS_SYSLOG_TLS_KEY: PEM files)"
            ) from None
        return context

    async def _listen(self, port: int, reuse_port: bool, context: ssl.SSLContext | None, setting: str) -> int:
        host = self.settings.host
        counters = self.tcp if context is None else self.tls
        try:
            server = await asyncio.start_server(
                lambda reader, writer: self._accept(reader, writer, counters),
                host,
                port,
                reuse_port=reuse_port or None,
                reuse_address=True,
                backlog=1024,
                limit=READ_SIZE,
                ssl=context,
            )
        except OSError as error:
            await self._close_servers()
            raise OSError(
                f"cannot listen for syslog{' over TLS' if context else ''} on {host}:{port}: "
                f"{bind_reason(error)}; is loglens already running, or a syslog daemon? ({setting})"
            ) from None
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def _close_servers(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()

    async def stop(self, grace_s: float) -> None:
        """Stop reading; what was received is still committed (for at most ``grace_s``)."""
        for server in self._servers:
            server.close()
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
        await self._close_servers()

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
    ) -> None:
        connection = _Connection(self, reader, writer, counters)
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
                result: Result = await self.ingest.syslog_messages(messages)
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
            log.info("syslog: %s", result.summary())

    def _warn_dropped(self, count: int, error: RetryLaterError) -> None:
        """One warning per DROP_WARNING_INTERVAL_S at most, with what was dropped since the last."""
        self._dropped_unreported += count
        now = time.monotonic()
        if now - self._last_drop_warning >= DROP_WARNING_INTERVAL_S:
            log.warning(
                "syslog: %d messages dropped (counted in /health under syslog): %s",
                self._dropped_unreported,
                error,
            )
            self._dropped_unreported = 0
            self._last_drop_warning = now


def udp_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A UDP socket bound for a receiver (syslog's, GELF's): a large receive buffer, the kernel's drop count
    with each datagram (SO_RXQ_OVFL)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        _raise_receive_buffer(sock)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _raise_receive_buffer(sock: socket.socket) -> None:
    """A burst of datagrams waits in the kernel while a batch commits: ask for a large buffer,
    beyond net.core.rmem_max where allowed (SO_RCVBUFFORCE needs CAP_NET_ADMIN)."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, UDP_RECEIVE_BUFFER)
            return
        except OSError:
            pass
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)


class _Datagrams:
    """The UDP socket, read whenever it is readable, a burst at a time."""

    def __init__(self, server: SyslogServer, sock: socket.socket) -> None:
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
        counters, limit = self._counters, self._server.limit
        # One more byte than the limit tells a datagram over it; none is larger than UDP allows.
        size = min(limit, MAX_DATAGRAM) + 1
        room = MAX_UDP_WAITING - self._waiting
        for _ in range(MAX_UDP_BURST):
            try:
                data, ancillary, _, _ = self._sock.recvmsg(size, socket.CMSG_SPACE(4))
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:  # ICMP errors surface here; nothing was lost
                log.debug("syslog UDP: %s", error)
                break
            counters.received += 1
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(value) >= 4:
                    counters.kernel_dropped = int.from_bytes(value[:4], "little")
            if len(data) > limit:
                counters.malformed += 1
            elif len(burst) >= room:
                counters.dropped += 1
            else:
                burst.append(data)
        if burst:
            self._waiting += len(burst)
            task = self._loop.create_task(self._store(burst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _store(self, burst: list[bytes]) -> None:
        try:
            await self._server.store(burst, self._counters, self._server.settings.commit_timeout_s)
        except Exception:
            self._counters.dropped += len(burst)
            log.exception("syslog UDP: unexpected error while storing %d messages", len(burst))
        finally:
            self._waiting -= len(burst)

    def close(self) -> list[asyncio.Task[None]]:
        """Stop reading; the submissions still on their way."""
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        return list(self._tasks)


class _Connection:
    def __init__(
        self, server: SyslogServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counters: Counters
    ) -> None:
        self._server = server
        self._reader = reader
        self._writer = writer
        self._counters = counters
        self._frames = FrameSplitter(server.limit)
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
            # Only SyslogServer.stop cancels this task while it reads: what was read still commits.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except (ConnectionError, TimeoutError, ssl.SSLError) as error:
            log.info("syslog connection from %s lost: %s", self.peer, error or type(error).__name__)
        finally:
            self._count_malformed()
            if self._pending:
                await asyncio.wait(set(self._pending))
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()

    async def _receive(self) -> None:
        # Only a frame left unfinished is timed out: a syslog daemon keeps its connection open
        # through quiet hours, and closing it then loses the message it sends next (rsyslog
        # writes into the closed connection before it notices). TCP keepalive finds dead peers.
        idle_s = self._server.settings.idle_timeout_s
        while True:
            try:
                async with asyncio.timeout(idle_s if self._frames.in_a_frame else None):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                log.info(
                    "syslog connection from %s closed: nothing more of a frame for %g s (LOGLENS_IDLE_TIMEOUT_S)",
                    self.peer,
                    idle_s,
                )
                return
            if not data:
                return
            await self._submit(self._frames.feed(data))

    def _count_malformed(self) -> None:
        dropped = self._frames.take_counts()
        if dropped:
            self._counters.received += dropped
            self._counters.malformed += dropped

    async def _submit(self, frames: list[bytes]) -> None:
        self._count_malformed()
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
            log.exception("syslog (%s): unexpected error while storing %d messages", self.peer, len(frames))
        finally:
            if holds_slot:
                self._slots.release()


def bind_reason(error: OSError) -> str:
    """The system's words for a failed bind, without asyncio's wrapping of them."""
    return os.strerror(error.errno) if error.errno else str(error)
