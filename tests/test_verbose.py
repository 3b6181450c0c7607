"""``-v`` adds the broker's own error (code and text as sent) under the one-line error."""

from __future__ import annotations

from conftest import Tool

from qpidtools.testing.plugin import BrokerHandle


def test_verbose_adds_the_broker_error_as_sent(qpid_config: Tool, broker: BrokerHandle) -> None:
    quiet = qpid_config("-b", broker.address, "del", "queue", "nosuch")
    loud = qpid_config("-b", broker.address, "-v", "del", "queue", "nosuch")
    assert quiet.err == "qpid-config: error: not-found: Delete failed. No such queue: nosuch\n"
    first, detail = loud.err.splitlines()
    assert first == quiet.err.rstrip("\n")
    assert detail.startswith("qpid-config: detail: error_code 7, error_text 'not-found: ")
    assert "Broker.cpp:" in detail  # the source location the one-line error leaves out


def test_verbose_names_the_connection_error_underneath(qpid_ha: Tool, closed_port: int) -> None:
    outcome = qpid_ha("status", "-v", "-b", f"127.0.0.1:{closed_port}")
    first, detail = outcome.err.splitlines()
    assert first == f"qpid-ha: error: cannot connect to 127.0.0.1:{closed_port}: connection refused"
    assert detail.startswith("qpid-ha: detail: ConnectionException: ")
