"""Versioned schema migrations: ``migrations/NNNN_name.sql``, applied in order, each once.

Each file runs in its own transaction together with its row in ``loglens_migrations``, so a
failed migration leaves the schema as the previous one left it. An advisory lock makes
concurrent starts (two ``loglens up`` on one database) apply each migration exactly once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from loglens.errors import MigrationError

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every loglens process.
MIGRATION_LOCK_ID = 0x6C6F676C656E73  # "loglens"
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("loglens.database").joinpath("migrations").iterdir():
        match = FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


async def migrate(connection: asyncpg.Connection) -> list[Migration]:
    """Apply every migration not yet applied; return the ones applied now."""
    async with connection.transaction():
        # Under the lock: two processes creating the table at once would collide on its type.
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_ID)
        await connection.execute(
            """CREATE TABLE IF NOT EXISTS loglens_migrations (
                   version    INTEGER PRIMARY KEY,
                   name       TEXT NOT NULL,
                   applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
        )
    applied_now = []
    for migration in available_migrations():
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_ID)
            done = await connection.fetchval(
                "SELECT true FROM loglens_migrations WHERE version = $1", migration.version
            )
            if done:
                continue
            log.info("applying migration %04d_%s", migration.version, migration.name)
            try:
                await connection.execute(migration.sql)
            except asyncpg.PostgresError as error:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {error}; "
                    "the database is left at the previous version"
                ) from error
            await connection.execute(
                "INSERT INTO loglens_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied_now.append(migration)
    return applied_now


async def current_version(connection: asyncpg.Connection) -> int:
    exists = await connection.fetchval("SELECT to_regclass('loglens_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await connection.fetchval("SELECT coalesce(max(version), 0) FROM loglens_migrations"))
