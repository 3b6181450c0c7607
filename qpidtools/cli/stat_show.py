"""Showing qpid-stat's views once or live (``--watch``): sampling, sorting and printing.

Imported only once the command line is known to be good, so ``--help`` and usage errors
stay fast. A watch costs the broker one query per class per interval, whatever the number of
objects; a broker that goes away is reported in the view and asked again at the next tick.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from qpidtools.broker import Broker
from qpidtools.cli.common import Invocation
from qpidtools.errors import QpidToolsError
from qpidtools.render import Mode, console, json_line, mode_for, print_json, print_lines
from qpidtools.render.stat import Table, classic_lines, document, rich_tables
from qpidtools.stat_views import RATED, SORTABLE, VIEWS, Sample, queue

if TYPE_CHECKING:
    from rich.live import Live


@dataclass(frozen=True)
class Request:
    """What the command line asked qpid-stat to show, and how."""

    view: str
    queue: str | None = None
    sort_by: str | None = None
    increasing: bool = False
    limit: int = 50
    watch: float | None = None
    count: int | None = None

    @property
    def rated(self) -> bool:
        return self.watch is not None and self.view in RATED


def take(broker: Broker, request: Request) -> Sample | None:
    """One sample of the view; ``None`` when ``-q QUEUE`` names no queue."""
    if request.view == "queues" and request.queue is not None:
        return queue(broker, request.queue, request.rated)
    return VIEWS[request.view](broker, request.rated)


def arranged(tables: list[Table], request: Request) -> list[Table]:
    """The tables with ``-S``/``-I``/``-L`` applied to the main one, where the view sorts."""
    if request.sort_by is None or request.view not in SORTABLE or request.queue is not None:
        return tables
    main = tables[0].sorted_by(request.sort_by, request.increasing, request.limit)
    return [main, *tables[1:]]


def not_found(request: Request) -> str:
    return f"Queue '{request.queue}' not found"


def show(inv: Invocation, request: Request) -> None:
    mode = mode_for(inv)
    if request.watch is not None:
        watch(inv, request, mode)
        return
    with Broker.connect(inv.settings) as broker:
        found = take(broker, request)
    if found is None:
        if mode is Mode.JSON:
            print_json({"queue": None})
        else:
            click.echo(not_found(request))
        return
    tables = arranged(found.tables, request)
    if mode is Mode.JSON:
        print_json(document(tables))
    elif mode is Mode.RICH:
        console(inv).print(rich_tables(tables))
    else:
        print_lines(classic_lines(tables))


class _Printer:
    """How one sample (or a failure to take it) is shown; the plain text by default."""

    def __init__(self, inv: Invocation, request: Request) -> None:
        self.inv, self.request = inv, request

    def __enter__(self) -> _Printer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def sample(self, number: int, sample: Sample | None) -> None:
        if number > 1:
            click.echo()
        if sample is None:
            click.echo(not_found(self.request))
        else:
            print_lines(classic_lines(arranged(sample.tables, self.request)))

    def failure(self, error: QpidToolsError, number: int) -> None:
        if number > 1:
            click.echo()
        click.echo(f"Failed: {error}; retrying every {self.request.watch:g}s")


class _JsonLines(_Printer):
    def sample(self, number: int, sample: Sample | None) -> None:
        line: dict[str, Any] = {"sample": number}
        if sample is None:
            line["queue"] = None
        else:
            if sample.snapshot is not None:
                line["broker_time_ns"] = sample.snapshot.time_ns
            line.update(document(arranged(sample.tables, self.request)))
        click.echo(json_line(line))

    def failure(self, error: QpidToolsError, number: int) -> None:
        click.echo(json_line({"sample": number, "error": str(error)}))


class _LiveView(_Printer):
    """Redrawn in place on a terminal, like ``top``."""

    live: Live

    def __enter__(self) -> _LiveView:
        from rich.live import Live

        self.live = Live(console=console(self.inv), auto_refresh=False)
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def _caption(self) -> str:
        return f"every {self.request.watch:g}s, rates per second by the broker's clock; Ctrl-C ends"

    def sample(self, number: int, sample: Sample | None) -> None:
        from rich.console import Group

        from qpidtools.render.terminal import text

        if sample is None:
            self.live.update(text(not_found(self.request)), refresh=True)
            return
        tables = rich_tables(arranged(sample.tables, self.request))
        self.live.update(Group(tables, text(self._caption(), style="dim")), refresh=True)

    def failure(self, error: QpidToolsError, number: int) -> None:
        from rich.console import Group

        from qpidtools.render.terminal import text

        retrying = f"retrying every {self.request.watch:g}s; Ctrl-C ends"
        shown = Group(text(error, style="bold red"), text(retrying, style="dim"))
        self.live.update(shown, refresh=True)


def watch(inv: Invocation, request: Request, mode: Mode) -> None:
    """Sample every ``request.watch`` seconds until ``request.count`` samples or Ctrl-C."""
    from qpidtools.polling import poll

    assert request.watch is not None
    printer_class = {Mode.PLAIN: _Printer, Mode.JSON: _JsonLines, Mode.RICH: _LiveView}[mode]
    last: Sample | None = None  # the last sample taken: the rates are counted from it

    with printer_class(inv, request) as printer:

        def sample(broker: Broker, number: int) -> None:
            nonlocal last
            found = take(broker, request)
            printer.sample(number, found.with_rates(last) if found else None)
            last = found or last

        with suppress(KeyboardInterrupt):  # Ctrl-C is how a watch ends: exit 0
            poll(inv.settings, request.watch, request.count, sample, printer.failure)
