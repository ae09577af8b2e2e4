"""Browsers send logs straight to OTLP/HTTP from the origins named in LOGLENS_CORS_ORIGINS,
and from no other; without the setting the port answers no CORS request at all."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from pydantic import ValidationError

from loglens.collector.server import Collector
from loglens.settings import Settings
from tests.conftest import settings_for_tests
from tests.otlp_payloads import record, request

APP = "http://app.example.test:3000"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, content-encoding",
}


@pytest.fixture
async def cors_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(cors_origins=f"{APP}, https://other.example.test"), dsn)
    await running.start()
    yield running
    await running.stop()


def url(collector: Collector, path: str = "/v1/logs") -> str:
    return f"http://127.0.0.1:{collector.ports.otlp_http}{path}"


async def test_a_configured_origin_passes_the_preflight_and_its_logs_land(
    cors_collector: Collector, db: asyncpg.Connection
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.options(url(cors_collector), headers=PREFLIGHT) as preflight:
            assert preflight.status == 204
            assert preflight.headers["Access-Control-Allow-Origin"] == APP
            assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
            allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
            assert "content-type" in allowed
            assert "content-encoding" in allowed
            assert preflight.headers["Vary"] == "Origin"
        body = gzip.compress(request(record("clicked checkout")).SerializeToString())
        headers = {"Origin": APP, "Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
        async with http.post(url(cors_collector), data=body, headers=headers) as answer:
            assert answer.status == 200
            assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert await db.fetchval("SELECT message FROM logs") == "clicked checkout"


async def test_errors_are_readable_by_the_page_so_it_can_retry(cors_collector: Collector) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url(cors_collector),
            data=b"not protobuf",
            headers={"Origin": APP, "Content-Type": "application/x-protobuf"},
        ) as answer,
    ):
        assert answer.status == 400
        assert answer.headers["Access-Control-Allow-Origin"] == APP


async def test_other_origins_get_no_cors_headers(cors_collector: Collector) -> None:
    evil = {**PREFLIGHT, "Origin": "https://evil.example.test"}
    async with aiohttp.ClientSession() as http:
        async with http.options(url(cors_collector), headers=evil) as preflight:
            assert preflight.status == 403
            assert "Access-Control-Allow-Origin" not in preflight.headers
        body = request(record("x")).SerializeToString()
        headers = {"Origin": "https://evil.example.test", "Content-Type": "application/x-protobuf"}
        async with http.post(url(cors_collector), data=body, headers=headers) as answer:
            assert "Access-Control-Allow-Origin" not in answer.headers


async def test_without_the_setting_there_is_no_cors(collector: Collector) -> None:
    async with aiohttp.ClientSession() as http, http.options(url(collector), headers=PREFLIGHT) as preflight:
        assert preflight.status == 405
        assert "Access-Control-Allow-Origin" not in preflight.headers


async def test_a_star_allows_any_origin(dsn: str) -> None:
    running = Collector(settings_for_tests(cors_origins="*"), dsn)
    await running.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.options(url(running, "/logs"), headers=PREFLIGHT) as answer,
        ):
            assert answer.status == 204
            assert answer.headers["Access-Control-Allow-Origin"] == APP
    finally:
        await running.stop()


def test_origins_are_read_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLENS_CORS_ORIGINS", " https://a.example.test ,http://localhost:5173,")
    assert Settings().cors_origin_set == {"https://a.example.test", "http://localhost:5173"}
    monkeypatch.setenv("LOGLENS_CORS_ORIGINS", "https://a.example.test/path")
    with pytest.raises(ValidationError, match="LOGLENS_CORS_ORIGINS"):
        Settings()
