"""The harvest report page `/e/{slug}/report` (`liveboard/web/views/report.py`), against the real server.

The exports are in tests/test_exports.py, the charts' geometry in tests/test_charts.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from conftest import LiveServer, has_id
from markupsafe import escape
from sqlmodel import Session

from liveboard import charts, i18n
from liveboard.domain import attendance, board, events, notes
from liveboard.models import Event, Note
from liveboard.web.templating import render

# The live tests' real websocket client.
from tests.live.test_websocket import settle, watch  # isort: skip


def add_note(server: LiveServer, who: httpx.Client, text: str, kind: str = "idea", room: str = "Lokale 2") -> Note:
    """Check `who` in to a session running now and leave a note there, through the phone's forms."""
    slot = server.slot(1, room)
    assert who.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    assert who.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": kind, "text": text}).status_code == 303
    return server.rows(Note)[-1]


def curate(server: LiveServer, work: Callable[[Session, Event], Any]) -> Any:
    """A host's curation, done with the domain's own functions in one write transaction."""
    with server.database.write() as db:
        return work(db, events.by_slug(db, "demo"))


def article(page: str, session_id: int) -> str:
    """One session's part of the report."""
    found = re.search(rf'<article class="report-session" id="report-session-{session_id}".*?</article>', page, re.S)
    assert found, f"no article for session {session_id}"
    return found.group(0)


def visible(server: LiveServer) -> list[Note]:
    return server.rows(Note, Note.hidden == False, Note.merged_into_id == None)  # noqa: E711, E712


