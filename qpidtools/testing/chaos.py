"""A misbehaving broker: a double whose replies go wrong on purpose, for fault tests.

No capture shows qpidd doing any of this (except closing the connection or detaching the link
on a malformed request, which the double does anyway); these are the ways a broker that is
slow, stuck, buggy or not qpidd at all could answer, so the tools can be tested against them.
Choose one with ``BrokerDouble(chaos="MODE")`` or ``python -m qpidtools.testing --chaos MODE``:

- ``slow-pages=SECONDS``: every reply message after the first of a request comes SECONDS after
  the one before (default 0.2);
- ``hold-pages``: only the first page of each query reply is sent, the rest never;
- ``hold-replies``: requests are carried out (a change is made), but no reply is ever sent;
- ``wrong-types``: inside objects' values, method arguments and exceptions, strings become
  numbers, numbers strings, maps lists and lists maps;
- ``missing-keys``: objects lose their ``_object_id`` and ``_values``, method replies their
  ``_arguments``;
- ``non-map-bodies``: every reply body is a string;
- ``unknown-correlation``: every reply carries a correlation id nobody asked for;
- ``endless-pages``: every reply message is marked ``partial`` and the pages are sent again and
  again, while the reply queue exists;
- ``dangling-references``: every reference (``exchangeRef``, ``queueRef``, ...) names an object
  that does not exist;
- ``close-connection``, ``detach-link``: every request is answered as qpidd answers a list or a
  string body (captures 071): the connection closed, or the sender link detached.

Whenever a reply is held back, ``held`` is set and ``on_hold`` called with a line saying what
(``python -m qpidtools.testing`` prints it), so a test knows the moment to kill or freeze.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from proton import Message, ulong

from qpidtools.testing.agent import (
    CLOSE_CONNECTION,
    DETACH_LINK,
    Request,
    encode_message,
    plain,
)
from qpidtools.testing.model import LOCK, BrokerState, text_of

Deliver = Callable[[bytes], None]
MODES = (
    "slow-pages",
    "hold-pages",
    "hold-replies",
    "wrong-types",
    "missing-keys",
    "non-map-bodies",
    "unknown-correlation",
    "endless-pages",
    "dangling-references",
    "close-connection",
    "detach-link",
)
DEFAULT_DELAY_S = 0.2
ENDLESS_INTERVAL_S = 0.01
ENDLESS_ROUNDS = 100_000  # a bound, so a forgotten double stops eventually


class Chaos:
    """What a misbehaving double does to the replies of each request."""

    def __init__(self, spec: str, state: BrokerState) -> None:
        mode, _, seconds = spec.partition("=")
        if mode not in MODES:
            raise ValueError(f"unknown chaos mode {mode!r}: choose from {', '.join(MODES)}")
        self.mode = mode
        self.delay = float(seconds) if seconds else DEFAULT_DELAY_S
        self.state = state
        self.held = threading.Event()
        self.on_hold: Callable[[str], None] = lambda line: None

    def __call__(self, request: Request, deliver: Deliver) -> Deliver | str:
        """Either the action the server takes instead of answering, or how to deliver replies."""
        if self.mode == "close-connection":
            return CLOSE_CONNECTION
        if self.mode == "detach-link":
            return DETACH_LINK
        opcode = str(request.properties.get("qmf.opcode"))
        index = itertools.count()
        pages: list[bytes] = []

        def send(reply: bytes) -> None:
            self.send(next(index), opcode, reply, deliver, pages, request.reply_to or "")

        return send

    def send(
        self, index: int, opcode: str, reply: bytes, deliver: Deliver, pages: list[bytes], to: str
    ) -> None:
        """Send (or hold, delay, repeat, spoil) the ``index``-th reply message of a request."""
        if self.mode == "slow-pages" and index:
            self.later(index * self.delay, deliver, to, [reply], rounds=1)
        elif self.mode == "hold-replies" or (
            self.mode == "hold-pages" and index and opcode == "_query_request"
        ):
            self.hold(f"held reply message {index + 1} to a {opcode}")
        elif self.mode == "endless-pages":
            pages.append(spoil(reply, partial=True))
            deliver(pages[-1])
            if not is_partial(reply):
                self.later(ENDLESS_INTERVAL_S, deliver, to, pages, rounds=ENDLESS_ROUNDS)
        elif self.mode == "unknown-correlation":
            deliver(spoil(reply, correlation=lambda given: f"chaos-{given}"))
        elif self.mode in SPOILERS:
            deliver(spoil(reply, SPOILERS[self.mode]))
        else:
            deliver(reply)

    def later(
        self, delay: float, deliver: Deliver, to: str, pages: list[bytes], rounds: int
    ) -> None:
        """Send ``pages`` after ``delay``, ``rounds`` times, while the reply queue ``to`` exists."""

        def fire() -> None:
            with LOCK:
                if to not in self.state.queues:  # the client has gone (or the double stopped)
                    return
                for page in pages:
                    deliver(page)
            self.state.wake()
            if rounds > 1:
                self.later(ENDLESS_INTERVAL_S, deliver, to, pages, rounds - 1)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        timer.start()

    def hold(self, line: str) -> None:
        self.held.set()
        self.on_hold(line)


def is_partial(reply: bytes) -> bool:
    message = Message()
    message.decode(reply)
    return "partial" in (message.properties or {})


def same(value: Any) -> Any:
    return value


def spoil(
    reply: bytes,
    body: Callable[[Any], Any] = same,
    partial: bool = False,
    correlation: Callable[[Any], Any] = same,
) -> bytes:
    """The reply with its body or correlation id changed (or marked ``partial``), reframed."""
    message = Message()
    message.decode(reply)
    properties = dict(message.properties or {})
    if partial:
        properties["partial"] = ""
    return encode_message(
        properties,
        body(plain(message.body)),
        str(message.content_type),
        correlation(message.correlation_id),
    )


def wrong_types(body: Any) -> Any:
    """In objects' values, method arguments and exceptions, every value gets a wrong type."""
    if isinstance(body, list):
        return [wrong_types(obj) for obj in body]
    if isinstance(body, dict):
        return {
            key: {name: retype(item) for name, item in value.items()}
            if key in ("_values", "_arguments") and isinstance(value, dict)
            else value
            for key, value in body.items()
        }
    return body


