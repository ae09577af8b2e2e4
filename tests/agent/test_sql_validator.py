"""validate_sql accepts one read-only SELECT over logs, and refuses everything else."""

from __future__ import annotations

import pytest

from loglens.agent.sql_validator import validate_sql
from loglens.errors import UnsafeSQLError
from tests.agent.hostile_sql import HOSTILE_STATEMENTS

ACCEPTED = [
    "SELECT count(*) FROM logs WHERE level IN ('ERROR','FATAL') AND created_at > now() - interval '1 hour'",
    "select service, count(*) as errors from logs where not deleted group by service order by errors desc limit 5;"
    "",
    "SELECT date_trunc('hour', created_at) AS hour, count(*) FROM logs GROUP BY 1 ORDER BY 1",
    "SELECT path, percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FROM logs GROUP BY path",
    "SELECT metadata->>'ip' AS ip, count(*) FROM logs WHERE metadata ? 'ip' GROUP BY 1",
    "WITH recent AS (SELECT * FROM logs WHERE created_at > now() - interval '1 day') "
    "SELECT error_type, count(*) FROM recent GROUP BY 1",
    "SELECT round(100.0 * count(*) FILTER (WHERE level >= 'ERROR') / nullif(count(*), 0), 2) FROM logs",
    "SELECT g AS hour, count(l.id) FROM generate_series(date_trunc('hour', now()) - interval '5 hours', "
    "date_trunc('hour', now()), interval '1 hour') AS g LEFT JOIN logs l "
    "ON date_trunc('hour', l.created_at) = g GROUP BY g ORDER BY g",
    "SELECT service FROM logs WHERE level = 'ERROR' UNION SELECT service FROM logs WHERE level = 'FATAL'",
    "SELECT user_id, row_number() OVER (ORDER BY count(*) DESC) FROM logs GROUP BY user_id",
    "SELECT * FROM public.logs WHERE message ILIKE '%refused%' LIMIT 10",
    "SELECT split_part(path, '?', 1), max(duration_ms) FROM logs GROUP BY 1",
    "SELECT '; DROP TABLE logs; --' AS harmless_text FROM logs LIMIT 1",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_read_only_queries_over_logs_are_accepted(sql: str) -> None:
    validated = validate_sql(sql)
    assert validated.sql == sql.strip().rstrip(";")


@pytest.mark.parametrize(("sql", "reason"), HOSTILE_STATEMENTS)
def test_hostile_statements_are_refused_with_a_reason(sql: str, reason: str) -> None:
    with pytest.raises(UnsafeSQLError) as refused:
        validate_sql(sql)
    assert reason.lower() in str(refused.value).lower()


def test_there_are_at_least_thirty_hostile_cases() -> None:
    assert len(HOSTILE_STATEMENTS) >= 30
