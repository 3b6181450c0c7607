"""Typed broker objects: queues, exchanges, bindings, the broker and its HA state.

The option tables that map each queue/exchange option to its wire key live in
:mod:`qpidtools.options` (light, for start-up) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from qpidtools.options import (
    EXCHANGE_OPTIONS,
    EXCHANGE_TYPES,
    HA_STATUSES,
    LIMIT_POLICIES,
    LOG_LEVELS,
    PRIMARY_STATUSES,
    QMF_CLASSES,
    QUEUE_OPTIONS,
    REPLICATE_LEVELS,
    SPECIAL_ARGUMENTS,
    Kind,
    Option,
)
from qpidtools.qmf import QmfObject, reference_key

#: Defined in :mod:`qpidtools.options`; re-exported here, where scripts found them before.
__all__ = [
    "REPLICATE_LEVELS",
    "LIMIT_POLICIES",
    "EXCHANGE_TYPES",
    "HA_STATUSES",
    "PRIMARY_STATUSES",
    "QMF_CLASSES",
    "LOG_LEVELS",
    "Kind",
    "Option",
    "QUEUE_OPTIONS",
    "EXCHANGE_OPTIONS",
    "SPECIAL_ARGUMENTS",
]


def present_options(options: tuple[Option, ...], obj: Queue | Exchange) -> list[tuple[Option, Any]]:
    """The options an existing queue or exchange was created with, in the table's order.

    ``durable`` and ``alternate-exchange`` come from the object itself (qpidd consumes those
    keys); every other option is present when its key is among the object's arguments.
    """
    present = []
    value: Any
    for option in options:
        if option.key == "durable":
            found, value = obj.durable, True
        elif option.key == "alternate-exchange":
            found, value = bool(obj.alternate_exchange), obj.alternate_exchange
        else:
            found, value = option.key in obj.arguments, obj.arguments.get(option.key)
        if found:
            present.append((option, value))
    return present


def text(values: Mapping[str, Any], key: str, default: str = "") -> str:
    """A string property; another type means the reply is malformed (:class:`TypeError`)."""
    value = values.get(key, default)
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value


def integer(values: Mapping[str, Any], key: str, default: int = 0) -> int:
    """An integer property; another type means the reply is malformed (:class:`TypeError`)."""
    value = values.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} is {type(value).__name__}, not an integer")
    return int(value)


def mapping(values: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A map property such as ``arguments`` (absent: empty); string keys only, at any depth."""
    value = values.get(key) or {}
    if not isinstance(value, dict) or not _string_keys(value):
        raise TypeError(f"{key} is {type(value).__name__}, not a map with string keys")
    return value


def _string_keys(value: Any) -> bool:
    """Whether every map in ``value`` has only string keys, as every map qpidd sends does."""
    if isinstance(value, dict):
        return all(isinstance(name, str) and _string_keys(item) for name, item in value.items())
    if isinstance(value, list):
        return all(_string_keys(item) for item in value)
    return True


def _statistics(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, int]:
    return {name: int(values[name]) for name in names if isinstance(values.get(name), int)}


QUEUE_STATISTICS = (
    "msgDepth",
    "byteDepth",
    "consumerCount",
    "bindingCount",
    "msgTotalEnqueues",
    "msgTotalDequeues",
    "byteTotalEnqueues",
    "byteTotalDequeues",
    "unackedMessages",
    "acquires",
    "releases",
    "discardsRing",
    "discardsOverflow",
    "discardsTtl",
    "discardsLvq",
    "discardsPurge",
    "discardsSubscriber",
    "flowStoppedCount",
)
EXCHANGE_STATISTICS = (
    "bindingCount",
    "producerCount",
    "msgReceives",
    "msgRoutes",
    "msgDrops",
    "byteReceives",
    "byteRoutes",
    "byteDrops",
)


@dataclass(frozen=True)
class _Node:
    """What queues and exchanges share: settings, arguments and statistics."""

    name: str
    _: KW_ONLY
    durable: bool = False
    auto_delete: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)
    alternate_exchange: str | None = None
    statistics: dict[str, int] = field(default_factory=dict)


def _node_fields(obj: QmfObject, statistics: tuple[str, ...]) -> dict[str, Any]:
    values = obj.values
    return {
        "name": text(values, "name", obj.key),
        "durable": bool(values.get("durable")),
        "auto_delete": bool(values.get("autoDelete")),
        "arguments": mapping(values, "arguments"),
        "alternate_exchange": reference_key(values.get("altExchange")),
        "statistics": _statistics(values, statistics),
    }


@dataclass(frozen=True)
class Queue(_Node):
    """A queue with its settings and the statistics qpidd reports for it."""

    exclusive: bool = False

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Queue:
        exclusive = bool(obj.values.get("exclusive"))
        return cls(**_node_fields(obj, QUEUE_STATISTICS), exclusive=exclusive)


@dataclass(frozen=True)
class Exchange(_Node):
    """An exchange with its settings and statistics; ``""`` is the default exchange."""

    type: str = ""

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Exchange:
        return cls(**_node_fields(obj, EXCHANGE_STATISTICS), type=text(obj.values, "type"))


@dataclass(frozen=True)
class Binding:
    """A binding from an exchange to a queue; ``queue`` is ``None`` if the reference dangles."""

    exchange: str
    queue: str | None
    key: str
    arguments: dict[str, Any] = field(default_factory=dict)
    msg_matched: int = 0

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Binding:
        values = obj.values
        return cls(
            exchange=reference_key(values.get("exchangeRef")) or "",
            queue=reference_key(values.get("queueRef")),
            key=text(values, "bindingKey"),
            arguments=mapping(values, "arguments"),
            msg_matched=integer(values, "msgMatched"),
        )


