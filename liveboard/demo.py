"""The demo event (`python run.py --demo`): an un-conference night on the future of welfare, in Danish.

It is modelled on the Odense evening of 2013 (`seeds/odense-unconference-2013.da.txt`): citizens' own stories
as the topics, many small rooms, people moving between them. Its rounds are placed around the moment it is
loaded, with the first round started ten minutes earlier, so whoever starts the demo sees an evening in full
swing: sessions running with live headcounts (one room exactly full), interest on pitches, a moderation queue
with a duplicate to merge, an announcement, and a harvest under way: notes with themes and highlights, one
from a session's note-taker, and participants' +1s on them.

Rows are inserted directly with the models in one write transaction: the demo is data, not a scripted visit,
and a half-loaded demo must never be left behind.

The dialogue-meeting series of the contract's demo data (`seniorer`, `udsatte`, `internationale`, `unge`) are
not loaded here: series are not in the data model yet, and they come with their own issue.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from liveboard.db import Database
from liveboard.models import (
    Announcement,
    Attendance,
    Event,
    Interest,
    Note,
    NoteTheme,
    Participant,
    Pitch,
    Presence,
    Room,
    Round,
    Support,
)
from liveboard.models import Session as Slot

SLUG = "demo"
ROUND_MINUTES, BREAK_MINUTES = 40, 10
#: Participants on their phones; enough to fill the small café in round 1 and spread over the other rooms.
PARTICIPANTS = 64

ROOMS = [
    ("Store sal", 300, "Stueplan"),
    ("Lokale 1", 40, "1. sal"),
    ("Lokale 2", 35, "1. sal"),
    ("Lokale 3", 30, "1. sal"),
    ("Lokale 4", 25, "2. sal"),
    ("Foyeren", 60, "Stueplan, ved indgangen"),
    ("Caféen", 14, "Stueplan, bag garderoben"),
]


@dataclass(frozen=True)
class DemoPitch:
    key: str
    title: str
    story: str
    author: str = ""
    status: str = "approved"
    #: "phone" when a participant sent it, "host" when a host typed it in from a paper card.
    source: str = "phone"
    #: How much interest it draws; the demo's board should show clear favourites.
    appeal: int = 3


PITCHES = [
    DemoPitch(
        "stress",
        "En gennemgående sagsbehandler ved stress",
        "Da jeg blev sygemeldt med stress, var det værste ikke at vide, hvad der skulle ske. Én sagsbehandler, "
        "der kender min sag og kan handle hurtigt på tværs af systemerne, ville have hjulpet mere end fred og ro.",
        "Mette",
        appeal=9,
    ),
    DemoPitch(
        "teknologi",
        "Velfærdsteknologi i eget hjem",
        "Vasketoilet, robotstøvsuger, skærmbesøg fra hjemmeplejen. Hvad kan den nyeste teknologi, og hvem "
        "bestemmer, om jeg skal have den?",
        source="host",
        appeal=6,
    ),
    DemoPitch(
        "paedagogik",
        "Ny pædagogik i dagtilbud",
        "Vi har afprøvet mere udeliv og mindre planlagte aktiviteter i vores vuggestue. Forældre og pædagoger "
        "fortæller, hvad der virkede, og hvad der ikke gjorde.",
        "Jonas",
        appeal=4,
    ),
    DemoPitch(
        "ensomhed",
        "Ensomhed blandt ældre",
        "Min mor på 84 ser ofte ingen i flere dage ud over hjemmeplejen. Hvordan kan naboer, foreninger og "
        "kommunen hjælpe hinanden med at bryde ensomheden?",
        "Birgit",
        appeal=8,
    ),
    DemoPitch(
        "selvbetjening",
        "Digital selvbetjening – for dem, der ikke kan",
        "Alt skal klares med MitID og på nettet. Hvad med dem, der ikke har en computer, ikke kan se skærmen "
        "eller bare ikke kan finde ud af det?",
        "Poul",
        appeal=7,
    ),
    DemoPitch(
        "frivillige",
        "Frivillige som en del af velfærden",
        "Vi er mange, der gerne vil give en hånd med. Hvordan arbejder frivillige og kommunens medarbejdere "
        "sammen, uden at nogen føler sig trådt over tæerne?",
        "Hanne",
        appeal=5,
    ),
    DemoPitch(
        "unge",
        "Unge og mental sundhed",
        "Flere i min klasse har angst eller går ned med stress. Hvor kan man gå hen, før det bliver alvorligt?",
        "Sofie",
        appeal=6,
    ),
    DemoPitch(
        "rehabilitering",
        "Rehabilitering frem for hjemmehjælp",
        "Efter min hofteoperation lærte en terapeut mig at klare badet selv igen. Det gav mig friheden tilbage. "
        "Hvorfor tilbydes det ikke alle?",
        "Erik",
        appeal=4,
    ),
    DemoPitch(
        "paaroerende",
        "Pårørende som ressource",
        "Som pårørende til en dement ved jeg meget, som personalet ikke når at opdage. Hvordan bliver vi hørt "
        "og brugt, uden at det hele hviler på os?",
        appeal=5,
    ),
    DemoPitch(
        "boligomraader",
        "Sundhed i udsatte boligområder",
        "Hvordan når vi dem, der aldrig kommer til lægen eller til et sundhedstjek? Kan sundhedsplejen komme "
        "ud i beboerhusene?",
        "Ahmed",
        appeal=3,
    ),
    DemoPitch(
        "bureaukrati",
        "Mindre papirarbejde i hjemmeplejen",
        "Jeg er social- og sundhedshjælper og bruger mere tid på at dokumentere end på at være hos borgeren. "
        "Hvad kan vi lade være med at skrive ned?",
        "Lene",
        appeal=5,
    ),
    DemoPitch(
        "udskrivning",
        "Fra hospital til eget hjem",
        "Da min far blev udskrevet, vidste ingen, hvem der havde ansvaret for hans medicin. Overgangen mellem "
        "region og kommune skal hænge sammen.",
        "Karin",
        appeal=4,
    ),
    DemoPitch(
        "foreninger",
        "Foreningslivet som vej ind for nye danskere",
        "Jeg kom til byen for tre år siden. Det var håndboldklubben, ikke kommunen, der gav mig et netværk. "
        "Hvordan kan flere få den vej ind?",
        "Fatima",
        appeal=3,
    ),
    DemoPitch(
        "medskaber",
        "Borgeren som medskaber – ikke kunde",
        "Velfærd er ikke kun kommunens ansvar, det er vores allesammens. Hvad kan vi selv bidrage med, og hvad "
        "skal kommunen gøre for at lade os?",
        source="host",
        appeal=6,
    ),
    # The moderation queue: one an obvious duplicate of "stress", for the merge demo.
    DemoPitch(
        "stress-igen",
        "Én sagsbehandler når man er ramt af stress",
        "Jeg havde fem forskellige sagsbehandlere på et halvt år. Det gjorde mig mere syg.",
        "Anne",
        status="pending",
    ),
    DemoPitch(
        "motion",
        "Motion og bevægelse for seniorer",
        "Vi er en flok pensionister, der går stavgang hver tirsdag. Flere kunne være med, hvis de vidste det.",
        "Grethe",
        status="pending",
    ),
    DemoPitch(
        "madspild",
        "Mindre madspild i daginstitutioner og på plejehjem",
        "Der bliver smidt meget mad ud hver dag. Kan overskuddet gå til nogen, der mangler?",
        status="pending",
    ),
    DemoPitch("parkering", "Gratis parkering ved kongrescentret", "", status="rejected"),
]

#: The grid: (round number, room name, pitch key). Never two in a cell, never a pitch twice in a round.
GRID = [
    (1, "Store sal", "stress"),
    (1, "Lokale 1", "teknologi"),
    (1, "Lokale 2", "ensomhed"),
    (1, "Caféen", "selvbetjening"),
    (2, "Store sal", "frivillige"),
    (2, "Lokale 1", "unge"),
    (2, "Lokale 3", "paaroerende"),
    (3, "Store sal", "medskaber"),
    (3, "Lokale 2", "rehabilitering"),
]

#: Who sits where in round 1; the café is exactly at its capacity, so "full" shows on the board.
PRESENT_IN_ROUND_1 = {"Store sal": 24, "Lokale 1": 11, "Lokale 2": 9, "Caféen": 14}


@dataclass(frozen=True)
class DemoNote:
    """A harvest note from round 1, as a participant or the session's note-taker wrote it, then curated."""

    key: str
    kind: str
    text: str
    author: str = ""
    themes: tuple[str, ...] = ()
    highlighted: bool = False
    #: "phone", or "taker" for the note-taker's notes (typed in by the session's note-taker link).
    source: str = "phone"
    #: How many participants give it +1.
    support: int = 0


