"""Pipelined management calls (Connection.request_many, QmfClient.call_many): every call's
outcome comes back, in any number, and a broker that stops answering is a timeout."""

from __future__ import annotations

from typing import Any

import pytest

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.errors import BrokerError, BrokerTimeout
from qpidtools.qmf import BROKER_OBJECT
from qpidtools.transport import Connection, ConnectionSettings

#: On an external broker (QPIDTOOLS_TEST_BROKER) these would create fixed names and delete
#: every queue named pipe-*.
pytestmark = pytest.mark.fresh_broker


def create(name: str, **properties: Any) -> tuple[str, str, dict[str, Any]]:
    arguments = {"type": "queue", "name": name, "properties": properties, "strict": True}
    return (BROKER_OBJECT, "create", arguments)


def test_every_call_is_answered_more_than_the_reply_credit(broker: Any) -> None:
    settings = ConnectionSettings(parse_address(str(broker.address)))
    calls = [create(f"pipe-{number:03}") for number in range(250)]
    calls[7] = create("pipe-bad", **{"qpid.max_count": "many"})  # qpidd refuses [100]
    with Broker.connect(settings) as connected:
        results = dict(connected.qmf.call_many(calls))
        names = {queue.name for queue in connected.queues()}
        assert list(connected.qmf.call_many([])) == []  # nothing sent, nothing awaited
        deletes = [(BROKER_OBJECT, "delete", {"type": "queue", "name": name}) for name in names
                   if name.startswith("pipe-")]  # fmt: skip
        assert all(result == {} for _, result in connected.qmf.call_many(deletes))
    assert sorted(results) == list(range(250))
    assert isinstance(results[7], BrokerError)
    assert str(results[7]) == "invalid conversion: Cannot convert many"
    assert all(results[index] == {} for index in results if index != 7)
    assert {f"pipe-{number:03}" for number in range(250) if number != 7} <= names


def test_a_call_never_answered_times_out(broker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """qpidd ignores a request without its app-id [090]: no reply for the timeout is an error."""
    # Long enough for a loaded qpidd to answer pipe-ok; the silent call costs all of it.
    settings = ConnectionSettings(parse_address(str(broker.address)), timeout=2)
    build = Connection._message

    def unanswered(self: Connection, body: Any, opcode: str, correlation_id: str) -> Any:
        message = build(self, body, opcode, correlation_id)
        if body["_arguments"]["name"] == "pipe-silent":
            del message.properties["x-amqp-0-10.app-id"]
        return message

    monkeypatch.setattr(Connection, "_message", unanswered)
    answered = []
    with Broker.connect(settings) as connected, pytest.raises(BrokerTimeout):
        for index, _ in connected.qmf.call_many([create("pipe-ok"), create("pipe-silent")]):
            answered.append(index)
    assert answered == [0]
