"""The `liveboard` command (and `python run.py`): serve, fetch assets, import, export and purge events, accounts,
back up the database.

`python run.py` without a subcommand serves, so `python run.py --demo --port 8080` works as the contract says.
Errors a person can fix (a bad event file, an unknown slug) print `error: …` and exit 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from liveboard import logs, migrate
from liveboard.config import ConfigError, Settings
from liveboard.db import Database
from liveboard.domain import accounts, audit, events
from liveboard.domain import purge as purging
from liveboard.domain import series as series_domain
from liveboard.domain.errors import DomainError
from liveboard.eventfile import EventFileError, import_event, import_series, is_series_file, load_toml
from liveboard.models import Event

USAGE_ERROR = 2
#: Seconds a stop (SIGTERM, Ctrl-C) waits for the requests under way before it cancels them: under the 30 s that
#: Kubernetes and Docker wait before they kill, well over any request's time (an export takes a second or two).
GRACE = 20
#: Events listed with their addresses at start; an installation with many keeps its banner short.
BANNER_EVENTS = 10


class CliError(Exception):
    """A problem the person at the keyboard can fix; printed as `error: …` with exit status 2."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(_with_default_command(list(sys.argv[1:] if argv is None else argv)))
    try:
        return args.run(args)
    except (CliError, ConfigError, EventFileError, DomainError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except SQLAlchemyError as error:
        print(f"error: database: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1


def _with_default_command(argv: list[str]) -> list[str]:
    """No subcommand means `serve`, also when only serve's flags are given (`run.py --demo`)."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        return ["serve", *argv]
    return argv


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liveboard", description="LiveBoard: the live part of citizen dialogue.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the app (the default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--demo", action="store_true", help="load the demo event first, unless it is there")
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="a line per request on the standard output (off by default: the proxy in front logs requests, and at "
        "a round start the lines cost the server a tenth of its time)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="text (default), or one JSON object per line for a log collector: host actions always, requests with "
        "--access-log; never cookies, passwords or query strings (default: LIVEBOARD_LOG_FORMAT, else text)",
    )
    serve.set_defaults(run=cmd_serve)

    assets = commands.add_parser("assets", help="fetch the pinned front-end files and check their hashes")
    assets.set_defaults(run=cmd_assets)

    load = commands.add_parser(
        "import", help='create or update an event, or a dialogue series (`series = "slug"`), from a TOML file'
    )
    load.add_argument("file", metavar="FILE.toml")
    load.set_defaults(run=cmd_import)

    export = commands.add_parser(
        "export", help="print an event's harvest: JSON (host view, with notes), Markdown or CSV"
    )
    export.add_argument("slug", metavar="SLUG")
    export.add_argument("--format", choices=sorted(EXPORTERS), default="json", help="output format (default json)")
    export.set_defaults(run=cmd_export)

    log = commands.add_parser(
        "series-log", help="print the public log of a dialogue series (or of all of them): JSON, Markdown or CSV"
    )
    log.add_argument("slug", metavar="SERIES", nargs="?", help="the series' slug; without it, all series")
    log.add_argument("--format", choices=("json", "md", "csv"), default="json", help="output format (default json)")
    log.set_defaults(run=cmd_series_log)

    purge = commands.add_parser(
        "purge",
        help="after an event: remove what identifies its participants (SLUG), or of everything past "
        "LIVEBOARD_RETENTION_DAYS (--expired)",
    )
    purge.add_argument("slug", metavar="SLUG", nargs="?", help="the event to purge")
    purge.add_argument(
        "--expired",
        action="store_true",
        help="instead of one event: every event ended LIVEBOARD_RETENTION_DAYS ago or more, and series members not "
        "seen for as long (what a running server does every hour)",
    )
    purge.add_argument("--yes", action="store_true", help="really do it (without it, only say what would go)")
    purge.set_defaults(run=cmd_purge)

    accounts_ = commands.add_parser("accounts", help="hosts' accounts: invite (add), list, disable")
    accounts_.set_defaults(run=lambda _args: accounts_.print_help(sys.stderr) or USAGE_ERROR)
    account_commands = accounts_.add_subparsers(title="commands", metavar="COMMAND")
    add = account_commands.add_parser("add", help="a new account; prints its one-time invitation link")
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--role", required=True, metavar="host|organiser", help="what the account may do")
    add.add_argument("--name", help="the name shown in the log and on the accounts page (default: the username)")
    add.add_argument("--url", help="the public address the link starts with (default: LIVEBOARD_PUBLIC_URL)")
    add.set_defaults(run=cmd_accounts_add)
    listing = account_commands.add_parser("list", help="every account: role, status, last login")
    listing.set_defaults(run=cmd_accounts_list)
    disable = account_commands.add_parser("disable", help="the account can no longer log in; its sessions end")
    disable.add_argument("username", metavar="USERNAME")
    disable.set_defaults(run=cmd_accounts_disable)

    schedule = commands.add_parser(
        "schedule", help="propose a grid from interest: for an event (SLUG), or for a problem file (--problem)"
    )
    schedule.add_argument("slug", metavar="SLUG", nargs="?", help="the event to propose a grid for")
    schedule.add_argument(
        "--mode", choices=("fill", "replan"), help="for SLUG: keep the grid and fill (default), or plan again"
    )
    schedule.add_argument("--apply", action="store_true", help="for SLUG: put the proposal in the grid")
    schedule.add_argument(
        "--problem", metavar="FILE.json", help="solve this problem file ('-': stdin); nothing is stored"
    )
    schedule.add_argument(
        "--seed", type=int, default=0, help="the heuristic's seed: same seed, same answer (default 0)"
    )
    schedule.add_argument(
        "--time-limit",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="stop searching after this long (default 10)",
    )
    schedule.set_defaults(run=cmd_schedule)

    backup = commands.add_parser(
        "backup",
        help="a consistent copy of the SQLite database, also while the server runs (PostgreSQL: docs/deploy.md)",
    )
    backup.add_argument("file", metavar="FILE", help="where the copy goes (written in full, then renamed)")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(run=cmd_backup)
    return parser


@contextmanager
def _database(settings: Settings | None = None) -> Iterator[Database]:
    """The configured database, migrated to the current schema before anything reads it."""
    database = Database((settings or Settings.from_env()).database_url)
    try:
        migrate.upgrade(database.engine)
        yield database
    finally:
        database.dispose()


# --- serve -----------------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from liveboard.memory import collect_less, return_freed_memory

    return_freed_memory()  # before the first worker thread and the first password hash
    import uvicorn

    settings = Settings.from_env(log_format=args.log_format)
    log_config = logs.config(
        settings.log_format, instance=f"{socket.gethostname()}:{args.port}", access_log=args.access_log
    )
    if log_config is not None:
        logging.config.dictConfig(log_config)  # before anything logs; uvicorn applies it again, to the same effect
    database = Database(settings.database_url)
    migrate.upgrade(database.engine)
    _ensure_assets(structured=log_config is not None)
    if args.demo:
        from liveboard.demo import load_demo

        load_demo(database)
    from liveboard.app import create_app
    from liveboard.live.endpoint import MAX_MESSAGE

    app = create_app(settings, database)
    with database.read() as db:
        known = events.all_events(db)
    base = _base_url(settings, args.host, args.port)
    if log_config is None:
        print(_banner(base, known, app.state, demo_first=args.demo), flush=True)
    else:
        _log_banner(base, known, app.state)
    collect_less()
    # The default (text): uvicorn's own configuration, and its access log with --access-log.
    text = {} if log_config is None else {"log_config": log_config}
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ws=_ws_protocol(access_log=args.access_log),
        ws_per_message_deflate=False,
        ws_max_size=MAX_MESSAGE,
        log_level="info",
        access_log=args.access_log and log_config is None,
        lifespan="on",
        timeout_graceful_shutdown=GRACE,
        **text,
    )
    return 0


def _log_banner(base: str, known: list[Event], state: Any) -> None:
    """The banner as a log line: the address and the events, without the generated admin password (a log is
    read by more people than a terminal)."""
    log = logging.getLogger("liveboard.serve")
    fields = {"url": base, "events": [event.slug for event in known[:BANNER_EVENTS]]}
    log.info("LiveBoard is running at %s", base, extra={"fields": fields})
    if getattr(state, "admin_password_generated", False):
        log.warning("no LIVEBOARD_ADMIN_PASSWORD: admin has a password generated for this run, not logged; set one")


def _stopped(_signal: int, _frame: Any) -> NoReturn:
    """SIGTERM is a stop asked for, so it ends with exit status 0.

    uvicorn handles the signal itself while it serves: it stops accepting connections, closes live sockets with 1012
    (service restart: pages reconnect at once, to this server once it is back or to another instance), lets the
    requests under way finish (at most `GRACE` seconds), then runs the app's shutdown (the writer commits what is
    queued). Then it raises the signal again with the handler that was there before it, to end the process the way
    the signal asked: this one, instead of the default's "killed by SIGTERM" (status 143, a failure to some
    supervisors). Before uvicorn runs, it simply ends the process."""
    raise SystemExit(0)


def _ensure_assets(*, structured: bool = False) -> None:
    """Fetch htmx when missing. Offline, start anyway: pages still work as plain forms, without live updates."""
    from liveboard.assets import AssetError, ensure_assets

    try:
        ensure_assets()
    except AssetError as error:
        lines = (
            f"front-end files are missing and could not be fetched: {error}",
            "pages work without live updates until `liveboard assets` succeeds.",
        )
        for line in lines:
            if structured:
                logging.getLogger("liveboard.serve").warning(line)
            else:
                print(f"warning: {line}", file=sys.stderr)


def _ws_protocol(*, access_log: bool) -> str | type:
    """uvicorn's sans-I/O `websockets` protocol (the one `live/wire.py` writes frames through); without
    `--access-log`, without its lines for every socket (`live/protocol.py`)."""
    if access_log:
        return "websockets-sansio"
    from liveboard.live.protocol import QuietSockets

    return QuietSockets


def _base_url(settings: Settings, host: str, port: int) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _banner(base: str, known: list[Event], state: Any, *, demo_first: bool) -> str:
    if demo_first:
        known = sorted(known, key=lambda e: e.slug != "demo")
    lines = ["", f"LiveBoard is running at {base}"]
    for event in known[:BANNER_EVENTS]:
        lines += [
            "",
            f"  {event.title} ({event.slug})",
            f"    phones:  {base}/e/{event.slug}",
            f"    screen:  {base}/e/{event.slug}/screen",
            f"    host:    {base}/e/{event.slug}/host",
        ]
    if len(known) > BANNER_EVENTS:
        lines.append(f"  … and {len(known) - BANNER_EVENTS} more events")
    if not known:
        lines += ["", "  No events yet: `liveboard import FILE.toml` adds one, `python run.py --demo` the demo."]
    lines += ["", f"Host login: {base}/host/login (leave the username empty to be admin); then {base}/host"]
    if getattr(state, "admin_password_generated", False):
        lines += [
            f"Admin password (generated for this run): {state.admin_password}",
            "  Set LIVEBOARD_ADMIN_PASSWORD to choose one that survives a restart.",
        ]
    return "\n".join([*lines, ""])


# --- assets, import, export, purge ----------------------------------------------------------------------------


def cmd_assets(_args: argparse.Namespace) -> int:
    from liveboard.assets import AssetError, fetch_assets

    try:
        paths = fetch_assets(force=True)
    except AssetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    data = load_toml(args.file)  # a bad file is refused before the database is touched
    with _database() as database:
        result = import_series(database, data) if is_series_file(data) else import_event(database, data)
    print(result.summary())
    return 0


def _exporter(name: str) -> Callable[[Session, Event], str]:
    """The export `name` as the URL serves it to a host, in the event's own language (a shell has none)."""

    def run(db: Session, event: Event) -> str:
        from liveboard import exports, i18n

        with i18n.using(i18n.pick(event.language) or i18n.DEFAULT):
            return exports.export(db, event, name, host=True, now=datetime.now(UTC))

    return run


