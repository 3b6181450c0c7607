"""How qpid-printevents prints events: the classic one-line text, or one JSON line each.

The classic tool (Python 2) printed each event's arguments in the iteration order of a Python 2
dict filled in the order qpidd sends the keys (sorted), and maps as Python 2 reprs. Both are
reproduced here by simulating CPython 2.7's string hash and dict probing, so any event class,
known or not, prints its arguments in the order the classic tool would have.

JSON lines (``--json``), one per event, with these keys:

- ``broker``: the broker address as given on the command line (password masked);
- ``timestamp``: when the broker raised the event, ISO 8601 in UTC;
- ``package``, ``class``, ``severity`` (emerg, alert, crit, error, warn, note, info, debug);
- ``arguments``: the event's arguments, typed (numbers, booleans, strings, objects).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from qpidtools.events import Event

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MASK64 = (1 << 64) - 1
_PY2_DICT_MINSIZE = 8
_PERTURB_SHIFT = 5


def classic_time(moment: datetime) -> str:
    """``%c`` of the C locale in UTC, as the classic tool printed: ``Tue Dec  1 07:04:13 2026``."""
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:2d} "
        f"{moment:%H:%M:%S} {moment.year}"
    )


def py2_hash(key: Any) -> int:
    """CPython 2.7's (unrandomized, 64-bit) hash of a str, unicode or int key."""
    if isinstance(key, bool | int):
        return -2 if key == -1 else int(key)
    text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
    if not text:
        return 0
    value = (ord(text[0]) << 7) & _MASK64
    for char in text:
        value = ((1000003 * value) & _MASK64) ^ ord(char)
    value = (value ^ len(text)) & _MASK64
    if value >= 1 << 63:
        value -= 1 << 64
    return -2 if value == -1 else value


def _slot(table: list[Any], hashed: int) -> int:
    mask = len(table) - 1
    index, perturb = hashed & mask, hashed & _MASK64
    while table[index & mask] is not None:
        index = (index << 2) + index + perturb + 1
        perturb >>= _PERTURB_SHIFT
    return index & mask


def py2_order(keys: list[Any]) -> list[Any]:
    """The order a Python 2 dict iterates ``keys`` in, inserted in the order given."""
    table: list[Any] = [None] * _PY2_DICT_MINSIZE
    for used, key in enumerate(keys, 1):
        table[_slot(table, py2_hash(key))] = key
        if used * 3 >= len(table) * 2:  # dictresize to the smallest power of 2 > 4 * used
            size = _PY2_DICT_MINSIZE
            while size <= 4 * used:
                size <<= 1
            old, table = [k for k in table if k is not None], [None] * size
            for k in old:
                table[_slot(table, py2_hash(k))] = k
    return [key for key in table if key is not None]


def py2_repr(value: Any) -> str:
    """A value inside a map as Python 2 printed it: ``u'text'``, ``'binary'``, ``True``."""
    if isinstance(value, str):
        return "u" + repr(value)
    if isinstance(value, bytes):
        return repr(value)[1:]
    if isinstance(value, dict):
        items = (f"{py2_repr(k)}: {py2_repr(value[k])}" for k in py2_order(sorted(value)))
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(py2_repr(item) for item in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))  # proton's ulong, uint, ... print as plain numbers
    if isinstance(value, float):
        return repr(float(value))
    return str(value)


def classic_value(value: Any) -> str:
    """An argument's text: strings raw (so an empty one prints nothing), maps as reprs."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, str):
        return value
    return py2_repr(value)


def classic_line(event: Event) -> str:
    values = event.wire_arguments
    arguments = "".join(
        f" {plain_key(key)}={classic_value(values[key])}" for key in py2_order(sorted(values))
    )
    return f"{classic_time(event.timestamp)} {event.package}:{event.name}{arguments}"


def plain_key(key: Any) -> str:
    return key.decode(errors="replace") if isinstance(key, bytes) else str(key)


def notice_line(moment: datetime, what: str, broker: str) -> str:
    """The classic tool's own lines: ``... NOTIC qpid-printevents:brokerConnected broker=...``."""
    return f"{classic_time(moment)} NOTIC qpid-printevents:{what} broker={broker}"


def json_line(event: Event) -> str:
    document = {
        "broker": event.broker,
        "timestamp": event.timestamp.isoformat(),
        "package": event.package,
        "class": event.name,
        "severity": event.severity,
        "arguments": event.arguments,
    }
    return json.dumps(document, default=str)
