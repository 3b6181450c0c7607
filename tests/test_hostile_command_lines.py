"""Hostile command lines (issue 7, item 11): random options and values, never a traceback.

Every run exits 0, 1 or 2 with at most one error line, and a usage error (2) never gets as far
as opening a connection. The tools run in-process with the transport's connect replaced by a
stand-in that counts attempts and refuses at once, so no example waits on a network.
"""

from __future__ import annotations

import click
import pytest
from conftest import Outcome, Tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpidtools import transport
from qpidtools.cli import config, ha
from qpidtools.errors import ConnectError
from qpidtools.transport import ConnectionSettings

ODD_VALUES = [
    "", "=", "/", "@", "a=b", "=b", "a=", "x/y@z", "guest/guest@", "@localhost", "::", "[::1]",
    "-1", "0", "1e400", "nan", "inf", "-0", "99999999999999999999999999", "0x10", "1_000",
    "amq.direct", "q1", "ring", "topic", "headers", "all", "k=v", "active", "primary",
    "\udcff", "ünïcødé", "名前", "a b", "--", "-",
]  # fmt: skip
NO_STDIN = ("-f", "--file")  # "-f -" reads the XQuery from stdin, which pytest does not give


def vocabulary(group: click.Group) -> tuple[list[str], list[str]]:
    """Every option name and command word of a tool (qpid-config's ``add``/``del`` included)."""
    words: set[str] = set()
    options: set[str] = set()
    pending: list[click.Command] = [group]
    while pending:
        command = pending.pop()
        options.update(
            name
            for param in command.params
            if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)
            if name not in NO_STDIN
        )
        if isinstance(command, click.Group):
            words.update(command.commands)
            pending.extend(command.commands.values())
    return sorted(options), sorted(words)


def command_lines(group: click.Group) -> st.SearchStrategy[list[str]]:
    options, commands = vocabulary(group)
    value = (
        st.sampled_from(ODD_VALUES)
        | st.text(st.characters(blacklist_characters="\x00"), max_size=10)
        | st.integers(-(2**80), 2**80).map(str)
    )
    option_with_value = st.tuples(st.sampled_from(options), value).map("=".join)
    word = st.sampled_from(commands) | st.sampled_from(options) | option_with_value | value
    return st.lists(word, max_size=8)


class Refusing:
    """Stands in for the transport's connect: counts attempts and refuses each at once."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self, settings: ConnectionSettings) -> None:
        self.attempts += 1
        raise ConnectError(f"cannot connect to {settings.address.host_port}: connection refused")


HOSTILE = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(outcome: Outcome, prog: str, attempts: int) -> None:
    assert "internal error" not in outcome.err, outcome.err
    assert outcome.code in (0, 1, 2), outcome
    errors = [line for line in outcome.err.splitlines() if line.startswith(f"{prog}: error: ")]
    assert len(errors) <= 1, outcome.err
    if outcome.code == 2:
        assert attempts == 0, f"a usage error connected first: {outcome.err}"


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> Refusing:
    stand_in = Refusing()
    monkeypatch.setattr(transport, "_open", stand_in)
    return stand_in


@HOSTILE
@given(argv=command_lines(config.cli))
def test_qpid_config_command_lines(qpid_config: Tool, refusing: Refusing, argv: list[str]) -> None:
    refusing.attempts = 0
    check(qpid_config(*argv), "qpid-config", refusing.attempts)


@HOSTILE
@given(argv=command_lines(ha.cli))
def test_qpid_ha_command_lines(qpid_ha: Tool, refusing: Refusing, argv: list[str]) -> None:
    refusing.attempts = 0
    check(qpid_ha(*argv), "qpid-ha", refusing.attempts)


def test_the_vocabulary_reaches_the_commands() -> None:
    """The search would mean little if it never named the real commands and options."""
    options, commands = vocabulary(config.cli)
    assert {"queues", "add", "bind", "queue", "exchange"} <= set(commands)
    assert {"--durable", "--max-queue-size", "-b", "--timeout"} <= set(options)
    options, commands = vocabulary(ha.cli)
    assert {"status", "promote", "replicate"} <= set(commands)
    assert {"--expect", "--cluster-manager", "--all"} <= set(options)
