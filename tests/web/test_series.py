"""A dialogue series for its participants (`liveboard/web/views/series.py`): the page, raising a friction point,
support, and `GET /api/series/{series}`.

Against a real server. The series is made through the domain in a fixture of its own (the demo's series may change):
one meeting held in January 2026, where "Gammel bøv" stayed open and "Løst bøv" was solved; then two meetings to
come, so "Gammel bøv" is carried over to the first of them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx
import pytest
from conftest import HX, LiveServer, errors, first_id, out_of_band

from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.models import Item, ItemSupport, Member, Series

SLUG = "proeve"
PAGE = f"/s/{SLUG}"


@dataclass(frozen=True)
class Dialogue:
    series_id: int
    held: int
    coming: int
    later: int
    old: int
    solved: int


@pytest.fixture
def dialogue(server: LiveServer) -> Dialogue:
    with server.database.write() as db:
        made = Series(
            slug=SLUG,
            title="Dialogmøde med seniorerne",
            audience="Repræsentanter for seniorerne i byen",
            description="Hvor møder I bøv?",
        )
        db.add(made)
        db.flush()
        held = series_domain.schedule(db, made, {"starts": "2026-01-13T17:00", "place": "Rådhuset"})
        old = items.propose(db, made, None, {"title": "Gammel bøv", "channel": "digital"})
        solved = items.propose(db, made, None, {"title": "Løst bøv", "channel": "physical"})
        items.step(db, made, solved.id, {"status": "solved", "text": "Skiltet er sat op."})
        series_domain.close(db, made, held.id)
        coming = series_domain.schedule(
            db,
            made,
            {
                "starts": "2030-03-05T16:30",
                "place": "Borgerservice, mødelokale 2",
                "organisations": "Ældresagen\nDanske Seniorer",
            },
        )
        later = series_domain.schedule(db, made, {"starts": "2030-06-04T16:30", "place": "Rådhuset"})
        return Dialogue(made.id, held.id, coming.id, later.id, old.id, solved.id)  # type: ignore[arg-type]


def propose(client: httpx.Client, title: str, **fields: str) -> httpx.Response:
    return client.post(f"{PAGE}/items", data={"title": title, "channel": "digital", **fields})


def item(server: LiveServer, title: str) -> Item:
    return server.rows(Item, Item.title == title)[0]


def support(server: LiveServer, item_id: int) -> int:
    return server.count(ItemSupport, ItemSupport.item_id == item_id)


def member(server: LiveServer, client: httpx.Client) -> Member | None:
    """The member behind a client's signed `lb_mid` cookie, found through the cookie as the app does."""
    raw = client.cookies.get("lb_mid")
    if not raw:
        return None
    found = server.rows(Member, Member.token == raw.rsplit(".", 1)[0])
    return found[0] if found else None


def agenda_ids(page: str) -> list[int]:
    block = re.search(r'<ol id="series-agenda".*?</ol>', page, re.S)
    assert block is not None
    return [int(n) for n in re.findall(r'<li class="series-item[^"]*" id="agenda-item-(\d+)"', block.group(0))]


# --- the page ----------------------------------------------------------------------------------------------------


