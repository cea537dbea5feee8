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
loaded by `load_series` (see below), each in a transaction of its own and only when it is missing.
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
    Item,
    Member,
    Note,
    NoteTheme,
    Participant,
    Pitch,
    Presence,
    Room,
    Round,
    Series,
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
    """Load the demo event and the demo series, each unless it is there; False when all were (then nothing is
    touched)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    loaded = load_event(database, now)
    return bool(load_series(database, now)) or loaded


def load_event(database: Database, now: datetime | None = None) -> bool:
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


# --- the dialogue-meeting series -----------------------------------------------------------------------------------
#
# Four series modelled on Borgerservice's quarterly dialogue meetings ("hvor møder I bøv!",
# `seeds/borgerservice-dialogmoeder.da.txt`). Each had a meeting about a quarter ago and has the next one in a few
# weeks. Unlike the event, they are built through the domain functions (propose, support, close, step, schedule),
# so the rules hold: the held meeting is closed, the follow-up history obeys the status machine, and what was
# still open when the next meeting was scheduled is carried over onto its agenda.

HELD_DAYS_AGO, COMING_IN_DAYS = 91, 23
#: Members per series: the anonymous phones that proposed and supported friction points.
MEMBERS = 16
BORGERSERVICE = "Borgerservice"


@dataclass(frozen=True)
class DemoItem:
    title: str
    story: str
    service: str
    channel: str
    organisation: str
    #: How many members support it.
    support: int
    #: The follow-up, in order: (status, text, forwarded_to). Empty: still `new`.
    steps: tuple[tuple[str, str, str], ...] = ()
    #: Raised after the held meeting, for the coming one (so never carried over).
    fresh: bool = False


@dataclass(frozen=True)
class DemoSeries:
    slug: str
    title: str
    audience: str
    description: str
    language: str
    place: str
    organisations: tuple[str, ...]
    items: tuple[DemoItem, ...]


def _s(status: str, text: str, forwarded_to: str = "") -> tuple[str, str, str]:
    return (status, text, forwarded_to)


SERIES = [
    DemoSeries(
        "seniorer",
        "Dialogmøder med seniorerne – hvor møder I bøv?",
        "Repræsentanter for seniorerne i byen",
        "Hvert kvartal samler Borgerservice repræsentanter for byens seniorer. I sætter dagsordenen: hvor støder I "
        "på bøv i mødet med det offentlige – digitalt eller ved skranken? Vi lytter mere, end vi taler, og "
        "fortæller her, hvad der er blevet af hvert punkt.",
        "da",
        "Borgerservice, mødelokale 2",
        (
            "Ældre Sagen",
            "Ældrerådet",
            "Frivilligcenter",
            "Seniorernes IT-café på Hovedbiblioteket",
            "Pensionistforeningen",
        ),
        (
            DemoItem(
                "MitID-appen virker ikke på ældre telefoner",
                "Mange af vores medlemmer har en telefon, der er for gammel til MitID-appen. De ved ikke, at der "
                "findes en kodeviser, og tror, de er låst ude af det hele.",
                "MitID",
                "digital",
                "Ældre Sagen",
                9,
                (
                    _s("looking", "Vi undersøger, hvor mange der har fået kodeviser i Borgerservice i år."),
                    _s(
                        "explained",
                        "Kodeviser og kodeoplæser kan bestilles gratis i Borgerservice, uden tidsbestilling. Vi har "
                        "lavet en lille folder, som ligger på bibliotekerne og i Ældre Sagens lokaler.",
                    ),
                ),
            ),
            DemoItem(
                "Breve i Digital Post bliver ikke set i tide",
                "Brevene fra kommunen ligger i Digital Post i flere uger, før nogen opdager dem. Så er fristen for at "
                "svare overskredet. Man får ingen besked, hvis man ikke har slået det til.",
                "Digital Post",
                "digital",
                "Ældrerådet",
                11,
                (
                    _s("looking", "Vi ser på, hvordan man slår besked om ny post til på mit.dk og i e-Boks."),
                    _s(
                        "forwarded",
                        "Sendt videre med ønsket om, at besked om ny post er slået til fra start.",
                        "Digitaliseringsstyrelsen",
                    ),
                ),
            ),
            DemoItem(
                "Fritagelse for Digital Post – blanketten er svær at finde",
                "Man skal kende det rigtige ord for at finde blanketten på borger.dk. Mange tror, at man slet ikke "
                "kan blive fritaget.",
                "borger.dk",
                "both",
                "Frivilligcenter",
                6,
                (
                    _s(
                        "changed",
                        "Blanketten ligger nu også på papir i Borgerservice og på alle biblioteker, og teksten på "
                        "kommunens side er skrevet om, så den nævner fritagelse øverst.",
                    ),
                ),
            ),
            DemoItem(
                "Lang ventetid i telefonen hos Udbetaling Danmark",
                "Når man ringer om folkepension, venter man ofte over en halv time. Mange lægger på og kommer i "
                "stedet i Borgerservice, som så ikke kan svare.",
                "Udbetaling Danmark",
                "physical",
                "Pensionistforeningen",
                8,
                (_s("looking", "Vi har spurgt Udbetaling Danmark om ventetiderne og fortæller svaret på næste møde."),),
            ),
            DemoItem(
                "Nyt sundhedskort efter flytning tager for lang tid",
                "Efter flytning til plejebolig kom det nye gule kort først efter fem uger, og imens var det svært at "
                "hente medicin på apoteket.",
                "Sundhedskort",
                "physical",
                "Ældre Sagen",
                5,
                (
                    _s("looking", "Vi undersøger, hvor sagen stod stille."),
                    _s(
                        "solved",
                        "Et midlertidigt sundhedskort kan nu udskrives ved skranken samme dag. Det er sagt videre til "
                        "plejecentrenes kontorer.",
                    ),
                ),
            ),
            DemoItem(
                "Ændret husleje til boligstøtte kan kun meldes digitalt",
                "Når huslejen stiger, skal det meldes til boligstøtten på nettet. Uden MitID er det umuligt, og man "
                "risikerer at skulle betale tilbage.",
                "Boligstøtte",
                "digital",
                "Ældrerådet",
                4,
                (
                    _s(
                        "unsolvable",
                        "Kravet om digital indberetning er fastsat af Udbetaling Danmark og loven. Vi kan ikke ændre "
                        "det, men Borgerservice hjælper gerne med indberetningen ved skranken.",
                    ),
                ),
            ),
            DemoItem(
                "Tid til nyt pas kan kun bestilles på nettet",
                "Man kan ikke ringe og bestille tid til pas. Det er svært for dem, der ikke bruger computer.",
                "Pas",
                "both",
                "Seniorernes IT-café på Hovedbiblioteket",
                7,
                (
                    _s("changed", "Der kan nu bestilles tid til pas på telefon tirsdag og torsdag kl. 10–12."),
                    _s(
                        "reopened",
                        "Telefontiden blev ikke meldt ud på hjemmesiden og var lukket i sommerferien. Vi tager det op "
                        "igen på næste møde.",
                    ),
                ),
            ),
            DemoItem(
                "Hvordan giver jeg min datter adgang til min post?",
                "Min datter vil gerne hjælpe med min Digital Post og mine sager, men vi kan ikke finde ud af at give "
                "hende fuldmagt.",
                "Digital Post",
                "digital",
                "",
                3,
                fresh=True,
            ),
        ),
    ),
    DemoSeries(
        "udsatte",
        "Dialogmøder om udsatte borgere – hvor møder I bøv?",
        "Medarbejdere og frivillige, der arbejder med udsatte borgere til daglig",
        "Et forum, hvor de, der arbejder med og repræsenterer udsatte borgere, kan vende stort og småt med "
        "Borgerservice. Ofte har en anden ved bordet løsningen; andre gange gør vi kolleger i andre afdelinger "
        "opmærksomme på det, så der som minimum kommer en forklaring.",
        "da",
        "Borgerservice, mødelokale 2",
        ("Kirkens Korshær", "Blå Kors", "SAND – De hjemløses landsorganisation", "Gadejuristen", "Frivilligcenter"),
        (
            DemoItem(
                "Uden fast adresse får man ikke sin post",
                "Hjemløse mister breve om kontanthjælp og lægetider, fordi de ikke har en adresse. Hvem skal de "
                "opgive?",
                "Folkeregistret",
                "physical",
                "SAND – De hjemløses landsorganisation",
                10,
                (
                    _s(
                        "explained",
                        "Man kan registreres som »uden fast bopæl« og få en kontaktadresse, fx et herberg eller en "
                        "værested, der har sagt ja. Borgerservice hjælper med registreringen ved skranken.",
                    ),
                ),
            ),
            DemoItem(
                "MitID uden gyldigt billed-ID",
                "Mange af vores brugere har hverken pas eller kørekort. Uden billedlegitimation kan de ikke få MitID, "
                "og uden MitID kan de næsten ingenting.",
                "MitID",
                "both",
                "Kirkens Korshær",
                12,
                (
                    _s("looking", "Vi samler eksempler og ser på, hvilke andre dokumenter der kan bruges."),
                    _s(
                        "unsolvable",
                        "Kravene til identifikation er fastsat nationalt, og Borgerservice kan ikke fravige dem. "
                        "Eksemplerne er givet videre til Digitaliseringsstyrelsen.",
                    ),
                ),
            ),
            DemoItem(
                "Frister fra Jobcentret ligger i e-Boks",
                "Indkaldelser med frister kommer kun digitalt. Vores brugere har sjældent en telefon med strøm, og så "
                "bliver ydelsen trukket.",
                "Jobcentret",
                "digital",
                "Blå Kors",
                9,
                (
                    _s(
                        "forwarded",
                        "Sendt videre med forslag om, at indkaldelser også sendes som SMS og til kontaktadressen.",
                        "Jobcentret",
                    ),
                ),
            ),
            DemoItem(
                "Lægevagten kræver, at man kan ringe og vente",
                "Man skal ringe til Lægevagten og vente længe i køen. Det kan man ikke fra et taletidskort, der er ved "
                "at løbe tør.",
                "Lægevagten",
                "physical",
                "Kirkens Korshær",
                6,
                (_s("looking", "Vi har bedt regionen om at fortælle, hvilke andre veje der er ind til Lægevagten."),),
            ),
            DemoItem(
                "Gebyr for nyt sundhedskort",
                "Det gule kort bliver ofte stjålet eller mistet. Et nyt koster penge, som vores brugere ikke har.",
                "Sundhedskort",
                "physical",
                "Gadejuristen",
                7,
                (
                    _s("looking", "Vi undersøger, hvornår gebyret kan fritages."),
                    _s(
                        "changed",
                        "Borgerservice fritager nu for gebyret, når man modtager kontanthjælp eller er uden fast "
                        "bopæl. Medarbejderne ved skranken er orienteret.",
                    ),
                ),
            ),
            DemoItem(
                "Borgerservice har åbent, når værestedet har lukket",
                "Vores brugere kommer på værestedet om eftermiddagen, men da har Borgerservice lukket.",
                "Borgerservice",
                "physical",
                "Frivilligcenter",
                5,
                (
                    _s(
                        "solved",
                        "Borgerservice har nu træffetid på værestedet hver anden onsdag kl. 13–15, med MitID, post "
                        "og sundhedskort.",
                    ),
                ),
            ),
            DemoItem(
                "Kvittering for fremmøde kan ikke printes",
                "Jobcentret vil have dokumentation for, at man har været i Borgerservice, men skranken kan ikke "
                "printe en kvittering.",
                "Borgerservice",
                "physical",
                "Blå Kors",
                4,
                (
                    _s("solved", "Skranken kan nu printe en kvittering med dato og tid."),
                    _s("reopened", "Kvitteringen mangler stadig navnet på sagen, så Jobcentret afviser den."),
                ),
            ),
            DemoItem(
                "Ingen computer på herberget til boligsøgning",
                "Boliganvisningen foregår kun på nettet. På herberget er der én computer, og den er altid optaget.",
                "Boliganvisningen",
                "digital",
                "SAND – De hjemløses landsorganisation",
                5,
                fresh=True,
            ),
        ),
    ),
    DemoSeries(
        "internationale",
        "International citizens – where do you hit red tape?",
        "Representatives of the city's international citizens and the organisations that welcome them",
        "Every quarter Borgerservice meets representatives of international citizens. You set the agenda: where "
        "do newcomers run into trouble with the Danish public sector, online or at the counter? Here is what "
        "became of each point raised.",
        "en",
        "Borgerservice, meeting room 2",
        (
            "International House",
            "Red Cross language café",
            "The university's international office",
            "Expat Partner Network",
        ),
        (
            DemoItem(
                "No CPR number without a job contract, no job contract without a CPR number",
                "Newcomers are asked for a CPR number by the employer and for a contract by the CPR office. They go "
                "round in circles for weeks.",
                "Folkeregistret",
                "physical",
                "International House",
                10,
                (
                    _s(
                        "explained",
                        "A signed offer letter is enough to register. We have written this on the English page for "
                        "newcomers and told International House's advisers.",
                    ),
                ),
            ),
            DemoItem(
                "MitID for newcomers without a Danish passport",
                "Getting MitID with a foreign passport means extra appointments and documents nobody told you about.",
                "MitID",
                "both",
                "Expat Partner Network",
                8,
                (
                    _s("looking", "We are collecting cases to see where the process stops."),
                    _s(
                        "forwarded",
                        "Forwarded with the cases and a request for a clear English checklist.",
                        "Digitaliseringsstyrelsen",
                    ),
                ),
            ),
            DemoItem(
                "Letters in Digital Post are only in Danish",
                "Important letters about tax and benefits arrive only in Danish. Online translators get the legal "
                "words wrong.",
                "Digital Post",
                "digital",
                "Red Cross language café",
                9,
                (
                    _s(
                        "unsolvable",
                        "Decisions from public authorities are written in Danish, and we cannot translate them all. "
                        "The library's language café helps read letters every Thursday.",
                    ),
                ),
            ),
            DemoItem(
                "The health card takes six weeks to arrive",
                "Until the yellow card arrives, you cannot see your GP, and the temporary letter is not accepted "
                "everywhere.",
                "Sundhedskort",
                "physical",
                "The university's international office",
                7,
                (_s("looking", "We are asking why the cards take so long and will report at the next meeting."),),
            ),
            DemoItem(
                "How to report a change of address in English",
                "The page for moving house on borger.dk has no English version, so people get the form wrong.",
                "borger.dk",
                "digital",
                "International House",
                6,
                (
                    _s("looking", "We checked which pages newcomers use most."),
                    _s(
                        "changed",
                        "The municipality's page now has an English guide with screenshots for moving house.",
                    ),
                ),
            ),
            DemoItem(
                "The booking site for Borgerservice is only in Danish",
                "You cannot book an appointment unless you can read Danish.",
                "Borgerservice",
                "digital",
                "Expat Partner Network",
                5,
                (_s("solved", "The booking site now has an English version; the link is on the front page."),),
            ),
            DemoItem(
                "The preliminary income assessment from SKAT is confusing",
                "Newcomers do not understand the forskudsopgørelse and end up owing tax at the end of the year.",
                "SKAT",
                "digital",
                "The university's international office",
                8,
                (
                    _s(
                        "explained",
                        "SKAT offers English guidance and a phone line in English; we link to both on our page.",
                    ),
                    _s("reopened", "The English phone line has closed. We will raise this again."),
                ),
            ),
            DemoItem(
                "Exchanging a foreign driving licence",
                "Which licences can be exchanged, and do I need a medical certificate first?",
                "Kørekort",
                "both",
                "",
                4,
                fresh=True,
            ),
        ),
    ),
    DemoSeries(
        "unge",
        "Unge og det offentlige – hvor møder I bøv?",
        "Unge mellem 15 og 25 og dem, der arbejder med unge til daglig",
        "Den nyeste af Borgerservices dialoggrupper: unge og offentlig digitalisering. Fortæl, hvor I støder på "
        "bøv, når I flytter hjemmefra, får Digital Post eller skal have pas og kørekort.",
        "da",
        "Ungdomsskolen, café-lokalet",
        ("Red Barnet Ungdom", "Ungdomsskolen", "Elevrådet på gymnasiet", "UU-vejledningen", "Headspace"),
        (
            DemoItem(
                "Ingen ved, at man får Digital Post som 15-årig",
                "Brevene ligger der bare, og forældrene tror, de stadig får dem. Så misser man fx tid hos tandlægen.",
                "Digital Post",
                "digital",
                "Elevrådet på gymnasiet",
                9,
                (
                    _s("looking", "Vi ser på, hvordan de unge får besked i dag."),
                    _s(
                        "changed",
                        "Alle 15-årige får nu et kort brev på papir om Digital Post, og Borgerservice besøger 9. "
                        "klasserne hvert forår.",
                    ),
                ),
            ),
            DemoItem(
                "MitID under 18 kræver en forælder",
                "Man skal have en forælder med for at få MitID, selvom man bor på efterskole langt væk.",
                "MitID",
                "physical",
                "Red Barnet Ungdom",
                7,
                (
                    _s(
                        "explained",
                        "Fra 15 år kan man få MitID uden forældre, hvis man har pas eller kørekort med. Yngre skal "
                        "have samtykke fra en forælder; det kan gives digitalt på forhånd.",
                    ),
                ),
            ),
            DemoItem(
                "Skattekortet til fritidsjobbet er forkert",
                "Mange unge betaler for meget i skat, fordi forskudsopgørelsen ikke passer til et fritidsjob.",
                "SKAT",
                "digital",
                "UU-vejledningen",
                6,
                (
                    _s(
                        "forwarded",
                        "Sendt videre med forslag om en enkel vejledning til unge med fritidsjob.",
                        "Skattestyrelsen",
                    ),
                ),
            ),
            DemoItem(
                "Boligstøtte til ungdomsbolig – hvad skal man vide?",
                "Når man flytter hjemmefra, ved man ikke, at man selv skal søge boligstøtte, og hvornår.",
                "Boligstøtte",
                "digital",
                "Ungdomsskolen",
                8,
                (_s("looking", "Vi laver en tjekliste til at flytte hjemmefra sammen med Ungdomsskolen."),),
            ),
            DemoItem(
                "Eget sundhedskort og lægevalg ved 15 år",
                "Man kan vælge sin egen læge som 15-årig, men det står ingen steder, hvordan.",
                "Sundhedskort",
                "both",
                "Headspace",
                5,
                (
                    _s(
                        "solved",
                        "Vejledningen står nu på kommunens side for unge, og skranken hjælper med lægevalget.",
                    ),
                ),
            ),
            DemoItem(
                "Hurtigt pas er for dyrt",
                "Når man opdager for sent, at passet er udløbet, koster det ekstra at få det hurtigt.",
                "Pas",
                "physical",
                "Elevrådet på gymnasiet",
                4,
                (
                    _s(
                        "unsolvable",
                        "Gebyret for et hurtigt pas er fastsat af staten; kommunen kan ikke ændre det. Vi sender nu "
                        "en påmindelse om udløb til unge på Digital Post.",
                    ),
                ),
            ),
            DemoItem(
                "Borgerservice har kun åbent i skoletiden",
                "Man skal tage fri fra skole for at få hjælp i Borgerservice.",
                "Borgerservice",
                "physical",
                "Red Barnet Ungdom",
                10,
                (
                    _s("changed", "Borgerservice har nu åbent til kl. 18 om torsdagen."),
                    _s("reopened", "Torsdagsåbningen er kun for tidsbestilling, og tiderne er væk på få timer."),
                ),
            ),
            DemoItem(
                "Hvor bestiller man lægeattest og tid til teoriprøve?",
                "Til kørekortet skal man have en lægeattest og bestille teoriprøve. Det er uklart, hvem man skal "
                "gå til først.",
                "Kørekort",
                "both",
                "",
                6,
                fresh=True,
            ),
        ),
    ),
]


def load_series(database: Database, now: datetime | None = None) -> list[str]:
    """Load each demo series that is not there yet; returns the slugs loaded (none when all were there)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    loaded = []
    for spec in SERIES:
        with database.read() as db:
            if db.exec(select(Series).where(Series.slug == spec.slug)).first() is not None:
                continue
        try:
            with database.write() as db:
                _insert_series(db, spec, now)
        except IntegrityError:
            continue  # another instance loaded it first
        loaded.append(spec.slug)
    return loaded


