"""The organiser's console of a dialogue series (`liveboard/web/views/series_host.py`): meetings, the agenda and
the follow-up of every item.

Every action: a plain form gets a 303 back to the console at its section, htmx gets the console (`#main`) back;
bad input is 422 and changes nothing, unknown ids 404, a step the history does not allow 409; without a host
session 401, from another site 403. The series is made through the domain, apart from the demo's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import HX, LiveServer, errors, first_id

from liveboard.domain import items, series
from liveboard.models import Agenda, AuditEntry, Item, ItemSupport, Meeting, Series, Step

SLUG = "proeve"
BASE = f"/s/{SLUG}/host"
T0 = datetime(2030, 3, 1, 15, 0, tzinfo=UTC)
FOREIGN = "https://evil.example"


@dataclass(frozen=True)
class Fixture:
    series: int
    first: int  # the coming meeting
    second: int  # the one after it
    a: int  # supported by m1, m2
    b: int  # supported by m2, m3
    c: int  # no support
    closed: int  # solved, on the first meeting's agenda


@pytest.fixture
def made(server: LiveServer) -> Fixture:
    with server.database.write() as db:
        db.add(Series(slug=SLUG, title="Dialogmøde med prøvegruppen", audience="Repræsentanter for prøverne"))
    with server.database.write() as db:
        s = series.by_slug(db, SLUG)
        first = series.schedule(db, s, {"starts": (T0 + timedelta(days=10)).isoformat(), "place": "Borgerservice"})
        second = series.schedule(db, s, {"starts": (T0 + timedelta(days=100)).isoformat(), "place": "Rådhuset"})
        a = items.propose(db, s, None, {"title": "NemID-brevet kom aldrig", "channel": "digital"})
        b = items.propose(db, s, None, {"title": "Kø ved skranken", "channel": "physical"})
        c = items.propose(db, s, None, {"title": "Blanketten findes kun på dansk"})
        closed = items.propose(db, s, None, {"title": "Åbningstider", "channel": "physical"})
        for item, who in ((a, "m1"), (a, "m2"), (b, "m2"), (b, "m3")):
            items.toggle_support(db, s, series.member_for(db, s, who), item.id)
        items.step(db, s, closed.id, {"status": "solved", "text": "Længere åbent om torsdagen.", "author": "BS"})
        ids = (s.id, first.id, second.id, a.id, b.id, c.id, closed.id)
    return Fixture(*ids)  # type: ignore[arg-type]


def refused(
    server: LiveServer, client: httpx.Client, path: str, data: dict[str, str], status: int, *words: str
) -> None:
    """POST both as a plain form and as htmx: `status` both times, the message names the problem, nothing changed."""
    before = server.dump()
    for headers in ({}, HX):
        response = client.post(path, data=data, headers=headers)
        assert response.status_code == status, (path, headers, response.text[:500])
        message = errors(response.text)
        for word in words:
            assert word in message, (word, message)
    assert server.dump() == before


def agenda_ids(server: LiveServer, meeting_id: int) -> list[int]:
    with server.database.read() as db:
        s = series.by_slug(db, SLUG)
        return [e.item.id for e in items.agenda(db, s, series.meeting(db, s, meeting_id))]  # type: ignore[misc]


def support(server: LiveServer, item_id: int) -> int:
    return server.count(ItemSupport, ItemSupport.item_id == item_id)


# --- the console page ------------------------------------------------------------------------------------------


def test_console_shows_meetings_agenda_and_follow_up(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    response = host.get(BASE)
    assert response.status_code == 200
    page = response.text
    for element in ("main", "meetings", "agenda", "waiting", "closed-items", "series", f"meeting-{made.first}"):
        assert f'id="{element}"' in page, element
    for title in ("NemID-brevet kom aldrig", "Kø ved skranken", "Blanketten findes kun på dansk", "Åbningstider"):
        assert html.escape(title) in page
    # The agenda in order of support (a tie: the older first), each item's support shown.
    at = [page.index(f'id="item-{i}"') for i in (made.a, made.b, made.c)]
    assert at == sorted(at)
    assert "2 support it" in page
    # An open item is offered every step but reopened; a closed one only reopened.
    open_form = page[page.index(f'id="status-{made.c}"') :].split("</select>")[0]
    assert 'value="looking"' in open_form and 'value="solved"' in open_form and 'value="reopened"' not in open_form
    closed_form = page[page.index(f'id="status-{made.closed}"') :].split("</select>")[0]
    assert 'value="reopened"' in closed_form and 'value="looking"' not in closed_form
    assert "Længere åbent om torsdagen." in page  # the history
    for path in (
        f"{BASE}/meetings",
        f"{BASE}/meetings/{made.first}",
        f"{BASE}/meetings/{made.first}/close",
        f"{BASE}/meetings/{made.first}/current",
        f"{BASE}/meetings/{made.first}/items/{made.a}/move",
        f"{BASE}/items/{made.a}/status",
        f"{BASE}/items/{made.a}/merge",
        f"{BASE}/series",
    ):
        assert f'action="{path}"' in page, path
    # Every form field has a label.
    for field_id in ("new-meeting-starts", f"status-{made.a}", f"text-{made.a}", f"merge-{made.a}", "series-title"):
        assert f'for="{field_id}"' in page, field_id


def test_console_in_danish_by_default(server: LiveServer, made: Fixture) -> None:
    browser = server.client(lang=None, host=True)
    response = browser.get(BASE)
    assert response.status_code == 200
    assert '<html lang="da">' in response.text


def test_console_without_login_redirects_a_browser_and_is_401_for_htmx(server: LiveServer, made: Fixture) -> None:
    browser = server.client()
    response = browser.get(BASE)
    assert response.status_code == 303
    assert response.headers["location"] == f"/host/login?next={BASE}"
    assert browser.get(BASE, headers=HX).status_code == 401


def test_console_of_unknown_series_is_404(host: httpx.Client) -> None:
    assert host.get("/s/no-such-series/host").status_code == 404


def test_host_index_lists_the_series(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    page = host.get("/host").text
    assert f'href="{BASE}"' in page
    assert "Dialogmøde med prøvegruppen" in page
    assert 'action="/host/series"' in page


# --- every action: plain and htmx ------------------------------------------------------------------------------


def actions(made: Fixture) -> dict[str, tuple[str, dict[str, str], str]]:
    """name → (path, fields, anchor the plain form is sent back to)."""
    return {
        "schedule": (
            f"{BASE}/meetings",
            {"starts": "2030-09-01T17:00", "place": "Biblioteket", "organisations": "Ældre Sagen\nDanske Seniorer"},
            "meetings",
        ),
        "edit-meeting": (
            f"{BASE}/meetings/{made.first}",
            {"starts": "2030-03-12T18:30", "place": "Borgerservice, mødelokale 2", "organisations": "Ældre Sagen"},
            f"meeting-{made.first}",
        ),
        "close": (f"{BASE}/meetings/{made.first}/close", {}, "meetings"),
        "current": (f"{BASE}/meetings/{made.first}/current", {"item_id": str(made.b)}, "agenda"),
        "move": (f"{BASE}/meetings/{made.first}/items/{made.c}/move", {"direction": "up"}, "agenda"),
        "status": (
            f"{BASE}/items/{made.a}/status",
            {"status": "forwarded", "text": "Sendt.", "forwarded_to": "Digitaliseringsstyrelsen", "author": "BS"},
            f"item-{made.a}",
        ),
        "merge": (f"{BASE}/items/{made.c}/merge", {"into": str(made.a)}, "agenda"),
        "edit-series": (
            f"{BASE}/series",
            {"title": "Dialogmøde med prøverne", "audience": "Alle prøver", "description": "Hvor møder I bøv?"},
            "series",
        ),
    }


ACTIONS = ["schedule", "edit-meeting", "close", "current", "move", "status", "merge", "edit-series"]


def check_effect(server: LiveServer, made: Fixture, name: str) -> None:
    if name == "schedule":
        added = server.rows(Meeting, Meeting.series_id == made.series)[-1]
        assert added.place == "Biblioteket"
        assert added.organisations == "Ældre Sagen\nDanske Seniorer"
        assert added.starts.replace(tzinfo=UTC) == datetime(2030, 9, 1, 15, 0, tzinfo=UTC)  # 17:00 in Copenhagen
    elif name == "edit-meeting":
        found = server.get(Meeting, made.first)
        assert found.place == "Borgerservice, mødelokale 2"
        assert found.starts.replace(tzinfo=UTC) == datetime(2030, 3, 12, 17, 30, tzinfo=UTC)
    elif name == "close":
        assert server.get(Meeting, made.first).held_at is not None
    elif name == "current":
        assert server.get(Meeting, made.first).current_item_id == made.b
    elif name == "move":
        assert agenda_ids(server, made.first) == [made.a, made.c, made.b, made.closed]
    elif name == "status":
        steps = server.rows(Step, Step.item_id == made.a)
        assert [(s.status, s.forwarded_to, s.author) for s in steps] == [
            ("forwarded", "Digitaliseringsstyrelsen", "BS")
        ]
        assert server.get(Item, made.a).status == "forwarded"
    elif name == "merge":
        assert server.get(Item, made.c).merged_into_id == made.a
        assert made.c not in agenda_ids(server, made.first)
    elif name == "edit-series":
        found = server.get(Series, made.series)
        assert (found.title, found.audience, found.description) == (
            "Dialogmøde med prøverne",
            "Alle prøver",
            "Hvor møder I bøv?",
        )


@pytest.mark.parametrize("name", ACTIONS)
def test_action_plain_form_redirects_to_the_console(
    server: LiveServer, host: httpx.Client, made: Fixture, name: str
) -> None:
    path, data, anchor = actions(made)[name]
    version = server.get(Series, made.series).version
    response = host.post(path, data=data)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"{BASE}#{anchor}"
    check_effect(server, made, name)
    assert server.get(Series, made.series).version > version


@pytest.mark.parametrize("name", ACTIONS)
def test_action_htmx_gets_the_console(server: LiveServer, host: httpx.Client, made: Fixture, name: str) -> None:
    path, data, _ = actions(made)[name]
    response = host.post(path, data=data, headers=HX)
    assert response.status_code == 200, response.text[:500]
    assert first_id(response.text) == "main"
    check_effect(server, made, name)


@pytest.mark.parametrize("name", ACTIONS)
def test_action_without_host_is_401_and_changes_nothing(server: LiveServer, made: Fixture, name: str) -> None:
    path, data, _ = actions(made)[name]
    refused(server, server.client(), path, data, 401, "Host login required")


@pytest.mark.parametrize("name", [*ACTIONS, "create"])
def test_cross_site_post_is_403_and_changes_nothing(
    server: LiveServer, host: httpx.Client, made: Fixture, name: str
) -> None:
    path, data, _ = actions(made).get(name) or ("/host/series", {"slug": "ny", "title": "Ny"}, "")
    before = server.dump()
    for headers in ({"Origin": FOREIGN}, {}, {"Sec-Fetch-Site": "cross-site"}):
        bare = server.client(origin=False, headers=headers)
        bare.cookies.set("lb_host", host.cookies["lb_host"], domain="127.0.0.1")
        for extra in ({}, HX):
            response = bare.post(path, data=data, headers=extra)
            assert response.status_code == 403, (headers, response.status_code)
            assert "another site" in response.text
    assert server.dump() == before


# --- bad input: 422, nothing changed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("schedule", {"starts": "next tuesday", "place": "x"}, ("time like",)),
        ("schedule", {"starts": "", "place": "x"}, ("time like",)),
        ("schedule", {"starts": "2030-09-01T17:00", "place": "x" * 201}, ("Place must be at most 200",)),
        ("edit-meeting", {"starts": "soon", "place": "x"}, ("time like",)),
        ("edit-meeting", {"starts": "2030-09-01T17:00", "organisations": "o" * 2001}, ("at most 2000",)),
        ("status", {"status": "looking", "text": ""}, ("required",)),
        ("status", {"status": "looking", "text": "x" * 2001}, ("at most 2000",)),
        ("status", {"status": "done", "text": "x"}, ("Next step must be one of",)),
        ("status", {"status": "forwarded", "text": "Sendt."}, ("forwarded to",)),
        ("merge", {"into": ""}, ("Choose the item",)),
        ("merge", {"into": "999999"}, ("no such item",)),
        ("merge", {"into": "SELF"}, ("itself",)),
        ("move", {"direction": "sideways"}, ("up or down",)),
        ("edit-series", {"title": ""}, ("required",)),
        ("edit-series", {"title": "x", "description": "d" * 2001}, ("at most 2000",)),
    ],
)
def test_bad_input_is_422_and_changes_nothing(
    server: LiveServer, host: httpx.Client, made: Fixture, name: str, data: dict[str, str], words: tuple[str, ...]
) -> None:
    path = actions(made)[name][0]
    data = {key: (str(made.c) if value == "SELF" else value) for key, value in data.items()}
    refused(server, host, path, data, 422, *words)


# --- unknown ids: 404 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/s/no-such-series/host/meetings", {"starts": "2030-09-01T17:00"}),
        (f"{BASE}/meetings/999999", {"starts": "2030-09-01T17:00"}),
        (f"{BASE}/meetings/abc/close", {}),
        (f"{BASE}/meetings/999999/close", {}),
        (f"{BASE}/meetings/999999/current", {"item_id": ""}),
        ("MEETING/current", {"item_id": "999999"}),
        (f"{BASE}/meetings/999999/items/1/move", {"direction": "up"}),
        ("MEETING/items/999999/move", {"direction": "up"}),
        (f"{BASE}/items/999999/status", {"status": "looking", "text": "x"}),
        (f"{BASE}/items/999999/merge", {"into": "ITEM"}),
        ("/s/no-such-series/host/series", {"title": "x"}),
    ],
)
def test_unknown_ids_are_404(
    server: LiveServer, host: httpx.Client, made: Fixture, path: str, data: dict[str, str]
) -> None:
    path = path.replace("MEETING", f"{BASE}/meetings/{made.first}")
    data = {key: str(made.a) if value == "ITEM" else value for key, value in data.items()}
    refused(server, host, path, data, 404)


def test_an_item_or_meeting_of_another_series_is_404(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    with server.database.write() as db:
        db.add(Series(slug="andre", title="En anden serie"))
    refused(server, host, f"/s/andre/host/items/{made.a}/status", {"status": "looking", "text": "x"}, 404)
    refused(server, host, f"/s/andre/host/meetings/{made.first}/close", {}, 404)


# --- conflicts: 409 --------------------------------------------------------------------------------------------


def test_status_steps_the_history_does_not_allow_are_409(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    step = f"{BASE}/items/{{}}/status"
    refused(server, host, step.format(made.a), {"status": "reopened", "text": "Igen."}, 409, "Only a closed item")
    refused(server, host, step.format(made.closed), {"status": "looking", "text": "Mere."}, 409, "is closed")
    refused(server, host, step.format(made.closed), {"status": "solved", "text": "Igen."}, 409, "is closed")
    # Closing twice: the second is refused.
    assert host.post(step.format(made.a), data={"status": "explained", "text": "Forklaret."}).status_code == 303
    refused(server, host, step.format(made.a), {"status": "changed", "text": "Ændret."}, 409, "Reopen it first")
    # Reopened, it takes steps again.
    assert host.post(step.format(made.a), data={"status": "reopened", "text": "Sket igen."}).status_code == 303
    assert host.post(step.format(made.a), data={"status": "looking", "text": "Vi ser på det."}).status_code == 303
    assert [s.status for s in server.rows(Step, Step.item_id == made.a)] == ["explained", "reopened", "looking"]


def test_closing_a_meeting_twice_is_409(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    path = f"{BASE}/meetings/{made.first}/close"
    assert host.post(path).status_code == 303
    refused(server, host, path, {}, 409, "already been held")


def test_discussing_an_item_not_on_the_agenda_is_409(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    refused(server, host, f"{BASE}/meetings/{made.second}/current", {"item_id": str(made.a)}, 409, "not on this")


def test_merging_into_a_merged_item_is_409(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    assert host.post(f"{BASE}/items/{made.c}/merge", data={"into": str(made.b)}).status_code == 303
    refused(server, host, f"{BASE}/items/{made.a}/merge", {"into": str(made.c)}, 409, "merge into that one")
    refused(server, host, f"{BASE}/items/{made.c}/merge", {"into": str(made.a)}, 409, "already merged")


# --- what the actions do ---------------------------------------------------------------------------------------


def test_close_carries_open_items_over_to_the_next_meeting(
    server: LiveServer, host: httpx.Client, made: Fixture
) -> None:
    host.post(f"{BASE}/items/{made.b}/status", data={"status": "looking", "text": "Vi undersøger."})
    response = host.post(f"{BASE}/meetings/{made.first}/close", headers=HX)
    assert response.status_code == 200
    carried = {row.item_id: row.carried_over for row in server.rows(Agenda, Agenda.meeting_id == made.second)}
    assert carried == {made.a: True, made.b: True, made.c: True}  # the solved one stays behind
    assert server.get(Meeting, made.first).held_at is not None
    # The console now shows the second meeting's agenda, with the carried-over marks, and the first as held.
    page = host.get(BASE).text
    agenda = page[page.index('id="agenda"') : page.index('id="waiting"')]
    assert agenda.count("Carried over") == 3
    meeting = page[page.index(f'id="meeting-{made.first}"') :].split("</li>")[0]
    assert "Held" in meeting and f"/meetings/{made.first}/close" not in meeting


def test_schedule_takes_iso_8601_with_an_offset(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    response = host.post(f"{BASE}/meetings", data={"starts": "2030-09-01T17:00:00+02:00", "place": "Biblioteket"})
    assert response.status_code == 303
    added = server.rows(Meeting, Meeting.series_id == made.series)[-1]
    assert added.starts.replace(tzinfo=UTC) == datetime(2030, 9, 1, 15, 0, tzinfo=UTC)


def test_a_past_meeting_not_yet_closed_asks_to_be_closed(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    assert host.post(f"{BASE}/meetings/{made.first}", data={"starts": "2020-01-01T10:00"}).status_code == 303
    page = host.get(BASE).text
    meeting = page[page.index(f'id="meeting-{made.first}"') :].split("</li>")[0]
    assert "Has it been held?" in meeting
    assert host.post(f"{BASE}/meetings/{made.first}/close").status_code == 303
    meeting = host.get(BASE).text.split(f'id="meeting-{made.first}"')[1].split("</li>")[0]
    assert "Held" in meeting and "Has it been held?" not in meeting


def test_open_items_wait_for_the_next_meeting_scheduled(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    # Only one meeting: once it is held, its open items wait.
    with server.database.write() as db:
        db.delete(db.get(Meeting, made.second))
    assert host.post(f"{BASE}/meetings/{made.first}/close").status_code == 303
    assert server.count(Agenda, Agenda.item_id == made.a) == 1
    page = host.get(BASE).text
    waiting = page[page.index('id="waiting"') : page.index('id="closed-items"')]
    assert f'id="item-{made.a}"' in waiting and "once it is scheduled" in waiting
    response = host.post(f"{BASE}/meetings", data={"starts": "2030-12-01T17:00", "place": "Rådhuset"})
    assert response.status_code == 303
    new = server.rows(Meeting, Meeting.series_id == made.series)[-1]
    carried = {row.item_id: row.carried_over for row in server.rows(Agenda, Agenda.meeting_id == new.id)}
    assert carried == {made.a: True, made.b: True, made.c: True}


def test_merge_carries_support_over_once_per_person(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    assert (support(server, made.a), support(server, made.b)) == (2, 2)
    response = host.post(f"{BASE}/items/{made.a}/merge", data={"into": str(made.b)}, headers=HX)
    assert response.status_code == 200
    assert support(server, made.b) == 3  # m1, m2, m3: m2 once
    assert support(server, made.a) == 0
    assert server.get(Item, made.a).merged_into_id == made.b
    assert made.a not in agenda_ids(server, made.first)
    assert f'id="item-{made.a}"' not in response.text


def test_discuss_now_and_none(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    path = f"{BASE}/meetings/{made.first}/current"
    response = host.post(path, data={"item_id": str(made.c)}, headers=HX)
    assert server.get(Meeting, made.first).current_item_id == made.c
    item = response.text[response.text.index(f'id="item-{made.c}"') :].split("</h3>")[1]
    assert "Being discussed now" in item.split("</p>")[0]
    assert host.post(path, data={"item_id": ""}).status_code == 303
    assert server.get(Meeting, made.first).current_item_id is None


def test_move_up_and_down(server: LiveServer, host: httpx.Client, made: Fixture) -> None:
    move = f"{BASE}/meetings/{made.first}/items/{{}}/move"
    assert agenda_ids(server, made.first) == [made.a, made.b, made.c, made.closed]
    host.post(move.format(made.a), data={"direction": "down"})
    assert agenda_ids(server, made.first) == [made.b, made.a, made.c, made.closed]
    host.post(move.format(made.b), data={"direction": "up"})  # already first: stays
    assert agenda_ids(server, made.first) == [made.b, made.a, made.c, made.closed]
    host.post(move.format(made.closed), data={"direction": "up"})
    assert agenda_ids(server, made.first) == [made.b, made.a, made.closed, made.c]


# --- series: create and edit -----------------------------------------------------------------------------------


def test_create_a_series(server: LiveServer, host: httpx.Client) -> None:
    data = {"slug": "Naboer", "title": "Dialogmøde med naboerne", "audience": "Naboer", "language": "en"}
    response = host.post("/host/series", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == "/s/naboer/host"
    created = server.rows(Series, Series.slug == "naboer")[0]
    assert (created.title, created.audience, created.language) == ("Dialogmøde med naboerne", "Naboer", "en")
    assert server.rows(AuditEntry)[-1].action == "series.create"
    assert host.get("/s/naboer/host").status_code == 200


def test_create_a_series_refuses_bad_input_and_a_taken_address(server: LiveServer, host: httpx.Client) -> None:
    refused(server, host, "/host/series", {"slug": "æøå", "title": "x"}, 422, "letters")
    refused(server, host, "/host/series", {"slug": "ok", "title": ""}, 422, "required")
    refused(server, host, "/host/series", {"slug": "ok", "title": "x", "language": "de"}, 422, "must be one of")
    assert host.post("/host/series", data={"slug": "ok", "title": "x"}).status_code == 303
    refused(server, host, "/host/series", {"slug": "ok", "title": "y"}, 409, "already a series")
    refused(server, server.client(), "/host/series", {"slug": "nyt", "title": "y"}, 401, "Host login required")


def test_every_post_route_of_the_console_is_tested(made: Fixture) -> None:
    from liveboard.web.views import series_host

    posted = {route.path for route in series_host.routes if "POST" in (route.methods or ())}
    tested = {"/host/series"}
    for path, _, _ in actions(made).values():
        parts = path.split("/")
        names = iter(["{series}", "{id}", "{item_id}"])
        tested.add("/".join(next(names) if p.isdigit() or p == SLUG else p for p in parts))
    assert posted == tested
