"""Federation in a double: links, bridges, and the messages bridges carry between doubles.

A link's state is worked out when it is looked at (a query, a method) or when a double on
its port starts or stops, never by a timer, as in the HA module: a link to a running double in
this process is `Operational`; to a double that wants a login (`BrokerState.link_users`, like
qpidd `--auth yes`) with no mechanism or a wrong password it is `Failed` and stays so; to any
other open port it is `Operational` without a connection, and `Waiting` with `Closed by peer`
after `SILENT_PEER_TIMEOUT_S` (what qpidd showed for a port that accepts TCP and never
answers); otherwise `Waiting` with `Connection refused`. `Connecting` is
never shown: it never lasted long enough to be seen on qpidd either (captures 312).

A bridge between two doubles really carries messages: the source broker gets the bridge queue
qpidd makes there (`qpid.bridge_queue_<bridge>_<federation tag>`, bound to the source exchange
with the bridge's key, or with every key bound at the destination for a dynamic route), and
what arrives on it is routed into the destination exchange. A queue route drains the source
queue itself; a push route (`srcIsLocal`) drains the local broker into the far one.
A connected link has its AMQP 0-10 connection objects on both brokers, and each active bridge
its session and WINDOW subscription on the source. Not simulated: a link's `qpid.link.<name>`
exchange (only its events), the growing interval between a link's attempts, and a
dynamic route letting go of a key when the destination's last binding with it goes. A link
with transport `ssl` to a port waits with the NSS error qpidd gave for a plain port (no double
speaks TLS on a link).
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from proton import Message, int32

from qpidtools.testing import errors
from qpidtools.testing.errors import QmfError
from qpidtools.testing.values import text_of, to_bool, to_unsigned

if TYPE_CHECKING:
    from qpidtools.testing.model import BrokerState, Queue, Session

#: Running doubles by port, so that links and HA `replicate` can reach a double in this process.
DOUBLES: dict[int, BrokerState] = {}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
#: Transports qpidd 1.40 was built with; `rdma` was not (captures 310: code 3 NotImplemented).
TRANSPORTS = ("tcp", "ssl")
SSL_ON_PLAIN_PORT = errors.located("Failed: NSS error [-12265]", "sys/ssl/SslSocket.cpp", 205)
REFUSED = "Connection refused"
CLOSED = "Closed by peer"
#: After a peer went away qpidd's next attempt (and its `Connection refused`) came ~1 s later.
RETRY_S = 1.0
#: A link to a port that accepts TCP and never answers was `Operational` (no connection) for
#: about 10 s, then `Waiting` with `Closed by peer`, and tried again (captures 312).
SILENT_PEER_TIMEOUT_S = 10.0
UNLIMITED_CREDIT = 0xFFFFFFFF


def number(value: Any, default: int = 0) -> int:
    """A port, sync or credit argument (absent: ``default``), converted as qpidd does."""
    return default if value is None else to_unsigned(value, "uint32")


@dataclass(eq=False)
class FederationLink:
    """An inter-broker link (`connect`, `create link`, or HA `replicate`)."""

    name: str
    host: str
    port: int
    state: str = "Waiting"
    last_error: str = ""
    _: KW_ONLY
    transport: str = "tcp"
    durable: bool = False
    mechanism: str = ""
    username: str = ""
    password: str = ""
    owner: BrokerState | None = None
    created: int = field(default_factory=time.time_ns)
    connected: bool = False  # has a connection to a double (connectionRef is set)
    # The connection objects of the link while connected: (broker, address) on both ends.
    connections: list[tuple[BrokerState, str]] = field(default_factory=list)
    closed_at: float | None = None  # when the peer went away
    silent_since: float | None = None  # since when the peer accepts TCP and says nothing
    channels: Iterator[int] = field(default_factory=lambda: itertools.count(2))


@dataclass(eq=False)
class Bridge:
    """A route over a link; `feeds` is what it drains on the source broker while active."""

    name: str
    link: FederationLink
    src: str
    dest: str
    _: KW_ONLY
    key: str = ""
    tag: str = ""
    excludes: str = ""
    src_is_queue: bool = False
    src_is_local: bool = False
    dynamic: bool = False
    durable: bool = False
    sync: int = 0
    credit: int = UNLIMITED_CREDIT
    channel: int = 1
    created: int = field(default_factory=time.time_ns)
    feeds: tuple[BrokerState, Queue] | None = None
    session: Session | None = None  # the bridge's session on the source broker, while active


def federation_tag(state: BrokerState) -> str:
    """The broker's federation tag (the vhost's `federationTag`, its agent uuid)."""
    return state.agent_name.rpartition(":")[2]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def peer(link: FederationLink) -> BrokerState | None:
    """The running double at the link's far end, if it is one."""
    return DOUBLES.get(link.port) if link.host in LOOPBACK_NAMES else None


