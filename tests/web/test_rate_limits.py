"""Rate limits on participants' writes (`liveboard/web/ratelimit.py`): the table's numbers against a hall and a
person, and the 429 that says when to try again (shared through Redis: tests/live/test_shared_limits.py).

The numbers are checked on the real `Limiter` in this process (a thousand phones through HTTP would be a
benchmark, not a test); what a phone sees is checked on a real server.
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
import socket

import httpx
import pytest
from conftest import HX, LiveServer, errors
from test_notetaker import make_key, note_fields, take_path
from test_series import SLUG, Dialogue, dialogue  # noqa: F401 - a fixture

from liveboard.web.ratelimit import NEW_PER_ADDRESS, PER_PARTICIPANT, REDIS_TIMEOUT, Limiter, RateLimited

HALL = "192.0.2.10"


def token() -> str:
    return secrets.token_urlsafe(16)


def refused(limiter: Limiter, action: str, who: str, address: str = HALL) -> int | None:
    """The seconds a refusal asks to wait, or None when the action was let through."""
    try:
        asyncio.run(limiter.act(action, who, address))
    except RateLimited as refusal:
        return refusal.seconds
    return None


def test_a_redis_that_never_answers_lets_actions_through_and_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    """A Redis that takes the connection and then says nothing (a stuck server, a dead peer behind a live port)
    counts as away after `REDIS_TIMEOUT`: the action goes through unlimited, once logged, and the next ones do
    not wait on it again while it is left alone."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody ever answers
        limiter = Limiter(f"redis://127.0.0.1:{silent.getsockname()[1]}")

        async def actions() -> None:
            for _ in range(20):
                await limiter.act("move", "one-phone", HALL)
            await limiter.close()

        with caplog.at_level(logging.WARNING, logger="liveboard.web.ratelimit"):
            asyncio.run(asyncio.wait_for(actions(), 10 * REDIS_TIMEOUT))
    assert limiter.away_until > 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "liveboard.web.ratelimit"]
    assert warnings == ["rate limits are off while their storage is away: TimeoutError"]


# --- the table's numbers ------------------------------------------------------------------------------------------


def test_a_full_round_start_behind_one_address_goes_through() -> None:
    limiter = Limiter()

    async def round_start() -> None:
        phones = [token() for _ in range(1000)]
        for phone in phones:  # a thousand phones, never seen before, join within seconds
            await limiter.act("move", phone, HALL)
        for phone in phones[::5]:  # a fifth change their mind
            await limiter.act("move", phone, HALL)
            await limiter.act("move", phone, HALL)
        for phone in phones[::10]:  # a tenth leave
            await limiter.act("move", phone, HALL)
        for phone in phones[:300]:  # and many mark interest meanwhile
            await limiter.act("interest", phone, HALL)

    asyncio.run(round_start())  # no RateLimited


def test_a_person_at_their_busiest_is_never_refused_even_behind_a_full_hall() -> None:
    limiter = Limiter()
    for _ in range(1000):
        assert refused(limiter, "move", token()) is None
    person = token()
    actions = ["move"] + ["move"] * 8  # picks, then changes their mind four times (a leave and a join each)
    actions += ["interest"] * 10 + ["interest"] * 4  # interest on ten pitches quickly, four taken back
    actions += ["note"] * 4 + ["support"] * 12 + ["pitch"] * 2
    for action in actions:
        assert refused(limiter, action, person) is None, action


def test_a_script_that_drops_its_cookie_is_stopped_by_the_address_budget() -> None:
    limiter = Limiter()
    budget = NEW_PER_ADDRESS[0].amount
    for number in range(budget):
        assert refused(limiter, "move", token()) is None, number
    seconds = refused(limiter, "move", token())
    assert seconds is not None and 1 <= seconds <= 60
    # Known phones behind the same address go on, and other addresses are not held back.
    assert refused(limiter, "interest", token(), "198.51.100.7") is None


