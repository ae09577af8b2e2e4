"""Which PostgreSQL loglens uses, and getting it ready.

With ``LOGLENS_DATABASE_URL`` set, that server is used as it is (PostgreSQL 15 or newer).
Without it, loglens runs its embedded server (``embedded.py``) for as long as the
``database_server`` block lasts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import asyncpg

from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.errors import DatabaseError
from loglens.settings import Settings

log = logging.getLogger(__name__)

MIN_SERVER_VERSION = 150000


@contextlib.contextmanager
def database_server(settings: Settings) -> Iterator[str]:
    """Yield the DSN of the loglens database, running the embedded server if none is configured."""
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value()
        return
    server = EmbeddedPostgres(settings.data_dir)
    dsn = server.start()
    try:
        yield dsn
    finally:
        server.stop()


async def prepare(dsn: str) -> None:
    """Check the server and bring its schema up to date."""
    try:
        connection = await asyncpg.connect(dsn, timeout=15)
    except (OSError, asyncpg.PostgresError) as error:
        raise DatabaseError(f"cannot connect to PostgreSQL ({_redacted(dsn)}): {error}") from error
    try:
        version = connection.get_server_version()
        number = version.major * 10000 + version.minor
        if number < MIN_SERVER_VERSION:
            raise DatabaseError(f"PostgreSQL {version.major} is too old; loglens needs 15 or newer")
        applied = await migrate(connection)
        for migration in applied:
            log.info("applied migration %04d_%s", migration.version, migration.name)
    finally:
        await connection.close()


def _redacted(dsn: str) -> str:
    if "@" not in dsn or "://" not in dsn:
        return dsn
    scheme, rest = dsn.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
