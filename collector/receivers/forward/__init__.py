"""The Fluentd forward protocol (v1) receiver, for Fluentd, Fluent Bit and fluent-logger.

    server.py      TCP connections, pipelining, back-pressure, acks after commit, shutdown
    protocol.py    frames → requests: Message, Forward, PackedForward, CompressedPackedForward
    eventtime.py   EventTime (msgpack extension type 0) and the other time encodings
    ack.py         chunk ids: the ack, and the idempotency key that makes resends harmless
    handshake.py   HELO / PING / PONG with the shared key (and optional username/password)
    heartbeat.py   the UDP heartbeat on the same port

Records become rows in ``collector/mapping/fluent.py`` (by the shippers' one mapping, ``shipper.py``).
"""

from loglens.collector.receivers.forward.server import ForwardServer

__all__ = ["ForwardServer"]
