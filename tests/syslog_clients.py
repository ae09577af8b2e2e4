"""What the syslog tests share: Debian's rsyslog and syslog-ng run from build/syslog-daemons (the
Makefile's ``syslog-daemons`` target unpacks them there, never installed as the machine's
daemons), a feed of RFC 5424 lines with known times, and the check that every one was stored once
with its service, level, time and message."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import socket
import subprocess
import time
from pathlib import Path

import asyncpg
import orjson

ROOT = Path(__file__).resolve().parents[1] / "build" / "syslog-daemons" / "root"
LIBRARIES = [ROOT / "usr/lib/x86_64-linux-gnu", ROOT / "lib/x86_64-linux-gnu", ROOT / "usr/lib/syslog-ng"]
RSYSLOGD = ROOT / "usr/sbin/rsyslogd"
RSYSLOG_MODULES = ROOT / "usr/lib/x86_64-linux-gnu/rsyslog"
SYSLOG_NG = ROOT / "usr/sbin/syslog-ng"
SYSLOG_NG_MODULES = ROOT / "usr/lib/syslog-ng/3.38"
LEVELS = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# The daemon's own input, a TCP port the test feeds, before the snippet users copy.
RSYSLOG_INPUT = """
global(workDirectory="{directory}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{input_port}")
"""

SYSLOG_NG_INPUT = """
@version: 3.38
options {{ keep-hostname(yes); keep-timestamp(yes); use-dns(no); use-fqdn(no); chain-hostnames(no);
  stats-freq(0); log-fifo-size(100000); }};
source s_src {{ network(ip("127.0.0.1") port({input_port}) transport("tcp") flags(syslog-protocol)
  log-iw-size(100000) max-connections(4)); }};
"""

# syslog-ng's own library of destinations (elasticsearch-http() among them), from build/ rather
# than /usr/share: after the @version line of SYSLOG_NG_INPUT.
SYSLOG_NG_SCL = f"""
@define include-path "{ROOT}/etc/syslog-ng:{ROOT}/usr/share/syslog-ng/include"
@include "scl.conf"
"""


@dataclasses.dataclass(frozen=True)
class Sent:
    service: str
    severity: int
    at: dt.datetime
    message: str
    sequence: int = 0

    @property
    def level(self) -> str:
        return LEVELS[self.severity]

    def rfc5424(self) -> bytes:
        stamp = self.at.isoformat(timespec="microseconds").replace("+00:00", "Z")
        pri = 16 * 8 + self.severity  # local0
        data = f'[loglens@32473 seq="{self.sequence}" note="a \\"quoted\\" \\]"]'
        return f"<{pri}>1 {stamp} host-1 {self.service} 4242 ID7 {data} {self.message}".encode()


def records(run: str, count: int, start: dt.datetime | None = None) -> list[Sent]:
    """``count`` messages, each its own time (microseconds apart, not on whole seconds)."""
    origin = start or dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    return [
        Sent(
            f"svc-{index % 5}",
            index % 8,
            origin + dt.timedelta(microseconds=123_457 + index * 1_001),
            f"{run} message {index}",
            index,
        )
        for index in range(count)
    ]


def daemon_env() -> dict[str, str]:
    missing = [str(path) for path in (RSYSLOGD, SYSLOG_NG) if not path.exists()]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: run 'make syslog-daemons' (make test does)")
    return {**os.environ, "LD_LIBRARY_PATH": ":".join(str(path) for path in LIBRARIES), "TZ": "UTC"}


def free_tcp_port() -> int:
    from tests.conftest import free_port

    return free_port()


def start_rsyslog(config: str, directory: Path) -> subprocess.Popen[bytes]:
    path = directory / "rsyslog.conf"
    path.write_text(config)
    return _spawn(
        [str(RSYSLOGD), "-n", "-f", str(path), "-i", str(directory / "rsyslog.pid"), "-M", str(RSYSLOG_MODULES)],
        directory / "rsyslog.out",
    )


def start_syslog_ng(config: str, directory: Path) -> subprocess.Popen[bytes]:
    path = directory / "syslog-ng.conf"
    path.write_text(config)
    return _spawn(
        [
            str(SYSLOG_NG),
            "-F",
            "--no-caps",
            "-f",
            str(path),
            f"--module-path={SYSLOG_NG_MODULES}",
            f"--persist-file={directory / 'syslog-ng.persist'}",
            f"--pidfile={directory / 'syslog-ng.pid'}",
            f"--control={directory / 'syslog-ng.ctl'}",
        ],
        directory / "syslog-ng.out",
    )


def _spawn(command: list[str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("wb") as sink:  # the daemon keeps its own copy of the descriptor
        return subprocess.Popen(command, env=daemon_env(), stdout=sink, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def connect_when_listening(port: int, process: subprocess.Popen[bytes], output: Path) -> socket.socket:
    """A TCP connection to the daemon's input once it listens (it starts in the background)."""
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            printed = await asyncio.to_thread(output.read_text)
            raise RuntimeError(f"the daemon exited with {process.returncode}:\n{printed}")
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def feed(connection: socket.socket, sent: list[Sent]) -> None:
    """The messages to a daemon's TCP input, newline-framed, then a clean close."""
    data = b"".join(message.rfc5424() + b"\n" for message in sent)
    await asyncio.to_thread(connection.sendall, data)
    connection.close()


async def assert_stored_once(
    db: asyncpg.Connection,
    sent: list[Sent],
    *,
    sub_second: bool,
    structured: bool = False,
    pid: bool = True,
    within_s: float = 60.0,
) -> None:
    """Every message stored exactly once, with its service, level, time and message, its hostname
    and (``pid``) its pid; ``sub_second``: the time to the microsecond, else to the second (the sender's format
    has no fraction); ``structured``: its structured data and MSGID too (RFC 5424 all the way)."""
    deadline = time.monotonic() + within_s
    count = 0
    while time.monotonic() < deadline:
        count = await db.fetchval("SELECT count(*) FROM logs")
        if count >= len(sent):
            break
        await asyncio.sleep(0.1)
    rows = await db.fetch("SELECT message, service, level::text AS level, created_at, metadata FROM logs")
    stored = {row["message"]: row for row in rows}
    missing = [message.message for message in sent if message.message not in stored]
    assert not missing, f"{len(missing)} of {len(sent)} not stored (first: {missing[:3]}); {count} rows"
    assert len(rows) == len(sent), f"{len(rows) - len(stored)} duplicates, {len(stored) - len(sent)} strangers"
    for message in sent:
        row = stored[message.message]
        assert (row["service"], row["level"]) == (message.service, message.level), message
        expected = message.at if sub_second else message.at.replace(microsecond=0)
        assert row["created_at"] == expected, message
        metadata = orjson.loads(row["metadata"])
        assert metadata["host.name"] == "host-1", metadata
        if pid:
            assert metadata["process.pid"] == 4242, metadata
        if structured:
            assert metadata["loglens@32473.seq"] == str(message.sequence), metadata
            assert metadata["loglens@32473.note"] == 'a "quoted" ]', metadata
            assert metadata["syslog.msgid"] == "ID7", metadata


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
