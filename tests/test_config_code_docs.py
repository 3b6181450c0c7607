"""The README's "Configuration as code" section works as written: its console transcripts are
run against broker fixtures (``node1``, ``node2``, and no ``-b`` for the first broker) and
must print what they show."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from conftest import Tool

README = (Path(__file__).parent.parent / "README.md").read_text()
SECTION = README.split("### Configuration as code", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", SECTION, re.DOTALL)


def run_transcript(text: str, qpid_config: Tool, nodes: dict[str, str], folder: Path) -> None:
    """Run each ``$ command`` of a console block and compare what it prints (stdout, then
    stderr) with the lines under it; ``cat FILE`` and ``echo $?`` as a shell would."""
    steps = re.split(r"^\$ ", text, flags=re.MULTILINE)[1:]
    status = 0
    for step in steps:
        command, _, expected = step.partition("\n")
        words = shlex.split(command)
        if words[0] == "cat":
            printed = (folder / words[1]).read_text()
        elif words == ["echo", "$?"]:
            printed = f"{status}\n"
        else:
            assert words[0] == "qpid-config", command
            arguments = [nodes.get(word, word) for word in words[1:]]
            if "-b" not in arguments:
                arguments = ["-b", nodes["node1"], *arguments]
            arguments = [str(folder / a) if a.endswith(".yaml") else a for a in arguments]
            outcome = qpid_config(*arguments)
            status, printed = outcome.code, outcome.out + outcome.err
        assert printed == expected, command


def block(language: str, containing: str) -> str:
    return next(text for lang, text in BLOCKS if lang == language and containing in text)


def test_idempotent_commands(qpid_config: Tool, broker_no_ha: Any, tmp_path: Path) -> None:
    transcript = block("console", "--if-not-exists")
    run_transcript(transcript, qpid_config, {"node1": str(broker_no_ha.address)}, tmp_path)


def test_worked_example(qpid_config: Tool, broker_pair: Any, tmp_path: Path) -> None:
    nodes = {"node1": str(broker_pair[0].address), "node2": str(broker_pair[1].address)}
    for line in block("sh", "add exchange topic orders.x").splitlines():
        words = [nodes.get(word, word) for word in shlex.split(line)[1:]]
        assert qpid_config(*words).code == 0, line
    run_transcript(block("console", "export -o mq.yaml"), qpid_config, nodes, tmp_path)
    (tmp_path / "mq.yaml").write_text(block("yaml", "returns"))
    run_transcript(block("console", "-b node2 apply"), qpid_config, nodes, tmp_path)


@pytest.mark.fresh_broker  # applies the README's configuration to the broker
def test_the_library_example_runs(broker: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mq.yaml").write_text(block("yaml", "returns"))
    code = block("python", "broker.plan(wanted)").replace('"node2"', repr(str(broker.address)))
    exec(compile(code, "README.md", "exec"), {})