def _insert_series(db: Session, spec: DemoSeries, now: datetime) -> None:
    from liveboard.domain import items as items_domain
    from liveboard.domain import series as series_domain

    rng = random.Random(spec.slug)
    held_at = (now - timedelta(days=HELD_DAYS_AGO)).replace(hour=13, minute=0, second=0, microsecond=0)
    coming_at = (now + timedelta(days=COMING_IN_DAYS)).replace(hour=13, minute=0, second=0, microsecond=0)
    series = Series(
        slug=spec.slug,
        title=spec.title,
        audience=spec.audience,
        description=spec.description,
        language=spec.language,
        created_at=held_at - timedelta(days=60),
    )
    db.add(series)
    db.flush()
    organisations = "\n".join(spec.organisations)
    held = series_domain.schedule(db, series, {"starts": held_at, "place": spec.place, "organisations": organisations})
    members = []
    for number in range(MEMBERS):
        members.append(
            Member(
                series_id=series.id,  # type: ignore[arg-type]
                token=secrets.token_urlsafe(24),
                created_at=held_at - timedelta(days=40 - number),
            )
        )
        db.add(members[-1])
    db.flush()

    def raise_item(spec_item: DemoItem, raised: datetime) -> Item:
        author = rng.choice(members)
        item = items_domain.propose(
            db,
            series,
            author,
            {
                "title": spec_item.title,
                "story": spec_item.story,
                "service": spec_item.service,
                "channel": spec_item.channel,
                "organisation": spec_item.organisation,
            },
        )
        item.created_at = raised
        db.add(item)
        others = [m for m in members if m.id != author.id]
        for supporter in rng.sample(others, min(spec_item.support, len(others))):
            items_domain.toggle_support(db, series, supporter, item.id)
        db.flush()
        return item

    # Raised before the held meeting: on its agenda.
    before = [spec_item for spec_item in spec.items if not spec_item.fresh]
    raised_items = []
    for number, spec_item in enumerate(before):
        raised = held_at - timedelta(days=30 - 3 * number, hours=rng.randrange(8))
        raised_items.append((spec_item, raise_item(spec_item, raised)))
    series_domain.close(db, series, held.id, now=held_at + timedelta(hours=2))
    # The follow-up since: steps spread between the held meeting and now.
    span = (now - held_at).total_seconds()
    for number, (spec_item, item) in enumerate(raised_items):
        count = len(spec_item.steps)
        for index, (status, text, forwarded_to) in enumerate(spec_item.steps):
            share = (index + 1 + number / len(raised_items)) / (count + 1.5)
            day = held_at + timedelta(seconds=int(span * share * 0.9))
            at = day.replace(hour=8 + rng.randrange(7), minute=rng.randrange(60), second=0)  # office hours
            items_domain.step(
                db,
                series,
                item.id,
                {"status": status, "text": text, "forwarded_to": forwarded_to, "author": BORGERSERVICE},
                now=at,
            )
    # Raised since the held meeting, waiting for the next one.
    for number, spec_item in enumerate(s for s in spec.items if s.fresh):
        raise_item(spec_item, now - timedelta(days=9 + 4 * number, hours=rng.randrange(8)))
    # The next meeting: what is still open carries over onto its agenda.
    series_domain.schedule(db, series, {"starts": coming_at, "place": spec.place, "organisations": organisations})
    db.flush()
