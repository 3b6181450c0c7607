"""Credentials: never on the command line, never in any output, error or log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
import pytest

from qpidtools.address import BrokerAddress, mask, parse_address
from qpidtools.cli.common import run
from qpidtools.docs.man import context, subcommands
from qpidtools.generate import tools

SECRET = "S3cr:t/pw@!"  # every separator the address forms know
QUOTED_SECRET = "S3cr%3At%2Fpw%40%21"


@pytest.mark.parametrize(
    ("text", "user", "password", "masked"),
    [
        ("admin/pa:ss@h:5672", "admin", "pa:ss", "admin/***@h:5672"),
        ("admin:pa/ss@h", "admin", "pa/ss", "admin:***@h"),
        ("admin/p@ss@h", "admin", "p@ss", "admin/***@h"),
        ("amqp://admin:p%40ss%3A@h", "admin", "p@ss:", "amqp://admin:***@h"),
        ("amqps://admin:pw@h:5671", "admin", "pw", "amqps://admin:***@h:5671"),
        ("admin@h", "admin", None, "admin@h"),
        ("h:5672", None, None, "h:5672"),
    ],
)
def test_classic_and_url_credentials(
    text: str, user: str | None, password: str | None, masked: str
) -> None:
    address = parse_address(text)
    assert (address.user, address.password) == (user, password)
    assert mask(text) == masked
    for shown in (str(address), repr(address), mask(text)):
        assert password is None or password not in shown


def test_address_credentials_win_over_options() -> None:
    address = parse_address("admin/pw@h").with_credentials("other", "other-pw")
    assert (address.user, address.password) == ("admin", "pw")
    filled = BrokerAddress("h").with_credentials("other", "other-pw")
    assert (filled.user, filled.password) == ("other", "other-pw")


def _leaf_lines(prog: str) -> list[list[str]]:
    """One command line per leaf command, every argument filled in with a placeholder."""
    root = context(tools()[prog], prog, None)
    lines = []
    for ctx in subcommands(root):
        if isinstance(ctx.command, click.Group):
            continue
        words = ctx.command_path.split()[1:]
        for param in ctx.command.params:
            if isinstance(param, click.Argument):
                words += ["x"] * max(param.nargs, 1)
        lines.append(words)
    return lines


@pytest.mark.parametrize("prog", ["qpid-config", "qpid-ha"])
def test_no_command_shows_the_password_of_an_unreachable_broker(
    prog: str,
    closed_port: int,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    broker = f"admin/{SECRET}@127.0.0.1:{closed_port}"
    url = f"amqp://admin:{QUOTED_SECRET}@127.0.0.1:{closed_port}"
    lines = _leaf_lines(prog)
    assert lines
    for argv in (
        variant
        for line in lines
        for variant in (
            ["-b", broker, *line],
            [*line, "-b", broker, "-v", "--timeout", "1"],
            [*line, "-b", url, "--json", "--timeout", "1"],
            [*line, "-b", f"admin@127.0.0.1:{closed_port}"],  # $QPIDTOOLS_PASSWORD
        )
    ):
        monkeypatch.setenv("QPIDTOOLS_PASSWORD", SECRET)
        try:
            code = run(tools()[prog], prog, argv)
        except Exception as error:  # -v lets our own bugs through: their text counts too
            code, shown = 1, repr(error) + str(error)
        else:
            shown = ""
        captured = capsys.readouterr()
        for text in (captured.out, captured.err, caplog.text, shown):
            assert SECRET not in text and QUOTED_SECRET not in text, argv
        assert code != 0 or prog == "qpid-ha", argv


def test_password_from_file_or_environment_never_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qpidtools.cli.common import invocation, shared_options

    resolved = []

    @click.command()
    @shared_options()
    @click.pass_context
    def show(ctx: click.Context) -> None:
        resolved.append(invocation(ctx).settings.address)

    secret_file = tmp_path / "password"
    secret_file.write_text(SECRET + "\n")
    assert run(show, "tool", ["--user", "admin", "--password-file", str(secret_file)]) == 0
    assert (resolved[-1].user, resolved[-1].password) == ("admin", SECRET)
    monkeypatch.setenv("QPIDTOOLS_PASSWORD", "from-environment")
    assert run(show, "tool", ["--user", "admin"]) == 0
    assert resolved[-1].password == "from-environment"
    assert run(show, "tool", ["--password-file", str(secret_file)]) == 0
    assert resolved[-1].password == SECRET  # the file named on the line wins
    missing = tmp_path / "missing"
    assert run(show, "tool", ["--password-file", str(missing)]) == 2
    assert f"cannot read password file {missing}" in capsys.readouterr().err
    options = {param.name for param in show.params}
    assert "password" not in options  # there is deliberately no --password


def test_no_output_or_error_shows_the_password_of_a_live_broker(
    broker: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("QPIDTOOLS_PASSWORD", SECRET)
    classic = f"admin/{SECRET}@{broker.address}"
    runs = [
        ("qpid-config", ["-b", classic, "queues", "-v"], 0),
        ("qpid-config", ["-b", classic, "queues", "--json"], 0),
        ("qpid-config", ["-b", f"admin@{broker.address}", "del", "queue", "nosuch"], 1),
        ("qpid-config", ["-b", classic, "--sasl-mechanism", "GSSAPI", "queues"], 1),
        ("qpid-config", ["-b", f"amqps://admin:{QUOTED_SECRET}@{broker.address}", "queues"], 1),
        ("qpid-config", ["-b", classic, "add", "queue", "q", "--limit-policy", "nope"], 2),
        ("qpid-ha", ["status", "-b", classic, "--all", "-v"], 0),
        ("qpid-ha", ["query", "-b", classic, "--json"], 0),
        ("qpid-ha", ["replicate", "-b", classic, f"admin/{SECRET}@127.0.0.1:1", "nosuch"], 1),
    ]
    for prog, argv, expected in runs:
        code = run(tools()[prog], prog, [*argv, "--timeout", "2"])
        captured = capsys.readouterr()
        assert code == expected, (argv, captured.err)
        for text in (captured.out, captured.err, caplog.text):
            assert SECRET not in text and QUOTED_SECRET not in text, (argv, text)
