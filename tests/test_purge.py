"""Purge: after the event nobody can be identified, and the harvest is all still there."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
from conftest import LiveServer
from markupsafe import escape
from sqlmodel import select

from liveboard import ROOT
from liveboard.db import Database
from liveboard.demo import load_demo
from liveboard.domain import audit, events, participants, pitches
from liveboard.domain.purge import preview, purge
from liveboard.models import Event, Interest, Note, Participant, Pitch, Presence


def load(database: Database) -> None:
    load_demo(database, now=datetime(2026, 3, 12, 19, 0, tzinfo=UTC))
    with database.write() as db:
        pitches.type_in(db, events.by_slug(db, "demo"), {"title": "Fra et papirkort", "author": "Værten"})


def harvest(database: Database) -> dict:
    """What must survive a purge: the snapshot's counts and texts, and the notes' texts."""
    with database.read() as db:
        event = events.by_slug(db, "demo")
        data = events.snapshot(db, event, host=True)
        texts = sorted((n.kind, n.text, n.pitch_id, n.session_id) for n in db.exec(select(Note)))
        rows = (len(db.exec(select(Interest)).all()), len(db.exec(select(Presence)).all()))
    data.pop("version")
    for pitch in data["pitches"]:  # pitch authors from phones are cleared on purpose
        pitch.pop("author")
    return {"snapshot": data, "notes": texts, "rows": rows}


def test_purge_clears_tokens_and_names(database: Database) -> None:
    load(database)
    with database.read() as db:
        expected = preview(db, events.by_slug(db, "demo"))
    assert expected["participants"] > 0 and expected["notes"] > 0 and expected["pitches"] > 0
    with database.write() as db:
        counts = purge(db, events.by_slug(db, "demo"))
    assert counts == expected
    with database.read() as db:
        people = db.exec(select(Participant)).all()
        assert all(p.token is None and p.name is None for p in people)
        assert all(n.author == "" and n.participant_id is None for n in db.exec(select(Note)))
        for pitch in db.exec(select(Pitch)):
            assert pitch.participant_id is None
            if pitch.source == "phone":
                assert pitch.author == ""
        typed_in = db.exec(select(Pitch).where(Pitch.title == "Fra et papirkort")).one()
        assert typed_in.author == "Værten"


def test_purge_keeps_pitches_notes_and_counts(database: Database) -> None:
    load(database)
    before = harvest(database)
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    assert harvest(database) == before


def test_purge_raises_the_version_and_is_audited(database: Database) -> None:
    load(database)
    with database.read() as db:
        version = events.by_slug(db, "demo").version
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    with database.read() as db:
        event = events.by_slug(db, "demo")
        assert event.version > version
        assert audit.entries(db, event)[0].action == "event.purge"


def test_a_second_purge_finds_nothing_left(database: Database) -> None:
    load(database)
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    with database.write() as db:
        event = events.by_slug(db, "demo")
        assert preview(db, event) == {"participants": 0, "notes": 0, "pitches": 0}
        assert purge(db, event) == {"participants": 0, "notes": 0, "pitches": 0}


def test_purge_touches_only_its_event(database: Database) -> None:
    load(database)
    with database.write() as db:
        other = Event(slug="andet", title="Et andet arrangement")
        db.add(other)
        db.flush()
        participants.get_or_create(db, other, "token-of-someone-else")
    with database.write() as db:
        purge(db, events.by_slug(db, "demo"))
    with database.read() as db:
        assert participants.find(db, events.by_slug(db, "andet"), "token-of-someone-else") is not None


# --- the harvest after a purge, as the report and its exports show it ------------------------------------------

#: Names the demo's participants gave (as note and pitch authors), and one a test participant gives.
NAMES = (
    "Mette",
    "Jonas",
    "Birgit",
    "Poul",
    "Hanne",
    "Sofie",
    "Erik",
    "Ahmed",
    "Lene",
    "Karin",
    "Fatima",
    "Anne",
    "Jens",
)


def shown(server: LiveServer, reader: httpx.Client) -> dict[str, Any]:
    """What the report and every export say about the harvest: notes with support and themes, and the curves."""
    data = reader.get("/e/demo/report.json").json()
    rows = list(csv.DictReader(io.StringIO(reader.get("/e/demo/report.csv").text)))
    return {
        "page": reader.get("/e/demo/report").text,
        "markdown": reader.get("/e/demo/report.md").text,
        "csv": rows,
        "json": data,
        "notes": sorted((n["id"], n["text"], n["support"], tuple(n["themes"])) for n in data["notes"]),
        "csv_notes": sorted((int(r["note_id"]), r["text"], int(r["support"]), r["themes"]) for r in rows),
        "curves": data["curves"],
    }


def test_after_a_purge_the_report_and_exports_keep_the_harvest_and_lose_the_names(
    server: LiveServer, client: httpx.Client, host: httpx.Client
) -> None:
    slot = server.slot(1, "Lokale 1")
    assert client.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    data = {"kind": "proposal", "text": "Navngivet forslag", "author": "Kimberly"}
    assert client.post(f"/e/demo/sessions/{slot.id}/notes", data=data).status_code == 303
    note = server.rows(Note)[-1]
    assert server.client().post(f"/e/demo/notes/{note.id}/support").status_code == 303
    tokens = [p.token for p in server.rows(Participant) if p.token]
    before = shown(server, host)
    assert "Kimberly" in before["page"] and "Kimberly" in before["markdown"]
    assert any(r["author"] == "Mette" for r in before["csv"])

    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEBOARD_DATABASE_URL": str(server.database.engine.url)}
    done = subprocess.run(
        [sys.executable, "-m", "liveboard", "purge", "demo", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

    for reader in (host, server.client()):  # the host's view and the public one
        after = shown(server, reader)
        expected = {"notes": before["notes"], "csv_notes": before["csv_notes"], "curves": before["curves"]}
        assert {key: after[key] for key in expected} == expected
        assert all(n["author"] == "" for n in after["json"]["notes"])
        assert all(r["author"] == "" for r in after["csv"])
        everything = "\n".join([after["page"], after["markdown"], json.dumps(after["json"], ensure_ascii=False)])
        everything += "\n".join(";".join(r.values()) for r in after["csv"])
        for name in (*NAMES, "Kimberly"):
            assert not re.search(rf"\b{name}\b", everything), f"{name} is still in the report"
        for token in tokens:
            assert token not in everything
        assert '"token"' not in everything
        # The curves are still drawn, the support still counted, the themes still there.
        assert after["page"].count('<svg class="chart" role="img"') == 4
        for note_id, text, support, themes in after["notes"]:
            item = re.search(rf'<li class="note[^"]*" id="note-{note_id}">(.*?)</li>', after["page"], re.S)
            assert item and str(escape(text)) in item.group(1)
            assert (f'<span aria-hidden="true">+{support}</span>' in item.group(1)) == bool(support)
            assert all(f'<span class="theme-tag" lang="da">{theme}</span>' in item.group(1) for theme in themes)
        assert 'class="theme-tag" lang="da">ventetid</span>' in after["page"]
