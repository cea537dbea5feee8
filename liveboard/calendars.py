"""The evening and a series' meetings as iCalendar (RFC 5545, with RFC 7986's refresh interval), made with the
`icalendar` library: `/e/{slug}/event.ics` and `/s/{series}/meetings.ics`.

A calendar that subscribes to a feed matches what it fetches again by UID, so a meeting moved to another day or
room moves in place instead of appearing twice. A UID is therefore made from what never changes: the row's id
and the installation. The installation is known by its secret key, of which only a hash is used (the key signs
every cookie and must never leave the server), so UIDs are the same on every instance and after restarts, and
two installations never collide. SEQUENCE is the event's or series' version: it rises with every change, so it
rises whenever a meeting changes (RFC 5545 asks only that it never goes down).

Times are written in UTC ("Z"): they are stored in UTC, and a calendar shows them on its own clock.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//LiveBoard//LiveBoard calendars//EN"
#: The part after "@" in every UID. A fixed name, not the public address: configuring or changing that address
#: later must not change every UID (each subscribed calendar would then show every meeting twice).
UID_HOST = "liveboard"
#: How long a dialogue meeting lasts when nothing says otherwise: a meeting has a start only, and the seed's and
#: the demo's meetings are two-hour afternoon meetings.
MEETING_LENGTH = timedelta(hours=2)
#: How often a subscribed calendar should fetch a feed again: a moved meeting shows within the hour.
REFRESH = timedelta(hours=1)


def namespace(secret_key: str) -> uuid.UUID:
    """This installation's namespace for UIDs, from a hash of its secret key (never the key itself)."""
    digest = hashlib.sha256(b"liveboard.calendar-uid\0" + secret_key.encode()).hexdigest()
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:liveboard:installation:{digest}")


def uid(space: uuid.UUID, kind: str, row_id: int) -> str:
    """A stable UID for one row ("event", "round", "meeting"), e.g. "3f2a…@liveboard"."""
    return f"{uuid.uuid5(space, f'{kind}:{row_id}')}@{UID_HOST}"


@dataclass(frozen=True)
class Entry:
    """One VEVENT: when, where and what, in the reader's language already."""

    uid: str
    summary: str
    starts: datetime
    ends: datetime | None = None
    duration: timedelta | None = None
    location: str = ""
    description: str = ""
    url: str = ""


def calendar(
    name: str, entries: Iterable[Entry], *, sequence: int, now: datetime, description: str = "", url: str = ""
) -> bytes:
    """The feed: a VCALENDAR named `name` with one VEVENT per entry, asking to be fetched again every hour."""
    # icalendar (about 3 MB) loads with the first feed asked for, not with every server.
    from icalendar import Calendar, vDuration

    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", name)
    if description:
        feed.add("x-wr-caldesc", description)
    if url:
        feed.add("url", url)
    feed.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # Outlook's name for the same thing.
    feed.add("x-published-ttl", vDuration(REFRESH))
    for entry in entries:
        feed.add_component(_vevent(entry, sequence, now))
    return feed.to_ical()


def _vevent(entry: Entry, sequence: int, now: datetime) -> Event:
    from icalendar import Event

    item = Event()
    item.add("uid", entry.uid)
    item.add("dtstamp", _utc(now))
    item.add("sequence", sequence)
    item.add("summary", entry.summary)
    starts = _utc(entry.starts)
    ends = _utc(entry.ends) if entry.ends is not None else None
    item.add("dtstart", starts)
    if ends is not None and ends > starts:
        item.add("dtend", ends)
    elif entry.duration is not None:
        item.add("duration", entry.duration)
    if entry.location:
        item.add("location", entry.location)
    if entry.description:
        item.add("description", entry.description)
    if entry.url:
        item.add("url", entry.url)
    return item


def _utc(moment: datetime) -> datetime:
    """The moment in UTC, written with "Z"; a naive one (as some drivers hand them back) is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
