"""Hostile input, generated: every form field and query parameter of the contract gets arbitrary text (Unicode edge
cases, control characters, long strings, HTML and script, spreadsheet formula starts, SQL, numbers where text
belongs and the reverse, bodies that are not UTF-8), against the real server.

The properties, for every request: the answer is a clean 2xx, 3xx or 4xx, never a 500; text a 2xx or 303 accepted
is stored exactly as typed, up to the normalisations `liveboard/domain/validate.py` documents (trimmed, CR LF as
LF); and no page, fragment, live frame or export shows it unescaped: HTML escaped, Markdown escaped, CSV cells
that a spreadsheet would run as a formula prefixed with `'`.

Hypothesis runs a fixed number of examples, derandomized and without its example database, so a run on CI is the
same run every time; the failures it finds are kept below as plain regression tests.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
from conftest import HX, LiveServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.models import Announcement, Item, Meeting, Note, Pitch, Room, Round, Step

#: One profile for every test here: reproducible (derandomized, no example database), bounded, and blind to the
#: server being a fixture shared by the examples of one test (that is the point: one server, many requests).
FUZZ = settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Strings that have broken web apps before.
NASTY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><b>x</b>",
    "=1+2",
    '=HYPERLINK("http://evil.example","klik")',
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1)",
    "'; DROP TABLE pitch; --",
    "1' OR '1'='1",
    "{{ 7*7 }}",
    "{% raw %}",
    "${jndi:ldap://x}",
    "%s%n%x",
    "\u202eevil",
    "\ufeffBOM",
    "👩‍👩‍👧‍👦",
    "e\u0301",
    "ﷺ",
    "\u2028line\u2029",
    "&amp; &lt;b&gt;",
    "\\*_`#[]()!|~",
    "NaN",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999",
    "²",
    "١٢",
    " 12 ",
    "2013-06-24T18:30",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00+01:00",
    "\x00",
    "\x1b[31m",
    "a\rb",
    "\t",
    "",
    " ",
    "x" * 81,
    "æ" * 601,
]

#: Text of every kind: the nasty strings, arbitrary Unicode (no lone surrogates: no form can send them), and
#: mixtures of both; now and then very long.
hostile = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=8), st.sampled_from(NASTY), st.text(max_size=8)),
    st.builds(lambda s, n: s * n, st.sampled_from(["<b>", "ø", "=", "x"]), st.integers(50, 3000)),
)


#: A value each non-text field takes, so that the text fields beside it get as far as being stored: the examples
#: draw either this or hostile text for every field.
VALID = {
    "capacity": "12", "starts": "2030-06-24T21:00", "ends": "2030-06-24T21:40", "kind": "idea", "mode": "fill",
    "phase": "ended", "open": "0", "on": "1", "status": "looking", "role": "host", "language": "da",
    "timezone": "Europe/Copenhagen", "channel": "both", "title": "Et emne", "name": "Lokale 9", "label": "Runde 9",
    "text": "Noget at sige", "slug": "fuzz-event", "username": "fuzz.user", "password": "a long enough password",
}  # fmt: skip


def field_value(name: str) -> st.SearchStrategy[str]:
    return st.one_of(st.just(VALID[name]), hostile) if name in VALID else hostile


def stored(value: str) -> str:
    """What validate.text keeps of what was typed."""
    return value.replace("\r\n", "\n").strip()


def clean(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.method} {response.request.url} → {response.status_code}"
    assert response.status_code in (200, 201, 303, 400, 401, 403, 404, 405, 409, 410, 413, 422, 429), (
        response.status_code
    )


def shown_safely(page: str, text: str, where: str) -> None:
    """The page shows `text` escaped, never as markup."""
    if re.search(r"<[a-zA-Z/!?]", text):
        assert text not in page, f"{where}: unescaped {text!r}"
    assert str(escape(text)) in page, f"{where}: {text!r} not shown"


def safe_markdown(document: str, where: str) -> None:
    """Nothing a person typed can open a tag in the Markdown export: every `<` is escaped."""
    for found in re.finditer(r"<", document):
        assert document[found.start() - 1 : found.start()] == "\\", f"{where}: raw < at {found.start()}"


def neutralised(value: str) -> str:
    """How the CSV exports write a cell: a formula start gets a `'` before it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def newest(server: LiveServer, model: Any) -> Any:
    rows = server.rows(model)
    return rows[-1] if rows else None


