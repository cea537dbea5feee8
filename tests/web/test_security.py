"""Rules every request obeys (`liveboard/web/security.py`, `liveboard/web/auth.py`): same-origin POSTs, security
headers, signed cookies, escaping of what people type, the language switch, and 404 for unknown events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import LiveServer, host_actions
from itsdangerous import Signer, TimestampSigner
from markupsafe import escape
from sqlmodel import select

from liveboard.domain.accounts import IDLE_LIMIT
from liveboard.models import HostSession, Participant, Presence, Setting

FOREIGN = "https://evil.example"
SCRIPT = "<script>alert(1)</script>"


# --- same-origin POSTs -----------------------------------------------------------------------------------------


def participant_posts(server: LiveServer) -> dict[str, tuple[str, dict[str, str]]]:
    slot, pitch = server.slot(1, "Lokale 1"), server.pitch("unge")
    return {
        "pitch": ("/e/demo/pitches", {"title": "Fra en anden side"}),
        "interest": (f"/e/demo/pitches/{pitch.id}/interest", {}),
        "join": (f"/e/demo/sessions/{slot.id}/join", {}),
        "leave": (f"/e/demo/sessions/{server.slot(1, 'Store sal').id}/leave", {}),
        "notes": (f"/e/demo/sessions/{slot.id}/notes", {"kind": "idea", "text": "x"}),
    }


def all_posts(server: LiveServer) -> dict[str, tuple[str, dict[str, str]]]:
    posts = participant_posts(server)
    posts.update({f"host-{name}": (action.path, action.data) for name, action in host_actions(server).items()})
    posts["login"] = ("/host/login", {"password": "test-password"})
    posts["logout"] = ("/host/logout", {})
    return posts


POSTS = [
    "pitch", "interest", "join", "leave", "notes",
    *(f"host-{name}" for name in (
        "type-in", "approve", "reject", "edit", "merge", "place", "move", "swap", "delete", "announce", "phase",
        "pitching", "room-add", "room-edit", "room-remove", "round-add", "round-edit", "round-remove",
    )),
    "login", "logout",
]  # fmt: skip


@pytest.mark.parametrize("name", POSTS)
def test_cross_site_post_is_403_and_changes_nothing(server: LiveServer, host: httpx.Client, name: str) -> None:
    path, data = all_posts(server)[name]
    # A participant known to the app, checked in somewhere, with a host session too: only the origin is wrong.
    host.post(f"/e/demo/sessions/{server.slot(1, 'Store sal').id}/join")
    cookies = {"lb_host": host.cookies["lb_host"], "lb_pid": host.cookies["lb_pid"], "lb_lang": "en"}
    before = server.dump()
    variants = {
        "no origin": {},
        "foreign origin": {"Origin": FOREIGN},
        "foreign origin, same-site claim": {"Origin": FOREIGN, "Sec-Fetch-Site": "same-origin"},
        "null origin": {"Origin": "null"},
        "cross-site fetch": {"Sec-Fetch-Site": "cross-site"},
        "same-site fetch": {"Sec-Fetch-Site": "same-site"},
        "look-alike origin": {"Origin": server.url + ".evil.example"},
    }
    for variant, headers in variants.items():
        bare = server.client(origin=False, headers=headers)
        for key, value in cookies.items():
            bare.cookies.set(key, value, domain="127.0.0.1")
        for extra in ({}, {"HX-Request": "true"}):
            response = bare.post(path, data=data, headers=extra)
            assert response.status_code == 403, (variant, response.status_code)
            assert "another site" in response.text
            assert "set-cookie" not in response.headers or "lb_host" not in response.headers["set-cookie"]
    assert server.dump() == before


@pytest.mark.parametrize("name", POSTS)
def test_sec_fetch_site_same_origin_without_origin_is_accepted(
    server: LiveServer, host: httpx.Client, name: str
) -> None:
    path, data = all_posts(server)[name]
    action = host_actions(server).get(name.removeprefix("host-"))
    for setup_path, setup_data in action.setup if action else ():
        host.post(setup_path, data=setup_data)
    host.post(f"/e/demo/sessions/{server.slot(1, 'Store sal').id}/join")
    browser = server.client(origin=False, headers={"Sec-Fetch-Site": "same-origin"})
    for key in ("lb_host", "lb_pid"):
        browser.cookies.set(key, host.cookies[key], domain="127.0.0.1")
    response = browser.post(path, data=data)
    assert response.status_code == 303, response.text[:300]


def test_security_headers_are_on_refusals_too(client: httpx.Client, server: LiveServer) -> None:
    response = server.client(origin=False).post("/e/demo/pitches", data={"title": "x"})
    assert response.status_code == 403
    assert "content-security-policy" in response.headers


# --- headers ---------------------------------------------------------------------------------------------------


def csp(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    directives = [part.split() for part in policy.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize(
    "path",
    ["/", "/e/demo", "/e/demo/screen", "/e/demo/screen?room=ROOM", "/e/demo/sessions/SESSION", "/e/demo/report",
     "/e/demo/host", "/host", "/host/login", "/e/nope", "/api/events/demo"],
)  # fmt: skip
def test_pages_carry_a_content_security_policy_without_inline_scripts(
    server: LiveServer, host: httpx.Client, path: str
) -> None:
    path = path.replace("ROOM", str(server.room("Lokale 1").id)).replace("SESSION", str(server.slot(1, "Lokale 1").id))
    response = host.get(path)
    assert response.status_code in (200, 404)
    policy = csp(response)
    script_src = policy.get("script-src", policy.get("default-src"))
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'none'" in policy["frame-ancestors"] or response.headers.get("x-frame-options") == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/e/demo", "/e/demo/screen", "/e/demo/report", "/e/demo/host"])
def test_pages_have_no_inline_scripts(host: httpx.Client, path: str) -> None:
    page = host.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers either


# --- cookies ---------------------------------------------------------------------------------------------------


def set_cookie(response: httpx.Response, name: str) -> str | None:
    return next((v for v in response.headers.get_list("set-cookie") if v.startswith(f"{name}=")), None)


def test_participant_cookie_is_set_on_the_first_visit_and_signed(server: LiveServer, client: httpx.Client) -> None:
    first = client.get("/e/demo")
    cookie = set_cookie(first, "lb_pid")
    assert cookie is not None
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags
    value = client.cookies["lb_pid"]
    token, _, signature = value.rpartition(".")
    assert token and signature
    assert set_cookie(client.get("/e/demo"), "lb_pid") is None  # known now: not set again
    client.post(f"/e/demo/sessions/{server.slot(2, 'Lokale 1').id}/join")
    person = server.participant(client)
    assert person is not None and person.token == token


def test_participant_cookie_is_set_on_the_session_page_too(server: LiveServer, client: httpx.Client) -> None:
    assert set_cookie(client.get(f"/e/demo/sessions/{server.slot(1, 'Lokale 1').id}"), "lb_pid") is not None


def tampered(value: str) -> list[str]:
    token, _, signature = value.rpartition(".")
    # The first character, not the last: the last one of unpadded base64 carries bits that decoding ignores,
    # so changing it may leave the very same signature.
    flip = {"A": "B"}.get(signature[0], "A")
    return [
        f"{token}.{flip}{signature[1:]}",  # signature changed
        f"{token[:-1]}{'x' if token[-1] != 'x' else 'y'}.{signature}",  # token changed
        token,  # unsigned
        "",
    ]


def test_a_tampered_participant_cookie_is_a_new_participant(server: LiveServer, client: httpx.Client) -> None:
    slot_a, slot_b = server.slot(2, "Lokale 1"), server.slot(2, "Store sal")
    client.post(f"/e/demo/sessions/{slot_a.id}/join")
    original = server.participant(client)
    assert original is not None
    for value in tampered(client.cookies["lb_pid"]):
        forger = server.client()
        forger.cookies.set("lb_pid", value, domain="127.0.0.1")
        assert set_cookie(forger.get("/e/demo"), "lb_pid") is not None  # a fresh cookie: not recognised
        people = server.count(Participant)
        forger.cookies.set("lb_pid", value, domain="127.0.0.1")
        assert forger.post(f"/e/demo/sessions/{slot_b.id}/join").status_code == 303
        assert server.count(Participant) == people + 1
        # the original person is still where they were: the forger did not act in their name
        assert [p.session_id for p in server.rows(Presence, Presence.participant_id == original.id)] == [slot_a.id]


def test_a_demo_participants_raw_token_is_not_accepted(server: LiveServer) -> None:
    someone = server.rows(Presence)[0]
    victim = server.get(Participant, someone.participant_id)
    forger = server.client()
    forger.cookies.set("lb_pid", victim.token, domain="127.0.0.1")
    forger.post(f"/e/demo/sessions/{someone.session_id}/leave")
    assert server.count(Presence, Presence.participant_id == victim.id) == 1


def signed_with_the_servers_key(server: LiveServer, value: str, salt: str = "liveboard.host-session") -> str:
    """A host cookie made with the server's own key (read from the database), to show the check is not only
    the signature's: the token must name a session the server holds."""
    key = server.get(Setting, "secret_key").value
    return Signer(key, salt=salt).sign(value.encode()).decode()


