"""The deployment example, docs/nginx/liveboard.conf, run by the real nginx in front of test servers.

Tests use the example itself, not a copy written for them, so what the docs tell people to install is what is
tested. It is changed only where a test machine must differ from a production one: loopback ports instead of 80
and 443, a self-signed certificate instead of Let's Encrypt's, and every path nginx writes inside a temporary
directory, so a test never touches /var or /etc even when it runs as root. Each rewrite insists on finding what
it replaces: when the example changes shape, the rewrite fails loudly instead of testing something else.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from liveboard import ROOT

EXAMPLE = ROOT / "docs" / "nginx" / "liveboard.conf"
#: Debian puts nginx in /usr/sbin, which is not on every user's PATH.
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
#: Debian's mime.types, included as Debian's nginx.conf does; without it only the types nginx knows built in.
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    return found or next((place for place in NGINX_PLACES if os.access(place, os.X_OK)), None)


def require_nginx() -> str:
    """The nginx binary; without one, a test fails on CI (scripts/test.sh installs it there) and skips elsewhere."""
    return nginx_binary() or _missing("nginx", "nginx-light")


def require_openssl() -> str:
    return shutil.which("openssl") or _missing("openssl", "openssl")


def _missing(tool: str, package: str) -> str:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} is missing on CI: scripts/test.sh must install Debian's {package} (APT_PACKAGES)")
    pytest.skip(
        f"!!! NGINX TESTS NOT RUN: {tool} is missing. Install Debian's {package} "
        f"(apt-get install {package}, or run scripts/test.sh as root) to run them. !!!"
    )


def self_signed_certificate(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """(certificate, key) for `name` and 127.0.0.1, valid for a day: enough for nginx to load and serve TLS."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    request = [require_openssl(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}"]
    subprocess.run(
        [*request, "-addext", f"subjectAltName=DNS:{name},IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _replace(text: str, pattern: str, replacement: str, *, count: int | None = None, what: str) -> str:
    """re.subn that refuses to do nothing, or to do something other than `count` times."""
    changed, found = re.subn(pattern, replacement, text, flags=re.M)
    if found == 0 or (count is not None and found != count):
        expected = "at least once" if count is None else f"{count} times"
        raise AssertionError(f"{EXAMPLE}: expected {what} {expected}, found it {found} times: update {__name__}")
    return changed


def local_nginx_config(
    tmp_path: Path,
    http_port: int,
    https_port: int,
    upstream_ports: Sequence[int],
    server_name: str = "127.0.0.1",
    certificate: tuple[Path, Path] | None = None,
) -> Path:
    """Write TMP/liveboard.conf (the example, rewritten) and TMP/nginx.conf around it; return nginx.conf.

    Run it with `nginx -p TMP -c TMP/nginx.conf -g 'daemon off;'` (`NginxServer`), or test it with `-t`.
    `certificate` is a (cert, key) pair to reuse; by default a self-signed one is made in TMP/tls.
    """
    if not upstream_ports:
        raise ValueError("nginx needs at least one upstream port")
    tmp_path.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path.resolve()
    cert, key = certificate or self_signed_certificate(tmp / "tls")
    (tmp / "www").mkdir(exist_ok=True)
    text = EXAMPLE.read_text(encoding="utf-8")

    # Loopback only, and no IPv6 listener: a test machine or container may have no ::1.
    text = _replace(text, r"^\s*listen \[::\]:\d+[^;]*;\n", "", count=2, what="the IPv6 listen lines")
    text = _replace(text, r"\blisten 80;", f"listen 127.0.0.1:{http_port};", count=1, what="`listen 80;`")
    text = _replace(
        text, r"\blisten 443 (ssl\b[^;]*);", rf"listen 127.0.0.1:{https_port} \1;", count=1, what="`listen 443 ssl`"
    )
    text = _replace(text, r"\bserver_name [^;]+;", f"server_name {server_name};", count=2, what="server_name")
    # The redirect keeps nginx's $host (the name without port); a test's https is not on 443.
    text = _replace(
        text, r"https://\$host\$request_uri", f"https://$host:{https_port}$request_uri", count=1, what="the redirect"
    )
    text = _replace(
        text, r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", str(cert), count=1, what="the certificate path"
    )
    text = _replace(text, r"/etc/letsencrypt/live/[^/]+/privkey\.pem", str(key), count=1, what="the key path")
    text = _replace(text, r"\broot /var/www/[^;]*;", f"root {tmp / 'www'};", count=1, what="the ACME webroot")
    text = _replace(
        text, r"\bproxy_cache_path /\S+", f"proxy_cache_path {tmp / 'cache'}", count=1, what="proxy_cache_path"
    )
    text = re.sub(r"\b(access_log|error_log) /\S+?(?=[\s;])", rf"\1 {tmp}/\1.log", text)
    # The upstream's server lines become one per port, each with the example's parameters (max_fails, …).
    servers = list(re.finditer(r"^(\s*)server 127\.0\.0\.1:\d+([^;]*);\n", text, flags=re.M))
    if not servers:
        raise AssertionError(f"{EXAMPLE}: no `server 127.0.0.1:PORT` line in the upstream: update {__name__}")
    indent, parameters = servers[0].group(1), servers[0].group(2)
    lines = "".join(f"{indent}server 127.0.0.1:{port}{parameters};\n" for port in upstream_ports)
    text = text[: servers[0].start()] + lines + text[servers[-1].end() :]

    # Anything still pointing into the system would be written to, or read from, the real machine.
    leftover = re.findall(r"(?<![\w.$])/(?:etc|var|run|srv|usr)/\S*", _without_comments(text))
    if leftover:
        raise AssertionError(f"{EXAMPLE}: system paths left after rewriting: {leftover}: update {__name__}")

    site = tmp / "liveboard.conf"
    site.write_text(text, encoding="utf-8")
    main = tmp / "nginx.conf"
    main.write_text(_main_config(tmp, site), encoding="utf-8")
    return main


def _without_comments(text: str) -> str:
    return re.sub(r"#[^\n]*", "", text)


def _main_config(tmp: Path, site: Path) -> str:
    # nginx started as root hands its workers to `user` (default nobody), who could not enter pytest's
    # root-only temporary directory to write the cache and temp files; a test on loopback keeps them root.
    user = "user root;\n" if os.geteuid() == 0 else ""
    mime = f"    include {MIME_TYPES};\n" if MIME_TYPES.is_file() else ""
    temp = "".join(
        f"    {kind}_temp_path {tmp / 'temp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp / "temp").mkdir(exist_ok=True)
    return f"""# Written by tests/servers_nginx.py around {site.name}; run with -g 'daemon off;'.
{user}worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;

events {{
    worker_connections 1024;
}}

http {{
    # As Debian's /etc/nginx/nginx.conf sets them at this level, so that the example setting one of them again
    # at the same level fails here as it would there.
{mime}    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    gzip on;

    access_log {tmp / "access.log"};
{temp}
    include {site};
}}
"""


def check_config(config: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a config written by `local_nginx_config`; its output (nginx writes it to stderr) is returned."""
    prefix = config.parent
    return subprocess.run(
        [require_nginx(), "-t", "-p", f"{prefix}/", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class NginxServer:
    """nginx in the foreground on a config from `local_nginx_config`, ready once every port in `ports` accepts.

    `with NginxServer(config, [http_port, https_port]) as nginx: …` starts and stops it; `log()` is what nginx
    said (its error log and its console), for a failing assertion's message.
    """

    def __init__(self, config: Path, ports: Iterable[int]) -> None:
        self.config = config
        self.prefix = config.parent
        self.ports = list(ports)
        self.process: subprocess.Popen[bytes] | None = None
        self._console = self.prefix / "nginx.console.log"

    def start(self, timeout: float = 10) -> NginxServer:
        with self._console.open("wb") as console:
            # A file, not a pipe: nobody reads a pipe while the tests run, and a full one would block nginx.
            self.process = subprocess.Popen(
                [require_nginx(), "-p", f"{self.prefix}/", "-c", str(self.config), "-g", "daemon off;"],
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        waiting = list(self.ports)
        while waiting:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode} at start:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not accept on {waiting} within {timeout} s:\n{self.log()}")
            if _accepts(waiting[0]):
                waiting.pop(0)
            else:
                time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10) -> None:
        """Fast shutdown (SIGTERM): a graceful one (SIGQUIT) would wait for every WebSocket to end."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def log(self) -> str:
        parts = []
        for path in (self._console, self.prefix / "error.log"):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
