"""Shell completion: commands, options, fixed values and live names; in-process and in shells."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from qpidtools import Broker, ConnectionSettings, parse_address
from qpidtools.cli.completion import BUDGET, BashComplete
from qpidtools.generate import ROOT, render, targets, tools
from qpidtools.model import EXCHANGE_TYPES, HA_STATUSES, LIMIT_POLICIES, REPLICATE_LEVELS

#: On an external broker (QPIDTOOLS_TEST_BROKER) its broker tests would not hold:
#: they offer every queue and exchange name the broker has.
pytestmark = pytest.mark.fresh_broker

SCRIPTS = [path for path in targets() if path.parent.name == "completions"]
BIN = Path(sys.executable).parent
QUEUES = ("orders", "orders.eu", "payments")
EXCHANGES = ("events", "events.audit")


def offered(line: str, **env: str) -> list[str]:
    """What TAB offers at the end of ``line``, asked in-process as the bash script asks."""
    prog = line.split()[0]
    with mock.patch.dict(os.environ, {"COMP_LINE": line, **env}):
        completer = BashComplete(tools()[prog], {}, prog, "_COMPLETE")
        args, incomplete = completer.get_completion_args()
        return [str(item.value) for item in completer.get_completions(args, incomplete)]


def complete_in_subprocess(line: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The tool's executable answering one TAB, as the generated bash script calls it."""
    prog = line.split()[0]
    variable = f"_{prog.replace('-', '_').upper()}_COMPLETE"
    return subprocess.run(
        [str(BIN / prog)],
        env={**os.environ, "COMP_LINE": line, variable: "bash_complete", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def names(broker: Any) -> str:
    """A broker double with known queues and exchanges; returns its address."""
    settings = ConnectionSettings(parse_address(broker.address), timeout=5)
    with Broker.connect(settings) as client:
        for queue in QUEUES:
            client.add_queue(queue, {})
        for exchange in EXCHANGES:
            client.add_exchange("topic", exchange, {})
    return str(broker.address)


@pytest.fixture
def no_broker(closed_port: int) -> str:
    """An address where nothing listens."""
    return f"127.0.0.1:{closed_port}"


@pytest.fixture
def silent_broker(silent_port: int) -> str:
    """An address that accepts connections and never says a word."""
    return f"127.0.0.1:{silent_port}"


@pytest.mark.parametrize("path", sorted(SCRIPTS), ids=str)
def test_committed_script_is_current(path: Path) -> None:
    committed = ROOT / path
    assert committed.is_file() and committed.read_text() == render(path), (
        f"{path} is stale: run python -m qpidtools.generate"
    )


def test_commands_and_options() -> None:
    assert {"queues", "exchanges", "add", "del", "bind", "unbind", "list"} <= set(
        offered("qpid-config ")
    )
    assert {"ping", "status", "query", "replicate"} <= set(offered("qpid-ha "))
    assert {"--broker", "--json", "--profile"} <= set(offered("qpid-config queues --"))
    assert offered("qpid-ha sta") == ["status"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("qpid-config add exchange ", EXCHANGE_TYPES),
        ("qpid-config add queue q --limit-policy ", LIMIT_POLICIES),
        ("qpid-config add queue q --replicate ", REPLICATE_LEVELS),
        ("qpid-config add exchange topic e --replicate ", REPLICATE_LEVELS),
        ("qpid-ha status --expect ", HA_STATUSES),
        ("qpid-ha -b localhost:5672 status --expect ", HA_STATUSES),
        ("qpid-config list ", ("queue", "exchange", "binding", "connection", "link")),
        ("qpid-config log ", ("info+", "debug+", "trace+")),
        ("qpid-config export --format ", ("yaml", "json")),
    ],
)
def test_fixed_values(line: str, expected: tuple[str, ...]) -> None:
    assert set(expected) <= set(offered(line))


def test_fixed_values_complete_without_proton_or_rich() -> None:
    probe = (
        "import os, sys\n"
        "from tests.test_completion import offered\n"
        "assert 'ring' in offered('qpid-config add queue q --limit-policy r')\n"
        "assert 'topic' in offered('qpid-config add exchange t')\n"
        "assert 'ready' in offered('qpid-ha status --expect r')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('proton', 'rich')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_executable_answers_the_script_protocol() -> None:
    result = complete_in_subprocess("qpid-ha status --expect re", COMP_WORDBREAKS=" :=")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == ["plain,ready", "plain,recovering"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("qpid-config -b {b} del queue ", QUEUES),
        ("qpid-config del queue -b {b} ord", ("orders", "orders.eu")),
        ("qpid-config -b {b} queues ", QUEUES),
        ("qpid-config -b {b} del exchange ", (*EXCHANGES, "amq.direct")),
        ("qpid-config -b {b} exchanges ev", EXCHANGES),
        ("qpid-config -b {b} bind ", EXCHANGES),
        ("qpid-config -b {b} bind events ", QUEUES),
        ("qpid-config -b {b} unbind events ", QUEUES),
        ("qpid-config -b {b} add queue q --alternate-exchange ", EXCHANGES),
        ("qpid-config -b {b} add queue q --alternate-exchange=ev", EXCHANGES),
        ("qpid-ha -b {b} replicate remote:5672 ", QUEUES),
    ],
)
def test_live_names_from_the_broker_on_the_line(
    names: str, line: str, expected: tuple[str, ...]
) -> None:
    found = offered(line.format(b=names))
    assert set(expected) <= set(found)
    incomplete = line.rsplit(" ", 1)[-1].rpartition("=")[2]
    assert all(name.startswith(incomplete) for name in found)


def test_live_names_from_the_default_broker(names: str) -> None:
    assert set(QUEUES) <= set(offered("qpid-config del queue ", QPIDTOOLS_BROKER=names))


def test_live_names_exclude_the_completions_own_reply_queue(names: str) -> None:
    first = offered(f"qpid-config -b {names} queues ")
    assert first == offered(f"qpid-config -b {names} queues ") == sorted(first)


def test_colons_in_names_are_trimmed_as_bash_replaces_them(names: str) -> None:
    settings = ConnectionSettings(parse_address(names), timeout=5)
    with Broker.connect(settings) as client:
        client.add_queue("tenant:a:orders", {})
    line = f"qpid-config -b {names} del queue tenant:a:o"
    assert offered(line, COMP_WORDBREAKS=" :=") == ["orders"]
    assert offered(line) == ["tenant:a:orders"]


def test_names_with_control_characters_are_not_offered(names: str) -> None:
    """The shell would print them raw when it lists the candidates."""
    settings = ConnectionSettings(parse_address(names), timeout=5)
    with Broker.connect(settings) as client:
        client.add_queue("orders\x1b[2J", {})
    assert offered(f"qpid-config -b {names} del queue ord") == ["orders", "orders.eu"]


@pytest.mark.parametrize("address", ["no_broker", "silent_broker"])
def test_unreachable_broker_gives_nothing_quickly_and_quietly(
    address: str, request: pytest.FixtureRequest
) -> None:
    where = request.getfixturevalue(address)
    started = time.monotonic()
    result = complete_in_subprocess(f"qpid-config -b {where} del queue ")
    elapsed = time.monotonic() - started
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "", "")
    startup = 1.5  # the interpreter and the tool's imports, generously
    assert elapsed < BUDGET + startup


