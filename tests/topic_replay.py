"""Listeners on `qmf.default.topic` for replaying the 3xx topic captures against a double.

A :class:`Listener` attaches an AMQP 1.0 receiver with the recorded source filter and keeps
every message it gets as a record like the captures' (section by section, AMQP types kept).
:func:`settle` waits until each listener got every message the double routed to its topic
queue so far, so that what one step received is exactly that step's.
"""

from __future__ import annotations

from typing import Any

from proton import Delivery, Described, Event, Handler
from proton.reactor import Filter
from proton.utils import BlockingConnection
from qmf_replay import _Collector, decode, record_of

from qpidtools.testing import BrokerDouble, wait_for
from qpidtools.testing.model import LOCK

TOPIC = "qmf.default.topic"


def decode_filter(value: Any) -> Any:
    """The captures' tagged filter map, with `$described` values, as proton values."""
    if isinstance(value, dict) and set(value) == {"$described"}:
        inner = value["$described"]
        return Described(decode(inner["descriptor"]), decode_filter(inner["value"]))
    if isinstance(value, dict) and set(value) == {"$map"}:
        return {decode(key): decode_filter(item) for key, item in value["$map"]}
    return decode(value)


class Listener:
    """One recorded listener: its own connection and receiver, and what arrived so far."""

    def __init__(self, address: str, recorded: dict[str, Any]) -> None:
        self.conn = BlockingConnection(address, timeout=10)
        self.collector = _Collector()
        sent = recorded["filter_sent"]
        options = None if sent is None else Filter(decode_filter(sent))
        self.receiver = self.conn.create_receiver(
            TOPIC, credit=500, handler=self.collector, options=options
        )
        link = self.receiver.link
        self.queue = f"{self.conn.container.container_id}_{link.name}"
        self.taken = 0
        data = link.remote_source.filter
        data.rewind()
        self.attach = {
            "remote_source_address": link.remote_source.address,
            "remote_source_filter": data.get_object() if data.next() else None,
            "remote_source_dynamic": link.remote_source.dynamic,
        }

    def pump(self) -> int:
        """Let proton deliver what has arrived; returns how many messages came in all."""
        container = self.conn.container
        container.timeout = 0.01
        container.process()
        return len(self.collector.raw)

    def take(self) -> list[dict[str, Any]]:
        """The records that arrived since the last call."""
        records = [record_of(raw) for raw in self.collector.raw[self.taken :]]
        self.taken = len(self.collector.raw)
        return records

    def close(self) -> None:
        self.conn.close()


def routed(double: BrokerDouble, listener: Listener) -> int:
    """How many messages the double has put on the listener's topic queue."""
    with LOCK:
        queue = double.state.queues.get(listener.queue)
        return 0 if queue is None else int(queue.stats["msgTotalEnqueues"])


def settle(double: BrokerDouble, listeners: list[Listener], at_least: dict[int, int]) -> None:
    """Until every listener got all the double routed to it (and at least ``at_least[i]``)."""

    def done() -> bool:
        for index, listener in enumerate(listeners):
            got = listener.pump()
            if got < listener.taken + at_least.get(index, 0) or got < routed(double, listener):
                return False
        return True

    def state() -> str:
        return ", ".join(
            f"{len(listener.collector.raw)} of {routed(double, listener)} routed, "
            f"{listener.taken} taken before"
            for listener in listeners
        )

    try:
        wait_for(done, timeout=20, what="the listeners to receive what the double routed")
    except TimeoutError as error:
        raise TimeoutError(f"{error}: {state()}; wanted at least {at_least}") from None


class _Taker(Handler):
    """Accepts what arrives and never gives more credit."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_delivery(self, event: Event) -> None:
        delivery, link = event.delivery, event.link
        assert delivery is not None and link is not None
        if delivery.readable and not delivery.partial:
            link.recv(delivery.pending)
            link.advance()
            delivery.update(Delivery.ACCEPTED)
            delivery.settle()
            self.count += 1


def consume(address: str, queue: str, count: int) -> None:
    """Take exactly ``count`` messages off a queue (proton's blocking receiver may take more)."""
    conn = BlockingConnection(address, timeout=10)
    try:
        taker = _Taker()
        receiver = conn.create_receiver(queue, credit=count, handler=taker)
        conn.wait(lambda: taker.count >= count, msg=f"{count} messages from {queue}")
        receiver.close()  # kept until here: its finalizer would unset the handler
    finally:
        conn.close()
