"""Rendering, kept apart from logic: classic text in a pipe, Rich on a terminal, JSON on request.

Rich is imported only when a terminal is really going to be drawn on.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

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
    from rich.console import Console

    # no_color alone still draws bold and dim; without a colour system nothing is styled
    plain = invocation.no_color
    return Console(no_color=plain, color_system=None if plain else "auto", highlight=False)


def print_json(document: Any) -> None:
    """One JSON document on stdout; numbers stay numbers and booleans booleans."""
    click.echo(json.dumps(document, indent=2, default=str))


def print_lines(lines: list[str]) -> None:
    """Classic text: written as one block so a 10,000-row listing is one write."""
    if lines:
        click.echo("\n".join(lines))
