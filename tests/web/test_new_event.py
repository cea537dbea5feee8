"""Events from the browser (`liveboard/web/views/home.py`): `POST /host/events`, the copy at
`/host/events/{slug}/copy`, and the new event's console with its checklist, live.

Organisers only: nobody gets 401 (a browser's GET: the login form), a host without the organiser role 403. A refused
form comes back refilled with the field named, in the person's language, and nothing changes.
"""

from __future__ import annotations

import html
import re
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx
import pytest
from conftest import HX, LiveServer, errors
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.models import AuditEntry, Event, Room, Round
from tests.live.test_websocket import WAIT, Watch, host_cookie, ws_url

NEW = {
    "title": "Fremtidens Ældrepleje i Århus",
    "slug": "aeldrepleje",
    "starts": "2026-11-05T18:00",
    "timezone": "Europe/Copenhagen",
    "language": "da",
    "place": "Rådhushallen",
}
COPY = {"title": "Velfærd igen", "slug": "velfaerd-igen", "starts": "2031-06-24T18:00"}


@pytest.fixture
def mette(server: LiveServer) -> httpx.Client:
    """A host without the organiser role."""
    server.add_account("mette", "host", name="Mette Hansen")
    return server.client(account="mette")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def snapshot(client: httpx.Client, slug: str) -> dict:
    response = client.get(f"/api/events/{slug}")
    assert response.status_code == 200, response.text
    return response.json()


# --- a new event ------------------------------------------------------------------------------------------------


def test_an_organiser_makes_an_event_and_lands_on_its_console(server: LiveServer, host: httpx.Client) -> None:
    response = host.post("/host/events", data=NEW)
    assert response.status_code == 303
    assert response.headers["location"] == "/e/aeldrepleje/host"
    made = snapshot(host, "aeldrepleje")
    assert (made["title"], made["timezone"], made["rooms"], made["rounds"], made["pitches"]) == (
        NEW["title"],
        "Europe/Copenhagen",
        [],
        [],
        [],
    )
    assert moment(made["starts"]) == moment("2026-11-05T18:00+01:00")
    assert (made["phase"], made["pitching_open"]) == ("setup", False)
    event = server.event("aeldrepleje")
    assert (event.language, event.venue) == ("da", "Rådhushallen")
    entry = server.audit()[-1]
    assert (entry.action, entry.detail, entry.actor, entry.event_id) == (
        "event.create",
        NEW["title"],
        "admin",
        event.id,
    )
    console = host.get(response.headers["location"])
    assert console.status_code == 200
    assert 'id="checklist"' in console.text


@pytest.mark.parametrize(
    ("zone", "offset"), [("America/Nuuk", "-02:00"), ("Atlantic/Faroe", "+00:00"), ("Europe/Helsinki", "+02:00")]
)
def test_the_start_is_read_on_the_event_s_own_clock(host: httpx.Client, zone: str, offset: str) -> None:
    assert host.post("/host/events", data={**NEW, "timezone": zone}).status_code == 303
    made = snapshot(host, "aeldrepleje")
    assert made["timezone"] == zone
    assert moment(made["starts"]) == moment(f"2026-11-05T18:00{offset}")


def test_a_start_with_an_offset_is_taken_as_written(host: httpx.Client) -> None:
    assert host.post("/host/events", data={**NEW, "starts": "2026-11-05T18:00:00+05:00"}).status_code == 303
    assert moment(snapshot(host, "aeldrepleje")["starts"]) == moment("2026-11-05T13:00+00:00")


def test_without_a_time_zone_copenhagen_is_the_clock(server: LiveServer, host: httpx.Client) -> None:
    data = {k: v for k, v in NEW.items() if k not in ("timezone", "place")}
    assert host.post("/host/events", data=data).status_code == 303
    assert server.event("aeldrepleje").timezone == "Europe/Copenhagen"


