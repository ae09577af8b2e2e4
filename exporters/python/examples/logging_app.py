"""Plain ``logging``, shipped to loglens: ``python logging_app.py`` (LOGLENS_URL, default
http://localhost:4318, is where ``make up`` listens)."""

from __future__ import annotations

import logging
import os

import loglens_exporter

loglens_exporter.configure(
    service="billing-worker",
    environment="development",
    version="1.4.0",
    endpoint=os.environ.get("LOGLENS_URL", "http://localhost:4318"),
)
log = logging.getLogger("billing")


def charge(invoice: str, amount_cents: int) -> None:
    with loglens_exporter.request_context(user_id="user_0042"):
        log.info("charging %s", invoice, extra={"amount_cents": amount_cents, "duration_ms": 84.2})
        try:
            raise TimeoutError("payment provider did not answer within 5 s")
        except TimeoutError:
            log.error("could not charge %s", invoice, exc_info=True)


if __name__ == "__main__":
    charge("inv-2024-0042", 1999)
    print(loglens_exporter.stats())  # sent at exit; see loglens_exporter.flush() to wait
