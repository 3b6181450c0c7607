"""qpid-route: links and routes (bridges) that carry messages between qpidd brokers.

The classic command lines, unchanged: ``link add|del|list``, ``route add|del|list|flush|map``,
``dynamic add|del`` and ``queue add|del``, with DEST (the broker that receives the messages
and holds the link) before SRC. Options may stand anywhere on the line. With ``-s`` the roles
swap: the link and bridge are made on SRC and push to DEST.

- Exit status: 0 success (also a duplicate route with ``-q``, and a missing route with
  ``-q``); 1 a broker refused or could not be reached, a duplicate route, a missing link or
  route, a link that failed; 2 a usage mistake, found before anything connects.
- ``route map`` visits the brokers found through links in parallel, each within
  ``--timeout``; ``--dot`` prints the map as a Graphviz graph.

The ``--json`` documents are described in :mod:`qpidtools.render.route`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import click

from qpidtools.cli.common import (
    CONTEXT_SETTINGS,
    HA_ADMIN_OPTION,
    Decorator,
    Invocation,
    connect,
    invocation,
    remember,
    remembered_option,
    run,
    shared_options,
    stacked,
    version_option,
    warn,
)
from qpidtools.cli.completion import complete_exchanges_of
from qpidtools.errors import BrokerError, QpidToolsError, UsageError

if TYPE_CHECKING:  # the broker API is loaded only when a command runs (fast --help and TAB)
    from qpidtools.address import BrokerAddress
    from qpidtools.broker import Broker
    from qpidtools.model import Bridge, Link

PROG = "qpid-route"
#: How long ``link add`` waits for a new link's first connection attempt (the classic 3 s).
LINK_WAIT_S = 3.0
TRANSPORTS = ("tcp", "ssl", "rdma")


def _alias_of(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def record(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and ctx.get_parameter_source(param.name or "") == (
            click.core.ParameterSource.COMMANDLINE
        ):
            remember(ctx, name, value)
        return value

    return record


_COMMON = shared_options(
    remembered_option("-q", "--quiet", is_flag=True, default=None,
                      help="Quiet output: a duplicate or missing route is not an error."),
    remembered_option("-d", "--durable", is_flag=True, default=None,
                      help="Added links and routes are durable."),
    remembered_option("-e", "--del-empty-link", is_flag=True, default=None,
                      help="Delete the link after deleting its last route."),
    remembered_option("-s", "--src-local", is_flag=True, default=None,
                      help="Make the link on the source broker and push to DEST (push route)."),
    remembered_option("--ack", type=click.IntRange(min=0), metavar="N",
                      help="Acknowledge transfers over the bridge in batches of N."),
    remembered_option("--credit", type=click.IntRange(min=0), metavar="MSGS",
                      help="Messages a sender may have outstanding (0: unlimited)."),
    remembered_option("-t", "--transport", type=click.Choice(TRANSPORTS), metavar="TRANSPORT",
                      help="Transport of new links: tcp (default), ssl or rdma."),
    click.option("--client-sasl-mechanism", metavar="MECH", expose_value=False,
                 callback=_alias_of("sasl_mechanism"),
                 help="Same as --sasl-mechanism: how this tool logs in to the broker (the "
                 "brokers' own login is the MECHANISM argument)."),
    HA_ADMIN_OPTION,
    remembered_option("--dot", is_flag=True, default=None,
                      help="route map: print the map as a Graphviz DOT graph."),
    verbose_help="Verbose output: the link state, each step, and on failure the broker's error "
    "as it was sent.",
)  # fmt: skip


#: The output options and the commands they apply to (elsewhere a warning says so).
OUTPUT_COMMANDS = {
    "json_output": ("--json", ("link list", "route list", "route map")),
    "dot": ("--dot", ("route map",)),
}


def _invocation(ctx: click.Context) -> Invocation:
    """The resolved options; an output option given to a command that prints none is named."""
    inv = invocation(ctx)
    where = " ".join(ctx.command_path.split()[1:])
    for name, (flag, commands) in OUTPUT_COMMANDS.items():
        if inv.options.get(name) and where not in commands:
            warn(f"{flag} applies to {', '.join(commands)} only; ignored for '{where}'")
    return inv


def _addresses(*texts: str) -> list[BrokerAddress]:
    from qpidtools.address import parse_address

    return [parse_address(text) for text in texts]


def _open(inv: Invocation, address: BrokerAddress | None = None) -> AbstractContextManager[Broker]:
    """A connection to ``address``, with the options' credentials and TLS; by default to the
    broker the options name (the profile, $QPIDTOOLS_BROKER or localhost)."""
    return connect(inv.settings if address is None else inv.settings.for_address(address))


def _connect(
    inv: Invocation, broker: str | None
) -> tuple[BrokerAddress, AbstractContextManager[Broker]]:
    """The broker to manage: BROKER as typed, else the default (profile, env, localhost)."""
    address = inv.settings.address if broker is None else _addresses(broker)[0]
    return address, _open(inv, address)


class RouteGroup(click.Group):
    """A command group that asks for its command in one line instead of printing help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            words = ", ".join(self.list_commands(ctx))
            raise click.UsageError(f"missing command: {words}", ctx)
        return super().parse_args(ctx, args)


