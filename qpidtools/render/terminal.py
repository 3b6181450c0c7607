"""Rich output that names from the broker cannot subvert.

Queue, exchange and binding names are chosen by whoever can create them, and qpidd accepts
nearly any string: a name holding ``ESC [ 2 J`` would clear the screen of whoever lists it,
and one holding ``[bold]`` or ``[/]`` would be read as Rich markup (or make Rich raise).
Every Rich renderer draws with :class:`TerminalConsole` (from
:func:`qpidtools.render.console`): it never parses markup or emoji codes, and shows control
characters escaped (:func:`qpidtools.render.printable`) in every string it draws, table cells,
titles and headers included. A renderer that builds a styled :class:`~rich.text.Text` from
broker data itself uses :func:`text`. Imported only when a terminal is drawn on.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from qpidtools.render import printable


class TerminalConsole(Console):
    """A Console for data from the broker: strings are literal and control characters shown."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, *args: Any, **kwargs: Any) -> Text:
        return super().render_str(printable(text), *args, **kwargs)


def text(value: object, style: str = "") -> Text:
    """A styled Text of ``value`` with its control characters escaped (never markup)."""
    return Text(printable(str(value)), style=style)