#: Each field's bad values, and the field's name as the message says it in English and in Danish.
BAD = [
    ("slug", "", "Address", "Webadresse"),
    ("slug", "a", "Address", "Webadresse"),
    ("slug", "x" * 41, "Address", "Webadresse"),
    ("slug", "Aeldrepleje", "Address", "Webadresse"),
    ("slug", "aeldre_pleje", "Address", "Webadresse"),
    ("slug", "ældrepleje", "Address", "Webadresse"),
    ("title", "", "Title", "Titel"),
    ("title", "x" * 121, "Title", "Titel"),
    ("starts", "", "Start", "Start"),
    ("starts", "torsdag", "Start", "Start"),
    ("starts", "0001-01-01T00:00", "Start", "Start"),
    ("timezone", "Europe/Aarhus", "Time zone", "Tidszone"),
    ("timezone", "europe/copenhagen", "Time zone", "Tidszone"),
    ("language", "de", "Language", "Sprog"),
    ("place", "x" * 121, "Place", "Sted"),
]


@pytest.mark.parametrize(("field", "value", "en", "da"), BAD, ids=[f"{b[0]}={b[1][:10]!r}" for b in BAD])
def test_bad_input_is_422_refilled_with_the_field_named(
    server: LiveServer, host: httpx.Client, field: str, value: str, en: str, da: str
) -> None:
    before = server.dump()
    data = {**NEW, field: value}
    response = host.post("/host/events", data=data)
    assert response.status_code == 422
    message = errors(response.text)
    assert en in message, message
    # The form is back as it was typed, with the field marked and tied to the message.
    for key, typed in data.items():
        if key not in ("timezone", "language") and typed:
            assert f'value="{html.escape(typed)}"' in response.text, key
    form = response.text[response.text.index('id="new-event"') :]
    field_tag = re.search(rf'<(input|select)\b[^>]*\bname="{field}"[^>]*>', form)
    assert field_tag and 'aria-invalid="true"' in field_tag.group(0)
    assert 'aria-describedby="new-event-error' in field_tag.group(0)
    assert server.dump() == before
    danish = server.client(lang="da", account=None, host=True)
    before = server.dump()
    response = danish.post("/host/events", data=data)
    assert response.status_code == 422
    assert da in errors(response.text), errors(response.text)
    assert server.dump() == before


def test_a_slug_that_is_taken_is_409_and_changes_nothing(server: LiveServer, host: httpx.Client) -> None:
    before = server.dump()
    response = host.post("/host/events", data={**NEW, "slug": "demo"})
    assert response.status_code == 409
    assert "already an event at that address" in errors(response.text)
    assert 'value="demo"' in response.text
    assert server.dump() == before


def test_htmx_and_scripts_get_the_short_error_answer(server: LiveServer, host: httpx.Client) -> None:
    before = server.dump()
    response = host.post("/host/events", data={**NEW, "slug": "x"}, headers=HX)
    assert response.status_code == 422 and "Address" in errors(response.text)
    response = host.post("/host/events", data={**NEW, "slug": "demo"}, headers={"Accept": "application/json"})
    assert response.status_code == 409 and response.json()["field"] == "slug"
    assert server.dump() == before


# --- who may ------------------------------------------------------------------------------------------------------


ORGANISER_POSTS = [
    ("/host/events", NEW),
    ("/host/events/demo/copy", COPY),
    ("/host/series", {"slug": "ny", "title": "Ny"}),
]


@pytest.mark.parametrize(("path", "data"), ORGANISER_POSTS, ids=["new", "copy", "series"])
def test_nobody_gets_401_and_a_host_403_and_nothing_changes(
    server: LiveServer, mette: httpx.Client, path: str, data: dict[str, str]
) -> None:
    before = server.dump()
    for headers in ({}, HX):
        response = server.client().post(path, data=data, headers=headers)
        assert response.status_code == 401, headers
        response = mette.post(path, data=data, headers=headers)
        assert response.status_code == 403, headers
        assert "Only organisers" in errors(response.text) or "Only organisers" in response.text
    assert server.dump() == before