#: The harvest so far, in the voice of the Odense evening: stories first, then what should change.
NOTES = [
    DemoNote(
        "stress",
        "experience",
        "Jeg ventede fire måneder på at få at vide, hvad planen var. Ventetiden var værre end sygdommen.",
        themes=("ventetid",),
        highlighted=True,
        support=6,
    ),
    DemoNote(
        "stress",
        "proposal",
        "Én fast kontaktperson fra første sygedag, med telefonnummer og navn.",
        "Mette",
        themes=("kontakt", "sammenhæng"),
        highlighted=True,
        support=11,
    ),
    DemoNote(
        "stress",
        "idea",
        "En fælles plan, som borgeren selv kan se på nettet, med hvem der gør hvad og hvornår.",
        themes=("digitalisering", "sammenhæng"),
        support=4,
    ),
    DemoNote(
        "stress",
        "experience",
        "Flere fortalte, at de har fortalt deres historie til fem-seks forskellige sagsbehandlere. Hver gang "
        "startede de forfra.",
        themes=("sammenhæng",),
        source="taker",
        support=3,
    ),
    DemoNote(
        "stress",
        "proposal",
        "Sagsbehandleren skal kunne træffe beslutninger på tværs af jobcenter, kommune og region, ikke bare "
        "sende sagen videre.",
        themes=("sammenhæng",),
        support=7,
    ),
    DemoNote(
        "stress",
        "idea",
        "Et kort brev efter hvert møde: hvad blev aftalt, hvad sker der nu, og hvornår hører jeg fra jer?",
        "Anne",
        themes=("ventetid", "kontakt"),
        support=2,
    ),
    DemoNote(
        "teknologi",
        "experience",
        "Skærmbesøg om aftenen fungerer fint for min far, men han savner at se et menneske om morgenen.",
        "Jens",
        themes=("velfærdsteknologi", "ensomhed"),
        support=2,
    ),
    DemoNote(
        "teknologi",
        "idea",
        "Et prøvehjem, hvor man kan låne teknologien en måned, før man beslutter sig.",
        themes=("velfærdsteknologi",),
        highlighted=True,
        support=5,
    ),
    DemoNote(
        "teknologi",
        "proposal",
        "Borgeren og de pårørende skal være med til at vælge teknologien, ikke bare få den installeret.",
        themes=("velfærdsteknologi", "pårørende"),
        support=4,
    ),
    DemoNote(
        "teknologi",
        "experience",
        "Vasketoilettet gav min mor værdigheden tilbage. Hun skal ikke længere vente på hjælp for at komme på "
        "toilettet.",
        themes=("velfærdsteknologi",),
    ),
    DemoNote(
        "ensomhed",
        "proposal",
        "Besøgsvenner fra foreningerne får en fast kontakt i hjemmeplejen, så de kan henvise til hinanden.",
        "Birgit",
        themes=("ensomhed", "frivillige"),
        highlighted=True,
        support=8,
    ),
    DemoNote(
        "ensomhed",
        "experience",
        "Efter min mand døde, var spisefællesskabet i beboerhuset det eneste, der fik mig ud af døren.",
        themes=("ensomhed",),
        support=3,
    ),
    DemoNote(
        "ensomhed",
        "idea",
        "Hjemmeplejen kunne have fem minutter mere til en kop kaffe hos dem, der ikke ser andre.",
        themes=("ensomhed",),
        support=1,
    ),
    DemoNote(
        "ensomhed",
        "proposal",
        "Et »ring til en nabo«-kort i postkassen, så man ved, hvem i opgangen man kan ringe til.",
        themes=("ensomhed", "kontakt"),
        support=3,
    ),
    DemoNote(
        "selvbetjening",
        "experience",
        "På biblioteket hjælper de med MitID, men der er kø, og man skal kunne vente.",
        themes=("digitalisering", "ventetid"),
        support=1,
    ),
    DemoNote(
        "selvbetjening",
        "proposal",
        "Ret til at blive ringet op af et menneske, når man ikke kan klare det selv.",
        themes=("digitalisering", "kontakt"),
        highlighted=True,
        support=9,
    ),
    DemoNote(
        "selvbetjening",
        "idea",
        "Unge frivillige kunne lære ældre at bruge MitID-appen, og de ældre kunne lære de unge noget andet.",
        "Poul",
        themes=("digitalisering", "frivillige"),
        support=2,
    ),
    DemoNote(
        "selvbetjening",
        "experience",
        "Mit brev fra kommunen lå i e-Boks i tre uger, før min datter så det.",
        themes=("digitalisering", "pårørende"),
    ),
]

