"""What both CLIs share: connection and output options, their resolution, and exit codes.

The classic tools let options stand anywhere on the line (``qpid-ha promote -b HOST
--cluster-manager``). Click binds options to the group or command they follow, so the shared
options are attached to every group and command (:func:`shared_options`); each occurrence is
remembered on the root context, the last one given wins, and :func:`invocation` resolves them
once, with the precedence command line > environment > profile > defaults.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import click
from click.shell_completion import add_completion_class

from qpidtools import __version__
from qpidtools.cli.completion import BashComplete
from qpidtools.errors import BrokerError, ChangesPending, QpidToolsError, UsageError
from qpidtools.options import DEFAULT_TIMEOUT
from qpidtools.profiles import load_profile
from qpidtools.render import printable

if TYPE_CHECKING:
    from qpidtools.broker import Broker
    from qpidtools.transport import ConnectionSettings

# Start-up must stay fast (``--help``, usage errors and completion run on every keystroke of a
# user's shell): modules that only a connection needs (address parsing, transport, proton)
# are imported inside the functions that connect, not here.

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

_GIVEN = "qpidtools.given"
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

add_completion_class(BashComplete, "bash")  # reads the line as typed: see BashComplete


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Record an option only where the user gave it, so later levels override earlier ones.

    A repeatable option (``multiple=True``) collects its values from every level instead.
    """
    source = ctx.get_parameter_source(param.name or "")
    if param.name and source == click.core.ParameterSource.COMMANDLINE:
        typed = ctx.find_root().meta.setdefault(_GIVEN, {})
        if getattr(param, "multiple", False):
            value = (*typed.get(param.name, ()), *value)
        typed[param.name] = value
    return value


def remembered_option(*decls: str, **attrs: Any) -> Decorator:
    """An option that may stand anywhere on the line: read with :func:`given`, not passed.

    The option is made once and the same object is attached to every command decorated
    with the result: every command carries every option, and making hundreds of equal
    ``click.Option`` objects would cost each start-up milliseconds. (Click keeps no
    per-command state in a parameter.)
    """
    option = click.Option(decls, expose_value=False, callback=_remember, **attrs)

    def attach(function: Callable[..., Any]) -> Callable[..., Any]:
        # what click.option does with the option it makes (click.decorators._param_memo)
        if isinstance(function, click.Command):
            function.params.append(option)
        else:
            function.__click_params__ = [*getattr(function, "__click_params__", []), option]  # type: ignore[attr-defined]
        return function

    return attach


@functools.cache
def _timeout_option(short: str | None) -> Decorator:
    """``--timeout``, optionally with a short alias (classic qpid-config has ``-t``)."""
    names = (short, "--timeout") if short else ("--timeout",)
    return remembered_option(
        *names,
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        help="Seconds the broker may stay silent: while connecting, and waiting for each reply "
        "message, so a long listing that keeps arriving always finishes "
        f"(default {DEFAULT_TIMEOUT:g}; 0 waits forever).",
    )


_BROKER = remembered_option(
    "-b",
    "--broker",
    metavar="ADDRESS",
    help="Broker address: [user/password@]host[:port] or amqp[s]://[user[:password]@]"
    "host[:port]. Default: $QPIDTOOLS_BROKER, the profile's broker, or localhost.",
)

#: The connection options after ``-b`` and ``--timeout`` (which differs between the tools).
LOGIN_AND_TLS_OPTIONS: tuple[Decorator, ...] = (
    remembered_option("--user", metavar="NAME", help="User name for SASL authentication."),
    remembered_option(
        "--password-file",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Read the password from FILE (or set $QPIDTOOLS_PASSWORD).",
    ),
    remembered_option(
        "--profile",
        metavar="NAME",
        help="Use the named broker profile from ~/.config/qpidtools/config.toml "
        "(or $QPIDTOOLS_PROFILE).",
    ),
    remembered_option(
        "--sasl-mechanism",
        metavar="MECH",
        help="SASL mechanism(s) for authentication, e.g. PLAIN or ANONYMOUS.",
    ),
    remembered_option(
        "--sasl-service-name",
        metavar="NAME",
        help="Accepted for compatibility; proton's SASL has no service-name setting, so it "
        "has no effect (a warning says so).",
    ),
    remembered_option(
        "--ssl-certificate",
        type=click.Path(dir_okay=False),
        metavar="CERT",
        help="Client TLS certificate (PEM).",
    ),
    remembered_option(
        "--ssl-key",
        type=click.Path(dir_okay=False),
        metavar="KEY",
        help="Private key for the client certificate (PEM); needs --ssl-certificate.",
    ),
    remembered_option(
        "--ssl-trustfile",
        type=click.Path(dir_okay=False),
        metavar="CA",
        help="CA bundle (PEM) to verify the broker's certificate with.",
    ),
    remembered_option(
        "--ssl-no-verify",
        is_flag=True,
        default=None,
        help="Do not verify the broker's certificate or host name (insecure).",
    ),
)

