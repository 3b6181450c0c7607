"""The AMQP 1.0 side of a double: a proton container in a background thread.

It accepts connections on 127.0.0.1, answers QMF requests sent to `qmf.default.direct`, and moves
messages between client links and the double's queues so tests can make queues non-empty and
in use with plain proton, as the capture set-ups did against qpidd.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Self, TypeVar

from proton import (
    Condition,
    Connection,
    Delivery,
    Endpoint,
    Event,
    Handler,
    Link,
    Message,
    SSLDomain,
    Url,
    symbol,
)
from proton.reactor import ApplicationEvent, Container, EventInjector

from qpidtools.testing import agent as qmf
from qpidtools.testing import events, model
from qpidtools.testing.agent import Agent, Request
from qpidtools.testing.chaos import Chaos
from qpidtools.testing.connections import remote_properties
from qpidtools.testing.federation import DOUBLES, peers_changed
from qpidtools.testing.ha import Cluster, HaBroker
from qpidtools.testing.model import (
    DEFAULT_LOG_LEVEL,
    LOCK,
    BrokerState,
    ClientConnection,
    Queue,
)

log = logging.getLogger(__name__)
QMF_NODE = "qmf.default.direct"
CREDIT = 100
HaMode = Literal["standalone"] | None
_F = TypeVar("_F", bound=Callable[..., None])
_T = TypeVar("_T")


def guarded(method: _F) -> _F:
    """Log a handler's exception instead of letting it kill the container thread."""

    @functools.wraps(method)
    def wrapper(*args: Any) -> None:
        try:
            method(*args)
        except Exception:
            log.exception("broker double: error in %s", method.__name__)

    return wrapper  # type: ignore[return-value]


def required(value: _T | None) -> _T:
    """Proton types every event attribute as optional; the events handled here carry them."""
    assert value is not None, "proton event without the expected endpoint"
    return value


@dataclass(eq=False)
class Consumer:
    """Our sender link, feeding a queue to a client's receiver."""

    link: Link
    queue: Queue
    endpoint: model.Endpoint


@dataclass(eq=False)
class Producer:
    """Our receiver link, taking a client's messages to a node (None: use each message's `to`)."""

    link: Link
    node: str | None
    endpoint: model.Endpoint


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS listener; with `client_ca`, clients must show a certificate it signed."""

    certificate: str
    key: str
    client_ca: str | None = None

    def server_domain(self) -> SSLDomain:
        domain = SSLDomain(SSLDomain.MODE_SERVER)
        domain.set_credentials(self.certificate, self.key, None)
        if self.client_ca is not None:
            domain.set_trusted_ca_db(self.client_ca)
            domain.set_peer_authentication(SSLDomain.VERIFY_PEER, self.client_ca)
        return domain


class _Abort(Handler):
    """Drop a connection without an AMQP close, after the protocol header went out."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection

    def on_timer_task(self, event: Event) -> None:
        transport = self.connection.transport
        if transport is not None:
            transport.close_tail()
            transport.close_head()


class _Stop(Handler):
    def on_timer_task(self, event: Event) -> None:
        event.container.stop()


