"""The phone page stays light for an old phone on venue wifi: under 50 KB on the wire with what it loads."""

from __future__ import annotations

import re

import httpx

from tests.conftest import LiveServer

LIMIT = 50 * 1024


def wire_bytes(client: httpx.Client, path: str) -> int:
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200, path
        raw = b"".join(response.iter_raw())
    return len(raw)


def test_the_phone_page_and_everything_it_loads_are_under_50_kb(server: LiveServer, client: httpx.Client) -> None:
    page = client.get("/e/demo").text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    files = [a.partition("?")[0] for a in assets]  # named with their digest: /static/css/app.css?v=…
    assert any(f.endswith(".css") for f in files) and any(f.endswith(".js") for f in files)
    total = wire_bytes(client, "/e/demo") + sum(wire_bytes(client, path) for path in assets)
    assert total < LIMIT, f"{total} bytes: {assets}"


def test_a_wall_screen_has_no_external_requests(server: LiveServer, client: httpx.Client) -> None:
    page = client.get("/e/demo/screen").text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
    assert "<svg" in page
