"""The runnable examples run, and what they log lands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import LoglensProcess, wait_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(("example", "logs"), [("facade.py", 3), ("logging_app.py", 2)])
async def test_example_script_ships_its_logs(
    example: str, logs: int, loglens_up: LoglensProcess, db: asyncpg.Connection
) -> None:
    finished = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(EXAMPLES / example)],
        env={**os.environ, "LOGLENS_URL": loglens_up.http_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert await wait_for("SELECT count(*) FROM logs", db, logs) == logs


@pytest.mark.parametrize("example", ["fastapi_app.py", "flask_app.py", "django_app.py"])
def test_example_app_imports(example: str) -> None:
    # The apps serve forever; importing one proves it is wired (configure, middleware, routes).
    script = f"import runpy; runpy.run_path({str(EXAMPLES / example)!r}, run_name='example')"
    finished = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "LOGLENS_URL": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
