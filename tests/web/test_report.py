"""The harvest report and its exports (`liveboard/web/views/report.py`)."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import httpx
import pytest
from conftest import LiveServer, has_id

from liveboard.models import Note


def add_note(server: LiveServer, who: httpx.Client, text: str, kind: str = "idea") -> int:
    """Check `who` in to a session running now and leave a note there; the session's id."""
    slot = server.slot(1, "Lokale 2")
    assert who.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    assert who.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": kind, "text": text}).status_code == 303
    return slot.id  # type: ignore[return-value]


def test_report_page_shows_every_session_and_its_notes(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/report")
    assert response.status_code == 200
    page = response.text
    for slot in (server.slot(1, "Store sal"), server.slot(3, "Lokale 2")):
        assert has_id(page, f"report-session-{slot.id}")
    for note in server.rows(Note):
        assert html.escape(note.text) in page
    for export in ("report.md", "report.csv", "report.json"):
        assert f"/e/demo/{export}" in page


def test_report_shows_a_new_note(server: LiveServer, client: httpx.Client) -> None:
    add_note(server, client, "Flere bænke ved stien", kind="proposal")
    assert "Flere bænke ved stien" in client.get("/e/demo/report").text


@pytest.mark.parametrize("path", ["/e/nope/report", "/e/nope/report.csv", "/e/nope/report.md", "/e/nope/report.json"])
def test_report_of_unknown_event_is_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def csv_rows(client: httpx.Client) -> list[dict[str, str]]:
    response = client.get("/e/demo/report.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="demo-harvest.csv"' in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_export_has_every_note(server: LiveServer, client: httpx.Client) -> None:
    rows = csv_rows(client)
    assert list(rows[0]) == ["session_id", "session", "room", "round", "kind", "text", "author", "created_at"]
    assert sorted(r["text"] for r in rows) == sorted(n.text for n in server.rows(Note))


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_export_neutralises_formulas(server: LiveServer, client: httpx.Client, formula: str) -> None:
    session_id = add_note(server, client, formula)
    row = next(r for r in csv_rows(client) if r["text"].endswith(formula))
    assert row["text"] == "'" + formula
    assert row["session_id"] == str(session_id)


def test_markdown_export_escapes_markup(server: LiveServer, client: httpx.Client) -> None:
    add_note(server, client, "**fed** og <b>tag</b> _kursiv_")
    response = client.get("/e/demo/report.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert "**fed**" not in text
    assert not re.search(r"(?<!\\)<", text)
    assert r"\*\*fed\*\* og \<b\>tag\</b\> \_kursiv\_" in text
    assert text.startswith("# Fremtidens velfærd")


def test_markdown_export_escapes_pitch_titles(server: LiveServer, host: httpx.Client, client: httpx.Client) -> None:
    host.post("/e/demo/host/pitches", data={"title": "<img src=x> *vigtigt*"})
    pitch = server.pitch("<img src=x> *vigtigt*")
    data = {"pitch_id": pitch.id, "room_id": server.room("Foyeren").id, "round_id": server.round(1).id}
    assert host.post("/e/demo/host/sessions", data=data).status_code == 303
    text = client.get("/e/demo/report.md").text
    assert not re.search(r"(?<!\\)[<*]", text)  # every < and * is escaped
    assert r"\<img src=x\> \*vigtigt\*" in text


def test_json_export_has_the_notes(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/e/demo/report.json")
    assert response.status_code == 200
    data = json.loads(response.text)
    assert data["slug"] == "demo"
    assert sorted(n["text"] for n in data["notes"]) == sorted(n.text for n in server.rows(Note))
    assert {"rooms", "rounds", "pitches", "sessions"} <= set(data)


def test_public_json_export_shows_only_approved_pitches(server: LiveServer, client: httpx.Client) -> None:
    data = client.get("/e/demo/report.json").json()
    statuses = {p["status"] for p in data["pitches"]}
    assert statuses <= {"approved"}
    assert server.pitch("parkering").title not in json.dumps(data, ensure_ascii=False)
