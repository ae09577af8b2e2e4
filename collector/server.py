"""The collector as a running service: the batcher, its writer, and every receiver.

``Collector.start`` opens the writer and the listening sockets; ``Collector.stop`` closes the
sockets first, lets requests in flight finish (their rows commit), then commits whatever the
batcher still holds: a request that was accepted is acknowledged, and nothing accepted is
dropped on SIGTERM.

``start(require_database=False)`` serves even when PostgreSQL cannot be reached then: every
request is answered 503 with Retry-After (gRPC ``UNAVAILABLE``) until the batcher's probe finds
the database again, and the writer opens at its first write. The supervisor starts the worker
that replaces a dead one so (collector/workers.py): a worker killed during an outage is back at
once, answering "retry later", instead of failing to start until the database returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import grpc
from aiohttp import web

from loglens.collector import native
from loglens.collector.batcher import Batcher
from loglens.collector.ingest import Ingest, now_us
from loglens.collector.receivers import grpc as grpc_receiver
from loglens.collector.receivers import http as http_receiver
from loglens.collector.receivers.forward import ForwardServer
from loglens.collector.receivers.gelf import GelfServer
from loglens.collector.receivers.syslog import SyslogServer
from loglens.collector.storage.partitions import day_of
from loglens.collector.storage.writer import CONNECTION_PROBLEMS, LogWriter
from loglens.settings import Settings

log = logging.getLogger(__name__)

HTTP_SHUTDOWN_GRACE_S = 15.0
MAINTENANCE_INTERVAL_S = 3600.0
MAINTENANCE_RETRY_S = 60.0  # after a maintenance that failed (the database away)
# How long a start that does not require the database waits for it before serving without it.
OPEN_WAIT_S = 2.0


@dataclass
class Ports:
    otlp_http: int
    otlp_grpc: int
    forward: int
    # Syslog over TCP and over UDP (one port number unless a test asked for port 0), over TLS;
    # 0 when that listener is off.
    syslog: int = 0
    syslog_udp: int = 0
    syslog_tls: int = 0
    # GELF over TCP and over UDP (one port number unless a test asked for port 0); 0 when off.
    gelf: int = 0
    gelf_udp: int = 0


class Collector:
    def __init__(
        self,
        settings: Settings,
        dsn: str,
        reuse_port: bool = False,
        workers: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        """``workers``: the collector workers expected and alive, which /health reports (workers.py)."""
        self.settings = settings
        self._reuse_port = reuse_port
        self.writer = LogWriter(dsn, settings.writer_connections)
        self.batcher = Batcher(
            self.writer,
            batch_rows=settings.batch_rows,
            flush_interval_s=settings.flush_interval_ms / 1000,
            max_pending_rows=settings.max_pending_rows,
            max_pending_bytes=settings.max_pending_bytes,
            commit_timeout_s=settings.commit_timeout_s,
            writers=settings.writer_connections,
        )
        # Before anything decodes: LOGLENS_NATIVE=on without the extension stops here, saying why.
        self.native = native.configure(settings.native)
        self.ingest = Ingest(self.batcher, settings.max_message_chars)
        self.syslog = SyslogServer(settings, self.ingest) if settings.syslog_enabled else None
        self.gelf = GelfServer(settings, self.ingest) if settings.gelf_enabled else None
        self.http_app = http_receiver.create_app(settings, self.ingest, workers, self._receiver_stats)
        self._runner: web.AppRunner | None = None
        self._grpc: grpc.aio.Server | None = None
        self.forward = ForwardServer(settings, self.ingest)
        self._forward_started = False
        self._maintenance: asyncio.Task[None] | None = None
        self.ports = Ports(settings.otlp_http_port, settings.otlp_grpc_port, settings.forward_port)

    async def start(self, require_database: bool = True) -> Ports:
        """Open the writer and listen. ``require_database``: raise when PostgreSQL cannot be
        reached, else serve without it, answering "retry later" until it is back."""
        unavailable: str | None = None
        try:
            async with asyncio.timeout(None if require_database else OPEN_WAIT_S):
                await self.writer.open()
                await self.maintain()
        except (*CONNECTION_PROBLEMS, asyncpg.PostgresError) as error:
            if require_database:
                raise
            unavailable = f"PostgreSQL is unavailable: {error or type(error).__name__}"
        self.batcher.start()
        if unavailable is not None:
            # Logged by the batcher: "<cause>; refusing new logs until it is back".
            self.batcher.refuse_until_reachable(unavailable)
        self._runner = web.AppRunner(
            self.http_app,
            access_log=None,
            shutdown_timeout=HTTP_SHUTDOWN_GRACE_S,
            auto_decompress=False,
            # Closes a connection that sends no request (or no complete headers) for this long;
            # a body that stalls is the receiver's (http.py).
            keepalive_timeout=self.settings.idle_timeout_s,
            # After a 408 for a stalled body, what is left of it is read this long before closing.
            lingering_time=min(10.0, self.settings.idle_timeout_s),
        )
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.settings.host,
            self.settings.otlp_http_port,
            backlog=1024,
            # Every listener: a restart must not wait for the last run's TIME-WAIT connections.
            reuse_address=True,
            reuse_port=self._reuse_port or None,
        )
        await site.start()
        self.ports.otlp_http = _bound_port(site)
        self._grpc, self.ports.otlp_grpc = await grpc_receiver.start_server(
            self.settings, self.ingest, self.settings.otlp_grpc_port, self._reuse_port
        )
        self.ports.forward = await self.forward.start(self.settings.forward_port, self._reuse_port)
        self._forward_started = True
        if self.syslog is not None:
            self.ports.syslog, self.ports.syslog_udp, self.ports.syslog_tls = await self.syslog.start(
                self._reuse_port
            )
        if self.gelf is not None:
            self.ports.gelf, self.ports.gelf_udp = await self.gelf.start(self._reuse_port)
        self._maintenance = asyncio.create_task(
            self._keep_partitions_ahead(MAINTENANCE_RETRY_S if unavailable else MAINTENANCE_INTERVAL_S),
            name="loglens-maintenance",
        )
        log.info(
            "collector listening on %s: OTLP/HTTP and JSON on port %d, OTLP/gRPC on %d, Fluentd forward on %d%s",
            self.settings.host,
            self.ports.otlp_http,
            self.ports.otlp_grpc,
            self.ports.forward,
            " (shared key required)" if self.forward.credentials is not None else "",
        )
        if self.syslog is not None:
            tls = f", over TLS on {self.ports.syslog_tls}" if self.ports.syslog_tls else ""
            log.info("syslog on TCP %d and UDP %d%s", self.ports.syslog, self.ports.syslog_udp, tls)
            if self.settings.ingest_token is not None and self.settings.exposed:
                log.warning(
                    "syslog has no authentication: LOGLENS_INGEST_TOKEN does not guard port %d; keep it "
                    "on a trusted network or set LOGLENS_SYSLOG_ENABLED=false",
                    self.ports.syslog,
                )
        if self.gelf is not None:
            log.info("GELF on TCP %d and UDP %d", self.ports.gelf, self.ports.gelf_udp)
        log.info("native ingest path %s", self.native.reason)
        return self.ports

    def _receiver_stats(self) -> dict[str, object]:
        # Forward: connections refused for sending logs without the shared-key handshake.
        stats: dict[str, object] = {"forward": self.forward.stats()}
        if self.syslog is not None:
            stats["syslog"] = self.syslog.stats()
        if self.gelf is not None:
            stats["gelf"] = self.gelf.stats()
        return stats

    async def stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        closing = []
        if self._grpc is not None:
            closing.append(self._grpc.stop(grace=HTTP_SHUTDOWN_GRACE_S))
        if self._runner is not None:
            closing.append(self._runner.cleanup())
        if self._forward_started:
            closing.append(self.forward.stop(HTTP_SHUTDOWN_GRACE_S))
        if self.syslog is not None:
            closing.append(self.syslog.stop(HTTP_SHUTDOWN_GRACE_S))
        if self.gelf is not None:
            closing.append(self.gelf.stop(HTTP_SHUTDOWN_GRACE_S))
        await asyncio.gather(*closing)
        await self.batcher.stop()
        await self.writer.close()
        stats = self.batcher.stats
        log.info(
            "collector stopped: %d rows committed in %d batches, %d refused",
            stats.committed_rows,
            stats.committed_batches,
            stats.refused_rows,
        )

    async def maintain(self) -> None:
        """Partitions for today and tomorrow, retention, expired idempotency receipts."""
        dropped = await self.writer.maintain(
            day_of(now_us()), self.settings.retention_days, self.settings.idempotency_ttl_hours
        )
        if dropped:
            log.info("retention (%d days): dropped %s", self.settings.retention_days, ", ".join(dropped))

    async def _keep_partitions_ahead(self, first_in_s: float) -> None:
        """Maintenance every hour; a failed one (the database away) again a minute later. Writes
        create the partitions they need themselves: what waits for this is retention."""
        pause_s = first_in_s
        while True:
            await asyncio.sleep(pause_s)
            try:
                await self.maintain()
                pause_s = MAINTENANCE_INTERVAL_S
            except (*CONNECTION_PROBLEMS, asyncpg.PostgresError) as error:
                log.warning("maintenance failed (%s); it runs again in %.0f s", error, MAINTENANCE_RETRY_S)
                pause_s = MAINTENANCE_RETRY_S
            except Exception:
                log.warning("maintenance failed; it runs again in an hour", exc_info=True)
                pause_s = MAINTENANCE_INTERVAL_S


def _bound_port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp exposes the bound port only here, needed when asked for port 0
    sockets = getattr(server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else int(site._port)