@pytest.mark.parametrize(("path", "data"), ORGANISER_POSTS, ids=["new", "copy", "series"])
def test_an_organiser_may(server: LiveServer, host: httpx.Client, path: str, data: dict[str, str]) -> None:
    response = host.post(path, data=data)
    assert response.status_code == 303, response.text[:400]


def test_a_cross_site_post_is_refused(server: LiveServer) -> None:
    organiser = server.client(host=True)
    before = server.dump()
    assert organiser.post("/host/events", data=NEW, headers={"Origin": "https://evil.example"}).status_code == 403
    assert server.dump() == before


def test_the_copy_page_is_for_organisers(server: LiveServer, host: httpx.Client, mette: httpx.Client) -> None:
    response = server.client().get("/host/events/demo/copy")
    assert response.status_code == 303
    assert response.headers["location"] == "/host/login?next=/host/events/demo/copy"
    assert mette.get("/host/events/demo/copy").status_code == 403
    page = host.get("/host/events/demo/copy")
    assert page.status_code == 200
    assert 'action="/host/events/demo/copy"' in page.text
    assert host.get("/host/events/nothing-here/copy").status_code == 404


def test_a_get_of_the_form_address_goes_home(host: httpx.Client) -> None:
    response = host.get("/host/events?lang=da")
    assert (response.status_code, response.headers["location"]) == (303, "/host")


# --- copies -------------------------------------------------------------------------------------------------------


def test_a_copy_moves_the_rounds_by_the_new_start_minus_the_old(server: LiveServer, host: httpx.Client) -> None:
    source = snapshot(host, "demo")
    demo_version = source["version"]
    response = host.post("/host/events/demo/copy", data=COPY)
    assert response.status_code == 303
    assert response.headers["location"] == "/e/velfaerd-igen/host"
    made = snapshot(host, "velfaerd-igen")
    new_start = moment(made["starts"])
    assert new_start == moment("2031-06-24T18:00+02:00")
    shift = new_start - moment(source["starts"])
    assert [(r["label"], moment(r["starts"]), moment(r["ends"])) for r in made["rounds"]] == [
        (r["label"], moment(r["starts"]) + shift, moment(r["ends"]) + shift) for r in source["rounds"]
    ]
    assert [(r["name"], r["capacity"], r["location"]) for r in made["rooms"]] == [
        (r["name"], r["capacity"], r["location"]) for r in source["rooms"]
    ]
    assert made["pitches"] == [] and made["sessions"] == []
    assert (made["title"], made["timezone"], made["phase"], made["pitching_open"]) == (
        COPY["title"],
        source["timezone"],
        "setup",
        False,
    )
    demo, copied = server.event("demo"), server.event("velfaerd-igen")
    assert (copied.language, copied.venue) == (demo.language, demo.venue)
    assert demo.version == demo_version  # the source is read, not changed
    entry = server.audit()[-1]
    assert (entry.action, entry.event_id, entry.data, entry.actor) == (
        "event.copy",
        copied.id,
        {"source": "demo"},
        "admin",
    )
    # The host console's log says where it came from.
    assert "from demo" in host.get("/e/velfaerd-igen/host").text


@pytest.mark.parametrize(
    ("field", "value", "status", "words"),
    [
        ("slug", "demo", 409, "already an event at that address"),
        ("slug", "Ny_kopi", 422, "Address"),
        ("title", "", 422, "Title"),
        ("starts", "", 422, "Start"),
        ("starts", "24/6 2031", 422, "Start"),
    ],
)
def test_a_refused_copy_comes_back_refilled_and_changes_nothing(
    server: LiveServer, host: httpx.Client, field: str, value: str, status: int, words: str
) -> None:
    before = server.dump()
    data = {**COPY, field: value}
    response = host.post("/host/events/demo/copy", data=data)
    assert response.status_code == status
    assert words in errors(response.text)
    assert 'action="/host/events/demo/copy"' in response.text
    for key, typed in data.items():
        if typed:
            assert f'value="{html.escape(typed)}"' in response.text, key
    assert server.dump() == before


