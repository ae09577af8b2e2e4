"""Syslog messages → rows: RFC 5424, RFC 3164 and the deviations real senders make
(collector/mapping/syslog.py), and the stream framing of RFC 6587 (receivers/syslog_framing.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from loglens.collector.mapping.syslog import map_message
from loglens.collector.receivers.syslog_framing import FrameSplitter
from loglens.collector.rows import Col, Row, problem_with

NOW = dt.datetime(2026, 12, 3, 14, 0, 0, tzinfo=dt.UTC)
NOW_US = int(NOW.timestamp()) * 1_000_000


def us(text: str) -> int:
    moment = dt.datetime.fromisoformat(text)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def row(data: bytes) -> Row:
    return map_message(data, NOW_US)


def metadata(mapped: Row) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(mapped[Col.metadata])
    return value


# (message, created_at, level, service, message text, metadata entries expected)
CASES: list[tuple[bytes, int, str, str | None, str, dict[str, Any]]] = [
    (  # RFC 5424 6.5 example 1, with the BOM before MSG
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed",
        us("2003-10-11T22:14:15.003+00:00"),
        "FATAL",
        "su",
        "'su root' failed",
        {"syslog.facility": "auth", "syslog.severity": "crit", "host.name": "mymachine.example.com"},
    ),
    (  # example 2: microseconds and an offset
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time",
        us("2003-08-24T12:14:15.000003+00:00"),
        "INFO",
        "myproc",
        "%% It's time",
        {"process.pid": 8710, "syslog.facility": "local4", "syslog.severity": "notice", "host.name": "192.0.2.1"},
    ),
    (  # example 3: structured data, escapes in a value, a repeated parameter
        b'<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource='
        b'"App \\"x\\" \\]"][origin ip="10.0.0.1" ip="10.0.0.2"] An application event',
        us("2003-10-11T22:14:15.003+00:00"),
        "INFO",
        "evntslog",
        "An application event",
        {
            "syslog.msgid": "ID47",
            "exampleSDID@32473.iut": "3",
            "exampleSDID@32473.eventSource": 'App "x" ]',
            "origin.ip": ["10.0.0.1", "10.0.0.2"],
        },
    ),
    (  # structured data and no MSG; nanoseconds cut to microseconds
        b'<15>1 2026-12-03T13:59:59.123456789+00:00 h app - - [meta sequenceId="7"]',
        us("2026-12-03T13:59:59.123456+00:00"),
        "DEBUG",
        "app",
        '<15>1 2026-12-03T13:59:59.123456789+00:00 h app - - [meta sequenceId="7"]',
        {"meta.sequenceId": "7"},
    ),
    (  # every header field nil: the arrival time
        b"<11>1 - - - - - - disk full",
        NOW_US,
        "ERROR",
        None,
        "disk full",
        {"syslog.facility": "user", "syslog.severity": "err"},
    ),
    (  # malformed structured data stays in the message
        b'<12>1 2026-12-03T13:00:00Z h app - - [broken x="1" rest',
        us("2026-12-03T13:00:00+00:00"),
        "WARN",
        "app",
        '[broken x="1" rest',
        {},
    ),
    (  # RFC 3164 4.3.1, a trailing newline
        b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick\n",
        us("2026-10-11T22:14:15+00:00"),
        "FATAL",
        "su",
        "'su root' failed for lonvick",
        {"host.name": "mymachine"},
    ),
    (  # a day with a space before it, a tag with a pid
        b"<30>Dec  3 13:58:01 web-1 sshd[812]: Accepted publickey",
        us("2026-12-03T13:58:01+00:00"),
        "INFO",
        "sshd",
        "Accepted publickey",
        {"host.name": "web-1", "process.pid": 812, "syslog.facility": "daemon"},
    ),
    (  # December read in January is last December's
        b"<30>Dec 31 23:59:59 h cron: tick",
        us("2025-12-31T23:59:59+00:00"),
        "INFO",
        "cron",
        "tick",
        {},
    ),
    (  # no hostname after the timestamp
        b"<27>Dec  3 13:58:01 nginx[77]: upstream timed out",
        us("2026-12-03T13:58:01+00:00"),
        "ERROR",
        "nginx",
        "upstream timed out",
        {"process.pid": 77},
    ),
    (  # an RFC 3339 timestamp in RFC 3164 (rsyslog's RSYSLOG_ForwardFormat)
        b"<28>2026-12-03T13:58:01.250001+09:00 host app[9]: slow query",
        us("2026-12-03T04:58:01.250001+00:00"),
        "WARN",
        "app",
        "slow query",
        {"host.name": "host"},
    ),
    (  # syslog-ng's frac-digits in a BSD timestamp, with a year
        b"<14>Dec 03 2026 13:58:01.5 host app: with a year",
        us("2026-12-03T13:58:01.500000+00:00"),
        "INFO",
        "app",
        "with a year",
        {},
    ),
    (  # Python's SysLogHandler: no timestamp, no hostname, a NUL at the end
        b"<11>payment-api: charge failed\x00",
        NOW_US,
        "ERROR",
        "payment-api",
        "charge failed",
        {"syslog.facility": "user"},
    ),
    (  # no tag: the whole text is the message
        b"<14>plain words here",
        NOW_US,
        "INFO",
        None,
        "plain words here",
        {},
    ),
    (  # no PRI at all: user.notice
        b"just a line\r\n",
        NOW_US,
        "INFO",
        None,
        "just a line",
        {"syslog.pri": "missing", "syslog.severity": "notice"},
    ),
    (  # a PRI out of range is no PRI
        b"<999>1 - - - - - - x",
        NOW_US,
        "INFO",
        None,
        "<999>1 - - - - - - x",
        {"syslog.pri": "missing"},
    ),
    (  # an impossible date and one before 2000 are kept, the arrival time used
        b"<14>1 2026-02-30T00:00:00Z h a - - - x",
        NOW_US,
        "INFO",
        "a",
        "x",
        {"syslog.timestamp": "2026-02-30T00:00:00Z"},
    ),
    (
        b"<14>1 1990-01-01T00:00:00Z h a - - - x",
        NOW_US,
        "INFO",
        "a",
        "x",
        {"syslog.timestamp": "1990-01-01T00:00:00Z"},
    ),
    (  # bytes that are not UTF-8 and a NUL inside the text
        b"<14>app: caf\xe9 \x00 bar",
        NOW_US,
        "INFO",
        "app",
        "caf\ufffd \ufffd bar",
        {},
    ),
]


@pytest.mark.parametrize(("data", "created", "level", "service", "message", "entries"), CASES)
def test_a_message_maps_to_its_row(
    data: bytes, created: int, level: str, service: str | None, message: str, entries: dict[str, Any]
) -> None:
    mapped = row(data)
    assert mapped[Col.created_at] == created
    assert mapped[Col.level] == level
    assert mapped[Col.service] == service
    assert mapped[Col.message] == message
    assert entries.items() <= metadata(mapped).items()
    assert problem_with(mapped) is None


@pytest.mark.parametrize(
    ("severity", "level"), list(enumerate(["FATAL"] * 3 + ["ERROR", "WARN", "INFO", "INFO", "DEBUG"]))
)
def test_every_severity_has_its_level(severity: int, level: str) -> None:
    assert row(f"<{16 * 8 + severity}>1 - - app - - - x".encode())[Col.level] == level


def test_a_service_name_too_long_for_the_column_stays_in_metadata() -> None:
    mapped = row(b"<14>1 - - " + b"a" * 101 + b" - - - x")
    assert mapped[Col.service] is None
    assert metadata(mapped)["syslog.app_name"] == "a" * 101


@pytest.mark.parametrize("data", [b"", b"\n", b"\x00\x00", b"   \r\n"])
def test_an_empty_message_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="empty"):
        row(data)


def split(stream: bytes, limit: int = 100, step: int = 1) -> tuple[list[bytes], FrameSplitter]:
    """The frames of ``stream`` fed ``step`` bytes at a time, then the end of the stream."""
    splitter = FrameSplitter(limit)
    frames: list[bytes] = []
    for start in range(0, len(stream), step):
        frames += splitter.feed(stream[start : start + step])
    return frames + splitter.finish(), splitter


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_both_framings_are_told_apart_per_frame(step: int) -> None:
    stream = b"10 <14>a: one<14>b: two\n<14>c: three\x00\n<14>d: four\r\n4 <1>x<14>e: last"
    frames, splitter = split(stream, step=step)
    assert frames == [b"<14>a: one", b"<14>b: two", b"<14>c: three", b"<14>d: four", b"<1>x", b"<14>e: last"]
    assert splitter.take_counts() == 0


def test_a_message_that_starts_with_a_number_is_not_an_octet_count() -> None:
    frames, _ = split(b"404 not found\n2026 is a year\n")
    assert frames == [b"404 not found", b"2026 is a year"]


@pytest.mark.parametrize("step", [1, 7, 1000])
def test_oversized_frames_are_dropped_and_counted_and_the_next_read(step: int) -> None:
    stream = b"150 <" + b"x" * 149 + b"<14>a: kept\n<14>" + b"y" * 200 + b"\n<14>b: kept too\n"
    frames, splitter = split(stream, step=step)
    assert frames == [b"<14>a: kept", b"<14>b: kept too"]
    assert splitter.too_large == 2


def test_an_octet_counted_frame_cut_off_by_the_end_is_counted() -> None:
    frames, splitter = split(b"<14>a: whole\n50 <14>b: cut")
    assert frames == [b"<14>a: whole"]
    assert splitter.truncated == 1