def test_page_shows_the_series_and_its_coming_meeting(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.text
    for text in ("Dialogmøde med seniorerne", "Repræsentanter for seniorerne i byen", "Hvor møder I bøv?"):
        assert text in page
    # Scheduled for 16:30 in Copenhagen on Tuesday 5 March 2030 (15:30 UTC), and shown as such.
    assert "Tuesday, 5 March 2030" in page
    assert "at 16:30" in page
    assert 'datetime="2030-03-05T15:30:00+00:00"' in page
    assert "Borgerservice, mødelokale 2" in page
    assert "<li>Ældresagen</li>" in page and "<li>Danske Seniorer</li>" in page
    assert f'href="{PAGE}/log"' in page
    for element in ("series-meeting", "series-agenda", "series-form", "series-mine"):
        assert f'id="{element}"' in page


def test_page_is_danish_by_default(server: LiveServer, dialogue: Dialogue) -> None:
    page = server.client(lang=None).get(PAGE).text
    assert '<html lang="da">' in page
    assert "tirsdag den 5. marts 2030" in page
    assert 'Sted:</span> <span lang="da">Borgerservice, mødelokale 2</span>' in page


def test_first_visit_issues_the_member_cookie_for_this_series(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    response = client.get(PAGE)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lb_mid=")
    assert f"Path={PAGE}" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    again = client.get(PAGE)
    assert "lb_mid" not in again.headers.get("set-cookie", "")
    assert member(server, client) is None  # a row only once the person does something


def test_carried_over_item_is_marked_and_closed_items_are_not_on_the_agenda(
    client: httpx.Client, dialogue: Dialogue
) -> None:
    page = client.get(PAGE).text
    assert agenda_ids(page) == [dialogue.old]
    entry = re.search(rf'<li class="series-item([^"]*)" id="agenda-item-{dialogue.old}".*?</li>', page, re.S)
    assert entry is not None and "carried" in entry.group(1)
    assert "Carried over" in entry.group(0)
    agenda = re.search(r'id="series-agenda".*?</ol>', page, re.S)
    assert agenda is not None and "Løst bøv" not in agenda.group(0)
    # A closed point is not on the agenda; the page says what became of it instead.
    answers = re.search(r'id="series-log-short".*?</section>', page, re.S)
    assert answers is not None and "Løst bøv" in answers.group(0)


def test_agenda_orders_itself_by_support_ties_older_first(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    for title in ("A-bøv", "B-bøv", "C-bøv"):
        assert propose(client, title).status_code == 303
    a, b, c = (item(server, t).id for t in ("A-bøv", "B-bøv", "C-bøv"))
    assert agenda_ids(client.get(PAGE).text) == [dialogue.old, a, b, c]  # no support: the older first
    others = [server.client() for _ in range(2)]
    for other in others:
        assert other.post(f"{PAGE}/items/{c}/support").status_code == 303
    assert others[0].post(f"{PAGE}/items/{b}/support").status_code == 303
    assert agenda_ids(client.get(PAGE).text) == [c, b, dialogue.old, a]


def test_current_item_is_highlighted(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    with server.database.write() as db:
        made = series_domain.by_slug(db, SLUG)
        items.discuss(db, made, dialogue.coming, dialogue.old)
    page = client.get(PAGE).text
    entry = re.search(rf'<li class="series-item([^"]*)" id="agenda-item-{dialogue.old}"([^>]*)>.*?</li>', page, re.S)
    assert entry is not None
    assert "current" in entry.group(1) and 'aria-current="true"' in entry.group(2)
    assert "Being discussed now" in entry.group(0)


def test_your_points_shows_my_items_with_status_and_latest_answer(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    client.get(PAGE)
    assert "The points you raise appear here" in client.get(PAGE).text
    assert propose(client, "Min bøv").status_code == 303
    assert propose(server.client(), "Andres bøv").status_code == 303
    mine = item(server, "Min bøv")
    page = client.get(PAGE).text
    block = re.search(r'<div id="series-mine".*', page, re.S)
    assert block is not None
    assert "Min bøv" in block.group(0) and "Andres bøv" not in block.group(0)
    assert "New" in block.group(0) and "No answer yet." in block.group(0)
    with server.database.write() as db:
        made = series_domain.by_slug(db, SLUG)
        items.step(db, made, mine.id, {"status": "looking", "text": "Vi undersøger det."})
        items.step(
            db, made, mine.id, {"status": "forwarded", "text": "Sendt videre.", "forwarded_to": "Udbetaling Danmark"}
        )
    block = re.search(r'<div id="series-mine".*', client.get(PAGE).text, re.S)
    assert block is not None
    assert "Forwarded" in block.group(0)
    assert "Sendt videre." in block.group(0) and "Udbetaling Danmark" in block.group(0)
    assert "Vi undersøger det." not in block.group(0)  # only the latest answer


@pytest.mark.parametrize("path", ["/s/no-such-series", "/api/series/no-such-series"])
def test_unknown_series_is_404(client: httpx.Client, path: str, dialogue: Dialogue) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "lb_mid" not in response.headers.get("set-cookie", "")


def test_unknown_series_page_is_the_404_page(client: httpx.Client) -> None:
    response = client.get("/s/no-such-series")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no such series." in errors(response.text)


# --- raising a point ---------------------------------------------------------------------------------------------


def test_propose_plain_goes_on_the_next_meetings_agenda(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    response = client.post(
        f"{PAGE}/items",
        data={
            "title": "  Kan ikke finde blanketten  ",
            "story": "Jeg ledte i en time.",
            "service": "Udbetaling Danmark",
            "channel": "both",
            "organisation": "Ældresagen",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?sent=1#series-form"
    made = item(server, "Kan ikke finde blanketten")  # trimmed
    assert (made.story, made.service, made.channel, made.organisation, made.status) == (
        "Jeg ledte i en time.",
        "Udbetaling Danmark",
        "both",
        "Ældresagen",
        "new",
    )
    who = member(server, client)
    assert who is not None and made.member_id == who.id and who.series_id == dialogue.series_id
    api = client.get(f"/api/series/{SLUG}").json()
    listed = next(i for i in api["items"] if i["id"] == made.id)
    assert listed["meeting_ids"] == [dialogue.coming]  # the next meeting, not the later one
    page = client.get(f"{PAGE}?sent=1").text
    assert made.id in agenda_ids(page)
    assert "Thank you! Your point is on the agenda." in page


def test_propose_htmx_gets_the_form_and_the_agenda_out_of_band(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    response = client.post(f"{PAGE}/items", data={"title": "Bøv via htmx", "channel": "physical"}, headers=HX)
    assert response.status_code == 200
    assert first_id(response.text) == "series-form"
    assert "Thank you!" in response.text
    assert out_of_band(response.text, "series-agenda")
    assert out_of_band(response.text, "series-mine")
    made = item(server, "Bøv via htmx")
    assert made.channel == "physical"
    assert f'id="agenda-item-{made.id}"' in response.text
    assert "lb_mid=" in response.headers["set-cookie"]  # the first action of a browser never seen before


def test_propose_with_the_longest_allowed_fields(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    title = "T" * 120
    response = propose(client, title, story="s" * 1000, service="v" * 80, organisation="o" * 80)
    assert response.status_code == 303
    assert server.count(Item, Item.title == title) == 1


def test_propose_without_channel_is_both(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    assert client.post(f"{PAGE}/items", data={"title": "Uden kanal"}).status_code == 303
    assert item(server, "Uden kanal").channel == "both"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"title": ""}, ["Title", "required"]),
        ({"title": "   "}, ["Title", "required"]),
        ({"channel": "digital"}, ["Title", "required"]),
        ({"title": "T" * 121}, ["Title", "120", "121"]),
        ({"title": "bad\x00title"}, ["Title", "not allowed"]),
        ({"title": "ok", "story": "s" * 1001}, ["What happened", "1000", "1001"]),
        ({"title": "ok", "service": "v" * 81}, ["Where (which service)", "80", "81"]),
        ({"title": "ok", "channel": "pigeon"}, ["Digital or physical", "digital, physical, both"]),
        ({"title": "ok", "organisation": "o" * 81}, ["Organisation", "80", "81"]),
    ],
    ids=["empty", "blank", "missing", "title-121", "control-char", "story-1001", "service-81", "channel", "org-81"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_propose_bad_input_is_422_with_a_message_and_changes_nothing(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue, fields: dict[str, str], words: list[str], htmx: bool
) -> None:
    client.get(PAGE)
    before = server.dump()
    response = client.post(f"{PAGE}/items", data=fields, headers=HX if htmx else {})
    assert response.status_code == 422
    message = errors(response.text)
    for word in words:
        assert word in message
    assert server.dump() == before
    if htmx:
        assert first_id(response.text) == "series-form"
    else:
        assert 'id="series-agenda"' in response.text  # the whole page, with the form as it was filled in


def test_propose_bad_input_keeps_what_was_typed(client: httpx.Client, dialogue: Dialogue) -> None:
    response = client.post(
        f"{PAGE}/items",
        data={"title": "T" * 121, "story": "Min historie", "service": "SKAT", "channel": "physical"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Min historie" in response.text and 'value="SKAT"' in response.text
    assert 'value="physical" checked' in response.text
    assert 'id="item-title" name="title"' in response.text
    title = re.search(r'<input id="item-title"[^>]*>', response.text)
    assert title is not None and 'aria-invalid="true"' in title.group(0)


def test_propose_is_rate_limited_per_person(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    for number in range(20):
        assert propose(client, f"Bøv {number}").status_code == 303
    before = server.dump()
    assert propose(client, "En for mange").status_code == 429
    assert server.dump() == before
    assert propose(server.client(), "En anden person").status_code == 303


def test_propose_to_unknown_series_is_404(server: LiveServer, client: httpx.Client) -> None:
    before = server.dump()
    assert client.post("/s/nope/items", data={"title": "x"}).status_code == 404
    assert server.dump() == before


def test_propose_when_no_meeting_is_scheduled_waits_for_the_next(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    with server.database.write() as db:
        made = series_domain.by_slug(db, SLUG)
        series_domain.close(db, made, dialogue.coming)
        series_domain.close(db, made, dialogue.later)
    page = client.get(PAGE).text
    assert "No meeting is scheduled yet." in page
    assert propose(client, "Venter").status_code == 303
    assert "Venter" in client.get(PAGE).text  # under "Your points"
    assert (
        next(i for i in client.get(f"/api/series/{SLUG}").json()["items"] if i["title"] == "Venter")["meeting_ids"]
        == []
    )


# --- support -----------------------------------------------------------------------------------------------------


def test_support_toggles_on_then_off(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    response = client.post(f"{PAGE}/items/{dialogue.old}/support")
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}#agenda-item-{dialogue.old}"
    assert support(server, dialogue.old) == 1
    who = member(server, client)
    assert who is not None
    assert server.count(ItemSupport, ItemSupport.member_id == who.id) == 1
    page = client.get(PAGE).text
    button = re.search(rf'action="{PAGE}/items/{dialogue.old}/support".*?</form>', page, re.S)
    assert button is not None and 'aria-pressed="true"' in button.group(0)
    assert client.post(f"{PAGE}/items/{dialogue.old}/support").status_code == 303
    assert support(server, dialogue.old) == 0
    button = re.search(rf'action="{PAGE}/items/{dialogue.old}/support".*?</form>', client.get(PAGE).text, re.S)
    assert button is not None and 'aria-pressed="false"' in button.group(0)


def test_support_counts_once_per_person_and_exactly(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue
) -> None:
    people = [client, *(server.client() for _ in range(3))]
    for person in people:
        assert person.post(f"{PAGE}/items/{dialogue.old}/support").status_code == 303
    assert support(server, dialogue.old) == 4
    assert people[1].post(f"{PAGE}/items/{dialogue.old}/support").status_code == 303  # taken back
    assert support(server, dialogue.old) == 3
    api = {i["id"]: i["support"] for i in client.get(f"/api/series/{SLUG}").json()["items"]}
    assert api[dialogue.old] == 3
    assert f'id="item-support-{dialogue.old}">3<' in client.get(PAGE).text
    assert server.count(Member, Member.series_id == dialogue.series_id) == 4


def test_support_htmx_returns_the_button(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    response = client.post(f"{PAGE}/items/{dialogue.old}/support", headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form")
    assert 'aria-pressed="true"' in response.text
    assert f'id="item-support-{dialogue.old}">1<' in response.text
    assert out_of_band(response.text, "series-marks")  # the page's own marks, for live frames to apply
    assert f'data-support="{dialogue.old}"' in response.text
    response = client.post(f"{PAGE}/items/{dialogue.old}/support", headers=HX)
    assert 'aria-pressed="false"' in response.text
    assert f'id="item-support-{dialogue.old}">0<' in response.text


@pytest.mark.parametrize("item_id", ["999999", "abc", "0"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_support_unknown_item_is_404(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue, item_id: str, htmx: bool
) -> None:
    client.get(PAGE)
    before = server.dump()
    response = client.post(f"{PAGE}/items/{item_id}/support", headers=HX if htmx else {})
    assert response.status_code == 404
    assert server.dump() == before


def test_support_of_another_series_item_is_404(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    with server.database.write() as db:
        other = Series(slug="andet", title="Andet")
        db.add(other)
        db.flush()
        foreign = items.propose(db, other, None, {"title": "Fremmed"}).id
    client.get(PAGE)
    before = server.dump()
    assert client.post(f"{PAGE}/items/{foreign}/support").status_code == 404
    assert server.dump() == before


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_support_of_a_merged_item_is_409(
    server: LiveServer, client: httpx.Client, dialogue: Dialogue, htmx: bool
) -> None:
    assert propose(client, "Dublet").status_code == 303
    duplicate = item(server, "Dublet").id
    with server.database.write() as db:
        items.merge(db, series_domain.by_slug(db, SLUG), duplicate, dialogue.old)
    before = server.dump()
    response = client.post(f"{PAGE}/items/{duplicate}/support", headers=HX if htmx else {})
    assert response.status_code == 409
    assert "merged" in errors(response.text)
    assert server.dump() == before


# --- the JSON ----------------------------------------------------------------------------------------------------


def test_api_shape_is_exactly_the_contracts(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    assert propose(client, "Ny bøv").status_code == 303
    assert propose(client, "Dublet").status_code == 303
    new = item(server, "Ny bøv").id
    duplicate = item(server, "Dublet").id
    with server.database.write() as db:
        items.merge(db, series_domain.by_slug(db, SLUG), duplicate, new)
    client.post(f"{PAGE}/items/{new}/support")
    response = client.get(f"/api/series/{SLUG}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert set(data) == {"slug", "title", "meetings", "items"}
    assert (data["slug"], data["title"]) == (SLUG, "Dialogmøde med seniorerne")
    assert data["meetings"] == [
        {"id": dialogue.held, "starts": "2026-01-13T16:00:00+00:00", "place": "Rådhuset"},
        {"id": dialogue.coming, "starts": "2030-03-05T15:30:00+00:00", "place": "Borgerservice, mødelokale 2"},
        {"id": dialogue.later, "starts": "2030-06-04T14:30:00+00:00", "place": "Rådhuset"},
    ]
    by_id = {i["id"]: i for i in data["items"]}
    assert set(by_id) == {dialogue.old, dialogue.solved, new}  # the merged duplicate is left out
    for listed in data["items"]:
        assert set(listed) == {"id", "title", "status", "support", "meeting_ids", "history"}
    assert by_id[new] == {
        "id": new,
        "title": "Ny bøv",
        "status": "new",
        "support": 1,
        "meeting_ids": [dialogue.coming],
        "history": [],
    }
    assert by_id[dialogue.old]["meeting_ids"] == [dialogue.held, dialogue.coming]
    assert by_id[dialogue.old]["status"] == "new"
    solved = by_id[dialogue.solved]
    assert solved["status"] == "solved" and solved["meeting_ids"] == [dialogue.held]
    assert len(solved["history"]) == 1
    step = solved["history"][0]
    assert set(step) == {"status", "text", "forwarded_to", "at"}
    assert (step["status"], step["text"], step["forwarded_to"]) == ("solved", "Skiltet er sat op.", "")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", step["at"])


# --- safety ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [(f"{PAGE}/items", {"title": "Udefra"}), (f"{PAGE}/items/{{old}}/support", {})],
    ids=["propose", "support"],
)
def test_cross_site_post_is_403_and_changes_nothing(
    server: LiveServer, dialogue: Dialogue, path: str, data: dict[str, str]
) -> None:
    before = server.dump()
    evil = server.client(origin=False, headers={"Origin": "https://evil.example"})
    response = evil.post(path.format(old=dialogue.old), data=data)
    assert response.status_code == 403
    assert server.dump() == before


def test_user_text_is_escaped_everywhere(server: LiveServer, client: httpx.Client, dialogue: Dialogue) -> None:
    script = "<script>alert(1)</script>"
    response = client.post(
        f"{PAGE}/items",
        data={
            "title": f"T{script}",
            "story": f"S{script}",
            "service": f"V{script}",
            "channel": "digital",
            "organisation": f"O{script}",
        },
        headers=HX,
    )
    assert response.status_code == 200
    for text in (response.text, client.get(PAGE).text):
        assert "<script>alert" not in text
        for letter in "TSVO":
            assert f"{letter}{html.escape(script)}" in text
    made = item(server, f"T{script}")
    assert (made.story, made.service, made.organisation) == (f"S{script}", f"V{script}", f"O{script}")
    bad = client.post(f"{PAGE}/items", data={"title": script * 20, "story": script}, headers=HX)
    assert bad.status_code == 422 and "<script>alert" not in bad.text