@click.group(cls=RouteGroup, context_settings=CONTEXT_SETTINGS)
@_COMMON
@version_option()
def cli() -> None:
    """Manage federation links and routes between qpidd brokers.

    \b
    Usage (the classic command lines):
      qpid-route [OPTIONS] dynamic add DEST SRC EXCHANGE [TAG] [EXCLUDES] [MECHANISM]
      qpid-route [OPTIONS] dynamic del DEST SRC EXCHANGE
      qpid-route [OPTIONS] route add   DEST SRC EXCHANGE ROUTING-KEY [TAG] [EXCLUDES] [MECHANISM]
      qpid-route [OPTIONS] route del   DEST SRC EXCHANGE ROUTING-KEY
      qpid-route [OPTIONS] queue add   DEST SRC EXCHANGE QUEUE [MECHANISM]
      qpid-route [OPTIONS] queue del   DEST SRC EXCHANGE QUEUE
      qpid-route [OPTIONS] route list  [DEST]
      qpid-route [OPTIONS] route flush [DEST]
      qpid-route [OPTIONS] route map   [BROKER]
      qpid-route [OPTIONS] link add  DEST SRC [MECHANISM]
      qpid-route [OPTIONS] link del  DEST SRC
      qpid-route [OPTIONS] link list [DEST]

    \b
    A broker address is [user/password@]host[:port] or amqp[s]://[user[:password]@]host[:port].
    The credentials in <src-broker> are what the destination broker logs in to the source
    with (MECHANISM: e.g. PLAIN); they are never printed.
    """


def _group(name: str, help_text: str) -> click.Group:
    @cli.group(name, cls=RouteGroup, context_settings=CONTEXT_SETTINGS, help=help_text)
    @_COMMON
    def group() -> None:
        pass

    return group


link_group = _group("link", "Add, delete and list links (connections between brokers).")
route_group = _group("route", "Add, delete, list, flush and map static routes.")
dynamic_group = _group(
    "dynamic", "Add and delete dynamic routes (bindings follow the destination)."
)
queue_group = _group(
    "queue", "Add and delete queue routes (a source queue drained into an exchange)."
)

DEST = click.argument("dest", metavar="DEST")
SRC = click.argument("src", metavar="SRC")
EXCHANGE = click.argument("exchange", shell_complete=complete_exchanges_of("dest"))
MECHANISM = click.argument("mechanism", required=False, default="")
ROUTING_KEY = click.argument("key", metavar="ROUTING-KEY")
TAG = click.argument("tag", required=False, default="")
EXCLUDES = click.argument("excludes", metavar="[EXCLUDE-LIST]", required=False, default="")
QUEUE = click.argument("queue")
OPTIONAL_DEST = click.argument("dest", metavar="[DEST]", required=False)
OPTIONAL_BROKER = click.argument("target", metavar="[BROKER]", required=False)


