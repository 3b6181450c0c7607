"""Configuration as code: a broker's queues, exchanges and bindings as data, and how they differ.

Everything here is pure (no connection, no YAML): the broker's state comes in as the typed
objects of :mod:`qpidtools.model`, so it can be tested without a broker.
Settings are held in *wire form*, the ``create`` properties qpidd takes (``qpid.max_size``,
``durable``, ``alternate-exchange`` ...); the option table of :mod:`qpidtools.model` turns them
into the ``add queue``/``add exchange`` option names for files and plan lines, and back.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from qpidtools.model import Binding, Exchange, Queue
from qpidtools.options import EXCHANGE_OPTIONS, QUEUE_OPTIONS, Kind, Option

#: The key an HA primary adds to the objects it replicates, with a random value [222]: never
#: compared, never exported.
HA_IDENTITY_KEY = "qpid.ha-uuid"
#: The key an HA primary adds to a queue created without it, with its default replication
#: level [222]: compared only when the desired configuration names it.
REPLICATE_KEY = "qpid.replicate"
#: Settings qpidd takes at create time but keeps on the object itself, not in its arguments.
DURABLE, AUTO_DELETE, ALTERNATE = "durable", "auto-delete", "alternate-exchange"
#: Binding arguments set by federation's dynamic routes, which recreate them: not ours.
FEDERATION_PREFIX = "qpid.fed."


@dataclass(frozen=True)
class _NodeSpec:
    """What queue and exchange specs share: a name and ``create`` properties in wire form."""

    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def identity(self) -> str:
        return self.name


@dataclass(frozen=True)
class QueueSpec(_NodeSpec):
    """A queue as a configuration names it."""

    kind: ClassVar[str] = "queue"


@dataclass(frozen=True)
class ExchangeSpec(_NodeSpec):
    """An exchange as a configuration names it, with its type."""

    type: str = "topic"  # qpidd's own default [110]

    kind: ClassVar[str] = "exchange"


@dataclass(frozen=True)
class BindingSpec:
    """A binding, identified by exchange, queue and key; ``arguments`` as qpidd stores them."""

    exchange: str
    queue: str
    key: str = ""
    arguments: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    kind: ClassVar[str] = "binding"

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.exchange, self.queue, self.key)


Node = QueueSpec | ExchangeSpec
Spec = QueueSpec | ExchangeSpec | BindingSpec


@dataclass(frozen=True)
class Configuration:
    """Queues, exchanges and bindings, each sorted, as ``export`` writes and ``apply`` reads."""

    exchanges: tuple[ExchangeSpec, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    bindings: tuple[BindingSpec, ...] = ()
    source: str = field(default="", compare=False)  # the file it came from, for messages

    def sorted(self) -> Configuration:
        return Configuration(
            tuple(sorted(self.exchanges, key=lambda spec: spec.identity)),
            tuple(sorted(self.queues, key=lambda spec: spec.identity)),
            tuple(sorted(self.bindings, key=lambda spec: spec.identity)),
            self.source,
        )


# -- the broker's state as a configuration -------------------------------------------------


def broker_owned_exchange(name: str) -> bool:
    """The default exchange and the ``amq.``/``qmf.``/``qpid.`` ones qpidd declares itself."""
    return name == "" or name.startswith(("amq.", "qmf.", "qpid."))


def broker_owned_queue(queue: Queue) -> bool:
    """System queues, and exclusive or auto-delete queues, which belong to the clients that use
    them (qpidd deletes them when those go away)."""
    return queue.name.startswith(("qmf", "qpid.")) or queue.exclusive or queue.auto_delete


def queue_spec(queue: Queue) -> QueueSpec:
    return QueueSpec(queue.name, _node_properties(queue, queue.auto_delete))


def exchange_spec(exchange: Exchange) -> ExchangeSpec:
    return ExchangeSpec(exchange.name, _node_properties(exchange, False), type=exchange.type)


def _node_properties(node: Queue | Exchange, auto_delete: bool) -> dict[str, Any]:
    """What ``create`` would have been sent to make ``node`` as qpidd stores it."""
    properties = {key: value for key, value in node.arguments.items() if key != HA_IDENTITY_KEY}
    if node.durable:
        properties[DURABLE] = 1
    if auto_delete:
        properties[AUTO_DELETE] = 1
    if node.alternate_exchange:
        properties[ALTERNATE] = node.alternate_exchange
    return properties


@dataclass(frozen=True)
class CurrentConfiguration:
    """Everything the broker has, as a configuration, and what a plan must know besides."""

    configuration: Configuration
    owned: frozenset[tuple[str, Any]] = frozenset()  # (kind, identity) of broker-owned objects
    depths: Mapping[str, int] = field(default_factory=dict)  # messages held, by queue
    unmanaged: frozenset[tuple[str, Any]] = frozenset()  # outside apply's name patterns

    def is_owned(self, spec: Spec) -> bool:
        return (spec.kind, spec.identity) in self.owned

    def prunable(self, spec: Spec) -> bool:
        """Whether ``apply --prune`` may delete the object: not the broker's, not outside the
        name patterns it was given."""
        return (spec.kind, spec.identity) not in self.owned | self.unmanaged


def current_configuration(
    queues: Iterable[Queue], exchanges: Iterable[Exchange], bindings: Iterable[Binding]
) -> CurrentConfiguration:
    """The broker's state from one query per class."""
    queue_list, exchange_list = list(queues), list(exchanges)
    owned_queues = {queue.name for queue in queue_list if broker_owned_queue(queue)}
    binding_specs = []
    owned: set[tuple[str, Any]] = {("queue", name) for name in owned_queues}
    owned |= {("exchange", e.name) for e in exchange_list if broker_owned_exchange(e.name)}
    for binding in bindings:
        if binding.queue is None or not binding.exchange:
            continue  # a dangling reference, or the implicit default-exchange binding
        arguments = {k: v for k, v in binding.arguments.items() if k != HA_IDENTITY_KEY}
        spec = BindingSpec(binding.exchange, binding.queue, binding.key, arguments)
        binding_specs.append(spec)
        if binding.queue in owned_queues or any(k.startswith(FEDERATION_PREFIX) for k in arguments):
            owned.add(("binding", spec.identity))
    configuration = Configuration(
        tuple(exchange_spec(exchange) for exchange in exchange_list if exchange.name),
        tuple(queue_spec(queue) for queue in queue_list),
        tuple(binding_specs),
    )
    depths = {queue.name: queue.statistics.get("msgDepth", 0) for queue in queue_list}
    return CurrentConfiguration(configuration.sorted(), frozenset(owned), depths)