def test_the_report_reads_like_a_paper(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/report")
    assert response.status_code == 200
    page = response.text
    event = server.event()
    assert f'<h1 lang="da">{escape(event.title)}</h1>' in page
    assert escape(event.venue) in page
    with i18n.using("en"):
        assert i18n.time(event.starts, event.timezone) in page
    assert "The evening is still going" in page and "Final report" not in page
    # Figures.
    for label in ("Participants", "Stories and topics", "Sessions", "Notes", "Support given (+1)"):
        assert f"<dt>{escape(label)}</dt>" in page
    assert f"<dt>Notes</dt><dd>{len(visible(server))}</dd>" in page
    # Every session, in programme order (round by round, room by room), and every note.
    order = [int(i) for i in re.findall(r'<article class="report-session" id="report-session-(\d+)"', page)]
    with server.database.read() as db:
        the_board = board.load(db, event, event.starts)
        expected = [c.session.id for r in the_board.rounds for c in the_board.cells_of(r)]
    assert order == expected
    for note in visible(server):
        assert escape(note.text) in page
    for export in ("report.md", "report.csv", "report.json"):
        assert f'href="/e/demo/{export}"' in page
    # Across the sessions: the most supported proposals, and notes by theme.
    assert "Most supported proposals" in page and "Notes by theme" in page
    assert 'class="theme-tag" lang="da">ventetid</span>' in page


def test_notes_are_grouped_by_kind_highlights_first_with_support_and_themes(
    server: LiveServer, client: httpx.Client
) -> None:
    slot = server.slot(1, "Store sal")
    part = article(client.get("/e/demo/report").text, slot.id)  # type: ignore[arg-type]
    headings = re.findall(r'<h4 class="report-kind">(\w+)', part)
    assert headings == ["Ideas", "Experiences", "Proposals"]
    experiences = part.split('<h4 class="report-kind">Experiences')[1].split("<h4")[0]
    ids = [int(i) for i in re.findall(r'<li class="note[^"]*" id="note-(\d+)"', experiences)]
    shown = {n.id: n for n in server.rows(Note)}
    assert ids and all(shown[i].kind == "experience" and shown[i].session_id == slot.id for i in ids)
    flags = [shown[i].highlighted for i in ids]
    assert flags == sorted(flags, reverse=True), "highlighted notes come first"
    highlighted = next(i for i in ids if shown[i].highlighted)
    item = re.search(rf'<li class="note highlighted" id="note-{highlighted}">.*?</li>', part, re.S)
    assert item and "★" in item.group(0) and "Highlighted:" in item.group(0)
    with server.database.read() as db:
        event = events.by_slug(db, "demo")
        count = notes.support_counts(db, event)[highlighted]
        themes = notes.themes_of(db, [highlighted])[highlighted]
    assert f"+{count}</span>" in item.group(0)
    for theme in themes:
        assert f'<span class="theme-tag" lang="da">{theme}</span>' in item.group(0)


def test_a_new_note_shows(server: LiveServer, client: httpx.Client) -> None:
    note = add_note(server, client, "Flere bænke ved stien", kind="proposal")
    page = client.get("/e/demo/report").text
    assert "Flere bænke ved stien" in article(page, note.session_id)  # type: ignore[arg-type]


def test_user_text_is_escaped(server: LiveServer, client: httpx.Client) -> None:
    note = add_note(server, client, '<script>alert("x")</script> & <b>fed</b>')
    curate(server, lambda db, event: notes.set_themes(db, event, note.id, "<i>tema</i>"))
    page = client.get("/e/demo/report").text
    assert "<script>alert" not in page and "<b>fed</b>" not in page and "<i>tema</i>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;fed&lt;/b&gt;" in page
    assert "&lt;i&gt;tema&lt;/i&gt;" in page


def test_hidden_and_merged_notes_never_appear(server: LiveServer, client: httpx.Client) -> None:
    hidden = add_note(server, client, "Skjult af værten")
    duplicate = add_note(server, client, "En dublet af en anden note")
    target = add_note(server, client, "Den note, dubletten lægges ind i")
    curate(server, lambda db, event: notes.set_hidden(db, event, hidden.id, True))
    curate(server, lambda db, event: notes.merge(db, event, duplicate.id, target.id))
    page = client.get("/e/demo/report").text
    assert "Den note, dubletten lægges ind i" in page
    assert "Skjult af værten" not in page and "En dublet af en anden note" not in page
    assert not has_id(page, f"note-{hidden.id}") and not has_id(page, f"note-{duplicate.id}")


def test_each_session_has_its_attendance_curve(server: LiveServer, client: httpx.Client) -> None:
    page = client.get("/e/demo/report").text
    with server.database.read() as db:
        curves = attendance.curves(attendance.log(db, server.event()))
    event = server.event()
    for room in ("Store sal", "Lokale 1", "Lokale 2", "Caféen"):
        slot = server.slot(1, room)
        round_ = server.round(1)
        cut = charts.in_round(curves[slot.id], round_.starts, round_.ends)  # type: ignore[index]
        assert cut.peak >= server.present(slot) > 0
        assert cut.peak <= server.room(room).capacity, f"{room}: the log overfills the room"
        with i18n.using("en"):
            label = f"peak {cut.peak} at {i18n.time(cut.peak_at, event.timezone)}"
        part = article(page, slot.id)  # type: ignore[arg-type]
        assert re.search(rf'<svg class="chart" role="img" aria-label="Attendance over time: {label},', part)
        assert f">{label}</text>" in part
        assert 'style="' not in part
    later = article(page, server.slot(3, "Store sal").id)  # type: ignore[arg-type]
    assert "<svg" not in later and "This round has not started yet." in later


def test_a_participant_sees_the_notes_they_support(server: LiveServer, client: httpx.Client) -> None:
    note = add_note(server, client, "Noget at give +1")
    other = server.client()
    other.get("/e/demo")
    assert other.post(f"/e/demo/notes/{note.id}/support").status_code == 303
    mine = re.search(rf'<li class="note" id="note-{note.id}">.*?</li>', other.get("/e/demo/report").text, re.S)
    assert mine and 'aria-pressed="true"' in mine.group(0)
    theirs = re.search(rf'<li class="note" id="note-{note.id}">.*?</li>', client.get("/e/demo/report").text, re.S)
    assert theirs and 'aria-pressed="false"' in theirs.group(0)


def test_reading_the_report_sets_no_cookie(server: LiveServer) -> None:
    stranger = server.client()
    response = stranger.get("/e/demo/report")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


def test_after_the_evening_the_report_is_final(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    assert host.post("/e/demo/host/phase", data={"phase": "ended"}).status_code == 303
    page = client.get("/e/demo/report").text
    assert "Final report: the evening has ended." in page
    assert "The evening is still going" not in page


@pytest.mark.parametrize("path", ["/e/nope/report", "/e/nope/report.csv", "/e/nope/report.md", "/e/nope/report.json"])
def test_report_of_unknown_event_is_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_an_open_report_hears_of_a_new_note(server: LiveServer, client: httpx.Client) -> None:
    """The page holds a marker with the version it shows; a new note sends a newer one over the live socket,
    and app.js fetches the page's main region again when it changes."""
    page = client.get("/e/demo/report").text
    marker = re.search(r'<i id="report-refresh" hidden data-at="(\d+)"></i>', page)
    assert marker and int(marker.group(1)) == server.version()
    assert 'hx-ws:connect="/e/demo/ws?view=report&amp;' in page
    with ExitStack() as stack:
        ws = watch(stack, server, "report", v=server.version())
        settle(server, 1)
        assert client.post(f"/e/demo/pitches/{server.pitch('unge').id}/interest").status_code == 303
        assert not any("report-refresh" in frame for frame in ws.quiet(0.4)), "interest is not in the report"
        note = add_note(server, client, "Live: en ny idé")  # a join (presence), then the note
        version = server.version()
        frame = ws.until(rf'<i id="report-refresh" hidden data-at="{version}" hx-swap-oob="true"></i>')
    assert note.text not in frame, "the frame says only that something changed"


def test_the_report_marker_renders_for_catching_up() -> None:
    """A client that connects late is told the version too, so it refetches only when it has missed something."""
    from types import SimpleNamespace

    html_text = render("report/_refresh.html", event=SimpleNamespace(version=42), oob=True)
    assert html_text.strip() == '<i id="report-refresh" hidden data-at="42" hx-swap-oob="true"></i>'
