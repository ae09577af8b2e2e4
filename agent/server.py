"""The agent's API server as a running service, started by ``loglens up`` or ``loglens serve agent``.

With ``SLACK_BOT_TOKEN`` set it also runs the Slack bot (``bots/slack``) over the same agent
service: on HTTP, Slack's requests arrive on this port under /slack/events. ``loglens serve
slack`` runs it with ``api=False``: the bot and /health, none of the query routes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from agent.api import create_app
from agent.models import ModelChoice
from agent.service import AgentService
from collector.errors import ConfigurationError
from collector.settings import Settings

if TYPE_CHECKING:
    from bots.slack.app import SlackBot

log = logging.getLogger(__name__)


class AgentServer:
    def __init__(
        self,
        settings: Settings,
        dsn: str,
        choice: ModelChoice | None = None,
        *,
        api: bool = True,
        slack: bool | None = None,
    ) -> None:
        if api:
            try:
                settings.refuse_open_api()
            except ValueError as error:
                raise ConfigurationError(str(error)) from None
        self.settings = settings
        self.service = AgentService(settings, dsn, choice)
        self.app = create_app(self.service, api=api)
        self.slack: SlackBot | None = None
        if slack if slack is not None else settings.slack_transport is not None:
            from bots.slack.app import SlackBot  # the read side's bot, loaded only when configured

            self.slack = SlackBot(settings, self.service)
            if self.slack.transport == "http":
                self.slack.mount(self.app)
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
        if self.slack is not None:
            await self.slack.start(self.port)
        return self.port

    async def stop(self) -> None:
        if self.slack is not None:
            await self.slack.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.service.stop()
