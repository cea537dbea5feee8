"""Front-end files (htmx and its extensions), fetched pinned from the npm registry.

Why this module exists: the vendored JavaScript is not kept in git, and we do not want
Node or npm on the machines that run LiveBoard. npm tarballs are plain ``.tgz`` files
served over HTTPS, and the registry publishes a Subresource-Integrity hash for each
one, so the standard library is enough to fetch exactly the version we tested against
and prove it is byte-for-byte what was published.

Order of operations matters: the tarball's integrity is checked *before* it is opened,
so a tampered or truncated download never reaches the tar parser, let alone the disk.
Only the files named in the pin table are copied out (never ``extractall``), so a
hostile archive cannot write outside ``static/vendor/``.

``static/vendor/manifest.json`` records what was installed, so :func:`ensure_assets`
can decide at start-up, without any network access, whether a fetch is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from liveboard import ROOT

__all__ = [
    "ASSETS",
    "DEFAULT_REGISTRY",
    "MANIFEST_NAME",
    "REGISTRY_ENV",
    "VENDOR_DIR",
    "AssetError",
    "NpmAsset",
    "assets_present",
    "ensure_assets",
    "fetch_assets",
]

#: Public npm registry; a mirror can be set with :data:`REGISTRY_ENV`.
DEFAULT_REGISTRY = "https://registry.npmjs.org"
#: Environment variable overriding the registry base URL (e.g. a company mirror).
REGISTRY_ENV = "LIVEBOARD_NPM_REGISTRY"
#: Where the files land; served by the app under ``/static/vendor/``.
VENDOR_DIR = ROOT / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
#: Seconds before a stalled download is abandoned.
DOWNLOAD_TIMEOUT = 60
#: Refuse absurdly large responses instead of buffering them (htmx.org 4.0.1 is ~380 KB).
MAX_TARBALL_BYTES = 50 * 1024 * 1024

# Strongest first: SRI says to use the strongest algorithm present in the metadata.
_SRI_ALGORITHMS = ("sha512", "sha384", "sha256")


class AssetError(RuntimeError):
    """Fetching or installing a front-end file failed; the message says what to do."""


@dataclass(frozen=True)
class NpmAsset:
    """One pinned npm package and the files LiveBoard takes from its tarball.

    ``integrity`` is the ``dist.integrity`` value from the registry metadata (an SRI
    string). ``files`` maps a member path inside the tarball (npm tarballs put
    everything under ``package/``) to a file name inside ``static/vendor/``.
    """

    package: str
    version: str
    integrity: str
    files: tuple[tuple[str, str], ...]

    @property
    def spec(self) -> str:
        """``name@version``, for messages."""
        return f"{self.package}@{self.version}"

    def tarball_url(self, registry: str) -> str:
        """The registry's conventional tarball URL (also right for ``@scope/name``)."""
        basename = self.package.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.package}/-/{basename}-{self.version}.tgz"


#: The pin table. To add a package: take ``version`` and ``dist.integrity`` from
#: ``https://registry.npmjs.org/<name>/<version>`` and list the files to copy out.
ASSETS: list[NpmAsset] = [
    NpmAsset(
        package="htmx.org",
        version="4.0.1",
        integrity="sha512-oF7JgXhDW9UXCy/k1ZYFUQgzu/rm19ORWPSPNL91vPluB2PB9+MV55tyQdH/w7o2EAbTYUG5SDW1R60mdkdqGg==",
        files=(
            ("package/dist/htmx.min.js", "htmx.min.js"),
            ("package/dist/ext/hx-ws.js", "hx-ws.js"),
        ),
    ),
]


def registry_url() -> str:
    """The registry base URL, honouring :data:`REGISTRY_ENV` so mirrors work offline-ish."""
    return (os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY).rstrip("/")


# --------------------------------------------------------------------------- integrity


def _sri(algorithm: str, data: bytes) -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode('ascii')}"


def verify_integrity(data: bytes, integrity: str, *, what: str = "download") -> None:
    """Raise :class:`AssetError` unless ``data`` matches the SRI string ``integrity``.

    Follows the SRI rules: of the hashes listed, only those with the strongest known
    algorithm count, and any one of them matching is enough. An SRI string with no
    usable hash is an error, never a silent pass.
    """
    tokens: dict[str, list[str]] = {}
    for token in integrity.split():
        algorithm, sep, digest = token.partition("-")
        if sep and algorithm in _SRI_ALGORITHMS:
            tokens.setdefault(algorithm, []).append(digest.split("?", 1)[0])
    strongest = next((a for a in _SRI_ALGORITHMS if a in tokens), None)
    if strongest is None:
        raise AssetError(f"{what}: no usable hash in integrity {integrity!r} (expected sha512-…)")
    actual = _sri(strongest, data)
    actual_digest = actual.partition("-")[2]
    if not any(hmac.compare_digest(actual_digest, expected) for expected in tokens[strongest]):
        raise AssetError(
            f"{what}: integrity mismatch, refusing to unpack it.\n"
            f"  expected {integrity}\n"
            f"  got      {actual}\n"
            f"The download was corrupted or tampered with; if {REGISTRY_ENV} points at a mirror, check it."
        )


