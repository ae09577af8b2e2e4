"""The exporter's tests run against a real ``loglens up`` on a real PostgreSQL: the project's
fixtures (tests/conftest.py) provide both. Nothing of the server is imported by the exporter."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import loglens_exporter
from tests.conftest import (  # noqa: F401 - fixtures, found by pytest under these names
    db,
    dsn,
    embedded_postgres,
    loglens_up,
    template_database,
)


@pytest.fixture(autouse=True)
def no_exporter_left_configured() -> Iterator[None]:
    """Each test configures the exporter its own way; none leaves it attached to logging."""
    root_level = logging.getLogger().level
    yield
    loglens_exporter.shutdown(timeout=5)
    logging.getLogger().setLevel(root_level)
