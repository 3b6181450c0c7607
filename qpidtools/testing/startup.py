"""The start-ups that must stay fast, for every tool: ``--help``, a usage error, and a TAB
that completes fixed values.

Shared by the import test (``tests/test_startup_imports.py``: which modules each start-up
loads) and the benchmark (``bench/bench_startup.py``: how long it takes), so that both cover
every program of :data:`qpidtools.generate.PROGRAMS`, new tools included, without a list of
command lines to keep up to date.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import click

from qpidtools.cli.help import context, subcommands
from qpidtools.generate import PROGRAMS, tools

#: Modules none of these start-ups may load (beyond what ``python -c pass`` loads): the AMQP
#: and terminal libraries, the broker API under the CLIs, and the standard library's heavier
#: modules that only a connection, a profile or an output format needs. Click itself loads
#: ``typing``, ``inspect``, ``enum``, ``threading`` and ``uuid``, so those cannot be listed.
HEAVY_MODULES = (
    "proton",
    "rich",
    "yaml",
    "prometheus_client",
    "json",
    "dataclasses",
    "tomllib",
    "ipaddress",
    "ssl",
    "socket",
    "concurrent",
    "asyncio",
    "qpidtools.address",
    "qpidtools.transport",
    "qpidtools.qmf",
    "qpidtools.model",
    "qpidtools.broker",
    "qpidtools.render.classic",
    "qpidtools.render.documents",
    "qpidtools.render.table",
)


class StartUp(NamedTuple):
    """One way to start a tool: its arguments, extra environment and exit status."""

    prog: str
    what: str
    args: tuple[str, ...]
    env: dict[str, str]
    exit_code: int


def fixed_value_line(command: click.Command, prog: str) -> str:
    """A command line ending where TAB offers fixed values: after the first option (of any
    command) whose values are a ``click.Choice``; else after ``--``, for option names."""
    root = context(command, prog, None)
    for ctx in (root, *subcommands(root)):
        for param in ctx.command.get_params(ctx):
            shown = isinstance(param, click.Option) and not param.hidden
            if shown and isinstance(param.type, click.Choice):
                return f"{ctx.command_path} {param.opts[-1]} "
    return f"{prog} --"


def start_ups(programs: tuple[str, ...] = PROGRAMS) -> Iterator[StartUp]:
    """Every program's ``--help``, usage error and fixed-value completion."""
    commands = tools()
    for prog in programs:
        complete = f"_{prog.replace('-', '_').upper()}_COMPLETE"
        line = fixed_value_line(commands[prog], prog)
        yield StartUp(prog, "--help", ("--help",), {}, 0)
        yield StartUp(prog, "usage error", ("--no-such-option",), {}, 2)
        yield StartUp(
            prog,
            f"completion of '{line}'",
            (),
            {complete: "bash_complete", "COMP_LINE": line, "COMP_WORDBREAKS": " \t\n\"'><=;|&(:"},
            0,
        )
