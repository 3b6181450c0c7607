"""The QMF codec's decoding: qpidd's binary strings become text once, everything else stays."""

from __future__ import annotations

import uuid

from proton import symbol, uint, ulong

from qpidtools.errors import BrokerError
from qpidtools.qmf import decode, object_key, reference_key


def test_binary_becomes_text_at_every_depth() -> None:
    raw = {
        "name": memoryview(b"q1"),
        symbol("sym"): b"bytes",
        b"binary-key": [memoryview(b"a"), (b"b", uint(3))],
        "arguments": {"qpid.policy_type": "ring", "x-int": 42},
    }
    assert decode(raw) == {
        "name": "q1",
        "sym": "bytes",
        "binary-key": ["a", ["b", 3]],
        "arguments": {"qpid.policy_type": "ring", "x-int": 42},
    }


def test_numbers_keep_their_amqp_types_and_uuids_become_text() -> None:
    system_id = uuid.UUID("d0a2fb1a-ca54-446d-a0f0-2150c4fc03bb")
    decoded = decode({"msgDepth": ulong(5), "systemId": system_id, "durable": True})
    assert type(decoded["msgDepth"]) is ulong and decoded["msgDepth"] == 5
    assert decoded["systemId"] == "d0a2fb1a-ca54-446d-a0f0-2150c4fc03bb"
    assert decoded["durable"] is True


def test_binary_that_is_not_utf8_stays_bytes() -> None:
    assert decode(memoryview(b"\xff\xfe")) == b"\xff\xfe"


def test_object_names_and_references() -> None:
    assert object_key("org.apache.qpid.broker:exchange:amq.direct") == "amq.direct"
    assert object_key("org.apache.qpid.broker:queue:a:b:c") == "a:b:c"
    assert reference_key({"_object_name": "org.apache.qpid.broker:exchange:"}) == ""
    assert reference_key("not a reference") is None


def test_broker_errors_lose_the_cpp_source_location_but_keep_it_available() -> None:
    text = "not-found: Queue not found: q (/build/qpid-cpp/src/qpid/broker/QueueRegistry.cpp:176)"
    error = BrokerError(7, text)
    assert str(error) == "not-found: Queue not found: q"
    assert (error.error_code, error.error_text) == (7, text)
