"""qpid-stat's tables: the classic text byte for byte, Rich tables, and JSON rows.

A :class:`Table` holds raw values; each :class:`Column` knows how the classic tool printed
them. The classic layout: the title, then the header and the rows indented by two spaces,
every column as wide as its widest cell plus two (the last one unpadded), a rule of ``=`` as
long as all the column widths together (at most 255), and only the title when there are no
rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qpidtools.errors import MalformedReply
from qpidtools.render.classic import classic_time

if TYPE_CHECKING:
    from rich.console import RenderableType

_RULE_MAX = 255
_UNITS = (("k", 1e3), ("m", 1e6), ("g", 1e9))


def plain(value: Any) -> str:
    """As is; ``None`` is empty and proton's ``uint``/``ulong`` print as plain digits."""
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def number(value: Any) -> float:
    """A statistic as sent; anything but a number means the broker's reply is malformed."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        kind = type(value).__name__
        raise MalformedReply(
            f"malformed reply from the broker: a statistic is {kind}, not a number"
        )
    return value


def count(value: Any) -> str:
    """Counts in ``-c``/``-e``/``-q``: ``"  43"``, ``4.36k``, ``65.8k``, `` 445k``, ``1.20m``."""
    if value is None:
        return ""
    if number(value) < 1000:
        return f"{int(value):4d}"
    for unit, scale in _UNITS:
        if value < scale * 1000 or unit == "g":
            scaled = value / scale
            if scaled < 10:
                return f"{scaled:1.2f}{unit}"
            if scaled < 100:
                return f"{scaled:2.1f}{unit}"
            return f"{int(scaled):4d}{unit}"
    raise AssertionError("unreachable")


def commas(value: Any) -> str:
    return "" if value is None else f"{number(value):,}"


def yes_or_blank(value: Any) -> str:
    return "Y" if value else ""


def yes_or_no(value: Any) -> str:
    return "Y" if value else "N"


def duration(nanoseconds: Any) -> str:
    """``7s``, ``2m 5s``, ``1h 0m 3s``, ``2d 1h 0m 0s``: leading zero units left out."""
    if nanoseconds is None:
        return ""
    seconds = max(int(number(nanoseconds)), 0) // 1_000_000_000
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    text = f"{days}d " if days else ""
    if hours or text:
        text += f"{hours % 24}h "
    if minutes or text:
        text += f"{minutes % 60}m "
    return text + f"{seconds % 60}s"


def timestamp(nanoseconds: Any) -> str:
    """``%c`` in UTC, as the classic tool printed ``lastAclLoad``."""
    if not nanoseconds:
        return ""
    return classic_time(datetime.fromtimestamp(number(nanoseconds) / 1e9, UTC))


def rate(value: Any) -> str:
    return "" if value is None else f"{number(value):.1f}"


@dataclass(frozen=True)
class Column:
    """A column: its classic header, its key in ``--json`` and how a value is printed."""

    header: str
    key: str
    format: Callable[[Any], str] = plain
    numeric: bool = False  # right-aligned in Rich tables


@dataclass(frozen=True)
class Table:
    """One titled table of raw values; ``key`` names it in ``--json``."""

    title: str
    key: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def cells(self) -> list[list[str]]:
        formats = [column.format for column in self.columns]
        return [[f(v) for f, v in zip(formats, row, strict=True)] for row in self.rows]

    def sorted_by(self, header: str, increasing: bool, limit: int) -> Table:
        """Rows ordered by the raw values of a column, at most ``limit`` of them.

        Decreasing order is the stable increasing order reversed, so ties come out in reverse
        broker order, as with the classic tool.
        """
        index = [column.header for column in self.columns].index(header)
        rows = sorted(self.rows, key=lambda row: _sort_key(row[index]))
        if not increasing:
            rows.reverse()
        return replace(self, rows=rows[:limit])

    def document(self) -> list[dict[str, Any]]:
        keys = [column.key for column in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    return (1, value) if isinstance(value, int | float) else (2, str(value))


def classic_lines(tables: Sequence[Table]) -> list[str]:
    """The classic text of one or more tables, an empty line between them."""
    lines: list[str] = []
    for table in tables:
        if lines:
            lines.append("")
        lines.append(table.title)
        if not table.rows:
            continue
        headers = [column.header for column in table.columns]
        cells = table.cells()
        columns = zip(headers, *cells, strict=True)
        widths = [max(map(len, column)) + 2 for column in columns]
        lines.append(_line(headers, widths))
        lines.append("  " + "=" * min(sum(widths), _RULE_MAX))
        lines.extend(_line(row, widths) for row in cells)
    return lines


def _line(texts: Sequence[str], widths: Sequence[int]) -> str:
    return "  " + "".join(map(str.ljust, texts[:-1], widths)) + texts[-1]


def rich_tables(tables: Sequence[Table]) -> RenderableType:
    """The tables for a terminal (Rich), one under the other; draw them with
    :func:`qpidtools.render.console`, which keeps names from the broker literal."""
    from rich.console import Group
    from rich.table import Table as RichTable

    drawn = []
    for table in tables:
        rich = RichTable(title=table.title.rstrip(":"), title_justify="left")
        rich.header_style = "bold"
        for column in table.columns:
            rich.add_column(column.header, justify="right" if column.numeric else "left")
        for row in table.cells():
            rich.add_row(*(cell.strip() for cell in row))
        drawn.append(rich)
    return Group(*drawn)


def document(tables: Sequence[Table]) -> dict[str, Any]:
    """The tables as one JSON document: each table's key with its rows."""
    return {table.key: table.document() for table in tables}


def queue_stats_line(row: Mapping[str, Any]) -> str:
    """One classic qpid-queue-stats row."""
    return "%-41s%10.2f%11d%13.2f%13.2f" % (  # noqa: UP031 - the classic format, verbatim
        row["queue"],
        row["seconds"],
        row["depth"],
        row["enqueue_rate"],
        row["dequeue_rate"],
    )
