"""SASL options: what proton can honour is used, what it cannot is said, never silently dropped."""

from __future__ import annotations

from conftest import Tool

from qpidtools.testing.plugin import BrokerHandle


def test_sasl_service_name_is_reported_as_having_no_effect(
    qpid_config: Tool, broker: BrokerHandle
) -> None:
    outcome = qpid_config("-b", broker.address, "--sasl-service-name", "qpidd", "queues")
    assert outcome.code == 0
    assert outcome.err.splitlines() == [
        "qpid-config: warning: --sasl-service-name has no effect: "
        "proton's SASL always uses the service 'amqp'"
    ]


def test_anonymous_mechanism_is_used_when_asked(qpid_ha: Tool, broker: BrokerHandle) -> None:
    outcome = qpid_ha("status", "-b", broker.address, "--sasl-mechanism", "ANONYMOUS")
    assert (outcome.code, outcome.err) == (0, "")


def test_a_mechanism_the_broker_does_not_offer_fails_in_one_line(
    qpid_ha: Tool, broker: BrokerHandle
) -> None:
    outcome = qpid_ha("status", "-b", broker.address, "--sasl-mechanism", "CRAM-MD5")
    assert outcome.code == 1
    assert len(outcome.err.splitlines()) == 1
    assert outcome.err.startswith("qpid-ha: error: ")
