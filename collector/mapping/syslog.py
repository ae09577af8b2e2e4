"""Syslog messages (RFC 5424 and RFC 3164) → rows of ``logs``. Pure logic: one message in
(the bytes of a UDP datagram or a TCP frame, framing removed), one row out.

**What maps where**

    PRI            severity → level (0-2 FATAL, 3 ERROR, 4 WARN, 5-6 INFO, 7 DEBUG); facility →
                   ``syslog.facility`` (its name: ``kern``, ``user``, ``local0``…), severity's name
                   → ``syslog.severity`` (``notice`` and ``info`` are both INFO)
    TIMESTAMP      created_at, sub-second digits kept (to the microsecond)
    HOSTNAME       ``host.name``
    APP-NAME / tag service (``sshd`` of ``sshd[812]:``)
    PROCID / [pid] ``process.pid`` (a number when it is one)
    MSGID          ``syslog.msgid``
    STRUCTURED-DATA  ``<SD-ID>.<PARAM-NAME>`` in metadata (``origin.ip``, ``meta.sequenceId``)
    MSG            message, without its BOM

**Real-world deviations read as their senders mean them**: no PRI (the RFC's default, user.notice:
INFO); an RFC 3339 timestamp in an RFC 3164 message (rsyslog's RSYSLOG_ForwardFormat, syslog-ng's
``ts-format(iso)``), or ``Mmm dd [yyyy ]hh:mm:ss[.frac]``, or none at all (Python's SysLogHandler
sends ``<PRI>tag: msg``); no hostname after the timestamp (the next word is the tag when it ends in
``:`` or holds ``[pid]``); trailing newlines, carriage returns and NULs; bytes that are not UTF-8
(U+FFFD, as a NUL inside the text becomes, since PostgreSQL stores neither).

An RFC 3164 timestamp carries no year and no zone: it is read as UTC, in the latest year that does
not put it more than a day ahead of the arrival (a December line read in January is last year's).
A timestamp before 2000, more than a day ahead or impossible (February 30) is kept as
``syslog.timestamp`` and the arrival time used. Malformed structured data is left in the message.
The only message refused (``ValueError``) is one with no content at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import orjson

from loglens.collector.rows import COLUMNS, Col, Row, own_bytes

MIN_PLAUSIBLE_US = 946_684_800_000_000  # 2000-01-01
MAX_FUTURE_US = 24 * 3600 * 1_000_000
MAX_SERVICE_CHARS = 100
DEFAULT_PRI = 13  # user.notice: RFC 3164 4.3.3, for a message without a PRI
NIL = "-"
BOM = "\ufeff"

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
LEVELS = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")
MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
)}  # fmt: skip

_PRI = re.compile(r"<(\d{1,3})>")
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?([Zz]|[+-]\d\d:?\d\d)?(?= |$)"
)
_BSD_TIME = re.compile(
    r"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
    r"(?: ?([Zz]|[+-]\d\d:?\d\d|UTC|GMT))?(?= |$)"
)
# A tag: a program name, an optional [pid], then a colon (or the [pid] alone) before the text.
_TAG = re.compile(r"([^\s\[\]:]{1,128})(?:\[([^\]\s]{0,64})\])?(:)?(?: |$)")
# An SD-ELEMENT, ``[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]``, whose values escape ``"``, ``\\`` and
# ``]`` with a backslash (a backslash before anything else is kept, RFC 5424 6.3.3).
_SD_ELEMENT = re.compile(r'\[([^ =\]"]{1,32})((?: [^ =\]"]{1,32}="(?:[^"\\]|\\.)*")*)\]', re.DOTALL)
_SD_PARAM = re.compile(r' ([^ =\]"]{1,32})="((?:[^"\\]|\\.)*)"', re.DOTALL)
_SD_ESCAPE = re.compile(r'\\(["\\\]])')
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def map_message(data: bytes, received_us: int) -> Row:
    """One syslog message → one row; ``ValueError`` for a message with nothing in it."""
    text = _text(data)
    if not text.strip():
        raise ValueError("an empty syslog message")
    pri, rest = _pri(text)
    facility, severity = divmod(DEFAULT_PRI if pri is None else pri, 8)
    extra: dict[str, Any] = {"syslog.facility": FACILITIES[facility], "syslog.severity": SEVERITIES[severity]}
    if pri is None:
        extra["syslog.pri"] = "missing"
    if len(rest) > 2 and rest[0] in "123456789" and rest[1] == " ":
        created, service, message = _rfc5424(rest[2:], received_us, extra)
    else:
        created, service, message = _rfc3164(rest, received_us, extra)
    row: list[Any] = [None] * len(COLUMNS)
    row[Col.created_at] = created
    row[Col.level] = LEVELS[severity]
    row[Col.log_type] = "BACKEND"
    row[Col.service] = service
    row[Col.message] = message if message.strip() else text
    row[Col.metadata] = own_bytes(orjson.dumps(extra))
    return tuple(row)


def _text(data: bytes) -> str:
    """The message as text: trailers and a BOM off, bad UTF-8 and NULs as U+FFFD."""
    text = data.rstrip(b"\r\n\x00").decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd").replace(BOM, "", 1) if "\x00" in text or BOM in text else text


def _pri(text: str) -> tuple[int | None, str]:
    """The PRI and the text after it; None and the whole text when there is no valid PRI."""
    match = _PRI.match(text)
    if match is None or int(match[1]) > 191 or (len(match[1]) > 1 and match[1][0] == "0"):
        return None, text
    return int(match[1]), text[match.end() :]


def _rfc5424(rest: str, received_us: int, extra: dict[str, Any]) -> tuple[int, str | None, str]:
    """``TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]``, after ``VERSION SP``."""
    fields = rest.split(" ", 5)
    if len(fields) < 6:
        fields += [NIL] * (6 - len(fields))
    timestamp, hostname, app, procid, msgid, tail = fields
    created = received_us if timestamp == NIL else _rfc3339_us(timestamp, received_us, extra)
    if hostname != NIL:
        extra["host.name"] = hostname
    if procid != NIL:
        extra["process.pid"] = _pid(procid)
    if msgid != NIL:
        extra["syslog.msgid"] = msgid
    message = _structured_data(tail, extra)
    return created, _service(None if app == NIL else app, extra), message.removeprefix(BOM)


def _structured_data(tail: str, extra: dict[str, Any]) -> str:
    """Reads ``-`` or ``[id param="value"…]…`` into ``extra``; returns the MSG after it. Malformed
    structured data is not read: it stays in the message, whole."""
    if tail.startswith(NIL) and (len(tail) == 1 or tail[1] == " "):
        return tail[2:]
    if not tail.startswith("["):
        return tail  # not RFC 5424 here: the rest is the message
    elements: dict[str, Any] = {}
    position = 0
    while position < len(tail) and tail[position] == "[":
        element = _SD_ELEMENT.match(tail, position)
        if element is None:
            return tail
        sd_id = element[1]
        for param, raw in _SD_PARAM.findall(element[2]):
            value = _SD_ESCAPE.sub(r"\1", raw) if "\\" in raw else raw
            key = f"{sd_id}.{param}"
            previous = elements.get(key)
            elements[key] = (
                value if previous is None else [*(previous if isinstance(previous, list) else [previous]), value]
            )
        position = element.end()
    if position < len(tail) and tail[position] != " ":
        return tail
    for key, value in elements.items():
        extra.setdefault(key, value)
    return tail[position + 1 :]


def _rfc3164(rest: str, received_us: int, extra: dict[str, Any]) -> tuple[int, str | None, str]:
    """``[TIMESTAMP [HOSTNAME ]]TAG: MSG`` and its deviations."""
    created, after_time = _bsd_or_iso_time(rest, received_us, extra)
    if after_time is not None:
        rest = after_time
        hostname, _, tail = rest.partition(" ")
        if hostname and tail and not _looks_like_tag(hostname):
            extra["host.name"] = hostname
            rest = tail
    service: str | None = None
    tag = _TAG.match(rest)
    if tag is not None and (tag[2] is not None or tag[3] is not None):
        service = tag[1]
        if tag[2]:
            extra["process.pid"] = _pid(tag[2])
        rest = rest[tag.end() :]
    return created, _service(service, extra), rest


def _looks_like_tag(word: str) -> bool:
    """``sshd:`` or ``sshd[812]:`` where a hostname was expected: the sender left the hostname out."""
    return word.endswith(":") or "[" in word


def _bsd_or_iso_time(rest: str, received_us: int, extra: dict[str, Any]) -> tuple[int, str | None]:
    """The timestamp at the start of ``rest`` and what follows it (None when there is none)."""
    iso = _RFC3339.match(rest)
    if iso is not None:
        return _rfc3339_us(iso[0], received_us, extra), rest[iso.end() + 1 :]
    bsd = _BSD_TIME.match(rest)
    if bsd is None or bsd[1] not in MONTHS:
        return received_us, None
    month, day, year, hour, minute, second, fraction, zone = bsd.groups()
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    offset_s = _offset_s(zone)
    # No year: the latest that is not in the future (a December line read in January is last year's).
    arrival_year = dt.datetime.fromtimestamp(received_us / 1e6, dt.UTC).year
    years = [int(year)] if year else [arrival_year + 1, arrival_year, arrival_year - 1]
    best: int | None = None
    for candidate in years:
        try:
            best = _epoch_us(
                candidate, MONTHS[month], int(day), int(hour), int(minute), int(second), microsecond, offset_s
            )
        except ValueError:
            continue
        if year or best <= received_us + MAX_FUTURE_US:
            break
    return _plausible(best, bsd[0], received_us, extra), rest[bsd.end() + 1 :]


def _rfc3339_us(text: str, received_us: int, extra: dict[str, Any]) -> int:
    match = _RFC3339.fullmatch(text)
    if match is None:
        extra["syslog.timestamp"] = text
        return received_us
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        us = _epoch_us(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "0")[:6].ljust(6, "0")), _offset_s(zone),
        )  # fmt: skip
    except ValueError:
        extra["syslog.timestamp"] = text
        return received_us
    return _plausible(us, text, received_us, extra)


def _epoch_us(
    year: int, month: int, day: int, hour: int, minute: int, second: int, microsecond: int, offset_s: int
) -> int:
    """Unix microseconds of a wall-clock time at a UTC offset; ``ValueError`` for an impossible one.
    (Arithmetic on the day's ordinal: a third of what building a ``datetime`` costs.)"""
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError("no such time of day")
    days = dt.date(year, month, day).toordinal() - EPOCH_ORDINAL
    seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset_s  # a leap second: :59
    return seconds * 1_000_000 + microsecond


@functools.lru_cache(maxsize=256)
def _offset_s(zone: str | None) -> int:
    """A zone's offset from UTC in seconds: ``Z``, ``+09:00``, ``-0700``; none (or an impossible
    one) is UTC."""
    if zone is None or zone in ("Z", "z", "UTC", "GMT"):
        return 0
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return 0
    return (-1 if zone[0] == "-" else 1) * (hours * 3600 + minutes * 60)


def _plausible(us: int | None, text: str, received_us: int, extra: dict[str, Any]) -> int:
    if us is None or us < MIN_PLAUSIBLE_US or us > received_us + MAX_FUTURE_US:
        extra["syslog.timestamp"] = text
        return received_us
    return us


def _pid(text: str) -> int | str:
    return int(text) if text.isdigit() and len(text) < 10 else text


def _service(name: str | None, extra: dict[str, Any]) -> str | None:
    if name is not None and len(name) > MAX_SERVICE_CHARS:
        extra["syslog.app_name"] = name
        return None
    return name