# --- participants --------------------------------------------------------------------------------------------


@FUZZ
@given(title=hostile, story=hostile, author=hostile, htmx=st.booleans())
def test_a_pitch_of_any_text(
    server: LiveServer, host: httpx.Client, title: str, story: str, author: str, htmx: bool
) -> None:
    phone = server.client()
    before = newest(server, Pitch)
    response = phone.post(
        "/e/demo/pitches", data={"title": title, "story": story, "author": author}, headers=HX if htmx else {}
    )
    clean(response)
    pitch = newest(server, Pitch)
    if response.status_code not in (200, 303):
        assert pitch == before, "a refused pitch was stored"
        return
    assert (pitch.title, pitch.story, pitch.author) == (stored(title), stored(story), stored(author))
    shown_safely(host.get("/e/demo/host").text, pitch.title, "host console")
    clean(host.post(f"/e/demo/host/pitches/{pitch.id}/approve"))
    page = phone.get("/e/demo").text
    for text in (pitch.title, pitch.story, pitch.author):
        if text:
            shown_safely(page, text, "phone")
    assert any(p["title"] == pitch.title for p in phone.get("/api/events/demo").json()["pitches"])


@FUZZ
@given(kind=st.one_of(st.sampled_from(["idea", "experience", "proposal"]), hostile), text=hostile, htmx=st.booleans())
def test_a_note_of_any_text_reaches_every_export_safely(
    server: LiveServer, client: httpx.Client, kind: str, text: str, htmx: bool
) -> None:
    slot = server.slot(1, "Lokale 1")
    client.post(f"/e/demo/sessions/{slot.id}/join")
    before = newest(server, Note)
    response = client.post(
        f"/e/demo/sessions/{slot.id}/notes", data={"kind": kind, "text": text}, headers=HX if htmx else {}
    )
    clean(response)
    note = newest(server, Note)
    if response.status_code not in (200, 303):
        assert note == before
        return
    assert (note.kind, note.text) == (kind, stored(text))
    shown_safely(client.get("/e/demo/report").text, note.text, "report")
    safe_markdown(client.get("/e/demo/report.md").text, "report.md")
    for query, delimiter in (("", ","), ("?excel=1", ";")):
        document = client.get(f"/e/demo/report.csv{query}").text.removeprefix("\ufeff")
        rows = {row[0]: row for row in csv.reader(io.StringIO(document), delimiter=delimiter)}
        assert rows[str(note.id)][6] == neutralised(note.text), query
    notes = json.loads(client.get("/e/demo/report.json").text)
    assert note.text in json.dumps(notes, ensure_ascii=False)


@FUZZ
@given(path=st.sampled_from(["interest", "join", "leave", "support"]), ident=hostile)
def test_participant_actions_on_any_id(server: LiveServer, client: httpx.Client, path: str, ident: str) -> None:
    target = {
        "interest": "/e/demo/pitches/{}/interest",
        "join": "/e/demo/sessions/{}/join",
        "leave": "/e/demo/sessions/{}/leave",
        "support": "/s/seniorer/items/{}/support",
    }[path]
    clean(client.post(target.format(quote_from_bytes(ident.encode(), safe=""))))


@settings(FUZZ, max_examples=10)
@given(
    fields=st.fixed_dictionaries(
        {
            "title": hostile,
            "story": hostile,
            "service": hostile,
            "organisation": hostile,
            "channel": st.one_of(st.sampled_from(["digital", "physical", "both"]), hostile),
        }
    )
)
def test_a_series_item_of_any_text(server: LiveServer, fields: dict[str, str]) -> None:  # fmt: skip
    phone = server.client()
    phone.get("/s/seniorer")
    before = newest(server, Item)
    response = phone.post("/s/seniorer/items", data=fields)
    clean(response)
    item = newest(server, Item)
    if response.status_code not in (200, 303):
        assert item == before
        return
    assert (item.title, item.story) == (stored(fields["title"]), stored(fields["story"]))
    page = phone.get("/s/seniorer").text
    shown_safely(page, item.title, "series page")
    safe_markdown(phone.get("/s/seniorer/log.md").text, "log.md")
    rows = list(csv.reader(io.StringIO(phone.get("/s/seniorer/log.csv").text)))
    assert any(neutralised(item.title) in row for row in rows)


