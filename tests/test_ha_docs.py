"""The examples of the README's "Cluster-manager hooks" section work: command lines parse,
the SysV script and the systemd unit's commands make a cluster double's member primary.

The documents use ``localhost``; the tests run them against ``127.0.0.1``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from qpidtools.cli.ha import cli
from qpidtools.testing import DoubleCluster, wait_for

README = (Path(__file__).parent.parent / "README.md").read_text()
SECTION = README.split("## Cluster-manager hooks", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", SECTION, re.DOTALL)
QPID_HA = Path(sys.executable).parent / "qpid-ha"


def block(language: str, containing: str) -> str:
    return next(text for lang, text in BLOCKS if lang == language and containing in text)


def loopback(text: str, port: int) -> str:
    return text.replace("localhost", "127.0.0.1").replace("${QPID_PORT}", str(port))


def qpid_ha_lines() -> list[str]:
    """Every qpid-ha command line in the document's code blocks (prompts stripped)."""
    found = []
    for _, text in BLOCKS:
        for line in text.replace("${QPID_PORT}", "5672").splitlines():
            line = line.removeprefix("$ ").removeprefix("ExecStart=")
            words = shlex.split(line) if "$" not in line else []  # script lines use variables
            if words and words[0].endswith("qpid-ha"):
                found.append(line)
    return found


@pytest.mark.parametrize("line", qpid_ha_lines())
def test_command_lines_parse(line: str) -> None:
    ctx = cli.make_context("qpid-ha", shlex.split(line)[1:])
    assert isinstance(ctx.command, click.Group)
    name, command, rest = ctx.command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
    assert command is not None and name is not None
    command.make_context(name, rest, parent=ctx)


def test_the_examples_cover_the_hooks() -> None:
    text = "\n".join(qpid_ha_lines())
    for command in ("promote --cluster-manager", "status --is-primary", "replicate -b node2"):
        assert command in text


@pytest.mark.skipif(not QPID_HA.is_file(), reason="qpid-ha is not installed next to python")
def test_sysv_primary_script(tmp_path: Path) -> None:
    with DoubleCluster(recovery_s=0.05) as cluster:
        port = cluster.members[1].address.rsplit(":", 1)[1]
        script = tmp_path / "qpidd-primary"
        script.write_text(loopback(block("sh", 'case "$1" in'), int(port)))
        env = {**os.environ, "QPID_PORT": port, "QPID_HA": str(QPID_HA), "QPIDD_SERVICE": "true"}

        def service(action: str) -> int:
            return subprocess.run(["sh", str(script), action], env=env, timeout=60).returncode

        assert service("status") == 3  # joining: not the primary
        assert service("start") == 0
        assert cluster.statuses()[1] in ("recovering", "active")
        assert service("status") == 0
        assert service("stop") == 0
        assert service("bogus") == 2


def test_systemd_unit_commands(qpid_ha: Any) -> None:
    with DoubleCluster(recovery_s=0.05) as cluster:
        port = int(cluster.members[2].address.rsplit(":", 1)[1])
        unit = loopback(block("ini", "[Service]"), port)
        commands = [line.removeprefix("ExecStart=") for line in unit.splitlines()]
        commands = [line for line in commands if "qpid-ha" in line]
        assert len(commands) == 2
        for line in commands:
            result = qpid_ha(*shlex.split(line)[1:])
            assert (result.code, result.out, result.err) == (0, "", "")
        wait_for(lambda: cluster.statuses()[2] == "active", what="the unit's broker active")