def test_a_copy_of_an_unknown_event_is_404(server: LiveServer, host: httpx.Client) -> None:
    before = server.dump()
    assert host.post("/host/events/nothing-here/copy", data=COPY).status_code == 404
    assert server.dump() == before


# --- the new event's checklist --------------------------------------------------------------------------------------


def checklist(page: str) -> str:
    found = re.search(r'<(section|div) id="checklist".*?</\1>', page, re.S)
    assert found, "no #checklist"
    return found.group(0)


def test_the_checklist_says_what_is_missing_with_links_until_nothing_is(server: LiveServer, host: httpx.Client) -> None:
    assert host.post("/host/events", data=NEW).status_code == 303
    base = "/e/aeldrepleje/host"
    items = checklist(host.get(base).text)
    for href in ("#rooms", "#rounds", "#event", "/e/aeldrepleje/print/doors"):
        assert f'href="{href}"' in items, href
    assert host.post(f"{base}/rooms", data={"name": "Sal A", "capacity": "40"}).status_code == 303
    assert 'href="#rooms"' not in checklist(host.get(base).text)
    data = {"label": "Runde 1", "starts": "2026-11-05T18:30", "ends": "2026-11-05T19:15"}
    assert host.post(f"{base}/rounds", data=data).status_code == 303
    assert host.post(f"{base}/pitching", data={"open": "1"}).status_code == 303
    items = checklist(host.get(base).text)
    assert 'href="#rounds"' not in items and 'href="#event"' not in items
    assert 'href="/e/aeldrepleje/print/doors"' in items
    with server.database.write() as db:  # what opening the door posters for printing records
        event = db.get(Event, server.event("aeldrepleje").id)
        event.posters_printed_at = datetime.now(UTC)
        db.add(event)
    items = checklist(host.get(base).text)
    assert "Ready for the evening" in items and "<a " not in items
    # Danish, as a Danish organiser reads it.
    danish = server.client(lang="da", host=True)
    assert "Klar til arrangementet" in checklist(danish.get(base).text)


def test_a_running_evening_shows_no_checklist(host: httpx.Client) -> None:
    assert checklist(host.get("/e/demo/host").text).startswith('<div id="checklist" hidden')


def test_the_checklist_follows_a_room_added_by_another_host(server: LiveServer, host: httpx.Client) -> None:
    assert host.post("/host/events", data=NEW).status_code == 303
    other = server.client(host=True)
    with ExitStack() as stack:
        url = ws_url(server, "host", server.event("aeldrepleje").version, slug="aeldrepleje")
        ws = stack.enter_context(
            connect(url, origin=Origin(server.url), open_timeout=WAIT, additional_headers=host_cookie(host))
        )
        console = Watch(ws, "host/en")
        server.wait_live(1)
        assert other.post("/e/aeldrepleje/host/rooms", data={"name": "Sal A", "capacity": "40"}).status_code == 303
        frame = console.until(r'id="checklist"')
        items = checklist(frame)
        assert 'hx-swap-oob="true"' in items
        assert 'href="#rooms"' not in items and 'href="#rounds"' in items
        assert other.post("/e/aeldrepleje/host/pitching", data={"open": "1"}).status_code == 303
        items = checklist(console.until(r'id="checklist"'))
        assert 'href="#event"' not in items and 'href="#rounds"' in items
    assert [e.action for e in server.rows(AuditEntry, AuditEntry.event_id == server.event("aeldrepleje").id)] == [
        "event.create",
        "room.add",
        "event.pitching",
    ]
    assert server.count(Room, Room.event_id == server.event("aeldrepleje").id) == 1
    assert server.count(Round, Round.event_id == server.event("aeldrepleje").id) == 0