# --- hosts -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    path: str
    fields: tuple[str, ...]
    #: The row it adds (`model`, the newest row) or changes (`row`), and the fields whose text that row keeps as
    #: typed ({field: column}).
    model: Any = None
    keeps: tuple[tuple[str, str], ...] = ()
    #: A page that shows the text.
    page: str = "/e/demo/host"
    row: tuple[Any, int] | None = None
    #: Values that work on the demo for fields that name things (ids), beside `VALID`.
    ids: tuple[tuple[str, str], ...] = ()


#: Each server's forms, made before its first example: the examples move pitches and notes around.
_FORMS: dict[int, dict[str, Form]] = {}


def host_forms(server: LiveServer) -> dict[str, Form]:
    if id(server) not in _FORMS:
        _FORMS[id(server)] = _host_forms(server)
    return _FORMS[id(server)]


def _host_forms(server: LiveServer) -> dict[str, Form]:
    pitch, room, slot = server.pitch("unge"), server.room("Lokale 4"), server.slot(1, "Lokale 1")
    other, note, other_note = server.pitch("stress").id, *server.rows(Note)[:2]
    free = (
        ("pitch_id", str(server.pitch("paedagogik").id)),
        ("room_id", str(room.id)),
        ("round_id", str(server.round(2).id)),
    )
    pitch_text = (("title", "title"), ("story", "story"), ("author", "author"))
    return {
        "type-in": Form("/e/demo/host/pitches", ("title", "story", "author"), Pitch, pitch_text),
        "edit": Form(f"/e/demo/host/pitches/{pitch.id}/edit", ("title", "story", "author"), Pitch, pitch_text,
                     row=(Pitch, pitch.id)),
        "merge": Form(f"/e/demo/host/pitches/{pitch.id}/merge", ("into",), ids=(("into", str(other)),)),
        "place": Form("/e/demo/host/sessions", ("pitch_id", "room_id", "round_id"), ids=free),
        "move": Form(f"/e/demo/host/sessions/{slot.id}/move", ("room_id", "round_id"), ids=free),
        "swap": Form(f"/e/demo/host/sessions/{slot.id}/swap", ("other",),
                     ids=(("other", str(server.slot(1, "Store sal").id)),)),
        "announce": Form("/e/demo/host/announce", ("text",), Announcement, (("text", "text"),), "/e/demo/screen"),
        "phase": Form("/e/demo/host/phase", ("phase",)),
        "pitching": Form("/e/demo/host/pitching", ("open",)),
        "room": Form("/e/demo/host/rooms", ("name", "capacity", "location"), Room,
                     (("name", "name"), ("location", "location"))),
        "room-edit": Form(f"/e/demo/host/rooms/{room.id}", ("name", "capacity", "location"), Room,
                          (("name", "name"), ("location", "location")), row=(Room, room.id)),
        "round": Form("/e/demo/host/rounds", ("label", "starts", "ends"), Round, (("label", "label"),)),
        "proposal": Form("/e/demo/host/schedule/proposals", ("mode",)),
        "note-edit": Form(f"/e/demo/host/notes/{note.id}/edit", ("text", "kind", "author"), Note,
                          (("text", "text"),), "/e/demo/host/notes", row=(Note, note.id)),
        "note-themes": Form(f"/e/demo/host/notes/{note.id}/themes", ("themes",)),
        "note-merge": Form(f"/e/demo/host/notes/{note.id}/merge", ("into",), ids=(("into", str(other_note.id)),)),
        "note-highlight": Form(f"/e/demo/host/notes/{note.id}/highlight", ("on",)),
        "meeting": Form("/s/seniorer/host/meetings", ("starts", "place"), Meeting, (("place", "place"),),
                        "/s/seniorer/host"),
        "step": Form(f"/s/seniorer/host/items/{server.rows(Item)[0].id}/status", ("status", "text", "forwarded_to"),
                     Step, (("text", "text"), ("forwarded_to", "forwarded_to")), "/s/seniorer/host"),
    }  # fmt: skip


