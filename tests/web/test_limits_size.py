"""Size limits from the contract's "Operations": a request body over 1 MiB gets 413, whatever its Content-Length
says (none, with a chunked body: it is counted as it is read), and a WebSocket message over 4 KiB from a client
closes that socket with 1009. Against the real server, with a raw socket where httpx would not send the request
as a hostile client does; other clients and the server carry on."""

from __future__ import annotations

import re
import select
import socket
import time
from contextlib import ExitStack

import httpx
import pytest
from conftest import LiveServer
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from liveboard.live.endpoint import MAX_MESSAGE, TOO_BIG
from liveboard.models import Pitch
from liveboard.web.security import MAX_BODY

#: The longest any answer or frame is waited for; it only bounds a broken run.
WAIT = 10.0
TOO_LARGE = "The form is too large."


# --- request bodies --------------------------------------------------------------------------------------------


def raw_post(server: LiveServer, path: str, head: dict[str, str], chunks: list[bytes]) -> tuple[int, str]:
    """POST by hand: the headers as given, then the chunks, stopping as soon as the server answers (it need not
    read a body it refuses). The status and the body's text."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Origin: {server.url}", "Cookie: lb_lang=da"]
        lines += [f"{key}: {value}" for key, value in head.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # answered already
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        deadline = time.monotonic() + WAIT
        while b"\r\n\r\n" not in answer or len(answer) < _expected(answer):
            if time.monotonic() > deadline:
                break
            try:
                got = sock.recv(65536)
            except ConnectionResetError:
                break
            if not got:
                break
            answer += got
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def _expected(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    found = re.search(rb"(?i)content-length: *(\d+)", head)
    return len(head) + 4 + int(found.group(1)) if found else 0


def chunked(total: int, size: int = 64 * 1024) -> list[bytes]:
    """A urlencoded body of `total` bytes in HTTP/1.1 chunks, and the end marker."""
    body = b"title=x&story=" + b"s" * (total - len(b"title=x&story="))
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces] + [b"0\r\n\r\n"]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_declared_length_over_a_mebibyte_is_413_before_any_body(server: LiveServer) -> None:
    before = server.dump()
    status, text = raw_post(server, "/e/demo/pitches", {**FORM, "Content-Length": str(MAX_BODY + 1)}, [])
    assert status == 413
    assert "Der er for meget tekst i formularen." in text  # in the person's language (Danish here)
    assert server.dump() == before


@pytest.mark.parametrize("path", ["/e/demo/pitches", "/host/login", "/e/demo/pitches/1/interest", "/healthz"])
def test_a_chunked_body_over_a_mebibyte_is_413(server: LiveServer, path: str) -> None:
    """No Content-Length: counted while read, on a form, on login, and on addresses whose view reads no body."""
    before = server.dump()
    status, _ = raw_post(server, path, {**FORM, "Transfer-Encoding": "chunked"}, chunked(MAX_BODY + 10))
    assert status == 413, status
    assert server.dump() == before


def test_a_chunked_body_under_the_limit_is_read(server: LiveServer) -> None:
    status, _ = raw_post(server, "/e/demo/pitches", {**FORM, "Transfer-Encoding": "chunked"}, chunked(500))
    assert status == 303
    assert server.rows(Pitch, Pitch.title == "x")


def test_a_chunked_form_over_64_kib_is_413_in_the_persons_language(server: LiveServer) -> None:
    """Regression: Starlette's parser refused it with a 400 saying "Field exceeded maximum size of 64KB."."""
    before = server.dump()
    status, text = raw_post(server, "/e/demo/pitches", {**FORM, "Transfer-Encoding": "chunked"}, chunked(100_000))
    assert status == 413
    assert "Der er for meget tekst i formularen." in text and "exceeded" not in text
    assert server.dump() == before


def test_too_many_fields_is_413_in_the_persons_language(server: LiveServer) -> None:
    """Regression: Starlette's parser refused it with a 400 in English ("Too many fields…")."""
    before = server.dump()
    body = "&".join(f"f{i}=x" for i in range(200))
    response = server.client().post("/e/demo/pitches", content=body, headers=FORM)
    assert response.status_code == 413
    assert TOO_LARGE in response.text and "Too many" not in response.text
    assert server.dump() == before


def test_a_broken_multipart_body_is_400_in_the_persons_language(server: LiveServer) -> None:
    before = server.dump()
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    response = server.client().post("/e/demo/pitches", content=b"--x\r\nnonsense", headers=headers)
    assert response.status_code in (400, 422), response.text
    assert "Please try again" in response.text or "Title is required." in response.text
    assert server.dump() == before


def test_a_content_length_that_is_no_number_is_refused(server: LiveServer) -> None:
    status, _ = raw_post(server, "/e/demo/pitches", {**FORM, "Content-Length": "12abc"}, [b"title=x"])
    assert 400 <= status < 500


@pytest.mark.parametrize(
    ("headers", "kind"),
    [({}, "text/html"), ({"HX-Request": "true"}, "text/html"), ({"Accept": "application/json"}, "application/json")],
)
def test_the_413_speaks_as_the_request_expects(server: LiveServer, headers: dict[str, str], kind: str) -> None:
    response = server.client().post("/e/demo/pitches", content=b"title=" + b"x" * MAX_BODY, headers={**FORM, **headers})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(kind)
    assert TOO_LARGE in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


# --- WebSocket messages ----------------------------------------------------------------------------------------


def socket_of(stack: ExitStack, server: LiveServer, view: str = "screen") -> ClientConnection:
    url = server.url.replace("http://", "ws://") + f"/e/demo/ws?view={view}&lang=en&v={server.version()}"
    return stack.enter_context(connect(url, origin=Origin(server.url), open_timeout=WAIT, max_size=None))


def frame_with(ws: ClientConnection, text: str) -> str:
    deadline = time.monotonic() + WAIT
    while (left := deadline - time.monotonic()) > 0:
        frame = ws.recv(timeout=left)
        if text in frame:
            return frame
    pytest.fail(f"no frame with {text!r}")


def announce(host: httpx.Client, text: str) -> None:
    assert host.post("/e/demo/host/announce", data={"text": text}).status_code == 303


@pytest.mark.parametrize("payload", ["x" * (MAX_MESSAGE + 1), b"\0" * (MAX_MESSAGE + 1), "æ" * (MAX_MESSAGE // 2 + 1)])
def test_a_message_over_4_kib_closes_that_socket_with_1009(
    server: LiveServer, host: httpx.Client, payload: str | bytes
) -> None:
    with ExitStack() as stack:
        big, other = socket_of(stack, server), socket_of(stack, server, "phone")
        server.wait_live(2)
        big.send(payload)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                big.recv(timeout=WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == TOO_BIG
        server.wait_live(1)
        announce(host, "Still here")
        assert "Still here" in frame_with(other, "Still here")
    assert server.client().get("/healthz").status_code == 200


def test_a_message_of_exactly_4_kib_is_ignored_and_the_socket_stays(server: LiveServer, host: httpx.Client) -> None:
    with ExitStack() as stack:
        ws = socket_of(stack, server)
        server.wait_live(1)
        ws.send("x" * MAX_MESSAGE)
        ws.send(b"\1" * MAX_MESSAGE)
        announce(host, "Kaffe")
        assert "Kaffe" in frame_with(ws, "Kaffe")
