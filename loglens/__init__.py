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
