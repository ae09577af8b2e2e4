"""What Slack must not be able to make the bot do, and failures it must explain: unsigned,
forged or stale requests are refused; a retried event is answered once; one person cannot
flood the database; a refused query, exhausted attempts, a database that is down, Slack
throttling us, or a shutdown all read as sentences. Each ends by showing the bot still answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from loglens.bots.slack import render
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.errors import ConfigurationError
from loglens.run import ReadSideServer
from tests.agent.conftest import SAMPLE_LOGS, answer, call, insert_logs
from tests.bots.conftest import (
    ALICE,
    BOB,
    CHANNEL,
    DM,
    ERRORS_LAST_HOUR,
    Bot,
    ByQuestion,
    bot_settings,
    envelope,
    sign,
)
from tests.bots.fake_slack import BOT_USER, FakeSlack
from tests.conftest import eventually

OFFLINE_QUESTION = "How many errors happened in the last hour?"


def scripted() -> ByQuestion:
    return ByQuestion(
        {
            "last hour": answer(ERRORS_LAST_HOUR, "There were 3 errors in the last hour.", "stat"),
            # a model talked into writing (prompt injection through a log line, say): the validator
            # refuses its SQL
            "tidy": [call("execute_sql", sql="DELETE FROM logs")],
            "missing": [call("execute_sql", sql="SELECT no_such_column FROM logs")],
            "weather": [
                call("cannot_answer", reason="Logs don't know the weather.", suggestions=["errors today?"])
            ],
        },
        pause_s=0.005,
    )


def reads_as_a_sentence(text: str) -> None:
    assert text[0].isupper(), text
    assert text.endswith("."), text
    for leak in ("Traceback", "{", "Error:", "\n"):
        assert leak not in text, text


async def still_answers(bot: Any, user: str = BOB, question: str = "how many errors in the last hour?") -> None:
    asked = await bot.mention(question, user=user)
    [reply] = await bot.answers(CHANNEL, asked["ts"])
    assert reply["blocks"][0]["text"]["text"].startswith("There were 3 errors in the last hour")


@pytest.mark.usefixtures("logs")
async def test_unsigned_forged_and_stale_requests_are_refused(start_bot: Any, slack: FakeSlack) -> None:
    bot = await start_bot(scripted().choice())
    message = slack.user_posts(CHANNEL, ALICE, f"<@{BOT_USER}> how many errors in the last hour?")
    body = orjson.dumps(envelope({**message, "type": "app_mention"}))
    url = bot.events_url

    attempts = {
        "unsigned": {},
        "wrong secret": sign(body, secret="not-the-signing-secret"),
        "stale (6 minutes old, correctly signed)": sign(body, timestamp=int(time.time()) - 360),
        "signature of another body": sign(body + b" "),
    }
    for name, headers in attempts.items():
        async with bot.http.post(url, data=body, headers={"Content-Type": "application/json", **headers}) as r:
            assert r.status == 401, name
    assert slack.called("chat.postMessage") == []

    await still_answers(bot)


@pytest.mark.usefixtures("logs")
async def test_slack_checks_the_url_with_a_signed_challenge(start_bot: Any) -> None:
    bot = await start_bot(scripted().choice())
    status, body = await bot.post(
        orjson.dumps(
            {
                "token": "t",
                "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                "type": "url_verification",
            }
        ),
        "application/json",
    )
    assert status == 200
    assert orjson.loads(body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


@pytest.mark.usefixtures("logs")
async def test_a_retried_event_is_answered_once(start_bot: Any, slack: FakeSlack) -> None:
    bot = await start_bot(scripted().choice())
    message = slack.user_posts(CHANNEL, ALICE, f"<@{BOT_USER}> how many errors in the last hour?")
    event = {**message, "type": "app_mention"}

    assert await bot.send_event(event, event_id="Ev0RETRY") == 200
    # Slack thought the first delivery was lost: it sends the same event again, twice.
    assert (
        await bot.send_event(
            event, "Ev0RETRY", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        == 200
    )
    await bot.answers(CHANNEL, message["ts"])
    assert (
        await bot.send_event(
            event, "Ev0RETRY", **{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
        )
        == 200
    )
    # A direct message that mentions the bot arrives as a message and as a mention: one answer too.
    dm = slack.user_posts(DM, ALICE, f"<@{BOT_USER}> how many errors in the last hour?")
    assert await bot.send_event({**dm, "channel_type": "im"}) == 200
    assert await bot.send_event({**dm, "type": "app_mention"}) == 200
    await bot.answers(DM, dm["ts"])

    await asyncio.sleep(0.5)
    assert len(slack.bot_replies(CHANNEL, message["ts"])) == 1
    assert len(slack.bot_replies(DM, dm["ts"])) == 1
    await still_answers(bot)


@pytest.mark.usefixtures("logs")
async def test_one_person_cannot_flood_the_database(start_bot: Any, slack: FakeSlack) -> None:
    bot = await start_bot(scripted().choice(), slack_questions_per_minute=2)

    asked = [await bot.mention("how many errors in the last hour?") for _ in range(3)]
    for question in asked[:2]:
        await bot.answers(CHANNEL, question["ts"])
    await eventually(lambda: bool(slack.called("chat.postEphemeral")))
    [told] = slack.called("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"], told.args["thread_ts"]) == (CHANNEL, ALICE, asked[2]["ts"])
    assert told.args["text"].startswith("You've asked 2 questions in the last minute")
    assert "please ask again in 30 seconds." in told.args["text"]
    assert slack.bot_replies(CHANNEL, asked[2]["ts"]) == []  # nothing ran for it
    acknowledged = await bot.command("errors in the last hour")
    assert acknowledged["text"].startswith("You've asked 2 questions in the last minute")

    await still_answers(bot, user=BOB)  # the limit is per person


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "how tidy are the logs?",
            "I couldn't answer that safely: the query was refused: only a SELECT query is allowed, not DELETE.",
        ),
        # a request to change the logs is refused in words before any model is asked
        ("delete the logs", "I couldn't answer that safely: loglens only reads logs: it cannot delete"),
        (
            "the missing column",
            "I couldn't answer that: no query worked in 3 attempts; the last problem: PostgreSQL cannot plan "
            'the query: column "no_such_column" does not exist',
        ),
        ("the weather", "Logs don't know the weather."),
    ],
)
@pytest.mark.usefixtures("logs")
async def test_a_failure_reads_as_a_sentence(start_bot: Any, question: str, expected: str) -> None:
    bot = await start_bot(scripted().choice())

    asked = await bot.mention(question)
    [reply] = await bot.answers(CHANNEL, asked["ts"])

    said = reply["blocks"][0]["text"]["text"]
    assert said.startswith(render.escape(expected).removesuffix(".")), said
    assert reply["text"] == said
    reads_as_a_sentence(reply["text"])
    buttons = [e["action_id"] for e in reply["blocks"][-1]["elements"]]
    assert buttons == [render.RUN_AGAIN, render.OPEN_WEB]  # no SQL to show
    if question == "the weather":
        assert reply["blocks"][1]["text"]["text"] == "Try one of these:"
        assert [button["value"] for button in reply["blocks"][2]["elements"]] == ["errors today?"]
    await still_answers(bot)


async def test_a_database_that_is_down_reads_as_a_sentence(
    own_postgres: EmbeddedPostgres, slack: FakeSlack
) -> None:
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        await migrate(connection)
        await insert_logs(connection, SAMPLE_LOGS)
    finally:
        await connection.close()
    server = ReadSideServer(bot_settings(slack, llm_provider="offline"), own_postgres.dsn)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            bot = Bot(server, slack, http)
            await bot.answers(CHANNEL, (await bot.mention(OFFLINE_QUESTION))["ts"])  # the schema is known

            await asyncio.to_thread(own_postgres.stop)
            own_postgres._started_here = False  # stopped by hand; start() below starts it again
            asked = await bot.mention(OFFLINE_QUESTION)
            [reply] = await bot.answers(CHANNEL, asked["ts"])
            reads_as_a_sentence(reply["text"])
            assert reply["text"].startswith("I couldn't answer that: PostgreSQL is unavailable")

            await asyncio.to_thread(own_postgres.start)
            asked = await bot.mention(OFFLINE_QUESTION)
            [reply] = await bot.answers(CHANNEL, asked["ts"])
            assert "3 errors in the last hour" in reply["text"]
    finally:
        await server.stop()


@pytest.mark.usefixtures("logs")
async def test_slack_throttling_an_update_delays_it_but_the_answer_lands(start_bot: Any, slack: FakeSlack) -> None:
    bot = await start_bot(scripted().choice())
    slack.rate_limited["chat.update"] = 1  # Slack answers 429, Retry-After: 1

    asked = await bot.mention("how many errors in the last hour?")
    [reply] = await bot.answers(CHANNEL, asked["ts"])

    assert reply["text"] == "There were 3 errors in the last hour."
    await still_answers(bot)


@pytest.mark.usefixtures("logs")
async def test_a_slash_command_where_the_bot_cannot_post_says_how_to_fix_it(
    start_bot: Any, slack: FakeSlack
) -> None:
    bot = await start_bot(scripted().choice())
    slack.closed_channels.add("C0PRIVATE")

    assert await bot.command("how many errors in the last hour?", channel="C0PRIVATE") == {}
    await eventually(lambda: bool(slack.responses))
    [told] = slack.responses
    assert told["text"].startswith("I can't post in this conversation: invite me first (`/invite @loglens`)")
    await still_answers(bot)


@pytest.mark.usefixtures("logs")
async def test_answers_still_running_at_shutdown_say_so(slack: FakeSlack, dsn: str) -> None:
    slow = ByQuestion({"last hour": answer(ERRORS_LAST_HOUR, "There were 3 errors.")}, pause_s=5)
    server = ReadSideServer(bot_settings(slack), dsn, slow.choice())
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            bot = Bot(server, slack, http)
            asked = await bot.mention("how many errors in the last hour?")
            await eventually(lambda: bool(slack.bot_replies(CHANNEL, asked["ts"])))
    finally:
        await server.stop()
    [reply] = slack.bot_replies(CHANNEL, asked["ts"])
    assert reply["text"] == "I couldn't answer that: loglens stopped before the answer was ready; ask again."


@pytest.mark.usefixtures("logs")
async def test_the_api_token_does_not_stand_in_for_slack_signatures(start_bot: Any) -> None:
    bot = await start_bot(scripted().choice(), api_token="web-client-token")
    async with bot.http.post(f"http://127.0.0.1:{bot.server.port}/query", json={"question": "x"}) as r:
        assert r.status == 401  # the API still wants its token
    await still_answers(bot)  # Slack's requests need none: their signature is checked instead


async def test_a_refused_bot_token_stops_loglens_with_the_variable_to_fix(slack: FakeSlack, dsn: str) -> None:
    server = ReadSideServer(bot_settings(slack, slack_bot_token="xoxb-revoked"), dsn)
    try:
        with pytest.raises(ConfigurationError, match=r"Slack refused SLACK_BOT_TOKEN \(invalid_auth\)"):
            await server.start()
    finally:
        await server.stop()
