"""qpid-printevents: print the events of one or more qpidd brokers as they happen.

The classic command line (``[BROKER...]``, ``--heartbeats``, SASL/TLS options, ``--ha-admin``)
and its text: a ``brokerConnected`` line per broker, then one line per event (the time the
broker raised it, ``package:class``, the arguments). Besides:

- ``--json``: one JSON document per line per event (keys in :mod:`qpidtools.render.events`);
- ``--class NAME`` / ``--severity LEVEL`` (repeatable): only those events;
- ``--count N``: exit 0 after N events; ``--timeout SECONDS``: exit 1 when no event came for
  that long (here it is not the connection timeout, which stays at 10 s);
- a broker that goes away is reported on stderr (and, as classic, by a ``brokerDisconnected``
  line in the text) and reconnected about every second; an unreachable broker is retried
  quietly, as the classic tool did;
- Ctrl-C prints an empty line and exits 0, as classic; SIGTERM ends the process by the signal,
  as classic, with every event printed so far flushed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from qpidtools.cli.common import (
    CONTEXT_SETTINGS,
    HA_ADMIN_OPTION,
    LOGIN_AND_TLS_OPTIONS,
    invocation,
    run,
    stacked,
    version_option,
    warn,
)
from qpidtools.cli.completion import fixed
from qpidtools.errors import QpidToolsError
from qpidtools.event_names import KNOWN_CLASSES, SEVERITIES

if TYPE_CHECKING:
    from qpidtools.events import BrokerNotice, Event, EventStream
    from qpidtools.transport import ConnectionSettings

PROG = "qpid-printevents"
HEARTBEAT_S = 5.0  # --heartbeats: the idle timeout asked for, so a vanished broker is noticed
EPILOG = """\b
BROKER: [user/password@]host[:port] or amqp[s]://[user[:password]@]host[:port];
default $QPIDTOOLS_BROKER, the profile's broker, or localhost:5672.

\b
Examples:
  qpid-printevents localhost:5672
  qpid-printevents node1 node2 --json
  qpid-printevents --class queueThresholdExceeded --count 1 --timeout 60
"""


class NoEvent(QpidToolsError):
    """``--timeout``: nothing arrived in time (exit 1)."""


_OPTIONS = stacked(
    click.option("--heartbeats", is_flag=True, help="Use AMQP heartbeats (5 s), so a "
                 "broker that vanishes without closing the connection is noticed."),
    *LOGIN_AND_TLS_OPTIONS,
    HA_ADMIN_OPTION,
    click.option("--json", "json_output", is_flag=True,
                 help="Print one JSON document per line per event."),
    click.option(
        "--class", "classes", multiple=True, metavar="NAME",
        shell_complete=fixed(KNOWN_CLASSES),
        help="Only events of this class, e.g. queueDeclare (repeatable).",
    ),
    click.option(
        "--severity", "severities", multiple=True, type=click.Choice(SEVERITIES),
        help="Only events of this severity (repeatable).",
    ),
    click.option("--count", type=click.IntRange(min=1), metavar="N",
                 help="Exit 0 after N events."),
    click.option(
        "--timeout", "idle_timeout", type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS", help="Exit 1 if no event arrives for SECONDS.",
    ),
)  # fmt: skip


@click.command(context_settings=CONTEXT_SETTINGS, epilog=EPILOG)
@click.argument("brokers", nargs=-1, metavar="[BROKER]...")
@_OPTIONS
@version_option()
@click.pass_context
def cli(
    ctx: click.Context,
    brokers: tuple[str, ...],
    heartbeats: bool,
    json_output: bool,
    classes: tuple[str, ...],
    severities: tuple[str, ...],
    count: int | None,
    idle_timeout: float | None,
) -> None:
    """Collect and print events from one or more Qpid message brokers.

    With no BROKER, connects to localhost:5672. Runs until interrupted (Ctrl-C exits 0),
    or until --count or --timeout ends it.
    """
    from qpidtools.address import mask, parse_address
    from qpidtools.events import EventStream, Source, matches

    settings = invocation(ctx).settings
    sources = [Source(settings, _default_name(settings))] if not brokers else [
        Source(settings.for_address(parse_address(text)), mask(text)) for text in brokers
    ]  # fmt: skip
    show = _printer(json_output)
    heartbeat = HEARTBEAT_S if heartbeats else None
    # The classic text shows the tool's own subscription; scripts must not see it as an event.
    show_own = not (json_output or classes or severities or count or idle_timeout)

    def wanted(event: Event) -> bool:
        return (show_own or not event.own) and matches(event, classes, severities)

    try:  # outside the stream, so that Ctrl-C while it starts or stops is still a clean exit
        with EventStream(sources, heartbeat=heartbeat) as stream:
            _follow(stream, show, count, idle_timeout, wanted)
    except KeyboardInterrupt:
        click.echo()
    sys.stdout.flush()


def _follow(
    stream: EventStream,
    show: Callable[[Event | BrokerNotice], None],
    count: int | None,
    idle_timeout: float | None,
    wanted: Callable[[Event], bool],
) -> None:
    """Print until ``count`` wanted events were seen; raise NoEvent after ``idle_timeout``."""
    from qpidtools.events import Event

    seen, last = 0, time.monotonic()
    while count is None or seen < count:
        wait = None if idle_timeout is None else max(last + idle_timeout - time.monotonic(), 0)
        item = stream.get(timeout=wait)
        if item is None:
            raise NoEvent(f"no event arrived within {idle_timeout:g} s")
        if isinstance(item, Event) and not wanted(item):
            continue
        show(item)
        if isinstance(item, Event):
            seen, last = seen + 1, time.monotonic()
        if stream.idle():
            sys.stdout.flush()  # a pipe gets each burst as it comes


def _default_name(settings: ConnectionSettings) -> str:
    """How the classic tool named the default broker: ``localhost``; others as resolved."""
    address = settings.address
    if (address.host, address.port) == ("localhost", 5672) and not address.tls:
        return "localhost"
    return str(address)


def _printer(json_output: bool) -> Callable[[Event | BrokerNotice], None]:
    from qpidtools.events import Event
    from qpidtools.render.events import classic_line, json_line, notice_line

    def show(item: Event | BrokerNotice) -> None:
        if isinstance(item, Event):
            click.echo(json_line(item) if json_output else classic_line(item))
            return
        if item.lost:
            warn(f"lost the connection to {item.broker} ({item.error}); reconnecting")
        elif not item.connected:
            warn(f"{item.error}; retrying")
            return
        if not json_output:
            what = "brokerConnected" if item.connected else "brokerDisconnected"
            click.echo(notice_line(item.timestamp, what, item.broker))

    return show


def main() -> None:
    sys.exit(run(cli, PROG))