#: Export formats by name; each turns an event into the text printed, the same text as `/e/{slug}/report.{name}`.
EXPORTERS: dict[str, Callable[[Session, Event], str]] = {name: _exporter(name) for name in ("json", "md", "csv")}


def cmd_export(args: argparse.Namespace) -> int:
    with _database() as database, database.read() as db:
        event = events.by_slug(db, args.slug)
        text = EXPORTERS[args.format](db, event)
    # Bytes, as served: the CSV keeps its byte order mark and CRLF line ends, whatever the terminal's encoding.
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


def cmd_series_log(args: argparse.Namespace) -> int:
    """The same text as `/s/{series}/log.{format}` (or `/s/log.{format}` without a slug), in the series' language
    (Danish for all series)."""
    from liveboard import i18n, series_exports
    from liveboard.domain import series as series_domain

    with _database() as database, database.read() as db:
        if args.slug:
            logs = [series_exports.load(db, series_domain.by_slug(db, args.slug))]
            lang = i18n.pick(logs[0].series.language) or i18n.DEFAULT
        else:
            logs, lang = series_exports.load_all(db), i18n.DEFAULT
        with i18n.using(lang):
            text = series_exports.export(logs, args.format, across=not args.slug)
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    if args.expired:
        if args.slug is not None:
            raise CliError("give an event's SLUG or --expired, not both")
        return _purge_expired(args)
    if args.slug is None:
        raise CliError("give an event's SLUG, or --expired for everything past LIVEBOARD_RETENTION_DAYS")
    with _database() as database:
        if not args.yes:
            with database.read() as db:
                event = events.by_slug(db, args.slug)
                raise CliError(_purge_warning(event, purging.preview(db, event)))
        with database.write() as db:
            db.info["actor"] = audit.CLI
            event = events.by_slug(db, args.slug)
            counts = purging.purge(db, event)
    print(
        f"Purged {args.slug}: {counts['participants']} participants, {counts['notes']} notes and "
        f"{counts['pitches']} pitches no longer identify anyone. Pitches, notes and counts are kept."
    )
    return 0


