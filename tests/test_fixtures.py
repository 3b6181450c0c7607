"""The broker fixtures' real-qpidd path, exercised with a stand-in qpidd (no qpidd needed)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

FAKE_QPIDD = Path(__file__).with_name("fake_qpidd.py")


@pytest.fixture
def fake_qpidd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make the fixtures start tests/fake_qpidd.py as their qpidd."""
    executable = tmp_path / "bin" / "qpidd"
    executable.parent.mkdir()
    executable.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_QPIDD}" "$@"\n')
    executable.chmod(0o755)
    for variable in ("QPIDTOOLS_TEST_BROKER", "QPIDTOOLS_TEST_IMAGE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("QPIDD", str(executable))


@pytest.mark.usefixtures("fake_qpidd")
def test_every_real_broker_of_a_test_has_its_own_data_dir_and_port(
    broker: Any, broker_no_ha: Any, broker_pair: Any, ha_cluster: Any
) -> None:
    """All four fixtures in one test: seven qpidd processes, none sharing a directory or port.

    The fake locks its data directory as qpidd does, so a shared one stops a broker at start-up.
    """
    started = [broker, broker_no_ha, *broker_pair, *ha_cluster.members]
    assert {b.kind for b in started} == {"qpidd"}
    assert len({b.data_dir for b in started}) == len({b.port for b in started}) == 7
    for b in started:
        argv = (b.data_dir / "argv").read_text().split("\n")
        assert argv[argv.index("--data-dir") + 1] == str(b.data_dir)
        assert argv[argv.index("--port") + 1] == str(b.port)
    assert [b.port for b in ha_cluster.members] == [
        int(member.rpartition(":")[2]) for member in ha_cluster.brokers_url.split(",")
    ]
