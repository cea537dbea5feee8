"""The schedule problem as the contract's problem file gives it: rooms, rounds, pitches with who marked them, pins.

Parsing refuses a bad file with one `ProblemError` whose message names the place and what is wrong
(`pitches[3].interested[2]: must be a string or an integer`), so the CLI and the host's page can say it as it
is. Ids are JSON strings or integers and keep their type: `"7"` and `7` are different ids, as in the file, and
the answer gives each back as it came. Booleans are refused as ids, since Python would take `true` for `1`.

Beyond the contract's keys, a room may carry a `name`, a round a `label` and a pitch a `title`: the event
mode passes them so that the reasons can say "→ Store sal" rather than "→ 3". Any other key is refused, so
a misspelt `"intrested"` is an error, not a pitch that nobody wants.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A JSON id: a string or an integer, kept as given.
Id = str | int


class ProblemError(ValueError):
    """A problem file that cannot be solved as given; the message names where and what."""


@dataclass(frozen=True)
class Room:
    id: Id
    capacity: int
    name: str | None = None

    @property
    def shown(self) -> str:
        return self.name or f"room {self.id}"


@dataclass(frozen=True)
class Round:
    id: Id
    label: str | None = None


@dataclass(frozen=True)
class Pitch:
    id: Id
    #: Who pitched it; two pitches of the same non-empty host never share a round. None: nobody in particular.
    host: Id | None = None
    #: The participants who marked it, each once.
    interested: tuple[Id, ...] = ()
    title: str | None = None

    @property
    def shown(self) -> str:
        return self.title or f"pitch {self.id}"


@dataclass(frozen=True)
class Pin:
    """A cell the host has fixed: it is in the answer as given."""

    pitch: Id
    room: Id
    round: Id


@dataclass(frozen=True)
class Problem:
    rooms: tuple[Room, ...] = ()
    rounds: tuple[Round, ...] = ()
    pitches: tuple[Pitch, ...] = ()
    pinned: tuple[Pin, ...] = ()

    def room_index(self) -> dict[Id, int]:
        return _ids(self.rooms)

    def round_index(self) -> dict[Id, int]:
        return _ids(self.rounds)

    def pitch_index(self) -> dict[Id, int]:
        return _ids(self.pitches)


def _ids(items: Sequence[Room | Round | Pitch]) -> dict[Id, int]:
    return {item.id: i for i, item in enumerate(items)}


# --- reading a file ---------------------------------------------------------------------------------------------


def loads(raw: bytes | str) -> Problem:
    """The problem in a file's bytes (UTF-8 JSON), validated."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProblemError(f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start}") from None
        text = text.removeprefix("\ufeff")  # a byte order mark, as Windows editors write it
    else:
        text = raw
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ProblemError(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    return parse(data)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ProblemError(f'not valid: the key "{key}" appears twice in one object')
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ProblemError(f"not JSON: {name} is not a number JSON allows")


# --- parsing the JSON value -------------------------------------------------------------------------------------

_TOP = {"rooms": True, "rounds": True, "pitches": True, "pinned": False}  # key -> required
_ROOM = {"id": True, "capacity": True, "name": False}
_ROUND = {"id": True, "label": False}
_PITCH = {"id": True, "host": False, "interested": False, "title": False}
_PIN = {"pitch": True, "room": True, "round": True}


def parse(data: object) -> Problem:
    """The problem in a parsed JSON value, validated: every error names its place in the file."""
    top = _object(data, "the problem", _TOP)
    problem = Problem(
        rooms=tuple(_room(item, f"rooms[{i}]") for i, item in enumerate(_list(top, "rooms"))),
        rounds=tuple(_round(item, f"rounds[{i}]") for i, item in enumerate(_list(top, "rounds"))),
        pitches=tuple(_pitch(item, f"pitches[{i}]") for i, item in enumerate(_list(top, "pitches"))),
        pinned=tuple(_pin(item, f"pinned[{i}]") for i, item in enumerate(_list(top, "pinned"))),
    )
    validate(problem)
    return problem


def _object(value: object, where: str, keys: Mapping[str, bool]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(f"{where}: must be an object, not {_kind(value)}")
    for key in value:
        if key not in keys:
            raise ProblemError(f'{where}: unknown key "{key}" (known: {", ".join(keys)})')
    for key, required in keys.items():
        if required and key not in value:
            raise ProblemError(f'{where}: missing key "{key}"')
    return value


def _list(top: Mapping[str, Any], key: str) -> list[Any]:
    value = top.get(key, [])
    if not isinstance(value, list):
        raise ProblemError(f"{key}: must be a list, not {_kind(value)}")
    return value


def _id(value: object, where: str) -> Id:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProblemError(f"{where}: must be a string or an integer, not {_kind(value)}")
    if value == "":
        raise ProblemError(f"{where}: must not be empty")
    return value


def _text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProblemError(f"{where}: must be a string, not {_kind(value)}")
    return value


def _room(value: object, where: str) -> Room:
    item = _object(value, where, _ROOM)
    capacity = item["capacity"]
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise ProblemError(f"{where}.capacity: must be a whole number, not {_kind(capacity)}")
    if capacity < 0:
        raise ProblemError(f"{where}.capacity: must not be negative (it is {capacity})")
    return Room(id=_id(item["id"], f"{where}.id"), capacity=capacity, name=_text(item.get("name"), f"{where}.name"))


def _round(value: object, where: str) -> Round:
    item = _object(value, where, _ROUND)
    return Round(id=_id(item["id"], f"{where}.id"), label=_text(item.get("label"), f"{where}.label"))


def _pitch(value: object, where: str) -> Pitch:
    item = _object(value, where, _PITCH)
    host = item.get("host")
    # The contract: only a non-empty host keeps pitches apart, so "" and null both mean nobody in particular.
    host = None if host == "" or host is None else _id(host, f"{where}.host")
    interested = item.get("interested", [])
    if not isinstance(interested, list):
        raise ProblemError(f"{where}.interested: must be a list, not {_kind(interested)}")
    people: dict[Id, int] = {}
    for i, person in enumerate(interested):
        who = _id(person, f"{where}.interested[{i}]")
        if who in people:
            raise ProblemError(f"{where}.interested[{i}]: {_show(who)} is already listed at [{people[who]}]")
        people[who] = i
    return Pitch(
        id=_id(item["id"], f"{where}.id"),
        host=host,
        interested=tuple(people),
        title=_text(item.get("title"), f"{where}.title"),
    )


def _pin(value: object, where: str) -> Pin:
    item = _object(value, where, _PIN)
    return Pin(
        pitch=_id(item["pitch"], f"{where}.pitch"),
        room=_id(item["room"], f"{where}.room"),
        round=_id(item["round"], f"{where}.round"),
    )


# --- the rules between the parts --------------------------------------------------------------------------------


def validate(problem: Problem) -> None:
    """Refuse duplicate ids, pins that name nothing, and pins that break a rule among themselves."""
    for name, items in (("rooms", problem.rooms), ("rounds", problem.rounds), ("pitches", problem.pitches)):
        seen: dict[Id, int] = {}
        for i, item in enumerate(items):
            if item.id in seen:
                raise ProblemError(f"{name}[{i}].id: {_show(item.id)} is already the id of {name}[{seen[item.id]}]")
            seen[item.id] = i
    rooms, rounds, pitches = problem.room_index(), problem.round_index(), problem.pitch_index()
    pitch_pin: dict[Id, int] = {}
    cell_pin: dict[tuple[Id, Id], int] = {}
    host_pin: dict[tuple[Id, Id], int] = {}
    for i, pin in enumerate(problem.pinned):
        where = f"pinned[{i}]"
        if pin.pitch not in pitches:
            raise ProblemError(f"{where}: pitch {_show(pin.pitch)} is not one of the pitches")
        if pin.room not in rooms:
            raise ProblemError(f"{where}: room {_show(pin.room)} is not one of the rooms")
        if pin.round not in rounds:
            raise ProblemError(f"{where}: round {_show(pin.round)} is not one of the rounds")
        if pin.pitch in pitch_pin:
            raise ProblemError(f"{where}: pitch {_show(pin.pitch)} is already pinned at pinned[{pitch_pin[pin.pitch]}]")
        cell = (pin.room, pin.round)
        if cell in cell_pin:
            raise ProblemError(
                f"{where}: room {_show(pin.room)} in round {_show(pin.round)} already holds pinned[{cell_pin[cell]}]"
            )
        host = problem.pitches[pitches[pin.pitch]].host
        if host is not None:
            key = (host, pin.round)
            if key in host_pin:
                raise ProblemError(
                    f"{where}: host {_show(host)} already has pinned[{host_pin[key]}] in round {_show(pin.round)}"
                )
            host_pin[key] = i
        pitch_pin[pin.pitch] = i
        cell_pin[cell] = i


def _show(value: Id) -> str:
    return json.dumps(value, ensure_ascii=False)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"the number {value!r}"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
    return kinds.get(type(value), type(value).__name__)
