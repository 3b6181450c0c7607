"""What ``qpid-route`` prints: classic text in a pipe, Rich on a terminal, JSON, Graphviz DOT.

The plain text is the classic tool's, line for line (``link list`` is ``%-16s%-8d%-13s%c
%-18s%s`` rows under a 77-character rule, ``route list`` one ``BROKER HOST:PORT DEST KEY
SRC-IS-LOCAL`` line per bridge with the key right-aligned in 10 characters).

JSON documents (``--json``), keys stable:

- ``link list``: ``{"links": [{"name", "host", "port", "transport", "durable", "state",
  "last_error", "connected"}]}``
- ``route list``: ``{"routes": [ROUTE]}``, ROUTE being ``{"broker", "link": {"name", "host",
  "port"}, "name", "kind" ("exchange", "queue" or "dynamic"), "src", "dest", "key", "tag",
  "excludes", "src_is_local", "durable", "sync", "credit"}``
- ``route map``: ``{"brokers": [{"address", "error" (only if it could not be asked), "links":
  [LINK], "routes": [ROUTE]}], "flows": [{"from", "to", "kind", "src", "dest", "key"}]}``; a
  flow is a route seen as messages going from the broker ``from`` to the broker ``to``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qpidtools.federation import MappedBroker, same_host
from qpidtools.model import Bridge, Link
from qpidtools.render import print_lines, show

if TYPE_CHECKING:
    from rich.console import RenderableType

    from qpidtools.cli.common import Invocation

LINK_HEADER = "Host            Port    Transport Durable  State             Last Error"
STATE_STYLES = {"Operational": "green", "Waiting": "yellow", "Connecting": "yellow"}


def _same(a: str, b: str) -> bool:
    """Two ``host:port`` texts that name the same broker (loopback names are one host)."""
    (host_a, _, port_a), (host_b, _, port_b) = a.rpartition(":"), b.rpartition(":")
    return port_a == port_b and same_host(host_a, host_b)


# -- links -------------------------------------------------------------------------------------


def link_document(link: Link) -> dict[str, Any]:
    return {
        "name": link.name,
        "host": link.host,
        "port": link.port,
        "transport": link.transport,
        "durable": link.durable,
        "state": link.state,
        "last_error": link.last_error,
        "connected": link.connected,
    }


def link_lines(links: Sequence[Link]) -> list[str]:
    if not links:
        return ["No Links Found"]
    rows = [
        f"{k.host:<16}{k.port:<8d}{k.transport:<13}{'Y' if k.durable else 'N'}     "
        f"{k.state:<18}{k.last_error}"
        for k in links
    ]
    return ["", LINK_HEADER, "=" * 77, *rows]


def show_links(invocation: Invocation, links: Sequence[Link]) -> None:
    show(
        invocation,
        lambda: link_lines(links),
        lambda: {"links": [link_document(link) for link in links]},
        lambda: _links_table(links) if links else "No links",
    )


def _links_table(links: Sequence[Link]) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    table = Table("Broker", "Transport", "Durable", "State", "Last error", header_style="bold")
    for link in links:
        state = Text(link.state, style=STATE_STYLES.get(link.state, "bold red"))
        durable = "yes" if link.durable else "no"
        table.add_row(link.address, link.transport, durable, state, link.last_error)
    return table


# -- routes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A bridge with the broker it is on and its link."""

    broker: str
    bridge: Bridge
    link: Link | None

    @property
    def peer(self) -> str:
        return self.link.address if self.link else ""

    @property
    def source(self) -> str:
        """The broker the messages come from."""
        return self.broker if self.bridge.src_is_local else self.peer

    @property
    def destination(self) -> str:
        return self.peer if self.bridge.src_is_local else self.broker

    def document(self) -> dict[str, Any]:
        bridge, link = self.bridge, self.link
        return {
            "broker": self.broker,
            "link": {
                "name": bridge.link,
                "host": link.host if link else None,
                "port": link.port if link else None,
            },
            "name": bridge.name,
            "kind": bridge.kind,
            "src": bridge.src,
            "dest": bridge.dest,
            "key": bridge.key,
            "tag": bridge.tag,
            "excludes": bridge.excludes,
            "src_is_local": bridge.src_is_local,
            "durable": bridge.durable,
            "sync": bridge.sync,
            "credit": bridge.credit,
        }


def routes_of(broker: str, links: Sequence[Link], bridges: Sequence[Bridge]) -> list[Route]:
    by_name = {link.name: link for link in links}
    return [Route(broker, bridge, by_name.get(bridge.link)) for bridge in bridges]


def route_line(route: Route) -> str:
    bridge = route.bridge
    key = "<dynamic>" if bridge.dynamic else bridge.src if bridge.src_is_queue else bridge.key
    return f"{route.broker} {route.peer} {bridge.dest} {key:>10} {bridge.src_is_local}"


def show_routes(invocation: Invocation, routes: Sequence[Route]) -> None:
    show(
        invocation,
        lambda: [route_line(route) for route in routes],
        lambda: {"routes": [route.document() for route in routes]},
        lambda: _routes_table(routes),
    )


def _routes_table(routes: Sequence[Route]) -> RenderableType:
    from rich.table import Table

    table = Table("From", "To", "Kind", "Source", "Key", "Destination", header_style="bold")
    for route in routes:
        bridge = route.bridge
        key = "" if bridge.dynamic or bridge.src_is_queue else bridge.key
        table.add_row(route.source, route.destination, bridge.kind, bridge.src, key, bridge.dest)
    return table


