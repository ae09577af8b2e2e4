"""The forward protocol's shared-key handshake (and user authentication), with a bare client
and with Node's fluent-logger; clients that fail it store nothing."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from fluent import sender
from pydantic import ValidationError

from loglens.collector.server import Collector
from loglens.settings import Settings
from tests.conftest import eventually, settings_for_tests
from tests.forward_client import ForwardClient, message, new_chunk
from tests.node_client import send_with_node

SHARED_KEY = "correct horse battery staple"
SERVER_NAME = "loglens.test"
T0 = 1_767_225_600


@pytest.fixture
async def guarded(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(forward_shared_key=SHARED_KEY, forward_self_hostname=SERVER_NAME), dsn)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def guarded_with_user(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(
        settings_for_tests(
            forward_shared_key=SHARED_KEY,
            forward_self_hostname=SERVER_NAME,
            forward_username="shipper",
            forward_password="hunter2",
        ),
        dsn,
    )
    await running.start()
    yield running
    await running.stop()


async def authenticated_client_stores(collector: Collector, text: str, **credentials: str) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    pong = await client.handshake(SHARED_KEY, **credentials)
    assert pong[:4] == ["PONG", True, "", SERVER_NAME]
    chunk = new_chunk()
    await client.send(message("app.secured", T0, {"message": text}, chunk))
    assert await client.acks(1) == [chunk]
    await client.close()


async def test_the_right_shared_key_passes_and_the_server_proves_it_knows_it(
    guarded: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(guarded.ports.forward)
    pong = await client.handshake(SHARED_KEY, hostname="shipper-1.test")

    assert pong[:4] == ["PONG", True, "", SERVER_NAME]
    proof = hashlib.sha512(
        client.salt.encode() + SERVER_NAME.encode() + client.nonce + SHARED_KEY.encode()
    ).hexdigest()
    assert pong[4] == proof
    chunk = new_chunk()
    await client.send(message("app.secured", T0, {"message": "through the handshake"}, chunk))
    assert await client.acks(1) == [chunk]
    await client.close()
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["through the handshake"]


async def test_a_wrong_shared_key_is_refused(
    guarded: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    client = await ForwardClient.connect(guarded.ports.forward)
    pong = await client.handshake("not the key")

    assert pong == ["PONG", False, "shared_key mismatch", "", ""]
    await client.send(message("app.intruder", T0, {"message": "let me in"}, new_chunk()))
    assert await client.closed_by_server() == []
    assert "used another shared key than LOGLENS_FORWARD_SHARED_KEY" in caplog.text
    await client.close()

    await authenticated_client_stores(guarded, "still serves")
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["still serves"]


async def test_a_client_that_skips_the_handshake_stores_nothing(
    guarded: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    plain = sender.FluentSender("app", host="127.0.0.1", port=guarded.ports.forward, timeout=3.0)
    plain.emit("payments", {"message": "no shared key configured"})

    await eventually(lambda: "did not answer HELO with PING" in caplog.text)
    plain.close()
    await authenticated_client_stores(guarded, "still serves")
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["still serves"]


async def test_user_authentication(
    guarded_with_user: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    client = await ForwardClient.connect(guarded_with_user.ports.forward)
    pong = await client.handshake(SHARED_KEY, username="shipper", password="wrong")
    assert pong == ["PONG", False, "username/password mismatch", "", ""]
    assert await client.closed_by_server() == []
    assert "another username or password" in caplog.text
    await client.close()

    await authenticated_client_stores(guarded_with_user, "user ok", username="shipper", password="hunter2")
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["user ok"]


async def test_node_fluent_logger_with_the_shared_key(guarded: Collector, db: asyncpg.Connection) -> None:
    records = [{"label": "checkout", "data": {"message": f"order {n}", "level": "info"}} for n in range(5)]
    security = {"clientHostname": "node-app.test", "sharedKey": SHARED_KEY}

    result = await send_with_node(guarded.ports.forward, records, security=security)

    assert result.errors == []
    assert result.acknowledged == 5
    assert await db.fetchval("SELECT count(*) FROM logs WHERE service = 'checkout'") == 5


async def test_node_fluent_logger_with_a_wrong_key(guarded: Collector, db: asyncpg.Connection) -> None:
    records = [{"label": "checkout", "data": {"message": "refused"}}]
    security = {"clientHostname": "node-app.test", "sharedKey": "guessed"}

    result = await send_with_node(guarded.ports.forward, records, security=security, timeout_s=3)

    assert result.acknowledged == 0
    assert any("shared_key mismatch" in error for error in result.errors), result.errors
    await authenticated_client_stores(guarded, "still serves")
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["still serves"]


def test_half_configured_authentication_is_refused_at_startup() -> None:
    with pytest.raises(ValidationError, match="LOGLENS_FORWARD_USERNAME and LOGLENS_FORWARD_PASSWORD go"):
        Settings(forward_shared_key="k", forward_username="shipper")
    with pytest.raises(ValidationError, match="LOGLENS_FORWARD_USERNAME needs LOGLENS_FORWARD_SHARED_KEY"):
        Settings(forward_username="shipper", forward_password="hunter2")
    unset = Settings(forward_shared_key="", forward_username="", forward_password="")
    assert (unset.forward_shared_key, unset.forward_username) == (None, None), "empty means unset"


async def test_the_ingest_token_guards_the_forward_port_too(dsn: str, db: asyncpg.Connection) -> None:
    """A token meant to protect every receiver must not leave the forward port open."""
    running = Collector(settings_for_tests(ingest_token=SHARED_KEY, forward_self_hostname=SERVER_NAME), dsn)
    await running.start()
    try:
        intruder = await ForwardClient.connect(running.ports.forward)
        assert (await intruder.handshake("no idea"))[:3] == ["PONG", False, "shared_key mismatch"]
        await intruder.close()
        await authenticated_client_stores(running, "with the ingest token as the key")
    finally:
        await running.stop()
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["with the ingest token as the key"]


async def health(collector: Collector) -> dict[str, object]:
    url = f"http://127.0.0.1:{collector.ports.otlp_http}/health"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        answer: dict[str, object] = await response.json()
        return answer


def refused(collector: Collector, count: int) -> bool:
    return collector.forward.unauthenticated == count


async def test_a_logger_without_shared_key_support_is_named_in_the_log_and_counted(
    dsn: str, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """Python's fluent-logger cannot run the handshake the ingest token asks for, nor say it was
    refused: loglens names its address and the setting, once a minute, and counts every refusal."""
    running = Collector(settings_for_tests(ingest_token=SHARED_KEY, forward_self_hostname=SERVER_NAME), dsn)
    await running.start()
    try:
        for attempt in range(2):
            plain = sender.FluentSender("app", host="127.0.0.1", port=running.ports.forward, timeout=3.0)
            plain.emit("payments", {"message": f"no shared key, attempt {attempt}"})
            await eventually(functools.partial(refused, running, attempt + 1))
            plain.close()
        messages = [record.getMessage() for record in caplog.records]
        warnings = [text for text in messages if "without the shared-key handshake" in text]
        answer = await health(running)
        await authenticated_client_stores(running, "stored once the key is given")
    finally:
        await running.stop()
    assert len(warnings) == 1, warnings
    assert "forward client 127.0.0.1:" in warnings[0]
    assert "LOGLENS_INGEST_TOKEN" in warnings[0]
    assert answer["forward"] == {"unauthenticated": 2}
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["stored once the key is given"]
