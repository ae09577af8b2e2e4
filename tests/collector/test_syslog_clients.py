"""Debian's rsyslog and syslog-ng forwarding to the syslog receiver, configured as
deploy/syslog/ tells users to: rsyslog's ``omfwd`` over TCP (octet-counted and newline framing)
and UDP with its RFC 5424 and RFC 3164 templates; syslog-ng's ``network()`` (RFC 3164, TCP and
UDP) and ``syslog()`` (RFC 5424, octet-counted) destinations. Each gets 10,000 messages with
known times on a TCP input of its own and must deliver every one exactly once, with its service,
level, time (to the microsecond where the format carries it) and message."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg
import pytest

from loglens.collector.server import Collector
from tests import syslog_clients
from tests.syslog_clients import assert_stored_once, connect_when_listening, feed, records

COUNT = 10_000

RSYSLOG = """
global(workDirectory="{directory}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{input_port}" ruleset="to_loglens")
ruleset(name="to_loglens") {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="{protocol}" {framing}
         template="{template}" queue.type="LinkedList" queue.size="100000"
         action.resumeRetryCount="-1")
}}
"""

SYSLOG_NG = """
@version: 3.38
options {{ keep-hostname(yes); keep-timestamp(yes); frac-digits(6); use-dns(no); use-fqdn(no);
  chain-hostnames(no); stats-freq(0); log-fifo-size(100000); send-time-zone("+00:00"); }};
source s_feed {{ network(ip("127.0.0.1") port({input_port}) transport("tcp") flags(syslog-protocol)
  log-iw-size(100000) max-connections(4)); }};
destination d_loglens {{ {destination}; }};
log {{ source(s_feed); destination(d_loglens); flags(flow-control); }};
"""


async def udp_drops(collector: Collector) -> dict[str, int]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{collector.ports.otlp_http}/health") as answer,
    ):
        udp: dict[str, int] = (await answer.json())["syslog"]["udp"]
        return udp


@pytest.mark.parametrize(
    ("protocol", "framing", "template", "sub_second"),
    [
        ("tcp", 'TCP_Framing="octet-counted"', "RSYSLOG_SyslogProtocol23Format", True),
        ("tcp", 'TCP_Framing="traditional"', "RSYSLOG_SyslogProtocol23Format", True),
        ("tcp", 'TCP_Framing="traditional"', "RSYSLOG_ForwardFormat", True),
        ("tcp", 'TCP_Framing="octet-counted"', "RSYSLOG_TraditionalForwardFormat", False),
        ("udp", "", "RSYSLOG_SyslogProtocol23Format", True),
        ("udp", "", "RSYSLOG_TraditionalForwardFormat", False),
    ],
    ids=["tcp-octets-5424", "tcp-lines-5424", "tcp-lines-3339", "tcp-octets-3164", "udp-5424", "udp-3164"],
)
async def test_rsyslog_omfwd(
    collector: Collector,
    db: asyncpg.Connection,
    tmp_path: Path,
    protocol: str,
    framing: str,
    template: str,
    sub_second: bool,
) -> None:
    input_port = syslog_clients.free_tcp_port()
    port = collector.ports.syslog if protocol == "tcp" else collector.ports.syslog_udp
    config = RSYSLOG.format(
        directory=tmp_path, input_port=input_port, port=port, protocol=protocol, framing=framing, template=template
    )
    daemon = syslog_clients.start_rsyslog(config, tmp_path)
    try:
        sent = records(f"rsyslog-{protocol}-{template}", COUNT)
        await feed(await connect_when_listening(input_port, daemon, tmp_path / "rsyslog.out"), sent)
        await assert_stored_once(db, sent, sub_second=sub_second)
    finally:
        syslog_clients.stop(daemon)
    if protocol == "udp":
        counters = await udp_drops(collector)
        assert (counters["dropped"], counters["kernel_dropped"], counters["malformed"]) == (0, 0, 0)
        assert counters["stored"] == COUNT


@pytest.mark.parametrize(
    ("destination", "port_of", "sub_second"),
    [
        ('network("127.0.0.1" port({port}) transport("tcp"))', "syslog", True),
        ('network("127.0.0.1" port({port}) transport("udp"))', "syslog_udp", True),
        ('syslog("127.0.0.1" port({port}) transport("tcp"))', "syslog", True),
        ('syslog("127.0.0.1" port({port}) transport("udp"))', "syslog_udp", True),
    ],
    ids=["network-tcp", "network-udp", "syslog-tcp", "syslog-udp"],
)
async def test_syslog_ng(
    collector: Collector, db: asyncpg.Connection, tmp_path: Path, destination: str, port_of: str, sub_second: bool
) -> None:
    input_port = syslog_clients.free_tcp_port()
    port = getattr(collector.ports, port_of)
    config = SYSLOG_NG.format(input_port=input_port, destination=destination.format(port=port))
    daemon = syslog_clients.start_syslog_ng(config, tmp_path)
    try:
        sent = records(f"syslog-ng-{destination}", COUNT)
        await feed(await connect_when_listening(input_port, daemon, tmp_path / "syslog-ng.out"), sent)
        await assert_stored_once(db, sent, sub_second=sub_second)
    finally:
        syslog_clients.stop(daemon)
    if port_of == "syslog_udp":
        counters = await udp_drops(collector)
        assert (counters["dropped"], counters["kernel_dropped"], counters["malformed"]) == (0, 0, 0)
