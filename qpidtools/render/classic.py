"""The classic qpid-config text, byte for byte: what scripts have parsed for fifteen years.

The classic tool is Python 2. Its output depends on three Python 2 details reproduced here:

* ``print x,`` puts one space before every item after the first, so list rows carry a double
  space after the name column and queue rows end in a space (unless ``--argument`` items end
  them);
* ``str()`` of a dict is its ``repr``, strings inside it carry ``u''``;
* dicts iterate in hash-table order, not insertion order. That order decides the order of the
  ``--argument`` items, of binding arguments, of the overview's exchange types and of the
  default ``list`` columns, so :func:`py2_order` replays CPython 2.7's dict on 64-bit Linux.
  Maps from the broker were built by inserting keys in sorted order (qpidd's maps are
  ``std::map``), hence the ``sorted()`` calls.

Every function returns the lines to print, built in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from qpidtools.model import (
    EXCHANGE_OPTIONS,
    QUEUE_OPTIONS,
    SPECIAL_ARGUMENTS,
    Binding,
    Exchange,
    Kind,
    Option,
    Queue,
    present_options,
)
from qpidtools.qmf import QmfObject, reference_key

_MASK64 = 2**64 - 1
_DICT_MINSIZE = 8
_PERTURB_SHIFT = 5
#: ``--shared-groups`` is listed only for the value 1; other flags for any true value.
_LISTED_IF_ONE = "qpid.shared_msg_group"
_POLICY_KEY = "qpid.policy_type"
#: Columns of ``list TYPE`` for the two types with fixed defaults; others: name + 5 more.
DEFAULT_COLUMNS = {
    "exchange": ["name", "type", "durable"],
    "queue": ["name", "durable", "autoDelete"],
}
_DEFAULT_COLUMN_COUNT = 6


# -- Python 2 semantics -------------------------------------------------------------------


def _py2_hash(text: str) -> int:
    """CPython 2.7's string hash (64-bit), as an unsigned number."""
    if not text:
        return 0
    value = (ord(text[0]) << 7) & _MASK64
    for char in text:
        value = ((1000003 * value) & _MASK64) ^ ord(char)
    value ^= len(text)
    return _MASK64 - 1 if value == _MASK64 else value  # -1 is reserved: it becomes -2


def _insert(table: list[str | None], key: str) -> None:
    mask = len(table) - 1
    perturb = _py2_hash(key)
    index = perturb
    while table[index & mask] is not None:
        index = ((index << 2) + index + perturb + 1) & _MASK64
        perturb >>= _PERTURB_SHIFT
    table[index & mask] = key


@lru_cache(maxsize=1024)
def _py2_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    table: list[str | None] = [None] * _DICT_MINSIZE
    for used, key in enumerate(keys, start=1):
        _insert(table, key)
        if used * 3 >= len(table) * 2:  # resize to the smallest power of 2 > 4 * used
            size = _DICT_MINSIZE
            while size <= 4 * used:
                size <<= 1
            old, table = table, [None] * size
            for kept in old:
                if kept is not None:
                    _insert(table, kept)
    return tuple(key for key in table if key is not None)


def py2_order(keys: Iterable[str]) -> tuple[str, ...]:
    """The order a Python 2 dict iterates distinct ``keys`` inserted in the given order."""
    return _py2_order(tuple(dict.fromkeys(keys)))


def py2_repr(value: Any) -> str:
    """``repr()`` as Python 2 wrote it for values decoded by qpid-python (unicode strings)."""
    if isinstance(value, str):
        return "u" + ascii(value)
    if isinstance(value, bytes):
        return repr(value)[1:]
    if isinstance(value, dict):
        items = (f"{py2_repr(key)}: {py2_repr(value[key])}" for key in py2_order(sorted(value)))
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py2_repr(item) for item in value) + "]"
    return _number(value) if isinstance(value, int | float) else repr(value)


def _number(value: int | float) -> str:
    """Plain digits, also for proton's ``ulong``/``ushort``... (whose repr names the type)."""
    if isinstance(value, bool):
        return str(value)
    return repr(int(value)) if isinstance(value, int) else repr(float(value))


