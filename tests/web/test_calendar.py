"""Calendar feeds (`liveboard/calendars.py`, `liveboard/web/views/calendar.py`): `/e/{slug}/event.ics` and
`/s/{series}/meetings.ics`, read back with the `icalendar` library as a calendar app would.

Against a real server with the demo. Times are entered as a host types them (on the event's clock, in
Europe/Copenhagen) and must come out right in UTC, summer and winter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import LiveServer
from icalendar import Calendar

from liveboard import calendars
from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.models import Event, Meeting, Round, Series

SERIES = "seniorer"


def feed(client: httpx.Client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def vevents(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def utc(component: object, name: str) -> datetime:
    moment = component[name].dt  # type: ignore[index]
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0), f"{name} is not in UTC: {moment!r}"
    return moment


# --- the event -------------------------------------------------------------------------------------------------


def test_event_feed_has_the_evening_and_one_vevent_per_round(server: LiveServer, client: httpx.Client) -> None:
    calendar = feed(client, "/e/demo/event.ics")
    event = server.event()
    rounds = sorted(server.rows(Round), key=lambda r: r.starts)
    found = vevents(calendar)
    assert len(found) == 1 + len(rounds)
    whole = found[0]
    assert str(whole["SUMMARY"]) == event.title
    assert utc(whole, "DTSTART") == event.starts
    assert utc(whole, "DTEND") == rounds[-1].ends
    assert str(whole["LOCATION"]) == event.venue
    assert str(whole["URL"]) == f"{server.url}/e/demo"
    for vevent, round_ in zip(found[1:], rounds, strict=True):
        assert str(vevent["SUMMARY"]) == f"{round_.label} – {event.title}"
        assert (utc(vevent, "DTSTART"), utc(vevent, "DTEND")) == (round_.starts, round_.ends)
    # What runs where in round 1, as "room: title" lines.
    assert f"Store sal: {server.pitch('stress').title}" in str(found[1]["DESCRIPTION"])
    assert str(calendar["X-WR-CALNAME"]) == event.title
    uids = [str(v["UID"]) for v in found]
    assert len(set(uids)) == len(uids) and all("@" in uid for uid in uids)
    for vevent in found:
        assert int(vevent["SEQUENCE"]) == event.version
        assert abs(utc(vevent, "DTSTAMP") - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("day", "offset"),
    [("2030-06-24", 2), ("2030-01-15", 1)],
    ids=["summer-time", "winter-time"],
)
def test_round_times_typed_on_the_event_clock_come_out_right_in_utc(
    server: LiveServer, host: httpx.Client, day: str, offset: int
) -> None:
    """A host types 18:30 in Copenhagen: that is 16:30Z in summer (CEST) and 17:30Z in winter (CET)."""
    for number, (starts, ends) in enumerate((("18:30", "19:10"), ("19:20", "20:00"), ("20:10", "20:50")), start=1):
        round_ = server.round(number)
        data = {"label": f"Runde {number}", "starts": f"{day}T{starts}", "ends": f"{day}T{ends}"}
        assert host.post(f"/e/demo/host/rounds/{round_.id}", data=data).status_code == 303
    found = vevents(feed(server.client(), "/e/demo/event.ics"))
    first = found[1]
    assert utc(first, "DTSTART") == datetime.fromisoformat(f"{day}T{18 - offset:02d}:30:00+00:00")
    assert utc(first, "DTEND") == datetime.fromisoformat(f"{day}T{19 - offset:02d}:10:00+00:00")
    assert utc(found[0], "DTEND") == datetime.fromisoformat(f"{day}T{20 - offset:02d}:50:00+00:00")
    raw = server.client().get("/e/demo/event.ics").text
    assert f"DTSTART:{day.replace('-', '')}T{18 - offset:02d}3000Z" in raw


def test_a_new_event_runs_from_its_start_to_its_last_rounds_end(server: LiveServer, host: httpx.Client) -> None:
    made = host.post(
        "/host/events",
        data={"slug": "sankthans", "title": "Sankthans", "starts": "2030-06-23T17:00", "timezone": "Europe/Copenhagen"},
    )
    assert made.status_code == 303, made.text[:300]
    only = vevents(feed(host, "/e/sankthans/event.ics"))
    assert len(only) == 1 and utc(only[0], "DTSTART") == datetime(2030, 6, 23, 15, 0, tzinfo=UTC)
    assert "DTEND" not in only[0]  # no rounds yet: its end is not known
    data = {"label": "Runde 1", "starts": "2030-06-23T17:30", "ends": "2030-06-23T18:15"}
    assert host.post("/e/sankthans/host/rounds", data=data).status_code == 303
    whole, round_ = vevents(feed(host, "/e/sankthans/event.ics"))
    assert utc(whole, "DTEND") == datetime(2030, 6, 23, 16, 15, tzinfo=UTC)
    assert "not placed yet" in str(round_["DESCRIPTION"])


def test_uids_stay_when_the_event_changes_and_differ_between_rows(server: LiveServer, host: httpx.Client) -> None:
    before = vevents(feed(host, "/e/demo/event.ics"))
    round_ = server.round(2)
    data = {"label": "Anden runde", "starts": "2030-06-24T19:00", "ends": "2030-06-24T19:40"}
    assert host.post(f"/e/demo/host/rounds/{round_.id}", data=data).status_code == 303
    after = vevents(feed(host, "/e/demo/event.ics"))
    assert sorted(str(v["UID"]) for v in after) == sorted(str(v["UID"]) for v in before)  # moved, not new
    assert int(after[0]["SEQUENCE"]) > int(before[0]["SEQUENCE"])
    moved = next(v for v in after if str(v["SUMMARY"]).startswith("Anden runde"))
    assert utc(moved, "DTSTART") == datetime(2030, 6, 24, 17, 0, tzinfo=UTC)
    assert str(moved["UID"]) == next(str(v["UID"]) for v in before if str(v["SUMMARY"]).startswith("Runde 2 "))


def test_uids_do_not_depend_on_the_address_the_feed_was_fetched_at(server: LiveServer) -> None:
    one = vevents(feed(server.client(), "/e/demo/event.ics"))
    other = vevents(feed(server.client(headers={"Host": "liveboard.example"}), "/e/demo/event.ics"))
    assert [str(v["UID"]) for v in one] == [str(v["UID"]) for v in other]
    assert str(other[0]["URL"]) == "http://liveboard.example/e/demo"


def test_unknown_event_is_404(client: httpx.Client) -> None:
    assert client.get("/e/no-such-event/event.ics").status_code == 404


# --- a series' meetings --------------------------------------------------------------------------------------


def meetings(server: LiveServer, slug: str = SERIES) -> list[Meeting]:
    found = server.rows(Series, Series.slug == slug)[0]
    return sorted(server.rows(Meeting, Meeting.series_id == found.id), key=lambda m: (m.starts, m.id))


def agenda_titles(server: LiveServer, meeting: Meeting) -> list[str]:
    with server.database.read() as db:
        found = series_domain.by_slug(db, SERIES)
        return [entry.item.title for entry in items.agenda(db, found, meeting)]


def test_series_feed_has_one_vevent_per_meeting(server: LiveServer, client: httpx.Client) -> None:
    response = client.get(f"/s/{SERIES}/meetings.ics")
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = response.text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in raw
    assert "X-PUBLISHED-TTL:PT1H" in raw
    calendar = Calendar.from_ical(response.content)
    series = server.rows(Series, Series.slug == SERIES)[0]
    assert str(calendar["X-WR-CALNAME"]) == series.title
    found = vevents(calendar)
    rows = meetings(server)
    assert len(found) == len(rows) == 2  # the demo's held meeting and the coming one
    page = f"{server.url}/s/{SERIES}"
    for vevent, meeting in zip(found, rows, strict=True):
        assert str(vevent["SUMMARY"]) == series.title
        assert utc(vevent, "DTSTART") == meeting.starts
        assert vevent["DURATION"].dt == timedelta(hours=2)
        assert str(vevent["LOCATION"]) == meeting.place
        assert str(vevent["URL"]) == page
        description = str(vevent["DESCRIPTION"])
        assert page in description
        titles = agenda_titles(server, meeting)
        assert titles, "the demo's meetings have agendas"
        for title in titles:
            assert title in description
        assert int(vevent["SEQUENCE"]) == series.version
    uids = [str(v["UID"]) for v in found]
    assert len(set(uids)) == 2 and all(uid.endswith("@liveboard") for uid in uids)


def test_an_edited_meeting_keeps_its_uid_and_its_sequence_rises(server: LiveServer, host: httpx.Client) -> None:
    before = {str(v["UID"]): v for v in vevents(feed(host, f"/s/{SERIES}/meetings.ics"))}
    coming = meetings(server)[-1]
    data = {"starts": "2030-03-12T18:30", "place": "Rådhuset, lokale 4", "organisations": ""}
    response = host.post(f"/s/{SERIES}/host/meetings/{coming.id}", data=data)
    assert response.status_code == 303, response.text[:300]
    after = {str(v["UID"]): v for v in vevents(feed(host, f"/s/{SERIES}/meetings.ics"))}
    assert set(after) == set(before)  # updated in place, not a new meeting
    moved = next(v for v in after.values() if str(v["LOCATION"]) == "Rådhuset, lokale 4")
    assert utc(moved, "DTSTART") == datetime(2030, 3, 12, 17, 30, tzinfo=UTC)  # 18:30 in Copenhagen (CET)
    uid = str(moved["UID"])
    assert int(moved["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    assert str(before[uid]["LOCATION"]) != "Rådhuset, lokale 4"


def test_a_new_meeting_gets_a_uid_of_its_own(server: LiveServer, host: httpx.Client) -> None:
    before = {str(v["UID"]) for v in vevents(feed(host, f"/s/{SERIES}/meetings.ics"))}
    data = {"starts": "2031-01-10T10:00", "place": "Borgerservice"}
    assert host.post(f"/s/{SERIES}/host/meetings", data=data).status_code == 303
    after = {str(v["UID"]) for v in vevents(feed(host, f"/s/{SERIES}/meetings.ics"))}
    assert before < after and len(after - before) == 1


def test_series_share_no_uids(server: LiveServer, client: httpx.Client) -> None:
    seen: set[str] = set()
    for slug in ("seniorer", "udsatte", "internationale", "unge"):
        uids = {str(v["UID"]) for v in vevents(feed(client, f"/s/{slug}/meetings.ics"))}
        assert uids and not uids & seen
        seen |= uids


def test_a_series_without_meetings_is_an_empty_calendar(server: LiveServer, client: httpx.Client) -> None:
    with server.database.write() as db:
        db.add(Series(slug="tom", title="Ingen møder endnu"))
    calendar = feed(client, "/s/tom/meetings.ics")
    assert vevents(calendar) == [] and str(calendar["X-WR-CALNAME"]) == "Ingen møder endnu"


def test_feed_text_follows_the_language(server: LiveServer) -> None:
    danish = server.client(lang=None).get(f"/s/{SERIES}/meetings.ics?lang=da").text
    english = server.client(lang=None).get(f"/s/{SERIES}/meetings.ics?lang=en").text
    assert "På dagsordenen:" in danish and "On the agenda:" in english


def test_unknown_series_is_404(client: httpx.Client) -> None:
    assert client.get("/s/no-such-series/meetings.ics").status_code == 404


# --- UIDs: the installation's, never its secret ------------------------------------------------------------


def test_uids_come_from_a_hash_of_the_secret_key_never_the_key(server: LiveServer, client: httpx.Client) -> None:
    key = server.app.state.secret_key
    raw = client.get(f"/s/{SERIES}/meetings.ics").text + client.get("/e/demo/event.ics").text
    assert key not in raw
    meeting = meetings(server)[0]
    assert calendars.uid(calendars.namespace(key), "meeting", meeting.id) in raw  # type: ignore[arg-type]
    # Another installation (another key) makes other UIDs for the same row.
    assert calendars.uid(calendars.namespace(key + "x"), "meeting", 1) != calendars.uid(
        calendars.namespace(key), "meeting", 1
    )
    # And an event's row and a meeting's row with the same id never share one.
    assert calendars.uid(calendars.namespace(key), "event", 1) != calendars.uid(calendars.namespace(key), "meeting", 1)


# --- where people find them --------------------------------------------------------------------------------


def test_the_feeds_are_linked_where_people_look(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    assert 'href="/e/demo/event.ics?lang=en"' in client.get("/e/demo").text
    series_page = client.get(f"/s/{SERIES}").text
    assert f'href="/s/{SERIES}/meetings.ics?lang=en"' in series_page
    assert "Subscribe in your calendar" in series_page
    console = host.get("/e/demo/host").text
    for href in ("/e/demo/print/doors", "/e/demo/print/programme", "/e/demo/event.ics?lang=en"):
        assert f'href="{href}"' in console


def test_a_feed_needs_no_login_and_sets_no_participant_cookie(server: LiveServer) -> None:
    anyone = server.client(lang=None)
    response = anyone.get("/e/demo/event.ics")
    assert response.status_code == 200
    assert "lb_pid" not in response.cookies
    assert server.rows(Event, Event.slug == "demo")[0].version == server.version()
