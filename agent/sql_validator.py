"""Is this SQL one read-only SELECT over ``logs``? Parsed with sqlglot's PostgreSQL dialect.

SQL from any source — a model, a log line that talked a model into something, a user — is
refused unless it is exactly one query made of SELECTs (CTEs and set operations allowed)
that reads ``logs`` and nothing else, and calls only functions known to be free of side
effects. The rules, each a reason a query is refused:

- several statements (``COMMIT; DROP ...`` would escape a read-only transaction), or any
  statement that is not a query: SET, COPY, EXPLAIN, VACUUM, DO, CALL, ...;
- anything that writes or locks inside a query: a data-modifying CTE, ``SELECT ... INTO``,
  ``FOR UPDATE`` and the other locking clauses;
- a table other than ``logs`` (CTE names excepted), including the catalogs;
- a schema-qualified function call (``public.lower()`` could be anyone's function);
- a function that is not on the allowlist below. Functions sqlglot knows by type (COUNT,
  DATE_TRUNC, COALESCE, ...) are standard and side-effect free; anything it only knows by
  name must be listed here. ``pg_sleep``, ``set_config`` (which can switch the statement
  timeout off even for a read-only role), advisory locks (which outlive a rollback on a
  pooled connection), ``dblink*``, ``lo_*``, ``pg_read_file``, ``query_to_xml`` and the rest
  are not, and any ``pg_*`` name is refused even if someone adds it to the list.

This is the first of several walls: the query then runs through ``EXPLAIN``, in a read-only
transaction with a statement timeout and a row cap, as a role that can only read ``logs``
(see ``agent/database.py``), over PostgreSQL's extended protocol, which refuses more than
one statement on its own.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from loglens.errors import UnsafeSQLError

# sqlglot logs a warning when it falls back to an opaque command; the validator refuses those.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

MAX_SQL_CHARS = 20_000
TABLE = "logs"

# Functions PostgreSQL ships that only compute a value from their arguments.
ALLOWED_FUNCTIONS = frozenset(
    {
        # aggregates and window functions
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "stddev",
        "stddev_pop",
        "stddev_samp",
        "variance",
        "var_pop",
        "var_samp",
        "percentile_cont",
        "percentile_disc",
        "mode",
        "string_agg",
        "array_agg",
        "json_agg",
        "jsonb_agg",
        "json_object_agg",
        "jsonb_object_agg",
        "bool_and",
        "bool_or",
        "every",
        "corr",
        "covar_pop",
        "covar_samp",
        "regr_slope",
        "row_number",
        "rank",
        "dense_rank",
        "percent_rank",
        "cume_dist",
        "ntile",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        # time
        "now",
        "current_timestamp",
        "current_date",
        "localtimestamp",
        "statement_timestamp",
        "transaction_timestamp",
        "clock_timestamp",
        "date_trunc",
        "date_part",
        "date_bin",
        "extract",
        "age",
        "make_interval",
        "make_timestamptz",
        "make_date",
        "to_timestamp",
        "to_char",
        "to_date",
        "timezone",
        "justify_interval",
        "justify_hours",
        "isfinite",
        # text
        "lower",
        "upper",
        "initcap",
        "length",
        "char_length",
        "character_length",
        "octet_length",
        "substring",
        "substr",
        "left",
        "right",
        "position",
        "strpos",
        "starts_with",
        "trim",
        "btrim",
        "ltrim",
        "rtrim",
        "lpad",
        "rpad",
        "replace",
        "translate",
        "split_part",
        "concat",
        "concat_ws",
        "format",
        "repeat",
        "reverse",
        "regexp_replace",
        "regexp_match",
        "regexp_matches",
        "regexp_like",
        "regexp_count",
        "regexp_substr",
        "regexp_split_to_array",
        "regexp_split_to_table",
        "string_to_array",
        "string_to_table",
        "array_to_string",
        "md5",
        "quote_literal",
        "quote_ident",
        "to_hex",
        "ascii",
        "chr",
        "encode",
        "decode",
        # numbers
        "abs",
        "ceil",
        "ceiling",
        "floor",
        "round",
        "trunc",
        "sign",
        "mod",
        "div",
        "power",
        "pow",
        "sqrt",
        "cbrt",
        "exp",
        "ln",
        "log",
        "log10",
        "greatest",
        "least",
        "width_bucket",
        "random",
        "to_number",
        "numeric",
        "float8",
        "int4",
        "int8",
        "text",
        # conditionals
        "coalesce",
        "nullif",
        # json
        "jsonb_extract_path",
        "jsonb_extract_path_text",
        "json_extract_path",
        "json_extract_path_text",
        "jsonb_typeof",
        "json_typeof",
        "jsonb_array_length",
        "json_array_length",
        "jsonb_object_keys",
        "json_object_keys",
        "jsonb_each",
        "jsonb_each_text",
        "json_each",
        "json_each_text",
        "jsonb_array_elements",
        "jsonb_array_elements_text",
        "json_array_elements",
        "json_array_elements_text",
        "to_jsonb",
        "to_json",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "jsonb_strip_nulls",
        "jsonb_pretty",
        "jsonb_path_query",
        "jsonb_path_query_first",
        "jsonb_path_exists",
        "jsonb_exists",
        # arrays and sets
        "array_length",
        "cardinality",
        "array_position",
        "array_remove",
        "array_cat",
        "unnest",
        "generate_series",
        "array_append",
        "array_prepend",
    }
)

# Refused whatever the lists above say: administration, files, sessions, other databases.
DENIED_NAME = re.compile(
    r"^(pg_|lo_|dblink|set_config|current_setting|query_to_|table_to_|cursor_to_|schema_to_|"
    r"database_to_|xpath|nextval|setval|currval|lastval|txid_|inet_|has_|row_security|version$)",
    re.IGNORECASE,
)

# Statement shapes that only read.
QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)
# Nodes that write, lock, or leave the query language, wherever they appear.
FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Copy,
    exp.Command,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Into,
    exp.Lock,
    exp.Grant,
    exp.Use,
    exp.Pragma,
)


@dataclass(frozen=True)
class ValidatedSQL:
    sql: str  # the text as given (minus a trailing semicolon): validated, never rewritten


def validate_sql(sql: str) -> ValidatedSQL:
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise UnsafeSQLError("the query is empty")
    if len(text) > MAX_SQL_CHARS:
        raise UnsafeSQLError(f"the query is {len(text)} characters long; the limit is {MAX_SQL_CHARS}")
    if "\x00" in text:
        raise UnsafeSQLError("the query contains a NUL character")
    statement = _single_statement(text)
    if not isinstance(statement, QUERY_ROOTS):
        raise UnsafeSQLError(f"only a SELECT query is allowed, not {_kind(statement)}")
    for node in statement.walk():
        _check_node(node)
    _check_tables(statement)
    return ValidatedSQL(text)


def _single_statement(text: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except (ParseError, TokenError) as error:
        raise UnsafeSQLError(f"the query is not valid PostgreSQL: {_first_line(error)}") from None
    if len(statements) != 1:
        raise UnsafeSQLError(f"exactly one statement is allowed; this has {len(statements)}")
    return statements[0]


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, FORBIDDEN_NODES):
        raise UnsafeSQLError(f"the query may only read: {_kind(node)} is not allowed")
    if isinstance(node, exp.Select) and node.args.get("locks"):
        raise UnsafeSQLError("locking clauses (FOR UPDATE, FOR SHARE, ...) are not allowed")
    if isinstance(node, exp.Func):
        _check_function(node)


def _check_function(node: exp.Func) -> None:
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        # public.lower() would call whatever function someone created under that name
        raise UnsafeSQLError("schema-qualified function calls are not allowed; call the function by its name")
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        if DENIED_NAME.match(name) or name not in ALLOWED_FUNCTIONS:
            raise UnsafeSQLError(f"the function {name}() is not allowed in a read-only log query")
        return
    name = node.sql_name().lower()
    if DENIED_NAME.match(name):
        raise UnsafeSQLError(f"the function {name}() is not allowed in a read-only log query")


def _check_tables(statement: exp.Expr) -> None:
    cte_names = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    for table in statement.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            continue  # a set-returning function in FROM, checked as a function
        name = table.name.lower()
        schema = (table.db or "").lower()
        if table.catalog:
            raise UnsafeSQLError("the query may read only the logs table, not another database")
        if name in cte_names and not schema:
            continue
        if name != TABLE or schema not in ("", "public"):
            shown = f"{schema}.{name}" if schema else name
            raise UnsafeSQLError(f"the query may read only the logs table, not {shown}")


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return f"{str(node.this).upper()} commands"
    return type(node).__name__.upper()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:300]
