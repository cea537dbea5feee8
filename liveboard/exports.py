"""The harvest as documents to take away: Markdown for a newsletter or a council paper, CSV for a spreadsheet,
JSON for everything else.

Each is made from one `Harvest` (`domain.harvest.load`), the same read model as the report page, so the page and
every export say the same. The URLs `/e/{slug}/report.md|.csv|.json` and `liveboard export SLUG --format …` both
call `export`, so a file saved from either is the same file.

Nothing here depends on the moment it runs (the CLI and a browser ask at different moments and must agree), only
on the harvest and the current language.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from liveboard import charts, i18n
from liveboard.domain import audit
from liveboard.domain import harvest as harvesting
from liveboard.domain.attendance import Curve
from liveboard.domain.harvest import Harvest, NoteView, SessionHarvest
from liveboard.models import Event

CSV_COLUMNS = [
    "note_id",
    "session_id",
    "session",
    "room",
    "round",
    "kind",
    "text",
    "author",
    "themes",
    "support",
    "highlighted",
    "source",
    "created_at",
]
#: `report.csv` is plain RFC 4180 (commas, UTF-8, no byte order mark): what scripts, LibreOffice, Google Sheets
#: and Numbers read. Danish Excel (any Excel whose list separator is ";", where the decimal mark is a comma)
#: splits a double-clicked CSV on ";" only and reads UTF-8 only after a byte order mark; without them every row
#: lands in one cell and "æøå" turn into "Ã¦Ã¸Ã¥". So `report.csv?excel=1` is that variant.
EXCEL_DELIMITER = ";"
BOM = "\ufeff"


@dataclass(frozen=True)
class Format:
    media_type: str
    #: The file's name ends with this (`demo-harvest.csv`).
    suffix: str
    #: (harvest, database session for the snapshot, host view?) → the document's text.
    make: Callable[[Harvest, Session, bool], str]


def kinds() -> list[tuple[str, str]]:
    """Note kinds in the order the report lists them, with their headings in the current language."""
    return [
        ("idea", i18n.gettext("Ideas")),
        ("experience", i18n.gettext("Experiences")),
        ("proposal", i18n.gettext("Proposals")),
    ]


def attendance_of(session: SessionHarvest) -> Curve:
    """A session's attendance during its round (see `charts.in_round`)."""
    return charts.in_round(session.curve, session.cell.round.starts, session.cell.round.ends)


def when(event: Event) -> str:
    """The evening's date and hours, as a reader says them: "12. marts 2026, 18.30–21.40"."""
    if event.starts is None:
        return ""
    day = i18n.date(event.starts, event.timezone, "long")
    hours = i18n.time(event.starts, event.timezone)
    if event.ends is not None:
        hours += "–" + i18n.time(event.ends, event.timezone)
    return f"{day}, {hours}"


def context(harvest: Harvest) -> dict[str, Any]:
    """What the report page and the Markdown both show, beyond the harvest itself."""
    event = harvest.event
    return {
        "event": event,
        "harvest": harvest,
        "figures": harvest.figures,
        "kinds": kinds(),
        "when": when(event),
        "final": event.phase == "ended",
        "attendance_of": attendance_of,
        "peak_text": lambda curve: charts.peak_text(curve, event.timezone),
        "session_title": session_titles(harvest),
        "highlights": any(v.note.highlighted for v in all_notes(harvest)),
    }


def all_notes(harvest: Harvest) -> list[NoteView]:
    """Every listed note once, in the order they were written."""
    views = [v for s in harvest.sessions for v in s.notes] + harvest.unplaced
    return sorted(views, key=lambda v: (v.note.created_at, v.note.id or 0))


def session_titles(harvest: Harvest) -> Callable[[NoteView], str]:
    """The title a note is filed under: its pitch's, also when its session has left the programme."""
    titles = {p.id: p.title for p in harvest.board.pitches}
    titles |= {s.cell.pitch.id: s.cell.pitch.title for s in harvest.sessions}
    return lambda view: titles.get(view.note.pitch_id, "")


# --- Markdown --------------------------------------------------------------------------------------------------


def markdown(harvest: Harvest, _db: Session | None = None, _host: bool = False) -> str:
    from liveboard.web.templating import render

    text = render("report/report.md", **context(harvest))
    # Blank lines the template's blocks leave behind: never more than one in a row, and one newline at the end.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1]):
            lines.append(line.rstrip())
    return "\n".join(lines).rstrip() + "\n"


