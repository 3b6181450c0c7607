"""Federation: links and bridges between brokers, as methods of :class:`~qpidtools.Broker`.

>>> with Broker.connect(settings) as dest:          # the broker that pulls the messages
...     dest.open_link("src.example.com", 5672)     # a link to the source broker
...     link = dest.wait_for_link("src.example.com", 5672)
...     dest.add_bridge(link, "orders", "orders", key="eu.#")   # a static route
...     for bridge in dest.bridges():
...         print(bridge.link, bridge.src, bridge.key, bridge.dest)

Over AMQP 1.0 qpidd offers the broker methods ``connect``, ``create`` and ``delete``, the link
method ``bridge`` and ``close`` on links and bridges. A link made with ``connect`` is named
``qpid.<transport>:<host>:<port>``; bridges made here are named as the classic qpid-route names
them, ``dest:key-or-src:link:srcIsQueue:srcIsLocal``, so both tools see the same objects.
:func:`federation_map` visits every broker reachable through links, in parallel.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from qpidtools.errors import QpidToolsError
from qpidtools.model import Bridge, Link
from qpidtools.qmf import BROKER_OBJECT

if TYPE_CHECKING:
    from qpidtools.address import BrokerAddress
    from qpidtools.qmf import QmfClient
    from qpidtools.transport import ConnectionSettings

BROKER_PACKAGE = "org.apache.qpid.broker"
LOOPBACK = frozenset(("localhost", "127.0.0.1", "::1"))
#: ``credit`` meaning "no limit" (qpidd's default).
UNLIMITED_CREDIT = 0xFFFFFFFF
#: States in which a new link has not yet made its first attempt.
STARTING = ("Connecting",)
POLL_INTERVAL_S = 0.1


def same_host(a: str, b: str) -> bool:
    """Host names that mean the same broker here: equal, or both loopback names."""
    return a == b or (a in LOOPBACK and b in LOOPBACK)


def bridge_name(link: str, src: str, dest: str, key: str, src_is_queue: bool, local: bool) -> str:
    """The classic qpid-route's bridge name: ``dest:key-or-src:link:srcIsQueue:srcIsLocal``."""
    return f"{dest}:{key or src}:{link}:{src_is_queue}:{local}"


def route_label(bridge: Bridge) -> str:
    """What identifies a route on its link: the key, the source queue, or the exchange."""
    if bridge.dynamic:
        return bridge.src
    return bridge.src if bridge.src_is_queue else bridge.key


