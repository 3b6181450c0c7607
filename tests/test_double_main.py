"""``python -m qpidtools.testing``: a newcomer starts a double and points the tools at it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from conftest import Tool

COMMAND = [sys.executable, "-m", "qpidtools.testing"]


@contextmanager
def running(*args: str) -> Iterator[list[str]]:
    """Start the double with ``args``; yield the lines it printed up to "Ctrl-C to stop"."""
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C to stop"):
                break
        yield lines
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0  # SIGTERM is a clean stop


def test_help_says_first_that_it_is_a_simulation() -> None:
    help_text = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, check=True)
    assert help_text.stdout.startswith(
        "A simulation of qpidd's management interface (QMF over AMQP 1.0), not a broker."
    )


def test_a_standalone_double_answers_both_tools(qpid_config: Tool, qpid_ha: Tool) -> None:
    with running() as lines:
        address = re.fullmatch(r"broker double listening on (127\.0\.0\.1:\d+)", lines[0])
        assert address is not None
        assert qpid_config("-b", address[1], "add", "queue", "tried").code == 0
        assert "tried" in qpid_config("-b", address[1], "queues", "tried").out
        assert qpid_ha("status", "-b", address[1]).out == "standalone\n"


def test_a_double_without_ha(qpid_ha: Tool) -> None:
    with running("--no-ha") as lines:
        address = lines[0].rsplit(" ", 1)[1]
        outcome = qpid_ha("status", "-b", address)
        assert (outcome.code, outcome.err) == (
            1,
            f"qpid-ha: error: HA module is not loaded on broker at {address}\n",
        )


def test_a_cluster_prints_its_members_and_brokers_url(qpid_ha: Tool) -> None:
    with running("--cluster", "2") as lines:
        members = [line.rsplit(" ", 1)[1] for line in lines if line.startswith("cluster member")]
        assert len(members) == 2
        assert lines[2] == f"brokers URL: amqp:tcp:{members[0]},tcp:{members[1]}"
        assert qpid_ha("status", "-b", members[0]).out == "joining\n"


def test_log_level_is_qpidds_default_unless_given(qpid_config: Tool) -> None:
    """A qpidd started without --log-enable reports notice+; the double too, unless told."""
    for args, level in (((), "notice+"), (("--log-enable", "info+"), "info+")):
        with running(*args) as lines:
            address = lines[0].rsplit(" ", 1)[1]
            assert qpid_config("-b", address, "log").out == f"Log level: {level}\n"


def test_doubles_of_one_process_federate(qpid_route: Tool, qpid_config: Tool) -> None:
    with running("--federation", "2") as lines:
        dest, src = (line.rsplit(" ", 1)[1] for line in lines[:2])
        for address in (dest, src):
            assert qpid_config("-b", address, "add", "exchange", "direct", "fed.x").code == 0
        assert qpid_route("-v", "route", "add", dest, src, "fed.x", "k1").out.startswith(
            "Link state is Operational\n"
        )
