"""The command lines of the README's qpid-stat and qpid-queue-stats sections parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from qpidtools.generate import tools

README = (Path(__file__).parent.parent / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def command_lines() -> list[str]:
    found = []
    for title in ("qpid-stat", "qpid-queue-stats"):
        for block in re.findall(r"```sh\n(.*?)```", section(title), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                command = re.split(r"\s+(?:#|>|&&)\s", line, maxsplit=1)[0].strip()
                if command.startswith(("qpid-stat", "qpid-queue-stats")):
                    found.append(command)
    return found


def test_the_sections_have_examples() -> None:
    assert len(command_lines()) >= 15


@pytest.mark.parametrize("line", command_lines())
def test_example_parses(line: str) -> None:
    prog, *args = shlex.split(line)
    tools()[prog].make_context(prog, args)