@settings(FUZZ, max_examples=40)
@given(data=st.data(), htmx=st.booleans())
def test_host_forms_take_any_text(server: LiveServer, host: httpx.Client, data: st.DataObject, htmx: bool) -> None:
    """One field hostile and the others as they work on the demo (or, now and then, every field hostile)."""
    forms = host_forms(server)
    name = data.draw(st.sampled_from(sorted(forms)), "form")
    form = forms[name]
    fields = {field: VALID.get(field, "") for field in form.fields} | dict(form.ids)
    for field in form.fields if data.draw(st.booleans(), "all hostile") else [data.draw(st.sampled_from(form.fields))]:
        fields[field] = data.draw(hostile, field)
    before = newest(server, form.model) if form.model and not form.row else None
    response = host.post(form.path, data=fields, headers=HX if htmx else {})
    clean(response)
    event(f"{name}: {response.status_code}")
    if form.model is None or response.status_code not in (200, 201, 303):
        return
    row = server.get(*form.row) if form.row else newest(server, form.model)
    if row is None or row == before:
        return  # an announcement that clears, a pitch merged away
    for field, column in form.keeps:
        assert getattr(row, column) == stored(fields[field]), (name, field)
        if getattr(row, column):
            shown_safely(host.get(form.page).text, getattr(row, column), f"{name}: {form.page}")


def test_announcements_reach_live_frames_escaped(server: LiveServer, host: httpx.Client) -> None:
    """The live socket carries typed text escaped too (a frame per announcement, read with a bounded wait)."""
    texts = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "=1+2 & <b>fed</b>", "ø\u202e<i>"]
    url = server.url.replace("http://", "ws://") + f"/e/demo/ws?view=screen&lang=en&v={server.version()}"
    with ExitStack() as stack:
        ws = stack.enter_context(connect(url, origin=Origin(server.url), open_timeout=10, max_size=None))
        server.wait_live(1)
        for text in texts:
            clean(host.post("/e/demo/host/announce", data={"text": text}))
            deadline, frames = time.monotonic() + 10, ""
            while str(escape(text)) not in frames and time.monotonic() < deadline:
                frames += str(ws.recv(timeout=deadline - time.monotonic()))
            shown_safely(frames, text, "live frame")


# --- organisers and login --------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_organiser_forms_and_login_take_any_text(server: LiveServer, host: httpx.Client, data: st.DataObject) -> None:
    forms = {
        "/host/events": ("slug", "title", "starts", "timezone", "language", "place"),
        "/host/events/demo/copy": ("slug", "title", "starts"),
        "/host/accounts": ("username", "name", "role"),
        "/host/series": ("slug", "title", "language", "audience", "description"),
        "/host/login": ("username", "password", "next"),
        "/host/invite/not-a-token": ("password", "again"),
    }
    path = data.draw(st.sampled_from(sorted(forms)), "path")
    fields = {field: data.draw(field_value(field), field) for field in forms[path]}
    browser = server.client() if path == "/host/login" else host
    response = browser.post(path, data=fields)
    clean(response)
    if path == "/host/login" and response.status_code == 303:
        assert response.headers["location"].startswith("/") and not response.headers["location"].startswith("//")


# --- query parameters ------------------------------------------------------------------------------------------

PAGES = [
    "/", "/e/demo", "/e/demo/screen", "/e/demo/report", "/e/demo/report.csv", "/e/demo/report.md", "/e/demo/host",
    "/e/demo/host/notes", "/host/login", "/host", "/s", "/s/seniorer", "/s/seniorer/log", "/s/seniorer/log.csv",
    "/s/seniorer/screen", "/e/demo/print/doors", "/e/demo/event.ics", "/api/events/demo", "/e/demo/me",
]  # fmt: skip
PARAMS = ["lang", "text", "excel", "room", "next", "merge", "kind", "theme", "q", "status", "service", "key", "saved"]


@settings(FUZZ, max_examples=25)
@given(
    path=st.sampled_from(PAGES),
    params=st.dictionaries(st.sampled_from(PARAMS), hostile, min_size=1, max_size=3),
    htmx=st.booleans(),
)
def test_query_parameters_of_any_text(
    server: LiveServer, host: httpx.Client, path: str, params: dict[str, str], htmx: bool
) -> None:
    response = host.get(path, params=params, headers=HX if htmx else {})
    clean(response)
    if response.headers.get("content-type", "").startswith("text/html"):
        for value in params.values():
            if re.search(r"<[a-zA-Z/!?]", value):
                assert value not in response.text, (path, value)


# --- bodies that are not what they say -------------------------------------------------------------------------

TARGETS = ["/e/demo/pitches", "/host/login", "/s/seniorer/items", "/e/demo/host/announce", "/e/demo/host/rooms"]


