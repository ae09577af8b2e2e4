"""FastAPI with one log per request: ``uvicorn fastapi_app:app`` (pip install fastapi uvicorn)."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI, HTTPException

import loglens_exporter
from loglens_exporter.integrations.asgi import LoglensMiddleware

loglens_exporter.configure(service="orders-api", endpoint=os.environ.get("LOGLENS_URL", "http://localhost:4318"))
log = logging.getLogger("orders")
app = FastAPI()
app.add_middleware(LoglensMiddleware)


@app.get("/orders/{order_id}")
async def order(order_id: int) -> dict[str, int]:
    loglens_exporter.set_user("user_0042")  # e.g. from your authentication
    if order_id == 0:
        raise HTTPException(status_code=404)
    log.info("order looked up", extra={"order_id": order_id})
    return {"order_id": order_id}


@app.get("/boom")
async def boom() -> None:
    raise RuntimeError("the inventory service is down")
