"""qpid-config's listings as Rich tables, for people at a terminal.

The same information as the classic text (:mod:`qpidtools.render.classic`), laid out for
reading rather than parsing. Imported only in RICH mode, so Rich costs nothing elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from qpidtools.model import Binding, Exchange, Queue
from qpidtools.qmf import QmfObject
from qpidtools.render.classic import cell_value as _cell_value
from qpidtools.render.classic import (
    exchange_attributes,
    exchange_type_counts,
    grouped,
    py2_str,
    queue_arguments,
    queue_attributes,
)


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        numeric = column in ("Messages", "Consumers", "Count")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    return table


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={py2_str(value)}" for key, value in arguments.items())


def _text(value: Any) -> str:
    value = _cell_value(value)
    if isinstance(value, dict):
        return _arguments(value)
    return "" if value is None else py2_str(value)


def queues(console: Console, queues: Sequence[Queue]) -> None:
    if not queues:
        return
    table = _table("Queue", "Attributes", "Messages", "Consumers")
    for queue in queues:
        attributes = " ".join(queue_attributes(queue) + queue_arguments(queue))
        stats = queue.statistics
        table.add_row(
            queue.name,
            attributes,
            str(stats.get("msgDepth", "")),
            str(stats.get("consumerCount", "")),
        )
    console.print(table)


def exchanges(console: Console, exchanges: Sequence[Exchange]) -> None:
    if not exchanges:
        return
    table = _table("Type", "Exchange", "Attributes")
    for exchange in exchanges:
        name = exchange.name or "(default)"
        table.add_row(exchange.type, name, " ".join(exchange_attributes(exchange)))
    console.print(table)


def queue_bindings(console: Console, queues: Sequence[Queue], bindings: Sequence[Binding]) -> None:
    by_queue = grouped(bindings, lambda binding: binding.queue)
    table = _table("Queue", "Exchange", "Key", "Arguments")
    for queue in queues:
        found = by_queue.get(queue.name, ())
        if not found:
            table.add_row(queue.name, "", "", "")
        for binding in found:
            exchange = binding.exchange or "(default)"
            table.add_row(queue.name, exchange, binding.key, _arguments(binding.arguments))
    console.print(table)


def exchange_bindings(
    console: Console, exchanges: Sequence[Exchange], bindings: Sequence[Binding]
) -> None:
    by_exchange = grouped(bindings, lambda binding: binding.exchange)
    table = _table("Exchange", "Type", "Key", "Queue", "Arguments")
    for exchange in exchanges:
        name = exchange.name or "(default)"
        found = by_exchange.get(exchange.name, ())
        if not found:
            table.add_row(name, exchange.type, "", "", "")
        for binding in found:
            queue = "<unknown>" if binding.queue is None else binding.queue
            table.add_row(name, exchange.type, binding.key, queue, _arguments(binding.arguments))
    console.print(table)


def overview(console: Console, exchanges: Sequence[Exchange], queues: Sequence[Queue]) -> None:
    kinds = _table("Exchange type", "Count", title=f"Exchanges: {len(exchanges)}")
    for kind, count in exchange_type_counts(exchanges).items():
        kinds.add_row(kind, str(count))
    durable = sum(1 for queue in queues if queue.durable)
    totals = _table("Queues", "Count", title=f"Queues: {len(queues)}")
    totals.add_row("durable", str(durable))
    totals.add_row("non-durable", str(len(queues) - durable))
    console.print(kinds)
    console.print(totals)


def objects(
    console: Console,
    type_name: str,
    objects: Sequence[QmfObject],
    columns: Sequence[str],
    missing: Sequence[str],
) -> None:
    table = _table(*columns, title=f"Objects of type '{type_name}'")
    for obj in objects:
        table.add_row(*(_text(obj.values.get(column, "n/a")) for column in columns))
    console.print(table)


def log_level(console: Console, level: str) -> None:
    console.print(f"Log level: {level}")