#: ``--ha-admin``, read by :func:`invocation` (qpid-ha needs none: it always connects so).
HA_ADMIN_OPTION = remembered_option(
    "--ha-admin", is_flag=True, default=None, help="Allow connecting to an HA backup broker."
)

OUTPUT_OPTIONS: tuple[Decorator, ...] = (
    remembered_option(
        "--json",
        "json_output",
        is_flag=True,
        default=None,
        help="Print one JSON document instead of text.",
    ),
    remembered_option(
        "--no-color", is_flag=True, default=None, help="No colour on a terminal (also $NO_COLOR)."
    ),
    remembered_option(
        "-v",
        "--verbose",
        is_flag=True,
        default=None,
        help="On failure, also print the broker's error as it was sent (code, text, source "
        "location) and the error underneath.",
    ),
)


def shared_options(
    *extra: Decorator, timeout_short: str | None = None, verbose_help: str | None = None
) -> Decorator:
    """Attach the connection and output options (and ``extra``) to a group or command.

    ``timeout_short`` gives ``--timeout`` a short alias such as ``-t`` for one tool only;
    ``verbose_help`` describes what ``-v`` adds for a tool whose classic ``-v`` prints more.
    """
    timeout = _timeout_option(timeout_short)
    output = OUTPUT_OPTIONS
    if verbose_help is not None:
        verbose = remembered_option(
            "-v", "--verbose", is_flag=True, default=None, help=verbose_help
        )
        output = (*OUTPUT_OPTIONS[:-1], verbose)
    return stacked(_BROKER, timeout, *LOGIN_AND_TLS_OPTIONS, *extra, *output)


