"""qpid-queue-stats: per-queue enqueue and dequeue rates, printed as they change.

The classic tool waited for qpidd's periodic QMFv1 data indications (every 10 s). This one
polls instead: every ``--interval`` seconds (default 10) it lists the queue class and the
broker object once each, and times the rates by the broker object's ``_update_ts`` (the
broker's clock at the query; a queue's own ``_update_ts`` does not move with each query).
The classic rule is kept: a queue gets a row each time its statistics changed since the
previous sample; its first sample is only a baseline. Idle queues never print.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from qpidtools.cli.common import (
    CONTEXT_SETTINGS,
    Invocation,
    invocation,
    remembered_option,
    run,
    shared_options,
    version_option,
    warn,
)
from qpidtools.errors import UsageError

if TYPE_CHECKING:
    from qpidtools.monitoring import Snapshot

PROG = "qpid-queue-stats"
HEADER = "Queue Name                                     Sec       Depth     Enq Rate     Deq Rate"
RULE = "=" * 88
#: The statistics kept per sample; a change in any gives the queue a row.
WATCHED = ("msgDepth", "msgTotalEnqueues", "msgTotalDequeues", "byteDepth")


def _patterns(text: str | None) -> list[re.Pattern[str]]:
    """``-f``: comma-separated names or regular expressions, matched at the start of a name."""
    if not text:
        return []
    try:
        return [re.compile(part) for part in text.split(",") if part]
    except re.error as error:
        raise UsageError(f"bad regular expression in --filter: {error}") from None


@click.command(context_settings=CONTEXT_SETTINGS)
@shared_options(
    remembered_option(
        "-a",
        "--broker-address",
        "broker_addr",
        metavar="ADDRESS",
        help="Broker address, as -b: [user/password@]host[:port] (the classic option).",
    ),
    click.option(
        "-f",
        "--filter",
        "filter_text",
        metavar="LIST",
        help="Comma-separated queue names or regular expressions (matched at the start of "
        "the name); only matching queues print.",
    ),
    click.option(
        "--interval",
        type=click.FloatRange(min=0.1),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds between samples.",
    ),
    click.option("--count", type=click.IntRange(min=1), metavar="N", help="Stop after N samples."),
)
@version_option()
@click.pass_context
def cli(ctx: click.Context, filter_text: str | None, interval: float, count: int | None) -> None:
    """Print the enqueue and dequeue rates of queues whose statistics change.

    One row per changed queue and sample: name, seconds since the previous sample, depth,
    and enqueue and dequeue rates per second. --json prints one JSON line per row instead.
    Ctrl-C ends it.
    """
    patterns = _patterns(filter_text)
    inv = invocation(ctx)
    if not inv.json:
        click.echo(HEADER)
        click.echo(RULE)
    try:
        _poll(inv, patterns, interval, count)
    except KeyboardInterrupt:
        if not inv.json:
            click.echo()


def _poll(
    inv: Invocation, patterns: Sequence[re.Pattern[str]], interval: float, count: int | None
) -> None:
    from qpidtools.broker import Broker
    from qpidtools.errors import QpidToolsError
    from qpidtools.monitoring import queue_rate_rows
    from qpidtools.polling import poll
    from qpidtools.render import json_line
    from qpidtools.render.stat import queue_stats_line

    previous: Snapshot | None = None  # the baseline of the next rows
    failing = False  # warn once per outage

    def sample(broker: Broker, number: int) -> None:
        nonlocal previous, failing
        current = broker.snapshot("queue", WATCHED)
        failing = False
        for row in queue_rate_rows(previous, current, patterns) if previous else ():
            click.echo(json_line(row) if inv.json else queue_stats_line(row))
        previous = current

    def failed(error: QpidToolsError, number: int) -> None:
        nonlocal failing
        if not failing:
            warn(f"{error}; retrying every {interval:g}s")
        failing = True

    poll(inv.settings, interval, count, sample, failed)


def main() -> None:
    sys.exit(run(cli, PROG))
