"""A group's ``--help`` that also lists every option of every command under it.

Operators grep ``qpid-config --help`` for an option, as they did with the classic tool, whose
help listed them all in sections ("Options for Adding Queues", ...). The sections here are
read from the Click definitions: an option goes into the section of the set of commands
that show it in their own help, so a command or option added later is listed without
anyone writing it down here. Only the section titles are written by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import click


def context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as Click makes one to run ``command``, help option names included.

    Click caches each command's help option from the first context it sees: one made
    without the tool's settings would leave ``-h`` out of every later help and page.
    """
    return click.Context(command, info_name=name, parent=parent, **command.context_settings)


def subcommands(ctx: click.Context) -> Iterator[click.Context]:
    """Every command below ``ctx``, depth first, in the order ``--help`` lists them."""
    group = ctx.command
    if not isinstance(group, click.Group):
        return
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub_ctx = context(command, name, ctx)
        yield sub_ctx
        yield from subcommands(sub_ctx)


def _path(ctx: click.Context) -> str:
    """``add queue`` for ``qpid-config add queue``."""
    return ctx.command_path.partition(" ")[2]


def command_option_sections(
    root: click.Context, titles: Mapping[frozenset[str], str]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, help records) for the options the commands show that the root's help does not.

    An option shown by several commands is listed once, in the section of that set of
    commands. ``titles`` names sections by command paths; the others are named after their
    commands. Sections with a title come in the order of ``titles``, then the rest.
    """
    shown_at_root = {p.name for p in root.command.get_params(root) if p.get_help_record(root)}
    paths: dict[str, set[str]] = {}  # option name -> the commands that show it
    records: dict[str, tuple[str, str]] = {}
    for ctx in subcommands(root):
        for param in ctx.command.get_params(ctx):
            record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
            if record is None or param.name is None or param.name in shown_at_root:
                continue
            paths.setdefault(param.name, set()).add(_path(ctx))
            records.setdefault(param.name, record)
    sections: dict[frozenset[str], list[tuple[str, str]]] = {}
    for name, where in paths.items():
        sections.setdefault(frozenset(where), []).append(records[name])
    order = list(titles)
    ranked = sorted(sections, key=lambda key: order.index(key) if key in titles else len(order))
    merged: dict[str, list[tuple[str, str]]] = {}  # sets of commands given one title: one section
    for key in ranked:
        merged.setdefault(titles.get(key) or _title(key), []).extend(sections[key])
    return list(merged.items())


def _title(paths: frozenset[str]) -> str:
    names = [f"'{path}'" for path in sorted(paths)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"Options for {listed}"


class OptionsOverviewGroup(click.Group):
    """A group whose help ends with the options of its commands, in titled sections.

    ``option_sections`` maps a set of command paths (``{"add queue", "add exchange"}``) to
    the title of the section of options that exactly those commands show.
    """

    def __init__(
        self, *args: Any, option_sections: Mapping[frozenset[str], str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.option_sections = option_sections or {}

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        for title, records in command_option_sections(ctx, self.option_sections):
            with formatter.section(title):
                formatter.write_dl(records)
