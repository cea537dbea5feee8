"""The tables. Invariants that must hold under concurrency are constraints here, not only checks in Python.

Times are aware datetimes in UTC (SQLModel's UTCDateTime); an event's `timezone` says how to show them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def fk(target: str, *, ondelete: str = "CASCADE", nullable: bool = False, index: bool = True) -> Column:
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


PITCH_STATUSES = ("pending", "approved", "rejected", "merged")
NOTE_KINDS = ("idea", "experience", "proposal")
#: Where a note came from: a participant's phone, a session's note-taker link, or a host.
NOTE_SOURCES = ("phone", "taker", "host")
ATTENDANCE_ACTIONS = ("join", "leave")
PHASES = ("setup", "pitching", "running", "ended")


class Setting(SQLModel, table=True):
    """Installation-wide values that must survive restarts and be shared by every instance (the secret key)."""

    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=400)


class Event(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("phase IN ('setup', 'pitching', 'running', 'ended')", name="event_phase"),
        CheckConstraint("version >= 0", name="event_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    title: str = Field(max_length=200)
    language: str = Field(default="da", max_length=5)
    venue: str = Field(default="", max_length=200)
    timezone: str = Field(default="Europe/Copenhagen", max_length=60)
    starts: datetime | None = None
    ends: datetime | None = None
    phase: str = Field(default="pitching", max_length=10)
    pitching_open: bool = True
    #: Rises with every committed change of the event; clients use it to know what they have seen.
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    #: When a host last opened the door posters for printing; the console's checklist asks for it.
    posters_printed_at: datetime | None = None


class Room(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("event_id", "name", name="room_name_unique"),
        CheckConstraint("capacity > 0", name="room_capacity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    name: str = Field(max_length=60)
    capacity: int
    location: str = Field(default="", max_length=120)
    position: int = 0


class Round(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("event_id", "label", name="round_label_unique"),
        CheckConstraint("ends > starts", name="round_ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    label: str = Field(max_length=60)
    starts: datetime
    ends: datetime


class Participant(SQLModel, table=True):
    """An anonymous person at one event, known only by the random token in their signed cookie.

    `liveboard purge` clears `token` and `name`: the rows (and so the counts) stay, the link to a person goes.
    """

    __table_args__ = (UniqueConstraint("event_id", "token", name="participant_token_unique"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    token: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=60)
    lang: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(default_factory=utcnow)
    #: Set while a host has blocked this participant (`domain.blocking`): their notes and pending pitches are
    #: withheld from every view, not deleted, and come back when it is cleared.
    blocked_at: datetime | None = Field(default=None)


class Pitch(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'merged')", name="pitch_status"),
        CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name="pitch_merged_has_target"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="pitch_not_merged_into_itself"),
        Index("pitch_event_status", "event_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id", index=False))
    title: str = Field(max_length=80)
    story: str = Field(default="", max_length=600)
    author: str = Field(default="", max_length=60)
    status: str = Field(default="pending", max_length=10)
    merged_into_id: int | None = Field(default=None, sa_column=fk("pitch.id", ondelete="RESTRICT", nullable=True))
    participant_id: int | None = Field(default=None, sa_column=fk("participant.id", ondelete="SET NULL", nullable=True))
    #: "phone" when a participant sent it, "host" when typed in from a paper card.
    source: str = Field(default="phone", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Interest(SQLModel, table=True):
    """One row per participant and pitch: the primary key is the once-per-person rule."""

    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    )
    pitch_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pitch.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow)


class Session(SQLModel, table=True):
    """A pitch placed in a room × round. One session per cell is a unique constraint.

    That a pitch holds at most one cell per round is kept by the scheduling transaction, which locks the event
    row first: a unique constraint there would make a swap of two sessions' pitches impossible in one step.
    """

    __tablename__ = "session"
    __table_args__ = (
        UniqueConstraint("room_id", "round_id", name="session_cell_unique"),
        UniqueConstraint("id", "round_id", name="session_id_round"),
        UniqueConstraint("note_key", name="session_note_key_unique"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    pitch_id: int = Field(sa_column=fk("pitch.id", ondelete="RESTRICT"))
    room_id: int = Field(sa_column=fk("room.id", ondelete="RESTRICT"))
    round_id: int = Field(sa_column=fk("round.id", ondelete="RESTRICT"))
    #: The secret in this session's note-taker link; None until a host makes one. A new one revokes the old.
    note_key: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Presence(SQLModel, table=True):
    """Who is in which session now. At most one per participant and round, by constraint.

    `round_id` repeats the session's round so the database can enforce the rule; the composite foreign key
    keeps the copy true.
    """

    __table_args__ = (
        UniqueConstraint("participant_id", "round_id", name="presence_one_per_round"),
        ForeignKeyConstraint(
            ["session_id", "round_id"],
            ["session.id", "session.round_id"],
            name="presence_session_round",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(sa_column=fk("participant.id", index=False))
    round_id: int = Field(index=False)
    session_id: int = Field(index=True)
    since: datetime = Field(default_factory=utcnow)


class Note(SQLModel, table=True):
    """A harvest note. It belongs to the pitch as well as the session, so removing a session loses nothing.

    Curation never deletes: a hidden note stays (and can be shown again), an edited one keeps its old text in
    the audit log, a merged one points at the note it was folded into.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('idea', 'experience', 'proposal')", name="note_kind"),
        CheckConstraint("source IN ('phone', 'taker', 'host')", name="note_source"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="note_not_merged_into_itself"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    pitch_id: int = Field(sa_column=fk("pitch.id", ondelete="RESTRICT"))
    session_id: int | None = Field(default=None, sa_column=fk("session.id", ondelete="SET NULL", nullable=True))
    participant_id: int | None = Field(
        default=None, sa_column=fk("participant.id", ondelete="SET NULL", nullable=True, index=False)
    )
    kind: str = Field(max_length=12)
    text: str = Field(max_length=1000)
    author: str = Field(default="", max_length=60)
    source: str = Field(default="phone", max_length=8, sa_column_kwargs={"server_default": "phone"})
    hidden: bool = False
    highlighted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    merged_into_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("note.id", ondelete="SET NULL", name="note_merged_into"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None


class NoteTheme(SQLModel, table=True):
    """A free tag on a note ("transport", "loneliness"); the report groups notes across sessions by them."""

    __tablename__ = "note_theme"

    note_id: int = Field(sa_column=Column(Integer, ForeignKey("note.id", ondelete="CASCADE"), primary_key=True))
    theme: str = Field(primary_key=True, max_length=40)


class Support(SQLModel, table=True):
    """A participant's +1 on a note: once each, by the primary key."""

    note_id: int = Field(sa_column=Column(Integer, ForeignKey("note.id", ondelete="CASCADE"), primary_key=True))
    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow)


class Attendance(SQLModel, table=True):
    """Every join and leave, appended and never changed: each session's attendance over time comes from it.

    The session may later leave the grid (its id becomes NULL here); the pitch keeps the history readable.
    """

    __table_args__ = (
        CheckConstraint("action IN ('join', 'leave')", name="attendance_action"),
        Index("attendance_event_at", "event_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id", index=False))
    session_id: int | None = Field(default=None, sa_column=fk("session.id", ondelete="SET NULL", nullable=True))
    pitch_id: int = Field(sa_column=fk("pitch.id", ondelete="RESTRICT", index=False))
    participant_id: int | None = Field(
        default=None, sa_column=fk("participant.id", ondelete="SET NULL", nullable=True, index=False)
    )
    action: str = Field(max_length=5)
    at: datetime = Field(default_factory=utcnow)


class Announcement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    text: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Append-only record of every host action: who did what to which thing, and when.

    `actor` is the account's username (rows from before accounts existed say "admin"; the command line writes
    "@cli", which no username can be). `detail` is what a person typed (a title, a name), kept as written;
    `data` is what the code knows of the action (a phase, a target's id, a text as it was before), stored as
    values so the log can say them in the reader's language without parsing text.
    """

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, sa_column=fk("event.id", nullable=True))
    series_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("series.id", ondelete="CASCADE", name="audit_series"), nullable=True, index=True
        ),
    )
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(default="admin", max_length=60, index=True)
    action: str = Field(max_length=60)
    subject: str = Field(default="", max_length=60)
    detail: str = Field(default="", max_length=4000)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- hosts' accounts ----------------------------------------------------------------------------------------------

ROLES = ("organiser", "host")


class Account(SQLModel, table=True):
    """A host who logs in as themselves. `admin` (an organiser) always exists; its password comes from
    `LIVEBOARD_ADMIN_PASSWORD`. Others get theirs through a one-time invitation.

    Only a slow salted hash of the password is stored (argon2id, see `domain.accounts`). A disabled account keeps
    its row, so the log still names who did what.
    """

    __table_args__ = (CheckConstraint("role IN ('organiser', 'host')", name="account_role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=80)
    role: str = Field(default="host", max_length=10)
    #: None until the invitation is used.
    password_hash: str | None = Field(default=None, max_length=255)
    disabled_at: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    #: The username of the organiser who made it ("" for admin and the command line).
    created_by: str = Field(default="", max_length=40)


class HostSession(SQLModel, table=True):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of the
    database cannot be replayed as a cookie. Logging out or disabling the account deletes the row: the cookie
    then matches nothing, even replayed."""

    __tablename__ = "host_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(sa_column=fk("account.id"))
    created_at: datetime = Field(default_factory=utcnow)
    #: Refreshed at most once a minute while the host is active; past the idle limit the session is over.
    last_seen_at: datetime = Field(default_factory=utcnow)


class Invitation(SQLModel, table=True):
    """A one-time link for a new host to choose their password: used once, within its days, then 410."""

    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(sa_column=fk("account.id"))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    created_by: str = Field(default="", max_length=40)


# --- dialogue-meeting series ------------------------------------------------------------------------------------

ITEM_CHANNELS = ("digital", "physical", "both")
#: A friction point's status is its last step's. `new` has no step; the closing ones end it until `reopened`.
ITEM_OPEN = ("new", "looking", "forwarded", "reopened")
ITEM_CLOSED = ("explained", "changed", "solved", "unsolvable")
ITEM_STEPS = ("looking", "forwarded", "explained", "changed", "solved", "unsolvable", "reopened")


class Series(SQLModel, table=True):
    """Recurring dialogue meetings with one target group (seniors, young people, …), and their agenda."""

    __table_args__ = (CheckConstraint("version >= 0", name="series_version"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    title: str = Field(max_length=200)
    #: Who it is for, in a line ("Repræsentanter for seniorerne i byen").
    audience: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    language: str = Field(default="da", max_length=5)
    timezone: str = Field(default="Europe/Copenhagen", max_length=60)
    #: Rises with every committed change of the series, as an event's does; its row is the series' lock.
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(sa_column=fk("series.id"))
    starts: datetime
    place: str = Field(default="", max_length=200)
    #: The invited organisations (NGOs, associations), one per line.
    organisations: str = Field(default="", max_length=2000)
    #: Set when the meeting has been held (closed): its open items then carry over to the next meeting.
    held_at: datetime | None = None
    #: The item being discussed now, shown on the wall screen.
    current_item_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("item.id", ondelete="SET NULL", name="meeting_current_item", use_alter=True),
            nullable=True,
        ),
    )
    created_at: datetime = Field(default_factory=utcnow)


class Member(SQLModel, table=True):
    """A series' anonymous participant: a random token in a signed cookie, as `Participant` is for an event.

    A series has no end, so its members are forgotten a while after their last visit (`domain.retention`): the
    token is cleared, their points and +1s stay, anonymous.
    """

    __table_args__ = (UniqueConstraint("series_id", "token", name="member_token_unique"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(sa_column=fk("series.id"))
    token: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    #: The member's last visit, to the day: refreshed at most once a day (`series.seen`). None on rows from before
    #: it was kept (migration 0006 sets those to `created_at`).
    last_seen_at: datetime | None = Field(default_factory=utcnow)


class Item(SQLModel, table=True):
    """A friction point ("bøv"): where citizens ran into trouble with a public service, and what became of it."""

    __table_args__ = (
        CheckConstraint("channel IN ('digital', 'physical', 'both')", name="item_channel"),
        CheckConstraint(
            "status IN ('new', 'looking', 'forwarded', 'explained', 'changed', 'solved', 'unsolvable', 'reopened')",
            name="item_status",
        ),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="item_not_merged_into_itself"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(sa_column=fk("series.id"))
    member_id: int | None = Field(default=None, sa_column=fk("member.id", ondelete="SET NULL", nullable=True))
    title: str = Field(max_length=120)
    story: str = Field(default="", max_length=1000)
    #: Which public service it happened with ("Borgerservice", "Udbetaling Danmark", …).
    service: str = Field(default="", max_length=80)
    channel: str = Field(default="both", max_length=8)
    #: The organisation a representative raised it for, if any.
    organisation: str = Field(default="", max_length=80)
    status: str = Field(default="new", max_length=12)
    merged_into_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("item.id", ondelete="SET NULL", name="item_merged_into"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)
    #: When its latest closing step was taken; None while it is open.
    closed_at: datetime | None = None


class Agenda(SQLModel, table=True):
    """An item on a meeting's agenda. An item carried over from an earlier meeting is on both."""

    item_id: int = Field(sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), primary_key=True))
    meeting_id: int = Field(
        sa_column=Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    carried_over: bool = False
    #: The host's order; None leaves the item where its support puts it.
    position: int | None = None


class ItemSupport(SQLModel, table=True):
    """A member's support for an item: once each, by the primary key."""

    __tablename__ = "item_support"

    item_id: int = Field(sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), primary_key=True))
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow)


