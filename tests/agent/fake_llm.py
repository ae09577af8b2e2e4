"""Local servers speaking the Anthropic Messages API and OpenAI Chat Completions, with scripted
answers: the real SDKs (anthropic, openai) and pydantic-ai's real model classes run against
them, streaming and tool calls included. Only the wire boundary is replaced."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from tests.conftest import free_port


@dataclass(frozen=True)
class Turn:
    """One model answer: a tool call with its input."""

    tool: str
    input: dict[str, Any]


@dataclass
class FakeProvider:
    script: list[Turn]
    api_key: str = "test-key"
    requests: list[dict[str, Any]] = field(default_factory=list)
    chunk_chars: int = 10
    port: int = 0
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def next_turn(self, document: dict[str, Any]) -> Turn:
        self.requests.append(document)
        answered = sum(1 for message in document.get("messages", []) if message.get("role") == "assistant")
        return self.script[min(answered, len(self.script) - 1)]

    def chunks(self, text: str) -> list[str]:
        return [text[start : start + self.chunk_chars] for start in range(0, len(text), self.chunk_chars)] or [""]

    def tool_results(self) -> list[str]:
        """What the SDK sent back as tool results (Anthropic tool_result blocks, OpenAI tool messages)."""
        return [
            _text_of(item)
            for document in self.requests
            for item in _walk(document)
            if item.get("type") == "tool_result" or item.get("role") == "tool"
        ]


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _text_of(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    return orjson.dumps(content).decode()


class FakeAnthropic(FakeProvider):
    """POST /v1/messages, JSON or SSE (message_start … message_stop, input_json_delta)."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self.messages)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get("x-api-key") or request.headers.get("Authorization", "").removeprefix(
            "Bearer "
        )
        if given != self.api_key:
            return web.json_response(
                {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
                status=401,
            )
        document = await request.json()
        turn = self.next_turn(document)
        tool_id = f"toolu_{next(self._ids):04d}"
        if not document.get("stream"):
            return web.json_response(
                {
                    "id": f"msg_{tool_id}",
                    "type": "message",
                    "role": "assistant",
                    "model": document["model"],
                    "content": [{"type": "tool_use", "id": tool_id, "name": turn.tool, "input": turn.input}],
                    "stop_reason": "tool_use",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 100, "output_tokens": 20},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await response.write(f"event: {event}\ndata: {orjson.dumps(data).decode()}\n\n".encode())

        await send(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": f"msg_{tool_id}",
                    "type": "message",
                    "role": "assistant",
                    "model": document["model"],
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 100, "output_tokens": 1},
                },
            },
        )
        await send(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "tool_use", "id": tool_id, "name": turn.tool, "input": {}},
            },
        )
        for piece in self.chunks(orjson.dumps(turn.input).decode()):
            await send(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
            )
        await send("content_block_stop", {"type": "content_block_stop", "index": 0})
        await send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 20},
            },
        )
        await send("message_stop", {"type": "message_stop"})
        await response.write_eof()
        return response


class FakeOpenAI(FakeProvider):
    """POST /v1/chat/completions, JSON or SSE chunks ending in [DONE]."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.completions)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response(
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
                status=401,
            )
        document = await request.json()
        turn = self.next_turn(document)
        call_id = f"call_{next(self._ids):04d}"
        arguments = orjson.dumps(turn.input).decode()
        base = {"id": f"chatcmpl-{call_id}", "created": 1_767_225_600, "model": document["model"]}
        if not document.get("stream"):
            return web.json_response(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "tool_calls",
                            "message": {
                                "role": "assistant",
                                "content": None,
                                "tool_calls": [
                                    {
                                        "id": call_id,
                                        "type": "function",
                                        "function": {"name": turn.tool, "arguments": arguments},
                                    }
                                ],
                            },
                        }
                    ],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await response.write(f"data: {orjson.dumps(chunk).decode()}\n\n".encode())

        await send(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": turn.tool, "arguments": ""},
                    }
                ],
            }
        )
        for piece in self.chunks(arguments):
            await send({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        await send({}, "tool_calls")
        usage = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
        await response.write(f"data: {orjson.dumps(usage).decode()}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response
