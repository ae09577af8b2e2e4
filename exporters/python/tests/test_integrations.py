"""Each framework integration writes one log per request (method, route, status,
``duration_ms``, errors with their stack trace) and gives every log of a request its trace
id and the user set while serving it. Requests go through each framework's own test client;
the logs go through the real exporter to a real ``loglens up``."""

from __future__ import annotations

import asyncio
import logging
import sys
import types
from collections.abc import Callable
from typing import Any

import asyncpg
import orjson
import pytest

import loglens_exporter
from tests.conftest import LoglensProcess, wait_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
app_log = logging.getLogger("shop.views")


def show_user(user_id: str) -> dict[str, str]:
    loglens_exporter.set_user(user_id)
    app_log.info("showing the profile")
    return {"user": user_id}


def fail() -> dict[str, str]:
    raise RuntimeError("the basket service is down")


async def run_requests(loglens_up: LoglensProcess, send: Callable[[], None]) -> None:
    loglens_exporter.configure(service="shop", endpoint=loglens_up.http_url)
    await asyncio.to_thread(send)
    assert loglens_exporter.flush(10)


async def assert_request_logs(db: asyncpg.Connection, route: str, framework_error_logs: int = 0) -> None:
    expected = 4 + framework_error_logs
    # The test clients log each request too (httpx, at INFO): the app's logs are the others.
    count = "SELECT count(*) FROM logs WHERE metadata->>'otel.scope.name' NOT LIKE 'httpx%'"
    assert await wait_for(count, db, expected) == expected
    requests = {
        row["message"].split(" → ")[0]: row
        for row in await db.fetch("SELECT * FROM logs WHERE metadata->>'otel.scope.name' = 'loglens.requests'")
    }
    assert set(requests) == {"GET /users/42", "GET /boom", "GET /missing"}

    shown = requests["GET /users/42"]
    assert (shown["level"], shown["method"], shown["path"], shown["user_id"]) == ("INFO", "GET", route, "42")
    assert shown["trace_id"] == TRACE_ID
    assert shown["duration_ms"] >= 0
    metadata = orjson.loads(shown["metadata"])
    assert (metadata["http_status"], metadata["url.path"]) == (200, "/users/42")
    view_log = await db.fetchrow("SELECT * FROM logs WHERE message = 'showing the profile'")
    assert (view_log["trace_id"], view_log["user_id"], view_log["service"]) == (TRACE_ID, "42", "shop")

    boom = requests["GET /boom"]
    assert (boom["level"], boom["error_type"]) == ("ERROR", "RuntimeError")
    assert "the basket service is down" in boom["stack_trace"]
    assert orjson.loads(boom["metadata"])["http_status"] == 500
    assert boom["trace_id"] not in (None, TRACE_ID)  # a new trace per request

    missing = requests["GET /missing"]
    assert (missing["level"], orjson.loads(missing["metadata"])["http_status"]) == ("WARN", 404)


async def test_fastapi(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from loglens_exporter.integrations.asgi import LoglensMiddleware

    app = FastAPI()
    app.add_middleware(LoglensMiddleware)
    app.get("/users/{user_id}")(show_user)
    app.get("/boom")(fail)

    def send() -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/users/42", headers={"traceparent": TRACEPARENT}).status_code == 200
            assert client.get("/boom").status_code == 500
            assert client.get("/missing").status_code == 404

    await run_requests(loglens_up, send)
    await assert_request_logs(db, "/users/{user_id}")


async def test_starlette_async_endpoints(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from loglens_exporter.integrations.asgi import LoglensMiddleware

    async def user(request: Request) -> JSONResponse:
        return JSONResponse(show_user(request.path_params["user_id"]))

    async def boom(_request: Request) -> JSONResponse:
        return JSONResponse(fail())

    app = Starlette(
        routes=[Route("/users/{user_id}", user), Route("/boom", boom)],
        middleware=[Middleware(LoglensMiddleware)],
    )

    def send() -> None:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/users/42", headers={"traceparent": TRACEPARENT}).status_code == 200
            assert client.get("/boom").status_code == 500
            assert client.get("/missing").status_code == 404

    await run_requests(loglens_up, send)
    await assert_request_logs(db, "/users/{user_id}")


async def test_flask(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    from flask import Flask

    from loglens_exporter.integrations.flask import init_app

    app = Flask("shop")
    init_app(app)
    app.get("/users/<user_id>")(show_user)
    app.get("/boom")(fail)

    def send() -> None:
        client = app.test_client()
        assert client.get("/users/42", headers={"traceparent": TRACEPARENT}).status_code == 200
        assert client.get("/boom").status_code == 500
        assert client.get("/missing").status_code == 404

    await run_requests(loglens_up, send)
    # Flask logs the unhandled exception itself ("Exception on /boom [GET]"): that ships too.
    await assert_request_logs(db, "/users/<user_id>", framework_error_logs=1)
    flask_error = await db.fetchrow("SELECT * FROM logs WHERE message LIKE 'Exception on /boom%'")
    assert flask_error["error_type"] == "RuntimeError"


def django_views() -> types.ModuleType:
    from django.http import HttpRequest, JsonResponse
    from django.urls import path

    module = types.ModuleType("loglens_test_django_urls")

    def user(_request: HttpRequest, user_id: str) -> JsonResponse:
        return JsonResponse(show_user(user_id))

    def boom(_request: HttpRequest) -> JsonResponse:
        return JsonResponse(fail())

    module.urlpatterns = [path("users/<str:user_id>", user), path("boom", boom)]  # type: ignore[attr-defined]
    return module


@pytest.fixture(scope="module")
def django_app() -> Any:
    import django
    from django.conf import settings

    if not settings.configured:
        sys.modules["loglens_test_django_urls"] = django_views()
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF="loglens_test_django_urls",
            MIDDLEWARE=["loglens_exporter.integrations.django.LoglensMiddleware"],
            SECRET_KEY="tests-only",
            LOGGING_CONFIG=None,
        )
        django.setup()
    from django.test import Client

    return Client(raise_request_exception=False)


async def test_django(loglens_up: LoglensProcess, db: asyncpg.Connection, django_app: Any) -> None:
    def send() -> None:
        assert django_app.get("/users/42", headers={"traceparent": TRACEPARENT}).status_code == 200
        assert django_app.get("/boom").status_code == 500
        assert django_app.get("/missing").status_code == 404

    await run_requests(loglens_up, send)
    # Django logs server errors and not-found pages itself (django.request): those ship too.
    await assert_request_logs(db, "/users/<str:user_id>", framework_error_logs=2)
