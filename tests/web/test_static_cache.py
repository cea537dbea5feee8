"""Static files (`liveboard/web/static_files.py`): pages name them with their digest, and such an address is kept
by the browser for a year, so a hall reloading at once does not ask for them again."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest
from conftest import LiveServer

from liveboard import ROOT

ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


@pytest.mark.parametrize("path", ["/e/demo", "/e/demo/screen", "/host/login"])
def test_pages_name_static_files_with_their_digest(server: LiveServer, client: httpx.Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assets = ASSET.findall(page.text)
    assert any("app.css" in a for a in assets) and any("app.js" in a for a in assets)
    for address in assets:
        file, _, query = address.partition("?")
        on_disk = ROOT / file.lstrip("/")
        if not on_disk.exists():
            continue  # vendored scripts before `liveboard assets`: named without a digest
        assert query == "v=" + hashlib.sha256(on_disk.read_bytes()).hexdigest()[:12], address
        response = client.get(address)
        assert response.status_code == 200, address
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", address


def test_a_static_file_without_its_digest_is_asked_again(client: httpx.Client) -> None:
    for address in ("/static/css/app.css", "/static/css/app.css?v=0000", "/static/css/app.css?v=a&v=b"):
        response = client.get(address)
        assert response.status_code == 200, address
        assert response.headers["cache-control"] == "no-cache", address
        assert response.headers.get("etag")
        again = client.get(address, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


def test_static_bad_requests(client: httpx.Client) -> None:
    assert client.get("/static/nothing-here.css?v=1").status_code == 404
    assert client.get("/static/../liveboard/app.py").status_code == 404
    assert client.post("/static/css/app.css").status_code in (403, 405)
