"""Debian's rsyslog and syslog-ng forwarding to the syslog receiver, configured as
deploy/syslog/ tells users to: rsyslog's ``omfwd`` over TCP (octet-counted and newline framing)
and UDP with its RFC 5424 and RFC 3164 templates; syslog-ng's ``network()`` (RFC 3164, TCP and
UDP) and ``syslog()`` (RFC 5424, octet-counted; TCP and UDP) destinations, each from the snippet
in deploy/syslog/ with only its address, port and the named alternative changed. Each gets 10,000 messages with
known times on a TCP input of its own and must deliver every one exactly once, with its service,
level, time (to the microsecond where the format carries it), message, hostname and pid, and
where RFC 5424 goes all the way, its MSGID and structured data (escaped quotes and brackets too)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg
import pytest

from loglens.collector.server import Collector
from tests import syslog_clients
from tests.conftest import settings_for_tests
from tests.syslog_clients import (
    RSYSLOG_INPUT,
    SYSLOG_NG_INPUT,
    assert_stored_once,
    connect_when_listening,
    feed,
    records,
    self_signed,
)

COUNT = 10_000

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "syslog"


def snippet(name: str, port: int, replacements: dict[str, str]) -> str:
    """deploy/syslog/<name> as users copy it, pointed at this collector, with ``replacements``."""
    text = (DEPLOY / name).read_text().replace("loglens-host", "127.0.0.1").replace("5514", str(port))
    for old, new in replacements.items():
        assert old in text, f"{name} no longer says {old}"
        text = text.replace(old, new)
    return text


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
        ("tcp", "octet-counted", "RSYSLOG_SyslogProtocol23Format", True),
        ("tcp", "traditional", "RSYSLOG_SyslogProtocol23Format", True),
        ("tcp", "traditional", "RSYSLOG_ForwardFormat", True),
        ("tcp", "octet-counted", "RSYSLOG_TraditionalForwardFormat", False),
        ("udp", "octet-counted", "RSYSLOG_SyslogProtocol23Format", True),
        ("udp", "octet-counted", "RSYSLOG_TraditionalForwardFormat", False),
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
    action = snippet(
        "rsyslog.conf",
        port,
        {
            'protocol="tcp"': f'protocol="{protocol}"',
            'TCP_Framing="octet-counted"': f'TCP_Framing="{framing}"',
            'template="RSYSLOG_SyslogProtocol23Format"': f'template="{template}"',
        },
    )
    config = RSYSLOG_INPUT.format(directory=tmp_path, input_port=input_port) + action
    daemon = syslog_clients.start_rsyslog(config, tmp_path)
    try:
        sent = records(f"rsyslog-{protocol}-{template}", COUNT)
        await feed(await connect_when_listening(input_port, daemon, tmp_path / "rsyslog.out"), sent)
        await assert_stored_once(db, sent, sub_second=sub_second, structured=template.startswith("RSYSLOG_Syslog"))
    finally:
        syslog_clients.stop(daemon)
    if protocol == "udp":
        counters = await udp_drops(collector)
        assert (counters["dropped"], counters["kernel_dropped"], counters["malformed"]) == (0, 0, 0)
        assert counters["stored"] == COUNT


@pytest.mark.parametrize(
    ("driver", "transport", "port_of"),
    [
        ("syslog", "tcp", "syslog"),
        ("syslog", "udp", "syslog_udp"),
        ("network", "tcp", "syslog"),
        ("network", "udp", "syslog_udp"),
    ],
    ids=["syslog-tcp", "syslog-udp", "network-tcp", "network-udp"],
)
async def test_syslog_ng(
    collector: Collector, db: asyncpg.Connection, tmp_path: Path, driver: str, transport: str, port_of: str
) -> None:
    input_port = syslog_clients.free_tcp_port()
    port = getattr(collector.ports, port_of)
    destination = snippet(
        "syslog-ng.conf",
        port,
        {
            '  syslog("127.0.0.1"': f'  {driver}("127.0.0.1"',
            'transport("tcp") frac': f'transport("{transport}") frac',
        },
    )
    config = SYSLOG_NG_INPUT.format(input_port=input_port) + destination
    daemon = syslog_clients.start_syslog_ng(config, tmp_path)
    try:
        sent = records(f"syslog-ng-{driver}-{transport}", COUNT)
        await feed(await connect_when_listening(input_port, daemon, tmp_path / "syslog-ng.out"), sent)
        # Both drivers carry microseconds with frac-digits(6): network() as "Dec  3 14:00:00.123456".
        await assert_stored_once(db, sent, sub_second=True, structured=driver == "syslog")
    finally:
        syslog_clients.stop(daemon)
    if transport == "udp":
        counters = await udp_drops(collector)
        assert (counters["dropped"], counters["kernel_dropped"], counters["malformed"]) == (0, 0, 0)


async def test_rsyslog_over_tls(dsn: str, db: asyncpg.Connection, tmp_path: Path) -> None:
    """rsyslog's OpenSSL driver, checking loglens's certificate (made here) by name."""
    cert, key = self_signed(tmp_path)
    settings = settings_for_tests(syslog_tls_port=0, syslog_tls_cert=cert, syslog_tls_key=key)
    collector = Collector(settings, dsn)
    await collector.start()
    try:
        input_port = syslog_clients.free_tcp_port()
        action = snippet(
            "rsyslog-tls.conf",
            collector.ports.syslog_tls,
            {'"6514"': f'"{collector.ports.syslog_tls}"', "/etc/rsyslog.d/loglens-ca.pem": str(cert)},
        ).replace('StreamDriverPermittedPeers="127.0.0.1"', 'StreamDriverPermittedPeers="localhost"')
        action = action.replace('target="127.0.0.1"', 'target="localhost"')
        config = RSYSLOG_INPUT.format(directory=tmp_path, input_port=input_port) + action
        daemon = syslog_clients.start_rsyslog(config, tmp_path)
        try:
            sent = records("rsyslog-tls", COUNT)
            await feed(await connect_when_listening(input_port, daemon, tmp_path / "rsyslog.out"), sent)
            await assert_stored_once(db, sent, sub_second=True, structured=True)
        finally:
            syslog_clients.stop(daemon)
    finally:
        await collector.stop()
