""" "After the deploy", "배포 전": the versions a service logged, read from the profile's releases.

A deploy is where a service's version changed: its newest version is what runs "after the
deploy", the one before it what ran "before". Both sides at once ("before vs after the
deploy") are the versions side by side, which the shape pass groups (``lexicon.DEPLOY_SPLIT``).
Which service deployed must be said: with none or several named, the deploy words stay unread
and the question is not answered as if they were absent.
"""

from __future__ import annotations

from loglens.agent.offline import lexicon
from loglens.agent.offline.plan import Attribute, Condition
from loglens.agent.offline.planner.state import Planning

VERSION = Attribute(column="service_version")


def deploys(p: Planning) -> None:
    reader = p.reader
    after, before = reader.peek(lexicon.AFTER_DEPLOY), reader.peek(lexicon.BEFORE_DEPLOY)
    both = reader.peek(lexicon.BOTH_SIDES_OF_DEPLOY) is not None or (after is not None and before is not None)
    if (after is None and before is None and not both) or p.has_condition("service_version"):
        return
    changed = reader.peek(lexicon.CHANGED_AFTER) is not None
    services = _named_services(p)
    if not services and (changed or both):
        # "which endpoints got slower after the last deploy?": the service that deployed last
        services = _last_deployed(p)
        if services:
            p.add_equals(Attribute(column="service"), services[0])
    if len(services) != 1 or len(versions := p.schema.versions_of(services[0])) < 2:
        return
    previous, newest = versions[-2], versions[-1]
    for pattern in (lexicon.AFTER_DEPLOY, lexicon.BEFORE_DEPLOY, lexicon.BOTH_SIDES_OF_DEPLOY):
        reader.take_all(pattern)
    if both or (after is not None and changed):
        p.add_in(VERSION, [previous, newest])  # before and after, side by side
    else:
        p.add_equals(VERSION, newest if after is not None else previous)
    p.signals += 1


def _last_deployed(p: Planning) -> list[str]:
    deployed = [
        (entries[-1]["first_seen"], service) for service, entries in p.schema.releases.items() if len(entries) > 1
    ]
    return [max(deployed)[1]] if deployed else []


def _named_services(p: Planning) -> list[str]:
    return [
        str(value)
        for condition in p.plan.conditions
        if isinstance(condition, Condition)
        and condition.attribute.column == "service"
        and condition.op in ("=", "in")
        for value in condition.values
    ]