def _purge_expired(args: argparse.Namespace) -> int:
    """`purge --expired`: the retention sweep a running server makes every hour, once, now (actor `@retention`)."""
    from liveboard import housekeeping
    from liveboard.domain import retention

    settings = Settings.from_env()
    days, now = settings.retention_days, datetime.now(UTC)
    with _database(settings) as database:
        if not args.yes:
            with database.read() as db:
                due = retention.sweep(db, now, days)
                lines = [
                    f"purge --expired needs --yes. With LIVEBOARD_RETENTION_DAYS={days} it would remove:",
                    *(_expired_event(db, event_id) for event_id in due.events),
                    *(_expired_members(db, series_id, now, days) for series_id in due.series),
                ]
            if not due.events and not due.series:
                lines.append("  - nothing: no event that ended so long ago holds personal data, nor any series member")
            lines += [
                "It keeps the anonymous harvest: pitches, notes, points, interest, support and presence counts.",
                "Run `liveboard purge --expired --yes` to do it. It cannot be undone.",
            ]
            raise CliError("\n".join(lines))
        swept = housekeeping.sweep_once(database, now, days)
        with database.read() as db:
            slugs = {e.id: e.slug for e in events.all_events(db)}
            names = {s.id: s.slug for s in series_domain.all_series(db)}
    for event_id, counts in swept.events.items():
        print(
            f"Purged {slugs.get(event_id, event_id)}: {counts['participants']} participants, {counts['notes']} notes "
            f"and {counts['pitches']} pitches no longer identify anyone."
        )
    for series_id, counts in swept.series.items():
        print(
            f"Forgot {counts['members']} members of the series {names.get(series_id, series_id)} not seen for "
            f"{days} days; their {counts['items']} points are kept, anonymous."
        )
    if not swept.events and not swept.series:
        print(f"Nothing to purge: nothing is past LIVEBOARD_RETENTION_DAYS={days}.")
    return 0


