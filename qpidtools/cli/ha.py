"""qpid-ha: inspect and control HA (high availability) on qpidd brokers.

A drop-in for the classic tool inside cluster-manager hooks: the same commands, options and
plain output, a stable exit status, no hang beyond ``--timeout``.

- The command word may stand anywhere among the options, as with the classic tool: the first
  word that names a command selects it and everything else is that command's options
  (``qpid-ha -b HOST promote --cluster-manager``).
- Every connection carries ``qpid.ha-admin``, so backups, which refuse other clients, answer.
- ``--config qpidd.conf`` (or, with no broker named, the local broker's qpidd.conf) supplies
  credentials, port, SASL mechanism and timeout; the command line wins.
- Exit status: 0 success; 1 broker or connection failure, a refused ``promote``, or a
  ``status --expect``/``--is-primary`` mismatch; 2 usage error, found before connecting.
- ``status --expect primary`` means "is primary" (active or recovering): the user guide's
  example, which the classic tool could never satisfy.

The ``--json`` documents of ``status`` and ``query`` are described in
:mod:`qpidtools.render.ha`.
"""

from __future__ import annotations

import os
import sys

import click

from qpidtools import qpidd_conf
from qpidtools.cli.common import (
    CONTEXT_SETTINGS,
    Decorator,
    Invocation,
    connect,
    given,
    invocation,
    remembered_option,
    run,
    shared_options,
    version_option,
)
from qpidtools.cli.completion import complete_queues
from qpidtools.errors import QpidToolsError
from qpidtools.options import HA_STATUSES

# The broker API and the renderers are imported inside the commands that connect: --help,
# usage errors and completion must not pay for them.

USER_COMMANDS = ("ping", "status", "replicate", "query")  # the classic listing's order
MANAGER_COMMANDS = ("promote",)
EXPECTABLE = (*HA_STATUSES, "primary")
MANAGER_ONLY = (
    "'{0}' should only be called by the cluster manager. "
    "Incorrect use of '{0}' will cause cluster malfunction. "
    "To call from a cluster manager use '{0} --cluster-manager'."
)
_HELP_WORDS = {"-h": "help", "--help": "help", "-help": "help", "--help-all": "help-all"}

_COMMON = shared_options(
    remembered_option(
        "--config",
        type=click.Path(dir_okay=False),
        metavar="QPIDD.CONF",
        help="Take defaults from the broker's qpidd.conf: ha-username, ha-password, port, "
        "ha-mechanism, and ha-heartbeat-interval or link-heartbeat-interval as the timeout. "
        "Without a broker address, the local broker's qpidd.conf is used if found.",
    ),
    remembered_option(
        "--cluster-manager",
        is_flag=True,
        default=None,
        help="Allow commands that only a cluster manager may run (promote).",
    ),
)


def _all_option(what: str) -> Decorator:
    return click.option(
        "--all",
        "every_broker",
        is_flag=True,
        help=f"{what} for every broker of the cluster (its brokers URL), asked in parallel.",
    )


class ClassicGroup(click.Group):
    """Finds the command word anywhere on the line, like the classic qpid-ha."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._command_first(ctx, args))

    def _command_first(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Move the first word naming a command (or asking for help) to the front."""
        with_value = {
            name
            for command in (self, *self.commands.values())
            for param in command.get_params(ctx)
            if isinstance(param, click.Option) and not param.is_flag
            for name in param.opts
        }
        words = []  # (index, word) of every argument that is not an option value
        skip = False
        for index, arg in enumerate(args):
            if arg == "--":
                break
            if not skip:
                words.append((index, arg))
            skip = not skip and arg in with_value
        for names in (self.commands, _HELP_WORDS):
            for index, arg in words:
                if arg in names:
                    word = _HELP_WORDS.get(arg, arg)
                    return [word, *args[:index], *args[index + 1 :]]
        return args


