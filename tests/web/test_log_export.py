"""The exports name the account behind each host action: the host's JSON export carries the log, and the console
offers the whole log as CSV (`/e/{slug}/host/log.csv`), for hosts only."""

from __future__ import annotations

import csv
import io
import json

from conftest import HX, LiveServer

from liveboard.models import Pitch


def test_the_log_csv_names_each_account(server: LiveServer) -> None:
    server.add_account("mette", "host")
    mette = server.client(account="mette")
    pitch = server.rows(Pitch, Pitch.status == "pending")[0]
    assert mette.post(f"/e/demo/host/pitches/{pitch.id}/approve").status_code == 303
    assert server.client(host=True).post("/e/demo/host/announce", data={"text": "=kaffe"}).status_code == 303
    response = server.client(host=True).get("/e/demo/host/log.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    mine = [r for r in rows if r["actor"] == "mette"]
    assert [(r["action"], r["subject"], r["detail"]) for r in mine] == [
        ("pitch.approve", f"pitch:{pitch.id}", pitch.title)
    ]
    assert rows[-1]["actor"] == "admin" and rows[-1]["detail"] == "'=kaffe"  # no formula for a spreadsheet
    assert {r["actor"] for r in rows} >= {"mette", "admin"}


def test_the_log_is_for_hosts_only(server: LiveServer) -> None:
    stranger = server.client()
    assert stranger.get("/e/demo/host/log.csv").status_code == 303
    assert stranger.get("/e/demo/host/log.csv", headers=HX).status_code == 401
    assert server.client(host=True).get("/e/nope/host/log.csv").status_code == 404


def test_the_hosts_json_export_carries_the_log_and_the_public_one_does_not(server: LiveServer) -> None:
    server.client(host=True).post("/e/demo/host/phase", data={"phase": "running"})
    hosts = json.loads(server.client(host=True).get("/e/demo/report.json").text)
    assert hosts["log"][-1] == {**hosts["log"][-1], "actor": "admin", "action": "event.phase"}
    assert hosts["log"][-1]["data"] == {"phase": "running"}
    assert "log" not in json.loads(server.client().get("/e/demo/report.json").text)