def py2_str(value: Any) -> str:
    """``str()`` as Python 2 wrote it: containers as their repr, floats with 12 digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        text = format(value, ".12g")
        return text if any(c in text for c in ".enia") else text + ".0"
    if isinstance(value, dict | list | tuple | int):
        return py2_repr(value)
    return str(value)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def classic_time(moment: datetime) -> str:
    """``%c`` of the C locale in UTC, as the classic tool printed: ``Tue Dec  1 07:04:13 2026``."""
    return (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:2d} "
        f"{moment:%H:%M:%S} {moment.year}"
    )


# -- attributes ----------------------------------------------------------------------------


def _option_items(options: tuple[Option, ...], obj: Queue | Exchange) -> list[str]:
    items = []
    for option, value in present_options(options, obj):
        if option.kind is Kind.FLAG:
            listed = value == 1 if option.key == _LISTED_IF_ONE else bool(value)
            if listed:
                items.append(f"--{option.flag}")
            continue
        text = py2_str(value)
        if option.key == _POLICY_KEY:
            text = text.replace("_", "-")
        items.append(f"--{option.flag}={text}")
    return items


def queue_attributes(queue: Queue) -> list[str]:
    """The option items of a queue row, without its ``--argument`` items."""
    items = _option_items(QUEUE_OPTIONS, queue)
    # auto-del and excl come right after --durable and --replicate
    cut = sum(1 for item in items if item == "--durable" or item.startswith("--replicate="))
    flags = ["auto-del"] * queue.auto_delete + ["excl"] * queue.exclusive
    return items[:cut] + flags + items[cut:]


def queue_arguments(queue: Queue) -> list[str]:
    """``--argument k=v`` for every argument that no option stands for."""
    arguments = queue.arguments
    return [
        f"--argument {key}={py2_str(arguments[key])}"
        for key in py2_order(sorted(arguments))
        if key not in SPECIAL_ARGUMENTS
    ]


def exchange_attributes(exchange: Exchange) -> list[str]:
    """The option items of an exchange row (its other arguments are not listed)."""
    return _option_items(EXCHANGE_OPTIONS, exchange)


# -- listings ------------------------------------------------------------------------------


def queues(queues: Sequence[Queue]) -> list[str]:
    """``qpid-config queues``: nothing at all when no queue matched."""
    if not queues:
        return []
    width = max(10, *(len(queue.name) for queue in queues))
    lines = [f"{'Queue Name':<{width}}  Attributes", "=" * (5 * (width // 5 + 5))]
    lines.extend(
        f"{queue.name:<{width}} "
        + "".join(f" {item}" for item in queue_attributes(queue))
        + " "
        + " ".join(queue_arguments(queue))
        for queue in queues
    )
    return lines


def exchanges(exchanges: Sequence[Exchange]) -> list[str]:
    """``qpid-config exchanges``; a type wider than its column runs into the name, as ever."""
    if not exchanges:
        return []
    width = max(13, *(len(exchange.name) for exchange in exchanges))
    lines = [
        f"Type      {'Exchange Name':<{width}}  Attributes",
        "=" * (5 * ((width + 10) // 5 + 5)),
    ]
    lines.extend(
        f"{exchange.type:<10}{exchange.name:<{width}} "
        + "".join(f" {item}" for item in exchange_attributes(exchange))
        for exchange in exchanges
    )
    return lines


def _binding_line(key: str, target: str, arguments: dict[str, Any]) -> str:
    if arguments:
        return f"    bind [{key}] => {target} {py2_repr(arguments)}"
    return f"    bind [{key}] => {target}"


def grouped(
    bindings: Sequence[Binding], key: Callable[[Binding], str | None]
) -> dict[str | None, list[Binding]]:
    """Bindings by queue or by exchange, in the broker's order: one pass, not one per row."""
    groups: dict[str | None, list[Binding]] = {}
    for binding in bindings:
        groups.setdefault(key(binding), []).append(binding)
    return groups


