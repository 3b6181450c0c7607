"""qpid-stat: statistics of a qpidd broker, once, live (``--watch``) or as OpenMetrics.

The classic command lines work unchanged: one of ``-g -c -e -q -u -m --acl`` (the last one
given wins), ``-q QUEUE`` for one queue, ``-S COLUMN`` to sort (decreasing unless ``-I``) with
``-L N`` rows at most (only together with ``-S``, default 50). In a pipe the text is the
classic tool's; on a terminal, Rich tables; ``--json`` one document (``--watch``: one line per
sample). The views and their queries are in :mod:`qpidtools.stat_views`.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from click.shell_completion import CompletionItem

from qpidtools.cli.common import (
    CONTEXT_SETTINGS,
    HA_ADMIN_OPTION,
    Decorator,
    Invocation,
    connect,
    invocation,
    run,
    shared_options,
    stacked,
    version_option,
    warn,
)
from qpidtools.cli.completion import complete_queues
from qpidtools.errors import UsageError

PROG = "qpid-stat"
_VIEW = "qpidtools.stat.view"
NO_VIEW = (
    "You must specify one of these options: -g, -c, -e, -q, -m, or -u. "
    "For details, try $ qpid-stat --help"
)
#: The view options in the classic help's order: (flags, view name, help).
VIEW_OPTIONS = (
    (("-g", "--general"), "general", "Show General Broker Stats"),
    (("-c", "--connections"), "connections", "Show Connections"),
    (("-e", "--exchanges"), "exchanges", "Show Exchanges"),
    (("-q", "--queues"), "queues", "Show Queues (with QUEUE: that queue)"),
    (("-u", "--subscriptions"), "subscriptions", "Show Subscriptions"),
    (("-m", "--memory"), "memory", "Show Broker Memory Stats"),
    (("--acl",), "acl", "Show Access Control List Stats"),
)


def _choose(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Remember the view options in the order given: the last one wins, as in the classic."""
    if (
        value
        and ctx.get_parameter_source(param.name or "") == click.core.ParameterSource.COMMANDLINE
    ):
        ctx.meta[_VIEW] = param.name


def _view_option(flags: tuple[str, ...], name: str, text: str) -> Decorator:
    return click.option(*flags, name, is_flag=True, expose_value=False, callback=_choose, help=text)


def complete_columns(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Column names for ``-S``: those of the view on the line, else of every view."""
    from qpidtools.stat_views import RATE_COLUMNS, SORTABLE

    views = [ctx.meta[_VIEW]] if ctx.meta.get(_VIEW) in SORTABLE else list(SORTABLE)
    headers = dict.fromkeys(c.header for view in views for c in SORTABLE[view] + RATE_COLUMNS)
    return [CompletionItem(header) for header in headers if header.startswith(incomplete)]


#: ``-g -c -e -q -u -m --acl``, in the classic help's order.
_VIEW_OPTIONS = stacked(*(_view_option(*option) for option in VIEW_OPTIONS))


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("queue_name", metavar="[QUEUE]", required=False, shell_complete=complete_queues)
@_VIEW_OPTIONS
@click.option(
    "-S",
    "--sort-by",
    metavar="COLUMN",
    shell_complete=complete_columns,
    help="Sort by this column (its header, exactly); decreasing unless -I.",
)
@click.option("-I", "--increasing", is_flag=True, help="Sort by increasing value.")
@click.option(
    "-L",
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    metavar="N",
    help="At most N rows (only with -S, as in the classic tool).",
)
@click.option(
    "--watch",
    type=click.FloatRange(min=0.1),
    is_flag=False,
    flag_value=2.0,
    default=None,
    metavar="[SECONDS]",
    help="Draw the view again every SECONDS (default 2), with rates per second for queues, "
    "exchanges and the broker (-g); Ctrl-C ends it.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --watch: stop after N samples.",
)
@click.option(
    "--openmetrics",
    is_flag=True,
    help="Print the broker, queue and exchange statistics in the OpenMetrics text format "
    "(for Prometheus: node_exporter's textfile collector or a scrape wrapper).",
)
@shared_options(HA_ADMIN_OPTION, timeout_short="-t")
@version_option()
@click.pass_context
def cli(
    ctx: click.Context,
    queue_name: str | None,
    sort_by: str | None,
    increasing: bool,
    limit: int,
    watch: float | None,
    count: int | None,
    openmetrics: bool,
) -> None:
    """Show statistics of a qpidd broker: general (-g), connections (-c), exchanges (-e),
    queues (-q [QUEUE]), subscriptions (-u), memory (-m) or ACL (--acl).

    In a pipe the output is the classic qpid-stat text; on a terminal, tables; with --json,
    one JSON document (with --watch, one line per sample).
    """
    view = ctx.meta.get(_VIEW)
    if openmetrics:
        if watch is not None:
            raise UsageError("--openmetrics prints one document; use it without --watch")
        _print_openmetrics(invocation(ctx))
        return
    if view is None:
        raise UsageError(NO_VIEW)
    if count is not None and watch is None:
        raise UsageError("--count needs --watch")
    if queue_name is not None and view != "queues":
        warn(f"the queue name {queue_name!r} is used only with -q; ignored")
        queue_name = None
    if sort_by is not None and queue_name is None:
        _check_sort_column(view, sort_by, watching=watch is not None)
    inv = invocation(ctx)
    from qpidtools.cli.stat_show import Request, show

    show(inv, Request(view, queue_name, sort_by, increasing, limit, watch, count))


def _check_sort_column(view: str, sort_by: str, watching: bool) -> None:
    """A column ``-S`` names must be one of the view's headers (the rates' with --watch);
    the views that do not sort (-g, -m, --acl) ignore ``-S``, as the classic tool did."""
    from qpidtools.stat_views import RATE_COLUMNS, SORTABLE

    if view not in SORTABLE:
        return
    columns = SORTABLE[view] + (RATE_COLUMNS if watching else ())
    if sort_by not in [column.header for column in columns]:
        raise UsageError(f"sortCol '{sort_by}', not found in headers")


def _print_openmetrics(inv: Invocation) -> None:
    from qpidtools.stat_views import openmetrics

    with connect(inv.settings) as broker:
        click.echo(openmetrics(broker), nl=False)


def main() -> None:
    sys.exit(run(cli, PROG))
