"""qpid-printevents end to end: the classic transcripts, and what the classic tool lacked.

The tool runs as a process through the ``broker`` fixtures (the double, or a real qpidd); the
broker actions of each transcript's timeline are repeated with the library and the printed
lines compared with the transcript's (see :mod:`printevents_run` for what is left out).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from capture_files import classic
from printevents_run import PrintEvents, normalized, without_amqp010_clients

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.cli import printevents
from qpidtools.cli.common import run
from qpidtools.testing import BrokerDouble, send_messages, wait_for
from qpidtools.transport import ConnectionSettings

#: On an external broker (QPIDTOOLS_TEST_BROKER) its broker tests would not hold:
#: they compare every event the broker raises.
pytestmark = pytest.mark.fresh_broker


@contextmanager
def broker_client(address: str) -> Iterator[Broker]:
    """A QMF connection opened before the tool starts, as the recorder held one."""
    with Broker.connect(ConnectionSettings(parse_address(address))) as client:
        yield client


@contextmanager
def printing(*args: str) -> Iterator[PrintEvents]:
    tool = PrintEvents(*args)
    try:
        yield tool
    finally:
        tool.kill()


A = {"5672": "A"}


def expected(case: str, roles: dict[str, str] | None = None) -> list[str]:
    return normalized(without_amqp010_clients(classic(case)["stdout"]), roles)


def test_classic_session(broker) -> None:  # type: ignore[no-untyped-def]
    """The transcript ``qpid-printevents``: queue, exchange, binding, thresholds, ACL, clean-up.

    Its qpid-send and qpid-receive (AMQP 0-10) steps are replaced by a purge of the queue,
    which crosses the same downward threshold at the same depth.
    """
    with broker_client(broker.address) as client, printing(broker.address) as tool:
        tool.wait_connected()
        client.add_queue("pe-q", {"qpid.alert_count": 2})
        client.add_exchange("fanout", "pe-x", {})
        client.bind("pe-x", "pe-q", "pe-k")
        send_messages(broker.address, "pe-q", 3)
        client.qmf.call("org.apache.qpid.broker:queue:pe-q", "purge", {"request": 0})
        with pytest.raises(Exception, match="Unable to open ACL file"):
            client.reload_acl()
        client.unbind("pe-x", "pe-q", "pe-k")
        client.delete_exchange("pe-x")
        client.delete_queue("pe-q", if_empty=False, if_unused=False)
        tool.wait_line(lambda line: "queueDelete" in line, "queueDelete")
        done = tool.stop()
    assert done.code == 0
    assert done.err == ""
    port = broker.address.rsplit(":", 1)[1]
    ours = normalized(done.out, {port: "A"})
    assert ours[0] == "<time> NOTIC qpid-printevents:brokerConnected broker=127.0.0.1:<A>"
    wanted = expected("qpid-printevents", {"5672": "A"})
    assert ours[1:] == wanted[1:]
    assert done.out.endswith("\n\n")  # Ctrl-C: an empty line, as classic


@pytest.mark.parametrize(
    "case", ["qpid-printevents-default-broker", "qpid-printevents-heartbeats-option"]
)
def test_default_broker_and_heartbeats(broker, monkeypatch, case: str) -> None:  # type: ignore[no-untyped-def]
    """No broker on the line: the default ($QPIDTOOLS_BROKER here, localhost by default)."""
    monkeypatch.setenv("QPIDTOOLS_BROKER", broker.address)
    argv = ["--heartbeats"] if "heartbeats" in case else []
    with broker_client(broker.address) as client, printing(*argv) as tool:
        tool.wait_connected()
        client.add_queue("pe-simple", {})
        client.delete_queue("pe-simple")
        tool.wait_line(lambda line: "queueDelete" in line, "queueDelete")
        done = tool.stop()
    port = broker.address.rsplit(":", 1)[1]
    ours = normalized(done.out, {port: "A"})
    assert ours[1:] == expected(case, {"5672": "A"})[1:]
    assert (done.code, done.err) == (0, "")


def test_two_brokers(broker_pair) -> None:  # type: ignore[no-untyped-def]
    """One receiver per broker; the lines interleave, each broker's in its own order."""
    a, b = broker_pair
    with (
        broker_client(a.address) as on_a,
        broker_client(b.address) as on_b,
        printing(a.address, b.address) as tool,
    ):
        tool.wait_connected(2)
        on_a.add_queue("pe-on-a", {})
        on_b.add_queue("pe-on-b", {})
        on_a.delete_queue("pe-on-a")
        on_b.delete_queue("pe-on-b")
        tool.wait_line(lambda line: "queueDelete" in line, "queueDelete", 2)
        done = tool.stop()
    roles = {a.address.rsplit(":", 1)[1]: "A", b.address.rsplit(":", 1)[1]: "B"}
    wanted = expected("qpid-printevents-two-brokers", {"5672": "A", "5673": "B"})
    ours = [
        line.replace("broker=127.0.0.1:", "broker=localhost:")
        for line in normalized(done.out, roles)
    ]
    for role in "AB":
        assert [line for line in ours if f"<{role}>" in line] == [
            line for line in wanted if f"<{role}>" in line
        ]
    assert sorted(ours) == sorted(wanted)


