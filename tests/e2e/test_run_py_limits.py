"""The size limits under `python run.py` itself, as `liveboard serve` configures uvicorn (not the test servers'
configuration): a body over 1 MiB gets 413, a WebSocket message over 4 KiB closes that socket with 1009."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.live.endpoint import MAX_MESSAGE, TOO_BIG
from liveboard.web.security import MAX_BODY
from tests.run_py import RunPy
from tests.servers import free_port

pytestmark = pytest.mark.e2e


def test_run_py_refuses_a_large_body_and_a_large_socket_message(tmp_path: Path) -> None:
    server = RunPy(tmp_path / "liveboard.db", free_port(), password="e2e-secret-limits", demo=True)
    try:
        big = httpx.post(
            f"{server.url}/e/demo/pitches",
            content=b"title=" + b"x" * MAX_BODY,
            headers={"Origin": server.url, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
        assert big.status_code == 413
        url = server.url.replace("http://", "ws://") + "/e/demo/ws?view=screen"
        with connect(url, origin=Origin(server.url), open_timeout=10, max_size=None) as ws:
            ws.recv(timeout=10)  # its first state
            ws.send("x" * (64 * MAX_MESSAGE))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == TOO_BIG
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
