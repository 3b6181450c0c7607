"""Names qpidd accepts but that are awkward, through add, list (text, JSON, Rich) and delete.

The captures show no such names (every recorded name is plain ASCII without spaces), so what
qpidd does with them is not recorded: these tests hold the tools to their own promise, on the
double here and on a real qpidd where one is configured. Every queue or exchange a test makes
is deleted afterwards, so an external test broker is left as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import Outcome, Tool, _tool

from qpidtools.cli import stat

ODD_NAMES = {
    "spaces": "name with  spaces",
    "unicode": "ünïcødé-队列-🐇",
    "255-characters": "q" * 255,
    "looks-like-an-option": "--force",
    "terminal-control": "evil\x1b[2J\x1b[Hname\x07\x9b31m",
    "rich-markup": "[bold]markup[red]",
}
EVIL_ESCAPED = "evil\\x1b[2J\\x1b[Hname\\x07\\x9b31m"


def ok(outcome: Outcome) -> Outcome:
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


@pytest.fixture
def address(broker: Any) -> str:
    return str(broker.address)


@pytest.fixture
def make(qpid_config: Tool, address: str) -> Iterator[Callable[..., None]]:
    """``make("queue", NAME)`` or ``make("exchange", NAME, "topic")``; deleted afterwards."""
    made: list[tuple[str, str]] = []

    def create(kind: str, name: str, *options: str) -> None:
        ok(qpid_config("-b", address, "add", kind, *options, "--", name))
        made.append((kind, name))

    yield create
    for kind, name in reversed(made):
        qpid_config(
            "-b", address, "del", kind, *(["--force"] if kind == "queue" else []), "--", name
        )


def names(qpid_config: Tool, address: str, kind: str) -> list[str]:
    document = json.loads(ok(qpid_config("-b", address, kind, "--json")).out)
    return [entry["name"] for entry in document[kind]]


@pytest.mark.parametrize("name", ODD_NAMES.values(), ids=ODD_NAMES.keys())
def test_queue_round_trip(qpid_config: Tool, address: str, name: str) -> None:
    ok(qpid_config("-b", address, "add", "queue", "--", name))
    assert name in names(qpid_config, address, "queues")
    listed = ok(qpid_config("-b", address, "queues")).out.split("\n")
    assert any(line.startswith(f"{name} ") for line in listed)  # as it is, in a pipe
    ok(qpid_config("-b", address, "del", "queue", "--", name))
    assert name not in names(qpid_config, address, "queues")


@pytest.mark.parametrize("name", ODD_NAMES.values(), ids=ODD_NAMES.keys())
def test_exchange_and_binding_round_trip(qpid_config: Tool, address: str, name: str) -> None:
    ok(qpid_config("-b", address, "add", "exchange", "topic", "--", name))
    ok(qpid_config("-b", address, "add", "queue", "--", name))
    ok(qpid_config("-b", address, "bind", "--", name, name, name))
    assert name in names(qpid_config, address, "exchanges")
    document = json.loads(ok(qpid_config("-b", address, "exchanges", "-r", "--json")).out)
    (exchange,) = [entry for entry in document["exchanges"] if entry["name"] == name]
    assert exchange["bindings"] == [{"queue": name, "key": name, "arguments": {}}]
    ok(qpid_config("-b", address, "unbind", "--", name, name, name))
    ok(qpid_config("-b", address, "del", "exchange", "--", name))
    ok(qpid_config("-b", address, "del", "queue", "--", name))
    assert name not in names(qpid_config, address, "exchanges")


def test_a_terminal_sees_names_escaped_and_never_as_markup(
    qpid_config: Tool, address: str, make: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    markup = "[bold]markup[/bold] and [/]"  # Rich would style it, or raise at the '[/]'
    make("queue", ODD_NAMES["terminal-control"])
    make("queue", markup)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "250")  # no name folded over two lines
    for argv in (["queues", "evil"], ["queues", "-r", "evil"], ["list", "queue"]):
        shown = ok(qpid_config("-b", address, "--no-color", *argv)).out
        assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown, argv
        assert EVIL_ESCAPED in shown, argv
    assert markup in ok(qpid_config("-b", address, "--no-color", "queues", "[bold]")).out


def test_qpid_stat_on_a_terminal_shows_names_escaped(
    capsys: pytest.CaptureFixture[str],
    address: str,
    make: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every tool's Rich output goes through the one TerminalConsole (qpidtools.render)."""
    make("queue", ODD_NAMES["terminal-control"])
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "250")
    shown = ok(_tool(stat.cli, "qpid-stat", capsys)("-b", address, "-q", "--no-color")).out
    assert "\x1b" not in shown and EVIL_ESCAPED in shown


def test_an_error_line_shows_the_name_escaped(
    qpid_config: Tool, address: str, make: Callable[..., None]
) -> None:
    make("queue", ODD_NAMES["terminal-control"])
    again = qpid_config("-b", address, "add", "queue", ODD_NAMES["terminal-control"])
    assert again.code == 1
    assert "\x1b" not in again.err and again.err.count("\n") == 1
    assert "evil\\x1b[2J" in again.err


def test_a_name_that_looks_like_an_option_needs_the_double_dash(
    qpid_config: Tool, address: str
) -> None:
    """Without ``--``, ``--force`` is the option: a usage error, and nothing is created."""
    for argv in (["add", "queue", "--force"], ["del", "queue", "--force"]):
        outcome = qpid_config("-b", address, *argv)
        assert (outcome.code, outcome.err) == (
            2,
            "qpid-config: error: Missing argument 'NAME'.\n",
        ), argv
    assert "--force" not in names(qpid_config, address, "queues")


def test_qpid_ha_replicate_takes_a_queue_named_like_an_option(
    qpid_config: Tool, qpid_ha: Tool, broker_pair: tuple[Any, Any]
) -> None:
    source, target = (str(b.address) for b in broker_pair)
    for where in (source, target):
        ok(qpid_config("-b", where, "add", "queue", "--", "--force"))
    ok(qpid_ha("-b", target, "replicate", source, "--", "--force"))
