"""qpid-config: list and change queues, exchanges and bindings of a qpidd broker.

Command lines, exit codes and text output follow the classic Python 2 tool. Like it, every
option may stand anywhere on the line: each command carries all qpid-config options, those
that do not concern it hidden from its help (and a warning says they were ignored). The
queue and exchange options are generated from :data:`qpidtools.model.QUEUE_OPTIONS` and
:data:`~qpidtools.model.EXCHANGE_OPTIONS`.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qpidtools.cli import config_code
from qpidtools.cli.common import (
    CONTEXT_SETTINGS,
    Decorator,
    Invocation,
    connect,
    invocation,
    remembered_option,
    run,
    shared_options,
    stacked,
    version_option,
    warn,
)
from qpidtools.cli.completion import (
    complete_exchange_types,
    complete_exchanges,
    complete_log_levels,
    complete_object_classes,
    complete_queues,
)
from qpidtools.cli.help import OptionsOverviewGroup
from qpidtools.errors import UsageError
from qpidtools.options import (
    CONFIG_FORMATS,
    EXCHANGE_OPTIONS,
    LIMIT_POLICIES,
    QUEUE_OPTIONS,
    Kind,
    Option,
)
from qpidtools.render import Mode, console, mode_for, print_json, print_lines

if TYPE_CHECKING:
    from qpidtools.model import Exchange

# Only what --help, usage errors and completion need is imported here; the broker API and
# the renderers are imported by the functions that use them (see README, Benchmarks).

PROG = "qpid-config"

# -- options -------------------------------------------------------------------------------


def _flag(*decls: str, help: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    return decls, {"is_flag": True, "default": None, "help": help}


#: qpid-config's own options that the model's tables do not describe, by parameter name.
_OWN_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "broker_addr": (
        ("-a", "--broker-addr"),
        {"metavar": "ADDRESS", "help": "Broker address, as -b (wins over -b)."},
    ),
    "ha_admin": _flag("--ha-admin", help="Allow connecting to an HA backup broker."),
    "recursive": _flag("-r", "--recursive", help="Show the bindings of each queue or exchange."),
    "ignore_default": _flag("--ignore-default", help="Leave out the default exchange ('')."),
    "argument": (
        ("--argument",),
        {
            "multiple": True,
            "metavar": "NAME=VALUE",
            "help": "A property to send (repeatable): VALUE is sent as an integer if it is one; "
            "NAME alone sends a null value.",
        },
    ),
    "start_replica": (
        ("--start-replica",),
        {
            "metavar": "URL",
            "help": "Then replicate the queue from the same-named queue at the broker at URL "
            "(the queue is deleted again if that fails).",
        },
    ),
    "force": _flag("--force", help="Delete even if in use or not empty."),
    "force_if_not_empty": _flag("--force-if-not-empty", help="Delete even if not empty."),
    "force_if_used": _flag("--force-if-used", help="Delete even if it has consumers."),
    "file": (
        ("-f", "--file"),
        {"metavar": "FILE", "help": "XML exchange: read the XQuery from FILE ('-': stdin)."},
    ),
    "if_not_exists": _flag(
        "--if-not-exists",
        help="Succeed without a change if it exists with these settings; exit 1 naming the "
        "settings that differ.",
    ),
    "if_exists": _flag("--if-exists", help="Succeed without a change if it does not exist."),
    "all_objects": _flag(
        "--all",
        "all_objects",
        help="Keep broker-owned objects too (amq.*, qmf.*, qpid.* exchanges, system queues, "
        "clients' exclusive and auto-delete queues).",
    ),
    "queues_pattern": (
        ("--queues", "queues_pattern"),
        {
            "metavar": "PATTERN",
            "help": "Only queues whose name matches this glob pattern: the ones exported, the "
            "ones apply --prune may delete.",
        },
    ),
    "exchanges_pattern": (
        ("--exchanges", "exchanges_pattern"),
        {
            "metavar": "PATTERN",
            "help": "Only exchanges whose name matches this glob pattern: the ones exported, "
            "the ones apply --prune may delete.",
        },
    ),
    "config_format": (
        ("--format", "config_format"),
        {"type": click.Choice(CONFIG_FORMATS), "help": "File format (default yaml; --json: json)."},
    ),
    "output": (
        ("-o", "--output"),
        {
            "type": click.Path(dir_okay=False, allow_dash=True),
            "metavar": "FILE",
            "help": "Write to FILE instead of standard output.",
        },
    ),
    "prune": _flag(
        "--prune", help="Also delete what the file does not name (never broker-owned objects)."
    ),
    "dry_run": _flag(
        "--dry-run", help="Print the plan and change nothing; exit 3 if there are changes."
    ),
    "recreate": _flag(
        "--recreate",
        help="Delete and create again the queues and exchanges whose settings differ "
        "(refused for queues holding messages, unless --force-if-not-empty).",
    ),
    "show_property": (
        ("--show-property",),
        {
            "multiple": True,
            "metavar": "PROPERTY",
            "help": "Show this property as a column (repeatable).",
        },
    ),
}
_GLOBAL = ("broker_addr", "ha_admin")
_MODEL_OPTIONS = {option.param: option for option in (*QUEUE_OPTIONS, *EXCHANGE_OPTIONS)}
_UNSENT_POLICIES = ("none", "ring-strict")  # --limit-policy values that send no property


class _Count(click.IntRange):
    """A size or count: says "not a valid integer" rather than Click's "integer range"."""

    name = "integer"


