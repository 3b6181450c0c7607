"""Typed monitoring objects (connections, sessions, subscriptions, memory, ACL) and rates.

What ``qpid-stat`` shows, importable by scripts:

>>> with Broker.connect(settings) as broker:
...     for sub, session, conn in broker.subscription_details():
...         print(sub.name, sub.queue, conn.address, session.unacked_messages)

Rates come from two :class:`Snapshot` s of the same objects. They are timed by the broker's
clock: the broker object's ``_update_ts`` moves with every query, whereas a queue's own
``_update_ts`` moves only when qpidd notices a change (captures 301), so it cannot time a rate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qpidtools.qmf import QmfObject, reference_key

CONNECTION_STATISTICS = (
    "msgsFromClient", "msgsToClient", "bytesFromClient", "bytesToClient",
    "framesFromClient", "framesToClient",
)  # fmt: skip
#: Counters whose rates ``--watch`` shows, per class: enqueued (in) and dequeued (out).
RATE_COUNTERS: dict[str, tuple[str, ...]] = {
    "queue": ("msgTotalEnqueues", "msgTotalDequeues", "byteTotalEnqueues", "byteTotalDequeues"),
    "exchange": ("msgReceives", "msgRoutes", "byteReceives", "byteRoutes"),
    "broker": ("msgTotalEnqueues", "msgTotalDequeues", "byteTotalEnqueues", "byteTotalDequeues"),
}


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Connection:
    """A client connection as qpidd lists it (class ``connection``); timestamps in ns."""

    address: str
    process: str | None
    pid: int | None
    mechanism: str
    identity: str
    protocol: str
    created_ns: int
    updated_ns: int
    statistics: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Connection:
        values = obj.values
        process = values.get("remoteProcessName")
        return cls(
            address=str(values.get("address", obj.key)),
            process=None if process is None else str(process),
            pid=_int(values.get("remotePid")),
            mechanism=str(values.get("saslMechanism", "")),
            identity=str(values.get("authIdentity", "")),
            protocol=str(values.get("protocol", "")),
            created_ns=obj.create_ts,
            updated_ns=obj.update_ts,
            statistics={
                k: v for k in CONNECTION_STATISTICS if (v := _int(values.get(k))) is not None
            },
        )


@dataclass(frozen=True)
class Session:
    """A session (class ``session``) and the connection it belongs to (by address)."""

    name: str
    connection: str | None
    unacked_messages: int

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Session:
        values = obj.values
        return cls(
            name=str(values.get("name", obj.key)),
            connection=reference_key(values.get("connectionRef")),
            unacked_messages=_int(values.get("unackedMessages")) or 0,
        )


@dataclass(frozen=True)
class Subscription:
    """An AMQP 0-10 subscription (qpidd makes none for AMQP 1.0 receivers)."""

    name: str
    queue: str | None
    session: str | None
    browsing: bool
    acknowledged: bool
    exclusive: bool
    credit_mode: str
    delivered: int

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> Subscription:
        values = obj.values
        return cls(
            name=str(values.get("name", "")),
            queue=reference_key(values.get("queueRef")),
            session=reference_key(values.get("sessionRef")),
            browsing=bool(values.get("browsing")),
            acknowledged=bool(values.get("acknowledged")),
            exclusive=bool(values.get("exclusive")),
            credit_mode=str(values.get("creditMode", "")),
            delivered=_int(values.get("delivered")) or 0,
        )


def resolve_subscriptions(
    subscriptions: Iterable[Subscription],
    sessions: Iterable[Session],
    connections: Iterable[Connection],
) -> list[tuple[Subscription, Session, Connection]]:
    """Each subscription with its session and connection, from one listing of each class.

    As in the classic tool, a subscription whose session or connection is gone (it closed
    between the queries) is left out.
    """
    by_session = {session.name: session for session in sessions}
    by_address = {conn.address: conn for conn in connections}
    resolved = []
    for sub in subscriptions:
        session = by_session.get(sub.session or "")
        conn = by_address.get(session.connection or "") if session else None
        if session is not None and conn is not None:
            resolved.append((sub, session, conn))
    return resolved


@dataclass(frozen=True)
class MemoryStatistics:
    """The broker's malloc statistics (class ``memory``), by name (``malloc_arena``, ...)."""

    values: dict[str, int]

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> MemoryStatistics:
        found = {k: v for k, raw in obj.values.items() if (v := _int(raw)) is not None}
        return cls(found)


