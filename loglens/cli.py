"""``loglens``: run the product, ask it questions, manage its database.

    loglens up [--demo]          database + migrations + every server, until Ctrl-C/SIGTERM
    loglens serve collector      the receivers alone
    loglens serve agent          the agent's API alone (port 8001)
    loglens serve slack          the Slack bot alone (SLACK_BOT_TOKEN; HTTP on the agent's port, or Socket Mode)
    loglens status               is the running collector serving? (exit 0 yes, 1 degraded or down, 3 not running)
    loglens ask "question"       answer one question in the terminal (--json for the API's answer)
    loglens eval                 measure the agent's accuracy on questions with gold SQL
    loglens db migrate           bring the schema up to date and exit

Flags override the ``LOGLENS_*`` variables of the same name. This module parses and prints;
what each command starts is put together in ``loglens/run.py``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from loglens.errors import LoglensError
from loglens.logging_setup import configure_logging
from loglens.settings import Settings


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(level=logging.WARNING if args.command in ("ask", "status") else logging.INFO)
    try:
        settings = Settings(**_overrides(args))
    except ValidationError as error:
        sys.exit("loglens: invalid configuration: " + "; ".join(_explain(problem) for problem in error.errors()))
    try:
        args.run(settings, args)
    except LoglensError as error:
        sys.exit(f"loglens: {error}")
    except KeyboardInterrupt:
        pass


def _explain(problem: Any) -> str:
    fields = [str(part) for part in problem["loc"]]
    message = str(problem["msg"]).removeprefix("Value error, ")
    if not fields:
        return message
    return f"LOGLENS_{'_'.join(fields).upper()}: {message}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loglens", description="Self-hosted log collection and analysis.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the database, the collector and every server")
    _add_server_flags(up)
    up.add_argument("--demo", action="store_true", help="fill an empty database with sample logs first")
    up.set_defaults(run=_run_up, service="all")

    serve = commands.add_parser("serve", help="run one server alone")
    serve.add_argument("service", choices=["collector", "agent", "slack"])
    _add_server_flags(serve)
    serve.set_defaults(run=_run_up, demo=False)

    status = commands.add_parser("status", help="tell whether the running loglens's collector serves")
    status.add_argument("--host", help="the address loglens listens on (LOGLENS_HOST)")
    status.add_argument("--otlp-http-port", type=int, help="its OTLP/HTTP port (LOGLENS_OTLP_HTTP_PORT)")
    status.add_argument("--json", action="store_true", help="print what the collector and its supervisor say")
    status.set_defaults(run=_run_status)

    ask = commands.add_parser("ask", help="answer one question about the logs")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the API's JSON answer")
    ask.add_argument("--max-results", type=int, default=None)
    ask.set_defaults(run=_run_ask)

    evaluation = commands.add_parser(
        "eval", help="measure the agent's execution accuracy on questions with gold SQL"
    )
    evaluation.add_argument("--vocab", help="JSON file that renames every service, error, path... of the data")
    evaluation.add_argument(
        "--questions",
        default="shared",
        help="shared (the 40 shared questions), extra (loglens' own), all, bank (the question bank, "
        "eval_data/BANK.md), bank-dev or bank-heldout (its halves), or a JSONL file of {id, lang, question, "
        "gold_sql} with the bank's kind (gold_sql null for refuse_write and unanswerable)",
    )
    evaluation.add_argument("--count", type=int, default=20_000, help="background logs to generate")
    evaluation.add_argument("--seed", type=int, default=1)
    evaluation.add_argument("--engine", choices=["offline", "configured"], default="offline")
    evaluation.add_argument("--report", action="store_true", help="print every question's verdict")
    evaluation.add_argument(
        "--min-accuracy", type=float, default=0.0, help="exit 1 below this, overall or per language"
    )
    evaluation.set_defaults(run=_run_eval)

    db = commands.add_parser("db", help="database commands")
    db.add_argument("action", choices=["migrate"])
    db.set_defaults(run=_run_migrate)
    return parser


def _add_server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="listening address (LOGLENS_HOST)")
    parser.add_argument("--otlp-http-port", type=int, help="OTLP/HTTP and JSON port (LOGLENS_OTLP_HTTP_PORT)")
    parser.add_argument("--otlp-grpc-port", type=int, help="OTLP/gRPC port (LOGLENS_OTLP_GRPC_PORT)")
    parser.add_argument(
        "--forward-port", type=int, help="Fluentd forward protocol port, TCP and UDP (LOGLENS_FORWARD_PORT)"
    )
    parser.add_argument("--syslog-port", type=int, help="syslog port, TCP and UDP (LOGLENS_SYSLOG_PORT)")
    parser.add_argument("--gelf-port", type=int, help="GELF port, TCP and UDP (LOGLENS_GELF_PORT)")
    parser.add_argument("--agent-port", type=int, help="agent API and web client port (LOGLENS_AGENT_PORT)")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("host", "otlp_http_port", "otlp_grpc_port", "forward_port", "syslog_port", "gelf_port", "agent_port")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


# The commands: each imports the composition root only when run, so that `loglens --help`
# and a mistyped flag answer at once.


def _run_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    from loglens import run

    run.migrate_database(settings)
    _say("loglens: the database schema is up to date")


def _run_up(settings: Settings, args: argparse.Namespace) -> None:
    from loglens import run

    services = {"collector", "agent"} if args.service == "all" else {args.service}
    run.run_services(settings, _overrides(args), services, demo=args.demo, announce=_say)


STATUS_EXIT = {"ok": 0, "degraded": 1, "down": 1, "not running": 3}  # 3: LSB's "not running"


def _run_status(settings: Settings, args: argparse.Namespace) -> None:
    from loglens import run

    status = run.collector_status(settings)
    _say(orjson.dumps(status, option=orjson.OPT_INDENT_2).decode() if args.json else _status_text(status))
    sys.exit(STATUS_EXIT[status["state"]])


def _status_text(status: dict[str, Any]) -> str:
    health, supervisor = status["health"], status["supervisor"]
    if status["state"] == "not running":
        return f"loglens: not running (nothing answers at {status['url']})"
    lines = [f"loglens collector: {status['state']}"]
    if health is not None:
        workers = health.get("workers", {"expected": 1, "alive": 1})
        lines.append(f"  workers: {workers['alive']} of {workers['expected']} serving")
        lines.append(f"  database: {health['database']}")
        lines.append(f"  pending rows: {health['pending_rows']}")
    else:
        lines.append(f"  nothing answers at {status['url']}, but loglens runs (pid {supervisor['pid']})")
        lines.append(f"  workers: {supervisor['alive']} of {supervisor['expected']} serving")
    now = time.time()
    for worker in supervisor["workers"] if supervisor is not None else []:
        line = f"  worker {worker['index']} (pid {worker['pid']}): {worker['state']}"
        line += f" for {max(0.0, now - worker['since']):.0f} s, {worker['restarts']} restarts"
        if worker["state"] != "serving" and worker["last_error"]:
            line += f"; last failure: {worker['last_error']}"
            if worker["next_start_at"] is not None:
                line += f"; next start in {max(0.0, worker['next_start_at'] - now):.1f} s"
        lines.append(line)
    return "\n".join(lines)


def _run_ask(settings: Settings, args: argparse.Namespace) -> None:
    from loglens import run

    body = run.ask(settings, args.question, args.max_results)
    _say(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() if args.json else _as_text(body))
    if "error" in body:
        sys.exit(1)


def _run_eval(settings: Settings, args: argparse.Namespace) -> None:
    from loglens import run

    renames = orjson.loads(Path(args.vocab).read_bytes()) if args.vocab else {}
    report = run.run_evaluation(
        settings,
        args.questions,
        renames,
        count=args.count,
        seed=args.seed,
        offline=args.engine == "offline",
    )
    _say(report.summary())
    if args.report:
        _say(report.details())
    worst = min([report.accuracy(), *(report.accuracy(lang) for lang in report.languages())])
    if worst < args.min_accuracy:
        sys.exit(f"loglens eval: accuracy {worst:.1%} is below --min-accuracy {args.min_accuracy:.1%}")


def _say(text: str) -> None:
    """The command's answer, on standard output (log lines go to standard error)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _as_text(body: dict[str, Any]) -> str:
    if "error" in body:
        lines = [f"Cannot answer: {body['error']}"]
        lines += [f"  try: {suggestion}" for suggestion in body.get("suggestions") or []]
        return "\n".join(lines)
    columns: list[str] = body["columns"]
    rows = [[_cell(row[column]) for column in columns] for row in body["results"][:20]]
    widths = [max([len(column), *(len(row[i]) for row in rows)]) for i, column in enumerate(columns)]
    table = ["  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))]
    table += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    more = f"\n… {body['count'] - len(rows)} more rows" if body["count"] > len(rows) else ""
    counted = f"{body['count']} row{'' if body['count'] == 1 else 's'}"
    footer = f"{counted} in {body['execution_time_ms']:.0f} ms ({body['engine']})"
    reading = f"Read as: {body['reading']}\n" if body.get("reading") else ""
    return f"{body['insight']}\n\n{reading}{body['sql']}\n\n" + "\n".join(table) + more + f"\n\n{footer}"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


if __name__ == "__main__":
    main()
