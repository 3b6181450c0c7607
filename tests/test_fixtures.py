"""The broker fixtures' real-qpidd path, exercised with a stand-in qpidd (no qpidd needed)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qpidtools.testing import BrokerDouble, plugin, wait_for
from qpidtools.testing.plugin import BrokerProcess

FAKE_QPIDD = Path(__file__).with_name("fake_qpidd.py")


@pytest.fixture
def fake_qpidd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make the fixtures start tests/fake_qpidd.py as their qpidd."""
    executable = tmp_path / "bin" / "qpidd"
    executable.parent.mkdir()
    # Not exec: qpidd runs as a child of the script, as a wrapper may run it.
    executable.write_text(f'#!/bin/sh\n"{sys.executable}" "{FAKE_QPIDD}" "$@"\n')
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


@pytest.mark.usefixtures("fake_qpidd")
def test_a_port_taken_before_qpidd_binds_it_is_not_taken_for_ours(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another test's broker takes the chosen port first: the fixture must not connect to that
    one as if it were its qpidd, but start its qpidd again on another port."""
    with socket.create_server(("127.0.0.1", 0)) as someone_else:
        taken = someone_else.getsockname()[1]
        chosen = iter([taken])
        monkeypatch.setattr(plugin, "free_port", lambda: next(chosen, BrokerDouble.free_port()))
        with plugin.real_broker([], tmp_path) as started:
            assert started.port != taken
            assert started.port in plugin.listening_ports(started.process.pid)  # type: ignore[union-attr]


@pytest.mark.parametrize("fixture", ["broker_no_ha", "broker_pair", "ha_cluster", "broker_process"])
def test_an_external_broker_is_never_taken_for_one_the_test_may_start_or_kill(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, fixture: str
) -> None:
    monkeypatch.setenv("QPIDTOOLS_TEST_BROKER", "127.0.0.1:1")
    with pytest.raises(pytest.skip.Exception):
        request.getfixturevalue(fixture)


@pytest.mark.fresh_broker
def test_fresh_broker_tests_skip_on_an_external_broker_when_they_use_it(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Also where the fixture is asked for by name, as parametrized tests do."""
    monkeypatch.setenv("QPIDTOOLS_TEST_BROKER", "127.0.0.1:1")
    with pytest.raises(pytest.skip.Exception, match="started for this test"):
        request.getfixturevalue("broker")


@pytest.mark.usefixtures("fake_qpidd")
def test_a_qpidd_under_a_wrapper_script_is_frozen_and_stopped_with_it(
    broker_process: Callable[..., BrokerProcess],
) -> None:
    """$QPIDD may be a script that runs qpidd as its child: freeze, resume and kill reach it."""
    started = broker_process()
    family = plugin.process_family(started.process.pid)
    (qpidd,) = family - {started.process.pid}  # the fake, a child of the script
    started.freeze()
    wait_for(lambda: process_state(qpidd) == "T", what="qpidd stopped")
    started.resume()
    wait_for(lambda: process_state(qpidd) != "T", what="qpidd running again")
    started.freeze()
    started.kill()
    wait_for(lambda: process_state(qpidd) in ("", "Z"), what="qpidd gone")


def process_state(pid: int) -> str:
    """The state letter in /proc/PID/stat (T: stopped, Z: zombie), or "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return ""