def command(group: click.Group, name: str, *arguments: Decorator) -> Decorator:
    """``group``'s command ``name``, taking the context, ``arguments`` and every option."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function = stacked(*arguments)(click.pass_context(function))
        return group.command(name, context_settings=CONTEXT_SETTINGS)(_COMMON(function))

    return decorate


def _ends(inv: Invocation, dest: str, src: str) -> tuple[BrokerAddress, BrokerAddress]:
    """(the broker to manage, the broker its link goes to): DEST and SRC, swapped by -s."""
    local, remote = _addresses(dest, src)
    return (remote, local) if inv.flag("src_local") else (local, remote)


def _link(
    broker: Broker, inv: Invocation, remote: BrokerAddress, mechanism: str, say_if_exists: bool
) -> Link:
    """The link to ``remote``, opened if there is none; waits for its first attempt."""
    existing = broker.find_link(remote.host, remote.port)
    if existing is not None and say_if_exists and not inv.flag("quiet"):
        warn(f"a link to {existing.address} exists already ({existing.name}); left as it is")
    if existing is None:
        transport = inv.options.get("transport") or "tcp"
        try:
            broker.open_link(
                remote.host,
                remote.port,
                durable=inv.flag("durable"),
                mechanism=mechanism,
                username=remote.user or "",
                password=remote.password or "",
                transport=transport,
            )
        except BrokerError as error:
            if error.error_code == 3:  # NotImplemented: the transport was not built
                raise QpidToolsError(
                    f"Link failed to create: the broker does not support transport {transport!r}"
                ) from error
            raise
    timeout = inv.settings.timeout
    wait = 0.0 if inv.flag("quiet") else min(LINK_WAIT_S, timeout or LINK_WAIT_S)
    link = broker.wait_for_link(remote.host, remote.port, wait)
    if link is None:
        raise QpidToolsError("Link failed to create")
    if link.state == "Failed":
        raise QpidToolsError(f"Link failed to create {link.last_error}")
    if inv.verbose:
        click.echo(f"Link state is {link.state}")
    return link


def _self_link(local: BrokerAddress, remote: BrokerAddress) -> None:
    from qpidtools.federation import same_host

    if local.port == remote.port and same_host(local.host, remote.host):
        raise UsageError("Linking broker to itself is not permitted")


# -- link ----------------------------------------------------------------------------------------


@command(link_group, "add", DEST, SRC, MECHANISM)
def link_add(ctx: click.Context, dest: str, src: str, mechanism: str) -> None:
    """Make DEST open a link to SRC (MECHANISM: how DEST logs in to SRC).

    A link to SRC's host and port that exists already, whatever its transport, is left as it
    is: a warning says so (not with -q), exit 0. Waits up to 3 s for the link's first
    connection attempt; a link whose login was refused exits 1.
    """
    inv = _invocation(ctx)
    local, remote = _addresses(dest, src)
    _self_link(local, remote)
    with _open(inv, local) as broker:
        _link(broker, inv, remote, mechanism, say_if_exists=True)


@command(link_group, "del", DEST, SRC)
def link_del(ctx: click.Context, dest: str, src: str) -> None:
    """Delete DEST's link to SRC, and its routes. A missing link is an error."""
    inv = _invocation(ctx)
    local, remote = _addresses(dest, src)
    with _open(inv, local) as broker:
        link = broker.find_link(remote.host, remote.port)
        if link is None:
            raise QpidToolsError("Link not found")
        broker.close_link(link)
    if inv.verbose:
        click.echo("Close method returned: 0 OK")


@command(link_group, "list", OPTIONAL_DEST)
def link_list(ctx: click.Context, dest: str | None) -> None:
    """List the links of DEST (default: localhost)."""
    from qpidtools.render import route as render

    inv = _invocation(ctx)
    _, connection = _connect(inv, dest)
    with connection as broker:
        links = broker.links()
    render.show_links(inv, links)


# -- adding routes ---------------------------------------------------------------------------


