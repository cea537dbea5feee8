"""`GET /metrics` (liveboard/web/views/metrics.py, liveboard/metrics.py) on the real server, after real traffic.

What the contract ("Operations") promises: Prometheus' text format with live clients per view, frames and bytes
sent, clients skipped as stale, request and write latency and the live flush time; answered to loopback clients,
or with `Authorization: Bearer $LIVEBOARD_METRICS_TOKEN` when that is set; 404 otherwise. Behind a proxy every
request comes from loopback, so a request a proxy forwarded is never a local one: tested through the real nginx
with the deployment example, and with the forwarding headers sent straight to the instance.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request

from liveboard.app import create_app
from liveboard.config import Settings
from liveboard.db import Database
from liveboard.live import channel as live_channel
from liveboard.web.views.metrics import has_token, is_local, may_read
from tests.conftest import HOST_PASSWORD, LiveServer, _serve
from tests.live.test_websocket import (
    WAIT,
    Stuck,
    announce,
    join,
    make_stale,
    settle,
    stuck_clients,  # noqa: F401 (a fixture)
    watch,
)
from tests.servers import free_port
from tests.servers_nginx import NginxServer, local_nginx_config, require_nginx

TOKEN = "s3cret-metrics-token-for-the-test"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, **headers: str) -> Samples:
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=WAIT)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for_value(url: str, name: str, expected: float, **labels: str) -> Samples:
    deadline = time.monotonic() + WAIT
    while True:
        samples = scrape(url)
        if value(samples, name, **labels) == expected or time.monotonic() > deadline:
            assert value(samples, name, **labels) == expected, (name, labels, value(samples, name, **labels))
            return samples
        time.sleep(0.02)


# --- what it shows --------------------------------------------------------------------------------------------


def test_connected_live_clients_are_counted_by_view(server: LiveServer) -> None:
    before = scrape(server.url)
    for view in ("phone", "screen", "host", "report"):
        assert value(before, "liveboard_live_clients", scope="event", view=view) == 0
    for view in ("phone", "screen", "host"):
        assert value(before, "liveboard_live_clients", scope="series", view=view) == 0
    with ExitStack() as stack:
        watch(stack, server, "phone")
        watch(stack, server, "phone", lang="da")
        watch(stack, server, "screen")
        settle(server, 3)
        samples = scrape(server.url)
        assert value(samples, "liveboard_live_clients", scope="event", view="phone") == 2
        assert value(samples, "liveboard_live_clients", scope="event", view="screen") == 1
        assert value(samples, "liveboard_live_clients", scope="event", view="host") == 0
        assert value(samples, "liveboard_live_channels", scope="event") == 1
        assert value(samples, "liveboard_live_clients_stale", scope="event", view="phone") == 0
    wait_for_value(server.url, "liveboard_live_clients", 0, scope="event", view="phone")


def test_a_change_adds_its_frames_and_bytes_and_a_flush(server: LiveServer, host: httpx.Client) -> None:
    with ExitStack() as stack:
        phone = watch(stack, server, "phone", server.version())
        screen = watch(stack, server, "screen", server.version())
        settle(server, 2)
        before = scrape(server.url)
        announce(host, "Kaffen er klar")
        frames = [phone.until("Kaffen er klar"), screen.until("Kaffen er klar")]
        after = scrape(server.url)
    for view, frame in zip(("phone", "screen"), frames, strict=True):
        sent = value(after, "liveboard_live_frames_total", scope="event", view=view) - value(
            before, "liveboard_live_frames_total", scope="event", view=view
        )
        size = value(after, "liveboard_live_sent_bytes_total", scope="event", view=view) - value(
            before, "liveboard_live_sent_bytes_total", scope="event", view=view
        )
        assert sent >= 1, view
        # The frame's text plus its WebSocket header, at least: what was written is counted, header and all.
        assert size >= len(frame.encode()) + 2, (view, size)
    flushes = "liveboard_live_flush_seconds_count"
    assert value(after, flushes, scope="event") > value(before, flushes, scope="event")
    assert value(after, "liveboard_live_flush_seconds_sum", scope="event") > 0


def test_requests_are_timed_by_route_template_and_status_class(server: LiveServer, client: httpx.Client) -> None:
    before = scrape(server.url)
    assert client.get("/e/demo?lang=da").status_code == 200
    assert client.get("/e/ingen-her").status_code == 404
    assert client.get("/no/such/place?token=abc").status_code == 404
    after = scrape(server.url)
    count = "liveboard_request_seconds_count"
    page = {"route": "/e/{slug}"}
    assert value(after, count, **page, status="2xx") == value(before, count, **page, status="2xx") + 1
    assert value(after, count, **page, status="4xx") == value(before, count, **page, status="4xx") + 1
    assert (
        value(after, count, route="unmatched", status="4xx")
        == value(before, count, route="unmatched", status="4xx") + 1
    )
    # Bucketed for the join's few milliseconds as much as for a slow page.
    assert value(after, "liveboard_request_seconds_bucket", **page, status="2xx", le="+Inf") >= 1
    # The template, never the path or its query: no slug, no token in any label.
    labels = {label_value for (_name, labels_), _v in after.items() for _key, label_value in labels_}
    assert not {label for label in labels if "demo" in label or "ingen" in label or "abc" in label}


def test_writes_are_timed_waiting_and_committing(server: LiveServer) -> None:
    before = scrape(server.url)
    slot = server.slot(1, "Store sal")
    for _ in range(3):
        join(server.client(), slot.id)
    after = scrape(server.url)
    for name in ("liveboard_write_wait_seconds_count", "liveboard_write_batch_seconds_count"):
        assert value(after, name) > value(before, name), name
    assert value(after, "liveboard_write_wait_seconds_count") - value(before, "liveboard_write_wait_seconds_count") >= 3
    assert value(after, "liveboard_writes_total") >= value(before, "liveboard_writes_total") + 3
    assert value(after, "liveboard_write_batches_total") >= value(before, "liveboard_write_batches_total") + 1


def test_clients_that_do_not_read_are_counted_as_stale(
    server: LiveServer,
    host: httpx.Client,
    stuck_clients: list[Stuck],  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = scrape(server.url)
    with ExitStack() as stack:
        normal = watch(stack, server, "screen", server.version())
        settle(server, 3)
        make_stale(server, host, stuck_clients, normal)
        samples = scrape(server.url)
        for view in ("screen", "host"):
            assert value(samples, "liveboard_live_clients_stale", scope="event", view=view) == 1, view
            skipped = value(samples, "liveboard_live_stale_total", scope="event", view=view)
            assert skipped >= value(before, "liveboard_live_stale_total", scope="event", view=view) + 1, view
        assert value(samples, "liveboard_live_clients_stale", scope="event", view="phone") == 0

        # Stuck too long: dropped, and counted so.
        monkeypatch.setattr(live_channel, "STUCK_SECONDS", 0.0)
        announce(host, "Farvel")
        normal.until("Farvel")
        wait_for_value(server.url, "liveboard_live_clients", 0, scope="event", view="host")
        after = wait_for_value(server.url, "liveboard_live_clients", 1, scope="event", view="screen")  # the normal one
    dropped = "liveboard_live_dropped_total"
    for view in ("screen", "host"):
        assert value(after, "liveboard_live_clients_stale", scope="event", view=view) == 0, view
        assert value(after, dropped, scope="event", view=view) >= value(before, dropped, scope="event", view=view) + 1


def test_the_process_and_the_relay_are_reported(server: LiveServer) -> None:
    samples = scrape(server.url)
    assert value(samples, "liveboard_relaying") == 1
    assert value(samples, "process_resident_memory_bytes") > 0
    assert value(samples, "process_open_fds") > 0


# --- who may read it ------------------------------------------------------------------------------------------


def not_found_body(url: str) -> str:
    return httpx.get(f"{url}/there-is-no-such-page", timeout=WAIT).text


@pytest.mark.parametrize(
    "forwarded",
    [
        {"X-Forwarded-For": "203.0.113.7"},  # uvicorn believes loopback's header: the client is 203.0.113.7
        {"X-Forwarded-For": "127.0.0.1"},  # a proxy's own request, forwarded: still not straight from here
        {"Forwarded": "for=203.0.113.7"},  # uvicorn does not read it: the client stays 127.0.0.1
        {"X-Real-IP": "203.0.113.7"},
        {"Via": "1.1 proxy"},
    ],
    ids=["x-forwarded-for", "x-forwarded-for-loopback", "forwarded", "x-real-ip", "via"],
)
def test_a_forwarded_request_is_not_local_and_gets_the_ordinary_404(server: LiveServer, forwarded: dict) -> None:
    response = httpx.get(f"{server.url}/metrics", headers=forwarded, timeout=WAIT)
    assert response.status_code == 404
    assert response.text == not_found_body(server.url)
    assert "liveboard_" not in response.text


def test_without_a_token_set_a_bearer_opens_nothing(server: LiveServer) -> None:
    response = httpx.get(
        f"{server.url}/metrics",
        headers={"X-Forwarded-For": "203.0.113.7", "Authorization": "Bearer"},
        timeout=WAIT,
    )
    assert response.status_code == 404


@pytest.fixture
def token_server(tmp_path: Path, demo_file: Path, _stopping: list[threading.Thread]) -> Iterator[LiveServer]:
    """The app with LIVEBOARD_METRICS_TOKEN set, as `sqlite_server` runs it otherwise."""
    shutil.copyfile(demo_file, tmp_path / "lb.db")
    url = f"sqlite:///{tmp_path}/lb.db"
    database = Database(url)
    app = create_app(Settings(database_url=url, admin_password=HOST_PASSWORD, metrics_token=TOKEN))
    uv, thread, base = _serve(app)
    live = LiveServer(base, database, app)
    try:
        yield live
    finally:
        live.close()
        uv.should_exit = True
        database.dispose()
        _stopping.append(thread)


AWAY = {"X-Forwarded-For": "203.0.113.7"}


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
        (None, 404),
        (f"Bearer {TOKEN}x", 404),
        (f"Bearer {TOKEN[:-1]}", 404),
        ("Bearer", 404),
        (f"Basic {TOKEN}", 404),
        (TOKEN, 404),
    ],
    ids=["right", "scheme-any-case", "none", "longer", "shorter", "empty", "other-scheme", "no-scheme"],
)
def test_with_a_token_set_a_client_from_elsewhere_needs_it(
    token_server: LiveServer, authorization: str | None, status: int
) -> None:
    headers = {**AWAY, **({"Authorization": authorization} if authorization is not None else {})}
    response = httpx.get(f"{token_server.url}/metrics", headers=headers, timeout=WAIT)
    assert response.status_code == status
    if status == 404:
        assert response.text == not_found_body(token_server.url)
    else:
        assert "liveboard_live_clients" in response.text


def test_with_a_token_set_loopback_still_reads_without_it(token_server: LiveServer) -> None:
    assert "liveboard_live_clients" in httpx.get(f"{token_server.url}/metrics", timeout=WAIT).text


def test_through_nginx_only_the_token_opens_it(token_server: LiveServer, tmp_path: Path) -> None:
    """The deployment example in front of the instance: nginx connects from loopback, yet nobody on the network
    reads the figures without the token."""
    require_nginx()
    http_port, https_port = free_port(), free_port()
    instance = int(token_server.url.rsplit(":", 1)[1])
    config = local_nginx_config(tmp_path / "nginx", http_port, https_port, [instance])
    with (
        NginxServer(config, [http_port, https_port]) as nginx,
        httpx.Client(base_url=f"https://127.0.0.1:{https_port}", verify=False, timeout=WAIT) as https,
    ):
        assert https.get("/healthz").status_code == 200, nginx.log()
        assert https.get("/metrics").status_code == 404
        assert https.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        opened = https.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert opened.status_code == 200
        assert "liveboard_live_clients" in opened.text


# --- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_local_client_is_told_only_get_is_taken(server: LiveServer, method: str) -> None:
    # Same-origin, so the guard's cross-site refusal (403) does not come first; in English.
    response = server.client().request(method, "/metrics")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert "This address does not take that kind of request." in response.text


def test_head_is_a_get_without_a_body(server: LiveServer) -> None:
    response = httpx.head(f"{server.url}/metrics", timeout=WAIT)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_other_methods_from_elsewhere_are_404_too(token_server: LiveServer, method: str) -> None:
    headers = {**AWAY, "Origin": token_server.url}
    response = httpx.request(method, f"{token_server.url}/metrics", headers=headers, timeout=WAIT)
    assert response.status_code == 404


# --- the rule, on requests as the server builds them ----------------------------------------------------------


def request(client: tuple[str, int] | None, headers: dict[str, str] | None = None) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/metrics", "headers": raw, "client": client})


@pytest.mark.parametrize(
    ("client", "local"),
    [
        (("127.0.0.1", 5000), True),
        (("127.8.9.10", 5000), True),
        (("::1", 5000), True),
        (("::ffff:127.0.0.1", 5000), True),
        (("10.0.0.5", 5000), False),
        (("192.168.1.20", 5000), False),
        (("2001:db8::1", 5000), False),
        (("::ffff:10.0.0.5", 5000), False),
        (("localhost", 5000), False),  # not an address: never guessed at
        (None, False),
    ],
)
def test_loopback_means_a_loopback_address(client: tuple[str, int] | None, local: bool) -> None:
    assert is_local(request(client)) is local


@pytest.mark.parametrize(
    "header", ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "Via"]
)
def test_any_forwarding_header_makes_loopback_not_local(header: str) -> None:
    assert not is_local(request(("127.0.0.1", 5000), {header: "x"}))


def test_the_token_is_the_bearer_and_nothing_else() -> None:
    away = ("10.0.0.5", 5000)
    assert has_token(request(away, {"Authorization": f"Bearer {TOKEN}"}), TOKEN)
    assert may_read(request(away, {"Authorization": f"Bearer {TOKEN}"}), TOKEN)
    assert not may_read(request(away, {"Authorization": f"Bearer {TOKEN}"}), None)
    assert not may_read(request(away, {"Authorization": "Bearer "}), "")
    assert not may_read(request(away, {"Authorization": f"Token {TOKEN}"}), TOKEN)
    assert not may_read(request(away), TOKEN)
    assert may_read(request(("127.0.0.1", 5000)), TOKEN)
