"""Run the CLIs in-process, as a user would from a shell, and capture what they print;
loopback ports that refuse or never answer."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from qpidtools.cli import config, ha, route
from qpidtools.cli.common import run
from qpidtools.testing import BrokerDouble


@dataclass(frozen=True)
class Outcome:
    """Exit status and output of one run of a tool."""

    code: int
    out: str
    err: str


Tool = Callable[..., Outcome]


def _tool(command: click.Command, prog: str, capsys: pytest.CaptureFixture[str]) -> Tool:
    def invoke(*args: str) -> Outcome:
        capsys.readouterr()
        code = run(command, prog, list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def qpid_config(capsys: pytest.CaptureFixture[str]) -> Tool:
    """``qpid_config("-b", addr, "queues")`` runs qpid-config and returns its Outcome."""
    return _tool(config.cli, "qpid-config", capsys)


@pytest.fixture
def qpid_ha(capsys: pytest.CaptureFixture[str]) -> Tool:
    """``qpid_ha("status", "-b", addr)`` runs qpid-ha and returns its Outcome."""
    return _tool(ha.cli, "qpid-ha", capsys)


@pytest.fixture
def qpid_route(capsys: pytest.CaptureFixture[str]) -> Tool:
    """``qpid_route("link", "list", addr)`` runs qpid-route and returns its Outcome."""
    return _tool(route.cli, "qpid-route", capsys)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No settings from the developer's environment; returns the config file, in ``tmp_path``.

    Autouse: a ``QPIDTOOLS_BROKER``, a profile in ``~/.config``, ``NO_COLOR`` or a ``QPID_PORT``
    (read by ``qpid-ha --config``) must not change what any test sees, in-process or in the
    tools it starts. The fixtures' own ``QPIDTOOLS_TEST_*`` and ``QPIDD`` stay.
    """
    for variable in (
        "QPIDTOOLS_BROKER",
        "QPIDTOOLS_PROFILE",
        "QPIDTOOLS_USER",
        "QPIDTOOLS_PASSWORD",
        "NO_COLOR",
        *(name for name in os.environ if name.startswith("QPID_")),
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "qpidtools" / "config.toml"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused."""
    return BrokerDouble.free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (into its backlog) and never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]