def _add_route(
    inv: Invocation,
    ends: tuple[str, str],
    mechanism: str,
    matches: Callable[[Bridge], bool],
    label: str,
    bridge: dict[str, Any],
) -> int:
    """Open the link if needed and add the bridge, unless the same route is there already."""
    local, remote = _ends(inv, *ends)
    _self_link(local, remote)
    local_push = inv.flag("src_local")
    with _open(inv, local) as broker:
        link = _link(broker, inv, remote, mechanism, say_if_exists=False)
        for found in broker.bridges():
            if found.link == link.name and found.src_is_local == local_push and matches(found):
                if inv.flag("quiet"):
                    return 0
                raise QpidToolsError(f"Duplicate Route - ignoring: {label}")
        if inv.verbose:
            click.echo("Creating inter-broker binding...")
        broker.add_bridge(
            link,
            src_is_local=local_push,
            durable=inv.flag("durable"),
            sync=inv.options.get("ack") or 0,
            credit=inv.options.get("credit") or 0,
            **bridge,
        )
    if inv.verbose:
        click.echo("Bridge method returned: 0 OK")
    return 0


@command(route_group, "add", DEST, SRC, EXCHANGE, ROUTING_KEY, TAG, EXCLUDES, MECHANISM)
def route_add(
    ctx: click.Context,
    dest: str,
    src: str,
    exchange: str,
    key: str,
    tag: str,
    excludes: str,
    mechanism: str,
) -> int:
    """Route messages with ROUTING-KEY from EXCHANGE on SRC to EXCHANGE on DEST.

    The link is opened if needed. The same route again is an error (exit 1), or nothing with -q.
    """

    def same(bridge: Bridge) -> bool:
        return bridge.kind == "exchange" and (bridge.dest, bridge.key) == (exchange, key)

    return _add_route(
        _invocation(ctx), (dest, src), mechanism, same, f"{exchange}({key})",
        {"src": exchange, "dest": exchange, "key": key, "tag": tag, "excludes": excludes},
    )  # fmt: skip


@command(dynamic_group, "add", DEST, SRC, EXCHANGE, TAG, EXCLUDES, MECHANISM)
def dynamic_add(
    ctx: click.Context, dest: str, src: str, exchange: str, tag: str, excludes: str, mechanism: str
) -> int:
    """Route to EXCHANGE on DEST what its bindings ask for from EXCHANGE on SRC.

    Not with -s (a dynamic route follows the destination's bindings).
    """
    inv = _invocation(ctx)
    if inv.flag("src_local"):
        raise UsageError("--src-local is not permitted on dynamic routes")

    def same(bridge: Bridge) -> bool:
        return bridge.dynamic and bridge.dest == exchange

    return _add_route(
        inv, (dest, src), mechanism, same, f"{exchange}({exchange})",
        {"src": exchange, "dest": exchange, "tag": tag, "excludes": excludes, "dynamic": True},
    )  # fmt: skip


@command(queue_group, "add", DEST, SRC, EXCHANGE, QUEUE, MECHANISM)
def queue_add(
    ctx: click.Context, dest: str, src: str, exchange: str, queue: str, mechanism: str
) -> int:
    """Move the messages of QUEUE on SRC to EXCHANGE on DEST."""

    def same(bridge: Bridge) -> bool:
        return bridge.kind == "queue" and (bridge.dest, bridge.src) == (exchange, queue)

    return _add_route(
        _invocation(ctx), (dest, src), mechanism, same, f"{exchange}({queue})",
        {"src": queue, "dest": exchange, "src_is_queue": True},
    )  # fmt: skip


# -- deleting routes ---------------------------------------------------------------------------