def test_a_refused_new_participant_stays_new_so_retrying_one_cookie_is_no_way_round_the_budget() -> None:
    limiter = Limiter()
    for _ in range(NEW_PER_ADDRESS[0].amount):
        refused(limiter, "move", token())
    script = token()
    assert refused(limiter, "move", script) is not None
    assert refused(limiter, "move", script) is not None


def test_pitches_from_new_participants_have_a_smaller_budget_per_address() -> None:
    limiter = Limiter()
    codes = [refused(limiter, "pitch", token()) for _ in range(61)]
    assert codes[:60] == [None] * 60 and codes[60] is not None
    # Joins from new phones behind that address are not held back by the pitch queue's budget.
    assert refused(limiter, "move", token()) is None


@pytest.mark.parametrize("action", sorted(PER_PARTICIPANT))
def test_each_action_is_limited_per_participant_and_says_when(action: str) -> None:
    limiter = Limiter()
    phone = token()
    limit = PER_PARTICIPANT[action].amount
    assert [refused(limiter, action, phone) for _ in range(limit)] == [None] * limit
    seconds = refused(limiter, action, phone)
    assert seconds is not None and 1 <= seconds <= PER_PARTICIPANT[action].get_expiry()
    assert refused(limiter, action, token()) is None  # another person is not held back


# --- what a phone sees ------------------------------------------------------------------------------------------


def moves(server: LiveServer, phone: httpx.Client, count: int, **kwargs: object) -> list[int]:
    slot = server.slot(2, "Lokale 1")
    paths = [f"/e/demo/sessions/{slot.id}/{'join' if i % 2 == 0 else 'leave'}" for i in range(count)]
    return [phone.post(path, **kwargs).status_code for path in paths]  # type: ignore[arg-type]


def test_the_31st_join_or_leave_in_a_minute_is_a_429_that_says_when(server: LiveServer) -> None:
    phone = server.client()
    assert moves(server, phone, 30) == [303] * 30
    before = server.dump()
    response = phone.post(f"/e/demo/sessions/{server.slot(2, 'Lokale 1').id}/join")
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    unit = "second" if seconds == 1 else "seconds"
    assert f"That was a lot at once. Please try again in {seconds} {unit}." in html.unescape(response.text)
    assert server.dump() == before
    assert moves(server, server.client(), 1) == [303]  # the next phone in the hall is not held back


def test_the_429_is_in_the_persons_language(server: LiveServer) -> None:
    phone = server.client(lang="da")
    moves(server, phone, 30)
    response = phone.post(f"/e/demo/sessions/{server.slot(2, 'Lokale 1').id}/join")
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert f"Prøv igen om {seconds} sekund" in html.unescape(response.text)
    assert '<html lang="da"' in response.text


def test_an_htmx_429_goes_to_the_message_area_of_the_page(server: LiveServer) -> None:
    phone = server.client()
    pitch = server.pitch("stress")
    for _ in range(PER_PARTICIPANT["interest"].amount):
        assert phone.post(f"/e/demo/pitches/{pitch.id}/interest", headers=HX).status_code == 200
    response = phone.post(f"/e/demo/pitches/{pitch.id}/interest", headers=HX)
    assert response.status_code == 429
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert f"try again in {response.headers['Retry-After']} second" in errors(response.text)
    assert "<html" not in response.text


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/e/demo/sessions/{slot}/notes", "note"),
        ("/e/demo/notes/1/support", "support"),
        ("/e/demo/sessions/{slot}/take", "take-note"),
    ],
)
def test_every_participant_write_is_limited_before_it_is_looked_at(server: LiveServer, path: str, action: str) -> None:
    """Refused or not by the domain (a wrong key, an unknown series), each attempt counts: a script gets nothing
    more out of bad requests than good ones."""
    phone = server.client()
    url = path.format(slot=server.slot(1, "Lokale 1").id)
    limit = PER_PARTICIPANT[action].amount
    codes = [phone.post(url, data={"text": "x", "kind": "idea", "key": "k"}).status_code for _ in range(limit)]
    assert 429 not in codes
    assert phone.post(url, data={"text": "x", "kind": "idea", "key": "k"}).status_code == 429


