"""The report's exports (`liveboard/exports.py`) at `/e/{slug}/report.md|.csv|.json`, against the real server:
each parsed back and compared with the database, user text escaped for its format, and `liveboard export`
printing the very bytes the URLs serve."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from typing import Any

import httpx
import pytest
from conftest import LiveServer
from sqlmodel import select

from liveboard import ROOT, charts, exports
from liveboard.domain import attendance, board, events, notes
from liveboard.models import Note, Pitch, Room, Round
from liveboard.models import Session as Slot

# --- helpers ---------------------------------------------------------------------------------------------------


def add_note(server: LiveServer, who: httpx.Client, text: str, kind: str = "idea", **extra: str) -> Note:
    """A note from a participant in a session running now, through the phone's forms."""
    slot = server.slot(1, "Lokale 2")
    assert who.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    response = who.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": kind, "text": text, **extra})
    assert response.status_code == 303, response.text
    return server.rows(Note)[-1]


def expected_notes(server: LiveServer) -> dict[int, dict[str, Any]]:
    """The listed notes as the database has them: not hidden, not merged, with support and themes."""
    with server.database.read() as db:
        event = events.by_slug(db, "demo")
        listed = db.exec(
            select(Note).where(Note.event_id == event.id, Note.hidden == False, Note.merged_into_id == None)  # noqa: E711, E712
        ).all()
        support = notes.support_counts(db, event)
        themes = notes.themes_of(db, [n.id for n in listed])  # type: ignore[misc]
        slots = {s.id: s for s in db.exec(select(Slot))}
        pitches = {p.id: p for p in db.exec(select(Pitch))}
        rooms = {r.id: r for r in db.exec(select(Room))}
        rounds = {r.id: r for r in db.exec(select(Round))}
    out = {}
    for note in listed:
        slot = slots.get(note.session_id)  # type: ignore[arg-type]
        out[note.id] = {
            "session_id": note.session_id,
            "session": pitches[note.pitch_id].title,
            "room": rooms[slot.room_id].name if slot else "",
            "round": rounds[slot.round_id].label if slot else "",
            "kind": note.kind,
            "text": note.text,
            "author": note.author,
            "themes": themes.get(note.id, []),  # type: ignore[arg-type]
            "support": support.get(note.id, 0),  # type: ignore[arg-type]
            "highlighted": note.highlighted,
            "source": note.source,
            "created_at": note.created_at.isoformat(),
        }
    return out


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def csv_rows(client: httpx.Client) -> list[dict[str, str]]:
    response = client.get("/e/demo/report.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


# --- CSV -------------------------------------------------------------------------------------------------------


def test_csv_is_plain_rfc_4180(client: httpx.Client) -> None:
    response = client.get("/e/demo/report.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="demo-harvest.csv"'
    assert not response.content.startswith(b"\xef\xbb\xbf")  # scripts would read it as part of the first name
    header, first = response.content.decode("utf-8").split("\r\n")[:2]
    assert header == ",".join(exports.CSV_COLUMNS)
    assert "gennemgående" in first


def test_csv_for_excel_opens_in_danish_excel(client: httpx.Client) -> None:
    response = client.get("/e/demo/report.csv?excel=1")
    assert response.headers["content-disposition"] == 'attachment; filename="demo-harvest.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # the byte order mark: Excel then reads UTF-8
    text = response.content.decode("utf-8-sig")
    header, first = text.split("\r\n")[:2]
    assert header == ";".join(exports.CSV_COLUMNS)
    assert "gennemgående" in first  # UTF-8, not mangled
    assert list(csv.DictReader(io.StringIO(text), delimiter=";")) == csv_rows(client)
    assert 'report.csv?excel=1"' in client.get("/e/demo/report").text


def test_csv_has_one_row_per_note_as_in_the_database(server: LiveServer, client: httpx.Client) -> None:
    add_note(server, client, "To linjer:\nsådan her", kind="proposal")
    rows = csv_rows(client)
    expected = expected_notes(server)
    assert sorted(int(r["note_id"]) for r in rows) == sorted(expected)
    for row in rows:
        want = expected[int(row["note_id"])]
        assert row == {
            "note_id": row["note_id"],
            "session_id": str(want["session_id"]),
            "session": want["session"],
            "room": want["room"],
            "round": want["round"],
            "kind": want["kind"],
            "text": want["text"],
            "author": want["author"],
            "themes": "; ".join(want["themes"]),
            "support": str(want["support"]),
            "highlighted": "yes" if want["highlighted"] else "no",
            "source": want["source"],
            "created_at": want["created_at"],
        }
    assert any(r["source"] == "taker" for r in rows) and any(r["themes"] for r in rows)


def test_csv_rows_follow_the_programme(server: LiveServer, client: httpx.Client) -> None:
    with server.database.read() as db:
        event = events.by_slug(db, "demo")
        the_board = board.load(db, event, event.starts)  # type: ignore[arg-type]
        order = [c.session.id for r in the_board.rounds for c in the_board.cells_of(r)]
    seen = [int(r["session_id"]) for r in csv_rows(client)]
    assert seen == sorted(seen, key=order.index)


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_neutralises_formulas(server: LiveServer, client: httpx.Client, formula: str) -> None:
    note = add_note(server, client, formula, author=formula)
    with server.database.write() as db:
        notes.set_themes(db, events.by_slug(db, "demo"), note.id, formula)
    row = next(r for r in csv_rows(client) if r["note_id"] == str(note.id))
    assert row["text"] == row["author"] == "'" + formula
    assert row["themes"] == "'" + formula.lower()


def test_neutralise() -> None:
    for cell in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert exports.neutralise(cell) == "'" + cell
    for cell in ("", "1", "Tekst", " =1", "'x", "2026-06-24T18:00:00+00:00"):
        assert exports.neutralise(cell) == cell


# --- JSON ------------------------------------------------------------------------------------------------------


def test_json_has_the_snapshot_notes_attendance_and_curves(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/report.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    data = response.json()
    assert {"slug", "title", "version", "rooms", "rounds", "pitches", "sessions", "notes"} <= data.keys()
    assert {"attendance", "curves", "figures", "themes", "top_proposals"} <= data.keys()
    assert data["version"] == server.version()
    # Notes, as in the database.
    expected = expected_notes(server)
    assert sorted(n["id"] for n in data["notes"]) == sorted(expected)
    for note in data["notes"]:
        want = expected[note["id"]]
        for key in ("session_id", "kind", "text", "author", "themes", "support", "highlighted", "source", "created_at"):
            assert note[key] == want[key], key
    # The attendance log, without who it was (this is the public view).
    with server.database.read() as db:
        event = events.by_slug(db, "demo")
        log = attendance.log(db, event)
        curves = attendance.curves(log)
    assert data["attendance"] == [
        {"session_id": e.session_id, "pitch_id": e.pitch_id, "action": e.action, "at": e.at.isoformat()} for e in log
    ]
    # Each session's curve in its round.
    rounds = {r["id"]: r for r in data["rounds"]}
    sessions = {s["id"]: s for s in data["sessions"]}
    assert [c["session_id"] for c in data["curves"]] and {c["session_id"] for c in data["curves"]} == set(sessions)
    for curve in data["curves"]:
        round_ = rounds[sessions[curve["session_id"]]["round_id"]]
        starts, ends = (datetime.fromisoformat(round_[key]) for key in ("starts", "ends"))
        cut = charts.in_round(curves.get(curve["session_id"], attendance.Curve([])), starts, ends)
        assert curve["peak"] == cut.peak
        assert curve["points"] == [{"at": at.isoformat(), "present": n} for at, n in cut.points]
    assert max(c["peak"] for c in data["curves"]) > 0
    # Figures, themes and the most supported proposals.
    assert data["figures"]["notes"] == len(expected)
    assert data["figures"]["supports"] == sum(n["support"] for n in expected.values())
    by_theme = {t["theme"]: set(t["notes"]) for t in data["themes"]}
    for note_id, note in expected.items():
        for theme in note["themes"]:
            assert note_id in by_theme[theme]
    supports = [expected[i]["support"] for i in data["top_proposals"]]
    assert supports == sorted(supports, reverse=True) and all(
        expected[i]["kind"] == "proposal" for i in data["top_proposals"]
    )


def test_public_json_shows_only_approved_pitches_and_nobody(server: LiveServer, client: httpx.Client) -> None:
    data = client.get("/e/demo/report.json").json()
    assert {p["status"] for p in data["pitches"]} <= {"approved"}
    assert server.pitch("parkering").title not in json.dumps(data, ensure_ascii=False)
    assert all("participant_id" not in e for e in data["attendance"])


def test_host_json_is_the_host_view(server: LiveServer, host: httpx.Client) -> None:
    data = host.get("/e/demo/report.json").json()
    assert {"approved", "pending", "rejected"} <= {p["status"] for p in data["pitches"]}
    assert all("participant_id" in e for e in data["attendance"])
    assert "token" not in json.dumps(data)


# --- Markdown --------------------------------------------------------------------------------------------------


def test_markdown_is_a_document_with_every_note(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/report.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    lines = text.splitlines()
    headings = [(len(m.group(1)), unescape(m.group(2))) for m in map(re.compile(r"^(#+) (.*)$").match, lines) if m]
    assert headings[0] == (1, server.event().title)
    assert [h for level, h in headings if level == 2][:2] == ["The evening in figures", "Most supported proposals"]
    assert "The sessions" in [h for level, h in headings if level == 2]
    # One level-3 heading per session, in programme order.
    with server.database.read() as db:
        event = events.by_slug(db, "demo")
        the_board = board.load(db, event, event.starts)  # type: ignore[arg-type]
        titles = [c.pitch.title for r in the_board.rounds for c in the_board.cells_of(r)]
    after_sessions = headings[[h for _, h in headings].index("The sessions") :]
    assert [h for level, h in after_sessions if level == 3] == titles
    # Every note is a list item of its session, with its highlight mark and support.
    items = [unescape(line[2:]) for line in lines if line.startswith("- ")]
    for note in expected_notes(server).values():
        line = ("★ " if note["highlighted"] else "") + note["text"]
        line += f" (+{note['support']})" if note["support"] else ""
        line += f" – {note['author']}" if note["author"] else ""
        assert line in items, line
    ranked = [unescape(m.group(1)) for m in map(re.compile(r"^\d+\. (.*)$").match, lines) if m]
    assert ranked and all(re.search(r" \(\+\d+\) – \*.+\*$", r) for r in ranked)
    assert "\n\n\n" not in text and text.endswith("\n") and not text.endswith("\n\n")


MARKUP = [
    "**fed** og _kursiv_",
    "# ikke en overskrift",
    "[klik her](http://evil.example)",
    "![billede](http://evil.example/x.png)",
    "`kode` og ```blok```",
    "- ikke en liste",
    "1. heller ikke en liste",
    "> ikke et citat",
    "<b>tag</b> <script>x</script>",
    "&lt;b&gt; er ikke et tag",
    "| a | b |",
    "https://www.evil.example/",
]


@pytest.mark.parametrize("markup", MARKUP)
def test_markdown_escapes_user_text(server: LiveServer, client: httpx.Client, markup: str) -> None:
    add_note(server, client, markup, author="*Kim*")
    text = client.get("/e/demo/report.md").text
    [line] = [line for line in text.splitlines() if line.startswith("- ") and unescape(line[2:]).startswith(markup)]
    assert unescape(line[2:]) == f"{markup} – *Kim*"
    bare = re.sub(r"\\.", "", line[2:])  # what is left once every escaped character is taken out
    assert not re.search(r"[*_`\[\]()#<>&|!.+-]", bare), bare  # nothing left that starts markup or a link
    assert not re.match(r"(\d+\.|[-+>])", line[2:]), "the item's text must not start a block of its own"


def test_markdown_escapes_pitch_titles(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    host.post("/e/demo/host/pitches", data={"title": "<img src=x> *vigtigt*"})
    pitch = server.pitch("<img src=x> *vigtigt*")
    data = {"pitch_id": pitch.id, "room_id": server.room("Foyeren").id, "round_id": server.round(1).id}
    assert host.post("/e/demo/host/sessions", data=data).status_code == 303
    text = client.get("/e/demo/report.md").text
    assert not re.search(r"(?<!\\)<", text)
    assert r"### \<img src=x\> \*vigtigt\*" in text


# --- the command line prints what the URLs serve ---------------------------------------------------------------


def cli_export(server: LiveServer, fmt: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": str(server.database.engine.url)}
    done = subprocess.run(
        [sys.executable, "-m", "liveboard", "export", "demo", "--format", fmt],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_liveboard_export_prints_what_the_url_serves(server: LiveServer, fmt: str) -> None:
    # The command line speaks the event's language (Danish) and sees what a host sees.
    reader = server.client(lang="da", host=True)
    add_note(server, reader, "Også fra kommandolinjen: æøå & *stjerne*")
    served = reader.get(f"/e/demo/report.{fmt}")
    assert served.status_code == 200
    assert cli_export(server, fmt) == served.content