def test_a_host_cookie_opens_only_a_session_the_server_holds(server: LiveServer, host: httpx.Client) -> None:
    assert host.get("/e/demo/host").status_code == 200
    key = server.get(Setting, "secret_key").value
    forged = {
        "made-up token": signed_with_the_servers_key(server, "a-token-no-session-has"),
        # The cookie of the shared password's days: signed, timestamped, and nothing on the server behind it.
        "old shared cookie": TimestampSigner(key, salt="liveboard.host").sign(b"host").decode(),
    }
    for kind, cookie in forged.items():
        stranger = server.client()
        stranger.cookies.set("lb_host", cookie, domain="127.0.0.1")
        assert stranger.get("/e/demo/host").status_code == 303, kind
        assert stranger.post("/e/demo/host/announce", data={"text": "x"}).status_code == 401, kind


def test_a_host_session_idle_too_long_has_ended(server: LiveServer, host: httpx.Client) -> None:
    assert host.get("/e/demo/host").status_code == 200
    with server.database.write() as db:
        for session in db.exec(select(HostSession)).all():
            session.last_seen_at = datetime.now(UTC) - IDLE_LIMIT - timedelta(minutes=1)
            db.add(session)
    assert host.get("/e/demo/host").status_code == 303
    assert host.post("/e/demo/host/announce", data={"text": "x"}).status_code == 401


