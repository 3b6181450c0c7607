"""``--json`` documents of qpid-config: one JSON object per run, with stable keys.

Numbers stay numbers and booleans booleans; every string the broker sent is text. Keys:

``queues``
    ``{"queues": [QUEUE, ...]}``; QUEUE is ``{"name", "durable", "auto_delete", "exclusive",
    "alternate_exchange" (null when none), "arguments" ({key: value} as stored by qpidd),
    "options" ({flag: value} for the qpid-config options the arguments stand for, e.g.
    ``{"max-queue-size": 1000, "durable": true}``; flags have the value ``true``),
    "statistics" ({"msgDepth": n, "consumerCount": n, ...})}``. With ``-r`` each QUEUE also
    has ``"bindings": [{"exchange", "key", "arguments"}, ...]`` (``""`` is the default
    exchange). A filter that matches nothing gives ``{"queues": []}`` and exit status 1.
``exchanges``
    ``{"exchanges": [EXCHANGE, ...]}``; EXCHANGE is ``{"name", "type", "durable",
    "auto_delete", "alternate_exchange", "arguments", "options", "statistics"}`` and with
    ``-r`` ``"bindings": [{"queue", "key", "arguments"}, ...]`` (``queue`` is null when the
    binding's queue is unknown).
overview (no command)
    ``{"exchanges": {"total": n, "types": {type: n}}, "queues": {"total": n, "durable": n,
    "non_durable": n}}``.
``list TYPE``
    ``{"type": TYPE, "properties": [column, ...], "missing": [property, ...],
    "objects": [{column: value}, ...]}``; references are given as the referred object's name,
    a property an object lacks is null.
``log``
    ``{"level": "info+"}``.

Commands that change the broker print nothing, in JSON as in text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qpidtools.model import (
    EXCHANGE_OPTIONS,
    QUEUE_OPTIONS,
    Binding,
    Exchange,
    Kind,
    Option,
    Queue,
    present_options,
)
from qpidtools.qmf import QmfObject
from qpidtools.render.classic import cell_value, exchange_type_counts, grouped


def _options(options: tuple[Option, ...], obj: Queue | Exchange) -> dict[str, Any]:
    return {
        option.flag: True if option.kind is Kind.FLAG else value
        for option, value in present_options(options, obj)
    }


def _node(node: Queue | Exchange, options: tuple[Option, ...]) -> dict[str, Any]:
    return {
        "name": node.name,
        "durable": node.durable,
        "auto_delete": node.auto_delete,
        "alternate_exchange": node.alternate_exchange,
        "arguments": node.arguments,
        "options": _options(options, node),
        "statistics": node.statistics,
    }


def queue(queue: Queue) -> dict[str, Any]:
    return {**_node(queue, QUEUE_OPTIONS), "exclusive": queue.exclusive}


def exchange(exchange: Exchange) -> dict[str, Any]:
    return {**_node(exchange, EXCHANGE_OPTIONS), "type": exchange.type}


def queues(queues: Sequence[Queue]) -> dict[str, Any]:
    return {"queues": [queue(item) for item in queues]}


def exchanges(exchanges: Sequence[Exchange]) -> dict[str, Any]:
    return {"exchanges": [exchange(item) for item in exchanges]}


def _with_bindings(
    documents: list[dict[str, Any]], groups: dict[str | None, list[Binding]], peer: str
) -> list[dict[str, Any]]:
    """Each document plus its ``bindings``; ``peer`` names the other end of each binding."""
    return [
        document
        | {
            "bindings": [
                {peer: getattr(binding, peer), "key": binding.key, "arguments": binding.arguments}
                for binding in groups.get(document["name"], ())
            ]
        }
        for document in documents
    ]


def queue_bindings(queues: Sequence[Queue], bindings: Sequence[Binding]) -> dict[str, Any]:
    by_queue = grouped(bindings, lambda binding: binding.queue)
    return {"queues": _with_bindings([queue(item) for item in queues], by_queue, "exchange")}


def exchange_bindings(exchanges: Sequence[Exchange], bindings: Sequence[Binding]) -> dict[str, Any]:
    by_exchange = grouped(bindings, lambda binding: binding.exchange)
    documents = [exchange(item) for item in exchanges]
    return {"exchanges": _with_bindings(documents, by_exchange, "queue")}


def overview(exchanges: Sequence[Exchange], queues: Sequence[Queue]) -> dict[str, Any]:
    durable = sum(1 for item in queues if item.durable)
    return {
        "exchanges": {"total": len(exchanges), "types": exchange_type_counts(exchanges)},
        "queues": {"total": len(queues), "durable": durable, "non_durable": len(queues) - durable},
    }


def objects(
    type_name: str, objects: Sequence[QmfObject], columns: Sequence[str], missing: Sequence[str]
) -> dict[str, Any]:
    return {
        "type": type_name,
        "properties": list(columns),
        "missing": list(missing),
        "objects": [
            {column: cell_value(obj.values.get(column)) for column in columns} for obj in objects
        ],
    }


def log_level(level: str) -> dict[str, Any]:
    return {"level": level}