class Step(SQLModel, table=True):
    """One step of an item's follow-up: appended, never changed, so the history stays honest."""

    __table_args__ = (
        CheckConstraint(
            "status IN ('looking', 'forwarded', 'explained', 'changed', 'solved', 'unsolvable', 'reopened')",
            name="step_status",
        ),
        CheckConstraint("status <> 'forwarded' OR forwarded_to <> ''", name="step_forwarded_to"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_column=fk("item.id"))
    status: str = Field(max_length=12)
    text: str = Field(max_length=2000)
    forwarded_to: str = Field(default="", max_length=120)
    #: Who wrote it, as shown in the public log ("Borgerservice", a host's name).
    author: str = Field(default="", max_length=80)
    at: datetime = Field(default_factory=utcnow)


class ScheduleProposal(SQLModel, table=True):
    """A grid the schedule assistant proposed for an event: kept until a host applies it, ticks some of it, or
    walks away. `grid` is the fingerprint of the sessions, rooms and rounds it was made from: once the grid has
    changed it can no longer be applied (new interest alone does not change it)."""

    __tablename__ = "schedule_proposal"
    __table_args__ = (CheckConstraint("mode IN ('fill', 'replan')", name="proposal_mode"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_column=fk("event.id"))
    mode: str = Field(max_length=10)
    made_at: datetime = Field(default_factory=utcnow)
    made_by: str = Field(default="", max_length=60)
    #: The event's version when it was made (the contract's JSON says it).
    version: int
    grid: str = Field(max_length=64)
    #: The solver's answer (`Answer.to_json(details=True)`), and `kept`: the sessions it left as they were.
    answer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    applied_at: datetime | None = None
    applied_by: str = Field(default="", max_length=60)
