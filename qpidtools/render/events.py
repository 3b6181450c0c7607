"""How qpid-printevents prints events: the classic one-line text, or one JSON line each.

The classic tool (Python 2) printed each event's arguments in the iteration order of a Python 2
dict filled in the order qpidd sends the keys (sorted), and maps as Python 2 reprs; both come
from :mod:`qpidtools.render.classic`, so any event class, known or not, prints its arguments in
the order the classic tool would have.

JSON lines (``--json``), one per event, with these keys:

- ``broker``: the broker address as given on the command line (password masked);
- ``timestamp``: when the broker raised the event, ISO 8601 in UTC;
- ``package``, ``class``, ``severity`` (emerg, alert, crit, error, warn, note, info, debug);
- ``arguments``: the event's arguments, typed (numbers, booleans, strings, objects).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qpidtools.events import Event
from qpidtools.render import json_line as json_document_line
from qpidtools.render.classic import classic_time, py2_order, py2_str


def classic_line(event: Event) -> str:
    values = {plain_key(key): value for key, value in event.wire_arguments.items()}
    arguments = "".join(f" {key}={py2_str(values[key])}" for key in py2_order(sorted(values)))
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
    return json_document_line(document)