def test_sigterm_ends_it_as_classic_with_lines_flushed(broker) -> None:  # type: ignore[no-untyped-def]
    with broker_client(broker.address) as client, printing(broker.address) as tool:
        tool.wait_connected()
        client.add_queue("pe-simple", {})
        client.delete_queue("pe-simple")
        tool.wait_line(lambda line: "queueDelete" in line, "queueDelete")
        done = tool.stop(signal.SIGTERM)
    assert done.code == -signal.SIGTERM
    port = broker.address.rsplit(":", 1)[1]
    assert normalized(done.out, {port: "A"})[1:] == expected("qpid-printevents-sigterm", A)[1:]
    assert not done.out.endswith("\n\n")


def test_unreachable_broker_prints_nothing(closed_port: int) -> None:
    with printing(f"127.0.0.1:{closed_port}") as tool:
        tool.wait_running()
        done = tool.stop()
    assert (done.code, done.out, done.err) == (
        0,
        classic("qpid-printevents-broker-down")["stdout"],
        "",
    )


def test_broker_restart_is_reported_and_reconnected() -> None:
    """The transcript ``qpid-printevents-broker-restart``: a broker stopped and started again
    on its port gives brokerDisconnected and brokerConnected, plus one line on stderr."""
    port = BrokerDouble.free_port()
    double = BrokerDouble(ha=None, port=port)
    try:
        with printing(double.address) as tool:
            tool.wait_connected()
            double.stop()
            tool.wait_line(lambda line: "brokerDisconnected" in line, "brokerDisconnected")
            double = BrokerDouble(ha=None, port=port)
            tool.wait_connected(2)
            done = tool.stop()
    finally:
        double.stop()
    ours = [
        line.replace("broker=127.0.0.1:", "broker=localhost:")
        for line in normalized(done.out, {str(port): "P"})
    ]
    assert ours == expected("qpid-printevents-broker-restart", {"5674": "P"})
    assert done.code == 0
    (warning,) = done.err.splitlines()
    assert warning.startswith(
        f"qpid-printevents: warning: lost the connection to 127.0.0.1:{port} ("
    )
    assert warning.endswith("); reconnecting")