def _sections(
    sections: Iterable[tuple[str, Iterable[Binding]]], target: Callable[[Binding], str]
) -> list[str]:
    lines = []
    for title, found in sections:
        lines.append(title)
        lines.extend(
            _binding_line(binding.key, target(binding), binding.arguments) for binding in found
        )
    return lines


def queue_bindings(queues: Sequence[Queue], bindings: Sequence[Binding]) -> list[str]:
    """``qpid-config queues -r``: each queue and the exchanges it is bound to."""
    by_queue = grouped(bindings, lambda binding: binding.queue)
    return _sections(
        ((f"Queue '{queue.name}'", by_queue.get(queue.name, ())) for queue in queues),
        lambda binding: binding.exchange or "''",
    )


def exchange_bindings(exchanges: Sequence[Exchange], bindings: Sequence[Binding]) -> list[str]:
    """``qpid-config exchanges -r``: each exchange and the queues bound to it."""
    by_exchange = grouped(bindings, lambda binding: binding.exchange)
    return _sections(
        (
            (f"Exchange '{exchange.name}' ({exchange.type})", by_exchange.get(exchange.name, ()))
            for exchange in exchanges
        ),
        lambda binding: "<unknown>" if binding.queue is None else binding.queue,
    )


def exchange_type_counts(exchanges: Sequence[Exchange]) -> dict[str, int]:
    """Exchanges per type, in the order the classic overview lists them."""
    counts: dict[str, int] = {}
    for exchange in exchanges:
        counts[exchange.type] = counts.get(exchange.type, 0) + 1
    return {kind: counts[kind] for kind in py2_order(counts)}


def overview(exchanges: Sequence[Exchange], queues: Sequence[Queue]) -> list[str]:
    """``qpid-config`` without a command: counts of exchanges by type and of queues."""
    durable = sum(1 for queue in queues if queue.durable)
    return [
        f"Total Exchanges: {len(exchanges)}",
        *(f"{kind:>15}: {count}" for kind, count in exchange_type_counts(exchanges).items()),
        "",
        f"   Total Queues: {len(queues)}",
        f"        durable: {durable}",
        f"    non-durable: {len(queues) - durable}",
    ]


# -- list TYPE -----------------------------------------------------------------------------


def list_columns(
    type_name: str, objects: Sequence[QmfObject], wanted: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The columns ``list TYPE`` shows, and the ``wanted`` properties no object has.

    Without ``wanted``: fixed columns for queues and exchanges, otherwise ``name`` and the
    next five properties in the order the classic tool first saw them.
    """
    if not wanted and type_name in DEFAULT_COLUMNS:
        return DEFAULT_COLUMNS[type_name], []
    seen: dict[str, None] = {}
    for obj in objects:
        seen.update(dict.fromkeys(py2_order(sorted(obj.values))))
    attributes = list(seen)
    if "name" in seen:
        attributes.remove("name")
        attributes.insert(0, "name")
    if not wanted:
        return attributes[:_DEFAULT_COLUMN_COUNT], []
    return [p for p in wanted if p in seen], [p for p in wanted if p not in seen]


def cell_value(value: Any) -> Any:
    """A property as ``list`` shows it: references by the referred object's name."""
    key = reference_key(value)
    return value if key is None else key


def _cell(value: Any) -> str:
    value = cell_value(value)
    return "" if value is None else py2_str(value)


def objects(
    type_name: str, objects: Sequence[QmfObject], columns: Sequence[str], missing: Sequence[str]
) -> list[str]:
    """``qpid-config list TYPE``: a table indented by two spaces, columns two apart."""
    lines = [f"Warning: No such property '{name}' for type '{type_name}'" for name in missing]
    lines.append(f"Objects of type '{type_name}'")
    if not objects:
        return lines
    rows = [[_cell(obj.values.get(column, "n/a")) for column in columns] for obj in objects]
    widths = [
        max(len(head), *(len(row[index]) for row in rows)) + 2 for index, head in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=False)]
        return "  " + "".join(padded) + (cells[-1] if cells else "")

    lines.append(line(columns))
    lines.append(("  " + "=" * sum(widths))[:255])
    lines.extend(line(row) for row in rows)
    return lines


def log_level(level: str) -> list[str]:
    return [f"Log level: {level}"]
