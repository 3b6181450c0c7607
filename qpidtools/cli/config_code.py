"""What ``qpid-config export``, ``apply`` and the ``--if-exists``/``--if-not-exists`` forms do.

The Click commands are in :mod:`qpidtools.cli.config`; this module is their logic, over
:mod:`qpidtools.config_plan` and the broker API, so that config.py stays a list of commands.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qpidtools.cli.common import Invocation, connect
from qpidtools.errors import BrokerError, ChangesPending, QpidToolsError, UsageError
from qpidtools.render import Mode, console, mode_for, plans, print_json, print_lines

if TYPE_CHECKING:  # imported where used, so that qpid-config starts fast
    from qpidtools.broker import Broker
    from qpidtools.config_plan import Outcome, Plan
    from qpidtools.configuration import Spec

# -- idempotent single commands --------------------------------------------------------------


def _already_exists(error: BrokerError) -> bool:
    return error.error_text.startswith("object already exists")


def _same_or_fail(existing: Spec, wanted: Spec) -> None:
    """An existing object is fine if it has the settings asked for; else say which differ."""
    from qpidtools.configuration import differences

    found = differences(existing, wanted)
    if found:
        listed = ", ".join(str(difference) for difference in found)
        raise QpidToolsError(
            f"{wanted.kind} {_shown_name(wanted)} exists with other settings: {listed} (qpidd "
            "cannot change them in place; delete it first, or use 'apply --recreate')"
        )


def _shown_name(spec: Spec) -> str:
    if spec.kind == "binding":
        return " ".join(repr(part) for part in spec.identity)
    return repr(spec.identity)


def _create_unless_present(
    lookup: Callable[[], Spec | None], wanted: Spec, create: Callable[[], None]
) -> bool:
    """Create ``wanted`` unless ``lookup`` finds it already there; True if it was created.

    Should another client create it between the query and the create, qpidd's ``object
    already exists`` leads to the same comparison.
    """
    existing = lookup()
    if existing is None:
        try:
            create()
            return True
        except BrokerError as error:
            existing = lookup() if _already_exists(error) else None
            if existing is None:
                raise
    _same_or_fail(existing, wanted)
    return False


def ensure_queue(
    broker: Broker, name: str, properties: Mapping[str, Any], source: str | None
) -> None:
    """``add queue --if-not-exists``."""
    from qpidtools.configuration import QueueSpec, queue_spec

    def lookup() -> Spec | None:
        queue = broker.queue(name)
        return queue_spec(queue) if queue else None

    wanted = QueueSpec(name, dict(properties))
    _create_unless_present(
        lookup, wanted, lambda: broker.add_queue(name, properties, replicate_from=source)
    )


def ensure_exchange(broker: Broker, type_: str, name: str, properties: Mapping[str, Any]) -> None:
    """``add exchange --if-not-exists``."""
    from qpidtools.configuration import ExchangeSpec, exchange_spec

    def lookup() -> Spec | None:
        exchange = broker.exchange(name)
        return exchange_spec(exchange) if exchange else None

    wanted = ExchangeSpec(name, dict(properties), type=type_)
    _create_unless_present(lookup, wanted, lambda: broker.add_exchange(type_, name, properties))


def ensure_binding(
    broker: Broker, exchange: str, queue: str, key: str, arguments: Mapping[str, Any]
) -> None:
    """``bind --if-not-exists``: qpidd binds an existing binding again silently [120], so the
    arguments are compared here."""
    from qpidtools.configuration import BindingSpec

    existing = broker.binding(exchange, queue, key)
    wanted = BindingSpec(exchange, queue, key, dict(arguments))
    if existing is None:
        broker.bind(exchange, queue, key, arguments)
        return
    _same_or_fail(BindingSpec(exchange, queue, key, existing.arguments), wanted)


# -- export -----------------------------------------------------------------------------------


def export(inv: Invocation) -> None:
    """Write the broker's configuration to ``-o FILE`` or standard output."""
    from qpidtools.config_file import dump

    options = inv.options
    format_ = "json" if inv.json else options.get("config_format") or "yaml"
    with _no_garbage_collection(), connect(inv.settings) as broker:
        config = broker.export(
            include_all=inv.flag("all_objects"),
            queues=options.get("queues_pattern") or "*",
            exchanges=options.get("exchanges_pattern") or "*",
        )
    text = dump(config, format_)
    output = options.get("output")
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text)
    except OSError as error:
        raise QpidToolsError(f"cannot write {output}: {error.strerror}") from None


# -- apply ------------------------------------------------------------------------------------


def read_file(path: str) -> tuple[str, str]:
    """The text of the file to apply and the name to report problems under (``-``: stdin)."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(), path
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot read {path}: {reason}") from None


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Reading a 10,000-queue file and as many objects from the broker builds over a million
    small objects, none of them garbage; Python's cyclic collector would walk them all again
    and again (a third of the time spent loading)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def apply(inv: Invocation, path: str) -> None:
    """Validate the file, plan, print the plan, and unless ``--dry-run`` carry it out."""
    with _no_garbage_collection():
        _apply(inv, path)


def _apply(inv: Invocation, path: str) -> None:
    from qpidtools.config_file import load

    text, source = read_file(path)
    wanted = load(text, source)  # every file problem is found before connecting
    dry_run = inv.flag("dry_run")
    with connect(inv.settings) as broker:
        plan = broker.plan(
            wanted,
            prune=inv.flag("prune"),
            recreate=inv.flag("recreate"),
            force_if_not_empty=inv.flag("force_if_not_empty"),
            queues=inv.options.get("queues_pattern") or "*",
            exchanges=inv.options.get("exchanges_pattern") or "*",
        )
        refusal = _refusal(plan)
        if not inv.json:  # the plan first: a large apply takes a while
            _print(inv, plans.plan_lines(plan))
        outcome = None
        if plan.changes and not dry_run and refusal is None:
            outcome = broker.apply(plan)
    if inv.json:
        print_json(plans.document(plan, outcome, dry_run))
    elif outcome is not None:
        _print(inv, plans.outcome_lines(outcome))
    if refusal is not None:
        raise refusal
    if outcome is not None and not outcome.succeeded:
        raise QpidToolsError(_stopped(outcome))
    if dry_run and plan.changes:
        raise ChangesPending()


def _print(inv: Invocation, lines: list[str]) -> None:
    if mode_for(inv) is Mode.RICH:
        plans.draw(console(inv), lines)
    else:
        print_lines(lines)


def _refusal(plan: Plan) -> QpidToolsError | None:
    """Why the plan must not be carried out: settings qpidd cannot change, messages to lose."""
    if plan.conflicts:
        count = len(plan.conflicts)
        several = count > 1
        return QpidToolsError(
            f"{count} object{'s differ' if several else ' differs'} from the file in settings "
            f"qpidd cannot change in place (lines marked '!'); --recreate deletes and creates "
            f"{'them' if several else 'it'} again"
        )
    if plan.blocked:
        error = QpidToolsError(plan.blocked[0])
        error.further = plan.blocked[1:]
        return error
    return None


def _stopped(outcome: Outcome) -> str:
    done, total = len(outcome.done()), len(outcome.plan.changes)
    if outcome.interrupted:  # the calls of the step under way may or may not have been made
        stopped = f"{done} of {total} changes confirmed: {outcome.interrupted}"
    else:
        stopped = f"{done} of {total} changes: {outcome.failed[0][1]}"
    return f"apply stopped after {stopped}; apply the file again to complete it"