def events_json(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_json_count_and_class_filter(broker) -> None:  # type: ignore[no-untyped-def]
    """--json --class --count: exits 0 by itself after N matching events, one JSON line each;
    the tool's own subscription is not one of them."""
    with (
        broker_client(broker.address) as client,
        printing(broker.address, "--json", "--class", "queueDeclare", "--count", "2") as tool,
    ):
        tool.wait_running()
        wait_for(lambda: any(q.name.endswith("qmf.default.topic") for q in client.queues()))
        client.add_queue("j1", {"qpid.alert_count": 5, "durable": True})
        client.add_exchange("direct", "jx", {})
        client.add_queue("j2", {})
        code = tool.process.wait(timeout=20)
        client.delete_queue("j1")
        client.delete_queue("j2")
        client.delete_exchange("jx")
    (first, second) = events_json("".join(tool.lines))
    assert code == 0
    assert set(first) == {"broker", "timestamp", "package", "class", "severity", "arguments"}
    assert first["broker"] == broker.address
    assert (first["package"], first["class"], first["severity"]) == (
        "org.apache.qpid.broker", "queueDeclare", "info",
    )  # fmt: skip
    assert datetime.fromisoformat(first["timestamp"]).utcoffset() == timedelta(0)
    arguments = first["arguments"]
    assert arguments["qName"] == "j1"
    assert arguments["durable"] is True
    assert arguments["args"] == {"qpid.alert_count": 5}
    assert arguments["disp"] == "created"
    assert second["arguments"]["qName"] == "j2"


def test_severity_filter_and_timeout(broker) -> None:  # type: ignore[no-untyped-def]
    """--severity warn sees only the threshold warning; --timeout ends a quiet wait with exit 1."""
    with (
        broker_client(broker.address) as client,
        printing(broker.address, "--severity", "warn", "--timeout", "30") as tool,
    ):
        tool.wait_running()
        wait_for(lambda: any(q.name.endswith("qmf.default.topic") for q in client.queues()))
        client.add_queue("sev-q", {"qpid.alert_count": 1})
        send_messages(broker.address, "sev-q", 1)
        tool.wait_line(lambda line: "queueThresholdExceeded" in line, "the warning")
        client.delete_queue("sev-q", if_empty=False)
        done = tool.stop()
    assert done.code == 0
    assert normalized(done.out, {broker.address.rsplit(":", 1)[1]: "A"}) == [
        "<time> NOTIC qpid-printevents:brokerConnected broker=127.0.0.1:<A>",
        "<time> org.apache.qpid.broker:queueThresholdExceeded byteDepth=<n> msgDepth=1 qName=sev-q",
        "",
    ]
    with printing(broker.address, "--timeout", "0.5") as tool:
        code = tool.process.wait(timeout=20)
        wait_for(lambda: tool.errors, what="the error")
    assert code == 1
    assert tool.errors == ["qpid-printevents: error: no event arrived within 0.5 s\n"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "No such option '--bogus'"),
        (
            ["--ssl-key", "k.pem", "localhost:5672"],
            "missing '--ssl-certificate' (required by '--ssl-key')",
        ),
        (["--severity", "loud"], "Invalid value for '--severity'"),
        (["--count", "0"], "Invalid value for '--count'"),
        (["--timeout", "0"], "Invalid value for '--timeout'"),
        (["host:notaport"], "host:notaport"),
    ],
)
def test_usage_errors_exit_2_before_connecting(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(printevents.cli, "qpid-printevents", argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("qpid-printevents: error: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert classic("qpid-printevents-help")["exit_code"] == 0
    assert run(printevents.cli, "qpid-printevents", ["--help"]) == 0
    out = capsys.readouterr().out
    assert "Collect and print events from one or more Qpid message brokers." in out
    for option in ("--heartbeats", "--sasl-mechanism", "--ssl-certificate", "--ha-admin"):
        assert option in out


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        ("qpid-printevents --severity w", ["warn"]),
        ("qpid-printevents --class queueThreshold", [
            "queueThresholdCrossedDownward", "queueThresholdCrossedUpward",
            "queueThresholdExceeded",
        ]),
    ],
)  # fmt: skip
def test_completion_of_severities_and_event_classes(line: str, wanted: list[str]) -> None:
    from test_completion import offered

    assert offered(line) == wanted


def test_failed_login_is_reported_once_without_the_password(broker) -> None:  # type: ignore[no-untyped-def]
    """A failure other than a refused connection is said on stderr, once, password masked."""
    if broker.is_real:
        pytest.skip("the double offers only ANONYMOUS; a real broker's SASL set-up varies")
    # PLAIN only, which the double does not offer: the same failure at every attempt.
    address = f"fed/s3cret@{broker.address}"
    with printing(address, "--sasl-mechanism", "PLAIN") as tool:
        wait_for(lambda: tool.errors, what="the warning")
        done = tool.stop()
    (warning,) = done.err.splitlines()
    assert warning.startswith("qpid-printevents: warning: ")
    assert warning.endswith("; retrying")
    assert "s3cret" not in done.err + done.out
    assert (done.code, done.out) == (0, "\n")


def test_link_up_and_down(broker_pair) -> None:  # type: ignore[no-untyped-def]
    """The transcript ``qpid-printevents-link-up-down``: a link from A to P, P stopped, the
    link deleted (P is the pair's second broker)."""
    a, p = broker_pair
    with broker_client(a.address) as client, printing(a.address) as tool:
        tool.wait_connected()
        host, port = p.address.rsplit(":", 1)
        properties = {"host": host, "port": int(port)}
        client.create("link", "pe-link", properties)
        tool.wait_line(lambda line: "brokerLinkUp" in line, "brokerLinkUp")
        p.stop()
        tool.wait_line(lambda line: "brokerLinkDown" in line, "brokerLinkDown")
        client.delete("link", "pe-link")
        tool.wait_line(lambda line: "exchangeDelete" in line, "exchangeDelete")
        done = tool.stop()
    roles = {a.address.rsplit(":", 1)[1]: "A", port: "P"}
    ours = normalized(done.out, roles)
    wanted = expected("qpid-printevents-link-up-down", {"5672": "A", "5674": "P"})
    # While P was shutting down, the recorded qpidd got the link up once more and lost it again
    # in the same second; the double's link goes down once. How often a real qpidd does it
    # depends on timing: the link's lines must alternate up and down, the others match.
    up, down = "brokerLinkUp rhost=127.0.0.1:<P>", "brokerLinkDown rhost=127.0.0.1:<P>"
    assert [line.partition("broker:")[2] for line in wanted[2:6]] == [up, down, up, down]
    link_lines = [line.partition("broker:")[2] for line in ours if "brokerLink" in line]
    assert link_lines and link_lines == [up, down] * (len(link_lines) // 2)
    assert [line for line in ours[1:] if "brokerLink" not in line] == wanted[1:2] + wanted[6:]


def test_ha_admin_reaches_a_backup(ha_cluster) -> None:  # type: ignore[no-untyped-def]
    """An HA member that is not primary refuses other clients: --ha-admin gets through;
    without it the refusal is said on stderr and the tool keeps trying."""
    backup = ha_cluster.addresses[0]  # nobody was promoted: every member refuses plain clients
    with printing(backup, "--ha-admin") as tool:
        tool.wait_connected()
        admitted = tool.stop()
    assert admitted.code == 0
    assert "brokerConnected" in admitted.out
    with printing(backup) as tool:
        wait_for(lambda: tool.errors, what="the refusal")
        refused = tool.stop()
    assert refused.out == "\n"
    assert "--ha-admin" in refused.err
    assert refused.err.endswith("; retrying\n")


def test_tls_broker_verified_with_the_given_ca(tmp_path_factory: pytest.TempPathFactory) -> None:
    """amqps:// with --ssl-trustfile: the broker is verified as by the other tools; a CA that
    did not sign its certificate is a failure on stderr, retried."""
    from tls_certs import make_certificates, openssl

    from qpidtools.testing import TlsFiles

    if openssl() is None:
        pytest.skip("needs the openssl command to make certificates")
    certs = make_certificates(tmp_path_factory.mktemp("tls"))
    with BrokerDouble(tls=TlsFiles(certs.server.cert, certs.server.key)) as double:
        with printing(double.url, "--ssl-trustfile", certs.ca.cert) as tool:
            tool.wait_connected()
            verified = tool.stop()
        with printing(double.url, "--ssl-trustfile", certs.wrong_ca.cert) as tool:
            wait_for(lambda: tool.errors, what="the verification failure")
            refused = tool.stop()
    assert "brokerConnected broker=amqps://127.0.0.1:" in verified.out
    assert refused.out == "\n"
    assert "TLS verification of the broker at 127.0.0.1:" in refused.err
