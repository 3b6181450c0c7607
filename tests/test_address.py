"""Broker addresses: the classic forms, URLs, IPv6, masking, and malformed input."""

from __future__ import annotations

import pytest
from conftest import Tool

from qpidtools.address import BrokerAddress, mask, parse_address
from qpidtools.errors import AddressError, UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("localhost", BrokerAddress("localhost", 5672)),
        ("broker-host", BrokerAddress("broker-host", 5672)),
        ("10.1.1.7:10000", BrokerAddress("10.1.1.7", 10000)),
        ("guest/guest@broker:5673", BrokerAddress("broker", 5673, False, "guest", "guest")),
        ("guest@broker", BrokerAddress("broker", 5672, False, "guest", None)),
        ("amqp://broker", BrokerAddress("broker", 5672)),
        ("amqp://localhost:5672", BrokerAddress("localhost", 5672)),
        ("amqps://broker", BrokerAddress("broker", 5671, True)),
        ("amqps://broker:5690", BrokerAddress("broker", 5690, True)),
        ("amqp://u:p%40ss@broker", BrokerAddress("broker", 5672, False, "u", "p@ss")),
        ("[::1]:5673", BrokerAddress("::1", 5673)),
        ("::1", BrokerAddress("::1", 5672)),
        ("amqps://[fe80::1]", BrokerAddress("fe80::1", 5671, True)),
    ],
)
def test_accepted_forms(text: str, expected: BrokerAddress) -> None:
    assert parse_address(text) == expected


def test_url_and_host_port_for_display() -> None:
    assert parse_address("[::1]:5673").host_port == "[::1]:5673"
    assert parse_address("amqps://h").url == "amqps://h:5671"
    assert str(parse_address("guest/secret@h:1")) == "guest/***@h:1"
    assert "secret" not in repr(parse_address("guest/secret@h:1"))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "host:notaport", "host:0", "host:70000", "http://host", "[::1", "a:b:c:d:zz"],
)
def test_malformed_addresses_are_usage_errors(text: str) -> None:
    with pytest.raises(AddressError) as raised:
        parse_address(text)
    assert isinstance(raised.value, UsageError)


def test_masking_hides_passwords_only() -> None:
    assert mask("admin/s3cret@host:5672") == "admin/***@host:5672"
    assert mask("amqp://admin:s3cret@host") == "amqp://admin:***@host"
    assert mask("host:5672") == "host:5672"


@pytest.mark.parametrize(
    "text", ["user/s3cret@host:bad", "amqp://user:s3cret@host:0", "ftp://u:s3cret@h"]
)
def test_malformed_address_on_the_command_line(qpid_config: Tool, text: str) -> None:
    outcome = qpid_config("-b", text, "queues")
    assert outcome.code == 2
    assert outcome.err.startswith("qpid-config: error: ")
    assert "s3cret" not in outcome.err + outcome.out


def test_broker_addr_wins_over_broker(qpid_config: Tool, broker: object) -> None:
    address = broker.address
    outcome = qpid_config("-b", "127.0.0.1:1", "-a", address, "exchanges", "amq.direct")
    assert outcome.code == 0
    assert "amq.direct" in outcome.out
