"""The broker state a double keeps: queues, exchanges, bindings, messages, connections, links.

This module knows qpidd's rules for `create` / `delete` (which property is consumed, which one is
stored verbatim, which error text comes back) but nothing about QMF encoding or AMQP framing.
All doubles in a process share one lock, `LOCK`, so that cluster members and replicating brokers
can touch each other's state from their own container threads without deadlocks.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proton import Message

from qpidtools.testing import errors, federation, thresholds
from qpidtools.testing.errors import QmfError
from qpidtools.testing.values import text_of as text_of
from qpidtools.testing.values import to_bool as to_bool
from qpidtools.testing.values import to_unsigned as to_unsigned

if TYPE_CHECKING:
    from qpidtools.testing.federation import Bridge, FederationLink

LOCK = threading.RLock()

# Counters a queue keeps; the broker object reports the same ones summed over all queues.
QUEUE_COUNTERS = (
    "acquires",
    "byteDepth",
    "byteFtdDepth",
    "byteFtdDequeues",
    "byteFtdEnqueues",
    "bytePersistDequeues",
    "bytePersistEnqueues",
    "byteTotalDequeues",
    "byteTotalEnqueues",
    "byteTxnDequeues",
    "byteTxnEnqueues",
    "discardsLvq",
    "discardsOverflow",
    "discardsPurge",
    "discardsRing",
    "discardsSubscriber",
    "discardsTtl",
    "msgDepth",
    "msgFtdDepth",
    "msgFtdDequeues",
    "msgFtdEnqueues",
    "msgPersistDequeues",
    "msgPersistEnqueues",
    "msgTotalDequeues",
    "msgTotalEnqueues",
    "msgTxnDequeues",
    "msgTxnEnqueues",
    "releases",
    "reroutes",
)
BROKER_COUNTERS = (*QUEUE_COUNTERS, "abandoned", "abandonedViaAlt", "discardsNoRoute")
EXCHANGE_COUNTERS = (
    "byteDrops",
    "byteReceives",
    "byteRoutes",
    "msgDrops",
    "msgReceives",
    "msgRoutes",
)

EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")
# (name, type, durable, carries `qpid.replicate: none` when the HA module is active)
FAILOVER_EXCHANGE = "amq.failover"
BUILTIN_EXCHANGES = (
    ("", "direct", False, True),
    ("amq.direct", "direct", True, True),
    ("amq.failover", "amq.failover", False, False),
    ("amq.fanout", "fanout", True, True),
    ("amq.match", "headers", True, True),
    ("amq.topic", "topic", True, True),
    ("qmf.default.direct", "direct", False, True),
    ("qmf.default.topic", "topic", False, True),
    ("qpid.management", "topic", False, True),
)
# ExchangeRegistry refuses to destroy these.
UNDELETABLE_EXCHANGES = ("amq.direct", "amq.fanout", "amq.match", "amq.topic", "qpid.management")
# Create properties the broker consumes instead of storing them as arguments.
CONSUMED_PROPERTIES = ("durable", "auto-delete", "alternate-exchange", "exchange-type")
# Queue arguments QueueSettings converts to an unsigned integer, and to which width.
UNSIGNED_QUEUE_ARGUMENTS = {
    "qpid.max_count": "uint32",
    "qpid.max_size": "uint64",
    "qpid.flow_stop_count": "uint32",
    "qpid.flow_resume_count": "uint32",
    "qpid.flow_stop_size": "uint64",
    "qpid.flow_resume_size": "uint64",
    "qpid.priorities": "uint32",
}
LOG_LEVELS = ("trace", "debug", "info", "notice", "warning", "error", "critical")


def now_ns() -> int:
    return time.time_ns()


@dataclass(eq=False)
class Binding:
    exchange: Exchange
    queue: Queue
    key: str
    arguments: dict[str, Any]
    created: int = field(default_factory=now_ns)
    matched: int = 0

    @property
    def object_name(self) -> str:
        return (
            f"org.apache.qpid.broker:binding:org.apache.qpid.broker:exchange:{self.exchange.name},"
            f"org.apache.qpid.broker:queue:{self.queue.name},{self.key}"
        )


@dataclass(eq=False)
class Queue:
    name: str
    durable: bool = False
    auto_delete: bool = False
    exclusive: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)
    alt_exchange: str | None = None
    creator: str = "anonymous"
    created: int = field(default_factory=now_ns)
    messages: deque[bytes] = field(default_factory=deque)
    stats: Counter[str] = field(default_factory=Counter)
    consumers: set[object] = field(default_factory=set)
    bindings: list[Binding] = field(default_factory=list)
    # Other brokers' queues that mirror this one (HA queue replication).
    replicas: list[tuple[BrokerState, str]] = field(default_factory=list)
    # Set while a federation bridge drains the queue: called after each enqueue.
    forward: Callable[[bytes], None] | None = None

    @property
    def depth(self) -> int:
        return len(self.messages)


@dataclass(eq=False)
class Exchange:
    name: str
    type: str
    durable: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)
    alt_exchange: str | None = None
    created: int = field(default_factory=now_ns)
    stats: Counter[str] = field(default_factory=Counter)
    bindings: list[Binding] = field(default_factory=list)


@dataclass(eq=False)
class Topic:
    """An AMQP 1.0 topic object (`qpid-config add topic`), a named view of an exchange."""

    name: str
    exchange: str
    durable: bool
    properties: dict[str, Any]
    created: int = field(default_factory=now_ns)


@dataclass(eq=False)
class Session:
    name: str
    connection: ClientConnection
    created: int = field(default_factory=now_ns)


@dataclass(eq=False)
class Endpoint:
    """An AMQP 1.0 link as qpidd's `incoming` / `outgoing` management objects show it."""

    session: Session
    name: str
    incoming: bool
    source: str
    target: str
    created: int = field(default_factory=now_ns)
    transfers: int = 0


