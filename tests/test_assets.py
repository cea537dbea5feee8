"""The asset fetcher: integrity before unpacking, exact extraction, no network needed.

Every test builds its own small npm-style tarball, so none of them touches the registry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from liveboard import assets
from liveboard.assets import AssetError, NpmAsset

HTMX = b"/* fake htmx.min.js */ var htmx = {};\n"
HX_WS = b"/* fake hx-ws.js */\n"


def _tgz(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _fake_package() -> bytes:
    return _tgz(
        {
            "package/package.json": b'{"name": "htmx.org"}',
            "package/dist/htmx.js": b"/* not wanted */",
            "package/dist/htmx.min.js": HTMX,
            "package/dist/ext/hx-ws.js": HX_WS,
            "package/dist/ext/hx-ws.min.js": b"/* not wanted either */",
        }
    )


def _asset(integrity: str) -> NpmAsset:
    real = assets.ASSETS[0]
    return NpmAsset(package=real.package, version=real.version, integrity=integrity, files=real.files)


def test_pin_table_is_htmx_4_0_1() -> None:
    (htmx,) = assets.ASSETS
    assert htmx.spec == "htmx.org@4.0.1"
    assert htmx.tarball_url(assets.DEFAULT_REGISTRY) == "https://registry.npmjs.org/htmx.org/-/htmx.org-4.0.1.tgz"
    assert [dest for _, dest in htmx.files] == ["htmx.min.js", "hx-ws.js"]


def test_extraction_writes_exactly_the_two_files(tmp_path: Path) -> None:
    data = _fake_package()
    written = assets._install_tarball(_asset(_sri(data)), data, tmp_path)

    assert written == [tmp_path / "htmx.min.js", tmp_path / "hx-ws.js"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["htmx.min.js", "hx-ws.js"]
    assert (tmp_path / "htmx.min.js").read_bytes() == HTMX
    assert (tmp_path / "hx-ws.js").read_bytes() == HX_WS


def test_tampered_tarball_is_refused_before_unpacking(tmp_path: Path) -> None:
    good = _fake_package()
    tampered = _tgz(
        {
            "package/dist/htmx.min.js": b"alert('pwned')",
            "package/dist/ext/hx-ws.js": HX_WS,
        }
    )
    with pytest.raises(AssetError, match="integrity mismatch"):
        assets._install_tarball(_asset(_sri(good)), tampered, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_is_refused(tmp_path: Path) -> None:
    good = _fake_package()
    with pytest.raises(AssetError, match="integrity mismatch"):
        assets._install_tarball(_asset(_sri(good)), good[:-10], tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("integrity", ["", "md5-abc", "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="])
def test_integrity_without_a_strong_hash_is_an_error(integrity: str) -> None:
    with pytest.raises(AssetError, match="no usable hash"):
        assets.verify_integrity(b"x", integrity)


def test_strongest_algorithm_wins() -> None:
    data = b"payload"
    sha256 = "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    # A matching weaker hash must not rescue a wrong sha512.
    with pytest.raises(AssetError, match="integrity mismatch"):
        assets.verify_integrity(data, f"{sha256} {_sri(b'other')}")
    assets.verify_integrity(data, f"{sha256} {_sri(data)}")


def test_missing_member_and_symlink_are_refused(tmp_path: Path) -> None:
    missing = _tgz({"package/dist/htmx.min.js": HTMX})
    with pytest.raises(AssetError, match=re.escape("has no package/dist/ext/hx-ws.js")):
        assets._install_tarball(_asset(_sri(missing)), missing, tmp_path)

    linked = _tgz({"package/dist/htmx.min.js": HTMX}, symlinks={"package/dist/ext/hx-ws.js": "/etc/passwd"})
    with pytest.raises(AssetError, match="not a regular file"):
        assets._install_tarball(_asset(_sri(linked)), linked, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_fetch_ensure_and_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _fake_package()
    vendor = tmp_path / "static" / "vendor"
    urls: list[str] = []

    def fake_download(url: str) -> bytes:
        urls.append(url)
        return data

    monkeypatch.setattr(assets, "VENDOR_DIR", vendor)
    monkeypatch.setattr(assets, "ASSETS", [_asset(_sri(data))])
    monkeypatch.setattr(assets, "_download", fake_download)
    monkeypatch.setenv(assets.REGISTRY_ENV, "https://mirror.example/npm/")

    assert not assets.assets_present()
    assets.ensure_assets()
    assert urls == ["https://mirror.example/npm/htmx.org/-/htmx.org-4.0.1.tgz"]
    assert assets.assets_present()
    manifest = json.loads((vendor / "manifest.json").read_text())
    assert manifest["packages"]["htmx.org"]["version"] == "4.0.1"

    # Present and current: no download, unless forced.
    assets.ensure_assets()
    assert assets.fetch_assets() == [vendor / "htmx.min.js", vendor / "hx-ws.js"]
    assert len(urls) == 1
    assets.fetch_assets(force=True)
    assert len(urls) == 2

    # A damaged file or a changed pin makes the copy stale.
    (vendor / "hx-ws.js").write_bytes(b"edited")
    assert not assets.assets_present()
    assets.ensure_assets()
    assert (vendor / "hx-ws.js").read_bytes() == HX_WS
    monkeypatch.setattr(assets, "ASSETS", [NpmAsset("htmx.org", "9.9.9", _sri(data), assets.ASSETS[0].files)])
    assert not assets.assets_present()
