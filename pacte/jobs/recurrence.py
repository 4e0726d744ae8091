"""When a schedule is due: its slots are wall-clock times of the workspace's time zone
(python-dateutil's rrule), turned into instants with ``zoneinfo``.

Daylight saving: a slot that does not exist that night (02:30 when clocks go forward) happens
once, an hour later by the clock (03:30: the instant 02:30 would have been before the change);
a slot that happens twice (02:30 when clocks go back) runs once, at its first occurrence. A slot
is one instant, so the unique run key keeps it to one run either way."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from dateutil import rrule

from pacte.jobs.kinds import Every

_START = datetime(2000, 1, 3)  # a Monday, before any slot we ask about


def slots(
    every: Every, *, weekday: int, day: int, hour: int, minute: int, fiscal_start_month: int = 1
) -> rrule.rrule:
    """The wall-clock slots of a schedule (naive datetimes)."""
    if every == "hour":
        return rrule.rrule(rrule.HOURLY, dtstart=_START, byminute=minute, bysecond=0)
    common = {"dtstart": _START, "byhour": hour, "byminute": minute, "bysecond": 0}
    if every == "day":
        return rrule.rrule(rrule.DAILY, **common)
    if every == "week":
        return rrule.rrule(rrule.WEEKLY, byweekday=weekday, **common)
    if every == "month":
        return rrule.rrule(rrule.MONTHLY, bymonthday=day, **common)
    firsts = sorted({(fiscal_start_month - 1 + 3 * q) % 12 + 1 for q in range(4)})
    return rrule.rrule(rrule.MONTHLY, bymonth=firsts, bymonthday=day, **common)


def _instant(wall: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz).astimezone(UTC)


def last_due(rule: rrule.rrule, tz: zoneinfo.ZoneInfo, now: datetime) -> datetime | None:
    """The latest slot at or before ``now`` (an aware instant, UTC)."""
    wall = now.astimezone(tz).replace(tzinfo=None)
    found = rule.before(wall, inc=True)
    while found is not None:
        instant = _instant(found, tz)
        if instant <= now:
            return instant
        found = rule.before(found)  # a slot shifted past ``now`` by a clock change
    return None


def next_due(rule: rrule.rrule, tz: zoneinfo.ZoneInfo, now: datetime) -> datetime | None:
    """The first slot after ``now``."""
    found = rule.after(now.astimezone(tz).replace(tzinfo=None))
    while found is not None:
        instant = _instant(found, tz)
        if instant > now:
            return instant
        found = rule.after(found)
    return None
