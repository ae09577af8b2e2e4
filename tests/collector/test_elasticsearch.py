"""The Elasticsearch-compatible API (collector/receivers/elasticsearch.py), driven by the real
``elasticsearch`` Python client and its bulk helpers (run in a thread: the client is synchronous
and the collector serves on this test's event loop)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest
from elasticsearch import AuthenticationException, Elasticsearch, helpers

from loglens.collector.mapping.shipper import MESSAGE_REQUIRED
from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from tests.conftest import settings_for_tests

T0 = dt.datetime(2026, 12, 3, 9, 0, 0, tzinfo=dt.UTC)
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
SERVICES = ("checkout", "payment", "search")
TOKEN = "es-ingest-token"


def url(collector: Collector) -> str:
    return f"http://127.0.0.1:{collector.ports.otlp_http}"


def client(collector: Collector, **options: Any) -> Elasticsearch:
    return Elasticsearch(url(collector), request_timeout=60, **options)


def moment(number: int) -> dt.datetime:
    return T0 + dt.timedelta(milliseconds=number, microseconds=number % 1000)


def document(number: int) -> dict[str, Any]:
    """Documents shaped as different shippers shape them, with sub-second times."""
    at = moment(number)
    service, level = SERVICES[number % 3], LEVELS[number % 4]
    shape = number % 4
    if shape == 0:  # ECS, as Filebeat and ecs-logging write it
        return {
            "@timestamp": at.isoformat().replace("+00:00", "Z"),
            "message": f"event {number}",
            "log": {"level": level.lower()},
            "service": {"name": service},
            "host": {"name": "web-1"},
        }
    if shape == 1:  # Fluent Bit's es output (Logstash_Format): @timestamp, the record's own keys
        return {"@timestamp": at.isoformat(), "log": f"event {number}\n", "level": level, "service": service}
    if shape == 2:  # syslog-ng's format-json --scope rfc5424
        return {
            "ISODATE": at.isoformat(),
            "MESSAGE": f"event {number}",
            "PRIORITY": _syslog(level),
            "PROGRAM": service,
        }
    return {"date": at.timestamp(), "msg": f"event {number}", "levelname": level, "service_name": service}


def _syslog(level: str) -> str:
    return {"DEBUG": "debug", "INFO": "info", "WARN": "warning", "ERROR": "err"}[level]


@pytest.fixture
async def guarded(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(ingest_token=TOKEN), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_bulk_helper_stores_ten_thousand_documents_once_with_their_columns(
    collector: Collector, db: asyncpg.Connection
) -> None:
    count = 10_000

    def send() -> tuple[int, list[Any]]:
        with client(collector) as es:
            assert es.info()["version"]["number"].startswith("8.")
            actions = ({"_index": "app-logs", "_source": document(n)} for n in range(count))
            stored, errors = helpers.bulk(es, actions, chunk_size=1000)
            return stored, list(errors) if isinstance(errors, list) else []

    stored, errors = await asyncio.to_thread(send)
    assert (stored, errors) == (count, [])

    rows = await db.fetch("SELECT message, service, level::text, created_at, metadata FROM logs")
    assert len(rows) == count
    by_message = {row["message"]: row for row in rows}
    assert len(by_message) == count  # every one once
    for n in range(count):
        row = by_message[f"event {n}"]
        assert (row["service"], row["level"], row["created_at"]) == (SERVICES[n % 3], LEVELS[n % 4], moment(n))
    ecs = orjson.loads(by_message["event 0"]["metadata"])
    assert (ecs["_index"], ecs["host.name"]) == ("app-logs", "web-1")


async def test_bad_documents_are_item_errors_and_the_good_ones_are_stored(
    collector: Collector, db: asyncpg.Connection
) -> None:
    actions: list[dict[str, Any]] = [
        {"_index": "logs", "_source": {"message": "good 1", "level": "warn"}},
        {"_index": "logs", "_source": {"level": "error", "text": "no message key"}},
        {"_op_type": "create", "_index": "logs", "_id": "c-1", "_source": {"message": "good 2"}},
        {"_op_type": "delete", "_index": "logs", "_id": "c-1"},
        {"_op_type": "update", "_index": "logs", "_id": "c-1", "doc": {"message": "changed"}},
        {"_index": "logs", "_source": {"message": "nul \u0000 inside"}},
        {"_index": "logs", "_source": {"message": "good 3", "service": "s" * 101}},
        {"_index": "logs", "_source": {"message": "good 4"}},
    ]

    def send() -> list[tuple[bool, dict[str, Any]]]:
        with client(collector) as es:
            return list(helpers.streaming_bulk(es, actions, raise_on_error=False, max_retries=0))

    results = await asyncio.to_thread(send)
    assert [ok for ok, _ in results] == [True, False, True, False, False, False, False, True]
    failures = [next(iter(item.values())) for ok, item in results if not ok]
    assert {failure["status"] for failure in failures} == {400}
    reasons = [failure["error"]["reason"] for failure in failures]
    assert reasons[0] == MESSAGE_REQUIRED
    assert "'delete' action is not supported" in reasons[1]
    assert "'update' action is not supported" in reasons[2]
    assert "NUL" in reasons[3]
    assert "service is 101 characters long" in reasons[4]
    created = next(iter(results[2][1].values()))
    assert (created["_id"], created["status"], created["result"]) == ("c-1", 201, "created")
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == [
        "good 1",
        "good 2",
        "good 4",
    ]
    assert orjson.loads(await db.fetchval("SELECT metadata FROM logs WHERE message = 'good 2'"))["_id"] == "c-1"


async def test_single_documents_and_gzip_bodies(collector: Collector, db: asyncpg.Connection) -> None:
    def send() -> tuple[Any, Any]:
        with client(collector, http_compress=True) as es:
            one = es.index(index="orders", document={"message": "one document", "userId": "u7"})
            two = es.create(index="orders", id="o-2", document={"message": "created", "level": "error"})
            helpers.bulk(es, [{"_index": "orders", "message": f"zipped {n}"} for n in range(50)])
            return one.body, two.body

    one, two = await asyncio.to_thread(send)
    assert (one["result"], two["result"], two["_id"]) == ("created", "created", "o-2")
    row = await db.fetchrow("SELECT user_id, level::text FROM logs WHERE message = 'one document'")
    assert row is not None
    assert row["user_id"] == "u7"
    assert await db.fetchval("SELECT level::text FROM logs WHERE message = 'created'") == "ERROR"
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message LIKE 'zipped %'") == 50


@pytest.mark.parametrize(
    "credentials",
    [
        {"basic_auth": ("elastic", TOKEN)},
        {"api_key": TOKEN},
        {"api_key": ("key-id", TOKEN)},
        {"bearer_auth": TOKEN},
    ],
)
async def test_the_ingest_token_as_each_client_sends_it(
    guarded: Collector, db: asyncpg.Connection, credentials: dict[str, Any]
) -> None:
    def send() -> int:
        with client(guarded, **credentials) as es:
            stored, _ = helpers.bulk(es, [{"_index": "logs", "message": "with token"}])
            return stored

    assert await asyncio.to_thread(send) == 1
    assert await db.fetchval("SELECT count(*) FROM logs") == 1


async def test_without_the_token_nothing_is_stored(guarded: Collector, db: asyncpg.Connection) -> None:
    def send(**credentials: Any) -> None:
        with client(guarded, **credentials) as es:
            helpers.bulk(es, [{"_index": "logs", "message": "no token"}])

    with pytest.raises(AuthenticationException):
        await asyncio.to_thread(send)
    with pytest.raises(AuthenticationException):
        await asyncio.to_thread(send, basic_auth=("elastic", "wrong"))
    assert await db.fetchval("SELECT count(*) FROM logs") == 0


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_probes_shippers_make_at_start(collector: Collector, http: aiohttp.ClientSession) -> None:
    base = url(collector)
    async with http.head(f"{base}/filebeat-8.17.0") as response:
        assert (response.status, response.headers["X-Elastic-Product"]) == (200, "Elasticsearch")
    async with http.get(f"{base}/_license") as response:
        assert (await response.json())["license"]["status"] == "active"
    async with http.get(f"{base}/_nodes/http") as response:
        nodes = (await response.json())["nodes"]
        assert [node["http"]["publish_address"] for node in nodes.values()] == [
            f"127.0.0.1:{collector.ports.otlp_http}"
        ]
    async with http.get(f"{base}/_cluster/health") as response:
        assert (await response.json())["status"] == "green"
    async with http.get(f"{base}/_index_template/logstash") as response:
        assert response.status == 404
    template = {"index_patterns": ["logstash-*"], "template": {"settings": {}}}
    async with http.put(f"{base}/_index_template/logstash", json=template) as response:
        assert await response.json() == {"acknowledged": True}
    async with http.get(f"{base}/_index_template/logstash") as response:
        assert (await response.json())["index_templates"] == [{"name": "logstash", "index_template": template}]
    async with http.put(f"{base}/_template/legacy", json={"order": 0}) as response:
        assert response.status == 200
    async with http.get(f"{base}/_template/legacy") as response:
        assert await response.json() == {"legacy": {"order": 0}}


async def test_a_body_whose_actions_cannot_be_read_is_refused_whole(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    base = url(collector)
    bodies = [
        b'{"index": {}}\n{"message": "a"}\n{"message": "a document where an action belongs"}\n',
        b'{"index": {"_index": "logs"}}\n',  # no document line
        b'{"upsert": {}}\n{"message": "x"}\n',
        b"not json at all\n",
    ]
    for body in bodies:
        async with http.post(
            f"{base}/logs/_bulk", data=gzip.compress(body), headers={"Content-Encoding": "gzip"}
        ) as response:
            answer = await response.json()
            assert response.status == 400, answer
            assert answer["error"]["type"] == "illegal_argument_exception"
    assert await db.fetchval("SELECT count(*) FROM logs") == 0


async def test_the_index_of_the_path_and_unreadable_documents(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = b'{"index": {}}\n{"message": "from the path"}\n{"create": {}}\n{"message": broken\n'
    async with http.post(f"{url(collector)}/web-logs/_bulk", data=body) as response:
        answer = await response.json()
    assert (response.status, answer["errors"]) == (200, True)
    assert [item[action]["status"] for item, action in zip(answer["items"], ("index", "create"), strict=True)] == [
        201,
        400,
    ]
    assert "not valid JSON" in answer["items"][1]["create"]["error"]["reason"]
    metadata = orjson.loads(await db.fetchval("SELECT metadata FROM logs"))
    assert metadata == {"_index": "web-logs"}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_the_json_api_takes_the_token_as_a_basic_password_too(
    guarded: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    target = f"{url(guarded)}/logs"
    for authorization, status in ((_basic("fluent-bit", TOKEN), 200), (_basic("fluent-bit", "nope"), 401)):
        async with http.post(
            target, json={"log": "raw tail line", "date": 1.7e9}, headers={"Authorization": authorization}
        ) as response:
            assert response.status == status, await response.text()
    assert await db.fetchval("SELECT message FROM logs") == "raw tail line"


async def test_a_body_resent_with_every_id_is_stored_once(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    """Fluent Bit (Generate_ID On) resends a whole chunk when any item failed: the good
    documents are not stored again. Without ids, a body sent twice is stored twice, as
    Elasticsearch would store it."""
    lines = []
    for n in range(20):
        lines += [orjson.dumps({"create": {"_index": "fb", "_id": f"id-{n}"}}), orjson.dumps({"log": f"line {n}"})]
    lines += [orjson.dumps({"create": {"_index": "fb", "_id": "bad"}}), orjson.dumps({"no": "message"})]
    with_ids = b"\n".join(lines) + b"\n"
    without_ids = b'{"index": {"_index": "fb"}}\n{"log": "anonymous"}\n'
    answers = []
    for body in (with_ids, with_ids, without_ids, without_ids):
        async with http.post(f"{url(collector)}/_bulk", data=body) as response:
            assert response.status == 200
            answer = await response.json()
            answers.append(
                [(item["create" if "create" in item else "index"]["status"]) for item in answer["items"]]
            )
    assert answers[0] == answers[1] == [201] * 20 + [400]
    assert answers[2] == answers[3] == [201]
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message LIKE 'line %'") == 20
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs WHERE message LIKE 'line %'") == 20
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message = 'anonymous'") == 2


async def test_an_outage_is_answered_retryable_in_elasticsearchs_shape(own_postgres: EmbeddedPostgres) -> None:
    connection = await asyncpg.connect(own_postgres.dsn)
    await migrate(connection)
    await connection.close()
    running = Collector(settings_for_tests(commit_timeout_s=0.5), own_postgres.dsn)
    await running.start()
    target = f"{url(running)}/_bulk"
    try:
        async with aiohttp.ClientSession() as http:

            async def post(text: str) -> tuple[int, Any, Any]:
                body = orjson.dumps({"index": {"_index": "o"}}) + b"\n" + orjson.dumps({"message": text}) + b"\n"
                async with http.post(target, data=body) as response:
                    return response.status, response.headers, await response.json()

            await asyncio.to_thread(own_postgres.stop)
            own_postgres._started_here = False  # stopped by hand; start() below starts it again
            deadline = time.monotonic() + 30
            status, headers, answer = await post("during the outage")
            while status == 200 and time.monotonic() < deadline:
                status, headers, answer = await post("during the outage")
            assert status in (429, 503), answer
            assert int(headers["Retry-After"]) >= 1
            assert headers["X-Elastic-Product"] == "Elasticsearch"
            assert answer["status"] == status
            assert answer["error"]["type"] in ("unavailable_shards_exception", "es_rejected_execution_exception")

            await asyncio.to_thread(own_postgres.start)
            deadline = time.monotonic() + 60
            status, _, answer = await post("after the outage")
            while status != 200 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)  # the shipper's retry interval, not a wait for a condition
                status, _, answer = await post("after the outage")
            assert (status, answer["errors"]) == (200, False)
    finally:
        await running.stop()
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM logs WHERE message = 'after the outage'") == 1
    finally:
        await connection.close()