# ---- links ----------------------------------------------------------------------------------


def open_link(
    state: BrokerState, name: str, host: str, port: int, **settings: Any
) -> FederationLink:
    """Add a link to `state`, declare its exchange and make the first connection attempt."""
    link = FederationLink(name, host, port, owner=state, **settings)
    state.links[name] = link
    state.event("exchangeDeclare", exchange_event_values(link, declared=True))
    refresh(link)
    return link


def exchange_event_values(link: FederationLink, declared: bool) -> dict[str, Any]:
    """The `_values` of the events about a link's `qpid.link.<name>` exchange (captures 320)."""
    values: dict[str, Any] = {
        "exName": f"qpid.link.{link.name}".encode(),
        "rhost": b"",
        "user": b"",
    }
    if declared:
        values.update(
            altEx=b"", args={}, autoDel=False, disp=b"created", durable=False,
            exType=b"qpid.LinkExchange",
        )  # fmt: skip
    return values


def attempt(link: FederationLink) -> tuple[str, str, bool]:
    """(state, lastError, connected) of one connection attempt from the link."""
    target = peer(link)
    reachable = target is not None or (link.port > 0 and port_open(link.host, link.port))
    if not reachable:
        return "Waiting", REFUSED, False
    if link.transport == "ssl":  # no double and no recorded qpidd spoke TLS on these ports
        return "Waiting", SSL_ON_PLAIN_PORT, False
    if target is not None and target.link_users is not None:
        if not link.mechanism:
            return "Failed", "connection-forced: Unsupported mechanism", False
        if target.link_users.get(link.username) != link.password:
            return "Failed", "connection-forced: Authentication failed", False
    return "Operational", link.last_error, target is not None


def refresh(link: FederationLink) -> None:
    """Bring the link's state up to date, raising brokerLinkUp/Down as qpidd does."""
    owner = link.owner
    if link.state == "Failed" or owner is None:
        return  # failed links are not retried
    now = time.monotonic()
    if link.closed_at is not None and now - link.closed_at < RETRY_S:
        return
    state, error, connected = attempt(link)
    if state == "Operational" and not connected:  # a port that accepts and never answers
        link.silent_since = link.silent_since if link.silent_since is not None else now
        if now - link.silent_since >= SILENT_PEER_TIMEOUT_S:
            state, error, link.silent_since = "Waiting", CLOSED, None
    else:
        link.silent_since = None
    lost = link.connected and not connected  # the peer went away
    if lost or (link.state == "Operational" and state != "Operational"):
        state, error, link.closed_at = "Waiting", CLOSED, now
        if lost:
            owner.event("brokerLinkDown", rhost_values(link), severity="warn")
    elif state != "Waiting":
        link.closed_at = None
    link.state, link.last_error = state, error
    if connected and not link.connected:
        owner.event("brokerLinkUp", rhost_values(link))
        open_connections(owner, link)
    elif link.connected and not connected:
        close_connections(link)
    link.connected = connected
    for bridge in bridges_of(owner, link):
        if connected:
            start_bridge(owner, bridge)
        else:
            stop_bridge(bridge)


#: Client ports of the links' connections as the source broker lists them (made up).
_CLIENT_PORTS = itertools.count(47000)


def open_connections(owner: BrokerState, link: FederationLink) -> None:
    """The link's AMQP 0-10 connection as both brokers list it (captures 310): outgoing and
    named after the link where it is held, incoming with `qpid.fed_link` at the far end."""
    from qpidtools.testing.model import ClientConnection

    target = peer(link)
    assert target is not None  # only links to a double connect
    here = ClientConnection(
        link.name, "", "", protocol="AMQP 0-10", incoming=False, auth_identity=""
    )
    address = f"qpid.127.0.0.1:{target.port}-127.0.0.1:{next(_CLIENT_PORTS)}"
    tag = {"qpid.fed_link": int32(1), "qpid.federation_tag": federation_tag(owner)}
    there = ClientConnection(address, "", "", properties=tag, protocol="AMQP 0-10")
    owner.connections[here.address] = here
    target.connections[there.address] = there
    link.connections = [(owner, here.address), (target, there.address)]


def close_connections(link: FederationLink) -> None:
    for state, address in link.connections:
        state.connections.pop(address, None)
    link.connections = []


def rhost_values(link: FederationLink) -> dict[str, Any]:
    return {"rhost": f"{link.host}:{link.port}".encode()}


def peers_changed() -> None:
    """A double started or stopped: every link of every double looks again (call with LOCK)."""
    for state in list(DOUBLES.values()):
        for link in list(state.links.values()):
            link.closed_at = None
            refresh(link)