def selected(spec: Spec, queues: str = "*", exchanges: str = "*") -> bool:
    """Whether glob patterns on queue and exchange names select an object; a binding is
    selected when both its ends are."""
    if isinstance(spec, BindingSpec):
        return fnmatchcase(spec.exchange, exchanges) and fnmatchcase(spec.queue, queues)
    return fnmatchcase(spec.name, queues if isinstance(spec, QueueSpec) else exchanges)


def exported(
    state: CurrentConfiguration, include_all: bool = False, queues: str = "*", exchanges: str = "*"
) -> Configuration:
    """What ``export`` writes: broker-owned objects left out unless ``include_all``, and only
    the objects the glob patterns select."""
    config = state.configuration

    def kept(spec: Spec) -> bool:
        return (include_all or not state.is_owned(spec)) and selected(spec, queues, exchanges)

    return Configuration(
        tuple(filter(kept, config.exchanges)),
        tuple(filter(kept, config.queues)),
        tuple(filter(kept, config.bindings)),
    )


def limited(
    state: CurrentConfiguration, queues: str = "*", exchanges: str = "*"
) -> CurrentConfiguration:
    """The broker's state with the objects the patterns do not select marked unmanaged:
    ``apply --prune`` leaves them alone."""
    config = state.configuration
    specs: list[Spec] = [*config.exchanges, *config.queues, *config.bindings]
    others = {(s.kind, s.identity) for s in specs if not selected(s, queues, exchanges)}
    return CurrentConfiguration(config, state.owned, state.depths, state.unmanaged | others)


# -- settings: wire form <-> option names ----------------------------------------------------


