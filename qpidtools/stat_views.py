"""qpid-stat's views: which classes each one queries and the tables it builds from them.

Every view asks for each class it needs once (``-u`` resolves subscription -> session ->
connection from one listing of each), whatever the number of objects. A :class:`Sample` also
carries the counters that ``--watch`` turns into rates, timed by the broker object's
``_update_ts`` (the broker's clock at the query).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from qpidtools import monitoring
from qpidtools.broker import BROKER_PACKAGE, Broker
from qpidtools.errors import QpidToolsError
from qpidtools.monitoring import RATE_COUNTERS, Snapshot
from qpidtools.qmf import QmfObject, reference_key
from qpidtools.render.classic import py2_order, py2_repr
from qpidtools.render.openmetrics import exposition, families
from qpidtools.render.stat import (
    Column,
    Table,
    commas,
    count,
    duration,
    plain,
    rate,
    timestamp,
    yes_or_blank,
    yes_or_no,
)


def _dash(value: Any) -> str:
    return "-" if value is None else plain(value)


def _counts(*names: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(header, key, count, numeric=True) for header, key in names)


CONNECTION_COLUMNS = (
    Column("connection", "connection"),
    Column("cproc", "process", _dash),
    Column("cpid", "pid"),
    Column("mech", "mechanism"),
    Column("auth", "identity"),
    Column("connected", "connected_ns", duration),
    Column("idle", "idle_ns", duration),
    *_counts(("msgIn", "msgsFromClient"), ("msgOut", "msgsToClient")),
)
EXCHANGE_COLUMNS = (
    Column("exchange", "exchange"),
    Column("type", "type"),
    Column("dur", "durable", yes_or_blank),
    *_counts(
        ("bind", "bindingCount"),
        ("msgIn", "msgReceives"),
        ("msgOut", "msgRoutes"),
        ("msgDrop", "msgDrops"),
        ("byteIn", "byteReceives"),
        ("byteOut", "byteRoutes"),
        ("byteDrop", "byteDrops"),
    ),
)
QUEUE_COLUMNS = (
    Column("queue", "queue"),
    Column("dur", "durable", yes_or_blank),
    Column("autoDel", "autoDelete", yes_or_blank),
    Column("excl", "exclusive", yes_or_blank),
    *_counts(
        ("msg", "msgDepth"),
        ("msgIn", "msgTotalEnqueues"),
        ("msgOut", "msgTotalDequeues"),
        ("bytes", "byteDepth"),
        ("bytesIn", "byteTotalEnqueues"),
        ("bytesOut", "byteTotalDequeues"),
        ("cons", "consumerCount"),
        ("bind", "bindingCount"),
    ),
)
SUBSCRIPTION_COLUMNS = (
    Column("subscr", "subscription"),
    Column("queue", "queue"),
    Column("conn", "connection"),
    Column("procName", "process"),
    Column("procId", "pid"),
    Column("browse", "browsing", yes_or_blank),
    Column("acked", "acknowledged", yes_or_blank),
    Column("excl", "exclusive", yes_or_blank),
    Column("creditMode", "credit_mode"),
    Column("delivered", "delivered", commas, numeric=True),
    Column("sessUnacked", "session_unacked", commas, numeric=True),
)
SUMMARY_COLUMNS = (
    Column("uptime", "uptime_ns", duration),
    Column("cluster", "cluster"),
    Column("connections", "connections", numeric=True),
    Column("sessions", "sessions", numeric=True),
    Column("exchanges", "exchanges", numeric=True),
    Column("queues", "queues", numeric=True),
)
STATISTICS_COLUMNS = (
    Column("Statistic", "statistic"),
    Column("Messages", "messages", commas, numeric=True),
    Column("Bytes", "bytes", commas, numeric=True),
)
VALUE_COLUMNS = (Column("Statistic", "statistic"), Column("Value", "value"))
RATE_COLUMNS = (
    Column("msgIn/s", "msgIn_per_s", rate, numeric=True),
    Column("msgOut/s", "msgOut_per_s", rate, numeric=True),
    Column("byteIn/s", "byteIn_per_s", rate, numeric=True),
    Column("byteOut/s", "byteOut_per_s", rate, numeric=True),
)

#: Rows of the statistics tables: label, message counter, byte counter, broker-wide only.
STATISTICS: tuple[tuple[str, str, str | None, bool], ...] = (
    ("queue-depth", "msgDepth", "byteDepth", False),
    ("total-enqueues", "msgTotalEnqueues", "byteTotalEnqueues", False),
    ("total-dequeues", "msgTotalDequeues", "byteTotalDequeues", False),
    ("persistent-enqueues", "msgPersistEnqueues", "bytePersistEnqueues", False),
    ("persistent-dequeues", "msgPersistDequeues", "bytePersistDequeues", False),
    ("transactional-enqueues", "msgTxnEnqueues", "byteTxnEnqueues", False),
    ("transactional-dequeues", "msgTxnDequeues", "byteTxnDequeues", False),
    ("flow-to-disk-depth", "msgFtdDepth", "byteFtdDepth", False),
    ("flow-to-disk-enqueues", "msgFtdEnqueues", "byteFtdEnqueues", False),
    ("flow-to-disk-dequeues", "msgFtdDequeues", "byteFtdDequeues", False),
    ("acquires", "acquires", None, False),
    ("releases", "releases", None, False),
    ("discards-no-route", "discardsNoRoute", None, True),
    ("discards-ttl-expired", "discardsTtl", None, False),
    ("discards-limit-overflow", "discardsOverflow", None, False),
    ("discards-ring-overflow", "discardsRing", None, False),
    ("discards-lvq-replace", "discardsLvq", None, False),
    ("discards-subscriber-reject", "discardsSubscriber", None, False),
    ("discards-purged", "discardsPurge", None, False),
    ("reroutes", "reroutes", None, False),
    ("abandoned", "abandoned", None, True),
    ("abandoned-via-alt", "abandonedViaAlt", None, True),
)


@dataclass(frozen=True)
class Sample:
    """What one view showed at one moment, and the counters ``--watch`` rates are made of."""

    tables: list[Table]
    snapshot: Snapshot | None = None

    def with_rates(self, previous: Sample | None) -> Sample:
        """The main table with rate columns, from ``previous`` (blank on the first sample)."""
        if self.snapshot is None:
            return self
        found = (
            monitoring.rates(previous.snapshot, self.snapshot)
            if previous and previous.snapshot
            else {}
        )
        main = self.tables[0]
        counters = _RATE_KEYS[main.key]
        rows = []
        for row in main.rows:
            per_second = found.get(_row_key(main, row), {})
            rows.append((*row, *(per_second.get(name) for name in counters)))
        table = replace(main, columns=main.columns + RATE_COLUMNS, rows=rows)
        return replace(self, tables=[table, *self.tables[1:]])


def _row_key(table: Table, row: tuple[Any, ...]) -> str:
    return "broker" if table.key == "summary" else str(row[0])


_RATE_KEYS = {
    "summary": RATE_COUNTERS["broker"],
    "queues": RATE_COUNTERS["queue"],
    "properties": RATE_COUNTERS["queue"],  # -q QUEUE
    "exchanges": RATE_COUNTERS["exchange"],
}


def general(broker: Broker, watching: bool) -> Sample:
    info = broker.broker_object()
    clusters = broker.objects("cluster")
    cluster = str(clusters[0].values.get("clusterName", "")) if clusters else "<standalone>"
    sizes = [len(broker.objects(name)) for name in ("connection", "session", "exchange", "queue")]
    summary = Table(
        "Broker Summary:",
        "summary",
        SUMMARY_COLUMNS,
        [(info.update_ts - info.create_ts, cluster, *sizes)],
    )
    statistics = statistics_table("Aggregate Broker Statistics:", info.values, broker_wide=True)
    snapshot = Snapshot.of_objects(info.update_ts, [info], "broker") if watching else None
    return Sample([summary, statistics], snapshot)


def statistics_table(title: str, values: Mapping[str, Any], broker_wide: bool) -> Table:
    rows = [
        (label, values.get(messages), values.get(data) if data else None)
        for label, messages, data, broker_only in STATISTICS
        if broker_wide or not broker_only
    ]
    return Table(title, "statistics", STATISTICS_COLUMNS, rows)


def connections(broker: Broker, watching: bool) -> Sample:
    found = [monitoring.Connection.from_qmf(obj) for obj in broker.objects("connection")]
    now = broker.broker_object().update_ts
    rows = [
        (
            conn.address,
            conn.process,
            conn.pid,
            conn.mechanism,
            conn.identity,
            now - conn.created_ns,
            now - conn.updated_ns,
            conn.statistics.get("msgsFromClient"),
            conn.statistics.get("msgsToClient"),
        )
        for conn in found
    ]
    return Sample([Table("Connections", "connections", CONNECTION_COLUMNS, rows)])


def exchanges(broker: Broker, watching: bool) -> Sample:
    found = broker.objects("exchange", BROKER_PACKAGE)
    keys = ["type", "durable", *(column.key for column in EXCHANGE_COLUMNS[3:])]
    rows = [(obj.values.get("name", obj.key), *map(obj.values.get, keys)) for obj in found]
    table = Table("Exchanges", "exchanges", EXCHANGE_COLUMNS, rows)
    return Sample([table], _watched(broker, found, "exchange") if watching else None)


def queues(broker: Broker, watching: bool) -> Sample:
    found = broker.objects("queue", BROKER_PACKAGE)
    keys = [column.key for column in QUEUE_COLUMNS[1:]]
    rows = [(obj.values.get("name", obj.key), *map(obj.values.get, keys)) for obj in found]
    table = Table("Queues", "queues", QUEUE_COLUMNS, rows)
    return Sample([table], _watched(broker, found, "queue") if watching else None)


def _watched(broker: Broker, found: list[QmfObject], kind: str) -> Snapshot:
    return Snapshot.of_objects(broker.broker_object().update_ts, found, kind)


def queue(broker: Broker, name: str, watching: bool) -> Sample | None:
    """``-q NAME``: the queue's properties, optional properties and statistics."""
    obj = broker.qmf.query_object(f"{BROKER_PACKAGE}:queue:{name}")
    if obj is None:
        return None
    v = obj.values
    properties = Table(
        "Properties:",
        "properties",
        (
            Column("Name", "name"),
            Column("Durable", "durable", yes_or_no),
            Column("AutoDelete", "autoDelete", yes_or_no),
            Column("Exclusive", "exclusive", yes_or_no),
            Column("FlowStopped", "flowStopped", yes_or_no),
            Column("FlowStoppedCount", "flowStoppedCount"),
            Column("Consumers", "consumerCount"),
            Column("Bindings", "bindingCount"),
        ),
        [
            tuple(
                v.get(key)
                for key in (
                    "name",
                    "durable",
                    "autoDelete",
                    "exclusive",
                    "flowStopped",
                    "flowStoppedCount",
                    "consumerCount",
                    "bindingCount",
                )
            )  # fmt: skip
        ],
    )
    optional = Table(
        "Optional Properties:",
        "optional_properties",
        (Column("Property", "property"), Column("Value", "value", _optional_value)),
        [("arguments", dict(v.get("arguments") or {})), ("alt-exchange", _alternate(v))],
    )
    statistics = statistics_table("Statistics:", v, broker_wide=False)
    snapshot = _watched(broker, [obj], "queue") if watching else None
    return Sample([properties, optional, statistics], snapshot)


