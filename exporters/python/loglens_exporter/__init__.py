"""Ship logs from Python applications to loglens, on the OpenTelemetry SDK.

    import logging, loglens_exporter

    loglens_exporter.configure(service="payment-api", environment="production", version="2.4.1")
    logging.getLogger(__name__).error("card declined", exc_info=True, extra={"user.id": "u42"})

Framework integrations: ``loglens_exporter.integrations.asgi`` (FastAPI, Starlette),
``.flask`` and ``.django``. The mission's client API: ``LogCollector``.
"""

from loglens_exporter._configure import configure, flush, shutdown, stats
from loglens_exporter._context import current, request_context, set_attribute, set_session, set_user
from loglens_exporter._facade import LogCollector
from loglens_exporter._pipeline import Stats

__all__ = [
    "LogCollector",
    "Stats",
    "configure",
    "current",
    "flush",
    "request_context",
    "set_attribute",
    "set_session",
    "set_user",
    "shutdown",
    "stats",
]
__version__ = "0.1.0"