def _del_route(inv: Invocation, dest: str, src: str, kind: str, exchange: str, label: str) -> int:
    """Delete the route; with -e also its link when no route is left on it."""
    from qpidtools.federation import route_label

    local, remote = _ends(inv, dest, src)
    with _open(inv, local) as broker:
        link = broker.find_link(remote.host, remote.port)
        if link is None:
            if inv.flag("quiet"):
                return 0
            raise QpidToolsError(f"No link found from {remote.host_port} to {local.host_port}")
        bridges = [bridge for bridge in broker.bridges() if bridge.link == link.name]
        found = next(
            (
                b
                for b in bridges
                if (b.kind, b.dest, route_label(b), b.src_is_local)
                == (kind, exchange, label, inv.flag("src_local"))
            ),
            None,
        )
        if found is None:
            if inv.flag("quiet"):
                return 0
            raise QpidToolsError("Route not found")
        if inv.verbose:
            click.echo("Closing bridge...")
        broker.close_bridge(found)
        if inv.flag("del_empty_link") and len(bridges) == 1:
            if inv.verbose:
                click.echo("Last bridge on link, closing link...")
            broker.close_link(link)
    return 0


@command(route_group, "del", DEST, SRC, EXCHANGE, ROUTING_KEY)
def route_del(ctx: click.Context, dest: str, src: str, exchange: str, key: str) -> int:
    """Delete the route of ROUTING-KEY from EXCHANGE on SRC to DEST. A missing route is an
    error (exit 1), or nothing with -q."""
    return _del_route(_invocation(ctx), dest, src, "exchange", exchange, key)


@command(dynamic_group, "del", DEST, SRC, EXCHANGE)
def dynamic_del(ctx: click.Context, dest: str, src: str, exchange: str) -> int:
    """Delete the dynamic route of EXCHANGE from SRC to DEST."""
    return _del_route(_invocation(ctx), dest, src, "dynamic", exchange, exchange)


@command(queue_group, "del", DEST, SRC, EXCHANGE, QUEUE)
def queue_del(ctx: click.Context, dest: str, src: str, exchange: str, queue: str) -> int:
    """Delete the route of QUEUE on SRC to EXCHANGE on DEST."""
    return _del_route(_invocation(ctx), dest, src, "queue", exchange, queue)


# -- listing, flushing, mapping ---------------------------------------------------------------


@command(route_group, "list", OPTIONAL_DEST)
def route_list(ctx: click.Context, dest: str | None) -> None:
    """List the routes of DEST (default: localhost): one line per bridge."""
    from qpidtools.render import route as render

    inv = _invocation(ctx)
    address, connection = _connect(inv, dest)
    with connection as broker:
        links, bridges = broker.links(), broker.bridges()
    render.show_routes(inv, render.routes_of(address.host_port, links, bridges))


@command(route_group, "flush", OPTIONAL_DEST)
def route_flush(ctx: click.Context, dest: str | None) -> None:
    """Delete every route of DEST; with -e its links too."""
    inv = _invocation(ctx)
    _, connection = _connect(inv, dest)
    with connection as broker:
        links = broker.links()
        by_name = {link.name: link for link in links}
        for bridge in broker.bridges():
            link = by_name.get(bridge.link)
            where = link.address if link else bridge.link
            _step(
                inv,
                f"Deleting Bridge: {where} {bridge.dest} {bridge.key}...",
                bridge,
                broker.close_bridge,
            )
        if inv.flag("del_empty_link"):
            for link in links:
                _step(inv, f"Deleting Link: {link.address}...", link, broker.close_link)


def _step(inv: Invocation, what: str, target: Any, action: Callable[[Any], None]) -> None:
    action(target)
    if inv.verbose:
        click.echo(f"{what}  Ok")


@command(route_group, "map", OPTIONAL_BROKER)
def route_map(ctx: click.Context, target: str | None) -> None:
    """Show every broker reachable from BROKER through links, and their routes.

    The brokers are asked in parallel, each within --timeout; one that cannot be reached is
    shown with its error. --dot prints a Graphviz graph (dot -Tsvg) instead.
    """
    from qpidtools.federation import federation_map
    from qpidtools.render import route as render

    inv = _invocation(ctx)
    start = inv.settings.address if target is None else _addresses(target)[0]
    brokers = federation_map(inv.settings, start)
    if brokers[0].error is not None:
        raise brokers[0].error
    render.show_map(inv, brokers, dot=inv.flag("dot"))


def main() -> None:
    sys.exit(run(cli, PROG))
