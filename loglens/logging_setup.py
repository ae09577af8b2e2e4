"""How every loglens process writes its own log lines (the CLI, the server, collector workers)."""

from __future__ import annotations

import logging


def configure_logging(prefix: str = "", level: int = logging.INFO) -> None:
    """Plain lines on stderr; ``prefix`` tells processes apart (``[collector 1] ``)."""
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s %(levelname)-5s {prefix}%(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
