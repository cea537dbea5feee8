"""Real PostgreSQL and Redis servers for the tests, started from the distribution's binaries as subprocesses.

Nothing here is a stand-in: the tests that need PostgreSQL or Redis talk to the same server programs production
runs, on 127.0.0.1 and a free port, with their data in a throwaway directory. A server is made once per test
session (initdb takes a second or two); tests get databases of their own inside it.

A missing binary fails the test run on CI, where these servers must run, and elsewhere skips loudly: see
`unavailable`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

#: How long a server may take to start or stop before the test run gives up on it, in seconds.
TIMEOUT = 30.0

#: Connections the tests may open at once: every `Database` has a pool of up to 30, a web test has two of them,
#: and the concurrency tests run 16 threads or more besides.
MAX_CONNECTIONS = 300


class Unavailable(Exception):
    """A server program is not installed; the message says what to install."""


def unavailable(config: pytest.Config, error: Unavailable) -> NoReturn:
    """Fail on CI, where a missing server means scripts/test.sh did not install it; elsewhere skip, but loudly.

    A skip alone is one letter among hundreds of dots: the message also goes straight to the terminal, and again
    into the summary at the end of the run (see `pytest_terminal_summary` in conftest.py).
    """
    if os.environ.get("CI") == "true":
        pytest.fail(f"{error} These servers must run on CI: scripts/test.sh installs them (APT_PACKAGES).")
    message = f"!!! TESTS NOT RUN: {error} Install it (or run scripts/test.sh as root) to run them. !!!"
    MISSING.append(message)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        # Output during a fixture's setup is captured (and dropped with a skip) unless capturing pauses.
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line("")
            reporter.write_line(message, yellow=True, bold=True)
    pytest.skip(message)


#: The loud skips of this test run, repeated in the summary at its end.
MISSING: list[str] = []

#: Debian's Chromium (never a downloaded browser), for the browser tests and bench/browser.py.
CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: Sequence[str], *, what: str, timeout: float = TIMEOUT) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}): {' '.join(args)}\n{result.stdout}{result.stderr}")
    return result.stdout


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- PostgreSQL -------------------------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    """Where initdb, pg_ctl and postgres are: Debian keeps them per major version under /usr/lib/postgresql,
    out of PATH; elsewhere `pg_config --bindir` or PATH knows."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            candidates.append(Path(_run([pg_config, "--bindir"], what="pg_config", timeout=10).strip()))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for candidate in candidates:
        if all((candidate / name).is_file() for name in ("initdb", "pg_ctl", "postgres", "pg_isready")):
            return candidate
    raise Unavailable("PostgreSQL's server programs (initdb, pg_ctl, postgres) are missing: apt-get install postgresql")


