"""Runs tests/node/send.js: the fluent-logger npm package sending records, as a Node app would."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

NODE_DIR = Path(__file__).parent / "node"


@dataclass
class NodeResult:
    acknowledged: int
    errors: list[str]


async def send_with_node(
    port: int,
    records: list[dict[str, Any]],
    *,
    tag_prefix: str = "app",
    event_mode: str = "Message",
    require_ack: bool = True,
    event_time: bool = False,
    security: dict[str, str] | None = None,
    colliding_chunk_ids: bool = False,
    timeout_s: float = 15.0,
) -> NodeResult:
    """Send ``records`` ({"label", "data", "timeMs"?}) with Node's fluent-logger.

    ``colliding_chunk_ids``: its chunk ids come from a counter instead of random bytes, so
    every sender started so sends the same ids (0, 1, 2, ...) for its own, different chunks."""
    if not (NODE_DIR / "node_modules" / "fluent-logger").is_dir():
        raise RuntimeError("tests/node/node_modules is missing: run `make test` (it runs npm ci there)")
    spec = {
        "port": port,
        "tagPrefix": tag_prefix,
        "eventMode": event_mode,
        "requireAckResponse": require_ack,
        "eventTime": event_time,
        "security": security,
        "collidingChunkIds": colliding_chunk_ids,
        "records": records,
        "timeoutMs": int(timeout_s * 1000),
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / "send.js"),
        orjson.dumps(spec).decode(),
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s + 15)
    lines = stdout.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"node send.js exited with {process.returncode}: {stderr.decode()}")
    answer = orjson.loads(lines[-1])
    return NodeResult(int(answer["acknowledged"]), list(answer["errors"]))
