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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace

import click
from click.shell_completion import CompletionItem

from qpidtools.model import EXCHANGE_TYPES, HA_STATUSES, LIMIT_POLICIES, REPLICATE_LEVELS

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
complete_limit_policies = fixed(LIMIT_POLICIES)
complete_replicate_levels = fixed(REPLICATE_LEVELS)
complete_ha_statuses = fixed(HA_STATUSES)


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


def _matching(values: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(value) for value in values if value and value.startswith(incomplete)]


def _names(ctx: click.Context, kind: str) -> list[str]:
    """Ask the broker for the names of ``kind``; ``[]`` when it fails or takes too long."""
    found: list[str] = []
    worker = threading.Thread(target=_fetch, args=(ctx, kind, found), daemon=True)
    worker.start()
    worker.join(BUDGET)
    # A daemon thread still waiting on a slow broker dies with the process, which exits as
    # soon as the (empty) candidates are printed.
    return sorted(found) if not worker.is_alive() else []


def _fetch(ctx: click.Context, kind: str, found: list[str]) -> None:
    try:
        found.extend(_query(ctx, kind))
    except Exception:  # completion stays silent, whatever happens
        found.clear()


def _query(ctx: click.Context, kind: str) -> list[str]:
    from qpidtools.broker import Broker
    from qpidtools.cli.common import invocation

    # Listing names is read-only and harmless on an HA backup too (``qpid-ha replicate`` is
    # typed against one), so completion always connects as an HA admin.
    settings = replace(invocation(ctx).settings, timeout=BUDGET, ha_admin=True)
    with Broker.connect(settings) as broker:
        objects = broker.queues() if kind == "queues" else broker.exchanges()
        own_reply_queue = broker.connection.reply_to
    return [obj.name for obj in objects if obj.name != own_reply_queue]