class PostgresServer:
    """A PostgreSQL cluster of its own: initdb once, then start, stop, restart or kill it like an operator would.

    PostgreSQL refuses to run as root. As root, the programs run as the `postgres` system user, and the data lives
    in a directory of its own under the system's temporary directory: pytest's are private to root (mode 0700,
    tightened again by every pytest run that starts), so the `postgres` user could not reach them.
    """

    user = "liveboard"

    def __init__(self, base: Path, *, bindir: Path | None = None, port: int | None = None) -> None:
        if importlib.util.find_spec("psycopg") is None:
            raise Unavailable("psycopg, LiveBoard's PostgreSQL driver, is missing: pip install -e '.[postgres]'.")
        self.bindir = bindir or postgres_bindir()
        self.port = port or free_port()
        self.password = secrets.token_urlsafe(16)
        self._as: list[str] = []
        self._own_root: Path | None = None
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise Unavailable("runuser (util-linux) is missing: it runs PostgreSQL as `postgres` under root.")
            try:
                import pwd

                account = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("there is no `postgres` system user: apt-get install postgresql.") from None
            self._as = ["runuser", "-u", "postgres", "--"]
            self._own_root = Path(tempfile.mkdtemp(prefix="liveboard-pg-"))
            os.chown(self._own_root, account.pw_uid, account.pw_gid)
            base = self._own_root
        self.root = base
        self.data = base / "data"
        self.log = base / "postgres.log"
        self._initdb()

    def _program(self, name: str, *args: str) -> list[str]:
        return [*self._as, str(self.bindir / name), *args]

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as:
            shutil.chown(pwfile, "postgres", "postgres")
        pwfile.chmod(0o600)
        _run(
            self._program(
                "initdb",
                "--pgdata",
                str(self.data),
                "--username",
                self.user,
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ),
            what="initdb",
            timeout=120,
        )
        pwfile.unlink()
        # Throwaway data: durability only costs time. Loopback only, no Unix socket (its default directory may not
        # exist or be writable here).
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "max_connections": str(MAX_CONNECTIONS),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/servers.py\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    # life cycle

    def start(self, timeout: float = TIMEOUT) -> None:
        try:
            _run(
                self._program(
                    "pg_ctl", "start", "--pgdata", str(self.data), "--log", str(self.log), "--wait", "--timeout", "30"
                ),
                what="pg_ctl start",
                timeout=timeout + 5,
            )
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(f"{error}\n--- {self.log} ---\n{_tail(self.log)}") from None
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = TIMEOUT) -> None:
        """Wait until PostgreSQL accepts connections on its TCP port (pg_isready), at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        isready = [str(self.bindir / "pg_isready"), "--host", "127.0.0.1", "--port", str(self.port), "--timeout", "1"]
        while True:
            if subprocess.run(isready, capture_output=True, check=False, timeout=10).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on port {self.port} not ready in {timeout} s\n{_tail(self.log)}")
            time.sleep(0.05)

    def stop(self, timeout: float = TIMEOUT) -> None:
        """A fast shutdown: open transactions are rolled back and clients disconnected, as on a server restart."""
        if self.pid() is None:
            return
        _run(
            self._program("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "fast", "--wait", "--timeout", "30"),
            what="pg_ctl stop",
            timeout=timeout + 5,
        )

    def restart(self, timeout: float = TIMEOUT) -> None:
        """Stop (fast) and start again on the same port: clients see their connections drop, then can reconnect."""
        self.stop(timeout)
        self.start(timeout)

    def kill(self) -> None:
        """A crash: SIGKILL to the postmaster, no shutdown. `start()` recovers from the WAL.

        Each backend makes itself a process group leader (`setsid()` in InitPostmasterChild), so the signal reaches
        the postmaster's own group only; the backends see the postmaster die through its death pipe and exit."""
        pid = self.pid()
        if pid is None:
            return
        # pg_ctl starts the postmaster in a session of its own.
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + TIMEOUT
        while _group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        # The dead postmaster is init's child now. Until init reaps it, its pid still exists, and a new postmaster
        # would take the old lock file for a live server's.
        deadline = time.monotonic() + 5
        while _exists(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _exists(pid):
            (self.data / "postmaster.pid").unlink(missing_ok=True)

    def pid(self) -> int | None:
        """The running postmaster's process id, or None when it is not running."""
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
        except (FileNotFoundError, PermissionError):
            return None
        pid = int(first) if first.strip().isdigit() else None
        return pid if pid is not None and _alive(pid) else None

    def close(self) -> None:
        """Stop the server and throw its data away."""
        try:
            if self.pid() is not None:
                self.stop()
        finally:
            if self._own_root is not None:
                shutil.rmtree(self._own_root, ignore_errors=True)

    # databases

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE and DROP DATABASE must), on the `postgres` database."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        ) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database; copied from `template` when given (a file copy: much faster than migrating and loading).

        Nobody may be connected to the template while it is copied."""
        _check_name(name)
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            _check_name(template)
            sql += f' TEMPLATE "{template}" STRATEGY FILE_COPY'
        self.admin(sql)
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still connected to it."""
        _check_name(name)
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")


def _alive(pid: int) -> bool:
    if not _exists(pid):
        return False
    # A zombie child of ours counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for their parent do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def database_name(prefix: str = "t") -> str:
    """A fresh database name, unique within the cluster."""
    return f"{prefix}_{secrets.token_hex(6)}"


# --- Redis ------------------------------------------------------------------------------------------------------


def redis_binary() -> Path:
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if found is None:
        raise Unavailable("redis-server is missing: apt-get install redis-server.")
    return Path(found)


class RedisServer:
    """redis-server on 127.0.0.1 without persistence. `stop()` then `start()` brings it back on the same port, empty,
    as after a crash of a cache-only Redis, so clients that reconnect find it where it was."""

    def __init__(self, base: Path, *, binary: Path | None = None, port: int | None = None) -> None:
        self.binary = binary or redis_binary()
        self.port = port or free_port()
        self.dir = base
        self.log = base / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = TIMEOUT) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        args = [
            str(self.binary),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.dir),
            "--daemonize",
            "no",
            "--logfile",
            "",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = TIMEOUT) -> None:
        """Wait until the server answers PING with PONG, at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}\n{_tail(self.log)}")
            if self.ping():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} not ready in {timeout} s\n{_tail(self.log)}")
            time.sleep(0.02)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, timeout: float = TIMEOUT) -> None:
        """Shut down (SIGTERM); clients see their connections close."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None

    def kill(self) -> None:
        """A crash: SIGKILL, no shutdown."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(TIMEOUT)
        self.process = None
