"""Subscribe to the QMF events a broker publishes on ``qmf.default.topic``.

A typed event stream for scripts and for ``qpid-printevents``::

    from qpidtools import ConnectionSettings, parse_address
    from qpidtools.events import subscribe

    settings = ConnectionSettings(parse_address("localhost:5672"))
    with subscribe(settings, classes={"queueDeclare"}) as events:
        for event in events:
            print(event.timestamp, event.name, event.arguments["qName"])

Each broker gets one AMQP 1.0 receiver on ``qmf.default.topic`` whose ``subject-filter`` is a
binding key (by default ``agent.ind.event.*.*.*.#``, the key of the classic qpid-printevents).
A broker that goes away is reconnected about every second; :class:`EventStream` reports it as a
:class:`BrokerNotice`. proton is imported only when a receiver opens.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qpidtools.errors import QpidToolsError
from qpidtools.event_names import KNOWN_CLASSES, SEVERITIES
from qpidtools.transport import ConnectionSettings, open_blocking, translate_error

if TYPE_CHECKING:
    import proton
    from proton.utils import BlockingConnection, BlockingReceiver

__all__ = ["KNOWN_CLASSES", "SEVERITIES"]  # and the classes and functions below
TOPIC = "qmf.default.topic"
#: The binding key of the classic qpid-printevents: every event of every package.
EVENT_KEY = "agent.ind.event.*.*.*.#"
CREDIT = 1000
CLOSE_TIMEOUT = 1.0
RETRY_INTERVAL = 1.0
_POLL = 0.5  # how often a receiving thread looks whether it should stop


@dataclass(frozen=True)
class Event:
    """One QMF event: ``package:name`` with its arguments, as a broker raised it.

    ``arguments`` holds plain Python values (AMQP binary and string both as ``str``);
    ``wire_arguments`` keeps them as received, binary as ``bytes``, for the classic text.
    ``own`` marks the events of the receiving subscription itself (the queueDeclare and
    subscribe of its topic queue, which qpidd names ``<container id>_<link name>``).
    """

    broker: str
    package: str
    name: str
    severity: str
    timestamp: datetime
    arguments: dict[str, Any]
    wire_arguments: dict[Any, Any] = field(repr=False, compare=False, default_factory=dict)
    own: bool = False


@dataclass(frozen=True)
class BrokerNotice:
    """A broker's receiver connected (``connected``), was lost (``lost``, with ``error``), or
    could not connect for another reason than a refused connection (``error`` only)."""

    broker: str
    connected: bool
    timestamp: datetime
    error: str | None = None
    lost: bool = False


def plain(value: Any) -> Any:
    """AMQP values as plain Python: binary to text, maps and lists recursively."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode(errors="replace")
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if type(value).__name__ == "UUID":
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # not proton's ulong and the like
    return value


def owned(value: Any) -> Any:
    """Copies of proton's memoryviews, which point into buffers about to be reused."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict):
        return {owned(key): owned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [owned(item) for item in value]
    return value


def events_of(broker: str, message: proton.Message, own_queue: str = "") -> list[Event]:
    """The events in one ``_data_indication`` message (a list of event maps); others: none."""
    properties: dict[str, Any] = message.properties or {}
    if properties.get("qmf.content") != "_event" or not isinstance(message.body, list):
        return []
    found = []
    for item in message.body:
        if not isinstance(item, dict):
            continue
        schema = item.get("_schema_id") or {}
        values = owned(item.get("_values") or {})
        severity = int(item.get("_severity", 6))
        found.append(
            Event(
                broker=broker,
                package=plain(schema.get("_package_name", "")),
                name=plain(schema.get("_class_name", "")),
                severity=SEVERITIES[severity] if 0 <= severity < len(SEVERITIES) else str(severity),
                timestamp=datetime.fromtimestamp(int(item.get("_timestamp", 0)) / 1e9, UTC),
                arguments=plain(values),
                wire_arguments=values,
                own=bool(own_queue) and plain(values.get("qName")) == own_queue,
            )
        )
    return found


class EventReceiver:
    """One broker's receiver on ``qmf.default.topic`` (blocking; not thread-safe)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        broker: str | None = None,
        binding_key: str = EVENT_KEY,
        heartbeat: float | None = None,
    ) -> None:
        from proton import Described, symbol
        from proton.reactor import Filter

        self.settings = settings
        self.broker = broker or settings.address.host_port
        self._connection: BlockingConnection = open_blocking(settings, heartbeat=heartbeat)
        subject_filter = Described(
            symbol("apache.org:legacy-amqp-topic-binding:string"), binding_key
        )
        try:
            self._receiver: BlockingReceiver = self._connection.create_receiver(
                TOPIC, credit=CREDIT, options=Filter({symbol("subject-filter"): subject_filter})
            )
        except Exception as error:
            self.close()
            raise translate_error(error, settings) from error
        self.own_queue = f"{self._connection.container.container_id}_{self._receiver.link.name}"

    def receive(self, timeout: float | None) -> list[Event]:
        """The events of the next message, or [] when none came within ``timeout`` seconds."""
        from proton import Timeout

        try:
            message = self._receiver.receive(timeout=timeout)
        except Timeout:
            return []
        except Exception as error:
            raise translate_error(error, self.settings) from error
        self._receiver.accept()
        return events_of(self.broker, message, self.own_queue)

    def close(self) -> None:
        """Close, waiting at most a second for the broker's answer: it may be gone."""
        self._connection.timeout = CLOSE_TIMEOUT
        with suppress(Exception):
            self._connection.close()


