"""Fixtures for the Slack bot: a fake Slack (Web API + Socket Mode) on loopback, the agent's
server with the real Bolt app in front of it, and signed requests as Slack sends them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import orjson
import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, UserPromptPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from loglens.agent.models import ModelChoice
from loglens.bots.slack import render
from loglens.run import ReadSideServer
from loglens.settings import Settings
from tests.agent.conftest import SAMPLE_LOGS, Step, insert_logs
from tests.bots.fake_slack import BOT_TOKEN, BOT_USER, TEAM, FakeSlack
from tests.conftest import eventually, settings_for_tests

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0000001"
DM = "D0000001"
ALICE = "U0000001"
BOB = "U0000002"
WEB = "https://loglens.example.com"

ERRORS_LAST_HOUR = (
    "SELECT count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "AND created_at > now() - interval '1 hour'"
)
ERRORS_BY_SERVICE = (
    "SELECT service, count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "GROUP BY service ORDER BY errors DESC"
)


@pytest.fixture
async def logs(db: asyncpg.Connection) -> asyncpg.Connection:
    await insert_logs(db, SAMPLE_LOGS)
    return db


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


# --- a model that answers by question, slowly enough to stream ----------------------------------


@dataclass
class ByQuestion:
    """Answers each question with the script of the first key found in it, streamed in small
    pieces with a pause between them, as a remote model would; records every prompt."""

    scripts: dict[str, list[Step]]
    pause_s: float = 0.03
    chunk_chars: int = 8
    prompts: list[str] = field(default_factory=list)

    def choice(self) -> ModelChoice:
        return ModelChoice(
            "scripted", FunctionModel(stream_function=self._stream, model_name="scripted"), "scripted"
        )

    async def _stream(self, messages: list[ModelMessage], _info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        prompt = _prompt(messages)
        turn = sum(isinstance(message, ModelResponse) for message in messages)
        if turn == 0:
            self.prompts.append(prompt)
        question = prompt.rsplit("Question:", 1)[-1]
        steps = next((steps for key, steps in self.scripts.items() if key in question), None)
        assert steps is not None, f"no script for {question!r}"
        tool, args = steps[min(turn, len(steps) - 1)](messages)
        text = orjson.dumps(args).decode()
        for start in range(0, len(text), self.chunk_chars):
            await asyncio.sleep(self.pause_s)
            piece = text[start : start + self.chunk_chars]
            yield {0: DeltaToolCall(name=tool if start == 0 else None, json_args=piece)}


def _prompt(messages: list[ModelMessage]) -> str:
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


# --- Slack's side of the conversation --------------------------------------------------------


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers Slack adds to every request: a timestamp and an HMAC-SHA256 of both."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


_event_ids = itertools.count(1)


def envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0000001",
        "event": {**event, "event_ts": event.get("ts")},
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "is_enterprise_install": False}],
    }


@dataclass
class Bot:
    """The agent's server with the Slack bot, and what Slack would send it."""

    server: ReadSideServer
    slack: FakeSlack
    http: aiohttp.ClientSession

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/slack/events"

    async def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        sent = {"Content-Type": content_type, **sign(body), **(headers or {})}
        async with self.http.post(self.events_url, data=body, headers=sent) as response:
            return response.status, await response.read()

    async def send_event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> int:
        status, _ = await self.post(orjson.dumps(envelope(event, event_id)), "application/json", headers)
        return status

    async def mention(self, text: str, user: str = ALICE, thread_ts: str | None = None) -> dict[str, Any]:
        """Someone writes "@loglens <text>" in the channel (or in a thread of it)."""
        message = self.slack.user_posts(CHANNEL, user, f"<@{BOT_USER}> {text}", thread_ts)
        assert await self.send_event({**message, "type": "app_mention"}) == 200
        return message

    async def dm(self, text: str, user: str = ALICE, thread_ts: str | None = None) -> dict[str, Any]:
        message = self.slack.user_posts(DM, user, text, thread_ts)
        assert await self.send_event({**message, "channel_type": "im"}) == 200
        return message

    async def command(self, text: str, user: str = ALICE, channel: str = CHANNEL) -> dict[str, Any]:
        """``/loglens <text>``: the form Slack posts, and what the bot answered at once."""
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "loglens-test",
            "channel_id": channel,
            "channel_name": "incidents",
            "user_id": user,
            "user_name": "alice",
            "command": "/loglens",
            "text": text,
            "api_app_id": "A0000001",
            "response_url": self.slack.response_url(f"command-{user}"),
            "trigger_id": "1337.42.abcd",
        }
        status, body = await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
        assert status == 200
        if not body:
            return {}
        # A text-only answer is plain text, which Slack shows as an ephemeral message.
        return orjson.loads(body) if body.startswith(b"{") else {"text": body.decode()}

    async def click(self, message: dict[str, Any], action_id: str, channel: str, user: str = ALICE) -> int:
        """A button under ``message``, as Slack's block_actions payload reports it."""
        block_id, action = next(
            (block["block_id"], element)
            for block in message["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        )
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "loglens-test"},
            "user": {"id": user, "username": "alice", "team_id": TEAM},
            "api_app_id": "A0000001",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
                "thread_ts": message.get("thread_ts"),
            },
            "trigger_id": "1337.43.efgh",
            "channel": {"id": channel, "name": "incidents"},
            "message": message,
            "response_url": self.slack.response_url(f"click-{user}"),
            "actions": [{**action, "block_id": block_id, "action_ts": str(time.time())}],
        }
        body = urlencode({"payload": orjson.dumps(payload).decode()}).encode()
        status, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status

    async def answers(
        self, channel: str, thread_ts: str, count: int = 1, within_s: float = 30
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` of the bot's replies in the thread are final answers; return them."""
        await eventually(lambda: len(self.finished(channel, thread_ts)) >= count, within_s)
        return self.finished(channel, thread_ts)

    def finished(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.slack.bot_replies(channel, thread_ts) if is_final(m)]


def is_final(message: dict[str, Any]) -> bool:
    """The buttons come with the end of an answer (or of a failure): never while it streams."""
    return any(block.get("block_id") == render.ACTIONS_BLOCK for block in message.get("blocks") or [])


def texts(message: dict[str, Any]) -> str:
    """Everything a person reads in a message's blocks, in order."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [element["text"] for element in block.get("elements", []) if element.get("type") == "mrkdwn"]
    return "\n".join(parts)


def bot_settings(slack: FakeSlack, **overrides: Any) -> Settings:
    """HTTP transport against the fake Slack; updates paced at 0.2 s to keep tests short; no
    offline fast path, so that scripted models answer every question (and stream it)."""
    values: dict[str, Any] = {
        "agent_port": 0,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.api_url,
        "public_url": WEB,
        "slack_update_interval_s": 0.2,
        "offline_fast_path": False,
        **overrides,
    }
    return settings_for_tests(**values)


@pytest.fixture
async def start_bot(dsn: str, slack: FakeSlack) -> AsyncIterator[Callable[..., Awaitable[Bot]]]:
    started: list[ReadSideServer] = []
    async with aiohttp.ClientSession() as http:

        async def start(choice: ModelChoice | None = None, **overrides: Any) -> Bot:
            if choice is None:
                overrides.setdefault("llm_provider", "offline")
            server = ReadSideServer(bot_settings(slack, **overrides), dsn, choice)
            started.append(server)
            await server.start()
            return Bot(server, slack, http)

        yield start
        for server in started:
            await server.stop()
