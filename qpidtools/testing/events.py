"""What a double publishes on `qmf.default.topic`: QMF events and agent heartbeats.

A simulation of qpidd's behaviour as captures 320-322 recorded it, not qpidd itself:

- A listener is an AMQP 1.0 receiver whose source address is `qmf.default.topic`. Like qpidd,
  the double gives it an exclusive auto-delete queue named `<container id>_<link name>`, bound
  to the `qmf.default.topic` exchange with the key of its `subject-filter` (described or a plain
  string). Without a filter the key is empty and nothing arrives. The filter is not echoed.
- Every event is one message with subject
  `agent.ind.event.<package>.<event>.<severity>.apache_org.qpidd.<uuid>` (dots of the package as
  `_`), routed through that exchange, so the listeners' binding keys decide who gets it.
- Every `heartbeat_interval` seconds (10 by default, as qpidd's `--mgmt-pub-interval`) the
  queues that changed go out as data indications (see `indications`), then a heartbeat,
  whose body always says `_heartbeat_interval: 10`. While no receiver listens on the topic
  the double skips these publishes (qpidd publishes to nobody), so the first one after a
  receiver attaches also carries the queues that changed or appeared in the meantime.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from proton import Described, Link, Message, ubyte, uint, ulong

from qpidtools.testing.agent import Agent, agent_values, encode_message
from qpidtools.testing.indications import QueueIndications, routing_suffix
from qpidtools.testing.model import LOCK, BrokerState, ClientConnection, Queue

TOPIC = "qmf.default.topic"
SUBJECT_FILTER = "subject-filter"
SEVERITIES = ("emerg", "alert", "crit", "error", "warn", "note", "info", "debug")
HEARTBEAT_TTL_MS = 19999  # what qpidd sent: about twice the interval
# Schema hashes of the event classes, as the captures show them.
EVENT_HASHES = {
    "bind": "042af49f-eea7-5cd1-0ac1-10b0e0573cab",
    "brokerLinkDown": "2836ca18-fbce-c0ce-ee58-b0abc6b7f2d4",
    "brokerLinkUp": "231817fb-b79d-c812-ec9b-be50d9c7cd8d",
    "clientConnect": "476930ed-01dd-9629-7f84-f42b4b0bc410",
    "clientConnectFail": "3043ce6b-c96d-04ec-04bd-c9d15548fe2a",
    "clientDisconnect": "e7603e45-c89b-ea2f-3335-48c0980369db",
    "exchangeDeclare": "ac64abd6-494c-5950-5d78-289e42c15307",
    "exchangeDelete": "3dc35f89-ec32-a279-7d53-35469efaa0cf",
    "fileLoadFailed": "89eff2ca-802b-7099-7862-105c80f85515",
    "queueDeclare": "81c14a6d-4e35-0a72-44db-7f8a09d0646e",
    "queueDelete": "fb1ce712-c041-d774-102d-32d71666574b",
    "queueRedirect": "9227a3ab-667f-1ae2-1758-fa25a67ca380",
    "queueRedirectCancelled": "cd5d3c15-1d4e-6d3b-acec-2a57eda6af3b",
    "queueThresholdCrossedDownward": "2ba312c3-146d-5acb-79af-50a66f40a1de",
    "queueThresholdCrossedUpward": "7dc06b5c-e2c4-eab4-e28d-2d344bf05d72",
    "queueThresholdExceeded": "4fdb2739-0d3e-e212-33e6-f3d3f9c74d9e",
    "subscribe": "fbe18f36-6e50-34d4-5f4c-41358a379942",
    "unbind": "70163d9d-b514-8d7c-9ea4-173843d6358a",
    "unsubscribe": "37be0dbf-c1e0-5a79-a99b-bcfc5f2499a1",
}
UNKNOWN_HASH = "00000000-0000-0000-0000-000000000000"  # an event class no capture shows


def wire_value(value: Any) -> Any:
    """An event argument with the AMQP type qpidd gives it: strings binary, counts ulong."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int) and not isinstance(value, bool):
        return ulong(value)
    return value


def event_message(
    state: BrokerState, package: str, name: str, values: dict[str, Any], severity: str
) -> tuple[str, bytes]:
    """The subject and the encoded message of one event."""
    subject = (
        f"agent.ind.event.{package.replace('.', '_')}.{name}.{severity}.{routing_suffix(state)}"
    )
    body = [
        {
            "_schema_id": {
                "_class_name": name.encode(),
                "_hash": uuid.UUID(EVENT_HASHES.get(name, UNKNOWN_HASH)),
                "_package_name": package.encode(),
                "_type": b"_event",
            },
            "_severity": ubyte(SEVERITIES.index(severity)),
            "_timestamp": ulong(time.time_ns()),
            "_values": {key: wire_value(value) for key, value in values.items()},
        }
    ]
    properties = {
        "method": "indication",
        "qmf.agent": state.agent_name,
        "qmf.content": "_event",
        "qmf.opcode": "_data_indication",
    }
    raw = encode_message(properties, body, "amqp/list", None, to=TOPIC, subject=subject)
    return subject, raw