_COUNT = _Count(min=0)


def _model_attrs(option: Option) -> dict[str, Any]:
    """Click attributes for an option of the model's tables."""
    if option.kind is Kind.FLAG:
        return _flag(help=option.help)[1]
    if option.choices:
        kind: click.ParamType[Any] = click.Choice(option.choices)
    elif option.kind is Kind.INT:
        kind = _COUNT
    else:
        kind = click.STRING
    completer = complete_exchanges if option.param == "alternate_exchange" else None
    return {
        "type": kind,
        "metavar": option.metavar or None,
        "help": option.help,
        "shell_complete": completer,
    }


def _declaration(name: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    if name in _OWN_OPTIONS:
        return _OWN_OPTIONS[name]
    option = _MODEL_OPTIONS[name]
    return (f"--{option.flag}",), _model_attrs(option)


_ALL_OPTIONS = (*_GLOBAL, *_MODEL_OPTIONS, *(n for n in _OWN_OPTIONS if n not in _GLOBAL))


@functools.cache
def _own_option(name: str, hidden: bool) -> Decorator:
    """One qpid-config option, made once for all the commands that show (or hide) it."""
    decls, attrs = _declaration(name)
    return remembered_option(*decls, hidden=hidden, **attrs)


def options(*shown: str) -> Decorator:
    """The shared options, ``-t``, and every qpid-config option: ``shown`` ones in the help."""
    visible = {*_GLOBAL, *shown}
    own = [_own_option(name, name not in visible) for name in _ALL_OPTIONS]
    return shared_options(*own, timeout_short="-t")


def _params(option_table: Iterable[Option]) -> tuple[str, ...]:
    return tuple(option.param for option in option_table)


# -- helpers -------------------------------------------------------------------------------


def _start(ctx: click.Context) -> Invocation:
    """Resolve the options, and warn about those that mean nothing to this command."""
    inv = invocation(ctx)
    for param in ctx.command.params:
        if getattr(param, "hidden", False) and param.name in inv.options:
            flag = max(param.opts, key=len)
            where = " ".join(ctx.command_path.split()[1:]) or "the overview"
            warn(f"{flag} does not apply to '{where}' and was ignored")
    return inv


def _show(inv: Invocation, view: str, *data: Any) -> None:
    """Print ``data`` with the function named ``view`` of the renderer for the output mode.

    :mod:`~qpidtools.render.classic`, :mod:`~qpidtools.render.documents` and
    :mod:`~qpidtools.render.table` each have one function per view, with the same arguments
    (the Rich one takes the console first).
    """
    mode = mode_for(inv)
    if mode is Mode.JSON:
        from qpidtools.render import documents

        print_json(getattr(documents, view)(*data))
    elif mode is Mode.RICH:
        from qpidtools.render import table

        getattr(table, view)(console(inv), *data)
    else:
        from qpidtools.render import classic

        print_lines(getattr(classic, view)(*data))


_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def parse_arguments(pairs: Sequence[str]) -> dict[str, Any]:
    """``--argument NAME=VALUE`` pairs: integers as ``int``, ``NAME`` alone as ``None``."""
    properties: dict[str, Any] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not name:
            raise UsageError(f"--argument {pair!r}: the property name is missing")
        if not equals:
            properties[name] = None
        else:
            properties[name] = int(value) if _INTEGER.fullmatch(value) else value
    return properties


def properties(option_table: Iterable[Option], typed: Mapping[str, Any]) -> dict[str, Any]:
    """The ``create`` properties for the options given; warn about those qpidd never gets."""
    result = parse_arguments(typed.get("argument", ()))
    dropped = []
    for option in option_table:
        value = typed.get(option.param)
        if value is None:
            continue
        if option.store_only and not typed.get("durable"):
            dropped.append(f"--{option.flag}")
        elif option.choices == LIMIT_POLICIES and value in _UNSENT_POLICIES:
            if value == "ring-strict":
                warn("--limit-policy ring-strict is not supported by qpidd; no limit policy set")
        else:
            result[option.key] = 1 if option.kind is Kind.FLAG else value
    if dropped:
        warn(f"{', '.join(dropped)}: store options apply to durable queues only; not sent")
    return result


def header_match(conditions: Sequence[str]) -> dict[str, str] | None:
    """``all|any K=V ...`` after a binding key: the headers-binding arguments, or ``None``."""
    if not conditions:
        return None
    operator, pairs = conditions[0], conditions[1:]
    if operator not in ("all", "any"):
        raise UsageError(
            f"a headers binding needs 'all' or 'any' before its conditions, not {operator!r}"
        )
    if not pairs:
        raise UsageError(f"a headers binding needs conditions K=V after {operator!r}")
    match: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not name or not equals:
            raise UsageError(f"a headers binding condition must be K=V, not {pair!r}")
        match[name] = value
    match["x-match"] = operator
    return match


def read_xquery(path: str | None) -> str | None:
    """The XQuery of an xml-exchange binding, read before connecting (``-`` is stdin)."""
    if path is None:
        return None
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except OSError as error:
        raise UsageError(f"cannot read the XQuery file {path}: {error.strerror}") from None


def binding_arguments(
    exchange: Exchange | None, match: dict[str, str] | None, xquery: str | None
) -> dict[str, Any]:
    """What the exchange's type needs: header conditions, an XQuery, or nothing."""
    if exchange is None:
        return {}  # the broker reports the missing exchange
    if exchange.type == "headers":
        if match is None:
            raise UsageError(
                f"binding to headers exchange {exchange.name!r} needs 'all' or 'any' and "
                "conditions K=V after the binding key"
            )
        return match
    if exchange.type == "xml":
        if xquery is None:
            raise UsageError(f"binding to xml exchange {exchange.name!r} needs -f FILE (or -f -)")
        return {"xquery": xquery}
    if match is not None or xquery is not None:
        warn(f"conditions and -f apply to headers and xml exchanges; ignored for {exchange.type}")
    return {}


# -- commands ------------------------------------------------------------------------------


class ObjectTypeGroup(click.Group):
    """``add``/``del``: ``queue`` and ``exchange`` have commands of their own, any other word
    is a QMF object type (``topic``, ``link``, ``bridge`` ...) for the generic command."""

    def __init__(self, *args: Any, generic: Callable[[str], click.Command], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.generic = generic

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self.generic(cmd_name)


#: Titles of the sections of ``qpid-config --help`` that list the commands' options, as the
#: classic help titled them, by the commands that take the options (see OptionsOverviewGroup).
_OPTION_SECTIONS = {
    frozenset({"queues", "exchanges"}): "Options for Listing Exchanges and Queues",
    frozenset({"add queue", "add exchange"}): "Options for Adding Exchanges and Queues",
    frozenset({"add queue"}): "Options for Adding Queues",
    frozenset({"add exchange"}): "Options for Adding Exchanges",
    frozenset({"del queue"}): "Options for Deleting Queues",
    frozenset({"del queue", "apply"}): "Options for Deleting Queues",  # --force-if-not-empty
    frozenset({"bind"}): "Options for Declaring Bindings",
    frozenset({"list"}): "Formatting options for 'list' action",
}


@click.group(
    cls=OptionsOverviewGroup,
    option_sections=_OPTION_SECTIONS,
    context_settings=CONTEXT_SETTINGS,
    invoke_without_command=True,
    epilog="Options may stand before or after the command words, as with the classic tool. "
    "Those under 'Options' apply to every command; the sections after 'Commands' list the "
    "options of the commands they name.",
)
@options()
@version_option()
@click.pass_context
def cli(ctx: click.Context) -> int:
    """Manage queues, exchanges and bindings of a qpidd broker.

    \b
    Usage (the classic command lines):
      qpid-config [OPTIONS]
      qpid-config [OPTIONS] exchanges [filter-string]
      qpid-config [OPTIONS] queues    [filter-string]
      qpid-config [OPTIONS] add exchange <type> <name> [AddExchangeOptions]
      qpid-config [OPTIONS] del exchange <name>
      qpid-config [OPTIONS] add queue <name> [AddQueueOptions]
      qpid-config [OPTIONS] del queue <name> [DelQueueOptions]
      qpid-config [OPTIONS] bind   <exchange-name> <queue-name> [binding-key]
                <for type xml>     [-f -|filename]
                <for type header>  [all|any] k1=v1 [, k2=v2...]
      qpid-config [OPTIONS] unbind <exchange-name> <queue-name> [binding-key]
      qpid-config [OPTIONS] reload-acl
      qpid-config [OPTIONS] add <type> <name> [--argument <property-name>=<property-value>]
      qpid-config [OPTIONS] del <type> <name>
      qpid-config [OPTIONS] list <type> [--show-property <property-name>]
      qpid-config [OPTIONS] log [<logstring>]
      qpid-config [OPTIONS] shutdown

    \b
    Examples:
      qpid-config add queue q --durable --max-queue-size 100000 --limit-policy ring
      qpid-config add exchange direct d -a localhost:5672
      qpid-config exchanges -r -b 10.1.1.7:10000
      qpid-config queues -b guest/guest@broker-host:10000 --json

    Without a command: the number of exchanges by type and of queues. Text in a pipe is the
    classic layout; a terminal gets tables; --json gives one JSON document.
    """
    if ctx.invoked_subcommand is not None:
        return 0
    inv = _start(ctx)
    with connect(inv.settings) as broker:
        exchanges, queues = broker.exchanges(), broker.queues()
    _show(inv, "overview", exchanges, queues)
    return 0


def _listing(ctx: click.Context, kind: str, pattern: str) -> int:
    """``queues``/``exchanges`` (``kind``), with or without ``-r``; exit 1 when none matched."""
    inv = _start(ctx)
    recursive, skip_default = inv.flag("recursive"), inv.flag("ignore_default")
    with connect(inv.settings) as broker:
        found: list[Any] = broker.queues() if kind == "queue" else broker.exchanges()
        bindings = broker.bindings() if recursive else []
    matched = [item for item in found if pattern in item.name]
    if skip_default and kind == "exchange":  # the default exchange is the one without a name
        matched = [exchange for exchange in matched if exchange.name]
    elif skip_default:  # every queue's implicit binding to it
        bindings = [binding for binding in bindings if binding.exchange]
    if recursive:
        _show(inv, f"{kind}_bindings", matched, bindings)
        return 0
    _show(inv, f"{kind}s", matched)
    return 0 if matched else 1


def _listing_command(kind: str, completer: Callable[..., Any]) -> None:
    @cli.command(
        f"{kind}s",
        context_settings=CONTEXT_SETTINGS,
        help=f"List the {kind}s whose name contains FILTER; -r lists their bindings.\n\n"
        f"Exit status 1 when FILTER matches no {kind} (0 with -r), as the classic tool.",
    )
    @options("recursive", "ignore_default")
    @click.argument(
        "pattern", metavar="[FILTER]", default="", required=False, shell_complete=completer
    )
    @click.pass_context
    def listing(ctx: click.Context, pattern: str) -> int:
        return _listing(ctx, kind, pattern)


_listing_command("queue", complete_queues)
_listing_command("exchange", complete_exchanges)


def _generic_add(type_name: str) -> click.Command:
    @click.command(type_name, context_settings=CONTEXT_SETTINGS)
    @options("argument")
    @click.argument("name")
    @click.pass_context
    def add_object(ctx: click.Context, name: str) -> None:
        inv = _start(ctx)
        created = parse_arguments(inv.options.get("argument", ()))
        with connect(inv.settings) as broker:
            broker.create(type_name, name, created, strict=False)

    add_object.help = f"Create the {type_name} NAME; its properties come from --argument."
    return add_object


def _generic_delete(type_name: str) -> click.Command:
    @click.command(type_name, context_settings=CONTEXT_SETTINGS)
    @options()
    @click.argument("name")
    @click.pass_context
    def delete_object(ctx: click.Context, name: str) -> None:
        inv = _start(ctx)
        with connect(inv.settings) as broker:
            broker.delete(type_name, name, {})

    delete_object.help = f"Delete the {type_name} NAME."
    return delete_object


@cli.group(
    "add",
    cls=ObjectTypeGroup,
    no_args_is_help=False,
    generic=_generic_add,
    context_settings=CONTEXT_SETTINGS,
)
@options()
def add() -> None:
    """Create a queue, an exchange, or any QMF object: add TYPE NAME --argument K=V ..."""


@cli.group(
    "del",
    cls=ObjectTypeGroup,
    no_args_is_help=False,
    generic=_generic_delete,
    context_settings=CONTEXT_SETTINGS,
)
@options()
def delete() -> None:
    """Delete a queue, an exchange, or any QMF object: del TYPE NAME."""


@add.command("queue", context_settings=CONTEXT_SETTINGS)
@options(*_params(QUEUE_OPTIONS), "argument", "start_replica", "if_not_exists")
@click.argument("name")
@click.pass_context
def add_queue(ctx: click.Context, name: str) -> None:
    """Create the queue NAME."""
    inv = _start(ctx)
    created = properties(QUEUE_OPTIONS, inv.options)
    source = inv.options.get("start_replica")
    with connect(inv.settings) as broker:
        if inv.flag("if_not_exists"):
            config_code.ensure_queue(broker, name, created, source)
        else:
            broker.add_queue(name, created, replicate_from=source)


@add.command("exchange", context_settings=CONTEXT_SETTINGS)
@options(*_params(EXCHANGE_OPTIONS), "argument", "if_not_exists")
@click.argument("exchange_type", metavar="TYPE", shell_complete=complete_exchange_types)
@click.argument("name")
@click.pass_context
def add_exchange(ctx: click.Context, exchange_type: str, name: str) -> None:
    """Create the exchange NAME of TYPE: direct, fanout, topic, headers or xml."""
    inv = _start(ctx)
    created = properties(EXCHANGE_OPTIONS, inv.options)
    with connect(inv.settings) as broker:
        if inv.flag("if_not_exists"):
            config_code.ensure_exchange(broker, exchange_type, name, created)
        else:
            broker.add_exchange(exchange_type, name, created)


@delete.command("queue", context_settings=CONTEXT_SETTINGS)
@options("force", "force_if_not_empty", "force_if_used", "if_exists")
@click.argument("name", shell_complete=complete_queues)
@click.pass_context
def delete_queue(ctx: click.Context, name: str) -> None:
    """Delete the queue NAME, by default only if it is empty and has no consumers."""
    inv = _start(ctx)
    force = inv.flag("force")
    with connect(inv.settings) as broker:
        if inv.flag("if_exists") and broker.queue(name) is None:
            return
        broker.delete_queue(
            name,
            if_empty=not (force or inv.flag("force_if_not_empty")),
            if_unused=not (force or inv.flag("force_if_used")),
        )


@delete.command("exchange", context_settings=CONTEXT_SETTINGS)
@options("if_exists")
@click.argument("name", shell_complete=complete_exchanges)
@click.pass_context
def delete_exchange(ctx: click.Context, name: str) -> None:
    """Delete the exchange NAME."""
    inv = _start(ctx)
    with connect(inv.settings) as broker:
        if inv.flag("if_exists") and broker.exchange(name) is None:
            return
        broker.delete_exchange(name)


def binding_params(conditions: str) -> Decorator:
    """``EXCHANGE QUEUE [KEY] [all|any K=V ...]``, as bind and unbind both take them."""
    return stacked(
        click.argument("exchange", shell_complete=complete_exchanges),
        click.argument("queue", shell_complete=complete_queues),
        click.argument("key", default="", required=False),
        click.argument(conditions, nargs=-1, metavar="[all|any K=V ...]"),
    )


@cli.command("bind", context_settings=CONTEXT_SETTINGS)
@options("file", "if_not_exists")
@binding_params("conditions")
@click.pass_context
def bind(
    ctx: click.Context, exchange: str, queue: str, key: str, conditions: tuple[str, ...]
) -> None:
    """Bind QUEUE to EXCHANGE with KEY.

    A headers exchange needs 'all' or 'any' and conditions K=V after the key; an xml exchange
    needs -f FILE with the XQuery ('-f -' reads it from stdin).
    """
    from qpidtools.broker import binding_name

    inv = _start(ctx)
    binding_name(exchange, queue, key)  # usage errors before connecting
    match, xquery = header_match(conditions), read_xquery(inv.options.get("file"))
    with connect(inv.settings) as broker:
        arguments = binding_arguments(broker.exchange(exchange), match, xquery)
        if inv.flag("if_not_exists"):
            config_code.ensure_binding(broker, exchange, queue, key, arguments)
        else:
            broker.bind(exchange, queue, key, arguments)


@cli.command("unbind", context_settings=CONTEXT_SETTINGS)
@options("if_exists")
@binding_params("ignored")
@click.pass_context
def unbind(
    ctx: click.Context, exchange: str, queue: str, key: str, ignored: tuple[str, ...]
) -> None:
    """Remove the binding of QUEUE to EXCHANGE with KEY (conditions are not needed)."""
    from qpidtools.broker import binding_name

    inv = _start(ctx)
    binding_name(exchange, queue, key)
    with connect(inv.settings) as broker:
        if inv.flag("if_exists") and broker.binding(exchange, queue, key) is None:
            return
        broker.unbind(exchange, queue, key)


@cli.command("list", context_settings=CONTEXT_SETTINGS)
@options("show_property")
@click.argument("type_name", metavar="TYPE", shell_complete=complete_object_classes)
@click.pass_context
def list_objects(ctx: click.Context, type_name: str) -> None:
    """List the broker's objects of a QMF class: queue, exchange, binding, connection,
    session, link, bridge, subscription, topic ..."""
    from qpidtools.render import classic

    inv = _start(ctx)
    wanted = inv.options.get("show_property", ())
    with connect(inv.settings) as broker:
        found = broker.objects(type_name.lower())
    columns, missing = classic.list_columns(type_name, found, wanted)
    if mode_for(inv) is not Mode.PLAIN:  # the classic text has these lines on stdout
        for name in missing:
            warn(f"no such property {name!r} for type {type_name!r}")
    _show(inv, "objects", type_name, found, columns, missing)


@cli.command("log", context_settings=CONTEXT_SETTINGS)
@options()
@click.argument("level", required=False, shell_complete=complete_log_levels)
@click.pass_context
def log(ctx: click.Context, level: str | None) -> None:
    """Show the broker's log level, or set it: e.g. 'info+,debug+:Broker,trace+:Queue'."""
    inv = _start(ctx)
    with connect(inv.settings) as broker:
        if level is not None:
            broker.set_log_level(level)
            return
        current = broker.log_level()
    _show(inv, "log_level", current)


@cli.command("reload-acl", context_settings=CONTEXT_SETTINGS)
@options()
@click.pass_context
def reload_acl(ctx: click.Context) -> None:
    """Make the broker read its ACL file again."""
    inv = _start(ctx)
    with connect(inv.settings) as broker:
        broker.reload_acl()


@cli.command("shutdown", context_settings=CONTEXT_SETTINGS)
@options()
@click.pass_context
def shutdown(ctx: click.Context) -> None:
    """Stop the broker (the lost connection afterwards is the expected outcome)."""
    inv = _start(ctx)
    with connect(inv.settings) as broker:
        broker.shutdown()


@cli.command("export", context_settings=CONTEXT_SETTINGS)
@options("all_objects", "queues_pattern", "exchanges_pattern", "config_format", "output")
@click.pass_context
def export(ctx: click.Context) -> None:
    """Write the broker's queues, exchanges and bindings as a file for 'apply'.

    YAML unless --format json; sorted, so that exports diff cleanly. Broker-owned objects are
    left out unless --all.
    """
    config_code.export(_start(ctx))


@cli.command("apply", context_settings=CONTEXT_SETTINGS)
@options(
    "prune", "dry_run", "recreate", "force_if_not_empty", "queues_pattern", "exchanges_pattern"
)
@click.argument("config_file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_context
def apply(ctx: click.Context, config_file: str) -> None:
    """Make the broker match FILE (as 'export' writes it; '-' reads standard input).

    Prints the plan, one line per change (+ add, - delete, ! settings differ), then carries
    it out. Exit status 0 when the broker matches, 1 on errors, 2 when FILE does not
    validate, 3 with --dry-run when there are changes to make.
    """
    config_code.apply(_start(ctx), config_file)


def main() -> None:
    sys.exit(run(cli, PROG))
