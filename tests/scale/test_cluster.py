"""Two LiveBoard instances as separate processes, sharing a real PostgreSQL and a real Redis, with nginx in front
(the example config from docs/nginx, rewritten to loopback ports): the shape docs/deploy.md describes.

What must hold: 200 participants checking in through both instances leave exact counts on every screen of
both; Redis going away stops nothing but the relay, which screens announce and recover from without a
reload; a killed instance's screens reconnect through nginx to the other and catch up; a PostgreSQL restart
fails the requests it catches with a clear message, and the instances recover by themselves.

Waits are bounded and generous; how fast screens converge is printed here and measured in bench/fanout.py.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select
from websockets.asyncio.client import connect as connect_async
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard import ROOT
from liveboard.db import Database
from liveboard.models import Event, Presence, Room, Round
from liveboard.models import Session as Slot
from tests.conftest import HOST_PASSWORD
from tests.servers import PostgresServer, RedisServer, database_name, free_port
from tests.servers_nginx import NginxServer, local_nginx_config

pytestmark = pytest.mark.scale

#: The bound on every wait: far above what it takes, so only a broken cluster fails it.
WAIT = 15.0
PARTICIPANTS = 200
UNAVAILABLE = "The database cannot be reached just now."
#: nginx's certificate is self-signed; the test trusts it the way a browser told to go ahead would.
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE


class Instance:
    """`python -m liveboard serve` in a process of its own, as systemd would run instance N."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.env = env
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Instance:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "liveboard", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self.healthy, f"{self.name} answers /healthz with the relay up", self.output)
        return self

    def healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).json().get("relaying") is True
        except (httpx.HTTPError, ValueError):
            return False

    def health(self) -> tuple[int, dict[str, object]]:
        response = httpx.get(f"{self.url}/healthz", timeout=WAIT)
        return response.status_code, response.json()

    def kill(self) -> None:
        """A crash: SIGKILL, no shutdown, no goodbye to its sockets."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(WAIT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def wait_until(check: Callable[[], bool], what: str, details: Callable[[], str] = str, seconds: float = WAIT) -> float:
    """Seconds it took for `check()` to hold; fails after `seconds`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            pytest.fail(f"not within {seconds} s: {what}\n{details()}")
        time.sleep(0.02)
    return time.monotonic() - start


