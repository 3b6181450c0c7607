"""The plan that makes a broker match a desired configuration, and the order to carry it out.

Pure, like :mod:`qpidtools.configuration`: a plan is computed from a desired
:class:`~qpidtools.configuration.Configuration` and the broker's
:class:`~qpidtools.configuration.CurrentConfiguration`, so it is tested without a broker.
:meth:`qpidtools.broker.Broker.apply` sends it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from qpidtools.configuration import (
    ALTERNATE,
    BindingSpec,
    Configuration,
    CurrentConfiguration,
    Difference,
    ExchangeSpec,
    Node,
    Spec,
    describe,
    differences,
    options_table,
)

ADD, DELETE, DIFFERS = "+", "-", "!"


@dataclass(frozen=True)
class Change:
    """One line of a plan: add, delete, or a differing object (recreated with ``--recreate``)."""

    action: str
    spec: Spec  # the wanted object for ADD and DIFFERS, the broker's for DELETE
    differences: tuple[Difference, ...] = ()

    def line(self, recreate: bool = False) -> str:
        what = f"{self.spec.kind} {_names(self.spec)}"
        if self.action == DELETE:
            return f"{DELETE} {what}"
        if self.action == ADD:
            return f"{ADD} {_words(self.spec)}"
        text = ", ".join(str(difference) for difference in self.differences)
        return f"{DIFFERS} {what}: {text}{' (recreate)' if recreate else ''}"


def _names(spec: Spec) -> str:
    if isinstance(spec, BindingSpec):
        return " ".join(shlex.quote(part) for part in spec.identity)
    return shlex.quote(spec.name)


def _words(spec: Spec) -> str:
    """``queue q1 (--durable)``, ``exchange topic news``, ``binding news q1 k (x-match=all)``."""
    if isinstance(spec, BindingSpec):
        settings = [shlex.quote(f"{k}={v}") for k, v in sorted(spec.arguments.items())]
    else:
        settings = describe(options_table(spec), spec.properties)
    kind = f"exchange {shlex.quote(spec.type)}" if isinstance(spec, ExchangeSpec) else spec.kind
    text = f"{kind} {_names(spec)}"
    return f"{text} ({' '.join(settings)})" if settings else text


@dataclass(frozen=True)
class Operation:
    """One management call of a plan: create or delete one object, for one plan line."""

    verb: str  # "create" or "delete"
    spec: Spec
    change: Change


@dataclass(frozen=True)
class Plan:
    """The changes that make the broker match, and the calls that carry them out, in order."""

    changes: tuple[Change, ...] = ()
    steps: tuple[tuple[Operation, ...], ...] = ()  # each step's calls are independent
    recreate: bool = False
    blocked: tuple[str, ...] = ()  # why the plan cannot be carried out (queues with messages)
    force_if_not_empty: bool = False

    @property
    def conflicts(self) -> list[Change]:
        """Objects that differ and may not be recreated: the plan cannot be carried out."""
        return [] if self.recreate else [c for c in self.changes if c.action == DIFFERS]

    def lines(self) -> list[str]:
        return [change.line(self.recreate) for change in self.changes]

    def summary(self) -> str:
        counts = {action: 0 for action in (ADD, DELETE, DIFFERS)}
        for change in self.changes:
            counts[change.action] += 1
        if not self.changes:
            return "The broker matches the configuration: no changes."
        differing = "recreate" if self.recreate else "differ"
        return (
            f"Plan: {counts[ADD]} to add, {counts[DELETE]} to delete, "
            f"{counts[DIFFERS]} to {differing}."
        )


@dataclass
class Outcome:
    """What :meth:`~qpidtools.broker.Broker.apply` did: each plan line done, failed (with the
    broker's error) or not done (not started, or only half done when a recreate stopped)."""

    plan: Plan
    failed: list[tuple[Change, str]] = field(default_factory=list)
    interrupted: str | None = None  # the connection failed or went silent part-way
    answered: set[int] = field(default_factory=set)  # ids of operations that succeeded

    def record(self, operation: Operation, error: Exception | None) -> None:
        if error is None:
            self.answered.add(id(operation))
        else:
            self.failed.append((operation.change, str(error)))

    @property
    def succeeded(self) -> bool:
        return not self.failed and self.interrupted is None

    def _complete(self) -> set[int]:
        """Ids of the changes all of whose operations succeeded."""
        pending: dict[int, int] = {}
        for operation in (operation for step in self.plan.steps for operation in step):
            missing = id(operation) not in self.answered
            pending[id(operation.change)] = pending.get(id(operation.change), 0) + missing
        return {change for change, missing in pending.items() if not missing}

    def done(self) -> list[Change]:
        complete = self._complete()
        return [change for change in self.plan.changes if id(change) in complete]

    def not_done(self) -> list[Change]:
        excluded = self._complete() | {id(change) for change, _ in self.failed}
        return [change for change in self.plan.changes if id(change) not in excluded]


# -- validation against the broker -----------------------------------------------------------


def where(config: Configuration, spec: Spec, key: str = "") -> str:
    """``FILE:LINE`` of an entry (or of one of its keys) of a loaded file."""
    line = spec.lines.get(key) or spec.lines.get("")
    return f"{config.source or '<input>'}:{line}" if line else config.source or "<input>"


def problems(wanted: Configuration, state: CurrentConfiguration, prune: bool = False) -> list[str]:
    """What makes the file impossible to apply to this broker: references to exchanges and
    queues that neither the file nor the broker has (with ``prune``, nor keeps), alternate
    exchange loops, headers bindings without ``x-match``. ``FILE:LINE: message`` each."""
    actual = state.configuration

    def kept(spec: Spec) -> bool:
        return not (prune and state.prunable(spec))

    exchanges = {e.name: e for e in actual.exchanges if kept(e)} | {
        "": ExchangeSpec("", type="direct")
    }
    exchanges |= {spec.name: spec for spec in wanted.exchanges}
    queues = {q.name for q in actual.queues if kept(q)} | {q.name for q in wanted.queues}
    found = []
    nodes: list[Node] = [*wanted.exchanges, *wanted.queues]
    for node in nodes:
        alternate = node.properties.get(ALTERNATE)
        if alternate is not None and alternate not in exchanges:
            found.append(f"{where(wanted, node, ALTERNATE)}: {node.kind} {node.name!r}: "
                         f"{_missing('alternate exchange', alternate, prune)}")  # fmt: skip
    for binding in wanted.bindings:
        what = f"binding {' '.join(map(repr, binding.identity))}"
        exchange = exchanges.get(binding.exchange)
        if exchange is None:
            missing = _missing("exchange", binding.exchange, prune)
            found.append(f"{where(wanted, binding, 'exchange')}: {what}: {missing}")
        elif exchange.type == "headers" and binding.arguments.get("x-match") not in ("all", "any"):
            found.append(
                f"{where(wanted, binding, 'arguments')}: {what}: a binding to headers exchange "
                f"{binding.exchange!r} needs the argument x-match: all or any"
            )
        if binding.queue not in queues:
            missing = _missing("queue", binding.queue, prune)
            found.append(f"{where(wanted, binding, 'queue')}: {what}: {missing}")
    found += _alternate_loops(wanted)
    return found


def _missing(what: str, name: str, prune: bool) -> str:
    broker = "the broker keeps (--prune deletes it)" if prune else "the broker has"
    return f"{what} {name!r} is neither in the file nor one {broker}"


def _alternate_loops(wanted: Configuration) -> list[str]:
    by_name = {spec.name: spec for spec in wanted.exchanges}
    found = []
    for spec in wanted.exchanges:
        seen, current = {spec.name}, spec.properties.get(ALTERNATE)
        while current in by_name and current not in seen:
            seen.add(current)
            current = by_name[current].properties.get(ALTERNATE)
        if current == spec.name:
            found.append(f"{where(wanted, spec, ALTERNATE)}: exchange {spec.name!r}: its "
                         "alternate exchanges lead back to it")  # fmt: skip
    return found


# -- the plan --------------------------------------------------------------------------------


def plan(
    wanted: Configuration,
    state: CurrentConfiguration,
    prune: bool = False,
    recreate: bool = False,
    force_if_not_empty: bool = False,
) -> Plan:
    """The changes that make the broker of ``state`` match ``wanted``, and their order.

    Broker-owned objects are never compared, recreated or deleted. Call :func:`problems`
    first: a plan assumes every reference resolves.
    """
    actual = state.configuration
    changes: list[Change] = []
    for kind in ("exchanges", "queues", "bindings"):
        have = {spec.identity: spec for spec in getattr(actual, kind)}
        want = {spec.identity: spec for spec in getattr(wanted, kind)}
        for identity, spec in want.items():
            if identity not in have:
                changes.append(Change(ADD, spec))
            elif state.is_owned(have[identity]):
                continue  # the broker's own objects are taken as they are
            elif found := differences(have[identity], spec):
                changes.append(Change(DIFFERS, spec, tuple(found)))
        if prune:
            changes += [
                Change(DELETE, spec)
                for identity, spec in have.items()
                if identity not in want and state.prunable(spec)
            ]
    if recreate:
        changes += _rebound(changes, actual)
    return _ordered(changes, state, recreate, force_if_not_empty)


def _rebound(changes: list[Change], actual: Configuration) -> list[Change]:
    """Bindings lost when their queue or exchange is recreated, to be bound again."""
    recreated = {(c.spec.kind, c.spec.identity) for c in changes if c.action == DIFFERS}
    touched = {c.spec.identity for c in changes if isinstance(c.spec, BindingSpec)}
    return [
        Change(ADD, binding)
        for binding in actual.bindings
        if binding.identity not in touched
        and (("queue", binding.queue) in recreated or ("exchange", binding.exchange) in recreated)
    ]


def _ordered(
    changes: list[Change], state: CurrentConfiguration, recreate: bool, force_if_not_empty: bool
) -> Plan:
    """Deletions (bindings, queues, exchanges users first), then creations (exchanges
    alternates first, queues, bindings): each step's calls can be pipelined."""

    def of(action: str, kind: str) -> list[Change]:
        chosen = [c for c in changes if c.spec.kind == kind and c.action == action]
        return sorted(chosen, key=lambda change: change.spec.identity)

    removed = {kind: of(DELETE, kind) + (of(DIFFERS, kind) if recreate else []) for kind in
               ("binding", "queue", "exchange")}  # fmt: skip
    added = {kind: of(ADD, kind) + (of(DIFFERS, kind) if recreate else []) for kind in
             ("binding", "queue", "exchange")}  # fmt: skip
    steps: list[list[Operation]] = [
        [Operation("delete", c.spec, c) for c in removed["binding"]],
        [Operation("delete", c.spec, c) for c in removed["queue"]],
    ]
    steps += _levels(removed["exchange"], "delete", users_first=True)
    steps += _levels(added["exchange"], "create", users_first=False)
    steps.append([Operation("create", c.spec, c) for c in added["queue"]])
    steps.append([Operation("create", c.spec, c) for c in added["binding"]])
    steps = [step for step in steps if step]
    order = (
        [] if recreate else of(DIFFERS, "exchange") + of(DIFFERS, "queue") + of(DIFFERS, "binding")
    )
    listed: set[int] = set()
    for operation in (operation for step in steps for operation in step):
        if id(operation.change) not in listed:
            listed.add(id(operation.change))
            order.append(operation.change)
    blocked = _blocked(removed["queue"], removed["exchange"], state, force_if_not_empty)
    return Plan(
        tuple(order), tuple(tuple(step) for step in steps), recreate, tuple(blocked),
        force_if_not_empty,
    )  # fmt: skip


def _levels(changes: list[Change], verb: str, users_first: bool) -> list[list[Operation]]:
    """Exchanges in steps so that an alternate exchange exists before (``users_first=False``),
    or goes after (``True``), the exchanges in the same list that use it."""
    by_name = {change.spec.identity: change for change in changes}

    def depth(name: Any, seen: frozenset[Any] = frozenset()) -> int:
        """How many listed exchanges lie down the alternate chain (creation) or up (deletion)."""
        if users_first:
            nexts = [n for n, c in by_name.items() if _alternate(c.spec) == name]
        else:
            nexts = [_alternate(by_name[name].spec)]
        nexts = [n for n in nexts if n in by_name and n not in seen]
        return 1 + max((depth(n, seen | {name}) for n in nexts), default=-1)

    levels: dict[int, list[Operation]] = {}
    for name, change in by_name.items():
        levels.setdefault(depth(name), []).append(Operation(verb, change.spec, change))
    return [levels[level] for level in sorted(levels)]


def _alternate(spec: Spec) -> Any:
    return None if isinstance(spec, BindingSpec) else spec.properties.get(ALTERNATE)


def _blocked(
    queues: list[Change],
    exchanges: list[Change],
    state: CurrentConfiguration,
    force_if_not_empty: bool,
) -> list[str]:
    """Deletions qpidd would refuse or that would lose messages."""
    found = []
    if not force_if_not_empty:
        for change in queues:
            depth = state.depths.get(str(change.spec.identity), 0)
            if depth:
                found.append(f"queue {change.spec.identity!r} holds {depth} messages: deleting it "
                             "needs --force-if-not-empty")  # fmt: skip
    leaving = {c.spec.identity for c in (*queues, *exchanges)}
    nodes: list[Node] = [*state.configuration.exchanges, *state.configuration.queues]
    for change in exchanges:
        name = change.spec.identity
        users = [
            f"{node.kind} {node.name!r}"
            for node in nodes
            if node.properties.get(ALTERNATE) == name and node.name not in leaving
        ]
        if users:
            found.append(f"exchange {name!r} cannot be deleted: it is the alternate "
                         f"exchange of {', '.join(users)}")  # fmt: skip
    return found
