"""Times in the offline engine's insights (agent/offline/insight.py), written for people in the
configured time zone, never as the ISO strings the rows hold. Database-free."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest

from loglens.agent.offline.insight import human_time, write_insight
from loglens.agent.offline.plan import Attribute, Condition, Grouping, Measure, QueryPlan
from loglens.settings import Settings

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@pytest.mark.parametrize(
    ("value", "language", "zone", "written"),
    [
        ("2026-11-24T21:23:45.123456+00:00", "en", dt.UTC, "Nov 24 21:23 UTC"),
        ("2026-11-24T21:23:45.123456+00:00", "ko", dt.UTC, "11월 24일 21:23"),
        ("2026-11-24T21:23:00Z", "en", dt.UTC, "Nov 24 21:23 UTC"),
        # another zone: the day can change too
        ("2026-11-24T21:23:00+00:00", "en", SEOUL, "Nov 25 06:23 KST"),
        ("2026-11-24T21:23:00+00:00", "ko", SEOUL, "11월 25일 06:23"),
        # an offset of its own is read, then shown in the configured zone
        ("2026-11-25T06:23:00+09:00", "en", dt.UTC, "Nov 24 21:23 UTC"),
        # daylight saving time follows the date
        ("2026-07-04T16:00:00+00:00", "en", NEW_YORK, "Jul 4 12:00 EDT"),
        ("2026-01-04T16:00:00+00:00", "en", NEW_YORK, "Jan 4 11:00 EST"),
        # no offset: the database's UTC
        ("2026-03-01 08:05:00", "en", SEOUL, "Mar 1 17:05 KST"),
        # a datetime, as well as its ISO string
        (dt.datetime(2026, 2, 3, 4, 5, tzinfo=dt.UTC), "ko", dt.UTC, "2월 3일 04:05"),
        # another year is said
        ("2025-12-31T23:59:00+00:00", "en", dt.UTC, "Dec 31, 2025 23:59 UTC"),
        ("2025-12-31T23:59:00+00:00", "ko", dt.UTC, "2025년 12월 31일 23:59"),
        ("2025-12-31T23:59:00+00:00", "ko", SEOUL, "1월 1일 08:59"),  # this year, in Seoul
        # what is not a time is left as it is
        ("payment-api", "en", dt.UTC, "payment-api"),
        ("2026-13-45T99:99", "en", dt.UTC, "2026-13-45T99:99"),
        (42, "en", dt.UTC, "42"),
        (None, "ko", dt.UTC, "None"),
    ],
)
def test_times_are_written_for_people(value: Any, language: str, zone: dt.tzinfo, written: str) -> None:
    assert human_time(value, language, zone, now=NOW) == written


# --- in the insights -----------------------------------------------------------------------------

EARLIER = (NOW - dt.timedelta(hours=5)).isoformat()  # 2026-12-01T22:00:00+00:00
LATER = (NOW - dt.timedelta(hours=1)).isoformat()  # 2026-12-02T02:00:00+00:00
SERVICE = Attribute(column="service")

CASES: list[tuple[str, QueryPlan, list[str], list[dict[str, Any]], dict[str, str]]] = [
    (
        "rows: the most recent",
        QueryPlan(shape="rows", limit=10),
        ["created_at", "service", "message"],
        [{"created_at": LATER, "service": "payment-api", "message": "timeout"}],
        {"en": "the most recent at Dec 2 11:00 KST", "ko": "가장 최근은 12월 2일 11:00"},
    ),
    (
        "rows: the slowest",
        QueryPlan(shape="rows", order="slowest", limit=10),
        ["created_at", "service", "duration_ms", "message"],
        [{"created_at": EARLIER, "service": "search-api", "duration_ms": 900.0, "message": "slow"}],
        {"en": "(search-api, Dec 2 07:00 KST)", "ko": "(search-api, 12월 2일 07:00)"},
    ),
    (
        "first and last seen",
        QueryPlan(
            measures=[Measure(kind="first_seen", alias="first_seen"), Measure(kind="last_seen", alias="last_seen")]
        ),
        ["first_seen", "last_seen"],
        [{"first_seen": EARLIER, "last_seen": LATER}],
        {"en": "First seen Dec 2 07:00 KST, last seen Dec 2 11:00 KST", "ko": "처음 발생 12월 2일 07:00"},
    ),
    (
        "last seen per service",
        QueryPlan(
            errors_only=True,
            measures=[Measure(kind="last_seen", alias="last_seen")],
            group_by=Grouping(attribute=SERVICE, alias="service"),
        ),
        ["service", "last_seen"],
        [{"service": "payment-api", "last_seen": LATER}, {"service": "order-api", "last_seen": EARLIER}],
        {
            "en": "payment-api: Dec 2 11:00 KST; order-api: Dec 2 07:00 KST",
            "ko": "payment-api: 12월 2일 11:00, order-api: 12월 2일 07:00",
        },
    ),
    (
        "a count per hour: the peak",
        QueryPlan(errors_only=True, group_by=Grouping(bucket="hour", alias="hour"), order="group_asc"),
        ["hour", "errors"],
        [{"hour": EARLIER, "errors": 2}, {"hour": LATER, "errors": 7}],
        {"en": "the peak was 7 at Dec 2 11:00 KST", "ko": "12월 2일 11:00에 7건으로"},
    ),
    (
        "an average per hour: the peak",
        QueryPlan(
            measures=[Measure(kind="avg", attribute=Attribute(column="duration_ms"), alias="avg_ms")],
            group_by=Grouping(bucket="hour", alias="hour"),
            conditions=[Condition(attribute=Attribute(column="duration_ms"), op="is_not_null")],
        ),
        ["hour", "avg_ms"],
        [{"hour": EARLIER, "avg_ms": 120.5}, {"hour": LATER, "avg_ms": 80.0}],
        {"en": "peaking at Dec 2 07:00 KST", "ko": "12월 2일 07:00에 가장 높았습니다"},
    ),
    (
        "distinct times",
        QueryPlan(
            shape="distinct", group_by=Grouping(attribute=Attribute(column="created_at"), alias="created_at")
        ),
        ["created_at"],
        [{"created_at": EARLIER}, {"created_at": LATER}],
        {"en": "Dec 2 07:00 KST, Dec 2 11:00 KST", "ko": "12월 2일 07:00, 12월 2일 11:00"},
    ),
]


@pytest.mark.parametrize(("plan", "columns", "rows", "said"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_insights_never_print_an_iso_time(
    plan: QueryPlan, columns: list[str], rows: list[dict[str, Any]], said: dict[str, str], language: str
) -> None:
    insight = write_insight(plan, language, "errors", columns, rows, "", {"row_count": len(rows)}, SEOUL)
    assert not ISO.search(insight), insight
    assert said[language] in insight, insight


def test_insights_are_in_utc_unless_told_otherwise() -> None:
    plan = QueryPlan(shape="rows", limit=10)
    rows = [{"created_at": "2026-11-24T21:23:00+00:00", "service": "payment-api", "message": "x"}]
    insight = write_insight(plan, "en", "logs", ["created_at", "service", "message"], rows, "")
    assert "Nov 24 21:23 UTC" in insight or "Nov 24, 2026 21:23 UTC" in insight


# --- LOGLENS_TIMEZONE ------------------------------------------------------------------------------


def test_the_time_zone_setting_is_an_iana_zone() -> None:
    assert Settings().timezone == "UTC"
    assert Settings().zone == dt.UTC or str(Settings().zone) == "UTC"
    assert Settings(timezone="Asia/Seoul").zone == SEOUL
    assert Settings(timezone=" Europe/Berlin ").timezone == "Europe/Berlin"


@pytest.mark.parametrize("name", ["Mars/Olympus", "KST+9", "Asia/", "../../etc/passwd", "America"])
def test_a_time_zone_that_is_not_one_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{re.escape(repr(name))} is not an IANA time zone"):
        Settings(timezone=name)