@dataclass(frozen=True)
class Source:
    """A broker to listen to: its settings and the name to report it by (as typed)."""

    settings: ConnectionSettings
    name: str


class EventStream:
    """Events from several brokers at once, each on its own thread, reconnecting forever.

    Iterate to get :class:`Event` and :class:`BrokerNotice` objects in arrival order. A broker
    that cannot be reached is retried quietly; one that was connected and went away gives a
    notice. ``close()`` (or leaving a ``with`` block) stops the threads.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        *,
        binding_key: str = EVENT_KEY,
        heartbeat: float | None = None,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        self._items: queue.Queue[Event | BrokerNotice] = queue.Queue()
        self._stop = threading.Event()
        self._binding_key, self._heartbeat = binding_key, heartbeat
        self._retry = retry_interval
        self._threads = [
            threading.Thread(target=self._listen, args=(source,), daemon=True) for source in sources
        ]
        for thread in self._threads:
            thread.start()

    def get(self, timeout: float | None = None) -> Event | BrokerNotice | None:
        """The next event or notice; None if nothing came within ``timeout`` seconds."""
        try:
            return self._items.get(timeout=timeout)
        except queue.Empty:
            return None

    def idle(self) -> bool:
        """Whether nothing is waiting to be taken right now."""
        return self._items.empty()

    def __iter__(self) -> Iterator[Event | BrokerNotice]:
        while not self._stop.is_set():
            item = self.get(_POLL)
            if item is not None:
                yield item

    def _listen(self, source: Source) -> None:
        """Connect, receive, and start again after a failure, until closed.

        A refused connection is retried quietly, as the classic tool did; another failure
        (authentication, TLS) is reported once until it changes.
        """
        reported = None
        while not self._stop.is_set():
            try:
                receiver = EventReceiver(
                    source.settings,
                    broker=source.name,
                    binding_key=self._binding_key,
                    heartbeat=self._heartbeat,
                )
            except QpidToolsError as error:
                if str(error) != reported and "connection refused" not in str(error):
                    self._notice(source, False, str(error))
                reported = str(error)
                self._stop.wait(self._retry)
                continue
            reported = None
            self._notice(source, True)
            try:
                while not self._stop.is_set():
                    for event in receiver.receive(_POLL):
                        self._items.put(event)
            except QpidToolsError as error:
                self._notice(source, False, str(error), lost=True)
            finally:
                receiver.close()
            self._stop.wait(self._retry)

    def _notice(
        self, source: Source, connected: bool, error: str | None = None, *, lost: bool = False
    ) -> None:
        self._items.put(BrokerNotice(source.name, connected, datetime.now(UTC), error, lost))

    def close(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 2 * _POLL
        for thread in self._threads:  # a thread still connecting is a daemon: left behind
            thread.join(timeout=max(deadline - time.monotonic(), 0))

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def matches(event: Event, classes: Collection[str] = (), severities: Collection[str] = ()) -> bool:
    """Whether the event passes the class and severity filters (empty: everything passes)."""
    return (not classes or event.name in classes) and (
        not severities or event.severity in severities
    )


class EventSubscription:
    """Events of the classes and severities asked for, as an endless iterator; started at once.

    Use in a ``with`` block, or call :meth:`close`; connection notices are left out.
    """

    def __init__(
        self, stream: EventStream, classes: Collection[str], severities: Collection[str]
    ) -> None:
        self.stream = stream
        self.classes, self.severities = classes, severities

    def __iter__(self) -> EventSubscription:
        return self

    def __next__(self) -> Event:
        while True:
            item = self.stream.get()
            if isinstance(item, Event) and matches(item, self.classes, self.severities):
                return item

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> EventSubscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def subscribe(
    settings: ConnectionSettings,
    *,
    classes: Collection[str] = (),
    severities: Collection[str] = (),
    binding_key: str = EVENT_KEY,
) -> EventSubscription:
    """Events from one broker (reconnecting if it goes away), filtered by class and severity."""
    source = Source(settings, settings.address.host_port)
    return EventSubscription(EventStream([source], binding_key=binding_key), classes, severities)
