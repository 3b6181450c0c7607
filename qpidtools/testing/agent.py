"""The QMF2 agent of a double: turns request messages into the replies the captures show qpidd send.

Object values are built with the AMQP types the captures show (strings as binary, counters as
ulong, counts as uint, ports as ushort, ...). Every map is sent with its keys sorted, because
qpidd's maps are `std::map`s and the captures keep that order.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from proton import Data, Described, int32, symbol, ubyte, uint, ulong, ushort

from qpidtools.testing import connections, errors, federation, federation_objects
from qpidtools.testing.errors import QmfError
from qpidtools.testing.ha import STATUS_CODES, HaBroker
from qpidtools.testing.model import (
    BROKER_COUNTERS,
    EXCHANGE_COUNTERS,
    QUEUE_COUNTERS,
    BrokerState,
    Exchange,
    Queue,
    Session,
    text_of,
    to_unsigned,
)

PAGE_SIZE = 100
BROKER_NAME = "org.apache.qpid.broker:broker:amqp-broker"
VHOST_NAME = "org.apache.qpid.broker:vhost:org.apache.qpid.broker:broker:amqp-broker,/"
HABROKER_NAME = "org.apache.qpid.ha:habroker:ha-broker"
DATA_DIR = "/var/lib/qpidd"

# Package and schema hash of every class the double can list, as the captures show them.
# `topic` was never captured with objects; its hash here is made up.
SCHEMAS: dict[str, tuple[str, str]] = {
    "broker": ("org.apache.qpid.broker", "1c316b1d-36b4-3b31-0fb1-31bddf40a109"),
    "queue": ("org.apache.qpid.broker", "3db4e911-1b6b-1523-a48b-6855f4c5627b"),
    "exchange": ("org.apache.qpid.broker", "171d4ff8-60ac-20af-cbce-e47cacbc3df6"),
    "binding": ("org.apache.qpid.broker", "cf733c51-bf3c-dba7-32ac-a074e12160e7"),
    "connection": ("org.apache.qpid.broker", "f3461bfb-c7d3-e304-9316-295f9b832e4d"),
    "session": ("org.apache.qpid.broker", "6871801a-5767-fcaa-9039-1418cb389b40"),
    "subscription": ("org.apache.qpid.broker", "7cc0ee44-57d4-2ed7-1a4b-3156ed9a4343"),
    "system": ("org.apache.qpid.broker", "ef7c5a5e-9faa-23ad-10d4-315e3a313bc0"),
    "vhost": ("org.apache.qpid.broker", "5e507714-e7ad-ee69-56d2-129fc91be5a8"),
    "memory": ("org.apache.qpid.broker", "1c6fb14c-a386-9a27-bd4d-d5c058c5971b"),
    "incoming": ("org.apache.qpid.broker", "0e76d643-06b0-498b-330e-ba248f8d9be7"),
    "outgoing": ("org.apache.qpid.broker", "91286e12-fb96-cd62-8939-0c12c21f3dc0"),
    "link": ("org.apache.qpid.broker", "973d69b8-414d-d3e4-ba54-9151fb410b23"),
    "bridge": ("org.apache.qpid.broker", "418d726f-3cac-d035-bf6e-cd176593f76b"),
    "topic": ("org.apache.qpid.broker", "00000000-0000-0000-0000-000000000000"),
    "acl": ("org.apache.qpid.acl", "231eb24e-3e71-f203-606c-b05a2c2bd7dc"),
    "store": ("org.apache.qpid.linearstore", "abc8510e-f436-03cd-d496-38497e7a0a4e"),
    "habroker": ("org.apache.qpid.ha", "b97420fb-5696-f18f-0d8f-8e96030fea13"),
}

# AMQP 1.0 section descriptors.
HEADER, PROPERTIES, APPLICATION_PROPERTIES, AMQP_VALUE = 0x70, 0x73, 0x74, 0x77


@dataclass
class QmfObject:
    """One management object: its identity and its `_values`."""

    class_name: str
    name: str
    created: int
    values: dict[str, Any]
    epoch: int | None  # None for objects with a persistent id (durable ones): no _agent_epoch

    def encode(self, with_epoch: bool) -> dict[str, Any]:
        package, schema_hash = SCHEMAS[self.class_name]
        object_id: dict[str, Any] = {"_object_name": self.name.encode()}
        if with_epoch and self.epoch is not None:
            object_id["_agent_epoch"] = ulong(self.epoch)
        return {
            "_create_ts": ulong(self.created),
            "_delete_ts": ulong(0),
            "_object_id": object_id,
            "_schema_id": {
                "_class_name": self.class_name.encode(),
                "_hash": uuid.UUID(schema_hash),
                "_package_name": package.encode(),
                "_type": b"_data",
            },
            "_update_ts": ulong(time.time_ns()),
            "_values": self.values,
        }


def ref(name: str, epoch: int | None = None) -> dict[str, Any]:
    """A reference property: `{_object_name}` plus `_agent_epoch` for non-persistent objects."""
    value: dict[str, Any] = {"_object_name": name.encode()}
    if epoch is not None:
        value["_agent_epoch"] = ulong(epoch)
    return value


def counters(stats: dict[str, int], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: ulong(max(stats.get(name, 0), 0)) for name in names}


def gauge(name: str, value: int) -> dict[str, Any]:
    """A uint statistic with its high/low watermarks (reset per publish interval in qpidd)."""
    return {name: uint(value), f"{name}High": uint(value), f"{name}Low": uint(0)}


def sorted_maps(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: sorted_maps(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_maps(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """Request values with proton's memoryviews turned into bytes, so they can be kept."""
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def encode_message(
    properties: dict[str, Any],
    body: Any,
    content_type: str,
    correlation_id: str | None,
    *,
    to: str | None = None,
    subject: str | None = None,
    ttl: uint | None = None,
) -> bytes:
    """A message exactly as qpidd frames it: header, properties, application properties, value.

    Replies have only a correlation id; what qpidd publishes on a topic has `to` and `subject`.
    """
    data = Data()
    data.put_object(Described(ulong(HEADER), [False, ubyte(0), ttl, True]))
    data.put_object(
        Described(
            ulong(PROPERTIES),
            [None, None, to, subject, None, correlation_id, symbol(content_type)],
        )
    )
    data.put_object(Described(ulong(APPLICATION_PROPERTIES), sorted_maps(properties)))
    data.put_object(Described(ulong(AMQP_VALUE), sorted_maps(body)))
    return bytes(data.encode())