class _Server(Handler):
    """Proton event handler: connections, links, deliveries, QMF dispatch."""

    def __init__(self, double: BrokerDouble) -> None:
        super().__init__()
        self.double = double
        self.state = double.state
        self.connections: dict[Connection, ClientConnection] = {}
        self.transports: set[Connection] = set()
        self.sessions: dict[Any, model.Session] = {}
        self.consumers: dict[Link, Consumer] = {}
        self.producers: dict[Link, Producer] = {}
        self.tags = itertools.count()
        self.session_ids = itertools.count(0x7F0000001000, 0x1000)

    # ---- connections and sessions ---------------------------------------------------------

    @guarded
    def on_connection_bound(self, event: Event) -> None:
        self.transports.add(required(event.connection))
        required(event.transport).sasl().allowed_mechs("ANONYMOUS")

    @guarded
    def on_connection_remote_open(self, event: Event) -> None:
        conn = required(event.connection)
        with LOCK:
            ha = self.double.ha
            if ha is not None and not ha.accepts(conn.remote_properties):
                event.container.schedule(0, _Abort(conn))
                return
            peer: Url = required(conn.url)
            address = f"qpid.127.0.0.1:{self.double.port}-{peer.host}:{peer.port}"
            client = ClientConnection(
                address,
                conn.remote_container or "",
                "ANONYMOUS",
                properties=remote_properties(conn.remote_properties),
            )
            self.connections[conn] = self.state.connections[address] = client
            events.client_connected(self.state, client)
        conn.container = str(uuid.uuid4())
        conn.offered_capabilities = [symbol("ANONYMOUS-RELAY")]  # type: ignore[assignment,unused-ignore]
        conn.properties = {
            symbol("product"): "qpid-cpp",
            symbol("version"): "1.40.0",
            symbol("platform"): "Linux",
            symbol("host"): os.uname().nodename,
        }
        conn.open()

    @guarded
    def on_session_remote_open(self, event: Event) -> None:
        session = required(event.session)
        with LOCK:
            client = self.connections.get(session.connection)
            if client is not None:
                info = model.Session(f"0x{next(self.session_ids):x}", client)
                client.sessions.append(info)
                self.sessions[session] = info
        session.open()

    @guarded
    def on_session_remote_close(self, event: Event) -> None:
        required(event.session).close()

    @guarded
    def on_connection_remote_close(self, event: Event) -> None:
        conn = required(event.connection)
        self.forget_connection(conn)
        conn.close()

    @guarded
    def on_transport_closed(self, event: Event) -> None:
        if event.connection is not None:
            self.transports.discard(event.connection)
            self.forget_connection(event.connection)

    def forget_connection(self, conn: Connection) -> None:
        with LOCK:
            for link in [*self.consumers, *self.producers]:
                if link.connection == conn:
                    self.forget_link(link)
            client = self.connections.pop(conn, None)
            if client is not None:
                self.state.connections.pop(client.address, None)
                events.client_disconnected(self.state, client)
                for session in [
                    s for s, info in self.sessions.items() if info.connection is client
                ]:
                    del self.sessions[session]

    # ---- links ----------------------------------------------------------------------------

    @guarded
    def on_link_remote_open(self, event: Event) -> None:
        link = required(event.link)
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        with LOCK:
            session = self.sessions.get(link.session)
            with events.acting(self.state, session.connection if session else None):
                refused = None if session is None else self.attach(link, session)
        link.open()
        if refused is not None:
            link.condition = Condition("amqp:not-found", f"Node not found: {refused}")
            link.close()
        elif link.is_receiver:
            link.flow(CREDIT)
        else:
            self.pump_all()

    def attach(self, link: Link, session: model.Session) -> str | None:
        """Record a new link; returns the address it names if that node does not exist."""
        state = self.state
        if link.is_sender:
            source = link.remote_source
            if source.address == events.TOPIC:
                queue = events.subscribe(state, link, session.connection.container_id)
                name = queue.name
            elif source.dynamic:
                name = f"{session.connection.container_id}_{link.name}"
                queue = state.create_queue(name, {"auto-delete": True})
                link.source.address = name
                link.source.dynamic = False
            else:
                name = source.address or ""
                found = state.queues.get(name)
                if found is None:
                    return name
                queue = found
            endpoint = model.Endpoint(session, link.name, False, name, "")
            consumer = Consumer(link, queue, endpoint)
            queue.consumers.add(consumer)
            self.consumers[link] = consumer
            events.subscribed(state, queue)
        else:
            node = link.remote_target.address
            if (
                node not in (None, QMF_NODE)
                and node not in state.queues
                and node not in state.exchanges
            ):
                return node
            endpoint = model.Endpoint(session, link.name, True, "", node or "")
            self.producers[link] = Producer(link, node, endpoint)
        session.connection.endpoints.append(endpoint)
        return None

    @guarded
    def on_link_remote_close(self, event: Event) -> None:
        link = required(event.link)
        with LOCK:
            self.forget_link(link)
        link.close()

    def forget_link(self, link: Link) -> None:
        consumer = self.consumers.pop(link, None)
        producer = self.producers.pop(link, None)
        role = consumer or producer
        if role is None:
            return
        client = role.endpoint.session.connection
        if role.endpoint in client.endpoints:
            client.endpoints.remove(role.endpoint)
        if consumer is not None:
            self.state.release_consumer(consumer.queue, consumer)
            events.unsubscribed(self.state)

    @guarded
    def on_link_flow(self, event: Event) -> None:
        if required(event.link).is_sender:
            self.pump_all()

    def pump_all(self) -> None:
        """Send queued messages to every consumer that has credit."""
        with LOCK:
            for consumer in list(self.consumers.values()):
                link, queue = consumer.link, consumer.queue
                alive = self.state.queues.get(queue.name) is queue
                while (
                    alive
                    and link.credit > 0
                    and queue.messages
                    and link.state & Endpoint.LOCAL_ACTIVE
                ):
                    (body,) = self.state.remove(queue, 1)
                    link.delivery(str(next(self.tags)))
                    link.send(body)
                    link.advance()
                    consumer.endpoint.transfers += 1
                    consumer.endpoint.session.connection.messages_out += 1

    # ---- deliveries -----------------------------------------------------------------------

    @guarded
    def on_delivery(self, event: Event) -> None:
        delivery, link = required(event.delivery), required(event.link)
        if link.is_sender:
            if delivery.settled or delivery.remote_state:
                delivery.settle()
            return
        if not delivery.readable or delivery.partial:
            return
        body = link.recv(delivery.pending) or b""
        link.advance()
        producer = self.producers.get(link)
        if producer is None:
            delivery.settle()
            return
        message = Message()
        message.decode(body)
        client = producer.endpoint.session.connection
        with LOCK, events.acting(self.state, client):
            producer.endpoint.transfers += 1
            client.messages_in += 1
            node = producer.node or message.address
            action = self.dispatch(node, body, message)
        if action == qmf.CLOSE_CONNECTION:
            link.connection.condition = Condition("amqp:internal-error", "Out of Bounds")
            link.connection.close()
            return
        if action == qmf.DETACH_LINK:
            link.condition = Condition("amqp:precondition-failed", qmf.BAD_BODY_TEXT)
            link.close()
            return
        delivery.update(Delivery.ACCEPTED)
        delivery.settle()
        if link.credit < CREDIT // 2:
            link.flow(CREDIT - link.credit)
        if action == qmf.SHUTDOWN:
            self.halt(event.container)
            return
        self.pump_all()

    def dispatch(self, node: str | None, body: bytes, message: Message) -> str | None:
        """Hand a message to the agent, a queue or an exchange; returns the agent's action."""
        state = self.state
        if node == QMF_NODE or (node == events.TOPIC and events.is_locate(message)):
            request = Request(
                message.subject,
                message.reply_to,
                message.correlation_id,
                dict(message.properties or {}),
                message.body,
            )
            return self.double.agent.handle(request)
        queue = state.queues.get(node or "")
        exchange = state.exchanges.get(node or "")
        if queue is not None:
            state.enqueue(queue, body)
        elif exchange is not None:
            state.route(exchange, body, message.subject or "", dict(message.properties or {}))
        return None

    # ---- cross-thread requests ------------------------------------------------------------

    @guarded
    def on_pump(self, event: Event) -> None:
        self.pump_all()

    @guarded
    def on_halt(self, event: Event) -> None:
        self.halt(self.double.container)

    def halt(self, container: Container) -> None:
        """Stop like a killed broker: close the listener and drop every connection unclosed."""
        self.double.stopped()
        self.double.acceptor.close()
        for conn in list(self.connections):
            self.forget_connection(conn)
        for conn in list(self.transports):
            transport = conn.transport
            if transport is not None:
                transport.close_tail()
                transport.close_head()
                # Close the socket now, as proton does on a socket error.
                selectable = getattr(transport, "_selectable", None)
                if selectable is not None:
                    selectable.terminate()
                    selectable.update()
        container.schedule(0.05, _Stop())