def _expired_event(db: Session, event_id: int) -> str:
    event = db.get(Event, event_id)
    assert event is not None
    counts = purging.preview(db, event)
    return (
        f"  - {event.slug}: the cookie tokens and names of {counts['participants']} participants, the author names "
        f"and links of {counts['notes']} notes and {counts['pitches']} pitches"
    )


def _expired_members(db: Session, series_id: int, now: datetime, days: int) -> str:
    from liveboard.domain import retention

    series, count = retention.members_due(db, series_id, now, days)
    return f"  - the series {series.slug}: the cookie tokens of {count} members not seen for {days} days"


def _purge_warning(event: Event, counts: dict[str, int]) -> str:
    lines = [
        f"purge needs --yes. For {event.slug} it would remove:",
        f"  - the cookie tokens and names of {counts['participants']} participants"
        " (their phones no longer link to anything they did)",
        f"  - the author names and participant links of {counts['notes']} notes",
        f"  - the participant links of {counts['pitches']} pitches, and their author names when sent from a phone",
        "It keeps the anonymous harvest: pitches, notes, interest and presence counts.",
    ]
    if event.phase != "ended":
        lines.append(f"The event is still in its {event.phase} phase: phones in use now would lose their link.")
    lines.append(f"Run `liveboard purge {event.slug} --yes` to do it. It cannot be undone.")
    return "\n".join(lines)


# --- accounts ------------------------------------------------------------------------------------------------------

#: Where an invitation link points when neither `--url` nor LIVEBOARD_PUBLIC_URL says: `liveboard serve`'s default.
DEFAULT_BASE = "http://127.0.0.1:8000"


def cmd_accounts_add(args: argparse.Namespace) -> int:
    """A new account, and its invitation link on stdout (only the link, for scripts)."""
    settings = Settings.from_env()
    base = (args.url or settings.public_url or DEFAULT_BASE).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise CliError(f"--url must start with http:// or https://, not {base!r}")
    fields = {"username": args.username, "name": args.name or args.username, "role": args.role}
    with _database(settings) as database, database.write() as db:
        db.info["actor"] = audit.CLI
        _, token = accounts.create(db, fields, by="", now=datetime.now(UTC))
    print(f"{base}/host/invite/{token}")
    return 0


