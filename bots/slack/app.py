"""The Slack bot: a slack-bolt ``AsyncApp`` over the agent, on either of Slack's transports.

HTTP (the Events API): Slack POSTs events, slash commands and button clicks to
``/slack/events`` on the agent's port; Bolt refuses any request without a valid signature
made with ``SLACK_SIGNING_SECRET`` in the last five minutes (401). Socket Mode, when
``SLACK_APP_TOKEN`` is set: the bot opens a WebSocket to Slack and needs no public address.
Both end in the same Bolt listeners (``handlers.py``). The Web API client's base URL is
``LOGLENS_SLACK_API_URL``, so that tests and Slack-compatible servers can stand in for Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from loglens.agent.service import AgentService
from loglens.bots.slack.handlers import Answers
from loglens.errors import ConfigurationError
from loglens.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's answers to a token it does not accept: the configuration is wrong, not the network.
TOKEN_REFUSED = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired")


class SlackBot:
    def __init__(self, settings: Settings, service: AgentService) -> None:
        if settings.slack_bot_token is None or settings.slack_transport is None:
            raise ConfigurationError(
                "the Slack bot needs SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET or SLACK_APP_TOKEN)"
            )
        self.settings = settings
        self.transport = settings.slack_transport
        self.client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            # Slack answers 429 with Retry-After when updates come too fast: wait and send again.
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )
        secret = settings.slack_signing_secret
        self.app = AsyncApp(
            # Bolt names a logger after the app and sets its level on every request: under its
            # own namespace, so that the level of the "loglens" loggers (the CLI's, the exporter's)
            # is not overwritten.
            name="slack_bolt.loglens",
            client=self.client,
            signing_secret=secret.get_secret_value() if secret is not None else "",
            # Listeners only schedule work and return, so Slack's 200 can wait for them; no
            # listener is left running in the background beyond the bot's own tracked tasks.
            process_before_response=True,
        )
        self.answers = Answers(settings, service, self.client)
        self.answers.register(self.app)
        self._socket: AsyncSocketModeHandler | None = None
        self.connecting: asyncio.Task[None] | None = None

    def mount(self, app: web.Application) -> None:
        """Serve Slack's HTTP requests on ``app`` (the agent's server) under /slack/events."""
        app.router.add_post(EVENTS_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def start(self, agent_port: int) -> None:
        if self.settings.public_url is None:
            self.answers.web_url = _local_url(self.settings.host, agent_port)
        await self._check_token()
        if self.transport == "socket":
            assert self.settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(
                self.app, self.settings.slack_app_token.get_secret_value(), web_client=self.client
            )
            # The SDK keeps trying until it is connected, and reconnects after: loglens does not
            # wait for Slack to start. (Bolt's Socket Mode handler has no annotations: ignores.)
            self.connecting = asyncio.create_task(self._socket.connect_async())  # type: ignore[no-untyped-call]
        log.info("Slack bot ready (%s)", "Socket Mode" if self.transport == "socket" else f"HTTP {EVENTS_PATH}")

    async def stop(self) -> None:
        if self.connecting is not None and not self.connecting.done():
            self.connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.connecting
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self.answers.stop()

    async def _check_token(self) -> None:
        """A refused token stops loglens at start, with the variable to fix; an unreachable
        Slack does not (Bolt asks again on the first event)."""
        try:
            identity = await self.client.auth_test()
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason in TOKEN_REFUSED:
                raise ConfigurationError(
                    f"Slack refused SLACK_BOT_TOKEN ({reason}); check the bot token"
                ) from None
            log.warning("Slack's auth.test failed (%s); the bot will try again on the first event", reason)
            return
        except Exception as error:
            log.warning(
                "cannot reach Slack at %s (%s); the bot will try again", self.settings.slack_api_url, error
            )
            return
        self.answers.bot_user_id = identity.get("user_id")


def _local_url(host: str, port: int) -> str:
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"