class StopsOnExit:
    """``with`` support for whatever can be stopped: a double, a cluster of them."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class BrokerDouble(StopsOnExit):
    """A simulation of qpidd's management interface on a loopback port; not a broker.

    `ha` is `"standalone"` (like `qpidd --ha-queue-replication yes`: the habroker object exists
    with status `standalone`) or `None` (no HA module: habroker queries return `[]`). Cluster
    members are made by `DoubleCluster`. Use as a context manager, or call `stop()`.

    `chaos` makes it misbehave on purpose (a mode of `qpidtools.testing.chaos`, available as
    the attribute `chaos`); no capture shows qpidd doing so.

    `tls` makes the port speak TLS only, modelled on qpidd's `--ssl-port`; no capture shows a
    TLS qpidd (the recorded brokers had no SSL listener), so this is tested against the double
    only.

    `log_level` is what ``qpid-config log`` reports until someone sets it: qpidd's default
    ``notice+`` unless given, like ``qpidd --log-enable LEVEL``.

    Attributes: `address` ("127.0.0.1:PORT"), `url` ("amqps://127.0.0.1:PORT" with `tls`,
    else "amqp://..."), `port`, `state` (the broker model, guarded by
    `qpidtools.testing.model.LOCK`), `ha` (the habroker model or None), `kind` ("double") and
    `is_real` (False), the last two matching the pytest `broker` fixture's objects.
    """

    kind = "double"
    is_real = False

    def __init__(
        self,
        ha: HaMode = "standalone",
        port: int = 0,
        *,
        cluster: Cluster | None = None,
        brokers_url: str = "",
        system_id: uuid.UUID | None = None,
        epoch: int = 1,
        tls: TlsFiles | None = None,
        chaos: str | None = None,
        log_level: str = DEFAULT_LOG_LEVEL,
    ) -> None:
        self.container = Container()
        domain = None if tls is None else tls.server_domain()
        self.acceptor = self.container.listen(f"127.0.0.1:{port}", domain)
        listener = self.acceptor._selectable._delegate
        assert isinstance(listener, socket.socket)
        self.port: int = listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"{'amqps' if tls else 'amqp'}://{self.address}"
        self.state = BrokerState(
            self.port,
            ha_enabled=ha is not None or cluster is not None,
            system_id=system_id or uuid.uuid4(),
            epoch=epoch,
            log_level=log_level,
        )
        self.ha: HaBroker | None = None
        with LOCK:
            if cluster is not None:
                self.ha = HaBroker(
                    self.state, cluster, brokers_url=brokers_url, public_url=brokers_url
                )
            elif ha == "standalone":
                self.ha = HaBroker(self.state)
            self.agent = Agent(self.state, self.ha)
            self.chaos = None if chaos is None else Chaos(chaos, self.state)
            if self.chaos is not None:
                self.agent.chaos = self.chaos
            DOUBLES[self.port] = self.state
            self.events = events.Publisher(self.state, self.agent, lambda: self.running)
            peers_changed()
        self.running = True
        self.injector = EventInjector()
        self.container.selectable(self.injector)
        self.container.handler = _Server(self)
        self.state.wake = lambda: self.injector.trigger(ApplicationEvent("pump"))
        self.thread = threading.Thread(
            target=self.container.run, name=f"broker-double-{self.port}", daemon=True
        )
        self.thread.start()

    @staticmethod
    def free_port() -> int:
        """A loopback port nobody listens on right now."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port

    def stopped(self) -> None:
        """Bookkeeping when the double stops (called in its container thread)."""
        with LOCK:
            self.running = False
            if DOUBLES.get(self.port) is self.state:
                del DOUBLES[self.port]
                peers_changed()
            if self.ha is not None and self.ha.cluster is not None:
                self.ha.cluster.stopped(self.ha)

    def stop(self) -> None:
        """Close the listener and drop all connections (clients see `connection aborted`)."""
        if self.thread.is_alive():
            self.injector.trigger(ApplicationEvent("halt"))
            self.thread.join(timeout=10)
        self.injector.close()

    def __repr__(self) -> str:
        return f"BrokerDouble({self.address})"
