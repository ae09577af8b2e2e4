"""Flask with one log per request: ``python flask_app.py`` (pip install flask)."""

from __future__ import annotations

import logging
import os

from flask import Flask

import loglens_exporter
from loglens_exporter.integrations.flask import init_app

loglens_exporter.configure(service="catalog-web", endpoint=os.environ.get("LOGLENS_URL", "http://localhost:4318"))
log = logging.getLogger("catalog")
app = init_app(Flask(__name__))


@app.get("/products/<int:product_id>")
def product(product_id: int) -> dict[str, int]:
    loglens_exporter.set_user("user_0042")
    log.info("product shown", extra={"product_id": product_id})
    return {"product_id": product_id}


@app.get("/boom")
def boom() -> dict[str, str]:
    raise RuntimeError("the search index is unavailable")


if __name__ == "__main__":
    app.run(port=5000)
