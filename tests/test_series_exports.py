"""The public log's exports (`liveboard/series_exports.py`): parsed back and compared with the log itself."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import LiveServer

from liveboard import i18n, series_exports
from liveboard.db import Database
from liveboard.demo import load_series
from liveboard.domain import items, series
from liveboard.series_exports import CSV_COLUMNS, STATUSES

NOW = datetime(2026, 3, 12, 19, 7, 31, tzinfo=UTC)


@pytest.fixture
def loaded(database: Database) -> Database:
    load_series(database, now=NOW)
    return database


def logs(database: Database, slug: str | None = None) -> list[series_exports.SeriesLog]:
    with database.read() as db:
        if slug is None:
            return series_exports.load_all(db)
        return [series_exports.load(db, series.by_slug(db, slug))]


def test_csv_has_one_row_per_item_that_parses_back(loaded: Database) -> None:
    [log] = logs(loaded, "seniorer")
    with i18n.using("da"):
        text = series_exports.export([log], "csv", across=False)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert [int(r["id"]) for r in rows] == [row.item.id for row in log.rows]
    for parsed, row in zip(rows, log.rows, strict=True):
        assert parsed["series"] == "seniorer"
        assert parsed["title"] == row.item.title
        assert parsed["status"] == row.status
        assert int(parsed["support"]) == row.support
        assert datetime.fromisoformat(parsed["raised_at"]) == series_exports.aware(row.item.created_at)
        if row.days_to_close is None:
            assert parsed["closed_at"] == parsed["days_to_close"] == ""
        else:
            closed = datetime.fromisoformat(parsed["closed_at"])
            raised = datetime.fromisoformat(parsed["raised_at"])
            assert int(parsed["days_to_close"]) == round((closed - raised).total_seconds() / 86400)
        assert parsed["answer"] == (row.answer.text if row.answer else "")
        assert parsed["forwarded_to"] == (row.answer.forwarded_to if row.answer else "")
    assert any(r["forwarded_to"] == "Digitaliseringsstyrelsen" for r in rows)


def test_the_excel_variant_and_formula_neutralising(loaded: Database) -> None:
    with loaded.write() as db:
        one = series.by_slug(db, "unge")
        item = items.propose(db, one, None, {"title": '=HYPERLINK("http://x")', "service": "+45 kontakt"})
        items.step(db, one, item.id, {"status": "looking", "text": "@admin ser på det"}, now=NOW)
    [log] = logs(loaded, "unge")
    plain = series_exports.export([log], "csv", across=False)
    excel = series_exports.export([log], "csv", across=False, excel=True)
    assert not plain.startswith("\ufeff") and excel.startswith("\ufeff")
    for text, delimiter in ((plain, ","), (excel.removeprefix("\ufeff"), ";")):
        rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
        row = next(r for r in rows if int(r["id"]) == item.id)
        assert row["title"] == '\'=HYPERLINK("http://x")'
        assert row["service"] == "'+45 kontakt"
        assert row["answer"] == "'@admin ser på det"
        assert len(rows) == len(log.rows)


def test_filters_apply_to_the_exports(loaded: Database) -> None:
    all_logs = logs(loaded)
    text = series_exports.export(all_logs, "csv", across=True, status="forwarded")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["series"] for r in rows) == sorted(["seniorer", "udsatte", "internationale", "unge"])
    assert {r["status"] for r in rows} == {"forwarded"}
    document = json.loads(series_exports.export(all_logs, "json", across=True, service="MitID"))
    assert {i["service"] for s in document["series"] for i in s["items"]} == {"MitID"}


def test_json_carries_the_history(loaded: Database) -> None:
    [log] = logs(loaded, "internationale")
    document = json.loads(series_exports.export([log], "json", across=False))
    assert document["slug"] == "internationale" and document["language"] == "en"
    assert document["counts"] == {status: 1 for status in STATUSES}
    assert document["median_days_to_close"] == log.median_days
    assert len(document["meetings"]) == 2 and document["meetings"][0]["held_at"]
    by_id = {row.item.id: row for row in log.rows}
    assert [i["id"] for i in document["items"]] == list(by_id)
    for item in document["items"]:
        row = by_id[item["id"]]
        assert item["status"] == row.status and item["support"] == row.support
        assert item["days_to_close"] == row.days_to_close
        assert [(h["status"], h["text"], h["forwarded_to"], h["author"]) for h in item["history"]] == [
            (s.status, s.text, s.forwarded_to, s.author) for s in row.history
        ]
        assert [datetime.fromisoformat(h["at"]) for h in item["history"]] == [
            series_exports.aware(s.at) for s in row.history
        ]
    reopened = next(i for i in document["items"] if i["status"] == "reopened")
    assert [h["status"] for h in reopened["history"]] == ["explained", "reopened"]
    across = json.loads(series_exports.export(logs(loaded), "json", across=True))
    assert [s["slug"] for s in across["series"]] == [log.series.slug for log in logs(loaded)]
    assert across["counts"] == {status: 4 for status in STATUSES}


def test_markdown_for_a_council_paper(loaded: Database) -> None:
    with loaded.write() as db:
        one = series.by_slug(db, "udsatte")
        items.propose(db, one, None, {"title": "# *Stjerne* [link](x) <b>"})
    [log] = logs(loaded, "udsatte")
    with i18n.using("da"):
        text = series_exports.export([log], "md", across=False)
    assert text.startswith("# ") and log.series.title.split()[0] in text.splitlines()[0]
    assert "\\# \\*Stjerne\\* \\[link\\]\\(x\\) \\<b\\>" in text
    assert "<b>" not in text
    assert text.count("\n## ") == len(log.rows)
    assert "Digitaliseringsstyrelsen" in text or "Jobcentret" in text
    assert "\n\n\n" not in text and text.endswith("\n")
    across = series_exports.export(logs(loaded), "md", across=True)
    assert across.count("\n## ") == 4


def test_time_to_close_is_in_whole_days_and_the_median(loaded: Database) -> None:
    with loaded.write() as db:
        one = series.by_slug(db, "seniorer")
        item = items.propose(db, one, None, {"title": "Hurtig sag"})
        item.created_at = NOW - timedelta(days=5)
        db.add(item)
        items.step(db, one, item.id, {"status": "solved", "text": "Løst."}, now=NOW - timedelta(days=3, hours=13))
    [log] = logs(loaded, "seniorer")
    row = next(r for r in log.rows if r.item.id == item.id)
    assert row.days_to_close == 1
    closed = sorted(r.days_to_close for r in log.rows if r.days_to_close is not None)
    assert len(closed) == 5
    assert log.median_days == closed[2]


def test_the_export_urls(server: LiveServer) -> None:
    client = server.client()
    for path in ("/s/seniorer/log", "/s/log"):
        md = client.get(f"{path}.md")
        assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
        data = client.get(f"{path}.csv")
        assert data.headers["content-type"].startswith("text/csv")
        assert "attachment" in data.headers["content-disposition"]
        excel = client.get(f"{path}.csv", params={"excel": "1"})
        assert excel.content.startswith("\ufeff".encode())
        assert client.get(f"{path}.json").headers["content-type"].startswith("application/json")
    one = client.get("/s/seniorer/log.json").json()
    assert one["slug"] == "seniorer"
    assert len(client.get("/s/log.json").json()["series"]) == 4
    rows = list(csv.DictReader(io.StringIO(client.get("/s/unge/log.csv", params={"status": "solved"}).text)))
    assert [r["status"] for r in rows] == ["solved"]