def stacked(*decorators: Decorator) -> Decorator:
    """``decorators`` applied as if written one above the other in this order, so options
    and arguments appear in it on the help page and the command line."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def remember(ctx: click.Context, name: str, value: Any) -> None:
    """Record ``value`` as if the option ``name`` had been typed (for a tool's alias of it)."""
    ctx.find_root().meta.setdefault(_GIVEN, {})[name] = value


def given(ctx: click.Context) -> dict[str, Any]:
    """The options the user typed anywhere on the line, by parameter name."""
    return dict(ctx.find_root().meta.get(_GIVEN, {}))


class Invocation(NamedTuple):
    """The resolved options of one run."""

    settings: ConnectionSettings
    json: bool = False
    no_color: bool = False
    verbose: bool = False
    options: Mapping[str, Any] = MappingProxyType({})  # as typed, by parameter name

    def flag(self, name: str) -> bool:
        """A tool-specific flag such as ``recursive`` or ``cluster_manager``."""
        return bool(self.options.get(name))


def invocation(
    ctx: click.Context,
    ha_admin: bool = False,
    fallback: Mapping[str, Any] | None = None,
) -> Invocation:
    """Resolve what the user asked for: command line > environment > profile > ``fallback``.

    ``fallback`` holds defaults from elsewhere (qpid-ha's qpidd.conf): any setting below, plus
    ``password`` and ``port`` (used when the broker address names none). Raises
    :class:`UsageError` for contradictions, before anything connects.
    """
    from qpidtools.address import parse_address
    from qpidtools.transport import ConnectionSettings

    typed = given(ctx)
    profile = load_profile(typed.get("profile") or os.environ.get("QPIDTOOLS_PROFILE"))
    defaults = {**(fallback or {}), **profile}

    def pick(name: str, env: str | None = None) -> Any:
        if typed.get(name) is not None:
            return typed[name]
        if env and os.environ.get(env):
            return os.environ[env]
        return defaults.get(name)

    broker_text = typed.get("broker_addr") or pick("broker", "QPIDTOOLS_BROKER") or "localhost"
    address = parse_address(str(broker_text), default_port=defaults.get("port"))
    password = _password(typed, defaults)
    if password:
        _RESOLVED_SECRETS.add(password)
    address = address.with_credentials(pick("user", "QPIDTOOLS_USER"), password)

    certificate, key = pick("ssl_certificate"), pick("ssl_key")
    if key and not certificate:
        raise UsageError("missing '--ssl-certificate' (required by '--ssl-key')")
    timeout = pick("timeout")
    timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    settings = ConnectionSettings(
        address=address,
        timeout=timeout or None,
        sasl_mechanism=pick("sasl_mechanism"),
        sasl_service_name=pick("sasl_service_name"),
        ssl_certificate=_path(certificate),
        ssl_key=_path(key),
        ssl_trustfile=_path(pick("ssl_trustfile")),
        ssl_verify=not pick("ssl_no_verify"),
        ha_admin=ha_admin or bool(typed.get("ha_admin")),
    )
    if settings.sasl_service_name:
        warn("--sasl-service-name has no effect: proton's SASL always uses the service 'amqp'")
    return Invocation(
        settings=settings,
        json=bool(typed.get("json_output")),
        no_color=bool(typed.get("no_color")) or "NO_COLOR" in os.environ,
        verbose=bool(typed.get("verbose")),
        options=typed,
    )


@contextmanager
def connect(settings: ConnectionSettings) -> Iterator[Broker]:
    """``Broker.connect``, for commands: the client library is loaded only when one runs."""
    from qpidtools.broker import Broker

    with Broker.connect(settings) as broker:
        yield broker


def warn(text: str) -> None:
    """A warning line on stderr, prefixed with the tool's name; the command goes on."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.resilient_parsing:
        return  # completing a word: the terminal must stay clean
    prog = ctx.find_root().info_name if ctx else None
    click.echo(f"{prog or 'qpidtools'}: warning: {printable(text)}", err=True)


def _path(value: Any) -> str | None:
    return str(Path(value).expanduser()) if value else None


def _password(typed: Mapping[str, Any], defaults: Mapping[str, Any]) -> str | None:
    """The password from --password-file, $QPIDTOOLS_PASSWORD, then the profile or fallback."""
    if typed.get("password_file"):
        return _read_password(typed["password_file"])
    if os.environ.get("QPIDTOOLS_PASSWORD"):
        return os.environ["QPIDTOOLS_PASSWORD"]
    if defaults.get("password_file"):
        return _read_password(defaults["password_file"])
    password = defaults.get("password")  # only a fallback has one (qpid-ha's qpidd.conf)
    return None if password is None else str(password)


def _read_password(path: str) -> str:
    try:
        return Path(path).expanduser().read_text().rstrip("\r\n")
    except OSError as error:
        raise UsageError(f"cannot read password file {path}: {error.strerror}") from None


def version_option() -> Decorator:
    return click.version_option(
        __version__, "--version", message="%(prog)s (qpidtools) %(version)s"
    )


def run(command: click.Command, prog: str, argv: list[str] | None = None) -> int:
    """Run a CLI and turn every outcome into an exit code and at most one line on stderr."""
    words = sys.argv[1:] if argv is None else argv
    verbose = "-v" in words or "--verbose" in words
    undecodable = next((word for word in words if not _is_utf8(word)), None)
    if undecodable is not None:  # bytes that are not UTF-8 could be neither sent nor printed
        return _fail(prog, f"the argument {undecodable!r} is not valid UTF-8", 2, [])
    try:
        result = command.main(args=argv, prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:
        return _fail(prog, error.format_message(), 2, words)
    except click.Abort:
        click.echo(file=sys.stderr)
        return 130
    except ChangesPending as pending:  # not a failure: the output has said what differs
        return pending.exit_code
    except QpidToolsError as error:
        code = _fail(prog, str(error), error.exit_code, words)
        for further in error.further:  # e.g. a file's other problems
            _fail(prog, further, error.exit_code, words)
        if verbose:
            for detail in _details(error):
                click.echo(f"{prog}: detail: {printable(_scrub(detail, words))}", err=True)
        return code
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug of ours: still one line, the detail only on request
        if verbose:
            raise
        return _fail(
            prog, f"internal error: {type(error).__name__}: {error} (run with -v)", 1, words
        )
    return result if isinstance(result, int) else 0


def _is_utf8(word: str) -> bool:
    """Whether an argument is text: the shell hands on invalid UTF-8 as lone surrogates."""
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _details(error: QpidToolsError) -> list[str]:
    """What ``-v`` adds: the broker's own error as sent, and the error underneath ours."""
    details = []
    if isinstance(error, BrokerError):
        details.append(f"error_code {error.error_code}, error_text {error.error_text!r}")
    if error.__cause__ is not None and not isinstance(error.__cause__, QpidToolsError):
        details.append(f"{type(error.__cause__).__name__}: {error.__cause__}")
    return details


def _fail(prog: str, message: str, code: int, words: Sequence[str]) -> int:
    line = printable(" ".join(_scrub(message, words).split()))  # a name cannot drive the terminal
    click.echo(f"{prog}: error: {line}", err=True)
    return code


#: Passwords read from files (``--password-file``, a profile's, qpidd.conf's) during this run.
_RESOLVED_SECRETS: set[str] = set()


def _scrub(message: str, words: Sequence[str]) -> str:
    """Hide every password the user gave us, should an error quote it back.

    The broker's own errors do (``Invalid URL: user/secret@host`` for ``qpid-ha replicate``),
    and so may Click's for a misplaced address.
    """
    secrets = {os.environ.get("QPIDTOOLS_PASSWORD", ""), *_RESOLVED_SECRETS}
    for word in words:
        value = word.partition("=")[2] if word.startswith("-") else word
        if "@" not in value:  # no credentials in it (and no need to load the address parser)
            continue
        from qpidtools.address import mask, parse_address

        masked = mask(value)
        if masked != value:
            message = message.replace(value, masked)
            with suppress(QpidToolsError):
                secrets.add(parse_address(value).password or "")
    for secret in sorted(secrets - {""}, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message