# --- CSV -------------------------------------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) is prefixed
    with a quote, so it shows as the text it is."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(harvest: Harvest) -> list[list[str]]:
    """One row per note: the sessions in programme order, then notes of sessions no longer in it."""
    title = session_titles(harvest)
    rows: list[list[str]] = []
    placed = [(s.notes, s.cell.session.id, s.cell.room.name, s.cell.round.label) for s in harvest.sessions]
    for views, session_id, room, round_label in [*placed, (harvest.unplaced, None, "", "")]:
        for view in views:
            note = view.note
            rows.append(
                [
                    str(note.id),
                    "" if session_id is None else str(session_id),
                    title(view),
                    room,
                    round_label,
                    note.kind,
                    note.text,
                    note.author,
                    "; ".join(view.themes),
                    str(view.support),
                    "yes" if note.highlighted else "no",
                    note.source,
                    note.created_at.isoformat(),
                ]
            )
    return rows


def csv_text(harvest: Harvest, _db: Session | None = None, _host: bool = False, *, excel: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=EXCEL_DELIMITER if excel else ",")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(harvest):
        writer.writerow([neutralise(cell) for cell in row])
    return (BOM if excel else "") + out.getvalue()


def excel_text(harvest: Harvest, db: Session | None = None, host: bool = False) -> str:
    return csv_text(harvest, db, host, excel=True)


# --- JSON ------------------------------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def document(harvest: Harvest, db: Session, host: bool) -> dict[str, Any]:
    """Everything: the contract's snapshot (host view for hosts), the notes with their themes and support, the
    attendance log (whose it was only for hosts) and each session's curve in its round."""
    from liveboard.eventfile import event_data

    figures = harvest.figures
    return {
        **event_data(db, harvest.event, host=host),
        "notes": [
            {
                "id": v.note.id,
                "session_id": v.note.session_id,
                "pitch_id": v.note.pitch_id,
                "kind": v.note.kind,
                "text": v.note.text,
                "author": v.note.author,
                "created_at": iso(v.note.created_at),
                "updated_at": iso(v.note.updated_at),
                "source": v.note.source,
                "highlighted": v.note.highlighted,
                "support": v.support,
                "themes": v.themes,
            }
            for v in all_notes(harvest)
        ],
        "attendance": [
            {
                "session_id": entry.session_id,
                "pitch_id": entry.pitch_id,
                "action": entry.action,
                "at": iso(entry.at),
                **({"participant_id": entry.participant_id} if host else {}),
            }
            for entry in harvest.log
        ],
        "curves": [_curve(s) for s in harvest.sessions],
        "figures": {
            "participants": figures.participants,
            "pitches": figures.pitches,
            "sessions": figures.sessions,
            "notes": figures.notes,
            "supports": figures.supports,
            "peak": figures.peak,
            "peak_at": iso(figures.peak_at),
        },
        "themes": [{"theme": theme, "notes": [v.note.id for v in views]} for theme, views in harvest.by_theme.items()],
        "top_proposals": [v.note.id for v in harvest.top_proposals],
        **({"log": log_rows(db, harvest.event)} if host else {}),
    }


def log_rows(db: Session, event: Event) -> list[dict[str, Any]]:
    """The event's audit log for hosts, oldest first: who (the account) did what, to which thing, and when."""
    return [
        {
            "at": iso(entry.at),
            "actor": entry.actor,
            "action": entry.action,
            "subject": entry.subject,
            "detail": entry.detail,
            "data": entry.data,
        }
        for entry in reversed(audit.entries(db, event, limit=None))
    ]


def log_csv(db: Session, event: Event) -> str:
    """The same log as a spreadsheet; what the code stored as values stays JSON in one column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["at", "actor", "action", "subject", "detail", "data"])
    for row in log_rows(db, event):
        data = json.dumps(row["data"], ensure_ascii=False, sort_keys=True) if row["data"] else ""
        # Every cell, as in the other CSV exports: a username may start with "-" ("-1-1" is a formula).
        cells = [row["at"], row["actor"] or "", row["action"], row["subject"], row["detail"], data]
        writer.writerow([neutralise(cell) for cell in cells])
    return BOM + out.getvalue()


def _curve(session: SessionHarvest) -> dict[str, Any]:
    curve = attendance_of(session)
    return {
        "session_id": session.cell.session.id,
        "pitch_id": session.cell.pitch.id,
        "peak": curve.peak,
        "peak_at": iso(curve.peak_at),
        "points": [{"at": iso(moment), "present": count} for moment, count in curve.points],
    }


def json_text(harvest: Harvest, db: Session, host: bool) -> str:
    return json.dumps(document(harvest, db, host), ensure_ascii=False, indent=2) + "\n"


FORMATS = {
    "md": Format("text/markdown; charset=utf-8", "md", markdown),
    "csv": Format("text/csv; charset=utf-8", "csv", csv_text),
    "excel": Format("text/csv; charset=utf-8", "csv", excel_text),
    "json": Format("application/json; charset=utf-8", "json", json_text),
}


def export(db: Session, event: Event, name: str, *, host: bool, now: datetime) -> str:
    """The event's harvest in the format `name`, in the current language."""
    return FORMATS[name].make(harvesting.load(db, event, now), db, host)