WELCOME = "Velkommen! Scan QR-koden og fortæl din historie."


def load_demo(database: Database, now: datetime | None = None) -> bool:
    """Load the demo event unless it is there; False when it was (then nothing is touched)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with database.read() as db:
        if db.exec(select(Event).where(Event.slug == SLUG)).first() is not None:
            return False
    try:
        with database.write() as db:
            _insert(db, now)
    except IntegrityError:
        return False  # another instance, started at the same time, loaded it first
    return True


def _insert(db: Session, now: datetime) -> None:
    rng = random.Random(2013)  # the same demo every time, so screenshots and walkthroughs match
    rounds_start = now.replace(second=0, microsecond=0) - timedelta(minutes=10)
    event = Event(
        slug=SLUG,
        title="Fremtidens velfærd – en ikke-konference",
        language="da",
        venue="Kongrescentret, Store sal og lokalerne omkring",
        starts=rounds_start - timedelta(minutes=30),
        ends=rounds_start + timedelta(minutes=3 * ROUND_MINUTES + 2 * BREAK_MINUTES + 10),
        phase="running",
        pitching_open=True,
    )
    db.add(event)
    db.flush()
    assert event.id is not None and event.starts is not None
    rooms = _rooms(db, event.id)
    rounds = _rounds(db, event.id, rounds_start)
    people = _participants(db, event.id, event.starts, now, rng)
    pitches = _pitches(db, event.id, event.starts, now, people, rng)
    slots = _grid(db, event.id, rooms, rounds, pitches)
    _interest(db, people, pitches, rng)
    _presence(db, people, rounds[0], slots, rooms, now)
    _notes(db, event.id, rounds[0], slots, pitches, people, now, rng)
    db.add(Announcement(event_id=event.id, text=WELCOME, created_at=event.starts))
    db.flush()


def _rooms(db: Session, event_id: int) -> dict[str, Room]:
    rooms = {}
    for position, (name, capacity, location) in enumerate(ROOMS, start=1):
        rooms[name] = Room(event_id=event_id, name=name, capacity=capacity, location=location, position=position)
        db.add(rooms[name])
    db.flush()
    return rooms


def _rounds(db: Session, event_id: int, first_start: datetime) -> list[Round]:
    rounds = []
    for number in range(3):
        starts = first_start + timedelta(minutes=number * (ROUND_MINUTES + BREAK_MINUTES))
        rounds.append(
            Round(
                event_id=event_id,
                label=f"Runde {number + 1}",
                starts=starts,
                ends=starts + timedelta(minutes=ROUND_MINUTES),
            )
        )
        db.add(rounds[-1])
    db.flush()
    return rounds


def _participants(db: Session, event_id: int, doors: datetime, now: datetime, rng: random.Random) -> list[Participant]:
    """Phones that joined since the doors opened; tokens are random, so no real cookie can ever match them."""
    names = ["Mette", "Jonas", "Birgit", "Poul", "Hanne", "Sofie", "Erik", "Ahmed", "Lene", "Karin", "Fatima", "Anne"]
    people = []
    span = max(int((now - doors).total_seconds()), 60)
    for number in range(PARTICIPANTS):
        person = Participant(
            event_id=event_id,
            token=secrets.token_urlsafe(24),
            name=names[number] if number < len(names) else None,
            lang="en" if number % 9 == 8 else "da",
            created_at=doors + timedelta(seconds=rng.randrange(span)),
        )
        people.append(person)
        db.add(person)
    db.flush()
    return people


def _pitches(
    db: Session,
    event_id: int,
    doors: datetime,
    now: datetime,
    people: list[Participant],
    rng: random.Random,
) -> dict[str, Pitch]:
    by_name = {p.name: p for p in people if p.name}
    span = max(int((now - doors).total_seconds()), 60)
    pitches = {}
    for item in PITCHES:
        sent = doors + timedelta(seconds=rng.randrange(span))
        sender = by_name.get(item.author) if item.source == "phone" else None
        pitches[item.key] = Pitch(
            event_id=event_id,
            title=item.title,
            story=item.story,
            author=item.author,
            status=item.status,
            source=item.source,
            participant_id=sender.id if sender else None,
            created_at=sent,
            updated_at=sent,
        )
        db.add(pitches[item.key])
    db.flush()
    return pitches


def _grid(
    db: Session, event_id: int, rooms: dict[str, Room], rounds: list[Round], pitches: dict[str, Pitch]
) -> dict[tuple[int, str], Slot]:
    slots = {}
    for round_number, room_name, key in GRID:
        slot = Slot(
            event_id=event_id,
            pitch_id=pitches[key].id,  # type: ignore[arg-type]
            room_id=rooms[room_name].id,  # type: ignore[arg-type]
            round_id=rounds[round_number - 1].id,  # type: ignore[arg-type]
        )
        slots[(round_number, room_name)] = slot
        db.add(slot)
    db.flush()
    return slots


def _interest(db: Session, people: list[Participant], pitches: dict[str, Pitch], rng: random.Random) -> None:
    """Each person likes a handful of approved pitches, weighted by appeal, so the board shows favourites."""
    approved = [item for item in PITCHES if item.status == "approved"]
    weights = [item.appeal for item in approved]
    for person in people:
        chosen: set[str] = set()
        for _ in range(rng.randint(1, 5)):
            chosen.add(rng.choices(approved, weights)[0].key)
        for key in sorted(chosen):
            db.add(Interest(participant_id=person.id, pitch_id=pitches[key].id))  # type: ignore[arg-type]
    db.flush()


def _presence(
    db: Session,
    people: list[Participant],
    first: Round,
    slots: dict[tuple[int, str], Slot],
    rooms: dict[str, Room],
    now: datetime,
) -> None:
    """Round 1 as it stands now, and the attendance log that led there: some looked in elsewhere first (never
    in a room that is full by now, which would have turned them away), and nobody arrives after `now`."""
    queue = iter(people)
    spare = {slots[(1, name)].id for name, count in PRESENT_IN_ROUND_1.items() if count < rooms[name].capacity}
    room_to_spare = [slot for (number, _), slot in sorted(slots.items()) if number == 1 and slot.id in spare]
    latest = now - timedelta(minutes=3)
    for room_name, count in PRESENT_IN_ROUND_1.items():
        slot = slots[(1, room_name)]
        assert count <= rooms[room_name].capacity, f"the demo overfills {room_name}"
        for seat in range(count):
            person = next(queue)
            since = min(max(first.starts, person.created_at) + timedelta(seconds=7 * seat), latest)
            if seat % 6 == 5:
                elsewhere = room_to_spare[(seat // 6) % len(room_to_spare)]
                if elsewhere.id != slot.id:
                    db.add(_attended(elsewhere, person, "join", since))
                    since += timedelta(minutes=2)
                    db.add(_attended(elsewhere, person, "leave", since))
            db.add(Presence(participant_id=person.id, round_id=first.id, session_id=slot.id, since=since))  # type: ignore[arg-type]
            db.add(_attended(slot, person, "join", since))
    db.flush()


def _attended(slot: Slot, person: Participant, action: str, at: datetime) -> Attendance:
    return Attendance(
        event_id=slot.event_id,
        session_id=slot.id,
        pitch_id=slot.pitch_id,
        participant_id=person.id,
        action=action,
        at=at,
    )


def _notes(
    db: Session,
    event_id: int,
    first: Round,
    slots: dict[tuple[int, str], Slot],
    pitches: dict[str, Pitch],
    people: list[Participant],
    now: datetime,
    rng: random.Random,
) -> None:
    """Round 1's notes with their themes and highlights, and +1s from participants (once each)."""
    by_pitch = {slot.pitch_id: slot for (number, _), slot in slots.items() if number == 1}
    by_name = {p.name: p for p in people if p.name}
    span = max(int((now - first.starts).total_seconds()), 60)
    for item in NOTES:
        pitch = pitches[item.key]
        writer = by_name.get(item.author) if item.source == "phone" else None
        note = Note(
            event_id=event_id,
            pitch_id=pitch.id,  # type: ignore[arg-type]
            session_id=by_pitch[pitch.id].id,  # type: ignore[index]
            participant_id=writer.id if writer else None,
            kind=item.kind,
            text=item.text,
            author=item.author,
            source=item.source,
            highlighted=item.highlighted,
            created_at=first.starts + timedelta(seconds=rng.randrange(span)),
        )
        db.add(note)
        db.flush()
        for theme in item.themes:
            db.add(NoteTheme(note_id=note.id, theme=theme))  # type: ignore[arg-type]
        for supporter in rng.sample(people, item.support):
            seen = note.created_at + timedelta(seconds=rng.randrange(30, 300))
            db.add(Support(note_id=note.id, participant_id=supporter.id, created_at=min(seen, now)))  # type: ignore[arg-type]
    db.flush()