def connect(state: BrokerState, arguments: dict[str, Any]) -> None:
    """Broker method `connect`: a link `qpid.<transport>:<host>:<port>`, unless a link to the
    same host, port and transport exists under any name (it is reused: captures 310, 313)."""
    transport = text_of(arguments.get("transport")) or "tcp"
    if transport not in TRANSPORTS:
        raise QmfError("NotImplemented", errors.NOT_IMPLEMENTED)
    host, port = text_of(arguments.get("host")), number(arguments.get("port"), 5672)
    address = (host, port, transport)
    if any((k.host, k.port, k.transport) == address for k in state.links.values()):
        return
    name = f"qpid.{transport}:{host}:{port}"
    open_link(state, name, host, port, **link_settings(arguments, transport))


def link_settings(properties: dict[str, Any], transport: str) -> dict[str, Any]:
    return {
        "transport": transport,
        "durable": to_bool(properties.get("durable", False)),
        "mechanism": text_of(properties.get("authMechanism")),
        "username": text_of(properties.get("username")),
        "password": text_of(properties.get("password")),
    }


def check_reserved(name: str) -> None:
    if name.startswith("qpid."):
        raise QmfError(f"names prefixed with 'qpid.' are reserved: {name}")


def create_link(state: BrokerState, name: str, properties: Any) -> None:
    """`create {type: link}`: no host or port is allowed (the link just waits)."""
    check_reserved(name)
    if name in state.links:
        raise errors.already_exists(name)
    props = dict(properties) if isinstance(properties, dict) else {}
    transport = text_of(props.get("transport")) or "tcp"
    if transport not in TRANSPORTS:
        raise QmfError(f"transport is not supported: {transport}")
    port = number(props.get("port"))
    open_link(state, name, text_of(props.get("host")), port, **link_settings(props, transport))


def delete_link(state: BrokerState, name: str) -> None:
    """Delete a link and its bridges; a missing one is not an error (captures 311)."""
    link = state.links.pop(name, None)
    if link is None:
        return
    close_connections(link)
    for bridge in bridges_of(state, link):
        delete_bridge(state, bridge.name)
    state.event("exchangeDelete", exchange_event_values(link, declared=False))


def bridges_of(state: BrokerState, link: FederationLink) -> list[Bridge]:
    return [bridge for bridge in state.bridges.values() if bridge.link is link]


# ---- bridges --------------------------------------------------------------------------------


def add_bridge(
    state: BrokerState, link: FederationLink, name: str, arguments: dict[str, Any]
) -> Bridge:
    """A bridge on `link` from the `create`/`bridge` arguments, started if the link is up."""
    bridge = Bridge(
        name,
        link,
        text_of(arguments.get("src")),
        text_of(arguments.get("dest")),
        key=text_of(arguments.get("key")),
        tag=text_of(arguments.get("tag")),
        excludes=text_of(arguments.get("excludes")),
        src_is_queue=to_bool(arguments.get("srcIsQueue", False)),
        src_is_local=to_bool(arguments.get("srcIsLocal", False)),
        dynamic=to_bool(arguments.get("dynamic", False)),
        durable=to_bool(arguments.get("durable", False)),
        sync=number(arguments.get("sync")),
        credit=number(arguments.get("credit"), UNLIMITED_CREDIT),
        channel=next(link.channels),
    )
    state.bridges[name] = bridge
    refresh(link)
    if link.connected:
        start_bridge(state, bridge)
    return bridge


def link_bridge(state: BrokerState, link_name: str, arguments: dict[str, Any]) -> None:
    """Link method `bridge`: the bridge `<link>!<src>!<dest>!<key>`, reused if it exists."""
    link = state.links[link_name]
    name = "!".join([link_name, *(text_of(arguments.get(key)) for key in ("src", "dest", "key"))])
    if name not in state.bridges:
        add_bridge(state, link, name, arguments)


def create_bridge(state: BrokerState, name: str, properties: Any) -> None:
    """`create {type: bridge}`; a missing link, or a durable bridge on a transient link, is
    `invalid parameter to method call` (captures 313, classic `-d route add`)."""
    check_reserved(name)
    if name in state.bridges:
        raise errors.already_exists(name)
    props = dict(properties) if isinstance(properties, dict) else {}
    link = state.links.get(text_of(props.get("link")))
    if link is None or (to_bool(props.get("durable", False)) and not link.durable):
        raise QmfError(f"invalid parameter to method call: {name}")
    add_bridge(state, link, name, props)


def delete_bridge(state: BrokerState, name: str) -> None:
    """Delete a bridge; a missing one is not an error (captures 311)."""
    bridge = state.bridges.pop(name, None)
    if bridge is not None:
        stop_bridge(bridge)