class Federation:
    """Link and bridge methods; mixed into :class:`~qpidtools.broker.Broker`."""

    qmf: QmfClient

    def links(self) -> list[Link]:
        return self.qmf.typed(Link.from_qmf, self.qmf.query_class("link", BROKER_PACKAGE))

    def bridges(self) -> list[Bridge]:
        return self.qmf.typed(Bridge.from_qmf, self.qmf.query_class("bridge", BROKER_PACKAGE))

    def find_link(self, host: str, port: int) -> Link | None:
        """This broker's link to ``host:port`` (any transport), if it has one."""
        return next((k for k in self.links() if k.port == port and same_host(k.host, host)), None)

    def open_link(
        self,
        host: str,
        port: int,
        *,
        durable: bool = False,
        mechanism: str = "",
        username: str = "",
        password: str = "",
        transport: str = "tcp",
    ) -> None:
        """Open a link to ``host:port`` (reused if one to that address exists).

        qpidd answers before the link is up; :meth:`wait_for_link` waits for its first attempt.
        """
        arguments = {
            "host": host,
            "port": port,
            "durable": durable,
            "authMechanism": mechanism,
            "username": username,
            "password": password,
            "transport": transport,
        }
        self.qmf.call(BROKER_OBJECT, "connect", arguments)

    def wait_for_link(self, host: str, port: int, timeout: float | None) -> Link | None:
        """The link to ``host:port`` once it made its first connection attempt, or as it is
        when ``timeout`` runs out (``None`` if it never appeared)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            link = self.find_link(host, port)
            settled = link is not None and not (
                link.state in STARTING or (link.state == "Waiting" and not link.last_error)
            )
            if settled or (deadline is not None and time.monotonic() >= deadline):
                return link
            time.sleep(POLL_INTERVAL_S)

    def add_link(self, name: str, host: str, port: int, **properties: Any) -> None:
        """Create a named link (``create link``); qpidd allows several to one address."""
        self.qmf.call(
            BROKER_OBJECT,
            "create",
            {
                "type": "link",
                "name": name,
                "properties": {"host": host, "port": port, **properties},
            },
        )

    def add_bridge(
        self,
        link: Link,
        src: str,
        dest: str,
        key: str = "",
        *,
        tag: str = "",
        excludes: str = "",
        src_is_queue: bool = False,
        src_is_local: bool = False,
        dynamic: bool = False,
        durable: bool = False,
        sync: int = 0,
        credit: int = 0,
        name: str | None = None,
    ) -> str:
        """Create a bridge (a route) on ``link``; returns its name.

        ``sync`` acknowledges transfers in batches of that many; ``credit`` bounds the
        messages in flight (0: unlimited). qpidd refuses a durable bridge on a transient link
        (``invalid parameter``).
        """
        name = name or bridge_name(link.name, src, dest, key, src_is_queue, src_is_local)
        properties: Mapping[str, Any] = {
            "link": link.name,
            "durable": durable,
            "src": src,
            "dest": dest,
            "key": key,
            "tag": tag,
            "excludes": excludes,
            "srcIsQueue": src_is_queue,
            "srcIsLocal": src_is_local,
            "dynamic": dynamic,
            "sync": sync,
            "credit": credit or UNLIMITED_CREDIT,
        }
        arguments = {"type": "bridge", "name": name, "properties": dict(properties)}
        self.qmf.call(BROKER_OBJECT, "create", arguments)
        return name

    def close_link(self, link: Link) -> None:
        """Delete a link and its bridges; a link that is gone is an error (code 1)."""
        self.qmf.call(f"{BROKER_PACKAGE}:link:{link.name}", "close")

    def close_bridge(self, bridge: Bridge) -> None:
        """Delete a bridge; a bridge that is gone is an error (code 1)."""
        self.qmf.call(bridge.object_name, "close")


# -- the federation map ------------------------------------------------------------------------


@dataclass
class MappedBroker:
    """One broker of the map: where it is, and its links and bridges or why they are missing."""

    address: str
    links: list[Link] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    error: QpidToolsError | None = None


def _survey(settings: ConnectionSettings) -> tuple[list[Link], list[Bridge]]:
    from qpidtools.broker import Broker

    with Broker.connect(settings) as broker:
        return broker.links(), broker.bridges()


def _mapped(address: str, found: tuple[list[Link], list[Bridge]] | QpidToolsError) -> MappedBroker:
    if isinstance(found, QpidToolsError):
        return MappedBroker(address, error=found)
    return MappedBroker(address, *found)


def _identity(host: str, port: int) -> tuple[str, int]:
    return ("localhost" if host in LOOPBACK else host, port)


def federation_map(settings: ConnectionSettings, start: BrokerAddress) -> list[MappedBroker]:
    """Every broker reachable from ``start`` through links, in the order they were found.

    The brokers found at each step are asked in parallel, each with its own connection and
    the timeout of ``settings``, so silent brokers cost one timeout per step, not one each.
    A broker that cannot be asked is listed with its error and not followed further.
    """
    from qpidtools.broker import ask_each

    found: list[MappedBroker] = []
    known = {_identity(start.host, start.port)}
    targets = [start]
    while targets:
        answers = ask_each(settings, targets, _survey)
        frontier = [
            _mapped(a.host_port, answer) for a, answer in zip(targets, answers, strict=True)
        ]
        found.extend(frontier)
        targets = []
        for link in (link for broker in frontier for link in broker.links):
            if _identity(link.host, link.port) not in known:
                known.add(_identity(link.host, link.port))
                targets.append(replace(start, host=link.host, port=link.port))
    return found