@dataclass(frozen=True)
class AclStatistics:
    """The ACL module's state and counters (class ``acl``); ``last_load_ns`` since the epoch."""

    policy_file: str
    enforcing: bool
    transfer_acl: bool
    last_load_ns: int
    denials: int
    connection_denials: int
    queue_quota_denials: int

    @classmethod
    def from_qmf(cls, obj: QmfObject) -> AclStatistics:
        values = obj.values
        return cls(
            policy_file=str(values.get("policyFile", "")),
            enforcing=bool(values.get("enforcingAcl")),
            transfer_acl=bool(values.get("transferAcl")),
            last_load_ns=_int(values.get("lastAclLoad")) or 0,
            denials=_int(values.get("aclDenyCount")) or 0,
            connection_denials=_int(values.get("connectionDenyCount")) or 0,
            queue_quota_denials=_int(values.get("queueQuotaDenyCount")) or 0,
        )


@dataclass(frozen=True)
class Snapshot:
    """Counters of some objects at one moment of the broker's clock (ns)."""

    time_ns: int
    counters: Mapping[str, Mapping[str, int]]  # object name -> counter name -> value

    @classmethod
    def of(
        cls, time_ns: int, named: Iterable[tuple[str, Mapping[str, int]]], names: Sequence[str]
    ) -> Snapshot:
        """Keep only the counters ``names`` of each (object name, statistics) pair."""
        return cls(time_ns, {key: {n: s[n] for n in names if n in s} for key, s in named})

    @classmethod
    def of_objects(
        cls,
        time_ns: int,
        objects: Iterable[QmfObject],
        kind: str,
        counters: Sequence[str] | None = None,
    ) -> Snapshot:
        """``counters`` (default: the :data:`RATE_COUNTERS` of ``kind``: queue, exchange or
        broker) of each object, by name; the broker object is named ``broker``."""
        named = [
            ("broker" if kind == "broker" else str(obj.values.get("name", obj.key)), obj.values)
            for obj in objects
        ]
        return cls.of(time_ns, named, RATE_COUNTERS[kind] if counters is None else counters)


def rates(earlier: Snapshot, later: Snapshot) -> dict[str, dict[str, float]]:
    """Per second, for every object in both snapshots: Δcounter / Δ(broker time).

    Empty when the broker's clock did not move (the same sample twice). A counter that went
    down (the object was deleted and created again) counts from zero.
    """
    elapsed = (later.time_ns - earlier.time_ns) / 1e9
    if elapsed <= 0:
        return {}
    result = {}
    for key, now in later.counters.items():
        before = earlier.counters.get(key)
        if before is None:
            continue
        result[key] = {
            name: (value - before[name] if value >= before.get(name, 0) else value) / elapsed
            for name, value in now.items()
            if name in before
        }
    return result


def _selected(name: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    return not patterns or any(pattern.match(name) for pattern in patterns)


def queue_rate_rows(
    previous: Snapshot, current: Snapshot, patterns: Sequence[re.Pattern[str]]
) -> list[dict[str, Any]]:
    """qpid-queue-stats' rows for one sample: the queues known before whose statistics changed
    since then, and that match one of ``patterns`` (any, if there are none)."""
    seconds = (current.time_ns - previous.time_ns) / 1e9
    per_second = rates(previous, current)
    found = []
    for name, stats in current.counters.items():
        if name not in per_second or stats == previous.counters[name]:
            continue
        if _selected(name, patterns):
            found.append(
                {
                    "queue": name,
                    "seconds": seconds,
                    "depth": stats.get("msgDepth", 0),
                    "enqueue_rate": per_second[name].get("msgTotalEnqueues", 0.0),
                    "dequeue_rate": per_second[name].get("msgTotalDequeues", 0.0),
                }
            )
    return found
