"""Rendering, kept apart from logic: classic text in a pipe, Rich on a terminal, JSON on request.

Rich is imported only when a terminal is really going to be drawn on.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from qpidtools.cli.common import Invocation


class Mode(Enum):
    PLAIN = "plain"  # the classic tools' text, byte for byte: scripts parse it
    RICH = "rich"  # tables for people at a terminal
    JSON = "json"  # one document with stable keys, for scripts


def mode_for(invocation: Invocation) -> Mode:
    if invocation.json:
        return Mode.JSON
    return Mode.RICH if sys.stdout.isatty() else Mode.PLAIN


def console(invocation: Invocation) -> Console:
    """The Console every Rich renderer draws with: see :mod:`qpidtools.render.terminal`."""
    from qpidtools.render.terminal import TerminalConsole

    # no_color alone still draws bold and dim; without a colour system nothing is styled
    plain = invocation.no_color
    return TerminalConsole(no_color=plain, color_system=None if plain else "auto")


def show(
    invocation: Invocation,
    lines: Callable[[], list[str]],
    document: Callable[[], Any],
    rich: Callable[[], RenderableType],
) -> None:
    """Print one result as the invocation asks: classic ``lines``, a JSON ``document`` or a
    ``rich`` renderable. Only the one printed is built (Rich is imported only for a terminal)."""
    mode = mode_for(invocation)
    if mode is Mode.JSON:
        print_json(document())
    elif mode is Mode.RICH:
        console(invocation).print(rich())
    else:
        print_lines(lines())


#: C0 and C1 control characters and DEL: what a terminal may take as a command.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (``\\x1b``, ``\\n``), for people.

    Used wherever a name from the broker reaches a terminal: Rich output and error lines.
    The plain text in a pipe keeps names as they are (scripts compare them byte for byte),
    and JSON escapes them itself.
    """
    return _CONTROL.sub(lambda match: match[0].encode("unicode_escape").decode(), text)


def print_json(document: Any) -> None:
    """One JSON document on stdout; numbers stay numbers and booleans booleans."""
    import json  # only --json needs it: not on every start-up

    click.echo(json.dumps(document, indent=2, default=str))


def json_line(document: Any) -> str:
    """One JSON document on one line: what the tools that keep printing (samples, events)
    write per record, so a script can read them line by line."""
    import json

    return json.dumps(document, default=str)


def print_lines(lines: list[str]) -> None:
    """Classic text: written as one block so a 10,000-row listing is one write.

    Names go out as they are, as the classic tools wrote them: ``color=True`` stops Click
    from deleting what looks like ANSI escape sequences from a name in a pipe.
    """
    if lines:
        click.echo("\n".join(lines), color=True)