# -- real shells -----------------------------------------------------------------------------


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


def _run_shell(argv: list[str], script: str) -> list[str]:
    result = subprocess.run(
        [*argv, script],
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout.splitlines()


def in_bash(line: str) -> list[str]:
    """``line`` completed by bash with the committed script sourced, as bash would call it."""
    prog = line.split()[0]
    script = f"""
        source {ROOT / "completions" / f"{prog}.bash"}
        COMP_LINE='{line}'
        COMP_POINT=${{#COMP_LINE}}
        read -ra COMP_WORDS <<< "${{COMP_LINE//:/ : }}"
        COMP_CWORD=${{#COMP_WORDS[@]}}
        _{prog.replace("-", "_")}_completion {prog}
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    return _run_shell([_shell("bash"), "--norc", "--noprofile", "-c"], script)


def in_zsh(line: str) -> list[str]:
    """``line`` completed by zsh's script, with compadd/_describe printing what they get."""
    prog = line.split()[0]
    script = f"""
        autoload -U compinit && compinit -u -D
        source {ROOT / "completions" / f"{prog}.zsh"}
        compadd() {{ print -rl -- "${{(@P)${{@[-1]}}}}" }}
        _describe() {{ local -a items=("${{(@P)3}}"); print -rl -- "${{items[@]%%:*}}" }}
        words=(${{(z)${{:-'{line}'}}}} '')
        CURRENT=${{#words}}
        _{prog.replace("-", "_")}_completion
    """
    return _run_shell([_shell("zsh"), "-f", "-c"], script)


def in_fish(line: str) -> list[str]:
    """``line`` completed by fish itself (``complete -C``) with the script sourced."""
    prog = line.split()[0]
    script = f"""
        source {ROOT / "completions" / f"{prog}.fish"}
        complete -C '{line}'
    """
    return [row.split("\t")[0] for row in _run_shell([_shell("fish"), "--no-config", "-c"], script)]


SHELL_RUNNERS = {"bash": in_bash, "zsh": in_zsh, "fish": in_fish}


@pytest.mark.parametrize("shell", sorted(SHELL_RUNNERS))
def test_real_shell_completes_fixed_values(shell: str) -> None:
    found = SHELL_RUNNERS[shell]("qpid-ha -b localhost:5672 status --expect ")
    assert set(HA_STATUSES) <= set(found)


@pytest.mark.parametrize("shell", sorted(SHELL_RUNNERS))
def test_real_shell_completes_queue_names(shell: str, names: str) -> None:
    found = SHELL_RUNNERS[shell](f"qpid-config -b {names} del queue ")
    assert set(QUEUES) <= set(found)


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("qpid-ha status --expect re", 3, ["plain,ready", "plain,recovering"]),
        ("qpid-config add exchange", 3, [f"plain,{kind}" for kind in EXCHANGE_TYPES]),
        (
            "qpid-config add queue q --limit-policy r",
            5,
            ["plain,reject", "plain,ring", "plain,ring-strict"],
        ),
    ],
)
def test_stock_click_bash_protocol_without_comp_line(
    words: str, cword: int, expected: list[str]
) -> None:
    """Exactly what Click's own bash script sends: COMP_WORDS and COMP_CWORD, no COMP_LINE."""
    prog = words.split()[0]
    variable = f"_{prog.replace('-', '_').upper()}_COMPLETE"
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMP_")}
    env.update({"COMP_WORDS": words, "COMP_CWORD": str(cword), variable: "bash_complete"})
    result = subprocess.run(
        [str(BIN / prog)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == expected
