"""SASL options: what proton can honour is used, what it cannot is said, never silently dropped."""

from __future__ import annotations

import pytest
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


@pytest.mark.fresh_broker  # which mechanisms an external broker offers is its own
def test_a_mechanism_the_broker_does_not_offer_fails_in_one_line(
    qpid_ha: Tool, broker: BrokerHandle
) -> None:
    outcome = qpid_ha("status", "-b", broker.address, "--sasl-mechanism", "CRAM-MD5")
    assert (outcome.code, outcome.err) == (
        1,
        f"qpid-ha: error: the broker at {broker.address} offers none of the SASL mechanisms "
        "asked for (CRAM-MD5): choose another with --sasl-mechanism\n",
    )


def test_without_a_user_the_remedy_is_to_give_one() -> None:
    from qpidtools.address import parse_address
    from qpidtools.transport import ConnectionSettings, _describe

    refused = Exception("Connection amqp://h:5672 disconnected: Authentication failed [mech=none]")
    anonymous = ConnectionSettings(parse_address("h:5672"))
    assert _describe(refused, anonymous) == (
        "the broker at h:5672 offers none of the SASL mechanisms asked for (ANONYMOUS, as no "
        "user was given): give --user and a password"
    )
