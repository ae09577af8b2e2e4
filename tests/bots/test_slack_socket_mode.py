"""Socket Mode: with SLACK_APP_TOKEN the bot connects out to Slack (apps.connections.open, then
a WebSocket) instead of listening; events arrive in envelopes that it acknowledges."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.agent.conftest import answer
from tests.bots.conftest import ALICE, CHANNEL, ERRORS_LAST_HOUR, ByQuestion, envelope
from tests.bots.fake_slack import APP_TOKEN, BOT_USER, FakeSlack
from tests.conftest import eventually


@pytest.mark.usefixtures("logs")
async def test_socket_mode_is_chosen_with_an_app_token_and_answers_in_the_thread(
    start_bot: Any, slack: FakeSlack
) -> None:
    scripted = ByQuestion({"last hour": answer(ERRORS_LAST_HOUR, "There were 3 errors in the last hour.")})
    bot = await start_bot(scripted.choice(), slack_app_token=APP_TOKEN, slack_signing_secret=None)

    assert bot.server.slack is not None
    assert bot.server.slack.transport == "socket"
    await asyncio.wait_for(slack.socket_connected.wait(), timeout=10)
    assert len(slack.called("apps.connections.open")) == 1  # the fake answers only the app token
    # Nothing listens for HTTP events: Socket Mode needs no public address.
    async with bot.http.post(bot.events_url, data=b"{}") as response:
        assert response.status == 405  # only the web client's catch-all GET matches the path

    message = slack.user_posts(CHANNEL, ALICE, f"<@{BOT_USER}> how many errors in the last hour?")
    await slack.socket_send(
        {
            "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": envelope({**message, "type": "app_mention"}),
        }
    )
    await eventually(lambda: {"envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf"} in slack.socket_acks)
    [reply] = await bot.answers(CHANNEL, message["ts"])
    assert reply["text"] == "There were 3 errors in the last hour."
    assert len(slack.updates_of(CHANNEL, reply["ts"])) >= 2

    # A slash command's immediate answer travels back in the acknowledgement.
    await slack.socket_send(
        {
            "envelope_id": "3a1b9b6e-0c5e-4a53-9f0b-5d7f1d2f6c11",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "team_id": "T0000001",
                "channel_id": CHANNEL,
                "user_id": ALICE,
                "command": "/loglens",
                "text": "help",
                "api_app_id": "A0000001",
                "response_url": slack.response_url("socket-command"),
                "trigger_id": "1337.44.ijkl",
            },
        }
    )
    await eventually(lambda: any(a.get("envelope_id", "").startswith("3a1b9b6e") for a in slack.socket_acks))
    ack = next(a for a in slack.socket_acks if a["envelope_id"].startswith("3a1b9b6e"))
    assert "/loglens How many errors happened in the last hour?" in ack["payload"]["text"]