def cmd_accounts_list(_args: argparse.Namespace) -> int:
    """A plain table, one account a line: username, name, role, status, last login (on the clock of Denmark)."""
    with _database() as database, database.read() as db:
        listed = accounts.listing(db, datetime.now(UTC))
    rows = [("USERNAME", "NAME", "ROLE", "STATUS", "LAST LOGIN")]
    rows += [
        (row.account.username, row.account.name, row.account.role, _status(row), _when(row.account.last_login_at))
        for row in listed
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip())
    return 0


def _status(row: accounts.Listed) -> str:
    if row.status == "disabled":
        return f"disabled since {_when(row.account.disabled_at)}"
    if row.status == "invited":
        return f"invited, link valid until {_when(row.invited_until)}"
    if row.status == "expired":
        return "invited, link expired"
    return "active" + (f", new link valid until {_when(row.invited_until)}" if row.invited_until else "")


def _when(moment: datetime | None) -> str:
    from liveboard import i18n

    at = i18n.local(moment)
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else "never"


def cmd_accounts_disable(args: argparse.Namespace) -> int:
    with _database() as database, database.write() as db:
        db.info["actor"] = audit.CLI
        sessions = accounts.active_sessions(db)
        account = accounts.disable(db, args.username, now=datetime.now(UTC))
    ended = sessions.get(account.id, 0)  # type: ignore[arg-type]
    print(f"Disabled {account.username}: it can no longer log in, and its {ended} sessions have ended.")
    return 0


# --- schedule --------------------------------------------------------------------------------------------------------


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def cmd_schedule(args: argparse.Namespace) -> int:
    """`SLUG`: a proposal for the event, kept (see `_schedule_event`). `--problem FILE.json`: the answer JSON on
    stdout, nothing stored, no database opened. A bad file prints `error: FILE.json: <where>: <what>` and no
    answer."""
    if args.problem is None:
        if args.slug is None:
            raise CliError("give an event's SLUG, or a problem file with --problem FILE.json")
        return _schedule_event(args)
    if args.slug is not None or args.mode is not None or args.apply:
        raise CliError("--problem takes no SLUG, --mode or --apply: a problem file is only solved and printed")
    from liveboard import solver  # numpy and HiGHS load only for this command

    name = "stdin" if args.problem == "-" else args.problem
    try:
        raw = sys.stdin.buffer.read() if args.problem == "-" else open(args.problem, "rb").read()  # noqa: SIM115
    except OSError as error:
        raise CliError(f"{name}: {error.strerror or error}") from None
    try:
        problem = solver.loads(raw)
    except solver.ProblemError as error:
        raise CliError(f"{name}: {error}") from None
    limit = solver.TIME_LIMIT if args.time_limit is None else args.time_limit
    answer = solver.solve(problem, seed=args.seed, time_limit=limit)
    sys.stdout.buffer.write((json.dumps(answer.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    sys.stdout.flush()
    return 0


def _schedule_event(args: argparse.Namespace) -> int:
    """`liveboard schedule SLUG`: a proposal made and kept as the host console makes it, printed as the JSON of
    `/e/{slug}/host/schedule/proposals/{id}.json`; with `--apply`, applied as one change (actor `@cli`)."""
    from liveboard import solver
    from liveboard.domain import proposals

    mode = args.mode or "fill"
    limit = solver.TIME_LIMIT if args.time_limit is None else args.time_limit
    with _database() as database:
        made = proposals.make(
            database, args.slug, mode, by=audit.CLI, now=datetime.now(UTC), seed=args.seed, time_limit=limit
        )
        if args.apply:
            with database.write() as db:
                db.info["actor"] = audit.CLI
                event = events.by_slug(db, args.slug)
                proposals.apply(db, event, proposals.get(db, event, made.id), None, datetime.now(UTC))
        with database.read() as db:
            data = proposals.as_json(proposals.get(db, events.by_slug(db, args.slug), made.id))
    sys.stdout.buffer.write((json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    sys.stdout.flush()
    return 0


# --- backup ----------------------------------------------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    """A copy of the database LIVEBOARD_DATABASE_URL names, as one commit left it (`liveboard.backup`). A reason
    not to copy (PostgreSQL, FILE exists, no such directory) exits 2; a copy that failed on the way exits 1."""
    from liveboard.backup import BackupFailed, BackupRefused, backup

    settings = Settings.from_env()
    try:
        copied = backup(settings.database_url, Path(args.file), force=args.force)
    except BackupRefused as error:
        raise CliError(str(error)) from None
    except BackupFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Backed up {copied.source} to {copied.target} ({copied.size:,} bytes; integrity check ok).")
    return 0