def heartbeat_message(state: BrokerState) -> tuple[str, bytes]:
    subject = f"agent.ind.heartbeat.{routing_suffix(state)}"
    properties = {
        "method": "indication",
        "qmf.agent": state.agent_name,
        "qmf.opcode": "_agent_heartbeat_indication",
    }
    raw = encode_message(
        properties,
        {"_values": agent_values(state)},
        "amqp/map",
        None,
        to=TOPIC,
        subject=subject,
        ttl=uint(HEARTBEAT_TTL_MS),
    )
    return subject, raw


class Publisher:
    """Publishes one double's events and heartbeats to its topic listeners."""

    def __init__(self, state: BrokerState, agent: Agent, running: Callable[[], bool]) -> None:
        self.state = state
        self.indications = QueueIndications(state, agent)
        agent.on_locate = self.indications.force
        self.running = running
        self.heartbeat_interval = 10.0
        self._changed = threading.Event()
        state.publish_event = self.publish_event
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeats-{state.port}", daemon=True
        )
        self._thread.start()

    def publish_event(self, package: str, name: str, values: dict[str, Any], severity: str) -> None:
        if self.listened():  # else spare the encoding
            self.publish(*event_message(self.state, package, name, values, severity))

    def listened(self) -> bool:
        """Whether any receiver is bound to the topic (call with `LOCK` held)."""
        exchange = self.state.exchanges.get(TOPIC)
        return exchange is not None and bool(exchange.bindings)

    def publish(self, subject: str, raw: bytes) -> None:
        """Route a message through the topic exchange (call with `LOCK` held)."""
        exchange = self.state.exchanges.get(TOPIC)
        if exchange is not None:
            self.state.route(exchange, raw, subject, {})
            self.state.wake()

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Publish every ``seconds`` from now on (tests need not wait qpidd's 10 s)."""
        self.heartbeat_interval = seconds
        self._changed.set()

    def _beat(self) -> None:
        while True:
            self._changed.wait(self.heartbeat_interval)
            if self._changed.is_set():
                self._changed.clear()
                continue
            if not self.running():
                return
            with LOCK:
                if not self.listened():
                    continue  # see the module docstring
            self.publish_data()
            self.beat()

    def publish_data(self) -> None:
        """Publish the data indications of the queues that changed, now."""
        with LOCK:
            for subject, raw in self.indications.messages():
                self.publish(subject, raw)

    def beat(self) -> None:
        """Publish one heartbeat now."""
        with LOCK:
            self.publish(*heartbeat_message(self.state))


def is_locate(message: Message) -> bool:
    """A QMF console's `_agent_locate_request` sent to the topic (the agent answers it)."""
    properties: dict[str, Any] = message.properties or {}
    return properties.get("qmf.opcode") == "_agent_locate_request"


def binding_key(link: Link) -> str:
    """The key of the listener's `subject-filter`, described or a plain string; "" without."""
    data = link.remote_source.filter
    data.rewind()
    filters = data.get_object() if data.next() else None
    if not isinstance(filters, dict):
        return ""
    for name, value in filters.items():
        if str(name) == SUBJECT_FILTER:
            inner = value.value if isinstance(value, Described) else value
            return bytes(inner).decode() if isinstance(inner, bytes | memoryview) else str(inner)
    return ""


def subscribe(state: BrokerState, link: Link, container_id: str) -> Queue:
    """The listener's own queue, bound with its key (qpidd raises no bind event for it)."""
    publish, held = state.publish_event, []
    state.publish_event = lambda *event: held.append(event)
    try:  # bound first, so that its own queueDeclare reaches it, as with qpidd (320)
        name = f"{container_id}_{link.name}"
        queue = state.create_queue(name, {"auto-delete": True}, exclusive=True)
        state.add_binding(state.exchanges[TOPIC], queue, binding_key(link), {})
    finally:
        state.publish_event = publish
    for event in held:
        publish(*event)
    link.source.filter.clear()
    return queue


@contextmanager
def acting(state: BrokerState, client: ClientConnection | None) -> Iterator[None]:
    """Events raised inside carry this client's address and user (call with `LOCK` held)."""
    previous, state.actor = state.actor, client
    try:
        yield
    finally:
        state.actor = previous


def client_connected(state: BrokerState, client: ClientConnection) -> None:
    """AMQP 1.0 clients' connect events carry no properties (320)."""
    state.event("clientConnect", {"rhost": client.address, "user": "anonymous", "properties": {}})


def client_disconnected(state: BrokerState, client: ClientConnection) -> None:
    properties = {"container-id": client.container_id.encode()}
    values = {"rhost": client.address, "user": "anonymous", "properties": properties}
    state.event("clientDisconnect", values)


def subscribed(state: BrokerState, queue: Queue) -> None:
    """AMQP 1.0 subscriptions have empty rhost, user and dest (320)."""
    values = {"rhost": "", "user": "", "qName": queue.name, "dest": "", "excl": queue.exclusive}
    state.event("subscribe", {**values, "args": {}})


def unsubscribed(state: BrokerState) -> None:
    state.event("unsubscribe", {"rhost": "", "user": "", "dest": ""})
