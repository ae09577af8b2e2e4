"""The JavaScript exporter's own tests (``node --test``, exporters/javascript/test/), each file
against a real ``loglens up`` on a fresh PostgreSQL database made here.

The node tests start and stop ``loglens up`` themselves (the outage test kills it and starts
it again on the same port); this driver gives them the database, the ``loglens`` command and
``psql``, and fails with their whole output when one of them fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loglens.database.embedded import POSTGRES_BIN_PATH

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "exporters" / "javascript"
SUITES = sorted(path.name for path in (PACKAGE / "test").glob("*.test.mjs"))
CHROMIUM = Path("/usr/bin/chromium")


def test_every_suite_is_driven() -> None:
    assert {"facade.test.mjs", "browser.test.mjs"} <= set(SUITES)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.timeout(300)
def test_node_suite(suite: str, dsn: str) -> None:
    node = shutil.which("node")
    assert node is not None, "node is not on PATH (Node 18 or newer is needed)"
    assert (PACKAGE / "dist" / "esm" / "index.js").exists(), "build it first: make test does (npm run build)"
    if suite == "browser.test.mjs":
        assert CHROMIUM.exists(), "Chromium is missing: run `make deps` (it installs Debian's chromium)"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")},
        "LOGLENS_TEST_DSN": dsn,
        "LOGLENS_BIN": str(Path(sys.executable).parent / "loglens"),
        "PSQL": str(POSTGRES_BIN_PATH / "psql"),
        "CHROMIUM": str(CHROMIUM),
    }
    finished = subprocess.run(
        [node, "--test", "--test-concurrency=1", "--test-reporter=spec", f"test/{suite}"],
        cwd=PACKAGE,
        env=environment,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    output = finished.stdout + finished.stderr
    # node's own report, with the suites' measurements, is the output (pytest -s shows it).
    print(output)  # noqa: T201
    assert finished.returncode == 0, output
    passed = re.search(r"ℹ pass (\d+)", output)
    failed = re.search(r"ℹ fail (\d+)", output)
    assert passed is not None, output
    assert int(passed.group(1)) > 0, output
    assert failed is not None, output
    assert int(failed.group(1)) == 0, output