@settings(FUZZ, max_examples=30)
@given(
    path=st.sampled_from(TARGETS),
    body=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda raw: b"title=" + raw + b"&text=" + raw + b"&name=" + raw, st.binary(max_size=100)),
        st.builds(lambda raw: b"title=" + quote_from_bytes(raw).encode(), st.binary(max_size=100)),
    ),
    kind=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
         "multipart/form-data; boundary=x", "multipart/form-data", "text/plain", "application/json", ""]
    ),
)  # fmt: skip
def test_bodies_that_are_not_utf8_or_not_forms(
    server: LiveServer, host: httpx.Client, path: str, body: bytes, kind: str
) -> None:
    response = host.post(path, content=body, headers={"Content-Type": kind} if kind else {})
    clean(response)


# --- what the fuzzing found, kept as plain regression tests --------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/e/demo/sessions/99999999999999999999999", "/e/demo/rooms/99999999999999999999",
     "/e/demo/screen?room=99999999999999999999999", "/e/demo/host/schedule/proposals/99999999999999999999999.json",
     "/e/demo/host/notes?merge=%C2%B2"],
)  # fmt: skip
def test_ids_past_a_database_integer_or_odd_digits_are_404_not_500(host: httpx.Client, path: str) -> None:
    """Regression: an id past 2**63 reached SQLite (OverflowError), and "²" passed isdigit() but not int()."""
    for headers in ({}, HX):
        assert host.get(path, headers=headers).status_code in (200, 404)


@pytest.mark.parametrize(
    ("path", "data"),
    [("/e/demo/sessions/99999999999999999999999/join", {}), ("/e/demo/pitches/99999999999999999999999/interest", {}),
     ("/e/demo/host/pitches/99999999999999999999999/approve", {}),
     ("/e/demo/host/sessions", {"pitch_id": "99999999999999999999999", "room_id": "1", "round_id": "1"}),
     ("/e/demo/host/pitches/1/merge", {"into": "9" * 40})],
)  # fmt: skip
def test_posts_with_ids_past_a_database_integer_are_refused_cleanly(
    server: LiveServer, host: httpx.Client, path: str, data: dict[str, str]
) -> None:
    before = server.dump()
    assert host.post(path, data=data).status_code in (404, 422)
    assert server.dump() == before


@pytest.mark.parametrize("starts", ["9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59:59-05:00"])
def test_times_at_the_ends_of_the_calendar_are_422_not_500(server: LiveServer, host: httpx.Client, starts: str) -> None:
    """Regression: a time in year 1 or 9999 overflowed when moved to UTC (OverflowError, a 500)."""
    before = server.dump()
    answers = [
        host.post("/e/demo/host/rounds", data={"label": "x", "starts": starts, "ends": starts}),
        host.post("/host/events", data={"slug": "ends", "title": "x", "starts": starts, "language": "da"}),
        host.post("/host/events/demo/copy", data={"slug": "ends", "title": "x", "starts": starts}),
        host.post("/s/seniorer/host/meetings", data={"starts": starts, "place": "x"}),
    ]
    assert [a.status_code for a in answers] == [422] * 4
    assert "must be a date between 1900 and 2999" in answers[0].text
    assert server.dump() == before


def test_a_socket_whose_version_is_an_odd_digit_is_served(server: LiveServer) -> None:
    """Regression: `?v=²` passed isdigit() and broke int() in the handshake."""
    url = server.url.replace("http://", "ws://") + "/e/demo/ws?view=screen&lang=en&v=%C2%B2"
    with connect(url, origin=Origin(server.url), open_timeout=10, max_size=None) as ws:
        assert "lb-v" in str(ws.recv(timeout=10))


def test_the_hosts_log_csv_neutralises_every_cell(server: LiveServer) -> None:
    """Regression: only the log's `detail` was neutralised, and a username may start with "-" ("-1-1" is valid, and
    a formula to a spreadsheet)."""
    server.add_account("-1-1", "host")
    clean(server.client(account="-1-1").post("/e/demo/host/announce", data={"text": "-kaffe"}))
    document = server.client(host=True).get("/e/demo/host/log.csv").text.removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(document)))
    assert (rows[-1]["actor"], rows[-1]["detail"]) == ("'-1-1", "'-kaffe")
    for row in rows:
        assert all(neutralised(cell) == cell or cell[:1] == "'" for cell in row.values()), row
