"""A dialogue series live: `/s/{series}/ws` and its wall screen `/s/{series}/screen`, against the real server.

What the contract promises for series as for events: every change reaches every connected client of the series
within a second, text HTML-escaped; a reconnecting client is brought to the current state; a foreign Origin is
refused. And the topics stay apart: an event's clients get no series frames, a series' clients no event frames.

The series is made through the domain on the running app's own `Database`, so its commits reach the app's hub as
a request's would (the demo's series are not relied on).
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from markupsafe import escape
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from liveboard.db import Database
from liveboard.domain import items
from liveboard.domain import series as series_domain
from liveboard.models import Item, Meeting, Series
from tests.browser.harness import Pages, assert_not_reloaded, expect, live, mark_not_reloaded
from tests.conftest import LiveServer
from tests.live.test_websocket import WAIT, Watch
from tests.servers import RedisServer

# The browser fixtures, for the one browser test here.
from tests.browser.conftest import chromium, pages  # noqa: F401  isort: skip

SLUG = "livetest"
TITLE = '<b>Kø & "ventetid"</b>'
STORY = "Jeg ventede <i>tre</i> timer & gik hjem."


@dataclass
class Fixture:
    series_id: int
    meeting_id: int
    item_id: int


def create_series(database: Database, slug: str = SLUG) -> Fixture:
    """A series with a meeting to come and one item on its agenda, made through the domain."""
    with database.write() as db:
        found = Series(slug=slug, title=f"Dialog {slug}", language="da")
        db.add(found)
        db.flush()
        meeting = series_domain.schedule(db, found, {"starts": "2030-03-04T17:00:00+01:00", "place": "Borgernes Hus"})
        member = series_domain.member_for(db, found, series_domain.new_token())
        item = items.propose(db, found, member, {"title": "Lange svartider", "story": "Ingen svar i en måned."})
        return Fixture(found.id, meeting.id, item.id)  # type: ignore[arg-type]


def write(server: LiveServer, work: Any) -> int:
    """`work(db, series)` in one transaction on the app's own database (so the hub hears of it); the new version."""
    with server.app.state.db.write() as db:
        found = db.get(Series, server.fixture.series_id)
        work(db, found)
        db.flush()
        return found.version


def ws_url(server: LiveServer, view: str = "screen", v: int | None = None, slug: str = SLUG, lang: str = "en") -> str:
    version = "" if v is None else str(v)
    return server.url.replace("http://", "ws://") + f"/s/{slug}/ws?view={view}&lang={lang}&v={version}"


def watch(stack: ExitStack, server: LiveServer, view: str = "screen", v: int | None = None, **kw: Any) -> Watch:
    ws = stack.enter_context(connect(ws_url(server, view, v), origin=Origin(server.url), open_timeout=WAIT, **kw))
    return Watch(ws, f"series {view}/v={v} on {server.url}")


def support_in(frame: str, item_id: int) -> int | None:
    found = re.search(rf'id="item-support-{item_id}"[^>]*>(\d+)<', frame)
    return int(found.group(1)) if found else None


def a_member(db: Any, found: Series) -> Any:
    return series_domain.member_for(db, found, series_domain.new_token())


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    sqlite_server.fixture = create_series(sqlite_server.app.state.db)  # type: ignore[attr-defined]
    return sqlite_server


def version(server: LiveServer) -> int:
    return server.get(Series, server.fixture.series_id).version  # type: ignore[attr-defined]


# --- the wall screen page --------------------------------------------------------------------------------------


