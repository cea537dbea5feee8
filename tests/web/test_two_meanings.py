"""English words with two meanings get their own Danish word in each place (message contexts, `pgettext`): the
series console's meeting place is "Sted" and its button "Planlæg", while the grid's button places a pitch
("Sæt ind") under the heading "Program"; an event's title is its "Titel", a pitch's its "Overskrift"."""

from __future__ import annotations

import re

from conftest import LiveServer, errors


def labels(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"<label\b[^>]*>(.*?)</label>", page, re.S)]


def buttons(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", b).strip() for b in re.findall(r"<button\b[^>]*>(.*?)</button>", page, re.S)]


def test_the_series_console_says_sted_and_planlaeg(server: LiveServer) -> None:
    page = server.client(host=True, lang="da").get("/s/seniorer/host").text
    meetings = page.split('id="meetings"')[1].split("</section>")[0]
    assert "Sted" in labels(meetings) and "Sæt ind" not in labels(meetings)
    assert "Planlæg" in buttons(meetings) and "Program" not in buttons(meetings)


def test_the_grid_places_pitches_under_the_programme(server: LiveServer) -> None:
    page = server.client(host=True, lang="da").get("/e/demo/host").text
    grid = page.split('id="schedule"')[1].split("</section>")[0]
    assert re.search(r"<h2[^>]*>Program</h2>", grid)
    assert "Sæt ind" in buttons(grid)
    assert "Placering" in labels(page.split('id="rooms"')[1].split("</section>")[0])


def test_an_event_has_a_titel_in_its_form_and_its_errors(server: LiveServer) -> None:
    organiser = server.client(host=True, lang="da")
    assert "Titel" in labels(organiser.get("/host").text)
    data = {
        "slug": "aften",
        "title": "",
        "starts": "2031-03-01T18:00",
        "timezone": "Europe/Copenhagen",
        "language": "da",
    }
    refused = organiser.post("/host/events", data=data)
    assert refused.status_code == 422
    assert "Titel skal udfyldes" in errors(refused.text)


def test_a_meeting_place_too_long_is_named_sted(server: LiveServer) -> None:
    organiser = server.client(host=True, lang="da")
    data = {"starts": "2031-03-01T10:00", "place": "x" * 201}
    refused = organiser.post("/s/seniorer/host/meetings", data=data, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert errors(refused.text).startswith("Sted må højst være på 200 tegn")


def test_english_keeps_one_word(server: LiveServer) -> None:
    page = server.client(host=True, lang="en").get("/s/seniorer/host").text
    assert "Place" in labels(page) and "Schedule" in buttons(page)