def test_a_host_cookie_signed_with_another_key_is_refused(server: LiveServer) -> None:
    forger = server.client()
    forger.cookies.set(
        "lb_host", TimestampSigner("guessed", salt="liveboard.host").sign(b"host").decode(), domain="127.0.0.1"
    )
    assert forger.get("/e/demo/host").status_code == 303
    assert forger.get("/e/demo/host", headers={"HX-Request": "true"}).status_code == 401
    assert {p["status"] for p in forger.get("/api/events/demo").json()["pitches"]} == {"approved"}


# --- escaping --------------------------------------------------------------------------------------------------


def test_what_people_type_is_escaped_everywhere(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    story, author = '<img src=x onerror="alert(2)">', "<b>Eve</b>"
    assert client.post("/e/demo/pitches", data={"title": SCRIPT, "story": story, "author": author}).status_code == 303
    pitch = server.pitch(SCRIPT)
    assert host.post(f"/e/demo/host/pitches/{pitch.id}/approve").status_code == 303
    place = {"pitch_id": pitch.id, "room_id": server.room("Foyeren").id, "round_id": server.round(1).id}
    assert host.post("/e/demo/host/sessions", data=place).status_code == 303
    slot = server.slot(1, "Foyeren")
    client.post(f"/e/demo/sessions/{slot.id}/join")
    client.post(f"/e/demo/sessions/{slot.id}/notes", data={"kind": "idea", "text": "<i>note</i>"})
    host.post("/e/demo/host/announce", data={"text": "<marquee>hi</marquee>"})
    pages = {
        path: (host if "host" in path else client).get(path).text
        for path in ("/e/demo", "/e/demo/screen", "/e/demo/host", "/e/demo/report", f"/e/demo/sessions/{slot.id}",
                     f"/e/demo/screen?room={slot.room_id}")
    }  # fmt: skip
    for path, page in pages.items():
        assert SCRIPT not in page, path
        assert escape(SCRIPT) in page, path
        for raw in (story, author, "<i>note</i>", "<marquee>"):
            assert raw not in page, (path, raw)
    assert escape(story) in pages["/e/demo"]
    assert escape(author) in pages["/e/demo"]
    assert escape("<i>note</i>") in pages["/e/demo/report"]
    assert escape("<marquee>hi</marquee>") in pages["/e/demo/screen"]


def test_htmx_fragments_escape_too(server: LiveServer, client: httpx.Client, host: httpx.Client) -> None:
    client.post("/e/demo/pitches", data={"title": SCRIPT})
    pitch = server.pitch(SCRIPT)
    console = host.post(f"/e/demo/host/pitches/{pitch.id}/approve", headers={"HX-Request": "true"}).text
    fragment = client.post(f"/e/demo/pitches/{pitch.id}/interest", headers={"HX-Request": "true"}).text
    refused = client.post("/e/demo/pitches", data={"title": SCRIPT + "x" * 80}, headers={"HX-Request": "true"}).text
    for text in (console, fragment, refused):
        assert SCRIPT not in text
        assert escape(SCRIPT) in text


# --- language --------------------------------------------------------------------------------------------------


def test_danish_is_the_default(server: LiveServer) -> None:
    page = server.client(lang=None).get("/e/demo").text
    assert '<html lang="da">' in page
    assert "The board" not in page


def test_lang_switches_the_page_and_is_remembered(server: LiveServer) -> None:
    browser = server.client(lang=None)
    response = browser.get("/e/demo?lang=en")
    assert '<html lang="en">' in response.text
    assert "The board" in response.text
    cookie = set_cookie(response, "lb_lang")
    assert cookie is not None and cookie.startswith("lb_lang=en")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    again = browser.get("/e/demo")
    assert '<html lang="en">' in again.text and "The board" in again.text
    assert '<html lang="en">' in browser.get("/e/demo/screen").text
    back = browser.get("/e/demo?lang=da")
    assert '<html lang="da">' in back.text and "The board" not in back.text
    assert '<html lang="da">' in browser.get("/e/demo").text


def test_an_unknown_language_falls_back(server: LiveServer) -> None:
    browser = server.client(lang=None)
    response = browser.get("/e/demo?lang=xx")
    assert '<html lang="da">' in response.text
    assert set_cookie(response, "lb_lang") is None


def test_messages_follow_the_language(server: LiveServer) -> None:
    english = server.client(lang="en").post("/e/demo/pitches", data={"title": ""})
    danish = server.client(lang=None).post("/e/demo/pitches", data={"title": ""})
    assert english.status_code == danish.status_code == 422
    assert "Title is required." in english.text
    assert "Title is required." not in danish.text


# --- unknown events --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/e/nope", "/e/nope/screen", "/e/nope/sessions/1", "/e/nope/report", "/e/nope/report.csv", "/e/nope/report.md",
     "/e/nope/report.json", "/api/events/nope", "/e/nope/host"],
)  # fmt: skip
def test_unknown_event_pages_are_404(host: httpx.Client, path: str) -> None:
    assert host.get(path).status_code == 404


