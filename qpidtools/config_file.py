"""Configuration files: what ``qpid-config export`` writes and ``apply`` reads.

YAML (or JSON, which the same loader reads): three lists, ``exchanges``, ``queues`` and
``bindings``; settings under the option names of ``add queue``/``add exchange``, anything else
under ``arguments``. Loading is safe (no Python objects) and checks the whole file, reporting
each problem with the file name and line. PyYAML is imported by these functions only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qpidtools.configuration import (
    BindingSpec,
    Configuration,
    ExchangeSpec,
    Node,
    QueueSpec,
    broker_owned_exchange,
    options_table,
    split_options,
    wire_value,
)
from qpidtools.errors import ValidationError
from qpidtools.options import EXCHANGE_OPTIONS, EXCHANGE_TYPES, QUEUE_OPTIONS, Kind, Option

if TYPE_CHECKING:
    import yaml

SECTIONS = ("exchanges", "queues", "bindings")
_BINDING_KEYS = ("exchange", "queue", "key", "arguments")
_SCALARS = (str, int, float, bool, type(None))


# -- writing ---------------------------------------------------------------------------------


def dump(config: Configuration, format: str = "yaml") -> str:
    """The file for ``config``: sorted, so that exports diff cleanly under version control."""
    config = config.sorted()
    document = {
        "exchanges": [_node_entry(spec) for spec in config.exchanges],
        "queues": [_node_entry(spec) for spec in config.queues],
        "bindings": [_binding_entry(spec) for spec in config.bindings],
    }
    if format == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        document, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return text


def _node_entry(spec: Node) -> dict[str, Any]:
    options, arguments = split_options(options_table(spec), spec.properties)
    entry: dict[str, Any] = {"name": spec.name}
    if isinstance(spec, ExchangeSpec):
        entry["type"] = spec.type
    entry.update(_plain(options))
    if arguments:
        entry["arguments"] = _plain(dict(sorted(arguments.items())))
    return entry


def _binding_entry(spec: BindingSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"exchange": spec.exchange, "queue": spec.queue, "key": spec.key}
    if spec.arguments:
        entry["arguments"] = _plain(dict(sorted(spec.arguments.items())))
    return entry


def _plain(value: Any) -> Any:
    """Plain Python values (proton's ``ulong`` and friends are subclasses the dumpers refuse)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


# -- reading ---------------------------------------------------------------------------------


class _Entry(dict[Any, Any]):
    """A mapping from the file that remembers its line and the line of each key."""

    line: int = 0
    lines: dict[Any, int]


_TAG = "tag:yaml.org,2002:"


def load(text: str, source: str) -> Configuration:
    """Parse and check a whole file; :class:`ValidationError` lists every problem found."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        document = None if node is None else _value(loader, node, frozenset())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ValidationError([f"{source}{line}: {error.problem or error.context}"]) from None
    except yaml.YAMLError as error:
        raise ValidationError([f"{source}: {error}"]) from None
    finally:
        loader.dispose()
    return _Checker(source).configuration(document)


def _value(loader: yaml.SafeLoader, node: yaml.Node, path: frozenset[int]) -> Any:
    """A node of the composed document as plain values, mappings as :class:`_Entry`.

    Walking the nodes that libyaml composed, rather than constructing with PyYAML's generic
    machinery, keeps every line number and loads a 10,000-queue file three times faster.
    Only the YAML standard tags are accepted: nothing but plain data comes out.
    """
    import yaml

    if isinstance(node, yaml.ScalarNode):
        if node.tag == f"{_TAG}str":
            return node.value
        return loader.construct_object(node)  # ints, booleans, nulls ...; unknown tags fail
    if node.tag not in (f"{_TAG}seq", f"{_TAG}map") or id(node) in path:
        problem = "a structure that contains itself" if id(node) in path else (
            f"could not determine a constructor for the tag {node.tag!r}")  # fmt: skip
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
    path = path | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item, path) for item in node.value]
    assert isinstance(node, yaml.MappingNode)
    if any(key.tag == f"{_TAG}merge" for key, _ in node.value):
        loader.flatten_mapping(node)
    entry = _Entry()
    entry.line, entry.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = _value(loader, key_node, path)
        if not isinstance(key, _SCALARS):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            )
        if key in entry:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        entry[key] = _value(loader, value_node, path)
        entry.lines[key] = key_node.start_mark.line + 1
    return entry


class _Checker:
    """Turns a loaded document into a :class:`Configuration`, collecting every problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, text: str) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.problems.append((line, f"{where}: {text}"))

    def configuration(self, document: Any) -> Configuration:
        if document is None:  # e.g. a pipe whose writer failed: never read as "nothing"
            raise ValidationError([f"{self.source}: the file is empty (an empty configuration "
                                   "is written {})"])  # fmt: skip
        if not isinstance(document, _Entry):
            raise ValidationError([f"{self.source}:1: expected a mapping with {_listed(SECTIONS)}"])
        for key in document:
            if key not in SECTIONS:
                self.problem(document.lines[key], f"unknown section {key!r} ({_listed(SECTIONS)})")
        exchanges = [self.node(e, "exchange") for e in self.entries(document, "exchanges")]
        queues = [self.node(e, "queue") for e in self.entries(document, "queues")]
        bindings = [self.binding(e) for e in self.entries(document, "bindings")]
        config = Configuration(
            tuple(e for e in exchanges if isinstance(e, ExchangeSpec)),
            tuple(q for q in queues if isinstance(q, QueueSpec)),
            tuple(b for b in bindings if b is not None),
            self.source,
        )
        self.duplicates(config)
        if self.problems:
            raise ValidationError([text for _, text in sorted(self.problems)])
        return config

    def entries(self, document: _Entry, section: str) -> list[_Entry]:
        items = document.get(section)
        line = document.lines.get(section, 0)
        if items is None:
            return []
        if not isinstance(items, list):
            self.problem(line, f"{section} must be a list")
            return []
        found = []
        for item in items:
            if isinstance(item, _Entry):
                found.append(item)
            else:
                self.problem(line, f"each of the {section} must be a mapping, not {item!r}")
        return found

    def text(self, entry: _Entry, key: str, what: str, required: bool = True) -> str | None:
        value = entry.get(key)
        if value is None and not required and key not in entry:
            return None
        if not isinstance(value, str) or (required and not value):
            self.problem(entry.lines.get(key, entry.line), f"{what}: {key} must be a "
                         f"{'non-empty ' if required else ''}string, not {value!r}")  # fmt: skip
            return None
        return value

    def node(self, entry: _Entry, kind: str) -> Node | None:
        name = self.text(entry, "name", kind)
        what = f"{kind} {name!r}" if name else kind
        table = QUEUE_OPTIONS if kind == "queue" else EXCHANGE_OPTIONS
        by_flag = {option.flag: option for option in table}
        allowed = ("name", *(("type",) if kind == "exchange" else ()), *by_flag, "arguments")
        properties: dict[str, Any] = {}
        for key, value in entry.items():
            line = entry.lines[key]
            if key not in allowed:
                self.problem(line, f"{what}: unknown setting {key!r} (known: {_listed(allowed)})")
            elif key in by_flag and self.valid(by_flag[key], value, line, what):
                option = by_flag[key]
                if value is not False:
                    properties[option.key] = wire_value(option, value)
        arguments = self.arguments(entry, what)
        for key in sorted(set(arguments) & set(properties)):
            self.problem(entry.lines["arguments"], f"{what}: argument {key!r} is also given as "
                         f"--{_flag_of(table, key)}; give it once")  # fmt: skip
        if kind == "exchange" and "exchange-type" in arguments:
            self.problem(entry.lines["arguments"], f"{what}: give the exchange type as type")
        lines = {"": entry.line, **{_wire_key(table, k): v for k, v in entry.lines.items()}}
        properties.update(arguments)
        if name is None:
            return None
        if kind == "queue":
            return QueueSpec(name, properties, lines)
        type_ = self.text(entry, "type", what)
        if type_ is not None and type_ not in EXCHANGE_TYPES and not broker_owned_exchange(name):
            self.problem(entry.lines["type"], f"{what}: qpidd knows no exchange type {type_!r} "
                         f"({_listed(EXCHANGE_TYPES)})")  # fmt: skip
        return ExchangeSpec(name, properties, lines, type=type_ or "")

    def valid(self, option: Option, value: Any, line: int, what: str) -> bool:
        if option.kind is Kind.FLAG:
            ok, expected = isinstance(value, bool), "true or false"
        elif option.kind is Kind.INT:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            expected = "a whole number, 0 or more"
        else:
            ok = isinstance(value, str) and (not option.choices or value in option.choices)
            expected = f"one of {_listed(option.choices)}" if option.choices else "a string"
        if not ok:
            self.problem(line, f"{what}: {option.flag} must be {expected}, not {value!r}")
        return ok

    def arguments(self, entry: _Entry, what: str) -> dict[str, Any]:
        if "arguments" not in entry:
            return {}
        value, line = entry["arguments"], entry.lines["arguments"]
        if not isinstance(value, _Entry) or not all(isinstance(k, str) for k in value):
            self.problem(line, f"{what}: arguments must be a mapping of names to values")
            return {}
        for key, item in value.items():
            if not _storable(item):
                self.problem(value.lines[key], f"{what}: argument {key!r} has a value qpidd "
                             f"cannot store: {item!r}")  # fmt: skip
        return dict(value)

    def binding(self, entry: _Entry) -> BindingSpec | None:
        for key in entry:
            if key not in _BINDING_KEYS:
                self.problem(entry.lines[key], f"binding: unknown setting {key!r} (known: "
                             f"{_listed(_BINDING_KEYS)})")  # fmt: skip
        exchange = self.text(entry, "exchange", "binding")
        queue = self.text(entry, "queue", "binding")
        key = self.text(entry, "key", "binding", required=False) or ""
        arguments = self.arguments(entry, "binding")
        if exchange is None or queue is None:
            return None
        for part, text in (("exchange", exchange), ("queue", queue), ("key", key)):
            if "/" in text:
                self.problem(entry.lines.get(part, entry.line), f"binding: the {part} {text!r} "
                             "contains '/', which qpidd cannot bind")  # fmt: skip
        return BindingSpec(exchange, queue, key, arguments, {"": entry.line, **entry.lines})

    def duplicates(self, config: Configuration) -> None:
        specs: Sequence[Any]
        for specs in (config.exchanges, config.queues, config.bindings):
            first: dict[Any, int] = {}
            for spec in specs:
                line = spec.lines.get("", 0)
                if spec.identity in first:
                    name = " ".join(map(repr, spec.identity)) if spec.kind == "binding" else (
                        repr(spec.identity))  # fmt: skip
                    self.problem(line, f"duplicate {spec.kind} {name} (first at line "
                                 f"{first[spec.identity]})")  # fmt: skip
                else:
                    first[spec.identity] = line


def _storable(value: Any) -> bool:
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _storable(v) for k, v in value.items())
    return isinstance(value, _SCALARS)


def _flag_of(table: Sequence[Option], key: str) -> str:
    return next(option.flag for option in table if option.key == key)


def _wire_key(table: Sequence[Option], key: Any) -> str:
    """The wire key of a file key, so that problems found later name the right line."""
    return next((option.key for option in table if option.flag == key), str(key))


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names)
