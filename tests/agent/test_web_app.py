"""The built web client served by the agent: the app at /, cached assets, its own routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from loglens.run import ReadSideServer
from tests.agent.conftest import Script, answer

INDEX = '<!doctype html><title>loglens</title><script type="module" src="/assets/index-Ab12Cd34.js"></script>'


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-Ab12Cd34.js").write_text("console.log('loglens')")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


async def fetch(http: aiohttp.ClientSession, server: ReadSideServer, path: str) -> tuple[int, str, dict[str, str]]:
    async with http.get(f"http://127.0.0.1:{server.port}{path}") as response:
        return response.status, await response.text(), dict(response.headers)


async def test_the_app_is_served_at_the_root_with_its_routes_as_fallback(
    agent_server: Any, http: aiohttp.ClientSession, dist: Path
) -> None:
    server = await agent_server(Script(answer("SELECT 1")).choice(), web_dir=dist)
    status, body, headers = await fetch(http, server, "/")
    assert (status, body) == (200, INDEX)
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Type"].startswith("text/html")
    status, body, headers = await fetch(http, server, "/assets/index-Ab12Cd34.js")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, _, headers = await fetch(http, server, "/favicon.svg")
    assert (status, headers["Cache-Control"]) == (200, "no-cache")
    for page in ("/explore", "/live", "/questions", "/explore/deep/link"):
        assert (await fetch(http, server, page))[:2] == (200, INDEX)
    # A missing file is 404, not the app; nothing outside the build is reachable.
    assert (await fetch(http, server, "/assets/gone-1234.js"))[0] == 404
    assert (await fetch(http, server, "/../secret.txt"))[1] != "not for the web"
    assert (await fetch(http, server, "/%2e%2e/secret.txt"))[1] != "not for the web"
    # The API keeps its routes.
    status, body, _ = await fetch(http, server, "/history")
    assert status == 200
    assert body.startswith('{"items"')


async def test_an_unbuilt_app_says_how_to_build_it(
    agent_server: Any, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server = await agent_server(Script(answer("SELECT 1")).choice(), web_dir=tmp_path / "nothing")
    status, body, _ = await fetch(http, server, "/")
    assert status == 503
    assert "make up" in body


async def test_the_app_needs_no_token_but_its_data_does(
    agent_server: Any, http: aiohttp.ClientSession, dist: Path
) -> None:
    server = await agent_server(Script(answer("SELECT 1")).choice(), web_dir=dist, api_token="s3cret")
    assert (await fetch(http, server, "/"))[0] == 200
    assert (await fetch(http, server, "/assets/index-Ab12Cd34.js"))[0] == 200
    assert (await fetch(http, server, "/logs"))[0] == 401
