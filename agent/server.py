"""The agent's API server as a running service: its routes (``agent/http``) on the agent's port.

The composition root (``loglens/run.py``) mounts the Slack bot and the web client beside
these routes; the agent itself knows nothing of its clients. ``api=False`` serves /health
alone (``loglens serve slack``).
"""

from __future__ import annotations

import logging

from aiohttp import web

from loglens.agent.http.app import create_app
from loglens.agent.models import ModelChoice
from loglens.agent.service import AgentService
from loglens.errors import ConfigurationError
from loglens.settings import Settings

log = logging.getLogger(__name__)


class AgentServer:
    def __init__(
        self, settings: Settings, dsn: str, choice: ModelChoice | None = None, *, api: bool = True
    ) -> None:
        if api:
            try:
                settings.refuse_open_api()
            except ValueError as error:
                raise ConfigurationError(str(error)) from None
        self.settings = settings
        self.service = AgentService(settings, dsn, choice)
        self.app = create_app(self.service, api=api)
        self._runner: web.AppRunner | None = None
        self.port = settings.agent_port

    async def start(self) -> int:
        await self.service.start()
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.agent_port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self.settings.agent_port
        log.info("agent API on %s:%d (engine %s)", self.settings.host, self.port, self.service.choice.name)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self.service.stop()
