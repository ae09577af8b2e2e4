"""loglens: self-hosted log collection into PostgreSQL, with natural-language log analysis.

This package is the small core every side shares, and imports none of them:

    settings.py        the one typed settings object (``LOGLENS_*``)
    errors.py          the one error tree
    logs_table.py      the one contract for the ``logs`` table
    database/          which PostgreSQL (embedded or yours), migrations
    demo/              the demo and evaluation data
    logging_setup.py   how processes write their log lines
    cli.py             the ``loglens`` command: parsing and dispatch
    run.py             the composition root: starts the sides and mounts the clients

The sides live at the top of the repository and are installed beneath this package:
``collector/`` (the write side) as ``loglens.collector``, ``agent/`` (the read side) as
``loglens.agent``, ``bots/`` (the read side's clients) as ``loglens.bots``. Only ``run.py``
imports more than one of them; ``tests/test_architecture.py`` keeps it so.
"""

import os

# gRPC's core runs fork handlers in every child that fork() makes while it is busy; loglens only
# forks to exec (pg_ctl, psql) or spawns workers, and a handler crashing in such a child killed
# pg_ctl with SIGSEGV while the collector served gRPC. Set before gRPC first starts; a user's own
# GRPC_ENABLE_FORK_SUPPORT wins.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
