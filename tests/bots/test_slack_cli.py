"""The bot as loglens runs it: configured from the environment (Slack's own variable names
work), inside `loglens up` when SLACK_BOT_TOKEN is set, and alone with `loglens serve slack`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from pydantic import ValidationError

from loglens.settings import Settings
from tests.bots.conftest import CHANNEL, SECRET, WEB, envelope, is_final, sign
from tests.bots.fake_slack import BOT_TOKEN, BOT_USER, FakeSlack
from tests.conftest import LoglensProcess, eventually, start_loglens, stop_loglens


def test_slack_is_configured_with_slacks_own_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("LOGLENS_SLACK_API_URL", "http://127.0.0.1:9999/api")
    settings = Settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1"
    assert settings.slack_transport == "http"
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"  # the SDK appends method names
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert Settings().slack_transport == "socket"
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")  # compose files pass "${SLACK_BOT_TOKEN:-}"
    assert Settings().slack_transport is None


def test_a_bot_token_without_a_way_to_hear_from_slack_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET"):
        Settings(slack_bot_token="xoxb-1")
    with pytest.raises(ValidationError, match="must be an http:// or https:// URL"):
        Settings(public_url="loglens.example.com")


def _environment(slack: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "LOGLENS_SLACK_API_URL": slack.api_url,
        "LOGLENS_PUBLIC_URL": WEB,
        "LOGLENS_LLM_PROVIDER": "offline",
    }


async def _ask_over_http(running: LoglensProcess, slack: FakeSlack) -> dict[str, Any]:
    message = slack.user_posts(CHANNEL, "U0000001", f"<@{BOT_USER}> How many errors happened in the last hour?")
    body = orjson.dumps(envelope({**message, "type": "app_mention"}))
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{running.agent_url}/slack/events",
            data=body,
            headers={"Content-Type": "application/json", **sign(body)},
        ) as response,
    ):
        assert response.status == 200

    def finals() -> list[dict[str, Any]]:
        return [m for m in slack.bot_replies(CHANNEL, message["ts"]) if is_final(m)]

    await eventually(lambda: bool(finals()), within_s=30)
    [reply] = finals()
    return reply


@pytest.mark.parametrize("command", [("up",), ("serve", "slack")])
@pytest.mark.usefixtures("logs")
async def test_loglens_runs_the_bot_when_slack_is_configured(
    dsn: str, slack: FakeSlack, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # In a thread: this loop serves the fake Slack, which loglens calls while it starts.
    running = await asyncio.to_thread(start_loglens, dsn, tmp_path, env=_environment(slack), command=command)
    try:
        assert f"Slack events http://127.0.0.1:{running.agent_port}/slack/events" in running.output()
        reply = await _ask_over_http(running, slack)
        assert "3 errors in the last hour" in reply["text"]
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{running.agent_url}/query", json={"question": "x"}) as r,
        ):
            # `serve slack` is the bot alone: the agent's query API is not there.
            assert r.status == (200 if command == ("up",) else 404)
    finally:
        await asyncio.to_thread(stop_loglens, running)
