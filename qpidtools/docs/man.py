"""Man pages: the commands and options from the Click definitions, plus written sections.

Everything a command definition says (usage, help, options, choices, defaults) is read from
Click, so the pages cannot drift from ``--help``; what Click cannot know (description,
examples, exit status, environment, files) is written here once for both tools.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import click

from qpidtools import __version__
from qpidtools.cli.help import context, subcommands
from qpidtools.profiles import PROFILE_KEYS


@dataclass(frozen=True)
class Page:
    """What is written by hand for one tool."""

    summary: str
    description: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]  # (what it does, command line)
    failure: str  # what exit status 1 means for this tool
    see_also: tuple[str, ...]
    more_statuses: tuple[tuple[int, str], ...] = ()  # exit statuses of this tool only
    success: str = "Success."
    interrupted: str | None = "Interrupted (Ctrl-C)."  # exit status 130, if the tool has it


_SHARED_DESCRIPTION = (
    "It speaks QMF version 2 over AMQP 1.0 (python-qpid-proton), so the broker needs "
    "AMQP 1.0 enabled. Output is plain text for people, or one JSON document with --json "
    "for scripts; messages go to standard error, prefixed with the program name.",
    "The options under OPTIONS may stand anywhere on the command line, before or after "
    "the command; given twice, the last one wins. Each setting comes from the command "
    "line, else the environment, else the profile chosen with --profile or "
    "$QPIDTOOLS_PROFILE (see FILES), else the default.",
    "A password is never needed on the command line: give it in $QPIDTOOLS_PASSWORD or "
    "in a file named with --password-file. Passwords are masked wherever an address is "
    "shown. The classic address forms user/password@host:port and "
    "amqp://user:password@host:port still work.",
)

PAGES: dict[str, Page] = {
    "qpid-config": Page(
        summary="manage queues, exchanges and bindings on a qpidd broker",
        description=(
            "qpid-config lists, creates and deletes the queues, exchanges and bindings of an "
            "Apache Qpid C++ broker (qpidd), reads and sets its log level, reloads its ACL "
            "file and shuts it down.",
            *_SHARED_DESCRIPTION,
        ),
        examples=(
            ("List the queues of the local broker:", "qpid-config queues"),
            (
                "Create a durable queue that drops its oldest messages beyond 10000:",
                "qpid-config add queue orders --durable --max-queue-count 10000 "
                "--limit-policy ring",
            ),
            ("Create a topic exchange:", "qpid-config add exchange topic events"),
            ("Bind the queue to it with a binding key:", "qpid-config bind events orders 'eu.#'"),
            (
                "List the exchanges of a remote broker as JSON:",
                "qpid-config -b mq1 exchanges --json",
            ),
            (
                "Use the broker, user and CA of profile prod, password from a file:",
                "qpid-config --profile prod --password-file ~/.prod-password queues",
            ),
            (
                "Save the configuration of broker mq1 to a file:",
                "qpid-config -b mq1 export -o mq.yaml",
            ),
            (
                "Show what applying it to broker mq2 would change (exit status 3 if anything):",
                "qpid-config -b mq2 apply mq.yaml --dry-run",
            ),
        ),
        failure="the broker could not be reached, did not answer in time, or refused the "
        "request; or nothing matched the names given",
        see_also=("qpid-ha(1)", "qpidd(1)"),
        more_statuses=((3, "apply --dry-run found changes to make."),),
    ),
    "qpid-ha": Page(
        summary="inspect and control high availability on qpidd brokers",
        description=(
            "qpid-ha reports and changes the HA (high availability) state of Apache Qpid C++ "
            "brokers (qpidd) in a cluster: it checks that a broker answers, shows and tests "
            "its HA status, promotes a backup to primary and replicates a queue from "
            "another broker.",
            *_SHARED_DESCRIPTION,
        ),
        examples=(
            ("Show the HA status of the local broker:", "qpid-ha status"),
            (
                "Succeed only if a backup is ready to take over:",
                "qpid-ha status --expect ready -b backup1:5672",
            ),
            ("Check that a broker answers:", "qpid-ha ping -b backup1:5672"),
            (
                "Promote a backup (as a cluster manager does):",
                "qpid-ha promote -b backup1 --cluster-manager",
            ),
            ("Show the HA settings of a broker:", "qpid-ha query -b backup1"),
        ),
        failure="the broker could not be reached, did not answer in time, or refused the "
        "request; or its status did not match --expect; or promote found another member "
        "that is primary",
        see_also=("qpid-config(1)", "qpidd(1)"),
    ),
    "qpid-printevents": Page(
        summary="print the events of qpidd brokers as they happen",
        description=(
            "qpid-printevents subscribes to the QMF events of one or more Apache Qpid C++ "
            "brokers (qpidd) and prints one line per event: the time the broker raised it "
            "(UTC), the event class and its arguments, as the classic tool did. Events "
            "include queues, exchanges and bindings declared and deleted, subscriptions, "
            "client connections, queue depth alerts and federation links going up and down.",
            "It speaks AMQP 1.0 (python-qpid-proton): one receiver per broker on "
            "qmf.default.topic. With --json it prints one JSON document per line per event "
            "for scripts; --class, --severity, --count and --timeout let a script wait for "
            "a given event. With those options the tool's own subscription is not shown.",
            "A broker that goes away is reported on standard error (and, in the text, by a "
            "brokerDisconnected line) and reconnected about every second; a broker that "
            "cannot be reached is retried quietly. SIGTERM ends it at once, as it did the "
            "classic tool; what was printed before is flushed.",
            "A password is never needed on the command line: give it in $QPIDTOOLS_PASSWORD or "
            "in a file named with --password-file.",
        ),
        examples=(
            ("Print the events of the local broker:", "qpid-printevents"),
            ("Watch two brokers at once:", "qpid-printevents node1:5672 node2:5672"),
            (
                "Wait up to 9 seconds for a queue to reach its depth alert:",
                "qpid-printevents --class queueThresholdExceeded --count 1 --timeout 9",
            ),
            (
                "Warnings and errors as JSON lines:",
                "qpid-printevents --json --severity warn --severity error",
            ),
        ),
        failure="--timeout passed without an event",
        see_also=("qpid-config(1)", "qpid-ha(1)", "qpidd(1)"),
        success="Stopped with Ctrl-C, or --count events were printed.",
        interrupted=None,
    ),
    "qpid-stat": Page(
        summary="show statistics of a qpidd broker, once, live or as OpenMetrics",
        description=(
            "qpid-stat shows the statistics of an Apache Qpid C++ broker (qpidd): the broker "
            "summary and broker-wide counters (-g), connections (-c), exchanges (-e), queues "
            "(-q, or one queue with -q QUEUE), subscriptions with their connection (-u), "
            "memory (-m) and ACL statistics (--acl). In a pipe it prints the classic "
            "qpid-stat text. --watch redraws the view every few seconds with rates per "
            "second, timed by the broker's clock; --openmetrics prints the broker, queue and "
            "exchange statistics for Prometheus.",
            *_SHARED_DESCRIPTION,
        ),
        examples=(
            ("Show the queues, deepest first, ten at most:", "qpid-stat -q -S msg -L 10"),
            ("Show one queue in detail:", "qpid-stat -q orders"),
            ("Watch the exchanges with rates, every 5 seconds:", "qpid-stat -e --watch 5"),
            ("Subscriptions with their connections as JSON:", "qpid-stat -u --json"),
            (
                "Write metrics for node_exporter's textfile collector:",
                "qpid-stat -b mq1 --openmetrics",
            ),
        ),
        failure="the broker could not be reached, did not answer in time, or refused the request",
        see_also=("qpid-queue-stats(1)", "qpid-config(1)", "qpidd(1)"),
    ),
    "qpid-queue-stats": Page(
        summary="print queue enqueue and dequeue rates as they change",
        description=(
            "qpid-queue-stats lists the queues of an Apache Qpid C++ broker (qpidd) every "
            "--interval seconds and prints a row for each queue whose statistics changed "
            "since the previous sample: seconds between the samples, depth, and enqueue and "
            "dequeue rates per second. A queue's first sample is only a baseline; idle "
            "queues never print. It runs until Ctrl-C or --count samples.",
            *_SHARED_DESCRIPTION,
        ),
        examples=(
            ("Watch every queue of the local broker:", "qpid-queue-stats"),
            (
                "Only queues whose name starts with orders or audit, every 2 seconds:",
                "qpid-queue-stats -a mq1 -f 'orders,audit' --interval 2",
            ),
            ("One JSON line per row, for a script:", "qpid-queue-stats --json --count 6"),
        ),
        failure="the command could not start (an unreachable broker is retried, not fatal)",
        see_also=("qpid-stat(1)", "qpidd(1)"),
    ),
    "qpid-route": Page(
        summary="manage federation links and routes between qpidd brokers",
        description=(
            "qpid-route wires Apache Qpid C++ brokers (qpidd) together: it makes a broker "
            "open a link to another broker and adds routes (bridges) over it, so that "
            "messages sent to an exchange on the source broker also reach an exchange on the "
            "destination broker. Routes are static (one binding key), dynamic (the bindings "
            "made on the destination exchange are followed) or queue routes (a source queue "
            "is drained). route map shows every broker reachable through links, as text, "
            "JSON or a Graphviz graph (--dot).",
            "DEST is the broker that receives the messages and holds the link, SRC the one "
            "they come from; with -s the link is made on SRC instead and pushes to DEST. "
            "The credentials given in SRC are what DEST logs in to SRC with, with the "
            "MECHANISM argument; they are never printed. Adding a route that exists is an "
            "error (exit 1), or nothing with -q; deleting one that does not exist is an "
            "error (exit 1), or nothing with -q.",
            *_SHARED_DESCRIPTION,
        ),
        examples=(
            (
                "Make broker hq pull messages with key eu.# from exchange orders on broker eu:",
                "qpid-route route add hq:5672 eu:5672 orders 'eu.#'",
            ),
            (
                "Follow the bindings of exchange news on hq with a dynamic route:",
                "qpid-route dynamic add hq:5672 eu:5672 news",
            ),
            ("List the links of hq and their state:", "qpid-route link list hq:5672"),
            (
                "Print the federation reachable from hq as a Graphviz graph (draw it with dot):",
                "qpid-route route map hq:5672 --dot",
            ),
            (
                "Remove a route, and its link if no other route uses it:",
                "qpid-route -e route del hq:5672 eu:5672 orders 'eu.#'",
            ),
        ),
        failure="a broker could not be reached, did not answer in time, or refused the "
        "request; a link failed; or the route added exists, or the route or link deleted "
        "does not (exit 0 with -q)",
        see_also=("qpid-config(1)", "qpid-printevents(1)", "qpidd(1)"),
    ),
}

_ENVIRONMENT = (
    ("QPIDTOOLS_BROKER", "The broker address when -b/--broker is not given."),
    ("QPIDTOOLS_PROFILE", "The profile to use when --profile is not given."),
    ("QPIDTOOLS_USER", "The user name when --user is not given."),
    (
        "QPIDTOOLS_PASSWORD",
        "The password when --password-file is not given. Unlike a password in the broker "
        "address, it is not visible in the process list.",
    ),
    ("NO_COLOR", "When set, to any value, output has no colour (as --no-color)."),
    (
        "XDG_CONFIG_HOME",
        "Where the configuration directory is; ~/.config when unset or empty.",
    ),
)

_EXAMPLE_PROFILE = (
    "[profiles.prod]",
    'broker = "amqps://mq.example.com"',
    'user = "admin"',
    'password_file = "~/.config/qpidtools/prod.password"',
    'ssl_trustfile = "/etc/pki/tls/certs/ca-bundle.crt"',
    "timeout = 5",
)

# -- roff ------------------------------------------------------------------------------------

_OPTION_WORD = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
_TOKEN = re.compile(r"(\s+|[,/|\[\]])")
_METAVAR = re.compile(r"[A-Z][A-Z0-9_]*(?:\.\.\.)?")


def roff(text: str, hyphens: bool = False) -> str:
    """Escape text for roff: backslashes, non-ASCII, and hyphens that are typed as minus signs.

    With ``hyphens`` every hyphen is one (command and option names, values); otherwise only
    those of option names within prose (``--durable``), so that words like "ring-strict" in
    running text stay hyphenated words.
    """
    text = text.replace("\\", "\\e")
    if hyphens:
        text = text.replace("-", "\\-")
    else:
        text = _OPTION_WORD.sub(lambda match: match[0].replace("-", "\\-"), text)
    return "".join(char if ord(char) < 128 else f"\\[u{ord(char):04X}]" for char in text)


def _text_line(text: str) -> str:
    """A text line roff will not mistake for a request (leading ``.`` or ``'``)."""
    return f"\\&{text}" if text.startswith((".", "'")) else text


def _styled(usage: str) -> str:
    """Options in bold, metavars in italics, the rest escaped as typed text."""
    pieces = []
    for token in _TOKEN.split(usage):
        escaped = roff(token, hyphens=True)
        if token.startswith("-"):
            escaped = f"\\fB{escaped}\\fR"
        elif _METAVAR.fullmatch(token):
            escaped = f"\\fI{escaped}\\fR"
        pieces.append(escaped)
    return "".join(pieces)


def _paragraphs(help_text: str | None) -> Iterator[list[str]]:
    """Roff lines for Click help text: paragraphs filled, ``\\b`` blocks kept as written."""
    text = inspect.cleandoc(help_text or "").split("\f", 1)[0]
    for block in re.split(r"\n\s*\n", text):
        if not block.strip():
            continue
        if block.startswith("\b"):
            rows = [_text_line(roff(row)) for row in block.splitlines()[1:]]
            yield [".nf", *rows, ".fi"]
        else:
            yield [_text_line(roff(" ".join(block.split())))]


def _prose(paragraphs: Iterable[str]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += [".PP", *(line for part in _paragraphs(paragraph) for line in part)]
    return lines


def _continued(rows: list[str]) -> list[str]:
    """Shell lines, each but the last ending in a backslash continuation."""
    return [f"{row} \\" for row in rows[:-1]] + rows[-1:]


def _tagged(tag: str, body: str) -> list[str]:
    return [".TP", _text_line(tag), _text_line(roff(" ".join(body.split())))]


# -- the page --------------------------------------------------------------------------------


def _usage(ctx: click.Context) -> str:
    pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
    return f"\\fB{roff(ctx.command_path, hyphens=True)}\\fR {_styled(pieces)}"


def _options(ctx: click.Context, exclude: frozenset[str] = frozenset()) -> list[str]:
    lines = []
    for param in ctx.command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or not record[1] or param.name in exclude:
            continue  # an argument without help is in the usage line already
        lines += _tagged(_styled(record[0]), record[1])
    return lines


def _command_section(ctx: click.Context, shared: frozenset[str]) -> list[str]:
    lines = [".SS", _text_line(_usage(ctx))]
    for paragraph in _paragraphs(ctx.command.help):
        lines += [".PP", *paragraph]
    return lines + _options(ctx, exclude=shared)


def render_man_page(prog: str, command: click.Command) -> str:
    """The man page of ``prog`` (section 1) as roff text."""
    page = PAGES[prog]
    root = context(command, prog, None)
    # Options listed under OPTIONS; a command's own section lists the rest of its options,
    # including those the root accepts too but hides from its help.
    shared = frozenset(
        param.name or "" for param in command.get_params(root) if param.get_help_record(root)
    )
    commands = list(subcommands(root))
    lines = [
        '.\\" Generated from the Click definitions by "python -m qpidtools.generate".',
        '.\\" Do not edit: change the commands or qpidtools/docs/man.py and regenerate.',
        f'.TH {roff(prog.upper(), hyphens=True)} 1 "" "qpidtools {__version__}" "User Commands"',
        ".nh",  # neither hyphenate nor justify: names and addresses must stay whole
        ".ad l",
        ".SH NAME",
        f"{roff(prog, hyphens=True)} \\- {roff(page.summary)}",
        ".SH SYNOPSIS",
    ]
    for ctx in commands or [root]:
        if not isinstance(ctx.command, click.Group) or ctx is root:
            lines += [".PP", _text_line(_usage(ctx))]
    lines += [".SH DESCRIPTION", *_prose(page.description)]
    if commands:
        lines.append(".SH COMMANDS")
        for ctx in commands:
            lines += _command_section(ctx, shared)
    scope = "every command" if commands else "the command"
    lines += [
        ".SH OPTIONS",
        ".PP",
        f"These options are accepted by {scope}, anywhere on the line.",
        *_options(root),
        ".SH EXAMPLES",
    ]
    for what, example in page.examples:
        rows = textwrap.wrap(
            example, 72, break_long_words=False, break_on_hyphens=False, subsequent_indent="    "
        )
        lines += [".PP", roff(what), ".RS 4", ".nf"]
        lines += [_text_line(roff(row, hyphens=True)) for row in _continued(rows)]
        lines += [".fi", ".RE"]
    lines += [
        ".SH EXIT STATUS",
        *_tagged("\\fB0\\fR", page.success),
        *_tagged("\\fB1\\fR", page.failure[0].upper() + page.failure[1:] + "."),
        *_tagged("\\fB2\\fR", "Usage error: the command line or the configuration is wrong."),
        *(line for code, text in page.more_statuses for line in _tagged(f"\\fB{code}\\fR", text)),
        *(_tagged("\\fB130\\fR", page.interrupted) if page.interrupted else []),
        ".SH ENVIRONMENT",
    ]
    for variable, meaning in _ENVIRONMENT:
        lines += _tagged(f"\\fB{roff(variable)}\\fR", meaning)
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI$XDG_CONFIG_HOME/qpidtools/config.toml\\fR, "
        "by default \\fI~/.config/qpidtools/config.toml\\fR",
        "Broker profiles, one TOML table [profiles.\\fINAME\\fR] each, chosen with "
        "\\fB\\-\\-profile\\fR \\fINAME\\fR. Keys: "
        + ", ".join(f"\\fB{roff(key, hyphens=True)}\\fR" for key in PROFILE_KEYS)
        + ". For example:",
        ".RS",
        ".nf",
        *(_text_line(roff(row)) for row in _EXAMPLE_PROFILE),
        ".fi",
        ".RE",
        ".SH SEE ALSO",
        ", ".join(
            f"\\fB{roff(name, hyphens=True)}\\fR({section}"
            for name, section in (ref.split("(", 1) for ref in page.see_also)
        ),
    ]
    return "\n".join(lines) + "\n"
