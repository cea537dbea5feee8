"""The nginx example of docs/deploy.md, checked and run by the real nginx.

`nginx -t` proves it loads beside Debian's own http-level settings. Running it in front of a tiny upstream that
echoes what it received proves what LiveBoard relies on behind it: the Host, scheme and client address its
Origin checks, QR codes and rate limits use; the WebSocket upgrade; a dead instance skipped; forms capped.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import free_port
from servers_nginx import NginxServer, check_config, local_nginx_config, require_nginx

TIMEOUT = 10


def test_the_example_passes_nginx_t(tmp_path: Path) -> None:
    require_nginx()
    config = local_nginx_config(tmp_path, free_port(), free_port(), [8001, 8002])
    result = check_config(config)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert "test is successful" in result.stderr


# --- nginx in front of an upstream that echoes ------------------------------------------------------------------


class Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON; completes a WebSocket upgrade and echoes bytes."""

    protocol_version = "HTTP/1.1"  # keep-alive, as nginx's upstream keepalive expects
    # Headers and body are two writes: with Nagle on, each answer would wait ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: EchoServer

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.seen[self.path] += 1
        if self.headers.get("upgrade", "").lower() == "websocket":
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            self._echo_bytes()
            return
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": len(body),
                "seen": self.server.seen[self.path],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def _echo_bytes(self) -> None:
        self.close_connection = True
        while data := self.connection.recv(4096):
            self.connection.sendall(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Echo)
        self.seen: Counter[str] = Counter()


class Proxy:
    def __init__(self, nginx: NginxServer, http_port: int, https_port: int, dead_port: int, root: Path) -> None:
        self.nginx = nginx
        self.http = f"http://127.0.0.1:{http_port}"
        self.https = f"https://127.0.0.1:{https_port}"
        self.https_port = https_port
        self.dead_port = dead_port
        self.root = root


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """nginx from the example in front of two "instances": the echo server, and a port where nothing listens."""
    require_nginx()
    tmp = tmp_path_factory.mktemp("nginx")
    echo = EchoServer()
    thread = threading.Thread(target=echo.serve_forever, name="nginx-upstream", daemon=True)
    thread.start()
    http_port, https_port, dead_port = free_port(), free_port(), free_port()
    config = local_nginx_config(tmp, http_port, https_port, [dead_port, echo.server_address[1]])
    try:
        with NginxServer(config, [http_port, https_port]) as nginx:
            yield Proxy(nginx, http_port, https_port, dead_port, tmp)
    finally:
        echo.shutdown()
        echo.server_close()
        thread.join(TIMEOUT)


@pytest.fixture
def https(proxy: Proxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.https, verify=False, timeout=TIMEOUT) as client:
        yield client


def test_https_passes_host_scheme_and_client_address(proxy: Proxy, https: httpx.Client) -> None:
    response = https.get("/e/demo?lang=en", headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.status_code == 200, proxy.nginx.log()
    seen = response.json()
    assert seen["path"] == "/e/demo?lang=en"
    # The app compares Origin, port included, with Host: it must arrive as the browser sent it.
    assert seen["headers"]["host"] == f"127.0.0.1:{proxy.https_port}"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    # uvicorn takes the right-most untrusted address: the one nginx appended, not the one the client made up.
    assert seen["headers"]["x-forwarded-for"] == "6.6.6.6, 127.0.0.1"
    # No Connection header: the upstream connection stays in nginx's keepalive pool.
    assert "connection" not in seen["headers"] and "upgrade" not in seen["headers"]
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_http_redirects_to_https_except_the_acme_challenge(proxy: Proxy) -> None:
    challenge = proxy.root / "www" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True, exist_ok=True)
    (challenge / "token123").write_text("token123.key")
    with httpx.Client(base_url=proxy.http, timeout=TIMEOUT) as client:
        response = client.get("/e/demo/screen?room=3")
        assert response.status_code == 301
        assert response.headers["location"] == f"{proxy.https}/e/demo/screen?room=3"
        answer = client.get("/.well-known/acme-challenge/token123")
        assert answer.status_code == 200 and answer.text == "token123.key"


def test_a_dead_instance_is_skipped(proxy: Proxy, https: httpx.Client) -> None:
    """The first upstream never listens: every request, forms included, is answered by the other one."""
    for i in range(6):
        assert https.get(f"/e/demo?i={i}").status_code == 200
        response = https.post("/e/demo/sessions/1/join", data={"i": str(i)})
        assert response.status_code == 200 and response.json()["method"] == "POST"
    assert f"127.0.0.1:{proxy.dead_port}" in proxy.nginx.log(), "nginx never tried the dead instance"


def test_the_websocket_upgrade_reaches_the_instance_and_the_socket_is_relayed(proxy: Proxy) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", proxy.https_port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as sock,
    ):
        sock.sendall(
            b"GET /e/demo/ws?view=phone&v=3 HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{proxy.https_port}\r\n".encode()
            + b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            + b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        head = _read_until(sock, b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head
        for message in (b"first frame", b"second frame"):
            sock.sendall(message)
            assert _read_exactly(sock, len(message)) == message


def test_a_body_larger_than_a_form_is_refused_by_nginx(https: httpx.Client) -> None:
    assert https.post("/e/demo/pitches", content=b"x" * 60_000).json()["body"] == 60_000
    assert https.post("/e/demo/pitches", content=b"x" * (64 * 1024 + 1)).status_code == 413


def test_static_files_are_cached_by_nginx(https: httpx.Client) -> None:
    first = https.get("/static/css/app.css")
    second = https.get("/static/css/app.css")
    assert first.status_code == second.status_code == 200
    assert first.json()["seen"] == second.json()["seen"] == 1, "the second request reached the instance"


def test_http2_is_offered(proxy: Proxy) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", proxy.https_port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as sock,
    ):
        assert sock.selected_alpn_protocol() == "h2"
        assert sock.version() in ("TLSv1.2", "TLSv1.3")


def _read_until(sock: ssl.SSLSocket, end: bytes) -> bytes:
    data = b""
    while end not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _read_exactly(sock: ssl.SSLSocket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