def reply_correlation(value: Any) -> str | None:
    """The correlation id as qpidd returns it: always a string (README points 5 and 6)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(uuid.uuid4())
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode(errors="replace")
    return str(value)


def agent_values(state: BrokerState) -> dict[str, Any]:
    """The agent's identity, as heartbeats and `_agent_locate_response` carry it (321)."""
    return {
        "_epoch": ushort(state.epoch),
        "_heartbeat_interval": ushort(10),
        "_instance": state.agent_name.rsplit(":", 1)[1].encode(),
        "_name": state.agent_name.encode(),
        "_product": b"qpidd",
        "_timestamp": ulong(time.time_ns()),
        "_vendor": b"apache.org",
    }


@dataclass
class Request:
    subject: str | None
    reply_to: str | None
    correlation_id: Any
    properties: dict[str, Any]
    body: Any


# What the server must do besides delivering replies.
CLOSE_CONNECTION = "close-connection"  # list body: amqp:internal-error "Out of Bounds"
DETACH_LINK = "detach-link"  # other non-map body: the sender link is detached
SHUTDOWN = "shutdown"
BAD_BODY_TEXT = errors.located(
    "illegal-argument: Not enough data for field table.", "framing/FieldTable.cpp", 301
)


class Agent:
    """The management agent of one double."""

    def __init__(self, state: BrokerState, ha: HaBroker | None) -> None:
        self.state = state
        self.ha = ha
        # Set for a misbehaving double (qpidtools.testing.chaos): given each request and how
        # to deliver its replies, returns another way to deliver them, or an action instead.
        self.chaos: Callable[[Request, Callable[[bytes], None]], Callable[[bytes], None] | str]
        self.chaos = lambda request, deliver: deliver
        # Set by the events area: a locate request makes the next data publish a full one.
        self.on_locate: Callable[[], None] = lambda: None

    # ---- envelope -------------------------------------------------------------------------

    def handle(self, request: Request) -> str | None:
        """Answer one request; returns an action for the server, or None."""
        props = request.properties
        if props.get("x-amqp-0-10.app-id") != "qmf2" or "qmf.opcode" not in props:
            return None
        locate = props["qmf.opcode"] == "_agent_locate_request"
        if request.subject not in ("broker", self.state.agent_name) and not locate:
            return None
        route = self.reply_route(request.reply_to)
        if route is None:
            return None
        deliver = self.chaos(request, route)
        if isinstance(deliver, str):
            return deliver
        if isinstance(request.body, list):
            return CLOSE_CONNECTION
        if not isinstance(request.body, dict):
            return DETACH_LINK
        body = plain(request.body)
        correlation = reply_correlation(request.correlation_id)
        agent = request.subject or "broker"
        opcode = props["qmf.opcode"]
        if opcode == "_query_request":
            pages = self.query(body)
            if isinstance(pages, QmfError):
                deliver(self.exception(pages, self.state.agent_name, correlation))
                return None
            for index, page in enumerate(pages):
                properties = {
                    "method": "response",
                    "qmf.agent": agent,
                    "qmf.content": "_data",
                    "qmf.opcode": "_query_response",
                }
                if index < len(pages) - 1:
                    properties["partial"] = ""
                deliver(encode_message(properties, page, "amqp/list", correlation))
        elif opcode == "_method_request":
            try:
                result = self.call(body)
            except QmfError as error:
                deliver(self.exception(error, agent, correlation))
                return None
            if result is None:
                return SHUTDOWN
            properties = {
                "method": "response",
                "qmf.agent": agent,
                "qmf.opcode": "_method_response",
            }
            deliver(encode_message(properties, {"_arguments": result}, "amqp/map", correlation))
        elif locate:
            self.on_locate()
            properties = {
                "method": "indication",
                "qmf.agent": self.state.agent_name,
                "qmf.opcode": "_agent_locate_response",
            }
            body = {"_values": agent_values(self.state)}
            deliver(encode_message(properties, body, "amqp/map", correlation))
        return None

    @staticmethod
    def exception(error: QmfError, agent: str, correlation: str | None) -> bytes:
        properties = {"method": "indication", "qmf.agent": agent, "qmf.opcode": "_exception"}
        body = {"_values": {"error_code": uint(error.code), "error_text": error.text.encode()}}
        return encode_message(properties, body, "amqp/map", correlation)

    def reply_route(self, reply_to: str | None) -> Callable[[bytes], None] | None:
        """Resolve reply-to as a queue, an exchange, or `exchange/key`; None if unknown."""
        if not reply_to:
            return None
        state = self.state
        queue = state.queues.get(reply_to)
        if queue is not None:
            return lambda body: state.deliver_to_queue(queue, body)
        name, _, key = reply_to.partition("/")
        exchange = state.exchanges.get(name)
        if exchange is None:
            return None
        return lambda body: state.route(exchange, body, key, {})

    # ---- queries --------------------------------------------------------------------------

    def query(self, body: dict[str, Any]) -> list[list[dict[str, Any]]] | QmfError:
        if "_what" not in body:
            return QmfError("_what element missing in Query", errors.NO_OBJECT)
        what = body["_what"]
        if not isinstance(what, str):
            return QmfError("_what element is not a string", errors.NO_OBJECT)
        if what != "OBJECT":
            return QmfError(f"Query for _what => '{what}' not supported", errors.NO_OBJECT)
        object_id = body.get("_object_id")
        schema_id = body.get("_schema_id")
        if isinstance(object_id, dict) and "_object_name" in object_id:
            name = text_of(object_id["_object_name"])
            named = self.named(name)
            found = [] if named is None else [named.encode(False)]
        elif isinstance(schema_id, dict) and "_class_name" in schema_id:
            class_name = text_of(schema_id["_class_name"])
            package = schema_id.get("_package_name")
            found = [
                obj.encode(True)
                for obj in self.objects(class_name)
                if (package is None or text_of(package) == SCHEMAS[class_name][0])
            ]
        else:
            found = []
        return [found[i : i + PAGE_SIZE] for i in range(0, len(found), PAGE_SIZE)] or [[]]

    def objects(self, class_name: str | None = None) -> list[QmfObject]:
        """The management objects of one class (or all), in qpidd's order (by object name).

        Only the class asked for is built, so a create among 10,000 queues stays cheap.
        """
        state = self.state
        producers: dict[str, Callable[[], Iterable[QmfObject]]] = {
            "broker": lambda: [self.broker_object()],
            "queue": lambda: [self.queue_object(q) for q in state.queues.values()],
            "exchange": lambda: [self.exchange_object(x) for x in state.exchanges.values()],
            "binding": self.binding_objects,
            "habroker": lambda: [] if self.ha is None else [self.habroker_object(self.ha)],
        }
        if class_name in producers:
            found = list(producers[class_name]())
        else:
            found = [
                obj
                for produce in (
                    *producers.values(),
                    self.connection_objects,
                    self.federation_objects,
                    self.singleton_objects,
                )
                for obj in produce()
                if class_name is None or obj.class_name == class_name
            ]
        return sorted(found, key=lambda obj: obj.name.encode())

    def named(self, name: str) -> QmfObject | None:
        """The object called ``name`` (``package:class:key``), building only its class."""
        if name.startswith("org.apache.qpid.broker:queue:"):
            queue = self.state.queues.get(name.split(":", 2)[2])
            return None if queue is None else self.queue_object(queue)
        if name.startswith("org.apache.qpid.broker:exchange:"):
            exchange = self.state.exchanges.get(name.split(":", 2)[2])
            return None if exchange is None else self.exchange_object(exchange)
        parts = name.split(":", 2)
        candidates = self.objects(parts[1] if len(parts) == 3 else None)
        return next((obj for obj in candidates if obj.name == name), None)

    def epoch(self, persistent: bool) -> int | None:
        return None if persistent else self.state.epoch

    def broker_object(self) -> QmfObject:
        state = self.state
        values = {
            **counters(state.stats, BROKER_COUNTERS),
            "connBacklog": ushort(10),
            "dataDir": DATA_DIR.encode(),
            "maxConns": ushort(500),
            "mgmtPubInterval": ushort(10),
            "mgmtPublish": True,
            "name": b"amqp-broker",
            "port": ushort(state.port),
            "queueCount": ulong(len(state.queues)),
            "stagingThreshold": uint(0),
            "systemRef": ref(f"org.apache.qpid.broker:system:{state.system_id}"),
            "uptime": ulong(time.time_ns() - state.started),
            "version": b"1.40.0",
            "workerThreads": ushort(3),
        }
        return QmfObject("broker", BROKER_NAME, state.started, values, None)

    def queue_object(self, queue: Queue) -> QmfObject:
        values = {
            **counters(queue.stats, QUEUE_COUNTERS),
            **gauge("bindingCount", len(queue.bindings)),
            **gauge("consumerCount", len(queue.consumers)),
            **gauge("unackedMessages", 0),
            "arguments": queue.arguments,
            "autoDelete": queue.auto_delete,
            "creator": queue.creator.encode(),
            "durable": queue.durable,
            "exclusive": queue.exclusive,
            "flowStopped": False,
            "flowStoppedCount": uint(0),
            "messageLatencyAvg": int32(0),
            "messageLatencyCount": ulong(0),
            "messageLatencyMax": ulong(0),
            "messageLatencyMin": int32(0),
            "name": queue.name.encode(),
            "redirectPeer": b"",
            "redirectSource": False,
            "vhostRef": ref(VHOST_NAME),
        }
        if queue.alt_exchange is not None:
            values["altExchange"] = self.exchange_ref(queue.alt_exchange)
        name = f"org.apache.qpid.broker:queue:{queue.name}"
        return QmfObject("queue", name, queue.created, values, self.epoch(queue.durable))

    def exchange_ref(self, name: str) -> dict[str, Any]:
        exchange = self.state.exchanges.get(name)
        durable = exchange is None or exchange.durable
        return ref(f"org.apache.qpid.broker:exchange:{name}", self.epoch(durable))

    def exchange_object(self, exchange: Exchange) -> QmfObject:
        values = {
            **counters(exchange.stats, EXCHANGE_COUNTERS),
            **gauge("bindingCount", len(exchange.bindings)),
            **gauge("producerCount", 0),
            "arguments": exchange.arguments,
            "autoDelete": False,
            "durable": exchange.durable,
            "name": exchange.name.encode(),
            "type": exchange.type.encode(),
            "vhostRef": ref(VHOST_NAME),
        }
        if exchange.alt_exchange is not None:
            values["altExchange"] = self.exchange_ref(exchange.alt_exchange)
        name = f"org.apache.qpid.broker:exchange:{exchange.name}"
        return QmfObject("exchange", name, exchange.created, values, self.epoch(exchange.durable))

    def binding_objects(self) -> list[QmfObject]:
        found = []
        for exchange in self.state.exchanges.values():
            for binding in exchange.bindings:
                queue = binding.queue
                values = {
                    "arguments": binding.arguments,
                    "bindingKey": binding.key.encode(),
                    "exchangeRef": self.exchange_ref(exchange.name),
                    "msgMatched": ulong(binding.matched),
                    "queueRef": ref(
                        f"org.apache.qpid.broker:queue:{queue.name}", self.epoch(queue.durable)
                    ),
                }
                if "qpid.fed.origin" in binding.arguments:  # propagated by a dynamic route
                    values["origin"] = text_of(binding.arguments["qpid.fed.origin"]).encode()
                persistent = exchange.durable and queue.durable
                found.append(
                    QmfObject(
                        "binding",
                        binding.object_name,
                        binding.created,
                        values,
                        self.epoch(persistent),
                    )
                )
        return found

    def session_ref(self, session: Session) -> dict[str, Any]:
        return ref(f"org.apache.qpid.broker:session:{session.name}", self.state.epoch)

    def connection_objects(self) -> list[QmfObject]:
        """Client connections, their sessions and AMQP 1.0 links (see `connections`)."""
        found = []
        epoch, vhost = self.state.epoch, ref(VHOST_NAME)
        for conn in self.state.connections.values():
            conn_name = f"org.apache.qpid.broker:connection:{conn.address}"
            values = connections.connection_values(conn, vhost)
            found.append(QmfObject("connection", conn_name, conn.created, values, epoch))
            for session in conn.sessions:
                values = connections.session_values(session, ref(conn_name, epoch), vhost)
                name = f"org.apache.qpid.broker:session:{session.name}"
                found.append(QmfObject("session", name, session.created, values, epoch))
            for endpoint in conn.endpoints:
                class_name = "incoming" if endpoint.incoming else "outgoing"
                values = connections.endpoint_values(
                    conn, endpoint, self.session_ref(endpoint.session)
                )
                name = f"org.apache.qpid.broker:{class_name}:{conn.container_id},{endpoint.name}"
                found.append(QmfObject(class_name, name, endpoint.created, values, epoch))
        return found

    def federation_objects(self) -> list[QmfObject]:
        """Links, bridges and their subscriptions (`federation_objects`), and `add topic` topics."""
        state = self.state
        found = [QmfObject(*row) for row in federation_objects.management_objects(state)]
        for topic in state.topics.values():
            values = {
                "durable": topic.durable,
                "exchangeRef": self.exchange_ref(topic.exchange),
                "name": topic.name.encode(),
                "properties": topic.properties,
            }
            name = f"org.apache.qpid.broker:topic:{topic.name}"
            found.append(QmfObject("topic", name, topic.created, values, self.epoch(topic.durable)))
        return found

    def singleton_objects(self) -> list[QmfObject]:
        """system, vhost, memory, acl and store: one of each, values mostly constant."""
        state = self.state
        uname = os.uname()
        broker_ref = ref(BROKER_NAME)
        system = {
            "machine": uname.machine.encode(),
            "nodeName": uname.nodename.encode(),
            "osName": uname.sysname.encode(),
            "release": uname.release.encode(),
            "systemId": state.system_id,
            "version": uname.version.encode(),
        }
        vhost = {
            "brokerRef": broker_ref,
            "federationTag": state.agent_name.rpartition(":")[2].encode(),
            "name": b"/",
        }
        memory = {
            **{f"malloc_{name}": ulong(0) for name in ("hblkhd", "hblks")},
            **{
                f"malloc_{name}": ulong(value)
                for name, value in (
                    ("arena", 8986624),
                    ("fordblks", 5751536),
                    ("keepcost", 132032),
                    ("ordblks", 1568),
                    ("uordblks", 3235088),
                )
            },
            "name": b"amqp-broker",
        }
        acl = {
            "aclDenyCount": ulong(0),
            "brokerRef": broker_ref,
            "connectionDenyCount": ulong(0),
            "enforcingAcl": True,
            "lastAclLoad": state.started,
            "maxConnections": ushort(500),
            "maxConnectionsPerIp": ushort(0),
            "maxConnectionsPerUser": ushort(0),
            "maxQueuesPerUser": ushort(0),
            "policyFile": b"",
            "queueQuotaDenyCount": ulong(0),
            "transferAcl": False,
        }
        store = {
            **gauge("tplTransactionDepth", 0),
            "brokerRef": broker_ref,
            "storeDir": DATA_DIR.encode(),
            "tplDirectory": f"{DATA_DIR}/qls/tpl2/".encode(),
            "tplIsInitialized": False,
            "tplTxnAborts": ulong(0),
            "tplTxnCommits": ulong(0),
            "tplTxnPrepares": ulong(0),
            "tplWritePageSize": uint(4096),
            "tplWritePages": uint(16),
        }
        started, epoch = state.started, state.epoch
        return [
            QmfObject(
                "system", f"org.apache.qpid.broker:system:{state.system_id}", started, system, None
            ),
            QmfObject("vhost", VHOST_NAME, started, vhost, None),
            QmfObject("memory", "amqp-broker", started, memory, epoch),
            QmfObject("acl", f"org.apache.qpid.acl:acl:{BROKER_NAME}", started, acl, epoch),
            QmfObject(
                "store", f"org.apache.qpid.linearstore:store:{BROKER_NAME}", started, store, None
            ),
        ]

    def habroker_object(self, ha: HaBroker) -> QmfObject:
        members = [
            {
                "host-name": b"127.0.0.1" if port else b"",
                "port": ushort(port),
                "protocol": b"tcp" if port else b"",
                "status": int32(STATUS_CODES[status]),
                "system-id": system_id,
            }
            for port, system_id, status in ha.members()
        ]
        values = {
            "brokersUrl": ha.brokers_url.encode(),
            "members": members,
            "name": b"ha-broker",
            "publicUrl": ha.public_url.encode(),
            "replicateDefault": ha.replicate_default.encode(),
            "status": ha.status.encode(),
            "systemId": self.state.system_id,
        }
        return QmfObject("habroker", HABROKER_NAME, ha.created, values, self.state.epoch)

    # ---- methods --------------------------------------------------------------------------

    def call(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Run a method; returns its output arguments, or None for shutdown (no reply)."""
        object_id = body.get("_object_id")
        method = body.get("_method_name")
        if not isinstance(object_id, dict) or method is None:
            raise QmfError("InvalidParameter", errors.INVALID_PARAMETER)
        name = text_of(object_id.get("_object_name"))
        target = self.named(name)
        if target is None:
            raise errors.no_object(name)
        handler = METHODS.get((target.class_name, text_of(method)))
        if handler is None:
            raise QmfError("UnknownMethod", errors.UNKNOWN_METHOD)
        arguments = body.get("_arguments")
        return handler(self, target, arguments if isinstance(arguments, dict) else {})


Method = Callable[[Agent, QmfObject, dict[str, Any]], "dict[str, Any] | None"]


def arg(arguments: dict[str, Any], name: str) -> str:
    return text_of(arguments.get(name))


def create(agent: Agent, _: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    agent.state.create(arg(a, "type"), arg(a, "name"), a.get("properties"))
    return {}


def delete(agent: Agent, _: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    agent.state.delete(arg(a, "type"), arg(a, "name"), a.get("options"))
    return {}


def federation_method(
    action: Callable[[BrokerState, str, dict[str, Any]], None],
) -> Method:
    """A link or bridge method: `action(state, object name, arguments)`, no output."""

    def method(agent: Agent, target: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
        action(agent.state, target.name, a)
        return {}

    return method


def echo(_: Agent, __: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    return {
        "body": arg(a, "body").encode(),
        "sequence": uint(to_unsigned(a.get("sequence", 0), "uint32")),
    }


def set_log_level(agent: Agent, _: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    if "level" in a:
        agent.state.set_log_level(arg(a, "level"))
    return {}


def broker_query(_: Agent, __: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    if arg(a, "type") != "queue":
        raise QmfError("NotImplemented", errors.NOT_IMPLEMENTED)
    return {"results": {}}


def purge(agent: Agent, target: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    queue = agent.state.queues[target.name.split(":", 2)[2]]
    agent.state.purge(queue, to_unsigned(a.get("request", 0), "uint32"))
    return {}


def reload_acl(agent: Agent, __: QmfObject, ___: dict[str, Any]) -> dict[str, Any]:
    values = {"userId": "", "reason": errors.ACL_RELOAD_TEXT}
    agent.state.event("fileLoadFailed", values, severity="error", package="org.apache.qpid.acl")
    raise QmfError(errors.ACL_RELOAD_TEXT, errors.ACL_RELOAD_FAILED)


def queue_redirect(agent: Agent, _: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
    """Raises the events of 320; the double does not move messages to the target queue."""
    source, target = arg(a, "sourceQueue"), arg(a, "targetQueue")
    redirects = agent.state.redirects
    if target:
        redirects[source] = target
        agent.state.event("queueRedirect", {"qName": source, "qTarget": target})
    else:
        values = {"qName": source, "qTarget": redirects.pop(source, "")}
        agent.state.event("queueRedirectCancelled", values)
    return {}


def ha_method(action: Callable[[HaBroker, dict[str, Any]], None]) -> Method:
    def method(agent: Agent, _: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
        assert agent.ha is not None  # the habroker object only exists with HA
        action(agent.ha, a)
        return {}

    return method


def setting(attribute: str) -> tuple[Method, Method]:
    """A get/set method pair for a broker setting kept on the state."""

    def get(agent: Agent, _: QmfObject, __: dict[str, Any]) -> dict[str, Any]:
        return {OUTPUT_NAMES[attribute]: getattr(agent.state, attribute)}

    def set_(agent: Agent, _: QmfObject, a: dict[str, Any]) -> dict[str, Any]:
        setattr(agent.state, attribute, bool(a.get(OUTPUT_NAMES[attribute], False)))
        return {}

    return get, set_


OUTPUT_NAMES = {"timestamp_receive": "receive", "log_hires": "logHires"}
get_timestamps, set_timestamps = setting("timestamp_receive")
get_hires, set_hires = setting("log_hires")

METHODS: dict[tuple[str, str], Method] = {
    ("broker", "create"): create,
    ("broker", "delete"): delete,
    ("broker", "echo"): echo,
    ("broker", "getLogLevel"): lambda agent, _, __: {"level": agent.state.log_level.encode()},
    ("broker", "setLogLevel"): set_log_level,
    ("broker", "getTimestampConfig"): get_timestamps,
    ("broker", "setTimestampConfig"): set_timestamps,
    ("broker", "getLogHiresTimestamp"): get_hires,
    ("broker", "setLogHiresTimestamp"): set_hires,
    ("broker", "query"): broker_query,
    ("broker", "shutdown"): lambda _, __, ___: None,
    ("broker", "queueRedirect"): queue_redirect,
    ("broker", "connect"): federation_method(lambda state, _, a: federation.connect(state, a)),
    ("link", "bridge"): federation_method(
        lambda state, name, a: federation.link_bridge(state, name.split(":", 2)[2], a)
    ),
    ("link", "close"): federation_method(lambda state, name, _: federation.close(state, name)),
    ("bridge", "close"): federation_method(lambda state, name, _: federation.close(state, name)),
    ("queue", "purge"): purge,
    ("acl", "reloadACLFile"): reload_acl,
    ("habroker", "promote"): ha_method(lambda ha, a: ha.promote()),
    ("habroker", "setBrokersUrl"): ha_method(lambda ha, a: ha.set_brokers_url(arg(a, "url"))),
    ("habroker", "setPublicUrl"): ha_method(lambda ha, a: ha.set_public_url(arg(a, "url"))),
    ("habroker", "replicate"): ha_method(
        lambda ha, a: ha.replicate(arg(a, "broker"), arg(a, "queue"))
    ),
}
