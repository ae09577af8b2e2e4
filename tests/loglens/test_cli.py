"""The ``loglens`` command: its own PostgreSQL by default, demo data, migrations, settings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import asyncpg
import orjson
import pytest

from loglens.database.embedded import EmbeddedPostgres
from tests.conftest import start_loglens, stop_loglens


def loglens(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    return subprocess.run(
        [sys.executable, "-m", "loglens.cli", *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def post_json(url: str, document: object) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=orjson.dumps(document), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = orjson.loads(response.read())
        return answer


async def test_without_a_database_url_loglens_runs_its_own_postgres(tmp_path: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="lle-"))
    env = {"LOGLENS_DATA_DIR": str(data_dir)}

    running = start_loglens(None, tmp_path, env=env)
    try:
        answer = post_json(f"{running.http_url}/logs", {"logs": [{"message": "kept across restarts"}]})
        assert answer["count"] == 1
    finally:
        stop_loglens(running)
    assert running.process.returncode == 0
    assert not (data_dir / "pg18" / "postmaster.pid").exists(), "the embedded server should be stopped on exit"

    running = start_loglens(None, tmp_path, env=env)
    try:
        server = EmbeddedPostgres(data_dir)
        connection = await asyncpg.connect(server.dsn)
        try:
            assert await connection.fetchval("SELECT array_agg(message) FROM logs") == ["kept across restarts"]
        finally:
            await connection.close()
    finally:
        stop_loglens(running)


async def test_demo_fills_an_empty_database_once(dsn: str, tmp_path: Path, db: asyncpg.Connection) -> None:
    running = start_loglens(dsn, tmp_path, "--demo")
    stop_loglens(running)
    assert "demo data:" in running.output()
    count = await db.fetchval("SELECT count(*) FROM logs")
    assert count > 20_000
    assert await db.fetchval("SELECT count(DISTINCT service) FROM logs") >= 8
    incident = await db.fetchval(
        "SELECT count(*) FROM logs WHERE level >= 'ERROR' AND created_at > now() - interval '1 hour'"
    )
    assert incident > 100
    slowest = await db.fetchval(
        "SELECT path FROM logs WHERE duration_ms IS NOT NULL AND log_type = 'BACKEND' "
        "GROUP BY path ORDER BY avg(duration_ms) DESC LIMIT 1"
    )
    assert slowest == "/api/v1/search"
    frontend_errors = await db.fetchval(
        "SELECT count(*) FROM logs WHERE log_type = 'FRONTEND' AND level = 'ERROR' "
        "AND metadata ? 'browser' AND metadata ? 'device'"
    )
    assert frontend_errors > 10
    newest = await db.fetchval("SELECT max(created_at) FROM logs")
    assert dt.datetime.now(dt.UTC) - newest < dt.timedelta(minutes=5)

    running = start_loglens(dsn, tmp_path, "--demo")
    stop_loglens(running)
    assert "already holds logs" in running.output()
    assert await db.fetchval("SELECT count(*) FROM logs") == count


async def test_db_migrate_is_idempotent(dsn: str, db: asyncpg.Connection) -> None:
    for _ in range(2):
        result = loglens("db", "migrate", env={"LOGLENS_DATABASE_URL": dsn})
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout
    versions = await db.fetch("SELECT version, name FROM loglens_migrations ORDER BY version")
    assert next(tuple(row) for row in versions) == (1, "logs")
    assert len(versions) == len({row["version"] for row in versions})


def test_an_invalid_setting_names_the_variable_to_fix() -> None:
    result = loglens("up", env={"LOGLENS_OTLP_HTTP_PORT": "99999"})
    assert result.returncode != 0
    assert "LOGLENS_OTLP_HTTP_PORT" in result.stderr
    result = loglens("up", env={"LOGLENS_DATABASE_URL": "mysql://root@localhost/logs"})
    assert "LOGLENS_DATABASE_URL must be a postgresql:// URL" in result.stderr


def test_a_time_zone_that_is_not_one_is_refused_by_name() -> None:
    result = loglens("ask", "errors?", env={"LOGLENS_TIMEZONE": "Asia/Soul"})
    assert result.returncode != 0
    assert "LOGLENS_TIMEZONE: 'Asia/Soul' is not an IANA time zone" in result.stderr


def test_forward_settings_that_cannot_work_are_refused() -> None:
    result = loglens("up", env={"LOGLENS_FORWARD_USERNAME": "shipper", "LOGLENS_FORWARD_SHARED_KEY": "k"})
    assert result.returncode != 0
    assert "LOGLENS_FORWARD_USERNAME and LOGLENS_FORWARD_PASSWORD go together" in result.stderr


async def test_a_second_loglens_cannot_share_the_forward_port(dsn: str, tmp_path: Path) -> None:
    first = start_loglens(dsn, tmp_path)
    try:
        # One worker says so itself, several are checked for first: either way, the port is named.
        refused = rf"cannot listen (on|for Fluentd forward on) 127\.0\.0\.1:{first.forward_port}"
        with pytest.raises(RuntimeError, match=refused):
            start_loglens(dsn, tmp_path, "--forward-port", str(first.forward_port))
    finally:
        stop_loglens(first)
