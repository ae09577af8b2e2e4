"""One contract for the ``logs`` table: ``loglens/logs_table.py`` says what the migration
creates, the web client's types say the same, and what the collector and the agent know of
the table is read from the contract."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import asyncpg
import pytest
from multidict import MultiDict

from loglens import logs_table
from loglens.agent import explore, schema
from loglens.agent.offline import plan
from loglens.agent.offline.planner import shapes
from loglens.collector import rows
from loglens.collector.mapping import otlp, shipper

ROOT = Path(__file__).resolve().parents[2]
WEB_TYPES = ROOT / "bots" / "web" / "src" / "lib" / "types.ts"


def contract_columns() -> list[dict[str, Any]]:
    return [
        {
            "name": column.name,
            "type": column.type,
            "nullable": column.nullable,
            "max_chars": column.max_chars,
            "digits": column.digits,
        }
        for column in logs_table.COLUMNS
    ]


# --- the contract is the migrated table ------------------------------------------------------


async def test_the_contract_lists_the_migrated_tables_columns_in_order(db: asyncpg.Connection) -> None:
    records = await db.fetch(
        """SELECT column_name, data_type, udt_name, is_nullable, character_maximum_length,
                  numeric_precision, numeric_scale
             FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = $1
            ORDER BY ordinal_position""",
        logs_table.TABLE,
    )
    migrated = [
        {
            "name": record["column_name"],
            "type": record["udt_name"] if record["data_type"] == "USER-DEFINED" else record["data_type"],
            "nullable": record["is_nullable"] == "YES",
            "max_chars": record["character_maximum_length"],
            "digits": (record["numeric_precision"], record["numeric_scale"])
            if record["data_type"] == "numeric"
            else None,
        }
        for record in records
    ]
    assert migrated == contract_columns()


async def test_the_contracts_enum_labels_are_the_migrated_enum_types(db: asyncpg.Connection) -> None:
    records = await db.fetch(
        """SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
            WHERE t.typname = ANY($1::text[])
            GROUP BY t.typname""",
        list(logs_table.ENUM_TYPES),
    )
    assert {record["name"]: tuple(record["labels"]) for record in records} == logs_table.ENUM_TYPES
    assert logs_table.ENUM_TYPES == {
        "log_level": logs_table.LEVELS,
        "log_type": logs_table.LOG_TYPES,
        "environment": logs_table.ENVIRONMENTS,
        "http_method": logs_table.METHODS,
    }


async def test_the_explorer_selects_every_column_but_deleted_and_the_messages_length(
    db: asyncpg.Connection,
) -> None:
    for selected in (explore.LIST_COLUMNS, explore.FULL_COLUMNS):
        statement = await db.prepare(f"SELECT {selected} FROM logs")
        names = [attribute.name for attribute in statement.get_attributes()]
        assert [name for name in names if name != "message_length"] == [
            name for name in logs_table.LISTING_ORDER if name != "deleted"
        ]
        assert names[names.index("message") + 1] == "message_length"


# --- the web client's types are the contract's -------------------------------------------------


def typescript_block(pattern: str) -> str:
    found = re.search(pattern, WEB_TYPES.read_text(encoding="utf-8"), re.DOTALL)
    assert found is not None, f"{WEB_TYPES.relative_to(ROOT)} has no match for {pattern!r}"
    return found.group(1)


def test_the_web_clients_log_record_has_a_field_for_each_column_the_explorer_sends() -> None:
    fields = re.findall(r"^\s*(\w+)\??\s*:", typescript_block(r"export interface LogRecord \{(.*?)\n\}"), re.M)
    assert [field for field in fields if field != "message_length"] == [
        name for name in logs_table.LISTING_ORDER if name != "deleted"
    ]
    assert "message_length" in fields


def test_the_web_clients_levels_are_the_contracts() -> None:
    level_type = re.findall(r"'([^']*)'", typescript_block(r"export type Level =(.*?);"))
    level_list = re.findall(
        r"'([^']*)'", typescript_block(r"export const LEVELS: readonly Level\[\] = \[(.*?)\];")
    )
    assert tuple(level_type) == logs_table.LEVELS
    assert tuple(level_list) == logs_table.LEVELS


# --- what the collector and the agent know of the table comes from the contract ----------------


def test_a_collector_row_holds_every_column_a_writer_fills_in_listing_order() -> None:
    assert tuple(name for name in logs_table.LISTING_ORDER if name not in ("id", "deleted")) == rows.COLUMNS
    assert [(column.name, column.value) for column in rows.Col] == [
        (name, position) for position, name in enumerate(rows.COLUMNS)
    ]


def test_the_collector_refuses_what_the_columns_cannot_hold() -> None:
    assert rows.MAX_CHARS == logs_table.MAX_CHARS
    assert logs_table.COLUMN["duration_ms"].digits == (10, 3), "rows carry duration_ms in thousandths"
    assert rows.MAX_DURATION_THOUSANDTHS == 9_999_999_999


def test_the_mappers_know_every_column_and_the_enums_labels() -> None:
    # A shipper's record may name every column the writer fills (metadata's keys are merged)...
    assert set(shipper.NAMES) | {"metadata"} | shipper.ASSIGNED == set(logs_table.NAMES)
    assert {"id", "deleted"} == shipper.ASSIGNED
    # ...by its own name first, before any alias.
    assert all(keys[0] == column for column, keys in shipper.NAMES.items())
    # OpenTelemetry severity numbers 1-24: six bands of four, one per level, in order
    assert otlp.LEVEL_BY_SEVERITY_NUMBER[1::4] == logs_table.LEVELS
    assert set(logs_table.LOG_TYPES) == otlp.LOG_TYPE_NAMES
    assert set(logs_table.METHODS) == otlp.METHOD_SET


def test_a_plan_names_every_column_but_id_deleted_and_metadata() -> None:
    assert get_args(plan.ColumnName) == tuple(
        name for name in logs_table.LISTING_ORDER if name not in ("id", "deleted", "metadata")
    )
    assert set(plan.ROW_COLUMNS) <= set(get_args(plan.ColumnName))


def test_a_plans_level_is_one_of_the_contracts_levels() -> None:
    level, none = get_args(plan.Measure.model_fields["level"].annotation)
    assert (get_args(level), none) == (logs_table.LEVELS, type(None))
    schema_of_level = plan.Measure.model_json_schema()["properties"]["level"]["anyOf"][0]
    assert tuple(schema_of_level["enum"]) == logs_table.LEVELS


def test_the_planner_filters_out_nulls_only_of_columns_that_can_be_null() -> None:
    nullable = {column.name for column in logs_table.COLUMNS if column.nullable}
    assert nullable >= shapes.NULLABLE_GROUPS


def test_the_explorers_filters_take_the_contracts_values_and_limits() -> None:
    every = explore.parse_filter(
        MultiDict(level=",".join(logs_table.LEVELS), environment=",".join(logs_table.ENVIRONMENTS))
    )
    assert (every.levels, every.environments) == (logs_table.LEVELS, logs_table.ENVIRONMENTS)
    with pytest.raises(explore.BadRequestError, match="one of " + ", ".join(logs_table.LEVELS)):
        explore.parse_filter(MultiDict(level="NOTICE"))
    for name in ("service", "trace_id", "user_id"):
        limit = logs_table.MAX_CHARS[name]
        explore.parse_filter(MultiDict({name: "x" * limit}))
        with pytest.raises(explore.BadRequestError, match=f"at most {limit} characters"):
            explore.parse_filter(MultiDict({name: "x" * (limit + 1)}))


def test_the_profile_lists_the_values_of_every_enum_column() -> None:
    assert set(logs_table.NAMES) >= set(schema.PROFILED_COLUMNS)
    enum_columns = {column.name for column in logs_table.COLUMNS if column.labels}
    assert enum_columns == {"level", "log_type", "environment", "method"}
    assert set(schema.PROFILED_COLUMNS) >= enum_columns