def test_the_wall_screen_shows_the_meeting_agenda_qr_and_connects_to_the_series_socket(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    write(server, lambda db, s: items.discuss(db, s, f.meeting_id, f.item_id))
    response = httpx.get(f"{server.url}/s/{SLUG}/screen", cookies={"lb_lang": "en"}, timeout=WAIT)
    assert response.status_code == 200
    page = response.text
    assert f"Dialog {SLUG}" in page and "Borgernes Hus" in page
    assert 'id="series-agenda"' in page and f'id="item-support-{f.item_id}"' in page
    assert 'id="series-current"' in page and "Ingen svar i en måned." in page
    assert "<svg" in page and f"/s/{SLUG}" in page
    assert f'hx-ws:connect="/s/{SLUG}/ws?view=screen' in page
    assert f'data-v="{version(server)}"' in page
    assert httpx.get(f"{server.url}/s/nosuchseries/screen", timeout=WAIT).status_code == 404


def test_the_participant_page_holds_the_phone_views_live_elements(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    page = server.client().get(f"/s/{SLUG}").text
    with ExitStack() as stack:
        phone = watch(stack, server, "phone")
        frame = phone.until("series-agenda")
    for element_id in ("series-meeting", "series-agenda", f"agenda-item-{f.item_id}", f"item-support-{f.item_id}"):
        assert f'id="{element_id}"' in frame and f'id="{element_id}"' in page, element_id


# --- changes reach the screen ----------------------------------------------------------------------------------


def test_a_proposed_item_reaches_the_screen_escaped(server: LiveServer) -> None:
    with ExitStack() as stack:
        screen = watch(stack, server)
        screen.until("series-agenda")
        server.wait_live(1)
        created: list[Item] = []
        v = write(server, lambda db, s: created.append(items.propose(db, s, None, {"title": TITLE})))
        frame = screen.until(rf'data-v="{v}"')
        assert 'id="series-agenda"' in frame
        assert str(escape(TITLE)) in frame and TITLE not in frame
        assert f'id="item-support-{created[0].id}"' in frame


def test_a_support_toggle_reaches_the_screen_and_phones_with_the_exact_count(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    with ExitStack() as stack:
        screen, phone = watch(stack, server), watch(stack, server, "phone")
        screen.until("series-agenda"), phone.until("series-agenda")
        server.wait_live(2)
        v = write(server, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        assert support_in(screen.until(rf'data-v="{v}"'), f.item_id) == 1
        phone_frame = phone.until(rf'data-v="{v}"')
        assert support_in(phone_frame, f.item_id) == 1
        # Phones get the participant page's own agenda, its buttons all off (the page applies its marks).
        assert f'action="/s/{SLUG}/items/{f.item_id}/support"' in phone_frame
        assert 'aria-pressed="true"' not in phone_frame and "series-current" not in phone_frame
        v = write(server, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        assert support_in(screen.until(rf'data-v="{v}"'), f.item_id) == 2


def test_a_status_step_and_discuss_now_reach_the_screen(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    with ExitStack() as stack:
        screen = watch(stack, server)
        screen.until("series-current")
        server.wait_live(1)
        v = write(server, lambda db, s: items.discuss(db, s, f.meeting_id, f.item_id))
        frame = screen.until(rf'data-v="{v}"')
        current = re.search(r'<section id="series-current".*?</section>', frame, re.S)
        assert current is not None and "Lange svartider" in current.group(0)
        assert "Ingen svar i en måned." in current.group(0)
        assert f'id="agenda-item-{f.item_id}" class="agenda-item current' in frame

        text = 'Sendt videre til <Borgerservice> & "Ydelse"'
        form = {"status": "forwarded", "text": text, "forwarded_to": "Udbetaling Danmark"}
        v = write(server, lambda db, s: items.step(db, s, f.item_id, form))
        frame = screen.until(rf'data-v="{v}"')
        assert str(escape(text)) in frame and text not in frame
        assert "Udbetaling Danmark" in frame and "Forwarded" in frame

        # Nothing discussed: the current item goes.
        v = write(server, lambda db, s: items.discuss(db, s, f.meeting_id, ""))
        frame = screen.until(rf'data-v="{v}"')
        assert "No item is being discussed right now." in frame


def test_a_reconnecting_client_with_an_old_version_catches_up(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    with ExitStack() as stack:
        screen = watch(stack, server)
        screen.until("series-agenda")
        server.wait_live(1)
        old = version(server)
        # A change while another screen is connected, so there are frames to catch up from.
        v = write(server, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        screen.until(rf'data-v="{v}"')
        v = write(server, lambda db, s: items.propose(db, s, None, {"title": "Brev i e-Boks"}))
        screen.until(rf'data-v="{v}"')
        late = watch(stack, server, v=old)
        frame = late.until(rf'data-v="{v}"')
        assert support_in(frame, f.item_id) == 1 and "Brev i e-Boks" in frame
        # An unknown version gets everything.
        fresh = watch(stack, server, v=None)
        frame = fresh.until(rf'data-v="{v}"')
        assert all(f'id="{name}"' in frame for name in ("series-meeting", "series-agenda", "series-current"))


# --- who may connect, and to what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "origin"),
    [
        (f"/s/{SLUG}/ws?view=screen", "https://evil.example"),
        (f"/s/{SLUG}/ws?view=phone", "http://127.0.0.1.evil.example"),
        ("/s/nosuchseries/ws?view=screen", None),
        (f"/s/{SLUG}/ws?view=report", None),
        (f"/s/{SLUG}/ws?view=host", None),
    ],
)
def test_a_handshake_is_refused(server: LiveServer, path: str, origin: str | None) -> None:
    url = server.url.replace("http://", "ws://") + path
    with pytest.raises(InvalidStatus) as refused, connect(url, origin=Origin(origin or server.url), open_timeout=WAIT):
        pass
    assert refused.value.response.status_code == 403


def test_the_host_view_needs_a_host_session(server: LiveServer) -> None:
    host = server.client(host=True)
    cookie = {"Cookie": f"lb_host={host.cookies['lb_host']}"}
    with ExitStack() as stack:
        console = watch(stack, server, "host", additional_headers=cookie)
        # The organiser's console gets its own sections, not the wall screen's (tests/live/test_consoles.py).
        frame = console.until('<main id="main"')
        assert 'id="agenda"' in frame and 'id="series-agenda"' not in frame


def test_event_and_series_clients_hear_only_their_own_topic(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    event_url = server.url.replace("http://", "ws://") + "/e/demo/ws?view=screen&lang=en&v="
    with ExitStack() as stack:
        series_screen = watch(stack, server)
        event_screen = Watch(stack.enter_context(connect(event_url, origin=Origin(server.url))), "event screen")
        series_screen.until("series-agenda"), event_screen.until("live-relay")
        server.wait_live(2)
        # A series change: the series screen hears it, the event screen does not.
        v = write(server, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        series_screen.until(rf'data-v="{v}"')
        assert event_screen.quiet(0.4) == []
        # An event change: the event screen hears it, the series screen does not.
        slot = server.slot(1, "Lokale 1")
        joined = server.client().post(f"/e/demo/sessions/{slot.id}/join")
        assert joined.status_code == 303
        event_screen.until(rf'data-v="{joined.headers["X-LiveBoard-Version"]}"')
        assert series_screen.quiet(0.4) == []


def test_a_series_and_an_event_with_the_same_id_stay_apart(server: LiveServer) -> None:
    """Channels are keyed by (scope, id): series 1 and event 1 are different topics."""
    event = server.event()
    same = server.rows(Series, Series.id == event.id)
    if not same:
        pytest.skip("no series with the demo event's id in this database")
    slug = same[0].slug
    series_url = server.url.replace("http://", "ws://") + f"/s/{slug}/ws?view=screen&lang=en&v="
    event_url = server.url.replace("http://", "ws://") + "/e/demo/ws?view=screen&lang=en&v="
    with ExitStack() as stack:
        on_series = Watch(stack.enter_context(connect(series_url, origin=Origin(server.url))), f"series {slug}")
        on_event = Watch(stack.enter_context(connect(event_url, origin=Origin(server.url))), "event demo")
        on_series.until("series-agenda"), on_event.until("live-relay")
        server.wait_live(2)
        with server.app.state.db.write() as db:
            items.propose(db, db.get(Series, event.id), None, {"title": "Samme nummer, anden kanal"})
        on_series.until("Samme nummer, anden kanal")
        assert on_event.quiet(0.4) == []
        slot = server.slot(1, "Lokale 1")
        joined = server.client().post(f"/e/demo/sessions/{slot.id}/join")
        on_event.until(rf'data-v="{joined.headers["X-LiveBoard-Version"]}"')
        assert on_series.quiet(0.4) == []


def test_a_change_of_another_series_does_not_reach_this_one(server: LiveServer) -> None:
    other = create_series(server.app.state.db, "andenserie")
    with ExitStack() as stack:
        screen = watch(stack, server)
        screen.until("series-agenda")
        server.wait_live(1)
        with server.app.state.db.write() as db:
            items.propose(db, db.get(Series, other.series_id), None, {"title": "Et andet sted"})
        assert screen.quiet(0.4) == []


def test_a_new_meeting_and_its_close_move_the_screen_on(server: LiveServer) -> None:
    f = server.fixture  # type: ignore[attr-defined]
    with ExitStack() as stack:
        screen = watch(stack, server)
        screen.until("series-meeting")
        server.wait_live(1)
        write(
            server,
            lambda db, s: series_domain.schedule(db, s, {"starts": "2030-05-06T17:00:00+02:00", "place": "Rådhuset"}),
        )
        v = write(server, lambda db, s: series_domain.close(db, s, f.meeting_id))
        frame = screen.until_true(lambda fr: f'data-v="{v}"' in fr and "Rådhuset" in fr)
        # The open item carried over to the next meeting, and says so.
        assert "Lange svartider" in frame and "carried over" in frame
        assert server.get(Meeting, f.meeting_id).held_at is not None


# --- two instances through Redis ----------------------------------------------------------------------------------


@pytest.fixture
def series_pair(pair: tuple[LiveServer, LiveServer]) -> tuple[LiveServer, LiveServer]:
    """The two instances of tests/live/conftest.py, with a series of the tests' own on their database."""
    made = create_series(pair[0].app.state.db)
    for server in pair:
        server.fixture = made  # type: ignore[attr-defined]
    return pair


def test_a_series_change_on_one_instance_reaches_the_other_through_redis(
    series_pair: tuple[LiveServer, LiveServer],
) -> None:
    a, b = series_pair
    f = a.fixture  # type: ignore[attr-defined]
    with ExitStack() as stack:
        on_b = watch(stack, b)
        on_b.until("series-agenda")
        b.wait_live(1)
        v = write(a, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        assert support_in(on_b.until(rf'data-v="{v}"'), f.item_id) == 1
        v = write(a, lambda db, s: items.discuss(db, s, f.meeting_id, f.item_id))
        assert "Ingen svar i en måned." in on_b.until(rf'data-v="{v}"')


def test_a_series_screen_catches_up_when_redis_returns(
    series_pair: tuple[LiveServer, LiveServer], redis_server: RedisServer
) -> None:
    a, b = series_pair
    f = a.fixture  # type: ignore[attr-defined]
    with ExitStack() as stack:
        on_b = watch(stack, b)
        on_b.until("live-relay")
        b.wait_live(1)
        redis_server.stop()
        on_b.until(r'<p id="live-relay" class="live-status" role="status" hx-swap-oob="true">')
        write(a, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        write(a, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
        redis_server.start()
        on_b.until_true(lambda frame: support_in(frame, f.item_id) == 2, seconds=10)


# --- in a browser ---------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_wall_screen_follows_support_and_discuss_now_in_a_browser(server: LiveServer, pages: Pages) -> None:  # noqa: F811
    f = server.fixture  # type: ignore[attr-defined]
    page = pages.open("series screen", {"width": 1920, "height": 1080})
    page.goto(f"{server.url}/s/{SLUG}/screen")
    live(page)
    mark_not_reloaded(page)
    server.wait_live(1)
    write(server, lambda db, s: items.toggle_support(db, s, a_member(db, s), f.item_id))
    expect(page.locator(f"#item-support-{f.item_id}")).to_have_text("1")
    write(server, lambda db, s: items.discuss(db, s, f.meeting_id, f.item_id))
    expect(page.locator("#series-current .current-title")).to_have_text("Lange svartider")
    expect(page.locator(f"#agenda-item-{f.item_id}")).to_have_class(re.compile(r"\bcurrent\b"))
    assert_not_reloaded(page)
    assert pages.errors() == []