@click.group(cls=ClassicGroup, context_settings=CONTEXT_SETTINGS, invoke_without_command=True)
@_COMMON
@version_option()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Inspect and control HA (high availability) on qpidd brokers."""
    if ctx.invoked_subcommand is None:
        click.echo(_listing(ctx))
        raise click.UsageError("no command given")


@cli.command()
@_COMMON
@click.pass_context
def ping(ctx: click.Context) -> None:
    """Check if the broker is alive and responding.

    Opens a connection and a session; works on brokers without HA too.
    """
    with connect(_invocation(ctx).settings):
        pass


@cli.command()
@click.option(
    "--expect",
    type=click.Choice(EXPECTABLE),
    metavar="STATUS",
    help="Print nothing; exit 0 if the status is STATUS, 1 otherwise. STATUS is one of "
    f"{', '.join(HA_STATUSES)}, or primary (active or recovering).",
)
@click.option(
    "--is-primary",
    is_flag=True,
    help="Print nothing; exit 0 if the broker is primary (active or recovering), 1 otherwise.",
)
@_all_option("Print the status")
@_COMMON
@click.pass_context
def status(ctx: click.Context, expect: str | None, is_primary: bool, every_broker: bool) -> None:
    """Print HA status.

    One of joining, catchup, ready (backups), recovering, active (primary) or standalone.
    """
    from qpidtools.broker import ha_broker_at
    from qpidtools.cli.ha_members import survey
    from qpidtools.render.ha import show_status

    inv = _invocation(ctx)
    if expect or is_primary:
        found = ha_broker_at(inv.settings)
        wanted = [want for want in (expect, "primary" if is_primary else None) if want]
        ctx.exit(0 if all(found.has_status(want) for want in wanted) else 1)
    show_status(inv, survey(inv.settings, every_broker))


@cli.command()
@click.argument("remote_broker", metavar="REMOTE-BROKER")
@click.argument("queue", shell_complete=complete_queues)
@_COMMON
@click.pass_context
def replicate(ctx: click.Context, remote_broker: str, queue: str) -> None:
    """Set up replication from <queue> on <remote-broker> to <queue> on the current broker.

    The current broker is the one of -b. QUEUE must exist there (qpid-config add queue
    --start-replica creates it and starts replication in one go), and both brokers need
    ha-queue-replication=yes.
    """
    with connect(_invocation(ctx).settings) as broker:
        broker.replicate(remote_broker, queue)


@cli.command()
@_all_option("Print configuration and status")
@_COMMON
@click.pass_context
def query(ctx: click.Context, every_broker: bool) -> None:
    """Print HA configuration and status.

    Status, broker ID, brokers URL, public URL and default replication level.
    """
    from qpidtools.cli.ha_members import survey
    from qpidtools.render.ha import show_query

    inv = _invocation(ctx)
    show_query(inv, survey(inv.settings, every_broker))


@cli.command()
@click.option(
    "--force",
    is_flag=True,
    help="Promote even if another member of the cluster says it is primary.",
)
@_COMMON
@click.pass_context
def promote(ctx: click.Context, force: bool) -> None:
    """[Cluster manager only] Promote a backup broker to primary.

    Only a cluster manager (rgmanager, pacemaker) that makes sure a single broker is primary
    at a time may run this: two primaries make the cluster inconsistent and lose messages.
    Without --cluster-manager it is refused. Before promoting, the other members of the
    brokers URL are asked for their status (in parallel, within --timeout): if one is active
    or recovering, promote refuses (exit 1) unless --force is given; members that cannot be
    reached do not count. A joining or catching-up backup refuses it too; on a primary or
    standalone broker it does nothing.
    """
    if not _manager(ctx):
        raise QpidToolsError(MANAGER_ONLY.format("promote"))
    from qpidtools.cli.ha_members import refuse_a_second_primary

    settings = _invocation(ctx).settings
    with connect(settings) as broker:
        if not force:
            refuse_a_second_primary(settings, broker.ha_broker())
        broker.promote()


@cli.command("help")
@_COMMON
@click.pass_context
def help_(ctx: click.Context) -> None:
    """List the commands (promote too with --cluster-manager)."""
    click.echo(_listing(ctx))


@cli.command("help-all")
@_COMMON
@click.pass_context
def help_all(ctx: click.Context) -> None:
    """Print every command's full help."""
    for name in _commands(ctx):
        command = cli.commands[name]
        with click.Context(command, info_name=name, parent=ctx.find_root()) as context:
            click.echo(command.get_help(context) + "\n")


def _invocation(ctx: click.Context) -> Invocation:
    """The resolved options, with defaults from qpidd.conf under everything else."""
    typed = given(ctx)
    named = any(typed.get(key) for key in ("broker", "profile")) or any(
        os.environ.get(name) for name in ("QPIDTOOLS_BROKER", "QPIDTOOLS_PROFILE")
    )
    path = typed.get("config") or (None if named else qpidd_conf.find())
    fallback = qpidd_conf.connection_defaults(path) if path else None
    return invocation(ctx, ha_admin=True, fallback=fallback)


def _manager(ctx: click.Context) -> bool:
    return bool(given(ctx).get("cluster_manager"))


def _commands(ctx: click.Context) -> tuple[str, ...]:
    return USER_COMMANDS + (MANAGER_COMMANDS if _manager(ctx) else ())


def _listing(ctx: click.Context) -> str:
    """The classic command list, byte for byte."""
    prog = ctx.find_root().info_name
    rows = [f"  {name:<12} {_first_sentence(cli.commands[name])}" for name in _commands(ctx)]
    return (
        f"usage: {prog} <command> [<arguments>]\n\nCommands are:\n\n"
        + "\n".join(rows)
        + f"\n\nFor help with a command type: {prog} <command> --help\n"
    )


def _first_sentence(command: click.Command) -> str:
    return (command.help or "").split(".")[0] + "."


def main() -> None:
    sys.exit(run(cli, "qpid-ha"))