# --------------------------------------------------------------------------- install


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file + rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates 0600; these are public static files, readable by a front web server.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _install_tarball(asset: NpmAsset, data: bytes, vendor_dir: Path) -> list[Path]:
    """Verify ``data`` (the package tarball) against the pin, then copy out its files.

    Separate from the download so it can be tested without network. Nothing is
    written unless the integrity matches and every listed member is a regular file.
    """
    verify_integrity(data, asset.integrity, what=asset.spec)
    contents: list[tuple[str, bytes]] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member_name, dest_name in asset.files:
                try:
                    member = tar.getmember(member_name)
                except KeyError:
                    raise AssetError(f"{asset.spec}: tarball has no {member_name}") from None
                if not member.isfile():
                    raise AssetError(f"{asset.spec}: {member_name} in the tarball is not a regular file")
                fh = tar.extractfile(member)
                assert fh is not None  # isfile() guarantees a file object
                contents.append((dest_name, fh.read()))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise AssetError(f"{asset.spec}: cannot read the tarball: {exc}") from exc
    written = []
    for dest_name, content in contents:
        dest = vendor_dir / dest_name
        _write_atomic(dest, content)
        written.append(dest)
    return written


def _download(url: str) -> bytes:
    """GET ``url`` with a timeout and a size cap; network errors become :class:`AssetError`."""
    request = urllib.request.Request(url, headers={"User-Agent": "liveboard-assets"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            data = response.read(MAX_TARBALL_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise AssetError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AssetError(f"cannot download {url}: {reason} (set {REGISTRY_ENV} to use a mirror)") from exc
    if len(data) > MAX_TARBALL_BYTES:
        raise AssetError(f"cannot download {url}: larger than {MAX_TARBALL_BYTES} bytes")
    return data


# --------------------------------------------------------------------------- manifest


def _read_manifest(vendor_dir: Path) -> dict:
    try:
        manifest = json.loads((vendor_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _write_manifest(vendor_dir: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    _write_atomic(vendor_dir / MANIFEST_NAME, text.encode("utf-8"))


def _manifest_entry(asset: NpmAsset, paths: list[Path]) -> dict:
    return {
        "version": asset.version,
        "integrity": asset.integrity,
        "files": {dest: _sha256_file(path) for (_, dest), path in zip(asset.files, paths, strict=True)},
    }


def _is_current(asset: NpmAsset, vendor_dir: Path, manifest: dict) -> bool:
    """True when the manifest says this exact pin is installed and the files are intact.

    Hashing a few small local files is cheap and catches a truncated or hand-edited copy.
    """
    packages = manifest.get("packages")
    entry = packages.get(asset.package) if isinstance(packages, dict) else None
    if not isinstance(entry, dict):
        return False
    if entry.get("version") != asset.version or entry.get("integrity") != asset.integrity:
        return False
    recorded = entry.get("files")
    if not isinstance(recorded, dict) or set(recorded) != {dest for _, dest in asset.files}:
        return False
    for dest_name, digest in recorded.items():
        path = vendor_dir / dest_name
        try:
            if _sha256_file(path) != digest:
                return False
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------- public API


def assets_present() -> bool:
    """Whether every pinned file is in ``static/vendor/`` at the pinned version. No network."""
    manifest = _read_manifest(VENDOR_DIR)
    return all(_is_current(asset, VENDOR_DIR, manifest) for asset in ASSETS)


def fetch_assets(force: bool = False) -> list[Path]:
    """Download, verify and install the pinned files; return the paths of all of them.

    Packages already installed at their pinned version are skipped unless ``force``.
    The manifest is updated after each package, so a failure part-way keeps what
    succeeded. Raises :class:`AssetError` on any network or integrity problem.
    """
    vendor_dir = VENDOR_DIR
    manifest = _read_manifest(vendor_dir)
    packages = manifest.get("packages")
    if not isinstance(packages, dict):
        packages = {}
    manifest = {"packages": packages}
    paths: list[Path] = []
    registry = registry_url()
    for asset in ASSETS:
        if not force and _is_current(asset, vendor_dir, manifest):
            paths.extend(vendor_dir / dest for _, dest in asset.files)
            continue
        written = _install_tarball(asset, _download(asset.tarball_url(registry)), vendor_dir)
        packages[asset.package] = _manifest_entry(asset, written)
        _write_manifest(vendor_dir, manifest)
        paths.extend(written)
    return paths


def ensure_assets() -> None:
    """Fetch the front-end files only if they are missing or outdated (start-up hook)."""
    if not assets_present():
        fetch_assets()
