"""The collector as a running service: the batcher, its writer, and every receiver.

``Collector.start`` opens the writer and the listening sockets; ``Collector.stop`` closes the
sockets first, lets requests in flight finish (their rows commit), then commits whatever the
batcher still holds: a request that was accepted is acknowledged, and nothing accepted is
dropped on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from aiohttp import web

from loglens.collector.batcher import Batcher
from loglens.collector.ingest import Ingest, now_us
from loglens.collector.receivers import grpc as grpc_receiver
from loglens.collector.receivers import http as http_receiver
from loglens.collector.receivers.forward import ForwardServer
from loglens.collector.storage.partitions import day_of
from loglens.collector.storage.writer import LogWriter
from loglens.settings import Settings

log = logging.getLogger(__name__)

HTTP_SHUTDOWN_GRACE_S = 15.0
MAINTENANCE_INTERVAL_S = 3600.0


@dataclass
class Ports:
    otlp_http: int
    otlp_grpc: int
    forward: int


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
        self.ingest = Ingest(self.batcher, settings.max_message_chars)
        self.http_app = http_receiver.create_app(settings, self.ingest, workers)
        self._runner: web.AppRunner | None = None
        self._grpc: grpc.aio.Server | None = None
        self.forward = ForwardServer(settings, self.ingest)
        self._forward_started = False
        self._maintenance: asyncio.Task[None] | None = None
        self.ports = Ports(settings.otlp_http_port, settings.otlp_grpc_port, settings.forward_port)

    async def start(self) -> Ports:
        await self.writer.open()
        await self.maintain()
        self.batcher.start()
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
        self._maintenance = asyncio.create_task(self._keep_partitions_ahead(), name="loglens-maintenance")
        log.info(
            "collector listening on %s: OTLP/HTTP and JSON on port %d, OTLP/gRPC on %d, Fluentd forward on %d%s",
            self.settings.host,
            self.ports.otlp_http,
            self.ports.otlp_grpc,
            self.ports.forward,
            " (shared key required)" if self.forward.credentials is not None else "",
        )
        return self.ports

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

    async def _keep_partitions_ahead(self) -> None:
        while True:
            await asyncio.sleep(MAINTENANCE_INTERVAL_S)
            try:
                await self.maintain()
            except Exception:
                log.warning("maintenance failed; it runs again in an hour", exc_info=True)


def _bound_port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp exposes the bound port only here, needed when asked for port 0
    sockets = getattr(server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else int(site._port)
