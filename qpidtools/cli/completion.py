"""Shell completion: fixed values, and live queue and exchange names from the broker.

Click's own mechanism does the work (``_QPID_CONFIG_COMPLETE=bash_complete qpid-config``);
the scripts in ``completions/`` only call back into the tool. A parameter opts in with one
argument, e.g. ``click.argument("queue", shell_complete=complete_queues)``.

Live names come from the broker the line names (``-b`` anywhere before the cursor, else
``$QPIDTOOLS_BROKER``, the profile or localhost), resolved exactly as the command would resolve
it. Completion runs on every TAB, so it must never hang the shell or print on the terminal:
the broker is asked in a background thread, whatever has not answered within
:data:`BUDGET` seconds is abandoned, and every error means "no candidates".

Nothing here imports proton or rich until a broker is actually asked: fixed values complete
at the speed of ``--help``.

For bash, Click's script is replaced by :class:`BashComplete` (``common`` registers it under
Click's name ``bash``), because bash splits its ``COMP_WORDS`` at ``:`` too: ``-b host:5672``
would reach the tool as ``-b host : 5672`` and every position after it would be wrong.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import ClassVar

import click
from click import shell_completion
from click.shell_completion import CompletionItem, split_arg_string

from qpidtools.options import EXCHANGE_TYPES, LOG_LEVELS, QMF_CLASSES
from qpidtools.render import printable

#: Seconds a TAB may wait for the broker before it gives up, all steps included.
BUDGET = 1.0

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def fixed(values: Iterable[str]) -> Completer:
    """A completer offering ``values`` (for parameters whose type is not a ``click.Choice``)."""
    choices = tuple(values)

    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return _matching(choices, incomplete)

    return complete


complete_exchange_types = fixed(EXCHANGE_TYPES)
complete_object_classes = fixed(QMF_CLASSES)
complete_log_levels = fixed(LOG_LEVELS)


def complete_queues(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of the queues on the broker the line names."""
    return _matching(_names(ctx, "queues"), incomplete)


def complete_exchanges(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of the exchanges on the broker the line names (not the nameless default one)."""
    return _matching(_names(ctx, "exchanges"), incomplete)


def complete_exchanges_of(argument: str) -> Completer:
    """Exchange names on the broker given as the command's ``argument`` (qpid-route's DEST)."""

    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return _matching(_names(ctx, "exchanges", ctx.params.get(argument)), incomplete)

    return complete


def _matching(values: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(value) for value in values if value and value.startswith(incomplete)]


def _names(ctx: click.Context, kind: str, address: str | None = None) -> list[str]:
    """Ask the broker (at ``address`` if given) for the names of ``kind``; ``[]`` when it
    fails or takes too long."""
    found: list[str] = []
    worker = threading.Thread(target=_fetch, args=(ctx, kind, found, address), daemon=True)
    worker.start()
    worker.join(BUDGET)
    # A daemon thread still waiting on a slow broker dies with the process, which exits as
    # soon as the (empty) candidates are printed.
    return sorted(found) if not worker.is_alive() else []


def _fetch(ctx: click.Context, kind: str, found: list[str], address: str | None) -> None:
    try:
        found.extend(_query(ctx, kind, address))
    except Exception:  # completion stays silent, whatever happens
        found.clear()


def _query(ctx: click.Context, kind: str, address: str | None) -> list[str]:
    from dataclasses import replace

    from qpidtools.address import parse_address
    from qpidtools.broker import Broker
    from qpidtools.cli.common import invocation

    # Listing names is read-only and harmless on an HA backup too (``qpid-ha replicate`` is
    # typed against one), so completion always connects as an HA admin.
    settings = replace(invocation(ctx).settings, timeout=BUDGET, ha_admin=True)
    if address:
        settings = settings.for_address(parse_address(address))
    with Broker.connect(settings) as broker:
        objects = broker.queues() if kind == "queues" else broker.exchanges()
        own_reply_queue = broker.connection.reply_to
    # A name with control characters is not offered: the shell would list it raw on the
    # terminal (see qpidtools.render.terminal), and nobody can type it anyway.
    return [
        obj.name
        for obj in objects
        if obj.name != own_reply_queue and printable(obj.name) == obj.name
    ]


_SOURCE_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response type value

    # The line up to the cursor rather than COMP_WORDS, which bash splits at ':' too.
    response=$(env COMP_LINE="${COMP_LINE:0:COMP_POINT}" COMP_WORDBREAKS="$COMP_WORDBREAKS" \\
%(complete_var)s=bash_complete "$1" 2>/dev/null)

    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        fi
    done

    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""


class BashComplete(shell_completion.BashComplete):
    """Click's bash completion, reading the line as typed instead of bash's ``COMP_WORDS``."""

    source_template: ClassVar[str] = _SOURCE_BASH

    def get_completion_args(self) -> tuple[list[str], str]:
        """The words before the cursor and the one being completed, from ``COMP_LINE``.

        The bash script Click itself generates sends only ``COMP_WORDS`` and ``COMP_CWORD``
        (so do hand-written scripts following Click's documentation): without ``COMP_LINE``
        the words are read Click's way, colons split off as bash split them.
        """
        line = os.environ.get("COMP_LINE")
        if line is None:
            return super().get_completion_args()
        words = split_arg_string(line)
        incomplete = words.pop() if words and not line[-1:].isspace() else ""
        return words[1:], incomplete

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        """Trim what bash keeps: it replaces only the part of the word after its last ``:``."""
        items = super().get_completions(args, incomplete)
        value = incomplete.partition("=")[2] if incomplete.startswith("-") else incomplete
        if ":" not in os.environ.get("COMP_WORDBREAKS", "") or ":" not in value:
            return items
        kept = value[: value.rindex(":") + 1]
        return [
            CompletionItem(item.value[len(kept) :], item.type, item.help)
            if item.type == "plain" and str(item.value).startswith(kept)
            else item
            for item in items
        ]