def test_supporting_friction_points_is_limited_per_member(server: LiveServer, dialogue: Dialogue) -> None:  # noqa: F811
    member = server.client()
    assert member.get(f"/s/{SLUG}").status_code == 200  # the series' own cookie
    url = f"/s/{SLUG}/items/{dialogue.old}/support"
    limit = PER_PARTICIPANT["series-support"].amount
    assert [member.post(url).status_code for _ in range(limit)] == [303] * limit
    assert member.post(url).status_code == 429
    assert server.client().post(url).status_code == 303


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_pitch_refused_for_speed_comes_back_with_what_was_typed(server: LiveServer, headers: dict) -> None:
    phone = server.client()
    for number in range(PER_PARTICIPANT["pitch"].amount):
        assert phone.post("/e/demo/pitches", data={"title": f"Idé {number}"}).status_code == 303
    before = server.dump()
    typed = {"title": "Min sidste idé", "story": "Med en historie, jeg var længe om"}
    response = phone.post("/e/demo/pitches", data=typed, headers=headers)
    assert response.status_code == 429
    page = html.unescape(response.text)
    assert typed["title"] in page and typed["story"] in page
    assert f"try again in {response.headers['Retry-After']} second" in errors(response.text)
    assert server.dump() == before


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_note_refused_for_speed_comes_back_with_what_was_typed(server: LiveServer, headers: dict) -> None:
    phone = server.client()
    slot = server.slot(1, "Lokale 1")
    assert phone.post(f"/e/demo/sessions/{slot.id}/join").status_code == 303
    path = f"/e/demo/sessions/{slot.id}/notes"
    for number in range(PER_PARTICIPANT["note"].amount):
        assert phone.post(path, data={"kind": "idea", "text": f"Note {number}"}).status_code == 303
    response = phone.post(path, data={"kind": "idea", "text": "Den sidste tanke"}, headers=headers)
    assert response.status_code == 429
    assert "Den sidste tanke" in html.unescape(response.text)
    assert f"try again in {response.headers['Retry-After']} second" in errors(response.text)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_note_takers_note_refused_for_speed_comes_back_with_what_was_typed(server: LiveServer, headers: dict) -> None:
    slot = server.slot(1, "Lokale 1")
    key = make_key(server, server.client(host=True), slot.id)  # type: ignore[arg-type]
    taker = server.client()
    for number in range(PER_PARTICIPANT["take-note"].amount):
        assert taker.post(take_path(slot.id), data=note_fields(key, f"Note {number}")).status_code == 303  # type: ignore[arg-type]
    before = server.dump()
    response = taker.post(take_path(slot.id), data=note_fields(key, "Det sidste, der blev sagt"), headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 429
    assert "Det sidste, der blev sagt" in html.unescape(response.text)
    assert f"try again in {response.headers['Retry-After']} second" in errors(response.text)
    assert response.headers["Cache-Control"] == "no-store"  # the page holds the key
    assert server.dump() == before


def test_a_friction_point_refused_for_speed_comes_back_with_what_was_typed(
    server: LiveServer,
    dialogue: Dialogue,  # noqa: F811
) -> None:
    member = server.client()
    for number in range(PER_PARTICIPANT["series-item"].amount):
        assert member.post(f"/s/{SLUG}/items", data={"title": f"Bøv {number}"}).status_code == 303
    response = member.post(f"/s/{SLUG}/items", data={"title": "Den sidste bøv", "story": "Skemaet"}, headers=HX)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Den sidste bøv" in html.unescape(response.text) and "Skemaet" in html.unescape(response.text)