# -- the map -----------------------------------------------------------------------------------


def _map_routes(brokers: Sequence[MappedBroker]) -> list[Route]:
    return [route for b in brokers for route in routes_of(b.address, b.links, b.bridges)]


def map_lines(brokers: Sequence[MappedBroker]) -> list[str]:
    """The classic ``route map`` text (each unreachable broker is listed once)."""
    first, *others = brokers
    lines = ["", "Finding Linked Brokers:", f"    {first.address}... Ok"]
    for broker in others:
        lines += [f"    {broker.address}...", "Ok" if broker.error is None else str(broker.error)]
    routes = _map_routes(brokers)
    dynamic = [r for r in routes if r.bridge.dynamic]
    exchanges = list(dict.fromkeys(r.bridge.src for r in dynamic))
    lines += ["", "Dynamic Routes:", *(["  none found"] if not exchanges else []), ""]
    for exchange in exchanges:
        pairs: list[list[Any]] = []  # [from, to, both ways]
        for route in (r for r in dynamic if r.bridge.src == exchange):
            pair = next((p for p in pairs if _pairs(p, route.peer, route.broker)), None)
            if pair is None:
                pairs.append([route.peer, route.broker, False])
            elif not (_same(pair[0], route.peer) and _same(pair[1], route.broker)):
                pair[2] = True
        arrows = [f"    {a} {'<=>' if both else ' =>'} {b}" for a, b, both in pairs]
        lines += [f"  Exchange {exchange}:", *arrows, ""]
    static = [r for r in routes if not r.bridge.dynamic]
    lines += ["Static Routes:", *(["  none found"] if not static else []), ""]
    lines += [_static_line(route) for route in static]
    return [*lines, ""]


def _pairs(pair: list[Any], source: str, target: str) -> bool:
    return (_same(pair[0], source) and _same(pair[1], target)) or (
        _same(pair[0], target) and _same(pair[1], source)
    )


def _static_line(route: Route) -> str:
    bridge = route.bridge
    src_kind = "queue" if bridge.src_is_queue else "ex"
    key = "" if bridge.src_is_queue else f" key={bridge.key}"
    if bridge.src_is_local:
        left, arrow, right = f"{src_kind}={bridge.src}", "=>", f"ex={bridge.dest}"
    else:
        left, arrow, right = f"ex={bridge.dest}", "<=", f"{src_kind}={bridge.src}"
    return f"  {route.broker}({left}) {arrow} {route.peer}({right}){key}"


def map_document(brokers: Sequence[MappedBroker]) -> dict[str, Any]:
    entries = []
    for broker in brokers:
        entry: dict[str, Any] = {"address": broker.address}
        if broker.error is not None:
            entry["error"] = str(broker.error)
        entry["links"] = [link_document(link) for link in broker.links]
        entry["routes"] = [
            r.document() for r in routes_of(broker.address, broker.links, broker.bridges)
        ]
        entries.append(entry)
    flows = [
        {
            "from": route.source,
            "to": route.destination,
            "kind": route.bridge.kind,
            "src": route.bridge.src,
            "dest": route.bridge.dest,
            "key": route.bridge.key,
        }
        for route in _map_routes(brokers)
    ]
    return {"brokers": entries, "flows": flows}


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def map_dot(brokers: Sequence[MappedBroker]) -> list[str]:
    """The federation as a Graphviz digraph: brokers as nodes, routes as labelled edges in the
    direction messages flow; dynamic routes dashed, unreachable brokers grey and dashed."""
    lines = ["digraph federation {", "  rankdir=LR;", "  node [shape=box];"]
    for broker in brokers:
        if broker.error is None:
            lines.append(f"  {_dot_id(broker.address)};")
        else:
            label = _dot_id(broker.address)[:-1] + '\\nunreachable"'
            lines.append(f"  {_dot_id(broker.address)} [label={label}, style=dashed, color=grey];")
    for route in _map_routes(brokers):
        bridge = route.bridge
        if bridge.dynamic:
            label, style = f"{bridge.dest} (dynamic)", ", style=dashed"
        elif bridge.src_is_queue:
            label, style = f"queue {bridge.src} -> {bridge.dest}", ""
        else:
            label, style = f"{bridge.src} -> {bridge.dest} key={bridge.key}", ""
        edge = f"{_dot_id(route.source)} -> {_dot_id(route.destination)}"
        lines.append(f"  {edge} [label={_dot_id(label)}{style}];")
    return [*lines, "}"]


def show_map(invocation: Invocation, brokers: Sequence[MappedBroker], dot: bool) -> None:
    if dot:
        print_lines(map_dot(brokers))
        return
    show(
        invocation,
        lambda: map_lines(brokers),
        lambda: map_document(brokers),
        lambda: _map_rich(brokers),
    )


def _map_rich(brokers: Sequence[MappedBroker]) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    found = Table("Broker", "Status", title="Brokers", title_justify="left", header_style="bold")
    for broker in brokers:
        status = (
            Text("ok", style="green")
            if broker.error is None
            else Text(str(broker.error), style="bold red")
        )
        found.add_row(broker.address, status)
    return Group(found, _routes_table(_map_routes(brokers)))