def start_bridge(local: BrokerState, bridge: Bridge) -> None:
    """Make the bridge drain its source on the far (or, for a push route, local) broker."""
    remote = peer(bridge.link)
    if bridge.feeds is not None or remote is None:
        return
    source, target = (local, remote) if bridge.src_is_local else (remote, local)
    queue = (
        source.queues.get(bridge.src)
        if bridge.src_is_queue
        else bridge_queue(source, target, bridge)
    )
    if queue is None:
        return  # a missing source is accepted; nothing flows (captures 313)
    bridge.feeds = (source, queue)
    bridge.session = open_session(source, bridge, federation_tag(target))
    queue.consumers.add(bridge)
    queue.forward = forwarder(source, queue, target, bridge.dest)
    for _ in range(queue.depth):
        queue.forward(b"")


def bridge_queue(source: BrokerState, target: BrokerState, bridge: Bridge) -> Queue | None:
    """The queue qpidd declares on the source broker for an exchange route, bound there."""
    exchange = source.exchanges.get(bridge.src)
    if exchange is None:
        return None
    tag = federation_tag(target)
    queue = source.create_queue(
        f"qpid.bridge_queue_{bridge.name}_{tag}",
        {"auto-delete": True, "qpid.trace.exclude": tag, "qpid.trace.id": federation_tag(source)},
        exclusive=True,
    )
    if not bridge.dynamic:
        source.add_binding(exchange, queue, bridge.key, {})
        return queue
    destination = target.exchanges.get(bridge.dest)
    for key in dict.fromkeys(b.key for b in (destination.bindings if destination else [])):
        propagate(source, target, queue, bridge.src, key)
    return queue


def propagate(source: BrokerState, target: BrokerState, queue: Queue, src: str, key: str) -> None:
    """Bind a dynamic route's queue on the source as the destination exchange is bound."""
    exchange = source.exchanges.get(src)
    if exchange is None or any(b.queue is queue and b.key == key for b in exchange.bindings):
        return
    tag = federation_tag(target)
    arguments = {"qpid.fed.op": "", "qpid.fed.origin": tag, "qpid.fed.tags": tag}
    if source.ha_enabled:
        arguments["qpid.replicate"] = "none"
    source.add_binding(exchange, queue, key, arguments)


def key_bound(state: BrokerState, exchange: str, key: str) -> None:
    """A new binding key on `exchange`: the dynamic routes into it ask their source for it."""
    for bridge in state.bridges.values():
        if bridge.dynamic and bridge.dest == exchange and bridge.feeds is not None:
            source, queue = bridge.feeds
            propagate(source, state, queue, bridge.src, key)


def stop_bridge(bridge: Bridge) -> None:
    if bridge.feeds is None:
        return
    source, queue = bridge.feeds
    bridge.feeds = None
    if bridge.session is not None and bridge.session in bridge.session.connection.sessions:
        bridge.session.connection.sessions.remove(bridge.session)
    bridge.session = None
    queue.forward = None
    queue.consumers.discard(bridge)
    if queue.name.startswith("qpid.bridge_queue_"):
        source.drop_queue(queue)


def open_session(source: BrokerState, bridge: Bridge, tag: str) -> Session | None:
    """The session qpidd opens for the bridge on the link's connection at the source."""
    from qpidtools.testing.model import Session

    address = next((a for state, a in bridge.link.connections if state is source), None)
    connection = source.connections.get(address or "")
    if connection is None:
        return None
    session = Session(f"anonymous.qpid.bridge_session_{bridge.name}_{tag}", connection)
    connection.sessions.append(session)
    return session


#: The brokers a message has passed through in the forwarding chain now running (under LOCK):
#: qpidd's trace ids keep a message from going round a loop of routes; this does the same.
_VISITED: list[BrokerState] = []


def forwarder(
    source: BrokerState, queue: Queue, target: BrokerState, dest: str
) -> Callable[[bytes], None]:
    """Take the message just enqueued off the bridge's queue and route it at the target."""

    def forward(_: bytes) -> None:
        if not queue.messages:
            return
        (body,) = source.remove(queue, 1)
        exchange = target.exchanges.get(dest)
        if exchange is None or target in _VISITED:
            return
        message = Message()
        message.decode(body)
        _VISITED.append(source)
        try:
            target.route(exchange, body, message.subject or "", dict(message.properties or {}))
        finally:
            _VISITED.pop()
        target.wake()

    return forward


# ---- methods --------------------------------------------------------------------------------


def close(state: BrokerState, object_name: str) -> None:
    """Method `close` of a link or bridge object (the agent found the object first)."""
    kind, _, key = object_name.partition(":")[2].partition(":")
    if kind == "link":
        delete_link(state, key)
    else:
        delete_bridge(state, key.partition(",")[2])