class Screen:
    """A wall screen's live connection, kept up as htmx keeps it: when it drops, it connects again with the
    version it shows (through the same address, so through nginx when it came through nginx) and applies
    what arrives: the headcounts, the version, and the relay banner."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.version: int | None = None
        self.counts: dict[int, int] = {}
        self.relay_shown = False
        self.connections = 0
        #: Why the connection last ended or failed to open, for the failure message.
        self.last_error = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"screen {base}", daemon=True)
        self._thread.start()

    def _url(self) -> str:
        version = "" if self.version is None else str(self.version)
        return self.base.replace("http", "ws", 1) + f"/e/demo/ws?view=screen&lang=en&v={version}"

    def _run(self) -> None:
        asyncio.run(self._keep_connected())

    async def _keep_connected(self) -> None:
        """The asyncio client, not the threaded one: that one reads a TLS socket in one thread while writing
        it from another, which OpenSSL does not allow. Under TLS 1.3 its upgrade request could vanish, and the
        screen then waited for ever for an answer (seen in CI behind nginx, 1 connection in 40)."""
        secure = INSECURE if self.base.startswith("https") else None
        while not self._stop.is_set():
            try:
                # Pings find a connection that died without a word; without them it would wait for TCP.
                async with connect_async(
                    self._url(),
                    origin=Origin(self.base),
                    open_timeout=5,
                    close_timeout=1,
                    ping_interval=1,
                    ping_timeout=5,
                    ssl=secure,
                ) as ws:
                    with self._lock:
                        self.connections += 1
                    while not self._stop.is_set():
                        try:
                            frame = await asyncio.wait_for(ws.recv(), 0.2)
                        except TimeoutError:
                            continue
                        self._apply(str(frame))
            except (WebSocketException, OSError) as error:
                self.last_error = f"{time.monotonic():.1f}: {error!r}"
            await asyncio.sleep(0.2)

    def _apply(self, frame: str) -> None:
        with self._lock:
            version = re.search(r'id="lb-v"[^>]*data-v="(\d+)"', frame)
            if version:
                self.version = int(version.group(1))
            for session_id, count in re.findall(r'id="count-(\d+)"[^>]*>(\d+)<', frame):
                self.counts[int(session_id)] = int(count)
            relay = re.search(r'<p id="live-relay"[^>]*>', frame)
            if relay:
                self.relay_shown = " hidden" not in relay.group(0)

    def state(self) -> tuple[int | None, dict[int, int], bool]:
        with self._lock:
            return self.version, dict(self.counts), self.relay_shown

    def close(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)


@dataclass
class Cluster:
    a: Instance
    b: Instance
    proxy: str
    database: Database
    postgres: PostgresServer
    redis: RedisServer

    def participant(self, base: str) -> httpx.Client:
        """A phone of its own (its own participant cookie), in English so messages are predictable."""
        client = httpx.Client(base_url=base, headers={"Origin": base}, timeout=WAIT, verify=INSECURE)
        client.cookies.set("lb_lang", "en", domain="127.0.0.1")
        return client

    def truth(self) -> tuple[int, dict[int, int]]:
        """The event's version and every session's headcount, as PostgreSQL has them."""
        with self.database.read() as db:
            event = db.exec(select(Event).where(Event.slug == "demo")).one()
            sessions = db.exec(select(Slot.id).where(Slot.event_id == event.id)).all()
            counts = dict.fromkeys(sessions, 0)
            rows = db.exec(select(Presence.session_id, func.count()).group_by(Presence.session_id)).all()
            counts.update({session_id: n for session_id, n in rows})
            return event.version, counts

    def round_sessions(self, label: str = "Runde 1") -> list[tuple[int, int]]:
        """(session id, room capacity) of every session in a round."""
        with self.database.read() as db:
            rows = db.exec(
                select(Slot.id, Room.capacity)
                .join(Room, Room.id == Slot.room_id)
                .join(Round, Round.id == Slot.round_id)
                .where(Round.label == label)
            ).all()
            return [(session_id, capacity) for session_id, capacity in rows]

    def converge(self, screens: list[Screen], what: str) -> float:
        """Seconds until every screen shows the database's exact counts. (Not necessarily its version: a change
        that shows nothing new on a screen, such as checking in again where one already is, sends it nothing.)"""

        def agreed() -> bool:
            counts = self.truth()[1]
            return all(s.state()[1] == counts for s in screens)

        def details() -> str:
            version, counts = self.truth()
            lines = [f"database: v{version} {counts}"]
            lines.append(f"now: {time.monotonic():.1f}")
            lines += [
                f"{s.base}: v{s.state()[0]} {s.state()[1]} (connections: {s.connections}, last error: {s.last_error})"
                for s in screens
            ]
            return "\n".join(lines)

        return wait_until(agreed, what, details)


@pytest.fixture(scope="module")
def cluster(
    postgres: PostgresServer, redis_server: RedisServer, pg_demo: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    name = postgres.create_database(database_name("cluster"), template=pg_demo)
    env = {
        **os.environ,
        "LIVEBOARD_DATABASE_URL": postgres.url(name),
        "LIVEBOARD_BROADCAST_URL": redis_server.url,
        "LIVEBOARD_ADMIN_PASSWORD": HOST_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("LIVEBOARD_SECRET_KEY", None)
    a = Instance("instance A", env, tmp / "a.log").start()
    b = Instance("instance B", env, tmp / "b.log").start()
    http_port, https_port = free_port(), free_port()
    config = local_nginx_config(tmp / "nginx", http_port, https_port, [a.port, b.port])
    nginx = NginxServer(config, [http_port, https_port]).start()
    database = Database(postgres.url(name))
    try:
        yield Cluster(a, b, f"https://127.0.0.1:{https_port}", database, postgres, redis_server)
    finally:
        nginx.stop()
        for instance in (a, b):
            instance.stop()
        database.dispose()
        redis_server.start()
        if postgres.pid() is None:
            postgres.start()
        postgres.drop_database(name)


@pytest.fixture
def screens(cluster: Cluster) -> Iterator[Callable[[str], Screen]]:
    opened: list[Screen] = []

    def open_screen(base: str) -> Screen:
        screen = Screen(base)
        opened.append(screen)
        return screen

    yield open_screen
    for screen in opened:
        screen.close()


def join(client: httpx.Client, session_id: int) -> httpx.Response:
    return client.post(f"/e/demo/sessions/{session_id}/join")


def test_two_hundred_participants_through_both_instances_leave_exact_counts_on_every_screen(
    cluster: Cluster, screens: Callable[[str], Screen]
) -> None:
    watching = [screens(cluster.a.url), screens(cluster.a.url), screens(cluster.b.url), screens(cluster.b.url)]
    cluster.converge(watching, "every screen has its first state")
    sessions = cluster.round_sessions()
    rng = random.Random(4)

    def participant(number: int) -> list[int]:
        """One phone: checks in somewhere in round 1, and every third one changes their mind."""
        with cluster.participant((cluster.a, cluster.b)[number % 2].url) as phone:
            statuses = []
            for _ in range(2 if number % 3 == 0 else 1):
                session_id = rng.choices([s for s, _ in sessions], weights=[c for _, c in sessions])[0]
                statuses.append(join(phone, session_id).status_code)
            return statuses

    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = [status for statuses in pool.map(participant, range(PARTICIPANTS)) for status in statuses]
    # 303: checked in; 409: the room was full, said so, and nothing changed. Nothing else.
    assert set(outcomes) <= {303, 409}, outcomes
    assert outcomes.count(303) >= PARTICIPANTS

    took = cluster.converge(watching, "every screen on both instances shows the exact counts")
    print(f"\n{PARTICIPANTS} participants, {len(outcomes)} check-ins: screens agreed {took:.3f} s after the last")
    counts = cluster.truth()[1]
    capacity = dict(sessions)
    assert all(counts[s] <= capacity[s] for s in capacity)
    with cluster.database.read() as db:
        checked_in = db.exec(select(func.count(func.distinct(Presence.participant_id)))).one()
    assert checked_in >= PARTICIPANTS  # every phone is in exactly one session of round 1 (plus the demo's own)


def test_without_redis_both_instances_serve_and_screens_say_so_then_catch_up(
    cluster: Cluster, screens: Callable[[str], Screen]
) -> None:
    watching = [screens(cluster.a.url), screens(cluster.b.url)]
    cluster.converge(watching, "every screen has its first state")
    sessions = [s for s, _ in cluster.round_sessions("Runde 2")]

    cluster.redis.stop()
    wait_until(lambda: all(s.state()[2] for s in watching), "every screen shows that live updates are interrupted")
    for instance in (cluster.a, cluster.b):
        status, health = instance.health()
        assert (status, health["status"], health["relaying"]) == (200, "ok", False)
    # Pages and forms go on working on both instances.
    for index, instance in enumerate((cluster.a, cluster.b, cluster.a, cluster.b)):
        with cluster.participant(instance.url) as phone:
            assert phone.get("/e/demo").status_code == 200
            assert join(phone, sessions[index % len(sessions)]).status_code == 303

    cluster.redis.start()
    wait_until(lambda: not any(s.state()[2] for s in watching), "the banner goes when Redis is back")
    took = cluster.converge(watching, "screens show what both instances committed while Redis was away")
    print(f"\nafter Redis came back, screens agreed in {took:.3f} s, without a reload")
    assert all(s.connections == 1 for s in watching), "no screen had to reconnect"


def test_postgresql_restart_fails_requests_clearly_and_the_instances_recover_by_themselves(
    cluster: Cluster, screens: Callable[[str], Screen]
) -> None:
    watching = [screens(cluster.a.url), screens(cluster.b.url)]
    cluster.converge(watching, "every screen has its first state")
    sessions = [s for s, _ in cluster.round_sessions("Runde 3")]
    outcomes: list[tuple[int, str]] = []
    stop = threading.Event()

    def keep_joining(instance: Instance) -> None:
        """Phones that go on checking in while the database restarts under them."""
        number = 0
        while not stop.is_set():
            with cluster.participant(instance.url) as phone:
                response = join(phone, sessions[number % len(sessions)])
                outcomes.append((response.status_code, response.text))
            number += 1

    workers = [threading.Thread(target=keep_joining, args=(i,)) for i in (cluster.a, cluster.b, cluster.a)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        cluster.postgres.stop()
        # While it is down: a clear message, not a hang and not a 500.
        with cluster.participant(cluster.b.url) as phone:
            refused = join(phone, sessions[0])
            assert refused.status_code == 503 and UNAVAILABLE in refused.text, refused.text[:500]
            assert refused.headers["Retry-After"]
            page = phone.get("/e/demo")
            assert page.status_code == 503 and UNAVAILABLE in page.text
        status, health = cluster.a.health()
        assert (status, health["database"]) == (503, False)
        # A page (re)connecting its live socket now is told to try again later, and does.
        url = cluster.a.url.replace("http", "ws", 1) + "/e/demo/ws?view=screen&lang=en&v="
        with connect(url, origin=Origin(cluster.a.url), open_timeout=WAIT) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        cluster.postgres.start()
        time.sleep(0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(WAIT)

    statuses = {status for status, _ in outcomes}
    assert statuses <= {303, 409, 503}, sorted(statuses)
    assert all(UNAVAILABLE in text for status, text in outcomes if status == 503)
    print(f"\nduring the PostgreSQL restart: {sorted((s, [o for o, _ in outcomes].count(s)) for s in statuses)}")
    # No restart of LiveBoard: both instances answer and write again, and screens catch up.
    counts, room_left = cluster.truth()[1], cluster.round_sessions("Runde 1")
    roomiest = max(room_left, key=lambda pair: pair[1] - counts[pair[0]])[0]
    for instance in (cluster.a, cluster.b):
        assert instance.health()[0] == 200
        with cluster.participant(instance.url) as phone:
            assert join(phone, roomiest).status_code == 303
    cluster.converge(watching, "screens catch up after the database restart")


def test_a_killed_instance_s_screens_reconnect_through_nginx_and_nothing_committed_is_lost(
    cluster: Cluster, screens: Callable[[str], Screen]
) -> None:
    watching = [screens(cluster.proxy) for _ in range(6)]
    cluster.converge(watching, "every screen behind nginx has its first state")
    sessions = [s for s, _ in cluster.round_sessions("Runde 2")]
    before = cluster.truth()[1]

    cluster.a.kill()
    accepted = 0
    for number in range(30):
        with cluster.participant(cluster.proxy) as phone:
            response = join(phone, sessions[number % len(sessions)])
            # nginx passes a request on to the living instance when the dead one refuses the connection.
            assert response.status_code in (303, 409), (response.status_code, response.text[:300])
            accepted += response.status_code == 303
    took = cluster.converge(watching, "screens reconnected through nginx and caught up")
    print(f"\nafter instance A was killed, screens behind nginx agreed again {took:.3f} s after the last change")
    assert sum(s.connections for s in watching) > len(watching), "some screens were on A and came back"
    after = cluster.truth()[1]
    assert sum(after.values()) - sum(before.values()) == accepted
    cluster.a.start()
