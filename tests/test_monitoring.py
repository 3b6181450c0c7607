"""The library's monitoring objects and rates, against the recorded objects of 300 and 301."""

from __future__ import annotations

import pytest
from capture_files import QMF_CAPTURES, load
from qmf_replay import decode as decode_tags

from qpidtools import Snapshot, rates
from qpidtools.monitoring import (
    AclStatistics,
    Connection,
    MemoryStatistics,
    Session,
    Subscription,
    resolve_subscriptions,
)
from qpidtools.qmf import QmfObject, _qmf_object


def recorded(stem: str, index: int) -> list[QmfObject]:
    exchange = load(QMF_CAPTURES / f"{stem}.json")["exchanges"][index]
    return [_qmf_object(decode_tags(o)) for reply in exchange["responses"] for o in reply["body"]]


def test_typed_objects_from_capture_300() -> None:
    connections = [Connection.from_qmf(o) for o in recorded("300-stat-classes-with-traffic", 2)]
    amqp1 = next(c for c in connections if c.process == "traffic-amqp1")
    assert (amqp1.pid, amqp1.protocol, amqp1.statistics["msgsFromClient"]) == (9891, "AMQP 1.0", 42)
    assert sum(c.process is None for c in connections) == 2  # AMQP 1.0 clients without names
    sessions = [Session.from_qmf(o) for o in recorded("300-stat-classes-with-traffic", 3)]
    subscriptions = [Subscription.from_qmf(o) for o in recorded("300-stat-classes-with-traffic", 6)]
    resolved = resolve_subscriptions(subscriptions, sessions, connections)
    assert [(s.name, s.queue, c.process, n.unacked_messages) for s, n, c in resolved] == [
        ("stat-q2", "stat-q2", "qpid-receive", 27),
        ("0", "stat-browse", "traffic-0-10.py", 10),
        ("1", "stat-q1", "traffic-0-10.py", 10),
        ("2", "stat-ring", "traffic-0-10.py", 10),
    ]
    assert resolve_subscriptions(subscriptions, sessions[:1], connections) == []
    (memory,) = recorded("300-stat-classes-with-traffic", 7)
    assert MemoryStatistics.from_qmf(memory).values["malloc_arena"] == 3915776
    (acl,) = recorded("300-stat-classes-with-traffic", 8)
    stats = AclStatistics.from_qmf(acl)
    assert (stats.enforcing, stats.transfer_acl, stats.denials) == (True, False, 0)


def sample(index: int, queue: str) -> Snapshot:
    """The broker's clock from one class query of 301 and a queue's counters from the next."""
    (broker,) = recorded("301-stat-rate-samples", index)
    (found,) = recorded("301-stat-rate-samples", index + 1 if queue == "stat-q1" else index + 2)
    return Snapshot.of(broker.update_ts, [(queue, found.values)], ["msgTotalEnqueues"])


def test_rates_use_the_broker_clock_not_the_queues() -> None:
    """Samples 2 and 3 of stat-q1 carry the same queue _update_ts; the broker's moves."""
    first, second, third = (sample(index, "stat-q1") for index in (0, 5, 10))
    seconds = (second.time_ns - first.time_ns) / 1e9
    assert rates(first, second)["stat-q1"]["msgTotalEnqueues"] == pytest.approx(18 / seconds)
    assert rates(second, third)["stat-q1"]["msgTotalEnqueues"] == 0.0
    assert rates(second, second) == {}


def test_a_counter_that_went_down_counts_from_zero() -> None:
    before = Snapshot(0, {"q": {"msgTotalEnqueues": 100}})
    after = Snapshot(2_000_000_000, {"q": {"msgTotalEnqueues": 10}, "new": {"x": 1}})
    assert rates(before, after) == {"q": {"msgTotalEnqueues": 5.0}}
