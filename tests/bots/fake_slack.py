"""A local server speaking the Slack Web API methods the bot calls, and Socket Mode, with a
workspace's messages in memory: the real slack_sdk and slack-bolt run against it. Only the wire
boundary is replaced; tests assert on what Slack would have shown."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from tests.conftest import free_port

BOT_TOKEN = "xoxb-loglens-test"
APP_TOKEN = "xapp-loglens-test"
BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0000001"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float  # time.perf_counter() when it arrived


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    # channel -> its messages (threads included), in posting order
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # what slash commands' response_url received
    responses: list[dict[str, Any]] = field(default_factory=list)
    # channels the bot is not a member of: posting there fails as Slack's does
    closed_channels: set[str] = field(default_factory=set)
    # method -> how many of the next calls are answered 429 (Slack's rate limit)
    rate_limited: dict[str, int] = field(default_factory=dict)
    port: int = 0
    # Socket Mode: the connection, and the acknowledgements it sent back
    socket: web.WebSocketResponse | None = None
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_connected: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _clock: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/respond/{id}", self.respond)
        app.router.add_get("/socket-mode", self.socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def next_ts(self) -> str:
        n = next(self._clock)
        return f"{1_767_225_600 + n}.{n:06d}"

    # --- what people do ----------------------------------------------------------------------

    def user_posts(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        """A person's message, stored as Slack would; returned as the event fields it causes."""
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": self.next_ts()}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        self.channels.setdefault(channel, []).append(message)
        return {**message, "channel": channel}

    # --- what Slack shows --------------------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies under ``thread_ts`` (the parent excluded), oldest first."""
        return [
            m for m in self.channels.get(channel, []) if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
        ]

    def bot_replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.thread(channel, thread_ts) if m.get("user") == BOT_USER]

    def updates_of(self, channel: str, ts: str) -> list[Call]:
        return [c for c in self.called("chat.update") if c.args.get("channel") == channel and c.args["ts"] == ts]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        return next(m for m in self.channels[channel] if m["ts"] == ts)

    # --- the Web API -------------------------------------------------------------------------

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        self.calls.append(Call(method, args, time.perf_counter()))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return _ok(False, error="invalid_auth")
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return _ok(False, error="unknown_method")
        result: web.Response = handler(args)
        return result

    def _auth_test(self, _args: dict[str, Any]) -> web.Response:
        return _ok(
            True,
            url="https://loglens-test.slack.com/",
            team="loglens test",
            user="loglens",
            team_id=TEAM,
            user_id=BOT_USER,
            bot_id=BOT_ID,
            is_enterprise_install=False,
        )

    def _chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        channel = str(args["channel"])
        if channel in self.closed_channels:
            return _ok(False, error="not_in_channel")
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
            "ts": self.next_ts(),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        self.channels.setdefault(channel, []).append(message)
        return _ok(True, channel=channel, ts=message["ts"], message=message)

    def _chat_update(self, args: dict[str, Any]) -> web.Response:
        channel, ts = str(args["channel"]), str(args["ts"])
        found = [m for m in self.channels.get(channel, []) if m["ts"] == ts]
        if not found:
            return _ok(False, error="message_not_found")
        found[0].update(text=args.get("text", ""), blocks=args.get("blocks") or [])
        if args.get("metadata"):
            found[0]["metadata"] = args["metadata"]
        return _ok(True, channel=channel, ts=ts, text=found[0]["text"])

    def _chat_postEphemeral(self, _args: dict[str, Any]) -> web.Response:
        return _ok(True, message_ts=self.next_ts())

    def _views_open(self, args: dict[str, Any]) -> web.Response:
        return _ok(True, view={"id": "V0001", **(args.get("view") or {})})

    def _conversations_replies(self, args: dict[str, Any]) -> web.Response:
        channel, ts = str(args["channel"]), str(args["ts"])
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        thread = [m for m in self.channels.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return _ok(False, error="thread_not_found")
        shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in thread]
        return _ok(True, messages=shown, has_more=False)

    def _apps_connections_open(self, _args: dict[str, Any]) -> web.Response:
        return _ok(True, url=f"ws://127.0.0.1:{self.port}/socket-mode")

    async def respond(self, request: web.Request) -> web.Response:
        self.responses.append({"name": request.match_info["id"], **(await request.json())})
        return web.Response(text="ok")

    # --- Socket Mode -------------------------------------------------------------------------

    async def socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}})
        self.socket_connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(orjson.loads(message.data))
        return ws

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        assert self.socket is not None, "the bot has not connected"
        await self.socket.send_json(envelope)


async def _arguments(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            form = await request.post()
            for key, value in form.items():
                text = str(value)
                # Form posts carry blocks, views and metadata as JSON text.
                args[key] = (
                    orjson.loads(text) if key in ("blocks", "view", "metadata") and text[:1] in "[{" else text
                )
    return args


def _ok(ok: bool, **fields: Any) -> web.Response:
    return web.json_response({"ok": ok, **fields})
