"""The README's qpid-route section works: its command lines parse, and the two-broker
federation it sets up carries messages (hq and eu are the two brokers of ``broker_pair``)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
from conftest import Tool

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.cli.route import cli
from qpidtools.testing import send_messages
from qpidtools.transport import ConnectionSettings

README = (Path(__file__).parent.parent / "README.md").read_text()
SECTION = README.split("## qpid-route\n", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL)
EXAMPLE = next(text for text in BLOCKS if "qpid-printevents" in text)


def command_lines(tool: str) -> list[str]:
    found = []
    for text in BLOCKS:
        for line in text.splitlines():
            line = line.split(" # ")[0].split(" | ")[0].strip()
            if line.startswith(tool) and "$" not in line:
                found.append(line)
    return found


@pytest.mark.parametrize("line", command_lines("qpid-route"))
def test_command_lines_parse(line: str) -> None:
    words = [word for word in shlex.split(line)[1:] if word not in ("[MECHANISM]",)]
    if any(word.isupper() and word.strip("[]").isalpha() for word in words):
        words = [w.strip("[]") if w.startswith("[") else w for w in words]  # the synopsis
    ctx: click.Context = cli.make_context("qpid-route", words, resilient_parsing=True)
    while isinstance(ctx.command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        name, command, rest = ctx.command.resolve_command(ctx, rest)
        assert command is not None and name is not None, line
        ctx = command.make_context(name, rest, parent=ctx, resilient_parsing=True)


def test_the_federation_example_carries_messages(
    broker_pair: Any, qpid_route: Tool, qpid_config: Tool
) -> None:
    hq, eu = (f"localhost:{b.port}" for b in broker_pair)
    ports = {"hq:5672": hq, "eu:5672": eu}
    tools = {"qpid-route": qpid_route, "qpid-config": qpid_config}
    for raw in EXAMPLE.splitlines():
        line = re.split(r"\s+#\s", raw)[0].strip()
        if not line or line.split()[0] not in tools:
            continue
        for command in line.split(" && "):
            targets = [hq, eu] if "$b" in command else [None]
            for target in targets:
                text = command.replace("$b", target or "")
                for name, address in ports.items():
                    text = text.replace(name, address)
                words = shlex.split(text)
                outcome = tools[words[0]](*words[1:])
                assert outcome.code == 0, (text, outcome)
    send_messages(eu.replace("localhost", "127.0.0.1"), "orders", 2, subject="eu.fr")
    settings = ConnectionSettings(parse_address(hq), timeout=10)
    with Broker.connect(settings) as broker:
        queue = broker.queue("orders-in")
    assert queue is not None and queue.statistics["msgDepth"] == 2