@dataclass(eq=False)
class ClientConnection:
    address: str
    container_id: str
    mechanism: str
    created: int = field(default_factory=now_ns)
    sessions: list[Session] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    messages_in: int = 0
    messages_out: int = 0
    properties: dict[str, Any] = field(default_factory=dict)  # the client's open properties
    # A federation link's connection (see `federation`) is AMQP 0-10, and outgoing on the
    # broker that holds the link, where it has no authenticated identity.
    protocol: str = "AMQP 1.0"
    incoming: bool = True
    auth_identity: str = "anonymous"


def persistent(queue: Queue, bodies: list[bytes], counted: str) -> dict[str, int]:
    """``msgPersist<counted>``/``bytePersist<counted>``: the durable messages (header flag) of
    a durable queue, the ones qpidd's store keeps. Only durable queues decode their messages."""
    if not queue.durable:
        return {}
    kept = [body for body in bodies if durable_message(body)]
    return {f"msgPersist{counted}": len(kept), f"bytePersist{counted}": sum(map(len, kept))}


def durable_message(body: bytes) -> bool:
    message = Message()
    message.decode(body)
    return bool(message.durable)


def split_binding_name(name: str) -> tuple[str, str, str]:
    """exchange/queue/key the way Broker::createObject splits it (README point 29)."""
    parts = [part for part in name.split("/") if part]
    if not parts or len(parts) > 3:
        raise QmfError(f"invalid binding: {name}")
    if len(parts) == 1:
        return "", parts[0], ""
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def split_properties(properties: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the consumed create properties from the ones stored as arguments."""
    props = dict(properties) if isinstance(properties, dict) else {}
    consumed = {key: props.pop(key) for key in CONSUMED_PROPERTIES if key in props}
    return consumed, props


def check_queue_settings(arguments: dict[str, Any]) -> None:
    """The subset of QueueSettings validation that rejects a queue (README point 31)."""
    for key, width in UNSIGNED_QUEUE_ARGUMENTS.items():
        if key in arguments and arguments[key] is not None:
            to_unsigned(arguments[key], width)
    group = arguments.get("qpid.group_header_key")
    if group is not None and arguments.get("qpid.last_value_queue_key") is not None:
        raise QmfError(
            errors.located(
                "invalid-argument: Cannot specify qpid.last_value_queue_key and "
                "qpid.group_header_key for the same queue",
                "broker/QueueSettings.cpp",
                259,
            )
        )
    if group is not None and not to_bool(arguments.get("qpid.shared_msg_group", False)):
        raise QmfError(
            errors.located(
                "invalid-argument: Only shared groups are supported at present; "
                "qpid.shared_msg_group is required if qpid.group_header_key is set",
                "broker/QueueSettings.cpp",
                273,
            )
        )


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is one word, `#` is zero or more words."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and p[0] in ("*", k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), key.split("."))


def headers_match(arguments: dict[str, Any], headers: dict[str, Any]) -> bool:
    wanted = {k: v for k, v in arguments.items() if not k.startswith("x-")}
    hits = [k in headers and (v in (None, "") or headers[k] == v) for k, v in wanted.items()]
    return any(hits) if arguments.get("x-match") == "any" else all(hits)


#: What qpidd started without ``--log-enable`` reports as its log level.
DEFAULT_LOG_LEVEL = "notice+"


class BrokerState:
    """Everything one double knows. Call its methods with `LOCK` held."""

    def __init__(
        self,
        port: int,
        *,
        ha_enabled: bool,
        system_id: uuid.UUID,
        epoch: int = 1,
        log_level: str = DEFAULT_LOG_LEVEL,
    ) -> None:
        self.port = port
        self.ha_enabled = ha_enabled
        self.system_id = system_id
        self.epoch = epoch
        self.started = now_ns()
        self.agent_name = f"apache.org:qpidd:{uuid.uuid4()}"
        self.log_level = log_level
        self.timestamp_receive = False
        self.log_hires = False
        self.stats: Counter[str] = Counter()
        self.queues: dict[str, Queue] = {}
        self.exchanges: dict[str, Exchange] = {}
        self.topics: dict[str, Topic] = {}
        self.links: dict[str, FederationLink] = {}
        self.bridges: dict[str, Bridge] = {}
        self.connections: dict[str, ClientConnection] = {}
        # Users a federation link must log in as (name -> password); None: like `--auth no`.
        self.link_users: dict[str, str] | None = None
        # Local queues fed by a queue replicator (`qpid.ha-q:<name>`), and the queue they copy.
        self.replica_sources: dict[str, Queue] = {}
        # On a cluster primary: the bridge queue each backup's replicator consumes from.
        self.bridge_queues: dict[int, str] = {}
        # Set by the server: wake the container thread so it delivers newly arrived messages.
        self.wake: Callable[[], None] = lambda: None
        # Set by an HA cluster member: adjust arguments of new objects, mirror changes.
        self.decorate: Callable[[str, dict[str, Any]], dict[str, Any]] = lambda kind, args: args
        self.config_changed: Callable[[str, str, str, dict[str, Any]], None] = (
            lambda op, kind, name, props: None
        )
        # Set by the events area: publish a QMF event on qmf.default.topic (see `event`).
        self.publish_event: Callable[[str, str, dict[str, Any], str], None] = (
            lambda package, name, values, severity: None
        )
        # Set by the server while it handles a client's request or link: the events' rhost/user.
        self.actor: ClientConnection | None = None
        # Queues redirected by the broker method queueRedirect: source -> target.
        self.redirects: dict[str, str] = {}
        for name, type_, durable, replicate_none in BUILTIN_EXCHANGES:
            if name == FAILOVER_EXCHANGE and not ha_enabled:
                continue  # the HA module adds it: broker P lists 8 exchanges (qpid-stat-e-no-ha)
            arguments = {"qpid.replicate": "none"} if ha_enabled and replicate_none else {}
            self.exchanges[name] = Exchange(name, type_, durable, arguments)

    def event(
        self,
        name: str,
        values: dict[str, Any],
        *,
        severity: str = "info",
        package: str = "org.apache.qpid.broker",
    ) -> None:
        """Raise the QMF event ``package:name`` (e.g. queueDeclare) with its ``_values``.

        Every broker area calls this where qpidd raises an event; whether and how it reaches
        listeners is the events area's business.
        """
        self.publish_event(package, name, values, severity)

    def who(self) -> dict[str, str]:
        """The rhost and user of an event: empty for what the broker does by itself."""
        actor = self.actor
        return {"rhost": actor.address, "user": "anonymous"} if actor else {"rhost": "", "user": ""}

    # ---- messages -------------------------------------------------------------------------

    def bump(self, queue: Queue, counts: dict[str, int]) -> None:
        """Add to a queue's counters and to the broker's totals."""
        queue.stats.update(counts)
        self.stats.update(counts)

    def enqueue(self, queue: Queue, body: bytes) -> None:
        queue.messages.append(body)
        size = len(body)
        counts = {
            "msgDepth": 1,
            "byteDepth": size,
            "msgTotalEnqueues": 1,
            "byteTotalEnqueues": size,
        }
        self.bump(queue, {**counts, **persistent(queue, [body], "Enqueues")})
        thresholds.check(queue, self.event)
        self.discard_ring_overflow(queue)
        for state, name in queue.replicas:
            replica = state.queues.get(name)
            if replica is not None:
                state.enqueue(replica, body)
                if replica.consumers:
                    state.wake()
        if queue.forward is not None:
            queue.forward(body)

    def discard_ring_overflow(self, queue: Queue) -> None:
        """A ring queue beyond its ``qpid.max_count`` drops its oldest messages (captures 300:
        8 sent to a ring of 5 give depth 5, 3 dequeues, ``discardsRing`` 3, no acquires)."""
        limit = queue.arguments.get("qpid.max_count")
        if queue.arguments.get("qpid.policy_type") != "ring" or not limit:
            return
        while queue.depth > int(limit):
            body = queue.messages.popleft()
            size = len(body)
            self.bump(
                queue,
                {"msgDepth": -1, "byteDepth": -size, "msgTotalDequeues": 1,
                 "byteTotalDequeues": size, "discardsRing": 1,
                 **persistent(queue, [body], "Dequeues")},
            )  # fmt: skip

    def remove(self, queue: Queue, count: int, counter: str | None = None) -> list[bytes]:
        """Take up to `count` messages off the front (0 means all), counting them as dequeued."""
        if (count or queue.depth) > 1 and thresholds.threshold(queue) is not None:
            # One at a time: the depth alerts report the depth at which they fired.
            return [
                body for _ in range(count or queue.depth) for body in self.remove(queue, 1, counter)
            ]
        taken = [queue.messages.popleft() for _ in range(count or queue.depth) if queue.messages]
        size = sum(len(body) for body in taken)
        counts = {
            "msgDepth": -len(taken),
            "byteDepth": -size,
            "msgTotalDequeues": len(taken),
            "byteTotalDequeues": size,
            "acquires": len(taken),
            **persistent(queue, taken, "Dequeues"),
        }
        if counter:
            counts[counter] = len(taken)
        self.bump(queue, counts)
        thresholds.check(queue, self.event)
        for state, name in queue.replicas:
            replica = state.queues.get(name)
            if replica is not None:
                state.remove(replica, len(taken), counter)
        return taken

    def route(self, exchange: Exchange, body: bytes, subject: str, headers: dict[str, Any]) -> None:
        size = len(body)
        exchange.stats.update(msgReceives=1, byteReceives=size)
        matched = [
            binding
            for binding in exchange.bindings
            if exchange.type == "fanout"
            or (exchange.type == "topic" and topic_matches(binding.key, subject))
            or (exchange.type == "headers" and headers_match(binding.arguments, headers))
            or (exchange.type == "direct" and binding.key == subject)
        ]
        if not matched:
            exchange.stats.update(msgDrops=1, byteDrops=size)
            self.stats.update(discardsNoRoute=1)
            return
        exchange.stats.update(msgRoutes=1, byteRoutes=size)
        for queue in dict.fromkeys(binding.queue for binding in matched):
            self.enqueue(queue, body)
        for binding in matched:
            binding.matched += 1

    def deliver_to_queue(self, queue: Queue, body: bytes) -> None:
        """Put a message on a queue through the default exchange, as a reply or direct send."""
        default = self.exchanges[""]
        default.stats.update(
            msgReceives=1, byteReceives=len(body), msgRoutes=1, byteRoutes=len(body)
        )
        for binding in default.bindings:
            if binding.queue is queue:
                binding.matched += 1
        self.enqueue(queue, body)

    # ---- create ---------------------------------------------------------------------------

    def create(self, type_: str, name: str, properties: Any) -> None:
        creators: dict[str, Callable[[str, Any], object]] = {
            "queue": self.create_queue,
            "exchange": self.create_exchange,
            "binding": self.create_binding,
            "topic": self.create_topic,
            "link": lambda name, props: federation.create_link(self, name, props),
            "bridge": lambda name, props: federation.create_bridge(self, name, props),
        }
        if type_ not in creators:
            raise errors.unknown_type(type_)
        creators[type_](name, properties)
        self.config_changed("create", type_, name, dict(properties or {}))

    def create_queue(self, name: str, properties: Any, *, exclusive: bool = False) -> Queue:
        if name in self.queues:
            raise errors.already_exists(name)
        consumed, arguments = split_properties(properties)
        check_queue_settings(arguments)
        alternate = self.alternate(consumed)
        queue = Queue(
            name,
            durable=to_bool(consumed.get("durable", False)),
            auto_delete=to_bool(consumed.get("auto-delete", False)),
            exclusive=exclusive,
            arguments=self.decorate("queue", arguments),
            alt_exchange=alternate,
        )
        self.queues[name] = queue
        self.stats.update(queueCount=1)
        self.add_binding(self.exchanges[""], queue, name, {})
        self.event(
            "queueDeclare",
            {
                **self.who(),
                "qName": name,
                "durable": queue.durable,
                "excl": exclusive,
                "autoDel": queue.auto_delete,
                "altEx": alternate or "",
                "args": queue.arguments,
                "disp": "created",
            },
        )
        return queue

    def create_exchange(self, name: str, properties: Any) -> None:
        if name in self.exchanges:
            raise errors.already_exists(name)
        consumed, arguments = split_properties(properties)
        type_ = text_of(consumed.get("exchange-type", "topic"))
        if type_ not in EXCHANGE_TYPES:
            raise errors.broker_error(f"Invalid exchange type: {type_}", 899)
        alternate = self.alternate(consumed)
        exchange = self.exchanges[name] = Exchange(
            name,
            type_,
            durable=to_bool(consumed.get("durable", False)),
            arguments=self.decorate("exchange", arguments),
            alt_exchange=alternate,
        )
        self.event(
            "exchangeDeclare",
            {
                **self.who(),
                "exName": name,
                "exType": type_,
                "altEx": alternate or "",
                "durable": exchange.durable,
                "autoDel": False,
                "args": exchange.arguments,
                "disp": "created",
            },
        )

    def alternate(self, consumed: dict[str, Any]) -> str | None:
        if "alternate-exchange" not in consumed:
            return None
        name = text_of(consumed["alternate-exchange"])
        if name not in self.exchanges:
            raise errors.not_found_exchange(name)
        return name

    def binding_ends(
        self, name: str, verb: str, default_line: int, queue_line: int
    ) -> tuple[Exchange, Queue, str]:
        exchange_name, queue_name, key = split_binding_name(name)
        if not exchange_name:
            raise errors.broker_error(
                f"invalid-argument: {verb} not allowed for default exchange", default_line
            )
        exchange = self.exchanges.get(exchange_name)
        if exchange is None:
            raise errors.not_found_exchange(exchange_name)
        queue = self.queues.get(queue_name)
        if queue is None:
            raise errors.broker_error(
                f"not-found: {verb} failed. No such queue: {queue_name}", queue_line
            )
        return exchange, queue, key

    def create_binding(self, name: str, properties: Any) -> None:
        exchange, queue, key = self.binding_ends(name, "Bind", 1613, 1619)
        _, arguments = split_properties(properties)
        if exchange.type == "headers" and arguments.get("x-match") not in ("all", "any"):
            raise QmfError(
                errors.located(
                    "internal-error: Invalid or missing x-match value binding to headers "
                    'exchange. Must be a string ["all" or "any"]',
                    "broker/HeadersExchange.cpp",
                    198,
                )
            )
        if not any(b.queue is queue and b.key == key for b in exchange.bindings):
            self.add_binding(exchange, queue, key, arguments)
            names = {"exName": exchange.name, "qName": queue.name, "key": key}
            self.event("bind", {**self.who(), **names, "args": arguments})

    def add_binding(
        self, exchange: Exchange, queue: Queue, key: str, arguments: dict[str, Any]
    ) -> None:
        binding = Binding(exchange, queue, key, arguments)
        exchange.bindings.append(binding)
        queue.bindings.append(binding)
        if not any(b.key == key for b in exchange.bindings[:-1]):
            federation.key_bound(self, exchange.name, key)

    def create_topic(self, name: str, properties: Any) -> None:
        if name in self.topics:
            raise errors.already_exists(name)
        consumed, rest = split_properties(properties)
        exchange = text_of(rest.pop("exchange", ""))
        if exchange not in self.exchanges:
            raise errors.not_found_exchange(exchange)
        self.topics[name] = Topic(name, exchange, to_bool(consumed.get("durable", False)), rest)

    # ---- delete ---------------------------------------------------------------------------

    def delete(self, type_: str, name: str, options: Any) -> None:
        deleters: dict[str, Callable[[str, Any], None]] = {
            "queue": self.delete_queue,
            "exchange": self.delete_exchange,
            "binding": self.delete_binding,
            "topic": self.delete_named(self.topics),
            "link": lambda name, _: federation.delete_link(self, name),
            "bridge": lambda name, _: federation.delete_bridge(self, name),
        }
        if type_ not in deleters:
            raise errors.unknown_type(type_)
        deleters[type_](name, options)
        self.config_changed("delete", type_, name, {})

    def delete_queue(self, name: str, options: Any) -> None:
        queue = self.queues.get(name)
        if queue is None:
            raise errors.broker_error(f"not-found: Delete failed. No such queue: {name}", 1519)
        opts = options if isinstance(options, dict) else {}
        if_empty = to_bool(opts.get("if_empty", False))
        if_unused = to_bool(opts.get("if_unused", False))
        if if_empty and queue.depth:
            raise errors.broker_error(
                f"precondition-failed: Cannot delete queue {name}; queue not empty", 1073
            )
        if if_unused and queue.consumers:
            raise errors.broker_error(
                f"precondition-failed: Cannot delete queue {name}; queue in use", 1076
            )
        self.drop_queue(queue)

    def drop_queue(self, queue: Queue) -> None:
        """Remove a queue and its bindings; its consumers stay attached (README point 33)."""
        if self.queues.get(queue.name) is not queue:
            return
        del self.queues[queue.name]
        self.event("queueDelete", {**self.who(), "qName": queue.name})
        self.stats.update(queueCount=-1)
        for binding in queue.bindings:
            binding.exchange.bindings.remove(binding)
        queue.bindings.clear()
        if queue.name in self.replica_sources:
            self.stop_replica(queue.name)
        self.remove(queue, 0)

    def delete_exchange(self, name: str, options: Any) -> None:
        if not name:
            raise errors.broker_error(
                "invalid-argument: Delete not allowed for default exchange", 1574
            )
        exchange = self.exchanges.get(name)
        if exchange is None:
            raise errors.not_found_exchange(name)
        users: list[Queue | Exchange] = [*self.queues.values(), *self.exchanges.values()]
        if any(user.alt_exchange == name for user in users):
            raise errors.broker_error(
                f"not-allowed: Cannot delete {name}, in use as alternate-exchange.", 1590
            )
        if name in UNDELETABLE_EXCHANGES:
            raise QmfError(
                errors.located(
                    f"not-allowed: Cannot delete default exchange: '{name}'",
                    "broker/ExchangeRegistry.cpp",
                    113,
                )
            )
        del self.exchanges[name]
        for binding in exchange.bindings:
            binding.queue.bindings.remove(binding)
        self.event("exchangeDelete", {**self.who(), "exName": name})

    def delete_binding(self, name: str, options: Any) -> None:
        exchange, queue, key = self.binding_ends(name, "Unbind", 1656, 1662)
        for binding in [b for b in exchange.bindings if b.queue is queue and b.key == key]:
            exchange.bindings.remove(binding)
            queue.bindings.remove(binding)
        names = {"exName": exchange.name, "qName": queue.name, "key": key}
        self.event("unbind", {**self.who(), **names})

    @staticmethod
    def delete_named(table: dict[str, Any]) -> Callable[[str, Any], None]:
        def delete(name: str, options: Any) -> None:
            if table.pop(name, None) is None:
                raise QmfError(f"not-found: {name}")

        return delete

    # ---- consumers and log levels ---------------------------------------------------------

    def release_consumer(self, queue: Queue, consumer: object) -> None:
        """A consumer went away; an auto-delete queue goes with its last consumer."""
        queue.consumers.discard(consumer)
        if queue.auto_delete and not queue.consumers:
            self.drop_queue(queue)

    def set_log_level(self, level: str) -> None:
        for selector in level.replace(",", " ").split():
            name = selector.split(":", 1)[0].rstrip("+-")
            if name not in LOG_LEVELS:
                raise QmfError(f"Invalid log level name: {name}")
        self.log_level = level

    def purge(self, queue: Queue, request: int) -> None:
        self.remove(queue, request, "discardsPurge")

    # ---- HA queue replication -------------------------------------------------------------

    def start_replica(self, source: Queue, queue: Queue) -> None:
        """Copy the source queue's messages into `queue` and mirror its enqueues and dequeues."""
        for body in source.messages:
            self.enqueue(queue, body)
        source.replicas.append((self, queue.name))
        self.replica_sources[queue.name] = source
        self.wake()

    def stop_replica(self, queue_name: str) -> None:
        source = self.replica_sources.pop(queue_name)
        source.replicas = [r for r in source.replicas if r != (self, queue_name)]