@pytest.mark.parametrize("name", POSTS[:-2])
def test_unknown_event_posts_are_404(server: LiveServer, host: httpx.Client, name: str) -> None:
    path, data = all_posts(server)[name]
    before = server.dump()
    assert host.post(path.replace("/e/demo/", "/e/nope/"), data=data).status_code == 404
    assert server.dump() == before


def test_a_body_too_large_for_a_form_is_413_and_changes_nothing(server: LiveServer, client: httpx.Client) -> None:
    before = server.dump()
    response = client.post("/e/demo/pitches", data={"title": "x", "story": "s" * 70_000})
    assert response.status_code == 413
    assert server.dump() == before


@pytest.mark.parametrize("path", ["/static/js/app.js", "/static/css/app.css"])
def test_the_pages_own_scripts_and_styles_are_served(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 200


def test_the_public_address_counts_as_this_site_behind_a_proxy_that_rewrites_host(
    tmp_path, demo_file, _stopping
) -> None:  # type: ignore[no-untyped-def]
    """A proxy may send the instance its own Host (127.0.0.1:8001) while the phone's Origin is the public name."""
    import shutil

    from conftest import HOST_PASSWORD, _serve

    from liveboard.app import create_app
    from liveboard.config import Settings

    shutil.copyfile(demo_file, tmp_path / "lb.db")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/lb.db",
        admin_password=HOST_PASSWORD,
        public_url="https://liveboard.example.org",
    )
    uv, thread, base = _serve(create_app(settings))
    try:
        with httpx.Client(base_url=base, timeout=10, cookies={"lb_lang": "en"}) as browser:
            login = {"password": HOST_PASSWORD}
            public = browser.post("/host/login", data=login, headers={"Origin": settings.public_url})
            assert public.status_code == 303
            foreign = browser.post("/host/login", data=login, headers={"Origin": FOREIGN})
            assert foreign.status_code == 403 and "another site" in foreign.text
    finally:
        uv.should_exit = True
        _stopping.append(thread)
