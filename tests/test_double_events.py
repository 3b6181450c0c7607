"""The double's publishing on qmf.default.topic beyond what the topic captures replay:
the periodic timer, alerts from qpid.max_count, a listener without a filter, the library's
typed events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qmf_replay import record_of
from topic_replay import Listener

from qpidtools import Broker, ConnectionSettings, parse_address
from qpidtools.events import Event, EventReceiver, subscribe
from qpidtools.testing import BrokerDouble, send_messages, wait_for
from qpidtools.testing.model import LOCK


@pytest.fixture
def double() -> Iterator[BrokerDouble]:
    with BrokerDouble() as started:
        yield started


def settings(double: BrokerDouble) -> ConnectionSettings:
    return ConnectionSettings(parse_address(double.address))


def key_filter(key: str | None) -> dict[str, object]:
    if key is None:
        return {"filter_sent": None}
    described = {"descriptor": {"$symbol": "apache.org:legacy-amqp-topic-binding:string"}}
    value = {"$described": {**described, "value": key}}
    return {"filter_sent": {"$map": [[{"$symbol": "subject-filter"}, value]]}}


def test_heartbeats_and_data_come_by_themselves(double: BrokerDouble) -> None:
    listener = Listener(double.address, key_filter("agent.ind.#"))
    try:
        double.events.set_heartbeat_interval(0.05)
        wait_for(lambda: subjects_seen(listener) >= {"heartbeat", "data"}, what="a publish")
    finally:
        listener.close()


def subjects_seen(listener: Listener) -> set[str]:
    """The kinds (heartbeat, data, event) of what arrived so far."""
    listener.pump()
    return {record_of(raw)["subject"].split(".")[2] for raw in listener.collector.raw}


def test_a_listener_without_filter_gets_nothing(double: BrokerDouble) -> None:
    silent = Listener(double.address, key_filter(None))
    loud = Listener(double.address, key_filter("agent.ind.event.#"))
    try:
        with Broker.connect(settings(double)) as broker:
            broker.add_queue("nf", {})
        wait_for(lambda: loud.pump() >= 3, what="events on the listener with a key")
        assert silent.pump() == 0
    finally:
        silent.close()
        loud.close()


def test_max_count_alerts_at_80_percent(double: BrokerDouble) -> None:
    receiver = EventReceiver(settings(double))
    try:
        with Broker.connect(settings(double)) as broker:
            broker.add_queue("mc", {"qpid.max_count": 10})
            send_messages(double.address, "mc", 8)
            broker.delete_queue("mc", if_empty=False)
        seen: list[Event] = []
        wait_for(
            lambda: (
                seen.extend(receiver.receive(0.1))
                or any(e.name == "queueThresholdCrossedDownward" for e in seen)
            ),
            what="the downward alert",
        )
    finally:
        receiver.close()
    alerts = [(e.name, e.severity, e.arguments["msgDepth"]) for e in seen if "Threshold" in e.name]
    assert alerts == [
        ("queueThresholdCrossedUpward", "info", 8),
        ("queueThresholdExceeded", "warn", 8),
        ("queueThresholdCrossedDownward", "info", 4),
    ]


def test_subscribe_yields_typed_events_of_the_classes_asked_for(double: BrokerDouble) -> None:
    events = subscribe(settings(double), classes={"exchangeDeclare"})
    try:
        wait_for(lambda: any(q.endswith("qmf.default.topic") for q in double.state.queues))
        with Broker.connect(settings(double)) as broker:
            broker.add_exchange("topic", "typed-x", {"durable": True})
        event = next(events)
    finally:
        events.close()
    assert (event.package, event.name, event.severity) == (
        "org.apache.qpid.broker", "exchangeDeclare", "info",
    )  # fmt: skip
    assert event.arguments["exName"] == "typed-x"
    assert event.arguments["exType"] == "topic"
    assert event.arguments["durable"] is True
    assert event.timestamp.tzinfo is not None


def test_data_indications_come_100_objects_to_a_message(double: BrokerDouble) -> None:
    """Not recorded (no capture has over 100 objects in a publish): paged as query replies."""
    listener = Listener(double.address, key_filter("agent.ind.data.#"))
    try:
        with LOCK:
            for number in range(150):
                double.state.create_queue(f"many-{number}", {})
        double.events.publish_data()
        wait_for(lambda: listener.pump() >= 2, what="two data indications")
        sizes = [len(record["body"]) for record in listener.take()]
    finally:
        listener.close()
    assert sizes == [100, 51]  # the 150 queues and the listener's own
