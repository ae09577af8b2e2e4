"""The UDP heartbeat of Fluentd's out_forward (``heartbeat_type udp``).

The client sends a datagram to the forward port and takes any answer as "alive"; Fluentd's
in_forward answers a single NUL byte, whatever it received, and so does this. The answer is
never larger than the question, so the port cannot be used to amplify traffic.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

log = logging.getLogger(__name__)

ANSWER = b"\x00"
# A heartbeat is a byte or two; Fluentd ignores anything past 1 KiB too.
MAX_DATAGRAM = 1024


class HeartbeatProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not derive from DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.transport is not None and len(data) <= MAX_DATAGRAM:
            self.transport.sendto(ANSWER, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" for a client that went away: nothing to do.
        log.debug("forward heartbeat: %s", exc)


async def start(host: str, port: int, reuse_port: bool) -> asyncio.DatagramTransport:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        HeartbeatProtocol, local_addr=(host, port), reuse_port=reuse_port or None
    )
    return transport
