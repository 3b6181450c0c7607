"""Small proton helpers written for any AMQP 1.0 broker; so far run against the double only."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from proton import Message, symbol
from proton.utils import BlockingConnection

T = TypeVar("T")


def connection_options(ha_admin: bool) -> dict[str, Any]:
    """Open-frame properties; a cluster backup only admits `qpid.ha-admin` connections."""
    return {"properties": {symbol("qpid.ha-admin"): 1}} if ha_admin else {}


def wait_for(
    condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, what: str = ""
) -> T:
    """Poll `condition` until it returns something truthy and return that; raise on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what or condition!r}")
        time.sleep(interval)


def send_messages(
    address: str,
    queue: str,
    count: int,
    *,
    body: str = "message",
    ha_admin: bool = False,
    subject: str | None = None,
) -> None:
    """Send `count` settled messages to a queue (or exchange) node, as `spout` would.

    `subject` is the routing key when the node is an exchange.
    """
    conn = BlockingConnection(address, timeout=10, **connection_options(ha_admin))
    try:
        sender = conn.create_sender(queue)
        for n in range(count):
            sender.send(Message(body=f"{body} {n}", subject=subject))
    finally:
        conn.close()


@contextmanager
def hold_consumer(address: str, queue: str, *, ha_admin: bool = False) -> Iterator[None]:
    """Keep a receiver (credit 0) attached to `queue`: the queue is in use while inside."""
    conn = BlockingConnection(address, timeout=10, **connection_options(ha_admin))
    try:
        conn.create_receiver(queue, credit=0)
        yield
    finally:
        conn.close()
