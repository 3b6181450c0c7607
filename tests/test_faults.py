"""A broker that is slow, killed, frozen or closes on us (issue 7, items 1, 7, 8 and 9).

Brokers to kill or freeze run in processes of their own (`broker_process`: a real qpidd when one
is configured, else the double in a child process); the tools run as processes too, as a user
or a cluster manager would run them. No test measures time: a lost broker is tested with
``--timeout 0`` (wait forever), so only noticing the loss can end the command, and the
``COMMAND_LIMIT_S`` guard only keeps a broken build from hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import Tool

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.testing import BrokerDouble
from qpidtools.testing.plugin import BrokerHandle, BrokerProcess
from qpidtools.transport import ConnectionSettings

COMMAND_LIMIT_S = 120
PAGE = 100  # objects per reply message, as qpidd pages a query
BIN = Path(sys.executable).parent
StartBroker = Callable[..., BrokerProcess]


def add_queues(address: str, names: Sequence[str]) -> None:
    with Broker.connect(ConnectionSettings(parse_address(address), timeout=60)) as broker:
        for name in names:
            broker.add_queue(name, {})


def start(tool: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / tool), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=COMMAND_LIMIT_S)
    return process.returncode, out, err


def one_error_line(err: str, prog: str = "qpid-config") -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), err
    return lines[0].removeprefix(f"{prog}: error: ")


# -- item 1: the timeout is the broker's silence, not the length of the reply ------------------


def test_a_listing_slower_than_the_timeout_succeeds_while_pages_keep_coming(
    qpid_config: Tool,
) -> None:
    """Six pages 0.5 s apart (2.5 s in all) with --timeout 2: each page comes in time."""
    with BrokerDouble(chaos="slow-pages=0.5") as double:
        names = [f"slow-{n:04}" for n in range(5 * PAGE + 50)]
        add_queues(double.address, names)
        outcome = qpid_config("-b", double.address, "-t", "2", "queues", "slow-")
    assert outcome.code == 0, outcome.err
    listed = [line.split()[0] for line in outcome.out.splitlines()[2:]]
    assert listed == names


def test_a_listing_that_stops_between_pages_times_out_and_prints_nothing(
    qpid_config: Tool,
) -> None:
    with BrokerDouble(chaos="hold-pages") as double:
        add_queues(double.address, [f"held-{n:03}" for n in range(PAGE + 50)])
        outcome = qpid_config("-b", double.address, "-t", "2", "queues")
    assert (outcome.code, outcome.out) == (1, "")
    assert one_error_line(outcome.err) == f"no reply from the broker at {double.address} for 2 s"


# -- item 7: the broker killed in the middle of a command ---------------------------------------


def test_a_listing_cut_short_by_a_killed_broker_exits_1_and_prints_nothing(
    broker_process: StartBroker,
) -> None:
    broker = broker_process("hold-pages")
    add_queues(broker.address, [f"cut-{n:03}" for n in range(PAGE + 50)])
    listing = start("qpid-config", "-b", broker.address, "-t", "0", "queues")
    broker.wait_for_output("held reply message 2")
    broker.kill()
    code, out, err = finish(listing)
    assert (code, out) == (1, "")
    assert one_error_line(err) == f"lost the connection to the broker at {broker.address}"


@pytest.mark.real_broker
def test_a_real_broker_killed_during_a_long_listing_never_gives_a_partial_table(
    broker_process: StartBroker,
) -> None:
    """Where the kill lands is up to the scheduler: complete and exit 0, or nothing and 1."""
    broker = broker_process()
    names = [f"cut-{n:05}" for n in range(5000)]
    add_queues(broker.address, names)
    listing = start("qpid-config", "-b", broker.address, "-t", "0", "queues", "cut-")
    broker.kill()
    code, out, err = finish(listing)
    if code == 0:
        assert len(out.splitlines()) == 2 + len(names)
    else:
        assert (code, out) == (1, "")
        one_error_line(err)


def unanswered_change(
    broker_process: StartBroker, fault: Callable[[BrokerProcess], None], tool: str, *args: str
) -> tuple[str, str]:
    """Run a change on a broker that holds its reply, ``fault`` the broker, return the error."""
    broker = broker_process("hold-replies")
    change = start(tool, "-b", broker.address, *args)
    broker.wait_for_output("held reply message 1")
    fault(broker)
    code, out, err = finish(change)
    assert (code, out) == (1, "")
    return broker.address, one_error_line(err, tool)


def test_a_change_cut_short_by_a_killed_broker_has_an_unknown_outcome(
    broker_process: StartBroker,
) -> None:
    args = ("-t", "0", "add", "queue", "q1")
    address, error = unanswered_change(broker_process, BrokerProcess.kill, "qpid-config", *args)
    assert error == (
        f"lost the connection to the broker at {address}: the outcome of 'add queue q1' is unknown"
    )


def set_members(broker: BrokerHandle, members: Sequence[str]) -> None:
    with Broker.connect(ConnectionSettings(parse_address(broker.address))) as api:
        api.set_brokers_url("amqp:" + ",".join(f"tcp:{member}" for member in members))


def test_ha_status_all_shows_a_member_killed_during_the_command_as_its_error(
    broker: BrokerHandle, broker_process: StartBroker
) -> None:
    member = broker_process("hold-replies")
    set_members(broker, [broker.address, member.address])
    status = start("qpid-ha", "status", "--all", "-b", broker.address, "--timeout", "0")
    member.wait_for_output("held reply message 1")
    member.kill()
    code, out, err = finish(status)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{broker.address} standalone",
        f"{member.address} error: lost the connection to the broker at {member.address}",
    ]


@pytest.mark.parametrize("when", ["before", "during"])
def test_ha_status_all_shows_a_frozen_member_as_its_error(
    broker: BrokerHandle, broker_process: StartBroker, when: str
) -> None:
    member = broker_process("hold-replies" if when == "during" else None)
    set_members(broker, [broker.address, member.address])
    if when == "before":
        member.freeze()
    # Two seconds: the live broker, and in "during" the member, must answer even under load.
    status = start("qpid-ha", "status", "--all", "-b", broker.address, "--timeout", "2")
    if when == "during":
        member.wait_for_output("held reply message 1")
        member.freeze()
    code, out, err = finish(status)
    silence = {
        "before": f"timed out after 2 s waiting for the broker at {member.address}",
        "during": f"no reply from the broker at {member.address} for 2 s",
    }
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{broker.address} standalone",
        f"{member.address} error: {silence[when]}",
    ]


# -- item 8: the broker frozen before or during a command ---------------------------------------


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("qpid-config", ("queues",)),
        ("qpid-config", ("add", "queue", "q1")),
        ("qpid-ha", ("status",)),
    ],
)
def test_a_broker_frozen_before_the_command_times_out_connecting(
    broker_process: StartBroker, tool: str, args: tuple[str, ...]
) -> None:
    """Nothing was sent, so nothing is unknown: the broker is as it was."""
    broker = broker_process()
    broker.freeze()
    code, out, err = finish(start(tool, "-b", broker.address, "--timeout", "1", *args))
    assert (code, out) == (1, "")
    assert one_error_line(err, tool) == (
        f"timed out after 1 s waiting for the broker at {broker.address}"
    )


@pytest.mark.parametrize(
    ("tool", "args", "what"),
    [
        ("qpid-config", ("add", "queue", "q1"), "add queue q1"),
        ("qpid-config", ("del", "exchange", "amq.fanout"), "del exchange amq.fanout"),
        ("qpid-config", ("del", "queue", "q1", "--force"), "del queue q1"),
        ("qpid-config", ("log", "info+"), "log info+"),
        ("qpid-ha", ("promote", "--cluster-manager", "--force"), "promote"),
    ],
)
def test_a_change_whose_reply_never_came_has_an_unknown_outcome(
    broker_process: StartBroker, tool: str, args: tuple[str, ...], what: str
) -> None:
    """Two seconds of timeout: connecting must succeed first, even on a loaded machine."""
    freeze = BrokerProcess.freeze
    address, error = unanswered_change(broker_process, freeze, tool, "--timeout", "2", *args)
    assert error == (
        f"no reply from the broker at {address} for 2 s: the outcome of '{what}' is unknown"
    )


# -- item 9: the broker closes on us, or never speaks AMQP --------------------------------------


@pytest.mark.parametrize(
    ("chaos", "message"),
    [
        ("close-connection", "closed the connection: amqp:internal-error: Out of Bounds"),
        (
            "detach-link",
            "detached our management link: amqp:precondition-failed: "
            "illegal-argument: Not enough data for field table.",
        ),
    ],
)
def test_a_connection_or_link_closed_by_the_broker_is_one_line(
    qpid_config: Tool, chaos: str, message: str
) -> None:
    """As qpidd does on a malformed request (capture 071)."""
    with BrokerDouble(chaos=chaos) as double:
        outcome = qpid_config("-b", double.address, "queues")
    assert (outcome.code, outcome.out) == (1, "")
    assert one_error_line(outcome.err) == f"the broker at {double.address} {message}"


def test_a_listener_that_never_speaks_amqp_is_one_line(qpid_config: Tool, silent_port: int) -> None:
    """The TLS-versus-plain mix-ups are in test_tls.py (test_the_wrong_scheme_fails_fast)."""
    outcome = qpid_config("-b", f"127.0.0.1:{silent_port}", "-t", "0.5", "queues")
    assert (outcome.code, outcome.out) == (1, "")
    assert one_error_line(outcome.err) == (
        f"timed out after 0.5 s waiting for the broker at 127.0.0.1:{silent_port}"
    )