def options_table(spec: QueueSpec | ExchangeSpec) -> tuple[Option, ...]:
    return QUEUE_OPTIONS if isinstance(spec, QueueSpec) else EXCHANGE_OPTIONS


def fits(option: Option, value: Any) -> bool:
    """Whether a stored value is one the option itself can express (else it is an argument)."""
    if option.kind is Kind.FLAG:
        return isinstance(value, int) and value == 1
    if option.kind is Kind.INT:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return isinstance(value, str) and (not option.choices or value in option.choices)


def split_options(
    table: Sequence[Option], properties: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wire-form properties as (options by flag, in the table's order; the other arguments).

    A flag's value is ``True``; a stored value the option cannot express stays an argument.
    """
    options: dict[str, Any] = {}
    rest = dict(properties)
    for option in table:
        if option.key in rest and fits(option, rest[option.key]):
            value = rest.pop(option.key)
            options[option.flag] = True if option.kind is Kind.FLAG else value
    return options, rest


def wire_value(option: Option, value: Any) -> Any:
    """An option's value as sent and as qpidd stores it: flags are the integer 1."""
    return 1 if option.kind is Kind.FLAG else value


def describe(table: Sequence[Option], properties: Mapping[str, Any]) -> list[str]:
    """The command-line words for these properties: ``--durable --max-queue-size 100``."""
    options, rest = split_options(table, properties)
    by_flag = {option.flag: option for option in table}
    words = []
    for flag, value in options.items():
        words.append(f"--{flag}")
        if by_flag[flag].kind is not Kind.FLAG:
            words.append(shlex.quote(str(value)))
    for key in sorted(rest):
        words.append("--argument")
        words.append(shlex.quote(f"{key}={_text(rest[key])}" if rest[key] is not None else key))
    return words


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- differences -----------------------------------------------------------------------------

UNSET = object()


@dataclass(frozen=True)
class Difference:
    """One setting that differs: the broker's value and the wanted one (``UNSET`` if none)."""

    label: str  # "--max-queue-size", "--argument x-custom", "type"
    broker: Any
    wanted: Any

    def __str__(self) -> str:
        return f"{self.label} {_shown(self.broker)} -> {_shown(self.wanted)}"


def _shown(value: Any) -> str:
    if value is UNSET:
        return "unset"
    if value is True:
        return "set"
    return shlex.quote(_text(value))


def _compared(actual: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The broker's settings that count: the HA primary's ``qpid.replicate`` only if wanted."""
    return {
        key: value
        for key, value in actual.items()
        if key != HA_IDENTITY_KEY and (key != REPLICATE_KEY or key in wanted)
    }


def differences(actual: Spec, wanted: Spec) -> list[Difference]:
    """How the broker's object differs from the wanted one, in option names; [] if alike."""
    if isinstance(actual, BindingSpec) and isinstance(wanted, BindingSpec):
        return _map_differences([], actual.arguments, wanted.arguments)
    assert not isinstance(actual, BindingSpec) and not isinstance(wanted, BindingSpec)
    found = []
    if isinstance(actual, ExchangeSpec) and isinstance(wanted, ExchangeSpec):
        found += (
            [Difference("type", actual.type, wanted.type)] if actual.type != wanted.type else []
        )
    table = options_table(wanted)
    return found + _map_differences(table, actual.properties, wanted.properties)


def _map_differences(
    table: Sequence[Option], actual: Mapping[str, Any], wanted: Mapping[str, Any]
) -> list[Difference]:
    actual = _compared(actual, wanted)
    if actual == dict(wanted):
        return []
    labels = {option.key: option for option in table}
    found = []
    for key in [*(o.key for o in table), *sorted((set(actual) | set(wanted)) - set(labels))]:
        old, new = actual.get(key, UNSET), wanted.get(key, UNSET)
        if old == new or (old is UNSET and new is UNSET):
            continue
        option = labels.get(key)
        if option is not None and all(v is UNSET or fits(option, v) for v in (old, new)):
            flag = option.kind is Kind.FLAG
            found.append(
                Difference(f"--{option.flag}", old if not flag or old is UNSET else True,
                           new if not flag or new is UNSET else True)
            )  # fmt: skip
        else:
            found.append(Difference(f"--argument {key}", old, new))
    return found