def _alternate(values: Mapping[str, Any]) -> str | None:
    return reference_key(values.get("altExchange"))


def _optional_value(value: Any) -> str:
    return py2_repr(value) if isinstance(value, dict) else plain(value)


def subscriptions(broker: Broker, watching: bool) -> Sample:
    resolved = monitoring.resolve_subscriptions(
        [monitoring.Subscription.from_qmf(obj) for obj in broker.objects("subscription")],
        [monitoring.Session.from_qmf(obj) for obj in broker.objects("session")],
        [monitoring.Connection.from_qmf(obj) for obj in broker.objects("connection")],
    )
    rows = [
        (
            sub.name,
            sub.queue,
            conn.address,
            conn.process,
            conn.pid,
            sub.browsing,
            sub.acknowledged,
            sub.exclusive,
            sub.credit_mode,
            sub.delivered,
            session.unacked_messages,
        )
        for sub, session, conn in resolved
    ]
    return Sample([Table("Subscriptions", "subscriptions", SUBSCRIPTION_COLUMNS, rows)])


def memory(broker: Broker, watching: bool) -> Sample:
    found = broker.objects("memory")
    values = monitoring.MemoryStatistics.from_qmf(found[0]).values if found else {}
    value = Column("Value", "value", commas, numeric=True)
    rows = [(name, values[name]) for name in py2_order(sorted(values))]
    return Sample([Table("Broker Memory Statistics:", "memory", (VALUE_COLUMNS[0], value), rows)])