def retype(value: Any) -> Any:
    """Strings become numbers, numbers strings, maps lists and lists maps."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str | bytes):
        return ulong(len(value))
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {f"k{n}": item for n, item in enumerate(value)}
    return value


def missing_keys(body: Any) -> Any:
    if isinstance(body, list):
        return [
            {k: v for k, v in obj.items() if k not in ("_object_id", "_values")} for obj in body
        ]
    if isinstance(body, dict) and "_arguments" in body:
        return {}
    return body


def dangling(value: Any) -> Any:
    """Every ``{_object_name: ...}`` below the objects' values names a missing object."""
    if isinstance(value, dict):
        if "_object_name" in value and set(value) <= {"_object_name", "_agent_epoch"}:
            package_and_class = text_of(value["_object_name"]).split(":")[:2]
            return {**value, "_object_name": ":".join([*package_and_class, "nowhere"]).encode()}
        return {key: dangling(item) for key, item in value.items()}
    if isinstance(value, list):
        return [dangling(item) for item in value]
    return value


def dangling_references(body: Any) -> Any:
    if not isinstance(body, list):
        return body
    return [{**obj, "_values": dangling(obj.get("_values", {}))} for obj in body]


SPOILERS: dict[str, Callable[[Any], Any]] = {
    "wrong-types": wrong_types,
    "missing-keys": missing_keys,
    "non-map-bodies": lambda body: "chaos",
    "dangling-references": dangling_references,
}
