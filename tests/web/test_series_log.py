"""The public log of the dialogue series (`liveboard/web/views/series_log.py`), against the real server: per
series at `/s/{series}/log`, across all at `/s`; filters, counts, time to close, escaping.

The exports' contents are in tests/test_series_exports.py."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
from conftest import LiveServer, has_id
from sqlmodel import select

from liveboard.domain import items, series
from liveboard.models import Item, Series
from liveboard.series_exports import STATUSES
from liveboard.web.templating import render


def shown_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'id="slog-item-(\d+)"', page)]


def counts(page: str) -> dict[str, int]:
    return {status: int(n) for status, n in re.findall(r'data-status="(\w+)">(\d+)<', page)}


def series_items(server: LiveServer, slug: str) -> list[Item]:
    found = server.rows(Series, Series.slug == slug)[0]
    return server.rows(Item, Item.series_id == found.id, Item.merged_into_id == None)  # noqa: E711


def test_the_log_shows_every_point_with_its_status_and_latest_answer(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/s/seniorer/log")
    assert response.status_code == 200
    page = response.text
    assert "set-cookie" not in response.headers
    listed = series_items(server, "seniorer")
    assert sorted(shown_ids(page)) == sorted(i.id for i in listed)
    assert counts(page) == {status: 1 for status in STATUSES}
    forwarded = next(i for i in listed if i.status == "forwarded")
    card = re.search(rf'id="slog-item-{forwarded.id}".*?</li>\s*(?=<li|</ul>)', page, re.S).group(0)
    assert "forwarded to Digitaliseringsstyrelsen" in card
    assert "Latest answer from Borgerservice" in card
    assert "Median time from raised to closed:" in page
    new = next(i for i in listed if i.status == "new")
    assert "No answer yet." in re.search(rf'id="slog-item-{new.id}".*?</li>', page, re.S).group(0)


def test_time_to_close_per_item_and_the_median(server: LiveServer, client: httpx.Client) -> None:
    with server.database.write() as db:
        one = series.by_slug(db, "unge")
        held = series.meetings(db, one)[0]
        raised = held.starts - timedelta(days=10)
        item = items.propose(db, one, None, {"title": "Kort sag", "service": "Pas"})
        item.created_at = raised
        db.add(item)
        items.step(db, one, item.id, {"status": "solved", "text": "Klaret."}, now=raised + timedelta(days=3, hours=1))
        closed = [
            (i.created_at, i.closed_at)
            for i in db.exec(select(Item).where(Item.series_id == one.id, Item.closed_at != None))  # noqa: E711
        ]
    page = client.get("/s/unge/log").text
    card = re.search(rf'id="slog-item-{item.id}".*?</li>', page, re.S).group(0)
    assert "after 3 days" in card
    days = sorted(round((b - a).total_seconds() / 86400) for a, b in closed)
    mid = len(days) // 2
    median = days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2
    text = f"{median:g}" if median != int(median) else str(int(median))
    assert f"Median time from raised to closed: {text} days." in page
    open_item = next(i for i in series_items(server, "unge") if i.status == "looking")
    assert "after " not in re.search(rf'id="slog-item-{open_item.id}".*?</li>', page, re.S).group(0)


def test_filters_by_status_and_service_and_ignores_unknown_values(server: LiveServer, client: httpx.Client) -> None:
    listed = series_items(server, "udsatte")
    page = client.get("/s/udsatte/log", params={"status": "forwarded"}).text
    assert shown_ids(page) == [i.id for i in listed if i.status == "forwarded"]
    assert counts(page) == {status: 1 for status in STATUSES}, "the counts are the whole series'"
    page = client.get("/s/udsatte/log", params={"service": "Borgerservice"}).text
    assert sorted(shown_ids(page)) == sorted(i.id for i in listed if i.service == "Borgerservice")
    assert len(shown_ids(page)) == 2
    page = client.get("/s/udsatte/log", params={"service": "Borgerservice", "status": "explained"}).text
    assert shown_ids(page) == []
    assert "No points here." in page
    everything = sorted(i.id for i in listed)
    for params in ({"status": "bogus"}, {"service": "<nope>"}, {"status": "", "service": ""}):
        response = client.get("/s/udsatte/log", params=params)
        assert response.status_code == 200
        assert sorted(shown_ids(response.text)) == everything
    # The export links keep the filter.
    page = client.get("/s/udsatte/log", params={"status": "looking"}).text
    assert 'href="/s/udsatte/log.csv?status=looking"' in page


def test_across_all_series(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/s")
    assert response.status_code == 200
    page = response.text
    for slug in ("seniorer", "udsatte", "internationale", "unge"):
        assert has_id(page, f"slog-series-{slug}")
        assert f'href="/s/{slug}/log"' in page
    assert counts(page) == {status: 4 for status in STATUSES}
    page = client.get("/s", params={"status": "reopened"}).text
    assert len(shown_ids(page)) == 4
    page = client.get("/s", params={"service": "MitID"}).text
    mitid = [
        i.id
        for slug in ("seniorer", "udsatte", "internationale", "unge")
        for i in series_items(server, slug)
        if i.service == "MitID"
    ]
    assert sorted(shown_ids(page)) == sorted(mitid)


def test_user_text_is_escaped(server: LiveServer, client: httpx.Client) -> None:
    member = server.client()
    member.get("/s/seniorer")
    nasty = '<script>alert("x")</script>'
    response = member.post(
        "/s/seniorer/items", data={"title": nasty, "story": nasty, "service": "<b>svc</b>", "organisation": nasty}
    )
    assert response.status_code == 303, response.text
    page = client.get("/s/seniorer/log").text
    assert nasty not in page and "<b>svc</b>" not in page
    assert html.escape(nasty, quote=False) in page or "&lt;script&gt;" in page
    page = client.get("/s/seniorer/log", params={"service": "<b>svc</b>"}).text
    assert len(shown_ids(page)) == 1


def test_unknown_series_is_404(client: httpx.Client) -> None:
    assert client.get("/s/nowhere/log").status_code == 404
    for suffix in ("md", "csv", "json"):
        assert client.get(f"/s/nowhere/log.{suffix}").status_code == 404


def test_the_log_is_danish_by_default(server: LiveServer) -> None:
    page = server.client(lang=None).get("/s/seniorer/log").text
    assert '<html lang="da">' in page


def test_the_short_fragment_for_the_series_page(server: LiveServer) -> None:
    with server.database.read() as db:
        one = series.by_slug(db, "seniorer")
        entries = items.log(db, one)
    fragment = render("series/_log.html", series=one, entries=entries)
    assert has_id(fragment, "series-log-short")
    answered = [e for e in entries if e.answer]
    newest = max(answered, key=lambda e: e.answer.at)
    assert fragment.index(html.escape(newest.item.title)) < fragment.index("/s/seniorer/log")
    assert len(re.findall(r'id="slog-short-\d+"', fragment)) == min(5, len(answered))
    assert datetime.now(UTC)  # the fragment sets no time of its own
