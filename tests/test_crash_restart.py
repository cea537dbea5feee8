"""A crash in the middle of the evening: `python run.py` on a real SQLite file is killed (SIGKILL, no shutdown)
while two dozen phones join, pitch, write notes and propose series items at once, and started again on the same
file.

What the contract promises ("Operations"): every action a 2xx or 303 acknowledged is in the database after the
crash and restart. A reply is sent only after its write's commit (`writer.py`), and SQLite in WAL mode with
`synchronous=NORMAL` has the commit in the WAL file, in the operating system's hands, before COMMIT returns: a
process that dies loses nothing it committed (db.py says what a power cut may lose). Nothing is half-written
either: the rules hold and every version has its write. And a wall screen that was connected heals by itself:
it reconnects to the new process with the version it shows and ends on the exact counts, without a reload.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from pathlib import Path

import consistency
import httpx
import pytest
from servers import free_port
from storm import WAIT, Screen, Storm, counts_in

from tests.conftest import HOST_PASSWORD
from tests.run_py import RunPy

pytestmark = pytest.mark.e2e

PHONES = 24
#: Acknowledged actions before the kill: well into the storm, every phone past its pitch, note and item.
BEFORE_KILL = 250


def test_every_acknowledged_action_survives_a_sigkill_and_the_screen_heals(tmp_path: Path, demo_file: Path) -> None:
    path = tmp_path / "liveboard.db"
    shutil.copyfile(demo_file, path)
    before = consistency.check(path)
    port = free_port()
    server = RunPy(path, port, password=HOST_PASSWORD)
    screen = Screen(server.url)
    try:
        screen.load()
        screen.connect()
        storm = Storm(server.url, path, PHONES)
        process, killed = server.process, threading.Event()

        def kill(acknowledged: int) -> None:
            # SIGKILL, no shutdown, no goodbye to anyone: the moment a reply arrives, on the thread that got it. Had
            # the server replied before its commit, that commit would most likely still be under way.
            if acknowledged == BEFORE_KILL:
                process.kill()
                killed.set()

        storm.on_acknowledged = kill
        storm.start()
        storm.wait_for(BEFORE_KILL)
        assert killed.wait(WAIT)
        process.wait(WAIT)
        storm.finish()
        assert screen.wait_closed() == 1006, "the socket broke, as the process died"
        seen = screen.version

        # The file as the dead process left it: nothing acknowledged lost, nothing half-written.
        cut_off = [a for a in storm.actions() if a.status is None]
        assert cut_off, "the kill came while requests were under way"
        after = consistency.check(path, before)
        assert_acknowledged_are_there(storm, path)
        assert seen is not None and seen <= after.event_version, "a screen never shows what is not committed"

        server = RunPy(path, port, password=HOST_PASSWORD)
        # The screen's page reconnects by itself (app.js, hx-ws) with the version it shows.
        screen.connect()
        version, counts = counts_in(path)
        screen.wait(lambda s: s.version == version, f"caught up to v{version}")
        assert screen.counts == counts
        assert consistency.check(path, before) == after

        # The new process goes on where the old one stopped.
        phone = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=WAIT)
        with phone:
            emptiest = min(counts, key=lambda session: (counts[session], session))  # never full: rooms hold 14+
            joined = phone.post(f"/e/demo/sessions/{emptiest}/join")
            assert joined.status_code == 303, joined.text
            assert int(joined.headers["x-liveboard-version"]) == version + 1
        expected = {**counts, emptiest: counts[emptiest] + 1}
        screen.wait(lambda s: s.version == version + 1, "the next join")
        assert screen.counts == expected
    finally:
        screen.close()
        server.stop()


def assert_acknowledged_are_there(storm: Storm, path: Path) -> None:
    db = consistency.connect(path)
    try:
        titles = {row[0] for row in db.execute("SELECT title FROM pitch")}
        notes = {row[0] for row in db.execute("SELECT text FROM note")}
        items = {row[0] for row in db.execute("SELECT title FROM item")}
        joins = {}
        for phone in storm.phones:
            joins[phone.number] = [
                row[0]
                for row in db.execute(
                    "SELECT a.session_id FROM attendance a JOIN participant p ON p.id = a.participant_id"
                    " WHERE p.token = ? AND a.action = 'join' ORDER BY a.id",
                    (phone.token,),
                )
            ]
    finally:
        db.close()
    kinds = Counter(a.kind for a in storm.actions() if a.ok)
    assert kinds["join"] and kinds["pitch"] and kinds["note"] and kinds["item"], kinds
    for kind, kept in (("pitch", titles), ("note", notes), ("item", items)):
        for action in storm.actions(kind):
            if action.ok:
                assert action.key in kept, f"acknowledged, then lost: {action}"
            elif action.status is not None:
                assert action.key not in kept, f"refused, yet written: {action}"
    for phone in storm.phones:
        acknowledged = [int(a.key) for a in phone.actions if a.kind == "join" and a.ok]
        last = phone.actions[-1]
        # Every acknowledged join, in order; and only the one the kill cut off may be there too, or not.
        maybe = [int(last.key)] if last.kind == "join" and last.status is None else []
        assert joins[phone.number] in (acknowledged, acknowledged + maybe), (phone.number, phone.actions)
    versions = [a.version for a in storm.actions() if a.ok and a.kind != "item"]
    assert None not in versions
    assert len(set(versions)) == len(versions), "two acknowledged writes with one version"