def acl(broker: Broker, watching: bool) -> Sample:
    found = broker.objects("acl")
    if not found:
        raise QpidToolsError("ACL Policy Module is not installed")
    stats = monitoring.AclStatistics.from_qmf(found[0])
    value = Column("Value", "value", _acl_value)
    rows = [
        ("policy-file", stats.policy_file),
        ("enforcing", stats.enforcing),
        ("has-transfer-acls", stats.transfer_acl),
        ("last-acl-load", _AclTime(stats.last_load_ns)),
        ("acl-denials", stats.denials),
    ]
    return Sample([Table("ACL Policy Statistics:", "acl", (VALUE_COLUMNS[0], value), rows)])


class _AclTime(int):
    """A load time (ns), printed as a date; a plain number in JSON."""


def _acl_value(value: Any) -> str:
    if isinstance(value, bool):
        return yes_or_no(value)
    if isinstance(value, _AclTime):
        return timestamp(value)
    return commas(value) if isinstance(value, int) else plain(value)


View = Callable[[Broker, bool], Sample]
#: The views by name, in the classic help's order, with the option that selects each.
VIEWS: dict[str, View] = {
    "general": general,
    "connections": connections,
    "exchanges": exchanges,
    "queues": queues,
    "subscriptions": subscriptions,
    "memory": memory,
    "acl": acl,
}
#: The columns ``-S`` may name, per view (none: the view ignores ``-S``, as ``-g`` did).
SORTABLE: dict[str, tuple[Column, ...]] = {
    "connections": CONNECTION_COLUMNS,
    "exchanges": EXCHANGE_COLUMNS,
    "queues": QUEUE_COLUMNS,
    "subscriptions": SUBSCRIPTION_COLUMNS,
}
#: Views whose main table gets rate columns with ``--watch``.
RATED = ("general", "exchanges", "queues")


def openmetrics(broker: Broker) -> str:
    """``--openmetrics``: the broker, queue and exchange classes, queried once each, as
    OpenMetrics text (:mod:`qpidtools.render.openmetrics`)."""
    found = broker.objects("broker", BROKER_PACKAGE)
    broker_values = found[0].values if found else {}
    queues = [obj.values for obj in broker.objects("queue", BROKER_PACKAGE)]
    exchanges = [obj.values for obj in broker.objects("exchange", BROKER_PACKAGE)]
    return exposition(families(broker.address, broker_values, queues, exchanges))