@dataclass(frozen=True)
class HaMember:
    """A cluster member as the HA broker lists it."""

    system_id: str
    host: str
    port: int
    protocol: str
    status: str

    @classmethod
    def from_map(cls, member: dict[str, Any]) -> HaMember:
        status = integer(member, "status", -1)
        return cls(
            system_id=str(member.get("system-id", "")),
            host=text(member, "host-name"),
            port=integer(member, "port"),
            protocol=text(member, "protocol"),
            status=HA_STATUSES[status] if 0 <= status < len(HA_STATUSES) else str(status),
        )


@dataclass(frozen=True)
class HaBroker:
    """The HA module's view of this broker (QMF class ``habroker``)."""

    status: str
    system_id: str
    brokers_url: str
    public_url: str
    replicate_default: str
    members: tuple[HaMember, ...] = ()

    @property
    def is_primary(self) -> bool:
        return self.status in PRIMARY_STATUSES

    def has_status(self, status: str) -> bool:
        """Whether this broker is in ``status``; ``"primary"`` stands for active or recovering."""
        return self.is_primary if status == "primary" else self.status == status

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> HaBroker:
        values = obj.values
        return cls(
            status=text(values, "status"),
            system_id=str(values.get("systemId", "")),
            brokers_url=text(values, "brokersUrl"),
            public_url=text(values, "publicUrl"),
            replicate_default=text(values, "replicateDefault"),
            members=tuple(HaMember.from_map(m) for m in values.get("members") or ()),
        )


BROKER_STATISTICS = (
    "queueCount", "msgDepth", "byteDepth", "msgTotalEnqueues", "msgTotalDequeues",
    "byteTotalEnqueues", "byteTotalDequeues", "acquires", "releases", "reroutes",
    "abandoned", "abandonedViaAlt", "discardsNoRoute", "discardsRing", "discardsOverflow",
    "discardsTtl", "discardsLvq", "discardsPurge", "discardsSubscriber",
)  # fmt: skip


@dataclass(frozen=True)
class BrokerInfo:
    """The broker object itself: what it is, where it runs, and its broker-wide statistics."""

    name: str
    version: str
    port: int
    data_dir: str
    uptime_ns: int
    worker_threads: int
    max_connections: int
    statistics: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> BrokerInfo:
        values = obj.values
        return cls(
            name=text(values, "name", obj.key),
            version=text(values, "version"),
            port=integer(values, "port"),
            data_dir=text(values, "dataDir"),
            uptime_ns=integer(values, "uptime"),
            worker_threads=integer(values, "workerThreads"),
            max_connections=integer(values, "maxConns"),
            statistics=_statistics(values, BROKER_STATISTICS),
        )


#: Link states qpidd reports; a Failed link (refused login) is never retried.
LINK_STATES = ("Waiting", "Connecting", "Operational", "Failed", "Closed", "Passive")


@dataclass(frozen=True)
class Link:
    """An inter-broker link: this broker's connection to another broker (QMF class ``link``)."""

    name: str
    host: str
    port: int
    transport: str = "tcp"
    durable: bool = False
    state: str = ""
    last_error: str = ""
    connected: bool = False  # the link has a connection now (its connectionRef is set)

    @property
    def address(self) -> str:
        """``host:port`` of the broker the link goes to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Link:
        values = obj.values
        return cls(
            name=text(values, "name", obj.key),
            host=text(values, "host", ""),
            port=integer(values, "port", 0),
            transport=text(values, "transport", "tcp"),
            durable=bool(values.get("durable")),
            state=text(values, "state", ""),
            last_error=text(values, "lastError", ""),
            connected=bool(reference_key(values.get("connectionRef"))),
        )


@dataclass(frozen=True)
class Bridge:
    """A route over a link (QMF class ``bridge``): messages from ``src`` on one broker to the
    exchange ``dest`` on the other. The source is the link's far end unless ``src_is_local``
    (a push route); it is a queue if ``src_is_queue``, else an exchange bound with ``key``, or
    with the keys bound at the destination for a ``dynamic`` route."""

    name: str
    link: str
    src: str
    dest: str
    key: str = ""
    tag: str = ""
    excludes: str = ""
    src_is_queue: bool = False
    src_is_local: bool = False
    dynamic: bool = False
    durable: bool = False
    sync: int = 0
    credit: int = 0
    channel_id: int = 0
    object_name: str = ""

    @property
    def kind(self) -> str:
        """``dynamic``, ``queue`` or ``exchange`` (a static route)."""
        return "dynamic" if self.dynamic else "queue" if self.src_is_queue else "exchange"

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Bridge:
        values = obj.values
        link = values.get("linkRef")
        return cls(
            name=text(values, "name", ""),
            link=reference_key(link) or "",
            src=text(values, "src", ""),
            dest=text(values, "dest", ""),
            key=text(values, "key", ""),
            tag=text(values, "tag", ""),
            excludes=text(values, "excludes", ""),
            src_is_queue=bool(values.get("srcIsQueue")),
            src_is_local=bool(values.get("srcIsLocal")),
            dynamic=bool(values.get("dynamic")),
            durable=bool(values.get("durable")),
            sync=integer(values, "sync", 0),
            credit=integer(values, "credit", 0),
            channel_id=integer(values, "channelId", 0),
            object_name=obj.object_name,
        )
