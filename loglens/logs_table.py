"""The ``logs`` table as code: its columns, the values of its enum types, and the limits its
types set. One description, read by everything that needs a column name, a level or a limit:
the collector's rows and mappers, and the agent's explorer, planner and profile.

The migration (``database/migrations/0001_logs.sql``) creates the table; this module says what
it created, and ``tests/test_logs_table.py`` holds the two to each other — and the web
client's ``LogRecord`` (``bots/web/src/lib/types.ts``) to both. A change to the table is a
migration, then this file, then whatever the tests name.

It imports nothing of loglens: the core, the collector and the agent all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

TABLE = "logs"

# The enum types' labels, in their sort order: levels compare, TRACE < ... < FATAL.
Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
LEVELS: tuple[Level, ...] = get_args(Level)
LOG_TYPES = ("BACKEND", "FRONTEND", "MOBILE", "IOT", "WORKER")
ENVIRONMENTS = ("production", "staging", "development", "test", "local")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

VARCHAR = "character varying"


@dataclass(frozen=True)
class Column:
    """One column, with its type as ``information_schema.columns.data_type`` names it (an enum
    column: the enum type's name) and the limits the type sets."""

    name: str
    type: str
    nullable: bool = True
    max_chars: int | None = None  # VARCHAR(n): a longer value fails the whole COPY
    digits: tuple[int, int] | None = None  # NUMERIC(precision, scale)
    labels: tuple[str, ...] = ()  # an enum type's values
    written: bool = True  # False: the database assigns it (id, the soft-delete flag), no writer sends it

    @property
    def is_text(self) -> bool:
        return self.type in (VARCHAR, "text")


# In the table's order (its ordinal positions).
COLUMNS: tuple[Column, ...] = (
    Column("id", "bigint", nullable=False, written=False),  # BIGSERIAL
    Column("created_at", "timestamp with time zone", nullable=False),
    Column("level", "log_level", nullable=False, labels=LEVELS),
    Column("log_type", "log_type", nullable=False, labels=LOG_TYPES),
    Column("service", VARCHAR, max_chars=100),
    Column("environment", "environment", labels=ENVIRONMENTS),
    Column("service_version", VARCHAR, max_chars=50),
    Column("trace_id", VARCHAR, max_chars=64),
    Column("user_id", VARCHAR, max_chars=100),
    Column("session_id", VARCHAR, max_chars=100),
    Column("error_type", VARCHAR, max_chars=200),
    Column("message", "text", nullable=False),
    Column("stack_trace", "text"),
    Column("path", VARCHAR, max_chars=2048),
    Column("method", "http_method", labels=METHODS),
    Column("action_type", VARCHAR, max_chars=100),
    Column("function_name", VARCHAR, max_chars=200),
    Column("file_path", VARCHAR, max_chars=500),
    Column("duration_ms", "numeric", digits=(10, 3)),
    Column("deleted", "boolean", nullable=False, written=False),
    Column("metadata", "jsonb"),
    Column("span_id", VARCHAR, max_chars=16),
)
COLUMN: dict[str, Column] = {column.name: column for column in COLUMNS}
NAMES: tuple[str, ...] = tuple(COLUMN)

# span_id came after the mission's 21 columns, so the table has it last; everything that lists
# the columns (a collector row, the explorer's SELECT, the planner, the web client) puts it
# beside trace_id.
_listed = [name for name in NAMES if name != "span_id"]
_listed.insert(_listed.index("trace_id") + 1, "span_id")
LISTING_ORDER: tuple[str, ...] = tuple(_listed)

# The enum types, by name, with their labels.
ENUM_TYPES: dict[str, tuple[str, ...]] = {column.type: column.labels for column in COLUMNS if column.labels}
MAX_CHARS: dict[str, int] = {column.name: column.max_chars for column in COLUMNS if column.max_chars is not None}


def names(*wanted: str) -> tuple[str, ...]:
    """``wanted``, each checked to be a column: for a module's own choice of columns."""
    unknown = [name for name in wanted if name not in COLUMN]
    if unknown:
        raise ValueError(f"the {TABLE} table has no column {unknown[0]!r}")
    return wanted
